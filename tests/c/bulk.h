/* Shared by test-tcp-bulk.c and test-pipe-bulk.c: 256 MiB through one
 * stream connection. The writer generates a deterministic pattern on the
 * fly and keeps at most INFLIGHT 1 MiB writes queued; the reader checks
 * every byte against the pattern as it arrives and keeps a running
 * checksum; both checksums and byte counts must match, every write callback
 * runs exactly once with status 0, the shutdown reaches the reader as EOF
 * after the last byte. Each test's main sets up its transport between
 * bulk_start() and bulk_finish(). */
#ifndef RSUV_TEST_BULK_H_
#define RSUV_TEST_BULK_H_

#include "test.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define TOTAL ((uint64_t) 256 << 20)
#define CHUNK ((size_t) 1 << 20)
#define NCHUNKS ((int) (TOTAL / CHUNK))
#define INFLIGHT 4

static uv_loop_t loop;
/* One of each per run; TCP or pipe, as the test's main chooses. */
typedef union {
  uv_tcp_t tcp;
  uv_pipe_t pipe;
} bulk_handle_t;

static bulk_handle_t server, peer, client;
/* Initializes the accepted peer handle for the transport under test. */
static int (*bulk_init_peer)(uv_loop_t* loop, bulk_handle_t* h);
static uv_connect_t connect_req;
static uv_shutdown_t shutdown_req;

/* The pattern: the 8 bytes at offset 8*k are the native bytes of word(k). */
static inline uint64_t pat_word(uint64_t k) {
  uint64_t x = (k + 1) * 0x9E3779B97F4A7C15ull;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  return x ^ (x >> 32);
}

static inline unsigned char pat_byte(uint64_t off) {
  uint64_t w = pat_word(off >> 3);
  unsigned char b[8];
  memcpy(b, &w, 8);
  return b[off & 7];
}

/* A running checksum (two 64-bit sums), updated byte by byte. */
typedef struct { uint64_t s1, s2; } sum_t;

static void sum_update(sum_t* s, const unsigned char* p, size_t n) {
  uint64_t s1 = s->s1, s2 = s->s2;
  size_t i;
  for (i = 0; i < n; i++) {
    s1 += p[i];
    s2 += s1;
  }
  s->s1 = s1;
  s->s2 = s2;
}

/* ---- writer ---- */

typedef struct {
  uv_write_t req;
  unsigned char* data;
  int chunk; /* index of the chunk being written */
} wslot_t;

static wslot_t slots[INFLIGHT];
static int next_chunk, chunks_done, in_flight, max_in_flight;
static int write_calls[NCHUNKS];
static sum_t wsum;
static int shutdown_status = 1, client_closed;

static void client_close_cb(uv_handle_t* h) {
  ASSERT_PTR_EQ(h, &client);
  client_closed++;
}

static void shutdown_cb(uv_shutdown_t* req, int status) {
  ASSERT_PTR_EQ(req, &shutdown_req);
  shutdown_status = status;
  uv_close((uv_handle_t*) &client, client_close_cb);
}

static void write_cb(uv_write_t* req, int status);

static void write_next(wslot_t* s) {
  uint64_t base = (uint64_t) next_chunk * CHUNK;
  uv_buf_t buf;
  size_t j;
  for (j = 0; j < CHUNK / 8; j++) {
    uint64_t w = pat_word((base >> 3) + j);
    memcpy(s->data + 8 * j, &w, 8);
  }
  sum_update(&wsum, s->data, CHUNK);
  s->chunk = next_chunk++;
  buf = uv_buf_init((char*) s->data, (unsigned) CHUNK);
  ASSERT_OK(uv_write(&s->req, (uv_stream_t*) &client, &buf, 1, write_cb));
  in_flight++;
  if (in_flight > max_in_flight)
    max_in_flight = in_flight;
}

static void write_cb(uv_write_t* req, int status) {
  wslot_t* s = (wslot_t*) req;
  ASSERT_OK(status);
  ASSERT(s >= slots && s < slots + INFLIGHT);
  ASSERT_GE(s->chunk, 0);
  ASSERT_LT(s->chunk, NCHUNKS);
  write_calls[s->chunk]++;
  ASSERT_EQ(write_calls[s->chunk], 1);
  /* Writes complete in order. */
  ASSERT_EQ(s->chunk, chunks_done);
  chunks_done++;
  in_flight--;
  s->chunk = -1;
  if (next_chunk < NCHUNKS) {
    write_next(s);
  } else if (chunks_done == NCHUNKS) {
    ASSERT_EQ(in_flight, 0);
    ASSERT_EQ(uv_stream_get_write_queue_size((uv_stream_t*) &client), 0);
    ASSERT_OK(uv_shutdown(&shutdown_req, (uv_stream_t*) &client, shutdown_cb));
  }
}

static void connect_cb(uv_connect_t* req, int status) {
  int i;
  ASSERT_PTR_EQ(req, &connect_req);
  ASSERT_OK(status);
  for (i = 0; i < INFLIGHT; i++)
    write_next(&slots[i]);
  ASSERT_LE(uv_stream_get_write_queue_size((uv_stream_t*) &client),
            (size_t) INFLIGHT * CHUNK);
}

/* ---- reader ---- */

static uint64_t received;
static sum_t rsum;
static int reads, peer_eof, peer_closed, accepted;
static unsigned char* rbuf;
#define RBUF_SIZE 65536

static void alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  ASSERT_PTR_EQ(h, &peer);
  ASSERT_GT(suggested, 0);
  buf->base = (char*) rbuf;
  buf->len = RBUF_SIZE;
}

static void verify(const unsigned char* p, size_t n) {
  uint64_t off = received;
  while (n > 0 && (off & 7) != 0) {
    if (*p != pat_byte(off))
      TEST_FAIL_("byte %" PRIu64 " is 0x%02x, expected 0x%02x", off, *p, pat_byte(off));
    p++, n--, off++;
  }
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    if (w != pat_word(off >> 3))
      TEST_FAIL_("bytes %" PRIu64 "..%" PRIu64 " differ from the pattern", off, off + 7);
    p += 8, n -= 8, off += 8;
  }
  while (n > 0) {
    if (*p != pat_byte(off))
      TEST_FAIL_("byte %" PRIu64 " is 0x%02x, expected 0x%02x", off, *p, pat_byte(off));
    p++, n--, off++;
  }
}

static void peer_close_cb(uv_handle_t* h) {
  ASSERT_PTR_EQ(h, &peer);
  peer_closed++;
}

static void read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  ASSERT_PTR_EQ(s, &peer);
  if (n == UV_EOF) {
    ASSERT_EQ(peer_eof, 0);
    peer_eof = 1;
    ASSERT_UEQ(received, TOTAL);
    uv_close((uv_handle_t*) s, peer_close_cb);
    return;
  }
  ASSERT_GE(n, 0);
  ASSERT_EQ(peer_eof, 0);
  if (n == 0)
    return;
  ASSERT_PTR_EQ(buf->base, rbuf);
  ASSERT_LE((size_t) n, RBUF_SIZE);
  ASSERT_ULE(received + (uint64_t) n, TOTAL);
  verify(rbuf, (size_t) n);
  sum_update(&rsum, rbuf, (size_t) n);
  received += (uint64_t) n;
  reads++;
}

static void connection_cb(uv_stream_t* s, int status) {
  ASSERT_PTR_EQ(s, &server);
  ASSERT_OK(status);
  ASSERT_OK(bulk_init_peer(&loop, &peer));
  ASSERT_OK(uv_accept(s, (uv_stream_t*) &peer));
  accepted++;
  ASSERT_OK(uv_read_start((uv_stream_t*) &peer, alloc_cb, read_cb));
  uv_close((uv_handle_t*) &server, NULL);
}

static void bulk_start(void) {
  int i;

  signal(SIGPIPE, SIG_IGN);
  for (i = 0; i < INFLIGHT; i++) {
    slots[i].data = malloc(CHUNK);
    ASSERT_NOT_NULL(slots[i].data);
    slots[i].chunk = -1;
  }
  rbuf = malloc(RBUF_SIZE);
  ASSERT_NOT_NULL(rbuf);

  ASSERT_OK(uv_loop_init(&loop));
}

/* Runs the transfer and checks everything that arrived. */
static void bulk_finish(const char* label) {
  int i;

  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(accepted, 1);
  ASSERT_EQ(chunks_done, NCHUNKS);
  for (i = 0; i < NCHUNKS; i++)
    ASSERT_EQ(write_calls[i], 1);
  ASSERT_LE(max_in_flight, INFLIGHT);
  ASSERT_OK(shutdown_status);
  ASSERT_EQ(client_closed, 1);
  ASSERT_EQ(peer_eof, 1);
  ASSERT_EQ(peer_closed, 1);
  ASSERT_UEQ(received, TOTAL);
  ASSERT_UEQ(rsum.s1, wsum.s1);
  ASSERT_UEQ(rsum.s2, wsum.s2);
  printf("%s bulk: %" PRIu64 " bytes in %d reads, checksum %016" PRIx64 "/%016" PRIx64 "\n",
         label, received, reads, rsum.s1, rsum.s2);

  close_loop(&loop);
  for (i = 0; i < INFLIGHT; i++)
    free(slots[i].data);
  free(rbuf);
}

#endif  /* RSUV_TEST_BULK_H_ */
