/* uv_random: synchronous and on the thread pool, its argument checks
 * (flags must be 0, at most INT32_MAX bytes), empty buffers, the loop kept
 * alive while a request is queued, cancellation of a queued request
 * (UV_ECANCELED, buffer untouched), and sizes from 0 to 1 MiB (exactly the
 * requested bytes written, and they look random). */
#include "test.h"

#include <limits.h>

static uv_loop_t loop;
static int calls, last_status;
static void* last_buf;
static size_t last_len;

static void random_cb(uv_random_t* req, int status, void* buf, size_t len) {
  (void) req;
  calls++;
  last_status = status;
  last_buf = buf;
  last_len = len;
}

static int nonzero(const unsigned char* p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (p[i] != 0)
      return 1;
  return 0;
}

static void test_sync(void) {
  unsigned char buf[1000];
  memset(buf, 0, sizeof(buf));
  ASSERT_OK(uv_random(NULL, NULL, buf, sizeof(buf), 0, NULL));
  /* 1000 zero bytes after a fill: odds of 2^-8000. */
  ASSERT(nonzero(buf, sizeof(buf)));
  ASSERT_OK(uv_random(NULL, NULL, buf, 0, 0, NULL));
  ASSERT_ERR(uv_random(NULL, NULL, buf, sizeof(buf), 1, NULL), UV_EINVAL);
  ASSERT_ERR(uv_random(NULL, NULL, buf, (size_t) INT_MAX + 1, 0, NULL), UV_E2BIG);
}

static void test_async(void) {
  unsigned char buf[4096];
  uv_random_t req;
  memset(buf, 0, sizeof(buf));
  calls = 0;
  ASSERT_OK(uv_random(&loop, &req, buf, sizeof(buf), 0, random_cb));
  ASSERT_NE(uv_loop_alive(&loop), 0);
  ASSERT_EQ(calls, 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(calls, 1);
  ASSERT_OK(last_status);
  ASSERT_PTR_EQ(last_buf, buf);
  ASSERT_EQ(last_len, sizeof(buf));
  ASSERT(nonzero(buf, sizeof(buf)));
  ASSERT_EQ(req.type, UV_RANDOM);
  ASSERT_PTR_EQ(req.loop, &loop);

  /* An empty request still completes through its callback. */
  calls = 0;
  ASSERT_OK(uv_random(&loop, &req, buf, 0, 0, random_cb));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(calls, 1);
  ASSERT_OK(last_status);
  ASSERT_EQ(last_len, 0);

  /* Rejected arguments queue nothing. */
  calls = 0;
  ASSERT_ERR(uv_random(&loop, &req, buf, 16, 7, random_cb), UV_EINVAL);
  ASSERT_ERR(uv_random(&loop, &req, buf, (size_t) INT_MAX + 1, 0, random_cb), UV_E2BIG);
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(calls, 0);
}

/* ---- cancellation: every pool thread blocked, then a queued request ---- */

#define BLOCKERS 4 /* the default pool size; UV_THREADPOOL_SIZE is unset */
static uv_sem_t started, release;
static uv_work_t blockers[BLOCKERS];

static void block_work(uv_work_t* w) {
  (void) w;
  uv_sem_post(&started);
  uv_sem_wait(&release);
}

static void block_done(uv_work_t* w, int status) {
  (void) w;
  ASSERT_OK(status);
}

static void test_cancel(void) {
  unsigned char buf[64];
  uv_random_t req;
  int i;
  ASSERT_OK(uv_sem_init(&started, 0));
  ASSERT_OK(uv_sem_init(&release, 0));
  for (i = 0; i < BLOCKERS; i++)
    ASSERT_OK(uv_queue_work(&loop, &blockers[i], block_work, block_done));
  for (i = 0; i < BLOCKERS; i++)
    uv_sem_wait(&started);
  memset(buf, 0, sizeof(buf));
  calls = 0;
  ASSERT_OK(uv_random(&loop, &req, buf, sizeof(buf), 0, random_cb));
  ASSERT_OK(uv_cancel((uv_req_t*) &req));
  for (i = 0; i < BLOCKERS; i++)
    uv_sem_post(&release);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(calls, 1);
  ASSERT_ERR(last_status, UV_ECANCELED);
  ASSERT_PTR_EQ(last_buf, buf);
  ASSERT_EQ(last_len, sizeof(buf));
  ASSERT(!nonzero(buf, sizeof(buf)));
  uv_sem_destroy(&started);
  uv_sem_destroy(&release);
}

/* Fills `len` bytes of a zeroed buffer, sync or async, and checks that the
 * guard bytes after them are untouched and, for enough bytes, that they
 * are not mostly zero (expected: 1 in 256; the bound is far off). */
static void check_size(size_t len, int async) {
  const size_t guard = 64;
  unsigned char* buf = calloc(1, len + guard);
  size_t i, zeros = 0;
  uv_random_t req;

  ASSERT(buf != NULL);
  if (async) {
    calls = 0;
    ASSERT_OK(uv_random(&loop, &req, buf, len, 0, random_cb));
    ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
    ASSERT_EQ(calls, 1);
    ASSERT_EQ(last_status, 0);
    ASSERT_EQ(last_len, len);
  } else {
    ASSERT_OK(uv_random(NULL, NULL, buf, len, 0, NULL));
  }
  for (i = 0; i < guard; i++)
    ASSERT_EQ(buf[len + i], 0);
  for (i = 0; i < len; i++)
    zeros += buf[i] == 0;
  if (len >= 64)
    ASSERT_LT(zeros, len / 16 + 8);
  free(buf);
}

static void test_sizes(void) {
  static const size_t sizes[] = { 0, 1, 2, 15, 16, 255, 256, 257, 4096,
                                  65535, 65536, 65537, 1024 * 1024 };
  size_t i;

  for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    check_size(sizes[i], 0);
    check_size(sizes[i], 1);
  }
}

int main(void) {
  ASSERT_OK(uv_loop_init(&loop));
  test_sync();
  test_async();
  test_cancel();
  test_sizes();
  close_loop(&loop);
  return 0;
}
