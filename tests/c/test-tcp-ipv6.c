/* TCP over IPv6: listen on [::1] with UV_TCP_IPV6ONLY, connect, echo, and
 * check both ends' names; UV_TCP_IPV6ONLY really sets IPV6_V6ONLY (a socket
 * on [::]:P with the flag leaves 0.0.0.0:P free for IPv4); without the flag
 * a [::] listener is dual-stack (when net.ipv6.bindv6only is 0): it takes
 * 0.0.0.0:P and accepts an IPv4 client, seen as ::ffff:127.0.0.1; the
 * IPV6_V6ONLY option read back through uv_fileno. Exits 0 with a message
 * when ::1 is unavailable. */
#include "test.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uv_loop_t loop;

static int ipv6_loopback_available(void) {
  struct sockaddr_in6 a;
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  int ok;
  if (fd < 0)
    return 0;
  memset(&a, 0, sizeof(a));
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  ok = bind(fd, (struct sockaddr*) &a, sizeof(a)) == 0;
  close(fd);
  return ok;
}

static int bindv6only_sysctl(void) {
  FILE* f = fopen("/proc/sys/net/ipv6/bindv6only", "r");
  int v = -1;
  if (f == NULL)
    return -1;
  if (fscanf(f, "%d", &v) != 1)
    v = -1;
  fclose(f);
  return v;
}

static struct sockaddr_in6 addr6(const char* ip, int port) {
  struct sockaddr_in6 a;
  memset(&a, 0, sizeof(a));
  a.sin6_family = AF_INET6;
  a.sin6_port = htons((unsigned short) port);
  ASSERT_EQ(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
  return a;
}

static struct sockaddr_in addr4(const char* ip, int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short) port);
  ASSERT_EQ(inet_pton(AF_INET, ip, &a.sin_addr), 1);
  return a;
}

static void name6(const struct sockaddr_in6* a, char* out, size_t n) {
  ASSERT_NOT_NULL(inet_ntop(AF_INET6, &a->sin6_addr, out, (socklen_t) n));
}

static int v6only_of(uv_tcp_t* h) {
  uv_os_fd_t fd;
  int v = -1;
  socklen_t len = sizeof(v);
  ASSERT_OK(uv_fileno((uv_handle_t*) h, &fd));
  ASSERT_OK(getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len));
  return v;
}

static void alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  static char slab[4096];
  (void) h;
  (void) suggested;
  buf->base = slab;
  buf->len = sizeof(slab);
}

/* ---- echo on [::1] ---- */

static uv_tcp_t server, peer, client;
static uv_connect_t connect_req;
static uv_write_t client_wreq, peer_wreq;
static char echo_buf[64], got[64];
static size_t got_len;
static int server_port, connected, accepted, peer_eof, client_done;
static const char msg[] = "over ipv6";

static void peer_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  uv_buf_t out;
  if (n == UV_EOF) {
    peer_eof = 1;
    uv_close((uv_handle_t*) s, NULL);
    return;
  }
  ASSERT_GE(n, 0);
  if (n == 0)
    return;
  ASSERT_LE((size_t) n, sizeof(echo_buf));
  memcpy(echo_buf, buf->base, (size_t) n);
  out = uv_buf_init(echo_buf, (unsigned) n);
  ASSERT_OK(uv_write(&peer_wreq, s, &out, 1, NULL));
}

static void connection_cb(uv_stream_t* s, int status) {
  struct sockaddr_storage ss;
  struct sockaddr_in6* a = (struct sockaddr_in6*) &ss;
  char ip[INET6_ADDRSTRLEN];
  int len = sizeof(ss);

  ASSERT_OK(status);
  ASSERT_OK(uv_tcp_init(&loop, &peer));
  ASSERT_OK(uv_accept(s, (uv_stream_t*) &peer));
  accepted = 1;
  ASSERT_OK(uv_tcp_getsockname(&peer, (struct sockaddr*) &ss, &len));
  ASSERT_EQ(a->sin6_family, AF_INET6);
  ASSERT_EQ(len, (int) sizeof(struct sockaddr_in6));
  ASSERT_EQ(ntohs(a->sin6_port), server_port);
  name6(a, ip, sizeof(ip));
  ASSERT_STR_EQ(ip, "::1");
  len = sizeof(ss);
  ASSERT_OK(uv_tcp_getpeername(&peer, (struct sockaddr*) &ss, &len));
  ASSERT_EQ(a->sin6_family, AF_INET6);
  name6(a, ip, sizeof(ip));
  ASSERT_STR_EQ(ip, "::1");
  ASSERT_OK(uv_read_start((uv_stream_t*) &peer, alloc_cb, peer_read_cb));
  uv_close((uv_handle_t*) s, NULL);
}

static void client_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  ASSERT_GE(n, 0);
  if (n == 0)
    return;
  ASSERT_LE(got_len + (size_t) n, sizeof(got));
  memcpy(got + got_len, buf->base, (size_t) n);
  got_len += (size_t) n;
  if (got_len == sizeof(msg) - 1) {
    ASSERT_OK(memcmp(got, msg, got_len));
    client_done = 1;
    uv_close((uv_handle_t*) s, NULL);
  }
}

static void connect_cb(uv_connect_t* req, int status) {
  struct sockaddr_storage ss;
  struct sockaddr_in6* a = (struct sockaddr_in6*) &ss;
  char ip[INET6_ADDRSTRLEN];
  int len = sizeof(ss);
  uv_buf_t out = uv_buf_init((char*) msg, sizeof(msg) - 1);

  ASSERT_OK(status);
  connected = 1;
  ASSERT_OK(uv_tcp_getpeername((uv_tcp_t*) req->handle, (struct sockaddr*) &ss, &len));
  ASSERT_EQ(a->sin6_family, AF_INET6);
  ASSERT_EQ(ntohs(a->sin6_port), server_port);
  name6(a, ip, sizeof(ip));
  ASSERT_STR_EQ(ip, "::1");
  ASSERT_OK(uv_write(&client_wreq, req->handle, &out, 1, NULL));
  ASSERT_OK(uv_read_start(req->handle, alloc_cb, client_read_cb));
}

static void test_echo(void) {
  struct sockaddr_in6 a = addr6("::1", 0);
  struct sockaddr_storage ss;
  int len = sizeof(ss);

  ASSERT_OK(uv_tcp_init_ex(&loop, &server, AF_INET6));
  ASSERT_OK(uv_tcp_bind(&server, (const struct sockaddr*) &a, UV_TCP_IPV6ONLY));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 4, connection_cb));
  ASSERT_OK(uv_tcp_getsockname(&server, (struct sockaddr*) &ss, &len));
  ASSERT_EQ(len, (int) sizeof(struct sockaddr_in6));
  ASSERT_EQ(ss.ss_family, AF_INET6);
  server_port = ntohs(((struct sockaddr_in6*) &ss)->sin6_port);
  ASSERT_GT(server_port, 0);

  a = addr6("::1", server_port);
  ASSERT_OK(uv_tcp_init(&loop, &client));
  ASSERT_OK(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*) &a, connect_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(connected, 1);
  ASSERT_EQ(accepted, 1);
  ASSERT_EQ(client_done, 1);
  ASSERT_EQ(peer_eof, 1);
}

/* ---- UV_TCP_IPV6ONLY on [::] ---- */

static void no_connection_cb(uv_stream_t* s, int status) {
  (void) s;
  (void) status;
  TEST_FAIL_("no connection expected");
}

static int port_of(uv_tcp_t* h) {
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  ASSERT_OK(uv_tcp_getsockname(h, (struct sockaddr*) &ss, &len));
  if (ss.ss_family == AF_INET6)
    return ntohs(((struct sockaddr_in6*) &ss)->sin6_port);
  ASSERT_EQ(ss.ss_family, AF_INET);
  return ntohs(((struct sockaddr_in*) &ss)->sin_port);
}

/* Binds and listens an IPv4 socket on 0.0.0.0:port; returns 0 or the error
 * (libuv may report a busy address from bind or, deferred, from listen). */
static int listen4(uv_tcp_t* h, int port) {
  struct sockaddr_in a = addr4("0.0.0.0", port);
  int r;
  ASSERT_OK(uv_tcp_init(&loop, h));
  r = uv_tcp_bind(h, (const struct sockaddr*) &a, 0);
  if (r == 0)
    r = uv_listen((uv_stream_t*) h, 1, no_connection_cb);
  return r;
}

static void test_v6only(void) {
  struct sockaddr_in6 any = addr6("::", 0);
  uv_tcp_t v6, v4;
  int port;

  ASSERT_OK(uv_tcp_init(&loop, &v6));
  ASSERT_OK(uv_tcp_bind(&v6, (const struct sockaddr*) &any, UV_TCP_IPV6ONLY));
  ASSERT_OK(uv_listen((uv_stream_t*) &v6, 1, no_connection_cb));
  port = port_of(&v6);
  /* The IPv4 side of the port is still free. */
  ASSERT_OK(listen4(&v4, port));
  ASSERT_EQ(port_of(&v4), port);
  uv_close((uv_handle_t*) &v6, NULL);
  uv_close((uv_handle_t*) &v4, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

/* ---- dual stack: [::] without the flag ---- */

static uv_tcp_t ds_server, ds_peer, ds_client;
static int ds_accepted, ds_connected;

static void ds_connection_cb(uv_stream_t* s, int status) {
  struct sockaddr_storage ss;
  struct sockaddr_in6* a = (struct sockaddr_in6*) &ss;
  char ip[INET6_ADDRSTRLEN];
  int len = sizeof(ss);

  ASSERT_OK(status);
  ASSERT_OK(uv_tcp_init(&loop, &ds_peer));
  ASSERT_OK(uv_accept(s, (uv_stream_t*) &ds_peer));
  ASSERT_OK(uv_tcp_getpeername(&ds_peer, (struct sockaddr*) &ss, &len));
  ASSERT_EQ(ss.ss_family, AF_INET6);
  name6(a, ip, sizeof(ip));
  ASSERT_STR_EQ(ip, "::ffff:127.0.0.1");
  ds_accepted = 1;
  uv_close((uv_handle_t*) &ds_peer, NULL);
  uv_close((uv_handle_t*) s, NULL);
}

static void ds_connect_cb(uv_connect_t* req, int status) {
  ASSERT_OK(status);
  ds_connected = 1;
  uv_close((uv_handle_t*) req->handle, NULL);
}

static void test_dual_stack(void) {
  struct sockaddr_in6 any = addr6("::", 0);
  struct sockaddr_in a4;
  uv_tcp_t v4;
  int port;

  ASSERT_OK(uv_tcp_init(&loop, &ds_server));
  ASSERT_OK(uv_tcp_bind(&ds_server, (const struct sockaddr*) &any, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &ds_server, 4, ds_connection_cb));
  port = port_of(&ds_server);
  /* The [::] socket holds the IPv4 side of the port too. */
  ASSERT_ERR(listen4(&v4, port), UV_EADDRINUSE);
  uv_close((uv_handle_t*) &v4, NULL);

  a4 = addr4("127.0.0.1", port);
  ASSERT_OK(uv_tcp_init(&loop, &ds_client));
  ASSERT_OK(uv_tcp_connect(&connect_req, &ds_client, (const struct sockaddr*) &a4, ds_connect_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(ds_connected, 1);
  ASSERT_EQ(ds_accepted, 1);
}

/* ---- the socket option itself, read back through uv_fileno ---- */

static void test_v6only_sockopt(void) {
  /* On [::]: Linux turns IPV6_V6ONLY on by itself for a specific address. */
  struct sockaddr_in6 a = addr6("::", 0);
  uv_tcp_t only, dual;

  ASSERT_OK(uv_tcp_init(&loop, &only));
  ASSERT_OK(uv_tcp_bind(&only, (const struct sockaddr*) &a, UV_TCP_IPV6ONLY));
  ASSERT_OK(uv_tcp_init_ex(&loop, &dual, AF_INET6));
  ASSERT_OK(uv_tcp_bind(&dual, (const struct sockaddr*) &a, 0));
  ASSERT_EQ(v6only_of(&only), 1);
  if (bindv6only_sysctl() == 0)
    ASSERT_EQ(v6only_of(&dual), 0);
  uv_close((uv_handle_t*) &only, NULL);
  uv_close((uv_handle_t*) &dual, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  if (!ipv6_loopback_available()) {
    printf("SKIP: ::1 is not available here\n");
    return 0;
  }
  ASSERT_OK(uv_loop_init(&loop));
  test_echo();
  test_v6only();
  if (bindv6only_sysctl() == 0)
    test_dual_stack();
  else
    printf("net.ipv6.bindv6only is not 0: dual-stack part skipped\n");
  test_v6only_sockopt();
  close_loop(&loop);
  return 0;
}
