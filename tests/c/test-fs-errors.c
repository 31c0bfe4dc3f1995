/* Documented errors of the uv_fs_* calls, each both synchronously and
 * asynchronously, and what the request holds afterwards: req->result (and
 * uv_fs_get_result) is the error, uv_fs_get_system_error is the positive
 * errno, req->fs_type (and uv_fs_get_type) names the call, req->path (and
 * uv_fs_get_path) holds the path given (NULL for descriptor calls), req->ptr
 * is NULL, and uv_fs_req_cleanup clears the path. Covered: UV_ENOENT,
 * UV_EEXIST, UV_EISDIR, UV_ENOTDIR, UV_ENOTEMPTY, UV_EBADF (closed
 * descriptors, -1, wrong access mode), UV_ELOOP (a symlink loop, O_NOFOLLOW),
 * UV_EACCES (permission bits; most cases only when not root), UV_EINVAL
 * (mkdtemp/mkstemp templates not ending in XXXXXX, readlink of a file, a
 * bad access mode, a negative ftruncate length), and arguments rejected
 * before anything is queued (no buffers, unknown copyfile flags, readdir
 * without dirents, closedir(NULL)): the call returns UV_EINVAL and no
 * callback ever runs. */
#include "fs-helpers.h"

static uv_loop_t loop;
static int async;

/* Checks a failed request: `r` is what fs_wait returned. */
static void check_failed(uv_fs_t* req, int r, int code, uv_fs_type type,
                         const char* path, int line) {
  if (r != code)
    TEST_FAIL_("(line %d, %s) got %d (%s), expected %d (%s)", line,
               mode_name(async), r, r < 0 ? uv_err_name(r) : "success", code,
               uv_err_name(code));
  if (req->result != code || uv_fs_get_result(req) != code)
    TEST_FAIL_("(line %d) req->result is %ld", line, (long) req->result);
  if (uv_fs_get_system_error(req) != -code)
    TEST_FAIL_("(line %d) uv_fs_get_system_error is %d", line,
               uv_fs_get_system_error(req));
  if (req->fs_type != type || uv_fs_get_type(req) != type)
    TEST_FAIL_("(line %d) fs_type is %d, expected %d", line,
               (int) req->fs_type, (int) type);
  if (req->type != UV_FS)
    TEST_FAIL_("(line %d) type is %d", line, (int) req->type);
  if (path == NULL) {
    if (req->path != NULL)
      TEST_FAIL_("(line %d) req->path is %s, expected NULL", line, req->path);
  } else {
    if (req->path == NULL || strcmp(req->path, path) != 0 ||
        uv_fs_get_path(req) != req->path)
      TEST_FAIL_("(line %d) req->path is %s, expected %s", line,
                 req->path ? req->path : "(null)", path);
  }
  if (req->ptr != NULL || uv_fs_get_ptr(req) != NULL)
    TEST_FAIL_("(line %d) req->ptr is not NULL after an error", line);
  uv_fs_req_cleanup(req);
  if (req->path != NULL)
    TEST_FAIL_("(line %d) req->path survives uv_fs_req_cleanup", line);
}

/* EXPECT(code, type, path, call): `call` uses `req` and `CB`. */
#define CB fs_cb(async)
#define EXPECT(code, type, path, call)                                        \
  do {                                                                        \
    uv_fs_t req;                                                              \
    int r_ = fs_wait(&loop, &req, async, (call));                             \
    check_failed(&req, r_, (code), (type), (path), __LINE__);                 \
  } while (0)

static void test_enoent(void) {
  const char* m = mode_name(async);
  const char* missing = tpathf("missing-%s", m);
  const char* deep = tpathf("missing-%s/file", m);
  const char* file = tpathf("enoent-file-%s", m);
  uv_fs_t req;
  uv_dirent_t ent;

  put_file(file, "x");
  EXPECT(UV_ENOENT, UV_FS_OPEN, missing,
         uv_fs_open(&loop, &req, missing, UV_FS_O_RDONLY, 0, CB));
  EXPECT(UV_ENOENT, UV_FS_OPEN, deep,
         uv_fs_open(&loop, &req, deep, UV_FS_O_WRONLY | UV_FS_O_CREAT, 0644,
                    CB));
  EXPECT(UV_ENOENT, UV_FS_STAT, missing,
         uv_fs_stat(&loop, &req, missing, CB));
  EXPECT(UV_ENOENT, UV_FS_LSTAT, missing,
         uv_fs_lstat(&loop, &req, missing, CB));
  EXPECT(UV_ENOENT, UV_FS_STATFS, missing,
         uv_fs_statfs(&loop, &req, missing, CB));
  EXPECT(UV_ENOENT, UV_FS_UNLINK, missing,
         uv_fs_unlink(&loop, &req, missing, CB));
  EXPECT(UV_ENOENT, UV_FS_RMDIR, missing,
         uv_fs_rmdir(&loop, &req, missing, CB));
  EXPECT(UV_ENOENT, UV_FS_MKDIR, deep,
         uv_fs_mkdir(&loop, &req, deep, 0755, CB));
  EXPECT(UV_ENOENT, UV_FS_RENAME, missing,
         uv_fs_rename(&loop, &req, missing, tpathf("to-%s", m), CB));
  EXPECT(UV_ENOENT, UV_FS_RENAME, file,
         uv_fs_rename(&loop, &req, file, deep, CB));
  EXPECT(UV_ENOENT, UV_FS_LINK, missing,
         uv_fs_link(&loop, &req, missing, tpathf("to-%s", m), CB));
  EXPECT(UV_ENOENT, UV_FS_SYMLINK, file,
         uv_fs_symlink(&loop, &req, file, deep, 0, CB));
  EXPECT(UV_ENOENT, UV_FS_READLINK, missing,
         uv_fs_readlink(&loop, &req, missing, CB));
  EXPECT(UV_ENOENT, UV_FS_REALPATH, missing,
         uv_fs_realpath(&loop, &req, missing, CB));
  EXPECT(UV_ENOENT, UV_FS_ACCESS, missing,
         uv_fs_access(&loop, &req, missing, F_OK, CB));
  EXPECT(UV_ENOENT, UV_FS_CHMOD, missing,
         uv_fs_chmod(&loop, &req, missing, 0644, CB));
  EXPECT(UV_ENOENT, UV_FS_CHOWN, missing,
         uv_fs_chown(&loop, &req, missing, getuid(), getgid(), CB));
  EXPECT(UV_ENOENT, UV_FS_LCHOWN, missing,
         uv_fs_lchown(&loop, &req, missing, getuid(), getgid(), CB));
  EXPECT(UV_ENOENT, UV_FS_UTIME, missing,
         uv_fs_utime(&loop, &req, missing, 1, 2, CB));
  EXPECT(UV_ENOENT, UV_FS_LUTIME, missing,
         uv_fs_lutime(&loop, &req, missing, 1, 2, CB));
  EXPECT(UV_ENOENT, UV_FS_COPYFILE, missing,
         uv_fs_copyfile(&loop, &req, missing, tpathf("to-%s", m), 0, CB));
  EXPECT(UV_ENOENT, UV_FS_OPENDIR, missing,
         uv_fs_opendir(&loop, &req, missing, CB));
  ASSERT(!path_exists(tpathf("to-%s", m)));

  /* scandir: the error, and uv_fs_scandir_next reports it too. */
  ASSERT_ERR(fs_wait(&loop, &req, async,
                     uv_fs_scandir(&loop, &req, missing, 0, CB)), UV_ENOENT);
  ASSERT_EQ(req.fs_type, UV_FS_SCANDIR);
  ASSERT_STR_EQ(req.path, missing);
  ASSERT_ERR(uv_fs_scandir_next(&req, &ent), UV_ENOENT);
  uv_fs_req_cleanup(&req);

  /* mkdtemp/mkstemp in a missing directory. req->path is set, but libuv
   * may have changed its contents (1.44 empties it for mkstemp). */
  ASSERT_ERR(fs_wait(&loop, &req, async,
                     uv_fs_mkdtemp(&loop, &req, tpathf("missing-%s/dXXXXXX", m),
                                   CB)), UV_ENOENT);
  ASSERT_EQ(req.fs_type, UV_FS_MKDTEMP);
  ASSERT_NOT_NULL(req.path);
  uv_fs_req_cleanup(&req);
  ASSERT_NULL(req.path);
  ASSERT_ERR(fs_wait(&loop, &req, async,
                     uv_fs_mkstemp(&loop, &req, tpathf("missing-%s/fXXXXXX", m),
                                   CB)), UV_ENOENT);
  ASSERT_EQ(req.fs_type, UV_FS_MKSTEMP);
  ASSERT_NOT_NULL(req.path);
  uv_fs_req_cleanup(&req);
  ASSERT_NULL(req.path);
}

static void test_eexist_enotempty(void) {
  const char* m = mode_name(async);
  const char* file = tpathf("ex-file-%s", m);
  const char* other = tpathf("ex-other-%s", m);
  const char* dir = tpathf("ex-dir-%s", m);
  const char* full = tpathf("ex-full-%s", m);

  put_file(file, "x");
  put_file(other, "y");
  ASSERT_EQ(mkdir(dir, 0755), 0);
  ASSERT_EQ(mkdir(full, 0755), 0);
  put_file(tpathf("ex-full-%s/inside", m), "z");

  EXPECT(UV_EEXIST, UV_FS_MKDIR, dir, uv_fs_mkdir(&loop, &req, dir, 0755, CB));
  EXPECT(UV_EEXIST, UV_FS_MKDIR, file,
         uv_fs_mkdir(&loop, &req, file, 0755, CB));
  EXPECT(UV_EEXIST, UV_FS_OPEN, file,
         uv_fs_open(&loop, &req, file,
                    UV_FS_O_WRONLY | UV_FS_O_CREAT | UV_FS_O_EXCL, 0644, CB));
  EXPECT(UV_EEXIST, UV_FS_LINK, file,
         uv_fs_link(&loop, &req, file, other, CB));
  EXPECT(UV_EEXIST, UV_FS_SYMLINK, file,
         uv_fs_symlink(&loop, &req, file, other, 0, CB));
  EXPECT(UV_EEXIST, UV_FS_COPYFILE, file,
         uv_fs_copyfile(&loop, &req, file, other, UV_FS_COPYFILE_EXCL, CB));
  ASSERT_FILE_IS(other, "y"); /* untouched */

  EXPECT(UV_ENOTEMPTY, UV_FS_RMDIR, full, uv_fs_rmdir(&loop, &req, full, CB));
  EXPECT(UV_ENOTEMPTY, UV_FS_RENAME, dir,
         uv_fs_rename(&loop, &req, dir, full, CB));
  ASSERT(path_exists(tpathf("ex-full-%s/inside", m)));
}

static void test_eisdir_enotdir(void) {
  const char* m = mode_name(async);
  const char* file = tpathf("isdir-file-%s", m);
  const char* below = tpathf("isdir-file-%s/x", m);
  const char* dir = tpathf("isdir-dir-%s", m);
  char buf[16];
  uv_buf_t b = uv_buf_init(buf, sizeof(buf));
  int dfd;

  put_file(file, "x");
  ASSERT_EQ(mkdir(dir, 0755), 0);

  EXPECT(UV_EISDIR, UV_FS_OPEN, dir,
         uv_fs_open(&loop, &req, dir, UV_FS_O_WRONLY, 0, CB));
  EXPECT(UV_EISDIR, UV_FS_OPEN, dir,
         uv_fs_open(&loop, &req, dir, UV_FS_O_RDWR, 0, CB));
  EXPECT(UV_EISDIR, UV_FS_UNLINK, dir, uv_fs_unlink(&loop, &req, dir, CB));
  EXPECT(UV_EISDIR, UV_FS_RENAME, file,
         uv_fs_rename(&loop, &req, file, dir, CB));
  EXPECT(UV_EISDIR, UV_FS_COPYFILE, file,
         uv_fs_copyfile(&loop, &req, file, dir, 0, CB));
  /* Reading a directory descriptor. */
  dfd = open(dir, O_RDONLY | O_CLOEXEC);
  ASSERT_GE(dfd, 0);
  EXPECT(UV_EISDIR, UV_FS_READ, NULL,
         uv_fs_read(&loop, &req, dfd, &b, 1, -1, CB));
  EXPECT(UV_EISDIR, UV_FS_READ, NULL,
         uv_fs_read(&loop, &req, dfd, &b, 1, 0, CB));
  ASSERT_EQ(close(dfd), 0);
  ASSERT(path_exists(file));

  EXPECT(UV_ENOTDIR, UV_FS_OPEN, below,
         uv_fs_open(&loop, &req, below, UV_FS_O_RDONLY, 0, CB));
  EXPECT(UV_ENOTDIR, UV_FS_OPEN, file,
         uv_fs_open(&loop, &req, file, UV_FS_O_RDONLY | UV_FS_O_DIRECTORY, 0,
                    CB));
  EXPECT(UV_ENOTDIR, UV_FS_STAT, below, uv_fs_stat(&loop, &req, below, CB));
  EXPECT(UV_ENOTDIR, UV_FS_MKDIR, below,
         uv_fs_mkdir(&loop, &req, below, 0755, CB));
  EXPECT(UV_ENOTDIR, UV_FS_RMDIR, file, uv_fs_rmdir(&loop, &req, file, CB));
  EXPECT(UV_ENOTDIR, UV_FS_SCANDIR, file,
         uv_fs_scandir(&loop, &req, file, 0, CB));
  EXPECT(UV_ENOTDIR, UV_FS_OPENDIR, file,
         uv_fs_opendir(&loop, &req, file, CB));
  EXPECT(UV_ENOTDIR, UV_FS_RENAME, dir,
         uv_fs_rename(&loop, &req, dir, file, CB));
}

static void test_ebadf(void) {
  int fd = closed_fd();
  int rdonly;
  int wronly;
  char buf[4] = "abc";
  uv_buf_t b = uv_buf_init(buf, 3);

  EXPECT(UV_EBADF, UV_FS_CLOSE, NULL, uv_fs_close(&loop, &req, fd, CB));
  EXPECT(UV_EBADF, UV_FS_READ, NULL,
         uv_fs_read(&loop, &req, fd, &b, 1, -1, CB));
  EXPECT(UV_EBADF, UV_FS_READ, NULL,
         uv_fs_read(&loop, &req, fd, &b, 1, 0, CB));
  EXPECT(UV_EBADF, UV_FS_WRITE, NULL,
         uv_fs_write(&loop, &req, fd, &b, 1, -1, CB));
  EXPECT(UV_EBADF, UV_FS_WRITE, NULL,
         uv_fs_write(&loop, &req, fd, &b, 1, 0, CB));
  EXPECT(UV_EBADF, UV_FS_FSTAT, NULL, uv_fs_fstat(&loop, &req, fd, CB));
  EXPECT(UV_EBADF, UV_FS_FSYNC, NULL, uv_fs_fsync(&loop, &req, fd, CB));
  EXPECT(UV_EBADF, UV_FS_FDATASYNC, NULL,
         uv_fs_fdatasync(&loop, &req, fd, CB));
  EXPECT(UV_EBADF, UV_FS_FTRUNCATE, NULL,
         uv_fs_ftruncate(&loop, &req, fd, 0, CB));
  EXPECT(UV_EBADF, UV_FS_FCHMOD, NULL,
         uv_fs_fchmod(&loop, &req, fd, 0644, CB));
  EXPECT(UV_EBADF, UV_FS_FCHOWN, NULL,
         uv_fs_fchown(&loop, &req, fd, getuid(), getgid(), CB));
  EXPECT(UV_EBADF, UV_FS_FUTIME, NULL,
         uv_fs_futime(&loop, &req, fd, 1, 2, CB));

  /* -1 */
  EXPECT(UV_EBADF, UV_FS_CLOSE, NULL, uv_fs_close(&loop, &req, -1, CB));
  EXPECT(UV_EBADF, UV_FS_READ, NULL,
         uv_fs_read(&loop, &req, -1, &b, 1, -1, CB));
  EXPECT(UV_EBADF, UV_FS_WRITE, NULL,
         uv_fs_write(&loop, &req, -1, &b, 1, -1, CB));
  EXPECT(UV_EBADF, UV_FS_FSTAT, NULL, uv_fs_fstat(&loop, &req, -1, CB));
  EXPECT(UV_EBADF, UV_FS_FSYNC, NULL, uv_fs_fsync(&loop, &req, -1, CB));

  /* The wrong access mode. */
  put_file(tpathf("badf-%s", mode_name(async)), "data");
  rdonly = open(tpathf("badf-%s", mode_name(async)), O_RDONLY | O_CLOEXEC);
  wronly = open(tpathf("badf-%s", mode_name(async)), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(rdonly, 0);
  ASSERT_GE(wronly, 0);
  EXPECT(UV_EBADF, UV_FS_WRITE, NULL,
         uv_fs_write(&loop, &req, rdonly, &b, 1, -1, CB));
  EXPECT(UV_EBADF, UV_FS_READ, NULL,
         uv_fs_read(&loop, &req, wronly, &b, 1, -1, CB));
  EXPECT(UV_EBADF, UV_FS_SENDFILE, NULL,
         uv_fs_sendfile(&loop, &req, wronly, fd, 0, 4, CB));
  EXPECT(UV_EBADF, UV_FS_SENDFILE, NULL,
         uv_fs_sendfile(&loop, &req, fd, rdonly, 0, 4, CB));
  ASSERT_EQ(close(rdonly), 0);
  ASSERT_EQ(close(wronly), 0);
  ASSERT_FILE_IS(tpathf("badf-%s", mode_name(async)), "data");
}

static void test_eloop(void) {
  const char* m = mode_name(async);
  const char* a = tpathf("loop-a-%s", m);
  const char* b = tpathf("loop-b-%s", m);
  const char* sub = tpathf("loop-a-%s/x", m);
  const char* lnk = tpathf("loop-link-%s", m);
  uv_fs_t req;

  ASSERT_EQ(symlink(b, a), 0);
  ASSERT_EQ(symlink(a, b), 0);
  put_file(tpathf("loop-target-%s", m), "t");
  ASSERT_EQ(symlink(tpathf("loop-target-%s", m), lnk), 0);

  EXPECT(UV_ELOOP, UV_FS_OPEN, a,
         uv_fs_open(&loop, &req, a, UV_FS_O_RDONLY, 0, CB));
  EXPECT(UV_ELOOP, UV_FS_OPEN, sub,
         uv_fs_open(&loop, &req, sub, UV_FS_O_RDONLY, 0, CB));
  EXPECT(UV_ELOOP, UV_FS_STAT, a, uv_fs_stat(&loop, &req, a, CB));
  EXPECT(UV_ELOOP, UV_FS_REALPATH, a, uv_fs_realpath(&loop, &req, a, CB));
  EXPECT(UV_ELOOP, UV_FS_ACCESS, a, uv_fs_access(&loop, &req, a, F_OK, CB));
  EXPECT(UV_ELOOP, UV_FS_SCANDIR, a, uv_fs_scandir(&loop, &req, a, 0, CB));
  EXPECT(UV_ELOOP, UV_FS_OPEN, lnk,
         uv_fs_open(&loop, &req, lnk, UV_FS_O_RDONLY | UV_FS_O_NOFOLLOW, 0,
                    CB));

  /* The links themselves are fine. */
  ASSERT_OK(fs_wait(&loop, &req, async, uv_fs_lstat(&loop, &req, a, CB)));
  ASSERT(S_ISLNK(req.statbuf.st_mode));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(fs_wait(&loop, &req, async, uv_fs_readlink(&loop, &req, a, CB)));
  ASSERT_STR_EQ(req.ptr, b);
  uv_fs_req_cleanup(&req);
}

static void test_eacces(void) {
  const char* m = mode_name(async);
  const char* file = tpathf("acc-file-%s", m);
  const char* ro = tpathf("acc-ro-%s", m);
  const char* dir = tpathf("acc-dir-%s", m);
  const char* in_dir = tpathf("acc-dir-%s/inside", m);
  const char* locked = tpathf("acc-locked-%s", m);
  const char* in_locked = tpathf("acc-locked-%s/new", m);

  put_file(file, "x");
  ASSERT_EQ(chmod(file, 0644), 0);
  /* Without any execute bit X_OK fails even for root. */
  EXPECT(UV_EACCES, UV_FS_ACCESS, file,
         uv_fs_access(&loop, &req, file, X_OK, CB));

  if (running_as_root()) {
    if (!async)
      printf("skip: permission-bit EACCES cases (running as root)\n");
    return;
  }

  put_file(ro, "r");
  ASSERT_EQ(chmod(ro, 0444), 0);
  ASSERT_EQ(chmod(file, 0000), 0);
  ASSERT_EQ(mkdir(dir, 0755), 0);
  put_file(in_dir, "i");
  ASSERT_EQ(chmod(dir, 0000), 0);
  ASSERT_EQ(mkdir(locked, 0555), 0);

  EXPECT(UV_EACCES, UV_FS_OPEN, file,
         uv_fs_open(&loop, &req, file, UV_FS_O_RDONLY, 0, CB));
  EXPECT(UV_EACCES, UV_FS_OPEN, ro,
         uv_fs_open(&loop, &req, ro, UV_FS_O_WRONLY, 0, CB));
  EXPECT(UV_EACCES, UV_FS_ACCESS, ro,
         uv_fs_access(&loop, &req, ro, W_OK, CB));
  EXPECT(UV_EACCES, UV_FS_ACCESS, file,
         uv_fs_access(&loop, &req, file, R_OK, CB));
  EXPECT(UV_EACCES, UV_FS_STAT, in_dir, uv_fs_stat(&loop, &req, in_dir, CB));
  EXPECT(UV_EACCES, UV_FS_SCANDIR, dir,
         uv_fs_scandir(&loop, &req, dir, 0, CB));
  EXPECT(UV_EACCES, UV_FS_OPENDIR, dir, uv_fs_opendir(&loop, &req, dir, CB));
  EXPECT(UV_EACCES, UV_FS_MKDIR, in_locked,
         uv_fs_mkdir(&loop, &req, in_locked, 0755, CB));
  EXPECT(UV_EACCES, UV_FS_OPEN, in_locked,
         uv_fs_open(&loop, &req, in_locked, UV_FS_O_WRONLY | UV_FS_O_CREAT,
                    0644, CB));
  EXPECT(UV_EACCES, UV_FS_COPYFILE, ro,
         uv_fs_copyfile(&loop, &req, ro, in_locked, 0, CB));
  EXPECT(UV_EACCES, UV_FS_COPYFILE, file,
         uv_fs_copyfile(&loop, &req, file, tpathf("acc-copy-%s", m), 0, CB));
  ASSERT(!path_exists(tpathf("acc-copy-%s", m)));

  ASSERT_EQ(chmod(dir, 0755), 0);
  ASSERT_EQ(chmod(file, 0644), 0);
}

static void test_einval(void) {
  const char* m = mode_name(async);
  const char* file = tpathf("inval-%s", m);
  char tpl[PATH_MAX];
  uv_fs_t req;
  int fd;

  put_file(file, "x");
  EXPECT(UV_EINVAL, UV_FS_READLINK, file,
         uv_fs_readlink(&loop, &req, file, CB));
  EXPECT(UV_EINVAL, UV_FS_ACCESS, file,
         uv_fs_access(&loop, &req, file, 0x100, CB));
  fd = open(file, O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT(UV_EINVAL, UV_FS_FTRUNCATE, NULL,
         uv_fs_ftruncate(&loop, &req, fd, -1, CB));
  ASSERT_EQ(close(fd), 0);
  ASSERT_FILE_IS(file, "x");

  /* Templates that do not end in six X's. */
  snprintf(tpl, sizeof(tpl), "%s", tpathf("tpl-%s-XXXXX", m));
  ASSERT_ERR(fs_wait(&loop, &req, async, uv_fs_mkdtemp(&loop, &req, tpl, CB)),
             UV_EINVAL);
  ASSERT_EQ(req.fs_type, UV_FS_MKDTEMP);
  ASSERT_EQ(req.result, UV_EINVAL);
  ASSERT_NOT_NULL(req.path);
  uv_fs_req_cleanup(&req);
  ASSERT_ERR(fs_wait(&loop, &req, async, uv_fs_mkstemp(&loop, &req, tpl, CB)),
             UV_EINVAL);
  ASSERT_EQ(req.fs_type, UV_FS_MKSTEMP);
  ASSERT_EQ(req.result, UV_EINVAL);
  ASSERT_NOT_NULL(req.path);
  uv_fs_req_cleanup(&req);
  snprintf(tpl, sizeof(tpl), "%s", tpathf("tpl-%s-XXXXXXy", m));
  ASSERT_ERR(fs_wait(&loop, &req, async, uv_fs_mkdtemp(&loop, &req, tpl, CB)),
             UV_EINVAL);
  uv_fs_req_cleanup(&req);
  ASSERT_ERR(fs_wait(&loop, &req, async, uv_fs_mkstemp(&loop, &req, tpl, CB)),
             UV_EINVAL);
  uv_fs_req_cleanup(&req);
  ASSERT_ERR(fs_wait(&loop, &req, async, uv_fs_mkstemp(&loop, &req, "", CB)),
             UV_EINVAL);
  uv_fs_req_cleanup(&req);
  /* Nothing was created. */
  {
    uv_fs_t sreq;
    uv_dirent_t ent;
    int n = uv_fs_scandir(&loop, &sreq, fs_root, 0, NULL);
    ASSERT_GE(n, 0);
    while (uv_fs_scandir_next(&sreq, &ent) == 0)
      ASSERT(strncmp(ent.name, "tpl-", 4) != 0);
    uv_fs_req_cleanup(&sreq);
  }
}

/* Rejected before anything is queued: the call itself returns UV_EINVAL,
 * also with a callback, and the callback never runs. */
static int never_calls;

static void never_cb(uv_fs_t* req) {
  (void) req;
  never_calls++;
}

static void test_rejected(void) {
  const char* file = tpath("rejected");
  char buf[4];
  uv_buf_t b = uv_buf_init(buf, sizeof(buf));
  uv_fs_cb cb = async ? never_cb : NULL;
  uv_dir_t* dir;
  uv_fs_t req;
  int fd;

  put_file(file, "abcd");
  fd = open(file, O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  never_calls = 0;

  ASSERT_ERR(uv_fs_read(&loop, &req, fd, &b, 0, -1, cb), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  ASSERT_ERR(uv_fs_read(&loop, &req, fd, NULL, 1, -1, cb), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  ASSERT_ERR(uv_fs_write(&loop, &req, fd, &b, 0, -1, cb), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  ASSERT_ERR(uv_fs_write(&loop, &req, fd, NULL, 1, 0, cb), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  ASSERT_ERR(uv_fs_copyfile(&loop, &req, file, tpath("rejected-copy"), 0x100,
                            cb), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  ASSERT_ERR(uv_fs_copyfile(&loop, &req, file, tpath("rejected-copy"),
                            UV_FS_COPYFILE_EXCL | 0x40, cb), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  ASSERT_ERR(uv_fs_closedir(&loop, &req, NULL, cb), UV_EINVAL);
  uv_fs_req_cleanup(&req);

  /* readdir without dirents */
  ASSERT_OK(uv_fs_opendir(&loop, &req, fs_root, NULL));
  dir = req.ptr;
  uv_fs_req_cleanup(&req);
  dir->dirents = NULL;
  dir->nentries = 0;
  ASSERT_ERR(uv_fs_readdir(&loop, &req, dir, cb), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  ASSERT_ERR(uv_fs_readdir(&loop, &req, NULL, cb), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  ASSERT_OK(uv_fs_closedir(&loop, &req, dir, NULL));
  uv_fs_req_cleanup(&req);

  ASSERT_EQ(uv_loop_alive(&loop), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(never_calls, 0);
  ASSERT_EQ(close(fd), 0);
  ASSERT_FILE_IS(file, "abcd");
  ASSERT(!path_exists(tpath("rejected-copy")));
}

int main(void) {
  fs_tmp_init("fs-errors");
  umask(022);
  ASSERT_OK(uv_loop_init(&loop));
  for (async = 0; async < 2; async++) {
    printf("mode %s\n", mode_name(async));
    test_enoent();
    test_eexist_enotempty();
    test_eisdir_enotdir();
    test_ebadf();
    test_eloop();
    test_eacces();
    test_einval();
    test_rejected();
  }
  close_loop(&loop);
  fs_tmp_cleanup();
  return 0;
}
