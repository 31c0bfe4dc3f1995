/* TTY handles and uv_guess_handle, on a pseudo-terminal pair.
 *
 * Exits 0 with a message when the machine cannot allocate a pty.
 */
#define _GNU_SOURCE
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

static int master_fd = -1;
static char slave_path[256];

/* Opens a pty pair; returns the slave or -1 (with a message) if there is
 * no usable pty. */
static int open_pty(void) {
  const char* name;
  int s;

  master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master_fd < 0) {
    printf("skip: posix_openpt: %s\n", strerror(errno));
    return -1;
  }
  if (grantpt(master_fd) != 0 || unlockpt(master_fd) != 0 ||
      (name = ptsname(master_fd)) == NULL) {
    printf("skip: grantpt/unlockpt/ptsname: %s\n", strerror(errno));
    return -1;
  }
  snprintf(slave_path, sizeof(slave_path), "%s", name);
  s = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0) {
    printf("skip: open %s: %s\n", slave_path, strerror(errno));
    return -1;
  }
  return s;
}

/* Reads exactly n bytes from the master (5 s limit). */
static void read_master(char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    struct pollfd pfd = {master_fd, POLLIN, 0};
    ssize_t r;
    ASSERT_EQ(poll(&pfd, 1, 5000), 1);
    r = read(master_fd, buf + got, n - got);
    ASSERT_GT(r, 0);
    got += (size_t) r;
  }
}

/* Throws away whatever the master has to read (echo). */
static void drain_master(void) {
  char buf[256];
  struct pollfd pfd = {master_fd, POLLIN, 0};
  while (poll(&pfd, 1, 50) == 1 && read(master_fd, buf, sizeof(buf)) > 0) {
  }
}

static int nonblocking(int fd) {
  int fl = fcntl(fd, F_GETFL);
  ASSERT_NE(fl, -1);
  return (fl & O_NONBLOCK) != 0;
}

/* ---- uv_guess_handle ---------------------------------------------------- */

static void test_guess_handle(int slave) {
  int fds[2];
  int fd;
  char path[] = "/tmp/rsuv-test-tty-XXXXXX";

  ASSERT_EQ(uv_guess_handle(slave), UV_TTY);
  ASSERT_EQ(uv_guess_handle(master_fd), UV_TTY);

  ASSERT_OK(pipe(fds));
  ASSERT_EQ(uv_guess_handle(fds[0]), UV_NAMED_PIPE);
  ASSERT_EQ(uv_guess_handle(fds[1]), UV_NAMED_PIPE);
  close(fds[0]);
  close(fds[1]);

  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
  ASSERT_EQ(uv_guess_handle(fds[0]), UV_NAMED_PIPE);
  close(fds[0]);
  close(fds[1]);

  /* Unix datagram sockets are not pipes. */
  ASSERT_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, fds));
  ASSERT_EQ(uv_guess_handle(fds[0]), UV_UNKNOWN_HANDLE);
  close(fds[0]);
  close(fds[1]);

  fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(uv_guess_handle(fd), UV_TCP);
  close(fd);

  fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(uv_guess_handle(fd), UV_UDP);
  close(fd);

  fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd >= 0) {
    ASSERT_EQ(uv_guess_handle(fd), UV_TCP);
    close(fd);
  }
  fd = socket(AF_INET6, SOCK_DGRAM, 0);
  if (fd >= 0) {
    ASSERT_EQ(uv_guess_handle(fd), UV_UDP);
    close(fd);
  }

  fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_OK(unlink(path));
  ASSERT_EQ(uv_guess_handle(fd), UV_FILE);
  close(fd);

  /* Character devices other than terminals count as files. */
  fd = open("/dev/null", O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(uv_guess_handle(fd), UV_FILE);
  close(fd);

  fd = open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(uv_guess_handle(fd), UV_UNKNOWN_HANDLE);
  /* ... and a descriptor that is not open. */
  close(fd);
  ASSERT_EQ(uv_guess_handle(fd), UV_UNKNOWN_HANDLE);

  ASSERT_EQ(uv_guess_handle(-1), UV_UNKNOWN_HANDLE);
}

/* ---- init on things that are not terminals ------------------------------ */

static void test_init_not_tty(void) {
  uv_loop_t loop;
  uv_tty_t tty;
  char path[] = "/tmp/rsuv-test-tty-XXXXXX";
  int fd;
  int fds[2];

  ASSERT_OK(uv_loop_init(&loop));

  fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_OK(unlink(path));
  ASSERT_ERR(uv_tty_init(&loop, &tty, fd, 0), UV_EINVAL);
  close(fd);

  fd = open("/dev/null", O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_ERR(uv_tty_init(&loop, &tty, fd, 0), UV_EINVAL);
  close(fd);

  ASSERT_ERR(uv_tty_init(&loop, &tty, -1, 0), UV_EINVAL);

  /* A pipe is accepted: it is a stream. */
  ASSERT_OK(pipe(fds));
  ASSERT_OK(uv_tty_init(&loop, &tty, fds[1], 0));
  ASSERT_EQ(tty.type, UV_TTY);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &tty), 1);
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &tty), 0);
  ASSERT_EQ(nonblocking(fds[1]), 1);
  close(fds[0]);
  /* Closing the handle closes fds[1]. */

  close_loop(&loop);
}

/* uv_tty_reset_mode is meant for signal handlers. */
static volatile sig_atomic_t handler_result = 1;

static void reset_in_handler(int signum) {
  (void) signum;
  handler_result = uv_tty_reset_mode();
}

/* ---- modes, winsize, I/O ------------------------------------------------ */

static int write_cb_called;
static int read_cb_called;
static char read_data[64];
static size_t read_len;

static void write_cb(uv_write_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  write_cb_called++;
}

static void alloc_cb(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  static char storage[256];
  (void) h;
  (void) size;
  *buf = uv_buf_init(storage, sizeof(storage));
}

static void read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  if (n == 0)
    return;
  ASSERT_GT(n, 0);
  ASSERT_LE(read_len + (size_t) n, sizeof(read_data));
  memcpy(read_data + read_len, buf->base, (size_t) n);
  read_len += (size_t) n;
  read_cb_called++;
  if (memchr(read_data, '\n', read_len) != NULL)
    ASSERT_OK(uv_read_stop(s));
}

static void test_tty(int slave) {
  uv_loop_t loop;
  uv_tty_t tty;
  uv_write_t req;
  uv_buf_t buf;
  struct winsize ws;
  struct termios orig, t;
  int width, height;
  int other;
  char got[16];
  uv_tty_vtermstate_t vstate;

  ASSERT_OK(uv_loop_init(&loop));

  /* A window size set on the master reads back through the handle. */
  memset(&ws, 0, sizeof(ws));
  ws.ws_row = 37;
  ws.ws_col = 123;
  ASSERT_OK(ioctl(master_fd, TIOCSWINSZ, &ws));

  ASSERT_OK(tcgetattr(slave, &orig));
  ASSERT(orig.c_lflag & ICANON);
  ASSERT(orig.c_lflag & ECHO);

  /* `other` shares the slave's original open file description: the handle
   * reopens the terminal, so making its descriptor non-blocking must leave
   * `other` alone. */
  other = dup(slave);
  ASSERT_GE(other, 0);
  ASSERT_EQ(nonblocking(other), 0);

  ASSERT_OK(uv_tty_init(&loop, &tty, slave, 1));
  ASSERT_EQ(tty.type, UV_TTY);
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &tty), 1);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &tty), 1);
  ASSERT_EQ(nonblocking(other), 0);
  /* libuv installs the new description on the caller's descriptor. */
  ASSERT_EQ(nonblocking(slave), 1);
  ASSERT(fcntl(slave, F_GETFD) & FD_CLOEXEC);

  ASSERT_OK(uv_tty_get_winsize(&tty, &width, &height));
  ASSERT_EQ(width, 123);
  ASSERT_EQ(height, 37);

  /* Raw: no canonical input, echo or signals; output still maps NL. */
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_RAW));
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_RAW)); /* same mode: no-op */
  ASSERT_OK(tcgetattr(other, &t));
  ASSERT_EQ(t.c_lflag & (ICANON | ECHO | ISIG | IEXTEN), 0);
  ASSERT_EQ(t.c_iflag & (ICRNL | IXON | BRKINT), 0);
  ASSERT(t.c_oflag & ONLCR);
  ASSERT_EQ(t.c_cflag & CSIZE, CS8);
  ASSERT_EQ(t.c_cc[VMIN], 1);
  ASSERT_EQ(t.c_cc[VTIME], 0);

  /* Normal again: everything as before. */
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_NORMAL));
  ASSERT_OK(tcgetattr(other, &t));
  ASSERT_EQ(t.c_lflag, orig.c_lflag);
  ASSERT_EQ(t.c_iflag, orig.c_iflag);
  ASSERT_EQ(t.c_oflag, orig.c_oflag);
  ASSERT_EQ(t.c_cflag, orig.c_cflag);
  ASSERT_OK(memcmp(t.c_cc, orig.c_cc, sizeof(t.c_cc)));

  /* IO: cfmakeraw, no output processing either. */
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_IO));
  ASSERT_OK(tcgetattr(other, &t));
  ASSERT_EQ(t.c_oflag & OPOST, 0);
  ASSERT_EQ(t.c_lflag & (ICANON | ECHO), 0);
  /* From IO to raw: built from the original attributes, so OPOST is back. */
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_RAW));
  ASSERT_OK(tcgetattr(other, &t));
  ASSERT(t.c_oflag & OPOST);
  ASSERT_EQ(t.c_lflag & ICANON, 0);

#if UV_VERSION_HEX >= ((1 << 16) | (51 << 8))
  /* On Unix, RAW_VT is the raw mode. */
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_RAW_VT));
  ASSERT_OK(tcgetattr(other, &t));
  ASSERT_EQ(t.c_lflag & ICANON, 0);
#endif

  /* uv_tty_reset_mode puts back the attributes saved by the first switch
   * out of normal mode. */
  ASSERT_OK(uv_tty_reset_mode());
  ASSERT_OK(tcgetattr(other, &t));
  ASSERT_EQ(t.c_lflag, orig.c_lflag);
  ASSERT_EQ(t.c_oflag, orig.c_oflag);
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_NORMAL));

  /* The same from a signal handler. */
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_RAW));
  {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = reset_in_handler;
    sigemptyset(&sa.sa_mask);
    ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
    ASSERT_OK(raise(SIGUSR1));
    ASSERT_EQ(handler_result, 0);
    sa.sa_handler = SIG_DFL;
    ASSERT_OK(sigaction(SIGUSR1, &sa, NULL));
  }
  ASSERT_OK(tcgetattr(other, &t));
  ASSERT_EQ(t.c_lflag, orig.c_lflag);
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_NORMAL));

  /* Windows-only virtual terminal state. */
  uv_tty_set_vterm_state(UV_TTY_SUPPORTED);
  ASSERT_ERR(uv_tty_get_vterm_state(&vstate), UV_ENOTSUP);

  /* Writing through the handle arrives on the master. */
  write_cb_called = 0;
  buf = uv_buf_init("ping", 4);
  ASSERT_OK(uv_write(&req, (uv_stream_t*) &tty, &buf, 1, write_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(write_cb_called, 1);
  read_master(got, 4);
  ASSERT_OK(memcmp(got, "ping", 4));

  /* Reading: a canonical-mode line typed on the master. */
  ASSERT_OK(uv_read_start((uv_stream_t*) &tty, alloc_cb, read_cb));
  ASSERT_EQ(write(master_fd, "abc\n", 4), 4);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_GE(read_cb_called, 1);
  ASSERT_EQ(read_len, 4);
  ASSERT_OK(memcmp(read_data, "abc\n", 4));
  drain_master(); /* the echo */

  /* Since 1.49, closing the handle that first left normal mode restores
   * the terminal. */
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_RAW));
  uv_close((uv_handle_t*) &tty, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  if (uv_version() >= ((1 << 16) | (49 << 8))) {
    ASSERT_OK(tcgetattr(other, &t));
    ASSERT_EQ(t.c_lflag, orig.c_lflag);
    /* Nothing left to reset. */
    ASSERT_OK(uv_tty_reset_mode());
    ASSERT_OK(tcgetattr(other, &t));
    ASSERT_EQ(t.c_lflag, orig.c_lflag);
  } else {
    ASSERT_OK(tcsetattr(other, TCSANOW, &orig));
  }

  close(other);
  close_loop(&loop);
}

/* Access modes: the handle's readable/writable flags come from the fd. */
static void test_access_modes(void) {
  uv_loop_t loop;
  uv_tty_t r, w;
  int fd, rfd, wfd;

  ASSERT_OK(uv_loop_init(&loop));

  fd = rfd = open(slave_path, O_RDONLY | O_NOCTTY);
  ASSERT_GE(fd, 0);
  ASSERT_OK(uv_tty_init(&loop, &r, fd, 0));
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &r), 1);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &r), 0);

  fd = wfd = open(slave_path, O_WRONLY | O_NOCTTY);
  ASSERT_GE(fd, 0);
  ASSERT_OK(uv_tty_init(&loop, &w, fd, 1));
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &w), 0);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &w), 1);

  close_loop(&loop);
  /* The handles closed their reopened descriptors, not ours. */
  ASSERT_OK(close(rfd));
  ASSERT_OK(close(wfd));
}

/* A pty master cannot be reopened: the handle keeps the descriptor
 * blocking and writes block. */
static void test_master(void) {
  uv_loop_t loop;
  uv_tty_t tty;
  uv_write_t req;
  uv_buf_t buf;
  int fd;
  char got[8];
  struct pollfd pfd;
  ssize_t n;
  int slave;
  struct termios saved, t;

  ASSERT_OK(uv_loop_init(&loop));
  fd = dup(master_fd);
  ASSERT_GE(fd, 0);
  ASSERT_OK(uv_tty_init(&loop, &tty, fd, 1));
  ASSERT_EQ(nonblocking(fd), 0);
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &tty), 1);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &tty), 1);

  /* Written on the master, it arrives on a slave (raw, so no line
   * discipline gets in the way). */
  slave = open(slave_path, O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  ASSERT_OK(tcgetattr(slave, &saved));
  t = saved;
  cfmakeraw(&t);
  ASSERT_OK(tcsetattr(slave, TCSANOW, &t));
  write_cb_called = 0;
  buf = uv_buf_init("pong", 4);
  ASSERT_OK(uv_write(&req, (uv_stream_t*) &tty, &buf, 1, write_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(write_cb_called, 1);
  pfd.fd = slave;
  pfd.events = POLLIN;
  pfd.revents = 0;
  ASSERT_EQ(poll(&pfd, 1, 5000), 1);
  n = read(slave, got, sizeof(got));
  ASSERT_EQ(n, 4);
  ASSERT_OK(memcmp(got, "pong", 4));
  ASSERT_OK(tcsetattr(slave, TCSANOW, &saved));
  close(slave);

  close_loop(&loop);
}

/* A hangup arriving with data still buffered: the master must deliver
 * every byte before EOF (libuv 1.52 fixed dropping the tail). */
static size_t tail_count;

static void tail_alloc_cb(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  static char slab[1 << 16];
  (void) h;
  (void) size;
  *buf = uv_buf_init(slab, sizeof(slab));
}

static void tail_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  (void) buf;
  if (n > 0)
    tail_count += (size_t) n;
  else if (n < 0)
    uv_close((uv_handle_t*) s, NULL);
}

static void tail_feeder(void* arg) {
  static char chunk[8192];
  int fd = *(int*) arg;
  int i;
  size_t off;
  ssize_t w;

  memset(chunk, 'x', sizeof(chunk));
  for (i = 0; i < 8; i++)
    for (off = 0; off < sizeof(chunk); off += (size_t) w) {
      do
        w = write(fd, chunk + off, sizeof(chunk) - off);
      while (w == -1 && errno == EINTR);
      ASSERT_GT(w, 0);
    }
  ASSERT_OK(close(fd));
}

static void test_master_reads_to_the_end(void) {
  int round;

  if (uv_version() < 0x013400)
    return;
  for (round = 0; round < 10; round++) {
    uv_loop_t loop;
    uv_tty_t tty;
    uv_thread_t feeder;
    int m, sl;
    const char* name;

    m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(m, 0);
    ASSERT_OK(grantpt(m));
    ASSERT_OK(unlockpt(m));
    name = ptsname(m);
    ASSERT_NOT_NULL(name);
    sl = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(sl, 0);
    tail_count = 0;
    ASSERT_OK(uv_loop_init(&loop));
    ASSERT_OK(uv_tty_init(&loop, &tty, m, 0));
    ASSERT_OK(uv_read_start((uv_stream_t*) &tty, tail_alloc_cb, tail_read_cb));
    ASSERT_OK(uv_thread_create(&feeder, tail_feeder, &sl));
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    ASSERT_OK(uv_thread_join(&feeder));
    ASSERT_EQ(tail_count, 65536);
    close_loop(&loop);
  }
}

int main(void) {
  int slave = open_pty();
  if (slave < 0) {
    printf("test-tty: no pseudo-terminal available, skipped\n");
    return 0;
  }
  test_guess_handle(slave);
  test_init_not_tty();
  test_access_modes();
  test_master();
  test_master_reads_to_the_end();
  test_tty(slave);
  close(slave);
  close(master_fd);
  return 0;
}
