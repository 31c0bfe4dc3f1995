/* No descriptor leaks into a child. With a loop full of handles that own
 * descriptors (TCP listener and connection, UDP, a pipe pair, a Unix
 * socket server, a socketpair, an inotify watch, a signal handle, an
 * async, a file from uv_fs_open, the thread pool started, and another child
 * still running with two pipes), a child lists its /proc/self/fd. It must
 * see exactly its stdio (0-2 and the one container above them), the
 * descriptors our own process had without FD_CLOEXEC before libuv started
 * (inherited from the test runner: not libuv's to close), and the one we
 * opened without O_CLOEXEC ourselves -- nothing libuv made; every libuv
 * descriptor in the parent is FD_CLOEXEC. After
 * uv_disable_stdio_inheritance() the low inherited descriptors are
 * FD_CLOEXEC too, and the child no longer gets them. */
#include "spawn-helpers.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#define MAXFD 1024
#define HIGH_STDIO 39 /* the stdio container above 2: child fd 39 */

static uv_loop_t loop;

/* ================= the child ================= */

static int cmp_int(const void* a, const void* b) {
  return *(const int*) a - *(const int*) b;
}

/* fds: prints its open descriptors (not the one listing them), sorted,
 * space-separated, on stdout. */
static int child_fds(void) {
  static int fds[MAXFD];
  char out[8192];
  size_t len = 0;
  int n = 0, i;
  DIR* d = opendir("/proc/self/fd");
  struct dirent* e;
  if (d == NULL)
    return 2;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    if (atoi(e->d_name) != dirfd(d) && n < MAXFD)
      fds[n++] = atoi(e->d_name);
  }
  closedir(d);
  qsort(fds, (size_t) n, sizeof(int), cmp_int);
  for (i = 0; i < n; i++)
    len += (size_t) snprintf(out + len, sizeof(out) - len, "%s%d",
                             i ? " " : "", fds[i]);
  snprintf(out + len, sizeof(out) - len, "\n");
  return write_str(1, out) == 0 ? 0 : 3;
}

/* ================= the parent ================= */

/* inherit[fd]: 1 if fd is open here without FD_CLOEXEC. */
static void scan(char inherit[MAXFD], char open_[MAXFD]) {
  int fd;
  for (fd = 0; fd < MAXFD; fd++) {
    int fl = fcntl(fd, F_GETFD);
    open_[fd] = fl != -1;
    inherit[fd] = fl != -1 && !(fl & FD_CLOEXEC);
  }
}

/* The list the child must print: 0-2, HIGH_STDIO and everything in `extra`
 * (0 / 1 per fd). */
static void expected_list(const char extra[MAXFD], char* out, size_t n) {
  size_t len = 0;
  int fd;
  for (fd = 0; fd < MAXFD; fd++)
    if (fd <= 2 || fd == HIGH_STDIO || extra[fd])
      len += (size_t) snprintf(out + len, n - len, "%s%d", len ? " " : "", fd);
  snprintf(out + len, n - len, "\n");
}

static void list_child_fds(int passed_fd, char* out, size_t n) {
  uv_stdio_container_t stdio[HIGH_STDIO + 1];
  uv_process_options_t o;
  capture_t cap;
  child_t c;
  self_args_t a;
  int i;

  for (i = 0; i <= HIGH_STDIO; i++)
    stdio[i].flags = UV_IGNORE;
  capture_init(&loop, &cap);
  stdio[1].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = (uv_stream_t*) &cap.pipe;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  stdio[HIGH_STDIO].flags = UV_INHERIT_FD;
  stdio[HIGH_STDIO].data.fd = passed_fd;
  memset(&o, 0, sizeof(o));
  o.file = self_exe;
  o.args = self_argv(&a, "fds", NULL, NULL, NULL);
  o.stdio = stdio;
  o.stdio_count = HIGH_STDIO + 1;
  o.exit_cb = child_exit_cb;
  memset(&c, 0, sizeof(c));
  ASSERT_OK(uv_spawn(&loop, &c.proc, &o));
  capture_start(&cap);
  while (c.close_calls == 0 || cap.close_calls == 0)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0); /* the cat child keeps it up */
  ASSERT_EQ(c.exit_status, 0);
  ASSERT_EQ(c.term_signal, 0);
  ASSERT_LT(cap.len, n);
  memcpy(out, cap.buf, cap.len + 1);
}

/* ---- the handles that own descriptors ---- */

static uv_tcp_t tcp_server, tcp_client, tcp_conn;
static uv_connect_t connect_req;
static uv_udp_t udp;
static uv_pipe_t pair_r, pair_w, unix_server, sp_a, sp_b;
static uv_fs_event_t watch;
static uv_signal_t sig;
static uv_async_t async;
static uv_work_t work;
static int tcp_ready, work_done;
static uv_file file_fd;
static uv_pipe_t cat_in, cat_out;
static child_t cat;

static void connection_cb(uv_stream_t* s, int status) {
  ASSERT_OK(status);
  ASSERT_OK(uv_tcp_init(&loop, &tcp_conn));
  ASSERT_OK(uv_accept(s, (uv_stream_t*) &tcp_conn));
  tcp_ready++;
}

static void connect_cb(uv_connect_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  tcp_ready++;
}

static void unix_connection_cb(uv_stream_t* s, int status) {
  (void) s;
  (void) status;
}

static void watch_cb(uv_fs_event_t* h, const char* name, int events,
                     int status) {
  (void) h;
  (void) name;
  (void) events;
  (void) status;
}

static void sig_cb(uv_signal_t* h, int signum) {
  (void) h;
  (void) signum;
}

static void async_cb(uv_async_t* h) {
  (void) h;
}

static void work_cb(uv_work_t* req) {
  (void) req;
}

static void after_work_cb(uv_work_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  work_done = 1;
}

static void make_handles(void) {
  struct sockaddr_in addr;
  int len = sizeof(addr);
  uv_file fds[2];
  uv_os_sock_t socks[2];
  uv_fs_t req;
  uv_process_options_t o;
  uv_stdio_container_t stdio[2];
  char* cat_args[] = { (char*) "cat", NULL };

  ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &addr));
  ASSERT_OK(uv_tcp_init(&loop, &tcp_server));
  ASSERT_OK(uv_tcp_bind(&tcp_server, (const struct sockaddr*) &addr, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &tcp_server, 4, connection_cb));
  ASSERT_OK(uv_tcp_getsockname(&tcp_server, (struct sockaddr*) &addr, &len));
  ASSERT_OK(uv_tcp_init(&loop, &tcp_client));
  ASSERT_OK(uv_tcp_connect(&connect_req, &tcp_client,
                           (const struct sockaddr*) &addr, connect_cb));
  while (tcp_ready < 2)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);

  ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &addr));
  ASSERT_OK(uv_udp_init(&loop, &udp));
  ASSERT_OK(uv_udp_bind(&udp, (const struct sockaddr*) &addr, 0));

  ASSERT_OK(uv_pipe(fds, UV_NONBLOCK_PIPE, UV_NONBLOCK_PIPE));
  ASSERT_OK(uv_pipe_init(&loop, &pair_r, 0));
  ASSERT_OK(uv_pipe_open(&pair_r, fds[0]));
  ASSERT_OK(uv_pipe_init(&loop, &pair_w, 0));
  ASSERT_OK(uv_pipe_open(&pair_w, fds[1]));

  ASSERT_OK(uv_pipe_init(&loop, &unix_server, 0));
  ASSERT_OK(uv_pipe_bind(&unix_server, tpath("sock")));
  ASSERT_OK(uv_listen((uv_stream_t*) &unix_server, 4, unix_connection_cb));

  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, socks, 0, 0));
  ASSERT_OK(uv_pipe_init(&loop, &sp_a, 0));
  ASSERT_OK(uv_pipe_open(&sp_a, socks[0]));
  ASSERT_OK(uv_pipe_init(&loop, &sp_b, 0));
  ASSERT_OK(uv_pipe_open(&sp_b, socks[1]));

  ASSERT_OK(uv_fs_event_init(&loop, &watch));
  ASSERT_OK(uv_fs_event_start(&watch, watch_cb, tpath(""), 0));
  ASSERT_OK(uv_signal_init(&loop, &sig));
  ASSERT_OK(uv_signal_start(&sig, sig_cb, SIGUSR1));
  ASSERT_OK(uv_async_init(&loop, &async, async_cb));

  file_fd = uv_fs_open(NULL, &req, tpath("file"), O_RDWR | O_CREAT, 0644,
                       NULL);
  ASSERT_GE(file_fd, 0);
  uv_fs_req_cleanup(&req);

  ASSERT_OK(uv_queue_work(&loop, &work, work_cb, after_work_cb));
  while (!work_done)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);

  /* Another child, still running, with both of its pipes open. */
  ASSERT_OK(uv_pipe_init(&loop, &cat_in, 0));
  ASSERT_OK(uv_pipe_init(&loop, &cat_out, 0));
  stdio[0].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_READABLE_PIPE);
  stdio[0].data.stream = (uv_stream_t*) &cat_in;
  stdio[1].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = (uv_stream_t*) &cat_out;
  memset(&o, 0, sizeof(o));
  o.file = "/bin/cat";
  o.args = cat_args;
  o.stdio = stdio;
  o.stdio_count = 2;
  o.exit_cb = child_exit_cb;
  ASSERT_OK(uv_spawn(&loop, &cat.proc, &o));
}

int main(int argc, char** argv) {
  static char baseline[MAXFD], open_before[MAXFD];
  static char now[MAXFD], open_now[MAXFD], extra[MAXFD];
  char got[8192], want[8192];
  int plain_fd, passed_fd;
  uv_fs_t req;
  int fd;

  if (argc >= 3 && strcmp(argv[1], "--child") == 0) {
    if (strcmp(argv[2], "fds") == 0)
      return child_fds();
    fprintf(stderr, "unknown child mode %s\n", argv[2]);
    return 100;
  }

  /* What we were given, before libuv makes anything. */
  scan(baseline, open_before);
  self_exe_init();
  fs_tmp_init("spawn-fds");

  /* One of ours without O_CLOEXEC (low, so that
   * uv_disable_stdio_inheritance reaches it), one with it (passed
   * explicitly as the child's fd HIGH_STDIO). */
  plain_fd = open("/dev/null", O_RDONLY);
  ASSERT_GE(plain_fd, 3);
  ASSERT_LT(plain_fd, 16);
  ASSERT(plain_fd != HIGH_STDIO);
  passed_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(passed_fd, 3);

  ASSERT_OK(uv_loop_init(&loop));
  make_handles();

  /* Every descriptor libuv made is FD_CLOEXEC. */
  scan(now, open_now);
  for (fd = 0; fd < MAXFD; fd++) {
    if (now[fd] && !baseline[fd] && fd != plain_fd)
      TEST_FAIL_("descriptor %d is not FD_CLOEXEC", fd);
    extra[fd] = (char) ((baseline[fd] || fd == plain_fd) && fd > 2);
  }

  list_child_fds(passed_fd, got, sizeof(got));
  expected_list(extra, want, sizeof(want));
  printf("child's descriptors: %s", got);
  ASSERT_STR_EQ(got, want);

  /* Our plain descriptor (and the other low ones) become FD_CLOEXEC. */
  uv_disable_stdio_inheritance();
  ASSERT(fcntl(plain_fd, F_GETFD) & FD_CLOEXEC);
  scan(now, open_now);
  for (fd = 0; fd < MAXFD; fd++) {
    if (open_now[fd] && fd < 16)
      ASSERT(!now[fd]);
    extra[fd] = (char) (now[fd] && fd > 2);
  }
  list_child_fds(passed_fd, got, sizeof(got));
  expected_list(extra, want, sizeof(want));
  printf("after uv_disable_stdio_inheritance: %s", got);
  ASSERT_STR_EQ(got, want);

  /* Done: let cat go, close everything. */
  uv_close((uv_handle_t*) &cat_in, NULL);
  uv_close((uv_handle_t*) &cat_out, NULL);
  while (cat.close_calls == 0)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(cat.exit_status, 0);
  ASSERT_OK(uv_fs_close(NULL, &req, file_fd, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(close(plain_fd));
  ASSERT_OK(close(passed_fd));
  close_loop(&loop);
  assert_no_children();
  fs_tmp_cleanup();
  printf("ok\n");
  return 0;
}
