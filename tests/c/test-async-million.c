/* A million async handles on one loop: init, send to each (from a second
 * thread, then from the loop thread), close them all. Every handle gets
 * exactly one callback per round of sends, and closing them all finishes
 * within the runner's time limit: rsuv once took time quadratic in the
 * number of async handles to close them. */
#include "test.h"

#define N (1024 * 1024)

static uv_async_t* handles;
static unsigned calls;
static unsigned closes;
static unsigned char* seen;

static void async_cb(uv_async_t* h) {
  size_t i = (size_t) (h - handles);
  ASSERT_LT(i, N);
  seen[i]++;
  calls++;
}

static void close_cb(uv_handle_t* h) {
  (void) h;
  closes++;
}

static void send_all(void* arg) {
  size_t i;
  (void) arg;
  for (i = 0; i < N; i++)
    ASSERT_OK(uv_async_send(&handles[i]));
}

static void check_round(unsigned char expected) {
  size_t i;
  for (i = 0; i < N; i++)
    ASSERT_EQ(seen[i], expected);
}

int main(void) {
  uv_loop_t* loop = uv_default_loop();
  uv_thread_t thread;
  size_t i;

  handles = calloc(N, sizeof(*handles));
  seen = calloc(N, 1);
  ASSERT(handles != NULL && seen != NULL);
  for (i = 0; i < N; i++)
    ASSERT_OK(uv_async_init(loop, &handles[i], async_cb));

  /* Round 1: sent from another thread, all before the loop looks. */
  ASSERT_OK(uv_thread_create(&thread, send_all, NULL));
  ASSERT_OK(uv_thread_join(&thread));
  while (calls < N)
    uv_run(loop, UV_RUN_ONCE);
  ASSERT_EQ(calls, N);
  check_round(1);

  /* Round 2: from the loop thread. */
  send_all(NULL);
  while (calls < 2 * (unsigned) N)
    uv_run(loop, UV_RUN_ONCE);
  check_round(2);

  /* Close every other one first, then the rest. */
  for (i = 0; i < N; i += 2)
    uv_close((uv_handle_t*) &handles[i], close_cb);
  for (i = 1; i < N; i += 2)
    uv_close((uv_handle_t*) &handles[i], close_cb);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  ASSERT_EQ(closes, N);
  ASSERT_EQ(calls, 2 * (unsigned) N);
  ASSERT_OK(uv_loop_close(loop));
  free(handles);
  free(seen);
  return 0;
}
