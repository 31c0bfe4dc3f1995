/* Loop watchers: uv_idle_*, uv_prepare_*, uv_check_* start/stop, NULL
 * callbacks, starting twice, phase order within one iteration (idle, then
 * prepare, poll, check), order between handles of one kind, starting and
 * stopping watchers from callbacks, and active idle handles keeping uv_run()
 * from blocking. */
#include "test.h"

static int order[64];
static int norder;
static int idle_count;
static int prepare_count;
static int check_count;

static void record(int what) {
  ASSERT_LT(norder, 64);
  order[norder++] = what;
}

enum { IDLE = 1, PREPARE = 2, CHECK = 3 };

static void idle_cb(uv_idle_t* h) {
  (void) h;
  idle_count++;
  record(IDLE);
}

static void idle_cb2(uv_idle_t* h) {
  (void) h;
  TEST_FAIL_("the second callback must not replace the first one");
}

static void prepare_cb(uv_prepare_t* h) {
  (void) h;
  prepare_count++;
  record(PREPARE);
}

static void prepare_cb2(uv_prepare_t* h) {
  (void) h;
  TEST_FAIL_("the second callback must not replace the first one");
}

static void check_cb(uv_check_t* h) {
  (void) h;
  check_count++;
  record(CHECK);
}

static void check_cb2(uv_check_t* h) {
  (void) h;
  TEST_FAIL_("the second callback must not replace the first one");
}

static void fail_timer_cb(uv_timer_t* t) {
  (void) t;
  TEST_FAIL_("this timer must never fire");
}

static void test_start_stop(void) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_prepare_t prep;
  uv_check_t check;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_prepare_init(&loop, &prep));
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &idle), UV_IDLE);
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &prep), UV_PREPARE);
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &check), UV_CHECK);

  /* NULL callbacks are rejected. */
  ASSERT_ERR(uv_idle_start(&idle, NULL), UV_EINVAL);
  ASSERT_ERR(uv_prepare_start(&prep, NULL), UV_EINVAL);
  ASSERT_ERR(uv_check_start(&check, NULL), UV_EINVAL);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &idle), 0);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &prep), 0);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &check), 0);

  /* Stopping inactive handles is fine. */
  ASSERT_OK(uv_idle_stop(&idle));
  ASSERT_OK(uv_prepare_stop(&prep));
  ASSERT_OK(uv_check_stop(&check));

  ASSERT_OK(uv_idle_start(&idle, idle_cb));
  ASSERT_OK(uv_prepare_start(&prep, prepare_cb));
  ASSERT_OK(uv_check_start(&check, check_cb));
  ASSERT_NE(uv_is_active((uv_handle_t*) &idle), 0);
  ASSERT_NE(uv_is_active((uv_handle_t*) &prep), 0);
  ASSERT_NE(uv_is_active((uv_handle_t*) &check), 0);

  /* Starting an active handle again succeeds and changes nothing: libuv
   * (src/unix/loop-watcher.c) returns 0 before looking at the callback, so
   * the first callback stays, and even a NULL callback is accepted. */
  ASSERT_OK(uv_idle_start(&idle, idle_cb2));
  ASSERT_OK(uv_prepare_start(&prep, prepare_cb2));
  ASSERT_OK(uv_check_start(&check, check_cb2));
  ASSERT_OK(uv_idle_start(&idle, NULL));
  ASSERT_OK(uv_prepare_start(&prep, NULL));
  ASSERT_OK(uv_check_start(&check, NULL));

  /* Each iteration runs each of them exactly once. */
  idle_count = prepare_count = check_count = 0;
  norder = 0;
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0); /* the idle handle: no blocking */
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(idle_count, 3);
  ASSERT_EQ(prepare_count, 3);
  ASSERT_EQ(check_count, 3);

  ASSERT_OK(uv_idle_stop(&idle));
  ASSERT_OK(uv_prepare_stop(&prep));
  ASSERT_OK(uv_check_stop(&check));
  ASSERT_OK(uv_idle_stop(&idle));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &idle), 0);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &prep), 0);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &check), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(idle_count, 3);

  /* Restarting after a stop, with another callback, works. */
  norder = 0;
  ASSERT_OK(uv_idle_start(&idle, idle_cb));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(idle_count, 4);

  close_loop(&loop);
}

/* Within one iteration: idle, then prepare, (poll), then check. */
static void test_phase_order(void) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_prepare_t prep;
  uv_check_t check;
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_prepare_init(&loop, &prep));
  ASSERT_OK(uv_check_init(&loop, &check));
  /* Started in "wrong" order on purpose. */
  ASSERT_OK(uv_check_start(&check, check_cb));
  ASSERT_OK(uv_prepare_start(&prep, prepare_cb));
  ASSERT_OK(uv_idle_start(&idle, idle_cb));

  norder = 0;
  for (i = 0; i < 3; i++)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(norder, 9);
  for (i = 0; i < 3; i++) {
    ASSERT_EQ(order[3 * i + 0], IDLE);
    ASSERT_EQ(order[3 * i + 1], PREPARE);
    ASSERT_EQ(order[3 * i + 2], CHECK);
  }
  close_loop(&loop);
}

/* ---- several handles of one kind ---- */

static uv_idle_t idles[3];

static void tagged_idle_cb(uv_idle_t* h) {
  record((int) (intptr_t) h->data);
}

/* Handle 0 stops handle 1 (which has not run yet in this pass) and starts
 * handle 2 (which must not run in this pass). */
static void meddling_idle_cb(uv_idle_t* h) {
  record((int) (intptr_t) h->data);
  ASSERT_OK(uv_idle_stop(&idles[1]));
  ASSERT_OK(uv_idle_start(&idles[2], tagged_idle_cb));
}

static void test_same_kind_order(void) {
  uv_loop_t loop;
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < 3; i++) {
    ASSERT_OK(uv_idle_init(&loop, &idles[i]));
    idles[i].data = (void*) (intptr_t) i;
  }

  /* libuv inserts started loop watchers at the HEAD of the loop's list
   * (src/unix/loop-watcher.c, uv__queue_insert_head), so handles of one
   * kind run in reverse start order. */
  ASSERT_OK(uv_idle_start(&idles[0], tagged_idle_cb));
  ASSERT_OK(uv_idle_start(&idles[1], tagged_idle_cb));
  ASSERT_OK(uv_idle_start(&idles[2], tagged_idle_cb));
  norder = 0;
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(norder, 3);
  ASSERT_EQ(order[0], 2);
  ASSERT_EQ(order[1], 1);
  ASSERT_EQ(order[2], 0);
  for (i = 0; i < 3; i++)
    ASSERT_OK(uv_idle_stop(&idles[i]));

  /* Stopping a handle that has not run yet in this pass prevents it from
   * running; a handle started during the pass waits for the next one. */
  ASSERT_OK(uv_idle_start(&idles[1], tagged_idle_cb));
  ASSERT_OK(uv_idle_start(&idles[0], meddling_idle_cb)); /* runs first */
  norder = 0;
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(norder, 1);
  ASSERT_EQ(order[0], 0);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &idles[1]), 0);
  ASSERT_NE(uv_is_active((uv_handle_t*) &idles[2]), 0);
  norder = 0;
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(norder, 2);
  ASSERT_EQ(order[0], 2);
  ASSERT_EQ(order[1], 0);

  close_loop(&loop);
}

/* ---- an active idle handle keeps the loop from blocking ---- */

static uv_timer_t hour_timer;

static void spin_idle_cb(uv_idle_t* h) {
  if (++idle_count == 1000) {
    ASSERT_OK(uv_idle_stop(h));
    ASSERT_OK(uv_timer_stop(&hour_timer));
  }
}

static void counting_prepare_cb(uv_prepare_t* h) {
  (void) h;
  prepare_count++;
}

static void counting_check_cb(uv_check_t* h) {
  (void) h;
  check_count++;
}

static void test_idle_no_block(void) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_prepare_t prep;
  uv_check_t check;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &hour_timer));
  ASSERT_OK(uv_timer_start(&hour_timer, fail_timer_cb, 3600 * 1000, 0));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_prepare_init(&loop, &prep));
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_OK(uv_prepare_start(&prep, counting_prepare_cb));
  ASSERT_OK(uv_check_start(&check, counting_check_cb));
  uv_unref((uv_handle_t*) &prep);
  uv_unref((uv_handle_t*) &check);

  idle_count = prepare_count = check_count = 0;
  ASSERT_OK(uv_idle_start(&idle, spin_idle_cb));
  /* Would block for an hour if the idle handle did not force zero-timeout
   * polls. */
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(idle_count, 1000);
  /* One prepare and one check per iteration. */
  ASSERT_EQ(prepare_count, 1000);
  ASSERT_EQ(check_count, 1000);

  close_loop(&loop);
}

int main(void) {
  test_start_stop();
  test_phase_order();
  test_same_kind_order();
  test_idle_no_block();
  printf("test-idle-prepare-check: ok\n");
  return 0;
}
