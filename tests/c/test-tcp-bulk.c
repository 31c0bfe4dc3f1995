/* TCP bulk transfer: 256 MiB through one loopback connection, every byte
 * and both checksums checked (see bulk.h). */
#include "bulk.h"
#include <arpa/inet.h>

static int init_tcp(uv_loop_t* l, bulk_handle_t* h) {
  return uv_tcp_init(l, &h->tcp);
}

int main(void) {
  struct sockaddr_in addr;
  int len = sizeof(addr);

  bulk_start();
  bulk_init_peer = init_tcp;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr), 1);
  ASSERT_OK(uv_tcp_init(&loop, &server.tcp));
  ASSERT_OK(uv_tcp_bind(&server.tcp, (const struct sockaddr*) &addr, 0));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 1, connection_cb));
  ASSERT_OK(uv_tcp_getsockname(&server.tcp, (struct sockaddr*) &addr, &len));
  ASSERT_OK(uv_tcp_init(&loop, &client.tcp));
  ASSERT_OK(uv_tcp_connect(&connect_req, &client.tcp, (const struct sockaddr*) &addr, connect_cb));
  bulk_finish("tcp");
  return 0;
}
