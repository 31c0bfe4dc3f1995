/* udp-pummel: SENDERS (4) UDP handles pump 64-byte datagrams to one
 * receiving handle on 127.0.0.1, all in one loop. Two figures:
 *
 * send-datagrams/s: each sender keeps REQS (16) uv_udp_send_t requests
 *   cycling (re-sent from the send callback); N datagrams in all.
 * try_send-datagrams/s: the same with uv_udp_try_send (no requests, no
 *   send callbacks; uv_udp_send if the socket says EAGAIN), sending a new
 *   datagram for each one received.
 *
 * Flow control keeps at most WINDOW datagrams sent and not yet received,
 * well below the default receive buffer, so loopback drops nothing and
 * every datagram is checked: exactly N arrive, each 64 bytes from the
 * sender named in its payload with that sender's sequence number in order,
 * and every send callback reports 0. A stall (no progress for 2 s) fails
 * the run. Figure = N / (first send .. last datagram received). */
#include "bench.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#define SENDERS 4
#define REQS 16
#define WINDOW 64
#define PAYLOAD 64

struct sreq {
  uv_udp_send_t req;
  int sender;
  int busy; /* sent, callback not yet run */
  char data[PAYLOAD];
};

static uv_loop_t loop;
static uv_udp_t rx, tx[SENDERS];
static unsigned short tx_port[SENDERS];
static struct sockaddr_in rx_addr;
static struct sreq reqs[SENDERS * REQS];
static struct sreq* parked[SENDERS * REQS];
static int nparked;
static uv_timer_t watchdog;
static uint64_t target, sent, received, send_cbs, last_received;
static uint64_t seq_out[SENDERS], seq_in[SENDERS];
static uint64_t t1;
static int use_try_send;
static char slab[65536];

static void fill(char* data, int sender) {
  memset(data, 'p', PAYLOAD);
  data[0] = (char) sender;
  memcpy(data + 8, &seq_out[sender], sizeof(uint64_t));
  seq_out[sender]++;
}

static void send_cb(uv_udp_send_t* req, int status);

/* Sends one datagram on request r, or parks r while the window is full. */
static void pump(struct sreq* r) {
  uv_buf_t b;
  if (sent == target)
    return;
  if (sent - received >= WINDOW) {
    parked[nparked++] = r;
    return;
  }
  sent++;
  fill(r->data, r->sender);
  r->busy = 1;
  b = uv_buf_init(r->data, PAYLOAD);
  CHECK_EQ(uv_udp_send(&r->req, &tx[r->sender], &b, 1,
                       (const struct sockaddr*) &rx_addr, send_cb),
           0);
}

static void send_cb(uv_udp_send_t* req, int status) {
  CHECK_EQ(status, 0);
  CHECK(((struct sreq*) req)->busy);
  ((struct sreq*) req)->busy = 0;
  send_cbs++;
  if (!use_try_send)
    pump((struct sreq*) req);
}

/* try_send mode: one datagram from the next sender (round robin). */
static char try_data[PAYLOAD];
static struct sreq fallback[SENDERS * WINDOW];
static int fallback_next;

static void try_one(void) {
  int s = (int) (sent % SENDERS);
  uv_buf_t b;
  int r;
  sent++;
  fill(try_data, s);
  b = uv_buf_init(try_data, PAYLOAD);
  r = uv_udp_try_send(&tx[s], &b, 1, (const struct sockaddr*) &rx_addr);
  if (r == PAYLOAD)
    return;
  CHECK_EQ(r, UV_EAGAIN);
  /* The socket is busy: queue it (the fallback pool is a ring larger than
   * the window, so an entry is free again long before it is reused). */
  {
    struct sreq* f = &fallback[fallback_next++ % (SENDERS * WINDOW)];
    CHECK(!f->busy);
    f->busy = 1;
    memcpy(f->data, try_data, PAYLOAD);
    b = uv_buf_init(f->data, PAYLOAD);
    CHECK_EQ(uv_udp_send(&f->req, &tx[s], &b, 1,
                         (const struct sockaddr*) &rx_addr, send_cb),
             0);
  }
}

static void alloc_cb(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  (void) h;
  (void) size;
  *buf = uv_buf_init(slab, sizeof(slab));
}

static void close_all(void) {
  int i;
  uv_close((uv_handle_t*) &rx, NULL);
  for (i = 0; i < SENDERS; i++) uv_close((uv_handle_t*) &tx[i], NULL);
  uv_close((uv_handle_t*) &watchdog, NULL);
}

static void recv_cb(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  int s;
  uint64_t seq;
  (void) h;
  if (nread == 0 && addr == NULL) return;
  CHECK_EQ(nread, PAYLOAD);
  CHECK_EQ(flags, 0);
  CHECK(addr != NULL && addr->sa_family == AF_INET);
  s = buf->base[0];
  CHECK(s >= 0 && s < SENDERS);
  CHECK_EQ(((const struct sockaddr_in*) addr)->sin_port, tx_port[s]);
  memcpy(&seq, buf->base + 8, sizeof(seq));
  CHECK_EQ(seq, seq_in[s]);
  seq_in[s]++;
  received++;
  CHECK(received <= sent);
  if (received == target) {
    t1 = uv_hrtime();
    close_all();
    return;
  }
  if (use_try_send) {
    if (sent < target) try_one();
  } else if (nparked > 0) {
    pump(parked[--nparked]);
  }
}

static void watchdog_cb(uv_timer_t* t) {
  (void) t;
  if (received == last_received)
    BENCH_FAIL("stalled: %llu sent, %llu received (datagrams lost?)",
               (unsigned long long) sent, (unsigned long long) received);
  last_received = received;
}

static uint64_t run(uint64_t n, int try_mode) {
  struct sockaddr_in a;
  int len, i;
  uint64_t t0;

  target = n;
  sent = received = send_cbs = last_received = 0;
  nparked = 0;
  fallback_next = 0;
  use_try_send = try_mode;
  memset(seq_out, 0, sizeof(seq_out));
  memset(seq_in, 0, sizeof(seq_in));
  CHECK_EQ(uv_loop_init(&loop), 0);

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK_EQ(uv_udp_init(&loop, &rx), 0);
  CHECK_EQ(uv_udp_bind(&rx, (const struct sockaddr*) &a, 0), 0);
  len = sizeof(rx_addr);
  CHECK_EQ(uv_udp_getsockname(&rx, (struct sockaddr*) &rx_addr, &len), 0);
  CHECK_EQ(uv_udp_recv_start(&rx, alloc_cb, recv_cb), 0);
  for (i = 0; i < SENDERS; i++) {
    struct sockaddr_in t;
    CHECK_EQ(uv_udp_init(&loop, &tx[i]), 0);
    CHECK_EQ(uv_udp_bind(&tx[i], (const struct sockaddr*) &a, 0), 0);
    len = sizeof(t);
    CHECK_EQ(uv_udp_getsockname(&tx[i], (struct sockaddr*) &t, &len), 0);
    tx_port[i] = t.sin_port;
  }
  CHECK_EQ(uv_timer_init(&loop, &watchdog), 0);
  CHECK_EQ(uv_timer_start(&watchdog, watchdog_cb, 2000, 2000), 0);
  uv_unref((uv_handle_t*) &watchdog);

  t0 = uv_hrtime();
  if (try_mode) {
    for (i = 0; i < WINDOW && sent < target; i++) try_one();
  } else {
    for (i = 0; i < SENDERS * REQS; i++) {
      reqs[i].sender = i % SENDERS;
      pump(&reqs[i]);
    }
  }
  CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  CHECK_EQ(received, n);
  for (i = 0; i < SENDERS * REQS; i++) CHECK(!reqs[i].busy);
  for (i = 0; i < SENDERS * WINDOW; i++) CHECK(!fallback[i].busy);
  CHECK_EQ(sent, n);
  if (!try_mode) CHECK_EQ(send_cbs, n);
  for (i = 0; i < SENDERS; i++) CHECK_EQ(seq_in[i], seq_out[i]);
  CHECK_EQ(uv_loop_close(&loop), 0);
  return t1 - t0;
}

int main(int argc, char** argv) {
  uint64_t n = bench_arg(argc, argv, 1, 400000);
  uint64_t ns;

  run(n / 20 + 1, 0); /* warm-up */
  ns = run(n, 0);
  bench_report("udp-pummel", "send-datagrams/s", n, ns);
  ns = run(n, 1);
  bench_report("udp-pummel", "try_send-datagrams/s", n, ns);
  return 0;
}
