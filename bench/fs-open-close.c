/* fs-open-close: uv_fs_open() + uv_fs_close() pairs through the thread
 * pool. C chains run at once (C = 1, then C = 8); each chain opens one file
 * (O_RDONLY) in a private temporary directory, closes the descriptor from
 * the open callback, and opens again from the close callback until N pairs
 * were started. Figure = N / elapsed. Every open must return a descriptor
 * that fstat(2) shows to be that file (same inode), every close must
 * return 0, both callbacks must number exactly N, and no descriptor may
 * leak (the lowest free descriptor is the same before and after). The
 * count argument is N for C = 8 (N/8 for C = 1). */
#include "fs.h"

#define MAX_C 8

struct chain {
  uv_fs_t req;
  uv_file fd;
};

static struct chain chains[MAX_C];
static char path[BENCH_FS_PATH_MAX];
static uint64_t expect_ino;
static uint64_t started, opened, closed, target;

static void remove_files(void) { unlink(path); }

static void open_cb(uv_fs_t* req);

static void start_pair(struct chain* c, uv_loop_t* loop) {
  started++;
  CHECK_EQ(uv_fs_open(loop, &c->req, path, O_RDONLY, 0, open_cb), 0);
}

static void close_cb(uv_fs_t* req) {
  struct chain* c = (struct chain*)req->data;
  CHECK_EQ(req->result, 0);
  CHECK_EQ(req->fs_type, UV_FS_CLOSE);
  uv_fs_req_cleanup(req);
  closed++;
  if (started < target) start_pair(c, req->loop);
}

static void open_cb(uv_fs_t* req) {
  struct chain* c = (struct chain*)req->data;
  struct stat st;
  CHECK(c >= chains && c < chains + MAX_C);
  CHECK_EQ(req->fs_type, UV_FS_OPEN);
  if (req->result < 0) BENCH_FAIL("open: %s", uv_strerror((int)req->result));
  c->fd = (uv_file)req->result;
  CHECK_EQ(fstat(c->fd, &st), 0);
  CHECK_EQ(st.st_ino, expect_ino);
  uv_fs_req_cleanup(req);
  opened++;
  CHECK_EQ(uv_fs_close(req->loop, &c->req, c->fd, close_cb), 0);
}

static int lowest_free_fd(void) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  CHECK(fd >= 0);
  CHECK_EQ(close(fd), 0);
  return fd;
}

static uint64_t run(uv_loop_t* loop, int c, uint64_t n) {
  uint64_t t0, t1;
  int i, fd0 = lowest_free_fd();

  CHECK(c >= 1 && c <= MAX_C && (uint64_t)c <= n);
  started = opened = closed = 0;
  target = n;
  t0 = uv_hrtime();
  for (i = 0; i < c; i++) {
    chains[i].req.data = &chains[i];
    start_pair(&chains[i], loop);
  }
  CHECK_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  t1 = uv_hrtime();
  CHECK_EQ(started, n);
  CHECK_EQ(opened, n);
  CHECK_EQ(closed, n);
  CHECK(!uv_loop_alive(loop));
  CHECK_EQ(lowest_free_fd(), fd0);
  return t1 - t0;
}

int main(int argc, char** argv) {
  uint64_t n = bench_arg(argc, argv, 1, 250000);
  uint64_t n1;
  struct stat st;
  uv_loop_t loop;

  if (n < 8 * MAX_C) n = 8 * MAX_C;
  n1 = n / 8;
  bench_fs_init("fs-open-close", remove_files);
  bench_fs_path(path, "file");
  bench_fs_make_file(path, 100);
  CHECK_EQ(stat(path, &st), 0);
  expect_ino = (uint64_t)st.st_ino;

  CHECK_EQ(uv_loop_init(&loop), 0);
  run(&loop, MAX_C, MAX_C * 4); /* warm-up: starts the thread pool */
  bench_report("fs-open-close", "c1-pairs/s", n1, run(&loop, 1, n1));
  bench_report("fs-open-close", "c8-pairs/s", n, run(&loop, MAX_C, n));
  bench_close_loop(&loop);
  bench_fs_done();
  return 0;
}
