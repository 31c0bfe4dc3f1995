/* The loop's public counters (active_handles, active_reqs.count) and
 * stop_flag: kept current by the library, and honoured when the program
 * changes them, as libuv's own test suite does. */
#include "test.h"

static uv_loop_t loop;
static unsigned seen_in_cb;

static void timer_cb(uv_timer_t* t) {
  /* A one-shot timer is no longer active while its callback runs. */
  seen_in_cb = t->loop->active_handles;
}

static void work_cb(uv_work_t* req) { (void) req; }

static void after_work_cb(uv_work_t* req, int status) {
  ASSERT_OK(status);
  ASSERT_UEQ(req->loop->active_reqs.count, 0);
}

static void stop_cb(uv_idle_t* idle) {
  uv_stop(idle->loop);
  ASSERT_UEQ(idle->loop->stop_flag, 1);
}

int main(void) {
  uv_timer_t keep, once;
  uv_idle_t idle;
  uv_work_t work;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_UEQ(loop.active_handles, 0);

  /* A caller-raised count keeps the loop alive; lowering it again ends that. */
  loop.active_handles++;
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 1);
  ASSERT_EQ(uv_loop_alive(&loop), 1);
  loop.active_handles--;
  ASSERT_OK(uv_loop_alive(&loop));
  ASSERT_OK(uv_run(&loop, UV_RUN_NOWAIT));

  ASSERT_OK(uv_timer_init(&loop, &keep));
  ASSERT_OK(uv_timer_init(&loop, &once));
  ASSERT_UEQ(loop.active_handles, 0);
  ASSERT_OK(uv_timer_start(&keep, timer_cb, 100000, 0));
  ASSERT_UEQ(loop.active_handles, 1);
  ASSERT_OK(uv_timer_start(&once, timer_cb, 0, 0));
  ASSERT_UEQ(loop.active_handles, 2);
  uv_unref((uv_handle_t*) &keep);
  ASSERT_UEQ(loop.active_handles, 1);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_UEQ(seen_in_cb, 0);
  ASSERT_UEQ(loop.active_handles, 0);

  ASSERT_OK(uv_queue_work(&loop, &work, work_cb, after_work_cb));
  ASSERT_UEQ(loop.active_reqs.count, 1);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_UEQ(loop.active_reqs.count, 0);

  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, stop_cb));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 1);
  ASSERT_UEQ(loop.stop_flag, 0); /* cleared when uv_run returns */

  close_loop(&loop);
  return 0;
}
