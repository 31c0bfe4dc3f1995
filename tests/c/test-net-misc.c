/* Names and small network helpers: uv_if_indextoname / uv_if_indextoiid on
 * the loopback interface (buffer sizes, bad index), uv_os_gethostname,
 * uv_tcp_keepalive_ex, uv_tcp_simultaneous_accepts,
 * uv_pipe_pending_instances, uv_try_write2 on a socket pair. */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include "test.h"
#include <dlfcn.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void test_if_names(void) {
  char buf[UV_IF_NAMESIZE];
  size_t size;
  unsigned lo = if_nametoindex("lo");

  if (lo == 0) {
    printf("no loopback interface named lo: skipping interface names\n");
    return;
  }
  size = sizeof(buf);
  ASSERT_OK(uv_if_indextoname(lo, buf, &size));
  ASSERT_STR_EQ(buf, "lo");
  ASSERT_EQ(size, 2);

  size = 2; /* no room for the terminator */
  ASSERT_ERR(uv_if_indextoname(lo, buf, &size), UV_ENOBUFS);
  ASSERT_EQ(size, 3);

  size = sizeof(buf);
  ASSERT_OK(uv_if_indextoiid(lo, buf, &size));
  ASSERT_STR_EQ(buf, "lo");

  size = sizeof(buf);
  ASSERT_ERR(uv_if_indextoname(lo, NULL, &size), UV_EINVAL);
  ASSERT_ERR(uv_if_indextoname(lo, buf, NULL), UV_EINVAL);
  size = sizeof(buf);
  ASSERT_LT(uv_if_indextoname(0x7fffffff, buf, &size), 0);
}

static void test_hostname(void) {
  char want[256], got[UV_MAXHOSTNAMESIZE], tiny[1];
  size_t size = sizeof(got);

  ASSERT_OK(gethostname(want, sizeof(want)));
  ASSERT_OK(uv_os_gethostname(got, &size));
  ASSERT_STR_EQ(got, want);
  ASSERT_EQ(size, strlen(want));

  size = sizeof(tiny);
  ASSERT_ERR(uv_os_gethostname(tiny, &size), UV_ENOBUFS);
  ASSERT_EQ(size, strlen(want) + 1);
  ASSERT_ERR(uv_os_gethostname(NULL, &size), UV_EINVAL);
  ASSERT_ERR(uv_os_gethostname(got, NULL), UV_EINVAL);
}

typedef int (*keepalive_ex_fn)(uv_tcp_t*, int, unsigned, unsigned, unsigned);

static void test_tcp_options(uv_loop_t* loop) {
  keepalive_ex_fn keepalive_ex;
  uv_tcp_t t;
  uv_pipe_t p;
  uv_os_fd_t fd;
  int v;
  socklen_t len = sizeof(v);

  ASSERT_OK(uv_tcp_init_ex(loop, &t, AF_INET));
  ASSERT_OK(uv_tcp_simultaneous_accepts(&t, 1));
  ASSERT_OK(uv_tcp_simultaneous_accepts(&t, 0));
  ASSERT_OK(uv_tcp_keepalive(&t, 1, 30));
  ASSERT_OK(uv_fileno((uv_handle_t*) &t, &fd));
  ASSERT_OK(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len));
  ASSERT_EQ(v, 1);
  ASSERT_OK(getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len));
  ASSERT_EQ(v, 30);
  ASSERT_ERR(uv_tcp_keepalive(&t, 1, 0), UV_EINVAL);
  ASSERT_OK(uv_tcp_keepalive(&t, 0, 0));
  /* uv_tcp_keepalive_ex is libuv 1.48+: looked up at run time so the test
   * builds against older headers too. */
  keepalive_ex = (keepalive_ex_fn) dlsym(RTLD_DEFAULT, "uv_tcp_keepalive_ex");
  if (keepalive_ex != NULL) {
    ASSERT_OK(keepalive_ex(&t, 1, 20, 5, 3));
    ASSERT_OK(getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, &len));
    ASSERT_EQ(v, 5);
    ASSERT_OK(getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, &len));
    ASSERT_EQ(v, 3);
    ASSERT_ERR(keepalive_ex(&t, 1, 20, 0, 3), UV_EINVAL);
  }
  uv_close((uv_handle_t*) &t, NULL);

  ASSERT_OK(uv_pipe_init(loop, &p, 0));
  uv_pipe_pending_instances(&p, 4); /* Windows only: accepted, no effect */
  uv_close((uv_handle_t*) &p, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
}

static void test_try_write2(uv_loop_t* loop) {
  uv_pipe_t a, b;
  int fds[2];
  char c[4];
  uv_buf_t buf = uv_buf_init("ab", 2);

  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
  ASSERT_OK(uv_pipe_init(loop, &a, 0));
  ASSERT_OK(uv_pipe_init(loop, &b, 0));
  ASSERT_OK(uv_pipe_open(&a, fds[0]));
  ASSERT_OK(uv_pipe_open(&b, fds[1]));
  ASSERT_EQ(uv_try_write2((uv_stream_t*) &a, &buf, 1, NULL), 2);
  ASSERT_EQ(read(fds[1], c, sizeof(c)), 2);
  ASSERT_OK(memcmp(c, "ab", 2));
  uv_close((uv_handle_t*) &a, NULL);
  uv_close((uv_handle_t*) &b, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
}

int main(void) {
  uv_loop_t loop;

  ASSERT_OK(uv_loop_init(&loop));
  test_if_names();
  test_hostname();
  test_tcp_options(&loop);
  test_try_write2(&loop);
  close_loop(&loop);
  return 0;
}
