/* rsuv: no-wrap: valgrind keeps descriptors of its own above a lowered RLIMIT_NOFILE and fails the program's opens there after the kernel made them (a file created by O_CREAT stays) */
/* Exhaustion: the file-system and spawn calls with the descriptor table
 * full (accept under EMFILE is test-tcp-emfile). With every descriptor up
 * to the soft limit taken, each call that needs a new one answers
 * UV_EMFILE: synchronous and asynchronous opens, opendir and scandir,
 * mkstemp (leaving no file behind), copyfile, uv_pipe and uv_socketpair,
 * TCP and UDP handles that make their socket at init, and uv_spawn with and
 * without stdio pipes, whose handle is then inactive and closes normally
 * and which starts no child. Then, with descriptors free again, the same
 * calls succeed, and at the end the descriptor count is where it started. */
#include "spawn-helpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>

#define MAX_FILL 256

static uv_loop_t loop;
static int fill[MAX_FILL], nfill;
static const char *dir, *file, *tmpl;
static int async_result = 1;

/* Counts a directory's entries, lending itself a filler's slot. */
static long entries_in(const char* path) {
  DIR* d;
  long n = 0;
  struct dirent* e;
  if (nfill > 0)
    close(fill[nfill - 1]);
  d = opendir(path);
  ASSERT_NOT_NULL(d);
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      n++;
  closedir(d);
  if (nfill > 0)
    ASSERT_EQ(open("/dev/null", O_RDONLY | O_CLOEXEC), fill[nfill - 1]);
  return n;
}

/* Takes every free descriptor under a soft limit a little above the ones
 * in use. */
static void fill_table(void) {
  struct rlimit rl;
  int fd;
  ASSERT_OK(getrlimit(RLIMIT_NOFILE, &rl));
  rl.rlim_cur = (rlim_t) fd_count() + 32;
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &rl));
  nfill = 0;
  while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) {
    ASSERT_LT(nfill, MAX_FILL);
    fill[nfill++] = fd;
  }
  ASSERT_EQ(errno, EMFILE);
}

static void free_table(void) {
  while (nfill > 0)
    close(fill[--nfill]);
}

static void open_cb(uv_fs_t* req) {
  async_result = (int) req->result;
  if (req->result >= 0) {
    uv_fs_t c;
    ASSERT_OK(uv_fs_close(NULL, &c, (uv_file) req->result, NULL));
    uv_fs_req_cleanup(&c);
  }
  uv_fs_req_cleanup(req);
}

static void never_exit_cb(uv_process_t* p, int64_t status, int sig) {
  (void) p;
  (void) status;
  (void) sig;
  TEST_FAIL_("%s", "a child started under EMFILE");
}

/* Each call that makes a descriptor; `want` is UV_EMFILE, or 0 for
 * success. */
static void try_all(int want) {
  uv_fs_t req;
  uv_file fds[2];
  uv_os_sock_t socks[2];
  uv_tcp_t tcp;
  uv_udp_t udp;
  int r;

  r = uv_fs_open(NULL, &req, file, O_RDONLY, 0, NULL);
  ASSERT_EQ(r, want == 0 ? (int) req.result : want);
  ASSERT_EQ((int) req.result, r);
  if (r >= 0)
    close(r);
  uv_fs_req_cleanup(&req);

  async_result = 1;
  ASSERT_OK(uv_fs_open(&loop, &req, file, O_RDONLY, 0, open_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  if (want == 0)
    ASSERT_GE(async_result, 0);
  else
    ASSERT_EQ(async_result, want);

  r = uv_fs_opendir(NULL, &req, dir, NULL);
  ASSERT_EQ(r, want);
  if (r == 0) {
    uv_fs_t c;
    ASSERT_OK(uv_fs_closedir(NULL, &c, (uv_dir_t*) req.ptr, NULL));
    uv_fs_req_cleanup(&c);
  }
  uv_fs_req_cleanup(&req);

  r = uv_fs_scandir(NULL, &req, dir, 0, NULL);
  if (want == 0)
    ASSERT_EQ(r, 1); /* the one file */
  else
    ASSERT_EQ(r, want);
  uv_fs_req_cleanup(&req);

  r = uv_fs_mkstemp(NULL, &req, tmpl, NULL);
  if (want == 0) {
    ASSERT_GE(r, 0);
    close(r);
    ASSERT_OK(unlink(req.path));
  } else {
    ASSERT_EQ(r, want);
  }
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(entries_in(dir), 1); /* nothing left behind */

  {
    const char* copy = tpath("copy");
    r = uv_fs_copyfile(NULL, &req, file, copy, 0, NULL);
    ASSERT_EQ(r, want);
    uv_fs_req_cleanup(&req);
    if (r == 0)
      ASSERT_OK(unlink(copy));
    ASSERT_EQ(entries_in(dir), 1);
  }

  r = uv_pipe(fds, 0, 0);
  ASSERT_EQ(r, want);
  if (r == 0) {
    close(fds[0]);
    close(fds[1]);
  }
  r = uv_socketpair(SOCK_STREAM, 0, socks, 0, 0);
  ASSERT_EQ(r, want);
  if (r == 0) {
    close(socks[0]);
    close(socks[1]);
  }

  r = uv_tcp_init_ex(&loop, &tcp, AF_INET);
  ASSERT_EQ(r, want);
  if (r == 0)
    uv_close((uv_handle_t*) &tcp, NULL);
  r = uv_udp_init_ex(&loop, &udp, AF_INET);
  ASSERT_EQ(r, want);
  if (r == 0)
    uv_close((uv_handle_t*) &udp, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

/* uv_spawn, with no stdio and with a pipe on stdout. */
static void try_spawn(int with_pipe) {
  uv_process_t proc;
  uv_process_options_t o;
  uv_stdio_container_t stdio[2];
  uv_pipe_t out;
  self_args_t a;
  int r;

  memset(&o, 0, sizeof(o));
  o.file = self_exe;
  o.args = self_argv(&a, "exit", "0", NULL, NULL);
  o.exit_cb = never_exit_cb;
  if (with_pipe) {
    ASSERT_OK(uv_pipe_init(&loop, &out, 0));
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = (uv_stdio_flags) (UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    stdio[1].data.stream = (uv_stream_t*) &out;
    o.stdio = stdio;
    o.stdio_count = 2;
  }
  r = uv_spawn(&loop, &proc, &o);
  ASSERT_EQ(r, UV_EMFILE);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &proc), 0);
  uv_close((uv_handle_t*) &proc, NULL);
  if (with_pipe)
    uv_close((uv_handle_t*) &out, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
}

int main(int argc, char** argv) {
  struct rlimit saved;
  long fds_before;
  int fd;

  if (argc >= 3 && strcmp(argv[1], "--child") == 0)
    return child_common(argc - 2, argv + 2);
  self_exe_init();
  fs_tmp_init("emfile");
  dir = fs_root;
  file = tpath("file");
  tmpl = tpath("tmpXXXXXX");
  fd = open(file, O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "data", 4), 4);
  close(fd);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_loop_close(&loop));
  fds_before = fd_count();
  ASSERT_OK(getrlimit(RLIMIT_NOFILE, &saved));
  ASSERT_OK(uv_loop_init(&loop));
  /* The thread pool's threads start before the table fills. */
  try_all(0);

  fill_table();
  try_all(UV_EMFILE);
  try_spawn(0);
  try_spawn(1);
  free_table();
  ASSERT_OK(setrlimit(RLIMIT_NOFILE, &saved));

  try_all(0);
  ASSERT_OK(uv_loop_close(&loop));
  ASSERT_EQ(waitpid(-1, NULL, WNOHANG), -1); /* no child was started */
  ASSERT_EQ(fd_count(), fds_before);

  fs_tmp_cleanup();
  printf("ok\n");
  return 0;
}
