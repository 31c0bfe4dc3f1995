/* Threads: uv_thread_create, uv_thread_create_ex (UV_THREAD_HAS_STACK_SIZE:
 * default, tiny, odd and large sizes, failure), uv_thread_join,
 * uv_thread_self, uv_thread_equal. (1.45+ thread APIs: test-thread-ext.c.) */
#define _GNU_SOURCE /* pthread_getattr_np */
#include "test.h"

#include <pthread.h>

static uv_thread_t main_thread;

struct thread_arg {
  int ran;
  uv_thread_t self;
  size_t stack_size; /* as reported by pthread_getattr_np */
  size_t touch;      /* bytes of stack to use */
};

static size_t current_stack_size(void) {
  pthread_attr_t attr;
  size_t size = 0;
  ASSERT_EQ(pthread_getattr_np(pthread_self(), &attr), 0);
  ASSERT_EQ(pthread_attr_getstacksize(&attr, &size), 0);
  pthread_attr_destroy(&attr);
  return size;
}

/* Uses `n` bytes of stack; returns something derived from it so that the
 * compiler keeps the array. */
static int __attribute__((noinline)) use_stack(size_t n) {
  volatile char* buf = __builtin_alloca(n);
  size_t i;
  int sum = 0;
  for (i = 0; i < n; i += 1024)
    buf[i] = (char) i;
  for (i = 0; i < n; i += 1024)
    sum += buf[i];
  return sum;
}

static void thread_entry(void* p) {
  struct thread_arg* a = p;
  uv_thread_t self = uv_thread_self();
  a->self = self;
  a->ran = 1;
  a->stack_size = current_stack_size();
  ASSERT(!uv_thread_equal(&self, &main_thread));
  ASSERT(uv_thread_equal(&self, &self));
  if (a->touch > 0)
    (void) use_stack(a->touch);
}

static void test_create_join(void) {
  struct thread_arg a[16];
  uv_thread_t tids[16];
  uv_thread_t self;
  int i;
  int j;

  self = uv_thread_self();
  ASSERT(uv_thread_equal(&self, &main_thread));
  ASSERT(uv_thread_equal(&main_thread, &self));

  memset(a, 0, sizeof(a));
  for (i = 0; i < 16; i++)
    ASSERT_OK(uv_thread_create(&tids[i], thread_entry, &a[i]));
  for (i = 0; i < 16; i++)
    ASSERT_OK(uv_thread_join(&tids[i]));
  for (i = 0; i < 16; i++) {
    ASSERT_EQ(a[i].ran, 1);
    /* The id filled in by create is the thread's uv_thread_self(). */
    ASSERT(uv_thread_equal(&tids[i], &a[i].self));
    for (j = 0; j < i; j++)
      ASSERT(!uv_thread_equal(&tids[i], &tids[j]));
  }
}

static void test_create_ex(void) {
  uv_thread_options_t opts;
  struct thread_arg a;
  uv_thread_t tid;
  size_t page = 4096;
  int r;

  /* No flags: stack_size is ignored. */
  memset(&a, 0, sizeof(a));
  opts.flags = UV_THREAD_NO_FLAGS;
  opts.stack_size = 1; /* ignored */
  ASSERT_OK(uv_thread_create_ex(&tid, &opts, thread_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(a.ran, 1);
  ASSERT(uv_thread_equal(&tid, &a.self));

  /* stack_size 0 with the flag behaves as if the flag was not set. */
  memset(&a, 0, sizeof(a));
  opts.flags = UV_THREAD_HAS_STACK_SIZE;
  opts.stack_size = 0;
  ASSERT_OK(uv_thread_create_ex(&tid, &opts, thread_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(a.ran, 1);

  /* A tiny size is raised to the platform minimum. */
  memset(&a, 0, sizeof(a));
  opts.stack_size = 1;
  ASSERT_OK(uv_thread_create_ex(&tid, &opts, thread_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(a.ran, 1);
  ASSERT_GE(a.stack_size, 8192);

  /* An odd size is rounded up to a page boundary. */
  memset(&a, 0, sizeof(a));
  opts.stack_size = 1024 * 1024 + 1;
  ASSERT_OK(uv_thread_create_ex(&tid, &opts, thread_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(a.ran, 1);
  ASSERT_GE(a.stack_size, 1024 * 1024 + page);

  /* A large stack can really be used. */
  memset(&a, 0, sizeof(a));
  opts.stack_size = 16 * 1024 * 1024;
  a.touch = 12 * 1024 * 1024;
  ASSERT_OK(uv_thread_create_ex(&tid, &opts, thread_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(a.ran, 1);
  ASSERT_GE(a.stack_size, 16 * 1024 * 1024);

  /* A stack larger than the address space cannot be allocated: the error
   * comes back as a UV_E* code (glibc's pthread_create reports EAGAIN;
   * other pthread implementations, e.g. valgrind's, say EINVAL/ENOMEM). */
  /* (helgrind reports every failed pthread_create as an error.) */
  if (strcmp(under_checker(), "helgrind") == 0)
    return;
  memset(&a, 0, sizeof(a));
  opts.stack_size = (size_t) 1 << 50;
  r = uv_thread_create_ex(&tid, &opts, thread_entry, &a);
  if (r != UV_EAGAIN && r != UV_EINVAL && r != UV_ENOMEM)
    TEST_FAIL_("huge stack: got %d (%s)", r, uv_err_name(r));
  ASSERT_EQ(a.ran, 0);
}

/* Threads can themselves create and join threads. */
static void nested_entry(void* p) {
  struct thread_arg inner;
  uv_thread_t tid;
  memset(&inner, 0, sizeof(inner));
  ASSERT_OK(uv_thread_create(&tid, thread_entry, &inner));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(inner.ran, 1);
  *(int*) p = 1;
}

static void test_nested(void) {
  uv_thread_t tid;
  int done = 0;
  ASSERT_OK(uv_thread_create(&tid, nested_entry, &done));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(done, 1);
}

int main(void) {
  main_thread = uv_thread_self();
  test_create_join();
  test_create_ex();
  test_nested();
  printf("test-thread: ok\n");
  return 0;
}
