/* TCP: the peer resets the connection in the middle of a large write. The
 * client queues 64 MiB in 16 uv_write requests; the server reads a little,
 * then resets (round 1: uv_tcp_close_reset; round 2: SO_LINGER {1, 0} set
 * by hand, then uv_close). Every write callback runs exactly once, in
 * request order, with 0 or UV_ECONNRESET / UV_EPIPE / UV_ECANCELED, and
 * never 0 after a failed one; not everything can have been written; the
 * client's read callback sees an error or EOF exactly once and closes the
 * client; every handle closes. Round 3 (run second): the client does not
 * read, so the reset surfaces as a failed write, and the client closes from
 * that write's callback. */
#include "test.h"
#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define NWRITES 16
#define WSIZE ((size_t) 4 << 20)

static uv_loop_t loop;
static uv_tcp_t server, peer, client;
static uv_connect_t connect_req;
static char* wdata;
static int round_no;

static uv_write_t wreqs[NWRITES];
static int wcalls[NWRITES], wstatus[NWRITES];
static int wcb_order[NWRITES], wcb_count;
static int client_read_end, client_read_status, client_closed;
static int peer_reads, peer_reset, peer_closed, server_closed;
static size_t peer_bytes;

static void rbuf_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  static char slab[65536];
  (void) h;
  (void) suggested;
  buf->base = slab;
  buf->len = sizeof(slab);
}

/* ---- client ---- */

static void client_close_cb(uv_handle_t* h) {
  ASSERT_PTR_EQ(h, &client);
  client_closed++;
}

static void write_cb(uv_write_t* req, int status) {
  int i = (int) (req - wreqs);
  ASSERT(i >= 0 && i < NWRITES);
  wcalls[i]++;
  ASSERT_EQ(wcalls[i], 1);
  wstatus[i] = status;
  wcb_order[wcb_count++] = i;
  if (status != 0 && status != UV_ECONNRESET && status != UV_EPIPE &&
      status != UV_ECANCELED)
    TEST_FAIL_("write %d: unexpected status %d (%s)", i, status, uv_err_name(status));
  if (round_no == 3 && status != 0 && status != UV_ECANCELED) {
    ASSERT_EQ(uv_is_closing((uv_handle_t*) &client), 0);
    uv_close((uv_handle_t*) &client, client_close_cb);
  }
}

static void client_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  (void) buf;
  ASSERT_PTR_EQ(s, &client);
  if (n == 0)
    return;
  /* The server never writes: only the end of the stream can arrive. */
  ASSERT_LT(n, 0);
  client_read_end++;
  ASSERT_EQ(client_read_end, 1);
  client_read_status = (int) n;
  if (n != UV_EOF && n != UV_ECONNRESET)
    TEST_FAIL_("client read: unexpected %s", uv_err_name((int) n));
  uv_close((uv_handle_t*) s, client_close_cb);
}

static void connect_cb(uv_connect_t* req, int status) {
  uv_buf_t buf = uv_buf_init(wdata, (unsigned) WSIZE);
  int i;
  ASSERT_PTR_EQ(req, &connect_req);
  ASSERT_OK(status);
  for (i = 0; i < NWRITES; i++)
    ASSERT_OK(uv_write(&wreqs[i], req->handle, &buf, 1, write_cb));
  ASSERT_GT(uv_stream_get_write_queue_size(req->handle), 0);
  if (round_no != 3)
    ASSERT_OK(uv_read_start(req->handle, rbuf_alloc, client_read_cb));
}

/* ---- server ---- */

static void peer_close_cb(uv_handle_t* h) {
  ASSERT_PTR_EQ(h, &peer);
  peer_closed++;
}

static void server_close_cb(uv_handle_t* h) {
  ASSERT_PTR_EQ(h, &server);
  server_closed++;
}

static void peer_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  uv_os_fd_t fd;
  struct linger l;
  (void) buf;
  ASSERT_PTR_EQ(s, &peer);
  ASSERT_EQ(peer_reset, 0);
  if (n == 0)
    return;
  ASSERT_GT(n, 0);
  peer_reads++;
  peer_bytes += (size_t) n;
  if (peer_bytes < 100000)
    return;
  /* Enough read: reset while the client still has most of its data queued. */
  peer_reset = 1;
  if (round_no != 2) {
    ASSERT_OK(uv_tcp_close_reset(&peer, peer_close_cb));
    ASSERT(uv_is_closing((uv_handle_t*) &peer));
  } else {
    ASSERT_OK(uv_fileno((uv_handle_t*) &peer, &fd));
    l.l_onoff = 1;
    l.l_linger = 0;
    ASSERT_OK(setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)));
    uv_close((uv_handle_t*) &peer, peer_close_cb);
  }
}

static void connection_cb(uv_stream_t* s, int status) {
  ASSERT_PTR_EQ(s, &server);
  ASSERT_OK(status);
  ASSERT_OK(uv_tcp_init(&loop, &peer));
  ASSERT_OK(uv_accept(s, (uv_stream_t*) &peer));
  ASSERT_OK(uv_read_start((uv_stream_t*) &peer, rbuf_alloc, peer_read_cb));
  uv_close((uv_handle_t*) &server, server_close_cb);
}

static void run_round(int r) {
  struct sockaddr_in addr;
  int len = sizeof(addr);
  int i, ok = 0, failed = 0, cancelled = 0;

  round_no = r;
  memset(wcalls, 0, sizeof(wcalls));
  memset(wstatus, 0, sizeof(wstatus));
  wcb_count = 0;
  client_read_end = client_closed = 0;
  client_read_status = 1;
  peer_reads = peer_reset = peer_closed = server_closed = 0;
  peer_bytes = 0;

  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr), 1);
  ASSERT_OK(uv_tcp_init(&loop, &server));
  ASSERT_OK(uv_tcp_bind(&server, (const struct sockaddr*) &addr, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 1, connection_cb));
  ASSERT_OK(uv_tcp_getsockname(&server, (struct sockaddr*) &addr, &len));
  ASSERT_OK(uv_tcp_init(&loop, &client));
  ASSERT_OK(uv_tcp_connect(&connect_req, &client, (const struct sockaddr*) &addr, connect_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_EQ(server_closed, 1);
  ASSERT_EQ(peer_reset, 1);
  ASSERT_EQ(peer_closed, 1);
  ASSERT_EQ(client_read_end, r == 3 ? 0 : 1);
  ASSERT_EQ(client_closed, 1);
  ASSERT_EQ(wcb_count, NWRITES);
  for (i = 0; i < NWRITES; i++) {
    ASSERT_EQ(wcalls[i], 1);
    /* Callbacks run in request order. */
    ASSERT_EQ(wcb_order[i], i);
    if (wstatus[i] == 0) {
      /* Once a write has failed, no later one can succeed. */
      ASSERT_EQ(failed + cancelled, 0);
      ok++;
    } else if (wstatus[i] == UV_ECANCELED) {
      cancelled++;
    } else {
      failed++;
    }
  }
  ASSERT_LT(ok, NWRITES);
  if (r == 3)
    ASSERT_EQ(failed, 1);
  printf("round %d: server read %zu bytes in %d reads, then reset; client read %s; "
         "writes: %d ok, %d failed, %d cancelled\n",
         r, peer_bytes, peer_reads,
         client_read_status < 0 ? uv_err_name(client_read_status) : "nothing",
         ok, failed, cancelled);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  wdata = malloc(WSIZE);
  ASSERT_NOT_NULL(wdata);
  memset(wdata, 'x', WSIZE);
  ASSERT_OK(uv_loop_init(&loop));
  run_round(1);
  run_round(3);
  run_round(2);
  close_loop(&loop);
  free(wdata);
  return 0;
}
