/* Shared helpers for the stream benchmarks (TCP over 127.0.0.1, Unix-domain
 * sockets). Addresses are built with inet_pton() rather than uv_ip4_addr(),
 * and servers bind port 0 (the kernel picks a free port, read back with
 * uv_tcp_getsockname), so concurrent runs cannot collide. */
#ifndef RSUV_BENCH_NET_H
#define RSUV_BENCH_NET_H

#include "bench.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <unistd.h>

/* 127.0.0.1:port */
static inline void bench_addr4(struct sockaddr_in* a, int port) {
  memset(a, 0, sizeof(*a));
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  CHECK_EQ(inet_pton(AF_INET, "127.0.0.1", &a->sin_addr), 1);
}

/* Initializes `server`, binds it to 127.0.0.1 on a kernel-chosen port and
 * listens; *addr receives the bound address (for the clients to connect). */
static inline void bench_tcp_listen(uv_loop_t* loop, uv_tcp_t* server,
                                    int backlog, uv_connection_cb cb,
                                    struct sockaddr_in* addr) {
  int len = (int)sizeof(*addr);
  CHECK_EQ(uv_tcp_init(loop, server), 0);
  bench_addr4(addr, 0);
  CHECK_EQ(uv_tcp_bind(server, (const struct sockaddr*)addr, 0), 0);
  CHECK_EQ(uv_listen((uv_stream_t*)server, backlog, cb), 0);
  CHECK_EQ(uv_tcp_getsockname(server, (struct sockaddr*)addr, &len), 0);
  CHECK_EQ(addr->sin_family, AF_INET);
  CHECK(addr->sin_port != 0);
}

/* Raises the RLIMIT_NOFILE soft limit to the hard limit; returns the new
 * soft limit. */
static inline uint64_t bench_raise_nofile(void) {
  struct rlimit rl;
  CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur != rl.rlim_max) {
    rlim_t want = rl.rlim_max;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  }
  return rl.rlim_cur == RLIM_INFINITY ? (uint64_t)1 << 20 : (uint64_t)rl.rlim_cur;
}

#endif
