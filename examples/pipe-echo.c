/* pipe-echo: an echo server on a Unix-domain socket; `pipe-echo PATH` serves on PATH forever, and without arguments it listens on /tmp/pipe-echo-<pid>.sock and runs a client in the same loop that round-trips a few messages, then closes everything (closing the server removes the socket file) and exits 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

static uv_loop_t* loop;
static uv_pipe_t server;

/* ---- the server: one echo_conn_t per accepted connection ---- */

typedef struct {
  uv_write_t req;
  char data[]; /* a copy of what was read */
} echo_write_t;

static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  (void) handle;
  buf->base = malloc(suggested);
  buf->len = buf->base ? suggested : 0;
}

static void on_conn_closed(uv_handle_t* handle) {
  free(handle);
}

static void on_echo_written(uv_write_t* req, int status) {
  if (status < 0)
    fprintf(stderr, "server: write failed: %s\n", uv_strerror(status));
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
    if (nread != UV_EOF)
      fprintf(stderr, "server: read failed: %s\n", uv_strerror((int) nread));
    uv_close((uv_handle_t*) conn, on_conn_closed);
  }
  free(buf->base);
}

static void on_connection(uv_stream_t* srv, int status) {
  uv_pipe_t* conn;
  if (status < 0) {
    fprintf(stderr, "server: connection failed: %s\n", uv_strerror(status));
    return;
  }
  conn = malloc(sizeof(*conn));
  uv_pipe_init(loop, conn, 0);
  if (uv_accept(srv, (uv_stream_t*) conn) == 0)
    uv_read_start((uv_stream_t*) conn, on_alloc, on_conn_read);
  else
    uv_close((uv_handle_t*) conn, on_conn_closed);
}

/* ---- the built-in client: sends each message, waits for its echo ---- */

static const char* messages[] = { "hello", "echo, echo", "a third message", "bye" };
#define NMESSAGES (sizeof(messages) / sizeof(messages[0]))

static uv_pipe_t client;
static uv_connect_t connect_req;
static uv_write_t client_write;
static unsigned current;
static char got[64];
static size_t got_len;
static int exit_code = 1;

static void send_current(void) {
  uv_buf_t buf = uv_buf_init((char*) messages[current], (unsigned) strlen(messages[current]));
  got_len = 0;
  printf("client: sending \"%s\"\n", messages[current]);
  uv_write(&client_write, (uv_stream_t*) &client, &buf, 1, NULL);
}

/* Ends the demo: closing the client ends its server connection (EOF). */
static void finish(int ok) {
  exit_code = ok ? 0 : 1;
  uv_close((uv_handle_t*) &client, NULL);
  uv_close((uv_handle_t*) &server, NULL);
}

static void on_client_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  size_t want = strlen(messages[current]);
  (void) stream;
  if (nread < 0) {
    fprintf(stderr, "client: read failed: %s\n", uv_strerror((int) nread));
    finish(0);
  } else if (nread > 0) {
    size_t n = (size_t) nread < sizeof(got) - got_len ? (size_t) nread : sizeof(got) - got_len;
    memcpy(got + got_len, buf->base, n);
    got_len += n;
    if (got_len >= want) {
      if (got_len != want || memcmp(got, messages[current], want) != 0) {
        fprintf(stderr, "client: got \"%.*s\" back instead\n", (int) got_len, got);
        finish(0);
      } else {
        printf("client: got \"%.*s\" back\n", (int) got_len, got);
        if (++current < NMESSAGES)
          send_current();
        else
          finish(1);
      }
    }
  }
  free(buf->base);
}

static void on_connect(uv_connect_t* req, int status) {
  if (status < 0) {
    fprintf(stderr, "client: connect failed: %s\n", uv_strerror(status));
    finish(0);
    return;
  }
  uv_read_start(req->handle, on_alloc, on_client_read);
  send_current();
}

int main(int argc, char** argv) {
  char path[64];
  int r;

  signal(SIGPIPE, SIG_IGN);
  loop = uv_default_loop();
  if (argc > 1)
    snprintf(path, sizeof(path), "%s", argv[1]);
  else
    snprintf(path, sizeof(path), "/tmp/pipe-echo-%d.sock", (int) getpid());

  uv_pipe_init(loop, &server, 0);
  r = uv_pipe_bind(&server, path);
  if (r == 0)
    r = uv_listen((uv_stream_t*) &server, 128, on_connection);
  if (r != 0) {
    fprintf(stderr, "cannot listen on %s: %s\n", path, uv_strerror(r));
    return 1;
  }
  printf("echo server on %s\n", path);
  fflush(stdout);

  if (argc > 1)
    return uv_run(loop, UV_RUN_DEFAULT); /* serve until killed */

  uv_pipe_init(loop, &client, 0);
  uv_pipe_connect(&connect_req, &client, path, on_connect);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  unlink(path); /* already gone unless something failed */
  printf(exit_code == 0 ? "all %u messages echoed\n" : "echo failed after %u messages\n",
         current);
  return exit_code;
}
