//! Streams (`uv_stream_t`: TCP, pipes, TTY): reading, writing, listening,
//! accepting and shutdown, shared by `tcp.rs`, `pipe.rs` and `tty.rs`.
//!
//! A stream's state lives in its private area ([`StreamPriv`]); queued
//! writes are linked through the `uv_write_t`s' own private areas, and a
//! request copies at most four buffer descriptors inline, so reads and
//! writes allocate nothing. Write callbacks run in the pending phase, never
//! inside `uv_write`. The engine watches the descriptor and counts requests.
#![allow(non_camel_case_types)]

use crate::abi::*;
use crate::handle::{init, with_handle};
use crate::r#loop::with_loop;
use crate::util::errno;
use rsuv_core::error::{
    UV_EAGAIN, UV_EALREADY, UV_EBADF, UV_EBUSY, UV_ECANCELED, UV_EINVAL, UV_ENOBUFS, UV_ENOMEM,
    UV_ENOTCONN, UV_EOF, UV_EPIPE,
};
use rsuv_core::sys::poller::events::{ERR, HUP, IN, OUT};
use rsuv_core::{HandleId, Kind, Loop};
use std::collections::VecDeque;
use std::ffi::{c_int, c_uint, c_void};
use std::mem::MaybeUninit;
use std::mem::{offset_of, size_of};
use std::ptr;

pub type uv_alloc_cb = Option<unsafe extern "C" fn(*mut uv_handle_t, usize, *mut uv_buf_t)>;
pub type uv_read_cb = Option<unsafe extern "C" fn(*mut uv_stream_t, isize, *const uv_buf_t)>;
pub type uv_write_cb = Option<unsafe extern "C" fn(*mut uv_write_t, c_int)>;
pub type uv_connect_cb = Option<unsafe extern "C" fn(*mut uv_connect_t, c_int)>;
pub type uv_shutdown_cb = Option<unsafe extern "C" fn(*mut uv_shutdown_t, c_int)>;
pub type uv_connection_cb = Option<unsafe extern "C" fn(*mut uv_stream_t, c_int)>;

pub use crate::misc::Buf as uv_buf_t;

// Stream flags (ours; libuv's are private too).
pub(crate) const READABLE: u32 = 1 << 0;
pub(crate) const WRITABLE: u32 = 1 << 1;
pub(crate) const READING: u32 = 1 << 2;
pub(crate) const READ_EOF: u32 = 1 << 4;
pub(crate) const SHUT: u32 = 1 << 5;
pub(crate) const LISTENING: u32 = 1 << 6;
pub(crate) const CLOSING: u32 = 1 << 7;
pub(crate) const BOUND: u32 = 1 << 8;
pub(crate) const TCP_NODELAY: u32 = 1 << 9;
pub(crate) const TCP_KEEPALIVE: u32 = 1 << 10;
pub(crate) const IPV6: u32 = 1 << 11;
pub(crate) const BLOCKING_WRITES: u32 = 1 << 12;
/// The engine watches the descriptor for writability (`watch(s, OUT)`).
const OUT_WATCHED: u32 = 1 << 13;

/// A stream's private area (bytes 120..248 of `uv_stream_t`). The fields
/// that programs are known to read from libuv's private area sit at
/// libuv's offsets: `connect_req` (120), `shutdown_req` (128) and the
/// descriptor (184, libuv's `io_watcher.fd`).
#[repr(C)]
pub struct StreamPriv {
    pub connect_req: *mut uv_connect_t,
    pub shutdown_req: *mut uv_shutdown_t,
    write_head: *mut uv_write_t,
    write_tail: *mut uv_write_t,
    done_head: *mut uv_write_t,
    done_tail: *mut uv_write_t,
    pub connection_cb: uv_connection_cb,
    pub flags: u32,
    pub accepted_fd: c_int,
    pub fd: c_int,
    pub delayed_error: c_int,
    /// Descriptors received over an IPC pipe beyond `accepted_fd`, oldest
    /// first (a `Box<VecDeque<c_int>>`, null when none).
    queued_fds: *mut VecDeque<c_int>,
    /// How many writes are on the completed list.
    done_count: u32,
    _spare: [u8; 44],
}

#[repr(C)]
pub struct uv_stream_t {
    pub handle: uv_handle_t,
    pub write_queue_size: usize,
    pub alloc_cb: uv_alloc_cb,
    pub read_cb: uv_read_cb,
    pub p: StreamPriv,
}

/// A write request's private area (bytes 88..192 of `uv_write_t`).
#[repr(C)]
struct WritePriv {
    next: *mut uv_write_t,
    bufs: *mut uv_buf_t,
    nbufs: c_uint,
    write_index: c_uint,
    error: c_int,
    bufsml: [uv_buf_t; 4],
    _spare: [u8; 8],
}

#[repr(C)]
pub struct uv_write_t {
    pub req: uv_req_t,
    pub cb: uv_write_cb,
    pub send_handle: *mut uv_stream_t,
    pub handle: *mut uv_stream_t,
    w: WritePriv,
}

#[repr(C)]
pub struct uv_shutdown_t {
    pub req: uv_req_t,
    pub handle: *mut uv_stream_t,
    pub cb: uv_shutdown_cb,
}

#[repr(C)]
pub struct uv_connect_t {
    pub req: uv_req_t,
    pub cb: uv_connect_cb,
    pub handle: *mut uv_stream_t,
    _private: [*mut c_void; 2],
}

const UV_CONNECT: c_int = 2;
const UV_WRITE: c_int = 3;
const UV_SHUTDOWN: c_int = 4;

const _: () = {
    assert!(size_of::<uv_stream_t>() == 248);
    assert!(offset_of!(uv_stream_t, write_queue_size) == 96);
    assert!(offset_of!(uv_stream_t, alloc_cb) == 104);
    assert!(offset_of!(uv_stream_t, read_cb) == 112);
    assert!(offset_of!(uv_stream_t, p) == 120);
    assert!(offset_of!(StreamPriv, connect_req) == 0);
    assert!(offset_of!(StreamPriv, shutdown_req) == 8);
    assert!(offset_of!(StreamPriv, fd) == 184 - 120);
    assert!(size_of::<uv_write_t>() == 192);
    assert!(offset_of!(uv_write_t, cb) == 64);
    assert!(offset_of!(uv_write_t, send_handle) == 72);
    assert!(offset_of!(uv_write_t, handle) == 80);
    assert!(size_of::<uv_shutdown_t>() == 80);
    assert!(offset_of!(uv_shutdown_t, handle) == 64);
    assert!(offset_of!(uv_shutdown_t, cb) == 72);
    assert!(size_of::<uv_connect_t>() == 96);
    assert!(offset_of!(uv_connect_t, cb) == 64);
    assert!(offset_of!(uv_connect_t, handle) == 72);
};

/// Reads per readiness report before yielding to the rest of the loop.
const READS_PER_WAKEUP: u32 = 32;
/// Requests one pass over the write queue may complete before yielding to
/// the loop. libuv 1.52 allows 32; measured on loopback pumps, two keep the
/// bytes moved per iteration within cache and win clearly (bench/tcp-pump).
const WRITES_PER_PASS: u32 = 2;
const READ_SUGGESTED_SIZE: usize = 64 * 1024;
/// Linux's `IOV_MAX`: longer lists go out in several calls.
const IOV_MAX: usize = 1024;
/// How many buffers, and past the first write how many bytes, one
/// `writev` of several queued writes takes (see `write_some`).
const GATHER_IOVS: usize = 64;
const GATHER_BYTES: usize = 64 * 1024;

fn is_stream_type(t: c_int) -> bool {
    matches!(t, UV_TCP | UV_NAMED_PIPE | UV_TTY)
}

fn io_err(e: std::io::Error) -> c_int {
    -e.raw_os_error().unwrap_or(libc::EIO)
}

// ---- engine glue --------------------------------------------------------

/// # Safety (all glue functions)
/// `s` is a live stream handle.
unsafe fn watch(s: *mut uv_stream_t, events: u32) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        // Every queued write asks for writability: skip the engine when it
        // is watched already.
        if events == OUT && (*s).p.flags & OUT_WATCHED != 0 {
            return 0;
        }
        let fd = (*s).p.fd;
        let r = with_handle(s as *const uv_handle_t, |l, id| {
            l.io_start(id, fd, events).map_or_else(io_err, |()| 0)
        })
        .unwrap_or(0);
        if r == 0 && events & OUT != 0 {
            (*s).p.flags |= OUT_WATCHED;
        }
        r
    }
}

unsafe fn unwatch(s: *mut uv_stream_t, events: u32) {
    // SAFETY: per the contract.
    unsafe {
        if events & OUT != 0 {
            (*s).p.flags &= !OUT_WATCHED;
        }
        with_handle(s as *const uv_handle_t, |l, id| l.io_stop(id, events))
    };
}

unsafe fn watching(s: *mut uv_stream_t, events: u32) -> bool {
    // SAFETY: per the contract.
    unsafe {
        with_handle(s as *const uv_handle_t, |l, id| {
            l.io_interest(id) & events != 0
        })
    }
    .unwrap_or(false)
}

unsafe fn set_active(s: *mut uv_stream_t, on: bool) {
    // SAFETY: per the contract.
    unsafe {
        with_handle(s as *const uv_handle_t, |l, id| {
            if on {
                l.activate(id)
            } else {
                l.deactivate(id)
            }
        })
    };
}

/// Queues the stream's pending callback (libuv's "feed a POLLOUT").
unsafe fn feed(s: *mut uv_stream_t) {
    // SAFETY: per the contract.
    unsafe { with_handle(s as *const uv_handle_t, |l, id| l.defer(id)) };
}

/// A request of `s`'s loop started (`true`) or finished (`false`).
pub(crate) unsafe fn count_req(s: *mut uv_stream_t, started: bool) {
    // SAFETY: per the contract; the loop outlives its handles.
    unsafe { count_req_on((*s).handle.loop_, started) };
}

/// A request of loop `lp` started or finished. In the close phase the
/// loop comes from the engine, not from the handle, which may be freed.
pub(crate) unsafe fn count_req_on(lp: *mut uv_loop_t, started: bool) {
    // SAFETY: per the contract; the loop outlives its handles.
    unsafe {
        with_loop(lp, |l| {
            if started {
                l.req_started()
            } else {
                l.req_finished()
            }
        })
    };
}

// ---- init and open ------------------------------------------------------

/// Initializes the stream part of a TCP, pipe or TTY handle.
///
/// # Safety
/// `lp` is a loop, `s` writable memory of the handle type's size.
pub(crate) unsafe fn stream_init(lp: *mut uv_loop_t, s: *mut uv_stream_t, type_: c_int) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        let r = init(lp, s as *mut uv_handle_t, type_, Kind::Other);
        if r != 0 {
            return r;
        }
        (*s).write_queue_size = 0;
        (*s).alloc_cb = None;
        (*s).read_cb = None;
        ptr::write_bytes(ptr::addr_of_mut!((*s).p), 0, 1);
        (*s).p.fd = -1;
        (*s).p.accepted_fd = -1;
        reserve_emfile_fd(lp);
        0
    }
}

/// Gives the stream its descriptor (libuv's `uv__stream_open`).
///
/// # Safety
/// `s` is a live stream handle.
pub(crate) unsafe fn stream_open(s: *mut uv_stream_t, fd: c_int, flags: u32) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        let p = &mut (*s).p;
        if p.fd != -1 && p.fd != fd {
            return UV_EBUSY;
        }
        if (*s).handle.type_ == UV_TCP {
            let on: c_int = 1;
            if p.flags & TCP_NODELAY != 0
                && setsockopt_int(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, on) != 0
            {
                return -errno();
            }
            if p.flags & TCP_KEEPALIVE != 0 {
                let r = crate::tcp::set_keepalive(fd, true, 60, 1, 10);
                if r != 0 {
                    return r;
                }
            }
        }
        // Programs built for libuv may set its private READABLE/WRITABLE
        // bits before opening (uvloop marks a write-only pipe readable to
        // hear the reader go away); libuv keeps them, and so do we.
        let lf = (*s).handle.libuv_flags;
        let mut flags = flags;
        if lf & UV_HANDLE_READABLE != 0 {
            flags |= READABLE;
        }
        if lf & UV_HANDLE_WRITABLE != 0 {
            flags |= WRITABLE;
        }
        let p = &mut (*s).p;
        p.flags |= flags;
        p.fd = fd;
        if p.flags & READABLE != 0 {
            (*s).handle.libuv_flags |= UV_HANDLE_READABLE;
        }
        if p.flags & WRITABLE != 0 {
            (*s).handle.libuv_flags |= UV_HANDLE_WRITABLE;
        }
        0
    }
}

pub(crate) fn setsockopt_int(fd: c_int, level: c_int, name: c_int, value: c_int) -> c_int {
    // SAFETY: the option value is a valid int of the stated size.
    unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            ptr::addr_of!(value) as *const c_void,
            size_of::<c_int>() as libc::socklen_t,
        )
    }
}

/// Sets or clears `O_NONBLOCK`.
pub(crate) fn set_nonblock(fd: c_int, on: bool) -> c_int {
    let mut v: c_int = on as c_int;
    // SAFETY: FIONBIO reads one int from a valid pointer.
    if unsafe { libc::ioctl(fd, libc::FIONBIO, &mut v) } == -1 {
        return -errno();
    }
    0
}

/// The descriptor of a stream, or -1.
///
/// # Safety
/// `s` points to a stream handle.
pub(crate) unsafe fn fd(s: *const uv_stream_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { (*s).p.fd }
}

// ---- EMFILE ---------------------------------------------------------------

/// Keeps one descriptor per loop in reserve: when accept fails with EMFILE,
/// releasing it lets the server accept and drop the waiting connections
/// instead of spinning on a listening socket that stays readable.
unsafe fn reserve_emfile_fd(lp: *mut uv_loop_t) {
    // SAFETY: lp is an initialized loop.
    unsafe {
        if (*lp).emfile_fd == -1 {
            (*lp).emfile_fd = open_reserve();
        }
    }
}

fn open_reserve() -> c_int {
    // SAFETY: plain open(2) calls with literal paths.
    unsafe {
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd >= 0 {
            fd
        } else {
            libc::open(c"/".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC)
        }
    }
}

unsafe fn emfile_trick(lp: *mut uv_loop_t, listen_fd: c_int) -> c_int {
    // SAFETY: lp is an initialized loop; descriptors are plain ints.
    unsafe {
        if (*lp).emfile_fd == -1 {
            return -libc::EMFILE;
        }
        libc::close((*lp).emfile_fd);
        (*lp).emfile_fd = -1;
        let err = loop {
            let fd = accept(listen_fd);
            if fd >= 0 {
                libc::close(fd);
            } else if fd != -libc::EINTR {
                break fd;
            }
        };
        (*lp).emfile_fd = open_reserve();
        err
    }
}

/// Accepts one connection; an interrupted accept is retried, as libuv does
/// (a signal is no error of the connection).
fn accept(fd: c_int) -> c_int {
    loop {
        // SAFETY: accept4 without address output.
        let r = unsafe {
            libc::accept4(
                fd,
                ptr::null_mut(),
                ptr::null_mut(),
                libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            )
        };
        if r != -1 {
            return r;
        }
        let e = errno();
        if e != libc::EINTR {
            return -e;
        }
    }
}

// ---- readiness ----------------------------------------------------------

/// Readiness on the stream's descriptor.
pub(crate) fn io(token: usize, events: u32) {
    let s = token as *mut uv_stream_t;
    // SAFETY: the engine passes a live stream's address.
    unsafe {
        if !(*s).p.connect_req.is_null() {
            connect_finished(s);
            return;
        }
        if (*s).p.flags & LISTENING != 0 {
            server_io(s);
            return;
        }
        if events & (IN | ERR) != 0 {
            read(s);
        }
        if (*s).p.fd == -1 {
            return; // closed by the read callback
        }
        // A hangup with nothing left to read is EOF. With IN also set there
        // may be more data (a pty can return it in pieces): level-triggered
        // polling reports it again.
        let f = (*s).p.flags;
        if events & HUP != 0 && events & IN == 0 && f & READING != 0 && f & READ_EOF == 0 {
            let buf = uv_buf_t {
                base: ptr::null_mut(),
                len: 0,
            };
            eof(s, &buf);
        }
        if (*s).p.fd == -1 {
            return;
        }
        if events & (OUT | ERR | HUP) != 0 {
            write_some(s);
            write_callbacks(s, (*s).handle.loop_);
            if (*s).p.write_head.is_null() {
                drain(s, (*s).handle.loop_);
            }
        }
    }
}

/// The deferred callback: finished writes, a shutdown or a connect error.
pub(crate) fn pending(token: usize) {
    io(token, OUT);
}

unsafe fn server_io(s: *mut uv_stream_t) {
    // SAFETY: s is a live listening stream; the callback may close it, which
    // sets fd to -1 and ends the loop.
    unsafe {
        let lp = (*s).handle.loop_;
        while (*s).p.fd != -1 {
            let fd = accept((*s).p.fd);
            if fd < 0 {
                let mut err = fd;
                if err == -libc::EAGAIN || err == -libc::EWOULDBLOCK {
                    return;
                }
                if err == -libc::ECONNABORTED {
                    continue;
                }
                if err == -libc::EMFILE || err == -libc::ENFILE {
                    err = emfile_trick(lp, (*s).p.fd);
                    if err == -libc::EAGAIN || err == -libc::EWOULDBLOCK {
                        return;
                    }
                }
                if let Some(cb) = (*s).p.connection_cb {
                    cb(s, err);
                }
                continue;
            }
            (*s).p.accepted_fd = fd;
            if let Some(cb) = (*s).p.connection_cb {
                cb(s, 0);
            }
            if (*s).p.accepted_fd != -1 {
                // Not accepted yet: stop until uv_accept takes it.
                unwatch(s, IN);
                return;
            }
        }
    }
}

// ---- reading --------------------------------------------------------------

unsafe fn read(s: *mut uv_stream_t) {
    // SAFETY: s is a live stream; callbacks may stop reading or close it,
    // which the loop condition and fd checks observe.
    unsafe {
        let mut count = READS_PER_WAKEUP;
        while (*s).p.flags & READING != 0 && count > 0 {
            let (Some(alloc_cb), Some(read_cb)) = ((*s).alloc_cb, (*s).read_cb) else {
                return;
            };
            count -= 1;
            let mut buf = uv_buf_t {
                base: ptr::null_mut(),
                len: 0,
            };
            alloc_cb(s as *mut uv_handle_t, READ_SUGGESTED_SIZE, &mut buf);
            if buf.base.is_null() || buf.len == 0 {
                read_cb(s, UV_ENOBUFS as isize, &buf);
                return;
            }
            let n = if crate::pipe::is_ipc(s) {
                crate::pipe::recv_with_handles(s, &buf)
            } else {
                loop {
                    let n = libc::read((*s).p.fd, buf.base as *mut c_void, buf.len);
                    if n == -1 && errno() == libc::EINTR {
                        continue;
                    }
                    break if n < 0 { -(errno() as isize) } else { n };
                }
            };
            if n < 0 {
                let err = n as c_int;
                if err == -libc::EAGAIN || err == -libc::EWOULDBLOCK {
                    read_cb(s, 0, &buf);
                } else {
                    // The stream is dead; the program should close it.
                    (*s).p.flags &= !(READABLE | WRITABLE);
                    read_cb(s, err as isize, &buf);
                    if (*s).p.flags & READING != 0 {
                        (*s).p.flags &= !READING;
                        unwatch(s, IN);
                        set_active(s, false);
                    }
                }
                return;
            }
            if n == 0 {
                eof(s, &buf);
                return;
            }
            read_cb(s, n, &buf);
            // A short read: the rest, if any, is reported again.
            if (n as usize) < buf.len {
                return;
            }
        }
    }
}

unsafe fn eof(s: *mut uv_stream_t, buf: *const uv_buf_t) {
    // SAFETY: s is a live stream.
    unsafe {
        // Still readable, as in libuv: a program may start reading again
        // after EOF (a TTY, a half-closed socket).
        (*s).p.flags |= READ_EOF;
        (*s).p.flags &= !READING;
        unwatch(s, IN);
        set_active(s, false);
        if let Some(cb) = (*s).read_cb {
            cb(s, UV_EOF as isize, buf);
        }
    }
}

/// # Safety
/// `s` is an initialized stream.
#[no_mangle]
pub unsafe extern "C" fn uv_read_start(
    s: *mut uv_stream_t,
    alloc_cb: uv_alloc_cb,
    read_cb: uv_read_cb,
) -> c_int {
    if s.is_null() || alloc_cb.is_none() || read_cb.is_none() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        let f = (*s).p.flags;
        if f & CLOSING != 0 {
            return UV_EINVAL;
        }
        if f & READING != 0 {
            return UV_EALREADY;
        }
        if f & READABLE == 0 {
            return UV_ENOTCONN;
        }
        (*s).p.flags = (f | READING) & !READ_EOF;
        (*s).alloc_cb = alloc_cb;
        (*s).read_cb = read_cb;
        let r = watch(s, IN);
        if r != 0 {
            (*s).p.flags &= !READING;
            return r;
        }
        set_active(s, true);
        0
    }
}

/// # Safety
/// `s` is an initialized stream.
#[no_mangle]
pub unsafe extern "C" fn uv_read_stop(s: *mut uv_stream_t) -> c_int {
    if s.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        if (*s).p.flags & READING == 0 {
            return 0;
        }
        (*s).p.flags &= !READING;
        unwatch(s, IN);
        set_active(s, false);
        (*s).read_cb = None;
        (*s).alloc_cb = None;
    }
    0
}

// ---- writing --------------------------------------------------------------

/// Bytes still to write in `req`.
unsafe fn req_remaining(req: *const uv_write_t) -> usize {
    // SAFETY: req is a queued write whose bufs are valid.
    unsafe {
        let w = &(*req).w;
        (w.write_index..w.nbufs)
            .map(|i| (*w.bufs.add(i as usize)).len)
            .sum()
    }
}

/// Writes `bufs` (or sends them with `send_handle`'s descriptor): bytes
/// written, `UV_EAGAIN`, or an error.
unsafe fn try_write(
    s: *mut uv_stream_t,
    bufs: *const uv_buf_t,
    nbufs: usize,
    send_handle: *mut uv_stream_t,
) -> isize {
    // SAFETY: bufs is valid for nbufs entries, and uv_buf_t has iovec's
    // layout (base, len).
    unsafe {
        let iovcnt = nbufs.min(IOV_MAX) as c_int;
        let fd = (*s).p.fd;
        write_result(|| {
            if !send_handle.is_null() {
                crate::pipe::send_with_handle(fd, bufs as *const libc::iovec, iovcnt, send_handle)
            } else if iovcnt == 1 {
                // The kernel's iovec import is measurable on small writes.
                libc::write(fd, (*bufs).base as *const c_void, (*bufs).len)
            } else {
                libc::writev(fd, bufs as *const libc::iovec, iovcnt)
            }
        })
    }
}

/// Consumes `n` written bytes from `req`; true when it is complete.
unsafe fn advance(s: *mut uv_stream_t, req: *mut uv_write_t, mut n: usize) -> bool {
    // SAFETY: req is the stream's head write with valid bufs.
    unsafe {
        (*s).write_queue_size -= n.min((*s).write_queue_size);
        let w = &mut (*req).w;
        // As libuv: step over at least one buffer, so a run of empty buffers
        // cannot stall the queue.
        loop {
            if w.write_index >= w.nbufs {
                break;
            }
            let buf = &mut *w.bufs.add(w.write_index as usize);
            let len = n.min(buf.len);
            buf.base = buf.base.add(len);
            buf.len -= len;
            n -= len;
            if buf.len == 0 {
                w.write_index += 1;
            }
            if n == 0 {
                break;
            }
        }
        w.write_index == w.nbufs
    }
}

/// Moves the head write to the completed list and schedules its callback.
unsafe fn finish_head(s: *mut uv_stream_t) {
    // SAFETY: the stream has a head write.
    unsafe {
        let req = (*s).p.write_head;
        (*s).p.write_head = (*req).w.next;
        if (*s).p.write_head.is_null() {
            (*s).p.write_tail = ptr::null_mut();
        }
        // One pending callback serves every write completed before it runs.
        let first_done = (*s).p.done_head.is_null();
        push_done(s, req);
        if (*req).w.error == 0 {
            release_bufs(req);
        }
        if first_done {
            feed(s);
        }
    }
}

unsafe fn push_done(s: *mut uv_stream_t, req: *mut uv_write_t) {
    // SAFETY: req is a write of s, off the write queue.
    unsafe {
        (*s).p.done_count += 1;
        (*req).w.next = ptr::null_mut();
        if (*s).p.done_tail.is_null() {
            (*s).p.done_head = req;
        } else {
            (*(*s).p.done_tail).w.next = req;
        }
        (*s).p.done_tail = req;
    }
}

unsafe fn release_bufs(req: *mut uv_write_t) {
    // SAFETY: req's bufs are inline or came from crate::alloc::alloc.
    unsafe {
        let w = &mut (*req).w;
        if !w.bufs.is_null() && w.bufs != w.bufsml.as_mut_ptr() {
            crate::alloc::free(w.bufs as *mut c_void);
        }
        w.bufs = ptr::null_mut();
    }
}

/// Writes queued data until the queue is empty or the socket is full.
///
/// Small queued writes go out together: one `writev` takes the head and
/// the writes behind it (up to `GATHER_IOVS` buffers and, past the first
/// write, `GATHER_BYTES`), where libuv makes a system call per write. A
/// write with a handle to send always goes alone, as its descriptor must
/// travel with its first byte.
unsafe fn write_some(s: *mut uv_stream_t) {
    // SAFETY: s is a live stream; no callbacks run here.
    unsafe {
        let mut passes = 0;
        loop {
            let req = (*s).p.write_head;
            if req.is_null() || (*s).p.fd == -1 {
                return;
            }
            let mut iov = [const { MaybeUninit::<libc::iovec>::uninit() }; GATHER_IOVS];
            let (count, reqs) = gather(req, &mut iov);
            let n = if count > 0 {
                // SAFETY: `gather` initialized the first `count` entries.
                try_writev(s, iov.as_ptr() as *const libc::iovec, count)
            } else {
                let w = &(*req).w;
                try_write(
                    s,
                    w.bufs.add(w.write_index as usize),
                    (w.nbufs - w.write_index) as usize,
                    (*req).send_handle,
                )
            };
            if n >= 0 {
                (*req).send_handle = ptr::null_mut();
                let all = if count > 0 {
                    spread(s, reqs, n as usize)
                } else if advance(s, req, n as usize) {
                    finish_head(s);
                    true
                } else {
                    false
                };
                if all {
                    passes += 1;
                    if passes < WRITES_PER_PASS {
                        continue;
                    }
                    if !(*s).p.write_head.is_null() {
                        watch(s, OUT);
                    }
                    return;
                }
            } else if n != UV_EAGAIN as isize {
                (*req).w.error = n as c_int;
                finish_head(s);
                unwatch(s, OUT);
                if !watching(s, IN) {
                    set_active(s, false);
                }
                return;
            }
            if (*s).p.flags & BLOCKING_WRITES != 0 {
                continue;
            }
            watch(s, OUT);
            return;
        }
    }
}

/// Fills `iov` with the unwritten buffers of `head` and the writes queued
/// behind it; returns (buffers, writes), or (0, 0) when `head` is to go
/// alone (it sends a handle, is too long to share, or nothing follows it).
unsafe fn gather(
    head: *mut uv_write_t,
    iov: &mut [MaybeUninit<libc::iovec>; GATHER_IOVS],
) -> (usize, usize) {
    // SAFETY: the queue holds live writes with valid bufs.
    unsafe {
        if !(*head).send_handle.is_null() || (*head).w.next.is_null() {
            return (0, 0);
        }
        let (mut count, mut bytes, mut reqs) = (0usize, 0usize, 0usize);
        let mut r = head;
        while !r.is_null() && (*r).send_handle.is_null() {
            let w = &(*r).w;
            let k = (w.nbufs - w.write_index) as usize;
            if count + k > GATHER_IOVS || (reqs > 0 && bytes >= GATHER_BYTES) {
                break;
            }
            for i in 0..k {
                let b = &*w.bufs.add(w.write_index as usize + i);
                iov[count].write(libc::iovec {
                    iov_base: b.base as *mut c_void,
                    iov_len: b.len,
                });
                count += 1;
                bytes += b.len;
            }
            reqs += 1;
            r = w.next;
        }
        if reqs < 2 {
            return (0, 0);
        }
        (count, reqs)
    }
}

/// `writev` of `count` gathered buffers: bytes written, `UV_EAGAIN`, or an
/// error.
unsafe fn try_writev(s: *mut uv_stream_t, iov: *const libc::iovec, count: usize) -> isize {
    // SAFETY: iov holds `count` entries pointing into live writes' buffers.
    write_result(|| unsafe { libc::writev((*s).p.fd, iov, count as c_int) })
}

/// Runs a write call until it is not interrupted: bytes written,
/// `UV_EAGAIN` when the socket is full, or the error.
fn write_result(mut call: impl FnMut() -> isize) -> isize {
    let n = loop {
        let n = call();
        if n == -1 && errno() == libc::EINTR {
            continue;
        }
        break n;
    };
    if n == -1 {
        let e = errno();
        if e == libc::EAGAIN || e == libc::EWOULDBLOCK || e == libc::ENOBUFS {
            return UV_EAGAIN as isize;
        }
        return -(e as isize);
    }
    n
}

/// Credits `n` bytes written by a `writev` of the first `reqs` queued
/// writes to them, in order, completing each that is now written; true if
/// all of them were.
unsafe fn spread(s: *mut uv_stream_t, reqs: usize, mut n: usize) -> bool {
    // SAFETY: the queue holds at least `reqs` live writes; the bytes were
    // theirs.
    unsafe {
        for _ in 0..reqs {
            let req = (*s).p.write_head;
            let left = req_remaining(req);
            if left > n {
                advance(s, req, n);
                return false;
            }
            (*s).write_queue_size -= left.min((*s).write_queue_size);
            (*req).w.write_index = (*req).w.nbufs;
            finish_head(s);
            n -= left;
        }
        true
    }
}

/// Runs the callbacks of completed writes of `s`, a stream of loop `lp`.
unsafe fn write_callbacks(s: *mut uv_stream_t, lp: *mut uv_loop_t) {
    // SAFETY: the completed list holds writes of s; each is unlinked before
    // its callback, which may free it.
    unsafe {
        let mut req = (*s).p.done_head;
        (*s).p.done_head = ptr::null_mut();
        (*s).p.done_tail = ptr::null_mut();
        // The whole batch is finished: one update of the loop's request
        // count rather than one per write.
        let n = std::mem::take(&mut (*s).p.done_count);
        if n > 0 {
            with_loop(lp, |l| l.reqs_finished(n));
        }
        while !req.is_null() {
            let next = (*req).w.next;
            if !(*req).w.bufs.is_null() {
                let left = req_remaining(req);
                (*s).write_queue_size -= left.min((*s).write_queue_size);
                release_bufs(req);
            }
            if let Some(cb) = (*req).cb {
                cb(req, (*req).w.error);
            }
            req = next;
        }
    }
}

/// Marks every queued write as failed with `error` (callbacks follow).
unsafe fn flush_writes(s: *mut uv_stream_t, error: c_int) {
    // SAFETY: the write queue holds writes of s.
    unsafe {
        while !(*s).p.write_head.is_null() {
            let req = (*s).p.write_head;
            (*s).p.write_head = (*req).w.next;
            (*req).w.error = error;
            push_done(s, req);
        }
        (*s).p.write_tail = ptr::null_mut();
    }
}

/// The write queue of `s`, a stream of loop `lp`, is empty: stop watching
/// writability and complete a requested shutdown.
unsafe fn drain(s: *mut uv_stream_t, lp: *mut uv_loop_t) {
    // SAFETY: s is a stream (live, or in its close phase).
    unsafe {
        let f = (*s).p.flags;
        if f & CLOSING == 0 {
            // (A closed stream's watcher went with uv_close.)
            unwatch(s, OUT);
        }
        let req = (*s).p.shutdown_req;
        if req.is_null() {
            return;
        }
        if f & CLOSING == 0 && f & SHUT != 0 {
            return;
        }
        (*s).p.shutdown_req = ptr::null_mut();
        count_req_on(lp, false);
        let err = if f & CLOSING != 0 {
            UV_ECANCELED
        } else if libc::shutdown((*s).p.fd, libc::SHUT_WR) != 0 {
            -errno()
        } else {
            (*s).p.flags |= SHUT;
            0
        };
        if let Some(cb) = (*req).cb {
            cb(req, err);
        }
    }
}

unsafe fn check_before_write(
    s: *mut uv_stream_t,
    nbufs: c_uint,
    send_handle: *mut uv_stream_t,
) -> c_int {
    // SAFETY: s and send_handle (if any) are handles.
    unsafe {
        // A negative count converted to unsigned is caught here too.
        if !(1..=1024 * 1024).contains(&nbufs) || !is_stream_type((*s).handle.type_) {
            return UV_EINVAL;
        }
        if (*s).p.fd < 0 {
            return UV_EBADF;
        }
        if (*s).p.flags & WRITABLE == 0 {
            return UV_EPIPE;
        }
        if !send_handle.is_null() {
            if !crate::pipe::is_ipc(s) {
                return UV_EINVAL;
            }
            if crate::pipe::sendable_fd(send_handle as *mut uv_handle_t) < 0 {
                return UV_EBADF;
            }
        }
        0
    }
}

/// # Safety
/// As libuv: `req` and the buffers' memory stay valid until the callback.
#[no_mangle]
pub unsafe extern "C" fn uv_write2(
    req: *mut uv_write_t,
    s: *mut uv_stream_t,
    bufs: *const uv_buf_t,
    nbufs: c_uint,
    send_handle: *mut uv_stream_t,
    cb: uv_write_cb,
) -> c_int {
    if req.is_null() || s.is_null() || (bufs.is_null() && nbufs > 0) {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        let err = check_before_write(s, nbufs, send_handle);
        if err != 0 {
            return err;
        }
        let n = nbufs as usize;
        let w = &mut (*req).w;
        w.bufs = if n <= w.bufsml.len() {
            w.bufsml.as_mut_ptr()
        } else {
            let p = crate::alloc::alloc(n * size_of::<uv_buf_t>()) as *mut uv_buf_t;
            if p.is_null() {
                return UV_ENOMEM;
            }
            p
        };
        if n == 1 {
            // (The common case, without a call to memmove.)
            *w.bufs = *bufs;
        } else {
            ptr::copy_nonoverlapping(bufs, w.bufs, n);
        }
        w.nbufs = nbufs;
        w.write_index = 0;
        w.error = 0;
        w.next = ptr::null_mut();
        (*req).req.type_ = UV_WRITE;
        (*req).cb = cb;
        (*req).handle = s;
        (*req).send_handle = send_handle;
        count_req(s, true);

        let empty = (*s).write_queue_size == 0;
        (*s).write_queue_size += (0..n).map(|i| (*bufs.add(i)).len).sum::<usize>();
        if (*s).p.write_tail.is_null() {
            (*s).p.write_head = req;
        } else {
            (*(*s).p.write_tail).w.next = req;
        }
        (*s).p.write_tail = req;

        if !(*s).p.connect_req.is_null() {
            // Still connecting: the queue goes out once connected.
        } else if empty {
            write_some(s);
        } else {
            watch(s, OUT);
        }
    }
    0
}

/// # Safety
/// As `uv_write2`.
#[no_mangle]
pub unsafe extern "C" fn uv_write(
    req: *mut uv_write_t,
    s: *mut uv_stream_t,
    bufs: *const uv_buf_t,
    nbufs: c_uint,
    cb: uv_write_cb,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { uv_write2(req, s, bufs, nbufs, ptr::null_mut(), cb) }
}

/// # Safety
/// `s` is an initialized stream; `bufs` valid for `nbufs` entries.
#[no_mangle]
pub unsafe extern "C" fn uv_try_write2(
    s: *mut uv_stream_t,
    bufs: *const uv_buf_t,
    nbufs: c_uint,
    send_handle: *mut uv_stream_t,
) -> c_int {
    if s.is_null() || (bufs.is_null() && nbufs > 0) {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        // Connecting, or data already queued: writing now would reorder it.
        if !(*s).p.connect_req.is_null() || (*s).write_queue_size != 0 {
            return UV_EAGAIN;
        }
        // As libuv, the handle to send is not vetted here (uv_write2 does).
        let err = check_before_write(s, nbufs, ptr::null_mut());
        if err != 0 {
            return err;
        }
        try_write(s, bufs, nbufs as usize, send_handle) as c_int
    }
}

/// # Safety
/// `s` is an initialized stream; `bufs` valid for `nbufs` entries.
#[no_mangle]
pub unsafe extern "C" fn uv_try_write(
    s: *mut uv_stream_t,
    bufs: *const uv_buf_t,
    nbufs: c_uint,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { uv_try_write2(s, bufs, nbufs, ptr::null_mut()) }
}

/// # Safety
/// `req` stays valid until its callback; `s` is an initialized stream.
#[no_mangle]
pub unsafe extern "C" fn uv_shutdown(
    req: *mut uv_shutdown_t,
    s: *mut uv_stream_t,
    cb: uv_shutdown_cb,
) -> c_int {
    if req.is_null() || s.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        let f = (*s).p.flags;
        if f & WRITABLE == 0 || f & SHUT != 0 || !(*s).p.shutdown_req.is_null() || f & CLOSING != 0
        {
            return UV_ENOTCONN;
        }
        (*req).req.type_ = UV_SHUTDOWN;
        (*req).handle = s;
        (*req).cb = cb;
        count_req(s, true);
        (*s).p.flags &= !WRITABLE;
        (*s).p.shutdown_req = req;
        if (*s).p.write_head.is_null() {
            feed(s);
        }
    }
    0
}

// ---- connecting -------------------------------------------------------------

/// Registers a connect request in flight on `s` (TCP and pipes).
///
/// # Safety
/// `req` stays valid until its callback; `s` is a live stream.
pub(crate) unsafe fn connect_started(
    req: *mut uv_connect_t,
    s: *mut uv_stream_t,
    cb: uv_connect_cb,
) {
    // SAFETY: per the contract.
    unsafe {
        (*req).req.type_ = UV_CONNECT;
        (*req).cb = cb;
        (*req).handle = s;
        count_req(s, true);
        (*s).p.connect_req = req;
        if (*s).p.fd != -1 {
            watch(s, OUT);
        }
        if (*s).p.delayed_error != 0 {
            feed(s);
        }
    }
}

unsafe fn connect_finished(s: *mut uv_stream_t) {
    // SAFETY: s has a connect request in flight.
    unsafe {
        let req = (*s).p.connect_req;
        let error = if (*s).p.delayed_error != 0 {
            std::mem::replace(&mut (*s).p.delayed_error, 0)
        } else {
            let mut e: c_int = 0;
            let mut len = size_of::<c_int>() as libc::socklen_t;
            libc::getsockopt(
                (*s).p.fd,
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                ptr::addr_of_mut!(e) as *mut c_void,
                &mut len,
            );
            -e
        };
        if error == -libc::EINPROGRESS {
            return;
        }
        (*s).p.connect_req = ptr::null_mut();
        count_req(s, false);
        if error < 0 || (*s).p.write_head.is_null() {
            unwatch(s, OUT);
        }
        if let Some(cb) = (*req).cb {
            cb(req, error);
        }
        if (*s).p.fd == -1 {
            return;
        }
        if error < 0 {
            flush_writes(s, UV_ECANCELED);
            write_callbacks(s, (*s).handle.loop_);
        }
    }
}

// ---- listening and accepting --------------------------------------------

/// # Safety
/// `s` is an initialized TCP or pipe handle.
#[no_mangle]
pub unsafe extern "C" fn uv_listen(
    s: *mut uv_stream_t,
    backlog: c_int,
    cb: uv_connection_cb,
) -> c_int {
    if s.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        if (*s).p.flags & CLOSING != 0 {
            return UV_EINVAL;
        }
        let err = match (*s).handle.type_ {
            UV_TCP => crate::tcp::listen(s, backlog),
            UV_NAMED_PIPE => crate::pipe::listen(s, backlog),
            _ => UV_EINVAL,
        };
        if err != 0 {
            return err;
        }
        (*s).p.connection_cb = cb;
        (*s).p.flags |= LISTENING;
        let r = watch(s, IN);
        if r != 0 {
            return r;
        }
        set_active(s, true);
    }
    0
}

/// # Safety
/// `server` is a listening stream, `client` an initialized stream.
#[no_mangle]
pub unsafe extern "C" fn uv_accept(server: *mut uv_stream_t, client: *mut uv_stream_t) -> c_int {
    if server.is_null() || client.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        let fd = (*server).p.accepted_fd;
        if fd == -1 {
            return UV_EAGAIN;
        }
        let err = match (*client).handle.type_ {
            UV_TCP | UV_NAMED_PIPE => {
                let err = stream_open(client, fd, READABLE | WRITABLE);
                if err == 0 {
                    (*client).p.flags |= BOUND;
                }
                err
            }
            // A UDP socket received over IPC.
            UV_UDP => crate::udp::uv_udp_open(client as *mut crate::udp::uv_udp_t, fd),
            // Not a type that can take it: the descriptor stays pending.
            _ => return UV_EINVAL,
        };
        if err != 0 {
            libc::close(fd);
        }
        // Descriptors that came over an IPC pipe are handed out in order;
        // a listening stream resumes accepting.
        match pop_queued_fd(server) {
            Some(next) => (*server).p.accepted_fd = next,
            None => {
                (*server).p.accepted_fd = -1;
                if err == 0 && (*server).p.flags & LISTENING != 0 {
                    watch(server, IN);
                }
            }
        }
        err
    }
}

/// Takes a descriptor received over IPC: the first waits in `accepted_fd`,
/// later ones in the queue.
///
/// # Safety
/// `s` is a live stream.
pub(crate) unsafe fn push_received_fd(s: *mut uv_stream_t, fd: c_int) {
    // SAFETY: per the contract; the queue box is owned by the stream.
    unsafe {
        if (*s).p.accepted_fd == -1 {
            (*s).p.accepted_fd = fd;
            return;
        }
        if (*s).p.queued_fds.is_null() {
            (*s).p.queued_fds = Box::into_raw(Box::new(VecDeque::new()));
        }
        (*(*s).p.queued_fds).push_back(fd);
    }
}

unsafe fn pop_queued_fd(s: *mut uv_stream_t) -> Option<c_int> {
    // SAFETY: the queue box, if any, is owned by the stream.
    unsafe {
        let q = (*s).p.queued_fds;
        if q.is_null() {
            return None;
        }
        let fd = (*q).pop_front();
        if (*q).is_empty() {
            drop(Box::from_raw(q));
            (*s).p.queued_fds = ptr::null_mut();
        }
        fd
    }
}

/// Descriptors received and not yet accepted (`uv_pipe_pending_count`).
///
/// # Safety
/// `s` points to a stream.
pub(crate) unsafe fn received_count(s: *const uv_stream_t) -> usize {
    // SAFETY: per the contract.
    unsafe {
        if (*s).p.accepted_fd == -1 {
            return 0;
        }
        let q = (*s).p.queued_fds;
        1 + if q.is_null() { 0 } else { (*q).len() }
    }
}

// ---- queries --------------------------------------------------------------

/// # Safety
/// `s` points to a stream.
#[no_mangle]
pub unsafe extern "C" fn uv_is_readable(s: *const uv_stream_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { ((*s).p.flags & READABLE != 0) as c_int }
}

/// # Safety
/// `s` points to a stream.
#[no_mangle]
pub unsafe extern "C" fn uv_is_writable(s: *const uv_stream_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { ((*s).p.flags & WRITABLE != 0) as c_int }
}

/// # Safety
/// `s` points to a stream.
#[no_mangle]
pub unsafe extern "C" fn uv_stream_get_write_queue_size(s: *const uv_stream_t) -> usize {
    // SAFETY: per the contract.
    unsafe { (*s).write_queue_size }
}

/// # Safety
/// `s` points to an initialized stream.
#[no_mangle]
pub unsafe extern "C" fn uv_stream_set_blocking(s: *mut uv_stream_t, blocking: c_int) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        let fd = (*s).p.fd;
        if fd < 0 {
            return UV_EBADF;
        }
        set_nonblock(fd, blocking == 0)
    }
}

// ---- closing --------------------------------------------------------------

/// `uv_close`'s part for streams, with the engine borrowed: stop I/O and
/// release the descriptors; no callbacks.
///
/// # Safety
/// `h` is the live stream handle `id` of `l`.
pub(crate) unsafe fn close(l: &mut Loop, id: HandleId, h: *mut uv_handle_t) {
    let s = h as *mut uv_stream_t;
    // SAFETY: per the contract.
    unsafe {
        l.io_close(id);
        l.deactivate(id);
        let p = &mut (*s).p;
        p.flags &= !(READING | READABLE | WRITABLE | OUT_WATCHED);
        p.flags |= CLOSING;
        (*s).read_cb = None;
        (*s).alloc_cb = None;
        // Type-specific cleanup that still needs the descriptor open.
        match (*h).type_ {
            UV_NAMED_PIPE => crate::pipe::close(s),
            UV_TTY => crate::tty::close(s),
            _ => {}
        }
        let p = &mut (*s).p;
        // Standard descriptors are the process's, not the handle's.
        if p.fd > libc::STDERR_FILENO {
            libc::close(p.fd);
        }
        p.fd = -1;
        if p.accepted_fd != -1 {
            libc::close(p.accepted_fd);
            p.accepted_fd = -1;
        }
        while let Some(fd) = pop_queued_fd(s) {
            libc::close(fd);
        }
    }
}

/// In the close phase, before `close_cb`: a connect, queued writes and a
/// shutdown are called back with `UV_ECANCELED`.
///
/// # Safety
/// `h` is a stream in its close phase, of loop `lp`; its public fields are
/// not read (the program may have freed it, see `handle::call_close`).
pub(crate) unsafe fn finish_close(lp: *mut uv_loop_t, h: *mut uv_handle_t) {
    let s = h as *mut uv_stream_t;
    // SAFETY: per the contract.
    unsafe {
        let req = (*s).p.connect_req;
        if !req.is_null() {
            (*s).p.connect_req = ptr::null_mut();
            count_req_on(lp, false);
            if let Some(cb) = (*req).cb {
                cb(req, UV_ECANCELED);
            }
        }
        flush_writes(s, UV_ECANCELED);
        write_callbacks(s, lp);
        drain(s, lp);
    }
}
