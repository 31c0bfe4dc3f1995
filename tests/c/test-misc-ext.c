/* rsuv: ours-only: uv_clock_gettime is 1.45+; UV_ENODATA/UV_EUNATCH/UV_ENOEXEC are newer than 1.44; checks that our header and library say 1.52.0 */
/* Miscellaneous APIs newer than libuv 1.44: uv_clock_gettime (both clocks,
 * bad clock ids, NULL output), the newer error codes, and the version of
 * rsuv: 1.52.0 in the header and the library. */
#include "test.h"

#include <errno.h>
#include <time.h>

#define SECOND ((int64_t) 1000000000)

static int64_t ns(const uv_timespec64_t* ts) {
  return ts->tv_sec * SECOND + ts->tv_nsec;
}

static void test_clock_gettime(void) {
  uv_timespec64_t a;
  uv_timespec64_t b;
  time_t now;
  int i;

  ASSERT_EQ(sizeof(uv_timespec64_t), 16);

  ASSERT_OK(uv_clock_gettime(UV_CLOCK_MONOTONIC, &a));
  ASSERT_GE(a.tv_sec, 0);
  ASSERT_GE(a.tv_nsec, 0);
  ASSERT_LT(a.tv_nsec, SECOND);
  for (i = 0; i < 10000; i++) {
    ASSERT_OK(uv_clock_gettime(UV_CLOCK_MONOTONIC, &b));
    ASSERT_GE(ns(&b), ns(&a)); /* never goes back */
    a = b;
  }
  uv_sleep(20);
  ASSERT_OK(uv_clock_gettime(UV_CLOCK_MONOTONIC, &b));
  ASSERT_GE(ns(&b) - ns(&a), 20 * 1000000);

  /* The real-time clock counts from the Unix epoch. */
  ASSERT_OK(uv_clock_gettime(UV_CLOCK_REALTIME, &a));
  now = time(NULL);
  ASSERT_GE(a.tv_nsec, 0);
  ASSERT_LT(a.tv_nsec, SECOND);
  ASSERT_LE(a.tv_sec - (int64_t) now, 2);
  ASSERT_LE((int64_t) now - a.tv_sec, 2);

  /* Bad input. libuv 1.52 (src/unix/core.c) checks the pointer first and
   * returns UV_EFAULT for NULL; unknown clocks give UV_EINVAL. */
  ASSERT_ERR(uv_clock_gettime(UV_CLOCK_MONOTONIC, NULL), UV_EFAULT);
  ASSERT_ERR(uv_clock_gettime(UV_CLOCK_REALTIME, NULL), UV_EFAULT);
  ASSERT_ERR(uv_clock_gettime((uv_clock_id) 2, &a), UV_EINVAL);
  ASSERT_ERR(uv_clock_gettime((uv_clock_id) 99, &a), UV_EINVAL);
  ASSERT_ERR(uv_clock_gettime((uv_clock_id) -1, &a), UV_EINVAL);
}

static void test_new_errors(void) {
  ASSERT_EQ(UV_ENODATA, -ENODATA);
  ASSERT_EQ(UV_EUNATCH, -EUNATCH);
  ASSERT_EQ(UV_ENOEXEC, -ENOEXEC);
  ASSERT_STR_EQ(uv_err_name(UV_ENODATA), "ENODATA");
  ASSERT_STR_EQ(uv_strerror(UV_ENODATA), "no data available");
  ASSERT_STR_EQ(uv_err_name(UV_EUNATCH), "EUNATCH");
  ASSERT_STR_EQ(uv_strerror(UV_EUNATCH), "protocol driver not attached");
  ASSERT_STR_EQ(uv_err_name(UV_ENOEXEC), "ENOEXEC");
  ASSERT_STR_EQ(uv_strerror(UV_ENOEXEC), "exec format error");
  ASSERT_EQ(uv_translate_sys_error(ENODATA), UV_ENODATA);
}

static void test_version(void) {
  ASSERT_EQ(UV_VERSION_MAJOR, 1);
  ASSERT_EQ(UV_VERSION_MINOR, 52);
  ASSERT_EQ(UV_VERSION_PATCH, 0);
  ASSERT_EQ(UV_VERSION_IS_RELEASE, 1);
  ASSERT_EQ(UV_VERSION_HEX, 0x013400);
  ASSERT_STR_EQ(UV_VERSION_SUFFIX, "");
  ASSERT_EQ(uv_version(), 0x013400);
  ASSERT_STR_EQ(uv_version_string(), "1.52.0");
}

int main(void) {
  test_clock_gettime();
  test_new_errors();
  test_version();
  printf("test-misc-ext: ok\n");
  return 0;
}
