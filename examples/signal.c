/* signal: a handle watches SIGUSR1, a timer sends SIGUSR1 to the process itself three times with uv_kill(); the callback counts them, and after the third stops the handle and the timer, so the loop ends. */
#include <signal.h>
#include <stdio.h>

#include <uv.h>

#define SIGNALS 3

static uv_signal_t sig;
static uv_timer_t sender;
static int received;

static void on_signal(uv_signal_t* handle, int signum) {
  received++;
  printf("got signal %d (SIGUSR1), %d of %d\n", signum, received, SIGNALS);
  if (received == SIGNALS) {
    printf("stopping the signal handle\n");
    uv_signal_stop(handle);
    uv_timer_stop(&sender);
  }
}

static void send_signal(uv_timer_t* handle) {
  (void) handle;
  printf("sending SIGUSR1 to myself\n");
  uv_kill(uv_os_getpid(), SIGUSR1);
}

int main(void) {
  uv_loop_t* loop = uv_default_loop();
  int r;

  uv_signal_init(loop, &sig);
  r = uv_signal_start(&sig, on_signal, SIGUSR1);
  if (r != 0) {
    fprintf(stderr, "uv_signal_start: %s\n", uv_strerror(r));
    return 1;
  }
  uv_timer_init(loop, &sender);
  uv_timer_start(&sender, send_signal, 10, 10);

  uv_run(loop, UV_RUN_DEFAULT);
  printf("loop done after %d signals\n", received);

  uv_close((uv_handle_t*) &sig, NULL);
  uv_close((uv_handle_t*) &sender, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0 && received == SIGNALS ? 0 : 1;
}
