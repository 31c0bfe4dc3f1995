/* uv_signal_t: raise()/kill() delivered to one and to two handles, one-shot
 * handles, stop, restarting with another signal or callback, two loops, a
 * signal sent from another thread, closing handles from the callback,
 * invalid signal numbers, and the process's disposition while handles run
 * and after the last one stops.
 *
 * Every raise happens while a handle for that signal is started, so the
 * default action (terminate) never runs. */
#include "test.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>

static uv_loop_t loop;

/* Start order of delivery is rsuv's promise; libuv orders by address. */
static int ours(void) {
  const char* mode = getenv("RSUV_TEST_MODE");
  return mode == NULL || strcmp(mode, "libuv") != 0;
}

static void (*disposition(int signum))(int) {
  struct sigaction sa;
  ASSERT_OK(sigaction(signum, NULL, &sa));
  return sa.sa_handler;
}

static int disposition_flags(int signum) {
  struct sigaction sa;
  ASSERT_OK(sigaction(signum, NULL, &sa));
  return sa.sa_flags;
}

typedef struct {
  uv_signal_t h;
  int calls;
  int last_signum;
  int stop_after; /* stop itself after this many calls; 0: never */
} counter_t;

static int order[8];
static int norder;

static void count_cb(uv_signal_t* h, int signum) {
  counter_t* c = (counter_t*) h;
  ASSERT_EQ(signum, h->signum);
  c->calls++;
  c->last_signum = signum;
  if (norder < 8)
    order[norder++] = (int) (intptr_t) h->data;
  if (c->stop_after != 0 && c->calls == c->stop_after)
    ASSERT_OK(uv_signal_stop(h));
}

static void counter_init(uv_loop_t* lp, counter_t* c, int tag, int stop_after) {
  memset(c, 0, sizeof(*c));
  ASSERT_OK(uv_signal_init(lp, &c->h));
  c->h.data = (void*) (intptr_t) tag;
  c->stop_after = stop_after;
}

static void test_invalid(void) {
  uv_signal_t h;

  ASSERT_OK(uv_signal_init(&loop, &h));
  ASSERT_EQ(h.signum, 0);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);
  ASSERT_ERR(uv_signal_start(&h, count_cb, 0), UV_EINVAL);
  ASSERT_ERR(uv_signal_start_oneshot(&h, count_cb, 0), UV_EINVAL);
  ASSERT_ERR(uv_signal_start(&h, count_cb, -1), UV_EINVAL);
  ASSERT_ERR(uv_signal_start(&h, count_cb, 1000), UV_EINVAL);
  /* Uncatchable: sigaction refuses them. */
  ASSERT_ERR(uv_signal_start(&h, count_cb, SIGKILL), UV_EINVAL);
  ASSERT_ERR(uv_signal_start(&h, count_cb, SIGSTOP), UV_EINVAL);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);
  ASSERT_EQ(h.signum, 0);
  ASSERT_PTR_EQ(disposition(SIGKILL), SIG_DFL);
  /* Stopping a handle that never started is fine. */
  ASSERT_OK(uv_signal_stop(&h));

  /* An initialized, unstarted handle keeps nothing alive, and the loop's
   * signal pipe is not a handle. */
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &h), UV_SIGNAL);
  uv_close((uv_handle_t*) &h, NULL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
}

static void test_one_handle(void) {
  counter_t c;

  ASSERT_PTR_EQ(disposition(SIGUSR1), SIG_DFL);
  counter_init(&loop, &c, 1, 1);
  ASSERT_OK(uv_signal_start(&c.h, count_cb, SIGUSR1));
  ASSERT_EQ(c.h.signum, SIGUSR1);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &c.h), 1);
  ASSERT(disposition(SIGUSR1) != SIG_DFL);
  ASSERT(disposition(SIGUSR1) != SIG_IGN);
  ASSERT_EQ(disposition_flags(SIGUSR1) & SA_RESTART, SA_RESTART);
  ASSERT_EQ(disposition_flags(SIGUSR1) & SA_RESETHAND, 0);

  ASSERT_OK(raise(SIGUSR1));
  ASSERT_EQ(c.calls, 0); /* delivered by the loop, not in the handler */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(c.calls, 1);
  ASSERT_EQ(c.last_signum, SIGUSR1);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &c.h), 0);
  ASSERT_EQ(c.h.signum, 0);
  /* The last handle stopped: the default action is back. */
  ASSERT_PTR_EQ(disposition(SIGUSR1), SIG_DFL);

  /* Again, with kill() and the handle restarted. */
  ASSERT_OK(uv_signal_start(&c.h, count_cb, SIGUSR1));
  ASSERT_OK(kill(getpid(), SIGUSR1));
  c.stop_after = 2;
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(c.calls, 2);
  ASSERT_PTR_EQ(disposition(SIGUSR1), SIG_DFL);

  uv_close((uv_handle_t*) &c.h, NULL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
}

static void test_two_handles(void) {
  counter_t a, b;

  counter_init(&loop, &a, 1, 2);
  counter_init(&loop, &b, 2, 2);
  ASSERT_OK(uv_signal_start(&a.h, count_cb, SIGUSR1));
  ASSERT_OK(uv_signal_start(&b.h, count_cb, SIGUSR1));
  norder = 0;
  ASSERT_OK(raise(SIGUSR1));
  ASSERT_NE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(a.calls, 1);
  ASSERT_EQ(b.calls, 1);
  ASSERT_EQ(norder, 2);
  if (ours()) {
    ASSERT_EQ(order[0], 1);
    ASSERT_EQ(order[1], 2);
  }
  ASSERT_OK(raise(SIGUSR1));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(a.calls, 2);
  ASSERT_EQ(b.calls, 2);
  ASSERT_PTR_EQ(disposition(SIGUSR1), SIG_DFL);

  /* Stopping one leaves the other, and the handler, in place. */
  a.stop_after = 0;
  b.stop_after = 3;
  ASSERT_OK(uv_signal_start(&a.h, count_cb, SIGUSR1));
  ASSERT_OK(uv_signal_start(&b.h, count_cb, SIGUSR1));
  ASSERT_OK(uv_signal_stop(&a.h));
  ASSERT(disposition(SIGUSR1) != SIG_DFL);
  ASSERT_OK(raise(SIGUSR1));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(a.calls, 2);
  ASSERT_EQ(b.calls, 3);
  ASSERT_PTR_EQ(disposition(SIGUSR1), SIG_DFL);

  uv_close((uv_handle_t*) &a.h, NULL);
  uv_close((uv_handle_t*) &b.h, NULL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
}

static void test_oneshot(void) {
  counter_t once, always;

  /* Alone: installed with SA_RESETHAND, stopped after the first signal. */
  counter_init(&loop, &once, 1, 0);
  ASSERT_OK(uv_signal_start_oneshot(&once.h, count_cb, SIGUSR1));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &once.h), 1);
  ASSERT_EQ(once.h.signum, SIGUSR1);
  ASSERT_EQ(disposition_flags(SIGUSR1) & SA_RESETHAND, SA_RESETHAND);
  ASSERT_OK(raise(SIGUSR1));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(once.calls, 1);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &once.h), 0);
  ASSERT_EQ(once.h.signum, 0);
  ASSERT_PTR_EQ(disposition(SIGUSR1), SIG_DFL);

  /* Beside a regular handle (which keeps the handler installed without
   * SA_RESETHAND): two signals, the one-shot handle sees only the first. */
  counter_init(&loop, &always, 2, 2);
  ASSERT_OK(uv_signal_start_oneshot(&once.h, count_cb, SIGUSR1));
  ASSERT_OK(uv_signal_start(&always.h, count_cb, SIGUSR1));
  ASSERT_EQ(disposition_flags(SIGUSR1) & SA_RESETHAND, 0);
  ASSERT_OK(raise(SIGUSR1));
  ASSERT_OK(raise(SIGUSR1));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(once.calls, 2);
  ASSERT_EQ(always.calls, 2);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &once.h), 0);
  ASSERT_PTR_EQ(disposition(SIGUSR1), SIG_DFL);

  uv_close((uv_handle_t*) &once.h, NULL);
  uv_close((uv_handle_t*) &always.h, NULL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
}

static int other_calls;

static void other_cb(uv_signal_t* h, int signum) {
  (void) signum;
  other_calls++;
  ASSERT_OK(uv_signal_stop(h));
}

static void test_restart(void) {
  counter_t c;

  counter_init(&loop, &c, 1, 1);
  ASSERT_OK(uv_signal_start(&c.h, count_cb, SIGUSR1));
  ASSERT(disposition(SIGUSR1) != SIG_DFL);

  /* Another signal: the first one is released. */
  ASSERT_OK(uv_signal_start(&c.h, count_cb, SIGUSR2));
  ASSERT_EQ(c.h.signum, SIGUSR2);
  ASSERT_PTR_EQ(disposition(SIGUSR1), SIG_DFL);
  ASSERT(disposition(SIGUSR2) != SIG_DFL);
  ASSERT_OK(raise(SIGUSR2));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(c.calls, 1);
  ASSERT_EQ(c.last_signum, SIGUSR2);
  ASSERT_PTR_EQ(disposition(SIGUSR2), SIG_DFL);

  /* The same signal again: only the callback changes. */
  other_calls = 0;
  ASSERT_OK(uv_signal_start(&c.h, count_cb, SIGUSR1));
  ASSERT_OK(uv_signal_start(&c.h, other_cb, SIGUSR1));
  ASSERT_EQ(c.h.signum, SIGUSR1);
  ASSERT_OK(raise(SIGUSR1));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(c.calls, 1);
  ASSERT_EQ(other_calls, 1);
  ASSERT_PTR_EQ(disposition(SIGUSR1), SIG_DFL);

  uv_close((uv_handle_t*) &c.h, NULL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
}

static void test_two_loops(void) {
  uv_loop_t loop2;
  counter_t a, b;

  ASSERT_OK(uv_loop_init(&loop2));
  counter_init(&loop, &a, 1, 1);
  counter_init(&loop2, &b, 2, 1);
  ASSERT_OK(uv_signal_start(&a.h, count_cb, SIGUSR1));
  ASSERT_OK(uv_signal_start(&b.h, count_cb, SIGUSR1));
  ASSERT_OK(raise(SIGUSR1));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(a.calls, 1);
  ASSERT_EQ(b.calls, 0);
  /* b is still started on loop2: the handler stays. */
  ASSERT(disposition(SIGUSR1) != SIG_DFL);
  ASSERT_OK(uv_run(&loop2, UV_RUN_DEFAULT));
  ASSERT_EQ(b.calls, 1);
  ASSERT_PTR_EQ(disposition(SIGUSR1), SIG_DFL);

  uv_close((uv_handle_t*) &a.h, NULL);
  uv_close((uv_handle_t*) &b.h, NULL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  close_loop(&loop2);
}

static void kill_thread(void* arg) {
  (void) arg;
  ASSERT_OK(uv_kill(uv_os_getpid(), SIGUSR2));
}

static void test_other_thread(void) {
  counter_t c;
  uv_thread_t t;

  counter_init(&loop, &c, 1, 1);
  ASSERT_OK(uv_signal_start(&c.h, count_cb, SIGUSR2));
  ASSERT_OK(uv_thread_create(&t, kill_thread, NULL));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_thread_join(&t));
  ASSERT_EQ(c.calls, 1);
  ASSERT_EQ(c.last_signum, SIGUSR2);
  ASSERT_PTR_EQ(disposition(SIGUSR2), SIG_DFL);
  uv_close((uv_handle_t*) &c.h, NULL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
}

static uv_signal_t pair[2];
static int pair_calls;
static int close_calls;

static void on_close(uv_handle_t* h) {
  (void) h;
  close_calls++;
}

/* Closes both handles: whichever is called first, the other never is. */
static void close_both_cb(uv_signal_t* h, int signum) {
  int i;
  (void) h;
  ASSERT_EQ(signum, SIGUSR1);
  pair_calls++;
  for (i = 0; i < 2; i++)
    if (!uv_is_closing((uv_handle_t*) &pair[i]))
      uv_close((uv_handle_t*) &pair[i], on_close);
}

static void test_close_in_callback(void) {
  ASSERT_OK(uv_signal_init(&loop, &pair[0]));
  ASSERT_OK(uv_signal_init(&loop, &pair[1]));
  ASSERT_OK(uv_signal_start(&pair[0], close_both_cb, SIGUSR1));
  ASSERT_OK(uv_signal_start(&pair[1], close_both_cb, SIGUSR1));
  ASSERT_OK(raise(SIGUSR1));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(pair_calls, 1);
  ASSERT_EQ(close_calls, 2);
  ASSERT_PTR_EQ(disposition(SIGUSR1), SIG_DFL);
}

/* rsuv puts back the disposition that was there before the first handle
 * started; libuv always resets to SIG_DFL. */
static void test_restore_previous(void) {
  counter_t c;
  struct sigaction ign;

  if (!ours())
    return;
  memset(&ign, 0, sizeof(ign));
  ign.sa_handler = SIG_IGN;
  ASSERT_OK(sigaction(SIGUSR2, &ign, NULL));
  counter_init(&loop, &c, 1, 1);
  ASSERT_OK(uv_signal_start(&c.h, count_cb, SIGUSR2));
  ASSERT_OK(raise(SIGUSR2));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(c.calls, 1);
  ASSERT_PTR_EQ(disposition(SIGUSR2), SIG_IGN);
  uv_close((uv_handle_t*) &c.h, NULL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ign.sa_handler = SIG_DFL;
  ASSERT_OK(sigaction(SIGUSR2, &ign, NULL));
}

/* Closing a started handle releases the signal too. */
static void test_close_started(void) {
  counter_t c;

  counter_init(&loop, &c, 1, 0);
  ASSERT_OK(uv_signal_start(&c.h, count_cb, SIGUSR1));
  ASSERT(disposition(SIGUSR1) != SIG_DFL);
  uv_close((uv_handle_t*) &c.h, NULL);
  ASSERT_PTR_EQ(disposition(SIGUSR1), SIG_DFL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(c.calls, 0);
}

int main(void) {
  ASSERT_OK(uv_loop_init(&loop));
  test_invalid();
  test_one_handle();
  test_two_handles();
  test_oneshot();
  test_restart();
  test_two_loops();
  test_other_thread();
  test_close_in_callback();
  test_restore_previous();
  test_close_started();
  close_loop(&loop);
  ASSERT_PTR_EQ(disposition(SIGUSR1), SIG_DFL);
  ASSERT_PTR_EQ(disposition(SIGUSR2), SIG_DFL);
  return 0;
}
