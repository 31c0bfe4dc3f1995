/* fs-stat: uv_fs_stat() round trips through the thread pool, all on one
 * file of known size in a private temporary directory. K requests are kept
 * in flight (K = 1, then K = 32), each re-issued from its own callback until
 * N stats were issued. Figure = N / elapsed. Every callback must see
 * result 0, fs_type UV_FS_STAT, the file's size, a regular-file mode and
 * the inode that stat(2) reported at set-up; the callbacks must number
 * exactly N. The count argument is N for K = 32 (N/10 for K = 1). */
#include "fs.h"

#define MAX_K 32
#define FILE_SIZE 12345

struct job {
  uv_fs_t req;
  uint64_t issued; /* this request's submissions */
};

static struct job jobs[MAX_K];
static char path[BENCH_FS_PATH_MAX];
static uint64_t expect_ino;
static uint64_t submitted, completed, target;

static void remove_files(void) { unlink(path); }

static void stat_cb(uv_fs_t* req);

static void submit(struct job* j, uv_loop_t* loop) {
  submitted++;
  j->issued++;
  CHECK_EQ(uv_fs_stat(loop, &j->req, path, stat_cb), 0);
}

static void stat_cb(uv_fs_t* req) {
  struct job* j = (struct job*)req->data;
  CHECK(j >= jobs && j < jobs + MAX_K);
  CHECK_EQ(req->result, 0);
  CHECK_EQ(req->fs_type, UV_FS_STAT);
  CHECK_EQ(req->statbuf.st_size, FILE_SIZE);
  CHECK(S_ISREG(req->statbuf.st_mode));
  CHECK_EQ(req->statbuf.st_ino, expect_ino);
  uv_fs_req_cleanup(req);
  completed++;
  if (submitted < target) submit(j, req->loop);
}

static uint64_t run(uv_loop_t* loop, int k, uint64_t n) {
  uint64_t t0, t1, issued = 0;
  int i;

  CHECK(k >= 1 && k <= MAX_K && (uint64_t)k <= n);
  submitted = completed = 0;
  target = n;
  t0 = uv_hrtime();
  for (i = 0; i < k; i++) {
    jobs[i].issued = 0;
    jobs[i].req.data = &jobs[i];
    submit(&jobs[i], loop);
  }
  CHECK_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  t1 = uv_hrtime();
  CHECK_EQ(submitted, n);
  CHECK_EQ(completed, n);
  for (i = 0; i < k; i++) issued += jobs[i].issued;
  CHECK_EQ(issued, n);
  CHECK(!uv_loop_alive(loop));
  return t1 - t0;
}

int main(int argc, char** argv) {
  uint64_t n = bench_arg(argc, argv, 1, 600000);
  uint64_t n1;
  struct stat st;
  uv_loop_t loop;

  if (n < 10 * MAX_K) n = 10 * MAX_K;
  n1 = n / 10;
  bench_fs_init("fs-stat", remove_files);
  bench_fs_path(path, "file");
  bench_fs_make_file(path, FILE_SIZE);
  CHECK_EQ(stat(path, &st), 0);
  expect_ino = (uint64_t)st.st_ino;

  CHECK_EQ(uv_loop_init(&loop), 0);
  run(&loop, MAX_K, MAX_K * 4); /* warm-up: starts the thread pool */
  bench_report("fs-stat", "c1-stats/s", n1, run(&loop, 1, n1));
  bench_report("fs-stat", "c32-stats/s", n, run(&loop, MAX_K, n));
  bench_close_loop(&loop);
  bench_fs_done();
  return 0;
}
