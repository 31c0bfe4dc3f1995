/* rsuv: ours-only: the WTF-8 converters are libuv 1.47+; Debian ships 1.44 */
/* The WTF-8/UTF-16 converters, as libuv 1.52 defines them:
 *  - uv_utf16_length_as_wtf8 counts bytes without the NUL, for an explicit
 *    length (a 0 unit is a character) or up to the NUL (a negative length);
 *    a high surrogate followed by a low one is 4 bytes, any other surrogate
 *    3 bytes on its own;
 *  - uv_utf16_to_wtf8 only reports the length when wtf8_ptr is NULL,
 *    allocates length + 1 bytes with the replaceable allocator when
 *    *wtf8_ptr is NULL, and otherwise fills the caller's buffer of
 *    *wtf8_len_ptr + 1 bytes: the length written on success, or UV_ENOBUFS
 *    with as much as fits, a NUL, and the size to ask for;
 *  - uv_wtf8_length_as_utf16 counts units including the NUL, -1 for invalid
 *    WTF-8 (lone surrogates are valid; overlong 3- and 4-byte forms are
 *    taken as libuv takes them);
 *  - uv_wtf8_to_utf16 writes exactly that many units and nothing more.
 * With RSUV_TEST_MODE=ours it also checks what rsuv does where libuv's
 * behaviour is undefined (libuv crashes or asserts there): NULL arguments,
 * invalid WTF-8 and short buffers given to uv_wtf8_to_utf16. */
#include "test.h"

static int mallocs;
static int frees;

static void* counting_malloc(size_t size) {
  mallocs++;
  return malloc(size);
}

static void* counting_realloc(void* p, size_t size) {
  return realloc(p, size);
}

static void* counting_calloc(size_t count, size_t size) {
  return calloc(count, size);
}

static void counting_free(void* p) {
  if (p != NULL)
    frees++;
  free(p);
}

static int rsuv_extensions(void) {
  const char* mode = getenv("RSUV_TEST_MODE");
  return mode != NULL && strcmp(mode, "ours") == 0;
}

/* "aé€😀" in UTF-16 and in UTF-8 (1 + 2 + 3 + 4 bytes). */
static const uint16_t mixed16[] = {0x61, 0xE9, 0x20AC, 0xD83D, 0xDE00, 0};
static const char mixed8[] = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";

static void test_utf16_length_as_wtf8(void) {
  static const uint16_t lone[] = {0xD800, 0x41, 0xDC00, 0xDC00, 0xD800, 0};
  static const uint16_t with_nul[] = {0x41, 0, 0x42, 0};

  ASSERT_UEQ(uv_utf16_length_as_wtf8(mixed16, 5), 10);
  ASSERT_UEQ(uv_utf16_length_as_wtf8(mixed16, -1), 10);
  ASSERT_UEQ(uv_utf16_length_as_wtf8(mixed16, 4), 6 + 3); /* lone high */
  ASSERT_UEQ(uv_utf16_length_as_wtf8(mixed16, 0), 0);
  ASSERT_UEQ(uv_utf16_length_as_wtf8(mixed16 + 5, -1), 0);
  ASSERT_UEQ(uv_utf16_length_as_wtf8(lone, -1), 3 + 1 + 3 + 3 + 3);
  ASSERT_UEQ(uv_utf16_length_as_wtf8(with_nul, -1), 1);
  ASSERT_UEQ(uv_utf16_length_as_wtf8(with_nul, 3), 3);
}

static void test_utf16_to_wtf8_allocating(void) {
  static const uint16_t lone[] = {0xDC00, 0x41, 0xD800, 0};
  static const uint16_t with_nul[] = {0x41, 0, 0x42};
  char* out;
  size_t len;
  int before;

  /* wtf8_ptr NULL: the length only. */
  len = 99;
  ASSERT_OK(uv_utf16_to_wtf8(mixed16, -1, NULL, &len));
  ASSERT_UEQ(len, 10);
  ASSERT_OK(uv_utf16_to_wtf8(mixed16, -1, NULL, NULL));

  before = mallocs;
  out = NULL;
  len = 99;
  ASSERT_OK(uv_utf16_to_wtf8(mixed16, -1, &out, &len));
  ASSERT_EQ(mallocs, before + 1);
  ASSERT_NOT_NULL(out);
  ASSERT_UEQ(len, 10);
  ASSERT_STR_EQ(out, mixed8);
  counting_free(out);

  out = NULL;
  ASSERT_OK(uv_utf16_to_wtf8(lone, -1, &out, &len));
  ASSERT_UEQ(len, 7);
  ASSERT_EQ(memcmp(out, "\xED\xB0\x80" "A" "\xED\xA0\x80", 8), 0);
  counting_free(out);

  /* An explicit length: a 0 unit is a character. */
  out = NULL;
  ASSERT_OK(uv_utf16_to_wtf8(with_nul, 3, &out, &len));
  ASSERT_UEQ(len, 3);
  ASSERT_EQ(memcmp(out, "A\0B", 4), 0);
  counting_free(out);

  /* Empty input: a 1-byte block holding the NUL. */
  out = NULL;
  len = 99;
  ASSERT_OK(uv_utf16_to_wtf8(mixed16 + 5, -1, &out, &len));
  ASSERT_UEQ(len, 0);
  ASSERT_NOT_NULL(out);
  ASSERT_EQ(out[0], 0);
  counting_free(out);

  /* No length pointer: still converted. */
  out = NULL;
  ASSERT_OK(uv_utf16_to_wtf8(mixed16, 5, &out, NULL));
  ASSERT_STR_EQ(out, mixed8);
  counting_free(out);
}

static void test_utf16_to_wtf8_into_buffer(void) {
  static const uint16_t euro_a[] = {0x20AC, 0x61, 0};
  char buf[16];
  char* out;
  size_t len;
  size_t cap;

  /* Exactly the right size, both input forms. */
  memset(buf, 0x55, sizeof(buf));
  out = buf;
  len = 10;
  ASSERT_OK(uv_utf16_to_wtf8(mixed16, -1, &out, &len));
  ASSERT_PTR_EQ(out, buf);
  ASSERT_UEQ(len, 10);
  ASSERT_STR_EQ(buf, mixed8);
  ASSERT_EQ(buf[11], 0x55);
  len = 10;
  ASSERT_OK(uv_utf16_to_wtf8(mixed16, 5, &out, &len));
  ASSERT_UEQ(len, 10);
  ASSERT_STR_EQ(buf, mixed8);

  /* Larger: *wtf8_len_ptr becomes the length written. */
  memset(buf, 0x55, sizeof(buf));
  len = 14;
  ASSERT_OK(uv_utf16_to_wtf8(mixed16, -1, &out, &len));
  ASSERT_UEQ(len, 10);
  ASSERT_STR_EQ(buf, mixed8);
  ASSERT_EQ(buf[11], 0x55);

  /* Too small: as much as fits (a character may be cut), a NUL after it,
   * and the size needed. Once the first character fit, that is exact. */
  for (cap = 1; cap < 10; cap++) {
    memset(buf, 0x55, sizeof(buf));
    len = cap;
    ASSERT_ERR(uv_utf16_to_wtf8(mixed16, -1, &out, &len), UV_ENOBUFS);
    ASSERT_UEQ(len, 10);
    ASSERT_EQ(memcmp(buf, mixed8, cap), 0);
    ASSERT_EQ(buf[cap], 0);
    ASSERT_EQ(buf[cap + 1], 0x55);
    len = cap;
    ASSERT_ERR(uv_utf16_to_wtf8(mixed16, 5, &out, &len), UV_ENOBUFS);
    ASSERT_UEQ(len, 10);
  }
  memset(buf, 0x55, sizeof(buf));
  len = 0;
  ASSERT_ERR(uv_utf16_to_wtf8(mixed16, -1, &out, &len), UV_ENOBUFS);
  ASSERT_UEQ(len, 10);
  ASSERT_EQ(buf[0], 0);
  ASSERT_EQ(buf[1], 0x55);

  /* libuv's count when not even the first character fits whole: the
   * capacity plus the full length (more than needed, never less). */
  memset(buf, 0x55, sizeof(buf));
  len = 2;
  ASSERT_ERR(uv_utf16_to_wtf8(euro_a, -1, &out, &len), UV_ENOBUFS);
  ASSERT_UEQ(len, 2 + 4);
  ASSERT_EQ(memcmp(buf, "\xE2\x82\0", 3), 0);

  /* Empty input into a buffer. */
  buf[0] = 0x55;
  len = 4;
  ASSERT_OK(uv_utf16_to_wtf8(mixed16 + 5, -1, &out, &len));
  ASSERT_UEQ(len, 0);
  ASSERT_EQ(buf[0], 0);
}

static void test_wtf8_length_as_utf16(void) {
  ASSERT_EQ(uv_wtf8_length_as_utf16(""), 1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("abc"), 4);
  ASSERT_EQ(uv_wtf8_length_as_utf16(mixed8), 6);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xF4\x8F\xBF\xBF"), 3);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xED\xA0\x80"), 2); /* lone surrogate */
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xED\xA0\x80\xED\xB0\x80"), 3);
  /* Overlong 3- and 4-byte forms are taken; E0 80 80 does not end it. */
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xE0\x80\x80" "a"), 3);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xF0\x8F\xBF\xBF"), 2);

  /* Invalid: -1. */
  ASSERT_EQ(uv_wtf8_length_as_utf16("\x80"), -1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("ok\xBF"), -1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xC0\x80"), -1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xC1\xBF"), -1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xC3"), -1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xE2\x82"), -1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xF0\x9F\x98"), -1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xC3" "a"), -1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xF4\x90\x80\x80"), -1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xF5\x80\x80\x80"), -1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xFF"), -1);
}

static void test_wtf8_to_utf16(void) {
  /* libuv's own test string, and the largest code point. */
  static const char sample[] =
      "\xE1\x9C\x84\xC8\xBAy\xF0\x90\x9E\xB2:\xF0\x9E\xA2\xA2\xF0\x98\xB4\x87"
      "\xF0\x90\x80\x80'\xC2\xA5" "3\xCC\x9E[<i$";
  static const uint16_t sample16[] = {
      0x1704, 0x023A, 'y', 0xD801, 0xDFB2, ':', 0xD83A, 0xDCA2, 0xD823,
      0xDD07, 0xD800, 0xDC00, '\'', 0x00A5, '3', 0x031E, '[', '<', 'i', '$',
      0};
  uint16_t buf[32];
  ssize_t len;
  char* back;
  size_t back_len;
  int i;

  len = uv_wtf8_length_as_utf16(sample);
  ASSERT_EQ(len, (ssize_t) (sizeof(sample16) / sizeof(sample16[0])));
  for (i = 0; i < 32; i++)
    buf[i] = 0xAAAA;
  uv_wtf8_to_utf16(sample, buf, len);
  ASSERT_EQ(memcmp(buf, sample16, sizeof(sample16)), 0);
  ASSERT_EQ(buf[len], 0xAAAA);

  len = uv_wtf8_length_as_utf16("\xF4\x8F\xBF\xBF");
  uv_wtf8_to_utf16("\xF4\x8F\xBF\xBF", buf, len);
  ASSERT_EQ(buf[0], 0xDBFF);
  ASSERT_EQ(buf[1], 0xDFFF);
  ASSERT_EQ(buf[2], 0);

  /* Lone surrogates and an overlong zero survive, unit by unit. */
  len = uv_wtf8_length_as_utf16("\xED\xB0\x80x\xE0\x80\x80\xED\xA0\x80");
  ASSERT_EQ(len, 5);
  buf[5] = 0xAAAA;
  uv_wtf8_to_utf16("\xED\xB0\x80x\xE0\x80\x80\xED\xA0\x80", buf, len);
  ASSERT_EQ(buf[0], 0xDC00);
  ASSERT_EQ(buf[1], 'x');
  ASSERT_EQ(buf[2], 0);
  ASSERT_EQ(buf[3], 0xD800);
  ASSERT_EQ(buf[4], 0);
  ASSERT_EQ(buf[5], 0xAAAA);

  /* Round trip back to the same bytes. */
  len = uv_wtf8_length_as_utf16(sample);
  uv_wtf8_to_utf16(sample, buf, len);
  back = NULL;
  ASSERT_OK(uv_utf16_to_wtf8(buf, -1, &back, &back_len));
  ASSERT_UEQ(back_len, sizeof(sample) - 1);
  ASSERT_STR_EQ(back, sample);
  counting_free(back);
}

/* rsuv only: where libuv's behaviour is undefined. */
static void test_rsuv_robustness(void) {
  uint16_t buf[8];
  char cbuf[4];
  char* out;
  size_t len;
  int i;

  ASSERT_UEQ(uv_utf16_length_as_wtf8(NULL, 3), 0);
  ASSERT_UEQ(uv_utf16_length_as_wtf8(NULL, -1), 0);
  len = 99;
  ASSERT_ERR(uv_utf16_to_wtf8(NULL, 3, NULL, &len), UV_EINVAL);
  out = cbuf;
  ASSERT_ERR(uv_utf16_to_wtf8(mixed16, -1, &out, NULL), UV_EINVAL);
  ASSERT_EQ(uv_wtf8_length_as_utf16(NULL), -1);
  uv_wtf8_to_utf16(NULL, buf, 8);
  uv_wtf8_to_utf16("abc", NULL, 8);

  /* Invalid WTF-8: the output stops before the invalid sequence. */
  for (i = 0; i < 8; i++)
    buf[i] = 0xAAAA;
  uv_wtf8_to_utf16("ab\x80" "cd", buf, 8);
  ASSERT_EQ(buf[0], 'a');
  ASSERT_EQ(buf[1], 'b');
  ASSERT_EQ(buf[2], 0);
  ASSERT_EQ(buf[3], 0xAAAA);

  /* A short buffer: never written past, still terminated, a surrogate pair
   * never split. "a😀b" needs 5 units. */
  for (i = 0; i < 8; i++)
    buf[i] = 0xAAAA;
  uv_wtf8_to_utf16("a\xF0\x9F\x98\x80" "b", buf, 3);
  ASSERT_EQ(buf[0], 'a');
  ASSERT_EQ(buf[1], 0);
  ASSERT_EQ(buf[2], 0xAAAA);
  uv_wtf8_to_utf16("a\xF0\x9F\x98\x80" "b", buf, 4);
  ASSERT_EQ(buf[1], 0xD83D);
  ASSERT_EQ(buf[2], 0xDE00);
  ASSERT_EQ(buf[3], 0);
  ASSERT_EQ(buf[4], 0xAAAA);
  uv_wtf8_to_utf16("abc", buf, 0);
  ASSERT_EQ(buf[0], 'a');
}

int main(void) {
  ASSERT_OK(uv_replace_allocator(counting_malloc, counting_realloc,
                                 counting_calloc, counting_free));
  test_utf16_length_as_wtf8();
  test_utf16_to_wtf8_allocating();
  test_utf16_to_wtf8_into_buffer();
  test_wtf8_length_as_utf16();
  test_wtf8_to_utf16();
  if (rsuv_extensions())
    test_rsuv_robustness();
  ASSERT_EQ(frees, mallocs);
  return 0;
}
