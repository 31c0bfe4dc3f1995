/* Shared by the file-system tests (tests/c/test-fs*.c): a private temporary
 * directory per test program (removed at the end, whatever is in it), paths
 * inside it, small file helpers built on plain POSIX calls (so that setting
 * up a test does not depend on the code under test), a 64-bit FNV-1a hash,
 * and a way to run one uv_fs_* call either synchronously (cb == NULL) or
 * asynchronously (with a callback, then the loop) through the same code. */
#ifndef RSUV_TEST_FS_HELPERS_H_
#define RSUV_TEST_FS_HELPERS_H_

#include "test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* ---- the temporary directory ---- */

static char fs_root[PATH_MAX];

static inline int fs_rm_rf(const char* path);

/* A failed assertion aborts, and the runner's time limit sends SIGTERM:
 * remove the directory on the way out (unless RSUV_TEST_KEEP_TMP is set, to
 * look at it), then die of the same signal. */
static inline void fs_abort_handler_(int sig) {
  if (fs_root[0] != '\0' && getenv("RSUV_TEST_KEEP_TMP") == NULL)
    (void) fs_rm_rf(fs_root);
  signal(sig, SIG_DFL);
  raise(sig);
}

/* Creates $TMPDIR (or /tmp)/rsuv-<name>-<pid>-XXXXXX and remembers it. */
static inline void fs_tmp_init(const char* name) {
  const char* base = getenv("TMPDIR");
  if (base == NULL || base[0] == '\0')
    base = "/tmp";
  if (snprintf(fs_root, sizeof(fs_root), "%s/rsuv-%s-%d-XXXXXX", base, name,
               (int) getpid()) >= (int) sizeof(fs_root))
    TEST_FAIL_("TMPDIR too long");
  if (mkdtemp(fs_root) == NULL)
    TEST_FAIL_("mkdtemp(%s): %s", fs_root, strerror(errno));
  signal(SIGABRT, fs_abort_handler_);
  signal(SIGTERM, fs_abort_handler_);
}

/* "<root>/<rel>" in one of 64 rotating static buffers: a result stays valid
 * for the next 63 calls of tpath/tpathf. */
static inline const char* tpath(const char* rel) {
  static char bufs[64][PATH_MAX];
  static int next;
  char* b = bufs[next];
  int n;
  next = (next + 1) % 64;
  if (rel == NULL || rel[0] == '\0')
    n = snprintf(b, PATH_MAX, "%s", fs_root);
  else
    n = snprintf(b, PATH_MAX, "%s/%s", fs_root, rel);
  if (n < 0 || n >= PATH_MAX)
    TEST_FAIL_("path too long: %s/%s", fs_root, rel);
  return b;
}

/* Like tpath, with a printf format for the relative part. */
static inline const char* tpathf(const char* fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline const char* tpathf(const char* fmt, ...) {
  char rel[PATH_MAX];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(rel, sizeof(rel), fmt, ap);
  va_end(ap);
  if (n < 0 || n >= (int) sizeof(rel))
    TEST_FAIL_("path too long");
  return tpath(rel);
}

/* Removes `path` and everything below it (not following symlinks); makes
 * directories writable and searchable first so that tests that took
 * permissions away still clean up. Returns 0 or -errno. */
static inline int fs_rm_rf(const char* path) {
  struct stat st;
  DIR* d;
  struct dirent* e;
  char child[PATH_MAX];
  int err = 0;
  int r;

  if (lstat(path, &st) != 0)
    return errno == ENOENT ? 0 : -errno;
  if (!S_ISDIR(st.st_mode))
    return unlink(path) == 0 ? 0 : -errno;
  (void) chmod(path, 0700);
  d = opendir(path);
  if (d == NULL)
    return -errno;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    if (snprintf(child, sizeof(child), "%s/%s", path, e->d_name) >=
        (int) sizeof(child)) {
      err = -ENAMETOOLONG;
      continue;
    }
    r = fs_rm_rf(child);
    if (r != 0 && err == 0)
      err = r;
  }
  closedir(d);
  if (rmdir(path) != 0 && err == 0)
    err = -errno;
  return err;
}

/* Removes the whole temporary directory and checks that it is gone. */
static inline void fs_tmp_cleanup(void) {
  struct stat st;
  int r = fs_rm_rf(fs_root);
  if (r != 0)
    TEST_FAIL_("removing %s: %s", fs_root, strerror(-r));
  ASSERT(lstat(fs_root, &st) != 0 && errno == ENOENT);
}

/* ---- plain POSIX file helpers ---- */

static inline void put_file(const char* path, const char* data) {
  size_t len = strlen(data);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    TEST_FAIL_("open(%s): %s", path, strerror(errno));
  if (len > 0 && write(fd, data, len) != (ssize_t) len)
    TEST_FAIL_("write(%s): %s", path, strerror(errno));
  ASSERT_EQ(close(fd), 0);
}

/* Reads up to n-1 bytes of `path` into buf, NUL-terminates, returns the
 * length. */
static inline size_t get_file(const char* path, char* buf, size_t n) {
  size_t len = 0;
  ssize_t r;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    TEST_FAIL_("open(%s): %s", path, strerror(errno));
  while (len + 1 < n && (r = read(fd, buf + len, n - 1 - len)) > 0)
    len += (size_t) r;
  buf[len] = '\0';
  ASSERT_EQ(close(fd), 0);
  return len;
}

#define ASSERT_FILE_IS(path, expected)                                        \
  do {                                                                        \
    char fbuf_[4096];                                                         \
    get_file((path), fbuf_, sizeof(fbuf_));                                   \
    ASSERT_STR_EQ(fbuf_, (expected));                                         \
  } while (0)

static inline int path_exists(const char* path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

/* A descriptor number that is certainly not open: a dup of a real file
 * moved to a high number and closed again. */
static inline int closed_fd(void) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int hi = 700;
  ASSERT_GE(fd, 0);
  while (fcntl(hi, F_GETFD) != -1)
    hi++;
  ASSERT_EQ(dup2(fd, hi), hi);
  ASSERT_EQ(close(hi), 0);
  ASSERT_EQ(close(fd), 0);
  ASSERT_EQ(fcntl(hi, F_GETFD), -1);
  return hi;
}

static inline int running_as_root(void) {
  return geteuid() == 0;
}

/* ---- hashing ---- */

#define FNV1A64_INIT 0xcbf29ce484222325ull

static inline uint64_t fnv1a64(uint64_t h, const void* data, size_t n) {
  const unsigned char* p = data;
  size_t i;
  for (i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

/* ---- sync or async through the same code ----
 *
 *   r = fs_wait(loop, &req, async,
 *               uv_fs_stat(loop, &req, path, fs_cb(async)));
 *
 * Synchronously the call's return value must equal req->result. In the
 * asynchronous case the call must return 0 without running the callback,
 * keep the loop alive, and the callback must then run exactly once, on the
 * loop, for this request; fs_wait returns req->result in both cases. */

static int fs_cb_calls;
static uv_fs_t* fs_cb_last;

static inline void fs_done_cb(uv_fs_t* req) {
  fs_cb_calls++;
  fs_cb_last = req;
  ASSERT_EQ(req->type, UV_FS);
}

static inline uv_fs_cb fs_cb(int async) {
  return async ? fs_done_cb : NULL;
}

static inline int fs_wait_(uv_loop_t* loop, uv_fs_t* req, int async, int r,
                           const char* file, int line) {
  if (!async) {
    if ((ssize_t) r != req->result)
      TEST_FAIL_("(called from %s:%d) sync call returned %d but "
                 "req->result is %ld", file, line, r, (long) req->result);
    return r;
  }
  if (r != 0)
    TEST_FAIL_("(called from %s:%d) async call returned %d (%s)", file, line,
               r, r < 0 ? uv_err_name(r) : "positive");
  /* fs_cb_calls is 0 between fs_wait calls: not 0 here means the callback
   * ran inside the call. */
  if (fs_cb_calls != 0)
    TEST_FAIL_("(called from %s:%d) callback ran before the call returned",
               file, line);
  ASSERT_NE(uv_loop_alive(loop), 0);
  ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  if (fs_cb_calls != 1 || fs_cb_last != req)
    TEST_FAIL_("(called from %s:%d) callback ran %d times", file, line,
               fs_cb_calls);
  fs_cb_calls = 0;
  fs_cb_last = NULL;
  return (int) req->result;
}

#define fs_wait(loop, req, async, r)                                          \
  fs_wait_((loop), (req), (async), (r), __FILE__, __LINE__)

static inline const char* mode_name(int async) {
  return async ? "async" : "sync";
}

#endif /* RSUV_TEST_FS_HELPERS_H_ */
