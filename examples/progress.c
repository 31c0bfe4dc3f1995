/* progress: a thread-pool job (uv_queue_work) reports its progress to the loop thread with uv_async_send; the shared value is guarded by a mutex. */
#include <stdio.h>

#include <uv.h>

#define SIZE 10240 /* bytes to "download" */

static uv_async_t progress_async;
static uv_mutex_t progress_lock;
static double progress; /* percent, guarded by progress_lock */
static int reports;
static int completed;

/* Runs on a thread-pool thread. */
static void fake_download(uv_work_t* req) {
  int size = *(int*) req->data;
  int downloaded = 0;
  unsigned seed = 42;

  while (downloaded < size) {
    seed = seed * 1103515245u + 12345u;
    downloaded += 200 + (int) ((seed >> 16) % 800); /* 200..999 bytes */
    if (downloaded > size)
      downloaded = size;
    uv_mutex_lock(&progress_lock);
    progress = downloaded * 100.0 / size;
    uv_mutex_unlock(&progress_lock);
    /* Sends may be coalesced: the loop sees the latest value. */
    uv_async_send(&progress_async);
    uv_sleep(2);
  }
}

/* Runs on the loop thread. */
static void print_progress(uv_async_t* handle) {
  double p;
  (void) handle;
  uv_mutex_lock(&progress_lock);
  p = progress;
  uv_mutex_unlock(&progress_lock);
  reports++;
  printf("Downloaded %6.2f%%\n", p);
}

/* Runs on the loop thread once fake_download returned. */
static void after(uv_work_t* req, int status) {
  (void) req;
  if (status != 0) {
    fprintf(stderr, "download failed: %s\n", uv_strerror(status));
    return;
  }
  completed = 1;
  printf("Download complete\n");
  /* Closing the async handle lets the loop end. Pending sends are dropped,
   * which is fine: we are done. */
  uv_close((uv_handle_t*) &progress_async, NULL);
}

int main(void) {
  uv_loop_t* loop = uv_default_loop();
  uv_work_t req;
  int size = SIZE;

  uv_mutex_init(&progress_lock);
  req.data = &size;
  uv_async_init(loop, &progress_async, print_progress);
  if (uv_queue_work(loop, &req, fake_download, after) != 0)
    return 1;

  uv_run(loop, UV_RUN_DEFAULT);
  printf("%d progress reports received\n", reports);

  uv_mutex_destroy(&progress_lock);
  if (uv_loop_close(loop) != 0)
    return 1;
  return completed && reports >= 1 ? 0 : 1;
}
