/* Address helpers: uv_ip4_addr, uv_ip6_addr (with %zone scope ids),
 * uv_ip4_name, uv_ip6_name, uv_ip_name, uv_inet_pton and uv_inet_ntop —
 * valid and invalid text, every documented error code (UV_EINVAL,
 * UV_ENOSPC, UV_EAFNOSUPPORT), output left untouched on error, and the
 * buffer sizes at the edge (the text plus its NUL must fit). */
#include "test.h"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

static const char* const bad_ip4[] = {
  "", "1", "1.2.3", "1.2.3.4.", "1.2.3.4.5", ".1.2.3", "1..2.3", "256.0.0.1",
  "1.2.3.999", "01.2.3.4", "1.2.3.04", "00.0.0.0", " 1.2.3.4", "1.2.3.4 ",
  "1.2.3.a", "-1.2.3.4", "+1.2.3.4", "0x1.2.3.4", "localhost", "::1",
  "1.2.3.4%lo", "1234.1.1.1",
};

static const char* const bad_ip6[] = {
  "", ":", ":::", "1", "1:2", "1:", ":1", "1::2::3", "1:::2", "::1:", ":1::2",
  "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
  "1.2.3.4", "1.2.3.4::", "::1.2.3.4:5", "::1.2.3", "::01.2.3.4",
  "1:2:3:4:5:6:7:1.2.3.4", "1:2:3:4:5:6::1.2.3.4", "g::", "::g", " ::1",
  "::1 ", "::a.b.c.d", "[::1]",
};

/* Parses with uv_inet_pton(AF_INET6) and prints with uv_inet_ntop. */
static void check_ip6_text(const char* in, const char* out) {
  unsigned char bin[16];
  char buf[64];
  ASSERT_OK(uv_inet_pton(AF_INET6, in, bin));
  ASSERT_OK(uv_inet_ntop(AF_INET6, bin, buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, out);
}

static void test_ip4_addr(void) {
  struct sockaddr_in sa;
  size_t i;

  ASSERT_OK(uv_ip4_addr("127.0.0.1", 8080, &sa));
  ASSERT_EQ(sa.sin_family, AF_INET);
  ASSERT_EQ(ntohs(sa.sin_port), 8080);
  ASSERT_UEQ(ntohl(sa.sin_addr.s_addr), 0x7f000001u);

  ASSERT_OK(uv_ip4_addr("0.0.0.0", 0, &sa));
  ASSERT_UEQ(sa.sin_addr.s_addr, 0);
  ASSERT_OK(uv_ip4_addr("255.255.255.255", 65535, &sa));
  ASSERT_UEQ(sa.sin_addr.s_addr, 0xffffffffu);
  ASSERT_EQ(ntohs(sa.sin_port), 65535);
  ASSERT_OK(uv_ip4_addr("10.0.200.7", 1, &sa));
  ASSERT_UEQ(ntohl(sa.sin_addr.s_addr), 0x0a00c807u);

  for (i = 0; i < sizeof(bad_ip4) / sizeof(bad_ip4[0]); i++) {
    memset(&sa, 0xAA, sizeof(sa));
    if (uv_ip4_addr(bad_ip4[i], 80, &sa) != UV_EINVAL)
      TEST_FAIL_("uv_ip4_addr(\"%s\") did not fail with UV_EINVAL", bad_ip4[i]);
    /* The family and port are filled in before the text is parsed. */
    ASSERT_EQ(sa.sin_family, AF_INET);
    ASSERT_EQ(ntohs(sa.sin_port), 80);
  }
  ASSERT_ERR(uv_ip4_addr(NULL, 80, &sa), UV_EINVAL);
}

static void test_ip6_addr(void) {
  static const unsigned char loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                             0, 0, 0, 0, 0, 0, 0, 1};
  static const unsigned char mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                           0, 0, 0xff, 0xff, 192, 168, 0, 1};
  static const unsigned char full[16] = {0, 1, 0, 2, 0, 3, 0, 4,
                                         0, 5, 0, 6, 0, 7, 0xab, 0xcd};
  struct sockaddr_in6 sa;
  size_t i;

  ASSERT_OK(uv_ip6_addr("::1", 9000, &sa));
  ASSERT_EQ(sa.sin6_family, AF_INET6);
  ASSERT_EQ(ntohs(sa.sin6_port), 9000);
  ASSERT_EQ(sa.sin6_scope_id, 0);
  ASSERT_EQ(sa.sin6_flowinfo, 0);
  ASSERT_OK(memcmp(&sa.sin6_addr, loopback, 16));

  ASSERT_OK(uv_ip6_addr("::", 0, &sa));
  ASSERT_OK(memcmp(&sa.sin6_addr, &in6addr_any, 16));
  ASSERT_OK(uv_ip6_addr("::ffff:192.168.0.1", 0, &sa));
  ASSERT_OK(memcmp(&sa.sin6_addr, mapped, 16));
  ASSERT_OK(uv_ip6_addr("1:2:3:4:5:6:7:ABCD", 0, &sa));
  ASSERT_OK(memcmp(&sa.sin6_addr, full, 16));
  ASSERT_OK(uv_ip6_addr("0001:0002:0003:0004:0005:0006:0007:abcd", 0, &sa));
  ASSERT_OK(memcmp(&sa.sin6_addr, full, 16));
  ASSERT_OK(uv_ip6_addr("1:2:3:4:5:6:0.7.171.205", 0, &sa));
  ASSERT_OK(memcmp(&sa.sin6_addr, full, 16));
  ASSERT_OK(uv_ip6_addr("1:2:3:4:5:6:7::", 0, &sa));
  ASSERT_OK(uv_ip6_addr("::2:3:4:5:6:7:8", 0, &sa));
  ASSERT_OK(uv_ip6_addr("fe80::", 0, &sa));
  ASSERT_OK(uv_ip6_addr("2001:db8::ff00:42:8329", 0, &sa));

  for (i = 0; i < sizeof(bad_ip6) / sizeof(bad_ip6[0]); i++) {
    memset(&sa, 0xAA, sizeof(sa));
    if (uv_ip6_addr(bad_ip6[i], 443, &sa) != UV_EINVAL)
      TEST_FAIL_("uv_ip6_addr(\"%s\") did not fail with UV_EINVAL", bad_ip6[i]);
    ASSERT_EQ(sa.sin6_family, AF_INET6);
    ASSERT_EQ(ntohs(sa.sin6_port), 443);
  }
}

static void test_ip6_scope(void) {
  static const unsigned char ll1[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0,
                                        0,    0,    0, 0, 0, 0, 0, 1};
  struct sockaddr_in6 sa;
  unsigned int lo = if_nametoindex("lo");

  ASSERT_NE(lo, 0);
  ASSERT_OK(uv_ip6_addr("fe80::1%lo", 80, &sa));
  ASSERT_EQ(sa.sin6_scope_id, lo);
  ASSERT_OK(memcmp(&sa.sin6_addr, ll1, 16));
  ASSERT_EQ(ntohs(sa.sin6_port), 80);

  /* The zone is an interface name: "1" is looked up as a name (libuv does
   * not parse numbers on Unix), so it gives whatever if_nametoindex says —
   * 0 unless an interface is called "1". */
  ASSERT_OK(uv_ip6_addr("fe80::1%1", 80, &sa));
  ASSERT_EQ(sa.sin6_scope_id, if_nametoindex("1"));
  ASSERT_OK(memcmp(&sa.sin6_addr, ll1, 16));

  /* An unknown interface is silently scope 0. */
  ASSERT_OK(uv_ip6_addr("fe80::1%no-such-if0", 80, &sa));
  ASSERT_EQ(sa.sin6_scope_id, 0);
  ASSERT_OK(uv_ip6_addr("fe80::1%", 80, &sa));
  ASSERT_EQ(sa.sin6_scope_id, 0);

  /* The address part must still be valid. */
  ASSERT_ERR(uv_ip6_addr("fe80:::1%lo", 80, &sa), UV_EINVAL);
  ASSERT_ERR(uv_ip6_addr("%lo", 80, &sa), UV_EINVAL);

  /* uv_ip6_name prints the address only. */
  {
    char buf[64];
    ASSERT_OK(uv_ip6_addr("fe80::1%lo", 80, &sa));
    ASSERT_OK(uv_ip6_name(&sa, buf, sizeof(buf)));
    ASSERT_STR_EQ(buf, "fe80::1");
  }
}

static void test_inet_pton(void) {
  unsigned char buf[16];
  unsigned char guard[16];
  size_t i;

  ASSERT_OK(uv_inet_pton(AF_INET, "192.168.1.2", buf));
  ASSERT_EQ(buf[0], 192);
  ASSERT_EQ(buf[3], 2);
  ASSERT_OK(uv_inet_pton(AF_INET6, "::1", buf));
  ASSERT_EQ(buf[15], 1);

  /* A %zone suffix is ignored by the IPv6 parser, whatever it says. */
  ASSERT_OK(uv_inet_pton(AF_INET6, "fe80::2%en1", buf));
  ASSERT_EQ(buf[0], 0xfe);
  ASSERT_EQ(buf[15], 2);
  ASSERT_OK(uv_inet_pton(AF_INET6, "::1%%%%", buf));
  ASSERT_OK(uv_inet_pton(AF_INET6, "::1%en1:1.2.3.4", buf));
  ASSERT_ERR(uv_inet_pton(AF_INET6, "%en1", buf), UV_EINVAL);
  /* ...but not by the IPv4 one. */
  ASSERT_ERR(uv_inet_pton(AF_INET, "1.2.3.4%lo", buf), UV_EINVAL);

  /* Errors leave the output alone. */
  for (i = 0; i < sizeof(bad_ip4) / sizeof(bad_ip4[0]); i++) {
    memset(buf, 0xAA, sizeof(buf));
    memset(guard, 0xAA, sizeof(guard));
    if (uv_inet_pton(AF_INET, bad_ip4[i], buf) != UV_EINVAL)
      TEST_FAIL_("uv_inet_pton(AF_INET, \"%s\") did not fail", bad_ip4[i]);
    ASSERT_OK(memcmp(buf, guard, sizeof(buf)));
  }
  for (i = 0; i < sizeof(bad_ip6) / sizeof(bad_ip6[0]); i++) {
    memset(buf, 0xAA, sizeof(buf));
    if (uv_inet_pton(AF_INET6, bad_ip6[i], buf) != UV_EINVAL)
      TEST_FAIL_("uv_inet_pton(AF_INET6, \"%s\") did not fail", bad_ip6[i]);
    ASSERT_OK(memcmp(buf, guard, sizeof(buf)));
  }

  ASSERT_ERR(uv_inet_pton(AF_UNIX, "1.2.3.4", buf), UV_EAFNOSUPPORT);
  ASSERT_ERR(uv_inet_pton(AF_UNSPEC, "1.2.3.4", buf), UV_EAFNOSUPPORT);
  ASSERT_ERR(uv_inet_pton(AF_INET, NULL, buf), UV_EINVAL);
  ASSERT_ERR(uv_inet_pton(AF_INET, "1.2.3.4", NULL), UV_EINVAL);
  ASSERT_ERR(uv_inet_pton(AF_INET6, NULL, buf), UV_EINVAL);
}

static void test_inet_ntop(void) {
  static const unsigned char a4[4] = {255, 255, 255, 255};
  static const unsigned char one4[4] = {1, 2, 3, 4};
  unsigned char a6[16];
  char buf[64];

  /* "1.2.3.4" is 7 bytes: it needs 8 with the NUL. */
  ASSERT_OK(uv_inet_ntop(AF_INET, one4, buf, 8));
  ASSERT_STR_EQ(buf, "1.2.3.4");
  memset(buf, 'x', sizeof(buf));
  ASSERT_ERR(uv_inet_ntop(AF_INET, one4, buf, 7), UV_ENOSPC);
  ASSERT_EQ(buf[0], 'x');
  ASSERT_ERR(uv_inet_ntop(AF_INET, one4, buf, 0), UV_ENOSPC);
  ASSERT_ERR(uv_inet_ntop(AF_INET, one4, buf, 1), UV_ENOSPC);
  ASSERT_OK(uv_inet_ntop(AF_INET, a4, buf, 16));
  ASSERT_STR_EQ(buf, "255.255.255.255");
  ASSERT_ERR(uv_inet_ntop(AF_INET, a4, buf, 15), UV_ENOSPC);

  /* "::1" needs 4 bytes. */
  ASSERT_OK(uv_inet_pton(AF_INET6, "::1", a6));
  ASSERT_OK(uv_inet_ntop(AF_INET6, a6, buf, 4));
  ASSERT_STR_EQ(buf, "::1");
  memset(buf, 'x', sizeof(buf));
  ASSERT_ERR(uv_inet_ntop(AF_INET6, a6, buf, 3), UV_ENOSPC);
  ASSERT_EQ(buf[0], 'x');
  ASSERT_ERR(uv_inet_ntop(AF_INET6, a6, buf, 0), UV_ENOSPC);

  /* The longest hex form is 39 bytes. */
  memset(a6, 0xff, sizeof(a6));
  ASSERT_OK(uv_inet_ntop(AF_INET6, a6, buf, 40));
  ASSERT_STR_EQ(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  ASSERT_ERR(uv_inet_ntop(AF_INET6, a6, buf, 39), UV_ENOSPC);

  ASSERT_ERR(uv_inet_ntop(AF_UNIX, one4, buf, sizeof(buf)), UV_EAFNOSUPPORT);
  ASSERT_ERR(uv_inet_ntop(12345, one4, buf, sizeof(buf)), UV_EAFNOSUPPORT);

  /* Printing: lowercase, no leading zeros, "::" for the first longest run
   * of two or more zero groups, dotted forms for IPv4-compatible and
   * IPv4-mapped addresses. */
  check_ip6_text("::", "::");
  check_ip6_text("0:0:0:0:0:0:0:0", "::");
  check_ip6_text("::1", "::1");
  check_ip6_text("1::", "1::");
  check_ip6_text("FE80:0000:0000:0000:0000:0000:0000:00AB", "fe80::ab");
  check_ip6_text("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
  check_ip6_text("1:0:0:2:0:0:0:3", "1:0:0:2::3");
  check_ip6_text("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7");
  check_ip6_text("0:0:1:0:0:0:0:2", "0:0:1::2");
  check_ip6_text("::ffff:192.168.0.1", "::ffff:192.168.0.1");
  check_ip6_text("::ffff:c0a8:1", "::ffff:192.168.0.1");
  check_ip6_text("::1.2.3.4", "::1.2.3.4");
  check_ip6_text("::ffff:0:0", "::ffff:0.0.0.0");
  check_ip6_text("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8");
}

static void test_ip_name(void) {
  struct sockaddr_in sa4;
  struct sockaddr_in6 sa6;
  struct sockaddr_un su;
  char buf[64];

  ASSERT_OK(uv_ip4_addr("192.0.2.33", 1, &sa4));
  ASSERT_OK(uv_ip4_name(&sa4, buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, "192.0.2.33");
  ASSERT_ERR(uv_ip4_name(&sa4, buf, 10), UV_ENOSPC);
  ASSERT_OK(uv_ip4_name(&sa4, buf, 11));
  ASSERT_STR_EQ(buf, "192.0.2.33");

  ASSERT_OK(uv_ip6_addr("2001:DB8::0:1", 1, &sa6));
  ASSERT_OK(uv_ip6_name(&sa6, buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, "2001:db8::1");
  ASSERT_ERR(uv_ip6_name(&sa6, buf, 11), UV_ENOSPC);
  ASSERT_OK(uv_ip6_name(&sa6, buf, 12));

  memset(buf, 0, sizeof(buf));
  ASSERT_OK(uv_ip_name((struct sockaddr*) &sa4, buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, "192.0.2.33");
  ASSERT_OK(uv_ip_name((struct sockaddr*) &sa6, buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, "2001:db8::1");
  ASSERT_ERR(uv_ip_name((struct sockaddr*) &sa6, buf, 4), UV_ENOSPC);

  memset(&su, 0, sizeof(su));
  su.sun_family = AF_UNIX;
  ASSERT_ERR(uv_ip_name((struct sockaddr*) &su, buf, sizeof(buf)),
             UV_EAFNOSUPPORT);
  sa4.sin_family = AF_UNSPEC;
  ASSERT_ERR(uv_ip_name((struct sockaddr*) &sa4, buf, sizeof(buf)),
             UV_EAFNOSUPPORT);
}

int main(void) {
  test_ip4_addr();
  test_ip6_addr();
  test_ip6_scope();
  test_inet_pton();
  test_inet_ntop();
  test_ip_name();
  return 0;
}
