/* Timers: uv_timer_init/start/stop/again/set_repeat/get_repeat/get_due_in,
 * NULL callback, uv_timer_again on a never started timer, firing order for
 * equal due times, repeating timers, restarting and changing the repeat from
 * the callback, stopping/closing another due timer from a callback, huge
 * timeouts, zero timeouts, starting a closing timer. */
#include "test.h"

static int counter;
static int order[32];
static int norder;

static void record(int what) {
  ASSERT_LT(norder, 32);
  order[norder++] = what;
}

static void fail_timer_cb(uv_timer_t* t) {
  (void) t;
  TEST_FAIL_("this timer must never fire");
}

static void count_timer_cb(uv_timer_t* t) {
  (void) t;
  counter++;
}

static void record_timer_cb(uv_timer_t* t) {
  record((int) (intptr_t) t->data);
}

static void test_basics(void) {
  uv_loop_t loop;
  uv_timer_t t;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &t), 0);
  ASSERT_UEQ(uv_timer_get_repeat(&t), 0);
  ASSERT_UEQ(uv_timer_get_due_in(&t), 0);
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &t), UV_TIMER);

  /* Stopping a timer that never ran is fine, also twice. */
  ASSERT_OK(uv_timer_stop(&t));
  ASSERT_OK(uv_timer_stop(&t));

  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, 100, 0));
  ASSERT_NE(uv_is_active((uv_handle_t*) &t), 0);
  ASSERT_UEQ(uv_timer_get_due_in(&t), 100); /* uv_now() has not moved */
  ASSERT_UEQ(uv_timer_get_repeat(&t), 0);

  /* Starting an active timer just updates it. */
  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, 250, 7));
  ASSERT_UEQ(uv_timer_get_due_in(&t), 250);
  ASSERT_UEQ(uv_timer_get_repeat(&t), 7);

  ASSERT_OK(uv_timer_stop(&t));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &t), 0);
  ASSERT_OK(uv_timer_stop(&t));

  uv_timer_set_repeat(&t, 42);
  ASSERT_UEQ(uv_timer_get_repeat(&t), 42);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &t), 0); /* does not start it */
  uv_timer_set_repeat(&t, 0);
  ASSERT_UEQ(uv_timer_get_repeat(&t), 0);

  /* The stopped timer never fires. */
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);

  /* Re-targeting an active timer to an earlier time. */
  counter = 0;
  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, 3600 * 1000, 0));
  ASSERT_OK(uv_timer_start(&t, count_timer_cb, 1, 0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 1);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &t), 0);
  /* Expired: due in 0. */
  ASSERT_UEQ(uv_timer_get_due_in(&t), 0);

  close_loop(&loop);
}

static void test_errors(void) {
  uv_loop_t loop;
  uv_timer_t t;
  uv_timer_t closing;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &t));

  ASSERT_ERR(uv_timer_start(&t, NULL, 10, 0), UV_EINVAL);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &t), 0);

  /* uv_timer_again() on a timer that was never started. */
  ASSERT_ERR(uv_timer_again(&t), UV_EINVAL);
  uv_timer_set_repeat(&t, 10);
  ASSERT_ERR(uv_timer_again(&t), UV_EINVAL);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &t), 0);

  /* A closing timer cannot be started. */
  ASSERT_OK(uv_timer_init(&loop, &closing));
  uv_close((uv_handle_t*) &closing, NULL);
  ASSERT_ERR(uv_timer_start(&closing, fail_timer_cb, 0, 0), UV_EINVAL);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &closing), 0);

  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  close_loop(&loop);
}

static void test_again(void) {
  uv_loop_t loop;
  uv_timer_t t;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &t));

  /* A stopped timer with a repeat: again restarts it with the repeat value
   * as the timeout. */
  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, 1000, 0));
  ASSERT_OK(uv_timer_stop(&t));
  ASSERT_OK(uv_timer_again(&t)); /* repeat 0: nothing to restart */
  ASSERT_EQ(uv_is_active((uv_handle_t*) &t), 0);
  uv_timer_set_repeat(&t, 300);
  ASSERT_OK(uv_timer_again(&t));
  ASSERT_NE(uv_is_active((uv_handle_t*) &t), 0);
  ASSERT_UEQ(uv_timer_get_due_in(&t), 300);
  ASSERT_UEQ(uv_timer_get_repeat(&t), 300);

  /* An active repeating timer is rescheduled to now + repeat. */
  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, 5000, 400));
  ASSERT_UEQ(uv_timer_get_due_in(&t), 5000);
  ASSERT_OK(uv_timer_again(&t));
  ASSERT_UEQ(uv_timer_get_due_in(&t), 400);

  /* An active NON-repeating timer: the docs say "stop the timer", but
   * libuv's uv_timer_again (src/timer.c) only acts when repeat != 0, so the
   * timer stays active with its original due time. */
  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, 5000, 0));
  ASSERT_OK(uv_timer_again(&t));
  ASSERT_NE(uv_is_active((uv_handle_t*) &t), 0);
  ASSERT_UEQ(uv_timer_get_due_in(&t), 5000);

  /* uv_timer_again restarts with the last callback: it fires. */
  counter = 0;
  ASSERT_OK(uv_timer_start(&t, count_timer_cb, 5000, 0));
  ASSERT_OK(uv_timer_stop(&t));
  uv_timer_set_repeat(&t, 1);
  ASSERT_OK(uv_timer_again(&t));
  while (counter < 2)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_OK(uv_timer_stop(&t));

  close_loop(&loop);
}

/* Timers with the same due time fire in the order they were started; timers
 * with different due times fire in due order. */
static void test_order(void) {
  uv_loop_t loop;
  uv_timer_t t[6];
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < 6; i++) {
    ASSERT_OK(uv_timer_init(&loop, &t[i]));
    t[i].data = (void*) (intptr_t) i;
  }

  norder = 0;
  for (i = 0; i < 6; i++)
    ASSERT_OK(uv_timer_start(&t[i], record_timer_cb, 10, 0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(norder, 6);
  for (i = 0; i < 6; i++)
    ASSERT_EQ(order[i], i);

  /* Restarting a timer puts it behind the others with the same due time. */
  norder = 0;
  for (i = 0; i < 6; i++)
    ASSERT_OK(uv_timer_start(&t[i], record_timer_cb, 10, 0));
  ASSERT_OK(uv_timer_start(&t[0], record_timer_cb, 10, 0));
  ASSERT_OK(uv_timer_start(&t[3], record_timer_cb, 10, 0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(norder, 6);
  ASSERT_EQ(order[0], 1);
  ASSERT_EQ(order[1], 2);
  ASSERT_EQ(order[2], 4);
  ASSERT_EQ(order[3], 5);
  ASSERT_EQ(order[4], 0);
  ASSERT_EQ(order[5], 3);

  /* Started in reverse due order. */
  norder = 0;
  for (i = 0; i < 6; i++)
    ASSERT_OK(uv_timer_start(&t[i], record_timer_cb, (uint64_t) (6 - i) * 3,
                             0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(norder, 6);
  for (i = 0; i < 6; i++)
    ASSERT_EQ(order[i], 5 - i);

  close_loop(&loop);
}

/* ---- repeating ---- */

static uint64_t last_fire;

static void repeat_cb(uv_timer_t* t) {
  uint64_t now = uv_now(t->loop);
  if (counter > 0)
    ASSERT_UGE(now, last_fire + 5); /* rearmed relative to loop time */
  last_fire = now;
  ASSERT_NE(uv_is_active((uv_handle_t*) t), 0); /* already rearmed */
  if (++counter == 5)
    uv_close((uv_handle_t*) t, NULL);
}

static void test_repeat(void) {
  uv_loop_t loop;
  uv_timer_t t;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &t));
  counter = 0;
  ASSERT_OK(uv_timer_start(&t, repeat_cb, 1, 5));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 5);
  ASSERT_OK(uv_loop_close(&loop));
}

/* Changing the repeat inside the callback only affects the *next*
 * rescheduling: the old value was already used. */
static void change_repeat_cb(uv_timer_t* t) {
  counter++;
  if (counter == 1) {
    ASSERT_NE(uv_is_active((uv_handle_t*) t), 0);
    uv_timer_set_repeat(t, 0);
  } else {
    ASSERT_EQ(uv_is_active((uv_handle_t*) t), 0);
  }
}

/* A single-shot timer is already stopped in its callback: setting a repeat
 * there does not restart it. */
static void set_repeat_single_cb(uv_timer_t* t) {
  counter++;
  ASSERT_EQ(uv_is_active((uv_handle_t*) t), 0);
  uv_timer_set_repeat(t, 1);
  ASSERT_EQ(uv_is_active((uv_handle_t*) t), 0);
}

static void restart_cb(uv_timer_t* t) {
  if (++counter < 3)
    ASSERT_OK(uv_timer_start(t, restart_cb, 1, 0));
}

static void test_change_in_callback(void) {
  uv_loop_t loop;
  uv_timer_t t;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &t));

  counter = 0;
  ASSERT_OK(uv_timer_start(&t, change_repeat_cb, 1, 2));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 2);

  counter = 0;
  ASSERT_OK(uv_timer_start(&t, set_repeat_single_cb, 1, 0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 1);
  ASSERT_UEQ(uv_timer_get_repeat(&t), 1);

  counter = 0;
  ASSERT_OK(uv_timer_start(&t, restart_cb, 1, 0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 3);

  close_loop(&loop);
}

/* ---- stopping / closing another due timer from a callback ----
 * libuv 1.52 (src/timer.c uv__run_timers) first moves every due timer to a
 * ready queue, stopping each, then runs them; uv_timer_stop() on a timer in
 * that queue unlinks it, so it does NOT fire. libuv 1.44 popped the heap one
 * timer at a time, with the same visible result. */
static uv_timer_t victim;
static uv_timer_t victim2;

static void killer_cb(uv_timer_t* t) {
  (void) t;
  record(1);
  ASSERT_OK(uv_timer_stop(&victim));
  uv_close((uv_handle_t*) &victim2, NULL);
}

static void test_stop_other(void) {
  uv_loop_t loop;
  uv_timer_t killer;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &killer));
  ASSERT_OK(uv_timer_init(&loop, &victim));
  ASSERT_OK(uv_timer_init(&loop, &victim2));
  /* All three are due at the same time; killer runs first (start order). */
  ASSERT_OK(uv_timer_start(&killer, killer_cb, 5, 0));
  ASSERT_OK(uv_timer_start(&victim, fail_timer_cb, 5, 0));
  ASSERT_OK(uv_timer_start(&victim2, fail_timer_cb, 5, 0));
  norder = 0;
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(norder, 1);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &victim), 0);

  /* The stopped victim can be started again and then fires. */
  counter = 0;
  ASSERT_OK(uv_timer_start(&victim, count_timer_cb, 0, 0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 1);
  close_loop(&loop);
}

/* ---- extreme timeouts ---- */

static void test_huge_and_zero(void) {
  uv_loop_t loop;
  uv_timer_t t;
  uv_timer_t z;
  uint64_t now;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &t));
  now = uv_now(&loop);

  /* now + UINT64_MAX would wrap around: libuv clamps it to UINT64_MAX. */
  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, UINT64_MAX, 0));
  ASSERT_UEQ(uv_timer_get_due_in(&t), UINT64_MAX - now);
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_NE(uv_is_active((uv_handle_t*) &t), 0);
  ASSERT_EQ(uv_backend_timeout(&loop), 0x7fffffff); /* clamped to INT_MAX */

  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, UINT64_MAX - 1, UINT64_MAX));
  ASSERT_UEQ(uv_timer_get_repeat(&t), UINT64_MAX);
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);

  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, (uint64_t) INT64_MAX + 5, 0));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);

  /* A zero timeout fires in the next uv_run() iteration, even with the huge
   * timer pending. */
  counter = 0;
  ASSERT_OK(uv_timer_init(&loop, &z));
  ASSERT_OK(uv_timer_start(&z, count_timer_cb, 0, 0));
  ASSERT_EQ(counter, 0); /* not synchronously */
  ASSERT_UEQ(uv_timer_get_due_in(&z), 0);
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(counter, 1);

  ASSERT_OK(uv_timer_stop(&t));
  close_loop(&loop);
}

int main(void) {
  test_basics();
  test_errors();
  test_again();
  test_order();
  test_repeat();
  test_change_in_callback();
  test_stop_other();
  test_huge_and_zero();
  printf("test-timer: ok\n");
  return 0;
}
