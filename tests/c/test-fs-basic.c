/* File I/O through uv_fs_*, each both synchronously (cb NULL: the call
 * returns the result and stores it in req->result) and asynchronously (with
 * a callback on the loop): uv_fs_open/close, vectored uv_fs_write and
 * uv_fs_read (several buffers, more buffers than fit in the request,
 * offset -1 = current position and moves it, offset >= 0 = pread/pwrite
 * that leave it alone, reads at and past the end return 0), O_APPEND,
 * uv_fs_ftruncate (shrink and extend with zeros), uv_fs_fsync,
 * uv_fs_fdatasync, uv_fs_fstat, uv_fs_fchmod, uv_fs_futime, uv_fs_fchown,
 * descriptors opened close-on-exec, several writes in flight at once, and
 * the request fields and getters after a successful call. */
#include "fs-helpers.h"

static uv_loop_t loop;

static int open_file(const char* path, int flags, int mode, int async) {
  uv_fs_t req;
  int fd = fs_wait(&loop, &req, async,
                   uv_fs_open(&loop, &req, path, flags, mode, fs_cb(async)));
  ASSERT_GE(fd, 0);
  ASSERT_EQ(req.fs_type, UV_FS_OPEN);
  ASSERT_EQ(uv_fs_get_type(&req), UV_FS_OPEN);
  ASSERT_EQ(uv_fs_get_result(&req), fd);
  ASSERT_STR_EQ(req.path, path);
  ASSERT_STR_EQ(uv_fs_get_path(&req), path);
  ASSERT_PTR_EQ(req.loop, &loop);
  uv_fs_req_cleanup(&req);
  /* libuv opens everything close-on-exec. */
  ASSERT_NE(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  return fd;
}

static void close_file(int fd, int async) {
  uv_fs_t req;
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_close(&loop, &req, fd, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_CLOSE);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(fcntl(fd, F_GETFD), -1); /* really closed */
}

static ssize_t do_write(int fd, uv_buf_t* bufs, unsigned n, int64_t off,
                        int async) {
  uv_fs_t req;
  ssize_t r = fs_wait(&loop, &req, async,
                      uv_fs_write(&loop, &req, fd, bufs, n, off,
                                  fs_cb(async)));
  ASSERT_EQ(req.fs_type, UV_FS_WRITE);
  uv_fs_req_cleanup(&req);
  return r;
}

static ssize_t do_read(int fd, uv_buf_t* bufs, unsigned n, int64_t off,
                       int async) {
  uv_fs_t req;
  ssize_t r = fs_wait(&loop, &req, async,
                      uv_fs_read(&loop, &req, fd, bufs, n, off,
                                 fs_cb(async)));
  ASSERT_EQ(req.fs_type, UV_FS_READ);
  uv_fs_req_cleanup(&req);
  return r;
}

static off_t position(int fd) {
  return lseek(fd, 0, SEEK_CUR);
}

static void test_read_write(int async) {
  const char* path = tpath(async ? "rw-async" : "rw-sync");
  char a[] = "abc", b[] = "defg", c[] = "hi";
  char xy[] = "XY";
  char many[17] = "0123456789abcdef";
  char r1[4], r2[5], r3[100];
  uv_buf_t bufs[16];
  int fd;
  int i;

  fd = open_file(path, UV_FS_O_RDWR | UV_FS_O_CREAT | UV_FS_O_TRUNC, 0644,
                 async);

  /* Three buffers at the current position (offset -1). */
  bufs[0] = uv_buf_init(a, 3);
  bufs[1] = uv_buf_init(b, 4);
  bufs[2] = uv_buf_init(c, 2);
  ASSERT_EQ(do_write(fd, bufs, 3, -1, async), 9);
  ASSERT_EQ(position(fd), 9);

  /* A positioned write does not move the position. */
  bufs[0] = uv_buf_init(xy, 2);
  ASSERT_EQ(do_write(fd, bufs, 1, 2, async), 2);
  ASSERT_EQ(position(fd), 9);

  /* Sixteen one-byte buffers (more than a request keeps inline), positioned
   * right at the end. */
  for (i = 0; i < 16; i++)
    bufs[i] = uv_buf_init(many + i, 1);
  ASSERT_EQ(do_write(fd, bufs, 16, 9, async), 16);
  ASSERT_EQ(position(fd), 9);
  ASSERT_FILE_IS(path, "abXYefghi0123456789abcdef");

  /* Vectored positioned read of everything: fills the buffers in order. */
  memset(r3, 0, sizeof(r3));
  bufs[0] = uv_buf_init(r1, sizeof(r1));
  bufs[1] = uv_buf_init(r2, sizeof(r2));
  bufs[2] = uv_buf_init(r3, sizeof(r3));
  ASSERT_EQ(do_read(fd, bufs, 3, 0, async), 25);
  ASSERT(memcmp(r1, "abXY", 4) == 0);
  ASSERT(memcmp(r2, "efghi", 5) == 0);
  ASSERT_STR_EQ(r3, "0123456789abcdef");
  ASSERT_EQ(position(fd), 9);

  /* Reads at the current position move it. */
  bufs[0] = uv_buf_init(r1, sizeof(r1));
  ASSERT_EQ(do_read(fd, bufs, 1, -1, async), 4);
  ASSERT(memcmp(r1, "0123", 4) == 0);
  ASSERT_EQ(position(fd), 13);
  bufs[0] = uv_buf_init(r1, 2);
  bufs[1] = uv_buf_init(r2, 3);
  ASSERT_EQ(do_read(fd, bufs, 2, -1, async), 5);
  ASSERT(memcmp(r1, "45", 2) == 0);
  ASSERT(memcmp(r2, "678", 3) == 0);
  ASSERT_EQ(position(fd), 18);

  /* A short read at the end, then EOF: 0, both ways. */
  bufs[0] = uv_buf_init(r3, sizeof(r3));
  ASSERT_EQ(do_read(fd, bufs, 1, -1, async), 7);
  ASSERT_EQ(position(fd), 25);
  ASSERT_EQ(do_read(fd, bufs, 1, -1, async), 0);
  ASSERT_EQ(do_read(fd, bufs, 1, 25, async), 0);
  ASSERT_EQ(do_read(fd, bufs, 1, 1000000, async), 0);
  ASSERT_EQ(position(fd), 25);

  /* A zero-length buffer reads and writes nothing. */
  bufs[0] = uv_buf_init(r1, 0);
  ASSERT_EQ(do_read(fd, bufs, 1, 0, async), 0);
  ASSERT_EQ(do_write(fd, bufs, 1, 0, async), 0);

  /* A positioned write past the end leaves a hole of zeros. */
  bufs[0] = uv_buf_init(xy, 2);
  ASSERT_EQ(do_write(fd, bufs, 1, 30, async), 2);
  bufs[0] = uv_buf_init(r3, sizeof(r3));
  ASSERT_EQ(do_read(fd, bufs, 1, 24, async), 8);
  ASSERT(memcmp(r3, "f\0\0\0\0\0XY", 8) == 0);

  close_file(fd, async);
}

static void test_append(int async) {
  const char* path = tpath(async ? "append-async" : "append-sync");
  char more[] = "more";
  uv_buf_t buf = uv_buf_init(more, 4);
  int fd;

  put_file(path, "start-");
  fd = open_file(path, UV_FS_O_WRONLY | UV_FS_O_APPEND, 0, async);
  ASSERT_EQ(do_write(fd, &buf, 1, -1, async), 4);
  ASSERT_EQ(do_write(fd, &buf, 1, -1, async), 4);
  close_file(fd, async);
  ASSERT_FILE_IS(path, "start-moremore");

  /* O_EXCL|O_CREAT creates a new file; O_TRUNC empties an existing one. */
  fd = open_file(tpath(async ? "excl-async" : "excl-sync"),
                 UV_FS_O_WRONLY | UV_FS_O_CREAT | UV_FS_O_EXCL, 0600, async);
  close_file(fd, async);
  ASSERT(path_exists(tpath(async ? "excl-async" : "excl-sync")));
  fd = open_file(path, UV_FS_O_WRONLY | UV_FS_O_TRUNC, 0, async);
  close_file(fd, async);
  ASSERT_FILE_IS(path, "");
}

static void test_fd_ops(int async) {
  const char* path = tpath(async ? "fdops-async" : "fdops-sync");
  uv_fs_t req;
  struct stat st;
  char buf[32];
  uv_buf_t b;
  int fd;

  put_file(path, "0123456789");
  fd = open_file(path, UV_FS_O_RDWR, 0, async);

  /* ftruncate shrinks ... */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_ftruncate(&loop, &req, fd, 4, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_FTRUNCATE);
  uv_fs_req_cleanup(&req);
  ASSERT_FILE_IS(path, "0123");
  /* ... and extends with zeros. */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_ftruncate(&loop, &req, fd, 8, fs_cb(async))));
  uv_fs_req_cleanup(&req);
  b = uv_buf_init(buf, sizeof(buf));
  ASSERT_EQ(do_read(fd, &b, 1, 0, async), 8);
  ASSERT(memcmp(buf, "0123\0\0\0\0", 8) == 0);

  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_fsync(&loop, &req, fd, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_FSYNC);
  uv_fs_req_cleanup(&req);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_fdatasync(&loop, &req, fd, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_FDATASYNC);
  uv_fs_req_cleanup(&req);

  /* fstat: the statbuf is filled and req->ptr points at it. */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_fstat(&loop, &req, fd, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_FSTAT);
  ASSERT_EQ(stat(path, &st), 0);
  ASSERT_UEQ(req.statbuf.st_size, 8);
  ASSERT_UEQ(req.statbuf.st_ino, st.st_ino);
  ASSERT_UEQ(req.statbuf.st_dev, st.st_dev);
  ASSERT_UEQ(req.statbuf.st_nlink, 1);
  ASSERT(S_ISREG(req.statbuf.st_mode));
  ASSERT_UEQ(req.statbuf.st_uid, geteuid());
  ASSERT_PTR_EQ(uv_fs_get_statbuf(&req), &req.statbuf);
  ASSERT_PTR_EQ(req.ptr, &req.statbuf);
  ASSERT_PTR_EQ(uv_fs_get_ptr(&req), &req.statbuf);
  uv_fs_req_cleanup(&req);

  /* fchmod */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_fchmod(&loop, &req, fd, 0640, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_FCHMOD);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(stat(path, &st), 0);
  ASSERT_EQ(st.st_mode & 07777, 0640);

  /* futime with explicit values (exact in binary, whole microseconds). */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_futime(&loop, &req, fd, 1234567890.25, 1300000000.5,
                                 fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_FUTIME);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(stat(path, &st), 0);
  ASSERT_EQ(st.st_atim.tv_sec, 1234567890);
  ASSERT_EQ(st.st_atim.tv_nsec, 250000000);
  ASSERT_EQ(st.st_mtim.tv_sec, 1300000000);
  ASSERT_EQ(st.st_mtim.tv_nsec, 500000000);

  /* fchown to who we are is always allowed; -1 means "leave alone". */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_fchown(&loop, &req, fd, getuid(), getgid(),
                                 fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_FCHOWN);
  uv_fs_req_cleanup(&req);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_fchown(&loop, &req, fd, (uv_uid_t) -1,
                                 (uv_gid_t) -1, fs_cb(async))));
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(stat(path, &st), 0);
  ASSERT_UEQ(st.st_uid, getuid());
  ASSERT_UEQ(st.st_gid, getgid());

  close_file(fd, async);
}

/* Several asynchronous requests in flight at once on one loop, each with
 * its own callback invocation. */
static int multi_done;

static void multi_cb(uv_fs_t* req) {
  ASSERT_EQ(req->fs_type, UV_FS_WRITE);
  ASSERT_EQ(req->result, 1);
  multi_done++;
  uv_fs_req_cleanup(req);
}

static void test_many_in_flight(void) {
  enum { N = 64 };
  uv_fs_t reqs[N];
  char bytes[N];
  uv_buf_t buf;
  char got[N + 1];
  int fd;
  int i;

  fd = open_file(tpath("inflight"), UV_FS_O_RDWR | UV_FS_O_CREAT, 0644, 0);
  multi_done = 0;
  for (i = 0; i < N; i++) {
    bytes[i] = (char) ('A' + i % 26);
    buf = uv_buf_init(&bytes[i], 1);
    ASSERT_OK(uv_fs_write(&loop, &reqs[i], fd, &buf, 1, i, multi_cb));
  }
  ASSERT_EQ(multi_done, 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(multi_done, N);
  close_file(fd, 0);
  ASSERT_EQ(get_file(tpath("inflight"), got, sizeof(got)), N);
  ASSERT(memcmp(got, bytes, N) == 0);
}

int main(void) {
  int async;

  fs_tmp_init("fs-basic");
  umask(022);
  ASSERT_OK(uv_loop_init(&loop));
  for (async = 0; async < 2; async++) {
    printf("mode %s\n", mode_name(async));
    test_read_write(async);
    test_append(async);
    test_fd_ops(async);
  }
  test_many_in_flight();
  close_loop(&loop);
  fs_tmp_cleanup();
  return 0;
}
