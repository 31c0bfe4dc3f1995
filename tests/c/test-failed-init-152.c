/* rsuv: ours-only: libuv 1.52 behaviour: uv_pipe_bind2/uv_pipe_connect2 are 1.46+, and libuv 1.44's uv_spawn leaves the handle registered when a stdio container fails */
/* Failed calls whose outcome changed after libuv 1.44 (see
 * test-failed-init.c for the rest).
 *
 * uv_spawn: when a stdio container is refused (UV_CREATE_PIPE on a stream
 * that is not a pipe, UV_INHERIT_FD of -1) or its socket pair cannot be
 * made (EMFILE), no child is started and libuv 1.52 takes the process
 * handle off the loop again: uv_walk does not see it and uv_loop_close()
 * succeeds without closing it, though uv_close() on it still works. (A
 * failure to start the child leaves it registered; test-failed-init.c
 * checks that.)
 *
 * uv_pipe_bind2 and uv_pipe_connect2 with unknown flags, an empty name or
 * a NUL inside a path: UV_EINVAL, the pipe still registered and closable,
 * the connect request untouched. */
#include "failed-helpers.h"

#include <signal.h>

static uv_loop_t loop;

static void spawn_one(uv_process_t* proc, uv_stdio_container_t* stdio,
                      int count, int expected) {
  uv_process_options_t o;
  char* args[] = { (char*) "/bin/true", NULL };

  memset(&o, 0, sizeof(o));
  o.file = args[0];
  o.args = args;
  o.stdio = stdio;
  o.stdio_count = count;
  scribble(proc, sizeof(*proc));
  ASSERT_ERR(uv_spawn(&loop, proc, &o), expected);
}

static void test_spawn_stdio_refused(void) {
  uv_process_t proc;
  uv_tcp_t tcp;
  uv_stdio_container_t stdio[3];

  /* A pipe container that names a TCP handle. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tcp_init(&loop, &tcp));
  memset(stdio, 0, sizeof(stdio));
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = (uv_stream_t*) &tcp;
  spawn_one(&proc, stdio, 2, UV_EINVAL);
  ASSERT_EQ(walked(&loop, &proc), 0);
  ASSERT_EQ(walked(&loop, &tcp), 1);
  ASSERT_EQ(walk_total, 1);
  expect_registered_inactive(&loop, &tcp);

  /* An inherited descriptor of -1. */
  ASSERT_OK(uv_loop_init(&loop));
  memset(stdio, 0, sizeof(stdio));
  stdio[0].flags = UV_INHERIT_FD;
  stdio[0].data.fd = -1;
  spawn_one(&proc, stdio, 1, UV_EINVAL);
  expect_unregistered(&loop, &proc);

  /* Closing such a handle still works (Node closes it after an error). */
  ASSERT_OK(uv_loop_init(&loop));
  spawn_one(&proc, stdio, 1, UV_EINVAL);
  expect_detached(&loop, &proc);
}

static void test_spawn_pipe_emfile(void) {
  uv_process_t proc;
  uv_pipe_t out;
  uv_stdio_container_t stdio[2];

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &out, 0));
  memset(stdio, 0, sizeof(stdio));
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = (uv_stream_t*) &out;
  exhaust_fds();
  spawn_one(&proc, stdio, 2, UV_EMFILE);
  restore_fds();
  /* Only the pipe handle is left, still without a descriptor. */
  ASSERT_EQ(walked(&loop, &proc), 0);
  ASSERT_EQ(walked(&loop, &out), 1);
  ASSERT_EQ(walk_total, 1);
  expect_registered_inactive(&loop, &out);
}

static void test_pipe_bind2_connect2(void) {
  uv_pipe_t p;
  uv_connect_t req;
  uv_os_fd_t fd;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p, 0));
  ASSERT_ERR(uv_pipe_bind2(&p, "failed-init.sock", 16, 2), UV_EINVAL);
  ASSERT_ERR(uv_pipe_bind2(&p, "failed\0init.sock", 16, 0), UV_EINVAL);
  ASSERT_ERR(uv_pipe_bind2(&p, NULL, 0, 0), UV_EINVAL);
  memset(&req, 0, sizeof(req));
  ASSERT_ERR(uv_pipe_connect2(&req, &p, "x", 1, 2, NULL), UV_EINVAL);
  ASSERT_EQ(req.type, UV_UNKNOWN_REQ);
  ASSERT_ERR(uv_pipe_connect2(&req, &p, "x", 0, 0, NULL), UV_EINVAL);
  ASSERT_EQ(req.type, UV_UNKNOWN_REQ);
  ASSERT_ERR(uv_pipe_connect2(&req, &p, "fail\0ed", 7, 0, NULL), UV_EINVAL);
  ASSERT_EQ(req.type, UV_UNKNOWN_REQ);
  /* None of them made a socket. */
  ASSERT_ERR(uv_fileno((uv_handle_t*) &p, &fd), UV_EBADF);
  expect_registered_inactive(&loop, &p);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  test_spawn_stdio_refused();
  /* valgrind keeps descriptors of its own under a lowered RLIMIT_NOFILE
   * and turns some of the program's calls there into EBADF. */
  if (strcmp(under_checker(), "valgrind") != 0)
    test_spawn_pipe_emfile();
  test_pipe_bind2_connect2();
  printf("ok\n");
  return 0;
}
