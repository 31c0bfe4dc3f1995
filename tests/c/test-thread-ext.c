/* rsuv: ours-only: uv_thread_setaffinity/getaffinity/getcpu and uv_cpumask_size are 1.45+, uv_thread_set/getpriority 1.48+, uv_thread_detach/setname/getname and the pool thread name 1.50+ */
/* Thread APIs newer than libuv 1.44: uv_thread_detach, uv_cpumask_size,
 * uv_thread_setaffinity/getaffinity, uv_thread_getcpu,
 * uv_thread_setpriority/getpriority, uv_thread_setname/getname, and the
 * "libuv-worker" name of thread pool threads. */
#define _GNU_SOURCE
#include "test.h"

#include <errno.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- detach ---- */

static uv_sem_t go;
static uv_sem_t done;

static void detached_entry(void* arg) {
  (void) arg;
  uv_sem_wait(&go);
  uv_sem_post(&done);
}

static void test_detach(void) {
  uv_thread_t tid;
  ASSERT_OK(uv_sem_init(&go, 0));
  ASSERT_OK(uv_sem_init(&done, 0));
  ASSERT_OK(uv_thread_create(&tid, detached_entry, NULL));
  ASSERT_OK(uv_thread_detach(&tid));
  uv_sem_post(&go);
  uv_sem_wait(&done); /* it still runs to completion */
  uv_sem_destroy(&go);
  uv_sem_destroy(&done);
}

/* ---- affinity ---- */

static int cpumask_size;

struct affinity_result {
  int first_cpu;
  int set_rc;
  int get_rc;
  int getcpu;
  int old_matches;
  int new_matches;
  int empty_rc;
  int small_rc;
};

static void affinity_entry(void* p) {
  struct affinity_result* r = p;
  uv_thread_t self = uv_thread_self();
  char* mask = calloc(1, (size_t) cpumask_size);
  char* old = calloc(1, (size_t) cpumask_size);
  char* now = calloc(1, (size_t) cpumask_size);
  cpu_set_t sys;
  int i;

  ASSERT_NOT_NULL(mask);
  ASSERT_NOT_NULL(old);
  ASSERT_NOT_NULL(now);
  CPU_ZERO(&sys);
  ASSERT_EQ(sched_getaffinity(0, sizeof(sys), &sys), 0);
  r->first_cpu = -1;
  for (i = 0; i < cpumask_size && i < CPU_SETSIZE; i++)
    if (CPU_ISSET(i, &sys)) {
      r->first_cpu = i;
      break;
    }

  /* Pin ourselves to the first allowed CPU, getting the old mask back. */
  mask[r->first_cpu] = 1;
  r->set_rc = uv_thread_setaffinity(&self, mask, old, (size_t) cpumask_size);
  r->old_matches = 1;
  for (i = 0; i < cpumask_size && i < CPU_SETSIZE; i++)
    if ((old[i] != 0) != (CPU_ISSET(i, &sys) != 0))
      r->old_matches = 0;
  r->get_rc = uv_thread_getaffinity(&self, now, (size_t) cpumask_size);
  r->new_matches = 1;
  for (i = 0; i < cpumask_size; i++)
    if (now[i] != (i == r->first_cpu))
      r->new_matches = 0;
  r->getcpu = uv_thread_getcpu();

  /* An empty mask and too small a buffer are rejected. */
  memset(mask, 0, (size_t) cpumask_size);
  r->empty_rc = uv_thread_setaffinity(&self, mask, NULL,
                                      (size_t) cpumask_size);
  r->small_rc = uv_thread_getaffinity(&self, now, (size_t) cpumask_size - 1);

  free(mask);
  free(old);
  free(now);
}

static void test_affinity(void) {
  struct affinity_result r;
  uv_thread_t tid;
  uv_thread_t self = uv_thread_self();
  char* mask;
  cpu_set_t sys;
  int i;
  int cpu;

  cpumask_size = uv_cpumask_size();
  ASSERT_EQ(cpumask_size, CPU_SETSIZE);

  /* Our own mask agrees with the kernel's. */
  mask = calloc(1, (size_t) cpumask_size);
  ASSERT_NOT_NULL(mask);
  ASSERT_OK(uv_thread_getaffinity(&self, mask, (size_t) cpumask_size));
  CPU_ZERO(&sys);
  ASSERT_EQ(sched_getaffinity(0, sizeof(sys), &sys), 0);
  for (i = 0; i < cpumask_size; i++)
    ASSERT_EQ(mask[i] != 0, CPU_ISSET(i, &sys) != 0);
  ASSERT_ERR(uv_thread_getaffinity(&self, mask, 1), UV_EINVAL);
  ASSERT_ERR(uv_thread_setaffinity(&self, mask, NULL, 1), UV_EINVAL);
  free(mask);

  cpu = uv_thread_getcpu();
  ASSERT_GE(cpu, 0);
  ASSERT_LT(cpu, cpumask_size);

  memset(&r, 0, sizeof(r));
  ASSERT_OK(uv_thread_create(&tid, affinity_entry, &r));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_GE(r.first_cpu, 0);
  ASSERT_OK(r.set_rc);
  ASSERT_EQ(r.old_matches, 1);
  ASSERT_OK(r.get_rc);
  ASSERT_EQ(r.new_matches, 1);
  ASSERT_EQ(r.getcpu, r.first_cpu); /* pinned */
  ASSERT_ERR(r.empty_rc, UV_EINVAL);
  ASSERT_ERR(r.small_rc, UV_EINVAL);
}

/* ---- priority ---- */

struct prio_result {
  int initial_nice;
  int get_rc;
  int get_value;
  int set_lowest_rc;
  int after_lowest;
  int set_highest_rc;
  int bad_rc1;
  int bad_rc2;
  int null_rc;
};

static void prio_entry(void* p) {
  struct prio_result* r = p;
  uv_thread_t self = uv_thread_self();
  errno = 0;
  r->initial_nice = getpriority(PRIO_PROCESS, (id_t) syscall(SYS_gettid));
  r->get_rc = uv_thread_getpriority(self, &r->get_value);
  /* SCHED_OTHER on Linux: the priority is the thread's nice value, set to
   * -2 * priority. Raising the nice value is always allowed. */
  r->set_lowest_rc = uv_thread_setpriority(self, UV_THREAD_PRIORITY_LOWEST);
  ASSERT_OK(uv_thread_getpriority(self, &r->after_lowest));
  r->bad_rc1 = uv_thread_setpriority(self, UV_THREAD_PRIORITY_HIGHEST + 1);
  r->bad_rc2 = uv_thread_setpriority(self, UV_THREAD_PRIORITY_LOWEST - 1);
  r->null_rc = uv_thread_getpriority(self, NULL);
  /* Lowering the nice value needs privileges. */
  r->set_highest_rc = uv_thread_setpriority(self, UV_THREAD_PRIORITY_HIGHEST);
}

static void test_priority(void) {
  struct prio_result r;
  uv_thread_t tid;
  int prio = 12345;

  ASSERT_EQ(UV_THREAD_PRIORITY_HIGHEST, 2);
  ASSERT_EQ(UV_THREAD_PRIORITY_ABOVE_NORMAL, 1);
  ASSERT_EQ(UV_THREAD_PRIORITY_NORMAL, 0);
  ASSERT_EQ(UV_THREAD_PRIORITY_BELOW_NORMAL, -1);
  ASSERT_EQ(UV_THREAD_PRIORITY_LOWEST, -2);

  memset(&r, 0, sizeof(r));
  ASSERT_OK(uv_thread_create(&tid, prio_entry, &r));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_OK(r.get_rc);
  ASSERT_EQ(r.get_value, r.initial_nice);
  if (r.initial_nice <= 4) {
    ASSERT_OK(r.set_lowest_rc);
    ASSERT_EQ(r.after_lowest, 4);
  }
  ASSERT_ERR(r.bad_rc1, UV_EINVAL);
  ASSERT_ERR(r.bad_rc2, UV_EINVAL);
  ASSERT_ERR(r.null_rc, UV_EINVAL);
  ASSERT(r.set_highest_rc == 0 || r.set_highest_rc == UV_EACCES ||
         r.set_highest_rc == UV_EPERM);

  /* Another (SCHED_OTHER) thread: its static priority is 0, nothing to
   * change. */
  ASSERT_OK(uv_sem_init(&go, 0));
  ASSERT_OK(uv_sem_init(&done, 0));
  ASSERT_OK(uv_thread_create(&tid, detached_entry, NULL));
  ASSERT_OK(uv_thread_getpriority(tid, &prio));
  ASSERT_EQ(prio, 0);
  ASSERT_OK(uv_thread_setpriority(tid, UV_THREAD_PRIORITY_BELOW_NORMAL));
  ASSERT_ERR(uv_thread_setpriority(tid, 7), UV_EINVAL);
  uv_sem_post(&go);
  uv_sem_wait(&done);
  ASSERT_OK(uv_thread_join(&tid));
  uv_sem_destroy(&go);
  uv_sem_destroy(&done);
}

/* ---- names ---- */

static uv_sem_t named;
static uv_sem_t may_exit;

static void naming_entry(void* arg) {
  (void) arg;
  ASSERT_OK(uv_thread_setname("rsuv-other"));
  uv_sem_post(&named);
  uv_sem_wait(&may_exit);
}

static void test_names(void) {
  uv_thread_t self = uv_thread_self();
  uv_thread_t tid;
  char buf[64];
  char small[5];

  ASSERT_ERR(uv_thread_setname(NULL), UV_EINVAL);
  ASSERT_OK(uv_thread_setname("rsuv-test"));
  ASSERT_OK(uv_thread_getname(&self, buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, "rsuv-test");

  /* Linux limits names to 15 characters: longer ones are truncated. */
  ASSERT_OK(uv_thread_setname("abcdefghijklmnopqrstuvwxyz"));
  ASSERT_OK(uv_thread_getname(&self, buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, "abcdefghijklmno");

  /* A small buffer gets a truncated, terminated name. */
  memset(small, 'x', sizeof(small));
  ASSERT_OK(uv_thread_getname(&self, small, sizeof(small)));
  ASSERT_STR_EQ(small, "abcd");
  ASSERT_ERR(uv_thread_getname(&self, small, 0), UV_EINVAL);
  ASSERT_ERR(uv_thread_getname(&self, NULL, 16), UV_EINVAL);

  ASSERT_OK(uv_thread_setname(""));
  ASSERT_OK(uv_thread_getname(&self, buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, "");

  /* Another thread's name. */
  ASSERT_OK(uv_sem_init(&named, 0));
  ASSERT_OK(uv_sem_init(&may_exit, 0));
  ASSERT_OK(uv_thread_create(&tid, naming_entry, NULL));
  uv_sem_wait(&named);
  ASSERT_OK(uv_thread_getname(&tid, buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, "rsuv-other");
  uv_sem_post(&may_exit);
  ASSERT_OK(uv_thread_join(&tid));
  uv_sem_destroy(&named);
  uv_sem_destroy(&may_exit);
  ASSERT_OK(uv_thread_setname("test-thread-ext"));
}

/* ---- pool threads are named "libuv-worker" (1.50) ---- */

static char worker_name[64];

static void name_work_cb(uv_work_t* req) {
  uv_thread_t self = uv_thread_self();
  (void) req;
  ASSERT_OK(uv_thread_getname(&self, worker_name, sizeof(worker_name)));
}

static void name_after_cb(uv_work_t* req, int status) {
  (void) req;
  ASSERT_EQ(status, 0);
}

static void test_worker_name(void) {
  uv_loop_t loop;
  uv_work_t req;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_queue_work(&loop, &req, name_work_cb, name_after_cb));
  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_STR_EQ(worker_name, "libuv-worker");
  close_loop(&loop);
}

int main(void) {
  test_detach();
  test_affinity();
  test_priority();
  test_names();
  test_worker_name();
  printf("test-thread-ext: ok\n");
  return 0;
}
