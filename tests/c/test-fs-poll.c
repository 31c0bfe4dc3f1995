/* uv_fs_poll_t with a 50 ms interval (no timing is asserted): a growing
 * file is reported with status 0 and different prev/curr sizes; deleting
 * it gives one UV_ENOENT callback (not repeated while it stays missing);
 * creating it again gives status 0 (recovery). Starting on a missing file
 * reports UV_ENOENT first, then status 0 once it appears. Stopping inside
 * the callback, closing right after starting (with the first stat still in
 * flight), uv_fs_poll_getpath (the path, too small: UV_ENOBUFS with the size
 * including the NUL, inactive: UV_EINVAL). Changes are repeated from a
 * timer until seen, so the outcome does not depend on when a poll happens;
 * a 10 s timer fails a test instead of letting it hang. */
#include "fs-helpers.h"

static uv_loop_t loop;
static uv_timer_t safety;
static uv_timer_t actor;
static uv_fs_poll_t poll_h;

static void safety_cb(uv_timer_t* t) {
  (void) t;
  TEST_FAIL_("timed out waiting for fs_poll callbacks");
}

static void safety_start(void) {
  ASSERT_OK(uv_timer_init(&loop, &safety));
  ASSERT_OK(uv_timer_start(&safety, safety_cb, 10000, 0));
}

/* Creates `path` with `data` atomically (no half-written file is seen). */
static void create_atomically(const char* path, const char* data) {
  put_file(tpath("staging"), data);
  ASSERT_EQ(rename(tpath("staging"), path), 0);
}

/* ---- grow, delete, recreate ---- */

enum { P_GROW, P_DELETED, P_WAIT_MISSING, P_RECREATED, P_DONE };
static int phase;
static int enoent_calls;
static int change_calls;
static int ticks;

static void actor_cb(uv_timer_t* t) {
  (void) t;
  ticks++;
  if (phase == P_GROW) {
    int fd = open(tpath("watched"), O_WRONLY | O_APPEND | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "+", 1), 1);
    ASSERT_EQ(close(fd), 0);
  } else if (phase == P_WAIT_MISSING && ticks >= 5) {
    /* Missing for a while (several intervals): now bring it back. */
    phase = P_RECREATED;
    create_atomically(tpath("watched"), "back again");
  }
}

static void poll_cb(uv_fs_poll_t* h, int status, const uv_stat_t* prev,
                    const uv_stat_t* curr) {
  ASSERT_PTR_EQ(h, &poll_h);
  ASSERT_NOT_NULL(prev);
  ASSERT_NOT_NULL(curr);
  switch (phase) {
    case P_GROW:
      ASSERT_EQ(status, 0);
      change_calls++;
      if (prev->st_size != curr->st_size) {
        ASSERT_UGE(curr->st_size, prev->st_size + 1);
        ASSERT_UGE(prev->st_size, 5); /* "start" */
        phase = P_DELETED;
        ASSERT_EQ(unlink(tpath("watched")), 0);
      }
      break;
    case P_DELETED:
      if (status == 0)
        break; /* a last growth seen before the deletion */
      ASSERT_ERR(status, UV_ENOENT);
      enoent_calls++;
      phase = P_WAIT_MISSING;
      ticks = 0;
      break;
    case P_WAIT_MISSING:
      TEST_FAIL_("callback (status %d) while the file stays missing", status);
      break;
    case P_RECREATED:
      ASSERT_EQ(status, 0);
      ASSERT_UEQ(curr->st_size, strlen("back again"));
      phase = P_DONE;
      ASSERT_OK(uv_fs_poll_stop(h));
      ASSERT_EQ(uv_is_active((uv_handle_t*) h), 0);
      ASSERT_OK(uv_fs_poll_stop(h));
      uv_close((uv_handle_t*) h, NULL);
      uv_close((uv_handle_t*) &actor, NULL);
      uv_close((uv_handle_t*) &safety, NULL);
      break;
    default:
      TEST_FAIL_("callback after stop");
  }
}

static void test_grow_delete_recreate(void) {
  char buf[PATH_MAX];
  const char* path = tpath("watched");
  size_t len = strlen(path);
  size_t size;

  put_file(path, "start");
  phase = P_GROW;
  enoent_calls = change_calls = 0;
  ASSERT_OK(uv_fs_poll_init(&loop, &poll_h));
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &poll_h), UV_FS_POLL);
  size = sizeof(buf);
  ASSERT_ERR(uv_fs_poll_getpath(&poll_h, buf, &size), UV_EINVAL);
  ASSERT_UEQ(size, 0);

  ASSERT_OK(uv_fs_poll_start(&poll_h, poll_cb, path, 50));
  ASSERT_NE(uv_is_active((uv_handle_t*) &poll_h), 0);
  size = sizeof(buf);
  ASSERT_OK(uv_fs_poll_getpath(&poll_h, buf, &size));
  ASSERT_STR_EQ(buf, path);
  ASSERT_UEQ(size, len);
  size = len;
  ASSERT_ERR(uv_fs_poll_getpath(&poll_h, buf, &size), UV_ENOBUFS);
  ASSERT_UEQ(size, len + 1);
  size = len + 1;
  ASSERT_OK(uv_fs_poll_getpath(&poll_h, buf, &size));
  ASSERT_UEQ(size, len);
  ASSERT_STR_EQ(buf, path);

  ASSERT_OK(uv_timer_init(&loop, &actor));
  ASSERT_OK(uv_timer_start(&actor, actor_cb, 60, 60));
  safety_start();
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(phase, P_DONE);
  ASSERT_GE(change_calls, 1);
  ASSERT_EQ(enoent_calls, 1);
}

/* ---- missing at the start ---- */

static int missing_calls;

static void missing_actor_cb(uv_timer_t* t) {
  /* Once the missing file was reported, create it. */
  if (missing_calls == 1) {
    create_atomically(tpath("late"), "here now");
    uv_timer_stop(t);
  }
}

static void missing_cb(uv_fs_poll_t* h, int status, const uv_stat_t* prev,
                       const uv_stat_t* curr) {
  (void) prev;
  missing_calls++;
  if (missing_calls == 1) {
    ASSERT_ERR(status, UV_ENOENT);
    return;
  }
  ASSERT_EQ(missing_calls, 2);
  ASSERT_EQ(status, 0);
  ASSERT_UEQ(curr->st_size, strlen("here now"));
  ASSERT(S_ISREG(curr->st_mode));
  ASSERT_OK(uv_fs_poll_stop(h));
  uv_close((uv_handle_t*) h, NULL);
  uv_close((uv_handle_t*) &actor, NULL);
  uv_close((uv_handle_t*) &safety, NULL);
}

static void test_missing_at_start(void) {
  missing_calls = 0;
  ASSERT_OK(uv_fs_poll_init(&loop, &poll_h));
  ASSERT_OK(uv_fs_poll_start(&poll_h, missing_cb, tpath("late"), 50));
  ASSERT_NE(uv_is_active((uv_handle_t*) &poll_h), 0);
  ASSERT_OK(uv_timer_init(&loop, &actor));
  ASSERT_OK(uv_timer_start(&actor, missing_actor_cb, 20, 20));
  safety_start();
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(missing_calls, 2);
}

/* ---- close right after start ---- */

static int closed;

static void never_cb(uv_fs_poll_t* h, int status, const uv_stat_t* prev,
                     const uv_stat_t* curr) {
  (void) h;
  (void) prev;
  (void) curr;
  TEST_FAIL_("callback (status %d) after close", status);
}

static void close_cb(uv_handle_t* h) {
  ASSERT_PTR_EQ(h, &poll_h);
  closed++;
}

static void test_close_right_away(void) {
  closed = 0;
  ASSERT_OK(uv_fs_poll_init(&loop, &poll_h));
  ASSERT_OK(uv_fs_poll_start(&poll_h, never_cb, tpath("nothing-here"), 50));
  uv_close((uv_handle_t*) &poll_h, close_cb);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(closed, 1);

  /* Stopped then closed, on an existing file. */
  put_file(tpath("exists"), "x");
  ASSERT_OK(uv_fs_poll_init(&loop, &poll_h));
  ASSERT_OK(uv_fs_poll_start(&poll_h, never_cb, tpath("exists"), 50));
  ASSERT_OK(uv_fs_poll_stop(&poll_h));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &poll_h), 0);
  uv_close((uv_handle_t*) &poll_h, close_cb);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(closed, 2);
}

int main(void) {
  fs_tmp_init("fs-poll");
  ASSERT_OK(uv_loop_init(&loop));
  printf("grow, delete, recreate\n");
  test_grow_delete_recreate();
  printf("missing at start\n");
  test_missing_at_start();
  printf("close right away\n");
  test_close_right_away();
  close_loop(&loop);
  fs_tmp_cleanup();
  return 0;
}
