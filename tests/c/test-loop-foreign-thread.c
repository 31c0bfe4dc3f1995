/* Another thread starts an idle handle and a timer on a loop that is
 * blocked in uv_run, then wakes it with uv_async_send. libuv's API is not
 * thread-safe, but it tolerates this and uvloop relies on it (call_soon
 * from another thread): the calls succeed and the idle callback runs.
 * rsuv once refused them (UV_EINVAL), its engine being borrowed while the
 * loop waited in epoll_wait. */
#include "test.h"

#include <unistd.h>

static uv_async_t wake;
static uv_idle_t idle;
static uv_timer_t timer;
static int idle_rc = 99, timer_rc = 99, idle_runs, timer_runs;

static void idle_cb(uv_idle_t* h) {
  idle_runs++;
  uv_idle_stop(h);
}

static void timer_cb(uv_timer_t* t) {
  (void) t;
  timer_runs++;
}

static void wake_cb(uv_async_t* a) {
  (void) a;
  uv_close((uv_handle_t*) &wake, NULL);
}

static void other_thread(void* arg) {
  (void) arg;
  usleep(50 * 1000); /* most likely the loop is blocked by now */
  idle_rc = uv_idle_start(&idle, idle_cb);
  timer_rc = uv_timer_start(&timer, timer_cb, 1, 0);
  ASSERT_OK(uv_async_send(&wake));
}

int main(void) {
  uv_loop_t* loop = uv_default_loop();
  uv_thread_t t;

  ASSERT_OK(uv_async_init(loop, &wake, wake_cb));
  ASSERT_OK(uv_idle_init(loop, &idle));
  ASSERT_OK(uv_timer_init(loop, &timer));
  ASSERT_OK(uv_thread_create(&t, other_thread, NULL));
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_thread_join(&t));

  ASSERT_EQ(idle_rc, 0);
  ASSERT_EQ(timer_rc, 0);
  ASSERT_EQ(idle_runs, 1);
  ASSERT_EQ(timer_runs, 1);
  uv_close((uv_handle_t*) &idle, NULL);
  uv_close((uv_handle_t*) &timer, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(loop));
  return 0;
}
