/* rsuv: no-wrap: valgrind 3.19 lacks pidfd_open (syscall 434), through which fork mode watches its child */
/* RSUV_SPAWN_FORK=1: uv_spawn creates the child with fork(2), as libuv
 * does on Linux, so the program's pthread_atfork child handlers run in it
 * (uvloop runs preexec_fn from one). Without the variable rsuv spawns
 * vfork-style and runs none; libuv always forks, so this test, which sets
 * the variable before the first spawn, holds on both. */
#include "test.h"

#include <pthread.h>
#include <unistd.h>

static int marker[2];
static int exits;

static void in_child(void) {
  /* Only async-signal-safe work here: the child of a threaded program. */
  ssize_t n = write(marker[1], "c", 1);
  (void) n;
}

static void exit_cb(uv_process_t* p, int64_t status, int sig) {
  ASSERT_EQ(status, 7);
  ASSERT_EQ(sig, 0);
  exits++;
  uv_close((uv_handle_t*) p, NULL);
}

int main(void) {
  uv_loop_t* loop = uv_default_loop();
  uv_process_t proc;
  uv_process_options_t o;
  char* args[] = { "sh", "-c", "exit 7", NULL };
  char c;

  ASSERT_OK(setenv("RSUV_SPAWN_FORK", "1", 1));
  ASSERT_OK(pipe(marker));
  ASSERT_OK(pthread_atfork(NULL, NULL, in_child));

  memset(&o, 0, sizeof(o));
  o.file = "sh";
  o.args = args;
  o.exit_cb = exit_cb;
  ASSERT_OK(uv_spawn(loop, &proc, &o));
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_EQ(exits, 1);

  /* The handler ran once, in the child. */
  close(marker[1]);
  ASSERT_EQ(read(marker[0], &c, 1), 1);
  ASSERT_EQ(c, 'c');
  ASSERT_EQ(read(marker[0], &c, 1), 0);
  close(marker[0]);
  ASSERT_OK(uv_loop_close(loop));
  return 0;
}
