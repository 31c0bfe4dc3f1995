/* idle-counter: an idle handle's callback runs once per loop iteration; it counts to a limit, then stops itself so uv_run() returns. */
#include <inttypes.h>
#include <stdio.h>

#include <uv.h>

#define LIMIT 100000

static int64_t counter;

static void count_up(uv_idle_t* handle) {
  counter++;
  if (counter >= LIMIT)
    uv_idle_stop(handle); /* the last active handle: the loop can end */
}

int main(void) {
  uv_loop_t* loop = uv_default_loop();
  uv_idle_t idler;
  uint64_t start;

  uv_idle_init(loop, &idler);
  uv_idle_start(&idler, count_up);

  printf("Idling...\n");
  start = uv_hrtime();
  uv_run(loop, UV_RUN_DEFAULT);
  printf("The idle callback ran %" PRId64 " times (%.1f ms), then stopped.\n",
         counter, (double) (uv_hrtime() - start) / 1e6);

  uv_close((uv_handle_t*) &idler, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  if (uv_loop_close(loop) != 0)
    return 1;
  return counter == LIMIT ? 0 : 1;
}
