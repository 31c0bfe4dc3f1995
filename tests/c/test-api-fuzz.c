/* A stateful API fuzzer: random sequences of init, start, stop, ref, unref,
 * close, write and run over every handle type the loop schedules (timer,
 * idle, prepare, check, async, signal, poll, TCP, pipe, UDP, fs_event,
 * fs_poll, process), driven by a seeded generator, with outside stimuli between
 * them (async sends, raised signals, bytes from a pipe's peer, touched
 * files). It checks:
 *   - no callback reaches a handle whose close callback has run, and no
 *     watcher callback comes after uv_close;
 *   - every close callback comes, exactly once, after every callback of the
 *     handle's requests (writes, sends, connects), each of which comes
 *     exactly once;
 *   - uv_is_active, uv_has_ref and uv_is_closing agree with a model of the
 *     handles whose activity the API defines exactly;
 *   - once everything is closed, uv_loop_close succeeds.
 * RSUV_FUZZ_SEED picks another seed, RSUV_FUZZ_OPS the operations per
 * seed. */
#include "fs-helpers.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#define SLOTS 48
#define REQS 4

enum type {
  T_FREE, T_TIMER, T_IDLE, T_PREPARE, T_CHECK, T_ASYNC, T_SIGNAL, T_POLL,
  T_TCP, T_PIPE, T_UDP, T_FS_EVENT, T_FS_POLL, T_PROCESS, T_TYPES
};

typedef struct slot_s {
  union {
    uv_handle_t h;
    uv_timer_t timer;
    uv_idle_t idle;
    uv_prepare_t prepare;
    uv_check_t check;
    uv_async_t async;
    uv_signal_t signal;
    uv_poll_t poll;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
    uv_udp_t udp;
    uv_fs_event_t fs_event;
    uv_fs_poll_t fs_poll;
    uv_process_t process;
  } u;
  enum type type;
  int closing;       /* uv_close called; the close callback is still due */
  int active;        /* the model, for the types it covers */
  int unref;         /* uv_unref called last */
  int repeat;        /* timers */
  int signum;        /* signals, while started */
  int bound, listening, connected, connecting, reading;
  /* The last error a read reported (UV_EOF, a reset), or 0. */
  int read_error;
  int exited;        /* processes */
  int peer[2];       /* pipe and poll: a socketpair; [1] is the outside end */
  int writes, sends; /* requests in flight */
  uv_write_t wreq[REQS];
  uv_udp_send_t sreq[REQS];
  int wbusy[REQS], sbusy[REQS];
  uv_connect_t creq;
  char data[16];
} slot_t;

static uv_loop_t loop;
static slot_t slots[SLOTS];
static uv_tcp_t listener;
static struct sockaddr_in listen_addr;
static uint64_t rng;
static const char *watch_dir, *watch_file;
static long callbacks, closes, inits;
static int accepted_open;

static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static unsigned pick(unsigned n) {
  return (unsigned) (next() % n);
}

static slot_t* slot_of(void* h) {
  slot_t* s = (slot_t*) h; /* the handle is the slot's first member */
  ASSERT(s >= slots && s < slots + SLOTS);
  ASSERT(s->type != T_FREE); /* never after the close callback */
  callbacks++;
  return s;
}

/* A watcher's callback: never after uv_close. */
static slot_t* watcher_of(void* h) {
  slot_t* s = slot_of(h);
  ASSERT(!s->closing);
  return s;
}

/* ---- callbacks ---- */

static void close_cb(uv_handle_t* h) {
  slot_t* s = slot_of(h);
  ASSERT(s->closing);
  ASSERT_EQ(s->writes, 0);
  ASSERT_EQ(s->sends, 0);
  ASSERT(!s->connecting);
  if (s->peer[0] >= 0) {
    /* A pipe's own end went with the handle; a poll's stays ours. */
    if (s->type == T_POLL)
      close(s->peer[0]);
    close(s->peer[1]);
  }
  memset(s, 0, sizeof(*s));
  s->peer[0] = s->peer[1] = -1;
  s->type = T_FREE;
  closes++;
}

static void timer_cb(uv_timer_t* h) {
  slot_t* s = watcher_of(h);
  if (s->repeat == 0)
    s->active = 0;
}

static void idle_cb(uv_idle_t* h) { (void) watcher_of(h); }
static void prepare_cb(uv_prepare_t* h) { (void) watcher_of(h); }
static void check_cb(uv_check_t* h) { (void) watcher_of(h); }
static void async_cb(uv_async_t* h) { (void) watcher_of(h); }

static void signal_cb(uv_signal_t* h, int signum) {
  slot_t* s = watcher_of(h);
  ASSERT_EQ(signum, s->signum);
}

static void poll_cb(uv_poll_t* h, int status, int events) {
  slot_t* s = watcher_of(h);
  (void) events;
  ASSERT_OK(status);
  /* Readable until drained. */
  if (events & UV_READABLE) {
    char buf[256];
    while (read(s->peer[0], buf, sizeof(buf)) > 0) {
    }
  }
}

static void fs_event_cb(uv_fs_event_t* h, const char* f, int e, int st) {
  (void) f;
  (void) e;
  (void) watcher_of(h);
  ASSERT_OK(st);
}

static void fs_poll_cb(uv_fs_poll_t* h, int st, const uv_stat_t* a,
                       const uv_stat_t* b) {
  (void) st;
  (void) a;
  (void) b;
  (void) watcher_of(h);
}

static void exit_cb(uv_process_t* p, int64_t status, int sig) {
  slot_t* s = watcher_of(p);
  ASSERT(!s->exited);
  s->exited = 1;
  ASSERT(sig == 0 ? status == 0 : sig == SIGTERM);
}

static void alloc_cb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  static char space[65536];
  (void) slot_of(h);
  (void) suggested;
  buf->base = space;
  buf->len = sizeof(space);
}

static void read_cb(uv_stream_t* h, ssize_t n, const uv_buf_t* buf) {
  slot_t* s = watcher_of(h);
  (void) buf;
  if (n < 0) {
    /* EOF or a reset: reading is over for this handle. */
    s->reading = 0;
    s->read_error = (int) n;
    ASSERT_OK(uv_read_stop(h));
  }
}

static void write_cb(uv_write_t* req, int status) {
  slot_t* s = slot_of(req->handle);
  int i = (int) (req - s->wreq);
  ASSERT(i >= 0 && i < REQS && s->wbusy[i]);
  s->wbusy[i] = 0;
  s->writes--;
  ASSERT(status == 0 || status == UV_ECANCELED || status == UV_EPIPE ||
         status == UV_ECONNRESET);
}

static void send_cb(uv_udp_send_t* req, int status) {
  slot_t* s = slot_of(req->handle);
  int i = (int) (req - s->sreq);
  ASSERT(i >= 0 && i < REQS && s->sbusy[i]);
  s->sbusy[i] = 0;
  s->sends--;
  ASSERT(status == 0 || status == UV_ECANCELED);
}

static void recv_cb(uv_udp_t* h, ssize_t n, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  (void) n;
  (void) buf;
  (void) addr;
  (void) flags;
  (void) watcher_of(h);
}

static void connect_cb(uv_connect_t* req, int status) {
  slot_t* s = slot_of(req->handle);
  ASSERT(s->connecting);
  s->connecting = 0;
  if (status == 0) {
    ASSERT(!s->closing);
    s->connected = 1;
  } else {
    ASSERT_EQ(status, UV_ECANCELED);
    ASSERT(s->closing);
  }
}

static void accepted_close_cb(uv_handle_t* h) {
  free(h);
  accepted_open--;
}

/* Connections to the shared listener are accepted and closed at once. */
static void on_shared_connection(uv_stream_t* server, int status) {
  uv_tcp_t* t = malloc(sizeof(*t));
  ASSERT_OK(status);
  ASSERT_NOT_NULL(t);
  ASSERT_OK(uv_tcp_init(&loop, t));
  ASSERT_OK(uv_accept(server, (uv_stream_t*) t));
  accepted_open++;
  uv_close((uv_handle_t*) t, accepted_close_cb);
}

/* A slot's own listener: nobody connects to it. */
static void on_slot_connection(uv_stream_t* server, int status) {
  (void) server;
  (void) status;
  TEST_FAIL_("%s", "a connection nobody made");
}

/* ---- operations ---- */

static void op_init(slot_t* s) {
  enum type t = (enum type) (1 + pick(T_TYPES - 1));
  int sv[2];
  int r = 0;
  s->peer[0] = s->peer[1] = -1;
  switch (t) {
  case T_TIMER: r = uv_timer_init(&loop, &s->u.timer); break;
  case T_IDLE: r = uv_idle_init(&loop, &s->u.idle); break;
  case T_PREPARE: r = uv_prepare_init(&loop, &s->u.prepare); break;
  case T_CHECK: r = uv_check_init(&loop, &s->u.check); break;
  case T_ASYNC: r = uv_async_init(&loop, &s->u.async, async_cb); break;
  case T_SIGNAL: r = uv_signal_init(&loop, &s->u.signal); break;
  case T_POLL:
    ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
    s->peer[0] = sv[0];
    s->peer[1] = sv[1];
    r = uv_poll_init(&loop, &s->u.poll, sv[0]);
    break;
  case T_TCP: r = uv_tcp_init(&loop, &s->u.tcp); break;
  case T_PIPE:
    ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    s->peer[0] = sv[0];
    s->peer[1] = sv[1];
    ASSERT_OK(fcntl(sv[1], F_SETFL, O_NONBLOCK));
    r = uv_pipe_init(&loop, &s->u.pipe, 0);
    if (r == 0)
      r = uv_pipe_open(&s->u.pipe, sv[0]);
    break;
  case T_UDP: r = uv_udp_init(&loop, &s->u.udp); break;
  case T_FS_EVENT: r = uv_fs_event_init(&loop, &s->u.fs_event); break;
  case T_FS_POLL: r = uv_fs_poll_init(&loop, &s->u.fs_poll); break;
  case T_PROCESS: {
    char* args[] = {(char*) "/bin/true", NULL};
    uv_process_options_t o;
    memset(&o, 0, sizeof(o));
    o.file = args[0];
    o.args = args;
    o.exit_cb = exit_cb;
    r = uv_spawn(&loop, &s->u.process, &o);
    break;
  }
  default: TEST_FAIL_("type %d", (int) t);
  }
  ASSERT_OK(r);
  s->type = t;
  inits++;
}

static void op_start(slot_t* s) {
  struct sockaddr_in a;
  int len = sizeof(a);
  switch (s->type) {
  case T_TIMER:
    s->repeat = (int) pick(3);
    ASSERT_OK(uv_timer_start(&s->u.timer, timer_cb, pick(4), (uint64_t) s->repeat));
    s->active = 1;
    break;
  case T_IDLE: ASSERT_OK(uv_idle_start(&s->u.idle, idle_cb)); s->active = 1; break;
  case T_PREPARE: ASSERT_OK(uv_prepare_start(&s->u.prepare, prepare_cb)); s->active = 1; break;
  case T_CHECK: ASSERT_OK(uv_check_start(&s->u.check, check_cb)); s->active = 1; break;
  case T_ASYNC: ASSERT_OK(uv_async_send(&s->u.async)); break;
  case T_PROCESS:
    /* The child may be gone, reaped or not: then UV_ESRCH. */
    if (!s->exited) {
      int r = uv_process_kill(&s->u.process, SIGTERM);
      ASSERT(r == 0 || r == UV_ESRCH);
    }
    break;
  case T_SIGNAL:
    s->signum = pick(2) ? SIGUSR1 : SIGUSR2;
    ASSERT_OK(uv_signal_start(&s->u.signal, signal_cb, s->signum));
    s->active = 1;
    break;
  case T_POLL:
    ASSERT_OK(uv_poll_start(&s->u.poll, pick(2) ? UV_READABLE : UV_READABLE | UV_WRITABLE, poll_cb));
    s->active = 1;
    break;
  case T_TCP:
    if (!s->bound && !s->connecting && !s->connected && pick(2)) {
      ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &a));
      ASSERT_OK(uv_tcp_bind(&s->u.tcp, (struct sockaddr*) &a, 0));
      ASSERT_OK(uv_listen((uv_stream_t*) &s->u.tcp, 8, on_slot_connection));
      s->bound = s->listening = 1;
    } else if (!s->bound && !s->connecting && !s->connected) {
      ASSERT_OK(uv_tcp_connect(&s->creq, &s->u.tcp, (struct sockaddr*) &listen_addr, connect_cb));
      s->connecting = 1;
      s->bound = 1;
    } else if (s->connected && !s->reading) {
      /* After a read error the stream is no longer readable (both libuv
       * versions); after EOF libuv 1.52 lets reading restart and 1.44
       * does not. */
      int r = uv_read_start((uv_stream_t*) &s->u.tcp, alloc_cb, read_cb);
      if (s->read_error == 0)
        ASSERT_OK(r);
      else if (s->read_error != UV_EOF)
        ASSERT_EQ(r, UV_ENOTCONN);
      else
        ASSERT(r == 0 || r == UV_ENOTCONN);
      s->reading = r == 0;
    }
    break;
  case T_PIPE:
    if (!s->reading) {
      ASSERT_OK(uv_read_start((uv_stream_t*) &s->u.pipe, alloc_cb, read_cb));
      s->reading = 1;
    }
    break;
  case T_UDP:
    if (!s->bound) {
      ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &a));
      ASSERT_OK(uv_udp_bind(&s->u.udp, (struct sockaddr*) &a, 0));
      s->bound = 1;
    }
    /* Receiving already: UV_EALREADY, as documented. */
    ASSERT_EQ(uv_udp_recv_start(&s->u.udp, alloc_cb, recv_cb),
              s->reading ? UV_EALREADY : 0);
    s->reading = 1;
    (void) len;
    break;
  case T_FS_EVENT:
    /* Started already: UV_EINVAL (libuv's answer, on every version). */
    ASSERT_EQ(uv_fs_event_start(&s->u.fs_event, fs_event_cb, watch_dir, 0),
              s->active ? UV_EINVAL : 0);
    s->active = 1;
    break;
  case T_FS_POLL:
    /* Started once at most: restarted while its stat is in flight, libuv
     * 1.44 asserts (fs-poll.c) and 1.52.1 can drop the close callback. */
    if (!s->bound) {
      ASSERT_OK(uv_fs_poll_start(&s->u.fs_poll, fs_poll_cb, watch_file, 1 + pick(5)));
      s->active = 1;
      s->bound = 1;
    }
    break;
  default:
    break;
  }
}

static void op_stop(slot_t* s) {
  switch (s->type) {
  case T_TIMER: ASSERT_OK(uv_timer_stop(&s->u.timer)); break;
  case T_IDLE: ASSERT_OK(uv_idle_stop(&s->u.idle)); break;
  case T_PREPARE: ASSERT_OK(uv_prepare_stop(&s->u.prepare)); break;
  case T_CHECK: ASSERT_OK(uv_check_stop(&s->u.check)); break;
  case T_SIGNAL: ASSERT_OK(uv_signal_stop(&s->u.signal)); s->signum = 0; break;
  case T_POLL: ASSERT_OK(uv_poll_stop(&s->u.poll)); break;
  case T_TCP:
  case T_PIPE:
    if (s->reading || pick(2)) {
      ASSERT_OK(uv_read_stop((uv_stream_t*) &s->u.h));
      s->reading = 0;
    }
    break;
  case T_UDP: ASSERT_OK(uv_udp_recv_stop(&s->u.udp)); s->reading = 0; break;
  case T_FS_EVENT: ASSERT_OK(uv_fs_event_stop(&s->u.fs_event)); break;
  case T_FS_POLL: ASSERT_OK(uv_fs_poll_stop(&s->u.fs_poll)); break;
  default: break;
  }
  s->active = 0;
}

static void op_write(slot_t* s) {
  uv_buf_t b;
  int i;
  if (s->type == T_TCP || s->type == T_PIPE) {
    if (s->type == T_TCP && !s->connected)
      return;
    for (i = 0; i < REQS && s->wbusy[i]; i++) {
    }
    if (i == REQS)
      return;
    b = uv_buf_init(s->data, 1 + pick(sizeof(s->data) - 1));
    ASSERT_OK(uv_write(&s->wreq[i], (uv_stream_t*) &s->u.h, &b, 1, write_cb));
    s->wbusy[i] = 1;
    s->writes++;
  } else if (s->type == T_UDP && s->bound) {
    struct sockaddr_in self;
    int len = sizeof(self);
    for (i = 0; i < REQS && s->sbusy[i]; i++) {
    }
    if (i == REQS)
      return;
    ASSERT_OK(uv_udp_getsockname(&s->u.udp, (struct sockaddr*) &self, &len));
    b = uv_buf_init(s->data, 1 + pick(sizeof(s->data) - 1));
    ASSERT_OK(uv_udp_send(&s->sreq[i], &s->u.udp, &b, 1, (struct sockaddr*) &self, send_cb));
    s->sbusy[i] = 1;
    s->sends++;
  }
}

static void op_close(slot_t* s) {
  /* A process is closed once it has exited, so that none is left
   * unreaped. */
  if (s->type == T_PROCESS && !s->exited)
    return;
  s->closing = 1;
  s->active = 0;
  uv_close(&s->u.h, close_cb);
}

/* Something from outside: a send, a signal, bytes, a touched file. */
static void op_stimulus(void) {
  slot_t* s = &slots[pick(SLOTS)];
  int i;
  switch (pick(4)) {
  case 0:
    if (s->type == T_ASYNC && !s->closing)
      ASSERT_OK(uv_async_send(&s->u.async));
    break;
  case 1:
    /* Only a signal someone is watching: others would end the process. */
    for (i = 0; i < SLOTS; i++)
      if (slots[i].type == T_SIGNAL && !slots[i].closing && slots[i].signum) {
        ASSERT_OK(raise(slots[i].signum));
        break;
      }
    break;
  case 2:
    if (s->peer[1] >= 0) {
      char buf[4096];
      (void) !write(s->peer[1], "x", 1);
      while (read(s->peer[1], buf, sizeof(buf)) > 0) {
      }
    }
    break;
  default: {
    int fd = open(watch_file, O_WRONLY | O_APPEND);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "y", 1), 1);
    close(fd);
    break;
  }
  }
}

static void check_model(slot_t* s) {
  if (s->type == T_FREE)
    return;
  ASSERT_EQ(uv_is_closing(&s->u.h), s->closing ? 1 : 0);
  if (!s->closing)
    ASSERT_EQ(uv_has_ref(&s->u.h), s->unref ? 0 : 1);
  switch (s->type) {
  case T_TIMER: case T_IDLE: case T_PREPARE: case T_CHECK: case T_SIGNAL:
  case T_POLL: case T_FS_EVENT: case T_FS_POLL:
    ASSERT_EQ(uv_is_active(&s->u.h), s->active);
    break;
  case T_ASYNC:
    ASSERT_EQ(uv_is_active(&s->u.h), !s->closing);
    break;
  case T_PROCESS:
    ASSERT_EQ(uv_is_active(&s->u.h), !s->closing && !s->exited);
    break;
  default:
    break;
  }
}

static void step(void) {
  slot_t* s = &slots[pick(SLOTS)];
  unsigned op = pick(16);
  if (s->type == T_FREE) {
    if (op < 8)
      op_init(s);
    return;
  }
  if (s->closing) {
    check_model(s);
    return;
  }
  if (op < 4)
    op_start(s);
  else if (op < 6)
    op_stop(s);
  else if (op < 7) {
    if (pick(2)) {
      uv_unref(&s->u.h);
      s->unref = 1;
    } else {
      uv_ref(&s->u.h);
      s->unref = 0;
    }
  } else if (op < 9)
    op_write(s);
  else if (op < 10)
    op_close(s);
  else if (op < 13)
    op_stimulus();
  else
    ASSERT_GE(uv_run(&loop, UV_RUN_NOWAIT), 0);
  check_model(s);
}

static void run_seed(uint64_t seed, long ops) {
  socklen_t len = sizeof(listen_addr);
  long i;
  int k;
  rng = seed | 1;
  for (k = 0; k < SLOTS; k++) {
    memset(&slots[k], 0, sizeof(slots[k]));
    slots[k].peer[0] = slots[k].peer[1] = -1;
  }
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_tcp_init(&loop, &listener));
  ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &listen_addr));
  ASSERT_OK(uv_tcp_bind(&listener, (struct sockaddr*) &listen_addr, 0));
  ASSERT_OK(uv_tcp_getsockname(&listener, (struct sockaddr*) &listen_addr, (int*) &len));
  ASSERT_OK(uv_listen((uv_stream_t*) &listener, 128, on_shared_connection));

  for (i = 0; i < ops; i++)
    step();

  /* Every child exits; then everything closes, every close callback comes,
   * and the loop closes. */
  for (k = 0; k < SLOTS; k++)
    while (slots[k].type == T_PROCESS && !slots[k].exited)
      ASSERT_GE(uv_run(&loop, UV_RUN_ONCE), 0);
  for (k = 0; k < SLOTS; k++)
    if (slots[k].type != T_FREE && !slots[k].closing)
      op_close(&slots[k]);
  uv_close((uv_handle_t*) &listener, NULL);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  for (k = 0; k < SLOTS; k++)
    ASSERT_EQ(slots[k].type, T_FREE);
  ASSERT_EQ(accepted_open, 0);
  ASSERT_EQ(closes, inits);
  ASSERT_OK(uv_loop_close(&loop));
}

int main(void) {
  const char* s = getenv("RSUV_FUZZ_SEED");
  const char* o = getenv("RSUV_FUZZ_OPS");
  uint64_t seed = s != NULL ? strtoull(s, NULL, 0) : 0xfeedf00dull;
  long ops = o != NULL ? atol(o) : 20000;
  int i, fd;

  signal(SIGPIPE, SIG_IGN);
  if (o == NULL && strcmp(under_checker(), "") != 0)
    ops /= 10;
  fs_tmp_init("api-fuzz");
  watch_dir = fs_root;
  watch_file = tpath("watched");
  fd = open(watch_file, O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  close(fd);

  for (i = 0; i < 4; i++) {
    closes = inits = callbacks = 0;
    run_seed(seed + (uint64_t) i * 0x9e3779b9u, ops);
    printf("seed %" PRIu64 ": %ld ops, %ld handles, %ld callbacks\n",
           (uint64_t) (seed + (uint64_t) i * 0x9e3779b9u), ops, inits, callbacks);
  }
  fs_tmp_cleanup();
  return 0;
}
