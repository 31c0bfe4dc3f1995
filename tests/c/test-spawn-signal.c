/* Signals and children: uv_process_kill / uv_kill (signal 0 as a liveness
 * probe, invalid signal numbers, a process that has exited and been reaped,
 * a pid that does not exist); the child starts with default dispositions
 * and an empty signal mask whatever ours are; our own uv_signal_t on
 * SIGCHLD sees the children's exits and does not stop exit_cb; a child we
 * fork() ourselves is left for us to reap and does not disturb a spawned
 * one; two loops on two threads spawning at the same time each reap only
 * their own children. */
#include "spawn-helpers.h"

static uv_loop_t loop;

/* ================= the child's signal state ================= */

/* The signals whose handlers the child's own ASan runtime installs when it
 * starts (the child is this program, built with -fsanitize=address). */
static int asan_takes(int n) {
  return strcmp(under_checker(), "asan") == 0 &&
         (n == SIGSEGV || n == SIGBUS || n == SIGFPE);
}

/* sigstate: exits 0 if every signal 1-31 but SIGKILL/SIGSTOP has the
 * default disposition and none is blocked; else 1 + the first bad one. */
static int child_sigstate(void) {
  sigset_t mask;
  int n;
  if (sigprocmask(SIG_BLOCK, NULL, &mask) != 0)
    return 100;
  for (n = 1; n < 32; n++) {
    struct sigaction sa;
    if (n == SIGKILL || n == SIGSTOP)
      continue;
    if (sigaction(n, NULL, &sa) != 0 ||
        (sa.sa_handler != SIG_DFL && !asan_takes(n)))
      return 1 + n;
    if (sigismember(&mask, n))
      return 1 + n;
  }
  return 0;
}

static void on_sigusr1(int sig) {
  (void) sig;
}

static void test_child_signal_state(void) {
  sigset_t block, old_mask;
  struct sigaction ign, handler, old_int, old_pipe, old_usr1;
  self_args_t a;
  run_result_t res;

  memset(&ign, 0, sizeof(ign));
  ign.sa_handler = SIG_IGN;
  memset(&handler, 0, sizeof(handler));
  handler.sa_handler = on_sigusr1;
  ASSERT_OK(sigaction(SIGINT, &ign, &old_int));
  ASSERT_OK(sigaction(SIGPIPE, &ign, &old_pipe));
  ASSERT_OK(sigaction(SIGUSR1, &handler, &old_usr1));
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGHUP);
  ASSERT_OK(pthread_sigmask(SIG_BLOCK, &block, &old_mask));

  ASSERT_OK(spawn_args(&loop, self_exe,
                       self_argv(&a, "sigstate", NULL, NULL, NULL), &res));
  ASSERT_EQ(res.term_signal, 0);
  ASSERT_EQ(res.exit_status, 0);

  /* SIGTERM is blocked here, not in the child. */
  {
    child_t c;
    uv_process_options_t o;
    memset(&c, 0, sizeof(c));
    memset(&o, 0, sizeof(o));
    o.file = self_exe;
    o.args = self_argv(&a, "pause", NULL, NULL, NULL);
    o.exit_cb = child_exit_cb;
    ASSERT_OK(uv_spawn(&loop, &c.proc, &o));
    ASSERT_OK(uv_process_kill(&c.proc, SIGTERM));
    ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ASSERT_EQ(c.exit_calls, 1);
    ASSERT_EQ(c.term_signal, SIGTERM);
  }

  ASSERT_OK(pthread_sigmask(SIG_SETMASK, &old_mask, NULL));
  ASSERT_OK(sigaction(SIGINT, &old_int, NULL));
  ASSERT_OK(sigaction(SIGPIPE, &old_pipe, NULL));
  ASSERT_OK(sigaction(SIGUSR1, &old_usr1, NULL));
}

/* ================= kill ================= */

static int kill_checked;

/* The child has been reaped by the time exit_cb runs: its pid is gone. */
static void kill_exit_cb(uv_process_t* p, int64_t status, int sig) {
  ASSERT_ERR(uv_process_kill(p, SIGTERM), UV_ESRCH);
  ASSERT_ERR(uv_process_kill(p, 0), UV_ESRCH);
  ASSERT_ERR(uv_kill(p->pid, 0), UV_ESRCH);
  kill_checked++;
  child_exit_cb(p, status, sig);
}

static void kill_with(int signum, int use_handle) {
  child_t c;
  uv_process_options_t o;
  self_args_t a;
  int pid;

  memset(&c, 0, sizeof(c));
  memset(&o, 0, sizeof(o));
  o.file = self_exe;
  o.args = self_argv(&a, "pause", NULL, NULL, NULL);
  o.exit_cb = kill_exit_cb;
  ASSERT_OK(uv_spawn(&loop, &c.proc, &o));
  pid = uv_process_get_pid(&c.proc);

  /* Signal 0: checks only. */
  ASSERT_OK(uv_kill(pid, 0));
  ASSERT_OK(uv_process_kill(&c.proc, 0));
  ASSERT_ERR(uv_process_kill(&c.proc, -1), UV_EINVAL);
  ASSERT_ERR(uv_process_kill(&c.proc, 1000), UV_EINVAL);
  ASSERT_ERR(uv_kill(pid, 65), UV_EINVAL);
  ASSERT_ERR(uv_kill(pid, -5), UV_EINVAL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 1); /* still running */
  ASSERT_EQ(c.exit_calls, 0);

  kill_checked = 0;
  if (use_handle)
    ASSERT_OK(uv_process_kill(&c.proc, signum));
  else
    ASSERT_OK(uv_kill(pid, signum));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(kill_checked, 1);
  ASSERT_EQ(c.exit_calls, 1);
  ASSERT_EQ(c.close_calls, 1);
  ASSERT_EQ(c.exit_status, 0);
  ASSERT_EQ(c.term_signal, signum);
}

static void test_kill(void) {
  kill_with(SIGTERM, 1);
  kill_with(SIGKILL, 1);
  kill_with(SIGUSR1, 0);
  kill_with(SIGTERM, 0);
  /* A pid above any pid_max: no such process. */
  ASSERT_ERR(uv_kill(0x7ffffff0, 0), UV_ESRCH);
  ASSERT_ERR(uv_kill(0x7ffffff0, SIGTERM), UV_ESRCH);
  assert_no_children();
}

/* ================= our own SIGCHLD handle ================= */

static uv_signal_t chld;
static child_t chld_kid;
static int chld_calls;

static void chld_maybe_done(void) {
  if (chld_calls > 0 && chld_kid.exit_calls == 1 &&
      !uv_is_closing((uv_handle_t*) &chld))
    uv_close((uv_handle_t*) &chld, NULL);
}

static void chld_cb(uv_signal_t* h, int signum) {
  ASSERT_PTR_EQ(h, &chld);
  ASSERT_EQ(signum, SIGCHLD);
  chld_calls++;
  chld_maybe_done();
}

static void chld_exit_cb(uv_process_t* p, int64_t status, int sig) {
  child_exit_cb(p, status, sig);
  chld_maybe_done();
}

static void spawn_chld_kid(const char* mode, const char* arg) {
  uv_process_options_t o;
  self_args_t a;
  memset(&chld_kid, 0, sizeof(chld_kid));
  memset(&o, 0, sizeof(o));
  o.file = self_exe;
  o.args = self_argv(&a, mode, arg, NULL, NULL);
  o.exit_cb = chld_exit_cb;
  ASSERT_OK(uv_spawn(&loop, &chld_kid.proc, &o));
}

static void test_own_sigchld_handle(void) {
  run_result_t res;
  self_args_t a;

  /* Started before the spawn. */
  chld_calls = 0;
  ASSERT_OK(uv_signal_init(&loop, &chld));
  ASSERT_OK(uv_signal_start(&chld, chld_cb, SIGCHLD));
  spawn_chld_kid("exit", "7");
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_GE(chld_calls, 1);
  ASSERT_EQ(chld_kid.exit_calls, 1);
  ASSERT_EQ(chld_kid.exit_status, 7);

  /* Started after it (and before it exits: we kill it then). */
  chld_calls = 0;
  spawn_chld_kid("pause", NULL);
  ASSERT_OK(uv_signal_init(&loop, &chld));
  ASSERT_OK(uv_signal_start(&chld, chld_cb, SIGCHLD));
  ASSERT_OK(uv_process_kill(&chld_kid.proc, SIGTERM));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_GE(chld_calls, 1);
  ASSERT_EQ(chld_kid.exit_calls, 1);
  ASSERT_EQ(chld_kid.term_signal, SIGTERM);

  /* Ours gone, children are still reaped. */
  ASSERT_OK(spawn_args(&loop, self_exe, self_argv(&a, "exit", "9", NULL, NULL),
                       &res));
  ASSERT_EQ(res.exit_status, 9);
  assert_no_children();
}

/* ================= a child that is not libuv's ================= */

static void test_foreign_child(void) {
  child_t c;
  uv_process_options_t o;
  self_args_t a;
  int status;
  pid_t raw;

  memset(&c, 0, sizeof(c));
  memset(&o, 0, sizeof(o));
  o.file = self_exe;
  o.args = self_argv(&a, "pause", NULL, NULL, NULL);
  o.exit_cb = child_exit_cb;
  ASSERT_OK(uv_spawn(&loop, &c.proc, &o));

  chld_calls = 0;
  memset(&chld_kid, 0, sizeof(chld_kid)); /* chld_cb must not close chld */
  ASSERT_OK(uv_signal_init(&loop, &chld));
  ASSERT_OK(uv_signal_start(&chld, chld_cb, SIGCHLD));
  fflush(stdout);
  fflush(stderr);
  raw = fork();
  ASSERT_GE(raw, 0);
  if (raw == 0)
    _exit(33);
  /* Until its SIGCHLD has gone through the loop. */
  while (chld_calls == 0)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  uv_close((uv_handle_t*) &chld, NULL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 1);

  /* libuv left it to us, and the spawned child is unaffected. */
  ASSERT_EQ(waitpid(raw, &status, 0), raw);
  ASSERT(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 33);
  ASSERT_EQ(c.exit_calls, 0);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &c.proc), 1);
  ASSERT_OK(uv_process_kill(&c.proc, 0));

  ASSERT_OK(uv_process_kill(&c.proc, SIGTERM));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(c.exit_calls, 1);
  ASSERT_EQ(c.term_signal, SIGTERM);
  assert_no_children();
}

/* ================= two loops, two threads ================= */

#define NTHREADS 3
#define PER_THREAD 20

typedef struct {
  uv_loop_t loop; /* first: a loop* is a worker_t* */
  uv_thread_t thread;
  child_t kids[PER_THREAD];
  int base;
  int exits;
} worker_t;

static worker_t workers[NTHREADS];
static uv_barrier_t start_line;

static void worker_exit_cb(uv_process_t* p, int64_t status, int sig) {
  worker_t* w = (worker_t*) p->loop;
  child_t* c = (child_t*) p;
  int i = (int) (c - w->kids);
  uv_thread_t self = uv_thread_self();
  ASSERT(w >= workers && w < workers + NTHREADS);
  ASSERT(i >= 0 && i < PER_THREAD); /* one of this loop's own */
  ASSERT(uv_thread_equal(&self, &w->thread));
  ASSERT_EQ(status, w->base + i);
  ASSERT_EQ(sig, 0);
  w->exits++;
  child_exit_cb(p, status, sig);
}

static void worker_main(void* arg) {
  worker_t* w = arg;
  uv_process_options_t o;
  self_args_t a;
  char num[16];
  int i;

  ASSERT_OK(uv_loop_init(&w->loop));
  uv_barrier_wait(&start_line);
  for (i = 0; i < PER_THREAD; i++) {
    snprintf(num, sizeof(num), "%d", w->base + i);
    memset(&o, 0, sizeof(o));
    o.file = self_exe;
    o.args = self_argv(&a, "exit", num, NULL, NULL);
    o.exit_cb = worker_exit_cb;
    ASSERT_OK(uv_spawn(&w->loop, &w->kids[i].proc, &o));
  }
  ASSERT_EQ(uv_run(&w->loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(w->exits, PER_THREAD);
  for (i = 0; i < PER_THREAD; i++) {
    ASSERT_EQ(w->kids[i].exit_calls, 1);
    ASSERT_EQ(w->kids[i].close_calls, 1);
  }
  close_loop(&w->loop);
}

static void test_two_loops_two_threads(void) {
  int i;
  ASSERT_OK(uv_barrier_init(&start_line, NTHREADS));
  for (i = 0; i < NTHREADS; i++) {
    memset(&workers[i], 0, sizeof(workers[i]));
    workers[i].base = 10 + 30 * i;
    ASSERT_OK(uv_thread_create(&workers[i].thread, worker_main, &workers[i]));
  }
  for (i = 0; i < NTHREADS; i++)
    ASSERT_OK(uv_thread_join(&workers[i].thread));
  uv_barrier_destroy(&start_line);
  assert_no_children();
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "--child") == 0) {
    int r;
    if (strcmp(argv[2], "sigstate") == 0)
      return child_sigstate();
    r = child_common(argc - 2, argv + 2);
    if (r < 0) {
      fprintf(stderr, "unknown child mode %s\n", argv[2]);
      return 100;
    }
    return r;
  }

  self_exe_init();
  ASSERT_OK(uv_loop_init(&loop));
  test_child_signal_state();
  test_kill();
  test_own_sigchld_handle();
  test_foreign_child();
  test_two_loops_two_threads();
  close_loop(&loop);
  assert_no_children();
  printf("ok\n");
  return 0;
}
