/* Load: 1,000 short-lived children, spawned in bursts of 100 on one loop,
 * so their exits and SIGCHLDs arrive in storms. Each exits with its own
 * status (or, one in seven, is killed by a signal), and every exit_cb runs
 * exactly once with that status. Meanwhile a uv_signal_t watches SIGCHLD,
 * and each burst also fork()s children of our own, which we reap ourselves
 * with waitpid: the loop must neither take them nor lose its own. At the
 * end no child is left unreaped, and the descriptor count and resident
 * memory are back where they started. A tenth of it under a memory
 * checker. */
#include "spawn-helpers.h"

#include <dirent.h>

#define BURST 100
#define OWN_PER_BURST 5

static int TOTAL = 1000;

static uv_loop_t loop;
static child_t* kids;
static int spawned, exits_seen, closes_seen, sigchld_seen;
static uv_signal_t sigchld;
static uv_timer_t next_burst;

static int killed_by(int i) {
  static const int sigs[] = {SIGTERM, SIGKILL, SIGUSR1, SIGHUP};
  return i % 7 == 3 ? sigs[(i / 7) % 4] : 0;
}

static void kid_close_cb(uv_handle_t* h) {
  (void) h;
  closes_seen++;
}

static void kid_exit_cb(uv_process_t* p, int64_t status, int sig) {
  child_t* c = (child_t*) p;
  int i = (int) (c - kids);
  ASSERT(i >= 0 && i < spawned);
  ASSERT_EQ(c->exit_calls, 0);
  c->exit_calls++;
  if (killed_by(i) != 0) {
    ASSERT_EQ(sig, killed_by(i));
  } else {
    ASSERT_EQ(sig, 0);
    ASSERT_EQ(status, i % 200);
  }
  exits_seen++;
  uv_close((uv_handle_t*) p, kid_close_cb);
  if (exits_seen == TOTAL) {
    uv_close((uv_handle_t*) &sigchld, NULL);
    uv_close((uv_handle_t*) &next_burst, NULL);
  }
}

static void on_sigchld(uv_signal_t* h, int signum) {
  (void) h;
  ASSERT_EQ(signum, SIGCHLD);
  sigchld_seen++;
}

/* Children of our own, not libuv's: forked, exiting at once, reaped here. */
static void fork_own(void) {
  pid_t pids[OWN_PER_BURST];
  int i, status;
  for (i = 0; i < OWN_PER_BURST; i++) {
    pids[i] = fork();
    ASSERT_GE(pids[i], 0);
    if (pids[i] == 0)
      _exit(42);
  }
  for (i = 0; i < OWN_PER_BURST; i++) {
    ASSERT_EQ(waitpid(pids[i], &status, 0), pids[i]);
    ASSERT(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 42);
  }
}

static void burst(uv_timer_t* t) {
  int k;
  (void) t;
  for (k = 0; k < BURST && spawned < TOTAL; k++) {
    int i = spawned;
    char code[16], sig[16];
    self_args_t a;
    uv_process_options_t o;
    memset(&o, 0, sizeof(o));
    snprintf(code, sizeof(code), "%d", i % 200);
    snprintf(sig, sizeof(sig), "%d", killed_by(i));
    o.file = self_exe;
    o.args = killed_by(i) != 0 ? self_argv(&a, "raise", sig, NULL, NULL)
                               : self_argv(&a, "exit", code, NULL, NULL);
    o.exit_cb = kid_exit_cb;
    ASSERT_OK(uv_spawn(&loop, &kids[i].proc, &o));
    spawned++;
  }
  fork_own();
}

int main(int argc, char** argv) {
  long fds_before, rss_before;
  int status;

  if (argc >= 3 && strcmp(argv[1], "--child") == 0)
    return child_common(argc - 2, argv + 2);
  self_exe_init();
  if (strcmp(under_checker(), "") != 0)
    TOTAL /= 10;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_loop_close(&loop));
  fds_before = fd_count();
  rss_before = rss_kib();

  kids = calloc((size_t) TOTAL, sizeof(*kids));
  ASSERT_NOT_NULL(kids);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_signal_init(&loop, &sigchld));
  ASSERT_OK(uv_signal_start(&sigchld, on_sigchld, SIGCHLD));
  ASSERT_OK(uv_timer_init(&loop, &next_burst));
  /* A burst every 20 ms, while the previous one's exits still arrive. */
  ASSERT_OK(uv_timer_start(&next_burst, burst, 0, 20));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_EQ(spawned, TOTAL);
  ASSERT_EQ(exits_seen, TOTAL);
  ASSERT_EQ(closes_seen, TOTAL);
  ASSERT_GT(sigchld_seen, 0);
  ASSERT_EQ(waitpid(-1, &status, WNOHANG), -1); /* nothing left to reap */
  ASSERT_EQ(errno, ECHILD);
  ASSERT_OK(uv_loop_close(&loop));
  free(kids);

  ASSERT_EQ(fd_count(), fds_before);
  (void) expect_rss_back(rss_before, 8 * 1024);
  printf("ok: %d children in bursts of %d, %d SIGCHLD callbacks\n", TOTAL,
         BURST, sigchld_seen);
  return 0;
}
