/* uv_poll_t: readable/writable/disconnect events on a socketpair, restarting
 * with new events, stopping inside the callback, a regular file (EPERM), two
 * handles on one descriptor (EEXIST), a descriptor closed and reused. */
#include "test.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static uv_loop_t loop;
static int calls;
static int last_status;
static int last_events;

static void record_cb(uv_poll_t* h, int status, int events) {
  calls++;
  last_status = status;
  last_events = events;
  ASSERT_OK(uv_poll_stop(h));
}

static void pair(int fds[2]) {
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
}

static void test_readable_writable(void) {
  uv_poll_t p;
  int fds[2];
  char c;

  pair(fds);
  ASSERT_OK(uv_poll_init(&loop, &p, fds[0]));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &p), 0);

  /* Writable at once; the callback stops the handle, so the run ends. */
  calls = 0;
  ASSERT_OK(uv_poll_start(&p, UV_WRITABLE, record_cb));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &p), 1);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(calls, 1);
  ASSERT_OK(last_status);
  ASSERT_EQ(last_events, UV_WRITABLE);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &p), 0);

  /* Readable only once the peer writes. */
  calls = 0;
  ASSERT_OK(uv_poll_start(&p, UV_READABLE, record_cb));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(calls, 0);
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(calls, 1);
  ASSERT_EQ(last_events & UV_READABLE, UV_READABLE);
  ASSERT_EQ(read(fds[0], &c, 1), 1);

  /* Restarting replaces the events: readable-only sees no writability. */
  calls = 0;
  ASSERT_OK(uv_poll_start(&p, UV_WRITABLE, record_cb));
  ASSERT_OK(uv_poll_start(&p, UV_READABLE, record_cb));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(calls, 0);

  /* Starting with no events stops it. */
  ASSERT_OK(uv_poll_start(&p, 0, record_cb));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &p), 0);

  /* The peer going away: readable (EOF) and, asked for, disconnect. */
  calls = 0;
  ASSERT_OK(uv_poll_start(&p, UV_READABLE | UV_DISCONNECT, record_cb));
  ASSERT_OK(close(fds[1]));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(calls, 1);
  ASSERT_OK(last_status);
  ASSERT_EQ(last_events & UV_DISCONNECT, UV_DISCONNECT);

  uv_close((uv_handle_t*) &p, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(close(fds[0]));
}

static void test_bad_descriptors(void) {
  uv_poll_t a, b;
  char path[] = "/tmp/rsuv-test-poll-XXXXXX";
  int fd;
  int fds[2];

  /* A regular file cannot be polled. */
  fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_ERR(uv_poll_init(&loop, &a, fd), UV_EPERM);
  ASSERT_OK(close(fd));
  ASSERT_OK(unlink(path));

  /* Only one active watcher per descriptor and loop. */
  pair(fds);
  ASSERT_OK(uv_poll_init(&loop, &a, fds[0]));
  ASSERT_OK(uv_poll_init(&loop, &b, fds[0]));
  ASSERT_OK(uv_poll_start(&a, UV_READABLE, record_cb));
  ASSERT_ERR(uv_poll_start(&b, UV_READABLE, record_cb), UV_EEXIST);
  uv_close((uv_handle_t*) &a, NULL);
  uv_close((uv_handle_t*) &b, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(close(fds[0]));
  ASSERT_OK(close(fds[1]));
}

static void test_descriptor_reuse(void) {
  uv_poll_t p;
  int fds[2];
  int again[2];
  int first;

  /* Close a polled descriptor (after closing its handle), get the same
   * number back from the kernel, and poll it afresh. */
  pair(fds);
  first = fds[0];
  ASSERT_OK(uv_poll_init(&loop, &p, fds[0]));
  ASSERT_OK(uv_poll_start(&p, UV_READABLE, record_cb));
  uv_close((uv_handle_t*) &p, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(close(fds[0]));
  ASSERT_OK(close(fds[1]));

  pair(again);
  ASSERT_EQ(again[0], first);
  ASSERT_OK(uv_poll_init(&loop, &p, again[0]));
  calls = 0;
  ASSERT_OK(uv_poll_start(&p, UV_READABLE, record_cb));
  ASSERT_EQ(write(again[1], "y", 1), 1);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(calls, 1);
  ASSERT_EQ(last_events & UV_READABLE, UV_READABLE);
  uv_close((uv_handle_t*) &p, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(close(again[0]));
  ASSERT_OK(close(again[1]));
}

int main(void) {
  ASSERT_OK(uv_loop_init(&loop));
  test_readable_writable();
  test_bad_descriptors();
  test_descriptor_reuse();
  close_loop(&loop);
  return 0;
}
