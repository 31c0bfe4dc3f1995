/* DNS: uv_getaddrinfo / uv_freeaddrinfo and uv_getnameinfo, asynchronous
 * (thread pool, callback on the loop thread, the request counts as active)
 * and synchronous (NULL callback: the result is returned and stored in the
 * request), argument copies (the caller's strings and hints may go away
 * after the call), UV_EINVAL for bad arguments, UV_EAI_* codes for resolver
 * errors, and uv_cancel of queued requests (UV_EAI_CANCELED, no result).
 *
 * The machine running the tests may have no network: only "localhost",
 * numeric addresses and names that fail at once are resolved. */
#include "test.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

static uv_thread_t loop_thread;

static int is_loopback(const struct sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in* in4 = (const struct sockaddr_in*) sa;
    return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6* in6 = (const struct sockaddr_in6*) sa;
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
  }
  return 0;
}

/* Every entry of a result for "localhost" is a loopback address. */
static void check_localhost(const struct addrinfo* res, int port) {
  const struct addrinfo* ai;
  int n = 0;
  ASSERT_NOT_NULL(res);
  for (ai = res; ai != NULL; ai = ai->ai_next) {
    ASSERT_NOT_NULL(ai->ai_addr);
    ASSERT(is_loopback(ai->ai_addr));
    if (port >= 0) {
      if (ai->ai_family == AF_INET)
        ASSERT_EQ(ntohs(((struct sockaddr_in*) ai->ai_addr)->sin_port), port);
      else
        ASSERT_EQ(ntohs(((struct sockaddr_in6*) ai->ai_addr)->sin6_port),
                  port);
    }
    n++;
  }
  ASSERT_GE(n, 1);
}

static int is_lookup_failure(int status) {
  return status == UV_EAI_NONAME || status == UV_EAI_AGAIN ||
         status == UV_EAI_FAIL || status == UV_EAI_NODATA;
}

/* ---- getaddrinfo, asynchronous ---- */

static int gai_calls;
static int gai_status;
static struct addrinfo* gai_res;
static uv_getaddrinfo_t* gai_req;

static void gai_cb(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  uv_thread_t self = uv_thread_self();
  ASSERT(uv_thread_equal(&self, &loop_thread));
  ASSERT_PTR_EQ(req, gai_req);
  ASSERT_EQ(uv_req_get_type((uv_req_t*) req), UV_GETADDRINFO);
  gai_calls++;
  gai_status = status;
  gai_res = res;
  if (status == 0)
    ASSERT_PTR_EQ(req->addrinfo, res);
  else
    ASSERT_NULL(res);
}

static void reset_gai(uv_getaddrinfo_t* req) {
  gai_calls = 0;
  gai_status = 1;
  gai_res = NULL;
  gai_req = req;
}

static void test_getaddrinfo_async(void) {
  uv_loop_t loop;
  uv_getaddrinfo_t req;
  struct addrinfo hints;
  char name[32];
  char service[8];

  ASSERT_OK(uv_loop_init(&loop));

  reset_gai(&req);
  ASSERT_OK(uv_getaddrinfo(&loop, &req, gai_cb, "localhost", NULL, NULL));
  ASSERT_PTR_EQ(req.loop, &loop);
  ASSERT_EQ(req.type, UV_GETADDRINFO);
  ASSERT_EQ(uv_loop_alive(&loop), 1);
  ASSERT_EQ(gai_calls, 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(gai_calls, 1);
  ASSERT_OK(gai_status);
  check_localhost(gai_res, -1);
  uv_freeaddrinfo(gai_res);
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  /* A finished request can no longer be cancelled. */
  ASSERT_ERR(uv_cancel((uv_req_t*) &req), UV_EBUSY);

  /* Node, service and hints are copied: scribble over them after the call. */
  strcpy(name, "localhost");
  strcpy(service, "8080");
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  reset_gai(&req);
  ASSERT_OK(uv_getaddrinfo(&loop, &req, gai_cb, name, service, &hints));
  memset(name, 'x', sizeof(name) - 1);
  memset(service, 'y', sizeof(service) - 1);
  memset(&hints, 0xff, sizeof(hints));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(gai_calls, 1);
  ASSERT_OK(gai_status);
  check_localhost(gai_res, 8080);
  ASSERT_EQ(gai_res->ai_family, AF_INET);
  ASSERT_EQ(gai_res->ai_socktype, SOCK_STREAM);
  ASSERT_NULL(gai_res->ai_next);
  uv_freeaddrinfo(gai_res);

  /* Numeric IPv6 and IPv4. */
  memset(&hints, 0, sizeof(hints));
  hints.ai_flags = AI_NUMERICHOST;
  hints.ai_family = AF_INET6;
  hints.ai_socktype = SOCK_DGRAM;
  reset_gai(&req);
  ASSERT_OK(uv_getaddrinfo(&loop, &req, gai_cb, "::1", "53", &hints));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(gai_status);
  check_localhost(gai_res, 53);
  ASSERT_EQ(gai_res->ai_family, AF_INET6);
  uv_freeaddrinfo(gai_res);

  hints.ai_family = AF_UNSPEC;
  reset_gai(&req);
  ASSERT_OK(uv_getaddrinfo(&loop, &req, gai_cb, "127.0.0.1", NULL, &hints));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(gai_status);
  check_localhost(gai_res, -1);
  ASSERT_EQ(gai_res->ai_family, AF_INET);
  uv_freeaddrinfo(gai_res);

  /* A service alone. */
  memset(&hints, 0, sizeof(hints));
  hints.ai_flags = AI_PASSIVE;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  reset_gai(&req);
  ASSERT_OK(uv_getaddrinfo(&loop, &req, gai_cb, NULL, "4242", &hints));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(gai_status);
  ASSERT_NOT_NULL(gai_res);
  ASSERT_EQ(ntohs(((struct sockaddr_in*) gai_res->ai_addr)->sin_port), 4242);
  uv_freeaddrinfo(gai_res);

  /* A name that does not resolve. */
  reset_gai(&req);
  ASSERT_OK(uv_getaddrinfo(&loop, &req, gai_cb, "nonexistent.invalid", NULL,
                           NULL));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(gai_calls, 1);
  if (!is_lookup_failure(gai_status))
    TEST_FAIL_("nonexistent.invalid: status %d (%s)", gai_status,
               uv_err_name(gai_status));
  ASSERT_NULL(gai_res);

  /* Bad hints: the resolver's EAI_FAMILY / EAI_BADFLAGS come back as
   * UV_EAI_FAMILY / UV_EAI_BADFLAGS. */
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = 12345;
  reset_gai(&req);
  ASSERT_OK(uv_getaddrinfo(&loop, &req, gai_cb, "localhost", NULL, &hints));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(gai_status, UV_EAI_FAMILY);
  ASSERT_NULL(gai_res);
  memset(&hints, 0, sizeof(hints));
  hints.ai_flags = 0x7fff0000;
  reset_gai(&req);
  ASSERT_OK(uv_getaddrinfo(&loop, &req, gai_cb, "localhost", NULL, &hints));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(gai_status, UV_EAI_BADFLAGS);

  close_loop(&loop);
}

/* ---- getaddrinfo, synchronous ---- */

static void never_called_gai_cb(uv_getaddrinfo_t* req, int status,
                                struct addrinfo* res) {
  (void) req;
  (void) status;
  (void) res;
  TEST_FAIL_("getaddrinfo callback called");
}

static void test_getaddrinfo_sync(void) {
  uv_loop_t* loop = uv_default_loop();
  uv_getaddrinfo_t req;
  struct addrinfo hints;
  char long_name[300];
  int r;

  memset(&req, 0, sizeof(req));
  ASSERT_OK(uv_getaddrinfo(loop, &req, NULL, "localhost", NULL, NULL));
  ASSERT_EQ(req.type, UV_GETADDRINFO);
  ASSERT_PTR_EQ(req.loop, loop);
  check_localhost(req.addrinfo, -1);
  uv_freeaddrinfo(req.addrinfo);
  ASSERT_EQ(uv_loop_alive(loop), 0);

  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  ASSERT_OK(uv_getaddrinfo(loop, &req, NULL, "127.0.0.1", "80", &hints));
  check_localhost(req.addrinfo, 80);
  uv_freeaddrinfo(req.addrinfo);

  r = uv_getaddrinfo(loop, &req, NULL, "nonexistent.invalid", NULL, NULL);
  if (!is_lookup_failure(r))
    TEST_FAIL_("nonexistent.invalid: %d (%s)", r, uv_err_name(r));
  ASSERT_NULL(req.addrinfo);

  /* Neither node nor service. */
  ASSERT_ERR(uv_getaddrinfo(loop, &req, NULL, NULL, NULL, NULL), UV_EINVAL);
  ASSERT_ERR(uv_getaddrinfo(loop, &req, never_called_gai_cb, NULL, NULL, NULL),
             UV_EINVAL);
  ASSERT_ERR(uv_getaddrinfo(loop, NULL, never_called_gai_cb, "localhost", NULL,
                            NULL),
             UV_EINVAL);

  /* Host names go through IDNA conversion first: an empty name, one that is
   * not UTF-8 and one longer than 255 bytes are refused up front. */
  ASSERT_ERR(uv_getaddrinfo(loop, &req, never_called_gai_cb, "", NULL, NULL),
             UV_EINVAL);
  ASSERT_ERR(uv_getaddrinfo(loop, &req, never_called_gai_cb, "a\xff.invalid",
                            NULL, NULL),
             UV_EINVAL);
  memset(long_name, 'a', sizeof(long_name) - 1);
  long_name[sizeof(long_name) - 1] = '\0';
  ASSERT_ERR(uv_getaddrinfo(loop, &req, never_called_gai_cb, long_name, NULL,
                            NULL),
             UV_EINVAL);
  ASSERT_EQ(uv_loop_alive(loop), 0);

  /* A non-ASCII name is converted (to xn--bcher-kva.invalid) and then fails
   * like any unknown name. */
  r = uv_getaddrinfo(loop, &req, NULL, "b\xc3\xbc" "cher.invalid", NULL,
                     NULL);
  if (!is_lookup_failure(r))
    TEST_FAIL_("bücher.invalid: %d (%s)", r, uv_err_name(r));

  uv_freeaddrinfo(NULL);
  close_default_loop();
}

/* ---- getnameinfo ---- */

static int gni_calls;
static int gni_status;
static char gni_host[NI_MAXHOST];
static char gni_service[NI_MAXSERV];

static void gni_cb(uv_getnameinfo_t* req, int status, const char* host,
                   const char* service) {
  uv_thread_t self = uv_thread_self();
  ASSERT(uv_thread_equal(&self, &loop_thread));
  ASSERT_EQ(uv_req_get_type((uv_req_t*) req), UV_GETNAMEINFO);
  gni_calls++;
  gni_status = status;
  if (status == 0) {
    ASSERT_PTR_EQ(host, req->host);
    ASSERT_PTR_EQ(service, req->service);
    snprintf(gni_host, sizeof(gni_host), "%s", host);
    snprintf(gni_service, sizeof(gni_service), "%s", service);
  } else {
    ASSERT_NULL(host);
    ASSERT_NULL(service);
  }
}

static void test_getnameinfo(void) {
  uv_loop_t loop;
  uv_getnameinfo_t req;
  struct sockaddr_in sa4;
  struct sockaddr_in6 sa6;
  struct sockaddr_un su;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_ip4_addr("127.0.0.1", 80, &sa4));
  ASSERT_OK(uv_ip6_addr("::1", 443, &sa6));

  /* Asynchronous, numeric. */
  gni_calls = 0;
  ASSERT_OK(uv_getnameinfo(&loop, &req, gni_cb, (struct sockaddr*) &sa4,
                           NI_NUMERICHOST | NI_NUMERICSERV));
  ASSERT_EQ(req.type, UV_GETNAMEINFO);
  ASSERT_PTR_EQ(req.loop, &loop);
  ASSERT_EQ(uv_loop_alive(&loop), 1);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(gni_calls, 1);
  ASSERT_OK(gni_status);
  ASSERT_STR_EQ(gni_host, "127.0.0.1");
  ASSERT_STR_EQ(gni_service, "80");

  /* Asynchronous, names: whatever the local databases say, not empty. */
  gni_calls = 0;
  ASSERT_OK(uv_getnameinfo(&loop, &req, gni_cb, (struct sockaddr*) &sa4, 0));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(gni_calls, 1);
  ASSERT_OK(gni_status);
  ASSERT_GT(strlen(gni_host), 0);
  ASSERT_GT(strlen(gni_service), 0);

  /* IPv6, numeric. */
  gni_calls = 0;
  ASSERT_OK(uv_getnameinfo(&loop, &req, gni_cb, (struct sockaddr*) &sa6,
                           NI_NUMERICHOST | NI_NUMERICSERV));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(gni_status);
  ASSERT_STR_EQ(gni_host, "::1");
  ASSERT_STR_EQ(gni_service, "443");

  /* The address is copied at the call. */
  gni_calls = 0;
  ASSERT_OK(uv_getnameinfo(&loop, &req, gni_cb, (struct sockaddr*) &sa4,
                           NI_NUMERICHOST | NI_NUMERICSERV));
  memset(&sa4, 0, sizeof(sa4));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_STR_EQ(gni_host, "127.0.0.1");

  /* Synchronous. */
  ASSERT_OK(uv_ip4_addr("127.0.0.1", 8080, &sa4));
  memset(&req, 0, sizeof(req));
  ASSERT_OK(uv_getnameinfo(&loop, &req, NULL, (struct sockaddr*) &sa4,
                           NI_NUMERICHOST | NI_NUMERICSERV));
  ASSERT_EQ(req.type, UV_GETNAMEINFO);
  ASSERT_STR_EQ(req.host, "127.0.0.1");
  ASSERT_STR_EQ(req.service, "8080");
  ASSERT_OK(uv_getnameinfo(&loop, &req, NULL, (struct sockaddr*) &sa6,
                           NI_NUMERICHOST));
  ASSERT_STR_EQ(req.host, "::1");
  ASSERT_EQ(uv_loop_alive(&loop), 0);

  /* NI_NAMEREQD for an address with no name fails with a UV_EAI_* code. */
  ASSERT_OK(uv_ip4_addr("192.0.2.1", 1, &sa4));
  {
    int r = uv_getnameinfo(&loop, &req, NULL, (struct sockaddr*) &sa4,
                           NI_NAMEREQD);
    if (!is_lookup_failure(r))
      TEST_FAIL_("192.0.2.1 with NI_NAMEREQD: %d (%s)", r, uv_err_name(r));
  }

  /* Bad arguments. */
  ASSERT_ERR(uv_getnameinfo(&loop, &req, gni_cb, NULL, 0), UV_EINVAL);
  ASSERT_ERR(uv_getnameinfo(&loop, NULL, gni_cb, (struct sockaddr*) &sa6, 0),
             UV_EINVAL);
  memset(&su, 0, sizeof(su));
  su.sun_family = AF_UNIX;
  ASSERT_ERR(uv_getnameinfo(&loop, &req, gni_cb, (struct sockaddr*) &su, 0),
             UV_EINVAL);
  ASSERT_ERR(uv_getnameinfo(&loop, &req, NULL, (struct sockaddr*) &su, 0),
             UV_EINVAL);
  ASSERT_EQ(uv_loop_alive(&loop), 0);

  close_loop(&loop);
}

/* ---- cancellation ---- */

#define POOL 4

static uv_mutex_t gate_mtx;
static uv_cond_t gate_cond;
static int gate_started;
static int gate_released;
static int blockers_done;

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

static void blocking_after_cb(uv_work_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  blockers_done++;
}

static int cancel_gai_calls;
static int cancel_gni_calls;

static void cancelled_gai_cb(uv_getaddrinfo_t* req, int status,
                             struct addrinfo* res) {
  (void) req;
  ASSERT_EQ(status, UV_EAI_CANCELED);
  ASSERT_NULL(res);
  cancel_gai_calls++;
}

static void cancelled_gni_cb(uv_getnameinfo_t* req, int status,
                             const char* host, const char* service) {
  (void) req;
  ASSERT_EQ(status, UV_EAI_CANCELED);
  ASSERT_NULL(host);
  ASSERT_NULL(service);
  cancel_gni_calls++;
}

static void test_cancel(void) {
  uv_loop_t loop;
  uv_work_t blockers[POOL];
  uv_getaddrinfo_t gai[3];
  uv_getnameinfo_t gni;
  struct sockaddr_in sa4;
  uint64_t deadline;
  int i;

  ASSERT_OK(uv_mutex_init(&gate_mtx));
  ASSERT_OK(uv_cond_init(&gate_cond));
  ASSERT_OK(uv_loop_init(&loop));

  /* Occupy every pool thread so that what follows stays queued. */
  for (i = 0; i < POOL; i++)
    ASSERT_OK(uv_queue_work(&loop, &blockers[i], blocking_work_cb,
                            blocking_after_cb));
  deadline = uv_hrtime() + 10 * (uint64_t) 1000000000;
  uv_mutex_lock(&gate_mtx);
  while (gate_started < POOL) {
    if (uv_hrtime() > deadline)
      TEST_FAIL_("only %d of %d blocking jobs started", gate_started, POOL);
    uv_cond_timedwait(&gate_cond, &gate_mtx, 100 * 1000000);
  }
  uv_mutex_unlock(&gate_mtx);

  for (i = 0; i < 3; i++)
    ASSERT_OK(uv_getaddrinfo(&loop, &gai[i], cancelled_gai_cb, "localhost",
                             NULL, NULL));
  ASSERT_OK(uv_ip4_addr("127.0.0.1", 80, &sa4));
  ASSERT_OK(uv_getnameinfo(&loop, &gni, cancelled_gni_cb,
                           (struct sockaddr*) &sa4, 0));
  for (i = 0; i < 3; i++)
    ASSERT_OK(uv_cancel((uv_req_t*) &gai[i]));
  ASSERT_OK(uv_cancel((uv_req_t*) &gni));

  uv_mutex_lock(&gate_mtx);
  gate_released = 1;
  uv_cond_broadcast(&gate_cond);
  uv_mutex_unlock(&gate_mtx);

  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(cancel_gai_calls, 3);
  ASSERT_EQ(cancel_gni_calls, 1);
  ASSERT_EQ(blockers_done, POOL);
  close_loop(&loop);

  uv_cond_destroy(&gate_cond);
  uv_mutex_destroy(&gate_mtx);
}

/* ---- a request started from a callback ---- */

static uv_getaddrinfo_t chained_req;
static int chained_calls;

static void chained_cb(uv_getaddrinfo_t* req, int status,
                       struct addrinfo* res) {
  ASSERT_OK(status);
  check_localhost(res, -1);
  uv_freeaddrinfo(res);
  if (++chained_calls < 3)
    ASSERT_OK(uv_getaddrinfo(req->loop, req, chained_cb, "localhost", NULL,
                             NULL));
}

static void test_chained(void) {
  uv_loop_t loop;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_getaddrinfo(&loop, &chained_req, chained_cb, "localhost", NULL,
                           NULL));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(chained_calls, 3);
  close_loop(&loop);
}

int main(void) {
  loop_thread = uv_thread_self();
  test_getaddrinfo_async();
  test_getaddrinfo_sync();
  test_getnameinfo();
  test_cancel();
  test_chained();
  return 0;
}
