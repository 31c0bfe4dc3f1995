/* rsuv: ours-only: libuv asserts (or crashes in strdup) on a NULL path; rsuv returns UV_EINVAL */
/* NULL paths, templates and requests given to the uv_fs_* calls, both
 * synchronously and with a callback: each call returns UV_EINVAL, the
 * request is still initialized (type UV_FS, its fs_type, result 0, no path,
 * no ptr) so that a program may inspect and clean it up, nothing is queued
 * (the loop is not kept alive and no callback runs), and nothing appears on
 * disk. A NULL request is UV_EINVAL for every call, as in libuv. */
#include "fs-helpers.h"

static uv_loop_t loop;
static int callbacks;

static void never_cb(uv_fs_t* req) {
  (void) req;
  callbacks++;
}

/* Checks what a call rejected before anything was queued left in `req`. */
static void check_rejected(uv_fs_t* req, int r, uv_fs_type type, int line) {
  if (r != UV_EINVAL)
    TEST_FAIL_("(line %d) returned %d (%s), expected UV_EINVAL", line, r,
               r < 0 ? uv_err_name(r) : "success");
  if (req->type != UV_FS || req->fs_type != type)
    TEST_FAIL_("(line %d) type %d fs_type %d, expected %d", line,
               (int) req->type, (int) req->fs_type, (int) type);
  if (req->result != 0 || req->path != NULL || req->ptr != NULL)
    TEST_FAIL_("(line %d) result %ld path %p ptr %p", line,
               (long) req->result, (const void*) req->path, req->ptr);
  uv_fs_req_cleanup(req);
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(callbacks, 0);
}

#define REJECT(type, call)                                                    \
  do {                                                                        \
    uv_fs_t req;                                                              \
    memset(&req, 0xa5, sizeof(req));                                          \
    check_rejected(&req, (call), (type), __LINE__);                           \
  } while (0)

static void null_paths(uv_fs_cb cb) {
  const char* p = tpath("file");
  REJECT(UV_FS_OPEN, uv_fs_open(&loop, &req, NULL, O_RDONLY, 0, cb));
  REJECT(UV_FS_UNLINK, uv_fs_unlink(&loop, &req, NULL, cb));
  REJECT(UV_FS_MKDIR, uv_fs_mkdir(&loop, &req, NULL, 0755, cb));
  REJECT(UV_FS_RMDIR, uv_fs_rmdir(&loop, &req, NULL, cb));
  REJECT(UV_FS_MKDTEMP, uv_fs_mkdtemp(&loop, &req, NULL, cb));
  REJECT(UV_FS_MKSTEMP, uv_fs_mkstemp(&loop, &req, NULL, cb));
  REJECT(UV_FS_SCANDIR, uv_fs_scandir(&loop, &req, NULL, 0, cb));
  REJECT(UV_FS_OPENDIR, uv_fs_opendir(&loop, &req, NULL, cb));
  REJECT(UV_FS_STAT, uv_fs_stat(&loop, &req, NULL, cb));
  REJECT(UV_FS_LSTAT, uv_fs_lstat(&loop, &req, NULL, cb));
  REJECT(UV_FS_STATFS, uv_fs_statfs(&loop, &req, NULL, cb));
  REJECT(UV_FS_ACCESS, uv_fs_access(&loop, &req, NULL, F_OK, cb));
  REJECT(UV_FS_CHMOD, uv_fs_chmod(&loop, &req, NULL, 0644, cb));
  REJECT(UV_FS_UTIME, uv_fs_utime(&loop, &req, NULL, 1.0, 1.0, cb));
  REJECT(UV_FS_LUTIME, uv_fs_lutime(&loop, &req, NULL, 1.0, 1.0, cb));
  REJECT(UV_FS_READLINK, uv_fs_readlink(&loop, &req, NULL, cb));
  REJECT(UV_FS_REALPATH, uv_fs_realpath(&loop, &req, NULL, cb));
  REJECT(UV_FS_CHOWN, uv_fs_chown(&loop, &req, NULL, -1, -1, cb));
  REJECT(UV_FS_LCHOWN, uv_fs_lchown(&loop, &req, NULL, -1, -1, cb));
  /* Either path of a two-path call. */
  REJECT(UV_FS_RENAME, uv_fs_rename(&loop, &req, NULL, p, cb));
  REJECT(UV_FS_RENAME, uv_fs_rename(&loop, &req, p, NULL, cb));
  REJECT(UV_FS_LINK, uv_fs_link(&loop, &req, NULL, p, cb));
  REJECT(UV_FS_LINK, uv_fs_link(&loop, &req, p, NULL, cb));
  REJECT(UV_FS_SYMLINK, uv_fs_symlink(&loop, &req, NULL, p, 0, cb));
  REJECT(UV_FS_SYMLINK, uv_fs_symlink(&loop, &req, p, NULL, 0, cb));
  REJECT(UV_FS_COPYFILE, uv_fs_copyfile(&loop, &req, NULL, p, 0, cb));
  REJECT(UV_FS_COPYFILE, uv_fs_copyfile(&loop, &req, p, NULL, 0, cb));
  ASSERT(!path_exists(p));
}

/* Every call with a NULL request: UV_EINVAL, and nothing else happens. */
static void null_requests(void) {
  const char* p = tpath("file");
  uv_buf_t b = uv_buf_init(NULL, 0);
  ASSERT_ERR(uv_fs_open(&loop, NULL, p, O_CREAT | O_WRONLY, 0644, never_cb), UV_EINVAL);
  ASSERT_ERR(uv_fs_close(&loop, NULL, 0, never_cb), UV_EINVAL);
  ASSERT_ERR(uv_fs_read(&loop, NULL, 0, &b, 1, -1, never_cb), UV_EINVAL);
  ASSERT_ERR(uv_fs_write(&loop, NULL, 0, &b, 1, -1, never_cb), UV_EINVAL);
  ASSERT_ERR(uv_fs_mkdir(&loop, NULL, p, 0755, never_cb), UV_EINVAL);
  ASSERT_ERR(uv_fs_mkstemp(&loop, NULL, p, never_cb), UV_EINVAL);
  ASSERT_ERR(uv_fs_stat(&loop, NULL, p, never_cb), UV_EINVAL);
  ASSERT_ERR(uv_fs_fstat(&loop, NULL, 0, never_cb), UV_EINVAL);
  ASSERT_ERR(uv_fs_sendfile(&loop, NULL, 1, 0, 0, 1, never_cb), UV_EINVAL);
  ASSERT_ERR(uv_fs_copyfile(&loop, NULL, p, p, 0, never_cb), UV_EINVAL);
  ASSERT_ERR(uv_fs_readdir(&loop, NULL, NULL, never_cb), UV_EINVAL);
  ASSERT_ERR(uv_fs_closedir(&loop, NULL, NULL, never_cb), UV_EINVAL);
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(callbacks, 0);
  ASSERT(!path_exists(p));
  /* The getters and cleanup tolerate NULL too. */
  ASSERT_EQ(uv_fs_get_type(NULL), UV_FS_UNKNOWN);
  ASSERT_NULL(uv_fs_get_path(NULL));
  ASSERT_NULL(uv_fs_get_ptr(NULL));
  uv_fs_req_cleanup(NULL);
}

int main(void) {
  fs_tmp_init("fs-null");
  ASSERT_OK(uv_loop_init(&loop));
  null_paths(NULL);
  null_paths(never_cb);
  null_requests();
  close_loop(&loop);
  fs_tmp_cleanup();
  return 0;
}
