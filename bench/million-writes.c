/* million-writes: many small uv_write() requests on one loopback TCP
 * connection. After the connection is set up (unmeasured), an idle handle
 * issues N = 1,000,000 writes of 16 bytes each in batches of 10,000 per
 * loop iteration (all requests are preallocated and pre-touched); the peer,
 * in the same loop, reads everything. When all write callbacks have run the
 * writer shuts down. Figure = N / elapsed, from the first uv_write to the
 * moment all write callbacks have fired and the reader has seen EOF.
 *
 * Checks: every write callback fires exactly once with status 0 and in
 * issue order, the shutdown succeeds, the reader receives exactly 16*N bytes
 * and every 16-byte record is the expected one (index i, ~i ^ a constant) in
 * order, then EOF. */
#include "net.h"

#define RECSZ 16
#define BATCH 10000
#define MAGIC 0x9e3779b97f4a7c15ULL

struct wreq {
  uv_write_t req;
  uint64_t rec[2];
};

static uv_loop_t loop;
static uv_tcp_t server, sconn, client;
static uv_connect_t connect_req;
static uv_shutdown_t shutdown_req;
static uv_idle_t idler;
static struct sockaddr_in addr;
static struct wreq* reqs;
static uint64_t n, issued, cbs, roff, t0, t1;
static int eof, shut, accepted, connected;
static unsigned char partial[RECSZ];
static char rbuf[65536];

static void expected(uint64_t i, uint64_t rec[2]) {
  rec[0] = i;
  rec[1] = ~i ^ MAGIC;
}

static void maybe_done(void) {
  if (cbs == n && eof) t1 = uv_hrtime();
}

static void alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)h;
  (void)suggested;
  buf->base = rbuf;
  buf->len = sizeof(rbuf);
}

static void check_record(const unsigned char* p, uint64_t i) {
  uint64_t rec[2];
  expected(i, rec);
  if (memcmp(p, rec, RECSZ) != 0) BENCH_FAIL("record %llu wrong", (unsigned long long)i);
}

static void read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  const unsigned char* p = (const unsigned char*)rbuf;
  size_t len;
  (void)buf;
  if (nread == UV_EOF) {
    CHECK_EQ(roff, n * RECSZ);
    eof = 1;
    uv_close((uv_handle_t*)s, NULL);
    maybe_done();
    return;
  }
  if (nread < 0) BENCH_FAIL("read: %s", uv_strerror((int)nread));
  len = (size_t)nread;
  CHECK(roff + len <= n * RECSZ);
  /* Finish a record split over the previous read. */
  while (len > 0 && roff % RECSZ != 0) {
    partial[roff % RECSZ] = *p++;
    len--;
    if (++roff % RECSZ == 0) check_record(partial, roff / RECSZ - 1);
  }
  while (len >= RECSZ) {
    check_record(p, roff / RECSZ);
    p += RECSZ;
    len -= RECSZ;
    roff += RECSZ;
  }
  while (len > 0) {
    partial[roff % RECSZ] = *p++;
    len--;
    roff++;
  }
}

static void shutdown_cb(uv_shutdown_t* req, int status) {
  CHECK_EQ(status, 0);
  shut = 1;
  uv_close((uv_handle_t*)req->handle, NULL);
}

static void write_cb(uv_write_t* req, int status) {
  struct wreq* w = (struct wreq*)req;
  CHECK_EQ(status, 0);
  CHECK_EQ(w->rec[0], cbs); /* callbacks come in issue order */
  cbs++;
  if (cbs == n) {
    CHECK_EQ(uv_shutdown(&shutdown_req, (uv_stream_t*)&client, shutdown_cb), 0);
    maybe_done();
  }
}

static void idle_cb(uv_idle_t* h) {
  uint64_t end = issued + BATCH;
  if (end > n) end = n;
  for (; issued < end; issued++) {
    uv_buf_t b = uv_buf_init((char*)reqs[issued].rec, RECSZ);
    CHECK_EQ(uv_write(&reqs[issued].req, (uv_stream_t*)&client, &b, 1, write_cb), 0);
  }
  if (issued == n) {
    CHECK_EQ(uv_idle_stop(h), 0);
    uv_close((uv_handle_t*)h, NULL);
  }
}

static void start(void) {
  uv_close((uv_handle_t*)&server, NULL);
  CHECK_EQ(uv_idle_init(&loop, &idler), 0);
  CHECK_EQ(uv_idle_start(&idler, idle_cb), 0);
  t0 = uv_hrtime();
}

static void connect_cb(uv_connect_t* req, int status) {
  (void)req;
  CHECK_EQ(status, 0);
  connected = 1;
  if (accepted) start();
}

static void connection_cb(uv_stream_t* srv, int status) {
  CHECK_EQ(status, 0);
  CHECK_EQ(accepted, 0);
  CHECK_EQ(uv_tcp_init(&loop, &sconn), 0);
  CHECK_EQ(uv_accept(srv, (uv_stream_t*)&sconn), 0);
  CHECK_EQ(uv_read_start((uv_stream_t*)&sconn, alloc_cb, read_cb), 0);
  accepted = 1;
  if (connected) start();
}

int main(int argc, char** argv) {
  uint64_t i;
  n = bench_arg(argc, argv, 1, 1000000);

  reqs = malloc(n * sizeof(*reqs));
  CHECK(reqs != NULL);
  memset(reqs, 0, n * sizeof(*reqs)); /* pre-touch, outside the measurement */
  for (i = 0; i < n; i++) expected(i, reqs[i].rec);

  CHECK_EQ(uv_loop_init(&loop), 0);
  bench_tcp_listen(&loop, &server, 16, connection_cb, &addr);
  CHECK_EQ(uv_tcp_init(&loop, &client), 0);
  CHECK_EQ(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*)&addr,
                          connect_cb), 0);
  CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);

  CHECK_EQ(issued, n);
  CHECK_EQ(cbs, n);
  CHECK_EQ(shut, 1);
  CHECK_EQ(eof, 1);
  CHECK_EQ(roff, n * RECSZ);
  CHECK(t1 > t0);
  bench_report("million-writes", "writes/s", n, t1 - t0);
  CHECK_EQ(uv_loop_close(&loop), 0);
  free(reqs);
  return 0;
}
