/* multi-echo: a multi-process echo server. The parent starts 2 workers with uv_spawn -- this program again, with the argument "worker" -- each with an IPC pipe as its stdin (UV_CREATE_PIPE | UV_READABLE_PIPE on a uv_pipe_t made with ipc = 1). It accepts TCP connections on 127.0.0.1 and hands each, in turn, to the next worker with uv_write2; a worker opens its stdin as an IPC pipe, takes each connection with uv_accept and echoes. `multi-echo PORT` serves forever; without arguments a built-in client in the parent makes 8 connections and checks the echoes, then the parent closes the IPC pipes, the workers see EOF and exit, and their exit callbacks end the loop. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#define NWORKERS 2
#define NCLIENTS 8

static uv_loop_t* loop;

static void alloc_buffer(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  (void) handle;
  buf->base = malloc(suggested);
  buf->len = buf->base ? suggested : 0;
}

static void free_handle(uv_handle_t* handle) {
  free(handle);
}

/* ================= worker: echoes the connections it is given ================= */

static uv_pipe_t queue;
static int served;

typedef struct {
  uv_write_t req;
  char data[];
} echo_write_t;

static void on_echo_written(uv_write_t* req, int status) {
  if (status < 0)
    fprintf(stderr, "worker %d: write failed: %s\n", (int) getpid(), uv_strerror(status));
  free(req);
}

static void echo_read(uv_stream_t* client, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    echo_write_t* w = malloc(sizeof(*w) + (size_t) nread);
    uv_buf_t out;
    memcpy(w->data, buf->base, (size_t) nread);
    out = uv_buf_init(w->data, (unsigned) nread);
    if (uv_write(&w->req, client, &out, 1, on_echo_written) != 0)
      free(w);
  } else if (nread < 0) {
    uv_close((uv_handle_t*) client, free_handle);
  }
  free(buf->base);
}

static void on_new_connection(uv_stream_t* q, ssize_t nread, const uv_buf_t* buf) {
  free(buf->base);
  if (nread < 0) {
    /* The master closed its end: no more connections will come. */
    uv_close((uv_handle_t*) q, NULL);
    return;
  }
  while (uv_pipe_pending_count((uv_pipe_t*) q) > 0) {
    uv_tcp_t* client = malloc(sizeof(*client));
    uv_tcp_init(loop, client);
    if (uv_accept(q, (uv_stream_t*) client) == 0) {
      served++;
      printf("worker %d: accepted connection %d\n", (int) getpid(), served);
      fflush(stdout);
      uv_read_start((uv_stream_t*) client, alloc_buffer, echo_read);
    } else {
      uv_close((uv_handle_t*) client, free_handle);
    }
  }
}

static int run_worker(void) {
  loop = uv_default_loop();
  uv_pipe_init(loop, &queue, 1 /* ipc */);
  uv_pipe_open(&queue, 0);
  uv_read_start((uv_stream_t*) &queue, alloc_buffer, on_new_connection);
  uv_run(loop, UV_RUN_DEFAULT);
  printf("worker %d: served %d connection(s), exiting\n", (int) getpid(), served);
  return uv_loop_close(loop) == 0 ? 0 : 1;
}

/* ================= master: starts the workers, hands connections out ================= */

struct child_worker {
  uv_process_t req;
  uv_process_options_t options;
  uv_pipe_t pipe;
};

static struct child_worker workers[NWORKERS];
static int round_robin_counter, workers_ok, workers_exited;
static uv_tcp_t server;

static void on_worker_exit(uv_process_t* req, int64_t exit_status, int term_signal) {
  fprintf(stderr, "worker %d exited with status %lld, signal %d\n", req->pid,
          (long long) exit_status, term_signal);
  workers_exited++;
  workers_ok += exit_status == 0 && term_signal == 0;
  uv_close((uv_handle_t*) req, NULL);
}

static int setup_workers(void) {
  static char exe[1024];
  static char* args[3];
  size_t size = sizeof(exe);
  int i, r;

  uv_exepath(exe, &size);
  args[0] = exe;
  args[1] = "worker";
  args[2] = NULL;

  for (i = 0; i < NWORKERS; i++) {
    struct child_worker* worker = &workers[i];
    uv_stdio_container_t child_stdio[3];

    uv_pipe_init(loop, &worker->pipe, 1 /* ipc */);
    child_stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
    child_stdio[0].data.stream = (uv_stream_t*) &worker->pipe;
    child_stdio[1].flags = UV_INHERIT_FD;
    child_stdio[1].data.fd = 1;
    child_stdio[2].flags = UV_INHERIT_FD;
    child_stdio[2].data.fd = 2;

    worker->options.stdio = child_stdio;
    worker->options.stdio_count = 3;
    worker->options.exit_cb = on_worker_exit;
    worker->options.file = args[0];
    worker->options.args = args;

    fflush(stdout);
    r = uv_spawn(loop, &worker->req, &worker->options);
    if (r != 0) {
      fprintf(stderr, "cannot start a worker: %s\n", uv_strerror(r));
      return r;
    }
    printf("Started worker %d\n", worker->req.pid);
  }
  return 0;
}

static void on_handed_off(uv_write_t* req, int status) {
  uv_tcp_t* client = req->data;
  if (status < 0)
    fprintf(stderr, "handing a connection off failed: %s\n", uv_strerror(status));
  /* The worker has its own descriptor now: close ours. */
  uv_close((uv_handle_t*) client, free_handle);
  free(req);
}

static void on_connection(uv_stream_t* srv, int status) {
  static char dot[] = ".";
  uv_buf_t dummy_buf = uv_buf_init(dot, 1);
  uv_tcp_t* client;
  uv_write_t* write_req;

  if (status < 0)
    return;
  client = malloc(sizeof(*client));
  uv_tcp_init(loop, client);
  if (uv_accept(srv, (uv_stream_t*) client) != 0) {
    uv_close((uv_handle_t*) client, free_handle);
    return;
  }
  write_req = malloc(sizeof(*write_req));
  write_req->data = client;
  if (uv_write2(write_req, (uv_stream_t*) &workers[round_robin_counter].pipe, &dummy_buf, 1,
                (uv_stream_t*) client, on_handed_off) != 0) {
    uv_close((uv_handle_t*) client, free_handle);
    free(write_req);
    return;
  }
  round_robin_counter = (round_robin_counter + 1) % NWORKERS;
}

/* EOF on its IPC pipe tells each worker to exit. */
static void shut_down(void) {
  int i;
  uv_close((uv_handle_t*) &server, NULL);
  for (i = 0; i < NWORKERS; i++)
    uv_close((uv_handle_t*) &workers[i].pipe, NULL);
}

/* ================= the built-in client ================= */

typedef struct {
  uv_tcp_t handle;
  uv_connect_t connect_req;
  uv_write_t write_req;
  char msg[64];
  size_t len;
  char got[64];
  size_t got_len;
} client_t;

static client_t clients[NCLIENTS];
static int finished, echoed_ok;

static void client_done(client_t* c, int ok) {
  echoed_ok += ok;
  uv_close((uv_handle_t*) &c->handle, NULL);
  if (++finished == NCLIENTS)
    shut_down();
}

static void on_client_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  client_t* c = (client_t*) stream;
  if (nread < 0) {
    fprintf(stderr, "client %d: read failed: %s\n", (int) (c - clients), uv_strerror((int) nread));
    client_done(c, 0);
  } else if (nread > 0) {
    size_t room = sizeof(c->got) - c->got_len;
    size_t n = (size_t) nread < room ? (size_t) nread : room;
    memcpy(c->got + c->got_len, buf->base, n);
    c->got_len += n;
    if (c->got_len >= c->len) {
      int ok = c->got_len == c->len && memcmp(c->got, c->msg, c->len) == 0;
      printf("client %d: %s\n", (int) (c - clients), ok ? "echo ok" : "wrong echo");
      fflush(stdout);
      client_done(c, ok);
    }
  }
  free(buf->base);
}

static void on_client_connect(uv_connect_t* req, int status) {
  client_t* c = (client_t*) req->handle;
  uv_buf_t buf;
  if (status < 0) {
    fprintf(stderr, "client %d: connect failed: %s\n", (int) (c - clients), uv_strerror(status));
    client_done(c, 0);
    return;
  }
  buf = uv_buf_init(c->msg, (unsigned) c->len);
  uv_write(&c->write_req, (uv_stream_t*) &c->handle, &buf, 1, NULL);
  uv_read_start((uv_stream_t*) &c->handle, alloc_buffer, on_client_read);
}

int main(int argc, char** argv) {
  struct sockaddr_in addr;
  int len = sizeof(addr);
  int port = argc > 1 ? atoi(argv[1]) : 0;
  int i, r;

  if (argc > 1 && strcmp(argv[1], "worker") == 0)
    return run_worker();

  signal(SIGPIPE, SIG_IGN);
  loop = uv_default_loop();
  if (setup_workers() != 0)
    return 1;

  uv_tcp_init(loop, &server);
  uv_ip4_addr("127.0.0.1", port, &addr);
  r = uv_tcp_bind(&server, (const struct sockaddr*) &addr, 0);
  if (r == 0)
    r = uv_listen((uv_stream_t*) &server, 128, on_connection);
  if (r != 0) {
    fprintf(stderr, "cannot listen on 127.0.0.1:%d: %s\n", port, uv_strerror(r));
    shut_down();
  } else {
    uv_tcp_getsockname(&server, (struct sockaddr*) &addr, &len);
    printf("echo server on 127.0.0.1:%d with %d worker processes\n", ntohs(addr.sin_port),
           NWORKERS);
    fflush(stdout);
    if (argc <= 1) {
      for (i = 0; i < NCLIENTS; i++) {
        client_t* c = &clients[i];
        c->len = (size_t) snprintf(c->msg, sizeof(c->msg), "message %d from the client", i);
        uv_tcp_init(loop, &c->handle);
        uv_tcp_connect(&c->connect_req, &c->handle, (const struct sockaddr*) &addr,
                       on_client_connect);
      }
    }
  }
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);

  printf("%d of %d echoes ok, %d of %d workers exited cleanly\n", echoed_ok, NCLIENTS,
         workers_ok, NWORKERS);
  return echoed_ok == NCLIENTS && workers_ok == NWORKERS ? 0 : 1;
}
