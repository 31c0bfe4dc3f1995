/* Cancelling fs requests and loop liveness. With every thread of the
 * thread pool (4 by default) blocked by uv_queue_work jobs, fs requests
 * queue up behind them: uv_cancel succeeds, uv_loop_close says UV_EBUSY,
 * and once the blockers are released each callback runs exactly once with
 * req->result == UV_ECANCELED and nothing was done on disk (no file, no
 * directory, no bytes written); uv_fs_scandir_next on a cancelled scandir
 * reports UV_ECANCELED. uv_cancel of a request that is running (an open of
 * a FIFO that waits for a writer) or finished (in and after its callback)
 * returns UV_EBUSY. Liveness: a pending async fs request keeps the loop
 * alive (uv_loop_alive, uv_run(UV_RUN_NOWAIT) non-zero until its callback
 * ran, UV_RUN_DEFAULT returning only after it, also for a request started
 * from a callback); a synchronous request never touches the loop. */
#include "fs-helpers.h"

#define MAX_POOL 1024 /* libuv's limit for UV_THREADPOOL_SIZE */

static uv_loop_t loop;

/* The pool size: 4 unless UV_THREADPOOL_SIZE says otherwise (the runner
 * unsets it). */
static int pool_size(void) {
  const char* v = getenv("UV_THREADPOOL_SIZE");
  int n = v ? atoi(v) : 4;
  if (n < 1)
    n = 1;
  if (n > MAX_POOL)
    n = MAX_POOL;
  return n;
}

/* ---- a gate for the blocking jobs (all waits bounded by 10 s) ---- */

static uv_mutex_t gate_mtx;
static uv_cond_t gate_cond;
static int gate_started;
static int gate_released;

static void gate_wait_started(int n) {
  uint64_t deadline = uv_hrtime() + 10 * (uint64_t) 1000000000;
  uv_mutex_lock(&gate_mtx);
  while (gate_started < n) {
    if (uv_hrtime() > deadline)
      TEST_FAIL_("only %d of %d blocking jobs started", gate_started, n);
    uv_cond_timedwait(&gate_cond, &gate_mtx, 100 * 1000000);
  }
  uv_mutex_unlock(&gate_mtx);
}

static void gate_release(void) {
  uv_mutex_lock(&gate_mtx);
  gate_released = 1;
  uv_cond_broadcast(&gate_cond);
  uv_mutex_unlock(&gate_mtx);
}

static void blocking_work_cb(uv_work_t* req) {
  uint64_t deadline = uv_hrtime() + 10 * (uint64_t) 1000000000;
  (void) req;
  uv_mutex_lock(&gate_mtx);
  gate_started++;
  uv_cond_broadcast(&gate_cond);
  while (!gate_released) {
    if (uv_hrtime() > deadline)
      TEST_FAIL_("blocking job was never released");
    uv_cond_timedwait(&gate_cond, &gate_mtx, 100 * 1000000);
  }
  uv_mutex_unlock(&gate_mtx);
}

static int blockers_done;

static void blocker_after_cb(uv_work_t* req, int status) {
  (void) req;
  ASSERT_EQ(status, 0);
  blockers_done++;
}

/* ---- cancelling queued requests ---- */

enum { V_OPEN, V_MKDIR, V_STAT, V_SCANDIR, V_MKDTEMP, V_WRITE, V_READ,
       V_COPY, V_RENAME, V_UNLINK, NVICTIMS };

static uv_fs_t victims[NVICTIMS];
static int victim_calls[NVICTIMS];

static void victim_cb(uv_fs_t* req) {
  int i = (int) (req - victims);
  uv_dirent_t ent;
  ASSERT_GE(i, 0);
  ASSERT_LT(i, NVICTIMS);
  victim_calls[i]++;
  ASSERT_EQ(req->result, UV_ECANCELED);
  ASSERT_EQ(uv_fs_get_result(req), UV_ECANCELED);
  if (i == V_SCANDIR) {
    ASSERT_EQ(req->fs_type, UV_FS_SCANDIR);
    ASSERT_ERR(uv_fs_scandir_next(req, &ent), UV_ECANCELED);
  }
  if (i == V_OPEN)
    ASSERT_EQ(req->fs_type, UV_FS_OPEN);
  if (i == V_MKDTEMP)
    ASSERT_EQ(req->fs_type, UV_FS_MKDTEMP);
  uv_fs_req_cleanup(req);
}

static void test_cancel_queued(void) {
  static uv_work_t blockers[MAX_POOL];
  int pool = pool_size();
  char data[] = "must not be written";
  char rbuf[8];
  uv_buf_t wb = uv_buf_init(data, sizeof(data) - 1);
  uv_buf_t rb = uv_buf_init(rbuf, sizeof(rbuf));
  int fd;
  int i;

  put_file(tpath("exists"), "old");
  fd = open(tpath("exists"), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);

  ASSERT_OK(uv_mutex_init(&gate_mtx));
  ASSERT_OK(uv_cond_init(&gate_cond));
  for (i = 0; i < pool; i++)
    ASSERT_OK(uv_queue_work(&loop, &blockers[i], blocking_work_cb,
                            blocker_after_cb));
  gate_wait_started(pool);

  ASSERT_OK(uv_fs_open(&loop, &victims[V_OPEN], tpath("new-file"),
                       UV_FS_O_WRONLY | UV_FS_O_CREAT, 0644, victim_cb));
  ASSERT_OK(uv_fs_mkdir(&loop, &victims[V_MKDIR], tpath("new-dir"), 0755,
                        victim_cb));
  ASSERT_OK(uv_fs_stat(&loop, &victims[V_STAT], tpath("exists"), victim_cb));
  ASSERT_OK(uv_fs_scandir(&loop, &victims[V_SCANDIR], fs_root, 0,
                          victim_cb));
  ASSERT_OK(uv_fs_mkdtemp(&loop, &victims[V_MKDTEMP], tpath("tmpXXXXXX"),
                          victim_cb));
  ASSERT_OK(uv_fs_write(&loop, &victims[V_WRITE], fd, &wb, 1, 0, victim_cb));
  ASSERT_OK(uv_fs_read(&loop, &victims[V_READ], fd, &rb, 1, 0, victim_cb));
  ASSERT_OK(uv_fs_copyfile(&loop, &victims[V_COPY], tpath("exists"),
                           tpath("copy"), 0, victim_cb));
  ASSERT_OK(uv_fs_rename(&loop, &victims[V_RENAME], tpath("exists"),
                         tpath("renamed"), victim_cb));
  ASSERT_OK(uv_fs_unlink(&loop, &victims[V_UNLINK], tpath("exists"),
                         victim_cb));

  for (i = 0; i < NVICTIMS; i++)
    ASSERT_OK(uv_cancel((uv_req_t*) &victims[i]));
  for (i = 0; i < NVICTIMS; i++)
    ASSERT_EQ(victim_calls[i], 0); /* reported later, from the loop */

  /* Running work is not cancellable; the loop is busy. */
  for (i = 0; i < pool; i++)
    ASSERT_ERR(uv_cancel((uv_req_t*) &blockers[i]), UV_EBUSY);
  ASSERT_NE(uv_loop_alive(&loop), 0);
  ASSERT_ERR(uv_loop_close(&loop), UV_EBUSY);

  gate_release();
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(blockers_done, pool);
  for (i = 0; i < NVICTIMS; i++)
    ASSERT_EQ(victim_calls[i], 1);

  /* Nothing happened on disk. */
  ASSERT(!path_exists(tpath("new-file")));
  ASSERT(!path_exists(tpath("new-dir")));
  ASSERT(!path_exists(tpath("copy")));
  ASSERT(!path_exists(tpath("renamed")));
  ASSERT_FILE_IS(tpath("exists"), "old");
  {
    uv_fs_t req;
    uv_dirent_t ent;
    ASSERT_EQ(uv_fs_scandir(&loop, &req, fs_root, 0, NULL), 1);
    ASSERT_OK(uv_fs_scandir_next(&req, &ent));
    ASSERT_STR_EQ(ent.name, "exists"); /* and no tmpXXXXXX directory */
    uv_fs_req_cleanup(&req);
  }
  ASSERT_EQ(close(fd), 0);

  uv_cond_destroy(&gate_cond);
  uv_mutex_destroy(&gate_mtx);
}

/* ---- running and finished requests cannot be cancelled ---- */

static int fifo_open_calls;
static int fifo_fd = -1;

static void fifo_open_cb(uv_fs_t* req) {
  fifo_open_calls++;
  ASSERT_GE(req->result, 0); /* it ran to completion */
  fifo_fd = (int) req->result;
  ASSERT_ERR(uv_cancel((uv_req_t*) req), UV_EBUSY);
  uv_fs_req_cleanup(req);
}

static void test_cancel_running(void) {
  const char* fifo = tpath("fifo");
  uint64_t deadline = uv_hrtime() + 10 * (uint64_t) 1000000000;
  uv_fs_t req;
  int w;

  ASSERT_EQ(mkfifo(fifo, 0600), 0);
  /* Opening a FIFO for reading waits in the pool until there is a writer. */
  ASSERT_OK(uv_fs_open(&loop, &req, fifo, UV_FS_O_RDONLY, 0, fifo_open_cb));
  /* A non-blocking writer can only open once the reader is inside open(2),
   * i.e. once the request is running. */
  while ((w = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
    ASSERT_EQ(errno, ENXIO);
    if (uv_hrtime() > deadline)
      TEST_FAIL_("the FIFO open never started");
    uv_sleep(1);
  }
  ASSERT_ERR(uv_cancel((uv_req_t*) &req), UV_EBUSY);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(fifo_open_calls, 1);
  ASSERT_ERR(uv_cancel((uv_req_t*) &req), UV_EBUSY); /* finished */
  ASSERT_EQ(close(w), 0);
  ASSERT_EQ(close(fifo_fd), 0);
  ASSERT_EQ(unlink(fifo), 0);
}

/* ---- liveness ---- */

static int live_calls;

static void live_cb(uv_fs_t* req) {
  live_calls++;
  ASSERT_EQ(req->result, 0);
  uv_fs_req_cleanup(req);
}

static void chain_cb(uv_fs_t* req) {
  live_calls++;
  ASSERT_EQ(req->result, 0);
  uv_fs_req_cleanup(req);
  if (live_calls < 3)
    ASSERT_OK(uv_fs_stat(req->loop, req, fs_root, chain_cb));
}

static void test_liveness(void) {
  uv_fs_t req;
  int r;
  int spins = 0;

  /* A synchronous request does not involve the loop. */
  ASSERT_OK(uv_fs_stat(&loop, &req, fs_root, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(uv_loop_alive(&loop), 0);

  /* UV_RUN_DEFAULT returns after the callback, and only then. */
  live_calls = 0;
  ASSERT_OK(uv_fs_stat(&loop, &req, fs_root, live_cb));
  ASSERT_NE(uv_loop_alive(&loop), 0);
  ASSERT_EQ(live_calls, 0);
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(live_calls, 1);
  ASSERT_EQ(uv_loop_alive(&loop), 0);

  /* UV_RUN_NOWAIT: non-zero exactly while the request is pending. */
  live_calls = 0;
  ASSERT_OK(uv_fs_stat(&loop, &req, fs_root, live_cb));
  for (;;) {
    r = uv_run(&loop, UV_RUN_NOWAIT);
    if (live_calls == 1)
      break;
    ASSERT_NE(r, 0);
    ASSERT_NE(uv_loop_alive(&loop), 0);
    ASSERT_LT(++spins, 10000000);
  }
  ASSERT_EQ(r, 0);
  ASSERT_EQ(uv_loop_alive(&loop), 0);

  /* UV_RUN_ONCE blocks until the completion is there. */
  live_calls = 0;
  ASSERT_OK(uv_fs_stat(&loop, &req, fs_root, live_cb));
  while (live_calls == 0)
    ASSERT_GE(uv_run(&loop, UV_RUN_ONCE), 0);
  ASSERT_EQ(uv_loop_alive(&loop), 0);

  /* Requests started from callbacks keep it going. */
  live_calls = 0;
  ASSERT_OK(uv_fs_stat(&loop, &req, fs_root, chain_cb));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(live_calls, 3);
  ASSERT_EQ(uv_loop_alive(&loop), 0);
}

int main(void) {
  fs_tmp_init("fs-cancel");
  ASSERT_OK(uv_loop_init(&loop));
  test_cancel_queued();
  test_cancel_running();
  test_liveness();
  close_loop(&loop);
  fs_tmp_cleanup();
  return 0;
}
