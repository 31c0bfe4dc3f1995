/* resolve: looks up a host name (argv[1], default "localhost") with
 * uv_getaddrinfo on the thread pool, prints every address with uv_ip_name,
 * then asks uv_getnameinfo for the name of the first one. */
#include <stdio.h>
#include <string.h>

#include <netdb.h>
#include <sys/socket.h>

#include <uv.h>

static uv_getnameinfo_t name_req;
static int failed;

static const char* socktype_name(int socktype) {
  switch (socktype) {
    case SOCK_STREAM: return "stream";
    case SOCK_DGRAM: return "dgram";
    case SOCK_RAW: return "raw";
    default: return "other";
  }
}

static void on_name(uv_getnameinfo_t* req, int status, const char* host,
                    const char* service) {
  (void) req;
  if (status < 0) {
    fprintf(stderr, "getnameinfo: %s\n", uv_strerror(status));
    failed = 1;
    return;
  }
  printf("first address is called %s (service %s)\n", host, service);
}

static void on_resolved(uv_getaddrinfo_t* req, int status,
                        struct addrinfo* res) {
  const char* node = req->data;
  struct addrinfo* ai;
  char text[64];
  int r;

  if (status < 0) {
    fprintf(stderr, "getaddrinfo %s: %s (%s)\n", node, uv_strerror(status),
            uv_err_name(status));
    failed = 1;
    return;
  }

  printf("%s:\n", node);
  for (ai = res; ai != NULL; ai = ai->ai_next) {
    if (uv_ip_name(ai->ai_addr, text, sizeof(text)) != 0)
      strcpy(text, "(not an IP address)");
    printf("  %-6s %-39s %s\n", ai->ai_family == AF_INET6 ? "IPv6" : "IPv4",
           text, socktype_name(ai->ai_socktype));
  }

  /* The address is copied by uv_getnameinfo, so the list can go now. */
  r = uv_getnameinfo(req->loop, &name_req, on_name, res->ai_addr,
                     NI_NUMERICSERV);
  if (r < 0) {
    fprintf(stderr, "getnameinfo: %s\n", uv_strerror(r));
    failed = 1;
  }
  uv_freeaddrinfo(res);
}

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();
  uv_getaddrinfo_t req;
  struct addrinfo hints;
  const char* node = argc > 1 ? argv[1] : "localhost";
  int r;

  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;

  req.data = (void*) node;
  r = uv_getaddrinfo(loop, &req, on_resolved, node, "80", &hints);
  if (r < 0) {
    fprintf(stderr, "uv_getaddrinfo: %s\n", uv_strerror(r));
    return 1;
  }
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return failed;
}
