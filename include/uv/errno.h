/* rsuv: error code values of the libuv 1.52 API on Linux (MIT). */

#ifndef UV_ERRNO_H_
#define UV_ERRNO_H_

/* Kept for source compatibility: libuv users get errno constants through
 * uv.h and some programs depend on that. */
#include <errno.h>

/*
 * The UV__E* numbers below are what the UV_E* enumerators in uv.h resolve
 * to.  On Linux libuv reports a failing system call as the negated errno, so
 * each value is written out as -(Linux errno).  They are spelled as literals
 * rather than -(EFOO) so that the numbers never depend on which feature-test
 * macros the including program happens to use.  tests/abi/run.sh checks them
 * against <errno.h>.
 *
 * Conditions with no errno counterpart on Linux (end of file, resolver
 * failures, ECHARSET, EFTYPE, "unknown") use libuv's reserved numbers far
 * below the errno range.
 */

/* libuv-specific codes. */
#define UV__EOF             (-4095)
#define UV__UNKNOWN         (-4094)
#define UV__ECHARSET        (-4080)
#define UV__EFTYPE          (-4028)

/* getaddrinfo()/getnameinfo() failures (the EAI_* family).  -3012 is not
 * used by libuv. */
#define UV__EAI_ADDRFAMILY  (-3000)
#define UV__EAI_AGAIN       (-3001)
#define UV__EAI_BADFLAGS    (-3002)
#define UV__EAI_CANCELED    (-3003)
#define UV__EAI_FAIL        (-3004)
#define UV__EAI_FAMILY      (-3005)
#define UV__EAI_MEMORY      (-3006)
#define UV__EAI_NODATA      (-3007)
#define UV__EAI_NONAME      (-3008)
#define UV__EAI_OVERFLOW    (-3009)
#define UV__EAI_SERVICE     (-3010)
#define UV__EAI_SOCKTYPE    (-3011)
#define UV__EAI_BADHINTS    (-3013)
#define UV__EAI_PROTOCOL    (-3014)

/* Negated Linux errno values, in errno order. */
#define UV__EPERM           (-1)
#define UV__ENOENT          (-2)
#define UV__ESRCH           (-3)
#define UV__EINTR           (-4)
#define UV__EIO             (-5)
#define UV__ENXIO           (-6)
#define UV__E2BIG           (-7)
#define UV__ENOEXEC         (-8)
#define UV__EBADF           (-9)
#define UV__EAGAIN          (-11)
#define UV__ENOMEM          (-12)
#define UV__EACCES          (-13)
#define UV__EFAULT          (-14)
#define UV__EBUSY           (-16)
#define UV__EEXIST          (-17)
#define UV__EXDEV           (-18)
#define UV__ENODEV          (-19)
#define UV__ENOTDIR         (-20)
#define UV__EISDIR          (-21)
#define UV__EINVAL          (-22)
#define UV__ENFILE          (-23)
#define UV__EMFILE          (-24)
#define UV__ENOTTY          (-25)
#define UV__ETXTBSY         (-26)
#define UV__EFBIG           (-27)
#define UV__ENOSPC          (-28)
#define UV__ESPIPE          (-29)
#define UV__EROFS           (-30)
#define UV__EMLINK          (-31)
#define UV__EPIPE           (-32)
#define UV__ERANGE          (-34)
#define UV__ENAMETOOLONG    (-36)
#define UV__ENOSYS          (-38)
#define UV__ENOTEMPTY       (-39)
#define UV__ELOOP           (-40)
#define UV__EUNATCH         (-49)
#define UV__ENODATA         (-61)
#define UV__ENONET          (-64)
#define UV__EPROTO          (-71)
#define UV__EOVERFLOW       (-75)
#define UV__EILSEQ          (-84)
#define UV__ENOTSOCK        (-88)
#define UV__EDESTADDRREQ    (-89)
#define UV__EMSGSIZE        (-90)
#define UV__EPROTOTYPE      (-91)
#define UV__ENOPROTOOPT     (-92)
#define UV__EPROTONOSUPPORT (-93)
#define UV__ESOCKTNOSUPPORT (-94)
#define UV__ENOTSUP         (-95)
#define UV__EAFNOSUPPORT    (-97)
#define UV__EADDRINUSE      (-98)
#define UV__EADDRNOTAVAIL   (-99)
#define UV__ENETDOWN        (-100)
#define UV__ENETUNREACH     (-101)
#define UV__ECONNABORTED    (-103)
#define UV__ECONNRESET      (-104)
#define UV__ENOBUFS         (-105)
#define UV__EISCONN         (-106)
#define UV__ENOTCONN        (-107)
#define UV__ESHUTDOWN       (-108)
#define UV__ETIMEDOUT       (-110)
#define UV__ECONNREFUSED    (-111)
#define UV__EHOSTDOWN       (-112)
#define UV__EHOSTUNREACH    (-113)
#define UV__EALREADY        (-114)
#define UV__EREMOTEIO       (-121)
#define UV__ECANCELED       (-125)

#endif /* UV_ERRNO_H_ */
