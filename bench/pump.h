/* Shared body of tcp-pump.c and pipe-pump.c (define PUMP_PIPE for the
 * Unix-domain socket variant before including this file).
 *
 * Throughput over loopback stream connections, writer and reader in one
 * loop. NCONN connections are opened first (unmeasured); then every writer
 * keeps INFLIGHT writes of REC = 64 KiB in flight until it has written its
 * share of the total, shuts down and closes. The readers count what they
 * receive until EOF. Figure = MiB received / elapsed (from the first write
 * to the last EOF).
 *
 * Checks: each write callback has status 0 and each shutdown status 0; each
 * reader receives exactly the bytes its writer wrote, then EOF. The data is
 * a deterministic stream: record k (64 KiB) = 8-byte header k, then a fixed
 * pseudo-random pattern. Each read chunk is checked in full (headers byte by
 * byte, payload with memcmp against the pattern), so lost, duplicated,
 * reordered or shifted data fails the run. */
#include "net.h"

#ifdef PUMP_PIPE
#include <stdio.h>
#define PUMP_NAME "pipe-pump"
typedef uv_pipe_t pump_handle_t;
#else
#define PUMP_NAME "tcp-pump"
typedef uv_tcp_t pump_handle_t;
#endif

#define REC 65536
#define HDR 8
#define INFLIGHT 16
#define MAXCONN 100

struct wconn;

struct wslot {
  uv_write_t req;
  uint64_t hdr;
  struct wconn* c;
};

struct wconn {
  pump_handle_t h;
  uv_connect_t creq;
  uv_shutdown_t sreq;
  uint64_t next_rec;
  int inflight;
  struct wslot slots[INFLIGHT];
};

struct rconn {
  pump_handle_t h;
  uint64_t off;
  int eof;
};

static uv_loop_t loop;
static pump_handle_t server;
#ifdef PUMP_PIPE
static char pipe_path[108];
#else
static struct sockaddr_in addr;
#endif
static struct wconn wconns[MAXCONN];
static struct rconn rconns[MAXCONN];
static int nconn, connected, accepted, eofs, shutdowns, closes;
static uint64_t recs_per_conn, writes_done, t0, t1;
static unsigned char pattern[REC];
static char rbuf[REC];

static void alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)h;
  (void)suggested;
  buf->base = rbuf;
  buf->len = sizeof(rbuf);
}

/* Checks chunk p[0..n) found at stream offset off. */
static void verify(uint64_t off, const char* p, size_t n) {
  while (n > 0) {
    uint64_t rec = off / REC;
    size_t in = (size_t)(off % REC);
    size_t len = REC - in;
    if (len > n) len = n;
    size_t i = in;
    for (; i < HDR && i < in + len; i++) {
      if ((unsigned char)p[i - in] != (unsigned char)(rec >> (8 * i)))
        BENCH_FAIL("header byte %zu of record %llu wrong", i, (unsigned long long)rec);
    }
    if (in + len > i && memcmp(p + (i - in), pattern + i, in + len - i) != 0)
      BENCH_FAIL("payload of record %llu wrong at offset %zu", (unsigned long long)rec, i);
    p += len;
    off += len;
    n -= len;
  }
}

static void close_cb(uv_handle_t* h) {
  (void)h;
  closes++;
}

static void read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  struct rconn* r = s->data;
  (void)buf;
  if (nread == UV_EOF) {
    CHECK_EQ(r->off, recs_per_conn * REC);
    CHECK_EQ(r->eof, 0);
    r->eof = 1;
    uv_close((uv_handle_t*)s, close_cb);
    if (++eofs == nconn) t1 = uv_hrtime();
    return;
  }
  if (nread < 0) BENCH_FAIL("read: %s", uv_strerror((int)nread));
  verify(r->off, rbuf, (size_t)nread);
  r->off += (uint64_t)nread;
  CHECK(r->off <= recs_per_conn * REC);
}

static void write_cb(uv_write_t* req, int status);

static void shutdown_cb(uv_shutdown_t* req, int status) {
  CHECK_EQ(status, 0);
  shutdowns++;
  uv_close((uv_handle_t*)req->handle, close_cb);
}

static void issue(struct wconn* c, struct wslot* w) {
  uv_buf_t b[2];
  uint64_t k = c->next_rec++;
  int i;
  for (i = 0; i < HDR; i++) ((unsigned char*)&w->hdr)[i] = (unsigned char)(k >> (8 * i));
  b[0] = uv_buf_init((char*)&w->hdr, HDR);
  b[1] = uv_buf_init((char*)pattern + HDR, REC - HDR);
  c->inflight++;
  CHECK_EQ(uv_write(&w->req, (uv_stream_t*)&c->h, b, 2, write_cb), 0);
}

static void write_cb(uv_write_t* req, int status) {
  struct wslot* w = req->data;
  struct wconn* c = w->c;
  CHECK_EQ(status, 0);
  writes_done++;
  c->inflight--;
  if (c->next_rec < recs_per_conn) {
    issue(c, w);
  } else if (c->inflight == 0) {
    CHECK_EQ(uv_shutdown(&c->sreq, (uv_stream_t*)&c->h, shutdown_cb), 0);
  }
}

static void start_pump(void) {
  int i, j;
  uv_close((uv_handle_t*)&server, close_cb);
  t0 = uv_hrtime();
  for (i = 0; i < nconn; i++) {
    struct wconn* c = &wconns[i];
    for (j = 0; j < INFLIGHT && c->next_rec < recs_per_conn; j++) {
      c->slots[j].c = c;
      c->slots[j].req.data = &c->slots[j];
      issue(c, &c->slots[j]);
    }
  }
}

static void connect_cb(uv_connect_t* req, int status) {
  (void)req;
  CHECK_EQ(status, 0);
  if (++connected == nconn && accepted == nconn) start_pump();
}

static void connection_cb(uv_stream_t* srv, int status) {
  struct rconn* r;
  CHECK_EQ(status, 0);
  CHECK(accepted < nconn);
  r = &rconns[accepted];
#ifdef PUMP_PIPE
  CHECK_EQ(uv_pipe_init(&loop, &r->h, 0), 0);
#else
  CHECK_EQ(uv_tcp_init(&loop, &r->h), 0);
#endif
  CHECK_EQ(uv_accept(srv, (uv_stream_t*)&r->h), 0);
  r->h.data = r;
  CHECK_EQ(uv_read_start((uv_stream_t*)&r->h, alloc_cb, read_cb), 0);
  if (++accepted == nconn && connected == nconn) start_pump();
}

/* One measured run: n connections, `recs` records of REC bytes each. */
static uint64_t pump(int n, uint64_t recs) {
  int i;
  CHECK(n >= 1 && n <= MAXCONN);
  memset(wconns, 0, sizeof(wconns));
  memset(rconns, 0, sizeof(rconns));
  nconn = n;
  recs_per_conn = recs;
  connected = accepted = eofs = shutdowns = closes = 0;
  writes_done = 0;
  t0 = t1 = 0;

#ifdef PUMP_PIPE
  CHECK_EQ(uv_pipe_init(&loop, &server, 0), 0);
  unlink(pipe_path);
  CHECK_EQ(uv_pipe_bind(&server, pipe_path), 0);
  CHECK_EQ(uv_listen((uv_stream_t*)&server, 1024, connection_cb), 0);
  for (i = 0; i < n; i++) {
    CHECK_EQ(uv_pipe_init(&loop, &wconns[i].h, 0), 0);
    uv_pipe_connect(&wconns[i].creq, &wconns[i].h, pipe_path, connect_cb);
  }
#else
  bench_tcp_listen(&loop, &server, 1024, connection_cb, &addr);
  for (i = 0; i < n; i++) {
    CHECK_EQ(uv_tcp_init(&loop, &wconns[i].h), 0);
    CHECK_EQ(uv_tcp_connect(&wconns[i].creq, &wconns[i].h,
                            (const struct sockaddr*)&addr, connect_cb), 0);
  }
#endif
  CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
#ifdef PUMP_PIPE
  unlink(pipe_path);
#endif

  CHECK(t0 != 0 && t1 >= t0);
  CHECK_EQ(connected, n);
  CHECK_EQ(accepted, n);
  CHECK_EQ(eofs, n);
  CHECK_EQ(shutdowns, n);
  CHECK_EQ(closes, 2 * n + 1);
  CHECK_EQ(writes_done, (uint64_t)n * recs);
  for (i = 0; i < n; i++) {
    CHECK_EQ(wconns[i].next_rec, recs);
    CHECK_EQ(wconns[i].inflight, 0);
    CHECK_EQ(rconns[i].off, recs * REC);
  }
  CHECK(!uv_loop_alive(&loop));
  return t1 - t0;
}

static void report(int n, uint64_t recs, uint64_t ns) {
  char fig[32];
  uint64_t bytes = (uint64_t)n * recs * REC;
  snprintf(fig, sizeof(fig), "c%d-MiB/s", n);
  if (ns == 0) ns = 1;
  printf("%s %s %.0f\n", PUMP_NAME, fig, (double)bytes / 1048576.0 * 1e9 / (double)ns);
  fflush(stdout);
  fprintf(stderr, "# %s %s: %llu MiB over %d connection(s) in %.3f s (libuv %s)\n",
          PUMP_NAME, fig, (unsigned long long)(bytes >> 20), n, (double)ns / 1e9,
          uv_version_string());
}

static int pump_main(int argc, char** argv, uint64_t default_mib,
                     const int* conns, int nconns) {
  /* Argument: total MiB per measured run. */
  uint64_t mib = bench_arg(argc, argv, 1, default_mib);
  uint64_t seed = 0x5eed1234abcdULL;
  int i;

  for (i = 0; i < REC; i++) pattern[i] = (unsigned char)(bench_rand(&seed) >> 56);
#ifdef PUMP_PIPE
  snprintf(pipe_path, sizeof(pipe_path), "/tmp/rsuv-bench-pipe-pump-%ld.sock", (long)getpid());
#endif
  CHECK_EQ(uv_loop_init(&loop), 0);
  pump(1, 64); /* warm-up: 4 MiB */
  for (i = 0; i < nconns; i++) {
    int n = conns[i];
    uint64_t recs = mib * 16 / (uint64_t)n; /* 16 records per MiB */
    if (recs == 0) recs = 1;
    report(n, recs, pump(n, recs));
  }
  CHECK_EQ(uv_loop_close(&loop), 0);
  return 0;
}
