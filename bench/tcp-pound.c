/* tcp-pound: connection setup/teardown rate over loopback TCP.
 * C client slots (C = 100, then C = 1000) connect concurrently to a server
 * in the same loop that accepts each connection and closes it at once. A
 * client reads until EOF, closes, and from its close callback connects
 * again, until N connections have been started in total. Figure =
 * N / elapsed (from the first connect to the last client close), printed
 * as c<C>-conns/s for the C actually used.
 *
 * The RLIMIT_NOFILE soft limit is raised to the hard limit first; if that
 * cannot hold 2*C descriptors plus a margin, C is lowered to what fits.
 *
 * Checks: every connect succeeds (status 0), the server accepts exactly N
 * connections and closes them, every client sees EOF and no data, every
 * handle is closed, the loop ends empty. */
#include "net.h"

#define MAXC 1000

struct client {
  uv_tcp_t tcp;
  uv_connect_t creq;
};

static uv_loop_t loop;
static uv_tcp_t server;
static struct sockaddr_in addr;
static struct client* clients;
static uint64_t target, started, connected, eofs, accepted, server_closed,
    client_closed, slots_done;
static int nslots;
static uint64_t t0, t1;
static char rbuf[256];

static void alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)h;
  (void)suggested;
  buf->base = rbuf;
  buf->len = sizeof(rbuf);
}

static void connect_cb(uv_connect_t* req, int status);

static void start_conn(struct client* c) {
  CHECK_EQ(uv_tcp_init(&loop, &c->tcp), 0);
  c->tcp.data = c;
  started++;
  CHECK_EQ(uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr*)&addr,
                          connect_cb), 0);
}

static void client_close_cb(uv_handle_t* h) {
  client_closed++;
  if (started < target) {
    start_conn(h->data);
  } else if (++slots_done == (uint64_t)nslots) {
    t1 = uv_hrtime();
    uv_close((uv_handle_t*)&server, NULL);
  }
}

static void client_read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  (void)buf;
  if (nread == 0) return;
  if (nread != UV_EOF) BENCH_FAIL("client read: %zd (%s)", nread,
                                  nread < 0 ? uv_strerror((int)nread) : "data");
  eofs++;
  uv_close((uv_handle_t*)s, client_close_cb);
}

static void connect_cb(uv_connect_t* req, int status) {
  if (status != 0) BENCH_FAIL("connect: %s", uv_strerror(status));
  connected++;
  CHECK_EQ(uv_read_start(req->handle, alloc_cb, client_read_cb), 0);
}

static void server_close_cb(uv_handle_t* h) {
  server_closed++;
  free(h);
}

static void connection_cb(uv_stream_t* srv, int status) {
  uv_tcp_t* t;
  CHECK_EQ(status, 0);
  t = malloc(sizeof(*t));
  CHECK(t != NULL);
  CHECK_EQ(uv_tcp_init(&loop, t), 0);
  CHECK_EQ(uv_accept(srv, (uv_stream_t*)t), 0);
  accepted++;
  uv_close((uv_handle_t*)t, server_close_cb);
}

static uint64_t pound(int c, uint64_t n) {
  int i;
  CHECK(c >= 1 && c <= MAXC && (uint64_t)c <= n);
  target = n;
  nslots = c;
  started = connected = eofs = accepted = server_closed = client_closed = 0;
  slots_done = 0;
  t0 = t1 = 0;
  bench_tcp_listen(&loop, &server, 4096, connection_cb, &addr);
  t0 = uv_hrtime();
  for (i = 0; i < c; i++) start_conn(&clients[i]);
  CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  CHECK(t1 > t0);
  CHECK_EQ(started, n);
  CHECK_EQ(connected, n);
  CHECK_EQ(eofs, n);
  CHECK_EQ(client_closed, n);
  CHECK_EQ(accepted, n);
  CHECK_EQ(server_closed, n);
  CHECK(!uv_loop_alive(&loop));
  return t1 - t0;
}

int main(int argc, char** argv) {
  static const int want[] = {100, 1000};
  uint64_t n = bench_arg(argc, argv, 1, 20000);
  uint64_t lim = bench_raise_nofile();
  int i;

  clients = calloc(MAXC, sizeof(*clients));
  CHECK(clients != NULL);
  CHECK_EQ(uv_loop_init(&loop), 0);
  pound(10, 200); /* warm-up */
  for (i = 0; i < 2; i++) {
    int c = want[i];
    char fig[32];
    if ((uint64_t)c * 2 + 64 > lim) {
      c = lim > 64 + 2 ? (int)((lim - 64) / 2) : 1;
      fprintf(stderr, "# RLIMIT_NOFILE %llu: using C = %d instead of %d\n",
              (unsigned long long)lim, c, want[i]);
    }
    snprintf(fig, sizeof(fig), "c%d-conns/s", c);
    bench_report("tcp-pound", fig, n < (uint64_t)c ? (uint64_t)c : n,
                 pound(c, n < (uint64_t)c ? (uint64_t)c : n));
  }
  CHECK_EQ(uv_loop_close(&loop), 0);
  free(clients);
  return 0;
}
