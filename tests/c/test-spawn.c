/* uv_spawn basics: exit codes and terminating signals reach exit_cb (and
 * the handle has stopped by then); a NULL exit_cb; children that exit
 * before uv_spawn returns; exec failures (missing file, not executable, a
 * directory, a path through a regular file) come back from uv_spawn as
 * UV_E* with the handle inactive but closable, no child left behind, and a
 * UV_CREATE_PIPE stream opened anyway (reading it gives EOF); closing the
 * handle of a running child neither kills nor reaps it; a
 * UV_PROCESS_DETACHED child gets its own session and outlives its handle;
 * UV_PROCESS_SETUID / UV_PROCESS_SETGID (to nobody as root; UV_EPERM for
 * another user's ids as an unprivileged user). */
#include "spawn-helpers.h"

static uv_loop_t loop;

static void test_exit_codes(void) {
  static const int codes[] = { 0, 1, 42, 255 };
  self_args_t a;
  run_result_t res;
  char num[16];
  size_t i;

  for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
    snprintf(num, sizeof(num), "%d", codes[i]);
    ASSERT_OK(spawn_args(&loop, self_exe, self_argv(&a, "exit", num, NULL, NULL),
                         &res));
    ASSERT_EQ(res.exit_calls, 1);
    ASSERT_EQ(res.exit_status, codes[i]);
    ASSERT_EQ(res.term_signal, 0);
    ASSERT_EQ(res.out_len, 0);
  }

  /* The same through the shell. */
  {
    char* args[] = { (char*) "sh", (char*) "-c", (char*) "exit 42", NULL };
    ASSERT_OK(spawn_args(&loop, "/bin/sh", args, &res));
    ASSERT_EQ(res.exit_status, 42);
    ASSERT_EQ(res.term_signal, 0);
  }
}

static void test_term_signals(void) {
  static const int sigs[] = { SIGTERM, SIGKILL, SIGUSR1, SIGINT };
  self_args_t a;
  run_result_t res;
  char num[16];
  size_t i;

  for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
    snprintf(num, sizeof(num), "%d", sigs[i]);
    ASSERT_OK(spawn_args(&loop, self_exe,
                         self_argv(&a, "raise", num, NULL, NULL), &res));
    ASSERT_EQ(res.exit_calls, 1);
    ASSERT_EQ(res.exit_status, 0);
    ASSERT_EQ(res.term_signal, sigs[i]);
  }
}

static void count_close_cb(uv_handle_t* h) {
  (*(int*) h->data)++;
}

/* The handle's fields and type, and a NULL exit_cb: the loop still ends
 * once the child has been reaped (the handle stops), and the handle is then
 * closed like any other. */
static void test_handle_and_null_exit_cb(void) {
  uv_process_t p;
  uv_process_options_t o;
  char* args[] = { (char*) "true", NULL };
  int closed = 0;

  memset(&o, 0, sizeof(o));
  o.file = "/bin/true";
  o.args = args;
  o.exit_cb = NULL;
  ASSERT_OK(uv_spawn(&loop, &p, &o));
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &p), UV_PROCESS);
  ASSERT_EQ(p.type, UV_PROCESS);
  ASSERT_PTR_EQ(p.loop, &loop);
  ASSERT_GT(p.pid, 0);
  ASSERT_EQ(uv_process_get_pid(&p), p.pid);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &p), 1);
  ASSERT_EQ(uv_has_ref((uv_handle_t*) &p), 1);
  ASSERT_EQ(uv_loop_alive(&loop), 1);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &p), 0);
  ASSERT_EQ(uv_process_get_pid(&p), p.pid); /* unchanged after the exit */
  assert_no_children();                     /* it was reaped */
  p.data = &closed;
  uv_close((uv_handle_t*) &p, count_close_cb);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(closed, 1);
}

/* /bin/true is often gone before uv_spawn returns: that must not matter. */
static void test_exit_before_return(void) {
  char* args[] = { (char*) "true", NULL };
  run_result_t res;
  int i;

  for (i = 0; i < 20; i++) {
    ASSERT_OK(spawn_args(&loop, "/bin/true", args, &res));
    ASSERT_EQ(res.exit_calls, 1);
    ASSERT_EQ(res.exit_status, 0);
    ASSERT_EQ(res.term_signal, 0);
  }
  assert_no_children();
}

static void expect_exec_error(const char* file, int expected) {
  /* A PATH of our own: whatever directories the inherited one lists, some
   * may be unsearchable for this user, which would make it UV_EACCES. */
  char* env[] = { (char*) "PATH=/usr/bin:/bin", NULL };
  char* args[] = { (char*) file, NULL };
  uv_process_options_t o;
  run_result_t res;
  memset(&o, 0, sizeof(o));
  o.file = file;
  o.args = args;
  o.env = env;
  ASSERT_ERR(spawn_run(&loop, &o, &res), expected);
  ASSERT_EQ(res.exit_calls, 0);
  assert_no_children();
}

static void test_exec_errors(void) {
  put_file(tpath("plain"), "not a program\n");
  ASSERT_OK(chmod(tpath("plain"), 0644));
  ASSERT_OK(mkdir(tpath("dir"), 0755));

  expect_exec_error(tpath("no-such-file"), UV_ENOENT);
  expect_exec_error("rsuv-no-such-program-anywhere", UV_ENOENT);
  expect_exec_error(tpath("no-such-dir/prog"), UV_ENOENT);
  expect_exec_error(tpath("plain"), UV_EACCES);
  expect_exec_error(tpath("dir"), UV_EACCES);
  expect_exec_error(tpath("plain/prog"), UV_ENOTDIR);
  expect_exec_error("", UV_ENOENT);
}

/* After an exec failure: the handle is inactive and unreferenced by the
 * loop (uv_run returns at once), its close_cb runs, and a UV_CREATE_PIPE
 * stream has been opened all the same; its other end is gone, so reading
 * gives EOF. */
static void test_exec_error_details(void) {
  child_t c;
  capture_t cap;
  uv_process_options_t o;
  uv_stdio_container_t stdio[2];
  char* args[] = { (char*) "x", NULL };
  uv_os_fd_t fd;

  memset(&c, 0, sizeof(c));
  capture_init(&loop, &cap);
  memset(&o, 0, sizeof(o));
  o.file = tpath("no-such-file");
  o.args = args;
  o.exit_cb = child_exit_cb;
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = (uv_stream_t*) &cap.pipe;
  o.stdio = stdio;
  o.stdio_count = 2;
  ASSERT_ERR(uv_spawn(&loop, &c.proc, &o), UV_ENOENT);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &c.proc), 0);
  ASSERT_EQ(uv_is_closing((uv_handle_t*) &c.proc), 0);
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &c.proc), UV_PROCESS);
  assert_no_children();

  ASSERT_OK(uv_fileno((uv_handle_t*) &cap.pipe, &fd));
  ASSERT_GE(fd, 0);
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &cap.pipe), 1);
  capture_start(&cap);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(cap.eof, 1);
  ASSERT_EQ(cap.len, 0);
  ASSERT_EQ(cap.close_calls, 1);

  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0); /* the handle keeps nothing */
  uv_close((uv_handle_t*) &c.proc, child_close_cb);
  ASSERT_EQ(uv_is_closing((uv_handle_t*) &c.proc), 1);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(c.close_calls, 1);
  ASSERT_EQ(c.exit_calls, 0);
  assert_no_children();
}

/* uv_close on the handle of a child that is still running: the close_cb
 * runs, exit_cb never does, the child lives on and nobody reaps it but us. */
static void test_close_running(void) {
  child_t c;
  uv_process_options_t o;
  self_args_t a;
  int status;
  pid_t pid;

  memset(&c, 0, sizeof(c));
  memset(&o, 0, sizeof(o));
  o.file = self_exe;
  o.args = self_argv(&a, "pause", NULL, NULL, NULL);
  o.exit_cb = child_exit_cb;
  ASSERT_OK(uv_spawn(&loop, &c.proc, &o));
  pid = c.proc.pid;
  /* Not detached: same session and process group as we are. */
  ASSERT_EQ(getsid(pid), getsid(0));
  ASSERT_EQ(getpgid(pid), getpgid(0));
  uv_close((uv_handle_t*) &c.proc, child_close_cb);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(c.close_calls, 1);
  ASSERT_EQ(c.exit_calls, 0);
  ASSERT_OK(uv_kill(pid, 0));
  ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0);
  ASSERT_OK(uv_kill(pid, SIGKILL));
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT(WIFSIGNALED(status));
  ASSERT_EQ(WTERMSIG(status), SIGKILL);
  ASSERT_EQ(c.exit_calls, 0);
  assert_no_children();
}

/* A detached child in its own session, fire-and-forget: unreferenced, the
 * loop ends; closed, the child is still there. We kill and reap it. */
static void test_detached(void) {
  uv_process_t p;
  uv_process_options_t o;
  self_args_t a;
  int closed = 0;
  int status;
  pid_t pid;

  memset(&o, 0, sizeof(o));
  o.file = self_exe;
  o.args = self_argv(&a, "linger", NULL, NULL, NULL);
  o.flags = UV_PROCESS_DETACHED;
  o.exit_cb = NULL;
  ASSERT_OK(uv_spawn(&loop, &p, &o));
  pid = p.pid;
  ASSERT_GT(pid, 0);
  ASSERT_EQ(getsid(pid), pid);
  ASSERT_EQ(getpgid(pid), pid);
  ASSERT_NE(getsid(0), pid);

  uv_unref((uv_handle_t*) &p);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &p), 1);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0); /* returns: nothing refs it */
  ASSERT_OK(uv_kill(pid, 0));

  p.data = &closed;
  uv_close((uv_handle_t*) &p, count_close_cb);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(closed, 1);
  ASSERT_OK(uv_kill(pid, 0));
  ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0); /* alive, not reaped */
  ASSERT_EQ(getsid(pid), pid);

  ASSERT_OK(uv_kill(pid, SIGKILL));
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT(WIFSIGNALED(status));
  ASSERT_EQ(WTERMSIG(status), SIGKILL);
  assert_no_children();
}

/* ids: `sh -c 'echo $(id -u) $(id -g) $(id -G)'` run with flags, uid and
 * gid, in / (so that any user can work there). */
static int spawn_ids(unsigned flags, uv_uid_t uid, uv_gid_t gid,
                     run_result_t* res) {
  uv_process_options_t o;
  char* args[] = { (char*) "sh", (char*) "-c",
                   (char*) "echo $(id -u) $(id -g) $(id -G)", NULL };
  memset(&o, 0, sizeof(o));
  o.file = "/bin/sh";
  o.args = args;
  o.cwd = "/";
  o.flags = flags;
  o.uid = uid;
  o.gid = gid;
  return spawn_run(&loop, &o, res);
}

static void test_setuid_setgid(void) {
  run_result_t res;
  char expected[64];
  uid_t me = getuid();
  gid_t mygid = getgid();

  /* Our own ids are always allowed. */
  ASSERT_OK(spawn_ids(UV_PROCESS_SETUID | UV_PROCESS_SETGID, me, mygid, &res));
  ASSERT_EQ(res.exit_status, 0);
  snprintf(expected, sizeof(expected), "%d %d ", (int) me, (int) mygid);
  ASSERT_EQ(strncmp(res.out, expected, strlen(expected)), 0);

  if (running_as_root()) {
    ASSERT_OK(spawn_ids(UV_PROCESS_SETUID | UV_PROCESS_SETGID, 65534, 65534,
                        &res));
    ASSERT_EQ(res.exit_status, 0);
    /* The supplementary groups are dropped too: only the new gid is left. */
    ASSERT_STR_EQ(res.out, "65534 65534 65534\n");

    ASSERT_OK(spawn_ids(UV_PROCESS_SETGID, 0, 65534, &res));
    ASSERT_EQ(res.exit_status, 0);
    ASSERT_STR_EQ(res.out, "0 65534 65534\n");

    ASSERT_OK(spawn_ids(UV_PROCESS_SETUID, 65534, 0, &res));
    ASSERT_EQ(res.exit_status, 0);
    ASSERT_EQ(strncmp(res.out, "65534 0", 7), 0);

    /* Without the flags, uid and gid are ignored. */
    ASSERT_OK(spawn_ids(0, 65534, 65534, &res));
    ASSERT_EQ(strncmp(res.out, "0 0", 3), 0);
  } else {
    printf("not root: skipping the switch to nobody (65534), checking that "
           "it is refused\n");
    ASSERT_NE(me, 65534);
    ASSERT_ERR(spawn_ids(UV_PROCESS_SETUID, 65534, 0, &res), UV_EPERM);
    assert_no_children();
    if (mygid != 65534) {
      ASSERT_ERR(spawn_ids(UV_PROCESS_SETGID, 0, 65534, &res), UV_EPERM);
      assert_no_children();
    }
    ASSERT_ERR(spawn_ids(UV_PROCESS_SETUID | UV_PROCESS_SETGID, 0, 0, &res),
               UV_EPERM);
    /* Without the flags, uid and gid are ignored. */
    ASSERT_OK(spawn_ids(0, 65534, 65534, &res));
    ASSERT_EQ(res.exit_status, 0);
    ASSERT_EQ(strncmp(res.out, expected, strlen(expected)), 0);
  }
  assert_no_children();
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "--child") == 0) {
    int r = child_common(argc - 2, argv + 2);
    if (r < 0) {
      fprintf(stderr, "unknown child mode %s\n", argv[2]);
      return 100;
    }
    return r;
  }

  self_exe_init();
  fs_tmp_init("spawn");
  ASSERT_OK(uv_loop_init(&loop));

  test_exit_codes();
  test_term_signals();
  test_handle_and_null_exit_cb();
  test_exit_before_return();
  test_exec_errors();
  test_exec_error_details();
  test_close_running();
  test_detached();
  test_setuid_setgid();

  close_loop(&loop);
  assert_no_children();
  fs_tmp_cleanup();
  printf("ok\n");
  return 0;
}
