/* Pipes: a Unix-socket echo with names, connect errors through the
 * callback, binding a bad or busy name, uv_pipe() with uv_pipe_open, and
 * IPC: a TCP handle passed over a socketpair arrives as a working socket. */
#include "test.h"
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uv_loop_t loop;
static char path[64];

static void alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  static char slab[4096];
  (void) h;
  (void) suggested;
  buf->base = slab;
  buf->len = sizeof(slab);
}

/* ---- echo over a named socket ---- */

static uv_pipe_t server, peer, client;
static uv_connect_t connect_req;
static uv_write_t wreq, echo_req;
static char echo_buf[64];
static int connected, echoed, peer_closed;

static void echo_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  uv_buf_t out;
  if (n < 0) {
    ASSERT_ERR(n, UV_EOF);
    peer_closed = 1;
    uv_close((uv_handle_t*) s, NULL);
    return;
  }
  if (n == 0)
    return;
  memcpy(echo_buf, buf->base, (size_t) n);
  out = uv_buf_init(echo_buf, (unsigned) n);
  ASSERT_OK(uv_write(&echo_req, s, &out, 1, NULL));
}

static void connection_cb(uv_stream_t* s, int status) {
  ASSERT_OK(status);
  ASSERT_OK(uv_pipe_init(&loop, &peer, 0));
  ASSERT_OK(uv_accept(s, (uv_stream_t*) &peer));
  ASSERT_OK(uv_read_start((uv_stream_t*) &peer, alloc_cb, echo_read_cb));
  uv_close((uv_handle_t*) &server, NULL);
}

static void client_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  if (n == 0)
    return;
  ASSERT_EQ(n, 4);
  ASSERT_OK(memcmp(buf->base, "ping", 4));
  echoed = 1;
  uv_close((uv_handle_t*) s, NULL);
}

static void connect_cb(uv_connect_t* req, int status) {
  uv_buf_t buf = uv_buf_init("ping", 4);
  char name[128];
  size_t size = sizeof(name);
  ASSERT_OK(status);
  connected = 1;
  ASSERT_OK(uv_pipe_getpeername((uv_pipe_t*) req->handle, name, &size));
  ASSERT_EQ(size, strlen(path));
  ASSERT_STR_EQ(name, path);
  size = 3;
  ASSERT_ERR(uv_pipe_getpeername((uv_pipe_t*) req->handle, name, &size), UV_ENOBUFS);
  ASSERT_EQ(size, strlen(path) + 1);
  ASSERT_OK(uv_write(&wreq, req->handle, &buf, 1, NULL));
  ASSERT_OK(uv_read_start(req->handle, alloc_cb, client_read_cb));
}

static void test_echo(void) {
  char name[128];
  size_t size = sizeof(name);
  uv_pipe_t busy;

  ASSERT_OK(uv_pipe_init(&loop, &server, 0));
  ASSERT_OK(uv_pipe_bind(&server, path));
  ASSERT_OK(uv_pipe_getsockname(&server, name, &size));
  ASSERT_STR_EQ(name, path);
  /* chmod opens the socket file to everyone; bad modes are refused. */
  ASSERT_OK(uv_pipe_chmod(&server, UV_READABLE | UV_WRITABLE));
  {
    struct stat st;
    ASSERT_OK(stat(path, &st));
    ASSERT_EQ(st.st_mode & (S_IROTH | S_IWOTH), S_IROTH | S_IWOTH);
  }
  ASSERT_ERR(uv_pipe_chmod(&server, 0), UV_EINVAL);
  ASSERT_ERR(uv_pipe_chmod(&server, 4), UV_EINVAL);
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 4, connection_cb));

  /* The name is taken now. */
  ASSERT_OK(uv_pipe_init(&loop, &busy, 0));
  ASSERT_ERR(uv_pipe_bind(&busy, path), UV_EADDRINUSE);
  uv_close((uv_handle_t*) &busy, NULL);

  ASSERT_OK(uv_pipe_init(&loop, &client, 0));
  uv_pipe_connect(&connect_req, &client, path, connect_cb);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(connected, 1);
  ASSERT_EQ(echoed, 1);
  ASSERT_EQ(peer_closed, 1);
  /* Closing the server removed the socket file. */
  ASSERT_NE(access(path, F_OK), 0);
}

/* ---- errors ---- */

static int connect_error = 1;

static void failed_connect_cb(uv_connect_t* req, int status) {
  connect_error = status;
  uv_close((uv_handle_t*) req->handle, NULL);
}

static void test_errors(void) {
  uv_pipe_t p;

  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  uv_pipe_connect(&connect_req, &p, "/nonexistent-rsuv-dir/socket", failed_connect_cb);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_ERR(connect_error, UV_ENOENT);

  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_ERR(uv_pipe_bind(&p, "/nonexistent-rsuv-dir/socket"), UV_EACCES);
  ASSERT_ERR(uv_listen((uv_stream_t*) &p, 1, connection_cb), UV_EINVAL);
  uv_close((uv_handle_t*) &p, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

/* ---- uv_pipe() ---- */

static uv_pipe_t rd, wr;
static int got_data;

static void pipe_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  if (n == UV_EOF) {
    uv_close((uv_handle_t*) s, NULL);
    return;
  }
  ASSERT_GE(n, 0);
  if (n > 0) {
    ASSERT_OK(memcmp(buf->base, "abc", 3));
    got_data = 1;
  }
}

static void test_anonymous_pipe(void) {
  uv_file fds[2];
  uv_buf_t buf = uv_buf_init("abc", 3);

  ASSERT_OK(uv_pipe(fds, UV_NONBLOCK_PIPE, UV_NONBLOCK_PIPE));
  ASSERT_OK(uv_pipe_init(&loop, &rd, 0));
  ASSERT_OK(uv_pipe_init(&loop, &wr, 0));
  ASSERT_OK(uv_pipe_open(&rd, fds[0]));
  ASSERT_OK(uv_pipe_open(&wr, fds[1]));
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &rd), 1);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &rd), 0);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &wr), 1);
  ASSERT_EQ(uv_try_write((uv_stream_t*) &wr, &buf, 1), 3);
  ASSERT_OK(uv_read_start((uv_stream_t*) &rd, alloc_cb, pipe_read_cb));
  uv_close((uv_handle_t*) &wr, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(got_data, 1);
}

/* Two IPC pipes joined by a socket pair. */
static void open_ipc_pair(uv_pipe_t* a, uv_pipe_t* b) {
  int fds[2];
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, fds, UV_NONBLOCK_PIPE, UV_NONBLOCK_PIPE));
  ASSERT_OK(uv_pipe_init(&loop, a, 1));
  ASSERT_OK(uv_pipe_init(&loop, b, 1));
  ASSERT_OK(uv_pipe_open(a, fds[0]));
  ASSERT_OK(uv_pipe_open(b, fds[1]));
}

/* ---- IPC ---- */

static uv_pipe_t ipc_a, ipc_b;
static uv_tcp_t listener, received;
static uv_write_t ipc_req;
static int handle_arrived;
static int listener_port;

static void ipc_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct sockaddr_in a;
  int len = sizeof(a);
  (void) buf;
  if (n == 0)
    return;
  ASSERT_GT(n, 0);
  ASSERT_EQ(uv_pipe_pending_count((uv_pipe_t*) s), 1);
  ASSERT_EQ(uv_pipe_pending_type((uv_pipe_t*) s), UV_TCP);
  ASSERT_OK(uv_tcp_init(&loop, &received));
  ASSERT_OK(uv_accept(s, (uv_stream_t*) &received));
  ASSERT_EQ(uv_pipe_pending_count((uv_pipe_t*) s), 0);
  ASSERT_OK(uv_tcp_getsockname(&received, (struct sockaddr*) &a, &len));
  ASSERT_EQ(ntohs(a.sin_port), listener_port);
  handle_arrived = 1;
  uv_close((uv_handle_t*) &received, NULL);
  uv_close((uv_handle_t*) &ipc_a, NULL);
  uv_close((uv_handle_t*) &ipc_b, NULL);
  uv_close((uv_handle_t*) &listener, NULL);
}

static void test_ipc(void) {
  struct sockaddr_in addr;
  int len = sizeof(addr);
  uv_buf_t buf = uv_buf_init("h", 1);

  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr), 1);
  ASSERT_OK(uv_tcp_init(&loop, &listener));
  ASSERT_OK(uv_tcp_bind(&listener, (const struct sockaddr*) &addr, 0));
  ASSERT_OK(uv_tcp_getsockname(&listener, (struct sockaddr*) &addr, &len));
  listener_port = ntohs(addr.sin_port);

  open_ipc_pair(&ipc_a, &ipc_b);
  ASSERT_EQ(uv_pipe_pending_count(&ipc_b), 0);

  /* A non-IPC pipe cannot carry handles. */
  ASSERT_ERR(uv_write2(&ipc_req, (uv_stream_t*) &wr, &buf, 1, (uv_stream_t*) &listener, NULL), UV_EBADF);
  ASSERT_OK(uv_write2(&ipc_req, (uv_stream_t*) &ipc_a, &buf, 1, (uv_stream_t*) &listener, NULL));
  ASSERT_OK(uv_read_start((uv_stream_t*) &ipc_b, alloc_cb, ipc_read_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(handle_arrived, 1);
}

/* ---- IPC with a UDP handle ---- */

static uv_pipe_t ua, ub;
static uv_udp_t udp_sent, udp_received;
static uv_write_t udp_req;
static int udp_port, udp_arrived;

static void udp_ipc_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct sockaddr_in a;
  int len = sizeof(a);
  (void) buf;
  if (n == 0)
    return;
  ASSERT_GT(n, 0);
  ASSERT_EQ(uv_pipe_pending_count((uv_pipe_t*) s), 1);
  ASSERT_EQ(uv_pipe_pending_type((uv_pipe_t*) s), UV_UDP);
  ASSERT_OK(uv_udp_init(&loop, &udp_received));
  ASSERT_OK(uv_accept(s, (uv_stream_t*) &udp_received));
  ASSERT_OK(uv_udp_getsockname(&udp_received, (struct sockaddr*) &a, &len));
  ASSERT_EQ(ntohs(a.sin_port), udp_port);
  udp_arrived = 1;
  uv_close((uv_handle_t*) &udp_received, NULL);
  uv_close((uv_handle_t*) &udp_sent, NULL);
  uv_close((uv_handle_t*) &ua, NULL);
  uv_close((uv_handle_t*) &ub, NULL);
}

static void test_ipc_udp(void) {
  struct sockaddr_in addr;
  int len = sizeof(addr);
  uv_buf_t buf = uv_buf_init("u", 1);

  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr), 1);
  ASSERT_OK(uv_udp_init(&loop, &udp_sent));
  ASSERT_OK(uv_udp_bind(&udp_sent, (const struct sockaddr*) &addr, 0));
  ASSERT_OK(uv_udp_getsockname(&udp_sent, (struct sockaddr*) &addr, &len));
  udp_port = ntohs(addr.sin_port);

  open_ipc_pair(&ua, &ub);
  ASSERT_OK(uv_write2(&udp_req, (uv_stream_t*) &ua, &buf, 1, (uv_stream_t*) &udp_sent, NULL));
  ASSERT_OK(uv_read_start((uv_stream_t*) &ub, alloc_cb, udp_ipc_read_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(udp_arrived, 1);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  snprintf(path, sizeof(path), "/tmp/rsuv-test-pipe-%d.sock", (int) getpid());
  unlink(path);
  ASSERT_OK(uv_loop_init(&loop));
  test_echo();
  test_errors();
  test_anonymous_pipe();
  test_ipc();
  test_ipc_udp();
  close_loop(&loop);
  unlink(path);
  return 0;
}
