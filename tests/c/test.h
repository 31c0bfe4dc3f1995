/* Tiny assertion helpers shared by the rsuv C tests (tests/c/test-*.c).
 *
 * Every test file is a standalone program: main() returns 0 on success, and
 * a failed assertion prints "file:line: ..." to stderr and calls abort().
 */
#ifndef RSUV_TEST_H_
#define RSUV_TEST_H_

#include <dirent.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#define TEST_FAIL_(...)                                                       \
  do {                                                                        \
    fflush(stdout);                                                           \
    fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                           \
    fprintf(stderr, __VA_ARGS__);                                             \
    fprintf(stderr, "\n");                                                    \
    fflush(stderr);                                                           \
    abort();                                                                  \
  } while (0)

#define ASSERT(expr)                                                          \
  do {                                                                        \
    if (!(expr))                                                              \
      TEST_FAIL_("assertion failed: %s", #expr);                              \
  } while (0)

/* Integer comparisons: both sides are converted to int64_t and printed. */
#define ASSERT_CMP_(a, op, b)                                                 \
  do {                                                                        \
    int64_t a_ = (int64_t) (a);                                               \
    int64_t b_ = (int64_t) (b);                                               \
    if (!(a_ op b_))                                                          \
      TEST_FAIL_("assertion failed: %s %s %s (%" PRId64 " vs %" PRId64 ")",   \
                 #a, #op, #b, a_, b_);                                        \
  } while (0)

#define ASSERT_EQ(a, b) ASSERT_CMP_(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_CMP_(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_CMP_(a, <, b)
#define ASSERT_LE(a, b) ASSERT_CMP_(a, <=, b)
#define ASSERT_GT(a, b) ASSERT_CMP_(a, >, b)
#define ASSERT_GE(a, b) ASSERT_CMP_(a, >=, b)

/* Unsigned 64-bit comparisons (for uint64_t values above INT64_MAX). */
#define ASSERT_UCMP_(a, op, b)                                                \
  do {                                                                        \
    uint64_t a_ = (uint64_t) (a);                                             \
    uint64_t b_ = (uint64_t) (b);                                             \
    if (!(a_ op b_))                                                          \
      TEST_FAIL_("assertion failed: %s %s %s (%" PRIu64 " vs %" PRIu64 ")",   \
                 #a, #op, #b, a_, b_);                                        \
  } while (0)

#define ASSERT_UEQ(a, b) ASSERT_UCMP_(a, ==, b)
#define ASSERT_ULE(a, b) ASSERT_UCMP_(a, <=, b)
#define ASSERT_UGE(a, b) ASSERT_UCMP_(a, >=, b)

/* A libuv call that must return 0; on failure prints the error name. */
#define ASSERT_OK(expr)                                                       \
  do {                                                                        \
    int r_ = (int) (expr);                                                    \
    if (r_ != 0)                                                              \
      TEST_FAIL_("%s returned %d (%s), expected 0", #expr, r_,                \
                 r_ < 0 ? uv_err_name(r_) : "positive");                      \
  } while (0)

/* A libuv call that must fail with the given UV_E* code. */
#define ASSERT_ERR(expr, code)                                                \
  do {                                                                        \
    int r_ = (int) (expr);                                                    \
    if (r_ != (code))                                                         \
      TEST_FAIL_("%s returned %d (%s), expected %s (%d)", #expr, r_,          \
                 r_ < 0 ? uv_err_name(r_) : "non-negative", #code,            \
                 (int) (code));                                               \
  } while (0)

#define ASSERT_NULL(p)                                                        \
  do {                                                                        \
    const void* p_ = (const void*) (p);                                       \
    if (p_ != NULL)                                                           \
      TEST_FAIL_("assertion failed: %s is %p, expected NULL", #p, p_);        \
  } while (0)

#define ASSERT_NOT_NULL(p)                                                    \
  do {                                                                        \
    if ((const void*) (p) == NULL)                                            \
      TEST_FAIL_("assertion failed: %s is NULL", #p);                         \
  } while (0)

#define ASSERT_PTR_EQ(a, b)                                                   \
  do {                                                                        \
    const void* a_ = (const void*) (a);                                       \
    const void* b_ = (const void*) (b);                                       \
    if (a_ != b_)                                                             \
      TEST_FAIL_("assertion failed: %s == %s (%p vs %p)", #a, #b, a_, b_);    \
  } while (0)

#define ASSERT_STR_EQ(a, b)                                                   \
  do {                                                                        \
    const char* a_ = (a);                                                     \
    const char* b_ = (b);                                                     \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                      \
      TEST_FAIL_("assertion failed: %s == %s (\"%s\" vs \"%s\")", #a, #b,     \
                 a_ ? a_ : "(null)", b_ ? b_ : "(null)");                     \
  } while (0)

/* Descriptors this process holds now (entries of /proc/self/fd, counting
 * "." and ".." and the directory's own descriptor, the same each time). */
static inline long fd_count(void) {
  DIR* d = opendir("/proc/self/fd");
  long n = 0;
  ASSERT_NOT_NULL(d);
  while (readdir(d) != NULL)
    n++;
  closedir(d);
  return n;
}

/* This process's resident memory in KiB (VmRSS). */
static inline long rss_kib(void) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  ASSERT_NOT_NULL(f);
  while (fgets(line, sizeof(line), f) != NULL)
    if (sscanf(line, "VmRSS: %ld", &kib) == 1)
      break;
  fclose(f);
  return kib;
}

/* The memory checker this test runs under, from RSUV_UNDER_CHECKER
 * ("valgrind" or "asan", set by scripts/test-valgrind.sh and
 * scripts/test-asan.sh), or "" when none. */
static inline const char* under_checker(void) {
  const char* c = getenv("RSUV_UNDER_CHECKER");
  return c != NULL ? c : "";
}

/* Resident memory is back within 10% of `before` (KiB), plus `slack_kib`
 * for the allocator. Under a memory checker its leak check stands in for
 * this: ASan keeps freed blocks in quarantine, and valgrind's own caches
 * grow as it translates code run for the first time. Returns the RSS now. */
static inline long expect_rss_back(long before, long slack_kib) {
  long after = rss_kib();
  if (strcmp(under_checker(), "") == 0 &&
      after > before + before / 10 + slack_kib)
    TEST_FAIL_("resident memory %ld KiB after, %ld KiB before", after, before);
  return after;
}

static inline void test_close_walk_cb_(uv_handle_t* handle, void* arg) {
  (void) arg;
  if (!uv_is_closing(handle))
    uv_close(handle, NULL);
}

/* Closes every handle still open on `loop`, runs the loop until the close
 * callbacks have run and asserts that uv_loop_close() succeeds, i.e. that
 * no handle or request leaked. Does not free `loop`. */
static inline void close_loop(uv_loop_t* loop) {
  uv_walk(loop, test_close_walk_cb_, NULL);
  ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  ASSERT_OK(uv_loop_close(loop));
}

/* Same, for the default loop. */
static inline void close_default_loop(void) {
  close_loop(uv_default_loop());
}

#endif /* RSUV_TEST_H_ */
