/* Async handles: uv_async_init (also with a NULL callback), uv_async_send
 * from the loop thread and from other threads waking a loop blocked in
 * poll, coalescing of sends, closing an async handle from its callback,
 * sends from a signal handler, concurrent sends from many threads,
 * ref/unref. */
#include "test.h"

#include <pthread.h>
#include <signal.h>

static uv_thread_t loop_thread;
static int async_count;
static int close_count;

static void close_cb(uv_handle_t* h) {
  (void) h;
  close_count++;
}

static void count_async_cb(uv_async_t* h) {
  uv_thread_t self = uv_thread_self();
  (void) h;
  ASSERT(uv_thread_equal(&self, &loop_thread));
  async_count++;
}

static void test_basics(void) {
  uv_loop_t loop;
  uv_async_t a;
  uv_async_t nullcb;
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &a, count_async_cb));
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &a), UV_ASYNC);
  ASSERT_NE(uv_is_active((uv_handle_t*) &a), 0); /* started by init */
  ASSERT_NE(uv_has_ref((uv_handle_t*) &a), 0);
  ASSERT_NE(uv_loop_alive(&loop), 0);

  /* No send: no callback. */
  async_count = 0;
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(async_count, 0);

  /* Sends before the loop runs coalesce into one callback (documented). */
  for (i = 0; i < 1000; i++)
    ASSERT_OK(uv_async_send(&a));
  ASSERT_EQ(async_count, 0); /* never synchronous */
  while (async_count == 0)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(async_count, 1);
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(async_count, 1);

  /* A send after the callback ran gives another callback. */
  ASSERT_OK(uv_async_send(&a));
  while (async_count == 1)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(async_count, 2);

  /* NULL callback is allowed; sending to it is harmless. */
  ASSERT_OK(uv_async_init(&loop, &nullcb, NULL));
  ASSERT_OK(uv_async_send(&nullcb));
  ASSERT_OK(uv_async_send(&nullcb));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);

  /* Unreferenced async handles do not keep the loop alive. */
  uv_unref((uv_handle_t*) &a);
  uv_unref((uv_handle_t*) &nullcb);
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(async_count, 2);

  close_count = 0;
  uv_close((uv_handle_t*) &a, close_cb);
  uv_close((uv_handle_t*) &nullcb, close_cb);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(close_count, 2);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- wake a loop blocked in poll from another thread ---- */

static void close_on_async_cb(uv_async_t* h) {
  uv_thread_t self = uv_thread_self();
  ASSERT(uv_thread_equal(&self, &loop_thread));
  async_count++;
  uv_close((uv_handle_t*) h, close_cb); /* close from its own callback */
}

static void delayed_send_thread(void* arg) {
  uv_async_t* a = arg;
  uv_sleep(50); /* give the loop a chance to block first */
  ASSERT_OK(uv_async_send(a));
}

static void test_wakeup(void) {
  uv_loop_t loop;
  uv_async_t a;
  uv_async_t b;
  uv_thread_t th;

  ASSERT_OK(uv_loop_init(&loop));

  /* UV_RUN_DEFAULT with nothing but the async handle: blocks forever unless
   * the send wakes it; the callback closes the handle and the loop ends. */
  async_count = close_count = 0;
  ASSERT_OK(uv_async_init(&loop, &a, close_on_async_cb));
  ASSERT_OK(uv_thread_create(&th, delayed_send_thread, &a));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_OK(uv_thread_join(&th));
  ASSERT_EQ(async_count, 1);
  ASSERT_EQ(close_count, 1);

  /* UV_RUN_ONCE blocks until the send arrives. */
  async_count = 0;
  ASSERT_OK(uv_async_init(&loop, &b, count_async_cb));
  ASSERT_OK(uv_thread_create(&th, delayed_send_thread, &b));
  while (async_count == 0)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_OK(uv_thread_join(&th));
  ASSERT_EQ(async_count, 1);

  close_loop(&loop);
}

/* ---- uv_async_send from a signal handler (it is async-signal-safe) ---- */

static uv_async_t sig_async;
static pthread_t loop_pthread;

static void on_sigusr1(int sig) {
  (void) sig;
  uv_async_send(&sig_async);
}

static void signal_thread(void* arg) {
  (void) arg;
  uv_sleep(50); /* let the loop block in poll first */
  ASSERT_EQ(pthread_kill(loop_pthread, SIGUSR1), 0);
}

static void test_signal_handler(void) {
  struct sigaction sa;
  struct sigaction old;
  uv_loop_t loop;
  uv_thread_t th;

  ASSERT_OK(uv_loop_init(&loop));
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_sigusr1;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);

  async_count = close_count = 0;
  loop_pthread = pthread_self();
  ASSERT_OK(uv_async_init(&loop, &sig_async, close_on_async_cb));
  /* The signal interrupts the loop's poll in this thread; the handler's send
   * must still be delivered. */
  ASSERT_OK(uv_thread_create(&th, signal_thread, NULL));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_OK(uv_thread_join(&th));
  ASSERT_EQ(async_count, 1);
  ASSERT_EQ(close_count, 1);

  ASSERT_EQ(sigaction(SIGUSR1, &old, NULL), 0);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- concurrent sends from many threads ---- */

#define NTHREADS 4
#define NSENDS 20000

static uv_mutex_t mtx;
static int threads_done;
static int sends_total;

static void many_async_cb(uv_async_t* h) {
  int done;
  uv_thread_t self = uv_thread_self();
  ASSERT(uv_thread_equal(&self, &loop_thread));
  async_count++;
  uv_mutex_lock(&mtx);
  done = threads_done;
  uv_mutex_unlock(&mtx);
  if (done == NTHREADS)
    uv_close((uv_handle_t*) h, close_cb);
}

static void sender_thread(void* arg) {
  uv_async_t* a = arg;
  int i;
  for (i = 0; i < NSENDS; i++)
    ASSERT_OK(uv_async_send(a));
  uv_mutex_lock(&mtx);
  threads_done++;
  sends_total += NSENDS + 1;
  uv_mutex_unlock(&mtx);
  /* A callback is guaranteed to run after this send, and it will see our
   * threads_done increment. */
  ASSERT_OK(uv_async_send(a));
}

static void test_many_threads(void) {
  uv_loop_t loop;
  uv_async_t a;
  uv_thread_t th[NTHREADS];
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_mutex_init(&mtx));
  async_count = close_count = 0;
  threads_done = sends_total = 0;
  ASSERT_OK(uv_async_init(&loop, &a, many_async_cb));
  for (i = 0; i < NTHREADS; i++)
    ASSERT_OK(uv_thread_create(&th[i], sender_thread, &a));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  for (i = 0; i < NTHREADS; i++)
    ASSERT_OK(uv_thread_join(&th[i]));
  ASSERT_EQ(close_count, 1);
  ASSERT_GE(async_count, 1);
  ASSERT_LE(async_count, sends_total);
  uv_mutex_destroy(&mtx);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- several async handles on one loop ---- */

static int a1_count;
static int a2_count;

static void a1_cb(uv_async_t* h) {
  (void) h;
  a1_count++;
}

static void a2_cb(uv_async_t* h) {
  (void) h;
  a2_count++;
}

static void test_several_handles(void) {
  uv_loop_t loop;
  uv_async_t a1;
  uv_async_t a2;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_async_init(&loop, &a1, a1_cb));
  ASSERT_OK(uv_async_init(&loop, &a2, a2_cb));
  a1_count = a2_count = 0;

  /* Only the handle that was sent to gets a callback. */
  ASSERT_OK(uv_async_send(&a2));
  while (a2_count == 0)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(a1_count, 0);
  ASSERT_EQ(a2_count, 1);

  ASSERT_OK(uv_async_send(&a1));
  ASSERT_OK(uv_async_send(&a2));
  while (a1_count == 0 || a2_count == 1)
    ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(a1_count, 1);
  ASSERT_EQ(a2_count, 2);

  close_loop(&loop);
}

int main(void) {
  loop_thread = uv_thread_self();
  test_basics();
  test_wakeup();
  test_signal_handler();
  test_many_threads();
  test_several_handles();
  printf("test-async: ok\n");
  return 0;
}
