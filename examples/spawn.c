/* spawn: the simplest child process: uv_spawn() runs `mkdir <dir>` (found through PATH, like execvp) and the exit callback prints the child's exit status and terminating signal, then closes the handle, as it must. The directory goes under the temporary directory and is removed again at the end. */
#include <stdio.h>
#include <unistd.h>

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

int main(void) {
  char tmp[1024];
  char dir[1100];
  size_t len = sizeof(tmp);
  char* args[3];
  int r;

  loop = uv_default_loop();
  if (uv_os_tmpdir(tmp, &len) != 0)
    return 1;
  snprintf(dir, sizeof(dir), "%s/spawn-test-dir-%d", tmp, (int) uv_os_getpid());

  args[0] = "mkdir";
  args[1] = dir;
  args[2] = NULL;

  options.exit_cb = on_child_exit;
  options.file = "mkdir";
  options.args = args;

  r = uv_spawn(loop, &child_req, &options);
  if (r != 0) {
    fprintf(stderr, "uv_spawn: %s\n", uv_strerror(r));
    return 1;
  }
  printf("Launched process with ID %d\n", child_req.pid);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);

  /* The child's work: the directory exists. Tidy up. */
  if (rmdir(dir) != 0) {
    perror(dir);
    return 1;
  }
  printf("%s was made by the child (removed it again)\n", dir);
  return child_status == 0 ? 0 : 1;
}
