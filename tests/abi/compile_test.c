/*
 * Header smoke test, compiled by run.sh as strict C99, as C with
 * _GNU_SOURCE, as GNU C and as C++, always with -Werror.  Besides catching
 * syntax breakage it pins facts that do not show up in the size/offset
 * table: errno-derived error codes, the version macros, and that the
 * prefix macros still let programs treat concrete types as their bases.
 */
#include <uv.h>
#include <errno.h>

#define RSUV_ASSERT(name, cond) typedef char rsuv_assert_##name[(cond) ? 1 : -1]

/* Version: this header describes exactly libuv 1.52.0. */
RSUV_ASSERT(major, UV_VERSION_MAJOR == 1);
RSUV_ASSERT(minor, UV_VERSION_MINOR == 52);
RSUV_ASSERT(patch, UV_VERSION_PATCH == 0);
RSUV_ASSERT(hex, UV_VERSION_HEX == 0x013400);
RSUV_ASSERT(release, UV_VERSION_IS_RELEASE == 1);
RSUV_ASSERT(suffix, sizeof(UV_VERSION_SUFFIX) == 1);

/* On Linux every errno-backed code is the negated errno. */
#define RSUV_ERRNO(e) RSUV_ASSERT(errno_##e, UV_##e == -e)
RSUV_ERRNO(E2BIG);
RSUV_ERRNO(EACCES);
RSUV_ERRNO(EADDRINUSE);
RSUV_ERRNO(EADDRNOTAVAIL);
RSUV_ERRNO(EAFNOSUPPORT);
RSUV_ERRNO(EAGAIN);
RSUV_ERRNO(EALREADY);
RSUV_ERRNO(EBADF);
RSUV_ERRNO(EBUSY);
RSUV_ERRNO(ECANCELED);
RSUV_ERRNO(ECONNABORTED);
RSUV_ERRNO(ECONNREFUSED);
RSUV_ERRNO(ECONNRESET);
RSUV_ERRNO(EDESTADDRREQ);
RSUV_ERRNO(EEXIST);
RSUV_ERRNO(EFAULT);
RSUV_ERRNO(EFBIG);
RSUV_ERRNO(EHOSTUNREACH);
RSUV_ERRNO(EINTR);
RSUV_ERRNO(EINVAL);
RSUV_ERRNO(EIO);
RSUV_ERRNO(EISCONN);
RSUV_ERRNO(EISDIR);
RSUV_ERRNO(ELOOP);
RSUV_ERRNO(EMFILE);
RSUV_ERRNO(EMSGSIZE);
RSUV_ERRNO(ENAMETOOLONG);
RSUV_ERRNO(ENETDOWN);
RSUV_ERRNO(ENETUNREACH);
RSUV_ERRNO(ENFILE);
RSUV_ERRNO(ENOBUFS);
RSUV_ERRNO(ENODEV);
RSUV_ERRNO(ENOENT);
RSUV_ERRNO(ENOMEM);
RSUV_ERRNO(ENONET);
RSUV_ERRNO(ENOPROTOOPT);
RSUV_ERRNO(ENOSPC);
RSUV_ERRNO(ENOSYS);
RSUV_ERRNO(ENOTCONN);
RSUV_ERRNO(ENOTDIR);
RSUV_ERRNO(ENOTEMPTY);
RSUV_ERRNO(ENOTSOCK);
RSUV_ERRNO(ENOTSUP);
RSUV_ERRNO(EOVERFLOW);
RSUV_ERRNO(EPERM);
RSUV_ERRNO(EPIPE);
RSUV_ERRNO(EPROTO);
RSUV_ERRNO(EPROTONOSUPPORT);
RSUV_ERRNO(EPROTOTYPE);
RSUV_ERRNO(ERANGE);
RSUV_ERRNO(EROFS);
RSUV_ERRNO(ESHUTDOWN);
RSUV_ERRNO(ESPIPE);
RSUV_ERRNO(ESRCH);
RSUV_ERRNO(ETIMEDOUT);
RSUV_ERRNO(ETXTBSY);
RSUV_ERRNO(EXDEV);
RSUV_ERRNO(ENXIO);
RSUV_ERRNO(EMLINK);
RSUV_ERRNO(EHOSTDOWN);
RSUV_ERRNO(EREMOTEIO);
RSUV_ERRNO(ENOTTY);
RSUV_ERRNO(EILSEQ);
RSUV_ERRNO(ESOCKTNOSUPPORT);
RSUV_ERRNO(ENODATA);
RSUV_ERRNO(EUNATCH);
RSUV_ERRNO(ENOEXEC);

/* Codes with no errno counterpart use libuv's reserved numbers. */
RSUV_ASSERT(eof, UV_EOF == -4095);
RSUV_ASSERT(unknown, UV_UNKNOWN == -4094);
RSUV_ASSERT(echarset, UV_ECHARSET == -4080);
RSUV_ASSERT(eftype, UV_EFTYPE == -4028);
RSUV_ASSERT(eai_first, UV_EAI_ADDRFAMILY == -3000);
RSUV_ASSERT(eai_last, UV_EAI_PROTOCOL == -3014);

/* Sync types are the pthread ones (same size in every language mode). */
RSUV_ASSERT(mutex, sizeof(uv_mutex_t) == 40);
RSUV_ASSERT(rwlock, sizeof(uv_rwlock_t) == 56);
RSUV_ASSERT(barrier, sizeof(uv_barrier_t) == 32);
RSUV_ASSERT(sem, sizeof(uv_sem_t) == 32);
RSUV_ASSERT(cond, sizeof(uv_cond_t) == 48);
RSUV_ASSERT(lib, sizeof(uv_lib_t) == 16);

/* The catch-all unions are as large as the largest member. */
RSUV_ASSERT(any_handle, sizeof(union uv_any_handle) == sizeof(uv_tty_t));
RSUV_ASSERT(any_req, sizeof(union uv_any_req) == sizeof(uv_getnameinfo_t));

static uv_once_t once_guard = UV_ONCE_INIT;

static void once_cb(void) {}

static void on_close(uv_handle_t* handle) { (void)handle; }

/* Never called; only has to compile. */
int rsuv_compile_test(uv_loop_t* loop, uv_tcp_t* tcp, uv_tty_t* tty);
int rsuv_compile_test(uv_loop_t* loop, uv_tcp_t* tcp, uv_tty_t* tty) {
  uv_buf_t buf;
  uv_handle_t* h = (uv_handle_t*)tcp;
  uv_stream_t* s = (uv_stream_t*)tcp;
  double now = UV_FS_UTIME_NOW;
  uv_once(&once_guard, once_cb);
  buf = uv_buf_init(0, 0);
  h->data = loop;
  uv_close(h, on_close);
#ifdef __cplusplus
  /* The C++-only int overload. */
  uv_tty_set_mode(tty, 0);
#else
  uv_tty_set_mode(tty, UV_TTY_MODE_NORMAL);
#endif
  return (int)buf.len + (int)s->write_queue_size + (now > 0.0) +
         uv_tcp_init(loop, tcp) + UV_LOOP_USE_IO_URING_SQPOLL;
}
