/* multi-echo: a multi-process echo server: the parent accepts TCP connections on 127.0.0.1 and hands each, in turn, to one of 2 fork()ed workers over an IPC pipe with uv_write2; the workers take them with uv_accept and echo. `multi-echo PORT` serves forever; without arguments a built-in client in the parent makes 8 connections and checks the echoes, then the parent closes the IPC pipes (the workers see EOF and exit) and reaps the workers. */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#define NWORKERS 2
#define NCLIENTS 8

static uv_loop_t* loop;

static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  (void) handle;
  buf->base = malloc(suggested);
  buf->len = buf->base ? suggested : 0;
}

static void free_handle(uv_handle_t* handle) {
  free(handle);
}

/* ================= worker: echoes the connections it is given ================= */

static int worker_id, served;
static uv_pipe_t worker_ipc;

typedef struct {
  uv_write_t req;
  char data[];
} echo_write_t;

static void on_echo_written(uv_write_t* req, int status) {
  if (status < 0)
    fprintf(stderr, "worker %d: write failed: %s\n", worker_id, uv_strerror(status));
  free(req);
}

static void on_conn_read(uv_stream_t* conn, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    echo_write_t* w = malloc(sizeof(*w) + (size_t) nread);
    uv_buf_t out;
    memcpy(w->data, buf->base, (size_t) nread);
    out = uv_buf_init(w->data, (unsigned) nread);
    if (uv_write(&w->req, conn, &out, 1, on_echo_written) != 0)
      free(w);
  } else if (nread < 0) {
    uv_close((uv_handle_t*) conn, free_handle);
  }
  free(buf->base);
}

static void on_ipc_read(uv_stream_t* ipc, ssize_t nread, const uv_buf_t* buf) {
  free(buf->base);
  if (nread < 0) {
    /* The parent closed its end: no more connections will come. */
    uv_close((uv_handle_t*) ipc, NULL);
    return;
  }
  /* Each message from the parent carries one connection. */
  while (uv_pipe_pending_count((uv_pipe_t*) ipc) > 0) {
    uv_tcp_t* conn = malloc(sizeof(*conn));
    uv_tcp_init(loop, conn);
    if (uv_accept(ipc, (uv_stream_t*) conn) != 0) {
      uv_close((uv_handle_t*) conn, free_handle);
      continue;
    }
    served++;
    printf("worker %d (pid %d): echoing connection %d\n", worker_id, (int) getpid(), served);
    fflush(stdout);
    uv_read_start((uv_stream_t*) conn, on_alloc, on_conn_read);
  }
}

static int run_worker(int id, int fd) {
  worker_id = id;
  loop = uv_default_loop();
  uv_pipe_init(loop, &worker_ipc, 1 /* ipc */);
  uv_pipe_open(&worker_ipc, fd);
  uv_read_start((uv_stream_t*) &worker_ipc, on_alloc, on_ipc_read);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  printf("worker %d: served %d connection(s), exiting\n", id, served);
  return 0;
}

/* ================= parent: accepts and hands connections out ================= */

static uv_tcp_t server;
static uv_pipe_t worker_pipes[NWORKERS];
static pid_t worker_pids[NWORKERS];
static int next_worker;

typedef struct {
  uv_write_t req;
  uv_tcp_t* conn;
} handoff_t;

static void on_handed_off(uv_write_t* req, int status) {
  handoff_t* h = (handoff_t*) req;
  if (status < 0)
    fprintf(stderr, "parent: handing a connection off failed: %s\n", uv_strerror(status));
  /* The worker has its own descriptor now: close ours. */
  uv_close((uv_handle_t*) h->conn, free_handle);
  free(h);
}

static void on_connection(uv_stream_t* srv, int status) {
  static char tag[] = "c";
  uv_buf_t buf = uv_buf_init(tag, 1);
  handoff_t* h;

  if (status < 0)
    return;
  h = malloc(sizeof(*h));
  h->conn = malloc(sizeof(*h->conn));
  uv_tcp_init(loop, h->conn);
  if (uv_accept(srv, (uv_stream_t*) h->conn) != 0 ||
      uv_write2(&h->req, (uv_stream_t*) &worker_pipes[next_worker], &buf, 1,
                (uv_stream_t*) h->conn, on_handed_off) != 0) {
    uv_close((uv_handle_t*) h->conn, free_handle);
    free(h);
    return;
  }
  next_worker = (next_worker + 1) % NWORKERS;
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

static void shut_down(void) {
  int i;
  /* EOF on its IPC pipe tells each worker to exit. */
  uv_close((uv_handle_t*) &server, NULL);
  for (i = 0; i < NWORKERS; i++)
    uv_close((uv_handle_t*) &worker_pipes[i], NULL);
}

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
    size_t n = (size_t) nread < sizeof(c->got) - c->got_len ? (size_t) nread
                                                             : sizeof(c->got) - c->got_len;
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
  uv_read_start((uv_stream_t*) &c->handle, on_alloc, on_client_read);
}

int main(int argc, char** argv) {
  int fds[NWORKERS][2];
  struct sockaddr_in addr;
  int len = sizeof(addr);
  int port = argc > 1 ? atoi(argv[1]) : 0;
  int i, j, status, workers_ok = 0;

  signal(SIGPIPE, SIG_IGN);

  /* Start the workers before any loop exists: each gets one end of its own
   * socketpair and nothing else. */
  for (i = 0; i < NWORKERS; i++) {
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds[i]) != 0) {
      perror("socketpair");
      return 1;
    }
  }
  fflush(stdout);
  for (i = 0; i < NWORKERS; i++) {
    worker_pids[i] = fork();
    if (worker_pids[i] < 0) {
      perror("fork");
      return 1;
    }
    if (worker_pids[i] == 0) {
      for (j = 0; j < NWORKERS; j++) {
        close(fds[j][0]);
        if (j != i)
          close(fds[j][1]);
      }
      exit(run_worker(i, fds[i][1]));
    }
  }

  loop = uv_default_loop();
  for (i = 0; i < NWORKERS; i++) {
    close(fds[i][1]);
    uv_pipe_init(loop, &worker_pipes[i], 1 /* ipc */);
    uv_pipe_open(&worker_pipes[i], fds[i][0]);
  }

  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short) port);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  uv_tcp_init(loop, &server);
  status = uv_tcp_bind(&server, (const struct sockaddr*) &addr, 0);
  if (status == 0)
    status = uv_listen((uv_stream_t*) &server, 128, on_connection);
  if (status != 0) {
    fprintf(stderr, "cannot listen on 127.0.0.1:%d: %s\n", port, uv_strerror(status));
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

  for (i = 0; i < NWORKERS; i++) {
    if (waitpid(worker_pids[i], &status, 0) == worker_pids[i] && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0)
      workers_ok++;
  }
  printf("%d of %d echoes ok, %d of %d workers exited cleanly\n", echoed_ok, NCLIENTS,
         workers_ok, NWORKERS);
  return echoed_ok == NCLIENTS && workers_ok == NWORKERS ? 0 : 1;
}
