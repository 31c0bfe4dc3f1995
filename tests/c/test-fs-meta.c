/* Path operations through uv_fs_*, each both synchronously and
 * asynchronously: uv_fs_stat/lstat (size, type and permission bits, link
 * count, owner, lstat of a symlink is S_IFLNK with the target's length as
 * size, stat follows it), uv_fs_statfs (a uv_statfs_t in req->ptr that
 * agrees with statfs(2)), uv_fs_rename (also onto an existing file),
 * uv_fs_unlink, uv_fs_access, uv_fs_chmod, uv_fs_utime and uv_fs_lutime
 * (explicit times, read back with stat; lutime changes the link, not the
 * target), uv_fs_link, uv_fs_symlink, uv_fs_readlink (target string in
 * req->ptr), uv_fs_realpath (the canonical path in req->ptr),
 * uv_fs_chown/lchown to our own uid/gid, and uv_fs_req_cleanup clearing
 * req->ptr and req->path. */
#include "fs-helpers.h"

#include <sys/statfs.h>

static uv_loop_t loop;

static void test_stat(int async) {
  const char* file = tpath(async ? "st-async" : "st-sync");
  const char* link = tpath(async ? "stl-async" : "stl-sync");
  uv_fs_t req;
  struct stat st;

  put_file(file, "hello world");
  ASSERT_EQ(chmod(file, 0640), 0);
  ASSERT_EQ(symlink(file, link), 0);
  ASSERT_EQ(stat(file, &st), 0);

  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_stat(&loop, &req, file, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_STAT);
  ASSERT_STR_EQ(req.path, file);
  ASSERT_UEQ(req.statbuf.st_size, 11);
  ASSERT(S_ISREG(req.statbuf.st_mode));
  ASSERT_EQ(req.statbuf.st_mode & 07777, 0640);
  ASSERT_UEQ(req.statbuf.st_nlink, 1);
  ASSERT_UEQ(req.statbuf.st_uid, geteuid());
  ASSERT_UEQ(req.statbuf.st_ino, st.st_ino);
  ASSERT_UEQ(req.statbuf.st_dev, st.st_dev);
  ASSERT_UGE(req.statbuf.st_blksize, 1);
  ASSERT_EQ(req.statbuf.st_mtim.tv_sec, st.st_mtim.tv_sec);
  ASSERT_EQ(req.statbuf.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
  ASSERT_EQ(req.statbuf.st_ctim.tv_sec, st.st_ctim.tv_sec);
  ASSERT_PTR_EQ(req.ptr, &req.statbuf);
  ASSERT_PTR_EQ(uv_fs_get_statbuf(&req), &req.statbuf);
  uv_fs_req_cleanup(&req);
  ASSERT_NULL(req.ptr);
  ASSERT_NULL(req.path);

  /* stat follows the symlink; lstat does not. */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_stat(&loop, &req, link, fs_cb(async))));
  ASSERT(S_ISREG(req.statbuf.st_mode));
  ASSERT_UEQ(req.statbuf.st_ino, st.st_ino);
  uv_fs_req_cleanup(&req);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_lstat(&loop, &req, link, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_LSTAT);
  ASSERT(S_ISLNK(req.statbuf.st_mode));
  ASSERT_UEQ(req.statbuf.st_size, strlen(file));
  ASSERT(req.statbuf.st_ino != (uint64_t) st.st_ino);
  uv_fs_req_cleanup(&req);

  /* A directory. */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_stat(&loop, &req, tpath(""), fs_cb(async))));
  ASSERT(S_ISDIR(req.statbuf.st_mode));
  uv_fs_req_cleanup(&req);
}

static void test_statfs(int async) {
  uv_fs_t req;
  uv_statfs_t* s;
  struct statfs sys;

  ASSERT_EQ(statfs(tpath(""), &sys), 0);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_statfs(&loop, &req, tpath(""), fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_STATFS);
  s = req.ptr;
  ASSERT_NOT_NULL(s);
  ASSERT_PTR_EQ(uv_fs_get_ptr(&req), s);
  ASSERT_UGE(s->f_bsize, 512);
  ASSERT_UEQ(s->f_bsize, sys.f_bsize);
  ASSERT_UEQ(s->f_type, (uint64_t) sys.f_type);
  ASSERT_UGE(s->f_blocks, 1);
  ASSERT_ULE(s->f_bfree, s->f_blocks);
  ASSERT_ULE(s->f_bavail, s->f_bfree);
  ASSERT_ULE(s->f_ffree, s->f_files);
  uv_fs_req_cleanup(&req);
  ASSERT_NULL(req.ptr);
}

static void test_rename_unlink(int async) {
  const char* a = tpath(async ? "ren-a-async" : "ren-a-sync");
  const char* b = tpath(async ? "ren-b-async" : "ren-b-sync");
  const char* c = tpath(async ? "ren-c-async" : "ren-c-sync");
  uv_fs_t req;

  put_file(a, "A");
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_rename(&loop, &req, a, b, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_RENAME);
  ASSERT_STR_EQ(req.path, a);
  uv_fs_req_cleanup(&req);
  ASSERT(!path_exists(a));
  ASSERT_FILE_IS(b, "A");

  /* Onto an existing file: replaces it. */
  put_file(c, "C");
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_rename(&loop, &req, c, b, fs_cb(async))));
  uv_fs_req_cleanup(&req);
  ASSERT(!path_exists(c));
  ASSERT_FILE_IS(b, "C");

  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_unlink(&loop, &req, b, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_UNLINK);
  ASSERT_STR_EQ(req.path, b);
  uv_fs_req_cleanup(&req);
  ASSERT(!path_exists(b));
}

static void test_access_chmod(int async) {
  const char* f = tpath(async ? "acc-async" : "acc-sync");
  uv_fs_t req;
  struct stat st;

  put_file(f, "x");
  ASSERT_EQ(chmod(f, 0600), 0);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_access(&loop, &req, f, F_OK, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_ACCESS);
  uv_fs_req_cleanup(&req);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_access(&loop, &req, f, R_OK | W_OK, fs_cb(async))));
  uv_fs_req_cleanup(&req);
  /* No execute bit anywhere: X_OK fails even for root. */
  ASSERT_ERR(fs_wait(&loop, &req, async,
                     uv_fs_access(&loop, &req, f, X_OK, fs_cb(async))),
             UV_EACCES);
  uv_fs_req_cleanup(&req);

  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_chmod(&loop, &req, f, 0751, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_CHMOD);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(stat(f, &st), 0);
  ASSERT_EQ(st.st_mode & 07777, 0751);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_access(&loop, &req, f, X_OK, fs_cb(async))));
  uv_fs_req_cleanup(&req);
  /* Directories too. */
  ASSERT_EQ(mkdir(tpath(async ? "accd-async" : "accd-sync"), 0755), 0);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_chmod(&loop, &req,
                                tpath(async ? "accd-async" : "accd-sync"),
                                0700, fs_cb(async))));
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(stat(tpath(async ? "accd-async" : "accd-sync"), &st), 0);
  ASSERT_EQ(st.st_mode & 07777, 0700);
}

static void test_utime(int async) {
  const char* f = tpath(async ? "ut-async" : "ut-sync");
  const char* l = tpath(async ? "utl-async" : "utl-sync");
  uv_fs_t req;
  struct stat st;
  struct stat lst;

  put_file(f, "x");
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_utime(&loop, &req, f, 1000000000.5, 1100000000.75,
                                fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_UTIME);
  ASSERT_STR_EQ(req.path, f);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(stat(f, &st), 0);
  ASSERT_EQ(st.st_atim.tv_sec, 1000000000);
  ASSERT_EQ(st.st_atim.tv_nsec, 500000000);
  ASSERT_EQ(st.st_mtim.tv_sec, 1100000000);
  ASSERT_EQ(st.st_mtim.tv_nsec, 750000000);

  /* Whole seconds, and a time before 2001. */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_utime(&loop, &req, f, 86400, 400000000,
                                fs_cb(async))));
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(stat(f, &st), 0);
  ASSERT_EQ(st.st_atim.tv_sec, 86400);
  ASSERT_EQ(st.st_atim.tv_nsec, 0);
  ASSERT_EQ(st.st_mtim.tv_sec, 400000000);
  ASSERT_EQ(st.st_mtim.tv_nsec, 0);

  /* lutime sets the link's own times and leaves the target alone. */
  ASSERT_EQ(symlink(f, l), 0);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_lutime(&loop, &req, l, 1200000000.25, 1250000000.5,
                                 fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_LUTIME);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(lstat(l, &lst), 0);
  ASSERT_EQ(lst.st_atim.tv_sec, 1200000000);
  ASSERT_EQ(lst.st_atim.tv_nsec, 250000000);
  ASSERT_EQ(lst.st_mtim.tv_sec, 1250000000);
  ASSERT_EQ(lst.st_mtim.tv_nsec, 500000000);
  ASSERT_EQ(stat(f, &st), 0);
  ASSERT_EQ(st.st_mtim.tv_sec, 400000000);

  /* utime through the link changes the target. */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_utime(&loop, &req, l, 1000, 2000, fs_cb(async))));
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(stat(f, &st), 0);
  ASSERT_EQ(st.st_atim.tv_sec, 1000);
  ASSERT_EQ(st.st_mtim.tv_sec, 2000);
  ASSERT_EQ(lstat(l, &lst), 0);
  ASSERT_EQ(lst.st_mtim.tv_sec, 1250000000);
}

static void test_links(int async) {
  const char* f = tpath(async ? "lk-async" : "lk-sync");
  const char* h = tpath(async ? "lkh-async" : "lkh-sync");
  const char* s = tpath(async ? "lks-async" : "lks-sync");
  const char* rel = tpath(async ? "lkr-async" : "lkr-sync");
  const char* dangling = tpath(async ? "lkd-async" : "lkd-sync");
  char canon[PATH_MAX];
  char expect[PATH_MAX];
  char via[PATH_MAX];
  uv_fs_t req;
  struct stat st;

  put_file(f, "data");

  /* Hard link: same inode, two links. */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_link(&loop, &req, f, h, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_LINK);
  ASSERT_STR_EQ(req.path, f);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(stat(h, &st), 0);
  ASSERT_UEQ(st.st_nlink, 2);
  ASSERT_FILE_IS(h, "data");

  /* Symlinks: absolute, relative, dangling. */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_symlink(&loop, &req, f, s, 0, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_SYMLINK);
  ASSERT_STR_EQ(req.path, f);
  uv_fs_req_cleanup(&req);
  ASSERT_FILE_IS(s, "data");
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_symlink(&loop, &req, async ? "lk-async" : "lk-sync",
                                  rel, 0, fs_cb(async))));
  uv_fs_req_cleanup(&req);
  ASSERT_FILE_IS(rel, "data");
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_symlink(&loop, &req, "no/such/target", dangling, 0,
                                  fs_cb(async))));
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(lstat(dangling, &st), 0);
  ASSERT(S_ISLNK(st.st_mode));

  /* readlink: the target string, exactly as stored. */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_readlink(&loop, &req, s, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_READLINK);
  ASSERT_STR_EQ(req.ptr, f);
  ASSERT_STR_EQ(uv_fs_get_ptr(&req), f);
  uv_fs_req_cleanup(&req);
  ASSERT_NULL(req.ptr);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_readlink(&loop, &req, rel, fs_cb(async))));
  ASSERT_STR_EQ(req.ptr, async ? "lk-async" : "lk-sync");
  uv_fs_req_cleanup(&req);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_readlink(&loop, &req, dangling, fs_cb(async))));
  ASSERT_STR_EQ(req.ptr, "no/such/target");
  uv_fs_req_cleanup(&req);

  /* realpath resolves links, "." and ".." like realpath(3). */
  ASSERT_NOT_NULL(realpath(f, expect));
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_realpath(&loop, &req, rel, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_REALPATH);
  ASSERT_STR_EQ(req.ptr, expect);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(mkdir(tpath(async ? "rp-async" : "rp-sync"), 0755), 0);
  snprintf(via, sizeof(via), "%s",
           tpath(async ? "rp-async/./../lks-async" : "rp-sync/./../lks-sync"));
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_realpath(&loop, &req, via, fs_cb(async))));
  ASSERT_STR_EQ(req.ptr, expect);
  uv_fs_req_cleanup(&req);
  ASSERT_NOT_NULL(realpath(fs_root, canon));
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_realpath(&loop, &req, tpath(""), fs_cb(async))));
  ASSERT_STR_EQ(req.ptr, canon);
  uv_fs_req_cleanup(&req);
}

static void test_chown(int async) {
  const char* f = tpath(async ? "own-async" : "own-sync");
  const char* l = tpath(async ? "ownl-async" : "ownl-sync");
  uv_fs_t req;
  struct stat st;

  put_file(f, "x");
  ASSERT_EQ(symlink(f, l), 0);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_chown(&loop, &req, f, getuid(), getgid(),
                                fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_CHOWN);
  uv_fs_req_cleanup(&req);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_chown(&loop, &req, f, (uv_uid_t) -1, (uv_gid_t) -1,
                                fs_cb(async))));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_lchown(&loop, &req, l, getuid(), getgid(),
                                 fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_LCHOWN);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(lstat(l, &st), 0);
  ASSERT_UEQ(st.st_uid, getuid());
  ASSERT_UEQ(st.st_gid, getgid());
  ASSERT_EQ(stat(f, &st), 0);
  ASSERT_UEQ(st.st_uid, getuid());
}

int main(void) {
  int async;

  fs_tmp_init("fs-meta");
  umask(022);
  ASSERT_OK(uv_loop_init(&loop));
  for (async = 0; async < 2; async++) {
    printf("mode %s\n", mode_name(async));
    test_stat(async);
    test_statfs(async);
    test_rename_unlink(async);
    test_access_chmod(async);
    test_utime(async);
    test_links(async);
    test_chown(async);
  }
  close_loop(&loop);
  fs_tmp_cleanup();
  return 0;
}
