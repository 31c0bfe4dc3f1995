/* Failed calls leave handles and requests as libuv leaves them, so that
 * what a program does next works the same: for each failure, the return
 * code, whether uv_walk sees the handle, whether uv_close() works (its
 * close_cb runs) and what uv_loop_close() answers, and the request fields
 * libuv sets before it fails.
 *
 * Not registered (uv_loop_close() succeeds without a close): invalid
 * uv_tcp_init_ex/uv_udp_init_ex flags or family, their socket failing with
 * EMFILE (the TCP handle can still be closed), uv_tty_init on a file, /dev/null or a closed descriptor,
 * uv_poll_init on a watched, closed, negative or regular-file descriptor.
 *
 * Registered and closable: uv_signal_start with a bad signal (a started
 * handle is stopped first, and signal_cb is left alone), uv_timer_start and
 * uv_idle/prepare/check_start with a NULL callback, uv_pipe_bind to a bad
 * path, a busy one or under EMFILE, uv_tcp_bind under EMFILE, a busy TCP
 * port (bind succeeds; listen fails), uv_udp_bind to a busy port (the
 * socket stays), uv_udp_bind, uv_tcp_connect (the request untouched) and
 * uv_pipe_connect (the callback gets it) under EMFILE, uv_udp_connect refused by the kernel (not connected),
 * uv_tcp_open/uv_pipe_open/uv_udp_open of -1, a terminal mode on a pipe
 * opened as a TTY (the mode stays), uv_listen on an unbound or IPC pipe, uv_fs_event_start on
 * a missing path or without an inotify descriptor, uv_fs_poll_start on a
 * missing path (started; the callback reports UV_ENOENT), the two watchers
 * started with a NULL callback (libuv accepts it), uv_read_start,
 * uv_write, uv_try_write, uv_shutdown and uv_accept on streams that cannot
 * do them, uv_tcp_connect failing at once, uv_pipe_connect to a missing
 * path (reported through the callback), uv_tcp_close_reset without a
 * socket, uv_udp_recv_start without callbacks, uv_spawn of a missing file.
 *
 * Requests: a request rejected before it starts is left untouched (write,
 * shutdown, connect, random, queue_work, getaddrinfo, getnameinfo, UDP
 * send); uv_fs_* calls set type, fs_type, result, path and loop whether
 * they fail early or in the system call; a failed synchronous
 * uv_getaddrinfo sets type, loop and addrinfo.
 * uv_loop_init failing with EMFILE keeps `data`. */
#include "failed-helpers.h"

#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static uv_loop_t loop;

static void noop_alloc_cb(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  static char slab[64];
  (void) h;
  (void) size;
  buf->base = slab;
  buf->len = sizeof(slab);
}

static void noop_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  (void) s;
  (void) n;
  (void) buf;
}

static void noop_signal_cb(uv_signal_t* h, int signum) {
  (void) h;
  (void) signum;
}

static void noop_timer_cb(uv_timer_t* h) {
  (void) h;
}

static void noop_work_cb(uv_work_t* req) {
  (void) req;
}

static void noop_recv_cb(uv_udp_t* h, ssize_t n, const uv_buf_t* buf,
                         const struct sockaddr* addr, unsigned flags) {
  (void) h;
  (void) n;
  (void) buf;
  (void) addr;
  (void) flags;
}

static void noop_fs_event_cb(uv_fs_event_t* h, const char* name, int events,
                             int status) {
  (void) h;
  (void) name;
  (void) events;
  (void) status;
}

static void noop_random_cb(uv_random_t* req, int status, void* buf,
                           size_t len) {
  (void) req;
  (void) status;
  (void) buf;
  (void) len;
}

static struct sockaddr_in loopback4(int port) {
  struct sockaddr_in a;
  ASSERT_OK(uv_ip4_addr("127.0.0.1", port, &a));
  return a;
}

/* ---- handles that are not registered ---- */

static void test_tcp_init_ex_bad_flags(void) {
  uv_tcp_t t;

  ASSERT_OK(uv_loop_init(&loop));
  scribble(&t, sizeof(t));
  ASSERT_ERR(uv_tcp_init_ex(&loop, &t, AF_UNIX), UV_EINVAL);
  ASSERT_ERR(uv_tcp_init_ex(&loop, &t, AF_INET | 0x100), UV_EINVAL);
  expect_unregistered(&loop, &t);
}

static void test_udp_init_ex_bad_flags(void) {
  uv_udp_t u;

  ASSERT_OK(uv_loop_init(&loop));
  scribble(&u, sizeof(u));
  ASSERT_ERR(uv_udp_init_ex(&loop, &u, AF_UNIX), UV_EINVAL);
  ASSERT_ERR(uv_udp_init_ex(&loop, &u, AF_INET | 0x200), UV_EINVAL);
  expect_unregistered(&loop, &u);
}

static void test_tty_init_not_a_tty(void) {
  uv_tty_t tty;
  int fd;

  ASSERT_OK(uv_loop_init(&loop));
  scribble(&tty, sizeof(tty));

  /* A regular file. */
  fd = open("failed-init.file", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_ERR(uv_tty_init(&loop, &tty, fd, 0), UV_EINVAL);
  /* A character device that is not a terminal. */
  ASSERT_OK(close(fd));
  ASSERT_OK(unlink("failed-init.file"));
  fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_ERR(uv_tty_init(&loop, &tty, fd, 0), UV_EINVAL);
  /* A closed descriptor. */
  ASSERT_OK(close(fd));
  ASSERT_ERR(uv_tty_init(&loop, &tty, fd, 0), UV_EINVAL);
  expect_unregistered(&loop, &tty);
}

static void test_poll_init_bad_fd(void) {
  uv_poll_t first, second;
  int sv[2], fd;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));

  /* Already watched by another handle of the loop. */
  ASSERT_OK(uv_poll_init(&loop, &first, sv[0]));
  ASSERT_OK(uv_poll_start(&first, UV_READABLE, NULL));
  scribble(&second, sizeof(second));
  ASSERT_ERR(uv_poll_init(&loop, &second, sv[0]), UV_EEXIST);
  ASSERT_EQ(walked(&loop, &second), 0);
  ASSERT_EQ(walk_total, 1);
  uv_close((uv_handle_t*) &first, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  /* A regular file, which epoll cannot watch. */
  fd = open("failed-init.file", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_ERR(uv_poll_init(&loop, &second, fd), UV_EPERM);
  ASSERT_OK(close(fd));
  ASSERT_OK(unlink("failed-init.file"));
  /* A closed descriptor, and no descriptor at all. */
  ASSERT_ERR(uv_poll_init(&loop, &second, fd), UV_EBADF);
  ASSERT_ERR(uv_poll_init(&loop, &second, -1), UV_EBADF);
  expect_unregistered(&loop, &second);
  close(sv[0]);
  close(sv[1]);
}

static int connect_calls, connect_status;

static void connect_cb(uv_connect_t* req, int status) {
  (void) req;
  connect_calls++;
  connect_status = status;
}

/* ---- descriptor exhaustion ---- */

static void test_emfile(void) {
  uv_loop_t other;
  uv_tcp_t t;
  uv_udp_t u;
  uv_pipe_t p;
  uv_fs_event_t ev;
  uv_connect_t req;
  struct sockaddr_in a = loopback4(0);

  /* Sockets made by init: nothing is registered. (uv_udp_init_ex makes
   * its socket first; uv_tcp_init_ex takes the handle off the loop again,
   * and closing it still works.) */
  ASSERT_OK(uv_loop_init(&loop));
  exhaust_fds();
  scribble(&t, sizeof(t));
  ASSERT_ERR(uv_tcp_init_ex(&loop, &t, AF_INET), UV_EMFILE);
  scribble(&u, sizeof(u));
  ASSERT_ERR(uv_udp_init_ex(&loop, &u, AF_INET), UV_EMFILE);
  restore_fds();
  expect_unregistered(&loop, &t);

  ASSERT_OK(uv_loop_init(&loop));
  exhaust_fds();
  ASSERT_ERR(uv_tcp_init_ex(&loop, &t, AF_INET6), UV_EMFILE);
  restore_fds();
  expect_detached(&loop, &t);

  /* The socket made by bind: the handle stays, without a descriptor. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tcp_init(&loop, &t));
  exhaust_fds();
  ASSERT_ERR(uv_tcp_bind(&t, (const struct sockaddr*) &a, 0), UV_EMFILE);
  restore_fds();
  expect_registered_inactive(&loop, &t);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_udp_init(&loop, &u));
  exhaust_fds();
  ASSERT_ERR(uv_udp_bind(&u, (const struct sockaddr*) &a, 0), UV_EMFILE);
  restore_fds();
  expect_registered_inactive(&loop, &u);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  exhaust_fds();
  ASSERT_ERR(uv_pipe_bind(&p, "failed-init.sock"), UV_EMFILE);
  restore_fds();
  expect_registered_inactive(&loop, &p);

  /* Connecting: TCP refuses the request at once, untouched; a pipe
   * reports the error through the callback. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tcp_init(&loop, &t));
  memset(&req, 0, sizeof(req));
  exhaust_fds();
  ASSERT_ERR(uv_tcp_connect(&req, &t, (const struct sockaddr*) &a, NULL),
             UV_EMFILE);
  restore_fds();
  ASSERT_EQ(req.type, UV_UNKNOWN_REQ);
  expect_registered_inactive(&loop, &t);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  connect_calls = 0;
  exhaust_fds();
  uv_pipe_connect(&req, &p, "failed-init.sock", connect_cb);
  restore_fds();
  ASSERT_EQ(req.type, UV_CONNECT);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(connect_calls, 1);
  ASSERT_EQ(connect_status, UV_EMFILE);
  expect_registered_inactive(&loop, &p);

  /* A loop's first fs_event start needs an inotify descriptor. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_event_init(&loop, &ev));
  exhaust_fds();
  ASSERT_ERR(uv_fs_event_start(&ev, noop_fs_event_cb, ".", 0), UV_EMFILE);
  restore_fds();
  expect_registered_inactive(&loop, &ev);

  /* uv_loop_init itself: `data` survives, as libuv keeps it, and the
   * rest is cleared (no stale internal pointer). */
  scribble(&other, sizeof(other));
  other.data = &other;
  exhaust_fds();
  ASSERT_ERR(uv_loop_init(&other), UV_EMFILE);
  restore_fds();
  ASSERT_PTR_EQ(other.data, &other);
  ASSERT_NULL(other.internal_fields);
  ASSERT_EQ(other.active_handles, 0);
}

/* ---- registered handles ---- */

static void test_signal_start_bad_signum(void) {
  uv_signal_t sig;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_signal_init(&loop, &sig));
  sig.signal_cb = NULL;
  ASSERT_ERR(uv_signal_start(&sig, noop_signal_cb, 0), UV_EINVAL);
  ASSERT_ERR(uv_signal_start(&sig, noop_signal_cb, SIGKILL), UV_EINVAL);
  ASSERT_ERR(uv_signal_start(&sig, noop_signal_cb, SIGSTOP), UV_EINVAL);
  ASSERT_ERR(uv_signal_start(&sig, noop_signal_cb, 4096), UV_EINVAL);
  ASSERT_ERR(uv_signal_start(&sig, noop_signal_cb, -1), UV_EINVAL);
  ASSERT_ERR(uv_signal_start_oneshot(&sig, noop_signal_cb, SIGKILL),
             UV_EINVAL);
  /* What a failed start leaves alone. */
  ASSERT_NULL(sig.signal_cb);
  ASSERT_EQ(sig.signum, 0);

  /* A started handle is stopped before the new signal is refused. */
  ASSERT_OK(uv_signal_start(&sig, noop_signal_cb, SIGUSR1));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &sig), 1);
  ASSERT_ERR(uv_signal_start(&sig, noop_signal_cb, SIGKILL), UV_EINVAL);
  ASSERT_EQ(sig.signum, 0);
  expect_registered_inactive(&loop, &sig);
}

static void test_null_callbacks(void) {
  uv_timer_t timer;
  uv_idle_t idle;
  uv_prepare_t prepare;
  uv_check_t check;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_ERR(uv_timer_start(&timer, NULL, 10, 0), UV_EINVAL);
  expect_registered_inactive(&loop, &timer);

  /* A started timer keeps running. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &timer));
  ASSERT_OK(uv_timer_start(&timer, noop_timer_cb, 100000, 0));
  ASSERT_ERR(uv_timer_start(&timer, NULL, 10, 0), UV_EINVAL);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &timer), 1);
  ASSERT_PTR_EQ(timer.timer_cb, noop_timer_cb);
  expect_registered(&loop, &timer);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_ERR(uv_idle_start(&idle, NULL), UV_EINVAL);
  expect_registered_inactive(&loop, &idle);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_prepare_init(&loop, &prepare));
  ASSERT_ERR(uv_prepare_start(&prepare, NULL), UV_EINVAL);
  expect_registered_inactive(&loop, &prepare);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_ERR(uv_check_start(&check, NULL), UV_EINVAL);
  expect_registered_inactive(&loop, &check);
}

static void test_pipe_bind_fails(void) {
  uv_pipe_t first, second;
  uv_os_fd_t fd;

  /* A directory that does not exist: libuv says UV_EACCES. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &second, 0));
  ASSERT_ERR(uv_pipe_bind(&second, "no-such-dir/failed-init.sock"),
             UV_EACCES);
  ASSERT_ERR(uv_fileno((uv_handle_t*) &second, &fd), UV_EBADF);
  expect_registered_inactive(&loop, &second);

  /* A path in use. */
  unlink("failed-init.sock");
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &first, 0));
  ASSERT_OK(uv_pipe_bind(&first, "failed-init.sock"));
  ASSERT_OK(uv_pipe_init(&loop, &second, 0));
  ASSERT_ERR(uv_pipe_bind(&second, "failed-init.sock"), UV_EADDRINUSE);
  ASSERT_ERR(uv_fileno((uv_handle_t*) &second, &fd), UV_EBADF);
  /* Listening needs a bound pipe. */
  ASSERT_ERR(uv_listen((uv_stream_t*) &second, 1, NULL), UV_EINVAL);
  uv_close((uv_handle_t*) &first, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  expect_registered_inactive(&loop, &second);
  ASSERT_ERR(unlink("failed-init.sock"), -1);

  /* An IPC pipe cannot listen. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &second, 1));
  ASSERT_OK(uv_pipe_bind(&second, "failed-init.sock"));
  ASSERT_ERR(uv_listen((uv_stream_t*) &second, 1, NULL), UV_EINVAL);
  expect_registered_inactive(&loop, &second);
}

static void test_tcp_port_busy(void) {
  uv_tcp_t server, t;
  struct sockaddr_in a = loopback4(0);
  struct sockaddr_storage name;
  int len = sizeof(a);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tcp_init(&loop, &server));
  ASSERT_OK(uv_tcp_bind(&server, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 1, NULL));
  ASSERT_OK(uv_tcp_getsockname(&server, (struct sockaddr*) &a, &len));

  /* libuv reports a busy address from listen (and the name calls). */
  ASSERT_OK(uv_tcp_init(&loop, &t));
  ASSERT_OK(uv_tcp_bind(&t, (const struct sockaddr*) &a, 0));
  len = sizeof(name);
  ASSERT_ERR(uv_tcp_getsockname(&t, (struct sockaddr*) &name, &len),
             UV_EADDRINUSE);
  ASSERT_ERR(uv_listen((uv_stream_t*) &t, 1, NULL), UV_EADDRINUSE);
  uv_close((uv_handle_t*) &server, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  expect_registered_inactive(&loop, &t);
}

static void test_udp_port_busy(void) {
  uv_udp_t first, second;
  struct sockaddr_in a = loopback4(0);
  uv_os_fd_t fd;
  int len = sizeof(a);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_udp_init(&loop, &first));
  ASSERT_OK(uv_udp_bind(&first, (const struct sockaddr*) &a, 0));
  ASSERT_OK(uv_udp_getsockname(&first, (struct sockaddr*) &a, &len));
  ASSERT_OK(uv_udp_init(&loop, &second));
  ASSERT_ERR(uv_udp_bind(&second, (const struct sockaddr*) &a, 0),
             UV_EADDRINUSE);
  /* The socket made for the bind stays with the handle. */
  ASSERT_OK(uv_fileno((uv_handle_t*) &second, &fd));
  ASSERT_GE(fd, 0);
  /* Receiving needs callbacks. */
  ASSERT_ERR(uv_udp_recv_start(&second, NULL, noop_recv_cb), UV_EINVAL);
  ASSERT_ERR(uv_udp_recv_start(&second, noop_alloc_cb, NULL), UV_EINVAL);
  uv_close((uv_handle_t*) &first, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  expect_registered_inactive(&loop, &second);
}

static void test_udp_connect_fails(void) {
  uv_udp_t u;
  struct sockaddr_in6 a6;
  struct sockaddr_storage peer;
  uv_buf_t buf = uv_buf_init((char*) "x", 1);
  int len = sizeof(peer);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_udp_init_ex(&loop, &u, AF_INET));
  ASSERT_OK(uv_ip6_addr("::1", 9, &a6));
  ASSERT_ERR(uv_udp_connect(&u, (const struct sockaddr*) &a6),
             UV_EAFNOSUPPORT);
  /* Not connected after all. */
  ASSERT_ERR(uv_udp_getpeername(&u, (struct sockaddr*) &peer, &len),
             UV_ENOTCONN);
  ASSERT_ERR(uv_udp_try_send(&u, &buf, 1, NULL), UV_EDESTADDRREQ);
  ASSERT_ERR(uv_udp_connect(&u, NULL), UV_ENOTCONN);
  expect_registered_inactive(&loop, &u);
}

static int fs_poll_calls, fs_poll_status;

static void fs_poll_cb(uv_fs_poll_t* h, int status, const uv_stat_t* prev,
                       const uv_stat_t* curr) {
  (void) prev;
  (void) curr;
  fs_poll_calls++;
  fs_poll_status = status;
  uv_fs_poll_stop(h);
}

static void test_watch_missing_path(void) {
  uv_fs_event_t ev;
  uv_fs_poll_t fp;
  char buf[64];
  size_t size = sizeof(buf);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_event_init(&loop, &ev));
  ASSERT_ERR(uv_fs_event_start(&ev, noop_fs_event_cb, "no-such-file", 0),
             UV_ENOENT);
  ASSERT_ERR(uv_fs_event_getpath(&ev, buf, &size), UV_EINVAL);
  expect_registered_inactive(&loop, &ev);

  /* uv_fs_poll_start does not stat before it returns: the callback
   * reports the missing file. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_poll_init(&loop, &fp));
  ASSERT_OK(uv_fs_poll_start(&fp, fs_poll_cb, "no-such-file", 10));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &fp), 1);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fs_poll_calls, 1);
  ASSERT_EQ(fs_poll_status, UV_ENOENT);
  expect_registered_inactive(&loop, &fp);
}

/* libuv does not refuse a NULL callback here: the watcher starts. */
static void test_watch_null_callback(void) {
  uv_fs_event_t ev;
  uv_fs_poll_t fp;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_event_init(&loop, &ev));
  ASSERT_OK(uv_fs_event_start(&ev, NULL, ".", 0));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &ev), 1);
  expect_registered(&loop, &ev);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_poll_init(&loop, &fp));
  ASSERT_OK(uv_fs_poll_start(&fp, NULL, ".", 10));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &fp), 1);
  expect_registered(&loop, &fp);
}

/* ---- streams that cannot do what is asked ---- */

static void test_stream_calls_without_socket(void) {
  uv_tcp_t t, client;
  uv_write_t w;
  uv_shutdown_t sd;
  uv_buf_t buf = uv_buf_init((char*) "x", 1);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tcp_init(&loop, &t));
  ASSERT_ERR(uv_read_start((uv_stream_t*) &t, noop_alloc_cb, noop_read_cb),
             UV_ENOTCONN);
  ASSERT_ERR(uv_read_start((uv_stream_t*) &t, NULL, noop_read_cb), UV_EINVAL);
  ASSERT_ERR(uv_read_start((uv_stream_t*) &t, noop_alloc_cb, NULL), UV_EINVAL);
  /* Rejected requests are left untouched and do not keep the loop busy. */
  memset(&w, 0, sizeof(w));
  ASSERT_ERR(uv_write(&w, (uv_stream_t*) &t, &buf, 1, NULL), UV_EBADF);
  ASSERT_EQ(w.type, UV_UNKNOWN_REQ);
  ASSERT_ERR(uv_try_write((uv_stream_t*) &t, &buf, 1), UV_EBADF);
  memset(&sd, 0, sizeof(sd));
  ASSERT_ERR(uv_shutdown(&sd, (uv_stream_t*) &t, NULL), UV_ENOTCONN);
  ASSERT_EQ(sd.type, UV_UNKNOWN_REQ);
  ASSERT_OK(uv_tcp_init(&loop, &client));
  ASSERT_ERR(uv_accept((uv_stream_t*) &t, (uv_stream_t*) &client), UV_EAGAIN);
  uv_close((uv_handle_t*) &client, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  /* Without a socket there is nothing to set SO_LINGER on: not closed. */
  ASSERT_ERR(uv_tcp_close_reset(&t, NULL), UV_EBADF);
  expect_registered_inactive(&loop, &t);
}

static void test_open_bad_fd(void) {
  uv_tcp_t t;
  uv_pipe_t p;
  uv_udp_t u;
  uv_os_fd_t fd;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tcp_init(&loop, &t));
  ASSERT_ERR(uv_tcp_open(&t, -1), UV_EBADF);
  ASSERT_ERR(uv_fileno((uv_handle_t*) &t, &fd), UV_EBADF);
  expect_registered_inactive(&loop, &t);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_ERR(uv_pipe_open(&p, -1), UV_EBADF);
  ASSERT_ERR(uv_fileno((uv_handle_t*) &p, &fd), UV_EBADF);
  expect_registered_inactive(&loop, &p);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_udp_init(&loop, &u));
  ASSERT_ERR(uv_udp_open(&u, -1), UV_EBADF);
  ASSERT_ERR(uv_fileno((uv_handle_t*) &u, &fd), UV_EBADF);
  expect_registered_inactive(&loop, &u);
}

/* uv_tty_init takes a pipe; setting a terminal mode on it fails and
 * leaves the mode as it was (so going back to normal is a no-op). */
static void test_tty_mode_on_pipe(void) {
  uv_tty_t tty;
  int sv[2], width, height;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  ASSERT_OK(uv_tty_init(&loop, &tty, sv[0], 0));
  ASSERT_ERR(uv_tty_set_mode(&tty, UV_TTY_MODE_RAW), UV_ENOTTY);
  ASSERT_OK(uv_tty_set_mode(&tty, UV_TTY_MODE_NORMAL));
  ASSERT_ERR(uv_tty_get_winsize(&tty, &width, &height), UV_ENOTTY);
  expect_registered_inactive(&loop, &tty);
  close(sv[1]);
}

static void test_read_start_closing(void) {
  uv_pipe_t p;
  int sv[2];

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_OK(uv_pipe_open(&p, sv[0]));
  close_calls = 0;
  uv_close((uv_handle_t*) &p, count_close_cb);
  ASSERT_ERR(uv_read_start((uv_stream_t*) &p, noop_alloc_cb, noop_read_cb),
             UV_EINVAL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(close_calls, 1);
  /* Still refused once fully closed. */
  ASSERT_ERR(uv_read_start((uv_stream_t*) &p, noop_alloc_cb, noop_read_cb),
             UV_EINVAL);
  ASSERT_OK(uv_loop_close(&loop));
  close(sv[1]);
}

static void test_tcp_connect_fails_at_once(void) {
  uv_tcp_t t;
  uv_connect_t req;
  struct sockaddr_in6 a6;
  struct sockaddr_un un;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tcp_init_ex(&loop, &t, AF_INET));
  ASSERT_OK(uv_ip6_addr("::1", 9, &a6));
  memset(&req, 0, sizeof(req));
  /* An IPv6 address for an IPv4 socket: connect(2) refuses it. */
  ASSERT_ERR(uv_tcp_connect(&req, &t, (const struct sockaddr*) &a6, NULL),
             UV_EAFNOSUPPORT);
  ASSERT_EQ(req.type, UV_UNKNOWN_REQ);
  memset(&un, 0, sizeof(un));
  un.sun_family = AF_UNIX;
  ASSERT_ERR(uv_tcp_connect(&req, &t, (const struct sockaddr*) &un, NULL),
             UV_EINVAL);
  ASSERT_EQ(req.type, UV_UNKNOWN_REQ);
  expect_registered_inactive(&loop, &t);
}

static void test_pipe_connect_missing(void) {
  uv_pipe_t p;
  uv_connect_t req;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  memset(&req, 0, sizeof(req));
  connect_calls = 0;

  /* uv_pipe_connect returns nothing: the error reaches the callback, and
   * the request is in flight until then. */
  uv_pipe_connect(&req, &p, "no-such-dir/failed-init.sock", connect_cb);
  ASSERT_EQ(req.type, UV_CONNECT);
  ASSERT_PTR_EQ(req.handle, &p);
  ASSERT_EQ(connect_calls, 0);
  ASSERT_ERR(uv_loop_close(&loop), UV_EBUSY);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(connect_calls, 1);
  ASSERT_EQ(connect_status, UV_ENOENT);
  expect_registered(&loop, &p);
}

static void test_spawn_missing_file(void) {
  uv_process_t proc;
  uv_process_options_t o;
  /* A path, not a name: a PATH search may end in EACCES. */
  char* args[] = { (char*) "./no-such-program-for-rsuv", NULL };

  ASSERT_OK(uv_loop_init(&loop));
  memset(&o, 0, sizeof(o));
  o.file = args[0];
  o.args = args;
  /* The handle stays (Node closes it), inactive. */
  ASSERT_ERR(uv_spawn(&loop, &proc, &o), UV_ENOENT);
  expect_registered_inactive(&loop, &proc);
}

/* ---- requests ---- */

static void test_fs_requests(void) {
  uv_fs_t req;
  uv_buf_t buf = uv_buf_init((char*) "x", 1);
  static const char missing[] = "no-such-file";

  ASSERT_OK(uv_loop_init(&loop));

  /* Failing in the system call: result and path are set. */
  scribble(&req, sizeof(req));
  ASSERT_ERR(uv_fs_open(&loop, &req, missing, O_RDONLY, 0, NULL), UV_ENOENT);
  ASSERT_EQ(req.type, UV_FS);
  ASSERT_EQ(uv_fs_get_type(&req), UV_FS_OPEN);
  ASSERT_EQ(uv_fs_get_result(&req), UV_ENOENT);
  ASSERT_EQ(uv_fs_get_system_error(&req), ENOENT);
  ASSERT_PTR_EQ(uv_fs_get_path(&req), missing);
  ASSERT_PTR_EQ(req.loop, &loop);
  ASSERT_NULL(uv_fs_get_ptr(&req));
  uv_fs_req_cleanup(&req);

  /* Rejected arguments: the request is initialized, result 0, no path. */
  scribble(&req, sizeof(req));
  ASSERT_ERR(uv_fs_read(&loop, &req, 0, NULL, 0, 0, NULL), UV_EINVAL);
  ASSERT_EQ(req.type, UV_FS);
  ASSERT_EQ(req.fs_type, UV_FS_READ);
  ASSERT_EQ(req.result, 0);
  ASSERT_NULL(req.path);
  ASSERT_PTR_EQ(req.loop, &loop);
  uv_fs_req_cleanup(&req);

  scribble(&req, sizeof(req));
  ASSERT_ERR(uv_fs_write(&loop, &req, 1, &buf, 0, 0, NULL), UV_EINVAL);
  ASSERT_EQ(req.fs_type, UV_FS_WRITE);
  ASSERT_EQ(req.result, 0);
  uv_fs_req_cleanup(&req);

  scribble(&req, sizeof(req));
  ASSERT_ERR(uv_fs_copyfile(&loop, &req, "a", "b", 0x100, NULL), UV_EINVAL);
  ASSERT_EQ(req.type, UV_FS);
  ASSERT_EQ(req.fs_type, UV_FS_COPYFILE);
  ASSERT_EQ(req.result, 0);
  ASSERT_NULL(req.path);
  uv_fs_req_cleanup(&req);

  scribble(&req, sizeof(req));
  ASSERT_ERR(uv_fs_readdir(&loop, &req, NULL, NULL), UV_EINVAL);
  ASSERT_EQ(req.fs_type, UV_FS_READDIR);
  ASSERT_EQ(req.result, 0);
  uv_fs_req_cleanup(&req);

  scribble(&req, sizeof(req));
  ASSERT_ERR(uv_fs_closedir(&loop, &req, NULL, NULL), UV_EINVAL);
  ASSERT_EQ(req.fs_type, UV_FS_CLOSEDIR);
  uv_fs_req_cleanup(&req);

  /* None of them is in flight. */
  ASSERT_OK(uv_loop_close(&loop));
}

static int fs_cb_calls;
static ssize_t fs_cb_result;

static void fs_cb(uv_fs_t* req) {
  fs_cb_calls++;
  fs_cb_result = req->result;
  ASSERT_STR_EQ(req->path, "no-such-file");
}

static void test_fs_request_async(void) {
  uv_fs_t req;
  char path[] = "no-such-file";

  ASSERT_OK(uv_loop_init(&loop));
  scribble(&req, sizeof(req));
  ASSERT_OK(uv_fs_stat(&loop, &req, path, fs_cb));
  ASSERT_EQ(req.type, UV_FS);
  ASSERT_EQ(req.fs_type, UV_FS_STAT);
  /* (Its result is the pool's to write until the callback.) An
   * asynchronous request keeps a copy of the path. */
  ASSERT(req.path != path);
  ASSERT_STR_EQ(req.path, "no-such-file");
  ASSERT_ERR(uv_loop_close(&loop), UV_EBUSY);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fs_cb_calls, 1);
  ASSERT_EQ(fs_cb_result, UV_ENOENT);
  uv_fs_req_cleanup(&req);
  ASSERT_NULL(req.path);
  ASSERT_OK(uv_loop_close(&loop));
}

static void test_other_requests(void) {
  uv_getaddrinfo_t gai;
  uv_getnameinfo_t gni;
  uv_random_t rnd;
  uv_work_t work;
  uv_udp_t u;
  uv_udp_send_t send;
  struct addrinfo hints;
  struct sockaddr_un un;
  uv_buf_t buf = uv_buf_init((char*) "x", 1);
  char bytes[4];

  ASSERT_OK(uv_loop_init(&loop));

  memset(&gai, 0, sizeof(gai));
  ASSERT_ERR(uv_getaddrinfo(&loop, &gai, NULL, NULL, NULL, NULL), UV_EINVAL);
  ASSERT_EQ(gai.type, UV_UNKNOWN_REQ);

  /* A synchronous lookup that fails sets what its callback would see. */
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNIX;
  scribble(&gai, sizeof(gai));
  ASSERT_ERR(uv_getaddrinfo(&loop, &gai, NULL, "localhost", NULL, &hints),
             UV_EAI_FAMILY);
  ASSERT_EQ(gai.type, UV_GETADDRINFO);
  ASSERT_PTR_EQ(gai.loop, &loop);
  ASSERT_NULL(gai.addrinfo);

  memset(&gni, 0, sizeof(gni));
  memset(&un, 0, sizeof(un));
  un.sun_family = AF_UNIX;
  ASSERT_ERR(uv_getnameinfo(&loop, &gni, NULL, (const struct sockaddr*) &un, 0),
             UV_EINVAL);
  ASSERT_EQ(gni.type, UV_UNKNOWN_REQ);

  memset(&rnd, 0, sizeof(rnd));
  ASSERT_ERR(uv_random(&loop, &rnd, bytes, sizeof(bytes), 1, noop_random_cb),
             UV_EINVAL);
  ASSERT_EQ(rnd.type, UV_UNKNOWN_REQ);
  ASSERT_ERR(uv_random(&loop, &rnd, bytes, (size_t) 0x80000000u, 0,
                       noop_random_cb),
             UV_E2BIG);
  ASSERT_EQ(rnd.type, UV_UNKNOWN_REQ);
  ASSERT_ERR(uv_random(NULL, NULL, bytes, sizeof(bytes), 1, NULL), UV_EINVAL);

  memset(&work, 0, sizeof(work));
  ASSERT_ERR(uv_queue_work(&loop, &work, NULL, NULL), UV_EINVAL);
  ASSERT_EQ(work.type, UV_UNKNOWN_REQ);

  /* An unconnected UDP handle needs an address to send to. */
  ASSERT_OK(uv_udp_init(&loop, &u));
  memset(&send, 0, sizeof(send));
  ASSERT_ERR(uv_udp_send(&send, &u, &buf, 1, NULL, NULL), UV_EDESTADDRREQ);
  ASSERT_EQ(send.type, UV_UNKNOWN_REQ);
  ASSERT_ERR(uv_udp_try_send(&u, &buf, 1, NULL), UV_EDESTADDRREQ);
  (void) noop_work_cb;

  /* Only the UDP handle is left: no request is in flight. */
  expect_registered_inactive(&loop, &u);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  test_tcp_init_ex_bad_flags();
  test_udp_init_ex_bad_flags();
  test_tty_init_not_a_tty();
  test_poll_init_bad_fd();
  test_emfile();
  test_signal_start_bad_signum();
  test_null_callbacks();
  test_pipe_bind_fails();
  test_tcp_port_busy();
  test_udp_port_busy();
  test_udp_connect_fails();
  test_watch_missing_path();
  test_watch_null_callback();
  test_stream_calls_without_socket();
  test_open_bad_fd();
  test_tty_mode_on_pipe();
  test_read_start_closing();
  test_tcp_connect_fails_at_once();
  test_pipe_connect_missing();
  test_spawn_missing_file();
  test_fs_requests();
  test_fs_request_async();
  test_other_requests();
  printf("ok\n");
  return 0;
}
