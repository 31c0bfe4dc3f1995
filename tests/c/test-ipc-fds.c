/* IPC: descriptors passed over an IPC pipe arrive intact. A parent and a
 * fork()ed child share a socketpair, opened on both sides with
 * uv_pipe_open on an IPC pipe (ipc = 1). The parent makes NTCP loopback TCP
 * connections and sends the client end of each with uv_write2, then a pipe
 * handle (one end of another socketpair), and writes a unique token through
 * the end it keeps. The child takes each handle (uv_pipe_pending_count /
 * uv_pipe_pending_type, uv_accept), reads the token from it, writes an ack
 * back through it and reports the token over the IPC pipe. The parent checks
 * every ack and report, closes the IPC pipe (the child then exits 0) and
 * reaps the child with waitpid. */
#include "test.h"
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define NTCP 4
#define NHANDLES (NTCP + 1) /* the TCP connections, then one pipe */
#define LINE_MAX_ 64

static uv_loop_t loop;

typedef struct {
  char buf[LINE_MAX_];
  size_t len;
} line_t;

/* Appends data to a line buffer; returns 1 once it ends with '\n'. */
static int line_add(line_t* l, const char* p, size_t n) {
  ASSERT_LE(l->len + n, sizeof(l->buf) - 1);
  memcpy(l->buf + l->len, p, n);
  l->len += n;
  l->buf[l->len] = '\0';
  return l->len > 0 && l->buf[l->len - 1] == '\n';
}

static void token_for(char* out, size_t n, int parent_pid, int idx) {
  if (idx < NTCP)
    snprintf(out, n, "tok-%d-%d", parent_pid, idx);
  else
    snprintf(out, n, "tok-%d-P", parent_pid);
}

static void alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  static char slab[256];
  (void) h;
  (void) suggested;
  buf->base = slab;
  buf->len = sizeof(slab);
}

/* ================= child ================= */

typedef union {
  uv_handle_t handle;
  uv_stream_t stream;
  uv_tcp_t tcp;
  uv_pipe_t pipe;
} any_stream_t;

static uv_pipe_t c_ipc;
static any_stream_t c_h[NHANDLES];
static line_t c_line[NHANDLES];
static uv_write_t c_ack_req[NHANDLES], c_report_req[NHANDLES];
static char c_ack[NHANDLES][LINE_MAX_], c_report[NHANDLES][LINE_MAX_];
static line_t c_ipc_msgs;
static int c_received, c_verified, c_eofs, c_closed, c_ipc_eof, c_writes;

static int child_index(uv_stream_t* s) {
  int i;
  for (i = 0; i < NHANDLES; i++)
    if (s == &c_h[i].stream)
      return i;
  TEST_FAIL_("child: unknown stream");
  return -1;
}

static void c_close_cb(uv_handle_t* h) {
  (void) h;
  c_closed++;
}

static void c_write_cb(uv_write_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  c_writes++;
}

static void c_handle_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  int i = child_index(s);
  char expected[LINE_MAX_];
  uv_buf_t out;

  if (n == UV_EOF) {
    /* The parent closes its end once it has the ack. */
    ASSERT_EQ(c_line[i].len > 0, 1);
    c_eofs++;
    uv_close((uv_handle_t*) s, c_close_cb);
    return;
  }
  ASSERT_GE(n, 0);
  if (n == 0 || !line_add(&c_line[i], buf->base, (size_t) n))
    return;
  token_for(expected, sizeof(expected), (int) getppid(), i);
  strcat(expected, "\n");
  ASSERT_STR_EQ(c_line[i].buf, expected);
  c_verified++;

  /* Ack through the descriptor itself, and report over the IPC pipe. */
  snprintf(c_ack[i], sizeof(c_ack[i]), "ack %s", c_line[i].buf);
  out = uv_buf_init(c_ack[i], (unsigned) strlen(c_ack[i]));
  ASSERT_OK(uv_write(&c_ack_req[i], s, &out, 1, c_write_cb));
  snprintf(c_report[i], sizeof(c_report[i]), "ok %d %s", i, c_line[i].buf);
  out = uv_buf_init(c_report[i], (unsigned) strlen(c_report[i]));
  ASSERT_OK(uv_write(&c_report_req[i], (uv_stream_t*) &c_ipc, &out, 1, c_write_cb));
}

static void c_ipc_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  ASSERT_PTR_EQ(s, &c_ipc);
  if (n == UV_EOF) {
    c_ipc_eof = 1;
    ASSERT_EQ(uv_pipe_pending_count(&c_ipc), 0);
    uv_close((uv_handle_t*) s, c_close_cb);
    return;
  }
  ASSERT_GE(n, 0);
  if (n == 0)
    return;
  /* The messages that carried the handles: "T0" .. "T3", "P" */
  ASSERT_LE(c_ipc_msgs.len + (size_t) n, sizeof(c_ipc_msgs.buf) - 1);
  memcpy(c_ipc_msgs.buf + c_ipc_msgs.len, buf->base, (size_t) n);
  c_ipc_msgs.len += (size_t) n;
  c_ipc_msgs.buf[c_ipc_msgs.len] = '\0';

  while (uv_pipe_pending_count(&c_ipc) > 0) {
    int i = c_received;
    uv_handle_type t = uv_pipe_pending_type(&c_ipc);
    ASSERT_LT(i, NHANDLES);
    if (i < NTCP) {
      ASSERT_EQ(t, UV_TCP);
      ASSERT_OK(uv_tcp_init(&loop, &c_h[i].tcp));
    } else {
      ASSERT_EQ(t, UV_NAMED_PIPE);
      ASSERT_OK(uv_pipe_init(&loop, &c_h[i].pipe, 0));
    }
    ASSERT_OK(uv_accept(s, &c_h[i].stream));
    c_received++;
    if (i < NTCP) {
      /* A connected loopback socket. */
      struct sockaddr_in a;
      int len = sizeof(a);
      ASSERT_OK(uv_tcp_getpeername(&c_h[i].tcp, (struct sockaddr*) &a, &len));
      ASSERT_EQ(a.sin_family, AF_INET);
      ASSERT_EQ(ntohl(a.sin_addr.s_addr), 0x7f000001);
    }
    ASSERT_EQ(uv_is_readable(&c_h[i].stream), 1);
    ASSERT_EQ(uv_is_writable(&c_h[i].stream), 1);
    ASSERT_OK(uv_read_start(&c_h[i].stream, alloc_cb, c_handle_read_cb));
  }
}

static void run_child(int fd) {
  alarm(25); /* never outlive a hung parent */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &c_ipc, 1));
  ASSERT_OK(uv_pipe_open(&c_ipc, fd));
  ASSERT_OK(uv_read_start((uv_stream_t*) &c_ipc, alloc_cb, c_ipc_read_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(c_ipc_eof, 1);
  ASSERT_EQ(c_received, NHANDLES);
  ASSERT_EQ(c_verified, NHANDLES);
  ASSERT_EQ(c_eofs, NHANDLES);
  ASSERT_EQ(c_writes, 2 * NHANDLES);
  ASSERT_EQ(c_closed, NHANDLES + 1);
  ASSERT_STR_EQ(c_ipc_msgs.buf, "T0T1T2T3P");
  close_loop(&loop);
}

/* ================= parent ================= */

static uv_pipe_t p_ipc;
static uv_tcp_t listener;
static uv_tcp_t p_sent_tcp[NTCP];   /* client ends: sent to the child */
static uv_tcp_t p_kept_tcp[NTCP];   /* accepted ends, kept */
static uv_connect_t p_connect_req[NTCP];
static int p_pair[NTCP];            /* p_sent_tcp[i] <-> p_kept_tcp[p_pair[i]] */
static int p_accepted_ports[NTCP];
static uv_pipe_t p_sent_pipe, p_kept_pipe;
static uv_write_t p_send_req[NHANDLES], p_token_req[NHANDLES];
static char p_token[NHANDLES][LINE_MAX_];
static line_t p_ack[NHANDLES];
static struct {
  char buf[NHANDLES * LINE_MAX_];
  size_t len;
} p_reports;
static int p_reported[NHANDLES];
static int p_connected, p_accepted, p_sends_done, p_acks, p_reports_n, p_closed;
static const char* p_msgs[NHANDLES] = { "T0", "T1", "T2", "T3", "P" };

static int port_of(uv_tcp_t* h, int peer) {
  struct sockaddr_in a;
  int len = sizeof(a);
  if (peer)
    ASSERT_OK(uv_tcp_getpeername(h, (struct sockaddr*) &a, &len));
  else
    ASSERT_OK(uv_tcp_getsockname(h, (struct sockaddr*) &a, &len));
  return ntohs(a.sin_port);
}

static uv_stream_t* kept(int i) {
  if (i < NTCP)
    return (uv_stream_t*) &p_kept_tcp[p_pair[i]];
  return (uv_stream_t*) &p_kept_pipe;
}

static void p_close_cb(uv_handle_t* h) {
  (void) h;
  p_closed++;
}

static void p_maybe_finish(void) {
  int i;
  if (p_acks < NHANDLES || p_reports_n < NHANDLES || p_sends_done < NHANDLES)
    return;
  for (i = 0; i < NHANDLES; i++)
    uv_close((uv_handle_t*) kept(i), p_close_cb);
  /* EOF on the IPC pipe tells the child to finish. */
  uv_close((uv_handle_t*) &p_ipc, p_close_cb);
}

static void p_send_cb(uv_write_t* req, int status) {
  int i = (int) (req - p_send_req);
  ASSERT(i >= 0 && i < NHANDLES);
  ASSERT_OK(status);
  p_sends_done++;
  /* The descriptor is in flight or in the child now: drop our copy. */
  if (i < NTCP)
    uv_close((uv_handle_t*) &p_sent_tcp[i], p_close_cb);
  else
    uv_close((uv_handle_t*) &p_sent_pipe, p_close_cb);
  p_maybe_finish();
}

static void p_token_cb(uv_write_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
}

static void p_kept_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  char expected[LINE_MAX_];
  int i;
  for (i = 0; i < NHANDLES; i++)
    if (kept(i) == s)
      break;
  ASSERT_LT(i, NHANDLES);
  if (n < 0)
    TEST_FAIL_("parent: handle %d: %s before the ack", i, uv_err_name((int) n));
  if (n == 0 || !line_add(&p_ack[i], buf->base, (size_t) n))
    return;
  snprintf(expected, sizeof(expected), "ack %s", p_token[i]);
  ASSERT_STR_EQ(p_ack[i].buf, expected);
  p_acks++;
  ASSERT_OK(uv_read_stop(s));
  p_maybe_finish();
}

static void p_ipc_read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  char* nl;
  ASSERT_PTR_EQ(s, &p_ipc);
  if (n < 0)
    TEST_FAIL_("parent: IPC pipe: %s before all reports", uv_err_name((int) n));
  if (n == 0)
    return;
  ASSERT_EQ(uv_pipe_pending_count(&p_ipc), 0);
  ASSERT_LE(p_reports.len + (size_t) n, sizeof(p_reports.buf) - 1);
  memcpy(p_reports.buf + p_reports.len, buf->base, (size_t) n);
  p_reports.len += (size_t) n;
  p_reports.buf[p_reports.len] = '\0';
  /* Consume complete "ok <i> <token>\n" lines, in whatever order the child
   * got the tokens. */
  while ((nl = strchr(p_reports.buf, '\n')) != NULL) {
    char expected[LINE_MAX_];
    size_t used = (size_t) (nl - p_reports.buf) + 1;
    int i = -1;
    ASSERT_EQ(sscanf(p_reports.buf, "ok %d ", &i), 1);
    ASSERT(i >= 0 && i < NHANDLES);
    ASSERT_EQ(p_reported[i], 0);
    p_reported[i] = 1;
    snprintf(expected, sizeof(expected), "ok %d %s", i, p_token[i]);
    ASSERT_EQ(strlen(expected), used);
    ASSERT_OK(strncmp(p_reports.buf, expected, used));
    p_reports_n++;
    memmove(p_reports.buf, p_reports.buf + used, p_reports.len - used + 1);
    p_reports.len -= used;
  }
  if (p_reports_n == NHANDLES) {
    ASSERT_EQ(p_reports.len, 0);
    ASSERT_OK(uv_read_stop(s));
    p_maybe_finish();
  }
}

static void p_send_all(void) {
  int i, j;
  uv_buf_t b;

  /* Pair each client end with its accepted end by port. */
  for (i = 0; i < NTCP; i++) {
    int port = port_of(&p_sent_tcp[i], 0);
    p_pair[i] = -1;
    for (j = 0; j < NTCP; j++)
      if (p_accepted_ports[j] == port)
        p_pair[i] = j;
    ASSERT_GE(p_pair[i], 0);
  }

  for (i = 0; i < NHANDLES; i++) {
    uv_stream_t* send = i < NTCP ? (uv_stream_t*) &p_sent_tcp[i] : (uv_stream_t*) &p_sent_pipe;
    b = uv_buf_init((char*) p_msgs[i], (unsigned) strlen(p_msgs[i]));
    ASSERT_OK(uv_write2(&p_send_req[i], (uv_stream_t*) &p_ipc, &b, 1, send, p_send_cb));
    token_for(p_token[i], sizeof(p_token[i]) - 1, (int) getpid(), i);
    strcat(p_token[i], "\n");
    b = uv_buf_init(p_token[i], (unsigned) strlen(p_token[i]));
    ASSERT_OK(uv_write(&p_token_req[i], kept(i), &b, 1, p_token_cb));
    ASSERT_OK(uv_read_start(kept(i), alloc_cb, p_kept_read_cb));
  }
  ASSERT_OK(uv_read_start((uv_stream_t*) &p_ipc, alloc_cb, p_ipc_read_cb));
  uv_close((uv_handle_t*) &listener, p_close_cb);
}

static void p_maybe_send(void) {
  if (p_connected == NTCP && p_accepted == NTCP)
    p_send_all();
}

static void p_connect_cb(uv_connect_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  p_connected++;
  p_maybe_send();
}

static void p_connection_cb(uv_stream_t* s, int status) {
  int k = p_accepted;
  ASSERT_OK(status);
  ASSERT_LT(k, NTCP);
  ASSERT_OK(uv_tcp_init(&loop, &p_kept_tcp[k]));
  ASSERT_OK(uv_accept(s, (uv_stream_t*) &p_kept_tcp[k]));
  p_accepted_ports[k] = port_of(&p_kept_tcp[k], 1);
  p_accepted++;
  p_maybe_send();
}

static void run_parent(int fd) {
  struct sockaddr_in addr;
  int len = sizeof(addr);
  int pp[2];
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_pipe_init(&loop, &p_ipc, 1));
  ASSERT_OK(uv_pipe_open(&p_ipc, fd));

  /* The pipe handle to pass: one end of a socketpair. */
  ASSERT_OK(uv_socketpair(SOCK_STREAM, 0, pp, 0, 0));
  ASSERT_OK(uv_pipe_init(&loop, &p_kept_pipe, 0));
  ASSERT_OK(uv_pipe_open(&p_kept_pipe, pp[0]));
  ASSERT_OK(uv_pipe_init(&loop, &p_sent_pipe, 0));
  ASSERT_OK(uv_pipe_open(&p_sent_pipe, pp[1]));

  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr), 1);
  ASSERT_OK(uv_tcp_init(&loop, &listener));
  ASSERT_OK(uv_tcp_bind(&listener, (const struct sockaddr*) &addr, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &listener, NTCP, p_connection_cb));
  ASSERT_OK(uv_tcp_getsockname(&listener, (struct sockaddr*) &addr, &len));
  for (i = 0; i < NTCP; i++) {
    ASSERT_OK(uv_tcp_init(&loop, &p_sent_tcp[i]));
    ASSERT_OK(uv_tcp_connect(&p_connect_req[i], &p_sent_tcp[i],
                             (const struct sockaddr*) &addr, p_connect_cb));
  }
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_EQ(p_sends_done, NHANDLES);
  ASSERT_EQ(p_acks, NHANDLES);
  ASSERT_EQ(p_reports_n, NHANDLES);
  /* listener, NHANDLES sent copies, NHANDLES kept ends, the IPC pipe */
  ASSERT_EQ(p_closed, 1 + 2 * NHANDLES + 1);
  close_loop(&loop);
}

int main(void) {
  int sv[2];
  int status;
  pid_t pid;

  signal(SIGPIPE, SIG_IGN);
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  fflush(stdout);
  fflush(stderr);
  pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(sv[0]);
    run_child(sv[1]);
    exit(0);
  }
  close(sv[1]);
  run_parent(sv[0]);

  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  if (WIFSIGNALED(status))
    TEST_FAIL_("child killed by signal %d", WTERMSIG(status));
  ASSERT(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  printf("passed %d TCP handles and 1 pipe handle to child %d\n", NTCP, (int) pid);
  return 0;
}
