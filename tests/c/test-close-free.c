/* Programs that free a handle right after uv_close(handle, NULL), before
 * its close phase, as the book's dns example does with a TCP handle. libuv
 * tolerates it for a handle with no request in flight: its close phase
 * never reads the handle's first bytes (data and loop), which is what
 * free() overwrites first. Each case closes a started handle of one type
 * and then scribbles over those 16 bytes, as free() would, and the loop
 * must still run to the end. A last case really frees the handles (only
 * checked for not crashing); it is left out under valgrind and ASan, which
 * rightly report the close phase's reads of the freed block (libuv's as
 * well).
 */
#include "test.h"

#include <signal.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <unistd.h>

static uv_loop_t* loop;

/* What free() does to a small block: overwrites its first 16 bytes. */
static void scribble(void* h) {
  memset(h, 0xa5, 16);
}

static void close_and_scribble(void* h) {
  uv_close((uv_handle_t*) h, NULL);
  scribble(h);
}

static void timer_cb(uv_timer_t* t) { (void) t; }
static void idle_cb(uv_idle_t* h) { (void) h; }
static void check_cb(uv_check_t* h) { (void) h; }
static void prepare_cb(uv_prepare_t* h) { (void) h; }
static void async_cb(uv_async_t* h) { (void) h; }
static void signal_cb(uv_signal_t* h, int n) { (void) h; (void) n; }
static void poll_cb(uv_poll_t* h, int s, int e) { (void) h; (void) s; (void) e; }
static void fs_event_cb(uv_fs_event_t* h, const char* f, int e, int s) {
  (void) h; (void) f; (void) e; (void) s;
}
static void exit_cb(uv_process_t* p, int64_t st, int sig) {
  (void) p; (void) st; (void) sig;
}

/* A listening TCP server and an unconnected client. */
static void case_tcp(void) {
  static uv_tcp_t server, client;
  struct sockaddr_in addr;

  ASSERT_EQ(uv_ip4_addr("127.0.0.1", 0, &addr), 0);
  ASSERT_EQ(uv_tcp_init(loop, &server), 0);
  ASSERT_EQ(uv_tcp_bind(&server, (const struct sockaddr*) &addr, 0), 0);
  ASSERT_EQ(uv_listen((uv_stream_t*) &server, 1, NULL), 0);
  ASSERT_EQ(uv_tcp_init(loop, &client), 0);
  close_and_scribble(&client);
  close_and_scribble(&server);
}

/* A pipe pair, one end reading. */
static void alloc_cb(uv_handle_t* h, size_t n, uv_buf_t* b) {
  static char space[64];
  (void) h; (void) n;
  *b = uv_buf_init(space, sizeof(space));
}
static void read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
  (void) s; (void) n; (void) b;
}

static void case_pipe(void) {
  static uv_pipe_t a, b;
  int fds[2];

  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ASSERT_EQ(uv_pipe_init(loop, &a, 0), 0);
  ASSERT_EQ(uv_pipe_init(loop, &b, 0), 0);
  ASSERT_EQ(uv_pipe_open(&a, fds[0]), 0);
  ASSERT_EQ(uv_pipe_open(&b, fds[1]), 0);
  ASSERT_EQ(uv_read_start((uv_stream_t*) &b, alloc_cb, read_cb), 0);
  close_and_scribble(&a);
  close_and_scribble(&b);
}

static void recv_cb(uv_udp_t* u, ssize_t n, const uv_buf_t* b,
                    const struct sockaddr* a, unsigned f) {
  (void) u; (void) n; (void) b; (void) a; (void) f;
}

static void case_udp(void) {
  static uv_udp_t u;
  struct sockaddr_in addr;

  ASSERT_EQ(uv_ip4_addr("127.0.0.1", 0, &addr), 0);
  ASSERT_EQ(uv_udp_init(loop, &u), 0);
  ASSERT_EQ(uv_udp_bind(&u, (const struct sockaddr*) &addr, 0), 0);
  ASSERT_EQ(uv_udp_recv_start(&u, alloc_cb, recv_cb), 0);
  close_and_scribble(&u);
}

static void case_watchers(void) {
  static uv_timer_t t;
  static uv_idle_t i;
  static uv_check_t c;
  static uv_prepare_t p;
  static uv_async_t a;
  static uv_signal_t s;

  ASSERT_EQ(uv_timer_init(loop, &t), 0);
  ASSERT_EQ(uv_timer_start(&t, timer_cb, 100000, 0), 0);
  ASSERT_EQ(uv_idle_init(loop, &i), 0);
  ASSERT_EQ(uv_idle_start(&i, idle_cb), 0);
  ASSERT_EQ(uv_check_init(loop, &c), 0);
  ASSERT_EQ(uv_check_start(&c, check_cb), 0);
  ASSERT_EQ(uv_prepare_init(loop, &p), 0);
  ASSERT_EQ(uv_prepare_start(&p, prepare_cb), 0);
  ASSERT_EQ(uv_async_init(loop, &a, async_cb), 0);
  ASSERT_EQ(uv_async_send(&a), 0);
  ASSERT_EQ(uv_signal_init(loop, &s), 0);
  ASSERT_EQ(uv_signal_start(&s, signal_cb, SIGUSR2), 0);
  close_and_scribble(&t);
  close_and_scribble(&i);
  close_and_scribble(&c);
  close_and_scribble(&p);
  close_and_scribble(&a);
  close_and_scribble(&s);
}

/* (Not uv_fs_poll_t: libuv reads it again after uv_close, in the close
 * callback of its internal timer.) */
static void case_poll_and_fs(void) {
  static uv_poll_t p;
  static uv_fs_event_t e;
  static int fds[2];

  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ASSERT_EQ(uv_poll_init(loop, &p, fds[0]), 0);
  ASSERT_EQ(uv_poll_start(&p, UV_READABLE, poll_cb), 0);
  ASSERT_EQ(uv_fs_event_init(loop, &e), 0);
  ASSERT_EQ(uv_fs_event_start(&e, fs_event_cb, ".", 0), 0);
  close_and_scribble(&p);
  close_and_scribble(&e);
  close(fds[0]);
  close(fds[1]);
}

/* A running child: its handle closed (the child is not killed), then the
 * child is killed and reaped by pid. */
static void case_process(void) {
  static uv_process_t proc;
  uv_process_options_t o;
  char* args[] = { "sleep", "100", NULL };
  int pid;

  memset(&o, 0, sizeof(o));
  o.file = "sleep";
  o.args = args;
  o.exit_cb = exit_cb;
  ASSERT_EQ(uv_spawn(loop, &proc, &o), 0);
  pid = proc.pid;
  close_and_scribble(&proc);
  ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_EQ(waitpid(pid, NULL, 0), pid);
}

/* The book's pattern itself: really freed. */
static void case_really_freed(void) {
  uv_tcp_t* t = malloc(sizeof(*t));
  uv_timer_t* tm = malloc(sizeof(*tm));

  ASSERT(t != NULL && tm != NULL);
  ASSERT_EQ(uv_tcp_init(loop, t), 0);
  ASSERT_EQ(uv_timer_init(loop, tm), 0);
  ASSERT_EQ(uv_timer_start(tm, timer_cb, 100000, 0), 0);
  uv_close((uv_handle_t*) t, NULL);
  free(t);
  uv_close((uv_handle_t*) tm, NULL);
  free(tm);
  ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
}

int main(void) {
  loop = uv_default_loop();

  case_tcp();
  case_pipe();
  case_udp();
  case_watchers();
  case_poll_and_fs();
  ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);

  case_process();
  /* A memory checker rightly reports this case's reads of the freed block
   * (libuv's as well). */
  if (getenv("RSUV_UNDER_CHECKER") == NULL)
    case_really_freed();
  ASSERT_EQ(uv_loop_close(loop), 0);
  return 0;
}
