/* rwlock-barrier: reader and writer threads share a counter under a read-write lock, then all meet the main thread at a barrier. */
#include <stdio.h>

#include <uv.h>

#define ROUNDS 20
#define READERS 2
#define WRITERS 2

static uv_barrier_t blocker;
static uv_rwlock_t numlock;
static int shared_num;

struct worker {
  int id;
  int last_seen;  /* readers: last value read */
  int went_back;  /* readers: saw the counter decrease (must not happen) */
  int serializer; /* uv_barrier_wait returned > 0 */
};

static void reader(void* arg) {
  struct worker* w = arg;
  int i;
  for (i = 0; i < ROUNDS; i++) {
    int n;
    uv_rwlock_rdlock(&numlock);
    n = shared_num; /* other readers may hold the lock at the same time */
    uv_rwlock_rdunlock(&numlock);
    if (n < w->last_seen)
      w->went_back = 1;
    w->last_seen = n;
    uv_sleep(1);
  }
  printf("Reader %d: done, last saw %d\n", w->id, w->last_seen);
  w->serializer = uv_barrier_wait(&blocker) > 0;
}

static void writer(void* arg) {
  struct worker* w = arg;
  int i;
  for (i = 0; i < ROUNDS; i++) {
    uv_rwlock_wrlock(&numlock); /* exclusive */
    shared_num++;
    uv_rwlock_wrunlock(&numlock);
    uv_sleep(1);
  }
  printf("Writer %d: done\n", w->id);
  w->serializer = uv_barrier_wait(&blocker) > 0;
}

int main(void) {
  uv_thread_t threads[READERS + WRITERS];
  struct worker workers[READERS + WRITERS];
  int serializers = 0;
  int ok = 1;
  int i;

  uv_barrier_init(&blocker, READERS + WRITERS + 1);
  uv_rwlock_init(&numlock);

  for (i = 0; i < READERS + WRITERS; i++) {
    workers[i].id = i < READERS ? i + 1 : i - READERS + 1;
    workers[i].last_seen = 0;
    workers[i].went_back = 0;
    workers[i].serializer = 0;
    uv_thread_create(&threads[i], i < READERS ? reader : writer, &workers[i]);
  }

  /* Everybody, the main thread included, meets here. */
  if (uv_barrier_wait(&blocker) > 0)
    serializers++;
  for (i = 0; i < READERS + WRITERS; i++) {
    uv_thread_join(&threads[i]);
    serializers += workers[i].serializer;
    if (workers[i].went_back)
      ok = 0;
  }
  uv_barrier_destroy(&blocker);
  uv_rwlock_destroy(&numlock);

  printf("Final shared num = %d (expected %d); %d thread(s) got the barrier's "
         "serializer result\n", shared_num, WRITERS * ROUNDS, serializers);
  if (shared_num != WRITERS * ROUNDS || serializers != 1)
    ok = 0;
  return ok ? 0 : 1;
}
