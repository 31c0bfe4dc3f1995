/* cgi: a TCP server on 127.0.0.1 that answers every connection by running a "CGI script" -- this program again, with the argument "tick", which prints "tick" a few times and then "BOOM!" -- with the connection as the script's stdout (UV_INHERIT_STREAM), so whatever the script prints goes straight to the client. The exit callback closes the connection. `cgi PORT` serves forever; without arguments it listens on a free port, connects to itself once, prints what the script sent, and exits. */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#define TICKS 5

static uv_loop_t* loop;
static uv_tcp_t server;
static char exe[1024];

/* ---- the script ---- */

static int tick(void) {
  int i;
  for (i = 0; i < TICKS; i++) {
    printf("tick\n");
    fflush(stdout);
    usleep(100 * 1000);
  }
  printf("BOOM!\n");
  return 0;
}

/* ---- the server ---- */

typedef struct {
  uv_process_t req;
  uv_tcp_t* client;
} cgi_child_t;

static void free_handle(uv_handle_t* handle) {
  free(handle);
}

static void cleanup_handles(uv_process_t* req, int64_t exit_status, int term_signal) {
  cgi_child_t* child = (cgi_child_t*) req;
  fprintf(stderr, "script exited with status %lld, signal %d\n", (long long) exit_status,
          term_signal);
  uv_close((uv_handle_t*) child->client, free_handle);
  uv_close((uv_handle_t*) req, free_handle);
}

static void invoke_cgi_script(uv_tcp_t* client) {
  cgi_child_t* child = malloc(sizeof(*child));
  uv_process_options_t options;
  uv_stdio_container_t child_stdio[3];
  char* args[3];
  int r;

  args[0] = exe;
  args[1] = "tick";
  args[2] = NULL;

  memset(&options, 0, sizeof(options));
  options.stdio_count = 3;
  child_stdio[0].flags = UV_IGNORE;
  child_stdio[1].flags = UV_INHERIT_STREAM;
  child_stdio[1].data.stream = (uv_stream_t*) client;
  child_stdio[2].flags = UV_IGNORE;
  options.stdio = child_stdio;

  options.exit_cb = cleanup_handles;
  options.file = args[0];
  options.args = args;

  child->client = client;
  r = uv_spawn(loop, &child->req, &options);
  if (r != 0) {
    fprintf(stderr, "uv_spawn: %s\n", uv_strerror(r));
    uv_close((uv_handle_t*) &child->req, free_handle);
    uv_close((uv_handle_t*) client, free_handle);
  }
}

static void on_new_connection(uv_stream_t* srv, int status) {
  uv_tcp_t* client;
  if (status < 0) {
    fprintf(stderr, "connection error: %s\n", uv_strerror(status));
    return;
  }
  client = malloc(sizeof(*client));
  uv_tcp_init(loop, client);
  if (uv_accept(srv, (uv_stream_t*) client) == 0)
    invoke_cgi_script(client);
  else
    uv_close((uv_handle_t*) client, free_handle);
}

/* ---- the built-in client ---- */

static uv_tcp_t conn;
static uv_connect_t connect_req;
static char got[256];
static size_t got_len;
static int read_ok;

static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  (void) handle;
  (void) suggested;
  buf->base = got + got_len;
  buf->len = sizeof(got) - 1 - got_len;
}

static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  (void) buf;
  if (nread > 0) {
    got_len += (size_t) nread;
    got[got_len] = '\0';
    return;
  }
  if (nread == 0)
    return;
  /* EOF: the script is done and the server has closed the connection. */
  read_ok = nread == UV_EOF;
  printf("the script sent:\n%s", got);
  uv_close((uv_handle_t*) stream, NULL);
  uv_close((uv_handle_t*) &server, NULL);
}

static void on_connect(uv_connect_t* req, int status) {
  if (status < 0) {
    fprintf(stderr, "connect failed: %s\n", uv_strerror(status));
    uv_close((uv_handle_t*) req->handle, NULL);
    uv_close((uv_handle_t*) &server, NULL);
    return;
  }
  uv_read_start(req->handle, on_alloc, on_read);
}

int main(int argc, char** argv) {
  struct sockaddr_in addr;
  int len = sizeof(addr);
  size_t size = sizeof(exe);
  int port = argc > 1 ? atoi(argv[1]) : 0;
  int r, i;
  char want[256] = "";

  if (argc > 1 && strcmp(argv[1], "tick") == 0)
    return tick();

  signal(SIGPIPE, SIG_IGN);
  loop = uv_default_loop();
  uv_exepath(exe, &size);

  uv_tcp_init(loop, &server);
  uv_ip4_addr("127.0.0.1", port, &addr);
  r = uv_tcp_bind(&server, (const struct sockaddr*) &addr, 0);
  if (r == 0)
    r = uv_listen((uv_stream_t*) &server, 128, on_new_connection);
  if (r != 0) {
    fprintf(stderr, "cannot listen on 127.0.0.1:%d: %s\n", port, uv_strerror(r));
    return 1;
  }
  uv_tcp_getsockname(&server, (struct sockaddr*) &addr, &len);
  printf("CGI server on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  if (argc > 1)
    return uv_run(loop, UV_RUN_DEFAULT); /* serve until killed */

  uv_tcp_init(loop, &conn);
  uv_tcp_connect(&connect_req, &conn, (const struct sockaddr*) &addr, on_connect);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);

  for (i = 0; i < TICKS; i++)
    strcat(want, "tick\n");
  strcat(want, "BOOM!\n");
  return read_ok && strcmp(got, want) == 0 ? 0 : 1;
}
