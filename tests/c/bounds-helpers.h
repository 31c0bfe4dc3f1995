/* Buffer-bounds checks shared by test-bounds*.c: call a function that
 * writes into a caller's buffer of a given size, at sizes 0, 1, the exact
 * size it needs, one less, and more, and check its answer and that no byte
 * past the size it was given changed. */
#ifndef RSUV_BOUNDS_HELPERS_H_
#define RSUV_BOUNDS_HELPERS_H_

#include "test.h"

#define CANARY 0x5a
#define SLACK 64

/* A function of the `int f(char* buf, size_t* size)` family, with its
 * context. */
typedef int (*sized_fn)(void* ctx, char* buf, size_t* size);

static unsigned char bounds_buf[4096 + SLACK];

static void fill_canary(void) {
  memset(bounds_buf, CANARY, sizeof(bounds_buf));
}

/* Nothing at or past `from` was written. */
static void expect_untouched_from(size_t from, const char* what, size_t size) {
  size_t i;
  for (i = from; i < sizeof(bounds_buf); i++) {
    if (bounds_buf[i] != CANARY)
      TEST_FAIL_("%s with size %zu wrote byte %zu", what, size, i);
  }
}

/* The uv_os_getenv family: `want` is the full answer. At size 0 the call
 * answers `zero_result` (UV_EINVAL for most); below the length + 1 it
 * answers UV_ENOBUFS with the size needed and writes nothing; from the
 * length + 1 up it copies the answer with its NUL and gives its length. */
static void check_sized(const char* what, sized_fn f, void* ctx,
                        const char* want, int zero_result) {
  size_t len = strlen(want);
  size_t sizes[6];
  size_t n = 0, i, size;
  int r;

  ASSERT_LT(len + 2, sizeof(bounds_buf) - SLACK);
  sizes[n++] = 0;
  sizes[n++] = 1;
  if (len > 1)
    sizes[n++] = len - 1;
  sizes[n++] = len;       /* exact - 1 */
  sizes[n++] = len + 1;   /* exact */
  sizes[n++] = len + 17;  /* more */

  for (i = 0; i < n; i++) {
    fill_canary();
    size = sizes[i];
    r = f(ctx, (char*) bounds_buf, &size);
    if (sizes[i] == 0) {
      ASSERT_EQ(r, zero_result);
      if (r == UV_ENOBUFS)
        ASSERT_UEQ(size, len + 1);
      expect_untouched_from(0, what, 0);
    } else if (sizes[i] <= len) {
      if (r != UV_ENOBUFS)
        TEST_FAIL_("%s with size %zu returned %d, not UV_ENOBUFS", what,
                   sizes[i], r);
      ASSERT_UEQ(size, len + 1);
      expect_untouched_from(sizes[i], what, sizes[i]);
    } else {
      if (r != 0)
        TEST_FAIL_("%s with size %zu returned %d (%s)", what, sizes[i], r,
                   uv_err_name(r));
      ASSERT_UEQ(size, len);
      ASSERT_EQ(memcmp(bounds_buf, want, len + 1), 0);
      expect_untouched_from(len + 1, what, sizes[i]);
    }
  }
}

#endif
