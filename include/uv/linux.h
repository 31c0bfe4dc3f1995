/* rsuv: Linux-specific pieces of the libuv 1.52 API (MIT). */

#ifndef UV_LINUX_H
#define UV_LINUX_H

/*
 * rsuv only targets Linux, so the facts that libuv derives per platform are
 * pinned here.  Everything in this file is consumed by uv/unix.h and uv.h.
 */

/* Longest host name the kernel reports (MAXHOSTNAMELEN / HOST_NAME_MAX). */
#define UV__LINUX_HOSTNAME_MAX 64

/* Longest interface name (IF_NAMESIZE, terminator included). */
#define UV__LINUX_IF_NAMESIZE 16

/*
 * libuv hard-codes O_DIRECT per architecture because glibc only exposes it
 * under _GNU_SOURCE, yet callers expect UV_FS_O_DIRECT to work in any mode.
 */
#if defined(__x86_64__) || defined(__s390x__) || defined(__loongarch__)
# define UV__LINUX_O_DIRECT 0x04000
#elif defined(__arm__) || defined(__m68k__)
# define UV__LINUX_O_DIRECT 0x10000
#elif defined(__mips__)
# define UV__LINUX_O_DIRECT 0x08000
#elif defined(__powerpc__)
# define UV__LINUX_O_DIRECT 0x20000
#elif defined(O_DIRECT)
# define UV__LINUX_O_DIRECT O_DIRECT
#else
# define UV__LINUX_O_DIRECT 0
#endif

/*
 * glibc hides pthread_rwlock_t and pthread_barrier_t in strict ISO modes
 * (e.g. -std=c99 without feature-test macros).  uv/unix.h then falls back to
 * opaque stand-ins of the same size and alignment; these are the sizes.
 */
#if defined(__SIZEOF_PTHREAD_RWLOCK_T)
# define UV__LINUX_RWLOCK_SIZE __SIZEOF_PTHREAD_RWLOCK_T
#else
# define UV__LINUX_RWLOCK_SIZE 56
#endif
#if defined(__SIZEOF_PTHREAD_BARRIER_T)
# define UV__LINUX_BARRIER_SIZE __SIZEOF_PTHREAD_BARRIER_T
#else
# define UV__LINUX_BARRIER_SIZE 32
#endif

#endif /* UV_LINUX_H */
