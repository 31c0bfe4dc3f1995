/* Shared code of the process benchmarks (spawn.c, spawn-1g.c).
 *
 * uv_spawn() of /bin/true (no arguments, environment inherited, stdin,
 * stdout and stderr UV_IGNORE), K processes in flight (K = 1, then K = 8):
 * each slot's exit callback closes the process handle, and its close
 * callback spawns the next process in that slot until N were started.
 * Figure = N / time from the first uv_spawn to the last close callback, so
 * it covers spawn, exec and exit of the child, SIGCHLD delivery, reaping
 * and the exit and close callbacks.
 *
 * The parent can first make RESIDENT_MIB MiB resident: one malloc(3),
 * every byte written (memset) before anything is timed, so that a library
 * that fork(2)s pays for copying the parent's page tables on every spawn.
 * The region is madvise(MADV_NOHUGEPAGE)d first (where available), so the
 * figure does not depend on whether the kernel's transparent huge pages are
 * "always" or "madvise": it is 4 KiB pages, as a big heap typically is.
 *
 * Checks: every uv_spawn returns 0 with a pid > 0 that is not ours; every
 * exit callback comes once per spawn, for a running slot, with exit status
 * 0 and no signal (a /bin/false run before timing must report status 1, so
 * the status is really the child's); exits and closes number exactly N;
 * afterwards no child is left unreaped (waitpid(-1) fails with ECHILD), no
 * descriptor leaked (the lowest free descriptor is unchanged) and the loop
 * is not alive. With RESIDENT_MIB, the memory must show as resident
 * (VmRSS) and still hold what was written.
 *
 * The count argument is N for K = 8 (N/4 for K = 1). */
#ifndef RSUV_BENCH_SPAWN_H
#define RSUV_BENCH_SPAWN_H

#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define SPAWN_MAX_K 8
#define SPAWN_FILL 0x5a

struct spawn_slot {
  uv_process_t proc; /* first member: the handle pointer is the slot's */
  int running;
  uint64_t spawned;
};

static struct spawn_slot spawn_slots[SPAWN_MAX_K];
static uint64_t spawn_started, spawn_exited, spawn_closed, spawn_target;
static int64_t spawn_expect_status;
static uv_process_options_t spawn_opts;
static uv_stdio_container_t spawn_stdio[3];

static void spawn_exit_cb(uv_process_t* p, int64_t status, int term_signal);

static void spawn_one(struct spawn_slot* s, uv_loop_t* loop) {
  int r, pid;
  spawn_started++;
  s->spawned++;
  s->running = 1;
  r = uv_spawn(loop, &s->proc, &spawn_opts);
  if (r != 0)
    BENCH_FAIL("uv_spawn(%s) = %d (%s: %s)", spawn_opts.file, r, uv_err_name(r),
               uv_strerror(r));
  pid = uv_process_get_pid(&s->proc);
  CHECK(pid > 0);
  CHECK(pid != (int)getpid());
}

static void spawn_close_cb(uv_handle_t* h) {
  struct spawn_slot* s = (struct spawn_slot*)h;
  CHECK(s >= spawn_slots && s < spawn_slots + SPAWN_MAX_K);
  CHECK(!s->running);
  spawn_closed++;
  if (spawn_started < spawn_target) spawn_one(s, h->loop);
}

static void spawn_exit_cb(uv_process_t* p, int64_t status, int term_signal) {
  struct spawn_slot* s = (struct spawn_slot*)p;
  CHECK(s >= spawn_slots && s < spawn_slots + SPAWN_MAX_K);
  CHECK(s->running);
  CHECK_EQ(status, spawn_expect_status);
  CHECK_EQ(term_signal, 0);
  s->running = 0;
  spawn_exited++;
  uv_close((uv_handle_t*)p, spawn_close_cb);
}

static int spawn_lowest_free_fd(void) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  CHECK(fd >= 0);
  CHECK_EQ(close(fd), 0);
  return fd;
}

/* N spawns of FILE, K in flight; returns the elapsed nanoseconds. */
static uint64_t spawn_run(uv_loop_t* loop, const char* file, int64_t status,
                          int k, uint64_t n) {
  static char* args[2];
  uint64_t t0, t1, spawned = 0;
  int i, fd0 = spawn_lowest_free_fd();

  CHECK(k >= 1 && k <= SPAWN_MAX_K && (uint64_t)k <= n);
  args[0] = (char*)file;
  args[1] = NULL;
  memset(&spawn_opts, 0, sizeof(spawn_opts));
  for (i = 0; i < 3; i++) spawn_stdio[i].flags = UV_IGNORE;
  spawn_opts.exit_cb = spawn_exit_cb;
  spawn_opts.file = file;
  spawn_opts.args = args;
  spawn_opts.stdio_count = 3;
  spawn_opts.stdio = spawn_stdio;
  spawn_expect_status = status;
  spawn_started = spawn_exited = spawn_closed = 0;
  spawn_target = n;

  t0 = uv_hrtime();
  for (i = 0; i < k; i++) {
    spawn_slots[i].running = 0;
    spawn_slots[i].spawned = 0;
    spawn_one(&spawn_slots[i], loop);
  }
  CHECK_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  t1 = uv_hrtime();

  CHECK_EQ(spawn_started, n);
  CHECK_EQ(spawn_exited, n);
  CHECK_EQ(spawn_closed, n);
  for (i = 0; i < k; i++) {
    CHECK(!spawn_slots[i].running);
    spawned += spawn_slots[i].spawned;
  }
  CHECK_EQ(spawned, n);
  CHECK(!uv_loop_alive(loop));
  errno = 0;
  CHECK_EQ(waitpid(-1, NULL, WNOHANG), -1); /* every child was reaped */
  CHECK_EQ(errno, ECHILD);
  CHECK_EQ(spawn_lowest_free_fd(), fd0);
  return t1 - t0;
}

/* The value (kB) of a "Name:   123 kB" line of /proc/self/status, or -1. */
static long spawn_proc_status_kb(const char* name) {
  char line[256];
  long v = -1;
  size_t len = strlen(name);
  FILE* f = fopen("/proc/self/status", "r");
  if (f == NULL) return -1;
  while (fgets(line, sizeof(line), f) != NULL)
    if (strncmp(line, name, len) == 0 && line[len] == ':') {
      v = strtol(line + len + 1, NULL, 10);
      break;
    }
  fclose(f);
  return v;
}

static unsigned char* spawn_make_resident(size_t mib) {
  size_t size = mib << 20, page = (size_t)sysconf(_SC_PAGESIZE);
  unsigned char* p = (unsigned char*)malloc(size);
  long rss, pte;
  CHECK(p != NULL);
#ifdef MADV_NOHUGEPAGE
  {
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1);
    uintptr_t e = ((uintptr_t)p + size) & ~(uintptr_t)(page - 1);
    if (e > a) (void)madvise((void*)a, e - a, MADV_NOHUGEPAGE);
  }
#endif
  memset(p, SPAWN_FILL, size);
  rss = spawn_proc_status_kb("VmRSS");
  pte = spawn_proc_status_kb("VmPTE");
  fprintf(stderr, "# resident: %zu MiB touched, VmRSS %ld kB, VmPTE %ld kB\n",
          mib, rss, pte);
  if (rss >= 0) CHECK(rss >= (long)(size >> 10));
  return p;
}

/* One byte per page still holds the fill: the pages stayed ours (and the
 * memset cannot be optimized away). */
static void spawn_check_resident(const unsigned char* p, size_t mib) {
  size_t size = mib << 20, page = (size_t)sysconf(_SC_PAGESIZE), i;
  uint64_t sum = 0, pages = 0;
  for (i = 0; i < size; i += page, pages++) sum += p[i];
  CHECK_EQ(sum, pages * SPAWN_FILL);
}

static int spawn_main(int argc, char** argv, const char* bench,
                      size_t resident_mib, uint64_t default_n) {
  uint64_t n = bench_arg(argc, argv, 1, default_n), n1;
  unsigned char* mem = NULL;
  uv_loop_t loop;

  if (n < 4 * SPAWN_MAX_K) n = 4 * SPAWN_MAX_K;
  n1 = n / 4;
  if (resident_mib > 0) mem = spawn_make_resident(resident_mib);

  CHECK_EQ(uv_loop_init(&loop), 0);
  /* Warm-up (unmeasured): the exit status must be the child's, and the
   * binary and the library's SIGCHLD set-up are warm. */
  spawn_run(&loop, "/bin/false", 1, 2, 2);
  spawn_run(&loop, "/bin/true", 0, SPAWN_MAX_K, SPAWN_MAX_K);
  bench_report(bench, "c1-spawns/s", n1, spawn_run(&loop, "/bin/true", 0, 1, n1));
  bench_report(bench, "c8-spawns/s", n,
               spawn_run(&loop, "/bin/true", 0, SPAWN_MAX_K, n));
  bench_close_loop(&loop);
  if (mem != NULL) {
    spawn_check_resident(mem, resident_mib);
    free(mem);
  }
  return 0;
}

#endif
