/* watch-tree: prints every change under a directory tree, using one
 * uv_fs_event_t started with UV_FS_EVENT_RECURSIVE.
 *
 * What the flag does depends on the library and the platform. rsuv on Linux
 * watches the whole tree (it adds an inotify watch for every subdirectory,
 * also for those created later) and names each change by its path relative
 * to the watched directory, e.g. "a/b/deep.txt". libuv 1.x on Linux ignores
 * the flag: it reports changes to the entries of the top directory only
 * (on macOS and Windows libuv does watch the whole tree).
 *
 *   watch-tree DIR   prints the changes under DIR until killed
 *   watch-tree       demo: makes a small tree in a temporary directory
 *                    (top.txt, a/b/deep.txt), watches it, then from a timer
 *                    appends to top.txt and to a/b/deep.txt and creates
 *                    a/b/new.txt; prints what it sees until nothing has
 *                    happened for 300 ms, removes the tree and exits 0 if
 *                    the top-level change was seen (exit 1 if that has not
 *                    come after 5 s). Whether the two changes two levels
 *                    down show up is only reported, as libuv misses them.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>

static uv_loop_t* loop;
static uv_fs_event_t watcher;
static int demo;
static int events_seen, top_seen, deep_seen;
static uv_timer_t change_timer, quiet_timer, deadline_timer;

static void stop_all(void) {
  uv_close((uv_handle_t*) &watcher, NULL);
  uv_close((uv_handle_t*) &change_timer, NULL);
  uv_close((uv_handle_t*) &quiet_timer, NULL);
  uv_close((uv_handle_t*) &deadline_timer, NULL);
}

static void on_quiet(uv_timer_t* timer) {
  (void) timer;
  if (top_seen) /* else keep waiting, up to the deadline */
    stop_all();
}

static void on_event(uv_fs_event_t* handle, const char* filename, int events, int status) {
  (void) handle;
  if (status < 0) {
    fprintf(stderr, "watch-tree: %s\n", uv_strerror(status));
    return;
  }
  events_seen++;
  printf("%-7s %s\n",
         events == (UV_RENAME | UV_CHANGE) ? "both" : events & UV_RENAME ? "rename" : "change",
         filename ? filename : "(no name)");
  fflush(stdout);
  if (demo && filename) {
    if (strcmp(filename, "top.txt") == 0)
      top_seen = 1;
    else if (strncmp(filename, "a/b/", 4) == 0)
      deep_seen = 1;
    uv_timer_start(&quiet_timer, on_quiet, 300, 0);
  }
}

static int start_watching(const char* dir) {
  int r;
  uv_fs_event_init(loop, &watcher);
  r = uv_fs_event_start(&watcher, on_event, dir, UV_FS_EVENT_RECURSIVE);
  if (r < 0) {
    fprintf(stderr, "watch-tree: cannot watch %s: %s\n", dir, uv_strerror(r));
    uv_close((uv_handle_t*) &watcher, NULL);
    uv_run(loop, UV_RUN_DEFAULT); /* let the close complete */
  } else {
    fprintf(stderr, "watch-tree: watching %s (UV_FS_EVENT_RECURSIVE)\n", dir);
  }
  return r;
}

/* ---- the demo: every file-system step is a synchronous request ---- */

static char root[1100];

static const char* in_root(char* buf, size_t size, const char* rel) {
  snprintf(buf, size, "%s/%s", root, rel);
  return buf;
}

static int check(const char* what, const char* rel, int r) {
  if (r < 0)
    fprintf(stderr, "watch-tree: %s %s: %s\n", what, rel, uv_strerror(r));
  return r < 0;
}

static int do_mkdir(const char* rel) {
  char p[1200];
  uv_fs_t req;
  int r = uv_fs_mkdir(loop, &req, in_root(p, sizeof(p), rel), 0755, NULL);
  uv_fs_req_cleanup(&req);
  return check("mkdir", rel, r);
}

/* Appends TEXT to ROOT/REL, creating the file if needed. */
static int append(const char* rel, const char* text) {
  char p[1200];
  uv_fs_t req;
  uv_buf_t buf = uv_buf_init((char*) text, (unsigned) strlen(text));
  int fd, r;

  fd = uv_fs_open(loop, &req, in_root(p, sizeof(p), rel),
                  O_WRONLY | O_APPEND | O_CREAT, 0644, NULL);
  uv_fs_req_cleanup(&req);
  if (check("open", rel, fd))
    return 1;
  r = uv_fs_write(loop, &req, fd, &buf, 1, -1, NULL);
  uv_fs_req_cleanup(&req);
  uv_fs_close(loop, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
  return check("write", rel, r);
}

static void remove_entry(const char* rel, int is_dir) {
  char p[1200];
  uv_fs_t req;
  in_root(p, sizeof(p), rel);
  if (is_dir)
    uv_fs_rmdir(loop, &req, rel[0] ? p : root, NULL);
  else
    uv_fs_unlink(loop, &req, p, NULL);
  uv_fs_req_cleanup(&req);
}

static void make_changes(uv_timer_t* timer) {
  (void) timer;
  fprintf(stderr, "watch-tree: changing top.txt, a/b/deep.txt, creating a/b/new.txt\n");
  append("top.txt", "changed\n");
  append("a/b/deep.txt", "changed\n");
  append("a/b/new.txt", "new\n");
  /* If there are no events at all, the deadline ends the demo. */
}

static void on_deadline(uv_timer_t* timer) {
  (void) timer;
  fprintf(stderr, "watch-tree: no change of top.txt seen within 5 s\n");
  stop_all();
}

static int run_demo(void) {
  char dir[1024];
  size_t len = sizeof(dir);
  uv_fs_t req;
  int r, failed = 0;

  demo = 1;
  r = uv_os_tmpdir(dir, &len);
  if (r == 0) {
    snprintf(root, sizeof(root), "%s/watch-tree-XXXXXX", dir);
    r = uv_fs_mkdtemp(loop, &req, root, NULL);
    if (r == 0)
      snprintf(root, sizeof(root), "%s", req.path);
    uv_fs_req_cleanup(&req);
  }
  if (r < 0) {
    fprintf(stderr, "watch-tree: cannot make a temporary directory: %s\n", uv_strerror(r));
    return 1;
  }

  if (do_mkdir("a") || do_mkdir("a/b") || append("top.txt", "top\n") ||
      append("a/b/deep.txt", "deep\n") || start_watching(root) < 0) {
    failed = 1;
  } else {
    uv_timer_init(loop, &change_timer);
    uv_timer_init(loop, &quiet_timer);
    uv_timer_init(loop, &deadline_timer);
    uv_timer_start(&change_timer, make_changes, 50, 0);
    uv_timer_start(&deadline_timer, on_deadline, 5000, 0);
    uv_run(loop, UV_RUN_DEFAULT);
  }

  remove_entry("a/b/new.txt", 0);
  remove_entry("a/b/deep.txt", 0);
  remove_entry("a/b", 1);
  remove_entry("a", 1);
  remove_entry("top.txt", 0);
  remove_entry("", 1);
  if (uv_loop_close(loop) != 0)
    failed = 1;
  if (failed)
    return 1;
  printf("%d event%s; top-level change %s; changes two levels down %s\n",
         events_seen, events_seen == 1 ? "" : "s", top_seen ? "seen" : "NOT seen",
         deep_seen ? "seen (recursive watching)"
                   : "not seen (this library watches only the top directory)");
  return top_seen ? 0 : 1;
}

int main(int argc, char** argv) {
  loop = uv_default_loop();
  if (argc == 1)
    return run_demo();
  if (start_watching(argv[1]) < 0)
    return 1;
  return uv_run(loop, UV_RUN_DEFAULT);
}
