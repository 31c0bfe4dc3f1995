/* A 64 MiB file: written with asynchronous positioned uv_fs_write calls (4
 * chunks of 1 MiB in flight), copied with an asynchronous uv_fs_copyfile,
 * and sent with uv_fs_sendfile (synchronous, repeated until everything has
 * moved, whatever each call transfers) to a third file. All three are read
 * back through uv_fs_read (synchronously at explicit offsets,
 * asynchronously at explicit offsets, and synchronously at the current
 * position) and their FNV-1a hashes and sizes must equal those of the data
 * that was generated. The files are removed at the end. */
#include "fs-helpers.h"

#define TOTAL ((int64_t) 64 << 20)
#define CHUNK ((size_t) 1 << 20)
#define NCHUNKS ((int) (TOTAL / (int64_t) CHUNK))
#define INFLIGHT 4

static uv_loop_t loop;

/* The data: the 8 bytes at offset 8*k are the native bytes of word(k). */
static uint64_t word(uint64_t k) {
  uint64_t x = (k + 1) * 0x9E3779B97F4A7C15ull;
  x ^= x >> 31;
  x *= 0xD6E8FEB86659FD93ull;
  return x ^ (x >> 29);
}

static void fill_chunk(char* buf, int index) {
  uint64_t k = (uint64_t) index * (CHUNK / 8);
  size_t i;
  for (i = 0; i < CHUNK / 8; i++) {
    uint64_t w = word(k + i);
    memcpy(buf + 8 * i, &w, 8);
  }
}

/* ---- writing ---- */

typedef struct {
  uv_fs_t req;
  char* buf;
  int index;
} wslot_t;

static wslot_t wslots[INFLIGHT];
static int wfd;
static int next_chunk;
static int chunks_done;
static uint64_t expect_hash;

static void write_cb(uv_fs_t* req);

static void start_write(wslot_t* s) {
  uv_buf_t b;
  s->index = next_chunk++;
  fill_chunk(s->buf, s->index);
  b = uv_buf_init(s->buf, (unsigned) CHUNK);
  ASSERT_OK(uv_fs_write(&loop, &s->req, wfd, &b, 1,
                        (int64_t) s->index * (int64_t) CHUNK, write_cb));
}

static void write_cb(uv_fs_t* req) {
  wslot_t* s = (wslot_t*) req;
  ASSERT_EQ(req->result, (ssize_t) CHUNK);
  uv_fs_req_cleanup(req);
  chunks_done++;
  if (next_chunk < NCHUNKS)
    start_write(s);
}

static void write_file(const char* path) {
  uv_fs_t req;
  char* chunk;
  int i;

  wfd = uv_fs_open(&loop, &req, path,
                   UV_FS_O_WRONLY | UV_FS_O_CREAT | UV_FS_O_TRUNC, 0644, NULL);
  ASSERT_GE(wfd, 0);
  uv_fs_req_cleanup(&req);

  for (i = 0; i < INFLIGHT; i++) {
    wslots[i].buf = malloc(CHUNK);
    ASSERT_NOT_NULL(wslots[i].buf);
    start_write(&wslots[i]);
  }
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(chunks_done, NCHUNKS);
  for (i = 0; i < INFLIGHT; i++)
    free(wslots[i].buf);

  /* The expected hash, over the same data in file order. */
  chunk = malloc(CHUNK);
  ASSERT_NOT_NULL(chunk);
  expect_hash = FNV1A64_INIT;
  for (i = 0; i < NCHUNKS; i++) {
    fill_chunk(chunk, i);
    expect_hash = fnv1a64(expect_hash, chunk, CHUNK);
  }
  free(chunk);

  ASSERT_OK(uv_fs_fsync(&loop, &req, wfd, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(uv_fs_close(&loop, &req, wfd, NULL));
  uv_fs_req_cleanup(&req);
}

/* ---- reading back ---- */

static int open_ro(const char* path) {
  uv_fs_t req;
  int fd = uv_fs_open(&loop, &req, path, UV_FS_O_RDONLY, 0, NULL);
  ASSERT_GE(fd, 0);
  uv_fs_req_cleanup(&req);
  return fd;
}

static void close_fd(int fd) {
  uv_fs_t req;
  ASSERT_OK(uv_fs_close(&loop, &req, fd, NULL));
  uv_fs_req_cleanup(&req);
}

/* Synchronous reads, at explicit offsets (positional) or at the current
 * position (-1). */
static uint64_t hash_sync(const char* path, int positional, int64_t* size) {
  char* buf = malloc(CHUNK);
  uint64_t h = FNV1A64_INIT;
  int64_t off = 0;
  uv_fs_t req;
  uv_buf_t b;
  int fd = open_ro(path);
  ssize_t r;

  ASSERT_NOT_NULL(buf);
  for (;;) {
    /* Odd-sized reads so that they do not line up with the chunks. */
    b = uv_buf_init(buf, (unsigned) (CHUNK - 4093));
    r = uv_fs_read(&loop, &req, fd, &b, 1, positional ? off : -1, NULL);
    ASSERT_EQ(r, req.result);
    uv_fs_req_cleanup(&req);
    ASSERT_GE(r, 0);
    if (r == 0)
      break;
    h = fnv1a64(h, buf, (size_t) r);
    off += r;
  }
  if (positional)
    ASSERT_EQ(lseek(fd, 0, SEEK_CUR), 0);
  else
    ASSERT_EQ(lseek(fd, 0, SEEK_CUR), off);
  close_fd(fd);
  free(buf);
  *size = off;
  return h;
}

/* Asynchronous reads into two buffers per request, chained from the
 * callback. */
static struct {
  uv_fs_t req;
  int fd;
  char* a;
  char* b;
  int64_t off;
  uint64_t h;
  int done;
} ar;

static void async_read_cb(uv_fs_t* req);

static void async_read_next(void) {
  uv_buf_t bufs[2];
  bufs[0] = uv_buf_init(ar.a, 1000);
  bufs[1] = uv_buf_init(ar.b, (unsigned) (CHUNK - 1000));
  ASSERT_OK(uv_fs_read(&loop, &ar.req, ar.fd, bufs, 2, ar.off, async_read_cb));
}

static void async_read_cb(uv_fs_t* req) {
  ssize_t r = req->result;
  ASSERT_PTR_EQ(req, &ar.req);
  ASSERT_GE(r, 0);
  uv_fs_req_cleanup(req);
  if (r == 0) {
    ar.done = 1;
    return;
  }
  if (r <= 1000) {
    ar.h = fnv1a64(ar.h, ar.a, (size_t) r);
  } else {
    ar.h = fnv1a64(ar.h, ar.a, 1000);
    ar.h = fnv1a64(ar.h, ar.b, (size_t) r - 1000);
  }
  ar.off += r;
  async_read_next();
}

static uint64_t hash_async(const char* path, int64_t* size) {
  memset(&ar, 0, sizeof(ar));
  ar.fd = open_ro(path);
  ar.a = malloc(1000);
  ar.b = malloc(CHUNK);
  ar.h = FNV1A64_INIT;
  ASSERT_NOT_NULL(ar.a);
  ASSERT_NOT_NULL(ar.b);
  async_read_next();
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(ar.done, 1);
  close_fd(ar.fd);
  free(ar.a);
  free(ar.b);
  *size = ar.off;
  return ar.h;
}

static int64_t stat_size(const char* path) {
  uv_fs_t req;
  int64_t size;
  ASSERT_OK(uv_fs_stat(&loop, &req, path, NULL));
  size = (int64_t) req.statbuf.st_size;
  uv_fs_req_cleanup(&req);
  return size;
}

int main(void) {
  const char *a, *b, *c;
  uv_fs_t req;
  int64_t size;
  int64_t off;
  uint64_t h;
  int in;
  int out;
  ssize_t r;

  fs_tmp_init("fs-bulk");
  ASSERT_OK(uv_loop_init(&loop));
  a = tpath("original");
  b = tpath("copied");
  c = tpath("sent");

  write_file(a);
  ASSERT_EQ(stat_size(a), TOTAL);

  /* copyfile, asynchronously. */
  ASSERT_OK(fs_wait(&loop, &req, 1,
                    uv_fs_copyfile(&loop, &req, a, b, 0, fs_done_cb)));
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(stat_size(b), TOTAL);

  /* sendfile, synchronously, until all has moved. */
  in = open_ro(a);
  out = uv_fs_open(&loop, &req, c, UV_FS_O_WRONLY | UV_FS_O_CREAT |
                   UV_FS_O_TRUNC, 0644, NULL);
  ASSERT_GE(out, 0);
  uv_fs_req_cleanup(&req);
  for (off = 0; off < TOTAL; off += r) {
    r = uv_fs_sendfile(&loop, &req, out, in, off, (size_t) (TOTAL - off),
                       NULL);
    ASSERT_EQ(r, req.result);
    uv_fs_req_cleanup(&req);
    ASSERT_GT(r, 0);
  }
  ASSERT_EQ(off, TOTAL);
  close_fd(in);
  close_fd(out);
  ASSERT_EQ(stat_size(c), TOTAL);

  /* Everything reads back identically. */
  h = hash_sync(a, 1, &size);
  ASSERT_EQ(size, TOTAL);
  ASSERT_UEQ(h, expect_hash);
  h = hash_async(b, &size);
  ASSERT_EQ(size, TOTAL);
  ASSERT_UEQ(h, expect_hash);
  h = hash_sync(c, 0, &size);
  ASSERT_EQ(size, TOTAL);
  ASSERT_UEQ(h, expect_hash);

  close_loop(&loop);
  fs_tmp_cleanup();
  return 0;
}
