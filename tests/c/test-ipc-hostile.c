/* rsuv: ours-only: libuv 1.44 loses the bytes still queued when the peer hangs up after a partial read, and leaks descriptors when queueing received ones fails; libuv 1.52.1 passes (its fixes #4997 and #4358) */
/* IPC under a hostile peer: what arrives on an IPC pipe (ipc = 1) from a
 * peer that is not libuv. A fork()ed peer writes to its end of a socketpair
 * with raw sendmsg(): random bytes, in random amounts, with SCM_RIGHTS
 * descriptors of every kind (TCP, listening TCP, UDP, UNIX stream and
 * datagram sockets, pipes, files, directories, eventfds), from none to far
 * more than fit in a receiver's control buffer, so the kernel truncates the
 * control message (MSG_CTRUNC).
 *
 * Peer and receiver draw from the same seeded generator, so the receiver
 * knows what was sent. It checks, round after round:
 *   - every byte arrives, in order (each byte is a function of its offset);
 *   - descriptors come out of uv_accept in the order sent: each UNIX stream
 *     socket and pipe carries its own index, written by the peer before
 *     sending it, and each pending type is what uv_guess_handle says of
 *     its kind (TCP, UDP, named pipe for UNIX streams and pipes, file for
 *     /dev/null, unknown for the rest);
 *   - with truncation, the descriptors that arrive are still in order, and
 *     none is duplicated;
 *   - a receiver that closes the pipe with descriptors still pending loses
 *     none to a leak;
 *   - after each round, once every handle is closed, the process holds
 *     exactly the descriptors it held before.
 * RSUV_FUZZ_SEED picks another seed; RSUV_FUZZ_ROUNDS more rounds. */
#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FDS_PER_MSG 250 /* under the kernel's SCM_MAX_FD (253) */
#define MAX_HANDLES 4096

enum kind {
  K_TCP, K_LISTEN, K_UDP, K_UNIX_STREAM, K_UNIX_DGRAM, K_PIPE, K_FILE,
  K_DIR, K_EVENTFD, K_KINDS
};

/* ---- the shared generator ---- */

typedef struct {
  uint64_t s;
} rng_t;

static uint64_t rng_next(rng_t* r) {
  r->s ^= r->s << 13;
  r->s ^= r->s >> 7;
  r->s ^= r->s << 17;
  return r->s;
}

/* Byte `off` of the stream in round `seed`. */
static unsigned char byte_at(uint64_t seed, uint64_t off) {
  uint64_t x = (seed ^ (off * 0x9e3779b97f4a7c15ull)) * 0xbf58476d1ce4e5b9ull;
  return (unsigned char) (x >> 56);
}

typedef struct {
  int hostile;   /* far more descriptors than fit, some messages */
  int drop;      /* the receiver stops taking descriptors halfway */
  int messages;
} round_cfg_t;

/* One message: its length and its descriptors' kinds. */
typedef struct {
  size_t len;
  int nfds;
  enum kind kinds[MAX_FDS_PER_MSG];
} msg_t;

static void draw_msg(rng_t* r, const round_cfg_t* cfg, msg_t* m) {
  uint64_t x = rng_next(r);
  int i;
  m->len = 1 + (size_t) (x % 6000);
  x = rng_next(r);
  if (cfg->hostile && x % 5 == 0)
    m->nfds = 100 + (int) ((x >> 8) % (MAX_FDS_PER_MSG - 100 + 1));
  else
    m->nfds = (int) ((x >> 8) % 9);
  for (i = 0; i < m->nfds; i++)
    m->kinds[i] = (enum kind) (rng_next(r) % K_KINDS);
}

static uv_handle_type expected_type(enum kind k) {
  switch (k) {
  case K_TCP:
  case K_LISTEN:
    return UV_TCP;
  case K_UDP:
    return UV_UDP;
  case K_UNIX_STREAM:
  case K_PIPE:
    return UV_NAMED_PIPE;
  case K_FILE:
    return UV_FILE; /* /dev/null: a character device */
  default:
    return UV_UNKNOWN_HANDLE;
  }
}

/* ---- the peer (a fork()ed child: raw system calls only) ---- */

static void put_index(int fd, uint32_t index) {
  if (write(fd, &index, sizeof(index)) != sizeof(index))
    _exit(20);
}

/* Makes a descriptor of kind k; the ones that can carry data carry `index`.
 * `keep` gets a second descriptor to close after sending, or -1. */
static int make_fd(enum kind k, uint32_t index, int* keep) {
  int fd = -1, sv[2];
  struct sockaddr_in a;
  *keep = -1;
  switch (k) {
  case K_TCP:
    fd = socket(AF_INET, SOCK_STREAM, 0);
    break;
  case K_LISTEN:
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr*) &a, sizeof(a)) != 0 ||
        listen(fd, 1) != 0)
      _exit(21);
    break;
  case K_UDP:
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    break;
  case K_UNIX_STREAM:
  case K_UNIX_DGRAM:
    if (socketpair(AF_UNIX, k == K_UNIX_STREAM ? SOCK_STREAM : SOCK_DGRAM, 0,
                   sv) != 0)
      _exit(22);
    put_index(sv[1], index);
    fd = sv[0];
    *keep = sv[1];
    break;
  case K_PIPE:
    if (pipe(sv) != 0)
      _exit(23);
    put_index(sv[1], index);
    fd = sv[0];
    *keep = sv[1];
    break;
  case K_FILE:
    fd = open("/dev/null", O_RDWR);
    break;
  case K_DIR:
    fd = open("/", O_RDONLY | O_DIRECTORY);
    break;
  case K_EVENTFD:
    fd = eventfd(index, 0);
    break;
  default:
    break;
  }
  if (fd < 0)
    _exit(24);
  return fd;
}

static void send_all(int sock, const unsigned char* buf, size_t len,
                     const int* fds, int nfds, int cfg_drop) {
  union {
    struct cmsghdr h;
    char space[CMSG_SPACE(sizeof(int) * MAX_FDS_PER_MSG)];
  } cbuf;
  struct msghdr msg;
  struct iovec iov;
  size_t done = 0;
  while (done < len) {
    ssize_t n;
    memset(&msg, 0, sizeof(msg));
    iov.iov_base = (void*) (buf + done);
    iov.iov_len = len - done;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (done == 0 && nfds > 0) {
      struct cmsghdr* c;
      memset(&cbuf, 0, sizeof(cbuf));
      msg.msg_control = cbuf.space;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
      c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
      memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0 && (errno == EPIPE || errno == ECONNRESET) && cfg_drop)
      _exit(0); /* the receiver stopped reading */
    if (n <= 0) {
      fprintf(stderr, "peer: sendmsg: %s\n", strerror(errno));
      _exit(25);
    }
    done += (size_t) n;
  }
}

static void run_peer(int sock, uint64_t seed, const round_cfg_t* cfg) {
  static msg_t m;
  static unsigned char buf[6000];
  int fds[MAX_FDS_PER_MSG], keep[MAX_FDS_PER_MSG];
  rng_t r = {seed};
  uint64_t off = 0;
  uint32_t index = 0;
  int i, j;
  for (i = 0; i < cfg->messages; i++) {
    size_t k;
    draw_msg(&r, cfg, &m);
    for (k = 0; k < m.len; k++)
      buf[k] = byte_at(seed, off + k);
    for (j = 0; j < m.nfds; j++)
      fds[j] = make_fd(m.kinds[j], index++, &keep[j]);
    send_all(sock, buf, m.len, fds, m.nfds, cfg->drop);
    off += m.len;
    for (j = 0; j < m.nfds; j++) {
      close(fds[j]);
      if (keep[j] >= 0)
        close(keep[j]);
    }
  }
  _exit(0);
}

/* ---- the receiver ---- */

typedef union {
  uv_handle_t h;
  uv_stream_t s;
  uv_tcp_t tcp;
  uv_pipe_t pipe;
  uv_udp_t udp;
} any_handle_t;

static uv_loop_t loop;
static uv_pipe_t ipc;
static any_handle_t* handles;
static int nhandles, closed;
static uint64_t seed, received;
static round_cfg_t cfg;
static rng_t expect_rng;
static msg_t expect_msg;
static int expect_pos;      /* next descriptor of expect_msg */
static uint32_t expect_index; /* index of the next descriptor sent */
static long last_marker;    /* index last read from a descriptor */
static int accepted, eof, dropping;
static char read_buf[65536];

static void on_close(uv_handle_t* h) {
  (void) h;
  closed++;
}

/* The kind and index of the next descriptor the peer sent. */
static enum kind next_sent(uint32_t* index) {
  while (expect_pos >= expect_msg.nfds) {
    draw_msg(&expect_rng, &cfg, &expect_msg);
    expect_pos = 0;
  }
  *index = expect_index++;
  return expect_msg.kinds[expect_pos++];
}

static int fd_is_socket_of(int fd, int family, int type) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  int t;
  socklen_t tl = sizeof(t);
  if (getsockname(fd, (struct sockaddr*) &ss, &len) != 0)
    return 0;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &tl) != 0)
    return 0;
  return ss.ss_family == family && t == type;
}

/* A pipe or UNIX datagram socket: the unknown kinds that carry an index. */
static int carries_marker(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return 0;
  return S_ISFIFO(st.st_mode) || fd_is_socket_of(fd, AF_UNIX, SOCK_DGRAM);
}

/* Reads the index a UNIX socket or pipe carries; -1 if none. */
static long read_marker(int fd) {
  uint32_t index;
  ssize_t n;
  do
    n = read(fd, &index, sizeof(index));
  while (n < 0 && errno == EINTR);
  return n == (ssize_t) sizeof(index) ? (long) index : -1;
}

/* Takes the next pending descriptor and checks what it is. */
static void take_one(void) {
  uv_handle_type type = uv_pipe_pending_type(&ipc);
  any_handle_t* a;
  uv_os_fd_t fd;
  int err;

  ASSERT_LT(nhandles, MAX_HANDLES);
  a = &handles[nhandles++];
  switch (type) {
  case UV_TCP:
    ASSERT_OK(uv_tcp_init(&loop, &a->tcp));
    break;
  case UV_UDP:
    ASSERT_OK(uv_udp_init(&loop, &a->udp));
    break;
  case UV_NAMED_PIPE:
  case UV_FILE:
  case UV_UNKNOWN_HANDLE:
    ASSERT_OK(uv_pipe_init(&loop, &a->pipe, 0));
    break;
  default:
    TEST_FAIL_("pending type %d", (int) type);
  }
  err = uv_accept((uv_stream_t*) &ipc, &a->s);
  if (!cfg.hostile)
    ASSERT_OK(err);
  if (err == 0) {
    accepted++;
    ASSERT_OK(uv_fileno(&a->h, &fd));
    if (!cfg.hostile) {
      /* Nothing was lost: this is exactly the next one sent. */
      uint32_t index;
      enum kind k = next_sent(&index);
      ASSERT_EQ(type, expected_type(k));
      if (k == K_UNIX_STREAM || k == K_UNIX_DGRAM || k == K_PIPE)
        ASSERT_EQ(read_marker(fd), (long) index);
    } else {
      long marker = -1;
      if (type == UV_TCP)
        ASSERT(fd_is_socket_of(fd, AF_INET, SOCK_STREAM));
      else if (type == UV_UDP)
        ASSERT(fd_is_socket_of(fd, AF_INET, SOCK_DGRAM));
      else if (type == UV_NAMED_PIPE)
        ASSERT(fd_is_socket_of(fd, AF_UNIX, SOCK_STREAM) || carries_marker(fd));
      if (fd_is_socket_of(fd, AF_UNIX, SOCK_STREAM) || carries_marker(fd))
        marker = read_marker(fd);
      if (marker >= 0) {
        /* In order, and never the same descriptor twice. */
        ASSERT_GT(marker, last_marker);
        last_marker = marker;
      }
    }
  }
  uv_close(&a->h, on_close);
}

static void alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void) h;
  (void) suggested;
  buf->base = read_buf;
  buf->len = sizeof(read_buf);
}

static void read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  ssize_t i;
  (void) s;
  if (n < 0) {
    ASSERT_EQ(n, UV_EOF);
    eof = 1;
    /* Whatever is still pending goes with the pipe, unless taken. */
    if (!dropping)
      while (uv_pipe_pending_count(&ipc) > 0)
        take_one();
    uv_close((uv_handle_t*) &ipc, on_close);
    return;
  }
  for (i = 0; i < n; i++)
    if ((unsigned char) buf->base[i] != byte_at(seed, received + (uint64_t) i))
      TEST_FAIL_("byte %" PRIu64 " differs", received + (uint64_t) i);
  received += (uint64_t) n;
  if (cfg.drop && received > 100000 && !dropping) {
    /* Stop here: the pipe is closed with descriptors still queued. */
    dropping = 1;
    uv_close((uv_handle_t*) &ipc, on_close);
    return;
  }
  /* Take some now and leave the rest queued for later reads. */
  if (!dropping) {
    int take = uv_pipe_pending_count(&ipc);
    if (received % 3 == 0 && take > 1)
      take /= 2;
    while (take-- > 0)
      take_one();
  }
}

static void run_round(uint64_t round_seed, round_cfg_t c) {
  int sv[2], status, i;
  long fds_before;
  pid_t pid;

  fds_before = fd_count();
  seed = round_seed;
  cfg = c;
  expect_rng.s = seed;
  expect_msg.nfds = 0;
  expect_pos = 0;
  expect_index = 0;
  last_marker = -1;
  received = 0;
  nhandles = closed = accepted = eof = dropping = 0;

  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(sv[0]);
    run_peer(sv[1], seed, &cfg);
  }
  close(sv[1]);

  ASSERT_OK(uv_pipe_init(&loop, &ipc, 1));
  ASSERT_OK(uv_pipe_open(&ipc, sv[0]));
  ASSERT_OK(uv_read_start((uv_stream_t*) &ipc, alloc_cb, read_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(closed, nhandles + 1);
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  if (!cfg.drop) {
    /* Every byte sent arrived. */
    rng_t t = {seed};
    static msg_t m;
    uint64_t total = 0;
    for (i = 0; i < cfg.messages; i++) {
      draw_msg(&t, &cfg, &m);
      total += m.len;
    }
    ASSERT_UEQ(received, total);
    ASSERT(eof);
    ASSERT_GT(accepted, 0);
  }
  ASSERT_EQ(fd_count(), fds_before);
  printf("round seed %" PRIu64 "%s%s: %" PRIu64 " bytes, %d descriptors "
         "taken\n", seed, cfg.hostile ? " hostile" : "",
         cfg.drop ? " dropping" : "", received, accepted);
}

int main(void) {
  const char* s = getenv("RSUV_FUZZ_SEED");
  const char* r = getenv("RSUV_FUZZ_ROUNDS");
  uint64_t base = s != NULL ? strtoull(s, NULL, 0) : 0x5eed1234abcdull;
  int rounds = r != NULL ? atoi(r) : 2;
  long fds_start;
  int i;

  signal(SIGPIPE, SIG_IGN);
  handles = calloc(MAX_HANDLES, sizeof(*handles));
  ASSERT_NOT_NULL(handles);
  /* libuv keeps process-wide descriptors (its signal lock pipe) from the
   * first loop on: count from after one. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_loop_close(&loop));
  fds_start = fd_count();
  ASSERT_OK(uv_loop_init(&loop));
  /* A loop's first stream gives it a spare descriptor (kept for accept
   * under EMFILE) until uv_loop_close: count each round from after one. */
  ASSERT_OK(uv_pipe_init(&loop, &ipc, 1));
  uv_close((uv_handle_t*) &ipc, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  for (i = 0; i < rounds; i++) {
    uint64_t x = base + (uint64_t) i * 0x1000193ull;
    round_cfg_t plain = {0, 0, 150};
    round_cfg_t hostile = {1, 0, 60};
    round_cfg_t drop = {0, 1, 150};
    round_cfg_t hostile_drop = {1, 1, 60};
    run_round(x | 1, plain);
    run_round((x + 1) | 1, hostile);
    run_round((x + 2) | 1, drop);
    run_round((x + 3) | 1, hostile_drop);
  }
  ASSERT_OK(uv_loop_close(&loop));
  ASSERT_EQ(fd_count(), fds_start);
  free(handles);
  return 0;
}
