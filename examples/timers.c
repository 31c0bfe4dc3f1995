/* timers: a repeating "job" timer beside an unreferenced "gc" timer; the loop ends when the job stops itself, though the gc timer is still active. */
#include <stdio.h>

#include <uv.h>

#define TICKS 5

static uv_timer_t gc_timer;
static uv_timer_t job_timer;
static int gc_runs;
static int job_ticks;
static uint64_t start;

static void gc(uv_timer_t* handle) {
  gc_runs++;
  printf("[%3llu ms] gc: freeing unused objects\n",
         (unsigned long long) (uv_now(handle->loop) - start));
}

static void job(uv_timer_t* handle) {
  job_ticks++;
  printf("[%3llu ms] job: tick %d of %d\n",
         (unsigned long long) (uv_now(handle->loop) - start), job_ticks,
         TICKS);
  if (job_ticks == TICKS)
    uv_timer_stop(handle);
}

static void close_all(uv_handle_t* handle, void* arg) {
  (void) arg;
  if (!uv_is_closing(handle))
    uv_close(handle, NULL);
}

int main(void) {
  uv_loop_t* loop = uv_default_loop();

  start = uv_now(loop);

  /* The gc timer repeats forever, but being unreferenced it does not keep
   * the loop alive on its own. */
  uv_timer_init(loop, &gc_timer);
  uv_unref((uv_handle_t*) &gc_timer);
  uv_timer_start(&gc_timer, gc, 0, 15);

  /* The job repeats every 20 ms and stops itself after TICKS ticks. */
  uv_timer_init(loop, &job_timer);
  uv_timer_start(&job_timer, job, 20, 20);

  uv_run(loop, UV_RUN_DEFAULT);
  printf("uv_run returned: job done after %d ticks; gc ran %d times and is "
         "%s.\n", job_ticks, gc_runs,
         uv_is_active((uv_handle_t*) &gc_timer) ? "still active" : "stopped");

  uv_walk(loop, close_all, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  if (uv_loop_close(loop) != 0)
    return 1;
  return job_ticks == TICKS && gc_runs >= 1 ? 0 : 1;
}
