/* uv_fs_copyfile and uv_fs_sendfile on small files, each both synchronously
 * and asynchronously. copyfile: plain copy (contents and permission bits),
 * overwriting a longer existing file, an empty file, UV_FS_COPYFILE_EXCL
 * (onto an existing file: UV_EEXIST and the target untouched; onto a new
 * name: a copy), UV_FS_COPYFILE_FICLONE (falls back to copying where there
 * are no reflinks), UV_FS_COPYFILE_FICLONE_FORCE (either a correct copy or
 * an error, in which case no target is left behind), a file copied onto
 * itself (left intact), a missing source (no target created). sendfile:
 * in_offset is honoured and the input's position does not move, the output
 * is written at its current position, length past the end gives what there
 * is, at the end 0. */
#include "fs-helpers.h"

static uv_loop_t loop;
static int async;

static int copy(const char* from, const char* to, int flags) {
  uv_fs_t req;
  int r = fs_wait(&loop, &req, async,
                  uv_fs_copyfile(&loop, &req, from, to, flags, fs_cb(async)));
  ASSERT_EQ(req.fs_type, UV_FS_COPYFILE);
  ASSERT_STR_EQ(req.path, from);
  uv_fs_req_cleanup(&req);
  return r;
}

static void test_copyfile(void) {
  const char* m = mode_name(async);
  const char* src = tpathf("src-%s", m);
  const char* dst = tpathf("dst-%s", m);
  const char* empty = tpathf("empty-%s", m);
  const char* ex = tpathf("excl-%s", m);
  const char* fc = tpathf("ficlone-%s", m);
  const char* ff = tpathf("force-%s", m);
  struct stat st;
  int r;

  put_file(src, "the quick brown fox");
  ASSERT_EQ(chmod(src, 0640), 0);

  ASSERT_OK(copy(src, dst, 0));
  ASSERT_FILE_IS(dst, "the quick brown fox");
  ASSERT_EQ(stat(dst, &st), 0);
  ASSERT_EQ(st.st_mode & 07777, 0640);
  ASSERT_FILE_IS(src, "the quick brown fox");

  /* Overwrites, truncating a longer target. */
  put_file(dst, "a much longer previous content of the target file");
  ASSERT_OK(copy(src, dst, 0));
  ASSERT_FILE_IS(dst, "the quick brown fox");

  /* An empty source. */
  put_file(empty, "");
  ASSERT_OK(copy(empty, dst, 0));
  ASSERT_FILE_IS(dst, "");

  /* EXCL */
  put_file(ex, "keep me");
  ASSERT_ERR(copy(src, ex, UV_FS_COPYFILE_EXCL), UV_EEXIST);
  ASSERT_FILE_IS(ex, "keep me");
  ASSERT_EQ(unlink(ex), 0);
  ASSERT_OK(copy(src, ex, UV_FS_COPYFILE_EXCL));
  ASSERT_FILE_IS(ex, "the quick brown fox");

  /* FICLONE: a reflink or, failing that, a plain copy. */
  ASSERT_OK(copy(src, fc, UV_FS_COPYFILE_FICLONE));
  ASSERT_FILE_IS(fc, "the quick brown fox");
  ASSERT_ERR(copy(src, fc, UV_FS_COPYFILE_FICLONE | UV_FS_COPYFILE_EXCL),
             UV_EEXIST);

  /* FICLONE_FORCE: a reflink or an error; never a half-made target. */
  r = copy(src, ff, UV_FS_COPYFILE_FICLONE_FORCE);
  if (r == 0) {
    ASSERT_FILE_IS(ff, "the quick brown fox");
  } else {
    ASSERT_LT(r, 0);
    printf("note: FICLONE_FORCE failed with %s (no reflinks here)\n",
           uv_err_name(r));
    ASSERT(!path_exists(ff));
  }

  /* A file onto itself: nothing lost. */
  ASSERT_OK(copy(src, src, 0));
  ASSERT_FILE_IS(src, "the quick brown fox");

  /* A missing source creates nothing. */
  ASSERT_ERR(copy(tpathf("nosuch-%s", m), tpathf("nocopy-%s", m), 0),
             UV_ENOENT);
  ASSERT(!path_exists(tpathf("nocopy-%s", m)));

  /* Through a symlink: the target's contents, as a regular file. */
  ASSERT_EQ(symlink(src, tpathf("srclink-%s", m)), 0);
  ASSERT_OK(copy(tpathf("srclink-%s", m), tpathf("fromlink-%s", m), 0));
  ASSERT_EQ(lstat(tpathf("fromlink-%s", m), &st), 0);
  ASSERT(S_ISREG(st.st_mode));
  ASSERT_FILE_IS(tpathf("fromlink-%s", m), "the quick brown fox");
}

static ssize_t send_file(int out, int in, int64_t off, size_t len) {
  uv_fs_t req;
  ssize_t r = fs_wait(&loop, &req, async,
                      uv_fs_sendfile(&loop, &req, out, in, off, len,
                                     fs_cb(async)));
  ASSERT_EQ(req.fs_type, UV_FS_SENDFILE);
  ASSERT_NULL(req.path);
  uv_fs_req_cleanup(&req);
  return r;
}

static void test_sendfile(void) {
  const char* m = mode_name(async);
  const char* src = tpathf("sf-src-%s", m);
  const char* dst = tpathf("sf-dst-%s", m);
  int in;
  int out;

  put_file(src, "0123456789abcdef");
  in = open(src, O_RDONLY | O_CLOEXEC);
  out = open(dst, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(in, 0);
  ASSERT_GE(out, 0);

  ASSERT_EQ(send_file(out, in, 3, 5), 5);
  ASSERT_EQ(lseek(in, 0, SEEK_CUR), 0);   /* input position untouched */
  ASSERT_EQ(lseek(out, 0, SEEK_CUR), 5);  /* output position advanced */
  ASSERT_FILE_IS(dst, "34567");

  /* The output is written at its current position. */
  ASSERT_EQ(lseek(out, 1, SEEK_SET), 1);
  ASSERT_EQ(send_file(out, in, 0, 2), 2);
  ASSERT_FILE_IS(dst, "30167");
  ASSERT_EQ(lseek(out, 0, SEEK_END), 5);

  /* Asking for more than there is gives the rest; at the end, 0. */
  ASSERT_EQ(send_file(out, in, 10, 1000), 6);
  ASSERT_FILE_IS(dst, "30167abcdef");
  ASSERT_EQ(send_file(out, in, 16, 10), 0);
  ASSERT_EQ(send_file(out, in, 100, 10), 0);
  ASSERT_EQ(send_file(out, in, 0, 0), 0);
  ASSERT_FILE_IS(dst, "30167abcdef");
  ASSERT_EQ(lseek(in, 0, SEEK_CUR), 0);

  ASSERT_EQ(close(in), 0);
  ASSERT_EQ(close(out), 0);
}

int main(void) {
  fs_tmp_init("fs-copy");
  umask(022);
  ASSERT_OK(uv_loop_init(&loop));
  for (async = 0; async < 2; async++) {
    printf("mode %s\n", mode_name(async));
    test_copyfile();
    test_sendfile();
  }
  close_loop(&loop);
  fs_tmp_cleanup();
  return 0;
}
