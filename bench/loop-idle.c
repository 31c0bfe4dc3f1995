/* loop-idle: event-loop iterations per second with a single idle handle.
 * The idle callback runs once per loop iteration; it counts and stops the
 * handle after N iterations, which lets uv_run() return. */
#include "bench.h"

static uint64_t target;
static uint64_t count;

static void idle_cb(uv_idle_t* h) {
  if (++count == target) CHECK_EQ(uv_idle_stop(h), 0);
}

static uint64_t run_iterations(uv_loop_t* loop, uv_idle_t* idle, uint64_t n) {
  uint64_t t0, t1;
  count = 0;
  target = n;
  CHECK_EQ(uv_idle_start(idle, idle_cb), 0);
  t0 = uv_hrtime();
  CHECK_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  t1 = uv_hrtime();
  CHECK_EQ(count, n);
  CHECK(!uv_is_active((uv_handle_t*)idle));
  CHECK(!uv_loop_alive(loop));
  return t1 - t0;
}

int main(int argc, char** argv) {
  uint64_t n = bench_arg(argc, argv, 1, 3000000);
  uv_loop_t loop;
  uv_idle_t idle;
  uint64_t ns;

  CHECK_EQ(uv_loop_init(&loop), 0);
  CHECK_EQ(uv_idle_init(&loop, &idle), 0);
  run_iterations(&loop, &idle, n / 20 + 1); /* warm-up */
  ns = run_iterations(&loop, &idle, n);
  bench_report("loop-idle", "iterations/s", n, ns);

  uv_close((uv_handle_t*)&idle, NULL);
  bench_close_loop(&loop);
  return 0;
}
