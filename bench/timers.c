/* timers: two figures.
 *
 * start+fire/s: uv_timer_init + uv_timer_start N timers (default 1,000,000)
 *   with deterministic pseudo-random timeouts spread over 0..999 ms, then
 *   run the loop until every timer has fired. To measure the library rather
 *   than the clock, the program sleeps (unmeasured) until all timers are due
 *   before calling uv_run(), so the figure is N / (start time + fire time).
 *   The firing order is checked: by due time, ties in start order.
 *
 * start+stop/s: a pool of P (10,000) active timers with large timeouts;
 *   N2 times, stop a pseudo-randomly chosen one and start it again with a
 *   new timeout. One op = one uv_timer_stop + one uv_timer_start. No timer
 *   may fire. */
#include "bench.h"

#define SPREAD_MS 1000
#define POOL 10000

static uv_timer_t* timers;
static uint64_t* timeouts;
static uint64_t fired;
static uint64_t n_timers;
static long long last_idx = -1;
static int churn_fired;

static void fire_cb(uv_timer_t* t) {
  long long idx = t - timers;
  CHECK(idx >= 0 && (uint64_t)idx < n_timers);
  if (last_idx >= 0) {
    /* All timers were started with the same loop time, so due order is
     * timeout order, and equal timeouts fire in start order. */
    uint64_t pt = timeouts[last_idx], ct = timeouts[idx];
    if (!(pt < ct || (pt == ct && last_idx < idx)))
      BENCH_FAIL("timer %lld (timeout %llu) fired after %lld (timeout %llu)",
                 idx, (unsigned long long)ct, last_idx,
                 (unsigned long long)pt);
  }
  CHECK(!uv_is_active((uv_handle_t*)t));
  last_idx = idx;
  fired++;
}

static void churn_cb(uv_timer_t* t) {
  (void)t;
  churn_fired = 1;
}

static uint64_t closed;
static void close_cb(uv_handle_t* h) {
  (void)h;
  closed++;
}

static void start_fire(uint64_t n) {
  uv_loop_t loop;
  uint64_t seed = 0x9e3779b97f4a7c15ULL, i, t0, t1, t2, t3, due;
  uint64_t loop_start;

  n_timers = n;
  timers = calloc(n, sizeof(*timers));
  timeouts = malloc(n * sizeof(*timeouts));
  CHECK(timers != NULL && timeouts != NULL);
  for (i = 0; i < n; i++) timeouts[i] = bench_rand(&seed) % SPREAD_MS;
  /* Touch the memory up front so page faults are not measured. */
  memset(timers, 0, n * sizeof(*timers));

  CHECK_EQ(uv_loop_init(&loop), 0);
  uv_update_time(&loop);
  loop_start = uv_now(&loop);

  t0 = uv_hrtime();
  for (i = 0; i < n; i++) {
    CHECK_EQ(uv_timer_init(&loop, &timers[i]), 0);
    CHECK_EQ(uv_timer_start(&timers[i], fire_cb, timeouts[i], 0), 0);
  }
  t1 = uv_hrtime();
  CHECK_EQ(uv_now(&loop), loop_start);
  CHECK(uv_loop_alive(&loop));

  /* Unmeasured: wait until every timer is due (+ margin for coarse clocks).
   * uv_now() was taken before t0, so t0 + SPREAD_MS is past every due time.
   * Should a timer still be pending, uv_run() waits for it: slower, still
   * correct. */
  due = t0 + (uint64_t)(SPREAD_MS + 20) * 1000000ULL;
  for (;;) {
    uint64_t now = uv_hrtime();
    if (now >= due) break;
    uv_sleep((unsigned)((due - now) / 1000000 + 1));
  }

  t2 = uv_hrtime();
  CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  t3 = uv_hrtime();
  CHECK_EQ(fired, n);
  CHECK(uv_now(&loop) >= loop_start + SPREAD_MS - 1);
  fprintf(stderr, "# timers: start %.3f s, fire %.3f s\n",
          (double)(t1 - t0) / 1e9, (double)(t3 - t2) / 1e9);
  bench_report("timers", "start+fire/s", n, (t1 - t0) + (t3 - t2));

  for (i = 0; i < n; i++) uv_close((uv_handle_t*)&timers[i], close_cb);
  bench_close_loop(&loop);
  CHECK_EQ(closed, n);
  CHECK_EQ(fired, n);
  free(timers);
  free(timeouts);
}

static void start_stop(uint64_t n) {
  uv_loop_t loop;
  uv_timer_t* pool = calloc(POOL, sizeof(*pool));
  uint64_t seed = 0x2545f4914f6cdd1dULL, i, t0, t1, r;

  CHECK(pool != NULL);
  CHECK_EQ(uv_loop_init(&loop), 0);
  for (i = 0; i < POOL; i++) {
    CHECK_EQ(uv_timer_init(&loop, &pool[i]), 0);
    CHECK_EQ(uv_timer_start(&pool[i], churn_cb,
                            3600000 + bench_rand(&seed) % 100000, 0), 0);
  }

  t0 = uv_hrtime();
  for (i = 0; i < n; i++) {
    r = bench_rand(&seed);
    uv_timer_t* t = &pool[r % POOL];
    CHECK_EQ(uv_timer_stop(t), 0);
    CHECK_EQ(uv_timer_start(t, churn_cb, 3600000 + (r >> 32) % 100000, 0), 0);
  }
  t1 = uv_hrtime();
  bench_report("timers", "start+stop/s", n, t1 - t0);

  /* Every timer must still be pending and due in the far future. */
  for (i = 0; i < POOL; i++) CHECK(uv_is_active((uv_handle_t*)&pool[i]));
  CHECK(uv_loop_alive(&loop));
  CHECK_EQ(uv_run(&loop, UV_RUN_NOWAIT), 1);
  CHECK(!churn_fired);
  for (i = 0; i < POOL; i++) CHECK_EQ(uv_timer_stop(&pool[i]), 0);
  CHECK(!uv_loop_alive(&loop));
  closed = 0;
  for (i = 0; i < POOL; i++) uv_close((uv_handle_t*)&pool[i], close_cb);
  bench_close_loop(&loop);
  CHECK_EQ(closed, POOL);
  CHECK(!churn_fired);
  free(pool);
}

int main(int argc, char** argv) {
  uint64_t n = bench_arg(argc, argv, 1, 1000000);
  start_fire(n);
  start_stop(n * 5);
  return 0;
}
