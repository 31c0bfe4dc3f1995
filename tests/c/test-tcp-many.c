/* TCP: 1,000 concurrent loopback connections to one server (fewer if the
 * descriptor limit cannot be raised far enough; the count is printed). All
 * connect at once; each client sends a unique message, the server echoes it,
 * the client checks it and closes, the server closes on EOF. This runs twice
 * on one loop; no descriptor may leak: /proc/self/fd has as many entries
 * after the second round as after the first (a loop may keep a spare
 * descriptor of its own, as libuv does for EMFILE), and as many after
 * uv_loop_close as before the loop was created (counted after a first
 * loop's init and close, which may open process-wide descriptors once). */
#include "test.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define WANT 1000
#define MSG_MAX 32

static uv_loop_t loop;
static uv_tcp_t server;
static struct sockaddr_in addr;
static int nconn;

typedef struct {
  uv_tcp_t handle;
  uv_connect_t connect_req;
  uv_write_t write_req;
  char msg[MSG_MAX];
  size_t msg_len;
  char got[MSG_MAX];
  size_t got_len;
  int connected, echoed, closed;
} client_t;

typedef struct {
  uv_tcp_t handle;
  uv_write_t write_req;
  char buf[MSG_MAX];
  size_t len;
  int writes, eof, closed;
} conn_t;

static client_t* clients;
static conn_t* conns;
static int accepted, conns_closed, clients_closed, echoes_ok, server_closed;

static int count_fds(void) {
  DIR* d = opendir("/proc/self/fd");
  struct dirent* e;
  int n = 0;
  ASSERT_NOT_NULL(d);
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n - 1; /* the directory's own descriptor */
}

/* ---- server side ---- */

static void conn_alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  conn_t* c = (conn_t*) h;
  (void) suggested;
  buf->base = c->buf + c->len;
  buf->len = sizeof(c->buf) - c->len;
}

static void conn_close_cb(uv_handle_t* h) {
  conn_t* c = (conn_t*) h;
  ASSERT_EQ(c->closed, 0);
  c->closed = 1;
  conns_closed++;
  if (conns_closed == nconn) {
    ASSERT_EQ(server_closed, 1);
  }
}

static void conn_write_cb(uv_write_t* req, int status) {
  conn_t* c = (conn_t*) req->data;
  ASSERT_OK(status);
  c->writes++;
}

static void conn_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  conn_t* c = (conn_t*) s;
  uv_buf_t out;
  (void) buf;
  if (n == UV_EOF) {
    ASSERT_EQ(c->eof, 0);
    c->eof = 1;
    ASSERT_GT(c->len, 0);
    uv_close((uv_handle_t*) s, conn_close_cb);
    return;
  }
  ASSERT_GE(n, 0);
  if (n == 0)
    return;
  c->len += (size_t) n;
  ASSERT_LE(c->len, sizeof(c->buf));
  /* A message ends with '\n': echo it whole once it is complete. */
  if (c->buf[c->len - 1] == '\n') {
    ASSERT_EQ(c->writes, 0);
    c->write_req.data = c;
    out = uv_buf_init(c->buf, (unsigned) c->len);
    ASSERT_OK(uv_write(&c->write_req, s, &out, 1, conn_write_cb));
  }
}

static void server_close_cb(uv_handle_t* h) {
  ASSERT_PTR_EQ(h, &server);
  server_closed = 1;
}

static void connection_cb(uv_stream_t* s, int status) {
  conn_t* c;
  ASSERT_PTR_EQ(s, &server);
  ASSERT_OK(status);
  ASSERT_LT(accepted, nconn);
  c = &conns[accepted++];
  ASSERT_OK(uv_tcp_init(&loop, &c->handle));
  ASSERT_OK(uv_accept(s, (uv_stream_t*) &c->handle));
  ASSERT_OK(uv_read_start((uv_stream_t*) &c->handle, conn_alloc_cb, conn_read_cb));
  if (accepted == nconn)
    uv_close((uv_handle_t*) &server, server_close_cb);
}

/* ---- clients ---- */

static void client_alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  client_t* c = (client_t*) h;
  (void) suggested;
  buf->base = c->got + c->got_len;
  buf->len = sizeof(c->got) - c->got_len;
}

static void client_close_cb(uv_handle_t* h) {
  client_t* c = (client_t*) h;
  ASSERT_EQ(c->closed, 0);
  c->closed = 1;
  clients_closed++;
}

static void client_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  client_t* c = (client_t*) s;
  (void) buf;
  if (n < 0)
    TEST_FAIL_("client %d: read error %s before the echo",
               (int) (c - clients), uv_err_name((int) n));
  if (n == 0)
    return;
  c->got_len += (size_t) n;
  ASSERT_LE(c->got_len, c->msg_len);
  if (c->got_len == c->msg_len) {
    ASSERT_OK(memcmp(c->got, c->msg, c->msg_len));
    c->echoed = 1;
    echoes_ok++;
    uv_close((uv_handle_t*) s, client_close_cb);
  }
}

static void client_write_cb(uv_write_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
}

static void client_connect_cb(uv_connect_t* req, int status) {
  client_t* c = (client_t*) req->data;
  uv_buf_t out;
  if (status != 0)
    TEST_FAIL_("client %d: connect failed: %s", (int) (c - clients), uv_err_name(status));
  c->connected = 1;
  out = uv_buf_init(c->msg, (unsigned) c->msg_len);
  ASSERT_OK(uv_write(&c->write_req, req->handle, &out, 1, client_write_cb));
  ASSERT_OK(uv_read_start(req->handle, client_alloc_cb, client_read_cb));
}

static void run_round(int round) {
  int len = sizeof(addr);
  int i;

  memset(clients, 0, (size_t) nconn * sizeof(*clients));
  memset(conns, 0, (size_t) nconn * sizeof(*conns));
  accepted = conns_closed = clients_closed = echoes_ok = server_closed = 0;

  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr), 1);
  ASSERT_OK(uv_tcp_init(&loop, &server));
  ASSERT_OK(uv_tcp_bind(&server, (const struct sockaddr*) &addr, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, nconn, connection_cb));
  ASSERT_OK(uv_tcp_getsockname(&server, (struct sockaddr*) &addr, &len));

  for (i = 0; i < nconn; i++) {
    client_t* c = &clients[i];
    c->msg_len = (size_t) snprintf(c->msg, sizeof(c->msg), "hello %d.%d\n", round, i);
    ASSERT_OK(uv_tcp_init(&loop, &c->handle));
    c->connect_req.data = c;
    ASSERT_OK(uv_tcp_connect(&c->connect_req, &c->handle, (const struct sockaddr*) &addr,
                             client_connect_cb));
  }
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_EQ(accepted, nconn);
  ASSERT_EQ(server_closed, 1);
  ASSERT_EQ(echoes_ok, nconn);
  ASSERT_EQ(clients_closed, nconn);
  ASSERT_EQ(conns_closed, nconn);
  for (i = 0; i < nconn; i++) {
    ASSERT_EQ(clients[i].connected, 1);
    ASSERT_EQ(clients[i].echoed, 1);
    ASSERT_EQ(clients[i].closed, 1);
    ASSERT_EQ(conns[i].writes, 1);
    ASSERT_EQ(conns[i].eof, 1);
    ASSERT_EQ(conns[i].closed, 1);
  }
}

int main(void) {
  struct rlimit rl;
  int fds_before, fds_loop, fds_round1, fds_round2, fds_after;

  signal(SIGPIPE, SIG_IGN);

  /* Two descriptors per connection (client and accepted side). */
  ASSERT_OK(getrlimit(RLIMIT_NOFILE, &rl));
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ASSERT_OK(setrlimit(RLIMIT_NOFILE, &rl));
  }
  nconn = WANT;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 2 * WANT + 200) {
    nconn = ((int) rl.rlim_cur - 200) / 2;
    ASSERT_GT(nconn, 0);
  }
  printf("connections: %d (RLIMIT_NOFILE %lld)\n", nconn,
         rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long) rl.rlim_cur);
  fflush(stdout);

  clients = calloc((size_t) nconn, sizeof(*clients));
  conns = calloc((size_t) nconn, sizeof(*conns));
  ASSERT_NOT_NULL(clients);
  ASSERT_NOT_NULL(conns);

  /* libuv opens process-wide descriptors with its first loop. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_loop_close(&loop));
  fds_before = count_fds();

  ASSERT_OK(uv_loop_init(&loop));
  fds_loop = count_fds();
  run_round(1);
  fds_round1 = count_fds();
  run_round(2);
  fds_round2 = count_fds();
  close_loop(&loop);
  fds_after = count_fds();
  printf("descriptors: %d before the loop, %d with the loop, %d after round 1, "
         "%d after round 2, %d after uv_loop_close\n",
         fds_before, fds_loop, fds_round1, fds_round2, fds_after);
  ASSERT_LE(fds_round1, fds_loop + 2);
  ASSERT_EQ(fds_round2, fds_round1);
  ASSERT_EQ(fds_after, fds_before);

  free(clients);
  free(conns);
  return 0;
}
