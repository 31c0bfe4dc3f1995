/* rsuv: Unix base types of the libuv 1.52 API (MIT). */

#ifndef UV_UNIX_H
#define UV_UNIX_H

/*
 * The system headers libuv's Unix header pulls in.  Programs written against
 * libuv routinely use sockaddr_in, inet_pton, SIGINT, O_RDONLY, struct
 * termios ... having included nothing but <uv.h>, so the set is part of the
 * source-level interface.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <termios.h>
#include <pwd.h>
#include <semaphore.h>
#include <sys/param.h>
#include <pthread.h>
#include <signal.h>

#include "uv/threadpool.h"
#include "uv/linux.h"

/* I/O buffer.  Layout-compatible with struct iovec on purpose: the engine
 * hands arrays of these straight to readv/writev. */
typedef struct uv_buf_t {
  char* base;
  size_t len;
} uv_buf_t;

/* OS handles are plain descriptors on Unix. */
typedef int uv_file;
typedef int uv_os_sock_t;
typedef int uv_os_fd_t;
typedef pid_t uv_pid_t;
typedef uid_t uv_uid_t;
typedef gid_t uv_gid_t;

/*
 * Synchronisation primitives are the pthread objects themselves, so a
 * uv_mutex_t can be handed to pthread_* calls and vice versa.
 */
typedef pthread_t uv_thread_t;
typedef pthread_key_t uv_key_t;
typedef pthread_once_t uv_once_t;
typedef pthread_mutex_t uv_mutex_t;
typedef pthread_cond_t uv_cond_t;
typedef sem_t uv_sem_t;

#define UV_ONCE_INIT PTHREAD_ONCE_INIT

/* In strict ISO modes glibc hides these two types; keep the layout anyway so
 * that struct sizes do not depend on the including program's flags. */
#if defined(PTHREAD_RWLOCK_INITIALIZER)
typedef pthread_rwlock_t uv_rwlock_t;
#else
typedef union {
  char opaque[UV__LINUX_RWLOCK_SIZE];
  long align;
} uv_rwlock_t;
#endif

#if defined(PTHREAD_BARRIER_SERIAL_THREAD)
typedef pthread_barrier_t uv_barrier_t;
#else
typedef union {
  char opaque[UV__LINUX_BARRIER_SIZE];
  long align;
} uv_barrier_t;
#endif

/* Historical calling-convention marker for uv_dlsym() users; empty on Unix. */
#define UV_DYNAMIC /* empty */

/* Shared library handle for uv_dlopen() and friends. */
typedef struct {
  void* handle;
  char* errmsg;
} uv_lib_t;

/*
 * uv_fs_open() flags.  Like libuv, each one is the libc O_* constant when the
 * including program can see it and 0 ("unsupported here") otherwise; the
 * engine passes the bits through to open(2) unchanged.
 */
#define UV_FS_O_DIRECT UV__LINUX_O_DIRECT

#ifdef O_APPEND
# define UV_FS_O_APPEND O_APPEND
#else
# define UV_FS_O_APPEND 0
#endif
#ifdef O_CREAT
# define UV_FS_O_CREAT O_CREAT
#else
# define UV_FS_O_CREAT 0
#endif
#ifdef O_DIRECTORY
# define UV_FS_O_DIRECTORY O_DIRECTORY
#else
# define UV_FS_O_DIRECTORY 0
#endif
#ifdef O_DSYNC
# define UV_FS_O_DSYNC O_DSYNC
#else
# define UV_FS_O_DSYNC 0
#endif
#ifdef O_EXCL
# define UV_FS_O_EXCL O_EXCL
#else
# define UV_FS_O_EXCL 0
#endif
#ifdef O_EXLOCK
# define UV_FS_O_EXLOCK O_EXLOCK
#else
# define UV_FS_O_EXLOCK 0
#endif
#ifdef O_NOATIME
# define UV_FS_O_NOATIME O_NOATIME
#else
# define UV_FS_O_NOATIME 0
#endif
#ifdef O_NOCTTY
# define UV_FS_O_NOCTTY O_NOCTTY
#else
# define UV_FS_O_NOCTTY 0
#endif
#ifdef O_NOFOLLOW
# define UV_FS_O_NOFOLLOW O_NOFOLLOW
#else
# define UV_FS_O_NOFOLLOW 0
#endif
#ifdef O_NONBLOCK
# define UV_FS_O_NONBLOCK O_NONBLOCK
#else
# define UV_FS_O_NONBLOCK 0
#endif
#ifdef O_RDONLY
# define UV_FS_O_RDONLY O_RDONLY
#else
# define UV_FS_O_RDONLY 0
#endif
#ifdef O_RDWR
# define UV_FS_O_RDWR O_RDWR
#else
# define UV_FS_O_RDWR 0
#endif
#ifdef O_SYMLINK
# define UV_FS_O_SYMLINK O_SYMLINK
#else
# define UV_FS_O_SYMLINK 0
#endif
#ifdef O_SYNC
# define UV_FS_O_SYNC O_SYNC
#else
# define UV_FS_O_SYNC 0
#endif
#ifdef O_TRUNC
# define UV_FS_O_TRUNC O_TRUNC
#else
# define UV_FS_O_TRUNC 0
#endif
#ifdef O_WRONLY
# define UV_FS_O_WRONLY O_WRONLY
#else
# define UV_FS_O_WRONLY 0
#endif

/* Windows-only open hints; accepted and ignored on Unix. */
#define UV_FS_O_FILEMAP     0
#define UV_FS_O_RANDOM      0
#define UV_FS_O_SHORT_LIVED 0
#define UV_FS_O_SEQUENTIAL  0
#define UV_FS_O_TEMPORARY   0

#endif /* UV_UNIX_H */
