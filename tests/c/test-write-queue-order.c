/* Many small writes queued behind a full socket: every byte arrives once,
 * in order, and the write callbacks run in order, each with status 0, with
 * write_queue_size back to 0 at the end. The writes mix sizes (1 to 300
 * bytes), several buffers per request and empty buffers, so that when the
 * queue drains, requests are written together and split at any point. */
#include "test.h"

#include <sys/socket.h>

#define NWRITES 20000

typedef struct {
  uv_write_t req;
  uv_buf_t bufs[3];
  int index;
} wreq_t;

static uv_pipe_t writer, reader;
static wreq_t* reqs;
static unsigned char* data;
static size_t total, received;
static int next_cb, read_started;
static uv_timer_t kick;

static unsigned char byte_at(size_t i) {
  return (unsigned char) ((i * 2654435761u) >> 13);
}

static void on_write(uv_write_t* req, int status) {
  wreq_t* w = (wreq_t*) req;
  ASSERT_EQ(status, 0);
  ASSERT_EQ(w->index, next_cb);
  next_cb++;
}

static void alloc_cb(uv_handle_t* h, size_t n, uv_buf_t* b) {
  static char space[4096];
  (void) h; (void) n;
  *b = uv_buf_init(space, sizeof(space));
}

static void read_cb(uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
  ssize_t i;
  (void) s;
  if (n < 0) {
    ASSERT_EQ(n, UV_EOF);
    uv_close((uv_handle_t*) &reader, NULL);
    return;
  }
  for (i = 0; i < n; i++)
    ASSERT_EQ((unsigned char) b->base[i], byte_at(received + (size_t) i));
  received += (size_t) n;
}

static void on_shutdown(uv_shutdown_t* req, int status) {
  (void) req;
  ASSERT_EQ(status, 0);
  uv_close((uv_handle_t*) &writer, NULL);
}

static void start_reading(uv_timer_t* t) {
  (void) t;
  /* By now the writes have filled the socket and queued up. */
  ASSERT_GT(writer.write_queue_size, 0);
  ASSERT_OK(uv_read_start((uv_stream_t*) &reader, alloc_cb, read_cb));
  read_started = 1;
  uv_close((uv_handle_t*) &kick, NULL);
}

int main(void) {
  uv_loop_t* loop = uv_default_loop();
  static uv_shutdown_t sreq;
  int fds[2], i, k;
  size_t off = 0;

  reqs = calloc(NWRITES, sizeof(*reqs));
  data = malloc(NWRITES * 300);
  ASSERT(reqs != NULL && data != NULL);
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
  ASSERT_OK(uv_pipe_init(loop, &writer, 0));
  ASSERT_OK(uv_pipe_init(loop, &reader, 0));
  ASSERT_OK(uv_pipe_open(&writer, fds[0]));
  ASSERT_OK(uv_pipe_open(&reader, fds[1]));

  for (i = 0; i < NWRITES; i++) {
    int nbufs = 1 + i % 3;
    wreq_t* w = &reqs[i];
    w->index = i;
    for (k = 0; k < nbufs; k++) {
      size_t len = (i % 7 == 0 && k == 1) ? 0 : 1 + (size_t) ((i * 31 + k * 17) % 100);
      size_t j;
      for (j = 0; j < len; j++)
        data[off + j] = byte_at(off + j);
      w->bufs[k] = uv_buf_init((char*) data + off, (unsigned) len);
      off += len;
    }
    ASSERT_OK(uv_write(&w->req, (uv_stream_t*) &writer, w->bufs, nbufs, on_write));
  }
  total = off;
  ASSERT_OK(uv_shutdown(&sreq, (uv_stream_t*) &writer, on_shutdown));

  ASSERT_OK(uv_timer_init(loop, &kick));
  ASSERT_OK(uv_timer_start(&kick, start_reading, 10, 0));
  ASSERT_OK(uv_run(loop, UV_RUN_DEFAULT));

  ASSERT(read_started);
  ASSERT_EQ(next_cb, NWRITES);
  ASSERT_EQ(received, total);
  ASSERT_EQ(writer.write_queue_size, 0);
  ASSERT_OK(uv_loop_close(loop));
  free(reqs);
  free(data);
  return 0;
}
