/* rsuv: ours-only: libuv 1.45 moved timers to the end of the loop iteration; uv_metrics_info is 1.45+, UV_LOOP_USE_IO_URING_SQPOLL 1.49+ */
/* Event loop behaviour of libuv >= 1.45 (see src/unix/core.c uv_run in
 * 1.52): in every iteration timers run last (after check and close
 * callbacks); UV_RUN_DEFAULT additionally runs due timers once before the
 * first iteration; a timer (re)started from a timer callback with timeout 0
 * fires in the next iteration, not in the same pass (src/timer.c
 * uv__run_timers collects the due timers first). Also uv_metrics_info and
 * the UV_LOOP_USE_IO_URING_SQPOLL option. */
#include "test.h"

#include <poll.h>

static int order[64];
static int norder;

static void record(int what) {
  ASSERT_LT(norder, 64);
  order[norder++] = what;
}

enum { TIMER = 1, IDLE, PREPARE, CHECK, CLOSE };

static uv_timer_t closing_timer;

static void rec_timer_cb(uv_timer_t* t) {
  (void) t;
  record(TIMER);
}

static void rec_close_cb(uv_handle_t* h) {
  (void) h;
  record(CLOSE);
}

static void rec_idle_cb(uv_idle_t* h) {
  record(IDLE);
  ASSERT_OK(uv_idle_stop(h));
  if (!uv_is_closing((uv_handle_t*) &closing_timer))
    uv_close((uv_handle_t*) &closing_timer, rec_close_cb);
}

static void rec_prepare_cb(uv_prepare_t* h) {
  record(PREPARE);
  ASSERT_OK(uv_prepare_stop(h));
}

static void rec_check_cb(uv_check_t* h) {
  record(CHECK);
  ASSERT_OK(uv_check_stop(h));
}

static void setup(uv_loop_t* loop, uv_timer_t* t, uv_idle_t* idle,
                  uv_prepare_t* prep, uv_check_t* check) {
  ASSERT_OK(uv_timer_init(loop, t));
  ASSERT_OK(uv_timer_init(loop, &closing_timer));
  ASSERT_OK(uv_idle_init(loop, idle));
  ASSERT_OK(uv_prepare_init(loop, prep));
  ASSERT_OK(uv_check_init(loop, check));
  ASSERT_OK(uv_timer_start(t, rec_timer_cb, 0, 0));
  ASSERT_OK(uv_idle_start(idle, rec_idle_cb));
  ASSERT_OK(uv_prepare_start(prep, rec_prepare_cb));
  ASSERT_OK(uv_check_start(check, rec_check_cb));
  norder = 0;
}

static void expect(const int* want, int n) {
  int i;
  ASSERT_EQ(norder, n);
  for (i = 0; i < n; i++)
    if (order[i] != want[i])
      TEST_FAIL_("phase %d: got %d, expected %d", i, order[i], want[i]);
}

static void test_iteration_order(void) {
  uv_loop_t loop;
  uv_timer_t t;
  uv_idle_t idle;
  uv_prepare_t prep;
  uv_check_t check;
  static const int nowait_order[] = { IDLE, PREPARE, CHECK, CLOSE, TIMER };
  static const int default_order[] = { TIMER, IDLE, PREPARE, CHECK, CLOSE };

  /* UV_RUN_NOWAIT and UV_RUN_ONCE: the due timer runs at the END. (libuv
   * <= 1.44 ran it first.) */
  ASSERT_OK(uv_loop_init(&loop));
  setup(&loop, &t, &idle, &prep, &check);
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 0);
  expect(nowait_order, 5);
  close_loop(&loop);

  ASSERT_OK(uv_loop_init(&loop));
  setup(&loop, &t, &idle, &prep, &check);
  ASSERT_EQ(uv_run(&loop, UV_RUN_ONCE), 0);
  expect(nowait_order, 5);
  close_loop(&loop);

  /* UV_RUN_DEFAULT runs due timers once before the first iteration. */
  ASSERT_OK(uv_loop_init(&loop));
  setup(&loop, &t, &idle, &prep, &check);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  expect(default_order, 5);
  close_loop(&loop);
}

/* ---- zero timeout from a timer callback ---- */

static int fired;

static void restart_zero_cb(uv_timer_t* t) {
  if (++fired < 3)
    ASSERT_OK(uv_timer_start(t, restart_zero_cb, 0, 0));
}

static void test_zero_from_timer_cb(void) {
  uv_loop_t loop;
  uv_timer_t t;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &t));
  fired = 0;
  ASSERT_OK(uv_timer_start(&t, restart_zero_cb, 0, 0));
  /* One firing per iteration. */
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(fired, 1);
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(fired, 2);
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(fired, 3);
  close_loop(&loop);
}

/* ---- uv_stop() from a timer that ran before the first iteration ---- */

static void stop_timer_cb(uv_timer_t* t) {
  fired++;
  uv_stop(t->loop);
}

static void test_stop_in_first_timers(void) {
  uv_loop_t loop;
  uv_timer_t t;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &t));
  fired = 0;
  ASSERT_OK(uv_timer_start(&t, stop_timer_cb, 0, 0));
  /* In 1.52 uv_run(DEFAULT) computes "alive" before running the early
   * timers and, when a timer calls uv_stop(), skips the iteration and
   * returns that earlier value: non-zero although nothing is left. */
  ASSERT_NE(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(fired, 1);
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  close_loop(&loop);
}

/* ---- uv_metrics_info ---- */

static void noop_idle_cb(uv_idle_t* h) {
  (void) h;
}

static void count_async_cb(uv_async_t* h) {
  (void) h;
  fired++;
}

static uv_work_t works[3];
static int works_done; /* written by pool threads, under works_lock */
static uv_mutex_t works_lock;

static int works_done_load(void) {
  int n;
  uv_mutex_lock(&works_lock);
  n = works_done;
  uv_mutex_unlock(&works_lock);
  return n;
}

static void count_work_cb(uv_work_t* w) {
  (void) w;
  uv_mutex_lock(&works_lock);
  works_done++;
  uv_mutex_unlock(&works_lock);
}

static void after_count_cb(uv_work_t* w, int status) {
  (void) w;
  ASSERT_OK(status);
}

static void test_metrics_info(void) {
  uv_loop_t loop;
  uv_metrics_t m;
  uv_idle_t idle;
  uv_async_t async;
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  memset(&m, 0xff, sizeof(m));
  ASSERT_OK(uv_metrics_info(&loop, &m));
  ASSERT_UEQ(m.loop_count, 0);
  ASSERT_UEQ(m.events, 0);
  ASSERT_UEQ(m.events_waiting, 0);

  /* A loop with nothing alive does not iterate. */
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_OK(uv_metrics_info(&loop, &m));
  ASSERT_UEQ(m.loop_count, 0);

  /* One count per iteration. */
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, noop_idle_cb));
  for (i = 0; i < 5; i++)
    ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_OK(uv_metrics_info(&loop, &m));
  ASSERT_UEQ(m.loop_count, 5);
  ASSERT_OK(uv_idle_stop(&idle));

  /* An async wakeup is an event from the event provider. */
  ASSERT_OK(uv_async_init(&loop, &async, count_async_cb));
  fired = 0;
  ASSERT_OK(uv_async_send(&async));
  while (fired == 0)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_OK(uv_metrics_info(&loop, &m));
  ASSERT_UGE(m.events, 1);
  ASSERT_UGE(m.loop_count, 6);
  close_loop(&loop);

  /* events_waiting counts events that were already pending when the loop
   * entered the event provider; libuv only measures it with
   * UV_METRICS_IDLE_TIME. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_loop_configure(&loop, UV_METRICS_IDLE_TIME));
  ASSERT_OK(uv_async_init(&loop, &async, count_async_cb));
  fired = 0;
  ASSERT_OK(uv_async_send(&async));
  while (fired == 0)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_OK(uv_metrics_info(&loop, &m));
  ASSERT_UGE(m.events, 1);
  ASSERT_UGE(m.events_waiting, 1);
  ASSERT_ULE(m.events_waiting, m.events);
  close_loop(&loop);

  /* Each finished thread-pool request is an event of its own, even when
   * one wakeup brings several (libuv's uv__work_done). How many of them
   * were already waiting when the loop first polled depends on how far
   * the workers got (a work callback returns before its completion is
   * posted), so only the first is certain: the loop's descriptor is
   * readable before it runs. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_loop_configure(&loop, UV_METRICS_IDLE_TIME));
  works_done = 0;
  for (i = 0; i < 3; i++)
    ASSERT_OK(uv_queue_work(&loop, &works[i], count_work_cb, after_count_cb));
  while (works_done_load() < 3)
    uv_sleep(1);
  {
    struct pollfd pfd;
    pfd.fd = uv_backend_fd(&loop);
    pfd.events = POLLIN;
    ASSERT_EQ(poll(&pfd, 1, 30000), 1);
  }
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_OK(uv_metrics_info(&loop, &m));
  ASSERT_UGE(m.events, 3);
  ASSERT_UGE(m.events_waiting, 1);
  ASSERT_ULE(m.events_waiting, m.events);
  close_loop(&loop);
}

static void test_configure_sqpoll(void) {
  uv_loop_t loop;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_loop_configure(&loop, UV_LOOP_USE_IO_URING_SQPOLL));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  close_loop(&loop);
}

int main(void) {
  ASSERT_OK(uv_mutex_init(&works_lock));
  test_iteration_order();
  test_zero_from_timer_cb();
  test_stop_in_first_timers();
  test_metrics_info();
  test_configure_sqpoll();
  printf("test-loop-ext: ok\n");
  return 0;
}
