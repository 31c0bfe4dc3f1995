/* udp-echo: a UDP responder on 127.0.0.1 (a free port) echoes every datagram back to its sender; a sender in the same process sends a few lines, prints each echo and closes both handles after the last one. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

static const char* lines[] = {"hello", "from", "a", "udp", "sender"};
#define NLINES (sizeof(lines) / sizeof(lines[0]))

static uv_udp_t responder;
static uv_udp_t sender;
static struct sockaddr_in responder_addr;
static unsigned echoes;

/* One request per datagram in flight, with a copy of the data. */
struct echo_req {
  uv_udp_send_t req;
  char data[512];
};

static void alloc_cb(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  (void) handle;
  buf->base = malloc(suggested);
  buf->len = buf->base ? suggested : 0;
}

static void echo_sent(uv_udp_send_t* req, int status) {
  if (status != 0)
    fprintf(stderr, "responder: send failed: %s\n", uv_strerror(status));
  free(req);
}

static void on_request(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf,
                       const struct sockaddr* addr, unsigned flags) {
  struct echo_req* er;
  uv_buf_t out;

  (void) flags;
  if (nread < 0)
    fprintf(stderr, "responder: %s\n", uv_strerror((int) nread));
  /* nread == 0 with no address: nothing more to read for now. */
  if (nread <= 0 || addr == NULL || (size_t) nread > sizeof(er->data)) {
    free(buf->base);
    return;
  }
  er = malloc(sizeof(*er));
  if (er != NULL) {
    memcpy(er->data, buf->base, (size_t) nread);
    out = uv_buf_init(er->data, (unsigned) nread);
    if (uv_udp_send(&er->req, handle, &out, 1, addr, echo_sent) != 0)
      free(er);
  }
  free(buf->base);
}

static void on_echo(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf,
                    const struct sockaddr* addr, unsigned flags) {
  (void) handle;
  (void) flags;
  if (nread > 0 && addr != NULL) {
    printf("echo %u: %.*s\n", echoes + 1, (int) nread, buf->base);
    if (++echoes == NLINES) {
      uv_close((uv_handle_t*) &sender, NULL);
      uv_close((uv_handle_t*) &responder, NULL);
    }
  }
  free(buf->base);
}

static void line_sent(uv_udp_send_t* req, int status) {
  if (status != 0)
    fprintf(stderr, "sender: send failed: %s\n", uv_strerror(status));
  free(req);
}

int main(void) {
  uv_loop_t* loop = uv_default_loop();
  struct sockaddr_in any;
  char ip[INET_ADDRSTRLEN];
  int len = sizeof(responder_addr);
  unsigned i;
  int r;

  /* The responder: bound to a free loopback port. */
  memset(&any, 0, sizeof(any));
  any.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &any.sin_addr);
  uv_udp_init(loop, &responder);
  r = uv_udp_bind(&responder, (const struct sockaddr*) &any, 0);
  if (r == 0)
    r = uv_udp_getsockname(&responder, (struct sockaddr*) &responder_addr,
                           &len);
  if (r == 0)
    r = uv_udp_recv_start(&responder, alloc_cb, on_request);
  if (r != 0) {
    fprintf(stderr, "responder: %s\n", uv_strerror(r));
    return 1;
  }
  inet_ntop(AF_INET, &responder_addr.sin_addr, ip, sizeof(ip));
  printf("responder on %s:%d\n", ip, ntohs(responder_addr.sin_port));

  /* The sender: bound implicitly by its first send. */
  uv_udp_init(loop, &sender);
  for (i = 0; i < NLINES; i++) {
    uv_udp_send_t* req = malloc(sizeof(*req));
    uv_buf_t b = uv_buf_init((char*) lines[i], (unsigned) strlen(lines[i]));
    if (req == NULL)
      return 1;
    r = uv_udp_send(req, &sender, &b, 1,
                    (const struct sockaddr*) &responder_addr, line_sent);
    if (r != 0) {
      fprintf(stderr, "sender: %s\n", uv_strerror(r));
      return 1;
    }
  }
  r = uv_udp_recv_start(&sender, alloc_cb, on_echo);
  if (r != 0) {
    fprintf(stderr, "sender: %s\n", uv_strerror(r));
    return 1;
  }

  uv_run(loop, UV_RUN_DEFAULT);
  printf("%u of %u lines echoed\n", echoes, (unsigned) NLINES);
  r = uv_loop_close(loop);
  return echoes == NLINES && r == 0 ? 0 : 1;
}
