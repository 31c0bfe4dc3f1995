/* Shared helpers for the file-system benchmarks (fs-*.c).
 *
 * Each program works in a private directory made with mkdtemp(3) under
 * $TMPDIR (default /tmp), named rsuv-bench-<benchmark>.XXXXXX. Set-up and
 * clean-up use plain POSIX calls, not the library under test, so a broken
 * library can neither fake its own input nor leave files behind. The
 * program names the files it made with a remove function; it runs at the
 * end (bench_fs_done, which checks that the directory is really gone), at
 * exit() -- so also when a CHECK fails -- and on SIGTERM (as sent by run.sh's
 * timeout), SIGINT, SIGHUP and SIGPIPE, so it only uses async-signal-safe
 * calls: bench_fs_path builds paths without stdio. */
#ifndef RSUV_BENCH_FS_H
#define RSUV_BENCH_FS_H

#include "bench.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#define BENCH_FS_PATH_MAX 1024

static char bench_fs_dir[BENCH_FS_PATH_MAX - 64];
static void (*bench_fs_remove)(void); /* unlinks the program's files */
static volatile sig_atomic_t bench_fs_cleaned;

/* OUT (BENCH_FS_PATH_MAX bytes) = <dir>/<leaf>. Async-signal-safe. */
static inline void bench_fs_path(char* out, const char* leaf) {
  size_t d = strlen(bench_fs_dir), l = strlen(leaf);
  if (d + 1 + l >= BENCH_FS_PATH_MAX) l = BENCH_FS_PATH_MAX - 2 - d;
  memcpy(out, bench_fs_dir, d);
  out[d] = '/';
  memcpy(out + d + 1, leaf, l);
  out[d + 1 + l] = '\0';
}

/* Removes the files (through the program's function) and the directory.
 * Returns rmdir's result. Async-signal-safe. */
static inline int bench_fs_cleanup(void) {
  if (bench_fs_cleaned || bench_fs_dir[0] == '\0') return 0;
  bench_fs_cleaned = 1;
  if (bench_fs_remove) bench_fs_remove();
  return rmdir(bench_fs_dir);
}

static inline void bench_fs_atexit(void) { (void)bench_fs_cleanup(); }

static inline void bench_fs_on_signal(int sig) {
  (void)bench_fs_cleanup();
  signal(sig, SIG_DFL);
  raise(sig);
}

/* Makes the directory and arranges for its removal. */
static inline void bench_fs_init(const char* bench, void (*remove_files)(void)) {
  const char* tmp = getenv("TMPDIR");
  char tmpl[sizeof(bench_fs_dir)];
  if (tmp == NULL || tmp[0] == '\0') tmp = "/tmp";
  snprintf(tmpl, sizeof(tmpl), "%s/rsuv-bench-%s.XXXXXX", tmp, bench);
  if (mkdtemp(tmpl) == NULL) BENCH_FAIL("mkdtemp(%s) failed", tmpl);
  memcpy(bench_fs_dir, tmpl, sizeof(tmpl));
  bench_fs_remove = remove_files;
  atexit(bench_fs_atexit);
  signal(SIGTERM, bench_fs_on_signal);
  signal(SIGINT, bench_fs_on_signal);
  signal(SIGHUP, bench_fs_on_signal);
  signal(SIGPIPE, bench_fs_on_signal);
  fprintf(stderr, "# working in %s\n", bench_fs_dir);
}

/* Cleans up now; fails if the directory could not be removed (a file the
 * program does not know about, or a file it could not unlink). */
static inline void bench_fs_done(void) {
  if (bench_fs_cleanup() != 0) BENCH_FAIL("cannot remove %s", bench_fs_dir);
}

/* A file of SIZE bytes (pseudo-random content) made with POSIX calls. */
static inline void bench_fs_make_file(const char* path, size_t size) {
  char buf[4096];
  uint64_t seed = 0x5eed;
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) BENCH_FAIL("cannot create %s", path);
  while (size > 0) {
    size_t n = size < sizeof(buf) ? size : sizeof(buf), i;
    for (i = 0; i < n; i++) buf[i] = (char)bench_rand(&seed);
    if (write(fd, buf, n) != (ssize_t)n) BENCH_FAIL("cannot write %s", path);
    size -= n;
  }
  if (close(fd) != 0) BENCH_FAIL("cannot close %s", path);
}

#endif
