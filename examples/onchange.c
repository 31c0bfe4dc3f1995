/* onchange: runs a shell command whenever one of the watched files changes,
 * with one uv_fs_event_t per file (inotify on Linux). The callback gets the
 * name of what changed and UV_CHANGE (contents or attributes) and/or
 * UV_RENAME (renamed, created or removed).
 *
 *   onchange COMMAND FILE...   watches the FILEs until killed; every event
 *                              prints a line and runs COMMAND
 *   onchange                   demo: creates a temporary file, watches it,
 *                              appends a line to it from a timer, prints the
 *                              event and runs `echo` as the command, then
 *                              stops watching, removes the file and exits 0;
 *                              if no event comes within 5 s it gives up and
 *                              exits 1 instead of hanging
 *
 * COMMAND runs through system(3), which blocks the loop while it runs. A
 * real program would start it with uv_spawn and go on watching; rsuv does
 * not implement uv_spawn yet, so this example stays with system(3).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

static uv_loop_t* loop;
static const char* command;
static int demo;           /* no arguments: the self-demo */
static int events_seen;

static uv_timer_t touch_timer, deadline_timer;

static void on_closed(uv_handle_t* handle) {
  if (handle->data) /* the watchers were malloc()ed */
    free(handle);
}

static void close_all(uv_handle_t* handle, void* arg) {
  (void) arg;
  if (!uv_is_closing(handle))
    uv_close(handle, on_closed);
}

static void on_change(uv_fs_event_t* handle, const char* filename, int events, int status) {
  char path[1024];
  size_t len = sizeof(path);

  if (uv_fs_event_getpath(handle, path, &len) != 0)
    snprintf(path, sizeof(path), "?");
  if (status < 0) {
    fprintf(stderr, "onchange: watching %s: %s\n", path, uv_strerror(status));
    return;
  }
  events_seen++;
  printf("%s: %s%s%s (%s)\n", path, events & UV_RENAME ? "renamed" : "",
         (events & UV_RENAME) && (events & UV_CHANGE) ? "+" : "",
         events & UV_CHANGE ? "changed" : "", filename ? filename : "no name");
  fflush(stdout); /* before the command writes to the same stdout */
  if (system(command) == -1)
    perror("onchange: system");

  if (demo) /* one event is all the demo waits for */
    uv_walk(loop, close_all, NULL);
}

static int watch(const char* file) {
  uv_fs_event_t* handle = malloc(sizeof(*handle));
  int r;
  if (handle == NULL)
    return UV_ENOMEM;
  uv_fs_event_init(loop, handle);
  handle->data = handle; /* tells on_closed to free it */
  r = uv_fs_event_start(handle, on_change, file, 0);
  if (r < 0) {
    fprintf(stderr, "onchange: cannot watch %s: %s\n", file, uv_strerror(r));
    uv_close((uv_handle_t*) handle, on_closed);
    return r;
  }
  fprintf(stderr, "onchange: watching %s\n", file);
  return 0;
}

/* ---- the demo ---- */

static char demo_file[1100];

/* Appends a line to the watched file (a one-off step: synchronous calls). */
static void touch(uv_timer_t* timer) {
  static char line[] = "a change\n";
  uv_buf_t buf = uv_buf_init(line, sizeof(line) - 1);
  uv_fs_t req;
  int fd, r;
  (void) timer;

  fprintf(stderr, "onchange: appending a line to %s\n", demo_file);
  fd = uv_fs_open(loop, &req, demo_file, O_WRONLY | O_APPEND, 0, NULL);
  uv_fs_req_cleanup(&req);
  if (fd < 0) {
    fprintf(stderr, "onchange: cannot open %s: %s\n", demo_file, uv_strerror(fd));
    uv_walk(loop, close_all, NULL);
    return;
  }
  r = uv_fs_write(loop, &req, fd, &buf, 1, -1, NULL);
  uv_fs_req_cleanup(&req);
  if (r < 0)
    fprintf(stderr, "onchange: cannot write %s: %s\n", demo_file, uv_strerror(r));
  uv_fs_close(loop, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
}

static void on_deadline(uv_timer_t* timer) {
  (void) timer;
  fprintf(stderr, "onchange: no event within 5 s, giving up\n");
  uv_walk(loop, close_all, NULL);
}

static int run_demo(void) {
  char dir[1024];
  size_t len = sizeof(dir);
  uv_fs_t req;
  int r;

  demo = 1;
  command = "echo '  (the command ran)'";
  r = uv_os_tmpdir(dir, &len);
  if (r == 0) {
    snprintf(demo_file, sizeof(demo_file), "%s/onchange-XXXXXX", dir);
    r = uv_fs_mkstemp(loop, &req, demo_file, NULL);
    if (r >= 0) {
      snprintf(demo_file, sizeof(demo_file), "%s", req.path);
      uv_fs_req_cleanup(&req);
      uv_fs_close(loop, &req, r, NULL);
      r = 0;
    }
    uv_fs_req_cleanup(&req);
  }
  if (r < 0) {
    fprintf(stderr, "onchange: cannot make a temporary file: %s\n", uv_strerror(r));
    return 1;
  }

  if (watch(demo_file) == 0) {
    uv_timer_init(loop, &touch_timer);
    uv_timer_start(&touch_timer, touch, 50, 0);
    uv_timer_init(loop, &deadline_timer);
    uv_timer_start(&deadline_timer, on_deadline, 5000, 0);
  }
  uv_run(loop, UV_RUN_DEFAULT);

  uv_fs_unlink(loop, &req, demo_file, NULL);
  uv_fs_req_cleanup(&req);
  if (uv_loop_close(loop) != 0)
    return 1;
  printf("%d event%s seen\n", events_seen, events_seen == 1 ? "" : "s");
  return events_seen == 1 ? 0 : 1;
}

int main(int argc, char** argv) {
  int i, watching = 0;

  loop = uv_default_loop();
  if (argc == 1)
    return run_demo();
  if (argc < 3) {
    fprintf(stderr, "usage: %s COMMAND FILE...\n", argv[0]);
    return 2;
  }
  command = argv[1];
  for (i = 2; i < argc; i++)
    if (watch(argv[i]) == 0)
      watching++;
  if (watching == 0)
    return 1;
  return uv_run(loop, UV_RUN_DEFAULT);
}
