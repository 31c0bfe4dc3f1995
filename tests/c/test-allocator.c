/* uv_replace_allocator: NULL functions are rejected with UV_EINVAL; once
 * replaced, libuv allocates with the replacement functions (e.g. in
 * uv_loop_new/uv_loop_init) and frees its memory with the replacement free
 * (every pointer handed to our free carries our header, so memory from
 * another allocator, or ours freed elsewhere, is detected or crashes). */
#include "test.h"

#define MAGIC 0x75767263u /* "uvrc" */
#define HDR 16            /* keeps 16-byte alignment */

static long n_malloc;
static long n_calloc;
static long n_realloc;
static long n_free;
static long n_outstanding;

static void bump(long* c, long d) {
  __atomic_add_fetch(c, d, __ATOMIC_SEQ_CST);
}

static long get(long* c) {
  return __atomic_load_n(c, __ATOMIC_SEQ_CST);
}

static void* wrap(char* raw, size_t size) {
  if (raw == NULL)
    return NULL;
  ((unsigned*) raw)[0] = MAGIC;
  ((size_t*) raw)[1] = size;
  bump(&n_outstanding, 1);
  return raw + HDR;
}

static char* unwrap(void* p) {
  char* raw = (char*) p - HDR;
  if (((unsigned*) raw)[0] != MAGIC) {
    fprintf(stderr, "free/realloc of a pointer not from our allocator\n");
    abort();
  }
  ((unsigned*) raw)[0] = 0;
  bump(&n_outstanding, -1);
  return raw;
}

static void* my_malloc(size_t size) {
  bump(&n_malloc, 1);
  return wrap(malloc(size + HDR), size);
}

static void* my_calloc(size_t count, size_t size) {
  bump(&n_calloc, 1);
  if (size != 0 && count > ((size_t) -1 - HDR) / size)
    return NULL;
  return wrap(calloc(1, count * size + HDR), count * size);
}

static void* my_realloc(void* ptr, size_t size) {
  char* raw;
  char* nraw;
  bump(&n_realloc, 1);
  if (ptr == NULL)
    return wrap(malloc(size + HDR), size);
  raw = unwrap(ptr);
  nraw = realloc(raw, size + HDR);
  if (nraw == NULL) {
    ((unsigned*) raw)[0] = MAGIC; /* still ours */
    bump(&n_outstanding, 1);
    return NULL;
  }
  return wrap(nraw, size);
}

static void my_free(void* ptr) {
  bump(&n_free, 1);
  if (ptr == NULL)
    return;
  free(unwrap(ptr));
}

static int timer_fired;

static void timer_cb(uv_timer_t* t) {
  (void) t;
  timer_fired++;
}

static void work_cb(uv_work_t* req) {
  (void) req;
}

static void after_cb(uv_work_t* req, int status) {
  (void) req;
  ASSERT_EQ(status, 0);
}

int main(void) {
  uv_loop_t* loop;
  uv_loop_t stack_loop;
  uv_timer_t t;
  uv_work_t w;
  long mallocs;
  long frees;

  /* The very first libuv calls: any NULL function is rejected. */
  ASSERT_ERR(uv_replace_allocator(NULL, my_realloc, my_calloc, my_free),
             UV_EINVAL);
  ASSERT_ERR(uv_replace_allocator(my_malloc, NULL, my_calloc, my_free),
             UV_EINVAL);
  ASSERT_ERR(uv_replace_allocator(my_malloc, my_realloc, NULL, my_free),
             UV_EINVAL);
  ASSERT_ERR(uv_replace_allocator(my_malloc, my_realloc, my_calloc, NULL),
             UV_EINVAL);
  ASSERT_ERR(uv_replace_allocator(NULL, NULL, NULL, NULL), UV_EINVAL);
  ASSERT_EQ(get(&n_malloc) + get(&n_calloc) + get(&n_realloc), 0);

  ASSERT_OK(uv_replace_allocator(my_malloc, my_realloc, my_calloc, my_free));

  /* uv_loop_new allocates the loop with our malloc... */
  mallocs = get(&n_malloc);
  loop = uv_loop_new();
  ASSERT_NOT_NULL(loop);
  ASSERT_GT(get(&n_malloc), mallocs);

  ASSERT_OK(uv_timer_init(loop, &t));
  ASSERT_OK(uv_timer_start(&t, timer_cb, 1, 0));
  ASSERT_OK(uv_queue_work(loop, &w, work_cb, after_cb));
  ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(timer_fired, 1);
  uv_close((uv_handle_t*) &t, NULL);
  ASSERT_EQ(uv_run(loop, UV_RUN_DEFAULT), 0);

  /* ...and uv_loop_delete frees it with our free. */
  frees = get(&n_free);
  uv_loop_delete(loop);
  ASSERT_GT(get(&n_free), frees);

  /* Loops initialized in user memory work too; whatever they allocate is
   * released by uv_loop_close. */
  ASSERT_OK(uv_loop_init(&stack_loop));
  ASSERT_OK(uv_timer_init(&stack_loop, &t));
  ASSERT_OK(uv_timer_start(&t, timer_cb, 1, 0));
  ASSERT_EQ(uv_run(&stack_loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(timer_fired, 2);
  close_loop(&stack_loop);

  ASSERT_GE(get(&n_outstanding), 0);
  printf("test-allocator: ok (malloc %ld, calloc %ld, realloc %ld, free %ld)\n",
         get(&n_malloc), get(&n_calloc), get(&n_realloc), get(&n_free));
  return 0;
}
