/* Shared by the process tests (tests/c/test-spawn*.c).
 *
 * Every test program can run itself as a child: `<self> --child MODE ...`
 * (see child_common() below for the modes all of them share), so most
 * children are the test binary, found through /proc/self/exe. The rest are
 * Debian's /bin/sh, /bin/true, /bin/cat and /usr/bin/env.
 *
 * spawn_run() spawns one child with stdin on /dev/null, stdout captured
 * through a UV_CREATE_PIPE pipe and stderr inherited (so that a child's
 * complaints land in the test's log), runs the loop until the child has
 * been reaped and its stdout has reached EOF, and returns uv_spawn's result,
 * the exit status, the signal and the output. */
#ifndef RSUV_TEST_SPAWN_HELPERS_H_
#define RSUV_TEST_SPAWN_HELPERS_H_

#include "fs-helpers.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- running this program as a child ---- */

static char self_exe[PATH_MAX];

static inline void self_exe_init(void) {
  ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
  if (n <= 0)
    TEST_FAIL_("readlink(/proc/self/exe): %s", strerror(errno));
  self_exe[n] = '\0';
}

/* Room for {self, "--child", mode, up to 5 arguments, NULL}. */
typedef struct {
  char* argv[9];
} self_args_t;

/* Fills `a` with the argv that runs this program in `mode`, with up to 5
 * extra arguments (a NULL ends the list early), and returns a->argv. */
static inline char** self_argv(self_args_t* a, const char* mode,
                               const char* a1, const char* a2,
                               const char* a3) {
  memset(a, 0, sizeof(*a));
  a->argv[0] = self_exe;
  a->argv[1] = (char*) "--child";
  a->argv[2] = (char*) mode;
  a->argv[3] = (char*) a1;
  a->argv[4] = a1 ? (char*) a2 : NULL;
  a->argv[5] = a1 && a2 ? (char*) a3 : NULL;
  return a->argv;
}

/* A child that must never outlive a hung test: a SIGALRM (default action:
 * terminate) after `secs` seconds. */
static inline void child_deadline(unsigned secs) {
  signal(SIGALRM, SIG_DFL);
  alarm(secs);
}

/* Writes all of s to fd with plain write(2); returns 0 or -1. */
static inline int write_all(int fd, const char* s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    s += w;
    n -= (size_t) w;
  }
  return 0;
}

static inline int write_str(int fd, const char* s) {
  return write_all(fd, s, strlen(s));
}

/* The modes every test program understands (argv[0] is the mode):
 *   exit N          exit(N)
 *   raise SIG       kill itself with signal SIG (the default action, which
 *                   uv_spawn must have restored)
 *   cwd             print getcwd() and a newline on stdout
 *   pause           wait for signals forever (for kill tests); gives up
 *                   after 25 s
 *   linger          sleep until the parent changes (it died or we were
 *                   reparented), at most 60 s; for detached children
 * Returns -1 for a mode it does not know, else the exit status. */
static inline int child_common(int argc, char** argv) {
  const char* mode = argv[0];
  if (strcmp(mode, "exit") == 0 && argc >= 2)
    return atoi(argv[1]);
  if (strcmp(mode, "raise") == 0 && argc >= 2) {
    raise(atoi(argv[1]));
    return 99; /* not reached */
  }
  if (strcmp(mode, "cwd") == 0) {
    char buf[PATH_MAX];
    if (getcwd(buf, sizeof(buf)) == NULL)
      return 98;
    strcat(buf, "\n");
    return write_str(1, buf) == 0 ? 0 : 97;
  }
  if (strcmp(mode, "pause") == 0) {
    child_deadline(25);
    for (;;)
      pause();
  }
  if (strcmp(mode, "linger") == 0) {
    pid_t parent = getppid();
    int i;
    for (i = 0; i < 600 && getppid() == parent; i++)
      usleep(100 * 1000);
    return 0;
  }
  return -1;
}

/* ---- process handles ---- */

typedef struct {
  uv_process_t proc; /* first: a uv_process_t* is a child_t* */
  int exit_calls;
  int64_t exit_status;
  int term_signal;
  int close_calls;
} child_t;

static inline void child_close_cb(uv_handle_t* h) {
  ((child_t*) h)->close_calls++;
}

/* The exit callback most tests use: records, checks that the handle has
 * already stopped, and closes it. */
static inline void child_exit_cb(uv_process_t* p, int64_t status, int sig) {
  child_t* c = (child_t*) p;
  c->exit_calls++;
  c->exit_status = status;
  c->term_signal = sig;
  ASSERT_EQ(uv_is_active((uv_handle_t*) p), 0);
  ASSERT_EQ(uv_is_closing((uv_handle_t*) p), 0);
  uv_close((uv_handle_t*) p, child_close_cb);
}

/* No child of ours is left, exited or not. */
static inline void assert_no_children(void) {
  errno = 0;
  ASSERT_EQ(waitpid(-1, NULL, WNOHANG), -1);
  ASSERT_EQ(errno, ECHILD);
}

/* ---- capturing what a child writes ---- */

#define CAPTURE_MAX 65536

typedef struct {
  uv_pipe_t pipe; /* first: a uv_pipe_t* is a capture_t* */
  char buf[CAPTURE_MAX];
  size_t len;
  int eof;
  int close_calls;
} capture_t;

static inline void capture_alloc_cb(uv_handle_t* h, size_t size,
                                    uv_buf_t* buf) {
  capture_t* c = (capture_t*) h;
  (void) size;
  ASSERT_LT(c->len, sizeof(c->buf) - 1); /* room for the NUL */
  buf->base = c->buf + c->len;
  buf->len = sizeof(c->buf) - 1 - c->len;
}

static inline void capture_close_cb(uv_handle_t* h) {
  ((capture_t*) h)->close_calls++;
}

static inline void capture_read_cb(uv_stream_t* s, ssize_t n,
                                   const uv_buf_t* buf) {
  capture_t* c = (capture_t*) s;
  (void) buf;
  if (n == UV_EOF) {
    ASSERT_EQ(c->eof, 0);
    c->eof = 1;
    uv_close((uv_handle_t*) s, capture_close_cb);
    return;
  }
  if (n < 0)
    TEST_FAIL_("reading a child's output: %s", uv_err_name((int) n));
  c->len += (size_t) n;
  c->buf[c->len] = '\0';
}

/* Initializes c->pipe (not IPC) on loop, empty. */
static inline void capture_init(uv_loop_t* loop, capture_t* c) {
  memset(c, 0, sizeof(*c));
  ASSERT_OK(uv_pipe_init(loop, &c->pipe, 0));
}

static inline void capture_start(capture_t* c) {
  ASSERT_OK(uv_read_start((uv_stream_t*) &c->pipe, capture_alloc_cb,
                          capture_read_cb));
}

/* ---- spawn one child, wait for it ---- */

typedef struct {
  int64_t exit_status;
  int term_signal;
  int exit_calls;
  char out[CAPTURE_MAX];
  size_t out_len;
} run_result_t;

static child_t run_child_;
static capture_t run_capture_;

/* Spawns with `opts` (file, args, env, cwd, flags, uid and gid are taken
 * from it; stdio and exit_cb are set here), then runs `loop` until
 * everything is closed. Returns uv_spawn's result. When uv_spawn fails, the
 * handle must not be active and closing it must work. */
static inline int spawn_run(uv_loop_t* loop, const uv_process_options_t* opts,
                            run_result_t* res) {
  uv_process_options_t o = *opts;
  uv_stdio_container_t stdio[3];
  int r;

  memset(res, 0, sizeof(*res));
  memset(&run_child_, 0, sizeof(run_child_));
  capture_init(loop, &run_capture_);
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = (uv_stream_t*) &run_capture_.pipe;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  o.stdio = stdio;
  o.stdio_count = 3;
  o.exit_cb = child_exit_cb;

  r = uv_spawn(loop, &run_child_.proc, &o);
  if (r != 0) {
    ASSERT_EQ(uv_is_active((uv_handle_t*) &run_child_.proc), 0);
    uv_close((uv_handle_t*) &run_child_.proc, child_close_cb);
    uv_close((uv_handle_t*) &run_capture_.pipe, capture_close_cb);
    ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(run_child_.exit_calls, 0);
    ASSERT_EQ(run_child_.close_calls, 1);
    ASSERT_EQ(run_capture_.close_calls, 1);
    return r;
  }
  ASSERT_GT(run_child_.proc.pid, 0);
  ASSERT_EQ(uv_process_get_pid(&run_child_.proc), run_child_.proc.pid);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &run_child_.proc), 1);
  capture_start(&run_capture_);
  ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(run_child_.exit_calls, 1);
  ASSERT_EQ(run_child_.close_calls, 1);
  ASSERT_EQ(run_capture_.eof, 1);
  ASSERT_EQ(run_capture_.close_calls, 1);
  res->exit_status = run_child_.exit_status;
  res->term_signal = run_child_.term_signal;
  res->exit_calls = run_child_.exit_calls;
  memcpy(res->out, run_capture_.buf, run_capture_.len + 1);
  res->out_len = run_capture_.len;
  return 0;
}

/* Shorthand: spawn file with args (NULL-terminated), no env/cwd/flags. */
static inline int spawn_args(uv_loop_t* loop, const char* file, char** args,
                             run_result_t* res) {
  uv_process_options_t o;
  memset(&o, 0, sizeof(o));
  o.file = file;
  o.args = args;
  return spawn_run(loop, &o, res);
}

#endif /* RSUV_TEST_SPAWN_HELPERS_H_ */
