/* Miscellaneous: uv_strerror, uv_strerror_r, uv_err_name, uv_err_name_r
 * (every known code, unknown codes, truncation into small buffers),
 * uv_translate_sys_error, uv_hrtime, uv_sleep, uv_version,
 * uv_version_string, uv_library_shutdown (last). */
#include "test.h"

#include <errno.h>

static void test_error_strings(void) {
  char buf[128];
  char small[5];
  char* r;

  /* Every error in the map: name and message as the header spells them. */
#define XX(name, msg)                                                         \
  ASSERT_STR_EQ(uv_err_name(UV_##name), #name);                               \
  ASSERT_STR_EQ(uv_strerror(UV_##name), msg);                                 \
  ASSERT_PTR_EQ(uv_err_name_r(UV_##name, buf, sizeof(buf)), buf);             \
  ASSERT_STR_EQ(buf, #name);                                                  \
  ASSERT_PTR_EQ(uv_strerror_r(UV_##name, buf, sizeof(buf)), buf);             \
  ASSERT_STR_EQ(buf, msg);                                                    \
  ASSERT_LT(UV_##name, 0);
  UV_ERRNO_MAP(XX)
#undef XX

  /* A few spelled out. */
  ASSERT_STR_EQ(uv_err_name(UV_EINVAL), "EINVAL");
  ASSERT_STR_EQ(uv_strerror(UV_EINVAL), "invalid argument");
  ASSERT_STR_EQ(uv_err_name(UV_EOF), "EOF");
  ASSERT_STR_EQ(uv_strerror(UV_EOF), "end of file");
  ASSERT_STR_EQ(uv_strerror(UV_ECANCELED), "operation canceled");
  ASSERT_STR_EQ(uv_err_name(UV_EAI_NONAME), "EAI_NONAME");
  ASSERT_STR_EQ(uv_strerror(UV_ETIMEDOUT), "connection timed out");
  ASSERT_EQ(UV_EINVAL, -EINVAL);
  ASSERT_EQ(UV_EAGAIN, -EAGAIN);
  ASSERT_EQ(UV_EOF, -4095);

  /* Unknown codes. */
  ASSERT_STR_EQ(uv_err_name(-9999), "Unknown system error -9999");
  ASSERT_STR_EQ(uv_strerror(-9999), "Unknown system error -9999");
  ASSERT_STR_EQ(uv_strerror(0), "Unknown system error 0");
  ASSERT_STR_EQ(uv_err_name(12345), "Unknown system error 12345");
  ASSERT_PTR_EQ(uv_err_name_r(-9999, buf, sizeof(buf)), buf);
  ASSERT_STR_EQ(buf, "Unknown system error -9999");
  ASSERT_PTR_EQ(uv_strerror_r(-9999, buf, sizeof(buf)), buf);
  ASSERT_STR_EQ(buf, "Unknown system error -9999");

  /* Small buffers: truncated and NUL-terminated. */
  memset(small, 'x', sizeof(small));
  r = uv_strerror_r(UV_EINVAL, small, sizeof(small));
  ASSERT_PTR_EQ(r, small);
  ASSERT_STR_EQ(small, "inva");
  memset(small, 'x', sizeof(small));
  ASSERT_PTR_EQ(uv_err_name_r(UV_EADDRINUSE, small, sizeof(small)), small);
  ASSERT_STR_EQ(small, "EADD");
  memset(small, 'x', sizeof(small));
  uv_err_name_r(-9999, small, sizeof(small));
  ASSERT_STR_EQ(small, "Unkn");
  memset(small, 'x', sizeof(small));
  uv_strerror_r(-9999, small, sizeof(small));
  ASSERT_STR_EQ(small, "Unkn");
  /* Exactly fitting. */
  memset(small, 'x', sizeof(small));
  uv_err_name_r(UV_EOF, small, 4);
  ASSERT_STR_EQ(small, "EOF");
  /* One byte: just the terminator. */
  memset(small, 'x', sizeof(small));
  uv_strerror_r(UV_EINVAL, small, 1);
  ASSERT_EQ(small[0], '\0');
  ASSERT_EQ(small[1], 'x');
  memset(small, 'x', sizeof(small));
  uv_err_name_r(UV_EINVAL, small, 1);
  ASSERT_EQ(small[0], '\0');
  ASSERT_EQ(small[1], 'x');
  /* Zero bytes: the buffer is not touched. */
  memset(small, 'x', sizeof(small));
  ASSERT_PTR_EQ(uv_strerror_r(UV_EINVAL, small, 0), small);
  ASSERT_EQ(small[0], 'x');
  ASSERT_PTR_EQ(uv_err_name_r(UV_EINVAL, small, 0), small);
  ASSERT_EQ(small[0], 'x');
}

static void test_translate(void) {
  int e;

  ASSERT_EQ(uv_translate_sys_error(EINVAL), UV_EINVAL);
  ASSERT_EQ(uv_translate_sys_error(ENOENT), UV_ENOENT);
  ASSERT_EQ(uv_translate_sys_error(EAGAIN), UV_EAGAIN);
  ASSERT_EQ(uv_translate_sys_error(EPIPE), UV_EPIPE);
  ASSERT_EQ(uv_translate_sys_error(ECONNREFUSED), UV_ECONNREFUSED);
  ASSERT_EQ(uv_translate_sys_error(ENOMEM), UV_ENOMEM);
  /* On Unix every positive errno is simply negated. */
  for (e = 1; e < 134; e++)
    ASSERT_EQ(uv_translate_sys_error(e), -e);
  /* Already a libuv error (or zero): returned as is. */
  ASSERT_EQ(uv_translate_sys_error(0), 0);
  ASSERT_EQ(uv_translate_sys_error(UV_EINVAL), UV_EINVAL);
  ASSERT_EQ(uv_translate_sys_error(UV_EOF), UV_EOF);
  ASSERT_EQ(uv_translate_sys_error(UV_EAI_NONAME), UV_EAI_NONAME);
}

static void test_time(void) {
  uint64_t prev;
  uint64_t now;
  uint64_t start;
  int i;

  prev = uv_hrtime();
  ASSERT_UGE(prev, 1);
  for (i = 0; i < 100000; i++) {
    now = uv_hrtime();
    ASSERT_UGE(now, prev); /* monotonic */
    prev = now;
  }

  start = uv_hrtime();
  uv_sleep(25);
  /* uv_sleep sleeps at least that long; uv_hrtime is in nanoseconds. */
  ASSERT_UGE(uv_hrtime() - start, (uint64_t) 25 * 1000000);

  uv_sleep(0);
  uv_sleep(1);
}

static int dropin_mode(void) {
  const char* m = getenv("RSUV_TEST_MODE");
  return m != NULL && strcmp(m, "dropin") == 0;
}

static void test_version(void) {
  unsigned int v = uv_version();
  const char* s = uv_version_string();
  unsigned int major;
  unsigned int minor;
  unsigned int patch;
  char expected[64];
  char tail[16];
  int n;

  ASSERT_NOT_NULL(s);
  ASSERT_EQ(UV_VERSION_HEX, (UV_VERSION_MAJOR << 16) |
                                (UV_VERSION_MINOR << 8) | UV_VERSION_PATCH);
  /* The string and the number agree. */
  tail[0] = '\0';
  n = sscanf(s, "%u.%u.%u%15s", &major, &minor, &patch, tail);
  ASSERT_GE(n, 3);
  ASSERT_EQ(v, (major << 16) | (minor << 8) | patch);
  ASSERT_EQ(major, 1);
  ASSERT_EQ(v >> 16, UV_VERSION_MAJOR);

  if (dropin_mode()) {
    /* A binary built against an older 1.x header running on our library:
     * the library is at least as new as the header. */
    ASSERT_UGE(v, UV_VERSION_HEX);
    return;
  }

  /* Built against the library's own header. */
  ASSERT_EQ(v, UV_VERSION_HEX);
  if (UV_VERSION_IS_RELEASE)
    snprintf(expected, sizeof(expected), "%d.%d.%d", UV_VERSION_MAJOR,
             UV_VERSION_MINOR, UV_VERSION_PATCH);
  else
    snprintf(expected, sizeof(expected), "%d.%d.%d-%s", UV_VERSION_MAJOR,
             UV_VERSION_MINOR, UV_VERSION_PATCH, UV_VERSION_SUFFIX);
  ASSERT_STR_EQ(s, expected);
}

/* ---- uv_library_shutdown, after using a loop and the thread pool ---- */

static int after_count;

static void work_cb(uv_work_t* req) {
  (void) req;
}

static void after_cb(uv_work_t* req, int status) {
  (void) req;
  ASSERT_EQ(status, 0);
  after_count++;
}

static void test_library_shutdown(void) {
  uv_loop_t loop;
  uv_work_t req;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_queue_work(&loop, &req, work_cb, after_cb));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(after_count, 1);
  close_loop(&loop);
  /* Releases global state (e.g. stops the thread pool). No libuv calls
   * after this. */
  uv_library_shutdown();
}

int main(void) {
  test_error_strings();
  test_translate();
  test_time();
  test_version();
  test_library_shutdown();
  printf("test-misc: ok\n");
  return 0;
}
