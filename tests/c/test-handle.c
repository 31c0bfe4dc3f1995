/* Base handle and request API: uv_close (deferred close_cb, NULL close_cb,
 * close order), uv_ref/uv_unref/uv_has_ref, uv_is_active, uv_is_closing,
 * uv_handle_size/uv_req_size, uv_handle_type_name/uv_req_type_name,
 * handle/request getters and setters, uv_print_all_handles and
 * uv_print_active_handles, stopping/closing a handle in its own callback. */
#include "test.h"

static int counter;
static int order[16];
static int norder;

static void record(int what) {
  ASSERT_LT(norder, 16);
  order[norder++] = what;
}

static void fail_timer_cb(uv_timer_t* t) {
  (void) t;
  TEST_FAIL_("this timer must never fire");
}

static void count_timer_cb(uv_timer_t* t) {
  (void) t;
  counter++;
}

static void fail_idle_cb(uv_idle_t* h) {
  (void) h;
  TEST_FAIL_("this idle callback must never run");
}

/* ---- uv_close ---- */

static int close_cb_called;

static void close_cb(uv_handle_t* h) {
  ASSERT_NE(uv_is_closing(h), 0);
  ASSERT_EQ(uv_is_active(h), 0);
  close_cb_called++;
}

static void test_close_deferred(void) {
  uv_loop_t loop;
  uv_timer_t t;
  uv_idle_t idle;
  uv_prepare_t prep;
  uv_check_t check;
  uv_async_t async;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_prepare_init(&loop, &prep));
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_OK(uv_async_init(&loop, &async, NULL));

  ASSERT_EQ(uv_is_closing((uv_handle_t*) &t), 0);
  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, 1, 0));

  close_cb_called = 0;
  uv_close((uv_handle_t*) &t, close_cb);
  /* Deferred: not called synchronously. */
  ASSERT_EQ(close_cb_called, 0);
  ASSERT_NE(uv_is_closing((uv_handle_t*) &t), 0);
  /* Closing stops the handle right away. */
  ASSERT_EQ(uv_is_active((uv_handle_t*) &t), 0);

  uv_close((uv_handle_t*) &idle, close_cb);
  uv_close((uv_handle_t*) &prep, close_cb);
  uv_close((uv_handle_t*) &check, close_cb);
  ASSERT_NE(uv_is_active((uv_handle_t*) &async), 0);
  uv_close((uv_handle_t*) &async, close_cb);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &async), 0);
  ASSERT_EQ(close_cb_called, 0);

  /* One iteration runs every pending close callback. */
  ASSERT_EQ(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_EQ(close_cb_called, 5);
  /* "closing or closed": still non-zero after the close callback. */
  ASSERT_NE(uv_is_closing((uv_handle_t*) &t), 0);
  ASSERT_NE(uv_is_closing((uv_handle_t*) &async), 0);
  ASSERT_OK(uv_loop_close(&loop));
}

static void test_close_null_cb(void) {
  uv_loop_t loop;
  uv_timer_t t;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, 0, 0));
  uv_close((uv_handle_t*) &t, NULL);
  ASSERT_NE(uv_is_closing((uv_handle_t*) &t), 0);
  ASSERT_NE(uv_loop_alive(&loop), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_OK(uv_loop_close(&loop));
}

/* The close callback runs in the close phase: after the check callbacks of
 * the iteration in which uv_close() was called. */
static uv_timer_t phase_timer;

static void phase_close_cb(uv_handle_t* h) {
  (void) h;
  record(3);
}

static void phase_idle_cb(uv_idle_t* h) {
  record(1);
  uv_close((uv_handle_t*) &phase_timer, phase_close_cb);
  uv_close((uv_handle_t*) h, NULL);
  ASSERT_EQ(norder, 1); /* not synchronous */
}

static void phase_check_cb(uv_check_t* h) {
  record(2);
  uv_close((uv_handle_t*) h, NULL);
}

static void test_close_phase(void) {
  uv_loop_t loop;
  uv_idle_t idle;
  uv_check_t check;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &phase_timer));
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_OK(uv_idle_start(&idle, phase_idle_cb));
  ASSERT_OK(uv_check_start(&check, phase_check_cb));
  norder = 0;
  ASSERT_EQ(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(norder, 3);
  ASSERT_EQ(order[0], 1);
  ASSERT_EQ(order[1], 2);
  ASSERT_EQ(order[2], 3);
  ASSERT_OK(uv_loop_close(&loop));
}

/* libuv keeps pending closes on a singly linked list with the most recent
 * uv_close() first (src/unix/core.c uv__make_close_pending), so within one
 * iteration close callbacks run in reverse order of the uv_close() calls. */
static void order_close_cb(uv_handle_t* h) {
  record((int) (intptr_t) h->data);
}

static void test_close_order(void) {
  uv_loop_t loop;
  uv_timer_t t[4];
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < 4; i++) {
    ASSERT_OK(uv_timer_init(&loop, &t[i]));
    t[i].data = (void*) (intptr_t) i;
  }
  for (i = 0; i < 4; i++)
    uv_close((uv_handle_t*) &t[i], order_close_cb);
  norder = 0;
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(norder, 4);
  for (i = 0; i < 4; i++)
    ASSERT_EQ(order[i], 3 - i);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- ref counting ---- */

static void test_ref(void) {
  uv_loop_t loop;
  uv_timer_t t;
  uv_timer_t unref_t;
  uv_timer_t ref_t;
  uv_idle_t idle;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_NE(uv_has_ref((uv_handle_t*) &t), 0);
  uv_unref((uv_handle_t*) &t);
  ASSERT_EQ(uv_has_ref((uv_handle_t*) &t), 0);
  uv_unref((uv_handle_t*) &t); /* idempotent */
  ASSERT_EQ(uv_has_ref((uv_handle_t*) &t), 0);
  uv_ref((uv_handle_t*) &t);
  ASSERT_NE(uv_has_ref((uv_handle_t*) &t), 0);
  uv_ref((uv_handle_t*) &t); /* idempotent: one unref undoes it */
  uv_unref((uv_handle_t*) &t);
  ASSERT_EQ(uv_has_ref((uv_handle_t*) &t), 0);

  /* An unreferenced active timer does not keep uv_run() alive. */
  ASSERT_OK(uv_timer_start(&t, fail_timer_cb, 3600 * 1000, 0));
  ASSERT_NE(uv_is_active((uv_handle_t*) &t), 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_NE(uv_is_active((uv_handle_t*) &t), 0);

  /* Unref before start works the same. */
  ASSERT_OK(uv_idle_init(&loop, &idle));
  uv_unref((uv_handle_t*) &idle);
  ASSERT_OK(uv_idle_start(&idle, fail_idle_cb));
  ASSERT_EQ(uv_has_ref((uv_handle_t*) &idle), 0);
  uv_stop(&loop); /* make sure that no iteration runs */
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_OK(uv_idle_stop(&idle));

  /* An unreferenced timer still fires while something else keeps the loop
   * running. */
  counter = 0;
  ASSERT_OK(uv_timer_init(&loop, &unref_t));
  ASSERT_OK(uv_timer_init(&loop, &ref_t));
  ASSERT_OK(uv_timer_start(&unref_t, count_timer_cb, 1, 0));
  uv_unref((uv_handle_t*) &unref_t);
  ASSERT_OK(uv_timer_start(&ref_t, count_timer_cb, 30, 0));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 2);

  /* Re-referencing an active handle makes the loop alive again. */
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  uv_ref((uv_handle_t*) &t);
  ASSERT_NE(uv_loop_alive(&loop), 0);
  ASSERT_OK(uv_timer_stop(&t));
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  ASSERT_NE(uv_has_ref((uv_handle_t*) &t), 0); /* stop keeps the ref flag */

  close_loop(&loop);
}

/* ---- uv_is_active ---- */

static void single_shot_cb(uv_timer_t* t) {
  ASSERT_EQ(uv_is_active((uv_handle_t*) t), 0);
  counter++;
}

static void repeating_cb(uv_timer_t* t) {
  ASSERT_NE(uv_is_active((uv_handle_t*) t), 0);
  counter++;
  ASSERT_OK(uv_timer_stop(t));
  ASSERT_EQ(uv_is_active((uv_handle_t*) t), 0);
}

static void noop_idle_cb(uv_idle_t* h) {
  (void) h;
}

static void test_is_active(void) {
  uv_loop_t loop;
  uv_timer_t t;
  uv_idle_t idle;
  uv_async_t async;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &t), 0);
  ASSERT_OK(uv_timer_start(&t, single_shot_cb, 0, 0));
  ASSERT_NE(uv_is_active((uv_handle_t*) &t), 0);
  counter = 0;
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 1);
  ASSERT_EQ(uv_is_active((uv_handle_t*) &t), 0);

  ASSERT_OK(uv_timer_start(&t, repeating_cb, 0, 1));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 2);

  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &idle), 0);
  ASSERT_OK(uv_idle_start(&idle, noop_idle_cb));
  ASSERT_NE(uv_is_active((uv_handle_t*) &idle), 0);
  ASSERT_OK(uv_idle_stop(&idle));
  ASSERT_EQ(uv_is_active((uv_handle_t*) &idle), 0);

  /* An async handle is active from init until closed. */
  ASSERT_OK(uv_async_init(&loop, &async, NULL));
  ASSERT_NE(uv_is_active((uv_handle_t*) &async), 0);

  close_loop(&loop);
}

/* ---- sizes and names ---- */

static void test_sizes_and_names(void) {
#define XX(uc, lc)                                                            \
  ASSERT_EQ(uv_handle_size(UV_##uc), sizeof(uv_##lc##_t));                    \
  ASSERT_STR_EQ(uv_handle_type_name(UV_##uc), #lc);
  UV_HANDLE_TYPE_MAP(XX)
#undef XX
#define XX(uc, lc)                                                            \
  ASSERT_EQ(uv_req_size(UV_##uc), sizeof(uv_##lc##_t));                       \
  ASSERT_STR_EQ(uv_req_type_name(UV_##uc), #lc);
  UV_REQ_TYPE_MAP(XX)
#undef XX

  /* A few spelled out, to catch a wrong map. */
  ASSERT_STR_EQ(uv_handle_type_name(UV_TIMER), "timer");
  ASSERT_STR_EQ(uv_handle_type_name(UV_IDLE), "idle");
  ASSERT_STR_EQ(uv_handle_type_name(UV_NAMED_PIPE), "pipe");
  ASSERT_STR_EQ(uv_handle_type_name(UV_FS_EVENT), "fs_event");
  ASSERT_STR_EQ(uv_handle_type_name(UV_SIGNAL), "signal");
  ASSERT_STR_EQ(uv_req_type_name(UV_WORK), "work");
  ASSERT_STR_EQ(uv_req_type_name(UV_UDP_SEND), "udp_send");
  ASSERT_STR_EQ(uv_req_type_name(UV_REQ), "req");
  ASSERT_EQ(uv_handle_size(UV_TIMER), sizeof(uv_timer_t));
  ASSERT_EQ(uv_handle_size(UV_HANDLE), sizeof(uv_handle_t));
  ASSERT_EQ(uv_handle_size(UV_NAMED_PIPE), sizeof(uv_pipe_t));
  ASSERT_EQ(uv_req_size(UV_WORK), sizeof(uv_work_t));
  ASSERT_EQ(uv_req_size(UV_FS), sizeof(uv_fs_t));

  /* UV_FILE has a name but is not a handle struct. */
  ASSERT_STR_EQ(uv_handle_type_name(UV_FILE), "file");
  ASSERT_EQ(uv_handle_size(UV_FILE), (size_t) -1);

  /* Invalid types. */
  ASSERT_NULL(uv_handle_type_name(UV_UNKNOWN_HANDLE));
  ASSERT_NULL(uv_handle_type_name(UV_HANDLE_TYPE_MAX));
  ASSERT_NULL(uv_handle_type_name((uv_handle_type) 1000));
  ASSERT_NULL(uv_handle_type_name((uv_handle_type) -1));
  ASSERT_EQ(uv_handle_size(UV_UNKNOWN_HANDLE), (size_t) -1);
  ASSERT_EQ(uv_handle_size(UV_HANDLE_TYPE_MAX), (size_t) -1);
  ASSERT_EQ(uv_handle_size((uv_handle_type) 1000), (size_t) -1);
  ASSERT_NULL(uv_req_type_name(UV_UNKNOWN_REQ));
  ASSERT_NULL(uv_req_type_name(UV_REQ_TYPE_MAX));
  ASSERT_NULL(uv_req_type_name((uv_req_type) 1000));
  ASSERT_EQ(uv_req_size(UV_UNKNOWN_REQ), (size_t) -1);
  ASSERT_EQ(uv_req_size(UV_REQ_TYPE_MAX), (size_t) -1);
  ASSERT_EQ(uv_req_size((uv_req_type) 1000), (size_t) -1);
}

/* ---- getters / setters ---- */

static void work_cb(uv_work_t* req) {
  (void) req;
}

static void after_work_cb(uv_work_t* req, int status) {
  ASSERT_EQ(status, 0);
  ASSERT_EQ(uv_req_get_type((uv_req_t*) req), UV_WORK);
  ASSERT_PTR_EQ(uv_req_get_data((uv_req_t*) req), &counter);
  counter++;
}

static void test_getters(void) {
  uv_loop_t loop;
  uv_timer_t t;
  uv_idle_t idle;
  uv_work_t work;
  int x;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_OK(uv_idle_init(&loop, &idle));

  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &t), UV_TIMER);
  ASSERT_EQ(t.type, UV_TIMER);
  ASSERT_EQ(uv_handle_get_type((uv_handle_t*) &idle), UV_IDLE);
  ASSERT_PTR_EQ(uv_handle_get_loop((uv_handle_t*) &t), &loop);
  ASSERT_PTR_EQ(t.loop, &loop);

  uv_handle_set_data((uv_handle_t*) &t, &x);
  ASSERT_PTR_EQ(uv_handle_get_data((uv_handle_t*) &t), &x);
  ASSERT_PTR_EQ(t.data, &x);
  t.data = NULL;
  ASSERT_NULL(uv_handle_get_data((uv_handle_t*) &t));

  /* libuv does not touch handle->data, not even when the handle runs. */
  idle.data = &x;
  ASSERT_OK(uv_idle_start(&idle, noop_idle_cb));
  ASSERT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  ASSERT_PTR_EQ(idle.data, &x);

  /* Request getters. */
  counter = 0;
  memset(&work, 0, sizeof(work));
  ASSERT_OK(uv_queue_work(&loop, &work, work_cb, after_work_cb));
  ASSERT_EQ(uv_req_get_type((uv_req_t*) &work), UV_WORK);
  ASSERT_EQ(work.type, UV_WORK);
  ASSERT_PTR_EQ(work.loop, &loop);
  uv_req_set_data((uv_req_t*) &work, &counter);
  ASSERT_PTR_EQ(work.data, &counter);
  ASSERT_OK(uv_idle_stop(&idle));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 1);
  ASSERT_PTR_EQ(uv_req_get_data((uv_req_t*) &work), &counter);

  close_loop(&loop);
}

/* ---- uv_print_all_handles / uv_print_active_handles ---- */

struct printed {
  char flags[4];
  char type[32];
  void* addr;
};

/* Parses "[RAI] type     0x1234" lines; returns the number of lines. */
static int parse_handles(FILE* f, struct printed* out, int max) {
  char line[256];
  int n = 0;

  rewind(f);
  while (fgets(line, sizeof(line), f) != NULL) {
    struct printed p;
    ASSERT_LT(n, max);
    memset(&p, 0, sizeof(p));
    if (line[0] != '[' || line[4] != ']' || line[5] != ' ')
      TEST_FAIL_("bad uv_print_*_handles line: %s", line);
    memcpy(p.flags, line + 1, 3);
    ASSERT(p.flags[0] == 'R' || p.flags[0] == '-');
    ASSERT(p.flags[1] == 'A' || p.flags[1] == '-');
    ASSERT(p.flags[2] == 'I' || p.flags[2] == '-');
    if (sscanf(line + 6, "%31s %p", p.type, &p.addr) != 2)
      TEST_FAIL_("bad uv_print_*_handles line: %s", line);
    ASSERT_NOT_NULL(p.addr);
    out[n++] = p;
  }
  return n;
}

static const struct printed* find_printed(const struct printed* p, int n,
                                          const void* addr) {
  int i;
  for (i = 0; i < n; i++)
    if (p[i].addr == addr)
      return &p[i];
  return NULL;
}

static void test_print_handles(void) {
  uv_loop_t loop;
  uv_timer_t inactive;
  uv_timer_t active;
  uv_idle_t unref_idle;
  struct printed p[32];
  const struct printed* e;
  FILE* f;
  int n;
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_timer_init(&loop, &inactive));
  ASSERT_OK(uv_timer_init(&loop, &active));
  ASSERT_OK(uv_timer_start(&active, fail_timer_cb, 3600 * 1000, 0));
  ASSERT_OK(uv_idle_init(&loop, &unref_idle));
  ASSERT_OK(uv_idle_start(&unref_idle, noop_idle_cb));
  uv_unref((uv_handle_t*) &unref_idle);

  f = tmpfile();
  ASSERT_NOT_NULL(f);
  uv_print_all_handles(&loop, f);
  fflush(f);
  n = parse_handles(f, p, 32);
  ASSERT_GE(n, 3);

  e = find_printed(p, n, &inactive);
  ASSERT_NOT_NULL(e);
  ASSERT_STR_EQ(e->flags, "R--");
  ASSERT_STR_EQ(e->type, "timer");
  e = find_printed(p, n, &active);
  ASSERT_NOT_NULL(e);
  ASSERT_STR_EQ(e->flags, "RA-");
  ASSERT_STR_EQ(e->type, "timer");
  e = find_printed(p, n, &unref_idle);
  ASSERT_NOT_NULL(e);
  ASSERT_STR_EQ(e->flags, "-A-");
  ASSERT_STR_EQ(e->type, "idle");
  /* Anything else printed is one of the loop's internal handles. */
  for (i = 0; i < n; i++) {
    if (p[i].addr == (void*) &inactive || p[i].addr == (void*) &active ||
        p[i].addr == (void*) &unref_idle)
      continue;
    ASSERT_EQ(p[i].flags[2], 'I');
  }
  fclose(f);

  /* Only active handles. */
  f = tmpfile();
  ASSERT_NOT_NULL(f);
  uv_print_active_handles(&loop, f);
  fflush(f);
  n = parse_handles(f, p, 32);
  ASSERT_GE(n, 2);
  ASSERT_NULL(find_printed(p, n, &inactive));
  ASSERT_NOT_NULL(find_printed(p, n, &active));
  ASSERT_NOT_NULL(find_printed(p, n, &unref_idle));
  for (i = 0; i < n; i++)
    ASSERT_EQ(p[i].flags[1], 'A');
  fclose(f);

  close_loop(&loop);

  /* A NULL loop means the default loop. */
  ASSERT_OK(uv_timer_init(uv_default_loop(), &active));
  f = tmpfile();
  ASSERT_NOT_NULL(f);
  uv_print_all_handles(NULL, f);
  fflush(f);
  n = parse_handles(f, p, 32);
  e = find_printed(p, n, &active);
  ASSERT_NOT_NULL(e);
  ASSERT_STR_EQ(e->type, "timer");
  fclose(f);
  close_default_loop();
}

/* ---- stopping / closing a handle inside its own callback ---- */

static void stop_self_after_3_cb(uv_timer_t* t) {
  if (++counter == 3)
    ASSERT_OK(uv_timer_stop(t));
}

static void close_self_idle_cb(uv_idle_t* h) {
  counter++;
  ASSERT_OK(uv_idle_stop(h)); /* stopping first is allowed */
  uv_close((uv_handle_t*) h, close_cb);
}

static void close_self_timer_cb(uv_timer_t* t) {
  counter++;
  uv_close((uv_handle_t*) t, close_cb);
  ASSERT_EQ(uv_is_active((uv_handle_t*) t), 0);
}

static void close_self_prepare_cb(uv_prepare_t* h) {
  counter++;
  uv_close((uv_handle_t*) h, close_cb);
}

static void stop_self_check_cb(uv_check_t* h) {
  counter++;
  ASSERT_OK(uv_check_stop(h));
}

static void test_self_stop_close(void) {
  uv_loop_t loop;
  uv_timer_t t;
  uv_timer_t t2;
  uv_idle_t idle;
  uv_prepare_t prep;
  uv_check_t check;

  ASSERT_OK(uv_loop_init(&loop));

  counter = 0;
  ASSERT_OK(uv_timer_init(&loop, &t));
  ASSERT_OK(uv_timer_start(&t, stop_self_after_3_cb, 1, 1));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 3);

  counter = 0;
  close_cb_called = 0;
  ASSERT_OK(uv_timer_init(&loop, &t2));
  ASSERT_OK(uv_timer_start(&t2, close_self_timer_cb, 1, 1)); /* repeating */
  ASSERT_OK(uv_idle_init(&loop, &idle));
  ASSERT_OK(uv_idle_start(&idle, close_self_idle_cb));
  ASSERT_OK(uv_prepare_init(&loop, &prep));
  ASSERT_OK(uv_prepare_start(&prep, close_self_prepare_cb));
  ASSERT_OK(uv_check_init(&loop, &check));
  ASSERT_OK(uv_check_start(&check, stop_self_check_cb));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(counter, 4);
  ASSERT_EQ(close_cb_called, 3);

  close_loop(&loop);
}

int main(void) {
  test_close_deferred();
  test_close_null_cb();
  test_close_phase();
  test_close_order();
  test_ref();
  test_is_active();
  test_sizes_and_names();
  test_getters();
  test_print_handles();
  test_self_stop_close();
  printf("test-handle: ok\n");
  return 0;
}
