//! `uv_tcp_*`: TCP streams. Reading, writing and accepting are in
//! `stream.rs`; this file owns sockets, addresses and options.
#![allow(non_camel_case_types)]

use crate::abi::*;
use crate::stream::{
    connect_started, setsockopt_int, stream_init, stream_open, uv_connect_cb, uv_connect_t,
    uv_stream_t, BOUND, IPV6, READABLE, TCP_KEEPALIVE, TCP_NODELAY, WRITABLE,
};
use crate::util::errno;
use rsuv_core::error::{UV_EALREADY, UV_EBADF, UV_EEXIST, UV_EINVAL};
use std::ffi::{c_int, c_uint, c_void};
use std::mem::size_of;
use std::ptr;

pub type uv_tcp_t = uv_stream_t;

pub const UV_TCP_IPV6ONLY: c_uint = 1;
pub const UV_TCP_REUSEPORT: c_uint = 2;

fn sockaddr_len(addr: *const libc::sockaddr) -> Option<libc::socklen_t> {
    // SAFETY: the family is the first field of every sockaddr.
    match c_int::from(unsafe { (*addr).sa_family }) {
        libc::AF_INET => Some(size_of::<libc::sockaddr_in>() as libc::socklen_t),
        libc::AF_INET6 => Some(size_of::<libc::sockaddr_in6>() as libc::socklen_t),
        _ => None,
    }
}

/// A new non-blocking socket of `domain`, given to the handle.
unsafe fn new_socket(h: *mut uv_tcp_t, domain: c_int, flags: u32) -> c_int {
    // SAFETY: h is a live TCP handle.
    unsafe {
        let fd = libc::socket(
            domain,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        );
        if fd == -1 {
            return -errno();
        }
        let err = stream_open(h, fd, flags);
        if err != 0 {
            libc::close(fd);
        }
        err
    }
}

/// The handle's socket, created for `domain` if it has none yet.
unsafe fn ensure_socket(h: *mut uv_tcp_t, domain: c_int, flags: u32) -> c_int {
    // SAFETY: h is a live TCP handle.
    unsafe {
        if domain == libc::AF_UNSPEC || (*h).p.fd != -1 {
            (*h).p.flags |= flags;
            return 0;
        }
        new_socket(h, domain, flags)
    }
}

/// # Safety
/// `lp` is a loop, `h` writable `uv_tcp_t` memory.
#[no_mangle]
pub unsafe extern "C" fn uv_tcp_init_ex(
    lp: *mut uv_loop_t,
    h: *mut uv_tcp_t,
    flags: c_uint,
) -> c_int {
    let domain = (flags & 0xff) as c_int;
    if domain != libc::AF_INET && domain != libc::AF_INET6 && domain != libc::AF_UNSPEC {
        return UV_EINVAL;
    }
    if flags & !0xff != 0 {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        // In libuv's order: the stream first (which reserves the loop's
        // EMFILE descriptor), then the socket, whose failure takes the
        // handle off the loop again (closable, but not waited for).
        let err = stream_init(lp, h, UV_TCP);
        if err != 0 {
            return err;
        }
        if domain != libc::AF_UNSPEC {
            let fd = libc::socket(
                domain,
                libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            );
            if fd == -1 {
                let err = -errno();
                crate::handle::detach(h as *mut uv_handle_t);
                return err;
            }
            (*h).p.fd = fd;
        }
        0
    }
}

/// # Safety
/// `lp` is a loop, `h` writable `uv_tcp_t` memory.
#[no_mangle]
pub unsafe extern "C" fn uv_tcp_init(lp: *mut uv_loop_t, h: *mut uv_tcp_t) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { uv_tcp_init_ex(lp, h, libc::AF_UNSPEC as c_uint) }
}

/// # Safety
/// `h` is an initialized TCP handle; `sock` an open socket.
#[no_mangle]
pub unsafe extern "C" fn uv_tcp_open(h: *mut uv_tcp_t, sock: c_int) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        let taken = crate::r#loop::with_loop((*h).handle.loop_, |l| l.fd_watcher(sock).is_some())
            .unwrap_or(false);
        if taken {
            return UV_EEXIST;
        }
        let err = crate::stream::set_nonblock(sock, true);
        if err != 0 {
            return err;
        }
        stream_open(h, sock, READABLE | WRITABLE)
    }
}

/// # Safety
/// `h` is an initialized TCP handle; `addr` a sockaddr_in or sockaddr_in6.
#[no_mangle]
pub unsafe extern "C" fn uv_tcp_bind(
    h: *mut uv_tcp_t,
    addr: *const libc::sockaddr,
    flags: c_uint,
) -> c_int {
    if h.is_null() || addr.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        if (*h).handle.type_ != UV_TCP || (*h).p.flags & crate::stream::CLOSING != 0 {
            return UV_EINVAL;
        }
        let Some(addrlen) = sockaddr_len(addr) else {
            return UV_EINVAL;
        };
        let family = c_int::from((*addr).sa_family);
        if flags & UV_TCP_IPV6ONLY != 0 && family != libc::AF_INET6 {
            return UV_EINVAL;
        }
        let err = ensure_socket(h, family, 0);
        if err != 0 {
            return err;
        }
        let fd = (*h).p.fd;
        if setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1) != 0 {
            return -errno();
        }
        if flags & UV_TCP_REUSEPORT != 0
            && setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1) != 0
        {
            return -errno();
        }
        if family == libc::AF_INET6 {
            let only = (flags & UV_TCP_IPV6ONLY != 0) as c_int;
            if setsockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, only) != 0 {
                return -errno();
            }
        }
        if libc::bind(fd, addr, addrlen) == -1 {
            let e = errno();
            if e == libc::EAFNOSUPPORT {
                return UV_EINVAL;
            }
            if e != libc::EADDRINUSE {
                return -e;
            }
            // libuv reports a busy address from listen or connect.
            (*h).p.delayed_error = -e;
        }
        (*h).p.flags |= BOUND;
        if family == libc::AF_INET6 {
            (*h).p.flags |= IPV6;
        }
        0
    }
}

/// # Safety
/// `req` stays valid until its callback; `h` is an initialized TCP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_tcp_connect(
    req: *mut uv_connect_t,
    h: *mut uv_tcp_t,
    addr: *const libc::sockaddr,
    cb: uv_connect_cb,
) -> c_int {
    if req.is_null() || h.is_null() || addr.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        if (*h).handle.type_ != UV_TCP || (*h).p.flags & crate::stream::CLOSING != 0 {
            return UV_EINVAL;
        }
        let Some(addrlen) = sockaddr_len(addr) else {
            return UV_EINVAL;
        };
        if !(*h).p.connect_req.is_null() {
            return UV_EALREADY;
        }
        if (*h).p.delayed_error == 0 {
            let err = ensure_socket(h, c_int::from((*addr).sa_family), READABLE | WRITABLE);
            if err != 0 {
                return err;
            }
            loop {
                if libc::connect((*h).p.fd, addr, addrlen) == 0 {
                    break;
                }
                match errno() {
                    libc::EINTR => continue,
                    libc::EINPROGRESS => break,
                    // Reported through the callback, as libuv does.
                    libc::ECONNREFUSED => {
                        (*h).p.delayed_error = -libc::ECONNREFUSED;
                        break;
                    }
                    e => return -e,
                }
            }
        }
        connect_started(req, h, cb);
    }
    0
}

/// Called by `uv_listen`.
///
/// # Safety
/// `s` is a live TCP handle.
pub(crate) unsafe fn listen(s: *mut uv_stream_t, backlog: c_int) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        if (*s).p.delayed_error != 0 {
            return (*s).p.delayed_error;
        }
        // A listening socket is neither readable nor writable as a stream.
        let err = ensure_socket(s, libc::AF_INET, 0);
        if err != 0 {
            return err;
        }
        if libc::listen((*s).p.fd, backlog) != 0 {
            return -errno();
        }
        (*s).p.flags |= BOUND;
    }
    0
}

type NameFn = unsafe extern "C" fn(c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> c_int;

unsafe fn sock_or_peer_name(
    h: *const uv_tcp_t,
    name: *mut libc::sockaddr,
    namelen: *mut c_int,
    f: NameFn,
) -> c_int {
    if h.is_null() || name.is_null() || namelen.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the callers' contracts; namelen is in/out.
    unsafe {
        if (*h).p.delayed_error != 0 {
            return (*h).p.delayed_error;
        }
        if (*h).p.fd < 0 {
            return UV_EBADF;
        }
        let mut len = *namelen as libc::socklen_t;
        if f((*h).p.fd, name, &mut len) != 0 {
            return -errno();
        }
        *namelen = len as c_int;
    }
    0
}

/// # Safety
/// `h` is a TCP handle; `name` holds `*namelen` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_tcp_getsockname(
    h: *const uv_tcp_t,
    name: *mut libc::sockaddr,
    namelen: *mut c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { sock_or_peer_name(h, name, namelen, libc::getsockname) }
}

/// # Safety
/// `h` is a TCP handle; `name` holds `*namelen` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_tcp_getpeername(
    h: *const uv_tcp_t,
    name: *mut libc::sockaddr,
    namelen: *mut c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { sock_or_peer_name(h, name, namelen, libc::getpeername) }
}

/// # Safety
/// `h` is an initialized TCP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_tcp_nodelay(h: *mut uv_tcp_t, enable: c_int) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        let fd = (*h).p.fd;
        if fd != -1
            && setsockopt_int(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                (enable != 0) as c_int,
            ) != 0
        {
            return -errno();
        }
        if enable != 0 {
            (*h).p.flags |= TCP_NODELAY;
        } else {
            (*h).p.flags &= !TCP_NODELAY;
        }
    }
    0
}

/// Applies keep-alive settings to a socket (libuv's bounds: at least one
/// second/probe when enabling).
pub(crate) fn set_keepalive(
    fd: c_int,
    on: bool,
    idle: c_uint,
    intvl: c_uint,
    cnt: c_uint,
) -> c_int {
    if setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, on as c_int) != 0 {
        return -errno();
    }
    if !on {
        return 0;
    }
    if idle < 1 || intvl < 1 || cnt < 1 {
        return UV_EINVAL;
    }
    let clamp = |v: c_uint| v.min(c_int::MAX as c_uint) as c_int;
    for (name, value) in [
        (libc::TCP_KEEPIDLE, idle),
        (libc::TCP_KEEPINTVL, intvl),
        (libc::TCP_KEEPCNT, cnt),
    ] {
        if setsockopt_int(fd, libc::IPPROTO_TCP, name, clamp(value)) != 0 {
            return -errno();
        }
    }
    0
}

/// # Safety
/// `h` is an initialized TCP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_tcp_keepalive_ex(
    h: *mut uv_tcp_t,
    on: c_int,
    idle: c_uint,
    intvl: c_uint,
    cnt: c_uint,
) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        let fd = (*h).p.fd;
        if fd != -1 {
            let err = set_keepalive(fd, on != 0, idle, intvl, cnt);
            if err != 0 {
                return err;
            }
        }
        if on != 0 {
            (*h).p.flags |= TCP_KEEPALIVE;
        } else {
            (*h).p.flags &= !TCP_KEEPALIVE;
        }
    }
    0
}

/// # Safety
/// `h` is an initialized TCP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_tcp_keepalive(h: *mut uv_tcp_t, on: c_int, delay: c_uint) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { uv_tcp_keepalive_ex(h, on, delay, 1, 10) }
}

/// Meaningful on Windows only; accepted and ignored, as libuv does.
///
/// # Safety
/// Touches nothing.
#[no_mangle]
pub unsafe extern "C" fn uv_tcp_simultaneous_accepts(_h: *mut uv_tcp_t, _enable: c_int) -> c_int {
    0
}

/// Closes with an RST instead of a FIN (SO_LINGER with a zero timeout).
///
/// # Safety
/// `h` is an initialized TCP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_tcp_close_reset(h: *mut uv_tcp_t, close_cb: uv_close_cb) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        if !(*h).p.shutdown_req.is_null() {
            return UV_EINVAL;
        }
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        let fd = (*h).p.fd;
        if libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            ptr::addr_of!(linger) as *const c_void,
            size_of::<libc::linger>() as libc::socklen_t,
        ) != 0
            && errno() != libc::EINVAL
        {
            return -errno();
        }
        crate::handle::uv_close(h as *mut uv_handle_t, close_cb);
    }
    0
}
