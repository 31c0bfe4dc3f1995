/* A directory of 10,000 entries (9,990 files and 10 subdirectories, made in
 * a scrambled order, names of different lengths so that strcmp order is not
 * creation or numeric order) listed through uv_fs_scandir (synchronously and
 * asynchronously: every name exactly once, in strictly increasing strcmp
 * order, the right types, then UV_EOF) and through uv_fs_opendir/readdir in
 * batches of 7 (synchronously and asynchronously: every name exactly once,
 * no batch larger than 7, a final 0). */
#include "fs-helpers.h"

#define N 10000
#define NDIRS 10

static uv_loop_t loop;
static unsigned char seen[N];
static int have_dtype;

/* Entry i is called "e<i>" (no zero padding), directories "d<i>". */
static int is_dir_index(int i) {
  return i % (N / NDIRS) == 7;
}

static void name_of(int i, char* buf, size_t n) {
  snprintf(buf, n, "%c%d", is_dir_index(i) ? 'd' : 'e', i);
}

/* Returns the index encoded in a name, failing on anything unexpected. */
static int index_of(const char* name) {
  char* end;
  long v;
  if (name[0] != 'e' && name[0] != 'd')
    TEST_FAIL_("unexpected entry %s", name);
  v = strtol(name + 1, &end, 10);
  if (*end != '\0' || v < 0 || v >= N ||
      (name[0] == 'd') != (is_dir_index((int) v) != 0))
    TEST_FAIL_("unexpected entry %s", name);
  return (int) v;
}

static void check_type(int i, uv_dirent_type_t t) {
  uv_dirent_type_t want = is_dir_index(i) ? UV_DIRENT_DIR : UV_DIRENT_FILE;
  if (t == want || (!have_dtype && t == UV_DIRENT_UNKNOWN))
    return;
  TEST_FAIL_("entry %d has type %d", i, (int) t);
}

static void make_entries(void) {
  char name[32];
  DIR* d;
  struct dirent* e;
  int i;
  int k;
  int fd;

  /* i -> (i * 7919) mod N is a permutation (7919 is prime, N = 2^4 5^4). */
  for (k = 0; k < N; k++) {
    i = (int) (((long) k * 7919) % N);
    name_of(i, name, sizeof(name));
    if (is_dir_index(i)) {
      ASSERT_EQ(mkdir(tpath(name), 0755), 0);
    } else {
      fd = open(tpath(name), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      ASSERT_GE(fd, 0);
      ASSERT_EQ(close(fd), 0);
    }
  }
  d = opendir(fs_root);
  ASSERT_NOT_NULL(d);
  e = readdir(d);
  ASSERT_NOT_NULL(e);
  have_dtype = e->d_type != DT_UNKNOWN;
  closedir(d);
}

static void test_scandir(int async) {
  char prev[32];
  uv_dirent_t ent;
  uv_fs_t req;
  int count = 0;
  int r;
  int i;

  memset(seen, 0, sizeof(seen));
  prev[0] = '\0';
  ASSERT_EQ(fs_wait(&loop, &req, async,
                    uv_fs_scandir(&loop, &req, fs_root, 0, fs_cb(async))), N);
  while ((r = uv_fs_scandir_next(&req, &ent)) == 0) {
    i = index_of(ent.name);
    ASSERT_EQ(seen[i], 0);
    seen[i] = 1;
    check_type(i, ent.type);
    if (count > 0 && strcmp(prev, ent.name) >= 0)
      TEST_FAIL_("%s listed after %s", ent.name, prev);
    ASSERT_LT(strlen(ent.name), sizeof(prev));
    strcpy(prev, ent.name);
    count++;
  }
  ASSERT_ERR(r, UV_EOF);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(count, N);
  /* The smallest and largest names in strcmp order. */
  ASSERT_STR_EQ(prev, "e9999");
}

static void test_readdir(int async) {
  uv_dirent_t ents[7];
  uv_dir_t* dir;
  uv_fs_t req;
  int count = 0;
  int batches = 0;
  int r;
  int i;
  int j;

  memset(seen, 0, sizeof(seen));
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_opendir(&loop, &req, fs_root, fs_cb(async))));
  dir = req.ptr;
  uv_fs_req_cleanup(&req);
  ASSERT_NOT_NULL(dir);
  dir->dirents = ents;
  dir->nentries = 7;
  for (;;) {
    r = fs_wait(&loop, &req, async,
                uv_fs_readdir(&loop, &req, dir, fs_cb(async)));
    ASSERT_GE(r, 0);
    ASSERT_LE(r, 7);
    for (j = 0; j < r; j++) {
      i = index_of(ents[j].name);
      ASSERT_EQ(seen[i], 0);
      seen[i] = 1;
      check_type(i, ents[j].type);
    }
    uv_fs_req_cleanup(&req);
    count += r;
    batches++;
    if (r == 0)
      break;
  }
  ASSERT_EQ(count, N);
  ASSERT_GE(batches, (N + 6) / 7 + 1);
  ASSERT_OK(fs_wait(&loop, &req, async,
                    uv_fs_closedir(&loop, &req, dir, fs_cb(async))));
  uv_fs_req_cleanup(&req);
}

int main(void) {
  int async;

  fs_tmp_init("fs-dir-many");
  ASSERT_OK(uv_loop_init(&loop));
  make_entries();
  for (async = 0; async < 2; async++) {
    printf("mode %s\n", mode_name(async));
    test_scandir(async);
    test_readdir(async);
  }
  close_loop(&loop);
  fs_tmp_cleanup();
  return 0;
}
