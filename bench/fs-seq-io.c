/* fs-seq-io: sequential file throughput with uv_fs_write() then uv_fs_read()
 * of 64 KiB requests, one in flight, at explicit offsets (the file position
 * is never used), on a file of M MiB (default 256) in a private temporary
 * directory, opened with open(2).
 *
 * The file is first written once, unmeasured, so that the page cache holds
 * it; then the write phase writes it PASSES = 6 times over and the read
 * phase reads it PASSES times; figure = MiB moved / elapsed of each phase.
 * Nothing is synced, so the figures are the library's per-request cost plus
 * the kernel's page-cache copies, not the disk. (Extending a fresh file
 * instead would also measure page and block allocation, which on this VM
 * varied from 0.1 to 0.45 s per 256 MiB between identical runs; a single
 * pass of reading takes only ~0.13 s, hence the passes.)
 *
 * Checks: block k of write pass p (64 KiB at offset k * 64 KiB) is a fixed
 * pseudo-random pattern with the stamp s = p << 40 | k in its first and ~s
 * in its last 8 bytes; every block read is compared in full (stamps of the
 * last write pass, then memcmp of the pattern). Callbacks must have the
 * right fs_type and a positive result; a short write or read continues at
 * the right offset; the file must be exactly M MiB (fstat), and a read at
 * its end must return 0. */
#include "fs.h"

#define BLOCK 65536
#define PASSES 6

static char path[BENCH_FS_PATH_MAX];
static uv_fs_t req;
static uv_file fd = -1;
static unsigned char pattern[BLOCK];
static unsigned char wbuf[BLOCK], rbuf[BLOCK];
static uint64_t nblocks;         /* blocks in the file */
static uint64_t block, end;      /* current block, counted over the passes */
static uint64_t write_pass0;     /* pass number of the phase's first pass */
static uint64_t last_write_pass; /* what the read phase must find */
static size_t done_in_block;     /* bytes of the current block done */
static uint64_t requests, short_ios;
static int writing, eof_checked;

static void remove_files(void) { unlink(path); }

static void io_cb(uv_fs_t* r);

static uint64_t stamp_of(uint64_t pass, uint64_t k) { return pass << 40 | k; }

static void stamp(unsigned char* b, uint64_t s) {
  uint64_t ns = ~s;
  memcpy(b, &s, 8);
  memcpy(b + BLOCK - 8, &ns, 8);
}

static void verify(const unsigned char* b, uint64_t k) {
  uint64_t s = stamp_of(last_write_pass, k), h, t;
  memcpy(&h, b, 8);
  memcpy(&t, b + BLOCK - 8, 8);
  if (h != s || t != ~s)
    BENCH_FAIL("block %llu: stamps %llx/%llx, expected %llx", (unsigned long long)k,
               (unsigned long long)h, (unsigned long long)~t, (unsigned long long)s);
  if (memcmp(b + 8, pattern + 8, BLOCK - 16) != 0)
    BENCH_FAIL("block %llu: pattern differs", (unsigned long long)k);
}

/* Issues the request for the rest of the current block. */
static void issue(uv_loop_t* loop) {
  int64_t off = (int64_t)((block % nblocks) * BLOCK + done_in_block);
  uv_buf_t buf;
  requests++;
  if (writing) {
    buf = uv_buf_init((char*)wbuf + done_in_block, (unsigned)(BLOCK - done_in_block));
    CHECK_EQ(uv_fs_write(loop, &req, fd, &buf, 1, off, io_cb), 0);
  } else {
    buf = uv_buf_init((char*)rbuf + done_in_block, (unsigned)(BLOCK - done_in_block));
    CHECK_EQ(uv_fs_read(loop, &req, fd, &buf, 1, off, io_cb), 0);
  }
}

static void start_block(uv_loop_t* loop) {
  done_in_block = 0;
  if (writing) {
    stamp(wbuf, stamp_of(write_pass0 + block / nblocks, block % nblocks));
  } else {
    memset(rbuf, 0, 8); /* a read that writes nothing cannot pass */
    memset(rbuf + BLOCK - 8, 0, 8);
  }
  issue(loop);
}

static void eof_cb(uv_fs_t* r) {
  CHECK_EQ(r->fs_type, UV_FS_READ);
  CHECK_EQ(r->result, 0);
  uv_fs_req_cleanup(r);
  eof_checked = 1;
}

static void io_cb(uv_fs_t* r) {
  ssize_t n = r->result;
  CHECK_EQ(r->fs_type, writing ? UV_FS_WRITE : UV_FS_READ);
  if (n <= 0)
    BENCH_FAIL("%s at block %llu: %s", writing ? "write" : "read",
               (unsigned long long)block, n < 0 ? uv_strerror((int)n) : "returned 0");
  CHECK((size_t)n <= BLOCK - done_in_block);
  uv_fs_req_cleanup(r);
  done_in_block += (size_t)n;
  if (done_in_block < BLOCK) {
    short_ios++;
    issue(r->loop);
    return;
  }
  if (!writing) verify(rbuf, block % nblocks);
  if (++block < end) {
    start_block(r->loop);
  } else if (!writing) {
    /* One more read, past the end: must be end of file. */
    uv_buf_t buf = uv_buf_init((char*)rbuf, BLOCK);
    CHECK_EQ(uv_fs_read(r->loop, &req, fd, &buf, 1, (int64_t)(nblocks * BLOCK), eof_cb), 0);
  }
}

/* Writes (W) or reads the whole file PASSES times over; returns the time. */
static uint64_t phase(uv_loop_t* loop, int w, uint64_t passes) {
  uint64_t t0, t1;
  struct stat st;
  writing = w;
  block = 0;
  end = passes * nblocks;
  eof_checked = 0;
  t0 = uv_hrtime();
  start_block(loop);
  CHECK_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  t1 = uv_hrtime();
  CHECK_EQ(block, end);
  if (w) {
    write_pass0 += passes;
    last_write_pass = write_pass0 - 1;
  } else {
    CHECK(eof_checked);
  }
  CHECK_EQ(fstat(fd, &st), 0);
  CHECK_EQ(st.st_size, nblocks * BLOCK);
  return t1 - t0;
}

int main(int argc, char** argv) {
  uint64_t mib = bench_arg(argc, argv, 1, 256);
  uint64_t seed = 0xf11e;
  uv_loop_t loop;
  size_t i;

  nblocks = mib * (1024 * 1024 / BLOCK);
  for (i = 0; i < BLOCK; i++) pattern[i] = (unsigned char)(bench_rand(&seed) >> 56);
  memcpy(wbuf, pattern, BLOCK);

  bench_fs_init("fs-seq-io", remove_files);
  bench_fs_path(path, "data");
  fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  CHECK(fd >= 0);

  CHECK_EQ(uv_loop_init(&loop), 0);
  phase(&loop, 1, 1); /* unmeasured: fills the page cache (and the thread pool) */
  bench_report("fs-seq-io", "write-MiB/s", PASSES * mib, phase(&loop, 1, PASSES));
  bench_report("fs-seq-io", "read-MiB/s", PASSES * mib, phase(&loop, 0, PASSES));
  CHECK(!uv_loop_alive(&loop));
  if (short_ios)
    fprintf(stderr, "# %llu short reads/writes (continued)\n", (unsigned long long)short_ios);
  CHECK_EQ(requests, (1 + 2 * PASSES) * nblocks + short_ios);
  bench_close_loop(&loop);
  CHECK_EQ(close(fd), 0);
  bench_fs_done();
  return 0;
}
