/* rsuv: ours-only: uv_udp_try_send2, uv_udp_open_ex and UV_UDP_REUSEPORT are libuv >= 1.49; libuv 1.44 asserts on zero buffers and does not read the ICMP error queue */
/* uv_udp_t beyond libuv 1.44: try_send2 (batches over 20, mixed
 * destinations, connected), open_ex flags, SO_REUSEPORT binds, zero-buffer
 * sends refused, more than four buffers per send, IP_RECVERR errors with the
 * offender's address, recvmmsg falling back for a small buffer, calls on
 * closing and uninitialized handles. */
#include "test.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static uv_loop_t loop;

static struct sockaddr_in ip4(const char* ip, int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t) port);
  ASSERT_EQ(inet_pton(AF_INET, ip, &a.sin_addr), 1);
  return a;
}

static struct sockaddr_in bind_lo(uv_udp_t* h, unsigned flags) {
  struct sockaddr_in a = ip4("127.0.0.1", 0);
  int len = sizeof(a);
  ASSERT_OK(uv_udp_bind(h, (const struct sockaddr*) &a, flags));
  ASSERT_OK(uv_udp_getsockname(h, (struct sockaddr*) &a, &len));
  return a;
}

static char slab[65536];
static void slab_alloc(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  (void) h, (void) size;
  *buf = uv_buf_init(slab, sizeof(slab));
}

/* ---- try_send2 ------------------------------------------------------------ */

#define TS2 45
static int ts2_got[2];
static uv_udp_t ts2_rx[2];

static void ts2_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                     const struct sockaddr* addr, unsigned flags) {
  int i = h == &ts2_rx[1];
  (void) buf, (void) flags;
  if (nread == 0 && addr == NULL)
    return;
  ASSERT_EQ(nread, 3);
  ts2_got[i]++;
  if (ts2_got[0] + ts2_got[1] == TS2 + 2) {
    ASSERT_OK(uv_udp_recv_stop(&ts2_rx[0]));
    ASSERT_OK(uv_udp_recv_stop(&ts2_rx[1]));
  }
}

static void test_try_send2(void) {
  uv_udp_t tx, conn;
  struct sockaddr_in a[2];
  uv_buf_t one = uv_buf_init("abc", 3);
  uv_buf_t* bufs[TS2];
  unsigned nbufs[TS2];
  struct sockaddr* addrs[TS2];
  uv_udp_send_t req;
  int i;

  for (i = 0; i < 2; i++) {
    ASSERT_OK(uv_udp_init(&loop, &ts2_rx[i]));
    a[i] = bind_lo(&ts2_rx[i], 0);
    ASSERT_OK(uv_udp_recv_start(&ts2_rx[i], slab_alloc, ts2_recv));
  }
  for (i = 0; i < TS2; i++) {
    bufs[i] = &one;
    nbufs[i] = 1;
    addrs[i] = (struct sockaddr*) &a[i % 2];
  }
  ASSERT_OK(uv_udp_init(&loop, &tx));
  /* The handle must have a socket already. */
  ASSERT_ERR(uv_udp_try_send2(&tx, TS2, bufs, nbufs, addrs, 0), UV_EINVAL);
  (void) bind_lo(&tx, 0);
  ASSERT_ERR(uv_udp_try_send2(&tx, 0, bufs, nbufs, addrs, 0), UV_EINVAL);
  ASSERT_ERR(uv_udp_try_send2(&tx, TS2, bufs, nbufs, addrs, 1), UV_EINVAL);
  ASSERT_EQ(uv_udp_try_send2(&tx, TS2, bufs, nbufs, addrs, 0), TS2);

  /* Busy with a queued send. */
  ASSERT_OK(uv_udp_send(&req, &tx, &one, 1, addrs[0], NULL));
  ASSERT_ERR(uv_udp_try_send2(&tx, 1, bufs, nbufs, addrs, 0), UV_EAGAIN);

  /* Connected: no destinations. */
  ASSERT_OK(uv_udp_init(&loop, &conn));
  ASSERT_OK(uv_udp_connect(&conn, (const struct sockaddr*) &a[1]));
  addrs[0] = NULL;
  ASSERT_EQ(uv_udp_try_send2(&conn, 1, bufs, nbufs, addrs, 0), 1);

  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(ts2_got[0], (TS2 + 1) / 2 + 1);
  ASSERT_EQ(ts2_got[1], TS2 / 2 + 1);
  uv_close((uv_handle_t*) &tx, NULL);
  uv_close((uv_handle_t*) &conn, NULL);
  uv_close((uv_handle_t*) &ts2_rx[0], NULL);
  uv_close((uv_handle_t*) &ts2_rx[1], NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

/* ---- open_ex and REUSEPORT ---------------------------------------------- */

static void test_open_ex_reuseport(void) {
  uv_udp_t a, b, c;
  struct sockaddr_in addr;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int on = 0;
  socklen_t len = sizeof(on);

  ASSERT_GE(fd, 0);
  ASSERT_OK(uv_udp_init(&loop, &a));
  ASSERT_ERR(uv_udp_open_ex(&a, fd, UV_UDP_IPV6ONLY), UV_EINVAL);
  ASSERT_OK(uv_udp_open_ex(&a, fd, UV_UDP_REUSEPORT));
  ASSERT_OK(getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, &len));
  ASSERT_NE(on, 0);
  on = 1;
  ASSERT_OK(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, &len));
  ASSERT_EQ(on, 0); /* open_ex sets only what it is asked for */
  addr = bind_lo(&a, UV_UDP_REUSEPORT);
  ASSERT_ERR(uv_udp_recv_start(&a, slab_alloc, NULL), UV_EINVAL);

  /* A second handle shares the port. */
  ASSERT_OK(uv_udp_init(&loop, &b));
  ASSERT_OK(uv_udp_bind(&b, (const struct sockaddr*) &addr, UV_UDP_REUSEPORT));

  /* A descriptor another handle watches. */
  {
    uv_poll_t p;
    int pfd = socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(pfd, 0);
    ASSERT_OK(uv_poll_init(&loop, &p, pfd));
    ASSERT_OK(uv_poll_start(&p, UV_READABLE, NULL));
    ASSERT_OK(uv_udp_init(&loop, &c));
    ASSERT_ERR(uv_udp_open_ex(&c, pfd, 0), UV_EEXIST);
    uv_close((uv_handle_t*) &p, NULL);
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    ASSERT_OK(close(pfd));
  }
  uv_close((uv_handle_t*) &a, NULL);
  uv_close((uv_handle_t*) &b, NULL);
  uv_close((uv_handle_t*) &c, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

/* ---- buffers ------------------------------------------------------------ */

static int mb_got;
static void mb_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  (void) flags;
  if (nread == 0 && addr == NULL)
    return;
  ASSERT_EQ(nread, 12);
  ASSERT_OK(memcmp(buf->base, "aabbccddeeff", 12));
  mb_got++;
  uv_close((uv_handle_t*) h, NULL);
}
static int mb_sent;
static void mb_send_cb(uv_udp_send_t* req, int status) {
  ASSERT_OK(status);
  mb_sent++;
  uv_close((uv_handle_t*) req->handle, NULL);
}

static void test_buffers(void) {
  uv_udp_t rx, tx;
  uv_udp_send_t req;
  struct sockaddr_in a;
  uv_buf_t b[6];
  const char* parts[6] = {"aa", "bb", "cc", "dd", "ee", "ff"};
  int i;

  ASSERT_OK(uv_udp_init(&loop, &rx));
  ASSERT_OK(uv_udp_init(&loop, &tx));
  a = bind_lo(&rx, 0);
  for (i = 0; i < 6; i++)
    b[i] = uv_buf_init((char*) parts[i], 2);
  ASSERT_ERR(uv_udp_try_send(&tx, b, 0, (const struct sockaddr*) &a),
             UV_EINVAL);
  ASSERT_ERR(uv_udp_send(&req, &tx, b, 0, (const struct sockaddr*) &a,
                         mb_send_cb),
             UV_EINVAL);
  ASSERT_EQ(tx.send_queue_count, 0);
  /* More buffers than the request holds inline. */
  ASSERT_OK(uv_udp_send(&req, &tx, b, 6, (const struct sockaddr*) &a,
                        mb_send_cb));
  ASSERT_EQ(tx.send_queue_size, 12);
  ASSERT_OK(uv_udp_recv_start(&rx, slab_alloc, mb_recv));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(mb_got, 1);
  ASSERT_EQ(mb_sent, 1);
}

/* ---- IP_RECVERR ------------------------------------------------------------ */

static int re_errqueue, re_plain;
static void re_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  (void) buf;
  if (nread == 0 && addr == NULL)
    return;
  ASSERT_EQ(nread, UV_ECONNREFUSED);
  if (flags & UV_UDP_LINUX_RECVERR) {
    /* From the error queue, with the ICMP sender. */
    ASSERT_NOT_NULL(addr);
    ASSERT_EQ(addr->sa_family, AF_INET);
    ASSERT_EQ(((const struct sockaddr_in*) addr)->sin_addr.s_addr,
              htonl(INADDR_LOOPBACK));
    re_errqueue++;
    uv_close((uv_handle_t*) h, NULL);
  } else {
    ASSERT_NULL(addr);
    re_plain++;
  }
}

static void test_recverr(void) {
  uv_udp_t gone, h;
  struct sockaddr_in closed;
  uv_buf_t b = uv_buf_init("x", 1);

  ASSERT_OK(uv_udp_init(&loop, &gone));
  closed = bind_lo(&gone, 0);
  uv_close((uv_handle_t*) &gone, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_OK(uv_udp_init(&loop, &h));
  (void) bind_lo(&h, UV_UDP_LINUX_RECVERR);
  ASSERT_OK(uv_udp_recv_start(&h, slab_alloc, re_recv));
  ASSERT_EQ(uv_udp_try_send(&h, &b, 1, (const struct sockaddr*) &closed), 1);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(re_errqueue, 1);
  ASSERT_LE(re_plain, 1);
}

/* ---- recvmmsg with a small buffer ------------------------------------------- */

static char small[1500];
static void small_alloc(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  (void) h, (void) size;
  *buf = uv_buf_init(small, sizeof(small));
}
static int sm_got;
static void sm_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  (void) buf;
  ASSERT_EQ(flags, 0); /* read with recvmsg: no chunk flags */
  if (nread == 0 && addr == NULL)
    return;
  ASSERT_EQ(nread, 1);
  sm_got++;
  uv_close((uv_handle_t*) h, NULL);
}

static void test_recvmmsg_small(void) {
  uv_udp_t rx, tx;
  struct sockaddr_in a;
  uv_buf_t b = uv_buf_init("s", 1);

  ASSERT_OK(uv_udp_init_ex(&loop, &rx, AF_UNSPEC | UV_UDP_RECVMMSG));
  ASSERT_EQ(uv_udp_using_recvmmsg(&rx), 1);
  a = bind_lo(&rx, 0);
  ASSERT_OK(uv_udp_init(&loop, &tx));
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, (const struct sockaddr*) &a), 1);
  ASSERT_OK(uv_udp_recv_start(&rx, small_alloc, sm_recv));
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));
  ASSERT_EQ(sm_got, 1);
  uv_close((uv_handle_t*) &tx, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

/* ---- closing and uninitialized handles ----------------------------------- */

static void test_closing(void) {
  uv_udp_t h, zero;
  uv_udp_send_t req;
  struct sockaddr_in a = ip4("127.0.0.1", 0);
  uv_buf_t b = uv_buf_init("x", 1);
  int len = sizeof(a);

  ASSERT_OK(uv_udp_init(&loop, &h));
  (void) bind_lo(&h, 0);
  uv_close((uv_handle_t*) &h, NULL);
  ASSERT_ERR(uv_udp_send(&req, &h, &b, 1, (const struct sockaddr*) &a, NULL),
             UV_EBADF);
  ASSERT_ERR(uv_udp_try_send(&h, &b, 1, (const struct sockaddr*) &a),
             UV_EBADF);
  ASSERT_ERR(uv_udp_bind(&h, (const struct sockaddr*) &a, 0), UV_EINVAL);
  ASSERT_ERR(uv_udp_recv_start(&h, slab_alloc, sm_recv), UV_EINVAL);
  ASSERT_ERR(uv_udp_getsockname(&h, (struct sockaddr*) &a, &len), UV_EBADF);
  ASSERT_ERR(uv_udp_set_ttl(&h, 5), UV_EBADF);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  memset(&zero, 0, sizeof(zero));
  ASSERT_ERR(uv_udp_bind(&zero, (const struct sockaddr*) &a, 0), UV_EINVAL);
  ASSERT_ERR(uv_udp_recv_start(&zero, slab_alloc, sm_recv), UV_EINVAL);
  ASSERT_ERR(uv_udp_send(&req, &zero, &b, 1, (const struct sockaddr*) &a,
                         NULL),
             UV_EINVAL);
}

int main(void) {
  ASSERT_OK(uv_loop_init(&loop));
  test_try_send2();
  test_open_ex_reuseport();
  test_buffers();
  test_recverr();
  test_recvmmsg_small();
  test_closing();
  close_loop(&loop);
  return 0;
}
