/* Directories through uv_fs_*, each both synchronously and asynchronously:
 * uv_fs_mkdir (mode), uv_fs_rmdir, uv_fs_mkdtemp and uv_fs_mkstemp (the
 * created name in req->path, the caller's template left untouched, mkstemp's
 * result is an open descriptor of a new 0600 file), uv_fs_scandir with
 * uv_fs_scandir_next (sorted, no "." or "..", UV_DIRENT_FILE/DIR/LINK,
 * UV_EOF at the end and again after it, an empty directory), and
 * uv_fs_opendir/readdir/closedir with caller-provided dirents (batches no
 * larger than nentries, a final read of 0, a uv_dir_t reused with a
 * different batch size). */
#include "fs-helpers.h"

static uv_loop_t loop;
static int have_dtype; /* does this file system report entry types? */

static void probe_dtype(void) {
  DIR* d;
  struct dirent* e;
  put_file(tpath("probe"), "");
  d = opendir(fs_root);
  ASSERT_NOT_NULL(d);
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, "probe") == 0)
      have_dtype = e->d_type != DT_UNKNOWN;
  closedir(d);
  ASSERT_EQ(unlink(tpath("probe")), 0);
  if (!have_dtype)
    printf("note: the file system reports no entry types; "
           "UV_DIRENT_UNKNOWN accepted\n");
}

static void assert_type(uv_dirent_type_t got, uv_dirent_type_t want) {
  if (got == want)
    return;
  if (!have_dtype && got == UV_DIRENT_UNKNOWN)
    return;
  TEST_FAIL_("dirent type %d, expected %d", (int) got, (int) want);
}

static void test_mkdir_rmdir(int async) {
  const char* d = tpath(async ? "md-async" : "md-sync");
  const char* sub = tpath(async ? "md-async/sub" : "md-sync/sub");
  uv_fs_t req;
  struct stat st;

  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_mkdir(&loop, &req, d, 0750, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_MKDIR);
  ASSERT_STR_EQ(req.path, d);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(stat(d, &st), 0);
  ASSERT(S_ISDIR(st.st_mode));
  ASSERT_EQ(st.st_mode & 0777, 0750);

  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_mkdir(&loop, &req, sub, 0700, fs_cb(async))));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_rmdir(&loop, &req, sub, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_RMDIR);
  uv_fs_req_cleanup(&req);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_rmdir(&loop, &req, d, fs_cb(async))));
  uv_fs_req_cleanup(&req);
  ASSERT(!path_exists(d));
}

static void check_made_name(const char* made, const char* prefix) {
  size_t n = strlen(prefix);
  ASSERT_NOT_NULL(made);
  ASSERT_EQ(strlen(made), n + 6);
  ASSERT(strncmp(made, prefix, n) == 0);
  ASSERT(strcmp(made + n, "XXXXXX") != 0);
}

static void test_mkdtemp_mkstemp(int async) {
  char tpl[PATH_MAX];
  char prefix[PATH_MAX];
  char made[PATH_MAX];
  char made2[PATH_MAX];
  char buf[8];
  uv_fs_t req;
  struct stat st;
  int fd;

  snprintf(prefix, sizeof(prefix), "%s", tpath(async ? "dt-a-" : "dt-s-"));
  snprintf(tpl, sizeof(tpl), "%s",
           tpath(async ? "dt-a-XXXXXX" : "dt-s-XXXXXX"));

  /* mkdtemp: a new directory whose name is in req->path. */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_mkdtemp(&loop, &req, tpl, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_MKDTEMP);
  check_made_name(req.path, prefix);
  ASSERT_STR_EQ(uv_fs_get_path(&req), req.path);
  snprintf(made, sizeof(made), "%s", req.path);
  uv_fs_req_cleanup(&req);
  ASSERT_NULL(req.path);
  ASSERT(strcmp(tpl + strlen(prefix), "XXXXXX") == 0); /* template intact */
  ASSERT_EQ(stat(made, &st), 0);
  ASSERT(S_ISDIR(st.st_mode));
  ASSERT_EQ(st.st_mode & 0777, 0700);

  /* The same template again: another name. */
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_mkdtemp(&loop, &req, tpl, fs_cb(async))));
  check_made_name(req.path, prefix);
  ASSERT(strcmp(req.path, made) != 0);
  uv_fs_req_cleanup(&req);

  /* mkstemp: result is a descriptor of a new, empty 0600 file. */
  snprintf(prefix, sizeof(prefix), "%s", tpath(async ? "st-a-" : "st-s-"));
  snprintf(tpl, sizeof(tpl), "%s",
           tpath(async ? "st-a-XXXXXX" : "st-s-XXXXXX"));
  fd = fs_wait(&loop, &req, async,
               uv_fs_mkstemp(&loop, &req, tpl, fs_cb(async)));
  ASSERT_GE(fd, 0);
  ASSERT_EQ(req.fs_type, UV_FS_MKSTEMP);
  ASSERT_EQ(uv_fs_get_result(&req), fd);
  check_made_name(req.path, prefix);
  snprintf(made2, sizeof(made2), "%s", req.path);
  uv_fs_req_cleanup(&req);
  ASSERT(strcmp(tpl + strlen(prefix), "XXXXXX") == 0);
  ASSERT_EQ(stat(made2, &st), 0);
  ASSERT(S_ISREG(st.st_mode));
  ASSERT_EQ(st.st_mode & 0777, 0600);
  ASSERT_UEQ(st.st_size, 0);
  /* Opened for reading and writing, close-on-exec. */
  ASSERT_NE(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  ASSERT_EQ(write(fd, "abc", 3), 3);
  ASSERT_EQ(pread(fd, buf, sizeof(buf), 0), 3);
  ASSERT_EQ(close(fd), 0);
  ASSERT_FILE_IS(made2, "abc");
}

/* Reads every entry of a finished scandir request into names[] (copies:
 * a name is only valid until the next uv_fs_scandir_next). */
static int scan_all(uv_fs_t* req, char names[][32], uv_dirent_type_t* types,
                    int max) {
  uv_dirent_t ent;
  int n = 0;
  int r;
  while ((r = uv_fs_scandir_next(req, &ent)) == 0) {
    ASSERT_LT(n, max);
    ASSERT_NOT_NULL(ent.name);
    ASSERT_LT(strlen(ent.name), 32);
    strcpy(names[n], ent.name);
    types[n] = ent.type;
    n++;
  }
  ASSERT_ERR(r, UV_EOF);
  /* And EOF again once the end was reached. */
  ASSERT_ERR(uv_fs_scandir_next(req, &ent), UV_EOF);
  return n;
}

static void test_scandir(int async) {
  const char* m = mode_name(async);
  const char* d = tpathf("sc-%s", m);
  char names[8][32];
  uv_dirent_type_t types[8];
  uv_fs_t req;
  int n;

  ASSERT_EQ(mkdir(d, 0755), 0);
  put_file(tpathf("sc-%s/file", m), "x");
  ASSERT_EQ(mkdir(tpathf("sc-%s/Dir", m), 0755), 0);
  ASSERT_EQ(symlink("file", tpathf("sc-%s/link", m)), 0);
  put_file(tpathf("sc-%s/a.b", m), "");

  ASSERT_EQ(fs_wait(&loop, &req, async,
                    uv_fs_scandir(&loop, &req, d, 0, fs_cb(async))), 4);
  ASSERT_EQ(req.fs_type, UV_FS_SCANDIR);
  ASSERT_STR_EQ(req.path, d);
  n = scan_all(&req, names, types, 8);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(n, 4);
  /* strcmp order: upper case first. */
  ASSERT_STR_EQ(names[0], "Dir");
  ASSERT_STR_EQ(names[1], "a.b");
  ASSERT_STR_EQ(names[2], "file");
  ASSERT_STR_EQ(names[3], "link");
  assert_type(types[0], UV_DIRENT_DIR);
  assert_type(types[1], UV_DIRENT_FILE);
  assert_type(types[2], UV_DIRENT_FILE);
  assert_type(types[3], UV_DIRENT_LINK); /* not followed */

  /* Cleanup in the middle of the iteration is fine too. */
  ASSERT_EQ(fs_wait(&loop, &req, async,
                    uv_fs_scandir(&loop, &req, d, 0, fs_cb(async))), 4);
  {
    uv_dirent_t ent;
    ASSERT_OK(uv_fs_scandir_next(&req, &ent));
    ASSERT_STR_EQ(ent.name, "Dir");
  }
  uv_fs_req_cleanup(&req);

  /* An empty directory: result 0 and UV_EOF straight away. */
  ASSERT_EQ(fs_wait(&loop, &req, async,
                    uv_fs_scandir(&loop, &req, tpathf("sc-%s/Dir", m), 0,
                                  fs_cb(async))), 0);
  ASSERT_EQ(scan_all(&req, names, types, 8), 0);
  uv_fs_req_cleanup(&req);
}

static uv_dir_t* open_dir(const char* path, int async) {
  uv_fs_t req;
  uv_dir_t* dir;
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_opendir(&loop, &req, path, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_OPENDIR);
  ASSERT_STR_EQ(req.path, path);
  dir = req.ptr;
  ASSERT_NOT_NULL(dir);
  ASSERT_PTR_EQ(uv_fs_get_ptr(&req), dir);
  uv_fs_req_cleanup(&req); /* does not free the uv_dir_t */
  ASSERT_NULL(req.ptr);
  return dir;
}

static void close_dir(uv_dir_t* dir, int async) {
  uv_fs_t req;
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_closedir(&loop, &req, dir, fs_cb(async))));
  ASSERT_EQ(req.fs_type, UV_FS_CLOSEDIR);
  uv_fs_req_cleanup(&req);
}

/* Reads dir to the end in batches of `batch`; returns the number of entries
 * and marks the names seen in *seen (bit per expected name). */
static int read_all(uv_dir_t* dir, size_t batch, const char* const* expect,
                    int nexpect, unsigned* seen, int async) {
  uv_dirent_t ents[8];
  uv_fs_t req;
  int total = 0;
  int r;
  int i;
  int j;

  ASSERT_ULE(batch, 8);
  dir->dirents = ents;
  dir->nentries = batch;
  for (;;) {
    memset(ents, 0, sizeof(ents));
    r = fs_wait(&loop, &req, async,
                uv_fs_readdir(&loop, &req, dir, fs_cb(async)));
    ASSERT_EQ(req.fs_type, UV_FS_READDIR);
    ASSERT_GE(r, 0);
    ASSERT_ULE(r, batch);
    for (i = 0; i < r; i++) {
      ASSERT_NOT_NULL(ents[i].name);
      ASSERT(strcmp(ents[i].name, ".") != 0);
      ASSERT(strcmp(ents[i].name, "..") != 0);
      for (j = 0; j < nexpect; j++)
        if (strcmp(ents[i].name, expect[j]) == 0)
          break;
      if (j == nexpect)
        TEST_FAIL_("unexpected entry %s", ents[i].name);
      ASSERT_EQ(*seen & (1u << j), 0);
      *seen |= 1u << j;
      if (strcmp(expect[j], "sub") == 0)
        assert_type(ents[i].type, UV_DIRENT_DIR);
      else if (strcmp(expect[j], "sym") == 0)
        assert_type(ents[i].type, UV_DIRENT_LINK);
      else
        assert_type(ents[i].type, UV_DIRENT_FILE);
    }
    uv_fs_req_cleanup(&req);
    total += r;
    if (r == 0)
      break;
  }
  /* At the end, reading again still gives 0. */
  ASSERT_EQ(fs_wait(&loop, &req, async,
                    uv_fs_readdir(&loop, &req, dir, fs_cb(async))), 0);
  uv_fs_req_cleanup(&req);
  return total;
}

static void test_readdir(int async) {
  static const char* const names[] = {"one", "two", "three", "sub", "sym"};
  const char* m = mode_name(async);
  char d[PATH_MAX];
  uv_dir_t* dir;
  unsigned seen;
  int i;

  snprintf(d, sizeof(d), "%s", tpathf("rd-%s", m));
  ASSERT_EQ(mkdir(d, 0755), 0);
  for (i = 0; i < 3; i++)
    put_file(tpathf("rd-%s/%s", m, names[i]), names[i]);
  ASSERT_EQ(mkdir(tpathf("rd-%s/sub", m), 0755), 0);
  ASSERT_EQ(symlink("one", tpathf("rd-%s/sym", m)), 0);

  /* Batches of 2: 2 + 2 + 1, then 0. */
  dir = open_dir(d, async);
  seen = 0;
  ASSERT_EQ(read_all(dir, 2, names, 5, &seen, async), 5);
  ASSERT_EQ(seen, 0x1f);
  close_dir(dir, async);

  /* One batch larger than the directory. */
  dir = open_dir(d, async);
  seen = 0;
  ASSERT_EQ(read_all(dir, 8, names, 5, &seen, async), 5);
  ASSERT_EQ(seen, 0x1f);
  close_dir(dir, async);

  /* One at a time. */
  dir = open_dir(d, async);
  seen = 0;
  ASSERT_EQ(read_all(dir, 1, names, 5, &seen, async), 5);
  ASSERT_EQ(seen, 0x1f);
  close_dir(dir, async);

  /* Closing a directory before reading it all. */
  dir = open_dir(d, async);
  {
    uv_dirent_t ent;
    uv_fs_t req;
    dir->dirents = &ent;
    dir->nentries = 1;
    ASSERT_EQ(fs_wait(&loop, &req, async,
                      uv_fs_readdir(&loop, &req, dir, fs_cb(async))), 1);
    uv_fs_req_cleanup(&req);
  }
  close_dir(dir, async);

  /* An empty directory. */
  dir = open_dir(tpathf("rd-%s/sub", m), async);
  seen = 0;
  ASSERT_EQ(read_all(dir, 3, names, 5, &seen, async), 0);
  close_dir(dir, async);
}

int main(void) {
  int async;

  fs_tmp_init("fs-dir");
  umask(022);
  probe_dtype();
  ASSERT_OK(uv_loop_init(&loop));
  for (async = 0; async < 2; async++) {
    printf("mode %s\n", mode_name(async));
    test_mkdir_rmdir(async);
    test_mkdtemp_mkstemp(async);
    test_scandir(async);
    test_readdir(async);
  }
  close_loop(&loop);
  fs_tmp_cleanup();
  return 0;
}
