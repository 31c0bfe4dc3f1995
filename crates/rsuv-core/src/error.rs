//! libuv's error codes: the `UV_E*` values, their names and messages.
//!
//! On Unix libuv's codes are negated `errno` values, plus a few libuv-only
//! codes (getaddrinfo failures, `UV_EOF`, `UV_UNKNOWN`, `UV_ECHARSET`,
//! `UV_EFTYPE`). Names and messages are observable behaviour (programs print
//! them and tests compare them), so they must match libuv byte for byte. The
//! strings are C string literals so the C layer hands out pointers to them
//! without allocating.

use core::ffi::CStr;

use rustix::io::Errno;

/// libuv's code for an OS error: the errno negated.
const fn neg(e: Errno) -> i32 {
    -e.raw_os_error()
}

/// Declares every code once, and derives the constants, the list and the
/// name/message lookups from that single table so they cannot drift apart.
macro_rules! error_table {
    ($($konst:ident = $value:expr, $name:literal, $msg:literal;)*) => {
        $(
            #[doc = concat!("`", stringify!($konst), "`")]
            pub const $konst: i32 = $value;
        )*

        /// Every code libuv defines, in ascending errno order.
        pub const ALL: &[i32] = &[$($konst),*];

        /// The code's name without the `UV_` prefix (`c"EINVAL"`), or `None`
        /// for a code libuv does not define.
        pub fn name(code: i32) -> Option<&'static CStr> {
            match code {
                $($konst => Some($name),)*
                _ => None,
            }
        }

        /// The code's message (`c"invalid argument"`), or `None` for a code
        /// libuv does not define.
        pub fn message(code: i32) -> Option<&'static CStr> {
            match code {
                $($konst => Some($msg),)*
                _ => None,
            }
        }
    };
}

error_table! {
    UV_EPERM = neg(Errno::PERM), c"EPERM", c"operation not permitted";
    UV_ENOENT = neg(Errno::NOENT), c"ENOENT", c"no such file or directory";
    UV_ESRCH = neg(Errno::SRCH), c"ESRCH", c"no such process";
    UV_EINTR = neg(Errno::INTR), c"EINTR", c"interrupted system call";
    UV_EIO = neg(Errno::IO), c"EIO", c"i/o error";
    UV_ENXIO = neg(Errno::NXIO), c"ENXIO", c"no such device or address";
    UV_E2BIG = neg(Errno::TOOBIG), c"E2BIG", c"argument list too long";
    UV_ENOEXEC = neg(Errno::NOEXEC), c"ENOEXEC", c"exec format error";
    UV_EBADF = neg(Errno::BADF), c"EBADF", c"bad file descriptor";
    UV_EAGAIN = neg(Errno::AGAIN), c"EAGAIN", c"resource temporarily unavailable";
    UV_ENOMEM = neg(Errno::NOMEM), c"ENOMEM", c"not enough memory";
    UV_EACCES = neg(Errno::ACCESS), c"EACCES", c"permission denied";
    UV_EFAULT = neg(Errno::FAULT), c"EFAULT", c"bad address in system call argument";
    UV_EBUSY = neg(Errno::BUSY), c"EBUSY", c"resource busy or locked";
    UV_EEXIST = neg(Errno::EXIST), c"EEXIST", c"file already exists";
    UV_EXDEV = neg(Errno::XDEV), c"EXDEV", c"cross-device link not permitted";
    UV_ENODEV = neg(Errno::NODEV), c"ENODEV", c"no such device";
    UV_ENOTDIR = neg(Errno::NOTDIR), c"ENOTDIR", c"not a directory";
    UV_EISDIR = neg(Errno::ISDIR), c"EISDIR", c"illegal operation on a directory";
    UV_EINVAL = neg(Errno::INVAL), c"EINVAL", c"invalid argument";
    UV_ENFILE = neg(Errno::NFILE), c"ENFILE", c"file table overflow";
    UV_EMFILE = neg(Errno::MFILE), c"EMFILE", c"too many open files";
    UV_ENOTTY = neg(Errno::NOTTY), c"ENOTTY", c"inappropriate ioctl for device";
    UV_ETXTBSY = neg(Errno::TXTBSY), c"ETXTBSY", c"text file is busy";
    UV_EFBIG = neg(Errno::FBIG), c"EFBIG", c"file too large";
    UV_ENOSPC = neg(Errno::NOSPC), c"ENOSPC", c"no space left on device";
    UV_ESPIPE = neg(Errno::SPIPE), c"ESPIPE", c"invalid seek";
    UV_EROFS = neg(Errno::ROFS), c"EROFS", c"read-only file system";
    UV_EMLINK = neg(Errno::MLINK), c"EMLINK", c"too many links";
    UV_EPIPE = neg(Errno::PIPE), c"EPIPE", c"broken pipe";
    UV_ERANGE = neg(Errno::RANGE), c"ERANGE", c"result too large";
    UV_ENAMETOOLONG = neg(Errno::NAMETOOLONG), c"ENAMETOOLONG", c"name too long";
    UV_ENOSYS = neg(Errno::NOSYS), c"ENOSYS", c"function not implemented";
    UV_ENOTEMPTY = neg(Errno::NOTEMPTY), c"ENOTEMPTY", c"directory not empty";
    UV_ELOOP = neg(Errno::LOOP), c"ELOOP", c"too many symbolic links encountered";
    UV_EUNATCH = neg(Errno::UNATCH), c"EUNATCH", c"protocol driver not attached";
    UV_ENODATA = neg(Errno::NODATA), c"ENODATA", c"no data available";
    UV_ENONET = neg(Errno::NONET), c"ENONET", c"machine is not on the network";
    UV_EPROTO = neg(Errno::PROTO), c"EPROTO", c"protocol error";
    UV_EOVERFLOW = neg(Errno::OVERFLOW), c"EOVERFLOW", c"value too large for defined data type";
    UV_EILSEQ = neg(Errno::ILSEQ), c"EILSEQ", c"illegal byte sequence";
    UV_ENOTSOCK = neg(Errno::NOTSOCK), c"ENOTSOCK", c"socket operation on non-socket";
    UV_EDESTADDRREQ = neg(Errno::DESTADDRREQ), c"EDESTADDRREQ", c"destination address required";
    UV_EMSGSIZE = neg(Errno::MSGSIZE), c"EMSGSIZE", c"message too long";
    UV_EPROTOTYPE = neg(Errno::PROTOTYPE), c"EPROTOTYPE", c"protocol wrong type for socket";
    UV_ENOPROTOOPT = neg(Errno::NOPROTOOPT), c"ENOPROTOOPT", c"protocol not available";
    UV_EPROTONOSUPPORT = neg(Errno::PROTONOSUPPORT), c"EPROTONOSUPPORT", c"protocol not supported";
    UV_ESOCKTNOSUPPORT = neg(Errno::SOCKTNOSUPPORT), c"ESOCKTNOSUPPORT", c"socket type not supported";
    UV_ENOTSUP = neg(Errno::NOTSUP), c"ENOTSUP", c"operation not supported on socket";
    UV_EAFNOSUPPORT = neg(Errno::AFNOSUPPORT), c"EAFNOSUPPORT", c"address family not supported";
    UV_EADDRINUSE = neg(Errno::ADDRINUSE), c"EADDRINUSE", c"address already in use";
    UV_EADDRNOTAVAIL = neg(Errno::ADDRNOTAVAIL), c"EADDRNOTAVAIL", c"address not available";
    UV_ENETDOWN = neg(Errno::NETDOWN), c"ENETDOWN", c"network is down";
    UV_ENETUNREACH = neg(Errno::NETUNREACH), c"ENETUNREACH", c"network is unreachable";
    UV_ECONNABORTED = neg(Errno::CONNABORTED), c"ECONNABORTED", c"software caused connection abort";
    UV_ECONNRESET = neg(Errno::CONNRESET), c"ECONNRESET", c"connection reset by peer";
    UV_ENOBUFS = neg(Errno::NOBUFS), c"ENOBUFS", c"no buffer space available";
    UV_EISCONN = neg(Errno::ISCONN), c"EISCONN", c"socket is already connected";
    UV_ENOTCONN = neg(Errno::NOTCONN), c"ENOTCONN", c"socket is not connected";
    UV_ESHUTDOWN = neg(Errno::SHUTDOWN), c"ESHUTDOWN", c"cannot send after transport endpoint shutdown";
    UV_ETIMEDOUT = neg(Errno::TIMEDOUT), c"ETIMEDOUT", c"connection timed out";
    UV_ECONNREFUSED = neg(Errno::CONNREFUSED), c"ECONNREFUSED", c"connection refused";
    UV_EHOSTDOWN = neg(Errno::HOSTDOWN), c"EHOSTDOWN", c"host is down";
    UV_EHOSTUNREACH = neg(Errno::HOSTUNREACH), c"EHOSTUNREACH", c"host is unreachable";
    UV_EALREADY = neg(Errno::ALREADY), c"EALREADY", c"connection already in progress";
    UV_EREMOTEIO = neg(Errno::REMOTEIO), c"EREMOTEIO", c"remote I/O error";
    UV_ECANCELED = neg(Errno::CANCELED), c"ECANCELED", c"operation canceled";
    UV_EAI_ADDRFAMILY = -3000, c"EAI_ADDRFAMILY", c"address family not supported";
    UV_EAI_AGAIN = -3001, c"EAI_AGAIN", c"temporary failure";
    UV_EAI_BADFLAGS = -3002, c"EAI_BADFLAGS", c"bad ai_flags value";
    UV_EAI_CANCELED = -3003, c"EAI_CANCELED", c"request canceled";
    UV_EAI_FAIL = -3004, c"EAI_FAIL", c"permanent failure";
    UV_EAI_FAMILY = -3005, c"EAI_FAMILY", c"ai_family not supported";
    UV_EAI_MEMORY = -3006, c"EAI_MEMORY", c"out of memory";
    UV_EAI_NODATA = -3007, c"EAI_NODATA", c"no address";
    UV_EAI_NONAME = -3008, c"EAI_NONAME", c"unknown node or service";
    UV_EAI_OVERFLOW = -3009, c"EAI_OVERFLOW", c"argument buffer overflow";
    UV_EAI_SERVICE = -3010, c"EAI_SERVICE", c"service not available for socket type";
    UV_EAI_SOCKTYPE = -3011, c"EAI_SOCKTYPE", c"socket type not supported";
    UV_EAI_BADHINTS = -3013, c"EAI_BADHINTS", c"invalid value for hints";
    UV_EAI_PROTOCOL = -3014, c"EAI_PROTOCOL", c"resolved protocol is unknown";
    UV_EFTYPE = -4028, c"EFTYPE", c"inappropriate file type or format";
    UV_ECHARSET = -4080, c"ECHARSET", c"invalid Unicode character";
    UV_UNKNOWN = -4094, c"UNKNOWN", c"unknown error";
    UV_EOF = -4095, c"EOF", c"end of file";
}

/// Turns an OS error into libuv's code, as `uv_translate_sys_error` does on
/// Unix: a positive errno is negated; zero and values that are already
/// negative (already libuv codes) pass through unchanged.
pub const fn from_errno(errno: i32) -> i32 {
    if errno <= 0 {
        errno
    } else {
        // Cannot overflow: `errno` is positive here.
        -errno
    }
}

/// libuv's code for a rustix error.
pub const fn from_rustix(e: Errno) -> i32 {
    neg(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (code, name, message) as libuv 1.52's headers define them on Linux
    /// x86_64, recorded from a C program compiled against those headers.
    const LIBUV: &[(i32, &str, &str)] = &[
        (-1, "EPERM", "operation not permitted"),
        (-2, "ENOENT", "no such file or directory"),
        (-3, "ESRCH", "no such process"),
        (-4, "EINTR", "interrupted system call"),
        (-5, "EIO", "i/o error"),
        (-6, "ENXIO", "no such device or address"),
        (-7, "E2BIG", "argument list too long"),
        (-8, "ENOEXEC", "exec format error"),
        (-9, "EBADF", "bad file descriptor"),
        (-11, "EAGAIN", "resource temporarily unavailable"),
        (-12, "ENOMEM", "not enough memory"),
        (-13, "EACCES", "permission denied"),
        (-14, "EFAULT", "bad address in system call argument"),
        (-16, "EBUSY", "resource busy or locked"),
        (-17, "EEXIST", "file already exists"),
        (-18, "EXDEV", "cross-device link not permitted"),
        (-19, "ENODEV", "no such device"),
        (-20, "ENOTDIR", "not a directory"),
        (-21, "EISDIR", "illegal operation on a directory"),
        (-22, "EINVAL", "invalid argument"),
        (-23, "ENFILE", "file table overflow"),
        (-24, "EMFILE", "too many open files"),
        (-25, "ENOTTY", "inappropriate ioctl for device"),
        (-26, "ETXTBSY", "text file is busy"),
        (-27, "EFBIG", "file too large"),
        (-28, "ENOSPC", "no space left on device"),
        (-29, "ESPIPE", "invalid seek"),
        (-30, "EROFS", "read-only file system"),
        (-31, "EMLINK", "too many links"),
        (-32, "EPIPE", "broken pipe"),
        (-34, "ERANGE", "result too large"),
        (-36, "ENAMETOOLONG", "name too long"),
        (-38, "ENOSYS", "function not implemented"),
        (-39, "ENOTEMPTY", "directory not empty"),
        (-40, "ELOOP", "too many symbolic links encountered"),
        (-49, "EUNATCH", "protocol driver not attached"),
        (-61, "ENODATA", "no data available"),
        (-64, "ENONET", "machine is not on the network"),
        (-71, "EPROTO", "protocol error"),
        (-75, "EOVERFLOW", "value too large for defined data type"),
        (-84, "EILSEQ", "illegal byte sequence"),
        (-88, "ENOTSOCK", "socket operation on non-socket"),
        (-89, "EDESTADDRREQ", "destination address required"),
        (-90, "EMSGSIZE", "message too long"),
        (-91, "EPROTOTYPE", "protocol wrong type for socket"),
        (-92, "ENOPROTOOPT", "protocol not available"),
        (-93, "EPROTONOSUPPORT", "protocol not supported"),
        (-94, "ESOCKTNOSUPPORT", "socket type not supported"),
        (-95, "ENOTSUP", "operation not supported on socket"),
        (-97, "EAFNOSUPPORT", "address family not supported"),
        (-98, "EADDRINUSE", "address already in use"),
        (-99, "EADDRNOTAVAIL", "address not available"),
        (-100, "ENETDOWN", "network is down"),
        (-101, "ENETUNREACH", "network is unreachable"),
        (-103, "ECONNABORTED", "software caused connection abort"),
        (-104, "ECONNRESET", "connection reset by peer"),
        (-105, "ENOBUFS", "no buffer space available"),
        (-106, "EISCONN", "socket is already connected"),
        (-107, "ENOTCONN", "socket is not connected"),
        (
            -108,
            "ESHUTDOWN",
            "cannot send after transport endpoint shutdown",
        ),
        (-110, "ETIMEDOUT", "connection timed out"),
        (-111, "ECONNREFUSED", "connection refused"),
        (-112, "EHOSTDOWN", "host is down"),
        (-113, "EHOSTUNREACH", "host is unreachable"),
        (-114, "EALREADY", "connection already in progress"),
        (-121, "EREMOTEIO", "remote I/O error"),
        (-125, "ECANCELED", "operation canceled"),
        (-3000, "EAI_ADDRFAMILY", "address family not supported"),
        (-3001, "EAI_AGAIN", "temporary failure"),
        (-3002, "EAI_BADFLAGS", "bad ai_flags value"),
        (-3003, "EAI_CANCELED", "request canceled"),
        (-3004, "EAI_FAIL", "permanent failure"),
        (-3005, "EAI_FAMILY", "ai_family not supported"),
        (-3006, "EAI_MEMORY", "out of memory"),
        (-3007, "EAI_NODATA", "no address"),
        (-3008, "EAI_NONAME", "unknown node or service"),
        (-3009, "EAI_OVERFLOW", "argument buffer overflow"),
        (
            -3010,
            "EAI_SERVICE",
            "service not available for socket type",
        ),
        (-3011, "EAI_SOCKTYPE", "socket type not supported"),
        (-3013, "EAI_BADHINTS", "invalid value for hints"),
        (-3014, "EAI_PROTOCOL", "resolved protocol is unknown"),
        (-4028, "EFTYPE", "inappropriate file type or format"),
        (-4080, "ECHARSET", "invalid Unicode character"),
        (-4094, "UNKNOWN", "unknown error"),
        (-4095, "EOF", "end of file"),
    ];

    #[test]
    fn table_matches_libuv() {
        assert_eq!(ALL.len(), LIBUV.len());
        for &(code, want_name, want_msg) in LIBUV {
            assert!(ALL.contains(&code), "{code} missing from ALL");
            assert_eq!(name(code).unwrap().to_str().unwrap(), want_name);
            assert_eq!(message(code).unwrap().to_str().unwrap(), want_msg);
        }
    }

    #[test]
    fn constants_have_linux_values() {
        assert_eq!(UV_EPERM, -1);
        assert_eq!(UV_E2BIG, -7);
        assert_eq!(UV_EAGAIN, -11);
        assert_eq!(UV_EINVAL, -22);
        assert_eq!(UV_ENOSYS, -38);
        assert_eq!(UV_ENOTSUP, -95);
        assert_eq!(UV_ECANCELED, -125);
        assert_eq!(UV_EAI_ADDRFAMILY, -3000);
        assert_eq!(UV_EAI_BADHINTS, -3013);
        assert_eq!(UV_EAI_PROTOCOL, -3014);
        assert_eq!(UV_EFTYPE, -4028);
        assert_eq!(UV_ECHARSET, -4080);
        assert_eq!(UV_UNKNOWN, -4094);
        assert_eq!(UV_EOF, -4095);
    }

    #[test]
    fn codes_are_distinct_and_negative() {
        for (i, a) in ALL.iter().enumerate() {
            assert!(*a < 0);
            assert!(!ALL[i + 1..].contains(a), "{a} listed twice");
        }
    }

    #[test]
    fn unknown_codes_have_no_name() {
        for code in [0, 1, 22, -35, -41, -3012, -4000, -4096, i32::MIN, i32::MAX] {
            assert_eq!(name(code), None, "{code}");
            assert_eq!(message(code), None, "{code}");
        }
    }

    #[test]
    fn errno_translation() {
        assert_eq!(from_errno(22), UV_EINVAL);
        assert_eq!(from_errno(0), 0);
        assert_eq!(from_errno(-22), -22);
        assert_eq!(from_errno(UV_EOF), UV_EOF);
        assert_eq!(from_errno(i32::MAX), -i32::MAX);
        assert_eq!(from_errno(i32::MIN), i32::MIN);
        assert_eq!(from_rustix(Errno::NOENT), UV_ENOENT);
        assert_eq!(from_rustix(Errno::WOULDBLOCK), UV_EAGAIN);
        assert_eq!(from_rustix(Errno::OPNOTSUPP), UV_ENOTSUP);
    }
}
