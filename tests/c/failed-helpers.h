/* Shared by tests/c/test-failed-init*.c: what a program can observe of a
 * handle or request after a call on it failed.
 *
 * libuv leaves a failed handle in one of two states, and programs depend
 * on which: registered (uv_walk sees it, uv_loop_close() is UV_EBUSY until
 * it is closed, uv_close() calls close_cb) or not registered (uv_loop_close()
 * succeeds without closing it; Node marks a failed uv_tty_init handle
 * uninitialized and never closes it). A handle libuv initialized and then
 * took off the loop again can still be closed. Each check gets a
 * loop of its own, so that uv_loop_close() tells about that handle only. */
#ifndef RSUV_TEST_FAILED_HELPERS_H_
#define RSUV_TEST_FAILED_HELPERS_H_

#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

static int walk_total, walk_hits;

static void count_walk_cb(uv_handle_t* h, void* arg) {
  walk_total++;
  if (h == arg)
    walk_hits++;
}

/* How many times uv_walk() shows `h`; walk_total gets all handles seen. */
static inline int walked(uv_loop_t* loop, void* h) {
  walk_total = 0;
  walk_hits = 0;
  uv_walk(loop, count_walk_cb, h);
  return walk_hits;
}

static int close_calls;
static uv_handle_t* closed_handle;

static void count_close_cb(uv_handle_t* h) {
  close_calls++;
  closed_handle = h;
}

/* `h` is registered in `loop` (and is the loop's only handle): uv_walk
 * sees it, uv_loop_close() is busy until it is closed, and uv_close()
 * calls its close callback. Closes the loop. */
static inline void expect_registered(uv_loop_t* loop, void* h) {
  ASSERT_EQ(walked(loop, h), 1);
  ASSERT_EQ(walk_total, 1);
  ASSERT_ERR(uv_loop_close(loop), UV_EBUSY);
  ASSERT_EQ(uv_is_closing((uv_handle_t*) h), 0);
  close_calls = 0;
  closed_handle = NULL;
  uv_close((uv_handle_t*) h, count_close_cb);
  ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(close_calls, 1);
  ASSERT_PTR_EQ(closed_handle, h);
  ASSERT_OK(uv_loop_close(loop));
}

/* As expect_registered(), and the handle is not active. */
static inline void expect_registered_inactive(uv_loop_t* loop, void* h) {
  ASSERT_EQ(uv_is_active((uv_handle_t*) h), 0);
  expect_registered(loop, h);
}

/* Nothing is registered in `loop`, `h` included: uv_walk sees nothing and
 * uv_loop_close() succeeds with `h` never closed. Closes the loop. */
static inline void expect_unregistered(uv_loop_t* loop, void* h) {
  ASSERT_EQ(walked(loop, h), 0);
  ASSERT_EQ(walk_total, 0);
  ASSERT_OK(uv_loop_close(loop));
}

/* `h` was taken off `loop` by its failed init (libuv initializes it, then
 * removes it from the loop's queue): uv_walk does not see it, yet
 * uv_close() on it works and calls its close callback, and the loop then
 * closes. (Without the close, expect_unregistered() holds too.) libuv
 * takes the handle off the list once more when the close completes, so
 * the close must come before the loop's handle list changes. */
static inline void expect_detached(uv_loop_t* loop, void* h) {
  ASSERT_EQ(walked(loop, h), 0);
  ASSERT_EQ(walk_total, 0);
  close_calls = 0;
  closed_handle = NULL;
  uv_close((uv_handle_t*) h, count_close_cb);
  ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(close_calls, 1);
  ASSERT_PTR_EQ(closed_handle, h);
  ASSERT_EQ(walked(loop, h), 0);
  ASSERT_EQ(walk_total, 0);
  ASSERT_OK(uv_loop_close(loop));
}

/* Handle memory as a program that reuses it may leave it: not zero, so
 * that a field the failed call should not touch is seen untouched. */
static inline void scribble(void* p, size_t n) {
  memset(p, 0x5a, n);
}

/* ---- descriptor exhaustion ---- */

#define MAX_FILLERS 1024

static int fillers[MAX_FILLERS];
static int nfillers;
static struct rlimit saved_nofile;

/* Lowers RLIMIT_NOFILE to the descriptors in use and fills every free
 * number below it, so that the next descriptor a call makes fails with
 * EMFILE. */
static inline void exhaust_fds(void) {
  struct rlimit low;
  int fd;

  ASSERT_OK(getrlimit(RLIMIT_NOFILE, &saved_nofile));
  fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  low = saved_nofile;
  low.rlim_cur = (rlim_t) fd + 1;
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &low));
  nfillers = 0;
  fillers[nfillers++] = fd;
  for (;;) {
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      ASSERT_EQ(errno, EMFILE);
      break;
    }
    ASSERT_LT(nfillers, MAX_FILLERS);
    fillers[nfillers++] = fd;
  }
}

static inline void restore_fds(void) {
  while (nfillers > 0)
    close(fillers[--nfillers]);
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &saved_nofile));
}

#endif /* RSUV_TEST_FAILED_HELPERS_H_ */
