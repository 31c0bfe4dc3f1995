/* Handles passed to and from a spawned child over an IPC pipe: the parent
 * creates it as the child's stdin (uv_pipe_init(loop, &p, 1), then
 * UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE), and the child (this
 * program again) opens its fd 0 as an IPC pipe with uv_pipe_open.
 *
 *  1. the parent sends a bound, not yet listening, loopback TCP socket with
 *     uv_write2 and closes its copy; the child accepts it (UV_TCP pending),
 *     listens on it and says so; the parent connects and gets a greeting
 *     with the child's pid;
 *  2. the parent sends one end of a socketpair (UV_NAMED_PIPE pending),
 *     writes "ping" into the other end and gets "pong <pid>" back;
 *  3. the child sends the parent one end of a socketpair of its own, with
 *     "from child <pid>" waiting in it;
 *  4. the parent closes the IPC pipe: the child sees EOF, closes everything
 *     and exits 0. */
#include "spawn-helpers.h"

#include <arpa/inet.h>
#include <sys/socket.h>

static uv_loop_t loop;

typedef struct {
  char buf[256];
  size_t len;
} text_t;

static void text_add(text_t* t, const char* p, size_t n) {
  ASSERT_LE(t->len + n, sizeof(t->buf) - 1);
  memcpy(t->buf + t->len, p, n);
  t->len += n;
  t->buf[t->len] = '\0';
}

static void slab_alloc_cb(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  static char slab[4096];
  (void) h;
  (void) size;
  buf->base = slab;
  buf->len = sizeof(slab);
}

static void free_write_cb(uv_write_t* req, int status) {
  ASSERT_OK(status);
  free(req);
}

static void write_text(uv_stream_t* s, const char* text) {
  uv_write_t* req = malloc(sizeof(*req) + strlen(text) + 1);
  char* copy = (char*) (req + 1);
  uv_buf_t buf;
  ASSERT_NOT_NULL(req);
  strcpy(copy, text);
  buf = uv_buf_init(copy, (unsigned) strlen(copy));
  ASSERT_OK(uv_write(req, s, &buf, 1, free_write_cb));
}

/* ================= the child ================= */

static uv_pipe_t c_ipc;
static uv_tcp_t c_listener, c_conn;
static uv_pipe_t c_pair_end;
static uv_pipe_t c_gift;
static uv_write_t c_gift_req;
static int c_listening, c_pinged, c_gift_sent;
static text_t c_ping;

static void c_conn_written(uv_write_t* req, int status) {
  ASSERT_OK(status);
  free(req);
  uv_close((uv_handle_t*) &c_conn, NULL);
  uv_close((uv_handle_t*) &c_listener, NULL);
}

static void c_connection_cb(uv_stream_t* server, int status) {
  char hello[64];
  uv_write_t* req = malloc(sizeof(*req));
  uv_buf_t buf;
  static char copy[64];
  ASSERT_OK(status);
  ASSERT_OK(uv_tcp_init(&loop, &c_conn));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) &c_conn));
  snprintf(hello, sizeof(hello), "hello from %d\n", (int) getpid());
  strcpy(copy, hello);
  buf = uv_buf_init(copy, (unsigned) strlen(copy));
  ASSERT_OK(uv_write(req, (uv_stream_t*) &c_conn, &buf, 1, c_conn_written));
}

static void c_gift_written(uv_write_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  uv_close((uv_handle_t*) &c_gift, NULL); /* the parent has its own now */
}

/* Step 3: a socketpair end of our own, with a message already in it. */
static void c_send_gift(void) {
  int sv[2];
  char msg[64];
  uv_buf_t tag = uv_buf_init((char*) "C", 1);
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  snprintf(msg, sizeof(msg), "from child %d", (int) getpid());
  ASSERT_OK(write_str(sv[1], msg));
  ASSERT_OK(close(sv[1]));
  ASSERT_OK(uv_pipe_init(&loop, &c_gift, 0));
  ASSERT_OK(uv_pipe_open(&c_gift, sv[0]));
  ASSERT_OK(uv_write2(&c_gift_req, (uv_stream_t*) &c_ipc, &tag, 1,
                      (uv_stream_t*) &c_gift, c_gift_written));
  c_gift_sent = 1;
}

static void c_pair_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  char pong[64];
  if (n < 0) {
    ASSERT_EQ(n, UV_EOF);
    uv_close((uv_handle_t*) s, NULL);
    return;
  }
  text_add(&c_ping, buf->base, (size_t) n);
  if (c_ping.len < 4 || c_pinged)
    return;
  ASSERT_STR_EQ(c_ping.buf, "ping");
  c_pinged = 1;
  snprintf(pong, sizeof(pong), "pong %d", (int) getpid());
  write_text(s, pong);
  c_send_gift();
}

static void c_ipc_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  (void) buf;
  if (n == UV_EOF) {
    /* Step 4. */
    ASSERT_EQ(c_listening, 1);
    ASSERT_EQ(c_pinged, 1);
    ASSERT_EQ(c_gift_sent, 1);
    uv_close((uv_handle_t*) s, NULL);
    if (!uv_is_closing((uv_handle_t*) &c_pair_end))
      uv_close((uv_handle_t*) &c_pair_end, NULL);
    return;
  }
  ASSERT_GE(n, 0);
  while (uv_pipe_pending_count(&c_ipc) > 0) {
    uv_handle_type t = uv_pipe_pending_type(&c_ipc);
    if (!c_listening) {
      /* Step 1. */
      ASSERT_EQ(t, UV_TCP);
      ASSERT_OK(uv_tcp_init(&loop, &c_listener));
      ASSERT_OK(uv_accept(s, (uv_stream_t*) &c_listener));
      ASSERT_OK(uv_listen((uv_stream_t*) &c_listener, 4, c_connection_cb));
      c_listening = 1;
      write_text(s, "listening\n");
    } else {
      /* Step 2. */
      ASSERT_EQ(t, UV_NAMED_PIPE);
      ASSERT_OK(uv_pipe_init(&loop, &c_pair_end, 0));
      ASSERT_OK(uv_accept(s, (uv_stream_t*) &c_pair_end));
      ASSERT_OK(uv_read_start((uv_stream_t*) &c_pair_end, slab_alloc_cb,
                              c_pair_read_cb));
    }
  }
}

static int child_ipc(void) {
  child_deadline(20);
  ASSERT_EQ(uv_guess_handle(0), UV_NAMED_PIPE);
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &c_ipc, 1));
  ASSERT_OK(uv_pipe_open(&c_ipc, 0));
  ASSERT_OK(uv_read_start((uv_stream_t*) &c_ipc, slab_alloc_cb,
                          c_ipc_read_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  close_loop(&loop);
  return 0;
}

/* ================= the parent ================= */

static child_t kid;
static uv_pipe_t ipc;
static text_t ipc_text;
static uv_tcp_t listener;
static uv_write_t send_req;
static uv_tcp_t client;
static uv_connect_t connect_req;
static text_t greeting;
static uv_pipe_t pair_sent, pair_mine;
static text_t pong;
static uv_pipe_t gift;
static text_t gift_text;
static int stage;

static void step2_send_pair(void);

static void sent_cb(uv_write_t* req, int status) {
  uv_handle_t* sent = req->data;
  ASSERT_OK(status);
  uv_close(sent, NULL); /* the child has its own copy */
}

static void client_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  char want[64];
  if (n == UV_EOF) {
    snprintf(want, sizeof(want), "hello from %d\n", kid.proc.pid);
    ASSERT_STR_EQ(greeting.buf, want);
    uv_close((uv_handle_t*) s, NULL);
    step2_send_pair();
    return;
  }
  ASSERT_GE(n, 0);
  text_add(&greeting, buf->base, (size_t) n);
}

static void connect_cb(uv_connect_t* req, int status) {
  ASSERT_OK(status);
  ASSERT_OK(uv_read_start(req->handle, slab_alloc_cb, client_read_cb));
}

static struct sockaddr_in listen_addr;

static void step1_connect(void) {
  ASSERT_EQ(stage, 1);
  stage = 2;
  ASSERT_OK(uv_tcp_init(&loop, &client));
  ASSERT_OK(uv_tcp_connect(&connect_req, &client,
                           (const struct sockaddr*) &listen_addr, connect_cb));
}

static void pong_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  char want[64];
  if (n == UV_EOF) {
    snprintf(want, sizeof(want), "pong %d", kid.proc.pid);
    ASSERT_STR_EQ(pong.buf, want);
    uv_close((uv_handle_t*) s, NULL);
    stage = 4;
    return;
  }
  ASSERT_GE(n, 0);
  text_add(&pong, buf->base, (size_t) n);
}

static void step2_send_pair(void) {
  int sv[2];
  uv_buf_t tag = uv_buf_init((char*) "P", 1);
  ASSERT_EQ(stage, 2);
  stage = 3;
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  ASSERT_OK(uv_pipe_init(&loop, &pair_sent, 0));
  ASSERT_OK(uv_pipe_open(&pair_sent, sv[1]));
  ASSERT_OK(uv_pipe_init(&loop, &pair_mine, 0));
  ASSERT_OK(uv_pipe_open(&pair_mine, sv[0]));
  send_req.data = &pair_sent;
  ASSERT_OK(uv_write2(&send_req, (uv_stream_t*) &ipc, &tag, 1,
                      (uv_stream_t*) &pair_sent, sent_cb));
  write_text((uv_stream_t*) &pair_mine, "ping");
  ASSERT_OK(uv_read_start((uv_stream_t*) &pair_mine, slab_alloc_cb,
                          pong_read_cb));
}

static void gift_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  char want[64];
  if (n == UV_EOF) {
    snprintf(want, sizeof(want), "from child %d", kid.proc.pid);
    ASSERT_STR_EQ(gift_text.buf, want);
    uv_close((uv_handle_t*) s, NULL);
    /* Step 4: done with the child. */
    uv_close((uv_handle_t*) &ipc, NULL);
    return;
  }
  ASSERT_GE(n, 0);
  text_add(&gift_text, buf->base, (size_t) n);
}

static void ipc_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  if (n < 0)
    TEST_FAIL_("ipc read: %s", uv_err_name((int) n));
  text_add(&ipc_text, buf->base, (size_t) n);
  if (stage == 1 && strcmp(ipc_text.buf, "listening\n") == 0)
    step1_connect();
  while (uv_pipe_pending_count((uv_pipe_t*) s) > 0) {
    /* Step 3: the child's socketpair end. */
    ASSERT_EQ(uv_pipe_pending_type((uv_pipe_t*) s), UV_NAMED_PIPE);
    ASSERT_OK(uv_pipe_init(&loop, &gift, 0));
    ASSERT_OK(uv_accept(s, (uv_stream_t*) &gift));
    ASSERT_OK(uv_read_start((uv_stream_t*) &gift, slab_alloc_cb,
                            gift_read_cb));
    ASSERT_OK(uv_read_stop(s));
  }
}

int main(int argc, char** argv) {
  uv_process_options_t o;
  uv_stdio_container_t stdio[3];
  struct sockaddr_in addr;
  uv_buf_t tag = uv_buf_init((char*) "L", 1);
  self_args_t a;
  int len;

  if (argc >= 3 && strcmp(argv[1], "--child") == 0) {
    if (strcmp(argv[2], "ipc") == 0)
      return child_ipc();
    fprintf(stderr, "unknown child mode %s\n", argv[2]);
    return 100;
  }

  signal(SIGPIPE, SIG_IGN);
  self_exe_init();
  ASSERT_OK(uv_loop_init(&loop));

  ASSERT_OK(uv_pipe_init(&loop, &ipc, 1));
  stdio[0].flags =
      (uv_stdio_flags) (UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE);
  stdio[0].data.stream = (uv_stream_t*) &ipc;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = 1;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  memset(&o, 0, sizeof(o));
  o.file = self_exe;
  o.args = self_argv(&a, "ipc", NULL, NULL, NULL);
  o.stdio = stdio;
  o.stdio_count = 3;
  o.exit_cb = child_exit_cb;
  memset(&kid, 0, sizeof(kid));
  ASSERT_OK(uv_spawn(&loop, &kid.proc, &o));
  ASSERT_EQ(uv_is_readable((uv_stream_t*) &ipc), 1);
  ASSERT_EQ(uv_is_writable((uv_stream_t*) &ipc), 1);
  ASSERT_OK(uv_read_start((uv_stream_t*) &ipc, slab_alloc_cb, ipc_read_cb));

  /* Step 1: a bound socket; the child does the listening. */
  ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &addr));
  ASSERT_OK(uv_tcp_init(&loop, &listener));
  ASSERT_OK(uv_tcp_bind(&listener, (const struct sockaddr*) &addr, 0));
  len = sizeof(listen_addr);
  ASSERT_OK(uv_tcp_getsockname(&listener, (struct sockaddr*) &listen_addr,
                               &len));
  ASSERT_NE(listen_addr.sin_port, 0);
  stage = 1;
  send_req.data = &listener;
  ASSERT_OK(uv_write2(&send_req, (uv_stream_t*) &ipc, &tag, 1,
                      (uv_stream_t*) &listener, sent_cb));

  ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ASSERT_EQ(stage, 4);
  ASSERT_EQ(kid.exit_calls, 1);
  ASSERT_EQ(kid.close_calls, 1);
  ASSERT_EQ(kid.term_signal, 0);
  ASSERT_EQ(kid.exit_status, 0);
  close_loop(&loop);
  assert_no_children();
  printf("ok\n");
  return 0;
}
