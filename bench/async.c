/* async: two figures.
 *
 * roundtrips/s: a worker thread calls uv_async_send() and then waits on a
 *   uv_sem_t that the async callback posts; N round trips. Since the worker
 *   waits, nothing can coalesce: exactly N callbacks must run.
 *
 * sends/s: 2 threads each call uv_async_send() M (= 5000 N) times as fast as they can
 *   on one async handle; the loop counts callbacks (coalescing expected).
 *   When a sender is done it bumps a counter and sends once more; the
 *   callback closes the handle once both are done. Figure = 2M / elapsed,
 *   from thread start until the handle is closed. */
#include "bench.h"

#define SENDERS 2

/* ---- round trips ---- */

static uv_async_t rt_async;
static uv_sem_t rt_sem;
static uint64_t rt_n, rt_calls;

static void rt_worker(void* arg) {
  uint64_t i;
  (void)arg;
  for (i = 0; i < rt_n; i++) {
    CHECK_EQ(uv_async_send(&rt_async), 0);
    uv_sem_wait(&rt_sem);
  }
}

static void rt_cb(uv_async_t* h) {
  rt_calls++;
  CHECK(rt_calls <= rt_n);
  if (rt_calls == rt_n) uv_close((uv_handle_t*)h, NULL);
  uv_sem_post(&rt_sem);
}

static uint64_t roundtrips(uint64_t n) {
  uv_loop_t loop;
  uv_thread_t tid;
  uint64_t t0, t1;

  rt_n = n;
  rt_calls = 0;
  CHECK_EQ(uv_loop_init(&loop), 0);
  CHECK_EQ(uv_sem_init(&rt_sem, 0), 0);
  CHECK_EQ(uv_async_init(&loop, &rt_async, rt_cb), 0);
  t0 = uv_hrtime();
  CHECK_EQ(uv_thread_create(&tid, rt_worker, NULL), 0);
  CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  t1 = uv_hrtime();
  CHECK_EQ(uv_thread_join(&tid), 0);
  CHECK_EQ(rt_calls, n);
  uv_sem_destroy(&rt_sem);
  bench_close_loop(&loop);
  return t1 - t0;
}

/* ---- throughput ---- */

static uv_async_t tp_async;
static uint64_t tp_n, tp_calls;
static int tp_done;     /* senders finished; atomic */
static int tp_closing;
static uint64_t tp_t1;

static void tp_sender(void* arg) {
  uint64_t i;
  int failed = 0;
  (void)arg;
  for (i = 0; i < tp_n; i++) failed |= uv_async_send(&tp_async);
  CHECK_EQ(failed, 0);
  __atomic_add_fetch(&tp_done, 1, __ATOMIC_SEQ_CST);
  /* A callback is guaranteed to run after this send, and it will see the
   * counter update. */
  CHECK_EQ(uv_async_send(&tp_async), 0);
}

static void tp_cb(uv_async_t* h) {
  CHECK(!tp_closing);
  tp_calls++;
  if (__atomic_load_n(&tp_done, __ATOMIC_SEQ_CST) == SENDERS) {
    tp_closing = 1;
    tp_t1 = uv_hrtime();
    uv_close((uv_handle_t*)h, NULL);
  }
}

static uint64_t throughput(uint64_t n) {
  uv_loop_t loop;
  uv_thread_t tid[SENDERS];
  uint64_t t0;
  int i;

  tp_n = n;
  tp_calls = 0;
  tp_done = 0;
  tp_closing = 0;
  CHECK_EQ(uv_loop_init(&loop), 0);
  CHECK_EQ(uv_async_init(&loop, &tp_async, tp_cb), 0);
  t0 = uv_hrtime();
  for (i = 0; i < SENDERS; i++)
    CHECK_EQ(uv_thread_create(&tid[i], tp_sender, NULL), 0);
  CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  for (i = 0; i < SENDERS; i++) CHECK_EQ(uv_thread_join(&tid[i]), 0);
  CHECK(tp_closing);
  CHECK_EQ(tp_done, SENDERS);
  CHECK(tp_calls >= 1 && tp_calls <= SENDERS * (n + 1));
  fprintf(stderr, "# async: %llu sends -> %llu callbacks\n",
          (unsigned long long)(SENDERS * n), (unsigned long long)tp_calls);
  bench_close_loop(&loop);
  return tp_t1 - t0;
}

int main(int argc, char** argv) {
  uint64_t n = bench_arg(argc, argv, 1, 10000);
  uint64_t ns;

  roundtrips(n / 20 + 1); /* warm-up */
  ns = roundtrips(n);
  bench_report("async", "roundtrips/s", n, ns);

  ns = throughput(n * 5000);
  bench_report("async", "sends/s", SENDERS * n * 5000, ns);
  return 0;
}
