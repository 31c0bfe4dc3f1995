/* Load: 10,000 concurrent TCP connections on loopback, echoing. A fork()ed
 * client opens all of them (no more than 500 connects in flight, so the
 * listen backlog never drops a SYN), and only once every one is open does
 * it send each its own message (1 to 2,048 bytes, a function of the
 * connection and the offset); the server echoes whatever it reads. The
 * client checks every echoed byte, then closes everything. The server
 * counts the connections it accepted and the bytes it echoed, and ends, as
 * the client does, with its descriptor count and resident memory back where
 * they started.
 *
 * Each side holds 10,000 descriptors, so the soft descriptor limit is
 * raised to the hard one; below 10,100 the test uses what fits and says so.
 * A tenth of it under a memory checker. */
#include "test.h"

#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_MSG 2048
#define MAX_CONNECTING 500

static int N = 10000;

static size_t msg_len(int i) {
  return 1 + (size_t) (((unsigned) i * 2654435761u) >> 8) % MAX_MSG;
}

static char msg_byte(int i, size_t off) {
  return (char) ((unsigned) i * 31u + (unsigned) off * 7u + (unsigned) (off >> 8));
}

/* ================= the client (a fork()ed child) ================= */

typedef struct {
  uv_tcp_t tcp;
  uv_connect_t connect;
  uv_write_t write;
  char out[MAX_MSG];
  size_t got;
  int index;
} conn_t;

static uv_loop_t c_loop;
static conn_t* conns;
static struct sockaddr_in server_addr;
static int c_next, c_connected, c_connecting, c_echoed, c_closed;

static void c_close_cb(uv_handle_t* h) {
  (void) h;
  c_closed++;
}

static void c_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  static char in[65536];
  (void) h;
  (void) suggested;
  buf->base = in;
  buf->len = sizeof(in);
}

static void c_write_cb(uv_write_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
}

static void c_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  conn_t* c = (conn_t*) s;
  ssize_t k;
  ASSERT_GE(n, 0); /* the server closes nothing first */
  for (k = 0; k < n; k++) {
    ASSERT_LT(c->got, msg_len(c->index));
    ASSERT_EQ(buf->base[k], msg_byte(c->index, c->got));
    c->got++;
  }
  if (n > 0 && c->got == msg_len(c->index)) {
    ASSERT_OK(uv_read_stop(s));
    if (++c_echoed == N) {
      int i;
      for (i = 0; i < N; i++)
        uv_close((uv_handle_t*) &conns[i].tcp, c_close_cb);
    }
  }
}

static void c_send_all(void) {
  int i;
  for (i = 0; i < N; i++) {
    conn_t* c = &conns[i];
    size_t k;
    uv_buf_t b;
    for (k = 0; k < msg_len(i); k++)
      c->out[k] = msg_byte(i, k);
    b = uv_buf_init(c->out, (unsigned) msg_len(i));
    ASSERT_OK(uv_read_start((uv_stream_t*) &c->tcp, c_alloc, c_read_cb));
    ASSERT_OK(uv_write(&c->write, (uv_stream_t*) &c->tcp, &b, 1, c_write_cb));
  }
}

static void c_connect_more(void);

static void c_connect_cb(uv_connect_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  c_connecting--;
  if (++c_connected == N)
    c_send_all(); /* all N are open at once */
  else
    c_connect_more();
}

static void c_connect_more(void) {
  while (c_next < N && c_connecting < MAX_CONNECTING) {
    conn_t* c = &conns[c_next];
    c->index = c_next++;
    ASSERT_OK(uv_tcp_init(&c_loop, &c->tcp));
    ASSERT_OK(uv_tcp_connect(&c->connect, &c->tcp,
                             (const struct sockaddr*) &server_addr,
                             c_connect_cb));
    c_connecting++;
  }
}

static int run_client(void) {
  long fds_before, rss_before;
  ASSERT_OK(uv_loop_init(&c_loop));
  ASSERT_OK(uv_loop_close(&c_loop));
  fds_before = fd_count();
  rss_before = rss_kib();
  conns = calloc((size_t) N, sizeof(*conns));
  ASSERT_NOT_NULL(conns);
  ASSERT_OK(uv_loop_init(&c_loop));
  c_connect_more();
  ASSERT_OK(uv_run(&c_loop, UV_RUN_DEFAULT));
  ASSERT_EQ(c_echoed, N);
  ASSERT_EQ(c_closed, N);
  ASSERT_OK(uv_loop_close(&c_loop));
  free(conns);
  ASSERT_EQ(fd_count(), fds_before);
  (void) expect_rss_back(rss_before, 16 * 1024);
  return 0;
}

/* ================= the server ================= */

typedef struct {
  uv_tcp_t tcp;
  size_t echoed;
} peer_t;

typedef struct {
  uv_write_t req;
  char data[];
} echo_t;

static uv_loop_t loop;
static uv_tcp_t listener;
static peer_t* peers;
static int accepted, eofs, closed;
static uint64_t bytes_echoed;

static void s_close_cb(uv_handle_t* h) {
  (void) h;
  closed++;
}

static void s_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  echo_t* e = malloc(sizeof(echo_t) + suggested);
  (void) h;
  ASSERT_NOT_NULL(e);
  buf->base = e->data;
  buf->len = suggested;
}

static void s_write_cb(uv_write_t* req, int status) {
  ASSERT_OK(status);
  free(req);
}

static void s_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  echo_t* e = buf->base != NULL ? (echo_t*) (buf->base - offsetof(echo_t, data))
                                : NULL;
  if (n > 0) {
    uv_buf_t b = uv_buf_init(buf->base, (unsigned) n);
    bytes_echoed += (uint64_t) n;
    ASSERT_OK(uv_write(&e->req, s, &b, 1, s_write_cb));
    return;
  }
  free(e);
  if (n == 0)
    return;
  ASSERT_EQ(n, UV_EOF);
  eofs++;
  uv_close((uv_handle_t*) s, s_close_cb);
  if (eofs == N)
    uv_close((uv_handle_t*) &listener, NULL);
}

static void on_connection(uv_stream_t* server, int status) {
  peer_t* p;
  ASSERT_OK(status);
  ASSERT_LT(accepted, N);
  p = &peers[accepted++];
  ASSERT_OK(uv_tcp_init(&loop, &p->tcp));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) &p->tcp));
  ASSERT_OK(uv_read_start((uv_stream_t*) &p->tcp, s_alloc, s_read_cb));
}

static void raise_fd_limit(void) {
  struct rlimit rl;
  ASSERT_OK(getrlimit(RLIMIT_NOFILE, &rl));
  rl.rlim_cur = rl.rlim_max;
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &rl));
  if (rl.rlim_cur < (rlim_t) N + 100) {
    N = (int) rl.rlim_cur - 100;
    printf("descriptor limit %lu: %d connections\n",
           (unsigned long) rl.rlim_cur, N);
  }
  ASSERT_GE(N, 1000);
}

int main(void) {
  long fds_before, rss_before;
  uint64_t expected = 0;
  socklen_t len = sizeof(server_addr);
  int status, i;
  pid_t pid;

  signal(SIGPIPE, SIG_IGN);
  if (strcmp(under_checker(), "") != 0)
    N /= 10;
  raise_fd_limit();
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_loop_close(&loop));
  fds_before = fd_count();
  rss_before = rss_kib();

  peers = calloc((size_t) N, sizeof(*peers));
  ASSERT_NOT_NULL(peers);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tcp_init(&loop, &listener));
  ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &server_addr));
  ASSERT_OK(uv_tcp_bind(&listener, (const struct sockaddr*) &server_addr, 0));
  ASSERT_OK(uv_tcp_getsockname(&listener, (struct sockaddr*) &server_addr,
                               (int*) &len));
  ASSERT_OK(uv_listen((uv_stream_t*) &listener, 1024, on_connection));

  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    /* The child leaves the parent's loop alone and runs its own. */
    int fd;
    ASSERT_OK(uv_fileno((uv_handle_t*) &listener, &fd));
    close(fd);
    _exit(run_client());
  }

  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  ASSERT_EQ(accepted, N);
  ASSERT_EQ(eofs, N);
  ASSERT_EQ(closed, N);
  for (i = 0; i < N; i++)
    expected += msg_len(i);
  ASSERT_UEQ(bytes_echoed, expected);
  ASSERT_OK(uv_loop_close(&loop));
  free(peers);
  ASSERT_EQ(fd_count(), fds_before);
  (void) expect_rss_back(rss_before, 16 * 1024);
  printf("ok: %d connections echoed %" PRIu64 " bytes\n", N, bytes_echoed);
  return 0;
}
