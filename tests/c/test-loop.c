/* Event loop API: uv_loop_init/close/configure/new/delete/size,
 * uv_default_loop, uv_run modes and return values, uv_stop, uv_loop_alive,
 * uv_now/uv_update_time, uv_backend_fd/uv_backend_timeout (also embedding:
 * polling the backend fd from outside, then uv_run NOWAIT), uv_walk,
 * uv_loop_get/set_data, uv_metrics_idle_time, uv_loop_close on busy loops. */
#include "test.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>

static int counter;

static void count_timer_cb(uv_timer_t* t) {
  (void) t;
  counter++;
}

static void count_idle_cb(uv_idle_t* h) {
  (void) h;
  counter++;
}

static void fail_timer_cb(uv_timer_t* t) {
  (void) t;
  TEST_FAIL_("this timer must never fire");
}

static void fail_idle_cb(uv_idle_t* h) {
  (void) h;
  TEST_FAIL_("this idle callback must never run");
}

static void test_init_close(void) {
  uv_loop_t loop;
  uv_timer_t t;

  ASSERT_EQ(uv_loop_size(), sizeof(uv_loop_t));

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_OK(uv_loop_close(&loop));

  /* The same memory can be initialized again and used normally; uv_loop_init
   * does not need zeroed memory, and it keeps loop->data (libuv saves it
   * across its memset, src/unix/loop.c). */
  memset(&loop, 0xa5, sizeof(loop));
  loop.data = &counter;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_PTR_EQ(loop.data, &counter);
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  counter = 0;
  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_OK(uv_timer_start(&t, count_timer_cb, 1, 0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 1);
  close_loop(&loop);
}

static void test_new_delete(void) {
  uv_loop_t* loop;
  uv_idle_t idle;

  loop = uv_loop_new();
  ASSERT_NOT_NULL(loop);
  ASSERT_EQ(uv_loop_alive(loop), 0);
  ASSERT_OK(uv_idle_init(loop, &idle));
  ASSERT_PTR_EQ(idle.loop, loop);
  uv_close((uv_handle_t*) &idle, NULL);
  ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  uv_loop_delete(loop);

  /* uv_loop_new() gives distinct loops. */
  {
    uv_loop_t* a = uv_loop_new();
    uv_loop_t* b = uv_loop_new();
    ASSERT_NOT_NULL(a);
    ASSERT_NOT_NULL(b);
    ASSERT(a != b);
    ASSERT(uv_backend_fd(a) != uv_backend_fd(b));
    uv_loop_delete(a);
    uv_loop_delete(b);
  }
}

static void test_default_loop(void) {
  uv_loop_t* d;
  uv_timer_t t;

  d = uv_default_loop();
  ASSERT_NOT_NULL(d);
  ASSERT_PTR_EQ(uv_default_loop(), d);
  ASSERT_EQ(uv_loop_alive(d), 0);

  counter = 0;
  ASSERT_OK(uv_timer_init(d, &t));
  ASSERT_OK(uv_timer_start(&t, count_timer_cb, 0, 0));
  ASSERT_EQ(uv_run(d, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 1);
  close_default_loop();

  /* After closing it, uv_default_loop() initializes a fresh default loop. */
  d = uv_default_loop();
  ASSERT_NOT_NULL(d);
  ASSERT_PTR_EQ(uv_default_loop(), d);
  ASSERT_OK(uv_timer_init(d, &t));
  ASSERT_OK(uv_timer_start(&t, count_timer_cb, 0, 0));
  ASSERT_EQ(uv_run(d, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 2);
  close_default_loop();

  /* uv_loop_delete() accepts the default loop (closes it, frees nothing). */
  d = uv_default_loop();
  ASSERT_NOT_NULL(d);
  uv_loop_delete(d);
  d = uv_default_loop();
  ASSERT_NOT_NULL(d);
  ASSERT_EQ(uv_run(d, UV_RUN_DEFAULT), 0);
  close_default_loop();
}

/* ---- uv_run modes ---- */

static void test_run_nowait(void) {
  uv_loop_t loop;
  uv_timer_t t;
  uv_timer_t zero;

  ASSERT_OK(uv_loop_init(&loop));
  /* A pending far-away timer: NOWAIT must not block for it and must report
   * that more callbacks are expected. */
  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, 3600 * 1000, 0));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);

  /* A due timer fires during a NOWAIT run. */
  counter = 0;
  ASSERT_OK(uv_timer_init(&loop, &zero));
  ASSERT_OK(uv_timer_start(&zero, count_timer_cb, 0, 0));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0); /* `t` is still pending */
  ASSERT_EQ(counter, 1);

  ASSERT_OK(uv_timer_stop(&t));
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 0);
  close_loop(&loop);
}

static void test_run_once(void) {
  uv_loop_t loop;
  uv_timer_t t;
  int r;
  int spins;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &t));

  /* A single-shot due timer: ONCE runs it and reports "done". */
  counter = 0;
  ASSERT_OK(uv_timer_start(&t, count_timer_cb, 0, 0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(counter, 1);

  /* A repeating timer keeps ONCE returning non-zero. ONCE may return before
   * the timer fired (it polls once), so spin until it did. */
  counter = 0;
  ASSERT_OK(uv_timer_start(&t, count_timer_cb, 1, 1));
  for (spins = 0; counter < 3; spins++) {
    ASSERT_LT(spins, 100000);
    r = uv_run(&loop, UV_RUN_ONCE);
    ASSERT_NE(r, 0);
  }
  ASSERT_OK(uv_timer_stop(&t));
  ASSERT_EQ(uv_run(&loop, UV_RUN_ONCE), 0);

  /* ONCE with only a pending timer blocks for it and reports 0 once it ran.
   * It may return (non-zero) before the timer ran: libuv 1.52's epoll poll
   * (src/unix/linux.c uv__io_poll) returns when epoll_wait times out without
   * re-checking the coarse loop time, which can still be short of the due
   * time. */
  counter = 0;
  ASSERT_OK(uv_timer_start(&t, count_timer_cb, 30, 0));
  for (spins = 0; counter == 0; spins++) {
    ASSERT_LT(spins, 1000);
    r = uv_run(&loop, UV_RUN_ONCE);
    ASSERT_EQ(r != 0, counter == 0);
  }
  ASSERT_EQ(counter, 1);

  /* ONCE on a loop with only unreferenced handles returns at once. */
  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, 3600 * 1000, 0));
  uv_unref((uv_handle_t*) &t);
  ASSERT_EQ(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  close_loop(&loop);
}

static void test_run_default(void) {
  uv_loop_t loop;
  uv_timer_t t[3];
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  counter = 0;
  for (i = 0; i < 3; i++) {
    ASSERT_OK(uv_timer_init(&loop, &t[i]));
    ASSERT_OK(uv_timer_start(&t[i], count_timer_cb, (uint64_t) i * 5, 0));
  }
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 3);
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  close_loop(&loop);
}

/* ---- uv_stop ---- */

static void stop_idle_cb(uv_idle_t* h) {
  counter++;
  uv_stop(h->loop);
}

static void stop_timer_cb(uv_timer_t* t) {
  counter++;
  uv_stop(t->loop);
}

static void stop_prepare_cb(uv_prepare_t* p) {
  counter++;
  uv_stop(p->loop);
}

static void test_stop(void) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_timer_t t;
  uv_timer_t keepalive;
  uv_prepare_t prep;

  ASSERT_OK(uv_loop_init(&loop));

  /* uv_stop() from an idle callback: uv_run returns non-zero because the
   * idle handle is still active; the next run works normally. */
  counter = 0;
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, stop_idle_cb));
  ASSERT_NE(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 1);
  ASSERT_NE(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 2);
  ASSERT_OK(uv_idle_stop(&idle));

  /* uv_stop() from a timer callback while another timer keeps the loop
   * alive. */
  counter = 0;
  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_OK(uv_timer_init(&loop, &keepalive));
  ASSERT_OK(uv_timer_start(&keepalive, fail_timer_cb, 3600 * 1000, 0));
  ASSERT_OK(uv_timer_start(&t, stop_timer_cb, 5, 0));
  ASSERT_NE(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 1);

  /* uv_stop() from a prepare callback: the loop must not block for i/o in
   * that iteration (the keepalive timer is an hour away). */
  counter = 0;
  ASSERT_OK(uv_prepare_init(&loop, &prep));
  ASSERT_OK(uv_prepare_start(&prep, stop_prepare_cb));
  ASSERT_NE(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 1);
  ASSERT_OK(uv_prepare_stop(&prep));

  /* uv_stop() before uv_run(): uv_run returns at once (non-zero, handles are
   * still active) without running callbacks, and clears the stop flag. */
  ASSERT_OK(uv_idle_start(&idle, fail_idle_cb));
  uv_stop(&loop);
  ASSERT_NE(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_OK(uv_idle_stop(&idle));
  counter = 0;
  ASSERT_OK(uv_idle_start(&idle, count_idle_cb));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(counter, 1);
  ASSERT_OK(uv_idle_stop(&idle));

  /* uv_stop() on a loop with nothing to do: uv_run returns 0. */
  ASSERT_OK(uv_timer_stop(&keepalive));
  uv_stop(&loop);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);

  close_loop(&loop);
}

/* ---- uv_loop_alive ---- */

static void noop_work_cb(uv_work_t* req) {
  (void) req;
}

static void count_after_work_cb(uv_work_t* req, int status) {
  (void) req;
  ASSERT_EQ(status, 0);
  counter++;
}

static void test_alive(void) {
  uv_loop_t loop;
  uv_timer_t t;
  uv_work_t work;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_EQ(uv_loop_alive(&loop), 0);

  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_EQ(uv_loop_alive(&loop), 0); /* inited but inactive */
  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, 3600 * 1000, 0));
  ASSERT_NE(uv_loop_alive(&loop), 0);
  uv_unref((uv_handle_t*) &t);
  ASSERT_EQ(uv_loop_alive(&loop), 0); /* active but unreferenced */
  uv_ref((uv_handle_t*) &t);
  ASSERT_NE(uv_loop_alive(&loop), 0);
  ASSERT_OK(uv_timer_stop(&t));
  ASSERT_EQ(uv_loop_alive(&loop), 0);

  /* A closing handle keeps the loop alive until its close callback ran. */
  uv_close((uv_handle_t*) &t, NULL);
  ASSERT_NE(uv_loop_alive(&loop), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(uv_loop_alive(&loop), 0);

  /* Also an unreferenced one. */
  ASSERT_OK(uv_timer_init(&loop, &t));
  uv_unref((uv_handle_t*) &t);
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  uv_close((uv_handle_t*) &t, NULL);
  ASSERT_NE(uv_loop_alive(&loop), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(uv_loop_alive(&loop), 0);

  /* An active request keeps it alive too. */
  counter = 0;
  ASSERT_OK(uv_queue_work(&loop, &work, noop_work_cb, count_after_work_cb));
  ASSERT_NE(uv_loop_alive(&loop), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 1);
  ASSERT_EQ(uv_loop_alive(&loop), 0);

  close_loop(&loop);
}

/* ---- time ---- */

static uint64_t timer_started_at;

static void check_now_timer_cb(uv_timer_t* t) {
  /* libuv only runs a timer once the loop's time reached its due time. */
  ASSERT_UGE(uv_now(t->loop), timer_started_at + 25);
  counter++;
}

static void test_now(void) {
  uv_loop_t loop;
  uv_timer_t t;
  uint64_t t0;
  uint64_t t1;

  ASSERT_OK(uv_loop_init(&loop));
  t0 = uv_now(&loop);
  uv_sleep(30);
  /* uv_now() is cached: it does not change until the time is updated. */
  ASSERT_UEQ(uv_now(&loop), t0);
  uv_update_time(&loop);
  t1 = uv_now(&loop);
  /* uv_sleep(30) slept at least 30 ms; allow for a coarse clock. */
  ASSERT_UGE(t1, t0 + 20);

  counter = 0;
  ASSERT_OK(uv_timer_init(&loop, &t));
  timer_started_at = uv_now(&loop);
  ASSERT_OK(uv_timer_start(&t, check_now_timer_cb, 25, 0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 1);
  /* Monotonic. */
  t0 = uv_now(&loop);
  uv_update_time(&loop);
  ASSERT_UGE(uv_now(&loop), t0);
  close_loop(&loop);
}

static void noop_prepare_cb(uv_prepare_t* p) {
  (void) p;
}

static void noop_idle_cb(uv_idle_t* h) {
  (void) h;
}

static void test_backend(void) {
  uv_loop_t loop;
  uv_prepare_t prep;
  uv_idle_t idle;
  uv_timer_t t;
  uv_timer_t huge;
  uv_timer_t closing;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_GE(uv_backend_fd(&loop), 0);
  ASSERT_EQ(uv_backend_fd(&loop), uv_backend_fd(&loop));

  /* Nothing active: no reason to block. */
  ASSERT_EQ(uv_backend_timeout(&loop), 0);

  /* An active prepare handle and no timers: block forever (-1). Run the loop
   * once first so that any internal watcher changes have been applied. */
  ASSERT_OK(uv_prepare_init(&loop, &prep));
  ASSERT_OK(uv_prepare_start(&prep, noop_prepare_cb));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(uv_backend_timeout(&loop), -1);

  /* A timer: the time until it is due (uv_now() has not moved). */
  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, 1000, 0));
  ASSERT_EQ(uv_backend_timeout(&loop), 1000);
  ASSERT_UEQ(uv_timer_get_due_in(&t), 1000);

  /* The earliest timer wins. */
  ASSERT_OK(uv_timer_init(&loop, &huge));
  ASSERT_OK(uv_timer_start(&huge, fail_timer_cb, 500, 0));
  ASSERT_EQ(uv_backend_timeout(&loop), 500);
  /* A huge timeout is clamped to INT_MAX milliseconds. */
  ASSERT_OK(uv_timer_stop(&t));
  ASSERT_OK(uv_timer_start(&huge, fail_timer_cb, UINT64_MAX / 2, 0));
  ASSERT_EQ(uv_backend_timeout(&loop), 0x7fffffff);
  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, 1000, 0));
  ASSERT_EQ(uv_backend_timeout(&loop), 1000);

  /* An idle handle: 0. */
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, noop_idle_cb));
  ASSERT_EQ(uv_backend_timeout(&loop), 0);
  ASSERT_OK(uv_idle_stop(&idle));
  ASSERT_EQ(uv_backend_timeout(&loop), 1000);

  /* A closing handle: 0. */
  ASSERT_OK(uv_timer_init(&loop, &closing));
  uv_close((uv_handle_t*) &closing, NULL);
  ASSERT_EQ(uv_backend_timeout(&loop), 0);
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  /* uv_run() updated the loop time, so the timer is due in <= 1000 ms. */
  ASSERT_GT(uv_backend_timeout(&loop), 0);
  ASSERT_LE(uv_backend_timeout(&loop), 1000);

  /* After uv_stop(): 0. */
  uv_stop(&loop);
  ASSERT_EQ(uv_backend_timeout(&loop), 0);
  ASSERT_NE(uv_run(&loop, UV_RUN_DEFAULT), 0); /* consumes the stop flag */

  /* Only unreferenced handles: nothing keeps the loop alive: 0. */
  uv_unref((uv_handle_t*) &prep);
  uv_unref((uv_handle_t*) &t);
  uv_unref((uv_handle_t*) &huge);
  ASSERT_EQ(uv_backend_timeout(&loop), 0);

  close_loop(&loop);
}

/* ---- embedding: poll uv_backend_fd() elsewhere, then run NOWAIT ---- */

static void embed_async_cb(uv_async_t* a) {
  counter++;
  uv_close((uv_handle_t*) a, NULL);
}

static void embed_send_thread(void* arg) {
  uv_sleep(30);
  ASSERT_OK(uv_async_send(arg));
}

static void test_backend_embed(void) {
  uv_loop_t loop;
  uv_async_t a;
  uv_timer_t t;
  uv_thread_t th;
  struct pollfd pfd;
  int spins;
  int r;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &a, embed_async_cb));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0); /* watchers are registered */

  /* Nothing pending: the backend fd is not readable. */
  pfd.fd = uv_backend_fd(&loop);
  pfd.events = POLLIN;
  pfd.revents = 0;
  ASSERT_EQ(poll(&pfd, 1, 0), 0);

  /* An uv_async_send() from another thread makes it readable; NOWAIT then
   * delivers the callback. */
  counter = 0;
  ASSERT_OK(uv_thread_create(&th, embed_send_thread, &a));
  do
    r = poll(&pfd, 1, 10000);
  while (r == -1 && errno == EINTR);
  ASSERT_EQ(r, 1);
  ASSERT(pfd.revents & POLLIN);
  for (spins = 0; counter == 0; spins++) {
    ASSERT_LT(spins, 1000);
    uv_run(&loop, UV_RUN_NOWAIT);
  }
  ASSERT_OK(uv_thread_join(&th));
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 0);

  /* Timers: poll with uv_backend_timeout() as the timeout. */
  counter = 0;
  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_OK(uv_timer_start(&t, count_timer_cb, 20, 0));
  for (spins = 0; counter == 0; spins++) {
    ASSERT_LT(spins, 1000);
    r = poll(&pfd, 1, uv_backend_timeout(&loop));
    ASSERT(r >= 0 || errno == EINTR);
    uv_run(&loop, UV_RUN_NOWAIT);
  }
  ASSERT_EQ(counter, 1);
  close_loop(&loop);
}

/* ---- uv_walk ---- */

struct walk_info {
  int n;
  uv_handle_t* seen[8];
  void* arg;
};

static void walk_cb(uv_handle_t* h, void* arg) {
  struct walk_info* wi = arg;
  ASSERT_LT(wi->n, 8);
  wi->seen[wi->n++] = h;
  wi->arg = arg;
}

static void test_walk(void) {
  uv_loop_t loop;
  uv_timer_t t;
  uv_idle_t idle;
  uv_prepare_t prep;
  struct walk_info wi;

  ASSERT_OK(uv_loop_init(&loop));
  memset(&wi, 0, sizeof(wi));
  uv_walk(&loop, walk_cb, &wi);
  ASSERT_EQ(wi.n, 0); /* internal handles are never walked */

  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_prepare_init(&loop, &prep));
  ASSERT_OK(uv_prepare_start(&prep, noop_prepare_cb));
  uv_unref((uv_handle_t*) &prep);

  /* Active or not, referenced or not: every handle, in creation order. */
  memset(&wi, 0, sizeof(wi));
  uv_walk(&loop, walk_cb, &wi);
  ASSERT_EQ(wi.n, 3);
  ASSERT_PTR_EQ(wi.arg, &wi);
  ASSERT_PTR_EQ(wi.seen[0], &t);
  ASSERT_PTR_EQ(wi.seen[1], &idle);
  ASSERT_PTR_EQ(wi.seen[2], &prep);

  /* A closing handle is still walked until its close callback ran. */
  uv_close((uv_handle_t*) &idle, NULL);
  memset(&wi, 0, sizeof(wi));
  uv_walk(&loop, walk_cb, &wi);
  ASSERT_EQ(wi.n, 3);
  ASSERT_NE(uv_is_closing(wi.seen[1]), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 0);
  memset(&wi, 0, sizeof(wi));
  uv_walk(&loop, walk_cb, &wi);
  ASSERT_EQ(wi.n, 2);
  ASSERT_PTR_EQ(wi.seen[0], &t);
  ASSERT_PTR_EQ(wi.seen[1], &prep);

  /* Closing every handle from the walk callback is allowed. */
  close_loop(&loop);
}

static void test_data(void) {
  uv_loop_t loop;
  int x;

  ASSERT_OK(uv_loop_init(&loop));
  uv_loop_set_data(&loop, &x);
  ASSERT_PTR_EQ(uv_loop_get_data(&loop), &x);
  ASSERT_PTR_EQ(loop.data, &x);
  loop.data = NULL;
  ASSERT_NULL(uv_loop_get_data(&loop));
  /* libuv never touches loop->data. */
  uv_loop_set_data(&loop, &x);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_PTR_EQ(loop.data, &x);
  ASSERT_OK(uv_loop_close(&loop));
  ASSERT_PTR_EQ(loop.data, &x);
}

/* ---- configure / metrics ---- */

static void test_configure(void) {
  uv_loop_t loop;
  uv_timer_t t;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_loop_configure(&loop, UV_LOOP_BLOCK_SIGNAL, SIGPROF));
  ASSERT_ERR(uv_loop_configure(&loop, UV_LOOP_BLOCK_SIGNAL, SIGINT),
             UV_EINVAL);
  ASSERT_ERR(uv_loop_configure(&loop, UV_LOOP_BLOCK_SIGNAL, 0), UV_EINVAL);
  ASSERT_ERR(uv_loop_configure(&loop, (uv_loop_option) 99), UV_ENOSYS);
  ASSERT_ERR(uv_loop_configure(&loop, (uv_loop_option) -1), UV_ENOSYS);

  /* The loop still works. */
  counter = 0;
  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_OK(uv_timer_start(&t, count_timer_cb, 1, 0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 1);
  close_loop(&loop);
}

static void test_metrics_idle_time(void) {
  uv_loop_t loop;
  uv_loop_t plain;
  uv_timer_t t;
  uv_timer_t t2;
  uint64_t start;
  uint64_t elapsed;
  uint64_t idle;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_loop_configure(&loop, UV_METRICS_IDLE_TIME));
  ASSERT_UEQ(uv_metrics_idle_time(&loop), 0);

  counter = 0;
  ASSERT_OK(uv_timer_init(&loop, &t));
  start = uv_hrtime();
  ASSERT_OK(uv_timer_start(&t, count_timer_cb, 50, 0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  elapsed = uv_hrtime() - start;
  ASSERT_EQ(counter, 1);
  idle = uv_metrics_idle_time(&loop);
  /* The loop blocked in the kernel waiting for the timer. */
  ASSERT_UGE(idle, 1);
  ASSERT_ULE(idle, elapsed);
  /* It only accumulates. */
  ASSERT_UGE(uv_metrics_idle_time(&loop), idle);
  close_loop(&loop);

  /* Without UV_METRICS_IDLE_TIME nothing is accumulated. */
  ASSERT_OK(uv_loop_init(&plain));
  ASSERT_OK(uv_timer_init(&plain, &t2));
  ASSERT_OK(uv_timer_start(&t2, count_timer_cb, 20, 0));
  ASSERT_EQ(uv_run(&plain, UV_RUN_DEFAULT), 0);
  ASSERT_UEQ(uv_metrics_idle_time(&plain), 0);
  close_loop(&plain);
}

/* ---- uv_loop_close on a busy loop ---- */

static uv_sem_t work_gate;

static void gated_work_cb(uv_work_t* req) {
  (void) req;
  uv_sem_wait(&work_gate);
}

static void test_close_busy(void) {
  uv_loop_t loop;
  uv_timer_t t;
  uv_work_t work;

  /* An initialized, never started handle makes the loop busy. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_ERR(uv_loop_close(&loop), UV_EBUSY);
  /* Still busy while the close is pending. */
  uv_close((uv_handle_t*) &t, NULL);
  ASSERT_ERR(uv_loop_close(&loop), UV_EBUSY);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_OK(uv_loop_close(&loop));

  /* An active request makes the loop busy too. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_sem_init(&work_gate, 0));
  counter = 0;
  ASSERT_OK(uv_queue_work(&loop, &work, gated_work_cb, count_after_work_cb));
  ASSERT_ERR(uv_loop_close(&loop), UV_EBUSY);
  uv_sem_post(&work_gate);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 1);
  ASSERT_OK(uv_loop_close(&loop));
  uv_sem_destroy(&work_gate);
}

int main(void) {
  test_init_close();
  test_new_delete();
  test_default_loop();
  test_run_nowait();
  test_run_once();
  test_run_default();
  test_stop();
  test_alive();
  test_now();
  test_backend();
  test_backend_embed();
  test_walk();
  test_data();
  test_configure();
  test_metrics_idle_time();
  test_close_busy();
  printf("test-loop: ok\n");
  return 0;
}
