/* rsuv: ours-only: UV_FS_UTIME_NOW/OMIT are 1.51+, copyfile copies timestamps since 1.49, nanosecond utime and uv_statfs_t.f_frsize are 1.52, getpath rejects a zero size since 1.50 */
/* File-system behaviour of libuv versions newer than 1.44, sync and async:
 * UV_FS_UTIME_NOW and UV_FS_UTIME_OMIT for uv_fs_utime/futime/lutime
 * (1.51), uv_fs_copyfile giving the copy the source's times (1.49; see
 * test_copyfile_times for what that means for mtime), nanosecond
 * timestamps in the utime family (1.52: no rounding to microseconds),
 * uv_statfs_t.f_frsize (1.52), and uv_fs_event_getpath/uv_fs_poll_getpath
 * answering UV_EINVAL for a NULL buffer, a NULL size or
 * a zero size (1.50). */
#include "fs-helpers.h"

#include <sys/statfs.h>
#include <time.h>

static uv_loop_t loop;

static void get_times(const char* path, int follow, struct stat* st) {
  if (follow)
    ASSERT_EQ(stat(path, st), 0);
  else
    ASSERT_EQ(lstat(path, st), 0);
}

static void test_utime_now_omit(int async) {
  const char* m = mode_name(async);
  const char* f = tpathf("now-%s", m);
  const char* l = tpathf("nowl-%s", m);
  uv_fs_t req;
  struct stat st;
  time_t before;
  time_t after;
  int fd;

  put_file(f, "x");
  ASSERT_EQ(symlink(f, l), 0);

  /* OMIT leaves a time alone; an explicit one is still set. */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_utime(&loop, &req, f, 100000, 200000,
                                fs_cb(async))));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_utime(&loop, &req, f, UV_FS_UTIME_OMIT, 300000,
                                fs_cb(async))));
  uv_fs_req_cleanup(&req);
  get_times(f, 1, &st);
  ASSERT_EQ(st.st_atim.tv_sec, 100000);
  ASSERT_EQ(st.st_mtim.tv_sec, 300000);

  /* NOW: the current time (compared with the clock, whole seconds). */
  before = time(NULL);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_utime(&loop, &req, f, UV_FS_UTIME_NOW,
                                UV_FS_UTIME_OMIT, fs_cb(async))));
  uv_fs_req_cleanup(&req);
  after = time(NULL);
  get_times(f, 1, &st);
  ASSERT_GE(st.st_atim.tv_sec, before - 1);
  ASSERT_LE(st.st_atim.tv_sec, after + 1);
  ASSERT_EQ(st.st_mtim.tv_sec, 300000);

  /* futime */
  fd = open(f, O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_futime(&loop, &req, fd, 400000, UV_FS_UTIME_OMIT,
                                 fs_cb(async))));
  uv_fs_req_cleanup(&req);
  get_times(f, 1, &st);
  ASSERT_EQ(st.st_atim.tv_sec, 400000);
  ASSERT_EQ(st.st_mtim.tv_sec, 300000);
  before = time(NULL);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_futime(&loop, &req, fd, UV_FS_UTIME_OMIT,
                                 UV_FS_UTIME_NOW, fs_cb(async))));
  uv_fs_req_cleanup(&req);
  after = time(NULL);
  get_times(f, 1, &st);
  ASSERT_EQ(st.st_atim.tv_sec, 400000);
  ASSERT_GE(st.st_mtim.tv_sec, before - 1);
  ASSERT_LE(st.st_mtim.tv_sec, after + 1);
  ASSERT_EQ(close(fd), 0);

  /* lutime, on the link itself. */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_lutime(&loop, &req, l, 500000, 600000,
                                 fs_cb(async))));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_lutime(&loop, &req, l, UV_FS_UTIME_OMIT,
                                 UV_FS_UTIME_OMIT, fs_cb(async))));
  uv_fs_req_cleanup(&req);
  get_times(l, 0, &st);
  ASSERT_EQ(st.st_atim.tv_sec, 500000);
  ASSERT_EQ(st.st_mtim.tv_sec, 600000);
  get_times(f, 1, &st);
  ASSERT_EQ(st.st_atim.tv_sec, 400000);
}

static void test_utime_nanoseconds(int async) {
  const char* f = tpathf("ns-%s", mode_name(async));
  /* 1 + 2^-20 s = 1.00000095367431640625 s: exact in a double; 953 ns
   * (1.44 rounded it down to whole microseconds: 0). */
  double t = 1.0 + 1.0 / 1048576.0;
  uv_fs_t req;
  struct stat st;

  put_file(f, "x");
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_utime(&loop, &req, f, t, t + 1, fs_cb(async))));
  uv_fs_req_cleanup(&req);
  get_times(f, 1, &st);
  ASSERT_EQ(st.st_atim.tv_sec, 1);
  ASSERT_EQ(st.st_atim.tv_nsec, 953);
  ASSERT_EQ(st.st_mtim.tv_sec, 2);
  ASSERT_EQ(st.st_mtim.tv_nsec, 953);
}

/* libuv 1.49+ gives the copy the source's times, but sets them before it
 * copies the data, so for a non-empty file the data written afterwards
 * moves the copy's mtime to "now" (libuv 1.52 does exactly that): atime is
 * checked for a non-empty file, both times for an empty one. */
static void test_copyfile_times(int async) {
  const char* m = mode_name(async);
  const char* src = tpathf("cpt-src-%s", m);
  const char* dst = tpathf("cpt-dst-%s", m);
  const char* esrc = tpathf("cpt-esrc-%s", m);
  const char* edst = tpathf("cpt-edst-%s", m);
  uv_fs_t req;
  struct stat st;

  put_file(src, "timestamps");
  put_file(esrc, "");
  ASSERT_OK(uv_fs_utime(&loop, &req, src, 1111111111.5, 1222222222.25, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(uv_fs_utime(&loop, &req, esrc, 1111111111.5, 1222222222.25,
                        NULL));
  uv_fs_req_cleanup(&req);

  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_copyfile(&loop, &req, src, dst, 0, fs_cb(async))));
  uv_fs_req_cleanup(&req);
  get_times(dst, 1, &st);
  ASSERT_EQ(st.st_atim.tv_sec, 1111111111);
  ASSERT_EQ(st.st_atim.tv_nsec, 500000000);
  ASSERT_FILE_IS(dst, "timestamps");

  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_copyfile(&loop, &req, esrc, edst, 0,
                                   fs_cb(async))));
  uv_fs_req_cleanup(&req);
  get_times(edst, 1, &st);
  ASSERT_EQ(st.st_atim.tv_sec, 1111111111);
  ASSERT_EQ(st.st_atim.tv_nsec, 500000000);
  ASSERT_EQ(st.st_mtim.tv_sec, 1222222222);
  ASSERT_EQ(st.st_mtim.tv_nsec, 250000000);
}

static void test_statfs_frsize(int async) {
  uv_fs_t req;
  uv_statfs_t* s;
  struct statfs sys;

  ASSERT_EQ(statfs(fs_root, &sys), 0);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_statfs(&loop, &req, fs_root, fs_cb(async))));
  s = req.ptr;
  ASSERT_NOT_NULL(s);
  ASSERT_UEQ(s->f_frsize, (uint64_t) sys.f_frsize);
  ASSERT_UGE(s->f_frsize, 1);
  uv_fs_req_cleanup(&req);
}

static void never_event_cb(uv_fs_event_t* h, const char* filename,
                           int events, int status) {
  (void) h;
  (void) filename;
  (void) events;
  (void) status;
}

static void never_poll_cb(uv_fs_poll_t* h, int status, const uv_stat_t* prev,
                          const uv_stat_t* curr) {
  (void) h;
  (void) status;
  (void) prev;
  (void) curr;
}

static void test_getpath_args(void) {
  uv_fs_event_t ev;
  uv_fs_poll_t po;
  char buf[PATH_MAX];
  size_t size;

  ASSERT_OK(uv_fs_event_init(&loop, &ev));
  ASSERT_OK(uv_fs_event_start(&ev, never_event_cb, fs_root, 0));
  size = 0;
  ASSERT_ERR(uv_fs_event_getpath(&ev, buf, &size), UV_EINVAL);
  size = sizeof(buf);
  ASSERT_ERR(uv_fs_event_getpath(&ev, NULL, &size), UV_EINVAL);
  ASSERT_ERR(uv_fs_event_getpath(&ev, buf, NULL), UV_EINVAL);
  size = sizeof(buf);
  ASSERT_OK(uv_fs_event_getpath(&ev, buf, &size));
  ASSERT_STR_EQ(buf, fs_root);

  ASSERT_OK(uv_fs_poll_init(&loop, &po));
  ASSERT_OK(uv_fs_poll_start(&po, never_poll_cb, fs_root, 1000));
  size = 0;
  ASSERT_ERR(uv_fs_poll_getpath(&po, buf, &size), UV_EINVAL);
  size = sizeof(buf);
  ASSERT_ERR(uv_fs_poll_getpath(&po, NULL, &size), UV_EINVAL);
  ASSERT_ERR(uv_fs_poll_getpath(&po, buf, NULL), UV_EINVAL);
  size = sizeof(buf);
  ASSERT_OK(uv_fs_poll_getpath(&po, buf, &size));
  ASSERT_STR_EQ(buf, fs_root);

  uv_close((uv_handle_t*) &ev, NULL);
  uv_close((uv_handle_t*) &po, NULL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
}

int main(void) {
  int async;

  fs_tmp_init("fs-ext");
  ASSERT_OK(uv_loop_init(&loop));
  for (async = 0; async < 2; async++) {
    printf("mode %s\n", mode_name(async));
    test_utime_now_omit(async);
    test_utime_nanoseconds(async);
    test_copyfile_times(async);
    test_statfs_frsize(async);
  }
  test_getpath_args();
  close_loop(&loop);
  fs_tmp_cleanup();
  return 0;
}
