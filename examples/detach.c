/* detach: launches `sleep 100` with UV_PROCESS_DETACHED -- in a session of its own, so it would outlive us -- and uv_unref()s the handle: fire and forget, uv_run() returns at once. The child is still there (uv_kill with signal 0 says so). So as not to leave it behind when run as a demo, we then stop it with uv_kill(SIGTERM); `detach keep` leaves it running. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

static uv_loop_t* loop;
static uv_process_t child_req;
static uv_process_options_t options;

int main(int argc, char** argv) {
  char* args[3];
  int keep = argc > 1 && strcmp(argv[1], "keep") == 0;
  int pid, r;

  loop = uv_default_loop();

  args[0] = "sleep";
  args[1] = "100";
  args[2] = NULL;

  options.exit_cb = NULL;
  options.file = "sleep";
  options.args = args;
  options.flags = UV_PROCESS_DETACHED;

  r = uv_spawn(loop, &child_req, &options);
  if (r != 0) {
    fprintf(stderr, "uv_spawn: %s\n", uv_strerror(r));
    return 1;
  }
  pid = child_req.pid;
  printf("Launched sleep with PID %d, in session %d\n", pid, (int) getsid(pid));
  uv_unref((uv_handle_t*) &child_req);

  uv_run(loop, UV_RUN_DEFAULT);
  printf("The loop is done; sleep is %s\n", uv_kill(pid, 0) == 0 ? "still running" : "gone");

  if (!keep) {
    printf("Stopping it: uv_kill(%d, SIGTERM) = %d\n", pid, uv_kill(pid, SIGTERM));
  }
  uv_close((uv_handle_t*) &child_req, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0 ? 0 : 1;
}
