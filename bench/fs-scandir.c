/* fs-scandir: uv_fs_scandir() of a directory with 10,000 entries, one
 * request in flight, each followed (in its callback) by uv_fs_scandir_next()
 * over all the entries. The entries, empty files e00000 .. e09999, are made
 * once with open(2) in a private temporary directory (not measured).
 * Figure = scandirs / elapsed. Every scan must report 10,000 in its result,
 * yield exactly the 10,000 names, each once (a per-scan bitmap) with type
 * UV_DIRENT_FILE (or UV_DIRENT_UNKNOWN, for file systems that do not say),
 * then UV_EOF. The count argument is the number of scans (default 200). */
#include "fs.h"

#define ENTRIES 10000

static char dir[BENCH_FS_PATH_MAX];
static uv_fs_t req;
static uint32_t seen[ENTRIES]; /* the scan that last saw each entry */
static uint32_t scans, target;
static int entries_made;

/* NAME (at least 7 bytes) = e%05u, without stdio (async-signal-safe). */
static void entry_name(char* name, unsigned i) {
  int d;
  name[0] = 'e';
  for (d = 5; d >= 1; d--, i /= 10) name[d] = (char)('0' + i % 10);
  name[6] = '\0';
}

static void remove_files(void) {
  char name[8], path[BENCH_FS_PATH_MAX];
  int i;
  for (i = 0; i < entries_made; i++) {
    entry_name(name, (unsigned)i);
    bench_fs_path(path, name);
    unlink(path);
  }
}

/* Index of an entry name e00000 .. e09999, or -1. */
static int entry_index(const char* name) {
  int i, v = 0;
  if (name[0] != 'e') return -1;
  for (i = 1; i <= 5; i++) {
    if (name[i] < '0' || name[i] > '9') return -1;
    v = v * 10 + (name[i] - '0');
  }
  return name[6] == '\0' && v < ENTRIES ? v : -1;
}

static void scandir_cb(uv_fs_t* r);

static void start_scan(uv_loop_t* loop) {
  scans++;
  CHECK_EQ(uv_fs_scandir(loop, &req, dir, 0, scandir_cb), 0);
}

static void scandir_cb(uv_fs_t* r) {
  uv_dirent_t ent;
  int n = 0, rc, idx;

  CHECK_EQ(r->fs_type, UV_FS_SCANDIR);
  if (r->result < 0) BENCH_FAIL("scandir: %s", uv_strerror((int)r->result));
  CHECK_EQ(r->result, ENTRIES);
  while ((rc = uv_fs_scandir_next(r, &ent)) == 0) {
    idx = entry_index(ent.name);
    if (idx < 0) BENCH_FAIL("scan %u: unexpected entry '%s'", scans, ent.name);
    if (seen[idx] == scans) BENCH_FAIL("scan %u: '%s' twice", scans, ent.name);
    seen[idx] = scans;
    CHECK(ent.type == UV_DIRENT_FILE || ent.type == UV_DIRENT_UNKNOWN);
    n++;
  }
  CHECK_EQ(rc, UV_EOF);
  CHECK_EQ(n, ENTRIES); /* with no duplicates: every name once */
  uv_fs_req_cleanup(r);
  if (scans < target) start_scan(r->loop);
}

static uint64_t run(uv_loop_t* loop, uint32_t n) {
  uint64_t t0, t1;
  uint32_t first = scans + 1;
  target = scans + n;
  t0 = uv_hrtime();
  start_scan(loop);
  CHECK_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  t1 = uv_hrtime();
  CHECK_EQ(scans - first + 1, n);
  CHECK(!uv_loop_alive(loop));
  return t1 - t0;
}

int main(int argc, char** argv) {
  uint64_t n = bench_arg(argc, argv, 1, 200);
  char name[8], path[BENCH_FS_PATH_MAX];
  uv_loop_t loop;
  int fd;

  CHECK(n < 1000000000);
  bench_fs_init("fs-scandir", remove_files);
  snprintf(dir, sizeof(dir), "%s", bench_fs_dir);
  for (entries_made = 0; entries_made < ENTRIES; entries_made++) {
    entry_name(name, (unsigned)entries_made);
    bench_fs_path(path, name);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) BENCH_FAIL("cannot create %s", path);
    CHECK_EQ(close(fd), 0);
  }

  CHECK_EQ(uv_loop_init(&loop), 0);
  run(&loop, 2); /* warm-up: starts the thread pool, fills the dentry cache */
  bench_report("fs-scandir", "scandir-10k/s", n, run(&loop, (uint32_t)n));
  bench_close_loop(&loop);
  bench_fs_done();
  return 0;
}
