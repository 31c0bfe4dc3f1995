/* hello-loop: the smallest libuv program: an event loop with nothing to do returns from uv_run() at once. */
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

int main(void) {
  uv_loop_t* loop;
  int r;

  loop = malloc(sizeof(*loop));
  if (loop == NULL)
    return 1;

  r = uv_loop_init(loop);
  if (r != 0) {
    fprintf(stderr, "uv_loop_init: %s\n", uv_strerror(r));
    return 1;
  }

  printf("Running a loop with no handles and no requests...\n");
  r = uv_run(loop, UV_RUN_DEFAULT);
  printf("uv_run returned %d: nothing left to do. Now quitting.\n", r);

  /* Closing the loop releases its resources; it must succeed here. */
  if (uv_loop_close(loop) != 0) {
    fprintf(stderr, "uv_loop_close failed\n");
    return 1;
  }
  free(loop);
  return r == 0 ? 0 : 1;
}
