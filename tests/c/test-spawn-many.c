/* Many children at once on one loop: 100 spawned back to back, exiting with
 * different statuses or killed by different signals, then 100 that wait on
 * their stdin pipes until we close all the pipes in one go (so that they
 * exit together and their SIGCHLDs coalesce). Every exit_cb runs exactly
 * once, for its own handle, with its own status; afterwards no child is
 * left unreaped. */
#include "spawn-helpers.h"

#define N 100

static uv_loop_t loop;
static child_t kids[N];
static int64_t want_status[N];
static int want_signal[N];
static int exits_seen;

static void many_exit_cb(uv_process_t* p, int64_t status, int sig) {
  child_t* c = (child_t*) p;
  int i = (int) (c - kids);
  ASSERT(i >= 0 && i < N);
  ASSERT_EQ(c->exit_calls, 0);
  ASSERT_EQ(status, want_status[i]);
  ASSERT_EQ(sig, want_signal[i]);
  exits_seen++;
  child_exit_cb(p, status, sig);
}

static void check_all(void) {
  int i;
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(exits_seen, N);
  for (i = 0; i < N; i++) {
    ASSERT_EQ(kids[i].exit_calls, 1);
    ASSERT_EQ(kids[i].close_calls, 1);
  }
  assert_no_children();
}

static void test_back_to_back(void) {
  static const int sigs[] = { SIGTERM, SIGKILL, SIGUSR2, SIGHUP };
  uv_process_options_t o;
  self_args_t a;
  char num[16];
  char script[32];
  char* sh_args[] = { (char*) "sh", (char*) "-c", script, NULL };
  int i;

  memset(kids, 0, sizeof(kids));
  exits_seen = 0;
  for (i = 0; i < N; i++) {
    memset(&o, 0, sizeof(o));
    o.exit_cb = many_exit_cb;
    if (i % 5 == 4) {
      want_status[i] = 0;
      want_signal[i] = sigs[(i / 5) % 4];
      snprintf(num, sizeof(num), "%d", want_signal[i]);
      o.file = self_exe;
      o.args = self_argv(&a, "raise", num, NULL, NULL);
    } else if (i % 5 == 3) {
      want_status[i] = 200 + i % 50;
      want_signal[i] = 0;
      snprintf(script, sizeof(script), "exit %d", (int) want_status[i]);
      o.file = "/bin/sh";
      o.args = sh_args;
    } else {
      want_status[i] = i;
      want_signal[i] = 0;
      snprintf(num, sizeof(num), "%d", i);
      o.file = self_exe;
      o.args = self_argv(&a, "exit", num, NULL, NULL);
    }
    ASSERT_OK(uv_spawn(&loop, &kids[i].proc, &o));
    ASSERT_GT(kids[i].proc.pid, 0);
  }
  check_all();
}

static uv_pipe_t stdin_pipes[N];

static void test_exit_together(void) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[3];
  self_args_t a;
  char num[16];
  int i;

  memset(kids, 0, sizeof(kids));
  exits_seen = 0;
  for (i = 0; i < N; i++) {
    want_status[i] = (i * 7) % 256;
    want_signal[i] = 0;
    snprintf(num, sizeof(num), "%d", (int) want_status[i]);
    ASSERT_OK(uv_pipe_init(&loop, &stdin_pipes[i], 0));
    stdio[0].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_READABLE_PIPE);
    stdio[0].data.stream = (uv_stream_t*) &stdin_pipes[i];
    stdio[1].flags = UV_IGNORE;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = 2;
    memset(&o, 0, sizeof(o));
    o.exit_cb = many_exit_cb;
    o.file = self_exe;
    o.args = self_argv(&a, "wait-eof", num, NULL, NULL);
    o.stdio = stdio;
    o.stdio_count = 3;
    ASSERT_OK(uv_spawn(&loop, &kids[i].proc, &o));
  }
  /* Nobody has exited: they are all blocked reading. */
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 1);
  ASSERT_EQ(exits_seen, 0);
  for (i = 0; i < N; i++)
    uv_close((uv_handle_t*) &stdin_pipes[i], NULL);
  check_all();
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "--child") == 0) {
    int r;
    if (strcmp(argv[2], "wait-eof") == 0 && argc >= 4) {
      char buf[64];
      child_deadline(20);
      while (read(0, buf, sizeof(buf)) > 0)
        ;
      return atoi(argv[3]);
    }
    r = child_common(argc - 2, argv + 2);
    if (r < 0) {
      fprintf(stderr, "unknown child mode %s\n", argv[2]);
      return 100;
    }
    return r;
  }

  self_exe_init();
  ASSERT_OK(uv_loop_init(&loop));
  test_back_to_back();
  test_exit_together();
  close_loop(&loop);
  printf("ok\n");
  return 0;
}
