/* proc-streams: runs a child -- this program again, with the argument "child" -- that prints one line on its stdout and one on its stderr. Its stdout is inherited from us (UV_INHERIT_FD with fd 1), so that line shows up on our stdout; its stdin and stderr are UV_IGNORE (/dev/null), so the stderr line vanishes. Make stdio[2] UV_INHERIT_FD with fd 2 to see both. */
#include <stdio.h>
#include <string.h>

#include <uv.h>

static uv_loop_t* loop;
static uv_process_t child_req;
static uv_process_options_t options;
static int64_t child_status = -1;

static void on_child_exit(uv_process_t* req, int64_t exit_status, int term_signal) {
  printf("Process exited with status %lld, signal %d\n", (long long) exit_status, term_signal);
  child_status = term_signal ? -1 : exit_status;
  uv_close((uv_handle_t*) req, NULL);
}

int main(int argc, char** argv) {
  char path[1024];
  size_t size = sizeof(path);
  char* args[3];
  uv_stdio_container_t child_stdio[3];
  int r;

  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    fprintf(stderr, "This is stderr\n");
    printf("This is stdout\n");
    return 0;
  }

  loop = uv_default_loop();
  uv_exepath(path, &size);
  args[0] = path;
  args[1] = "child";
  args[2] = NULL;

  options.stdio_count = 3;
  child_stdio[0].flags = UV_IGNORE;
  child_stdio[1].flags = UV_INHERIT_FD;
  child_stdio[1].data.fd = 1;
  child_stdio[2].flags = UV_IGNORE;
  options.stdio = child_stdio;

  options.exit_cb = on_child_exit;
  options.file = args[0];
  options.args = args;

  fflush(stdout); /* the child writes to the same file */
  r = uv_spawn(loop, &child_req, &options);
  if (r != 0) {
    fprintf(stderr, "uv_spawn: %s\n", uv_strerror(r));
    return 1;
  }
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return child_status == 0 ? 0 : 1;
}
