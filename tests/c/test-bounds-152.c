/* rsuv: ours-only: libuv 1.52 behaviour: the getpath and pipe-name functions answer UV_EINVAL for an empty buffer (1.44: UV_ENOBUFS), and uv_thread_getname is 1.50+ */
/* Buffer bounds, as in test-bounds.c, for the functions whose answers
 * changed after libuv 1.44: uv_fs_event_getpath, uv_fs_poll_getpath,
 * uv_pipe_getsockname and uv_pipe_getpeername (UV_EINVAL for size 0,
 * UV_ENOBUFS with the size needed below it, the path and its NUL from
 * exact up), and uv_thread_getname, which truncates. Checked against
 * libuv 1.52.1 too (run-c-tests.sh --prefix). */
#include "bounds-helpers.h"

#include <unistd.h>

static char dir[64];
static char sock[96];

static int call_event_path(void* ctx, char* buf, size_t* size) {
  return uv_fs_event_getpath((uv_fs_event_t*) ctx, buf, size);
}

static int call_poll_path(void* ctx, char* buf, size_t* size) {
  return uv_fs_poll_getpath((uv_fs_poll_t*) ctx, buf, size);
}

static int call_sockname(void* ctx, char* buf, size_t* size) {
  return uv_pipe_getsockname((uv_pipe_t*) ctx, buf, size);
}

static int call_peername(void* ctx, char* buf, size_t* size) {
  return uv_pipe_getpeername((uv_pipe_t*) ctx, buf, size);
}

static void event_cb(uv_fs_event_t* h, const char* f, int e, int s) {
  (void) h; (void) f; (void) e; (void) s;
}

static void poll_cb(uv_fs_poll_t* h, int s, const uv_stat_t* a,
                    const uv_stat_t* b) {
  (void) h; (void) s; (void) a; (void) b;
}

static int connected;

static void connect_cb(uv_connect_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  connected = 1;
}

static void connection_cb(uv_stream_t* server, int status) {
  (void) server;
  ASSERT_OK(status);
}

static void check_inactive(const char* what, sized_fn f, void* ctx) {
  size_t size = 16;
  fill_canary();
  ASSERT_EQ(f(ctx, (char*) bounds_buf, &size), UV_EINVAL);
  ASSERT_UEQ(size, 0);
  expect_untouched_from(0, what, 16);
}

static void check_paths(uv_loop_t* loop) {
  uv_fs_event_t ev;
  uv_fs_poll_t po;

  ASSERT_OK(uv_fs_event_init(loop, &ev));
  check_inactive("uv_fs_event_getpath", call_event_path, &ev);
  ASSERT_OK(uv_fs_event_start(&ev, event_cb, dir, 0));
  check_sized("uv_fs_event_getpath", call_event_path, &ev, dir, UV_EINVAL);

  ASSERT_OK(uv_fs_poll_init(loop, &po));
  check_inactive("uv_fs_poll_getpath", call_poll_path, &po);
  ASSERT_OK(uv_fs_poll_start(&po, poll_cb, dir, 1000));
  check_sized("uv_fs_poll_getpath", call_poll_path, &po, dir, UV_EINVAL);

  uv_close((uv_handle_t*) &ev, NULL);
  uv_close((uv_handle_t*) &po, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
}

static void check_pipe_names(uv_loop_t* loop) {
  uv_pipe_t server, client;
  uv_connect_t req;

  ASSERT_OK(uv_pipe_init(loop, &server, 0));
  ASSERT_OK(uv_pipe_bind(&server, sock));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 1, connection_cb));
  check_sized("uv_pipe_getsockname", call_sockname, &server, sock, UV_EINVAL);

  ASSERT_OK(uv_pipe_init(loop, &client, 0));
  uv_pipe_connect(&req, &client, sock, connect_cb);
  while (!connected)
    uv_run(loop, UV_RUN_ONCE);
  check_sized("uv_pipe_getpeername", call_peername, &client, sock, UV_EINVAL);

  uv_close((uv_handle_t*) &server, NULL);
  uv_close((uv_handle_t*) &client, NULL);
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));
  unlink(sock);
}

/* uv_thread_getname: UV_EINVAL for size 0; at size n, the first n - 1
 * bytes of the name and a NUL. */
static void check_thread_name(void) {
  const char* name = "bounds-thread";
  uv_thread_t self = uv_thread_self();
  size_t len = strlen(name), i, got;

  ASSERT_OK(uv_thread_setname(name));
  fill_canary();
  ASSERT_EQ(uv_thread_getname(&self, (char*) bounds_buf, 0), UV_EINVAL);
  expect_untouched_from(0, "uv_thread_getname", 0);
  for (i = 1; i <= len + 3; i++) {
    fill_canary();
    ASSERT_OK(uv_thread_getname(&self, (char*) bounds_buf, i));
    got = i - 1 < len ? i - 1 : len;
    ASSERT_EQ(memcmp(bounds_buf, name, got), 0);
    ASSERT_EQ(bounds_buf[got], 0);
    /* libuv pads with NULs up to the size (strncpy). */
    expect_untouched_from(i, "uv_thread_getname", i);
  }
}

int main(void) {
  uv_loop_t loop;

  snprintf(dir, sizeof(dir), "/tmp/rsuv-bounds-%d", (int) getpid());
  snprintf(sock, sizeof(sock), "/tmp/rsuv-bounds-%d.sock", (int) getpid());
  ASSERT_OK(mkdir(dir, 0700));
  ASSERT_OK(uv_loop_init(&loop));
  check_paths(&loop);
  check_pipe_names(&loop);
  ASSERT_OK(uv_loop_close(&loop));
  ASSERT_OK(rmdir(dir));
  check_thread_name();
  printf("ok\n");
  return 0;
}
