/* Pipe bulk transfer: 256 MiB through one Unix-domain socket connection (a
 * named socket in /tmp, removed at the end), every byte and both checksums
 * checked (see bulk.h). */
#include "bulk.h"
#include <stdio.h>
#include <unistd.h>

static int init_pipe(uv_loop_t* l, bulk_handle_t* h) {
  return uv_pipe_init(l, &h->pipe, 0);
}

int main(void) {
  char path[64];

  snprintf(path, sizeof(path), "/tmp/rsuv-test-pipe-bulk-%d.sock", (int) getpid());
  unlink(path);
  bulk_start();
  bulk_init_peer = init_pipe;
  ASSERT_OK(uv_pipe_init(&loop, &server.pipe, 0));
  ASSERT_OK(uv_pipe_bind(&server.pipe, path));
  ASSERT_OK(uv_listen((uv_stream_t*) &server, 1, connection_cb));
  ASSERT_OK(uv_pipe_init(&loop, &client.pipe, 0));
  uv_pipe_connect(&connect_req, &client.pipe, path, connect_cb);
  bulk_finish("pipe");
  /* Closing the listening handle removed the socket file. */
  ASSERT_NE(access(path, F_OK), 0);
  unlink(path);
  return 0;
}
