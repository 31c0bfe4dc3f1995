/* uv_loop_fork: a loop set up in the parent (timers run, thread pool
 * started, a TCP server listening and registered with the kernel, a
 * SIGUSR1 handler, an async handle, an fs_event watch) is forked; in the
 * child, after uv_loop_fork, timers fire, the inherited server accepts and
 * echoes a connection, a new server bound in the child does too, the
 * signal handler fires when the parent sends the child SIGUSR1,
 * uv_queue_work runs (on new pool threads), uv_async_send from another
 * thread wakes the loop, and the fs_event reports a write made in the
 * child. The child reports by its exit status (a failed assertion aborts
 * it). Once it is gone, the parent's loop does all of the same.
 *
 * Just before the fork the parent writes to the watched file without
 * running its loop, so an inotify event waits in the instance the child
 * inherits; and while the child runs, the parent raises SIGUSR1 for
 * itself. The child must take neither (the parent's loop reports exactly
 * that one signal, and the change, after the child is gone), and the
 * signal sent to the child must not reach the parent. (A signal raised
 * before the fork would do for signals what the file write does for
 * inotify, but libuv 1.44 then cannot close the handle in the child.)
 *
 * Parent and child never run their loops at the same time: the parent
 * waits for the child's "ready" and then for its exit. Nothing is timed. */
#include "test.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static uv_loop_t loop;
static uv_tcp_t server;
static uv_signal_t sig;
static uv_async_t async_h;
static uv_fs_event_t watch;
static char dir[64];
static char file[96];

/* ---- timers ------------------------------------------------------------- */

static int timer_calls;

static void timer_cb(uv_timer_t* t) {
  timer_calls++;
  uv_close((uv_handle_t*) t, NULL);
}

static void check_timer(void) {
  uv_timer_t t;
  timer_calls = 0;
  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_OK(uv_timer_start(&t, timer_cb, 1, 0));
  while (timer_calls == 0)
    uv_run(&loop, UV_RUN_ONCE);
  /* The close callback. */
  uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_EQ(timer_calls, 1);
}

/* ---- thread pool -------------------------------------------------------- */

static int work_calls;
static int after_work_calls;

static void work_cb(uv_work_t* req) {
  (void) req;
  work_calls++;
}

static void after_work_cb(uv_work_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  after_work_calls++;
}

static void check_work(void) {
  uv_work_t req;
  work_calls = after_work_calls = 0;
  ASSERT_OK(uv_queue_work(&loop, &req, work_cb, after_work_cb));
  while (after_work_calls == 0)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(work_calls, 1);
  ASSERT_EQ(after_work_calls, 1);
}

/* ---- async -------------------------------------------------------------- */

static int async_calls;

static void async_cb(uv_async_t* h) {
  (void) h;
  async_calls++;
}

static void send_from_thread(void* arg) {
  ASSERT_OK(uv_async_send((uv_async_t*) arg));
}

static void check_async(void) {
  uv_thread_t t;
  async_calls = 0;
  ASSERT_OK(uv_thread_create(&t, send_from_thread, &async_h));
  while (async_calls == 0)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_OK(uv_thread_join(&t));
  ASSERT_EQ(async_calls, 1);
}

/* ---- TCP echo ----------------------------------------------------------- */

/* One connection at a time: the server's accepted end echoes what it reads
 * and closes on EOF; the client writes "ping", reads it back and closes. */
static uv_tcp_t conn;
static uv_tcp_t client;
static uv_connect_t connect_req;
static uv_write_t client_write;
static char conn_buf[64];
static char client_buf[64];
static char echoed[16];
static size_t echoed_len;
static int conn_closed;
static int client_closed;
static int accepted;

typedef struct {
  uv_write_t req;
  char data[64];
} echo_write_t;

static void alloc_conn(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  (void) h;
  (void) size;
  *buf = uv_buf_init(conn_buf, sizeof(conn_buf));
}

static void alloc_client(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  (void) h;
  (void) size;
  *buf = uv_buf_init(client_buf, sizeof(client_buf));
}

static void conn_close_cb(uv_handle_t* h) {
  (void) h;
  conn_closed = 1;
}

static void client_close_cb(uv_handle_t* h) {
  (void) h;
  client_closed = 1;
}

static void echo_write_cb(uv_write_t* req, int status) {
  ASSERT_OK(status);
  free(req);
}

static void conn_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  if (n == UV_EOF) {
    uv_close((uv_handle_t*) s, conn_close_cb);
    return;
  }
  ASSERT_GE(n, 0);
  if (n == 0)
    return;
  echo_write_t* w = malloc(sizeof(*w));
  ASSERT_NOT_NULL(w);
  memcpy(w->data, buf->base, (size_t) n);
  uv_buf_t out = uv_buf_init(w->data, (unsigned int) n);
  ASSERT_OK(uv_write(&w->req, s, &out, 1, echo_write_cb));
}

static void connection_cb(uv_stream_t* srv, int status) {
  ASSERT_OK(status);
  ASSERT_EQ(accepted, 0);
  accepted = 1;
  ASSERT_OK(uv_tcp_init(srv->loop, &conn));
  ASSERT_OK(uv_accept(srv, (uv_stream_t*) &conn));
  ASSERT_OK(uv_read_start((uv_stream_t*) &conn, alloc_conn, conn_read_cb));
}

static void client_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  ASSERT_GE(n, 0);
  ASSERT_LE(echoed_len + (size_t) n, sizeof(echoed));
  memcpy(echoed + echoed_len, buf->base, (size_t) n);
  echoed_len += (size_t) n;
  if (echoed_len == 4)
    uv_close((uv_handle_t*) s, client_close_cb);
}

static void client_write_cb(uv_write_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
}

static void connect_cb(uv_connect_t* req, int status) {
  ASSERT_OK(status);
  uv_buf_t b = uv_buf_init("ping", 4);
  ASSERT_OK(uv_write(&client_write, req->handle, &b, 1, client_write_cb));
  ASSERT_OK(uv_read_start(req->handle, alloc_client, client_read_cb));
}

static int port_of(uv_tcp_t* srv) {
  struct sockaddr_in addr;
  int len = sizeof(addr);
  ASSERT_OK(uv_tcp_getsockname(srv, (struct sockaddr*) &addr, &len));
  return ntohs(addr.sin_port);
}

static void listen_on_loopback(uv_tcp_t* srv) {
  struct sockaddr_in addr;
  ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &addr));
  ASSERT_OK(uv_tcp_init(&loop, srv));
  ASSERT_OK(uv_tcp_bind(srv, (const struct sockaddr*) &addr, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) srv, 8, connection_cb));
}

static void check_echo(uv_tcp_t* srv) {
  struct sockaddr_in addr;
  accepted = conn_closed = client_closed = 0;
  echoed_len = 0;
  ASSERT_OK(uv_ip4_addr("127.0.0.1", port_of(srv), &addr));
  ASSERT_OK(uv_tcp_init(&loop, &client));
  ASSERT_OK(uv_tcp_connect(&connect_req, &client,
                           (const struct sockaddr*) &addr, connect_cb));
  while (!conn_closed || !client_closed)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(accepted, 1);
  ASSERT_EQ(echoed_len, 4);
  ASSERT_OK(memcmp(echoed, "ping", 4));
}

/* ---- signals ------------------------------------------------------------ */

static volatile int signal_calls;

static void signal_cb(uv_signal_t* h, int signum) {
  (void) h;
  ASSERT_EQ(signum, SIGUSR1);
  signal_calls++;
}

static void wait_for_signal(void) {
  while (signal_calls == 0)
    uv_run(&loop, UV_RUN_ONCE);
  ASSERT_EQ(signal_calls, 1);
}

/* ---- fs events ---------------------------------------------------------- */

static int fs_calls;

static void fs_event_cb(uv_fs_event_t* h, const char* name, int events,
                        int status) {
  (void) h;
  ASSERT_OK(status);
  ASSERT_NE(events & (UV_CHANGE | UV_RENAME), 0);
  ASSERT_STR_EQ(name, "watched");
  fs_calls++;
}

static void append_to_file(void) {
  int fd = open(file, O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "x", 1), 1);
  ASSERT_OK(close(fd));
}

static void check_fs_event(void) {
  fs_calls = 0;
  append_to_file();
  while (fs_calls == 0)
    uv_run(&loop, UV_RUN_ONCE);
}

/* ---- the two sides ------------------------------------------------------ */

static void child(int ready_fd) {
  uv_tcp_t child_server;
  ASSERT_OK(uv_loop_fork(&loop));
  /* From here on a signal sent to this process reaches this loop only. */
  ASSERT_EQ(write(ready_fd, "r", 1), 1);
  ASSERT_OK(close(ready_fd));

  check_timer();
  check_echo(&server);
  listen_on_loopback(&child_server);
  check_echo(&child_server);
  check_work();
  check_async();
  check_fs_event();
  wait_for_signal();

  close_loop(&loop);
  exit(0);
}

static void parent_after_child(void) {
  /* What waited at the fork is still here, and nothing of the child's. */
  ASSERT_EQ(signal_calls, 0);
  ASSERT_EQ(fs_calls, 0);
  uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_EQ(signal_calls, 1);
  ASSERT_GE(fs_calls, 1);
  signal_calls = 0;
  check_timer();
  check_echo(&server);
  check_work();
  check_async();
  /* The child's write may be reported here too (the file changed); the
   * parent's own one must be. */
  check_fs_event();
  ASSERT_OK(raise(SIGUSR1));
  wait_for_signal();
}

int main(void) {
  int sync_pipe[2];
  char c;
  int status;
  pid_t pid;

  snprintf(dir, sizeof(dir), "loop-fork-XXXXXX");
  ASSERT_NOT_NULL(mkdtemp(dir));
  snprintf(file, sizeof(file), "%s/watched", dir);
  int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_OK(close(fd));

  ASSERT_OK(uv_loop_init(&loop));
  /* Give the parent's loop state to inherit: an epoll set with
   * registrations, a started thread pool, a signal pipe, an inotify
   * watch. */
  check_timer();
  check_work();
  listen_on_loopback(&server);
  ASSERT_OK(uv_signal_init(&loop, &sig));
  ASSERT_OK(uv_signal_start(&sig, signal_cb, SIGUSR1));
  ASSERT_OK(uv_async_init(&loop, &async_h, async_cb));
  check_async();
  ASSERT_OK(uv_fs_event_init(&loop, &watch));
  ASSERT_OK(uv_fs_event_start(&watch, fs_event_cb, file, 0));
  /* The server's descriptor reaches the kernel's epoll set. */
  uv_run(&loop, UV_RUN_NOWAIT);
  ASSERT_EQ(fs_calls, 0);
  /* Left for the parent's loop. */
  append_to_file();

  ASSERT_OK(pipe(sync_pipe));
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  ASSERT_NE(pid, -1);
  if (pid == 0) {
    ASSERT_OK(close(sync_pipe[0]));
    child(sync_pipe[1]);
  }
  ASSERT_OK(close(sync_pipe[1]));
  ASSERT_EQ(read(sync_pipe[0], &c, 1), 1);
  ASSERT_OK(close(sync_pipe[0]));
  /* For the parent's loop (raise: the handler has run when it returns). */
  ASSERT_OK(raise(SIGUSR1));
  ASSERT_OK(kill(pid, SIGUSR1));
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    TEST_FAIL_("child failed: status %#x", status);

  parent_after_child();

  close_loop(&loop);
  ASSERT_OK(unlink(file));
  ASSERT_OK(rmdir(dir));
  return 0;
}
