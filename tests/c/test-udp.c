/* uv_udp_t on loopback: ping-pong, many datagrams, try_send, connected
 * sends and their errors, bind conflicts and reuse, invalid arguments,
 * closing with sends queued (every callback once, 0 or UV_ECANCELED),
 * recv_stop, truncation, empty datagrams and buffers, send queue counters,
 * uv_udp_open, ICMP errors on connected sockets, recvmmsg, socket options,
 * IPv6 (skipped if ::1 is unavailable) and multicast (skipped if the kernel
 * refuses). Ports come from binding to port 0. */
#include "test.h"
#include <arpa/inet.h>
#include <errno.h>
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

static struct sockaddr_in6 ip6(const char* ip, int port) {
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof(a));
  a.sin6_family = AF_INET6;
  a.sin6_port = htons((uint16_t) port);
  ASSERT_EQ(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
  return a;
}

/* Binds to 127.0.0.1 on a free port and returns the bound address. */
static struct sockaddr_in bind_lo(uv_udp_t* h, unsigned flags) {
  struct sockaddr_in a = ip4("127.0.0.1", 0);
  int len = sizeof(a);
  ASSERT_OK(uv_udp_bind(h, (const struct sockaddr*) &a, flags));
  ASSERT_OK(uv_udp_getsockname(h, (struct sockaddr*) &a, &len));
  ASSERT_EQ(len, sizeof(a));
  ASSERT_NE(a.sin_port, 0);
  return a;
}

static char slab[65536];

static void slab_alloc(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  (void) h;
  ASSERT_EQ(size, 65536);
  *buf = uv_buf_init(slab, sizeof(slab));
}

static int close_cbs;
static void close_cb(uv_handle_t* h) {
  (void) h;
  close_cbs++;
}

/* ---- ping-pong -------------------------------------------------------- */

#define PINGS 10

static uv_udp_t pp_server, pp_client;
static uv_udp_send_t pp_req_server, pp_req_client;
static struct sockaddr_in pp_server_addr, pp_client_addr;
static int pp_pings, pp_pongs, pp_sent;

static void pp_send_cb(uv_udp_send_t* req, int status) {
  ASSERT_OK(status);
  ASSERT(req->handle == &pp_server || req->handle == &pp_client);
  pp_sent++;
}

static void pp_ping(void) {
  uv_buf_t b = uv_buf_init("PING", 4);
  ASSERT_OK(uv_udp_send(&pp_req_client, &pp_client, &b, 1,
                        (const struct sockaddr*) &pp_server_addr, pp_send_cb));
}

static void pp_server_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                           const struct sockaddr* addr, unsigned flags) {
  uv_buf_t b = uv_buf_init("PONG", 4);
  ASSERT_PTR_EQ(h, &pp_server);
  ASSERT_EQ(flags, 0);
  if (nread == 0) {
    ASSERT_NULL(addr);
    return;
  }
  ASSERT_EQ(nread, 4);
  ASSERT_OK(memcmp(buf->base, "PING", 4));
  ASSERT_NOT_NULL(addr);
  ASSERT_EQ(addr->sa_family, AF_INET);
  ASSERT_EQ(((const struct sockaddr_in*) addr)->sin_port,
            pp_client_addr.sin_port);
  pp_pings++;
  ASSERT_OK(uv_udp_send(&pp_req_server, h, &b, 1, addr, pp_send_cb));
}

static void pp_client_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                           const struct sockaddr* addr, unsigned flags) {
  ASSERT_EQ(flags, 0);
  if (nread == 0) {
    ASSERT_NULL(addr);
    return;
  }
  ASSERT_EQ(nread, 4);
  ASSERT_OK(memcmp(buf->base, "PONG", 4));
  ASSERT_EQ(((const struct sockaddr_in*) addr)->sin_port,
            pp_server_addr.sin_port);
  pp_pongs++;
  if (pp_pongs == PINGS) {
    uv_close((uv_handle_t*) h, close_cb);
    uv_close((uv_handle_t*) &pp_server, close_cb);
  } else {
    pp_ping();
  }
}

static void test_ping_pong(void) {
  int len = sizeof(pp_client_addr);

  ASSERT_OK(uv_udp_init(&loop, &pp_server));
  ASSERT_OK(uv_udp_init(&loop, &pp_client));
  pp_server_addr = bind_lo(&pp_server, 0);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &pp_server), 0);
  ASSERT_OK(uv_udp_recv_start(&pp_server, slab_alloc, pp_server_recv));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &pp_server), 1);
  ASSERT_ERR(uv_udp_recv_start(&pp_server, slab_alloc, pp_server_recv),
             UV_EALREADY);
  /* recv_start binds implicitly to 0.0.0.0. */
  ASSERT_ERR(uv_udp_getsockname(&pp_client, (struct sockaddr*) &pp_client_addr,
                                &len),
             UV_EBADF);
  ASSERT_OK(uv_udp_recv_start(&pp_client, slab_alloc, pp_client_recv));
  len = sizeof(pp_client_addr);
  ASSERT_OK(uv_udp_getsockname(&pp_client, (struct sockaddr*) &pp_client_addr,
                               &len));
  ASSERT_EQ(pp_client_addr.sin_addr.s_addr, htonl(INADDR_ANY));
  ASSERT_NE(pp_client_addr.sin_port, 0);

  pp_ping();
  close_cbs = 0;
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(pp_pings, PINGS);
  ASSERT_EQ(pp_pongs, PINGS);
  ASSERT_EQ(pp_sent, 2 * PINGS);
  ASSERT_EQ(close_cbs, 2);
}

/* ---- many datagrams, in bursts; send queue counters ------------------- */

#define BURST 50
#define BURSTS 40

static uv_udp_t md_rx, md_tx;
static uv_udp_send_t md_reqs[BURST];
static char md_payload[BURST][32];
static struct sockaddr_in md_addr;
static int md_next, md_got, md_cbs, md_in_burst;

static void md_send_cb(uv_udp_send_t* req, int status) {
  ASSERT_OK(status);
  ASSERT_PTR_EQ(req->handle, &md_tx);
  md_cbs++;
}

static void md_burst(void) {
  int i;
  ASSERT_EQ(md_tx.send_queue_count, 0);
  ASSERT_EQ(md_tx.send_queue_size, 0);
  for (i = 0; i < BURST; i++) {
    uv_buf_t b[2];
    snprintf(md_payload[i], sizeof(md_payload[i]), "%08d", md_next++);
    b[0] = uv_buf_init(md_payload[i], 4);
    b[1] = uv_buf_init(md_payload[i] + 4, 4);
    ASSERT_OK(uv_udp_send(&md_reqs[i], &md_tx, b, 2,
                          (const struct sockaddr*) &md_addr, md_send_cb));
    ASSERT_EQ(md_reqs[i].type, UV_UDP_SEND);
    ASSERT_PTR_EQ(md_reqs[i].handle, &md_tx);
  }
  /* Nothing is called back inside uv_udp_send: all are counted. */
  ASSERT_EQ(md_tx.send_queue_count, BURST);
  ASSERT_EQ(md_tx.send_queue_size, BURST * 8);
  ASSERT_EQ(uv_udp_get_send_queue_count(&md_tx), BURST);
  ASSERT_EQ(uv_udp_get_send_queue_size(&md_tx), BURST * 8);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &md_tx), 1);
  md_in_burst = 0;
}

static void md_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  char want[16];
  (void) h;
  ASSERT_EQ(flags, 0);
  if (nread == 0) {
    ASSERT_NULL(addr);
    return;
  }
  ASSERT_EQ(nread, 8);
  snprintf(want, sizeof(want), "%08d", md_got);
  ASSERT_OK(memcmp(buf->base, want, 8));
  md_got++;
  md_in_burst++;
  if (md_in_burst == BURST) {
    if (md_next == BURST * BURSTS) {
      uv_close((uv_handle_t*) &md_rx, NULL);
      uv_close((uv_handle_t*) &md_tx, NULL);
    } else {
      ASSERT_EQ(md_cbs, md_next);
      md_burst();
    }
  }
}

static void test_many(void) {
  ASSERT_OK(uv_udp_init(&loop, &md_rx));
  ASSERT_OK(uv_udp_init(&loop, &md_tx));
  md_addr = bind_lo(&md_rx, 0);
  ASSERT_OK(uv_udp_recv_start(&md_rx, slab_alloc, md_recv));
  /* The sender is bound implicitly by its first send. */
  md_burst();
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(md_got, BURST * BURSTS);
  ASSERT_EQ(md_cbs, BURST * BURSTS);
}

/* ---- try_send --------------------------------------------------------- */

static int ts_got;
static void ts_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  (void) flags;
  if (nread == 0 && addr == NULL)
    return;
  ASSERT_EQ(nread, 5);
  ASSERT_OK(memcmp(buf->base, "hello", 5));
  if (++ts_got == 2)
    ASSERT_OK(uv_udp_recv_stop(h));
}

static int ts_send_cbs;
static void ts_send_cb(uv_udp_send_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  ts_send_cbs++;
}

static void test_try_send(void) {
  uv_udp_t rx, tx;
  uv_udp_send_t req;
  struct sockaddr_in a;
  uv_buf_t bufs[2];

  ASSERT_OK(uv_udp_init(&loop, &rx));
  ASSERT_OK(uv_udp_init(&loop, &tx));
  a = bind_lo(&rx, 0);
  ASSERT_OK(uv_udp_recv_start(&rx, slab_alloc, ts_recv));

  bufs[0] = uv_buf_init("he", 2);
  bufs[1] = uv_buf_init("llo", 3);
  ASSERT_ERR(uv_udp_try_send(&tx, bufs, 2, NULL), UV_EDESTADDRREQ);
  /* Binds implicitly; returns the byte count. */
  ASSERT_EQ(uv_udp_try_send(&tx, bufs, 2, (const struct sockaddr*) &a), 5);

  /* A queued send makes try_send refuse (it would overtake). */
  ASSERT_OK(uv_udp_send(&req, &tx, bufs, 2, (const struct sockaddr*) &a,
                        ts_send_cb));
  ASSERT_ERR(uv_udp_try_send(&tx, bufs, 2, (const struct sockaddr*) &a),
             UV_EAGAIN);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(ts_send_cbs, 1);
  ASSERT_EQ(ts_got, 2);
  ASSERT_EQ(tx.send_queue_count, 0);

  uv_close((uv_handle_t*) &rx, NULL);
  uv_close((uv_handle_t*) &tx, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

/* ---- connected handles ------------------------------------------------ */

static int cn_got;
static void cn_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  (void) flags;
  if (nread == 0 && addr == NULL)
    return;
  ASSERT_EQ(nread, 3);
  ASSERT_OK(memcmp(buf->base, "abc", 3));
  if (++cn_got == 2)
    ASSERT_OK(uv_udp_recv_stop(h));
}

static int cn_send_cbs;
static void cn_send_cb(uv_udp_send_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  cn_send_cbs++;
}

static void test_connected(void) {
  uv_udp_t rx, tx;
  uv_udp_send_t req;
  struct sockaddr_in a, peer, other = ip4("127.0.0.1", 9);
  uv_buf_t b = uv_buf_init("abc", 3);
  int len;

  ASSERT_OK(uv_udp_init(&loop, &rx));
  ASSERT_OK(uv_udp_init(&loop, &tx));
  a = bind_lo(&rx, 0);
  ASSERT_OK(uv_udp_recv_start(&rx, slab_alloc, cn_recv));

  len = sizeof(peer);
  ASSERT_ERR(uv_udp_getpeername(&tx, (struct sockaddr*) &peer, &len),
             UV_EBADF);
  ASSERT_ERR(uv_udp_connect(&tx, NULL), UV_ENOTCONN);
  /* Connecting binds implicitly. */
  ASSERT_OK(uv_udp_connect(&tx, (const struct sockaddr*) &a));
  ASSERT_ERR(uv_udp_connect(&tx, (const struct sockaddr*) &a), UV_EISCONN);
  len = sizeof(peer);
  ASSERT_OK(uv_udp_getpeername(&tx, (struct sockaddr*) &peer, &len));
  ASSERT_EQ(len, sizeof(peer));
  ASSERT_EQ(peer.sin_port, a.sin_port);
  ASSERT_EQ(peer.sin_addr.s_addr, a.sin_addr.s_addr);

  ASSERT_ERR(uv_udp_send(&req, &tx, &b, 1, (const struct sockaddr*) &other,
                         cn_send_cb),
             UV_EISCONN);
  ASSERT_ERR(uv_udp_try_send(&tx, &b, 1, (const struct sockaddr*) &other),
             UV_EISCONN);
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, NULL), 3);
  ASSERT_OK(uv_udp_send(&req, &tx, &b, 1, NULL, cn_send_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(cn_got, 2);
  ASSERT_EQ(cn_send_cbs, 1);

  /* Disconnect: back to needing a destination. */
  ASSERT_OK(uv_udp_connect(&tx, NULL));
  ASSERT_ERR(uv_udp_connect(&tx, NULL), UV_ENOTCONN);
  len = sizeof(peer);
  ASSERT_ERR(uv_udp_getpeername(&tx, (struct sockaddr*) &peer, &len),
             UV_ENOTCONN);
  ASSERT_ERR(uv_udp_send(&req, &tx, &b, 1, NULL, cn_send_cb),
             UV_EDESTADDRREQ);
  ASSERT_ERR(uv_udp_try_send(&tx, &b, 1, NULL), UV_EDESTADDRREQ);
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, (const struct sockaddr*) &a), 3);
  ASSERT_EQ(cn_send_cbs, 1);

  uv_close((uv_handle_t*) &rx, NULL);
  uv_close((uv_handle_t*) &tx, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

/* A connected socket learns of an ICMP port-unreachable: the next read
 * reports UV_ECONNREFUSED. */
static int icmp_errors, icmp_send_cbs;
static void icmp_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                      const struct sockaddr* addr, unsigned flags) {
  (void) buf;
  (void) flags;
  if (nread == 0 && addr == NULL)
    return;
  ASSERT_EQ(nread, UV_ECONNREFUSED);
  icmp_errors++;
  uv_close((uv_handle_t*) h, NULL);
}
static void icmp_send_cb(uv_udp_send_t* req, int status) {
  (void) req;
  /* The error may also surface on the send itself. */
  ASSERT(status == 0 || status == UV_ECONNREFUSED);
  icmp_send_cbs++;
}

static void test_connection_refused(void) {
  uv_udp_t gone, tx;
  uv_udp_send_t req;
  struct sockaddr_in a;
  uv_buf_t b = uv_buf_init("x", 1);

  /* A port nobody listens on: bind it, then close it. */
  ASSERT_OK(uv_udp_init(&loop, &gone));
  a = bind_lo(&gone, 0);
  uv_close((uv_handle_t*) &gone, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_OK(uv_udp_init(&loop, &tx));
  ASSERT_OK(uv_udp_connect(&tx, (const struct sockaddr*) &a));
  ASSERT_OK(uv_udp_recv_start(&tx, slab_alloc, icmp_recv));
  ASSERT_OK(uv_udp_send(&req, &tx, &b, 1, NULL, icmp_send_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(icmp_errors, 1);
  ASSERT_EQ(icmp_send_cbs, 1);
}

/* ---- bind --------------------------------------------------------------- */

static void test_bind(void) {
  uv_udp_t a, b, c, d;
  struct sockaddr_in addr;

  ASSERT_OK(uv_udp_init(&loop, &a));
  ASSERT_OK(uv_udp_init(&loop, &b));
  addr = bind_lo(&a, 0);
  ASSERT_ERR(uv_udp_bind(&b, (const struct sockaddr*) &addr, 0),
             UV_EADDRINUSE);
  /* Binding twice. */
  ASSERT_ERR(uv_udp_bind(&a, (const struct sockaddr*) &addr, 0), UV_EINVAL);

  /* Both with UV_UDP_REUSEADDR: allowed. */
  ASSERT_OK(uv_udp_init(&loop, &c));
  ASSERT_OK(uv_udp_init(&loop, &d));
  addr = bind_lo(&c, UV_UDP_REUSEADDR);
  ASSERT_OK(uv_udp_bind(&d, (const struct sockaddr*) &addr, UV_UDP_REUSEADDR));

  uv_close((uv_handle_t*) &a, NULL);
  uv_close((uv_handle_t*) &b, NULL);
  uv_close((uv_handle_t*) &c, NULL);
  uv_close((uv_handle_t*) &d, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

/* ---- invalid arguments -------------------------------------------------- */

static void never_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                       const struct sockaddr* addr, unsigned flags) {
  (void) h, (void) nread, (void) buf, (void) addr, (void) flags;
  ASSERT(0 && "unexpected recv callback");
}

static void test_invalid(void) {
  uv_udp_t h;
  struct sockaddr_in a = ip4("127.0.0.1", 0);
  struct sockaddr_in6 a6 = ip6("::1", 0);
  struct sockaddr bad;
  struct sockaddr_in name;
  int len = sizeof(name);
  uv_os_fd_t fd;
  int size;

  ASSERT_ERR(uv_udp_init_ex(&loop, &h, AF_UNIX), UV_EINVAL);
  ASSERT_ERR(uv_udp_init_ex(&loop, &h, AF_INET | 0x200), UV_EINVAL);

  ASSERT_OK(uv_udp_init(&loop, &h));
  ASSERT_EQ(h.send_queue_size, 0);
  ASSERT_EQ(h.send_queue_count, 0);
  ASSERT_EQ(uv_udp_get_send_queue_size(&h), 0);
  ASSERT_EQ(uv_udp_get_send_queue_count(&h), 0);
  ASSERT_EQ(uv_udp_using_recvmmsg(&h), 0);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);

  memset(&bad, 0, sizeof(bad));
  bad.sa_family = AF_UNIX;
  ASSERT_ERR(uv_udp_bind(&h, &bad, 0), UV_EINVAL);
  ASSERT_ERR(uv_udp_bind(&h, (const struct sockaddr*) &a, 0x1000), UV_EINVAL);
  ASSERT_ERR(uv_udp_bind(&h, (const struct sockaddr*) &a, UV_UDP_IPV6ONLY),
             UV_EINVAL);
  ASSERT_ERR(uv_udp_connect(&h, &bad), UV_EINVAL);
  ASSERT_ERR(uv_udp_recv_start(&h, NULL, never_recv), UV_EINVAL);
  ASSERT_ERR(uv_udp_recv_start(&h, slab_alloc, NULL), UV_EINVAL);
  ASSERT_ERR(uv_udp_getsockname(&h, (struct sockaddr*) &name, &len), UV_EBADF);
  /* No socket yet: the option calls reach the kernel with none. */
  ASSERT_ERR(uv_udp_set_broadcast(&h, 1), UV_EBADF);
  ASSERT_ERR(uv_udp_set_ttl(&h, 0), UV_EINVAL);
  ASSERT_ERR(uv_udp_set_ttl(&h, 256), UV_EINVAL);
  ASSERT_ERR(uv_udp_set_multicast_ttl(&h, -1), UV_EINVAL);
  ASSERT_ERR(uv_udp_set_multicast_ttl(&h, 256), UV_EINVAL);
  ASSERT_ERR(uv_udp_set_membership(&h, "not-an-ip", NULL, UV_JOIN_GROUP),
             UV_EINVAL);
  ASSERT_ERR(uv_udp_set_multicast_interface(&h, "not-an-ip"), UV_EINVAL);
  ASSERT_EQ(h.send_queue_count, 0);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);

  ASSERT_ERR(uv_fileno((uv_handle_t*) &h, &fd), UV_EBADF);

  /* A v4 socket cannot bind a v6 address. */
  ASSERT_OK(uv_udp_bind(&h, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_fileno((uv_handle_t*) &h, &fd));
  ASSERT_GE(fd, 0);
  size = 0;
  ASSERT_OK(uv_recv_buffer_size((uv_handle_t*) &h, &size));
  ASSERT_GT(size, 0);
  size = 0;
  ASSERT_OK(uv_send_buffer_size((uv_handle_t*) &h, &size));
  ASSERT_GT(size, 0);
  ASSERT_ERR(uv_udp_bind(&h, (const struct sockaddr*) &a6, 0), UV_EINVAL);
  ASSERT_OK(uv_udp_set_broadcast(&h, 1));
  ASSERT_OK(uv_udp_set_broadcast(&h, 0));
  ASSERT_OK(uv_udp_set_ttl(&h, 1));
  ASSERT_OK(uv_udp_set_ttl(&h, 255));
  ASSERT_OK(uv_udp_set_multicast_ttl(&h, 0));
  ASSERT_OK(uv_udp_set_multicast_ttl(&h, 255));
  ASSERT_OK(uv_udp_set_multicast_loop(&h, 0));
  ASSERT_OK(uv_udp_set_multicast_loop(&h, 1));
  ASSERT_OK(uv_udp_set_multicast_interface(&h, NULL));
  ASSERT_OK(uv_udp_set_multicast_interface(&h, "127.0.0.1"));

  uv_close((uv_handle_t*) &h, NULL);
  ASSERT_ERR(uv_fileno((uv_handle_t*) &h, &fd), UV_EBADF);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

/* ---- closing with sends queued ------------------------------------------ */

#define CQ_SENDS 200
static uv_udp_t cq;
static uv_udp_send_t cq_reqs[CQ_SENDS];
static int cq_calls[CQ_SENDS];
static int cq_ok, cq_canceled, cq_closed;
static char cq_data[2048];

static void cq_send_cb(uv_udp_send_t* req, int status) {
  int i = (int) (req - cq_reqs);
  ASSERT(i >= 0 && i < CQ_SENDS);
  ASSERT_EQ(cq_closed, 0);
  ASSERT_EQ(cq_calls[i], 0);
  cq_calls[i]++;
  /* In order: every success comes before every cancellation. */
  if (status == 0) {
    ASSERT_EQ(cq_canceled, 0);
    cq_ok++;
  } else {
    ASSERT_EQ(status, UV_ECANCELED);
    cq_canceled++;
  }
}

static void cq_close_cb(uv_handle_t* h) {
  ASSERT_PTR_EQ(h, &cq);
  ASSERT_EQ(cq.send_queue_count, 0);
  ASSERT_EQ(cq.send_queue_size, 0);
  ASSERT_EQ(cq_ok + cq_canceled, CQ_SENDS);
  cq_closed++;
}

static void test_close_with_queue(void) {
  int fds[2];
  int sndbuf = 16384;
  int i;
  uv_buf_t b = uv_buf_init(cq_data, sizeof(cq_data));

  /* A datagram socketpair pushes back once the peer's queue (or the small
   * send buffer) is full, so sends stay queued. */
  ASSERT_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, fds));
  ASSERT_OK(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
  ASSERT_OK(uv_udp_init(&loop, &cq));
  ASSERT_OK(uv_udp_open(&cq, fds[0]));
  ASSERT_ERR(uv_udp_open(&cq, fds[1]), UV_EBUSY);
  for (i = 0; i < CQ_SENDS; i++)
    ASSERT_OK(uv_udp_send(&cq_reqs[i], &cq, &b, 1, NULL, cq_send_cb));
  ASSERT_EQ(cq.send_queue_count, CQ_SENDS);
  ASSERT_EQ(cq.send_queue_size, CQ_SENDS * sizeof(cq_data));
  ASSERT_EQ(loop.active_reqs.count, CQ_SENDS);
  ASSERT_EQ(cq_ok + cq_canceled, 0);

  /* One iteration sends what fits; the rest waits. */
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_GT(cq_ok, 0);
  ASSERT_LT(cq_ok, CQ_SENDS);
  ASSERT_EQ(cq.send_queue_count, CQ_SENDS - cq_ok);
  ASSERT_EQ(loop.active_reqs.count, CQ_SENDS - cq_ok);

  uv_close((uv_handle_t*) &cq, cq_close_cb);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(cq_closed, 1);
  ASSERT_GT(cq_canceled, 0);
  ASSERT_EQ(cq_ok + cq_canceled, CQ_SENDS);
  for (i = 0; i < CQ_SENDS; i++)
    ASSERT_EQ(cq_calls[i], 1);
  ASSERT_EQ(loop.active_reqs.count, 0);
  ASSERT_OK(close(fds[1]));
}

/* Closing right after uv_udp_send: the callback still runs once, before
 * the close callback. */
static int cn2_send_cbs, cn2_closed;
static void cn2_send_cb(uv_udp_send_t* req, int status) {
  (void) req;
  ASSERT(status == 0 || status == UV_ECANCELED);
  ASSERT_EQ(cn2_closed, 0);
  cn2_send_cbs++;
}
static void cn2_close_cb(uv_handle_t* h) {
  (void) h;
  ASSERT_EQ(cn2_send_cbs, 3);
  cn2_closed++;
}

static void test_close_after_send(void) {
  uv_udp_t rx, tx;
  uv_udp_send_t reqs[3];
  struct sockaddr_in a;
  uv_buf_t b = uv_buf_init("z", 1);
  int i;

  ASSERT_OK(uv_udp_init(&loop, &rx));
  ASSERT_OK(uv_udp_init(&loop, &tx));
  a = bind_lo(&rx, 0);
  for (i = 0; i < 3; i++)
    ASSERT_OK(uv_udp_send(&reqs[i], &tx, &b, 1, (const struct sockaddr*) &a,
                          cn2_send_cb));
  uv_close((uv_handle_t*) &tx, cn2_close_cb);
  ASSERT_EQ(cn2_send_cbs, 0);
  uv_close((uv_handle_t*) &rx, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(cn2_send_cbs, 3);
  ASSERT_EQ(cn2_closed, 1);
}

/* Sending again from a send callback (reusing the request), and closing
 * from one while other completions wait: each still gets its status. */
#define CHAIN 100
static uv_udp_t ch_tx;
static struct sockaddr_in ch_addr;
static int ch_n;
static void ch_send_cb(uv_udp_send_t* req, int status) {
  uv_buf_t b = uv_buf_init("c", 1);
  ASSERT_OK(status);
  ASSERT_PTR_EQ(req->handle, &ch_tx);
  ch_n++;
  if (ch_n < CHAIN)
    ASSERT_OK(uv_udp_send(req, &ch_tx, &b, 1,
                          (const struct sockaddr*) &ch_addr, ch_send_cb));
}

static int cc_cbs;
static void cc_send_cb(uv_udp_send_t* req, int status) {
  ASSERT_OK(status);
  if (cc_cbs++ == 0)
    uv_close((uv_handle_t*) req->handle, NULL);
  ASSERT_EQ(uv_is_closing((uv_handle_t*) req->handle), 1);
}

static void test_send_from_callbacks(void) {
  uv_udp_t rx;
  uv_udp_send_t req, reqs[5];
  uv_buf_t b = uv_buf_init("c", 1);
  int i;

  ASSERT_OK(uv_udp_init(&loop, &rx));
  ch_addr = bind_lo(&rx, 0);
  ASSERT_OK(uv_udp_init(&loop, &ch_tx));
  ASSERT_OK(uv_udp_send(&req, &ch_tx, &b, 1, (const struct sockaddr*) &ch_addr,
                        ch_send_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(ch_n, CHAIN);
  ASSERT_EQ(ch_tx.send_queue_count, 0);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &ch_tx), 0);
  ASSERT_EQ(loop.active_reqs.count, 0);

  for (i = 0; i < 5; i++)
    ASSERT_OK(uv_udp_send(&reqs[i], &ch_tx, &b, 1,
                          (const struct sockaddr*) &ch_addr, cc_send_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(cc_cbs, 5);
  uv_close((uv_handle_t*) &rx, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

/* ---- recv_stop, truncation, empty datagrams and buffers ------------------ */

static int rs_got;
static void rs_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  (void) buf;
  ASSERT_EQ(flags, 0);
  if (nread == 0 && addr == NULL)
    return;
  ASSERT_EQ(nread, 2);
  rs_got++;
  ASSERT_OK(uv_udp_recv_stop(h));
  ASSERT_EQ(uv_is_active((uv_handle_t*) h), 0);
}

static char tiny[4];
static void tiny_alloc(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  (void) h, (void) size;
  *buf = uv_buf_init(tiny, sizeof(tiny));
}
static int tr_got;
static void tr_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  if (nread == 0 && addr == NULL)
    return;
  ASSERT_EQ(nread, 4);
  ASSERT_EQ(flags, UV_UDP_PARTIAL);
  ASSERT_OK(memcmp(buf->base, "0123", 4));
  tr_got++;
  ASSERT_OK(uv_udp_recv_stop(h));
}

static void null_alloc(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  (void) h, (void) size;
  *buf = uv_buf_init(NULL, 0);
}
static int nb_got;
static void nb_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  (void) buf;
  ASSERT_EQ(nread, UV_ENOBUFS);
  ASSERT_NULL(addr);
  ASSERT_EQ(flags, 0);
  nb_got++;
  ASSERT_OK(uv_udp_recv_stop(h));
}

static int em_got;
static void em_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  (void) buf;
  if (nread == 0 && addr == NULL)
    return;
  /* An empty datagram: nread 0 with an address. */
  ASSERT_EQ(nread, 0);
  ASSERT_NOT_NULL(addr);
  ASSERT_EQ(flags, 0);
  em_got++;
  ASSERT_OK(uv_udp_recv_stop(h));
}

static void test_recv_paths(void) {
  uv_udp_t rx, tx;
  struct sockaddr_in a;
  uv_buf_t b = uv_buf_init("hi", 2);
  uv_buf_t ten = uv_buf_init("0123456789", 10);
  uv_buf_t empty = uv_buf_init(NULL, 0);

  ASSERT_OK(uv_udp_init(&loop, &rx));
  ASSERT_OK(uv_udp_init(&loop, &tx));
  a = bind_lo(&rx, 0);

  /* Stopped inside the callback: the second datagram waits. */
  ASSERT_OK(uv_udp_recv_start(&rx, slab_alloc, rs_recv));
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, (const struct sockaddr*) &a), 2);
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, (const struct sockaddr*) &a), 2);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(rs_got, 1);
  ASSERT_OK(uv_udp_recv_stop(&rx)); /* stopping twice is fine */
  ASSERT_OK(uv_udp_recv_start(&rx, slab_alloc, rs_recv));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(rs_got, 2);

  /* Truncated into a 4-byte buffer. */
  ASSERT_OK(uv_udp_recv_start(&rx, tiny_alloc, tr_recv));
  ASSERT_EQ(uv_udp_try_send(&tx, &ten, 1, (const struct sockaddr*) &a), 10);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(tr_got, 1);

  /* No buffer from the allocator: UV_ENOBUFS, the datagram stays. */
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, (const struct sockaddr*) &a), 2);
  ASSERT_OK(uv_udp_recv_start(&rx, null_alloc, nb_recv));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(nb_got, 1);
  ASSERT_OK(uv_udp_recv_start(&rx, slab_alloc, rs_recv));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(rs_got, 3);

  /* An empty datagram. */
  ASSERT_EQ(uv_udp_try_send(&tx, &empty, 1, (const struct sockaddr*) &a), 0);
  ASSERT_OK(uv_udp_recv_start(&rx, slab_alloc, em_recv));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(em_got, 1);

  uv_close((uv_handle_t*) &rx, NULL);
  uv_close((uv_handle_t*) &tx, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

/* ---- uv_udp_open on a socket bound outside libuv ------------------------- */

static int op_got;
static void op_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  (void) buf, (void) flags;
  if (nread == 0 && addr == NULL)
    return;
  ASSERT_EQ(nread, 2);
  op_got++;
  uv_close((uv_handle_t*) h, NULL);
}

static void test_open(void) {
  uv_udp_t h, tx;
  struct sockaddr_in a = ip4("127.0.0.1", 0), got;
  socklen_t slen = sizeof(a);
  int len = sizeof(got);
  uv_buf_t b = uv_buf_init("op", 2);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);

  ASSERT_GE(fd, 0);
  ASSERT_OK(bind(fd, (const struct sockaddr*) &a, sizeof(a)));
  ASSERT_OK(getsockname(fd, (struct sockaddr*) &a, &slen));
  ASSERT_OK(uv_udp_init(&loop, &h));
  ASSERT_OK(uv_udp_open(&h, fd));
  ASSERT_OK(uv_udp_getsockname(&h, (struct sockaddr*) &got, &len));
  ASSERT_EQ(got.sin_port, a.sin_port);
  ASSERT_OK(uv_udp_recv_start(&h, slab_alloc, op_recv));

  ASSERT_OK(uv_udp_init(&loop, &tx));
  ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, (const struct sockaddr*) &a), 2);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(op_got, 1);
  uv_close((uv_handle_t*) &tx, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

/* ---- recvmmsg ------------------------------------------------------------- */

static int mm_allocs, mm_frees, mm_chunks, mm_free_flags;
static void mm_alloc(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  (void) h;
  ASSERT_EQ(size, 65536);
  /* Room for four datagrams when recvmmsg is in use. */
  if (uv_udp_using_recvmmsg((uv_udp_t*) h))
    size *= 4;
  buf->base = malloc(size);
  buf->len = size;
  ASSERT_NOT_NULL(buf->base);
  mm_allocs++;
}

static void mm_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  if (flags & UV_UDP_MMSG_CHUNK) {
    /* A slice of the buffer: not to be freed. */
    ASSERT_EQ(flags & UV_UDP_MMSG_FREE, 0);
    ASSERT_EQ(nread, 3);
    ASSERT_NOT_NULL(addr);
    ASSERT_OK(memcmp(buf->base, "mmm", 3));
    mm_chunks++;
    return;
  }
  if (flags & UV_UDP_MMSG_FREE) {
    ASSERT_EQ(nread, 0);
    ASSERT_NULL(addr);
    mm_free_flags++;
  } else {
    ASSERT_EQ(nread, 0); /* nothing more to read */
    ASSERT_NULL(addr);
  }
  free(buf->base);
  mm_frees++;
  if (mm_chunks == 6)
    ASSERT_OK(uv_udp_recv_stop(h));
}

static void test_recvmmsg(void) {
  uv_udp_t rx, tx;
  struct sockaddr_in a;
  uv_buf_t b = uv_buf_init("mmm", 3);
  int i;

  ASSERT_OK(uv_udp_init_ex(&loop, &rx, AF_INET | UV_UDP_RECVMMSG));
  ASSERT_EQ(uv_udp_using_recvmmsg(&rx), 1);
  ASSERT_OK(uv_udp_init(&loop, &tx));
  a = bind_lo(&rx, 0);
  for (i = 0; i < 6; i++)
    ASSERT_EQ(uv_udp_try_send(&tx, &b, 1, (const struct sockaddr*) &a), 3);
  ASSERT_OK(uv_udp_recv_start(&rx, mm_alloc, mm_recv));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(mm_chunks, 6);
  ASSERT_GE(mm_free_flags, 2); /* at most 4 per recvmmsg */
  ASSERT_EQ(mm_allocs, mm_frees);
  uv_close((uv_handle_t*) &rx, NULL);
  uv_close((uv_handle_t*) &tx, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

/* ---- IPv6 ----------------------------------------------------------------- */

static int v6_got;
static void v6_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  (void) flags;
  if (nread == 0 && addr == NULL)
    return;
  ASSERT_EQ(nread, 2);
  ASSERT_OK(memcmp(buf->base, "v6", 2));
  ASSERT_EQ(addr->sa_family, AF_INET6);
  v6_got++;
  uv_close((uv_handle_t*) h, NULL);
}
static int v6_send_cbs;
static void v6_send_cb(uv_udp_send_t* req, int status) {
  ASSERT_OK(status);
  v6_send_cbs++;
  uv_close((uv_handle_t*) req->handle, NULL);
}

static void test_ipv6(void) {
  uv_udp_t rx, tx, v4;
  uv_udp_send_t req;
  struct sockaddr_in6 a = ip6("::1", 0);
  struct sockaddr_in a4;
  int len = sizeof(a);
  int r;
  uv_buf_t b = uv_buf_init("v6", 2);

  ASSERT_OK(uv_udp_init_ex(&loop, &rx, AF_INET6));
  r = uv_udp_bind(&rx, (const struct sockaddr*) &a, UV_UDP_IPV6ONLY);
  if (r == UV_EADDRNOTAVAIL || r == UV_EAFNOSUPPORT) {
    printf("ipv6: ::1 unavailable (%s), skipped\n", uv_err_name(r));
    uv_close((uv_handle_t*) &rx, NULL);
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    return;
  }
  ASSERT_OK(r);
  ASSERT_OK(uv_udp_getsockname(&rx, (struct sockaddr*) &a, &len));
  ASSERT_EQ(len, sizeof(a));
  ASSERT_OK(uv_udp_set_ttl(&rx, 64));
  ASSERT_OK(uv_udp_set_multicast_ttl(&rx, 1));
  ASSERT_OK(uv_udp_set_multicast_loop(&rx, 1));
  ASSERT_OK(uv_udp_set_multicast_interface(&rx, NULL));
  ASSERT_OK(uv_udp_recv_start(&rx, slab_alloc, v6_recv));

  /* A v4 socket cannot use a v6 destination. */
  ASSERT_OK(uv_udp_init(&loop, &v4));
  a4 = bind_lo(&v4, 0);
  (void) a4;
  ASSERT_NE(uv_udp_try_send(&v4, &b, 1, (const struct sockaddr*) &a), 2);
  uv_close((uv_handle_t*) &v4, NULL);

  /* The sender binds implicitly to [::]. */
  ASSERT_OK(uv_udp_init(&loop, &tx));
  ASSERT_OK(uv_udp_send(&req, &tx, &b, 1, (const struct sockaddr*) &a,
                        v6_send_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(v6_got, 1);
  ASSERT_EQ(v6_send_cbs, 1);
}

/* ---- multicast ------------------------------------------------------------ */

static int mc_got;
static uv_timer_t mc_timer;
static uv_udp_t mc_rx, mc_tx;

static void mc_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  (void) h, (void) flags;
  if (nread == 0 && addr == NULL)
    return;
  ASSERT_EQ(nread, 5);
  ASSERT_OK(memcmp(buf->base, "mcast", 5));
  mc_got++;
  uv_close((uv_handle_t*) &mc_rx, NULL);
  uv_close((uv_handle_t*) &mc_tx, NULL);
  uv_close((uv_handle_t*) &mc_timer, NULL);
}

static void mc_timeout(uv_timer_t* t) {
  (void) t;
  printf("multicast: datagram not delivered on loopback, skipped\n");
  uv_close((uv_handle_t*) &mc_rx, NULL);
  uv_close((uv_handle_t*) &mc_tx, NULL);
  uv_close((uv_handle_t*) &mc_timer, NULL);
}

static void test_multicast(void) {
  struct sockaddr_in any = ip4("0.0.0.0", 0), group;
  int len = sizeof(any);
  int r;
  uv_buf_t b = uv_buf_init("mcast", 5);

  ASSERT_OK(uv_udp_init(&loop, &mc_rx));
  ASSERT_OK(uv_udp_init(&loop, &mc_tx));
  ASSERT_OK(uv_timer_init(&loop, &mc_timer));
  ASSERT_OK(uv_udp_bind(&mc_rx, (const struct sockaddr*) &any,
                        UV_UDP_REUSEADDR));
  ASSERT_OK(uv_udp_getsockname(&mc_rx, (struct sockaddr*) &any, &len));
  r = uv_udp_set_membership(&mc_rx, "239.255.0.1", "127.0.0.1", UV_JOIN_GROUP);
  if (r != 0) {
    printf("multicast: join refused (%s), skipped\n", uv_err_name(r));
    uv_close((uv_handle_t*) &mc_rx, NULL);
    uv_close((uv_handle_t*) &mc_tx, NULL);
    uv_close((uv_handle_t*) &mc_timer, NULL);
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    return;
  }
  ASSERT_ERR(uv_udp_set_membership(&mc_rx, "239.255.0.1", "127.0.0.1", 7),
             UV_EINVAL);
  ASSERT_OK(uv_udp_recv_start(&mc_rx, slab_alloc, mc_recv));

  group = ip4("239.255.0.1", ntohs(any.sin_port));
  /* The sender has no socket yet: the options bind it implicitly only via
   * membership, so bind it first. */
  (void) bind_lo(&mc_tx, 0);
  ASSERT_OK(uv_udp_set_multicast_loop(&mc_tx, 1));
  ASSERT_OK(uv_udp_set_multicast_ttl(&mc_tx, 1));
  ASSERT_OK(uv_udp_set_multicast_interface(&mc_tx, "127.0.0.1"));
  r = uv_udp_try_send(&mc_tx, &b, 1, (const struct sockaddr*) &group);
  if (r != 5) {
    printf("multicast: send refused (%s), skipped\n", uv_err_name(r));
    uv_close((uv_handle_t*) &mc_rx, NULL);
    uv_close((uv_handle_t*) &mc_tx, NULL);
    uv_close((uv_handle_t*) &mc_timer, NULL);
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    return;
  }
  ASSERT_OK(uv_timer_start(&mc_timer, mc_timeout, 1000, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  if (mc_got)
    printf("multicast: delivered on loopback\n");
}

/* Membership calls bind a handle without a socket (to the wildcard, with
 * SO_REUSEADDR); leaving a group never joined fails in the kernel. */
static void test_membership_binds(void) {
  uv_udp_t h;
  struct sockaddr_in a;
  int len = sizeof(a);
  int r;

  ASSERT_OK(uv_udp_init(&loop, &h));
  r = uv_udp_set_membership(&h, "239.255.0.2", NULL, UV_LEAVE_GROUP);
  ASSERT_NE(r, 0);
  ASSERT_OK(uv_udp_getsockname(&h, (struct sockaddr*) &a, &len));
  ASSERT_EQ(a.sin_family, AF_INET);
  ASSERT_EQ(a.sin_addr.s_addr, htonl(INADDR_ANY));
  r = uv_udp_set_source_membership(&h, "232.1.1.1", "127.0.0.1", "127.0.0.1",
                                   UV_JOIN_GROUP);
  if (r == 0) {
    ASSERT_OK(uv_udp_set_source_membership(&h, "232.1.1.1", "127.0.0.1",
                                           "127.0.0.1", UV_LEAVE_GROUP));
  } else {
    printf("source membership: refused (%s)\n", uv_err_name(r));
  }
  ASSERT_ERR(uv_udp_set_source_membership(&h, "232.1.1.1", NULL, "nope",
                                          UV_JOIN_GROUP),
             UV_EINVAL);
  uv_close((uv_handle_t*) &h, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

int main(void) {
  ASSERT_OK(uv_loop_init(&loop));
  test_invalid();
  test_ping_pong();
  test_many();
  test_try_send();
  test_connected();
  test_connection_refused();
  test_bind();
  test_close_with_queue();
  test_close_after_send();
  test_send_from_callbacks();
  test_recv_paths();
  test_open();
  test_recvmmsg();
  test_ipv6();
  test_multicast();
  test_membership_binds();
  close_loop(&loop);
  return 0;
}
