/* Thread pool: uv_queue_work (work_cb on a pool thread, after_work_cb on the
 * loop thread with status 0, NULL after_work_cb), NULL work_cb, uv_cancel of
 * queued work (UV_ECANCELED), of running and finished work (UV_EBUSY) and of
 * requests that cannot be cancelled (UV_EINVAL), the default pool size of 4,
 * work queued from callbacks and from several loops, and a stress run of
 * many short jobs (lost wakeups). */
#include "test.h"

static uv_thread_t loop_thread;

/* A gate: blocking jobs report that they started and wait to be released.
 * All waits are bounded (10 s) so that a broken pool fails instead of
 * hanging. */
static uv_mutex_t gate_mtx;
static uv_cond_t gate_cond;
static int gate_started;
static int gate_running;
static int gate_max_running;
static int gate_released;

static void gate_init(void) {
  ASSERT_OK(uv_mutex_init(&gate_mtx));
  ASSERT_OK(uv_cond_init(&gate_cond));
  gate_started = gate_running = gate_max_running = gate_released = 0;
}

static void gate_destroy(void) {
  uv_cond_destroy(&gate_cond);
  uv_mutex_destroy(&gate_mtx);
}

static void gate_wait_started(int n) {
  uint64_t deadline = uv_hrtime() + 10 * (uint64_t) 1000000000;
  uv_mutex_lock(&gate_mtx);
  while (gate_started < n) {
    if (uv_hrtime() > deadline)
      TEST_FAIL_("only %d of %d blocking jobs started", gate_started, n);
    uv_cond_timedwait(&gate_cond, &gate_mtx, 100 * 1000000);
  }
  uv_mutex_unlock(&gate_mtx);
}

static void gate_release(void) {
  uv_mutex_lock(&gate_mtx);
  gate_released = 1;
  uv_cond_broadcast(&gate_cond);
  uv_mutex_unlock(&gate_mtx);
}

static void blocking_work_cb(uv_work_t* req) {
  uint64_t deadline = uv_hrtime() + 10 * (uint64_t) 1000000000;
  uv_thread_t self = uv_thread_self();
  (void) req;
  ASSERT(!uv_thread_equal(&self, &loop_thread));
  uv_mutex_lock(&gate_mtx);
  gate_started++;
  gate_running++;
  if (gate_running > gate_max_running)
    gate_max_running = gate_running;
  uv_cond_broadcast(&gate_cond);
  while (!gate_released) {
    if (uv_hrtime() > deadline)
      TEST_FAIL_("blocking job was never released");
    uv_cond_timedwait(&gate_cond, &gate_mtx, 100 * 1000000);
  }
  gate_running--;
  uv_mutex_unlock(&gate_mtx);
}

/* ---- basics ---- */

static int work_count;
static int after_count;
static int work_thread_differs;

static void simple_work_cb(uv_work_t* req) {
  uv_thread_t self = uv_thread_self();
  (void) req;
  if (!uv_thread_equal(&self, &loop_thread))
    __atomic_fetch_or(&work_thread_differs, 1, __ATOMIC_SEQ_CST);
  __atomic_add_fetch(&work_count, 1, __ATOMIC_SEQ_CST);
}

static void simple_after_cb(uv_work_t* req, int status) {
  uv_thread_t self = uv_thread_self();
  ASSERT(uv_thread_equal(&self, &loop_thread));
  ASSERT_EQ(status, 0);
  ASSERT_EQ(req->type, UV_WORK);
  ASSERT_PTR_EQ(req->data, &after_count);
  after_count++;
}

static void test_basics(void) {
  uv_loop_t loop;
  uv_work_t reqs[100];
  uv_work_t bad;
  uv_work_t nocb;
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  work_count = after_count = 0;
  work_thread_differs = 0;

  for (i = 0; i < 100; i++) {
    reqs[i].data = &after_count;
    ASSERT_OK(uv_queue_work(&loop, &reqs[i], simple_work_cb, simple_after_cb));
    ASSERT_PTR_EQ(reqs[i].loop, &loop);
    ASSERT_EQ(uv_req_get_type((uv_req_t*) &reqs[i]), UV_WORK);
    ASSERT_PTR_EQ(reqs[i].data, &after_count); /* data is left alone */
  }
  ASSERT_EQ(after_count, 0); /* never synchronous */
  ASSERT_NE(uv_loop_alive(&loop), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(work_count, 100);
  ASSERT_EQ(after_count, 100);
  ASSERT_EQ(work_thread_differs, 1);

  /* NULL work_cb is rejected and queues nothing. */
  ASSERT_ERR(uv_queue_work(&loop, &bad, NULL, simple_after_cb), UV_EINVAL);
  ASSERT_ERR(uv_queue_work(&loop, &bad, NULL, NULL), UV_EINVAL);
  ASSERT_EQ(uv_loop_alive(&loop), 0);

  /* NULL after_work_cb is allowed. */
  ASSERT_OK(uv_queue_work(&loop, &nocb, simple_work_cb, NULL));
  ASSERT_NE(uv_loop_alive(&loop), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(work_count, 101);
  ASSERT_EQ(uv_loop_alive(&loop), 0);

  close_loop(&loop);
}

/* ---- cancellation ---- */

#define POOL 4 /* libuv's default pool size */
#define VICTIMS 6

static int blocker_after;
static int victim_after;

static void victim_work_cb(uv_work_t* req) {
  (void) req;
  TEST_FAIL_("a cancelled work_cb ran");
}

static void blocker_after_cb(uv_work_t* req, int status) {
  (void) req;
  ASSERT_EQ(status, 0);
  blocker_after++;
}

static void victim_after_cb(uv_work_t* req, int status) {
  uv_thread_t self = uv_thread_self();
  (void) req;
  ASSERT(uv_thread_equal(&self, &loop_thread));
  ASSERT_EQ(status, UV_ECANCELED);
  victim_after++;
}

static void test_cancel(void) {
  uv_loop_t loop;
  uv_work_t blockers[POOL];
  uv_work_t victims[VICTIMS];
  uv_req_t plain;
  uv_write_t wr;
  uv_connect_t conn;
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  gate_init();
  blocker_after = victim_after = 0;

  /* Occupy every pool thread. */
  for (i = 0; i < POOL; i++)
    ASSERT_OK(uv_queue_work(&loop, &blockers[i], blocking_work_cb,
                            blocker_after_cb));
  gate_wait_started(POOL);

  /* Everything queued now waits in the queue and can be cancelled. If the
   * pool had more than POOL threads a victim would start and uv_cancel would
   * return UV_EBUSY. */
  for (i = 0; i < VICTIMS; i++)
    ASSERT_OK(uv_queue_work(&loop, &victims[i], victim_work_cb,
                            victim_after_cb));
  for (i = 0; i < VICTIMS; i++) {
    ASSERT_OK(uv_cancel((uv_req_t*) &victims[i]));
    /* Cancelling again before its callback: libuv says yes again; the
     * callback still comes once (counted below). */
    ASSERT_OK(uv_cancel((uv_req_t*) &victims[i]));
  }
  ASSERT_EQ(victim_after, 0); /* reported later, on the loop thread */

  /* Running work cannot be cancelled. */
  for (i = 0; i < POOL; i++)
    ASSERT_ERR(uv_cancel((uv_req_t*) &blockers[i]), UV_EBUSY);

  /* Requests of other types cannot be cancelled at all. */
  memset(&plain, 0, sizeof(plain));
  ASSERT_ERR(uv_cancel(&plain), UV_EINVAL);
  memset(&wr, 0, sizeof(wr));
  wr.type = UV_WRITE;
  ASSERT_ERR(uv_cancel((uv_req_t*) &wr), UV_EINVAL);
  memset(&conn, 0, sizeof(conn));
  conn.type = UV_CONNECT;
  ASSERT_ERR(uv_cancel((uv_req_t*) &conn), UV_EINVAL);

  /* The loop is busy while requests are pending. */
  ASSERT_ERR(uv_loop_close(&loop), UV_EBUSY);

  gate_release();
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(blocker_after, POOL);
  ASSERT_EQ(victim_after, VICTIMS);
  ASSERT_EQ(gate_max_running, POOL);

  /* Finished work cannot be cancelled either. */
  for (i = 0; i < POOL; i++)
    ASSERT_ERR(uv_cancel((uv_req_t*) &blockers[i]), UV_EBUSY);

  gate_destroy();
  close_loop(&loop);
}

/* ---- work queued from callbacks ---- */

static int chain_left;

static void chain_after_cb(uv_work_t* req, int status) {
  ASSERT_EQ(status, 0);
  after_count++;
  if (--chain_left > 0)
    ASSERT_OK(uv_queue_work(req->loop, req, simple_work_cb, chain_after_cb));
}

static void queue_from_idle_cb(uv_idle_t* idle) {
  uv_work_t* req = idle->data;
  ASSERT_OK(uv_queue_work(idle->loop, req, simple_work_cb, chain_after_cb));
  uv_close((uv_handle_t*) idle, NULL);
}

static void test_chain(void) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_work_t req;

  ASSERT_OK(uv_loop_init(&loop));
  work_count = after_count = 0;
  chain_left = 10;
  ASSERT_OK(uv_idle_init(&loop, &idle));
  idle.data = &req;
  ASSERT_OK(uv_idle_start(&idle, queue_from_idle_cb));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(work_count, 10);
  ASSERT_EQ(after_count, 10);
  close_loop(&loop);
}

/* ---- several loops share the pool ---- */

static void loop_after_cb(uv_work_t* req, int status) {
  ASSERT_EQ(status, 0);
  /* Completion is reported on the loop that queued the request. */
  ASSERT_PTR_EQ(req->loop, req->data);
  after_count++;
}

static void test_two_loops(void) {
  uv_loop_t a;
  uv_loop_t b;
  uv_work_t ra[5];
  uv_work_t rb[5];
  int i;

  ASSERT_OK(uv_loop_init(&a));
  ASSERT_OK(uv_loop_init(&b));
  after_count = 0;
  for (i = 0; i < 5; i++) {
    ra[i].data = &a;
    rb[i].data = &b;
    ASSERT_OK(uv_queue_work(&a, &ra[i], simple_work_cb, loop_after_cb));
    ASSERT_OK(uv_queue_work(&b, &rb[i], simple_work_cb, loop_after_cb));
  }
  ASSERT_EQ(uv_run(&a, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(after_count, 5);
  ASSERT_EQ(uv_run(&b, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(after_count, 10);
  close_loop(&a);
  close_loop(&b);
}

/* ---- many short jobs completing while the loop processes completions ----
 * Keeps 8 tiny jobs in flight, queueing the next one from each
 * after_work_cb, 50000 in total. A lost wakeup between a job finishing and
 * the loop going back to sleep hangs here (the runner's timeout reports
 * it). */

#define STRESS_TOTAL 50000
#define STRESS_INFLIGHT 8

static int stress_queued;
static int stress_done;

static void stress_work_cb(uv_work_t* req) {
  (void) req;
}

static void stress_after_cb(uv_work_t* req, int status) {
  ASSERT_EQ(status, 0);
  stress_done++;
  if (stress_queued < STRESS_TOTAL) {
    stress_queued++;
    ASSERT_OK(uv_queue_work(req->loop, req, stress_work_cb, stress_after_cb));
  }
}

static void test_stress(void) {
  uv_loop_t loop;
  uv_work_t reqs[STRESS_INFLIGHT];
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  stress_queued = stress_done = 0;
  for (i = 0; i < STRESS_INFLIGHT; i++) {
    stress_queued++;
    ASSERT_OK(uv_queue_work(&loop, &reqs[i], stress_work_cb,
                            stress_after_cb));
  }
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(stress_done, STRESS_TOTAL);
  close_loop(&loop);
}

int main(void) {
  unsetenv("UV_THREADPOOL_SIZE"); /* the default pool size is tested */
  loop_thread = uv_thread_self();
  test_basics();
  test_cancel();
  test_chain();
  test_two_loops();
  test_stress();
  printf("test-threadpool: ok\n");
  return 0;
}
