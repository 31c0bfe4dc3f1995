/* uvtee: copies standard input to standard output and to a file, like
 * tee(1). uv_guess_handle(0) decides how stdin is read: a pipe or a Unix
 * socket through a uv_pipe_t and a terminal through a uv_tty_t (streams:
 * uv_read_start), anything else -- a regular file, a character device such
 * as /dev/null -- with uv_fs_read on the thread pool. Each chunk goes out
 * with two uv_fs_write requests in flight at once, one to descriptor 1 and
 * one to the file; reading waits (uv_read_stop) until both are done, so
 * there is a single buffer and a slow output holds the input back.
 *
 *   uvtee FILE      tees stdin into FILE (created or truncated)
 *   uvtee           demo: tees into a new temporary file, checks that the
 *                   file got every byte, removes it and exits 0; e.g.
 *                   `echo hello | uvtee`, or `uvtee </dev/null` (ends at
 *                   once: end of file)
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>

static uv_loop_t* loop;
static union {
  uv_handle_t handle;
  uv_stream_t stream;
  uv_pipe_t pipe;
  uv_tty_t tty;
} in;
static int in_is_stream;
static uv_file out_file = -1;
static uv_fs_t read_req;
static char buffer[65536];
static size_t chunk_len;
static unsigned long long total;
static int failed, done;

/* One output: descriptor 1 or the file. */
typedef struct {
  const char* name;
  uv_file fd;
  uv_fs_t req;
  size_t written; /* of the current chunk */
  int busy;
} output_t;

static output_t outputs[2];

static void read_next(void);

static void finish(int error) {
  if (error)
    failed = 1;
  done = 1;
  if (in_is_stream && !uv_is_closing(&in.handle))
    uv_close(&in.handle, NULL);
}

static void on_write(uv_fs_t* req);

static void write_rest(output_t* out) {
  uv_buf_t buf = uv_buf_init(buffer + out->written, (unsigned) (chunk_len - out->written));
  int r = uv_fs_write(loop, &out->req, out->fd, &buf, 1, -1, on_write);
  if (r < 0) {
    fprintf(stderr, "uvtee: write to %s: %s\n", out->name, uv_strerror(r));
    out->busy = 0;
    finish(1);
  }
}

static void on_write(uv_fs_t* req) {
  output_t* out = req->data;
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  if (n < 0) {
    fprintf(stderr, "uvtee: write to %s: %s\n", out->name, uv_strerror((int) n));
    out->busy = 0;
    finish(1);
  } else if ((out->written += (size_t) n) < chunk_len) {
    write_rest(out); /* a short write: send the rest */
    return;
  }
  out->busy = 0;
  if (outputs[0].busy || outputs[1].busy || done)
    return;
  total += chunk_len; /* both outputs have the chunk: read the next one */
  read_next();
}

/* A chunk of chunk_len bytes is in buffer: write it to both outputs. */
static void got_chunk(size_t len) {
  int i;
  chunk_len = len;
  for (i = 0; i < 2; i++) {
    outputs[i].written = 0;
    outputs[i].busy = 1;
  }
  for (i = 0; i < 2 && !done; i++)
    write_rest(&outputs[i]);
}

/* ---- stdin as a stream (pipe, terminal) ---- */

static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  (void) handle;
  (void) suggested;
  *buf = uv_buf_init(buffer, sizeof(buffer));
}

static void on_stream_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  (void) buf;
  if (nread > 0) {
    uv_read_stop(stream); /* until both writes are done with the buffer */
    got_chunk((size_t) nread);
  } else if (nread == UV_EOF) {
    finish(0);
  } else if (nread < 0) {
    fprintf(stderr, "uvtee: read from stdin: %s\n", uv_strerror((int) nread));
    finish(1);
  }
}

/* ---- stdin as a file (regular file, /dev/null, ...) ---- */

static void on_fs_read(uv_fs_t* req) {
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  if (n > 0) {
    got_chunk((size_t) n);
  } else if (n == 0) {
    finish(0);
  } else {
    fprintf(stderr, "uvtee: read from stdin: %s\n", uv_strerror((int) n));
    finish(1);
  }
}

static void read_next(void) {
  int r;
  if (in_is_stream) {
    r = uv_read_start(&in.stream, on_alloc, on_stream_read);
  } else {
    uv_buf_t buf = uv_buf_init(buffer, sizeof(buffer));
    r = uv_fs_read(loop, &read_req, 0, &buf, 1, -1, on_fs_read);
  }
  if (r < 0) {
    fprintf(stderr, "uvtee: read from stdin: %s\n", uv_strerror(r));
    finish(1);
  }
}

/* Opens stdin the way uv_guess_handle suggests. */
static int open_stdin(void) {
  uv_handle_type type = uv_guess_handle(0);
  int r = 0;

  switch (type) {
    case UV_NAMED_PIPE:
      in_is_stream = 1;
      r = uv_pipe_init(loop, &in.pipe, 0);
      if (r == 0)
        r = uv_pipe_open(&in.pipe, 0);
      break;
    case UV_TTY:
      in_is_stream = 1;
      r = uv_tty_init(loop, &in.tty, 0, 1);
      break;
    default: /* UV_FILE (also character devices), sockets other than Unix */
      in_is_stream = 0;
      break;
  }
  fprintf(stderr, "uvtee: stdin is %s, read with %s\n",
          type == UV_UNKNOWN_HANDLE ? "of unknown type" : uv_handle_type_name(type),
          in_is_stream ? "uv_read_start" : "uv_fs_read");
  if (r < 0)
    fprintf(stderr, "uvtee: cannot open stdin: %s\n", uv_strerror(r));
  return r;
}

/* Demo: makes an empty temporary file; its path goes to PATH. */
static int make_temp_file(char* path, size_t size) {
  char dir[1024];
  size_t len = sizeof(dir);
  uv_fs_t req;
  int r = uv_os_tmpdir(dir, &len);
  if (r == 0) {
    snprintf(path, size, "%s/uvtee-XXXXXX", dir);
    r = uv_fs_mkstemp(loop, &req, path, NULL);
    if (r >= 0) {
      snprintf(path, size, "%s", req.path);
      uv_fs_req_cleanup(&req);
      uv_fs_close(loop, &req, r, NULL);
    }
    uv_fs_req_cleanup(&req);
  }
  if (r < 0)
    fprintf(stderr, "uvtee: cannot make a temporary file: %s\n", uv_strerror(r));
  return r < 0 ? r : 0;
}

int main(int argc, char** argv) {
  char temp[1100];
  const char* path;
  uv_fs_t req;
  int r;

  /* A closed reader on stdout must give an error (EPIPE), not kill us. */
  signal(SIGPIPE, SIG_IGN);
  loop = uv_default_loop();

  if (argc > 1) {
    path = argv[1];
  } else {
    if (make_temp_file(temp, sizeof(temp)) != 0)
      return 1;
    path = temp;
  }
  /* Opening the output is a one-off start-up step: synchronous is fine. */
  r = uv_fs_open(loop, &req, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, NULL);
  uv_fs_req_cleanup(&req);
  if (r < 0) {
    fprintf(stderr, "uvtee: cannot open %s: %s\n", path, uv_strerror(r));
    return 1;
  }
  out_file = r;
  outputs[0].name = "stdout";
  outputs[0].fd = 1;
  outputs[1].name = path;
  outputs[1].fd = out_file;
  outputs[0].req.data = &outputs[0];
  outputs[1].req.data = &outputs[1];

  if (open_stdin() != 0)
    return 1;
  read_next();
  uv_run(loop, UV_RUN_DEFAULT);

  uv_fs_close(loop, &req, out_file, NULL);
  uv_fs_req_cleanup(&req);
  fprintf(stderr, "uvtee: %llu bytes copied to stdout and %s\n", total, path);

  if (argc <= 1) {
    /* The demo checks the file's size, then removes it. */
    r = uv_fs_stat(loop, &req, path, NULL);
    if (r != 0 || req.statbuf.st_size != total) {
      fprintf(stderr, "uvtee: %s has %s%llu bytes\n", path, r ? "?" : "",
              r ? 0ULL : (unsigned long long) req.statbuf.st_size);
      failed = 1;
    }
    uv_fs_req_cleanup(&req);
    uv_fs_unlink(loop, &req, path, NULL);
    uv_fs_req_cleanup(&req);
  }
  if (uv_loop_close(loop) != 0)
    return 1;
  return failed;
}
