/* tty: prints the terminal's size in colour through a uv_tty_t on stdout.
 *
 * When stdout is not a terminal (redirected to a file or a pipe), it says
 * so, in plain text, and exits 0.
 *
 *   cc tty.c $(pkg-config --cflags --libs libuv) -o tty && ./tty
 */
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>

static void check(int r, const char* what) {
  if (r != 0) {
    fprintf(stderr, "%s: %s\n", what, uv_strerror(r));
    exit(1);
  }
}

static void write_cb(uv_write_t* req, int status) {
  check(status, "uv_write");
  free(req);
}

/* Queues a copy of `text` on the TTY. */
static void say(uv_tty_t* tty, const char* text) {
  uv_write_t* req = malloc(sizeof(*req) + 512);
  char* copy = (char*) (req + 1);
  uv_buf_t buf;
  int n;

  if (req == NULL) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  n = snprintf(copy, 512, "%s", text);
  buf = uv_buf_init(copy, (unsigned int) n);
  check(uv_write(req, (uv_stream_t*) tty, &buf, 1, write_cb), "uv_write");
}

int main(void) {
  static const char* const colours[] = {"31", "33", "32", "36", "34", "35"};
  uv_loop_t* loop = uv_default_loop();
  uv_tty_t tty;
  char line[256];
  int width, height;
  size_t i;

  if (uv_guess_handle(1) != UV_TTY) {
    printf("stdout is not a terminal; run me in one to see colours\n");
    return 0;
  }

  check(uv_tty_init(loop, &tty, 1, 0), "uv_tty_init");
  check(uv_tty_get_winsize(&tty, &width, &height), "uv_tty_get_winsize");

  for (i = 0; i < sizeof(colours) / sizeof(colours[0]); i++) {
    snprintf(line, sizeof(line), "\033[1;%sm%s\033[0m", colours[i],
             "\xe2\x96\x88\xe2\x96\x88 ");
    say(&tty, line);
  }
  snprintf(line, sizeof(line),
           "\n\033[1mwindow:\033[0m \033[32m%d\033[0m columns x "
           "\033[32m%d\033[0m rows\n",
           width, height);
  say(&tty, line);

  uv_run(loop, UV_RUN_DEFAULT);

  /* Leave the terminal as we found it. */
  uv_tty_reset_mode();
  uv_close((uv_handle_t*) &tty, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  check(uv_loop_close(loop), "uv_loop_close");
  return 0;
}
