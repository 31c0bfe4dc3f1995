/* tcp-pingpong: request/response latency over one loopback TCP connection.
 * Client and server live in the same loop. The client sends a 64-byte
 * message ("PING", a sequence number, a pattern), the server echoes whatever
 * it reads, and the client sends the next message once the whole echo is
 * back. Figure = round trips / elapsed (after a short unmeasured warm-up).
 * Every echo is compared with what was sent; the byte counts on both sides,
 * the write callbacks (status 0) and a clean EOF at the server are checked. */
#include "net.h"

#define MSG 64
#define NREQ 8 /* client write requests; at most ~2 are ever busy */
#define WARMUP 2000

struct creq {
  uv_write_t req;
  char data[MSG];
  struct creq* next;
};

struct echo {
  uv_write_t req;
  char data[];
};

static uv_loop_t loop;
static uv_tcp_t server, sconn, client;
static uv_connect_t connect_req;
static struct sockaddr_in addr;

static struct creq creqs[NREQ];
static struct creq* free_creqs;
static char sent[MSG], got[MSG];
static size_t got_len;
static uint64_t seq, target, t0, t1;
static uint64_t client_writes, server_writes, server_echoes, server_bytes;
static int server_eof, accepted;
static char rbuf[65536];

static void alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)h;
  (void)suggested;
  buf->base = rbuf;
  buf->len = sizeof(rbuf);
}

static void echo_write_cb(uv_write_t* req, int status) {
  CHECK_EQ(status, 0);
  server_writes++;
  free(req->data);
}

static void server_read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  (void)buf;
  if (nread == UV_EOF) {
    server_eof = 1;
    uv_close((uv_handle_t*)s, NULL);
    return;
  }
  if (nread < 0) BENCH_FAIL("server read: %s", uv_strerror((int)nread));
  if (nread == 0) return;
  server_bytes += (uint64_t)nread;
  server_echoes++;
  struct echo* e = malloc(sizeof(*e) + (size_t)nread);
  CHECK(e != NULL);
  memcpy(e->data, rbuf, (size_t)nread);
  e->req.data = e;
  uv_buf_t b = uv_buf_init(e->data, (unsigned)nread);
  CHECK_EQ(uv_write(&e->req, s, &b, 1, echo_write_cb), 0);
}

static void client_write_cb(uv_write_t* req, int status) {
  struct creq* c = req->data;
  CHECK_EQ(status, 0);
  client_writes++;
  c->next = free_creqs;
  free_creqs = c;
}

static void send_ping(void) {
  struct creq* c = free_creqs;
  CHECK(c != NULL);
  free_creqs = c->next;
  memset(sent, (int)(seq & 0xff), MSG);
  memcpy(sent, "PING", 4);
  memcpy(sent + 8, &seq, sizeof(seq));
  memcpy(c->data, sent, MSG);
  c->req.data = c;
  uv_buf_t b = uv_buf_init(c->data, MSG);
  CHECK_EQ(uv_write(&c->req, (uv_stream_t*)&client, &b, 1, client_write_cb), 0);
  got_len = 0;
}

static void client_read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  (void)buf;
  if (nread == 0) return;
  if (nread < 0) BENCH_FAIL("client read: %s", uv_strerror((int)nread));
  CHECK(got_len + (size_t)nread <= MSG); /* one message in flight */
  memcpy(got + got_len, rbuf, (size_t)nread);
  got_len += (size_t)nread;
  if (got_len < MSG) return;
  if (memcmp(got, sent, MSG) != 0) BENCH_FAIL("echo %llu differs", (unsigned long long)seq);
  seq++;
  if (seq == WARMUP) t0 = uv_hrtime();
  if (seq == WARMUP + target) {
    t1 = uv_hrtime();
    CHECK_EQ(uv_read_stop(s), 0);
    uv_close((uv_handle_t*)s, NULL);
    return;
  }
  send_ping();
}

static void connect_cb(uv_connect_t* req, int status) {
  CHECK_EQ(status, 0);
  CHECK_EQ(uv_tcp_nodelay((uv_tcp_t*)req->handle, 1), 0);
  CHECK_EQ(uv_read_start(req->handle, alloc_cb, client_read_cb), 0);
  send_ping();
}

static void connection_cb(uv_stream_t* srv, int status) {
  CHECK_EQ(status, 0);
  CHECK_EQ(accepted, 0);
  accepted = 1;
  CHECK_EQ(uv_tcp_init(&loop, &sconn), 0);
  CHECK_EQ(uv_accept(srv, (uv_stream_t*)&sconn), 0);
  CHECK_EQ(uv_tcp_nodelay(&sconn, 1), 0);
  CHECK_EQ(uv_read_start((uv_stream_t*)&sconn, alloc_cb, server_read_cb), 0);
  uv_close((uv_handle_t*)srv, NULL); /* one connection only */
}

int main(int argc, char** argv) {
  int i;
  target = bench_arg(argc, argv, 1, 50000);

  for (i = 0; i < NREQ; i++) {
    creqs[i].next = free_creqs;
    free_creqs = &creqs[i];
  }
  CHECK_EQ(uv_loop_init(&loop), 0);
  bench_tcp_listen(&loop, &server, 16, connection_cb, &addr);
  CHECK_EQ(uv_tcp_init(&loop, &client), 0);
  CHECK_EQ(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*)&addr,
                          connect_cb), 0);
  CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);

  CHECK_EQ(seq, WARMUP + target);
  CHECK_EQ(client_writes, WARMUP + target);
  CHECK_EQ(server_writes, server_echoes);
  CHECK(server_echoes >= WARMUP + target);
  CHECK_EQ(server_bytes, (WARMUP + target) * MSG);
  CHECK_EQ(server_eof, 1);
  bench_report("tcp-pingpong", "roundtrips/s", target, t1 - t0);
  CHECK_EQ(uv_loop_close(&loop), 0);
  return 0;
}
