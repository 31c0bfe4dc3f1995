/* rsuv: ours-only: recursive inotify watching is an rsuv extension; libuv ignores UV_FS_EVENT_RECURSIVE on Linux */
/* uv_fs_event_start with UV_FS_EVENT_RECURSIVE on Linux (rsuv only): the
 * filename passed to the callback is the path relative to the watched
 * directory. Covered: a file created, modified, renamed and deleted three
 * levels down ("a/b/c/file.txt"), a file at the top ("top.txt"), a
 * directory created after the start ("new", reported itself) and a file
 * created inside it once its event was seen ("new/inner.txt"), a directory
 * renamed into the tree after the start ("moved-in", then
 * "moved-in/later.txt"), uv_fs_event_getpath giving the root, and no event
 * for a sibling directory outside the root. Each change is made after the
 * previous expected event was seen, from a timer (so after the callback has
 * returned); extra events are tolerated. A 10 s timer fails the test
 * instead of letting it hang. */
#include "fs-helpers.h"

static uv_loop_t loop;
static uv_timer_t safety;
static uv_timer_t next;
static uv_fs_event_t watch;

/* The steps: each makes a change and names the event that must follow. */
enum {
  T_DEEP_CREATE,
  T_DEEP_MODIFY,
  T_DEEP_RENAME,
  T_DEEP_DELETE,
  T_TOP,
  T_NEW_DIR,
  T_NEW_FILE,
  T_MOVE_IN_DIR,
  T_MOVE_IN_FILE,
  T_DONE
};
static int step;
static int calls;

static void touch(const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(close(fd), 0);
}

static void append(const char* path, const char* data) {
  int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, data, strlen(data)), (ssize_t) strlen(data));
  ASSERT_EQ(close(fd), 0);
}

/* Makes the change of the current step. */
static void act(void) {
  switch (step) {
    case T_DEEP_CREATE: touch(tpath("r/a/b/c/file.txt")); break;
    case T_DEEP_MODIFY: append(tpath("r/a/b/c/file.txt"), "data"); break;
    case T_DEEP_RENAME:
      ASSERT_EQ(rename(tpath("r/a/b/c/file.txt"), tpath("r/a/b/c/renamed.txt")),
                0);
      break;
    case T_DEEP_DELETE:
      ASSERT_EQ(unlink(tpath("r/a/b/c/renamed.txt")), 0);
      break;
    case T_TOP:
      /* Outside the root first: must never be reported. */
      touch(tpath("outside/ignored.txt"));
      touch(tpath("r/top.txt"));
      break;
    case T_NEW_DIR: ASSERT_EQ(mkdir(tpath("r/new"), 0755), 0); break;
    case T_NEW_FILE: touch(tpath("r/new/inner.txt")); break;
    case T_MOVE_IN_DIR:
      ASSERT_EQ(rename(tpath("staging"), tpath("r/a/moved-in")), 0);
      break;
    case T_MOVE_IN_FILE: touch(tpath("r/a/moved-in/later.txt")); break;
    default: TEST_FAIL_("no change for step %d", step);
  }
}

/* Does (filename, events) complete the current step? */
static int completes(const char* f, int events) {
  switch (step) {
    case T_DEEP_CREATE:
      return strcmp(f, "a/b/c/file.txt") == 0 && (events & UV_RENAME);
    case T_DEEP_MODIFY:
      return strcmp(f, "a/b/c/file.txt") == 0 && (events & UV_CHANGE);
    case T_DEEP_RENAME:
      return strcmp(f, "a/b/c/renamed.txt") == 0 && (events & UV_RENAME);
    case T_DEEP_DELETE:
      return strcmp(f, "a/b/c/renamed.txt") == 0 && (events & UV_RENAME);
    case T_TOP: return strcmp(f, "top.txt") == 0;
    case T_NEW_DIR: return strcmp(f, "new") == 0 && (events & UV_RENAME);
    case T_NEW_FILE: return strcmp(f, "new/inner.txt") == 0;
    case T_MOVE_IN_DIR: return strcmp(f, "a/moved-in") == 0;
    case T_MOVE_IN_FILE: return strcmp(f, "a/moved-in/later.txt") == 0;
    default: return 0;
  }
}

static void next_cb(uv_timer_t* t) {
  (void) t;
  act();
}

static void safety_cb(uv_timer_t* t) {
  (void) t;
  TEST_FAIL_("timed out at step %d", step);
}

static void event_cb(uv_fs_event_t* h, const char* filename, int events,
                     int status) {
  static const char* const known[] = {
    "a", "a/b", "a/b/c", "a/b/c/file.txt", "a/b/c/renamed.txt", "top.txt",
    "new", "new/inner.txt", "a/moved-in", "a/moved-in/later.txt"};
  size_t i;

  ASSERT_PTR_EQ(h, &watch);
  ASSERT_EQ(status, 0);
  ASSERT_NOT_NULL(filename);
  ASSERT_NE(events, 0);
  ASSERT_EQ(events & ~(UV_RENAME | UV_CHANGE), 0);
  calls++;
  printf("event %-24s %s%s (step %d)\n", filename,
         events & UV_RENAME ? "RENAME " : "",
         events & UV_CHANGE ? "CHANGE" : "", step);
  for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (strcmp(filename, known[i]) == 0)
      break;
  if (i == sizeof(known) / sizeof(known[0]))
    TEST_FAIL_("event for unexpected name %s", filename);
  if (step == T_DONE || !completes(filename, events))
    return;
  step++;
  if (step == T_DONE) {
    uv_close((uv_handle_t*) &watch, NULL);
    uv_close((uv_handle_t*) &next, NULL);
    uv_close((uv_handle_t*) &safety, NULL);
    return;
  }
  /* The next change, after this callback has returned. */
  ASSERT_OK(uv_timer_start(&next, next_cb, 0, 0));
}

int main(void) {
  char buf[PATH_MAX];
  size_t size = sizeof(buf);

  fs_tmp_init("fs-event-recursive");
  ASSERT_EQ(mkdir(tpath("r"), 0755), 0);
  ASSERT_EQ(mkdir(tpath("r/a"), 0755), 0);
  ASSERT_EQ(mkdir(tpath("r/a/b"), 0755), 0);
  ASSERT_EQ(mkdir(tpath("r/a/b/c"), 0755), 0);
  ASSERT_EQ(mkdir(tpath("outside"), 0755), 0);
  ASSERT_EQ(mkdir(tpath("staging"), 0755), 0); /* moved into the tree later */

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_event_init(&loop, &watch));
  ASSERT_OK(uv_fs_event_start(&watch, event_cb, tpath("r"),
                              UV_FS_EVENT_RECURSIVE));
  ASSERT_OK(uv_fs_event_getpath(&watch, buf, &size));
  ASSERT_STR_EQ(buf, tpath("r"));

  ASSERT_OK(uv_timer_init(&loop, &safety));
  ASSERT_OK(uv_timer_start(&safety, safety_cb, 10000, 0));
  ASSERT_OK(uv_timer_init(&loop, &next));
  step = T_DEEP_CREATE;
  ASSERT_OK(uv_timer_start(&next, next_cb, 0, 0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(step, T_DONE);
  ASSERT_GE(calls, T_DONE);

  close_loop(&loop);
  fs_tmp_cleanup();
  return 0;
}
