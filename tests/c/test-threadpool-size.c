/* Thread pool size: UV_THREADPOOL_SIZE (read at the first use of the pool)
 * is respected: exactly N jobs run at once. Also checks "0" (means 1), a
 * value above the default of 4 and values that are not plain numbers
 * (parsed like atoi), each in a fresh process (the program re-executes
 * itself, since the pool size is fixed once the pool started). */
#include "test.h"

#include <sys/wait.h>
#include <unistd.h>

static uv_mutex_t mtx;
static uv_cond_t cond;
static int started;
static int running;
static int max_running;
static int released;
static int after_count;

#define SECOND ((uint64_t) 1000000000)

static void blocking_work_cb(uv_work_t* req) {
  uint64_t deadline = uv_hrtime() + 10 * SECOND;
  (void) req;
  uv_mutex_lock(&mtx);
  started++;
  running++;
  if (running > max_running)
    max_running = running;
  uv_cond_broadcast(&cond);
  while (!released) {
    if (uv_hrtime() > deadline)
      TEST_FAIL_("blocking job was never released");
    uv_cond_timedwait(&cond, &mtx, 100 * 1000000);
  }
  running--;
  uv_mutex_unlock(&mtx);
}

static void after_cb(uv_work_t* req, int status) {
  (void) req;
  ASSERT_EQ(status, 0);
  after_count++;
}

/* Queues more blocking jobs than `expected` pool threads and checks that
 * exactly `expected` of them run at the same time. */
static void check_pool_size(int expected) {
  uv_loop_t loop;
  uv_work_t reqs[16];
  uint64_t deadline;
  int njobs = expected + 3;
  int i;

  ASSERT_LE(njobs, 16);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_mutex_init(&mtx));
  ASSERT_OK(uv_cond_init(&cond));

  for (i = 0; i < njobs; i++)
    ASSERT_OK(uv_queue_work(&loop, &reqs[i], blocking_work_cb, after_cb));

  /* Wait (bounded) until `expected` jobs are running... */
  deadline = uv_hrtime() + 10 * SECOND;
  uv_mutex_lock(&mtx);
  while (started < expected) {
    if (uv_hrtime() > deadline)
      TEST_FAIL_("only %d jobs started, expected a pool of %d", started,
                 expected);
    uv_cond_timedwait(&cond, &mtx, 100 * 1000000);
  }
  uv_mutex_unlock(&mtx);
  /* ...and give a (wrongly) bigger pool a chance to start more. */
  uv_sleep(100);
  uv_mutex_lock(&mtx);
  ASSERT_EQ(started, expected);
  ASSERT_EQ(running, expected);
  released = 1;
  uv_cond_broadcast(&cond);
  uv_mutex_unlock(&mtx);

  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(after_count, njobs);
  ASSERT_EQ(started, njobs);
  ASSERT_EQ(max_running, expected);
  uv_cond_destroy(&cond);
  uv_mutex_destroy(&mtx);
  close_loop(&loop);
}

/* Runs this program again with UV_THREADPOOL_SIZE=value, expecting a pool
 * of `expected` threads. */
static const char* self_path = "/proc/self/exe";

static void run_child(const char* value, int expected) {
  char arg[16];
  pid_t pid;
  int status;

  snprintf(arg, sizeof(arg), "%d", expected);
  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("UV_THREADPOOL_SIZE", value, 1);
    execl(self_path, self_path, "child", arg, (char*) NULL);
    perror("execl");
    _exit(127);
  }
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    TEST_FAIL_("child with UV_THREADPOOL_SIZE=%s failed (status 0x%x)", value,
               status);
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "child") == 0) {
    check_pool_size(atoi(argv[2]));
    printf("child pool of %s: ok\n", argv[2]);
    return 0;
  }

  /* argv[0] rather than /proc/self/exe works under valgrind too. */
  if (strchr(argv[0], '/') != NULL)
    self_path = argv[0];

  /* Children first, before this process starts any libuv thread. */
  run_child("0", 1);   /* 0 means 1 */
  run_child("1", 1);
  run_child("6", 6);   /* more than the default of 4 */
  /* libuv parses the value with atoi(): junk counts as 0 (so 1 thread) and
   * trailing junk is ignored. */
  run_child("abc", 1);
  run_child("2x", 2);

  setenv("UV_THREADPOOL_SIZE", "3", 1);
  check_pool_size(3);
  printf("test-threadpool-size: ok\n");
  return 0;
}
