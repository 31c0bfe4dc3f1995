/* Synchronization primitives: uv_mutex_* (plain and recursive, trylock ->
 * UV_EBUSY), uv_rwlock_* (tryrdlock/trywrlock -> UV_EBUSY while held),
 * uv_sem_* (trywait -> UV_EAGAIN), uv_cond_* (signal, broadcast, timedwait
 * -> UV_ETIMEDOUT), uv_barrier_* (exactly one serializer per round),
 * uv_once with UV_ONCE_INIT, uv_key_* thread-local storage. */
#include "test.h"

#define SECOND ((uint64_t) 1000000000)
#define MS ((uint64_t) 1000000)

/* Runs fn(arg) on another thread and waits for it. */
static void on_other_thread(void (*fn)(void*), void* arg) {
  uv_thread_t tid;
  ASSERT_OK(uv_thread_create(&tid, fn, arg));
  ASSERT_OK(uv_thread_join(&tid));
}

/* ---- mutex ---- */

static uv_mutex_t mutex;
static int try_result;

static void trylock_mutex(void* arg) {
  (void) arg;
  try_result = uv_mutex_trylock(&mutex);
  if (try_result == 0)
    uv_mutex_unlock(&mutex);
}

struct counter_arg {
  uv_mutex_t* m;
  long* value;
};

static void add_many(void* p) {
  struct counter_arg* a = p;
  int i;
  for (i = 0; i < 100000; i++) {
    uv_mutex_lock(a->m);
    (*a->value)++;
    uv_mutex_unlock(a->m);
  }
}

static void test_mutex(void) {
  uv_thread_t tids[4];
  struct counter_arg ca;
  long value = 0;
  int i;

  ASSERT_OK(uv_mutex_init(&mutex));
  ASSERT_OK(uv_mutex_trylock(&mutex));
  /* Held: another thread cannot take it. */
  on_other_thread(trylock_mutex, NULL);
  ASSERT_ERR(try_result, UV_EBUSY);
  /* Not recursive: trying again from the owner fails too. */
  ASSERT_ERR(uv_mutex_trylock(&mutex), UV_EBUSY);
  uv_mutex_unlock(&mutex);
  on_other_thread(trylock_mutex, NULL);
  ASSERT_OK(try_result);

  uv_mutex_lock(&mutex);
  on_other_thread(trylock_mutex, NULL);
  ASSERT_ERR(try_result, UV_EBUSY);
  uv_mutex_unlock(&mutex);

  /* Mutual exclusion. */
  ca.m = &mutex;
  ca.value = &value;
  for (i = 0; i < 4; i++)
    ASSERT_OK(uv_thread_create(&tids[i], add_many, &ca));
  for (i = 0; i < 4; i++)
    ASSERT_OK(uv_thread_join(&tids[i]));
  ASSERT_EQ(value, 400000);
  uv_mutex_destroy(&mutex);

  /* Recursive: the owner can lock it again; it stays held until unlocked
   * as many times. */
  ASSERT_OK(uv_mutex_init_recursive(&mutex));
  uv_mutex_lock(&mutex);
  uv_mutex_lock(&mutex);
  ASSERT_OK(uv_mutex_trylock(&mutex));
  on_other_thread(trylock_mutex, NULL);
  ASSERT_ERR(try_result, UV_EBUSY);
  uv_mutex_unlock(&mutex);
  uv_mutex_unlock(&mutex);
  on_other_thread(trylock_mutex, NULL);
  ASSERT_ERR(try_result, UV_EBUSY);
  uv_mutex_unlock(&mutex);
  on_other_thread(trylock_mutex, NULL);
  ASSERT_OK(try_result);
  uv_mutex_destroy(&mutex);
}

/* ---- rwlock ---- */

static uv_rwlock_t rwlock;
static int try_rd;
static int try_wr;

static void try_both(void* arg) {
  (void) arg;
  try_rd = uv_rwlock_tryrdlock(&rwlock);
  if (try_rd == 0)
    uv_rwlock_rdunlock(&rwlock);
  try_wr = uv_rwlock_trywrlock(&rwlock);
  if (try_wr == 0)
    uv_rwlock_wrunlock(&rwlock);
}

struct rw_arg {
  long value;
  int readers_ok;
};

static void rw_worker(void* p) {
  struct rw_arg* a = p;
  int i;
  for (i = 0; i < 20000; i++) {
    if (i % 4 == 0) {
      uv_rwlock_wrlock(&rwlock);
      a->value += 2;
      uv_rwlock_wrunlock(&rwlock);
    } else {
      uv_rwlock_rdlock(&rwlock);
      if (a->value % 2 != 0)
        a->readers_ok = 0;
      uv_rwlock_rdunlock(&rwlock);
    }
  }
}

static void test_rwlock(void) {
  struct rw_arg a;
  uv_thread_t tids[4];
  int i;

  ASSERT_OK(uv_rwlock_init(&rwlock));

  /* Free: both succeed. */
  on_other_thread(try_both, NULL);
  ASSERT_OK(try_rd);
  ASSERT_OK(try_wr);

  /* Read-held: readers may enter, writers may not. */
  uv_rwlock_rdlock(&rwlock);
  on_other_thread(try_both, NULL);
  ASSERT_OK(try_rd);
  ASSERT_ERR(try_wr, UV_EBUSY);
  ASSERT_OK(uv_rwlock_tryrdlock(&rwlock)); /* a second read lock */
  uv_rwlock_rdunlock(&rwlock);
  uv_rwlock_rdunlock(&rwlock);

  /* Write-held: nobody else. */
  ASSERT_OK(uv_rwlock_trywrlock(&rwlock));
  on_other_thread(try_both, NULL);
  ASSERT_ERR(try_rd, UV_EBUSY);
  ASSERT_ERR(try_wr, UV_EBUSY);
  uv_rwlock_wrunlock(&rwlock);

  uv_rwlock_wrlock(&rwlock);
  on_other_thread(try_both, NULL);
  ASSERT_ERR(try_rd, UV_EBUSY);
  ASSERT_ERR(try_wr, UV_EBUSY);
  uv_rwlock_wrunlock(&rwlock);

  on_other_thread(try_both, NULL);
  ASSERT_OK(try_rd);
  ASSERT_OK(try_wr);

  /* Readers never see a half-done write. */
  a.value = 0;
  a.readers_ok = 1;
  for (i = 0; i < 4; i++)
    ASSERT_OK(uv_thread_create(&tids[i], rw_worker, &a));
  for (i = 0; i < 4; i++)
    ASSERT_OK(uv_thread_join(&tids[i]));
  ASSERT_EQ(a.value, 4 * 5000 * 2);
  ASSERT_EQ(a.readers_ok, 1);
  uv_rwlock_destroy(&rwlock);
}

/* ---- semaphores ---- */

static uv_sem_t sem;
static uv_sem_t sem_back;

static void sem_ping(void* arg) {
  int i;
  (void) arg;
  for (i = 0; i < 1000; i++) {
    uv_sem_wait(&sem);
    uv_sem_post(&sem_back);
  }
}

static void test_sem(void) {
  uv_thread_t tid;
  int i;

  ASSERT_OK(uv_sem_init(&sem, 0));
  ASSERT_ERR(uv_sem_trywait(&sem), UV_EAGAIN);
  uv_sem_post(&sem);
  ASSERT_OK(uv_sem_trywait(&sem));
  ASSERT_ERR(uv_sem_trywait(&sem), UV_EAGAIN);
  uv_sem_post(&sem);
  uv_sem_post(&sem);
  uv_sem_wait(&sem);
  uv_sem_wait(&sem);
  ASSERT_ERR(uv_sem_trywait(&sem), UV_EAGAIN);
  uv_sem_destroy(&sem);

  ASSERT_OK(uv_sem_init(&sem, 3));
  ASSERT_OK(uv_sem_trywait(&sem));
  ASSERT_OK(uv_sem_trywait(&sem));
  ASSERT_OK(uv_sem_trywait(&sem));
  ASSERT_ERR(uv_sem_trywait(&sem), UV_EAGAIN);
  uv_sem_destroy(&sem);

  /* Ping-pong between two threads: uv_sem_wait blocks until a post. */
  ASSERT_OK(uv_sem_init(&sem, 0));
  ASSERT_OK(uv_sem_init(&sem_back, 0));
  ASSERT_OK(uv_thread_create(&tid, sem_ping, NULL));
  for (i = 0; i < 1000; i++) {
    uv_sem_post(&sem);
    uv_sem_wait(&sem_back);
  }
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_ERR(uv_sem_trywait(&sem), UV_EAGAIN);
  ASSERT_ERR(uv_sem_trywait(&sem_back), UV_EAGAIN);
  uv_sem_destroy(&sem);
  uv_sem_destroy(&sem_back);
}

/* ---- condition variables ---- */

static uv_mutex_t cmtx;
static uv_cond_t cond;
static int cond_flag;
static int cond_waiters_woken;

static void cond_signaller(void* arg) {
  (void) arg;
  uv_sleep(10);
  uv_mutex_lock(&cmtx);
  cond_flag = 1;
  uv_cond_signal(&cond);
  uv_mutex_unlock(&cmtx);
}

static void cond_waiter(void* arg) {
  (void) arg;
  uv_mutex_lock(&cmtx);
  while (cond_flag == 0)
    uv_cond_wait(&cond, &cmtx);
  cond_waiters_woken++;
  uv_mutex_unlock(&cmtx);
}

static void test_cond(void) {
  uv_thread_t tid;
  uv_thread_t waiters[4];
  uint64_t start;
  uint64_t deadline;
  int r;
  int i;

  ASSERT_OK(uv_mutex_init(&cmtx));
  ASSERT_OK(uv_cond_init(&cond));

  /* Signal/broadcast with nobody waiting are no-ops. */
  uv_cond_signal(&cond);
  uv_cond_broadcast(&cond);

  /* timedwait with nobody signalling times out, after at least the
   * timeout. */
  uv_mutex_lock(&cmtx);
  start = uv_hrtime();
  r = uv_cond_timedwait(&cond, &cmtx, 50 * MS);
  while (r == 0) /* spurious wakeup: try again */
    r = uv_cond_timedwait(&cond, &cmtx, 50 * MS);
  ASSERT_ERR(r, UV_ETIMEDOUT);
  ASSERT_UGE(uv_hrtime() - start, 49 * MS);
  /* The mutex is held again after the timeout. */
  uv_mutex_unlock(&cmtx);
  ASSERT_OK(uv_mutex_trylock(&cmtx));
  /* A zero timeout times out at once. */
  ASSERT_ERR(uv_cond_timedwait(&cond, &cmtx, 0), UV_ETIMEDOUT);
  uv_mutex_unlock(&cmtx);

  /* timedwait that gets signalled returns 0. */
  cond_flag = 0;
  ASSERT_OK(uv_thread_create(&tid, cond_signaller, NULL));
  deadline = uv_hrtime() + 10 * SECOND;
  uv_mutex_lock(&cmtx);
  while (cond_flag == 0) {
    ASSERT(uv_hrtime() < deadline);
    r = uv_cond_timedwait(&cond, &cmtx, 10 * SECOND);
    ASSERT(r == 0 || r == UV_ETIMEDOUT);
  }
  uv_mutex_unlock(&cmtx);
  ASSERT_OK(uv_thread_join(&tid));

  /* uv_cond_wait + signal. */
  cond_flag = 0;
  cond_waiters_woken = 0;
  ASSERT_OK(uv_thread_create(&tid, cond_waiter, NULL));
  uv_sleep(10);
  uv_mutex_lock(&cmtx);
  cond_flag = 1;
  uv_cond_signal(&cond);
  uv_mutex_unlock(&cmtx);
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(cond_waiters_woken, 1);

  /* Broadcast wakes every waiter. */
  cond_flag = 0;
  cond_waiters_woken = 0;
  for (i = 0; i < 4; i++)
    ASSERT_OK(uv_thread_create(&waiters[i], cond_waiter, NULL));
  uv_sleep(10);
  uv_mutex_lock(&cmtx);
  cond_flag = 1;
  uv_cond_broadcast(&cond);
  uv_mutex_unlock(&cmtx);
  for (i = 0; i < 4; i++)
    ASSERT_OK(uv_thread_join(&waiters[i]));
  ASSERT_EQ(cond_waiters_woken, 4);

  uv_cond_destroy(&cond);
  uv_mutex_destroy(&cmtx);
}

/* ---- barriers ---- */

#define BARRIER_THREADS 4
#define ROUNDS 5

static uv_barrier_t barrier;
static uv_mutex_t bmtx;
static int serializers[ROUNDS];
static int arrived[ROUNDS];
static int order_ok = 1;

static void barrier_worker(void* arg) {
  int round;
  (void) arg;
  for (round = 0; round < ROUNDS; round++) {
    int r;
    uv_mutex_lock(&bmtx);
    arrived[round]++;
    uv_mutex_unlock(&bmtx);
    r = uv_barrier_wait(&barrier);
    ASSERT_GE(r, 0);
    uv_mutex_lock(&bmtx);
    /* Nobody leaves a round before everybody arrived. */
    if (arrived[round] != BARRIER_THREADS)
      order_ok = 0;
    if (r > 0)
      serializers[round]++;
    uv_mutex_unlock(&bmtx);
  }
}

static void test_barrier(void) {
  uv_thread_t tids[BARRIER_THREADS - 1];
  uv_barrier_t single;
  uv_barrier_t zero;
  int i;

  ASSERT_ERR(uv_barrier_init(&zero, 0), UV_EINVAL);

  /* A barrier for one: the only waiter is the serializer. */
  ASSERT_OK(uv_barrier_init(&single, 1));
  ASSERT_GT(uv_barrier_wait(&single), 0);
  ASSERT_GT(uv_barrier_wait(&single), 0);
  uv_barrier_destroy(&single);

  ASSERT_OK(uv_mutex_init(&bmtx));
  ASSERT_OK(uv_barrier_init(&barrier, BARRIER_THREADS));
  for (i = 0; i < BARRIER_THREADS - 1; i++)
    ASSERT_OK(uv_thread_create(&tids[i], barrier_worker, NULL));
  barrier_worker(NULL); /* the main thread is the 4th party */
  for (i = 0; i < BARRIER_THREADS - 1; i++)
    ASSERT_OK(uv_thread_join(&tids[i]));
  for (i = 0; i < ROUNDS; i++) {
    ASSERT_EQ(arrived[i], BARRIER_THREADS);
    ASSERT_EQ(serializers[i], 1); /* exactly one waiter got > 0 */
  }
  ASSERT_EQ(order_ok, 1);
  uv_barrier_destroy(&barrier);
  uv_mutex_destroy(&bmtx);
}

/* ---- once ---- */

static uv_once_t once_guard = UV_ONCE_INIT;
static uv_once_t once_guard2 = UV_ONCE_INIT;
static int once_count;
static int once_count2;
static int once_seen_wrong;

static void once_cb(void) {
  uv_sleep(20); /* make concurrent callers wait */
  __atomic_add_fetch(&once_count, 1, __ATOMIC_SEQ_CST);
}

static void once_cb2(void) {
  once_count2++;
}

static void once_worker(void* arg) {
  (void) arg;
  uv_once(&once_guard, once_cb);
  /* uv_once returns only after the callback finished. */
  if (__atomic_load_n(&once_count, __ATOMIC_SEQ_CST) != 1)
    __atomic_store_n(&once_seen_wrong, 1, __ATOMIC_SEQ_CST);
}

static void test_once(void) {
  uv_thread_t tids[8];
  int i;

  for (i = 0; i < 8; i++)
    ASSERT_OK(uv_thread_create(&tids[i], once_worker, NULL));
  for (i = 0; i < 8; i++)
    ASSERT_OK(uv_thread_join(&tids[i]));
  uv_once(&once_guard, once_cb);
  ASSERT_EQ(once_count, 1);
  ASSERT_EQ(once_seen_wrong, 0);

  /* Another guard is independent. */
  uv_once(&once_guard2, once_cb2);
  uv_once(&once_guard2, once_cb2);
  ASSERT_EQ(once_count2, 1);
  ASSERT_EQ(once_count, 1);
}

/* ---- thread-local keys ---- */

static uv_key_t key;
static uv_key_t key2;

static void key_worker(void* arg) {
  int local;
  /* A new thread starts with NULL. */
  if (uv_key_get(&key) != NULL)
    *(int*) arg = -1;
  uv_key_set(&key, &local);
  if (uv_key_get(&key) != &local)
    *(int*) arg = -2;
  if (*(int*) arg == 0)
    *(int*) arg = 1;
}

static void test_key(void) {
  int main_value;
  int other;
  int result = 0;
  uv_thread_t tid;

  ASSERT_OK(uv_key_create(&key));
  ASSERT_OK(uv_key_create(&key2));
  ASSERT_NULL(uv_key_get(&key));
  ASSERT_NULL(uv_key_get(&key2));

  uv_key_set(&key, &main_value);
  ASSERT_PTR_EQ(uv_key_get(&key), &main_value);
  ASSERT_NULL(uv_key_get(&key2)); /* keys are independent */
  uv_key_set(&key2, &other);
  ASSERT_PTR_EQ(uv_key_get(&key2), &other);

  ASSERT_OK(uv_thread_create(&tid, key_worker, &result));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(result, 1);
  /* The other thread's value did not affect ours. */
  ASSERT_PTR_EQ(uv_key_get(&key), &main_value);

  uv_key_set(&key, NULL);
  ASSERT_NULL(uv_key_get(&key));
  uv_key_delete(&key);
  uv_key_delete(&key2);

  /* Keys can be created again after delete. */
  ASSERT_OK(uv_key_create(&key));
  ASSERT_NULL(uv_key_get(&key));
  uv_key_delete(&key);
}

int main(void) {
  test_mutex();
  test_rwlock();
  test_sem();
  test_cond();
  test_barrier();
  test_once();
  test_key();
  printf("test-sync: ok\n");
  return 0;
}
