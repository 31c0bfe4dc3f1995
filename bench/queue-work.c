/* queue-work: uv_queue_work() round trips through the threadpool.
 * K requests are kept in flight (K = 64, then K = 1); each has a trivial
 * work_cb, and after_work_cb re-queues its request until N have been
 * submitted. Figure = N / elapsed. Every request must run work_cb exactly
 * once and after_work_cb exactly once with status 0. */
#include "bench.h"

#define MAX_K 64

struct job {
  uv_work_t req;
  uint64_t worked;      /* work_cb runs for the current submission */
  uint64_t seq;         /* submission number, checked in work/after cb */
  uint64_t seen_seq;
};

static struct job jobs[MAX_K];
static uint64_t submitted, completed, target;
static uint64_t work_calls; /* atomic */

static void work_cb(uv_work_t* req) {
  struct job* j = (struct job*)req->data;
  j->worked++;
  j->seen_seq = j->seq;
  __atomic_add_fetch(&work_calls, 1, __ATOMIC_RELAXED);
}

static void after_cb(uv_work_t* req, int status);

static void submit(struct job* j, uv_loop_t* loop) {
  j->worked = 0;
  j->seq = ++submitted;
  CHECK_EQ(uv_queue_work(loop, &j->req, work_cb, after_cb), 0);
}

static void after_cb(uv_work_t* req, int status) {
  struct job* j = (struct job*)req->data;
  CHECK_EQ(status, 0);
  CHECK_EQ(j->worked, 1);
  CHECK_EQ(j->seen_seq, j->seq);
  completed++;
  if (submitted < target) submit(j, req->loop);
}

static uint64_t run(uv_loop_t* loop, int k, uint64_t n) {
  uint64_t t0, t1;
  int i;

  CHECK(k >= 1 && k <= MAX_K && (uint64_t)k <= n);
  submitted = completed = 0;
  work_calls = 0;
  target = n;
  t0 = uv_hrtime();
  for (i = 0; i < k; i++) {
    jobs[i].req.data = &jobs[i];
    submit(&jobs[i], loop);
  }
  CHECK_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  t1 = uv_hrtime();
  CHECK_EQ(submitted, n);
  CHECK_EQ(completed, n);
  CHECK_EQ(__atomic_load_n(&work_calls, __ATOMIC_SEQ_CST), n);
  CHECK(!uv_loop_alive(loop));
  return t1 - t0;
}

int main(int argc, char** argv) {
  uint64_t n = bench_arg(argc, argv, 1, 300000);
  if (n < MAX_K) n = MAX_K;
  uint64_t n1 = n / 20 + 1;
  uv_loop_t loop;

  CHECK_EQ(uv_loop_init(&loop), 0);
  run(&loop, MAX_K, MAX_K * 4); /* warm-up: starts the threadpool */
  bench_report("queue-work", "k64-works/s", n, run(&loop, 64, n));
  bench_report("queue-work", "k1-works/s", n1, run(&loop, 1, n1));
  bench_close_loop(&loop);
  return 0;
}
