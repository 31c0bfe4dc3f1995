/* tcp-conns: many concurrent loopback TCP connections, all echoing at once
 * (the long form of tests/c/test-load-tcp.c). C connections (10,000, or
 * what the descriptor limit holds: each needs two descriptors in this one
 * process) are opened to a server in the same loop; once all are open,
 * every client sends a 64-byte message, waits for its echo, and sends
 * again, until N echoes have come back in all. Figure = N / elapsed (from
 * the first send to the last echo), printed as c<C>-echoes/s.
 *
 * Checks: every connection is accepted, every echo carries the bytes its
 * client sent, no connection ends early, every handle is closed and the
 * loop ends empty. */
#include "net.h"

#define MSG 64
#define MAXC 10000
#define MAX_CONNECTING 500

struct conn {
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_write_t wreq;
  char out[MSG];
  size_t got;
  uint64_t round;
  int writing; /* wreq is in flight: the echo may come before its callback */
};

struct echo {
  uv_write_t req;
  char data[65536];
};

static uv_loop_t loop;
static uv_tcp_t server;
static struct sockaddr_in addr;
static struct conn* conns;
static int nconns, next_conn, connecting, connected, accepted, closed;
static uint64_t target, echoes, sent;
static uint64_t t0, t1;
static char rbuf[65536];

static void close_cb(uv_handle_t* h) {
  (void)h;
  closed++;
}

static void fill(struct conn* c) {
  int i;
  for (i = 0; i < MSG; i++)
    c->out[i] = (char)((c - conns) * 7 + c->round * 13 + (uint64_t)i);
}

static void send_one(struct conn* c);

/* The next message goes once the echo is in and the write is done. */
static void maybe_next(struct conn* c) {
  if (c->writing || c->got < MSG || echoes >= target)
    return;
  if (sent < target)
    send_one(c);
}

static void client_write_cb(uv_write_t* req, int status) {
  struct conn* c = (struct conn*)req->handle;
  CHECK_EQ(status, 0);
  c->writing = 0;
  maybe_next(c);
}

static void send_one(struct conn* c) {
  uv_buf_t b;
  fill(c);
  c->got = 0;
  b = uv_buf_init(c->out, MSG);
  CHECK_EQ(uv_write(&c->wreq, (uv_stream_t*)&c->tcp, &b, 1, client_write_cb), 0);
  c->writing = 1;
  sent++;
}

static void client_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)h;
  (void)suggested;
  buf->base = rbuf;
  buf->len = sizeof(rbuf);
}

static void client_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct conn* c = (struct conn*)s;
  ssize_t i;
  CHECK(n >= 0);
  for (i = 0; i < n; i++) {
    CHECK(c->got < MSG);
    CHECK_EQ(buf->base[i], c->out[c->got]);
    c->got++;
  }
  if (c->got < MSG)
    return;
  echoes++;
  c->round++;
  if (echoes == target) {
    int k;
    t1 = uv_hrtime();
    for (k = 0; k < nconns; k++)
      uv_close((uv_handle_t*)&conns[k].tcp, close_cb);
    return;
  }
  maybe_next(c);
}

static void start_echoing(void) {
  int k;
  t0 = uv_hrtime();
  for (k = 0; k < nconns && sent < target; k++) {
    CHECK_EQ(uv_read_start((uv_stream_t*)&conns[k].tcp, client_alloc, client_read), 0);
    send_one(&conns[k]);
  }
}

static void connect_more(void);

static void connect_cb(uv_connect_t* req, int status) {
  (void)req;
  CHECK_EQ(status, 0);
  connecting--;
  if (++connected == nconns)
    start_echoing();
  else
    connect_more();
}

static void connect_more(void) {
  while (next_conn < nconns && connecting < MAX_CONNECTING) {
    struct conn* c = &conns[next_conn++];
    CHECK_EQ(uv_tcp_init(&loop, &c->tcp), 0);
    CHECK_EQ(uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr*)&addr, connect_cb), 0);
    connecting++;
  }
}

static void free_cb(uv_handle_t* h) {
  free(h);
}

static void server_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  struct echo* e = malloc(sizeof(*e));
  (void)h;
  (void)suggested;
  CHECK(e != NULL);
  buf->base = e->data;
  buf->len = sizeof(e->data);
}

static void server_write_cb(uv_write_t* req, int status) {
  CHECK_EQ(status, 0);
  free(req);
}

static void server_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  struct echo* e = (struct echo*)(buf->base - offsetof(struct echo, data));
  if (n > 0) {
    uv_buf_t b = uv_buf_init(buf->base, (unsigned)n);
    CHECK_EQ(uv_write(&e->req, s, &b, 1, server_write_cb), 0);
    return;
  }
  free(e);
  if (n < 0) {
    CHECK_EQ(n, UV_EOF);
    uv_close((uv_handle_t*)s, free_cb);
  }
}

static void on_connection(uv_stream_t* srv, int status) {
  uv_tcp_t* t = malloc(sizeof(*t));
  CHECK_EQ(status, 0);
  CHECK(t != NULL);
  CHECK_EQ(uv_tcp_init(&loop, t), 0);
  CHECK_EQ(uv_accept(srv, (uv_stream_t*)t), 0);
  CHECK_EQ(uv_read_start((uv_stream_t*)t, server_alloc, server_read), 0);
  if (++accepted == nconns)
    uv_close((uv_handle_t*)srv, NULL);
}

int main(int argc, char** argv) {
  uint64_t limit = bench_raise_nofile();
  char figure[32];

  target = bench_arg(argc, argv, 1, 500000);
  nconns = MAXC;
  if ((uint64_t)nconns * 2 + 100 > limit)
    nconns = (int)((limit - 100) / 2);
  CHECK(nconns >= 100);
  conns = calloc((size_t)nconns, sizeof(*conns));
  CHECK(conns != NULL);
  CHECK_EQ(uv_loop_init(&loop), 0);
  bench_tcp_listen(&loop, &server, 1024, on_connection, &addr);
  connect_more();
  CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  CHECK_EQ(accepted, nconns);
  CHECK_EQ(echoes, target);
  CHECK_EQ(closed, nconns);
  CHECK_EQ(uv_loop_close(&loop), 0);
  free(conns);
  snprintf(figure, sizeof(figure), "c%d-echoes/s", nconns);
  bench_report("tcp-conns", figure, target, t1 - t0);
  return 0;
}
