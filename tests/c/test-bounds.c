/* Functions that write into a caller's buffer of a given size, at sizes 0,
 * 1, exact - 1, exact and more: libuv's answer at each (UV_EINVAL for an
 * empty buffer, UV_ENOBUFS with the size needed, UV_ENOSPC for the address
 * formatters, truncation for uv_exepath and the error-string functions)
 * and no byte written past the size given. (The getpath and pipe-name
 * functions changed their size-0 answer after libuv 1.44: see
 * test-bounds-152.c.) */
#include "bounds-helpers.h"

#include <arpa/inet.h>
#include <limits.h>
#include <net/if.h>
#include <unistd.h>

static int call_getenv(void* ctx, char* buf, size_t* size) {
  return uv_os_getenv((const char*) ctx, buf, size);
}

static int call_homedir(void* ctx, char* buf, size_t* size) {
  (void) ctx;
  return uv_os_homedir(buf, size);
}

static int call_tmpdir(void* ctx, char* buf, size_t* size) {
  (void) ctx;
  return uv_os_tmpdir(buf, size);
}

static int call_cwd(void* ctx, char* buf, size_t* size) {
  (void) ctx;
  return uv_cwd(buf, size);
}

static int call_hostname(void* ctx, char* buf, size_t* size) {
  (void) ctx;
  return uv_os_gethostname(buf, size);
}

static int call_indextoname(void* ctx, char* buf, size_t* size) {
  return uv_if_indextoname(*(unsigned*) ctx, buf, size);
}

static int call_indextoiid(void* ctx, char* buf, size_t* size) {
  return uv_if_indextoiid(*(unsigned*) ctx, buf, size);
}

/* uv_exepath truncates: at size n it writes n - 1 bytes and a NUL. */
static void check_exepath(void) {
  char want[PATH_MAX + 1];
  ssize_t n = readlink("/proc/self/exe", want, PATH_MAX);
  size_t len, sizes[5], i, size;

  ASSERT_GT(n, 1);
  want[n] = '\0';
  len = (size_t) n;
  sizes[0] = 1;
  sizes[1] = len - 1;
  sizes[2] = len;
  sizes[3] = len + 1;
  sizes[4] = len + 9;

  fill_canary();
  size = 0;
  ASSERT_EQ(uv_exepath((char*) bounds_buf, &size), UV_EINVAL);
  expect_untouched_from(0, "uv_exepath", 0);
  for (i = 0; i < 5; i++) {
    size_t got = sizes[i] - 1 < len ? sizes[i] - 1 : len;
    fill_canary();
    size = sizes[i];
    ASSERT_OK(uv_exepath((char*) bounds_buf, &size));
    ASSERT_UEQ(size, got);
    ASSERT_EQ(memcmp(bounds_buf, want, got), 0);
    ASSERT_EQ(bounds_buf[got], 0);
    expect_untouched_from(got + 1, "uv_exepath", sizes[i]);
  }
}

/* uv_strerror_r and uv_err_name_r truncate like snprintf: at size n, the
 * first n - 1 bytes and a NUL; nothing at size 0. */
static void check_error_strings(int err) {
  const char* names[2];
  size_t i, k, len, got;

  names[0] = uv_strerror(err);
  names[1] = uv_err_name(err);
  for (k = 0; k < 2; k++) {
    len = strlen(names[k]);
    for (i = 0; i <= len + 3; i++) {
      char* r;
      fill_canary();
      r = k == 0 ? uv_strerror_r(err, (char*) bounds_buf, i)
                 : uv_err_name_r(err, (char*) bounds_buf, i);
      ASSERT_PTR_EQ(r, (char*) bounds_buf);
      if (i == 0) {
        expect_untouched_from(0, "error string", 0);
        continue;
      }
      got = i - 1 < len ? i - 1 : len;
      ASSERT_EQ(memcmp(bounds_buf, names[k], got), 0);
      ASSERT_EQ(bounds_buf[got], 0);
      expect_untouched_from(got + 1, k == 0 ? "uv_strerror_r" : "uv_err_name_r", i);
    }
  }
}

/* The address formatters: UV_ENOSPC until the text and its NUL fit. */
static void check_ntop(void) {
  struct sockaddr_in a4;
  struct sockaddr_in6 a6;
  const char* want4 = "192.168.100.200";
  const char* want6 = "fe80::1:2:3:4";
  size_t i;

  ASSERT_OK(uv_ip4_addr(want4, 80, &a4));
  ASSERT_OK(uv_ip6_addr(want6, 80, &a6));
  for (i = 0; i <= strlen(want4) + 2; i++) {
    int r;
    fill_canary();
    r = uv_ip4_name(&a4, (char*) bounds_buf, i);
    if (i <= strlen(want4)) {
      ASSERT_EQ(r, UV_ENOSPC);
      expect_untouched_from(i, "uv_ip4_name", i);
    } else {
      ASSERT_OK(r);
      ASSERT_STR_EQ((char*) bounds_buf, want4);
      expect_untouched_from(strlen(want4) + 1, "uv_ip4_name", i);
    }
    fill_canary();
    r = uv_inet_ntop(AF_INET, &a4.sin_addr, (char*) bounds_buf, i);
    ASSERT_EQ(r, i <= strlen(want4) ? UV_ENOSPC : 0);
    expect_untouched_from(i <= strlen(want4) ? i : strlen(want4) + 1,
                          "uv_inet_ntop", i);
  }
  for (i = 0; i <= strlen(want6) + 2; i++) {
    int r;
    fill_canary();
    r = uv_ip6_name(&a6, (char*) bounds_buf, i);
    if (i <= strlen(want6)) {
      ASSERT_EQ(r, UV_ENOSPC);
      expect_untouched_from(i, "uv_ip6_name", i);
    } else {
      ASSERT_OK(r);
      ASSERT_STR_EQ((char*) bounds_buf, want6);
      expect_untouched_from(strlen(want6) + 1, "uv_ip6_name", i);
    }
  }
}

int main(void) {
  char cwd[PATH_MAX];
  char host[256];
  unsigned lo;

  ASSERT_OK(uv_os_setenv("RSUV_BOUNDS_VAR", "a value of some length"));
  check_sized("uv_os_getenv", call_getenv, (void*) "RSUV_BOUNDS_VAR",
              "a value of some length", UV_EINVAL);
  ASSERT_OK(uv_os_setenv("RSUV_BOUNDS_ONE", "x"));
  check_sized("uv_os_getenv", call_getenv, (void*) "RSUV_BOUNDS_ONE", "x",
              UV_EINVAL);

  ASSERT_OK(uv_os_setenv("HOME", "/home/bounds-check/user"));
  check_sized("uv_os_homedir", call_homedir, NULL, "/home/bounds-check/user",
              UV_EINVAL);

  ASSERT_OK(uv_os_setenv("TMPDIR", "/var/tmp/bounds-check"));
  check_sized("uv_os_tmpdir", call_tmpdir, NULL, "/var/tmp/bounds-check",
              UV_EINVAL);

  ASSERT_NOT_NULL(getcwd(cwd, sizeof(cwd)));
  check_sized("uv_cwd", call_cwd, NULL, cwd, UV_EINVAL);

  ASSERT_OK(gethostname(host, sizeof(host)));
  host[sizeof(host) - 1] = '\0';
  check_sized("uv_os_gethostname", call_hostname, NULL, host, UV_EINVAL);

  lo = if_nametoindex("lo");
  ASSERT_NE(lo, 0);
  check_sized("uv_if_indextoname", call_indextoname, &lo, "lo", UV_EINVAL);
  check_sized("uv_if_indextoiid", call_indextoiid, &lo, "lo", UV_EINVAL);

  check_exepath();
  check_error_strings(UV_EADDRINUSE);
  check_error_strings(UV_EOF);
  check_error_strings(-12345); /* unknown: "Unknown system error -12345" */
  check_ntop();

  printf("ok\n");
  return 0;
}
