/* rsuv: ours-only: libuv asserts or crashes on these uv_spawn arguments; UV_PROCESS_WINDOWS_FILE_PATH_EXACT_NAME is 1.48+ */
/* uv_spawn with arguments real libuv does not survive, and newer flags:
 * NULL options, a NULL file, NULL args, stdio_count > 0 with a NULL stdio
 * array, a UV_CREATE_PIPE container without a stream, flags no libuv
 * version defines: UV_EINVAL, no child started, and the handle can still
 * be closed (as Node does after any spawn error) with its close_cb run and
 * the loop then closing cleanly. The Windows-only flags, 1.48's
 * UV_PROCESS_WINDOWS_FILE_PATH_EXACT_NAME included, are accepted and
 * ignored. */
#include "spawn-helpers.h"

static uv_loop_t loop;
static int closed;

static void count_close_cb(uv_handle_t* h) {
  (void) h;
  closed++;
}

/* uv_spawn(&loop, &p, o) must fail with UV_EINVAL; then uv_close(p). */
static void expect_einval(const uv_process_options_t* o) {
  uv_process_t p;
  memset(&p, 0, sizeof(p));
  ASSERT_ERR(uv_spawn(&loop, &p, o), UV_EINVAL);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &p), 0);
  assert_no_children();
  closed = 0;
  uv_close((uv_handle_t*) &p, count_close_cb);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(closed, 1);
}

static void test_bad_arguments(void) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[2];
  uv_process_t p;
  char* args[] = { (char*) "true", NULL };

  /* NULL options: nothing to go on; the loop is unaffected. */
  memset(&p, 0, sizeof(p));
  ASSERT_ERR(uv_spawn(&loop, &p, NULL), UV_EINVAL);
  assert_no_children();
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);

  memset(&o, 0, sizeof(o));
  o.file = NULL;
  o.args = args;
  expect_einval(&o);

  memset(&o, 0, sizeof(o));
  o.file = "/bin/true";
  o.args = NULL;
  expect_einval(&o);

  memset(&o, 0, sizeof(o));
  o.file = "/bin/true";
  o.args = args;
  o.stdio_count = 2;
  o.stdio = NULL;
  expect_einval(&o);

  memset(&o, 0, sizeof(o));
  o.file = "/bin/true";
  o.args = args;
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = NULL;
  o.stdio = stdio;
  o.stdio_count = 2;
  expect_einval(&o);

  memset(&o, 0, sizeof(o));
  o.file = "/bin/true";
  o.args = args;
  o.flags = 1u << 20;
  expect_einval(&o);
}

/* Errors found before and after the fork alike leave a handle that closes
 * normally. */
static void test_close_after_errors(void) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[2];
  uv_tcp_t tcp;
  char* args[] = { (char*) "x", NULL };

  ASSERT_OK(uv_tcp_init(&loop, &tcp));
  memset(&o, 0, sizeof(o));
  o.file = "/bin/true";
  o.args = args;
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = (uv_stream_t*) &tcp;
  o.stdio = stdio;
  o.stdio_count = 2;
  expect_einval(&o);
  uv_close((uv_handle_t*) &tcp, NULL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);

  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = -1;
  expect_einval(&o);
}

static void test_windows_flags(void) {
  static const unsigned flags[] = {
    UV_PROCESS_WINDOWS_VERBATIM_ARGUMENTS,
    UV_PROCESS_WINDOWS_HIDE,
    UV_PROCESS_WINDOWS_HIDE_CONSOLE,
    UV_PROCESS_WINDOWS_HIDE_GUI,
    UV_PROCESS_WINDOWS_FILE_PATH_EXACT_NAME,
    UV_PROCESS_WINDOWS_VERBATIM_ARGUMENTS | UV_PROCESS_WINDOWS_HIDE |
        UV_PROCESS_WINDOWS_HIDE_CONSOLE | UV_PROCESS_WINDOWS_HIDE_GUI |
        UV_PROCESS_WINDOWS_FILE_PATH_EXACT_NAME,
  };
  uv_process_options_t o;
  run_result_t res;
  char* args[] = { (char*) "sh", (char*) "-c", (char*) "echo \"$1\"",
                   (char*) "sh", (char*) "a \"quoted\" arg", NULL };
  size_t i;

  ASSERT_EQ(UV_PROCESS_WINDOWS_FILE_PATH_EXACT_NAME, 1 << 7);
  for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
    memset(&o, 0, sizeof(o));
    o.file = "/bin/sh";
    o.args = args;
    o.flags = flags[i];
    ASSERT_OK(spawn_run(&loop, &o, &res));
    ASSERT_EQ(res.exit_status, 0);
    ASSERT_STR_EQ(res.out, "a \"quoted\" arg\n");
  }
}

int main(void) {
  ASSERT_OK(uv_loop_init(&loop));
  test_bad_arguments();
  test_close_after_errors();
  test_windows_flags();
  close_loop(&loop);
  assert_no_children();
  printf("ok\n");
  return 0;
}
