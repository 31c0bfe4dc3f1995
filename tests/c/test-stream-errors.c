/* Streams: the documented errors. uv_write / uv_try_write on a handle with
 * no socket or a closing one (UV_EBADF), with nbufs 0 (UV_EINVAL, libuv
 * 1.52+), on a listening socket (UV_EPIPE), with a send handle on a TCP
 * stream (UV_EINVAL); uv_try_write while connecting (UV_EAGAIN);
 * uv_read_stop twice; uv_read_start / uv_listen on a closing handle
 * (UV_EINVAL); uv_accept with nothing pending (UV_EAGAIN); a listening TCP
 * socket or pipe is neither readable nor writable; uv_shutdown twice
 * (UV_ENOTCONN) and a write after it (UV_EPIPE); uv_stream_set_blocking and
 * a blocking uv_try_write; uv_tcp_open / uv_pipe_open of a descriptor this
 * loop already watches (UV_EEXIST); uv_pipe_bind2 / uv_pipe_connect2 with bad
 * arguments (libuv 1.46+: looked up with dlsym, skipped when absent). */
#include "test.h"
#include <arpa/inet.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define PIPE_NO_TRUNCATE_ 1u /* UV_PIPE_NO_TRUNCATE, libuv 1.46+ */

static uv_loop_t loop;
static struct sockaddr_in server_addr;
static uv_tcp_t server;
static uv_tcp_t accepted[8];
static uv_tcp_t spare; /* an initialized handle that uv_accept never fills */
static int naccepted, nconnected;

static void alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  static char slab[65536];
  (void) h;
  (void) suggested;
  buf->base = slab;
  buf->len = sizeof(slab);
}

static void read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  (void) s;
  (void) n;
  (void) buf;
}

static void connection_cb(uv_stream_t* s, int status) {
  ASSERT_OK(status);
  ASSERT_LT(naccepted, 7);
  ASSERT_OK(uv_tcp_init(&loop, &accepted[naccepted]));
  ASSERT_OK(uv_accept(s, (uv_stream_t*) &accepted[naccepted]));
  naccepted++;
  /* Nothing more pending. */
  ASSERT_ERR(uv_accept(s, (uv_stream_t*) &spare), UV_EAGAIN);
}

static void connect_cb(uv_connect_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  nconnected++;
}

/* Connects `c` to the server and runs the loop until the connection is
 * accepted; returns the accepted end. */
static uv_tcp_t* connect_pair(uv_tcp_t* c) {
  static uv_connect_t req;
  int want = naccepted + 1, want_c = nconnected + 1;
  char buf[4] = "abc";
  uv_buf_t b = uv_buf_init(buf, 3);

  ASSERT_OK(uv_tcp_init(&loop, c));
  ASSERT_OK(uv_tcp_connect(&req, c, (const struct sockaddr*) &server_addr, connect_cb));
  /* Connecting: uv_try_write cannot write yet. */
  ASSERT_ERR(uv_try_write((uv_stream_t*) c, &b, 1), UV_EAGAIN);
  while (naccepted < want || nconnected < want_c)
    ASSERT_EQ(uv_run(&loop, UV_RUN_ONCE), 1);
  return &accepted[want - 1];
}

static void run_until_closed(void) {
  /* The listening server stays active: leave it out while the close
   * callbacks (and pending requests) run. */
  uv_unref((uv_handle_t*) &server);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  uv_ref((uv_handle_t*) &server);
}

static int write_status;
static void write_cb(uv_write_t* req, int status) {
  (void) req;
  write_status = status;
}

/* ---- no socket, listening socket, closing handle ---- */

static void test_no_socket_and_closing(void) {
  uv_tcp_t t, c;
  uv_tcp_t* p;
  uv_write_t w;
  uv_shutdown_t sreq;
  char data[] = "x";
  uv_buf_t b = uv_buf_init(data, 1);

  /* A TCP handle that has no socket yet. */
  ASSERT_OK(uv_tcp_init(&loop, &t));
  ASSERT_ERR(uv_write(&w, (uv_stream_t*) &t, &b, 1, write_cb), UV_EBADF);
  ASSERT_ERR(uv_try_write((uv_stream_t*) &t, &b, 1), UV_EBADF);
  ASSERT_ERR(uv_shutdown(&sreq, (uv_stream_t*) &t, NULL), UV_ENOTCONN);
  ASSERT_ERR(uv_read_start((uv_stream_t*) &t, alloc_cb, read_cb), UV_ENOTCONN);
  ASSERT_ERR(uv_accept((uv_stream_t*) &t, (uv_stream_t*) &spare), UV_EAGAIN);
  ASSERT_OK(uv_read_stop((uv_stream_t*) &t));
  ASSERT_OK(uv_read_stop((uv_stream_t*) &t));
  uv_close((uv_handle_t*) &t, NULL);

  /* A listening socket is neither readable nor writable. */
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &server), 0);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &server), 0);
  ASSERT_ERR(uv_write(&w, (uv_stream_t*) &server, &b, 1, write_cb), UV_EPIPE);
  ASSERT_ERR(uv_try_write((uv_stream_t*) &server, &b, 1), UV_EPIPE);
  ASSERT_ERR(uv_read_start((uv_stream_t*) &server, alloc_cb, read_cb), UV_ENOTCONN);
  ASSERT_ERR(uv_shutdown(&sreq, (uv_stream_t*) &server, NULL), UV_ENOTCONN);

  /* A connected handle, once uv_close has been called on it. */
  p = connect_pair(&c);
  uv_close((uv_handle_t*) &c, NULL);
  ASSERT_ERR(uv_write(&w, (uv_stream_t*) &c, &b, 1, write_cb), UV_EBADF);
  ASSERT_ERR(uv_try_write((uv_stream_t*) &c, &b, 1), UV_EBADF);
  ASSERT_ERR(uv_read_start((uv_stream_t*) &c, alloc_cb, read_cb), UV_EINVAL);
  ASSERT_ERR(uv_shutdown(&sreq, (uv_stream_t*) &c, NULL), UV_ENOTCONN);
  ASSERT_ERR(uv_listen((uv_stream_t*) &c, 1, connection_cb), UV_EINVAL);
  uv_close((uv_handle_t*) p, NULL);

  /* uv_listen on a closing (bound, never listening) handle. */
  ASSERT_OK(uv_tcp_init(&loop, &t));
  {
    struct sockaddr_in a = server_addr;
    a.sin_port = 0;
    ASSERT_OK(uv_tcp_bind(&t, (const struct sockaddr*) &a, 0));
  }
  uv_close((uv_handle_t*) &t, NULL);
  ASSERT_ERR(uv_listen((uv_stream_t*) &t, 1, connection_cb), UV_EINVAL);
  run_until_closed();
}

/* ---- a listening pipe, like a listening TCP socket ---- */

static void never_cb(uv_stream_t* s, int status) {
  (void) s;
  (void) status;
  TEST_FAIL_("no connection expected");
}

static void test_pipe_listener(void) {
  uv_pipe_t lp;
  uv_write_t w;
  char path[64];
  char data[] = "x";
  uv_buf_t b = uv_buf_init(data, 1);

  snprintf(path, sizeof(path), "/tmp/rsuv-test-stream-errors-l-%d.sock", (int) getpid());
  unlink(path);
  ASSERT_OK(uv_pipe_init(&loop, &lp, 0));
  ASSERT_OK(uv_pipe_bind(&lp, path));
  ASSERT_OK(uv_listen((uv_stream_t*) &lp, 1, never_cb));
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &lp), 0);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &lp), 0);
  ASSERT_ERR(uv_write(&w, (uv_stream_t*) &lp, &b, 1, write_cb), UV_EPIPE);
  ASSERT_ERR(uv_read_start((uv_stream_t*) &lp, alloc_cb, read_cb), UV_ENOTCONN);
  ASSERT_ERR(uv_accept((uv_stream_t*) &lp, (uv_stream_t*) &spare), UV_EAGAIN);
  uv_close((uv_handle_t*) &lp, NULL);
  run_until_closed();
  ASSERT_NE(access(path, F_OK), 0);
  unlink(path);
}

/* ---- bad buffers and send handles; read_stop twice ---- */

static void test_bad_args(void) {
  uv_tcp_t c;
  uv_tcp_t* p;
  uv_write_t w;
  char data[] = "x";
  uv_buf_t b = uv_buf_init(data, 1);

  p = connect_pair(&c);
  if (uv_version() >= 0x013400) {
    /* libuv 1.52 checks nbufs (older versions assert). */
    ASSERT_ERR(uv_write(&w, (uv_stream_t*) &c, &b, 0, write_cb), UV_EINVAL);
    ASSERT_ERR(uv_try_write((uv_stream_t*) &c, &b, 0), UV_EINVAL);
  }
  /* Only an IPC pipe carries handles. */
  ASSERT_ERR(uv_write2(&w, (uv_stream_t*) &c, &b, 1, (uv_stream_t*) p, write_cb), UV_EINVAL);
  ASSERT_EQ(uv_stream_get_write_queue_size((uv_stream_t*) &c), 0);

  /* uv_read_stop: idempotent, before and after a start. */
  ASSERT_OK(uv_read_stop((uv_stream_t*) &c));
  ASSERT_OK(uv_read_start((uv_stream_t*) &c, alloc_cb, read_cb));
  ASSERT_ERR(uv_read_start((uv_stream_t*) &c, alloc_cb, read_cb), UV_EALREADY);
  ASSERT_OK(uv_read_stop((uv_stream_t*) &c));
  ASSERT_OK(uv_read_stop((uv_stream_t*) &c));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &c), 0);
  ASSERT_OK(uv_read_start((uv_stream_t*) &c, alloc_cb, read_cb));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &c), 1);
  ASSERT_OK(uv_read_stop((uv_stream_t*) &c));

  uv_close((uv_handle_t*) &c, NULL);
  uv_close((uv_handle_t*) p, NULL);
  run_until_closed();
}

/* ---- shutdown twice, write after shutdown ---- */

static int shutdown_calls, shutdown_status = 1, peer_eof;
static size_t peer_bytes;

static void shutdown_cb(uv_shutdown_t* req, int status) {
  (void) req;
  shutdown_calls++;
  shutdown_status = status;
}

static void eof_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  (void) buf;
  if (n == UV_EOF) {
    peer_eof = 1;
    /* EOF leaves the stream readable (libuv >= 1.43): reading may resume. */
    ASSERT_EQ(uv_is_readable(s), 1);
    ASSERT_OK(uv_read_stop(s));
    return;
  }
  ASSERT_GE(n, 0);
  peer_bytes += (size_t) n;
}

static void test_shutdown(void) {
  uv_tcp_t c;
  uv_tcp_t* p;
  uv_write_t w;
  uv_shutdown_t s1, s2;
  char data[] = "hello";
  uv_buf_t b = uv_buf_init(data, 5);

  p = connect_pair(&c);
  ASSERT_OK(uv_read_start((uv_stream_t*) p, alloc_cb, eof_read_cb));
  write_status = 1;
  ASSERT_OK(uv_write(&w, (uv_stream_t*) &c, &b, 1, write_cb));
  ASSERT_OK(uv_shutdown(&s1, (uv_stream_t*) &c, shutdown_cb));
  ASSERT_ERR(uv_shutdown(&s2, (uv_stream_t*) &c, shutdown_cb), UV_ENOTCONN);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &c), 0);
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &c), 1);
  ASSERT_ERR(uv_write(&w, (uv_stream_t*) &c, &b, 1, write_cb), UV_EPIPE);
  while (shutdown_calls == 0 || !peer_eof)
    ASSERT_EQ(uv_run(&loop, UV_RUN_ONCE), 1);
  ASSERT_OK(write_status);
  ASSERT_OK(shutdown_status);
  ASSERT_EQ(shutdown_calls, 1);
  ASSERT_EQ(peer_bytes, 5);
  ASSERT_OK(uv_read_start((uv_stream_t*) p, alloc_cb, eof_read_cb));
  ASSERT_OK(uv_read_stop((uv_stream_t*) p));
  /* Still half-closed after the shutdown completed. */
  ASSERT_ERR(uv_shutdown(&s2, (uv_stream_t*) &c, shutdown_cb), UV_ENOTCONN);
  ASSERT_ERR(uv_write(&w, (uv_stream_t*) &c, &b, 1, write_cb), UV_EPIPE);
  ASSERT_ERR(uv_try_write((uv_stream_t*) &c, &b, 1), UV_EPIPE);
  /* The other direction still works. */
  ASSERT_EQ(uv_try_write((uv_stream_t*) p, &b, 1), 5);

  uv_close((uv_handle_t*) &c, NULL);
  uv_close((uv_handle_t*) p, NULL);
  run_until_closed();
  ASSERT_EQ(shutdown_calls, 1);
}

/* ---- blocking mode ---- */

static char blk_got[4096];
static size_t blk_len;

static void blk_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  ASSERT_GE(n, 0);
  ASSERT_LE(blk_len + (size_t) n, sizeof(blk_got));
  memcpy(blk_got + blk_len, buf->base, (size_t) n);
  blk_len += (size_t) n;
  if (blk_len == sizeof(blk_got))
    ASSERT_OK(uv_read_stop(s));
}

static void test_blocking(void) {
  uv_tcp_t c;
  uv_tcp_t* p;
  static char data[4096];
  uv_buf_t bufs[2];
  size_t i;

  for (i = 0; i < sizeof(data); i++)
    data[i] = (char) (i * 7);
  bufs[0] = uv_buf_init(data, 1000);
  bufs[1] = uv_buf_init(data + 1000, (unsigned) sizeof(data) - 1000);

  p = connect_pair(&c);
  ASSERT_OK(uv_stream_set_blocking((uv_stream_t*) &c, 1));
  /* In blocking mode the whole buffer goes out in one call. */
  ASSERT_EQ(uv_try_write((uv_stream_t*) &c, bufs, 2), (int) sizeof(data));
  ASSERT_OK(uv_stream_set_blocking((uv_stream_t*) &c, 0));
  ASSERT_OK(uv_read_start((uv_stream_t*) p, alloc_cb, blk_read_cb));
  while (blk_len < sizeof(blk_got))
    ASSERT_EQ(uv_run(&loop, UV_RUN_ONCE), 1);
  ASSERT_OK(memcmp(blk_got, data, sizeof(data)));

  uv_close((uv_handle_t*) &c, NULL);
  uv_close((uv_handle_t*) p, NULL);
  run_until_closed();

  /* A handle with no descriptor. */
  ASSERT_OK(uv_tcp_init(&loop, &c));
  ASSERT_ERR(uv_stream_set_blocking((uv_stream_t*) &c, 1), UV_EBADF);
  uv_close((uv_handle_t*) &c, NULL);
  run_until_closed();
}

/* ---- descriptors already watched by this loop ---- */

static void test_eexist(void) {
  struct sockaddr_in a = server_addr;
  uv_tcp_t lst, other;
  uv_pipe_t pp;
  int fd;

  /* A listening socket made by hand, then given to libuv and watched. */
  a.sin_port = 0;
  fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  ASSERT_OK(bind(fd, (struct sockaddr*) &a, sizeof(a)));
  ASSERT_OK(uv_tcp_init(&loop, &lst));
  ASSERT_OK(uv_tcp_open(&lst, fd));
  ASSERT_OK(uv_listen((uv_stream_t*) &lst, 1, connection_cb));

  ASSERT_OK(uv_tcp_init(&loop, &other));
  ASSERT_ERR(uv_tcp_open(&other, fd), UV_EEXIST);
  ASSERT_OK(uv_pipe_init(&loop, &pp, 0));
  ASSERT_ERR(uv_pipe_open(&pp, fd), UV_EEXIST);
  uv_close((uv_handle_t*) &other, NULL);
  uv_close((uv_handle_t*) &pp, NULL);
  uv_close((uv_handle_t*) &lst, NULL);
  run_until_closed();

  /* A descriptor that is not open at all. */
  fd = dup(0);
  ASSERT_GE(fd, 0);
  close(fd);
  ASSERT_OK(uv_pipe_init(&loop, &pp, 0));
  ASSERT_ERR(uv_pipe_open(&pp, fd), UV_EBADF);
  uv_close((uv_handle_t*) &pp, NULL);
  run_until_closed();
}

/* ---- uv_pipe_bind2 / uv_pipe_connect2 (libuv 1.46+) ---- */

typedef int (*bind2_fn)(uv_pipe_t*, const char*, size_t, unsigned int);
typedef int (*connect2_fn)(uv_connect_t*, uv_pipe_t*, const char*, size_t,
                           unsigned int, uv_connect_cb);

static int c2_calls, c2_status = 1;

static void c2_cb(uv_connect_t* req, int status) {
  (void) req;
  c2_calls++;
  c2_status = status;
}

static void test_pipe_bind2_connect2(void) {
  void* self = dlopen(NULL, RTLD_NOW);
  bind2_fn bind2;
  connect2_fn connect2;
  uv_pipe_t p, q;
  uv_connect_t req;
  char longname[sizeof(((struct sockaddr_un*) 0)->sun_path) + 16];
  char path[64];

  ASSERT_NOT_NULL(self);
  bind2 = (bind2_fn) (uintptr_t) dlsym(self, "uv_pipe_bind2");
  connect2 = (connect2_fn) (uintptr_t) dlsym(self, "uv_pipe_connect2");
  if (bind2 == NULL || connect2 == NULL) {
    printf("uv_pipe_bind2/uv_pipe_connect2 absent (libuv %s): skipped\n", uv_version_string());
    dlclose(self);
    return;
  }
  memset(longname, 'a', sizeof(longname));
  memcpy(longname, "/tmp/", 5);

  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_ERR(bind2(&p, "/tmp/x", 6, 0x100), UV_EINVAL);            /* unknown flag */
  ASSERT_ERR(bind2(&p, NULL, 0, 0), UV_EINVAL);                    /* no name */
  ASSERT_ERR(bind2(&p, "/tmp/a\0b", 8, 0), UV_EINVAL);             /* NUL inside */
  ASSERT_ERR(bind2(&p, longname, sizeof(longname), PIPE_NO_TRUNCATE_), UV_EINVAL);

  ASSERT_ERR(connect2(&req, &p, "/tmp/x", 6, 0x100, c2_cb), UV_EINVAL);
  ASSERT_ERR(connect2(&req, &p, NULL, 0, 0, c2_cb), UV_EINVAL);
  ASSERT_ERR(connect2(&req, &p, "/tmp/x", 0, 0, c2_cb), UV_EINVAL);  /* empty name */
  ASSERT_ERR(connect2(&req, &p, "/tmp/a\0b", 8, 0, c2_cb), UV_EINVAL);
  ASSERT_ERR(connect2(&req, &p, longname, sizeof(longname), PIPE_NO_TRUNCATE_, c2_cb),
             UV_EINVAL);
  ASSERT_EQ(c2_calls, 0);

  /* A good bind, then a second bind of the same handle. */
  snprintf(path, sizeof(path), "/tmp/rsuv-test-stream-errors-%d.sock", (int) getpid());
  unlink(path);
  ASSERT_OK(bind2(&p, path, strlen(path), 0));
  ASSERT_ERR(bind2(&p, path, strlen(path), 0), UV_EINVAL);
  uv_close((uv_handle_t*) &p, NULL);

  /* Connecting to a missing name fails through the callback. */
  ASSERT_OK(uv_pipe_init(&loop, &q, 0));
  ASSERT_OK(connect2(&req, &q, "/nonexistent-rsuv-dir/s", 23, 0, c2_cb));
  run_until_closed();
  ASSERT_EQ(c2_calls, 1);
  ASSERT_ERR(c2_status, UV_ENOENT);
  uv_close((uv_handle_t*) &q, NULL);
  run_until_closed();
  ASSERT_NE(access(path, F_OK), 0);
  unlink(path);
  dlclose(self);
}

int main(void) {
  int len = sizeof(server_addr);

  signal(SIGPIPE, SIG_IGN);
  ASSERT_OK(uv_loop_init(&loop));
  memset(&server_addr, 0, sizeof(server_addr));
  server_addr.sin_family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", &server_addr.sin_addr), 1);
  ASSERT_OK(uv_tcp_init(&loop, &spare));
  ASSERT_OK(uv_tcp_init(&loop, &server));
  ASSERT_OK(uv_tcp_bind(&server, (const struct sockaddr*) &server_addr, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 8, connection_cb));
  ASSERT_OK(uv_tcp_getsockname(&server, (struct sockaddr*) &server_addr, &len));
  /* Nothing has connected yet. */
  ASSERT_ERR(uv_accept((uv_stream_t*) &server, (uv_stream_t*) &spare), UV_EAGAIN);

  test_no_socket_and_closing();
  test_pipe_listener();
  test_bad_args();
  test_shutdown();
  test_blocking();
  test_eexist();
  test_pipe_bind2_connect2();

  uv_close((uv_handle_t*) &server, NULL);
  uv_close((uv_handle_t*) &spare, NULL);
  close_loop(&loop);
  return 0;
}
