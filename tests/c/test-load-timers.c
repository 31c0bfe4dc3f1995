/* Load: a million timers on one loop, started and stopped at random, some
 * restarted, then run: exactly the ones left started fire, each once, in
 * due order. Afterwards, with every handle closed and the loop closed, the
 * descriptor count is back where it started and resident memory within
 * 10% (plus 8 MiB of slack for the allocator) of where it started. */
#include "test.h"

#include <dirent.h>

/* A tenth of it under a memory checker. */
static size_t N = 1000 * 1000;

static uv_timer_t* timers;
static unsigned char* started;
static uint64_t* due;
static long fired, expected, closed;
static uint64_t last_due;

static uint64_t rng = 88172645463325252ull;

static uint64_t next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void timer_cb(uv_timer_t* t) {
  size_t i = (size_t) (t - timers);
  ASSERT(started[i]);
  started[i] = 0;
  /* Due order: timeouts were drawn from the same start time. */
  ASSERT_UGE(due[i], last_due);
  last_due = due[i];
  fired++;
}

static void close_cb(uv_handle_t* h) {
  (void) h;
  closed++;
}

int main(void) {
  uv_loop_t loop;
  long fds_before, rss_before, rss_after;
  size_t i, ops;

  /* libuv keeps process-wide descriptors (its signal lock pipe) from the
   * first loop on: count from after one. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_loop_close(&loop));
  if (strcmp(under_checker(), "") != 0)
    N /= 10;
  fds_before = fd_count();
  rss_before = rss_kib();

  timers = malloc(sizeof(*timers) * N);
  started = calloc(N, 1);
  due = calloc(N, sizeof(*due));
  ASSERT(timers != NULL && started != NULL && due != NULL);
  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < N; i++)
    ASSERT_OK(uv_timer_init(&loop, &timers[i]));

  /* Random starts, stops and restarts, all before the loop runs, so every
   * timeout counts from the same loop time. */
  for (ops = 0; ops < 3 * N; ops++) {
    uint64_t x = next_random();
    i = (size_t) (x % N);
    if ((x >> 32) % 3 == 0 && started[i]) {
      ASSERT_OK(uv_timer_stop(&timers[i]));
      started[i] = 0;
    } else {
      due[i] = (x >> 40) % 50;
      ASSERT_OK(uv_timer_start(&timers[i], timer_cb, due[i], 0));
      started[i] = 1;
    }
  }
  for (i = 0; i < N; i++)
    expected += started[i];
  ASSERT_GT(expected, (long) N / 4);

  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fired, expected);
  for (i = 0; i < N; i++)
    ASSERT(!started[i]);

  for (i = 0; i < N; i++)
    uv_close((uv_handle_t*) &timers[i], close_cb);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(closed, (long) N);
  ASSERT_OK(uv_loop_close(&loop));
  free(timers);
  free(started);
  free(due);

  ASSERT_EQ(fd_count(), fds_before);
  rss_after = expect_rss_back(rss_before, 8 * 1024);
  printf("ok: %ld of %zu timers fired; RSS %ld -> %ld KiB\n", fired, N,
         rss_before, rss_after);
  return 0;
}
