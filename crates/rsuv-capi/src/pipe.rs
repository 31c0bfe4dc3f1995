//! `uv_pipe_*`, `uv_pipe` and `uv_socketpair`: Unix-domain stream sockets
//! and anonymous pipes, and IPC (passing handles' descriptors over a pipe
//! with `SCM_RIGHTS`). Reading and writing are in `stream.rs`.
#![allow(non_camel_case_types)]

use crate::abi::*;
use crate::stream::{
    connect_started, push_received_fd, received_count, set_nonblock, stream_init, stream_open,
    uv_buf_t, uv_connect_cb, uv_connect_t, uv_stream_t, READABLE, WRITABLE,
};
use crate::util::errno;
use rsuv_core::error::{UV_EACCES, UV_EBADF, UV_EEXIST, UV_EINVAL, UV_ENOBUFS};
use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::mem::{offset_of, size_of, zeroed};
use std::ptr;

#[repr(C)]
pub struct uv_pipe_t {
    pub stream: uv_stream_t,
    pub ipc: c_int,
    /// The path this pipe bound (unlinked on close), or null.
    pipe_fname: *mut c_char,
}

const _: () = {
    assert!(size_of::<uv_pipe_t>() == 264);
    assert!(offset_of!(uv_pipe_t, ipc) == 248);
};

pub const UV_PIPE_NO_TRUNCATE: c_uint = 1;
pub const UV_NONBLOCK_PIPE: c_int = 0x40;
const UV_READABLE: c_int = 1;
const UV_WRITABLE: c_int = 2;
/// Descriptors accepted per received message.
const MAX_FDS_PER_MSG: usize = 64;

/// Whether `s` is a pipe that carries handles.
///
/// # Safety
/// `s` points to a stream.
pub(crate) unsafe fn is_ipc(s: *const uv_stream_t) -> bool {
    // SAFETY: per the contract; only pipes have the ipc field.
    unsafe { (*s).handle.type_ == UV_NAMED_PIPE && (*(s as *const uv_pipe_t)).ipc != 0 }
}

/// The descriptor `uv_write2` would send for `h`, or -1.
///
/// # Safety
/// `h` points to a handle.
pub(crate) unsafe fn sendable_fd(h: *mut uv_handle_t) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        match (*h).type_ {
            UV_TCP | UV_NAMED_PIPE => crate::stream::fd(h as *const uv_stream_t),
            UV_UDP => crate::udp::fileno(h),
            _ => -1,
        }
    }
}

/// `sendmsg` of `iov` with `send_handle`'s descriptor attached.
///
/// # Safety
/// `iov` is valid for `iovcnt` entries; `send_handle` is a handle.
pub(crate) unsafe fn send_with_handle(
    fd: c_int,
    iov: *const libc::iovec,
    iovcnt: c_int,
    send_handle: *mut uv_stream_t,
) -> isize {
    // SAFETY: per the contract; the control buffer is sized for one fd and
    // aligned as cmsghdr requires.
    unsafe {
        let send_fd = sendable_fd(send_handle as *mut uv_handle_t);
        let mut control = [0u64; 4];
        let mut msg: libc::msghdr = zeroed();
        msg.msg_iov = iov as *mut libc::iovec;
        msg.msg_iovlen = iovcnt as usize;
        msg.msg_control = control.as_mut_ptr() as *mut c_void;
        msg.msg_controllen = libc::CMSG_SPACE(size_of::<c_int>() as u32) as usize;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<c_int>() as u32) as usize;
        ptr::write_unaligned(libc::CMSG_DATA(cmsg) as *mut c_int, send_fd);
        libc::sendmsg(fd, &msg, 0)
    }
}

/// `recvmsg` into `buf`, queueing any descriptors that arrive with the
/// data. Returns bytes read or a negative errno.
///
/// # Safety
/// `s` is a live IPC pipe; `buf` a caller buffer.
pub(crate) unsafe fn recv_with_handles(s: *mut uv_stream_t, buf: *const uv_buf_t) -> isize {
    // SAFETY: per the contract; the control buffer is aligned and sized for
    // MAX_FDS_PER_MSG descriptors.
    unsafe {
        let mut iov = libc::iovec {
            iov_base: (*buf).base as *mut c_void,
            iov_len: (*buf).len,
        };
        let mut control = [0u64; 2 + MAX_FDS_PER_MSG / 2];
        let mut msg: libc::msghdr = zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr() as *mut c_void;
        msg.msg_controllen = size_of_val(&control);
        let n = loop {
            let n = libc::recvmsg((*s).p.fd, &mut msg, libc::MSG_CMSG_CLOEXEC);
            if n == -1 && errno() == libc::EINTR {
                continue;
            }
            break n;
        };
        if n < 0 {
            return -(errno() as isize);
        }
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                let data = libc::CMSG_DATA(cmsg) as *const c_int;
                let count = ((*cmsg).cmsg_len - libc::CMSG_LEN(0) as usize) / size_of::<c_int>();
                for i in 0..count {
                    push_received_fd(s, ptr::read_unaligned(data.add(i)));
                }
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
        n
    }
}

/// # Safety
/// `lp` is a loop, `h` writable `uv_pipe_t` memory.
#[no_mangle]
pub unsafe extern "C" fn uv_pipe_init(lp: *mut uv_loop_t, h: *mut uv_pipe_t, ipc: c_int) -> c_int {
    if h.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        let err = stream_init(lp, h as *mut uv_stream_t, UV_NAMED_PIPE);
        if err != 0 {
            return err;
        }
        (*h).ipc = ipc;
        (*h).pipe_fname = ptr::null_mut();
    }
    0
}

/// # Safety
/// `h` is an initialized pipe; `fd` an open descriptor.
#[no_mangle]
pub unsafe extern "C" fn uv_pipe_open(h: *mut uv_pipe_t, fd: c_int) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        let taken =
            crate::r#loop::with_loop((*h).stream.handle.loop_, |l| l.fd_watcher(fd).is_some())
                .unwrap_or(false);
        if taken {
            return UV_EEXIST;
        }
        let mode = libc::fcntl(fd, libc::F_GETFL);
        if mode == -1 {
            return -errno();
        }
        let err = set_nonblock(fd, true);
        if err != 0 {
            return err;
        }
        let mut flags = 0;
        if mode & libc::O_ACCMODE != libc::O_WRONLY {
            flags |= READABLE;
        }
        if mode & libc::O_ACCMODE != libc::O_RDONLY {
            flags |= WRITABLE;
        }
        stream_open(h as *mut uv_stream_t, fd, flags)
    }
}

/// A `sockaddr_un` for `name`: abstract when it starts with NUL (no file),
/// truncated to `sun_path` unless `UV_PIPE_NO_TRUNCATE`. An empty name
/// (`autobind`, for bind only) asks Linux for a unique abstract name.
unsafe fn unix_addr(
    name: *const c_char,
    namelen: usize,
    flags: c_uint,
    autobind: bool,
) -> Result<(libc::sockaddr_un, libc::socklen_t), c_int> {
    if flags & !UV_PIPE_NO_TRUNCATE != 0 || name.is_null() || (namelen == 0 && !autobind) {
        return Err(UV_EINVAL);
    }
    // SAFETY: the caller passes namelen readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(name as *const u8, namelen) };
    let abstract_name = bytes.first() == Some(&0);
    // A path may not contain NUL (an abstract name may).
    if !abstract_name && bytes.contains(&0) {
        return Err(UV_EINVAL);
    }
    // SAFETY: sockaddr_un is plain data.
    let mut sa: libc::sockaddr_un = unsafe { zeroed() };
    let cap = sa.sun_path.len();
    if flags & UV_PIPE_NO_TRUNCATE != 0 && namelen > cap {
        return Err(UV_EINVAL);
    }
    let n = namelen.min(cap);
    for (d, &b) in sa.sun_path.iter_mut().zip(&bytes[..n]) {
        *d = b as c_char;
    }
    sa.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let base = offset_of!(libc::sockaddr_un, sun_path);
    let len = if abstract_name || n == 0 {
        base + n
    } else {
        size_of::<libc::sockaddr_un>()
    };
    Ok((sa, len as libc::socklen_t))
}

/// # Safety
/// `h` is an initialized pipe; `name` holds `namelen` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_pipe_bind2(
    h: *mut uv_pipe_t,
    name: *const c_char,
    namelen: usize,
    flags: c_uint,
) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        let (sa, len) = match unix_addr(name, namelen, flags, true) {
            Ok(a) => a,
            Err(e) => return e,
        };
        let s = h as *mut uv_stream_t;
        if (*s).p.fd >= 0 || (*s).p.flags & crate::stream::CLOSING != 0 {
            return UV_EINVAL;
        }
        let fd = libc::socket(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        );
        if fd == -1 {
            return -errno();
        }
        if libc::bind(fd, ptr::addr_of!(sa) as *const libc::sockaddr, len) != 0 {
            let e = errno();
            libc::close(fd);
            // libuv reports a missing directory as a permissions problem.
            return if e == libc::ENOENT { UV_EACCES } else { -e };
        }
        if namelen > 0 && *name != 0 {
            // sun_path may use all its bytes without a terminator.
            let mut path = [0 as c_char; 109];
            let n = namelen.min(sa.sun_path.len());
            path[..n].copy_from_slice(&sa.sun_path[..n]);
            (*h).pipe_fname = crate::alloc::strdup(CStr::from_ptr(path.as_ptr()));
        }
        (*s).p.fd = fd;
        (*s).p.flags |= crate::stream::BOUND;
    }
    0
}

/// # Safety
/// `h` is an initialized pipe; `name` a C string.
#[no_mangle]
pub unsafe extern "C" fn uv_pipe_bind(h: *mut uv_pipe_t, name: *const c_char) -> c_int {
    if name.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe { uv_pipe_bind2(h, name, libc::strlen(name), 0) }
}

/// Called by `uv_listen`.
///
/// # Safety
/// `s` is a live pipe.
pub(crate) unsafe fn listen(s: *mut uv_stream_t, backlog: c_int) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        if (*s).p.fd == -1 {
            return UV_EINVAL;
        }
        if is_ipc(s) {
            return UV_EINVAL;
        }
        if libc::listen((*s).p.fd, backlog) != 0 {
            return -errno();
        }
    }
    0
}

/// # Safety
/// `req` stays valid until its callback; `h` is an initialized pipe.
#[no_mangle]
pub unsafe extern "C" fn uv_pipe_connect2(
    req: *mut uv_connect_t,
    h: *mut uv_pipe_t,
    name: *const c_char,
    namelen: usize,
    flags: c_uint,
    cb: uv_connect_cb,
) -> c_int {
    if req.is_null() || h.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        let (sa, len) = match unix_addr(name, namelen, flags, false) {
            Ok(a) => a,
            Err(e) => return e,
        };
        let s = h as *mut uv_stream_t;
        let mut err = 0;
        let mut new_sock = false;
        if (*s).p.fd == -1 {
            let fd = libc::socket(
                libc::AF_UNIX,
                libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            );
            if fd == -1 {
                err = -errno();
            } else {
                (*s).p.fd = fd;
                new_sock = true;
            }
        }
        if err == 0 {
            loop {
                if libc::connect((*s).p.fd, ptr::addr_of!(sa) as *const libc::sockaddr, len) == 0 {
                    break;
                }
                match errno() {
                    libc::EINTR => continue,
                    libc::EINPROGRESS => break,
                    e => {
                        err = -e;
                        break;
                    }
                }
            }
        }
        if err == 0 && new_sock {
            (*s).p.flags |= READABLE | WRITABLE;
        }
        // Errors reach the callback on the next loop iteration, as in libuv.
        (*s).p.delayed_error = err;
        connect_started(req, s, cb);
    }
    0
}

/// # Safety
/// As `uv_pipe_connect2`; `name` a C string.
#[no_mangle]
pub unsafe extern "C" fn uv_pipe_connect(
    req: *mut uv_connect_t,
    h: *mut uv_pipe_t,
    name: *const c_char,
    cb: uv_connect_cb,
) {
    let len = if name.is_null() {
        0
    } else {
        // SAFETY: a C string.
        unsafe { libc::strlen(name) }
    };
    // SAFETY: forwarded contract.
    let err = unsafe { uv_pipe_connect2(req, h, name, len, 0, cb) };
    if err != 0 && !req.is_null() && !h.is_null() {
        // Bad arguments too are reported through the callback.
        // SAFETY: per the contract.
        unsafe {
            (*h).stream.p.delayed_error = err;
            connect_started(req, h as *mut uv_stream_t, cb);
        }
    }
}

type NameFn = unsafe extern "C" fn(c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> c_int;

unsafe fn name_of(h: *const uv_pipe_t, f: NameFn, buffer: *mut c_char, size: *mut usize) -> c_int {
    if h.is_null() || buffer.is_null() || size.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the callers' contracts; *size bytes are writable.
    unsafe {
        if *size == 0 {
            return UV_EINVAL;
        }
        let fd = (*h).stream.p.fd;
        if fd < 0 {
            *size = 0;
            return UV_EBADF;
        }
        let mut sa: libc::sockaddr_un = zeroed();
        let mut len = size_of::<libc::sockaddr_un>() as libc::socklen_t;
        if f(fd, ptr::addr_of_mut!(sa) as *mut libc::sockaddr, &mut len) != 0 {
            *size = 0;
            return -errno();
        }
        let base = offset_of!(libc::sockaddr_un, sun_path);
        let abstract_name = sa.sun_path[0] == 0;
        let n = if abstract_name {
            (len as usize).saturating_sub(base)
        } else {
            libc::strnlen(sa.sun_path.as_ptr(), sa.sun_path.len())
        };
        // A path needs room for its terminator; an abstract name has none.
        let slop = usize::from(!abstract_name);
        if n + slop > *size {
            *size = n + slop;
            return UV_ENOBUFS;
        }
        ptr::copy_nonoverlapping(sa.sun_path.as_ptr(), buffer, n);
        *size = n;
        if !abstract_name {
            *buffer.add(n) = 0;
        }
    }
    0
}

/// # Safety
/// `h` is a pipe; `buffer` holds `*size` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_pipe_getsockname(
    h: *const uv_pipe_t,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { name_of(h, libc::getsockname, buffer, size) }
}

/// # Safety
/// `h` is a pipe; `buffer` holds `*size` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_pipe_getpeername(
    h: *const uv_pipe_t,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { name_of(h, libc::getpeername, buffer, size) }
}

/// Meaningful on Windows only.
///
/// # Safety
/// Touches nothing.
#[no_mangle]
pub unsafe extern "C" fn uv_pipe_pending_instances(_h: *mut uv_pipe_t, _count: c_int) {}

/// # Safety
/// `h` is a pipe.
#[no_mangle]
pub unsafe extern "C" fn uv_pipe_pending_count(h: *mut uv_pipe_t) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        if (*h).ipc == 0 {
            return 0;
        }
        received_count(h as *const uv_stream_t) as c_int
    }
}

/// The type of handle `uv_accept` would produce from the next received
/// descriptor.
///
/// # Safety
/// `h` is a pipe.
#[no_mangle]
pub unsafe extern "C" fn uv_pipe_pending_type(h: *mut uv_pipe_t) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        if (*h).ipc == 0 || (*h).stream.p.accepted_fd == -1 {
            return UV_UNKNOWN_HANDLE;
        }
        // As libuv: what the descriptor looks like, so a FIFO is a pipe and
        // a file or character device is UV_FILE.
        crate::tty::uv_guess_handle((*h).stream.p.accepted_fd)
    }
}

/// Makes the bound socket file readable and/or writable by everyone.
///
/// # Safety
/// `h` is a pipe.
#[no_mangle]
pub unsafe extern "C" fn uv_pipe_chmod(h: *mut uv_pipe_t, flags: c_int) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        if h.is_null() || (*h).stream.p.fd == -1 {
            return UV_EBADF;
        }
        if flags != UV_READABLE && flags != UV_WRITABLE && flags != (UV_READABLE | UV_WRITABLE) {
            return UV_EINVAL;
        }
        let mut name = [0 as c_char; 110];
        let mut size = name.len();
        let err = uv_pipe_getsockname(h, name.as_mut_ptr(), &mut size);
        if err != 0 {
            return err;
        }
        let mut st: libc::stat = zeroed();
        if libc::stat(name.as_ptr(), &mut st) == -1 {
            return -errno();
        }
        let mut mode = st.st_mode;
        if flags & UV_READABLE != 0 {
            mode |= libc::S_IRUSR | libc::S_IRGRP | libc::S_IROTH;
        }
        if flags & UV_WRITABLE != 0 {
            mode |= libc::S_IWUSR | libc::S_IWGRP | libc::S_IWOTH;
        }
        if libc::chmod(name.as_ptr(), mode) == -1 {
            return -errno();
        }
    }
    0
}

/// Part of `uv_close` for pipes: remove the socket file we created.
///
/// # Safety
/// `s` is a pipe being closed.
pub(crate) unsafe fn close(s: *mut uv_stream_t) {
    let h = s as *mut uv_pipe_t;
    // SAFETY: per the contract; pipe_fname came from crate::alloc::strdup.
    unsafe {
        if !(*h).pipe_fname.is_null() {
            libc::unlink((*h).pipe_fname);
            crate::alloc::free((*h).pipe_fname as *mut c_void);
            (*h).pipe_fname = ptr::null_mut();
        }
    }
}

/// # Safety
/// `fds` points to two ints.
#[no_mangle]
pub unsafe extern "C" fn uv_pipe(fds: *mut c_int, read_flags: c_int, write_flags: c_int) -> c_int {
    if fds.is_null() {
        return UV_EINVAL;
    }
    let mut pair = [-1 as c_int; 2];
    // SAFETY: pipe2 fills two ints.
    if unsafe { libc::pipe2(pair.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return -errno();
    }
    for (fd, flags) in pair.iter().zip([read_flags, write_flags]) {
        if flags & UV_NONBLOCK_PIPE != 0 {
            let err = set_nonblock(*fd, true);
            if err != 0 {
                // SAFETY: closing the descriptors just created.
                unsafe {
                    libc::close(pair[0]);
                    libc::close(pair[1]);
                }
                return err;
            }
        }
    }
    // SAFETY: per the contract.
    unsafe { ptr::copy_nonoverlapping(pair.as_ptr(), fds, 2) };
    0
}

/// # Safety
/// `fds` points to two ints.
#[no_mangle]
pub unsafe extern "C" fn uv_socketpair(
    type_: c_int,
    protocol: c_int,
    fds: *mut c_int,
    flags0: c_int,
    flags1: c_int,
) -> c_int {
    if fds.is_null() {
        return UV_EINVAL;
    }
    let mut pair = [-1 as c_int; 2];
    // SAFETY: socketpair fills two ints.
    if unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            type_ | libc::SOCK_CLOEXEC,
            protocol,
            pair.as_mut_ptr(),
        )
    } != 0
    {
        return -errno();
    }
    for (fd, flags) in pair.iter().zip([flags0, flags1]) {
        if flags & UV_NONBLOCK_PIPE != 0 {
            let err = set_nonblock(*fd, true);
            if err != 0 {
                // SAFETY: closing the descriptors just created.
                unsafe {
                    libc::close(pair[0]);
                    libc::close(pair[1]);
                }
                return err;
            }
        }
    }
    // SAFETY: per the contract.
    unsafe { ptr::copy_nonoverlapping(pair.as_ptr(), fds, 2) };
    0
}
