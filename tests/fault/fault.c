/* A fault-injection preload for the C tests (scripts/test-faults.sh).
 *
 * LD_PRELOAD=fault.so makes read, write, writev, readv, recv, send,
 * recvmsg, sendmsg, accept4, connect and epoll_wait/epoll_pwait fail or come up short
 * at random, the way the kernel may: EINTR before anything happened,
 * EAGAIN on a non-blocking descriptor, and short counts on stream sockets
 * and pipes (a prefix of what was asked). Datagram sockets get no short
 * counts (the kernel never splits a datagram), and regular files none at
 * all. Only calls made from the libuv under test (libuv.so.1, whichever it
 * is) are touched, so the test programs' own plain I/O is left alone.
 *
 *   RSUV_FAULT_SEED  seed of the per-thread random streams (default 1)
 *   RSUV_FAULT_RATE  percent of calls that get a fault (default 20)
 *
 * At exit it prints to stderr how many faults of each kind it injected,
 * so a run that injected nothing is seen. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static unsigned rate = 20;
static uint64_t seed = 1;
static void* libuv_base;
static atomic_ulong n_eintr, n_eagain, n_short;
static __thread uint64_t rng;

static uint64_t next_random(void) {
  if (rng == 0)
    rng = seed * 0x9e3779b97f4a7c15ull + (uint64_t) (uintptr_t) &rng;
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545f4914f6cdd1dull;
}

static void report(void) {
  fprintf(stderr, "fault: injected %lu EINTR, %lu EAGAIN, %lu short\n",
          atomic_load(&n_eintr), atomic_load(&n_eagain),
          atomic_load(&n_short));
}

__attribute__((constructor)) static void fault_init(void) {
  const char* s = getenv("RSUV_FAULT_SEED");
  const char* r = getenv("RSUV_FAULT_RATE");
  if (s != NULL)
    seed = strtoull(s, NULL, 10);
  if (r != NULL)
    rate = (unsigned) atoi(r);
  atexit(report);
}

/* Whether the caller's return address lies in libuv.so.1. */
static int from_libuv(void* ret) {
  Dl_info info;
  if (libuv_base == NULL) {
    void* sym = dlsym(RTLD_DEFAULT, "uv_run");
    if (sym == NULL || dladdr(sym, &info) == 0)
      return 0;
    libuv_base = info.dli_fbase;
  }
  return dladdr(ret, &info) != 0 && info.dli_fbase == libuv_base;
}

enum kind { ANY, STREAM, DATAGRAM };

static enum kind kind_of(int fd) {
  struct stat st;
  int type;
  socklen_t len = sizeof(type);
  if (fstat(fd, &st) != 0)
    return ANY;
  if (S_ISFIFO(st.st_mode))
    return STREAM;
  if (!S_ISSOCK(st.st_mode))
    return ANY;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
    return ANY;
  return type == SOCK_STREAM ? STREAM : DATAGRAM;
}

static int nonblocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  return fl >= 0 && (fl & O_NONBLOCK);
}

/* The fault for this call: 0 none, else EINTR or EAGAIN (the call is not
 * made) or 1 (make it short). `n` is the size asked. */
static int pick(void* ret, int fd, size_t n, int can_short) {
  enum kind k;
  uint64_t x;
  if (rate == 0 || !from_libuv(ret))
    return 0;
  k = fd >= 0 ? kind_of(fd) : STREAM;
  if (fd >= 0 && k == ANY)
    return 0; /* regular files, terminals, ...: left alone */
  x = next_random();
  if (x % 100 >= rate)
    return 0;
  switch ((x >> 8) % 3) {
    case 0:
      atomic_fetch_add(&n_eintr, 1);
      return EINTR;
    case 1:
      if (fd >= 0 && nonblocking(fd)) {
        atomic_fetch_add(&n_eagain, 1);
        return EAGAIN;
      }
      return 0;
    default:
      if (can_short && k == STREAM && n > 1) {
        atomic_fetch_add(&n_short, 1);
        return 1;
      }
      return 0;
  }
}

static size_t shorter(size_t n) {
  return 1 + (size_t) (next_random() % (n - 1));
}

static size_t iov_total(const struct iovec* iov, int n) {
  size_t t = 0;
  int i;
  for (i = 0; i < n; i++)
    t += iov[i].iov_len;
  return t;
}

/* Copies `iov` into `out` cut down to `keep` bytes; returns the count. */
static int cut_iov(const struct iovec* iov, int n, size_t keep,
                   struct iovec* out, int max) {
  int i, m = 0;
  for (i = 0; i < n && keep > 0 && m < max; i++) {
    out[m] = iov[i];
    if (out[m].iov_len > keep)
      out[m].iov_len = keep;
    keep -= out[m].iov_len;
    m++;
  }
  return m;
}

#define REAL(name, ret, ...)                                                  \
  static ret (*real_##name)(__VA_ARGS__);                                     \
  static void load_##name(void) {                                             \
    if (real_##name == NULL)                                                  \
      real_##name = (ret (*)(__VA_ARGS__)) dlsym(RTLD_NEXT, #name);           \
  }

REAL(read, ssize_t, int, void*, size_t)
REAL(write, ssize_t, int, const void*, size_t)
REAL(readv, ssize_t, int, const struct iovec*, int)
REAL(writev, ssize_t, int, const struct iovec*, int)
REAL(recv, ssize_t, int, void*, size_t, int)
REAL(send, ssize_t, int, const void*, size_t, int)
REAL(recvmsg, ssize_t, int, struct msghdr*, int)
REAL(sendmsg, ssize_t, int, const struct msghdr*, int)
REAL(accept4, int, int, struct sockaddr*, socklen_t*, int)
REAL(connect, int, int, const struct sockaddr*, socklen_t)
REAL(epoll_wait, int, int, struct epoll_event*, int, int)
REAL(epoll_pwait, int, int, struct epoll_event*, int, int, const sigset_t*)

#define FAIL_WITH(f) do { errno = (f); return -1; } while (0)

ssize_t read(int fd, void* buf, size_t n) {
  int f;
  load_read();
  f = pick(__builtin_return_address(0), fd, n, 1);
  if (f > 1) FAIL_WITH(f);
  return real_read(fd, buf, f == 1 ? shorter(n) : n);
}

ssize_t write(int fd, const void* buf, size_t n) {
  int f;
  load_write();
  f = pick(__builtin_return_address(0), fd, n, 1);
  if (f > 1) FAIL_WITH(f);
  return real_write(fd, buf, f == 1 ? shorter(n) : n);
}

ssize_t recv(int fd, void* buf, size_t n, int flags) {
  int f;
  load_recv();
  f = pick(__builtin_return_address(0), fd, n, !(flags & MSG_PEEK));
  if (f > 1) FAIL_WITH(f);
  return real_recv(fd, buf, f == 1 ? shorter(n) : n, flags);
}

ssize_t send(int fd, const void* buf, size_t n, int flags) {
  int f;
  load_send();
  f = pick(__builtin_return_address(0), fd, n, 1);
  if (f > 1) FAIL_WITH(f);
  return real_send(fd, buf, f == 1 ? shorter(n) : n, flags);
}

ssize_t readv(int fd, const struct iovec* iov, int n) {
  struct iovec cut[64];
  size_t total;
  int f;
  load_readv();
  total = iov_total(iov, n);
  f = pick(__builtin_return_address(0), fd, total, n <= 64);
  if (f > 1) FAIL_WITH(f);
  if (f == 1)
    return real_readv(fd, cut, cut_iov(iov, n, shorter(total), cut, 64));
  return real_readv(fd, iov, n);
}

ssize_t writev(int fd, const struct iovec* iov, int n) {
  struct iovec cut[64];
  size_t total;
  int f;
  load_writev();
  total = iov_total(iov, n);
  f = pick(__builtin_return_address(0), fd, total, n <= 64);
  if (f > 1) FAIL_WITH(f);
  if (f == 1)
    return real_writev(fd, cut, cut_iov(iov, n, shorter(total), cut, 64));
  return real_writev(fd, iov, n);
}

/* Messages carry descriptors or addresses: a short count keeps them, as
 * the kernel does (they go with the first byte). */
ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
  struct iovec cut[64];
  struct iovec* saved_iov;
  size_t saved_n, total;
  ssize_t r;
  int f;
  load_recvmsg();
  total = iov_total(msg->msg_iov, (int) msg->msg_iovlen);
  f = pick(__builtin_return_address(0), fd, total,
           msg->msg_iovlen <= 64 && !(flags & MSG_PEEK));
  if (f > 1) FAIL_WITH(f);
  if (f != 1)
    return real_recvmsg(fd, msg, flags);
  saved_iov = msg->msg_iov;
  saved_n = msg->msg_iovlen;
  msg->msg_iovlen = (size_t) cut_iov(saved_iov, (int) saved_n, shorter(total), cut, 64);
  msg->msg_iov = cut;
  r = real_recvmsg(fd, msg, flags);
  msg->msg_iov = saved_iov;
  msg->msg_iovlen = saved_n;
  return r;
}

ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  struct iovec cut[64];
  struct msghdr m;
  size_t total;
  int f;
  load_sendmsg();
  total = iov_total(msg->msg_iov, (int) msg->msg_iovlen);
  f = pick(__builtin_return_address(0), fd, total, msg->msg_iovlen <= 64);
  if (f > 1) FAIL_WITH(f);
  if (f != 1)
    return real_sendmsg(fd, msg, flags);
  m = *msg;
  m.msg_iovlen = (size_t) cut_iov(msg->msg_iov, (int) msg->msg_iovlen, shorter(total), cut, 64);
  m.msg_iov = cut;
  return real_sendmsg(fd, &m, flags);
}

int accept4(int fd, struct sockaddr* addr, socklen_t* len, int flags) {
  int f;
  load_accept4();
  f = pick(__builtin_return_address(0), fd, 0, 0);
  if (f > 1) FAIL_WITH(f);
  return real_accept4(fd, addr, len, flags);
}

int connect(int fd, const struct sockaddr* addr, socklen_t len) {
  int f;
  load_connect();
  f = pick(__builtin_return_address(0), fd, 0, 0);
  /* EAGAIN from connect means something else (no free ports): EINTR only. */
  if (f == EINTR) FAIL_WITH(f);
  return real_connect(fd, addr, len);
}

int epoll_wait(int epfd, struct epoll_event* ev, int max, int timeout) {
  int f;
  load_epoll_wait();
  f = pick(__builtin_return_address(0), -1, 0, 0);
  if (f == EINTR) FAIL_WITH(f);
  return real_epoll_wait(epfd, ev, max, timeout);
}

int epoll_pwait(int epfd, struct epoll_event* ev, int max, int timeout,
                const sigset_t* mask) {
  int f;
  load_epoll_pwait();
  f = pick(__builtin_return_address(0), -1, 0, 0);
  if (f == EINTR) FAIL_WITH(f);
  return real_epoll_pwait(epfd, ev, max, timeout, mask);
}
