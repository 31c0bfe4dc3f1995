/* TCP: an echo round trip on loopback (several buffers per write, partial
 * reads, shutdown, EOF both ways), names, options, and the hostile cases:
 * connect to a closed port, bind an address in use, write after shutdown,
 * read on an unconnected socket, close with writes queued. */
#include "test.h"
#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static uv_loop_t loop;

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short) port);
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", &a.sin_addr), 1);
  return a;
}

static int bound_port(uv_tcp_t* h) {
  struct sockaddr_in a;
  int len = sizeof(a);
  ASSERT_OK(uv_tcp_getsockname(h, (struct sockaddr*) &a, &len));
  ASSERT_EQ(len, (int) sizeof(a));
  return ntohs(a.sin_port);
}

static void alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  static char slab[65536];
  (void) h;
  ASSERT_GT(suggested, 0);
  buf->base = slab;
  buf->len = sizeof(slab);
}

/* ---- echo ---- */

static uv_tcp_t server, peer, client;
static uv_connect_t connect_req;
static uv_write_t echo_req, client_req;
static uv_shutdown_t shutdown_req;
static char echo_buf[64];
static char got[64];
static size_t got_len;
static int peer_eof, client_eof, connect_status = 1, write_status = 1,
           shutdown_status = 1, echo_writes;

static void peer_write_cb(uv_write_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  echo_writes++;
}

static void peer_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  uv_buf_t out;
  if (n == UV_EOF) {
    peer_eof = 1;
    uv_close((uv_handle_t*) s, NULL);
    return;
  }
  ASSERT_GE(n, 0);
  if (n == 0)
    return;
  ASSERT_LE((size_t) n, sizeof(echo_buf));
  memcpy(echo_buf, buf->base, (size_t) n);
  out = uv_buf_init(echo_buf, (unsigned) n);
  ASSERT_OK(uv_write(&echo_req, s, &out, 1, peer_write_cb));
}

static void connection_cb(uv_stream_t* s, int status) {
  ASSERT_OK(status);
  ASSERT_OK(uv_tcp_init(&loop, &peer));
  ASSERT_OK(uv_accept(s, (uv_stream_t*) &peer));
  ASSERT_ERR(uv_accept(s, (uv_stream_t*) &peer), UV_EAGAIN);
  ASSERT_OK(uv_read_start((uv_stream_t*) &peer, alloc_cb, peer_read_cb));
  uv_close((uv_handle_t*) &server, NULL);
}

static void shutdown_cb(uv_shutdown_t* req, int status) {
  (void) req;
  shutdown_status = status;
}

static void client_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  if (n == UV_EOF) {
    client_eof = 1;
    uv_close((uv_handle_t*) s, NULL);
    return;
  }
  ASSERT_GE(n, 0);
  memcpy(got + got_len, buf->base, (size_t) n);
  got_len += (size_t) n;
  if (got_len == 11) {
    /* Everything echoed: half-close; the peer sees EOF and closes. */
    ASSERT_OK(uv_shutdown(&shutdown_req, s, shutdown_cb));
    ASSERT_ERR(uv_shutdown(&shutdown_req, s, shutdown_cb), UV_ENOTCONN);
  }
}

static void client_write_cb(uv_write_t* req, int status) {
  ASSERT_PTR_EQ(req, &client_req);
  write_status = status;
}

static void connect_cb(uv_connect_t* req, int status) {
  uv_buf_t bufs[3];
  connect_status = status;
  ASSERT_OK(status);
  bufs[0] = uv_buf_init("hello", 5);
  bufs[1] = uv_buf_init("", 0);
  bufs[2] = uv_buf_init(" world", 6);
  /* No buffers, or a negative count turned unsigned: refused since libuv
   * 1.45 (1.44 asserts instead, so only check libraries that refuse). */
  if (uv_version() >= 0x012d00) {
    ASSERT_ERR(uv_write(&client_req, req->handle, bufs, 0, client_write_cb), UV_EINVAL);
    ASSERT_ERR(uv_write(&client_req, req->handle, bufs, (unsigned) -42, client_write_cb), UV_EINVAL);
  }
  ASSERT_OK(uv_write(&client_req, req->handle, bufs, 3, client_write_cb));
  ASSERT_OK(uv_read_start(req->handle, alloc_cb, client_read_cb));
  ASSERT_ERR(uv_read_start(req->handle, alloc_cb, client_read_cb), UV_EALREADY);
}

static void test_echo(void) {
  struct sockaddr_in addr = loopback(0);
  struct sockaddr_in peer_addr;
  int len;

  ASSERT_OK(uv_tcp_init(&loop, &server));
  ASSERT_OK(uv_tcp_bind(&server, (const struct sockaddr*) &addr, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 16, connection_cb));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &server), 1);
  /* A listening socket is not a byte stream either way. */
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &server), 0);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &server), 0);
  addr = loopback(bound_port(&server));

  ASSERT_OK(uv_tcp_init(&loop, &client));
  ASSERT_ERR(uv_read_start((uv_stream_t*) &client, alloc_cb, client_read_cb), UV_ENOTCONN);
  ASSERT_OK(uv_tcp_nodelay(&client, 1));
  ASSERT_OK(uv_tcp_keepalive(&client, 1, 60));
  ASSERT_OK(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*) &addr, connect_cb));
  ASSERT_ERR(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*) &addr, connect_cb), UV_EALREADY);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_OK(connect_status);
  ASSERT_OK(write_status);
  ASSERT_OK(shutdown_status);
  ASSERT_EQ(echo_writes, 1);
  ASSERT_EQ(got_len, 11);
  ASSERT_OK(memcmp(got, "hello world", 11));
  ASSERT_EQ(peer_eof, 1);
  ASSERT_EQ(client_eof, 1);
  (void) peer_addr;
  (void) len;
}

/* ---- connect refused ---- */

static int refused_status = 1;

static void refused_cb(uv_connect_t* req, int status) {
  refused_status = status;
  uv_close((uv_handle_t*) req->handle, NULL);
}

static void test_connect_refused(void) {
  uv_tcp_t probe, c;
  struct sockaddr_in addr = loopback(0);
  int port;

  /* A port that was just free: bind, note it, close. */
  ASSERT_OK(uv_tcp_init(&loop, &probe));
  ASSERT_OK(uv_tcp_bind(&probe, (const struct sockaddr*) &addr, 0));
  port = bound_port(&probe);
  uv_close((uv_handle_t*) &probe, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  addr = loopback(port);
  ASSERT_OK(uv_tcp_init(&loop, &c));
  ASSERT_OK(uv_tcp_connect(&connect_req, &c, (const struct sockaddr*) &addr, refused_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_ERR(refused_status, UV_ECONNREFUSED);
}

/* ---- address in use ---- */

static void never_connection_cb(uv_stream_t* s, int status) {
  (void) s;
  (void) status;
  TEST_FAIL_("no connection expected");
}

static void test_addr_in_use(void) {
  uv_tcp_t a, b;
  struct sockaddr_in addr = loopback(0);
  int r;

  ASSERT_OK(uv_tcp_init(&loop, &a));
  ASSERT_OK(uv_tcp_bind(&a, (const struct sockaddr*) &addr, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &a, 1, never_connection_cb));
  addr = loopback(bound_port(&a));

  /* libuv reports the busy address from bind or, deferred, from listen. */
  ASSERT_OK(uv_tcp_init(&loop, &b));
  r = uv_tcp_bind(&b, (const struct sockaddr*) &addr, 0);
  if (r == 0)
    r = uv_listen((uv_stream_t*) &b, 1, never_connection_cb);
  ASSERT_ERR(r, UV_EADDRINUSE);

  /* Bad arguments. */
  addr.sin_family = AF_UNIX;
  ASSERT_ERR(uv_tcp_bind(&b, (const struct sockaddr*) &addr, 0), UV_EINVAL);
  addr.sin_family = AF_INET;
  ASSERT_ERR(uv_tcp_bind(&b, (const struct sockaddr*) &addr, UV_TCP_IPV6ONLY), UV_EINVAL);
  ASSERT_ERR(uv_tcp_init_ex(&loop, &b, 0x1000), UV_EINVAL);

  uv_close((uv_handle_t*) &a, NULL);
  uv_close((uv_handle_t*) &b, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

/* ---- queued writes cancelled by close; write after shutdown ---- */

#define NWRITES 16
#define CHUNK (1 << 20)
static uv_tcp_t q_server, q_peer, q_client;
static uv_write_t q_reqs[NWRITES];
static int q_calls[NWRITES];
static int q_cancelled;
static char* q_data;
static uv_shutdown_t q_shutdown;
static int q_shutdown_status = 1;

static void q_write_cb(uv_write_t* req, int status) {
  int i = (int) (req - q_reqs);
  q_calls[i]++;
  if (status == UV_ECANCELED)
    q_cancelled++;
  else
    ASSERT_OK(status);
}

static void q_shutdown_cb(uv_shutdown_t* req, int status) {
  (void) req;
  q_shutdown_status = status;
}

static void q_connect_cb(uv_connect_t* req, int status) {
  uv_buf_t buf = uv_buf_init(q_data, CHUNK);
  int i;
  ASSERT_OK(status);
  /* The peer never reads: most of these stay queued. */
  for (i = 0; i < NWRITES; i++)
    ASSERT_OK(uv_write(&q_reqs[i], req->handle, &buf, 1, q_write_cb));
  ASSERT_GT(uv_stream_get_write_queue_size(req->handle), 0);
  ASSERT_EQ(uv_stream_get_write_queue_size(req->handle), ((uv_stream_t*) req->handle)->write_queue_size);
  ASSERT_ERR(uv_try_write(req->handle, &buf, 1), UV_EAGAIN);
  ASSERT_OK(uv_shutdown(&q_shutdown, req->handle, q_shutdown_cb));
  ASSERT_ERR(uv_write(&q_reqs[0], req->handle, &buf, 1, q_write_cb), UV_EPIPE);
  ASSERT_EQ(uv_is_writable(req->handle), 0);
  uv_close((uv_handle_t*) req->handle, NULL);
  uv_close((uv_handle_t*) &q_server, NULL);
  uv_close((uv_handle_t*) &q_peer, NULL);
}

static void q_connection_cb(uv_stream_t* s, int status) {
  ASSERT_OK(status);
  ASSERT_OK(uv_tcp_init(&loop, &q_peer));
  ASSERT_OK(uv_accept(s, (uv_stream_t*) &q_peer));
}

static void test_close_with_queued_writes(void) {
  struct sockaddr_in addr = loopback(0);
  int i;

  q_data = calloc(1, CHUNK);
  ASSERT_NOT_NULL(q_data);
  ASSERT_OK(uv_tcp_init(&loop, &q_server));
  ASSERT_OK(uv_tcp_bind(&q_server, (const struct sockaddr*) &addr, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &q_server, 1, q_connection_cb));
  addr = loopback(bound_port(&q_server));
  ASSERT_OK(uv_tcp_init(&loop, &q_client));
  ASSERT_OK(uv_tcp_connect(&connect_req, &q_client, (const struct sockaddr*) &addr, q_connect_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  for (i = 0; i < NWRITES; i++)
    ASSERT_EQ(q_calls[i], 1);
  ASSERT_GT(q_cancelled, 0);
  ASSERT_ERR(q_shutdown_status, UV_ECANCELED);
  free(q_data);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  ASSERT_OK(uv_loop_init(&loop));
  test_echo();
  test_connect_refused();
  test_addr_in_use();
  test_close_with_queued_writes();
  close_loop(&loop);
  return 0;
}
