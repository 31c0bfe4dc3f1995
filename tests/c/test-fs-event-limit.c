/* rsuv: ours-only: recursive inotify watching is an rsuv extension; libuv ignores UV_FS_EVENT_RECURSIVE on Linux */
/* Recursive watching at the per-user inotify watch limit. The test lowers
 * the limit to 5 inside a user namespace of its own (the limit is per user
 * namespace since Linux 5.11, so nothing outside is affected), and skips
 * where user namespaces are not available.
 *  - A recursive start on a tree of 7 directories fails with UV_ENOSPC and
 *    leaves no watch behind: 5 plain watches still fit afterwards.
 *  - A recursive watch of 4 directories that later gains 2 more watches the
 *    first (the 5th watch) and reports the second to the callback with
 *    status UV_ENOSPC, events 0 and its name relative to the root. */
#define _GNU_SOURCE
#include "fs-helpers.h"

#include <sched.h>

static uv_loop_t loop;
static uv_fs_event_t tree;
static uv_timer_t step, guard;
static int enospc_reports;
static char enospc_name[PATH_MAX];

static int write_proc(const char* path, const char* text) {
  int fd = open(path, O_WRONLY);
  ssize_t n;
  if (fd < 0)
    return -1;
  n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t) strlen(text) ? 0 : -1;
}

/* Enters a new user namespace (as its root) with a watch limit of 5. */
static int limit_watches(void) {
  char map[64];
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER) != 0)
    return -1;
  (void) write_proc("/proc/self/setgroups", "deny");
  snprintf(map, sizeof(map), "0 %u 1", (unsigned) uid);
  if (write_proc("/proc/self/uid_map", map) != 0)
    return -1;
  snprintf(map, sizeof(map), "0 %u 1", (unsigned) gid);
  if (write_proc("/proc/self/gid_map", map) != 0)
    return -1;
  return write_proc("/proc/sys/user/max_inotify_watches", "5");
}

static void ignore_cb(uv_fs_event_t* h, const char* name, int events, int status) {
  (void) h;
  (void) name;
  (void) events;
  (void) status;
}

static void tree_cb(uv_fs_event_t* h, const char* name, int events, int status) {
  (void) h;
  if (status == UV_ENOSPC) {
    ASSERT_EQ(events, 0);
    ASSERT_NOT_NULL(name);
    enospc_reports++;
    snprintf(enospc_name, sizeof(enospc_name), "%s", name);
    uv_close((uv_handle_t*) &tree, NULL);
    uv_close((uv_handle_t*) &step, NULL);
    uv_close((uv_handle_t*) &guard, NULL);
    return;
  }
  ASSERT_OK(status);
}

static void grow_tree(uv_timer_t* t) {
  (void) t;
  /* The first new directory takes the last watch; the second finds none. */
  ASSERT_OK(mkdir(tpath("small/n1"), 0755));
  ASSERT_OK(mkdir(tpath("small/n1/n2"), 0755));
}

static void guard_cb(uv_timer_t* t) {
  (void) t;
  TEST_FAIL_("no UV_ENOSPC report for the directory beyond the limit");
}

static void start_fails_and_undoes(void) {
  uv_fs_event_t plain[5];
  const char* dirs[5];
  int i;
  ASSERT_OK(mkdir(tpath("big"), 0755));
  for (i = 0; i < 6; i++)
    ASSERT_OK(mkdir(tpathf("big/d%d", i), 0755));
  ASSERT_OK(uv_fs_event_init(&loop, &tree));
  ASSERT_ERR(uv_fs_event_start(&tree, tree_cb, tpath("big"), UV_FS_EVENT_RECURSIVE),
             UV_ENOSPC);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &tree), 0);
  uv_close((uv_handle_t*) &tree, NULL);
  /* All 5 watches are free again. */
  for (i = 0; i < 5; i++) {
    dirs[i] = tpathf("big/d%d", i);
    ASSERT_OK(uv_fs_event_init(&loop, &plain[i]));
    ASSERT_OK(uv_fs_event_start(&plain[i], ignore_cb, dirs[i], 0));
  }
  for (i = 0; i < 5; i++)
    uv_close((uv_handle_t*) &plain[i], NULL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
}

static void later_directory_is_reported(void) {
  ASSERT_OK(mkdir(tpath("small"), 0755));
  ASSERT_OK(mkdir(tpath("small/a"), 0755));
  ASSERT_OK(mkdir(tpath("small/a/b"), 0755));
  ASSERT_OK(mkdir(tpath("small/c"), 0755));
  ASSERT_OK(uv_fs_event_init(&loop, &tree));
  ASSERT_OK(uv_fs_event_start(&tree, tree_cb, tpath("small"), UV_FS_EVENT_RECURSIVE));
  ASSERT_OK(uv_timer_init(&loop, &step));
  ASSERT_OK(uv_timer_start(&step, grow_tree, 20, 0));
  ASSERT_OK(uv_timer_init(&loop, &guard));
  ASSERT_OK(uv_timer_start(&guard, guard_cb, 10000, 0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(enospc_reports, 1);
  ASSERT_STR_EQ(enospc_name, "n1/n2");
}

int main(void) {
  /* Before any thread exists: unshare(CLONE_NEWUSER) needs one thread. */
  if (limit_watches() != 0) {
    printf("skipped: no user namespace with a lower inotify limit here\n");
    return 0;
  }
  fs_tmp_init("fs-event-limit");
  ASSERT_OK(uv_loop_init(&loop));
  start_fails_and_undoes();
  later_directory_is_reported();
  close_loop(&loop);
  fs_tmp_cleanup();
  return 0;
}
