/* Accept under descriptor exhaustion: with no descriptor left, a listening
 * server drops the waiting connections (their clients see EOF) instead of
 * spinning on a socket that stays readable, and accepts normally again
 * once descriptors are free. */
#include "test.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define CLIENTS 3
#define MAX_FILLER 256

static uv_loop_t loop;
static uv_tcp_t server, accepted;
static int accepted_ok, connection_errors;

static void connection_cb(uv_stream_t* s, int status) {
  if (status != 0) {
    /* libuv may report the exhaustion; it must not be anything else. */
    ASSERT(status == UV_EMFILE || status == UV_ENFILE);
    connection_errors++;
    return;
  }
  ASSERT_OK(uv_tcp_init(&loop, &accepted));
  ASSERT_OK(uv_accept(s, (uv_stream_t*) &accepted));
  accepted_ok++;
  uv_close((uv_handle_t*) &accepted, NULL);
}

static int raw_connect(int port) {
  struct sockaddr_in a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short) port);
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", &a.sin_addr), 1);
  ASSERT_OK(connect(fd, (struct sockaddr*) &a, sizeof(a)));
  return fd;
}

/* Reads until EOF or error, with the socket non-blocking; 1 if closed. */
static int peer_closed(int fd) {
  char c;
  ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

int main(void) {
  struct sockaddr_in addr;
  int len = sizeof(addr);
  int clients[CLIENTS];
  int filler[MAX_FILLER];
  int nfill = 0, i, spins, port;
  struct rlimit old, low;

  signal(SIGPIPE, SIG_IGN);
  ASSERT_OK(uv_loop_init(&loop));
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr), 1);
  ASSERT_OK(uv_tcp_init(&loop, &server));
  ASSERT_OK(uv_tcp_bind(&server, (const struct sockaddr*) &addr, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 16, connection_cb));
  ASSERT_OK(uv_tcp_getsockname(&server, (struct sockaddr*) &addr, &len));
  port = ntohs(addr.sin_port);

  /* The kernel completes these handshakes before anyone accepts. */
  for (i = 0; i < CLIENTS; i++)
    clients[i] = raw_connect(port);

  /* Use up every descriptor under a lowered limit. */
  ASSERT_OK(getrlimit(RLIMIT_NOFILE, &old));
  low = old;
  low.rlim_cur = (rlim_t) (dup(0) + 1);
  close((int) low.rlim_cur - 1);
  low.rlim_cur += 8;
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &low));
  for (;;) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0) {
      ASSERT_EQ(errno, EMFILE);
      break;
    }
    ASSERT_LT(nfill, MAX_FILLER);
    filler[nfill++] = fd;
  }

  /* The server drops the waiting connections; each client sees it. */
  for (spins = 0; spins < 5000; spins++) {
    int closed = 0;
    uv_run(&loop, UV_RUN_NOWAIT);
    for (i = 0; i < CLIENTS; i++)
      closed += peer_closed(clients[i]);
    if (closed == CLIENTS)
      break;
    usleep(1000);
  }
  ASSERT_LT(spins, 5000);
  ASSERT_EQ(accepted_ok, 0);

  /* Descriptors back: a new connection is accepted as usual. */
  for (i = 0; i < nfill; i++)
    close(filler[i]);
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &old));
  for (i = 0; i < CLIENTS; i++)
    close(clients[i]);
  clients[0] = raw_connect(port);
  for (spins = 0; spins < 5000 && accepted_ok == 0; spins++) {
    uv_run(&loop, UV_RUN_NOWAIT);
    if (accepted_ok == 0)
      usleep(1000);
  }
  ASSERT_EQ(accepted_ok, 1);
  close(clients[0]);
  uv_close((uv_handle_t*) &server, NULL);
  close_loop(&loop);
  (void) connection_errors;
  return 0;
}
