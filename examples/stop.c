/* stop: uv_stop() called from an idle callback makes uv_run() return after the current iteration although the idle handle is still active. */
#include <stdio.h>

#include <uv.h>

static int idle_calls;
static int prepare_calls;

static void on_idle(uv_idle_t* handle) {
  idle_calls++;
  printf("idle callback %d\n", idle_calls);
  if (idle_calls == 5) {
    printf("calling uv_stop()\n");
    uv_stop(handle->loop);
  }
}

/* Prepare callbacks run right after the idle ones in each iteration: this
 * shows that the iteration in which uv_stop() was called is completed. */
static void on_prepare(uv_prepare_t* handle) {
  (void) handle;
  prepare_calls++;
  printf("prepare callback %d\n", prepare_calls);
}

int main(void) {
  uv_loop_t loop;
  uv_idle_t idler;
  uv_prepare_t prep;
  int r;

  uv_loop_init(&loop);
  uv_idle_init(&loop, &idler);
  uv_idle_start(&idler, on_idle);
  uv_prepare_init(&loop, &prep);
  uv_prepare_start(&prep, on_prepare);

  r = uv_run(&loop, UV_RUN_DEFAULT);
  printf("uv_run returned %d (non-zero: handles are still active)\n", r);

  uv_close((uv_handle_t*) &idler, NULL);
  uv_close((uv_handle_t*) &prep, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop) != 0)
    return 1;
  return r != 0 && idle_calls == 5 && prepare_calls == 5 ? 0 : 1;
}
