/* What a child starts with: its environment (an array of our own, NULL for
 * ours, or empty), its working directory (options.cwd; a missing directory
 * or a file there is an error from uv_spawn), and how options.file is found:
 * without a slash, through the PATH of the child's environment (options.env
 * when given, else ours; /bin:/usr/bin when there is none), skipping
 * entries where the file is not executable; with a slash, as a path, a
 * relative one from the child's cwd. An executable text file without "#!"
 * runs under /bin/sh. */
#include "spawn-helpers.h"

static uv_loop_t loop;

/* Runs /usr/bin/env with `env` and returns its output in res. */
static void run_env(char** env, run_result_t* res) {
  uv_process_options_t o;
  char* args[] = { (char*) "env", NULL };
  memset(&o, 0, sizeof(o));
  o.file = "/usr/bin/env";
  o.args = args;
  o.env = env;
  ASSERT_OK(spawn_run(&loop, &o, res));
  ASSERT_EQ(res->exit_status, 0);
  ASSERT_EQ(res->term_signal, 0);
}

static void test_env(void) {
  run_result_t res;
  char* custom[] = { (char*) "RSUV_A=1", (char*) "RSUV_B=two words",
                     (char*) "RSUV_EMPTY=", NULL };
  char* empty[] = { NULL };

  /* Exactly the given strings, in order, nothing of ours. */
  run_env(custom, &res);
  ASSERT_STR_EQ(res.out, "RSUV_A=1\nRSUV_B=two words\nRSUV_EMPTY=\n");

  /* No environment at all. */
  run_env(empty, &res);
  ASSERT_STR_EQ(res.out, "");

  /* NULL: ours, as it is at the time of the call. */
  ASSERT_OK(setenv("RSUV_SPAWN_MARK", "marked=yes", 1));
  run_env(NULL, &res);
  ASSERT_NOT_NULL(strstr(res.out, "\nRSUV_SPAWN_MARK=marked=yes\n"));
  ASSERT_NOT_NULL(strstr(res.out, "PATH="));
  ASSERT_OK(unsetenv("RSUV_SPAWN_MARK"));
  run_env(NULL, &res);
  ASSERT_NULL(strstr(res.out, "RSUV_SPAWN_MARK"));

  /* Our own environment is untouched by a child's custom one. */
  run_env(custom, &res);
  ASSERT_NULL(getenv("RSUV_A"));
  ASSERT_NOT_NULL(getenv("PATH"));
}

static int run_cwd(const char* cwd, run_result_t* res) {
  uv_process_options_t o;
  self_args_t a;
  memset(&o, 0, sizeof(o));
  o.file = self_exe;
  o.args = self_argv(&a, "cwd", NULL, NULL, NULL);
  o.cwd = cwd;
  return spawn_run(&loop, &o, res);
}

static void test_cwd(void) {
  run_result_t res;
  char here[PATH_MAX];
  char want[PATH_MAX + 2];

  ASSERT_NOT_NULL(getcwd(here, sizeof(here)));

  /* NULL: ours. */
  ASSERT_OK(run_cwd(NULL, &res));
  snprintf(want, sizeof(want), "%s\n", here);
  ASSERT_STR_EQ(res.out, want);

  ASSERT_OK(mkdir(tpath("work"), 0755));
  ASSERT_NOT_NULL(realpath(tpath("work"), here));
  snprintf(want, sizeof(want), "%s\n", here);
  ASSERT_OK(run_cwd(tpath("work"), &res));
  ASSERT_EQ(res.exit_status, 0);
  ASSERT_STR_EQ(res.out, want);

  ASSERT_OK(run_cwd("/", &res));
  ASSERT_STR_EQ(res.out, "/\n");

  /* Ours has not changed. */
  ASSERT_NOT_NULL(getcwd(want, sizeof(want)));
  ASSERT(strcmp(want, here) != 0);

  ASSERT_ERR(run_cwd(tpath("no-such-dir"), &res), UV_ENOENT);
  put_file(tpath("a-file"), "x");
  ASSERT_ERR(run_cwd(tpath("a-file"), &res), UV_ENOTDIR);
  assert_no_children();
}

/* Writes an executable file at rel (mode 0755, or `mode`). */
static void put_prog(const char* rel, const char* text, mode_t mode) {
  put_file(tpath(rel), text);
  ASSERT_OK(chmod(tpath(rel), mode));
}

/* Spawns `file` with env (may be NULL) and cwd (may be NULL). */
static int run_file(const char* file, char** env, const char* cwd,
                    run_result_t* res) {
  uv_process_options_t o;
  char* args[] = { (char*) file, NULL };
  memset(&o, 0, sizeof(o));
  o.file = file;
  o.args = args;
  o.env = env;
  o.cwd = cwd;
  return spawn_run(&loop, &o, res);
}

static void test_path_search(void) {
  run_result_t res;
  char path_bin[PATH_MAX + 8];
  char path_both[2 * PATH_MAX + 8];
  char path_noexec[PATH_MAX + 8];
  char path_dir_then_bin[2 * PATH_MAX + 8];
  char* env_bin[] = { path_bin, NULL };
  char* env_both[] = { path_both, NULL };
  char* env_noexec[] = { path_noexec, NULL };
  char* env_dir_then_bin[] = { path_dir_then_bin, NULL };
  char* env_no_path[] = { (char*) "RSUV_X=1", NULL };
  char* saved_path;
  char* outer_path;
  char new_path[3 * PATH_MAX];

  /* Our PATH, for the cases that use it: one that every user can search
   * (an unsearchable entry turns "not found" into UV_EACCES). */
  outer_path = strdup(getenv("PATH") ? getenv("PATH") : "");
  ASSERT_NOT_NULL(outer_path);
  ASSERT_OK(setenv("PATH", "/usr/bin:/bin", 1));

  ASSERT_OK(mkdir(tpath("bin"), 0755));
  ASSERT_OK(mkdir(tpath("bin2"), 0755));
  ASSERT_OK(mkdir(tpath("noexec"), 0755));
  ASSERT_OK(mkdir(tpath("dirs"), 0755));
  ASSERT_OK(mkdir(tpath("dirs/rsuv-prog"), 0755));
  put_prog("bin/rsuv-prog", "#!/bin/sh\necho found in bin\n", 0755);
  put_prog("bin2/rsuv-prog2", "#!/bin/sh\necho found in bin2\n", 0755);
  put_prog("noexec/rsuv-prog", "#!/bin/sh\necho must not run\n", 0644);
  put_prog("bin/rsuv-noshebang", "echo no shebang\nexit 3\n", 0755);

  snprintf(path_bin, sizeof(path_bin), "PATH=%s", tpath("bin"));
  snprintf(path_noexec, sizeof(path_noexec), "PATH=%s", tpath("noexec"));
  snprintf(path_both, sizeof(path_both), "PATH=%s:%s", tpath("noexec"),
           tpath("bin"));
  snprintf(path_dir_then_bin, sizeof(path_dir_then_bin), "PATH=%s:%s",
           tpath("dirs"), tpath("bin"));

  /* The PATH of options.env, not ours. */
  ASSERT_OK(run_file("rsuv-prog", env_bin, NULL, &res));
  ASSERT_EQ(res.exit_status, 0);
  ASSERT_STR_EQ(res.out, "found in bin\n");
  ASSERT_ERR(run_file("rsuv-prog", NULL, NULL, &res), UV_ENOENT);

  /* An entry where the file is not executable, or a directory, is skipped;
   * when no entry has an executable one, it is UV_EACCES. */
  ASSERT_OK(run_file("rsuv-prog", env_both, NULL, &res));
  ASSERT_STR_EQ(res.out, "found in bin\n");
  ASSERT_OK(run_file("rsuv-prog", env_dir_then_bin, NULL, &res));
  ASSERT_STR_EQ(res.out, "found in bin\n");
  ASSERT_ERR(run_file("rsuv-prog", env_noexec, NULL, &res), UV_EACCES);

  /* A program without "#!" runs under /bin/sh, by path and through PATH. */
  ASSERT_OK(run_file(tpath("bin/rsuv-noshebang"), NULL, NULL, &res));
  ASSERT_EQ(res.exit_status, 3);
  ASSERT_STR_EQ(res.out, "no shebang\n");
  ASSERT_OK(run_file("rsuv-noshebang", env_bin, NULL, &res));
  ASSERT_EQ(res.exit_status, 3);
  ASSERT_STR_EQ(res.out, "no shebang\n");

  /* options.env == NULL: our PATH, as it is at the time of the call. */
  saved_path = strdup(getenv("PATH"));
  ASSERT_NOT_NULL(saved_path);
  snprintf(new_path, sizeof(new_path), "%s:%s", tpath("bin2"), saved_path);
  ASSERT_OK(setenv("PATH", new_path, 1));
  ASSERT_OK(run_file("rsuv-prog2", NULL, NULL, &res));
  ASSERT_STR_EQ(res.out, "found in bin2\n");
  ASSERT_OK(setenv("PATH", saved_path, 1));
  free(saved_path);
  ASSERT_ERR(run_file("rsuv-prog2", NULL, NULL, &res), UV_ENOENT);

  /* No PATH in options.env: the default, which has sh. */
  {
    uv_process_options_t o;
    char* args[] = { (char*) "sh", (char*) "-c", (char*) "echo default path",
                     NULL };
    memset(&o, 0, sizeof(o));
    o.file = "sh";
    o.args = args;
    o.env = env_no_path;
    ASSERT_OK(spawn_run(&loop, &o, &res));
    ASSERT_STR_EQ(res.out, "default path\n");
  }

  /* With a slash: a path, never searched, relative ones from the child's
   * cwd (not ours). */
  ASSERT_OK(run_file("./bin/rsuv-prog", env_noexec, tpath(""), &res));
  ASSERT_STR_EQ(res.out, "found in bin\n");
  ASSERT_OK(run_file("bin/rsuv-prog", env_noexec, tpath(""), &res));
  ASSERT_STR_EQ(res.out, "found in bin\n");
  ASSERT_OK(run_file("../bin2/rsuv-prog2", NULL, tpath("bin"), &res));
  ASSERT_STR_EQ(res.out, "found in bin2\n");
  ASSERT_ERR(run_file("bin/rsuv-prog", env_bin, NULL, &res), UV_ENOENT);
  ASSERT_ERR(run_file("./rsuv-prog", env_bin, tpath(""), &res), UV_ENOENT);
  ASSERT_OK(run_file("./rsuv-prog", env_noexec, tpath("bin"), &res));
  ASSERT_STR_EQ(res.out, "found in bin\n");

  /* args[0] is what the child sees as its name, whatever file was. */
  {
    uv_process_options_t o;
    char* args[] = { (char*) "sh", (char*) "-c", (char*) "echo $0",
                     (char*) "chosen-name", NULL };
    memset(&o, 0, sizeof(o));
    o.file = "/bin/sh";
    o.args = args;
    ASSERT_OK(spawn_run(&loop, &o, &res));
    ASSERT_STR_EQ(res.out, "chosen-name\n");
  }
  ASSERT_OK(setenv("PATH", outer_path, 1));
  free(outer_path);
  assert_no_children();
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "--child") == 0) {
    int r = child_common(argc - 2, argv + 2);
    if (r < 0) {
      fprintf(stderr, "unknown child mode %s\n", argv[2]);
      return 100;
    }
    return r;
  }

  self_exe_init();
  fs_tmp_init("spawn-env");
  ASSERT_OK(uv_loop_init(&loop));

  test_env();
  test_cwd();
  test_path_search();

  close_loop(&loop);
  assert_no_children();
  fs_tmp_cleanup();
  printf("ok\n");
  return 0;
}
