/* Bulk data through a child: 64 MiB of a generated pattern written to
 * /bin/cat's stdin (UV_CREATE_PIPE, readable for the child) in 64 KiB
 * uv_write chunks, a few in flight at a time, then uv_shutdown; everything
 * read back from its stdout (another pipe) must have the same length and
 * FNV-1a hash, followed by EOF and exit status 0. Then 16 MiB the same way
 * through a single duplex pipe to a copy of this program that echoes its
 * fd 0 back into itself. */
#include "spawn-helpers.h"

#define CHUNK (64 * 1024)
#define INFLIGHT 4

static uv_loop_t loop;

/* Byte i of the pattern: not periodic at any power of two we use. */
static void pattern(uint64_t offset, char* buf, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    uint64_t x = (offset + i) * 0x9e3779b97f4a7c15ull;
    buf[i] = (char) (x >> 56);
  }
}

static uint64_t pattern_hash(uint64_t total) {
  static char buf[CHUNK];
  uint64_t h = FNV1A64_INIT;
  uint64_t off;
  for (off = 0; off < total; off += CHUNK) {
    size_t n = total - off < CHUNK ? (size_t) (total - off) : CHUNK;
    pattern(off, buf, n);
    h = fnv1a64(h, buf, n);
  }
  return h;
}

/* ================= the echoing child ================= */

static int child_echo(void) {
  static char buf[CHUNK];
  ssize_t n;
  child_deadline(60);
  while ((n = read(0, buf, sizeof(buf))) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return 2;
    if (write_all(0, buf, (size_t) n) != 0)
      return 3;
  }
  return 0;
}

/* ================= the parent ================= */

typedef struct {
  uv_write_t req;
  char data[CHUNK];
} chunk_t;

static struct {
  uv_stream_t* out;  /* where we write */
  uint64_t total;
  uint64_t sent;     /* queued so far */
  uint64_t written;  /* confirmed by write callbacks */
  int in_flight;
  int shutdown_done;
  uv_shutdown_t shutdown_req;
  int close_out;     /* close `out` after the shutdown (not when duplex) */
  chunk_t chunks[INFLIGHT];
  int free_list[INFLIGHT];
  int nfree;

  uint64_t received;
  uint64_t hash;
  int eof;
  char rbuf[CHUNK];
} x;

static void send_more(void);

static void shutdown_cb(uv_shutdown_t* req, int status) {
  ASSERT_OK(status);
  x.shutdown_done = 1;
  if (x.close_out)
    uv_close((uv_handle_t*) req->handle, NULL);
}

static void write_cb(uv_write_t* req, int status) {
  chunk_t* c = (chunk_t*) req;
  ASSERT_OK(status);
  x.written += req->data ? (uint64_t) (uintptr_t) req->data : 0;
  x.free_list[x.nfree++] = (int) (c - x.chunks);
  x.in_flight--;
  send_more();
}

static void send_more(void) {
  while (x.nfree > 0 && x.sent < x.total) {
    chunk_t* c = &x.chunks[x.free_list[--x.nfree]];
    size_t n = x.total - x.sent < CHUNK ? (size_t) (x.total - x.sent) : CHUNK;
    uv_buf_t buf = uv_buf_init(c->data, (unsigned) n);
    pattern(x.sent, c->data, n);
    c->req.data = (void*) (uintptr_t) n;
    ASSERT_OK(uv_write(&c->req, x.out, &buf, 1, write_cb));
    x.sent += n;
    x.in_flight++;
  }
  if (x.sent == x.total && x.in_flight == 0 && x.shutdown_req.handle == NULL)
    ASSERT_OK(uv_shutdown(&x.shutdown_req, x.out, shutdown_cb));
}

static void alloc_cb(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  (void) h;
  (void) size;
  buf->base = x.rbuf;
  buf->len = sizeof(x.rbuf);
}

static void read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  if (n == UV_EOF) {
    x.eof = 1;
    uv_close((uv_handle_t*) s, NULL);
    return;
  }
  if (n < 0)
    TEST_FAIL_("read: %s", uv_err_name((int) n));
  x.hash = fnv1a64(x.hash, buf->base, (size_t) n);
  x.received += (uint64_t) n;
  ASSERT_UCMP_(x.received, <=, x.total);
}

static void reset(uint64_t total) {
  int i;
  memset(&x, 0, sizeof(x));
  x.total = total;
  x.hash = FNV1A64_INIT;
  for (i = 0; i < INFLIGHT; i++)
    x.free_list[x.nfree++] = i;
}

static void check_done(child_t* c, uint64_t total) {
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(c->exit_calls, 1);
  ASSERT_EQ(c->close_calls, 1);
  ASSERT_EQ(c->exit_status, 0);
  ASSERT_EQ(c->term_signal, 0);
  ASSERT_EQ(x.shutdown_done, 1);
  ASSERT_UEQ(x.written, total);
  ASSERT_EQ(x.eof, 1);
  ASSERT_UEQ(x.received, total);
  ASSERT_UEQ(x.hash, pattern_hash(total));
  printf("%" PRIu64 " bytes there and back, hash %016" PRIx64 "\n", total,
         x.hash);
}

static void test_through_cat(void) {
  const uint64_t total = 64ull << 20;
  uv_process_options_t o;
  uv_stdio_container_t stdio[3];
  uv_pipe_t in, out;
  child_t c;
  char* args[] = { (char*) "cat", NULL };

  reset(total);
  memset(&c, 0, sizeof(c));
  ASSERT_OK(uv_pipe_init(&loop, &in, 0));
  ASSERT_OK(uv_pipe_init(&loop, &out, 0));
  stdio[0].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_READABLE_PIPE);
  stdio[0].data.stream = (uv_stream_t*) &in;
  stdio[1].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = (uv_stream_t*) &out;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  memset(&o, 0, sizeof(o));
  o.file = "/bin/cat";
  o.args = args;
  o.stdio = stdio;
  o.stdio_count = 3;
  o.exit_cb = child_exit_cb;
  ASSERT_OK(uv_spawn(&loop, &c.proc, &o));

  x.out = (uv_stream_t*) &in;
  x.close_out = 1;
  ASSERT_OK(uv_read_start((uv_stream_t*) &out, alloc_cb, read_cb));
  send_more();
  check_done(&c, total);
}

static void test_through_duplex_self(void) {
  const uint64_t total = 16ull << 20;
  uv_process_options_t o;
  uv_stdio_container_t stdio[3];
  uv_pipe_t both;
  child_t c;
  self_args_t a;

  reset(total);
  memset(&c, 0, sizeof(c));
  ASSERT_OK(uv_pipe_init(&loop, &both, 0));
  stdio[0].flags =
      (uv_stdio_flags) (UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE);
  stdio[0].data.stream = (uv_stream_t*) &both;
  stdio[1].flags = UV_IGNORE;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  memset(&o, 0, sizeof(o));
  o.file = self_exe;
  o.args = self_argv(&a, "echo", NULL, NULL, NULL);
  o.stdio = stdio;
  o.stdio_count = 3;
  o.exit_cb = child_exit_cb;
  ASSERT_OK(uv_spawn(&loop, &c.proc, &o));

  x.out = (uv_stream_t*) &both;
  x.close_out = 0; /* closed by read_cb at EOF */
  ASSERT_OK(uv_read_start((uv_stream_t*) &both, alloc_cb, read_cb));
  send_more();
  check_done(&c, total);
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "--child") == 0) {
    if (strcmp(argv[2], "echo") == 0)
      return child_echo();
    fprintf(stderr, "unknown child mode %s\n", argv[2]);
    return 100;
  }

  self_exe_init();
  ASSERT_OK(uv_loop_init(&loop));
  test_through_cat();
  test_through_duplex_self();
  close_loop(&loop);
  assert_no_children();
  printf("ok\n");
  return 0;
}
