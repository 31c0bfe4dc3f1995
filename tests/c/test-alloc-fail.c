/* rsuv: ours-only: libuv 1.44 mishandles failed allocations: uv_interface_addresses crashes, uv_os_environ leaks, and uv_fs_realpath frees realpath(3)'s block with the replaced allocator; libuv 1.52.1 passes */
/* Allocation failure through uv_replace_allocator: an allocator that fails
 * every k-th call (k = 1..7, and never) drives the calls that allocate
 * (uv_os_environ, uv_interface_addresses, uv_cpu_info, uv_os_get_passwd,
 * uv_os_homedir, uv_fs_readlink, uv_fs_realpath, uv_loop_new,
 * uv_getaddrinfo). Each must succeed or answer UV_ENOMEM, never crash, and
 * leave no block behind once its result is freed: the allocator counts
 * live blocks and marks each, so a block it did not make is caught. */
#include "test.h"

#include <unistd.h>

#define MAGIC 0x5253555641u /* "RSUVA" */

typedef struct {
  uint64_t magic;
  uint64_t size;
} header_t;

static long live;
static long calls;
static long fail_every; /* 0: never fail */
static long failures;

static int should_fail(void) {
  calls++;
  if (fail_every > 0 && calls % fail_every == 0) {
    failures++;
    return 1;
  }
  return 0;
}

static void* wrap(header_t* h, size_t size) {
  h->magic = MAGIC;
  h->size = size;
  return h + 1;
}

static header_t* unwrap(void* p) {
  header_t* h = (header_t*) p - 1;
  if (h->magic != MAGIC)
    TEST_FAIL_("free of a block this allocator did not make");
  return h;
}

static void* t_malloc(size_t size) {
  header_t* h;
  if (should_fail())
    return NULL;
  h = malloc(sizeof(*h) + size);
  if (h == NULL)
    return NULL;
  live++;
  return wrap(h, size);
}

static void* t_calloc(size_t n, size_t size) {
  header_t* h;
  if (should_fail())
    return NULL;
  if (size != 0 && n > SIZE_MAX / size)
    return NULL;
  h = calloc(1, sizeof(*h) + n * size);
  if (h == NULL)
    return NULL;
  live++;
  return wrap(h, n * size);
}

static void t_free(void* p) {
  header_t* h;
  if (p == NULL)
    return;
  h = unwrap(p);
  h->magic = 0;
  live--;
  free(h);
}

static void* t_realloc(void* p, size_t size) {
  header_t* h;
  if (p == NULL)
    return t_malloc(size);
  if (size == 0) {
    t_free(p);
    return NULL;
  }
  if (should_fail())
    return NULL;
  h = realloc(unwrap(p), sizeof(*h) + size);
  if (h == NULL)
    return NULL;
  return wrap(h, size);
}

static void expect_ok_or_enomem(const char* what, int r) {
  if (r != 0 && r != UV_ENOMEM)
    TEST_FAIL_("%s under failing allocation (every %ld) returned %d (%s)",
               what, fail_every, r, uv_err_name(r));
}

static void expect_no_leak(const char* what, long before) {
  if (live != before)
    TEST_FAIL_("%s with failures every %ld: %ld blocks left", what,
               fail_every, live - before);
}

static char link_path[64];

static void run_all(void) {
  long before;
  int r, n;

  {
    uv_env_item_t* env;
    before = live;
    r = uv_os_environ(&env, &n);
    expect_ok_or_enomem("uv_os_environ", r);
    if (r == 0)
      uv_os_free_environ(env, n);
    expect_no_leak("uv_os_environ", before);
  }
  {
    uv_interface_address_t* ifs;
    before = live;
    r = uv_interface_addresses(&ifs, &n);
    expect_ok_or_enomem("uv_interface_addresses", r);
    if (r == 0)
      uv_free_interface_addresses(ifs, n);
    expect_no_leak("uv_interface_addresses", before);
  }
  {
    uv_cpu_info_t* cpus;
    before = live;
    r = uv_cpu_info(&cpus, &n);
    expect_ok_or_enomem("uv_cpu_info", r);
    if (r == 0)
      uv_free_cpu_info(cpus, n);
    expect_no_leak("uv_cpu_info", before);
  }
  {
    uv_passwd_t pw;
    before = live;
    r = uv_os_get_passwd(&pw);
    expect_ok_or_enomem("uv_os_get_passwd", r);
    if (r == 0)
      uv_os_free_passwd(&pw);
    expect_no_leak("uv_os_get_passwd", before);
  }
  {
    char buf[4096];
    size_t size = sizeof(buf);
    before = live;
    /* Without HOME, libuv looks the user up (and allocates). */
    r = uv_os_homedir(buf, &size);
    expect_ok_or_enomem("uv_os_homedir", r);
    expect_no_leak("uv_os_homedir", before);
  }
  {
    uv_fs_t req;
    before = live;
    r = uv_fs_readlink(NULL, &req, link_path, NULL);
    expect_ok_or_enomem("uv_fs_readlink", r);
    if (r == 0)
      ASSERT_STR_EQ((const char*) req.ptr, "/");
    uv_fs_req_cleanup(&req);
    r = uv_fs_realpath(NULL, &req, link_path, NULL);
    expect_ok_or_enomem("uv_fs_realpath", r);
    if (r == 0)
      ASSERT_STR_EQ((const char*) req.ptr, "/");
    uv_fs_req_cleanup(&req);
    expect_no_leak("uv_fs_readlink/realpath", before);
  }
  {
    uv_loop_t* l;
    before = live;
    l = uv_loop_new();
    if (l != NULL) {
      uv_getaddrinfo_t gai;
      struct addrinfo hints;
      memset(&hints, 0, sizeof(hints));
      hints.ai_family = AF_INET;
      hints.ai_socktype = SOCK_STREAM;
      r = uv_getaddrinfo(l, &gai, NULL, "127.0.0.1", "80", &hints);
      expect_ok_or_enomem("uv_getaddrinfo", r);
      if (r == 0)
        uv_freeaddrinfo(gai.addrinfo);
      uv_loop_delete(l);
    }
    expect_no_leak("uv_loop_new/uv_getaddrinfo", before);
  }
}

int main(void) {
  long k;

  ASSERT_OK(uv_replace_allocator(t_malloc, t_realloc, t_calloc, t_free));
  /* In the test's own working directory, which the runner removes. */
  snprintf(link_path, sizeof(link_path), "alloc-fail-link-%d", (int) getpid());
  ASSERT_OK(symlink("/", link_path));
  ASSERT_OK(uv_os_unsetenv("HOME"));

  /* Everything works with an allocator that never fails. */
  fail_every = 0;
  run_all();
  ASSERT_EQ(failures, 0);

  for (k = 1; k <= 7; k++) {
    fail_every = k;
    calls = 0;
    run_all();
  }
  ASSERT_GT(failures, 0);
  ASSERT_OK(unlink(link_path));
  printf("ok: %ld allocation failures injected\n", failures);
  return 0;
}
