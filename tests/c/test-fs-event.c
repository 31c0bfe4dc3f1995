/* uv_fs_event_t: watching a directory (creating, modifying, renaming and
 * deleting a file in it reports the file name with UV_RENAME or UV_CHANGE;
 * a subdirectory's contents are not reported without
 * UV_FS_EVENT_RECURSIVE), watching a single file (a write gives UV_CHANGE
 * and a rename UV_RENAME, both with the file's basename), starting on a
 * missing path (UV_ENOENT, handle inactive), starting an active handle
 * (UV_EINVAL), uv_fs_event_getpath (exact size, too small: UV_ENOBUFS with
 * the size including the NUL, inactive: UV_EINVAL), stopping inside the
 * callback (no more events for it while a second handle on the same
 * directory still gets them; restarting it elsewhere works), closing
 * inside the callback, and closing with events still queued. Every file
 * change is made from a timer or event callback after the previous event
 * was seen, so the sequence is deterministic; inotify may add or merge
 * events, so only the events that must come are required. A 10 s timer
 * fails a test instead of letting it hang. */
#include "fs-helpers.h"

static uv_loop_t loop;
static uv_timer_t safety;
static uv_timer_t kick;

static void safety_cb(uv_timer_t* t) {
  (void) t;
  TEST_FAIL_("timed out waiting for file system events");
}

static void safety_start(void) {
  ASSERT_OK(uv_timer_init(&loop, &safety));
  ASSERT_OK(uv_timer_start(&safety, safety_cb, 10000, 0));
}

static void safety_stop(void) {
  uv_close((uv_handle_t*) &safety, NULL);
}

/* Runs `cb` once from the loop, right after it starts. */
static void kick_start(uv_timer_cb cb) {
  ASSERT_OK(uv_timer_init(&loop, &kick));
  ASSERT_OK(uv_timer_start(&kick, cb, 0, 0));
}

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

/* Per-handle record of what arrived. */
typedef struct {
  int calls;
  int closed;
  char names[64][32];
  int events[64];
} record_t;

static void record(record_t* r, const char* filename, int events) {
  if (r->calls < 64) {
    snprintf(r->names[r->calls], sizeof(r->names[0]), "%s",
             filename ? filename : "(null)");
    r->events[r->calls] = events;
  }
  r->calls++;
}

static int saw(const record_t* r, const char* name, int flag) {
  int i;
  for (i = 0; i < r->calls && i < 64; i++)
    if (strcmp(r->names[i], name) == 0 && (r->events[i] & flag))
      return 1;
  return 0;
}

static int count_saw(const record_t* r, const char* name, int flag) {
  int i;
  int n = 0;
  for (i = 0; i < r->calls && i < 64; i++)
    if (strcmp(r->names[i], name) == 0 && (r->events[i] & flag))
      n++;
  return n;
}

static void count_close_cb(uv_handle_t* h) {
  ((record_t*) h->data)->closed++;
}

static void check_event_args(const char* filename, int events, int status) {
  ASSERT_EQ(status, 0);
  ASSERT_NOT_NULL(filename);
  ASSERT_NE(events, 0);
  ASSERT_EQ(events & ~(UV_RENAME | UV_CHANGE), 0);
}

/* ---- a directory: create, modify, rename, delete ---- */

enum { S_CREATE, S_MODIFY, S_RENAME, S_DELETE, S_SUBDIR, S_DONE };
static int step;
static uv_fs_event_t dir_watch;
static record_t dir_rec;

static void dir_kick_cb(uv_timer_t* t) {
  uv_close((uv_handle_t*) t, NULL);
  touch(tpath("w/file.txt"));
}

static void dir_event_cb(uv_fs_event_t* h, const char* filename, int events,
                         int status) {
  ASSERT_PTR_EQ(h, &dir_watch);
  check_event_args(filename, events, status);
  record(&dir_rec, filename, events);
  if (strcmp(filename, "file.txt") != 0 && strcmp(filename, "moved.txt") != 0 &&
      strcmp(filename, "sub") != 0 && strcmp(filename, "sentinel") != 0)
    TEST_FAIL_("event for unexpected name %s", filename);

  switch (step) {
    case S_CREATE:
      if (strcmp(filename, "file.txt") == 0 && (events & UV_RENAME)) {
        step = S_MODIFY;
        append(tpath("w/file.txt"), "hello");
      }
      break;
    case S_MODIFY:
      if (strcmp(filename, "file.txt") == 0 && (events & UV_CHANGE)) {
        step = S_RENAME;
        ASSERT_EQ(rename(tpath("w/file.txt"), tpath("w/moved.txt")), 0);
      }
      break;
    case S_RENAME:
      if (saw(&dir_rec, "moved.txt", UV_RENAME)) {
        step = S_DELETE;
        ASSERT_EQ(unlink(tpath("w/moved.txt")), 0);
      }
      break;
    case S_DELETE:
      if (strcmp(filename, "moved.txt") == 0 && (events & UV_RENAME)) {
        /* Changes inside a subdirectory are not reported (no
         * UV_FS_EVENT_RECURSIVE); the sentinel marks the end. */
        step = S_SUBDIR;
        ASSERT_EQ(mkdir(tpath("w/sub"), 0755), 0);
        touch(tpath("w/sub/inner"));
        append(tpath("w/sub/inner"), "x");
        touch(tpath("w/sentinel"));
      }
      break;
    case S_SUBDIR:
      if (strcmp(filename, "sentinel") == 0) {
        step = S_DONE;
        ASSERT(saw(&dir_rec, "sub", UV_RENAME));
        ASSERT_OK(uv_fs_event_stop(h));
        uv_close((uv_handle_t*) h, count_close_cb);
        safety_stop();
      }
      break;
    default:
      TEST_FAIL_("event after the end: %s", filename);
  }
}

static void test_directory(void) {
  char buf[PATH_MAX];
  size_t size = sizeof(buf);
  int i;

  ASSERT_EQ(mkdir(tpath("w"), 0755), 0);
  memset(&dir_rec, 0, sizeof(dir_rec));
  step = S_CREATE;
  ASSERT_OK(uv_fs_event_init(&loop, &dir_watch));
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &dir_watch), UV_FS_EVENT);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &dir_watch), 0);
  dir_watch.data = &dir_rec;
  ASSERT_OK(uv_fs_event_start(&dir_watch, dir_event_cb, tpath("w"), 0));
  ASSERT_NE(uv_is_active((uv_handle_t*) &dir_watch), 0);
  ASSERT_OK(uv_fs_event_getpath(&dir_watch, buf, &size));
  ASSERT_STR_EQ(buf, tpath("w"));
  ASSERT_UEQ(size, strlen(tpath("w")));
  /* Already active. */
  ASSERT_ERR(uv_fs_event_start(&dir_watch, dir_event_cb, tpath("w"), 0),
             UV_EINVAL);

  safety_start();
  kick_start(dir_kick_cb);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(step, S_DONE);
  ASSERT_EQ(dir_rec.closed, 1);
  ASSERT(saw(&dir_rec, "file.txt", UV_CHANGE));
  /* created, then renamed away */
  ASSERT_GE(count_saw(&dir_rec, "file.txt", UV_RENAME), 2);
  /* renamed here, then deleted */
  ASSERT_GE(count_saw(&dir_rec, "moved.txt", UV_RENAME), 2);
  for (i = 0; i < dir_rec.calls && i < 64; i++)
    ASSERT(strstr(dir_rec.names[i], "inner") == NULL);
}

/* ---- a single file ---- */

static uv_fs_event_t file_watch;
static record_t file_rec;

static void file_kick_cb(uv_timer_t* t) {
  uv_close((uv_handle_t*) t, NULL);
  append(tpath("single.txt"), "more");
}

static void file_event_cb(uv_fs_event_t* h, const char* filename, int events,
                          int status) {
  check_event_args(filename, events, status);
  record(&file_rec, filename, events);
  ASSERT_STR_EQ(filename, "single.txt"); /* the basename, always */
  if (step == S_MODIFY && (events & UV_CHANGE)) {
    step = S_RENAME;
    ASSERT_EQ(rename(tpath("single.txt"), tpath("single-moved.txt")), 0);
  } else if (step == S_RENAME && (events & UV_RENAME)) {
    step = S_DONE;
    uv_close((uv_handle_t*) h, count_close_cb);
    safety_stop();
  }
}

static void test_single_file(void) {
  put_file(tpath("single.txt"), "start");
  memset(&file_rec, 0, sizeof(file_rec));
  step = S_MODIFY;
  ASSERT_OK(uv_fs_event_init(&loop, &file_watch));
  file_watch.data = &file_rec;
  ASSERT_OK(uv_fs_event_start(&file_watch, file_event_cb, tpath("single.txt"),
                              0));
  safety_start();
  kick_start(file_kick_cb);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(step, S_DONE);
  ASSERT_EQ(file_rec.closed, 1);
}

/* ---- errors and getpath ---- */

static void never_event_cb(uv_fs_event_t* h, const char* filename,
                           int events, int status) {
  (void) h;
  (void) events;
  (void) status;
  TEST_FAIL_("unexpected event for %s", filename ? filename : "(null)");
}

static void test_errors_getpath(void) {
  uv_fs_event_t h;
  char buf[PATH_MAX];
  const char* path = tpath("gp");
  size_t len = strlen(path);
  size_t size;

  ASSERT_OK(uv_fs_event_init(&loop, &h));

  /* Not started. */
  size = sizeof(buf);
  ASSERT_ERR(uv_fs_event_getpath(&h, buf, &size), UV_EINVAL);
  ASSERT_UEQ(size, 0);
  ASSERT_OK(uv_fs_event_stop(&h)); /* stopping an inactive handle is fine */

  /* A missing path. */
  ASSERT_ERR(uv_fs_event_start(&h, never_event_cb, tpath("no-such"), 0),
             UV_ENOENT);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);
  ASSERT_ERR(uv_fs_event_start(&h, never_event_cb, tpath("no/such/dir"), 0),
             UV_ENOENT);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);

  ASSERT_EQ(mkdir(path, 0755), 0);
  ASSERT_OK(uv_fs_event_start(&h, never_event_cb, path, 0));

  /* Room for everything but the NUL: too small, and the size asked for
   * includes the NUL. */
  size = len;
  memset(buf, 'x', sizeof(buf));
  ASSERT_ERR(uv_fs_event_getpath(&h, buf, &size), UV_ENOBUFS);
  ASSERT_UEQ(size, len + 1);
  size = 3;
  ASSERT_ERR(uv_fs_event_getpath(&h, buf, &size), UV_ENOBUFS);
  ASSERT_UEQ(size, len + 1);
  /* Exactly enough: the length without the NUL, NUL-terminated. */
  size = len + 1;
  ASSERT_OK(uv_fs_event_getpath(&h, buf, &size));
  ASSERT_UEQ(size, len);
  ASSERT_EQ(buf[len], '\0');
  ASSERT_STR_EQ(buf, path);

  ASSERT_OK(uv_fs_event_stop(&h));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &h), 0);
  ASSERT_OK(uv_fs_event_stop(&h));
  size = sizeof(buf);
  ASSERT_ERR(uv_fs_event_getpath(&h, buf, &size), UV_EINVAL);

  /* A stopped handle can be started again, elsewhere. */
  ASSERT_OK(uv_fs_event_start(&h, never_event_cb, fs_root, 0));
  size = sizeof(buf);
  ASSERT_OK(uv_fs_event_getpath(&h, buf, &size));
  ASSERT_STR_EQ(buf, fs_root);
  uv_close((uv_handle_t*) &h, NULL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
}

/* ---- stop inside the callback ---- */

static uv_fs_event_t stop_a, stop_b;
static record_t stop_a_rec, stop_b_rec;
static int two_made;

/* Makes "two" once both handles have seen "one" (in either order). */
static void make_two(void) {
  if (two_made++ == 0)
    touch(tpath("stop/two"));
}

static void stop_a_cb(uv_fs_event_t* h, const char* filename, int events,
                      int status) {
  check_event_args(filename, events, status);
  record(&stop_a_rec, filename, events);
  if (step == S_CREATE) {
    /* First event for the first watch: stop it, right here. */
    ASSERT_STR_EQ(filename, "one");
    ASSERT_OK(uv_fs_event_stop(h));
    ASSERT_EQ(uv_is_active((uv_handle_t*) h), 0);
    ASSERT_OK(uv_fs_event_stop(h));
    step = S_MODIFY;
    if (saw(&stop_b_rec, "one", UV_RENAME))
      make_two();
  } else if (step == S_RENAME) {
    /* Restarted on the other directory. */
    if (strcmp(filename, "three") == 0) {
      step = S_DONE;
      uv_close((uv_handle_t*) &stop_a, count_close_cb);
      uv_close((uv_handle_t*) &stop_b, count_close_cb);
      safety_stop();
    }
  } else {
    TEST_FAIL_("event for a stopped handle: %s", filename);
  }
}

static void stop_b_cb(uv_fs_event_t* h, const char* filename, int events,
                      int status) {
  (void) h;
  check_event_args(filename, events, status);
  record(&stop_b_rec, filename, events);
  if (step == S_MODIFY && strcmp(filename, "one") == 0) {
    /* Both handles saw "one"; the first one is stopped now. */
    make_two();
  } else if (step == S_MODIFY && strcmp(filename, "two") == 0) {
    /* The second handle saw "two", so the first one would have too. */
    ASSERT(!saw(&stop_a_rec, "two", UV_RENAME | UV_CHANGE));
    step = S_RENAME;
    ASSERT_OK(uv_fs_event_start(&stop_a, stop_a_cb, tpath("stop2"), 0));
    touch(tpath("stop2/three"));
  }
}

static void stop_kick_cb(uv_timer_t* t) {
  uv_close((uv_handle_t*) t, NULL);
  touch(tpath("stop/one"));
}

static void test_stop_in_callback(void) {
  ASSERT_EQ(mkdir(tpath("stop"), 0755), 0);
  ASSERT_EQ(mkdir(tpath("stop2"), 0755), 0);
  memset(&stop_a_rec, 0, sizeof(stop_a_rec));
  memset(&stop_b_rec, 0, sizeof(stop_b_rec));
  step = S_CREATE;
  ASSERT_OK(uv_fs_event_init(&loop, &stop_a));
  ASSERT_OK(uv_fs_event_init(&loop, &stop_b));
  stop_a.data = &stop_a_rec;
  stop_b.data = &stop_b_rec;
  two_made = 0;
  ASSERT_OK(uv_fs_event_start(&stop_a, stop_a_cb, tpath("stop"), 0));
  ASSERT_OK(uv_fs_event_start(&stop_b, stop_b_cb, tpath("stop"), 0));
  safety_start();
  kick_start(stop_kick_cb);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(step, S_DONE);
  ASSERT_EQ(stop_a_rec.closed, 1);
  ASSERT_EQ(stop_b_rec.closed, 1);
  ASSERT(saw(&stop_b_rec, "two", UV_RENAME));
  ASSERT(!saw(&stop_a_rec, "two", UV_RENAME | UV_CHANGE));
}

/* ---- close inside the callback, close with events queued ---- */

static uv_fs_event_t cl_a, cl_b;
static record_t cl_a_rec, cl_b_rec;

static void cl_a_cb(uv_fs_event_t* h, const char* filename, int events,
                    int status) {
  check_event_args(filename, events, status);
  record(&cl_a_rec, filename, events);
  ASSERT_EQ(cl_a_rec.calls, 1); /* closed on the first one */
  ASSERT_EQ(uv_is_closing((uv_handle_t*) h), 0);
  uv_close((uv_handle_t*) h, count_close_cb);
}

static void cl_b_cb(uv_fs_event_t* h, const char* filename, int events,
                    int status) {
  check_event_args(filename, events, status);
  record(&cl_b_rec, filename, events);
  if (saw(&cl_b_rec, "c1", UV_RENAME) && saw(&cl_b_rec, "c2", UV_RENAME) &&
      saw(&cl_b_rec, "c3", UV_RENAME) && !uv_is_closing((uv_handle_t*) h)) {
    uv_close((uv_handle_t*) h, count_close_cb);
    safety_stop();
  }
}

static void cl_kick_cb(uv_timer_t* t) {
  uv_close((uv_handle_t*) t, NULL);
  /* Three events at once, most likely read in one go. */
  touch(tpath("close/c1"));
  touch(tpath("close/c2"));
  touch(tpath("close/c3"));
}

static void test_close_in_callback(void) {
  ASSERT_EQ(mkdir(tpath("close"), 0755), 0);
  memset(&cl_a_rec, 0, sizeof(cl_a_rec));
  memset(&cl_b_rec, 0, sizeof(cl_b_rec));
  ASSERT_OK(uv_fs_event_init(&loop, &cl_a));
  ASSERT_OK(uv_fs_event_init(&loop, &cl_b));
  cl_a.data = &cl_a_rec;
  cl_b.data = &cl_b_rec;
  ASSERT_OK(uv_fs_event_start(&cl_a, cl_a_cb, tpath("close"), 0));
  ASSERT_OK(uv_fs_event_start(&cl_b, cl_b_cb, tpath("close"), 0));
  safety_start();
  kick_start(cl_kick_cb);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(cl_a_rec.calls, 1);
  ASSERT_EQ(cl_a_rec.closed, 1);
  ASSERT_EQ(cl_b_rec.closed, 1);
}

static uv_fs_event_t q_a, q_b;
static record_t q_a_rec, q_b_rec;

static void q_a_cb(uv_fs_event_t* h, const char* filename, int events,
                   int status) {
  (void) h;
  (void) events;
  (void) status;
  TEST_FAIL_("event for a closed handle: %s", filename ? filename : "(null)");
}

static void q_b_cb(uv_fs_event_t* h, const char* filename, int events,
                   int status) {
  check_event_args(filename, events, status);
  record(&q_b_rec, filename, events);
  if (saw(&q_b_rec, "q2", UV_RENAME) && !uv_is_closing((uv_handle_t*) h)) {
    uv_close((uv_handle_t*) h, count_close_cb);
    safety_stop();
  }
}

static void test_close_with_queued_events(void) {
  ASSERT_EQ(mkdir(tpath("queued"), 0755), 0);
  memset(&q_a_rec, 0, sizeof(q_a_rec));
  memset(&q_b_rec, 0, sizeof(q_b_rec));
  ASSERT_OK(uv_fs_event_init(&loop, &q_a));
  ASSERT_OK(uv_fs_event_init(&loop, &q_b));
  q_a.data = &q_a_rec;
  q_b.data = &q_b_rec;
  ASSERT_OK(uv_fs_event_start(&q_a, q_a_cb, tpath("queued"), 0));
  ASSERT_OK(uv_fs_event_start(&q_b, q_b_cb, tpath("queued"), 0));
  /* The kernel has the events before the loop runs ... */
  touch(tpath("queued/q1"));
  touch(tpath("queued/q2"));
  /* ... and then one watcher goes away. */
  uv_close((uv_handle_t*) &q_a, count_close_cb);
  safety_start();
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(q_a_rec.closed, 1);
  ASSERT_EQ(q_b_rec.closed, 1);
  ASSERT(saw(&q_b_rec, "q1", UV_RENAME));

  /* A lone watcher closed with events pending: nothing is delivered. */
  ASSERT_OK(uv_fs_event_init(&loop, &q_a));
  ASSERT_OK(uv_fs_event_start(&q_a, q_a_cb, tpath("queued"), 0));
  touch(tpath("queued/q3"));
  ASSERT_EQ(unlink(tpath("queued/q3")), 0);
  uv_close((uv_handle_t*) &q_a, count_close_cb);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(q_a_rec.closed, 2);
}

int main(void) {
  fs_tmp_init("fs-event");
  ASSERT_OK(uv_loop_init(&loop));
  printf("directory\n");
  test_directory();
  printf("single file\n");
  test_single_file();
  printf("errors, getpath\n");
  test_errors_getpath();
  printf("stop in callback\n");
  test_stop_in_callback();
  printf("close in callback\n");
  test_close_in_callback();
  printf("close with queued events\n");
  test_close_with_queued_events();
  close_loop(&loop);
  fs_tmp_cleanup();
  return 0;
}
