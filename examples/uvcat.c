/* uvcat: prints a file on standard output with a chain of asynchronous
 * file-system requests on the thread pool: uv_fs_open, then uv_fs_read and
 * uv_fs_write (to descriptor 1) in lockstep, each callback issuing the next
 * request, and uv_fs_close once a read returns 0 (end of file).
 *
 *   uvcat FILE   prints FILE
 *   uvcat        demo: writes a few known lines to a new temporary file
 *                (uv_fs_mkstemp), prints it in small 100-byte reads, checks
 *                that every byte came through, removes the file, exits 0
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>

static uv_loop_t* loop;
static uv_fs_t open_req, read_req, write_req, close_req;
static uv_file file = -1;
static char buffer[4096];
static size_t chunk = sizeof(buffer); /* bytes asked for per read */
static size_t pending, written;       /* the chunk being written to stdout */
static unsigned long long total, reads;
static int failed;

static void start_read(void);
static void on_write(uv_fs_t* req);

static void on_close(uv_fs_t* req) {
  if (req->result < 0) {
    fprintf(stderr, "uvcat: close: %s\n", uv_strerror((int) req->result));
    failed = 1;
  }
  uv_fs_req_cleanup(req);
}

static void close_file(void) {
  uv_fs_close(loop, &close_req, file, on_close);
}

/* Writes what is left of the chunk; a write may take only part of it. */
static void write_rest(void) {
  uv_buf_t buf = uv_buf_init(buffer + written, (unsigned) (pending - written));
  int r = uv_fs_write(loop, &write_req, 1, &buf, 1, -1, on_write);
  if (r < 0) {
    fprintf(stderr, "uvcat: write: %s\n", uv_strerror(r));
    failed = 1;
    close_file();
  }
}

static void on_write(uv_fs_t* req) {
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  if (n < 0) {
    fprintf(stderr, "uvcat: write to stdout: %s\n", uv_strerror((int) n));
    failed = 1;
    close_file();
    return;
  }
  written += (size_t) n;
  total += (unsigned long long) n;
  if (written < pending)
    write_rest();
  else
    start_read(); /* the buffer is free again */
}

static void on_read(uv_fs_t* req) {
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  if (n < 0) {
    fprintf(stderr, "uvcat: read: %s\n", uv_strerror((int) n));
    failed = 1;
    close_file();
  } else if (n == 0) {
    close_file(); /* end of file */
  } else {
    reads++;
    pending = (size_t) n;
    written = 0;
    write_rest();
  }
}

static void start_read(void) {
  uv_buf_t buf = uv_buf_init(buffer, (unsigned) chunk);
  /* Offset -1: read at the file position, so FILE may also be a FIFO. */
  int r = uv_fs_read(loop, &read_req, file, &buf, 1, -1, on_read);
  if (r < 0) {
    fprintf(stderr, "uvcat: read: %s\n", uv_strerror(r));
    failed = 1;
    close_file();
  }
}

static void on_open(uv_fs_t* req) {
  if (req->result < 0) {
    fprintf(stderr, "uvcat: cannot open %s: %s\n", req->path,
            uv_strerror((int) req->result));
    failed = 1;
  } else {
    file = (uv_file) req->result;
    start_read();
  }
  uv_fs_req_cleanup(req);
}

/* Runs the whole chain on PATH; returns 0 on success. */
static int cat(const char* path) {
  int r = uv_fs_open(loop, &open_req, path, O_RDONLY, 0, on_open);
  if (r < 0) {
    fprintf(stderr, "uvcat: cannot open %s: %s\n", path, uv_strerror(r));
    return 1;
  }
  uv_run(loop, UV_RUN_DEFAULT);
  return failed;
}

/* Demo: creates a temporary file holding TEXT, returns its path in PATH.
 * Set-up steps like this one are done with synchronous requests (no
 * callback: the call runs on this thread and returns the result). */
static int make_demo_file(char* path, size_t size, const char* text) {
  char dir[1024];
  size_t len = sizeof(dir);
  uv_fs_t req;
  uv_buf_t buf;
  uv_file fd;
  int r;

  r = uv_os_tmpdir(dir, &len);
  if (r < 0) {
    fprintf(stderr, "uvcat: uv_os_tmpdir: %s\n", uv_strerror(r));
    return 1;
  }
  snprintf(path, size, "%s/uvcat-XXXXXX", dir);
  r = uv_fs_mkstemp(loop, &req, path, NULL);
  if (r < 0) {
    fprintf(stderr, "uvcat: uv_fs_mkstemp: %s\n", uv_strerror(r));
    uv_fs_req_cleanup(&req);
    return 1;
  }
  fd = (uv_file) req.result;
  snprintf(path, size, "%s", req.path); /* the template, filled in */
  uv_fs_req_cleanup(&req);

  buf = uv_buf_init((char*) text, (unsigned) strlen(text));
  r = uv_fs_write(loop, &req, fd, &buf, 1, 0, NULL);
  uv_fs_req_cleanup(&req);
  uv_fs_close(loop, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
  if (r != (int) buf.len) {
    fprintf(stderr, "uvcat: writing %s: %s\n", path,
            r < 0 ? uv_strerror(r) : "short write");
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  char text[2048], path[1100];
  size_t len = 0;
  uv_fs_t req;
  int i, r;

  loop = uv_default_loop();
  if (argc > 1) {
    r = cat(argv[1]);
    uv_loop_close(loop);
    return r;
  }

  for (i = 1; i <= 12; i++)
    len += (size_t) snprintf(text + len, sizeof(text) - len,
                             "line %2d of the uvcat demo: read, then write\n", i);
  if (make_demo_file(path, sizeof(path), text) != 0)
    return 1;
  fprintf(stderr, "uvcat: printing %s (%zu bytes)\n", path, len);
  fflush(stderr);

  chunk = 100; /* several reads even for this small file */
  r = cat(path);
  fprintf(stderr, "uvcat: %llu bytes in %llu reads\n", total, reads);

  uv_fs_unlink(loop, &req, path, NULL);
  uv_fs_req_cleanup(&req);
  if (uv_loop_close(loop) != 0)
    return 1;
  if (r == 0 && total != len) {
    fprintf(stderr, "uvcat: expected %zu bytes\n", len);
    r = 1;
  }
  return r;
}
