/* A child's descriptors, container by container: UV_IGNORE (0-2 on
 * /dev/null; above 2, nothing), UV_CREATE_PIPE readable, writable and both
 * ways (the parent's stream gets the opposite direction; the child's end is
 * a socket, in blocking mode, UV_NONBLOCK_PIPE or not), UV_INHERIT_FD (a
 * file; two descriptors swapped on the way; a non-blocking descriptor made
 * blocking as the child's 0-2, left alone above), UV_INHERIT_STREAM (a
 * uv_pipe_t and a uv_tcp_t), more than 3 and more than 8 containers, one
 * descriptor as both stdout and stderr, and the containers uv_spawn
 * refuses: a
 * UV_CREATE_PIPE on a TCP handle or on a stream already given, an
 * UV_INHERIT_FD of -1 or of a descriptor that is not open, an
 * UV_INHERIT_STREAM of a stream that is not open. */
#include "spawn-helpers.h"

#include <arpa/inet.h>
#include <sys/socket.h>

static uv_loop_t loop;

/* ================= child modes ================= */

static const char* fd_type(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0)
    return "closed";
  if (S_ISSOCK(st.st_mode))
    return "sock";
  if (S_ISFIFO(st.st_mode))
    return "fifo";
  if (S_ISCHR(st.st_mode))
    return "chr";
  if (S_ISREG(st.st_mode))
    return "reg";
  return "other";
}

/* devnull: exits 0 if 0, 1 and 2 are /dev/null (0 readable, 1 and 2
 * writable), else with bit N set for each fd N that is not. */
static int child_devnull(void) {
  struct stat null_st, st;
  int bad = 0;
  int fd;
  if (stat("/dev/null", &null_st) != 0)
    return 64;
  for (fd = 0; fd < 3; fd++) {
    int acc = fcntl(fd, F_GETFL) & O_ACCMODE;
    if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode) ||
        st.st_rdev != null_st.st_rdev)
      bad |= 1 << fd;
    else if (fd == 0 && acc == O_WRONLY)
      bad |= 1 << fd;
    else if (fd > 0 && acc == O_RDONLY)
      bad |= 1 << fd;
  }
  return bad;
}

/* fdinfo OUT FIRST LAST: one line "N TYPE NB" per fd N in FIRST..LAST (NB:
 * 1 if O_NONBLOCK is set), written to fd OUT. */
static int child_fdinfo(int out, int first, int last) {
  char line[64];
  int fd;
  for (fd = first; fd <= last; fd++) {
    int fl = fcntl(fd, F_GETFL);
    snprintf(line, sizeof(line), "%d %s %d\n", fd, fd_type(fd),
             fl >= 0 && (fl & O_NONBLOCK) ? 1 : 0);
    if (write_str(out, line) != 0)
      return 1;
  }
  return 0;
}

/* readall: reads fd 0 to EOF; exits 0 if it read exactly EXPECTED. */
static int child_readall(const char* expected) {
  char buf[256];
  size_t len = 0;
  ssize_t n;
  while ((n = read(0, buf + len, sizeof(buf) - 1 - len)) > 0)
    len += (size_t) n;
  if (n < 0)
    return 2;
  buf[len] = '\0';
  return strcmp(buf, expected) == 0 ? 0 : 1;
}

/* duplex: reads fd 0 to EOF, then writes "echo:" and what it read back to
 * fd 0. */
static int child_duplex(void) {
  char buf[256] = "echo:";
  size_t len = 5;
  ssize_t n;
  while ((n = read(0, buf + len, sizeof(buf) - 1 - len)) > 0)
    len += (size_t) n;
  if (n < 0)
    return 2;
  return write_all(0, buf, len) == 0 ? 0 : 3;
}

/* write2 LOW HIGH: writes "low\n" to fd LOW and "high\n" to fd HIGH. */
static int child_write2(int low, int high) {
  if (write_str(low, "low\n") != 0)
    return 1;
  return write_str(high, "high\n") == 0 ? 0 : 2;
}

static int child_main(int argc, char** argv) {
  const char* mode = argv[0];
  int r;
  child_deadline(20);
  if (strcmp(mode, "devnull") == 0)
    return child_devnull();
  if (strcmp(mode, "fdinfo") == 0 && argc >= 4)
    return child_fdinfo(atoi(argv[1]), atoi(argv[2]), atoi(argv[3]));
  if (strcmp(mode, "readall") == 0 && argc >= 2)
    return child_readall(argv[1]);
  if (strcmp(mode, "duplex") == 0)
    return child_duplex();
  if (strcmp(mode, "write2") == 0 && argc >= 3)
    return child_write2(atoi(argv[1]), atoi(argv[2]));
  r = child_common(argc, argv);
  if (r < 0) {
    fprintf(stderr, "unknown child mode %s\n", mode);
    return 100;
  }
  return r;
}

/* ================= parent helpers ================= */

static child_t child;

static void spawn_child(uv_process_options_t* o) {
  memset(&child, 0, sizeof(child));
  o->exit_cb = child_exit_cb;
  ASSERT_OK(uv_spawn(&loop, &child.proc, o));
}

/* Runs the loop until everything is closed; checks the child exited 0. */
static void finish_child(int64_t want_status) {
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(child.exit_calls, 1);
  ASSERT_EQ(child.close_calls, 1);
  ASSERT_EQ(child.term_signal, 0);
  ASSERT_EQ(child.exit_status, want_status);
}

static void set_opts(uv_process_options_t* o, const char* file, char** args,
                     uv_stdio_container_t* stdio, int count) {
  memset(o, 0, sizeof(*o));
  o->file = file;
  o->args = args;
  o->stdio = stdio;
  o->stdio_count = count;
}

static int open_file(const char* rel) {
  int fd = open(tpath(rel), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  return fd;
}

/* ================= UV_IGNORE ================= */

static void test_ignore(void) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[3];
  self_args_t a;
  int count;

  /* No containers at all, one, and three, all UV_IGNORE. */
  for (count = 0; count <= 3; count += (count == 0 ? 1 : 2)) {
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_IGNORE;
    stdio[2].flags = UV_IGNORE;
    set_opts(&o, self_exe, self_argv(&a, "devnull", NULL, NULL, NULL),
             count ? stdio : NULL, count);
    spawn_child(&o);
    finish_child(0);
  }
}

/* ================= UV_CREATE_PIPE ================= */

static uv_write_t write_req;
static uv_shutdown_t shutdown_req;
static int wrote, shut;

static void write_cb(uv_write_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  wrote++;
}

static void shutdown_close_cb(uv_shutdown_t* req, int status) {
  ASSERT_OK(status);
  shut++;
  uv_close((uv_handle_t*) req->handle, NULL);
}

static void shutdown_keep_cb(uv_shutdown_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  shut++;
}

/* Writes s and shuts the stream down. */
static void send_and_shutdown(uv_stream_t* s, const char* text,
                              uv_shutdown_cb cb) {
  uv_buf_t buf = uv_buf_init((char*) text, (unsigned) strlen(text));
  wrote = shut = 0;
  ASSERT_OK(uv_write(&write_req, s, &buf, 1, write_cb));
  ASSERT_OK(uv_shutdown(&shutdown_req, s, cb));
}

static void test_create_pipe_readable(void) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[1];
  uv_pipe_t in;
  self_args_t a;

  ASSERT_OK(uv_pipe_init(&loop, &in, 0));
  stdio[0].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_READABLE_PIPE);
  stdio[0].data.stream = (uv_stream_t*) &in;
  set_opts(&o, self_exe, self_argv(&a, "readall", "hello child\n", NULL, NULL),
           stdio, 1);
  spawn_child(&o);
  /* The child reads, so we write. */
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &in), 1);
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &in), 0);
  send_and_shutdown((uv_stream_t*) &in, "hello child\n", shutdown_close_cb);
  finish_child(0);
  ASSERT_EQ(wrote, 1);
  ASSERT_EQ(shut, 1);
}

static void test_create_pipe_writable(void) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[2];
  capture_t out;
  char* args[] = { (char*) "sh", (char*) "-c", (char*) "echo to the parent",
                   NULL };

  capture_init(&loop, &out);
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = (uv_stream_t*) &out.pipe;
  set_opts(&o, "/bin/sh", args, stdio, 2);
  spawn_child(&o);
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &out.pipe), 1);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &out.pipe), 0);
  capture_start(&out);
  finish_child(0);
  ASSERT_EQ(out.eof, 1);
  ASSERT_STR_EQ(out.buf, "to the parent\n");
}

static void test_create_pipe_duplex(void) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[1];
  capture_t both;
  self_args_t a;

  capture_init(&loop, &both);
  stdio[0].flags =
      (uv_stdio_flags) (UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE);
  stdio[0].data.stream = (uv_stream_t*) &both.pipe;
  set_opts(&o, self_exe, self_argv(&a, "duplex", NULL, NULL, NULL), stdio, 1);
  spawn_child(&o);
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &both.pipe), 1);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &both.pipe), 1);
  capture_start(&both);
  /* Half-close: the child sees EOF, and still answers. */
  send_and_shutdown((uv_stream_t*) &both.pipe, "ping", shutdown_keep_cb);
  finish_child(0);
  ASSERT_EQ(shut, 1);
  ASSERT_EQ(both.eof, 1);
  ASSERT_STR_EQ(both.buf, "echo:ping");
}

/* The child's ends: sockets, blocking, with or without UV_NONBLOCK_PIPE,
 * below 3 and above. (libuv documents UV_NONBLOCK_PIPE as making the
 * child's end non-blocking, but on Unix it ignores the flag for uv_spawn:
 * 1.44 and 1.52 alike.) */
static void check_pipe_ends(unsigned extra) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[4];
  uv_pipe_t in, err;
  capture_t out, info;
  self_args_t a;
  uv_pipe_t* in_p = &in;
  uv_pipe_t* err_p = &err;

  ASSERT_OK(uv_pipe_init(&loop, &in, 0));
  ASSERT_OK(uv_pipe_init(&loop, &err, 0));
  capture_init(&loop, &out);
  capture_init(&loop, &info);
  stdio[0].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_READABLE_PIPE | extra);
  stdio[0].data.stream = (uv_stream_t*) in_p;
  stdio[1].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE | extra);
  stdio[1].data.stream = (uv_stream_t*) &out.pipe;
  stdio[2].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE | extra);
  stdio[2].data.stream = (uv_stream_t*) err_p;
  stdio[3].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE | extra);
  stdio[3].data.stream = (uv_stream_t*) &info.pipe;
  set_opts(&o, self_exe, self_argv(&a, "fdinfo", "3", "0", "4"), stdio, 4);
  spawn_child(&o);
  uv_close((uv_handle_t*) &in, NULL);
  uv_close((uv_handle_t*) &err, NULL);
  capture_start(&out);
  capture_start(&info);
  finish_child(0);
  ASSERT_EQ(info.eof, 1);
  ASSERT_STR_EQ(info.buf,
                "0 sock 0\n1 sock 0\n2 sock 0\n3 sock 0\n4 closed 0\n");
  ASSERT_STR_EQ(out.buf, "");
}

static void test_pipe_ends(void) {
  check_pipe_ends(0);
  check_pipe_ends(UV_NONBLOCK_PIPE);
}

/* ================= UV_INHERIT_FD ================= */

/* Inherited descriptors that are O_NONBLOCK here: as the child's 0-2 they
 * are put in blocking mode (what programs expect of their stdio; the open
 * file is shared, so it is blocking for us too afterwards); above 2 they
 * are left as they are. */
static void test_inherit_fd_nonblocking(void) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[4];
  uv_file low[2], high[2];
  capture_t info;
  self_args_t a;

  ASSERT_OK(uv_pipe(low, UV_NONBLOCK_PIPE, UV_NONBLOCK_PIPE));
  ASSERT_OK(uv_pipe(high, UV_NONBLOCK_PIPE, UV_NONBLOCK_PIPE));
  ASSERT(fcntl(low[1], F_GETFL) & O_NONBLOCK);
  ASSERT(fcntl(high[1], F_GETFL) & O_NONBLOCK);
  capture_init(&loop, &info);
  stdio[0].flags = UV_INHERIT_FD;
  stdio[0].data.fd = low[0];
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = low[1];
  stdio[2].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[2].data.stream = (uv_stream_t*) &info.pipe;
  stdio[3].flags = UV_INHERIT_FD;
  stdio[3].data.fd = high[1];
  set_opts(&o, self_exe, self_argv(&a, "fdinfo", "2", "0", "3"), stdio, 4);
  spawn_child(&o);
  capture_start(&info);
  finish_child(0);
  ASSERT_STR_EQ(info.buf, "0 fifo 0\n1 fifo 0\n2 sock 0\n3 fifo 1\n");
  ASSERT_OK(close(low[0]));
  ASSERT_OK(close(low[1]));
  ASSERT_OK(close(high[0]));
  ASSERT_OK(close(high[1]));
}

static void test_inherit_fd_file(void) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[3];
  char* args[] = { (char*) "sh", (char*) "-c", (char*) "echo to the file",
                   NULL };
  int fd = open_file("out.txt");

  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = fd;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  set_opts(&o, "/bin/sh", args, stdio, 3);
  spawn_child(&o);
  finish_child(0);
  /* Our descriptor is still ours, at the offset the child left. */
  ASSERT_EQ(write(fd, "then us\n", 8), 8);
  ASSERT_OK(close(fd));
  ASSERT_FILE_IS(tpath("out.txt"), "to the file\nthen us\n");
}

/* The lowest n with n and n + 1 both free, from `from` up. */
static int free_fd_pair(int from) {
  int n;
  for (n = from; n < from + 1000; n++)
    if (fcntl(n, F_GETFD) == -1 && fcntl(n + 1, F_GETFD) == -1)
      return n;
  TEST_FAIL_("no two free descriptors");
  return -1;
}

/* Child fd N gets our N + 1 and child fd N + 1 our N: each one's source is
 * the other's target. */
static void test_inherit_fd_swapped(void) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[64];
  char low[16], high[16];
  self_args_t sa;
  int a = open_file("a.txt");
  int b = open_file("b.txt");
  int n = free_fd_pair(10);
  int i;

  ASSERT_LT(n + 2, 64);
  snprintf(low, sizeof(low), "%d", n);
  snprintf(high, sizeof(high), "%d", n + 1);
  ASSERT_EQ(fcntl(a, F_DUPFD_CLOEXEC, n), n);
  ASSERT_EQ(fcntl(b, F_DUPFD_CLOEXEC, n + 1), n + 1);
  ASSERT_OK(close(a));
  ASSERT_OK(close(b));
  for (i = 0; i < n + 2; i++)
    stdio[i].flags = UV_IGNORE;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  stdio[n].flags = UV_INHERIT_FD;
  stdio[n].data.fd = n + 1;
  stdio[n + 1].flags = UV_INHERIT_FD;
  stdio[n + 1].data.fd = n;
  set_opts(&o, self_exe, self_argv(&sa, "write2", low, high, NULL), stdio,
           n + 2);
  spawn_child(&o);
  finish_child(0);
  ASSERT_OK(close(n));
  ASSERT_OK(close(n + 1));
  ASSERT_FILE_IS(tpath("a.txt"), "high\n");
  ASSERT_FILE_IS(tpath("b.txt"), "low\n");
}

/* One descriptor as stdout and stderr: a file (UV_INHERIT_FD twice) and a
 * pipe (UV_INHERIT_STREAM twice). */
static void test_same_fd_twice(void) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[3];
  char* args[] = { (char*) "sh", (char*) "-c",
                   (char*) "echo out; echo err >&2; echo out again", NULL };
  uv_file fds[2];
  uv_pipe_t w;
  capture_t r;
  int fd = open_file("both.txt");

  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = fd;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = fd;
  set_opts(&o, "/bin/sh", args, stdio, 3);
  spawn_child(&o);
  finish_child(0);
  ASSERT_OK(close(fd));
  ASSERT_FILE_IS(tpath("both.txt"), "out\nerr\nout again\n");

  ASSERT_OK(uv_pipe(fds, 0, 0));
  capture_init(&loop, &r);
  ASSERT_OK(uv_pipe_open(&r.pipe, fds[0]));
  ASSERT_OK(uv_pipe_init(&loop, &w, 0));
  ASSERT_OK(uv_pipe_open(&w, fds[1]));
  stdio[1].flags = UV_INHERIT_STREAM;
  stdio[1].data.stream = (uv_stream_t*) &w;
  stdio[2].flags = UV_INHERIT_STREAM;
  stdio[2].data.stream = (uv_stream_t*) &w;
  spawn_child(&o);
  uv_close((uv_handle_t*) &w, NULL); /* the child has its own copies */
  capture_start(&r);
  finish_child(0);
  ASSERT_EQ(r.eof, 1);
  ASSERT_STR_EQ(r.buf, "out\nerr\nout again\n");
}

/* ================= UV_INHERIT_STREAM ================= */

static void test_inherit_stream_pipe(void) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[2];
  char* args[] = { (char*) "sh", (char*) "-c", (char*) "echo through a pipe",
                   NULL };
  uv_file fds[2];
  uv_pipe_t w;
  capture_t r;

  ASSERT_OK(uv_pipe(fds, 0, 0));
  capture_init(&loop, &r);
  ASSERT_OK(uv_pipe_open(&r.pipe, fds[0]));
  ASSERT_OK(uv_pipe_init(&loop, &w, 0));
  ASSERT_OK(uv_pipe_open(&w, fds[1]));
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_STREAM;
  stdio[1].data.stream = (uv_stream_t*) &w;
  set_opts(&o, "/bin/sh", args, stdio, 2);
  spawn_child(&o);
  uv_close((uv_handle_t*) &w, NULL);
  capture_start(&r);
  finish_child(0);
  ASSERT_STR_EQ(r.buf, "through a pipe\n");
}

static uv_tcp_t tcp_server, tcp_conn;
static uv_connect_t tcp_connect_req;
static int tcp_accepted, tcp_connected;

typedef struct {
  uv_tcp_t tcp; /* first */
  char buf[256];
  size_t len;
  int eof;
} tcp_reader_t;

static tcp_reader_t tcp_client;

static void tcp_alloc_cb(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  tcp_reader_t* t = (tcp_reader_t*) h;
  (void) size;
  buf->base = t->buf + t->len;
  buf->len = sizeof(t->buf) - 1 - t->len;
}

static void tcp_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  tcp_reader_t* t = (tcp_reader_t*) s;
  (void) buf;
  if (n == UV_EOF) {
    t->eof = 1;
    uv_close((uv_handle_t*) s, NULL);
    return;
  }
  ASSERT_GE(n, 0);
  t->len += (size_t) n;
  t->buf[t->len] = '\0';
}

static void tcp_connection_cb(uv_stream_t* server, int status) {
  ASSERT_OK(status);
  ASSERT_OK(uv_tcp_init(&loop, &tcp_conn));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) &tcp_conn));
  tcp_accepted++;
  uv_close((uv_handle_t*) server, NULL);
}

static void tcp_connect_cb(uv_connect_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  tcp_connected++;
}

static void test_inherit_stream_tcp(void) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[3];
  char* args[] = { (char*) "sh", (char*) "-c",
                   (char*) "echo through tcp; echo and stderr too >&2", NULL };
  struct sockaddr_in addr;
  int len = sizeof(addr);

  ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &addr));
  ASSERT_OK(uv_tcp_init(&loop, &tcp_server));
  ASSERT_OK(uv_tcp_bind(&tcp_server, (const struct sockaddr*) &addr, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &tcp_server, 4, tcp_connection_cb));
  ASSERT_OK(uv_tcp_getsockname(&tcp_server, (struct sockaddr*) &addr, &len));
  memset(&tcp_client, 0, sizeof(tcp_client));
  ASSERT_OK(uv_tcp_init(&loop, &tcp_client.tcp));
  ASSERT_OK(uv_tcp_connect(&tcp_connect_req, &tcp_client.tcp,
                           (const struct sockaddr*) &addr, tcp_connect_cb));
  while (tcp_accepted == 0 || tcp_connected == 0)
    if (uv_run(&loop, UV_RUN_ONCE) == 0)
      ASSERT(tcp_accepted == 1 && tcp_connected == 1);

  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_STREAM;
  stdio[1].data.stream = (uv_stream_t*) &tcp_conn;
  stdio[2].flags = UV_INHERIT_STREAM;
  stdio[2].data.stream = (uv_stream_t*) &tcp_conn;
  set_opts(&o, "/bin/sh", args, stdio, 3);
  spawn_child(&o);
  uv_close((uv_handle_t*) &tcp_conn, NULL);
  ASSERT_OK(uv_read_start((uv_stream_t*) &tcp_client.tcp, tcp_alloc_cb,
                          tcp_read_cb));
  finish_child(0);
  ASSERT_EQ(tcp_client.eof, 1);
  ASSERT_STR_EQ(tcp_client.buf, "through tcp\nand stderr too\n");
}

/* ================= more than three ================= */

static void test_five(void) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[5];
  char* args[] = { (char*) "sh", (char*) "-c",
                   (char*) "echo one; echo three >&3; echo four >&4", NULL };
  capture_t one, three;
  int fd = open_file("four.txt");

  capture_init(&loop, &one);
  capture_init(&loop, &three);
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = (uv_stream_t*) &one.pipe;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  stdio[3].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[3].data.stream = (uv_stream_t*) &three.pipe;
  stdio[4].flags = UV_INHERIT_FD;
  stdio[4].data.fd = fd;
  set_opts(&o, "/bin/sh", args, stdio, 5);
  spawn_child(&o);
  capture_start(&one);
  capture_start(&three);
  finish_child(0);
  ASSERT_OK(close(fd));
  ASSERT_STR_EQ(one.buf, "one\n");
  ASSERT_STR_EQ(three.buf, "three\n");
  ASSERT_FILE_IS(tpath("four.txt"), "four\n");
}

/* Ten containers, 3-8 UV_IGNORE (so closed in the child, unless we have a
 * descriptor of that number open without FD_CLOEXEC, which any child
 * inherits: the test runner may leave some), 9 a pipe. */
static void test_ten(void) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[10];
  capture_t info;
  self_args_t a;
  char* line;
  char* save = NULL;
  int inherited[11] = { 0 };
  int i;

  for (i = 3; i <= 10; i++) {
    int fl = fcntl(i, F_GETFD);
    inherited[i] = fl != -1 && !(fl & FD_CLOEXEC);
  }
  capture_init(&loop, &info);
  for (i = 0; i < 10; i++)
    stdio[i].flags = UV_IGNORE;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  stdio[9].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[9].data.stream = (uv_stream_t*) &info.pipe;
  set_opts(&o, self_exe, self_argv(&a, "fdinfo", "9", "3", "10"), stdio, 10);
  spawn_child(&o);
  capture_start(&info);
  finish_child(0);
  for (i = 3, line = strtok_r(info.buf, "\n", &save); i <= 10;
       i++, line = strtok_r(NULL, "\n", &save)) {
    char want[32];
    ASSERT_NOT_NULL(line);
    if (i == 9)
      snprintf(want, sizeof(want), "9 sock 0");
    else if (inherited[i])
      continue;
    else
      snprintf(want, sizeof(want), "%d closed 0", i);
    ASSERT_STR_EQ(line, want);
  }
  ASSERT_NULL(line);
}

/* ================= refused containers ================= */

/* Spawns /bin/true on a loop of its own with `stdio`, expects `err`, closes
 * whatever is left on that loop. */
static void expect_refused(uv_loop_t* l, uv_stdio_container_t* stdio,
                           int count, int err) {
  uv_process_options_t o;
  uv_process_t p;
  char* args[] = { (char*) "true", NULL };
  set_opts(&o, "/bin/true", args, stdio, count);
  o.exit_cb = child_exit_cb;
  ASSERT_ERR(uv_spawn(l, &p, &o), err);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &p), 0);
  assert_no_children();
  close_loop(l);
}

static void test_refused(void) {
  uv_loop_t l;
  uv_stdio_container_t stdio[3];
  uv_tcp_t tcp;
  uv_pipe_t pipe, unopened;
  uv_os_fd_t fd;

  /* UV_CREATE_PIPE needs a uv_pipe_t; the pipe before it is left alone. */
  ASSERT_OK(uv_loop_init(&l));
  ASSERT_OK(uv_pipe_init(&l, &pipe, 0));
  ASSERT_OK(uv_tcp_init(&l, &tcp));
  stdio[0].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_READABLE_PIPE);
  stdio[0].data.stream = (uv_stream_t*) &pipe;
  stdio[1].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = (uv_stream_t*) &tcp;
  stdio[2].flags = UV_IGNORE;
  {
    uv_process_options_t o;
    uv_process_t p;
    char* args[] = { (char*) "true", NULL };
    set_opts(&o, "/bin/true", args, stdio, 3);
    ASSERT_ERR(uv_spawn(&l, &p, &o), UV_EINVAL);
    ASSERT_EQ(uv_is_active((uv_handle_t*) &p), 0);
    ASSERT_ERR(uv_fileno((uv_handle_t*) &pipe, &fd), UV_EBADF);
    assert_no_children();
    close_loop(&l);
  }

  /* UV_INHERIT_FD of -1. */
  ASSERT_OK(uv_loop_init(&l));
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = -1;
  stdio[2].flags = UV_IGNORE;
  expect_refused(&l, stdio, 3, UV_EINVAL);

  /* UV_INHERIT_STREAM of a stream with no descriptor yet. */
  ASSERT_OK(uv_loop_init(&l));
  ASSERT_OK(uv_pipe_init(&l, &unopened, 0));
  stdio[1].flags = UV_INHERIT_STREAM;
  stdio[1].data.stream = (uv_stream_t*) &unopened;
  expect_refused(&l, stdio, 3, UV_EINVAL);

  /* A stream created for stdout cannot also be inherited as stderr: it has
   * no descriptor until uv_spawn is done. */
  ASSERT_OK(uv_loop_init(&l));
  ASSERT_OK(uv_pipe_init(&l, &pipe, 0));
  stdio[1].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = (uv_stream_t*) &pipe;
  stdio[2].flags = UV_INHERIT_STREAM;
  stdio[2].data.stream = (uv_stream_t*) &pipe;
  expect_refused(&l, stdio, 3, UV_EINVAL);

  /* UV_INHERIT_FD of a descriptor that is not open: the child cannot dup
   * it; uv_spawn reports that, and the child is gone. */
  ASSERT_OK(uv_loop_init(&l));
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = closed_fd();
  stdio[2].flags = UV_IGNORE;
  expect_refused(&l, stdio, 3, UV_EBADF);
  ASSERT_OK(uv_loop_init(&l));
  stdio[1].flags = UV_IGNORE;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 1000;
  ASSERT_EQ(fcntl(1000, F_GETFD), -1);
  expect_refused(&l, stdio, 3, UV_EBADF);
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "--child") == 0)
    return child_main(argc - 2, argv + 2);

  self_exe_init();
  fs_tmp_init("spawn-stdio");
  ASSERT_OK(uv_loop_init(&loop));

  test_ignore();
  test_create_pipe_readable();
  test_create_pipe_writable();
  test_create_pipe_duplex();
  test_pipe_ends();
  test_inherit_fd_nonblocking();
  test_inherit_fd_file();
  test_inherit_fd_swapped();
  test_same_fd_twice();
  test_inherit_stream_pipe();
  test_inherit_stream_tcp();
  test_five();
  test_ten();
  test_refused();

  close_loop(&loop);
  assert_no_children();
  fs_tmp_cleanup();
  printf("ok\n");
  return 0;
}
