//! `uv_udp_*`: datagram sockets.
//!
//! Everything lives in the caller's structs. A `uv_udp_t` keeps its socket,
//! its callbacks, its flags and two intrusive queues of `uv_udp_send_t`
//! (waiting to be sent; sent or failed and waiting for their callback). A
//! `uv_udp_send_t` keeps its link, a copy of the destination address and of
//! the buffer array (four inline slots; only longer arrays are allocated).
//!
//! Sending follows libuv: `uv_udp_send` on an idle handle tries the socket
//! at once; whatever completes waits in the completed queue and its callback
//! runs from the loop's pending phase, never inside `uv_udp_send`. A send
//! made while others are outstanding goes out with the pending-phase pass
//! that calls them back (one made from a send callback, right after the
//! callbacks); what the socket refuses (`EAGAIN`) waits for writability, the
//! only time the socket is watched for it. Each send request counts as an
//! active request of the loop until its callback; the handle is active while
//! it receives or has sends outstanding. Closing cancels what is still
//! queued: every callback runs exactly once, before `close_cb`, with
//! `UV_ECANCELED` for requests that were never sent.
//!
//! Receiving reads up to 32 datagrams per readiness report (one `alloc_cb`
//! per read); a handle created with `UV_UDP_RECVMMSG` whose buffer holds at
//! least one 64 KiB slot reads up to 20 datagrams per `recvmmsg` and hands
//! them out as `UV_UDP_MMSG_CHUNK`s followed by a `UV_UDP_MMSG_FREE`.

#![allow(non_camel_case_types)]

use crate::abi::*;
use crate::handle::{init, with_handle};
use crate::misc::Buf;
use rsuv_core::error::{
    UV_EAGAIN, UV_EALREADY, UV_EBADF, UV_EBUSY, UV_ECANCELED, UV_EDESTADDRREQ, UV_EEXIST,
    UV_EINVAL, UV_EISCONN, UV_ENOBUFS, UV_ENOMEM, UV_ENOTCONN,
};
use rsuv_core::sys::poller::events::{ERR, IN, OUT};
use rsuv_core::{HandleId, Kind, Loop};
use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::mem::{offset_of, size_of, zeroed};
use std::ptr::{self, null, null_mut};

pub type uv_alloc_cb = Option<unsafe extern "C" fn(*mut uv_handle_t, usize, *mut Buf)>;
pub type uv_udp_send_cb = Option<unsafe extern "C" fn(*mut uv_udp_send_t, c_int)>;
pub type uv_udp_recv_cb =
    Option<unsafe extern "C" fn(*mut uv_udp_t, isize, *const Buf, *const libc::sockaddr, c_uint)>;

/// `uv_req_type` of a UDP send request.
pub const UV_UDP_SEND: c_int = 5;

// `uv_udp_flags`.
pub const UV_UDP_IPV6ONLY: c_uint = 1;
pub const UV_UDP_PARTIAL: c_uint = 2;
pub const UV_UDP_REUSEADDR: c_uint = 4;
pub const UV_UDP_MMSG_CHUNK: c_uint = 8;
pub const UV_UDP_MMSG_FREE: c_uint = 16;
pub const UV_UDP_LINUX_RECVERR: c_uint = 32;
pub const UV_UDP_REUSEPORT: c_uint = 64;
pub const UV_UDP_RECVMMSG: c_uint = 256;

// `uv_membership`.
const UV_LEAVE_GROUP: c_int = 0;
const UV_JOIN_GROUP: c_int = 1;

/// The largest datagram, and the size `alloc_cb` is asked for.
const DGRAM_MAX: usize = 64 * 1024;
/// Datagrams per `sendmmsg`/`recvmmsg`.
const BATCH: usize = 20;
/// Reads per readiness report, so a flood cannot starve the loop.
const READS_PER_EVENT: isize = 32;

// Our flags in `uv_udp_t::flags`.
/// The socket is IPv6 (bound or created so): options go to `IPPROTO_IPV6`.
const F_IPV6: u32 = 1;
const F_CONNECTED: u32 = 2;
const F_RECVMMSG: u32 = 4;
/// Completed sends are being called back (`run_completed` on the stack).
const F_PROCESSING: u32 = 8;
/// Receiving: the socket is watched for readability.
const F_READING: u32 = 16;
/// Sends are waiting: the socket is watched for writability.
const F_WRITING: u32 = 32;
/// `uv_close` was called.
const F_CLOSING: u32 = 64;
/// A pending-phase pass is queued (`Loop::defer`): it will send what is
/// queued and call back what completed.
const F_DEFERRED: u32 = 128;

/// `uv_udp_t`: the public fields, then ours.
#[repr(C)]
pub struct uv_udp_t {
    pub handle: uv_handle_t,
    pub send_queue_size: usize,
    pub send_queue_count: usize,
    alloc_cb: uv_alloc_cb,
    recv_cb: uv_udp_recv_cb,
    /// The socket, -1 until one is created or opened.
    fd: c_int,
    flags: u32,
    /// Sends not yet accepted by the socket, oldest first.
    queue: Fifo,
    /// Sends done (or failed) whose callbacks have not run yet.
    done: Fifo,
    _private: [u8; 48],
}

/// `uv_udp_send_t`: the public fields, then ours.
#[repr(C)]
pub struct uv_udp_send_t {
    pub req: uv_req_t,
    pub handle: *mut uv_udp_t,
    pub cb: uv_udp_send_cb,
    /// The next request in whichever queue this one is on.
    next: *mut uv_udp_send_t,
    /// `bufsml`, or an allocation for more than four buffers.
    bufs: *mut Buf,
    nbufs: c_uint,
    /// 0, or the error the send ended with.
    status: c_int,
    /// Bytes in `bufs` (what `send_queue_size` counts).
    size: usize,
    /// 0 for a connected handle's send (no destination).
    addrlen: u32,
    _pad: u32,
    addr: libc::sockaddr_storage,
    bufsml: [Buf; 4],
    _private: [u8; 8],
}

/// An intrusive singly linked queue of send requests.
#[repr(C)]
struct Fifo {
    head: *mut uv_udp_send_t,
    tail: *mut uv_udp_send_t,
}

const _: () = {
    assert!(size_of::<uv_udp_t>() == 216);
    assert!(offset_of!(uv_udp_t, send_queue_size) == 96);
    assert!(offset_of!(uv_udp_t, send_queue_count) == 104);
    assert!(size_of::<uv_udp_send_t>() == 320);
    assert!(offset_of!(uv_udp_send_t, handle) == 64);
    assert!(offset_of!(uv_udp_send_t, cb) == 72);
    assert!(offset_of!(uv_udp_send_t, addr) % 8 == 0);
    assert!(size_of::<Buf>() == size_of::<libc::iovec>());
};

impl Fifo {
    fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// # Safety
    /// `r` is a request owned by the caller and on no queue.
    unsafe fn push(&mut self, r: *mut uv_udp_send_t) {
        // SAFETY: r and the queue's requests are live caller structs.
        unsafe {
            (*r).next = null_mut();
            if self.tail.is_null() {
                self.head = r;
            } else {
                (*self.tail).next = r;
            }
        }
        self.tail = r;
    }

    /// # Safety
    /// The queue holds live requests.
    unsafe fn pop(&mut self) -> *mut uv_udp_send_t {
        let r = self.head;
        if !r.is_null() {
            // SAFETY: r is a live request on this queue.
            self.head = unsafe { (*r).next };
            if self.head.is_null() {
                self.tail = null_mut();
            }
        }
        r
    }

    /// Moves every request of `other` to the end of this queue.
    ///
    /// # Safety
    /// Both queues hold live requests.
    unsafe fn append(&mut self, other: &mut Fifo) {
        if other.head.is_null() {
            return;
        }
        if self.tail.is_null() {
            self.head = other.head;
        } else {
            // SAFETY: the tail is a live request.
            unsafe { (*self.tail).next = other.head };
        }
        self.tail = other.tail;
        other.head = null_mut();
        other.tail = null_mut();
    }
}

// ---- helpers -------------------------------------------------------------------

fn errno() -> c_int {
    crate::util::errno()
}

/// Runs `f` on the engine if `u` is a live handle of its loop.
///
/// # Safety
/// `u` is null or points to a handle struct.
unsafe fn engine<R>(u: *const uv_udp_t, f: impl FnOnce(&mut Loop, HandleId) -> R) -> Option<R> {
    // SAFETY: per the contract.
    unsafe { with_handle(u as *const uv_handle_t, f) }
}

/// Whether `u` is an initialized UDP handle; `Some(closing)` if so.
///
/// # Safety
/// `u` is null or points to a handle struct.
unsafe fn state(u: *const uv_udp_t) -> Option<bool> {
    // SAFETY: per the contract; the type is read only from a registered
    // handle, which init filled in.
    unsafe {
        let closing = engine(u, |l, id| l.is_closing(id))?;
        ((*u).handle.type_ == UV_UDP).then_some(closing)
    }
}

/// Whether `u` is an initialized UDP handle that is not closing.
///
/// # Safety
/// `u` is null or points to a handle struct.
unsafe fn usable(u: *const uv_udp_t) -> bool {
    // SAFETY: per the contract.
    unsafe { state(u) == Some(false) }
}

/// The length of the sockaddr `addr` points to, by family (`sockaddr_un`
/// too when `unix`), or `None` for other families.
///
/// # Safety
/// `addr` points to a sockaddr.
unsafe fn addr_len(addr: *const libc::sockaddr, unix: bool) -> Option<u32> {
    // SAFETY: per the contract; every sockaddr starts with its family.
    match c_int::from(unsafe { (*addr).sa_family }) {
        libc::AF_INET => Some(size_of::<libc::sockaddr_in>() as u32),
        libc::AF_INET6 => Some(size_of::<libc::sockaddr_in6>() as u32),
        libc::AF_UNIX if unix => Some(size_of::<libc::sockaddr_un>() as u32),
        _ => None,
    }
}

fn setsockopt<T>(fd: c_int, level: c_int, name: c_int, value: &T) -> c_int {
    // SAFETY: value is a live T and the length passed is its size.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            value as *const T as *const c_void,
            size_of::<T>() as libc::socklen_t,
        )
    };
    if r == 0 {
        0
    } else {
        -errno()
    }
}

fn set_nonblocking(fd: c_int) -> c_int {
    let mut on: c_int = 1;
    // SAFETY: FIONBIO reads one int from the valid pointer.
    if unsafe { libc::ioctl(fd, libc::FIONBIO, &mut on) } == 0 {
        0
    } else {
        -errno()
    }
}

/// The text of a C string, if it is one and is UTF-8.
///
/// # Safety
/// `s` is null or a NUL-terminated string.
unsafe fn text<'a>(s: *const c_char) -> Option<&'a str> {
    if s.is_null() {
        return None;
    }
    // SAFETY: per the contract.
    unsafe { CStr::from_ptr(s) }.to_str().ok()
}

/// The interface of a membership call: `interface_addr`'s IPv4 address, or
/// any interface when it is null; `None` if it does not parse.
///
/// # Safety
/// `interface_addr` is null or a C string.
unsafe fn interface_ip4(interface_addr: *const c_char) -> Option<libc::in_addr> {
    if interface_addr.is_null() {
        return Some(libc::in_addr { s_addr: 0 });
    }
    // SAFETY: a C string, per the contract.
    unsafe { parse_ip4(interface_addr) }
}

/// The IPv6 interface (scope id) named by `interface_addr`, 0 (any) when it
/// is null; `None` if it does not parse.
///
/// # Safety
/// `interface_addr` is null or a C string.
unsafe fn interface_scope6(interface_addr: *const c_char) -> Option<u32> {
    if interface_addr.is_null() {
        return Some(0);
    }
    // SAFETY: a C string, per the contract.
    unsafe { parse_ip6(interface_addr) }.map(|(_, scope)| scope)
}

/// Parses a dotted-quad IPv4 address (as `uv_ip4_addr` does).
///
/// # Safety
/// `s` is null or a NUL-terminated string.
unsafe fn parse_ip4(s: *const c_char) -> Option<libc::in_addr> {
    // SAFETY: per the contract.
    let a = crate::addr::parse_ipv4(unsafe { text(s) }?.as_bytes())?;
    Some(libc::in_addr {
        s_addr: u32::from_ne_bytes(a),
    })
}

/// Parses an IPv6 address with an optional `%zone` (as `uv_ip6_addr`
/// does): the address and the zone's interface index (0 if none or
/// unknown).
///
/// # Safety
/// `s` is null or a NUL-terminated string.
unsafe fn parse_ip6(s: *const c_char) -> Option<(libc::in6_addr, u32)> {
    // SAFETY: per the contract.
    let t = unsafe { text(s) }?;
    let (addr, zone) = match t.split_once('%') {
        Some((a, z)) => (a, Some(z)),
        None => (t, None),
    };
    let a = crate::addr::parse_ipv6(addr.as_bytes())?;
    let scope = match zone.map(CString::new) {
        // SAFETY: a NUL-terminated interface name.
        Some(Ok(name)) => unsafe { libc::if_nametoindex(name.as_ptr()) },
        _ => 0,
    };
    Some((libc::in6_addr { s6_addr: a }, scope))
}

// ---- sockets -------------------------------------------------------------------

/// Binds the handle's socket (creating it first if there is none), as
/// `uv_udp_bind` after its argument checks.
///
/// # Safety
/// `u` is a usable handle; `addr` is a sockaddr of `len` bytes.
unsafe fn bind_socket(
    u: *mut uv_udp_t,
    addr: *const libc::sockaddr,
    len: u32,
    flags: c_uint,
) -> c_int {
    if flags & !(UV_UDP_IPV6ONLY | UV_UDP_REUSEADDR | UV_UDP_REUSEPORT | UV_UDP_LINUX_RECVERR) != 0
    {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    let family = c_int::from(unsafe { (*addr).sa_family });
    if flags & UV_UDP_IPV6ONLY != 0 && family != libc::AF_INET6 {
        return UV_EINVAL;
    }
    // SAFETY: per the contract: u is the caller's live handle.
    unsafe {
        if (*u).fd == -1 {
            let fd = libc::socket(
                family,
                libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            );
            if fd < 0 {
                return -errno();
            }
            (*u).fd = fd;
        }
        let fd = (*u).fd;
        let yes: c_int = 1;
        if flags & UV_UDP_LINUX_RECVERR != 0 {
            let err = match family {
                libc::AF_INET => setsockopt(fd, libc::IPPROTO_IP, libc::IP_RECVERR, &yes),
                libc::AF_INET6 => setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_RECVERR, &yes),
                _ => 0,
            };
            if err != 0 {
                return err;
            }
        }
        if flags & UV_UDP_REUSEADDR != 0 {
            let err = setsockopt(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, &yes);
            if err != 0 {
                return err;
            }
        }
        if flags & UV_UDP_REUSEPORT != 0 {
            let err = setsockopt(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, &yes);
            if err != 0 {
                return err;
            }
        }
        if flags & UV_UDP_IPV6ONLY != 0 {
            let err = setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, &yes);
            if err != 0 {
                return err;
            }
        }
        if libc::bind(fd, addr, len) != 0 {
            let e = errno();
            return if e == libc::EAFNOSUPPORT {
                UV_EINVAL
            } else {
                -e
            };
        }
        if family == libc::AF_INET6 {
            (*u).flags |= F_IPV6;
        }
    }
    0
}

/// Binds a handle without a socket to the wildcard address of `family`
/// (libuv's implicit bind before send, receive, connect and membership).
///
/// # Safety
/// `u` is a usable handle.
unsafe fn ensure_socket(u: *mut uv_udp_t, family: c_int, flags: c_uint) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        if (*u).fd != -1 {
            return 0;
        }
        match family {
            libc::AF_INET => {
                let mut a: libc::sockaddr_in = zeroed();
                a.sin_family = libc::AF_INET as libc::sa_family_t;
                bind_socket(
                    u,
                    &a as *const _ as *const libc::sockaddr,
                    size_of::<libc::sockaddr_in>() as u32,
                    flags,
                )
            }
            libc::AF_INET6 => {
                let mut a: libc::sockaddr_in6 = zeroed();
                a.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                bind_socket(
                    u,
                    &a as *const _ as *const libc::sockaddr,
                    size_of::<libc::sockaddr_in6>() as u32,
                    flags,
                )
            }
            // libuv cannot bind other families implicitly (it aborts).
            _ => UV_EINVAL,
        }
    }
}

/// Fills `h` to send `nbufs` buffers to `addr` (null: the connected peer).
///
/// # Safety
/// The pointers stay valid while `h` is used.
unsafe fn prep_msg(
    h: &mut libc::msghdr,
    bufs: *const Buf,
    nbufs: c_uint,
    addr: *const libc::sockaddr,
    addrlen: u32,
) {
    h.msg_name = addr as *mut c_void;
    h.msg_namelen = addrlen;
    h.msg_iov = bufs as *mut libc::iovec;
    h.msg_iovlen = nbufs as usize;
    h.msg_control = null_mut();
    h.msg_controllen = 0;
    h.msg_flags = 0;
}

/// libuv's error for a failed send: would-block and `ENOBUFS` are `EAGAIN`.
fn send_error(e: c_int) -> c_int {
    if e == libc::EAGAIN || e == libc::EWOULDBLOCK || e == libc::ENOBUFS {
        UV_EAGAIN
    } else {
        -e
    }
}

/// Sends one message; 0 or the libuv error.
fn sendmsg_once(fd: c_int, h: &libc::msghdr) -> c_int {
    loop {
        // SAFETY: h describes live buffers and address (prep_msg's contract).
        let r = unsafe { libc::sendmsg(fd, h, 0) };
        if r >= 0 {
            return 0;
        }
        let e = errno();
        if e != libc::EINTR {
            return send_error(e);
        }
    }
}

/// Sends `msgs` with `sendmmsg`: how many went, or the errno of the first
/// that failed.
fn sendmmsg_all(fd: c_int, msgs: &mut [libc::mmsghdr]) -> Result<usize, c_int> {
    loop {
        // SAFETY: the headers describe live buffers and addresses.
        let r = unsafe { libc::sendmmsg(fd, msgs.as_mut_ptr(), msgs.len() as c_uint, 0) };
        if r > 0 {
            return Ok(r as usize);
        }
        let e = if r == 0 { libc::EAGAIN } else { errno() };
        if e != libc::EINTR {
            return Err(e);
        }
    }
}

// ---- sending -------------------------------------------------------------------

/// Moves the first queued request to the completed queue with `status`.
///
/// # Safety
/// `u` is a live handle with a non-empty send queue.
unsafe fn complete_head(u: *mut uv_udp_t, status: c_int) {
    // SAFETY: per the contract.
    unsafe {
        let r = (*u).queue.pop();
        (*r).status = status;
        (*u).done.push(r);
    }
}

/// Hands queued requests to the socket until it is empty or would block.
/// Returns whether any request completed (sent or failed).
///
/// # Safety
/// `u` is a live handle with a socket.
unsafe fn flush(u: *mut uv_udp_t) -> bool {
    let mut any = false;
    // SAFETY: per the contract; the queued requests are live caller structs
    // whose buffers and addresses stay valid until their callbacks.
    unsafe {
        let fd = (*u).fd;
        while !(*u).queue.is_empty() {
            let head = (*u).queue.head;
            let sent = if (*head).next.is_null() {
                // The common case, one datagram: no batch to set up.
                let mut h: libc::msghdr = zeroed();
                prep_req(&mut h, head);
                match sendmsg_once(fd, &h) {
                    0 => Ok(1),
                    e => Err(e),
                }
            } else {
                let mut msgs: [libc::mmsghdr; BATCH] = zeroed();
                let mut n = 0;
                let mut r = head;
                while n < BATCH && !r.is_null() {
                    prep_req(&mut msgs[n].msg_hdr, r);
                    n += 1;
                    r = (*r).next;
                }
                sendmmsg_all(fd, &mut msgs[..n]).map_err(send_error)
            };
            match sent {
                Ok(k) => {
                    for _ in 0..k {
                        complete_head(u, 0);
                    }
                    any = true;
                }
                Err(UV_EAGAIN) => break,
                Err(e) => {
                    // The first unsent request is the one that failed.
                    complete_head(u, e);
                    any = true;
                }
            }
        }
    }
    any
}

/// Fills `h` to send request `r`'s datagram.
///
/// # Safety
/// `r` is a live queued request.
unsafe fn prep_req(h: &mut libc::msghdr, r: *mut uv_udp_send_t) {
    // SAFETY: per the contract.
    unsafe {
        let name = if (*r).addrlen == 0 {
            null()
        } else {
            &(*r).addr as *const _ as *const libc::sockaddr
        };
        prep_msg(h, (*r).bufs, (*r).nbufs, name, (*r).addrlen);
    }
}

/// Queues the handle's pending-phase pass (once).
///
/// # Safety
/// `u` is the live handle `id` of `l`.
unsafe fn defer(l: &mut Loop, id: HandleId, u: *mut uv_udp_t) {
    l.defer(id);
    // SAFETY: per the contract.
    unsafe { (*u).flags |= F_DEFERRED };
}

/// With the engine borrowed, after the queues changed: watch for
/// writability while sends wait in the queue and nothing else will flush
/// them (no pending-phase pass queued, not inside `run_completed`); stop
/// watching once the queue is empty. The handle stays active while it
/// receives or has sends outstanding.
///
/// # Safety
/// `u` is the live handle `id` of `l`.
unsafe fn settle(l: &mut Loop, id: HandleId, u: *mut uv_udp_t) {
    // SAFETY: per the contract.
    unsafe {
        let f = (*u).flags;
        if (*u).queue.is_empty() {
            if f & F_WRITING != 0 {
                l.io_stop(id, OUT);
                (*u).flags &= !F_WRITING;
            }
        } else if f & (F_WRITING | F_DEFERRED | F_PROCESSING) == 0 {
            match l.io_start(id, (*u).fd, OUT) {
                Ok(()) => (*u).flags |= F_WRITING,
                Err(e) => {
                    // Cannot wait for the socket: fail what is queued; the
                    // callbacks report it.
                    let err = -e.raw_os_error().unwrap_or(libc::EIO);
                    while !(*u).queue.is_empty() {
                        complete_head(u, err);
                    }
                    defer(l, id, u);
                }
            }
        }
        if (*u).send_queue_count == 0 && (*u).flags & F_READING == 0 {
            l.deactivate(id);
        }
    }
}

/// Calls back completed requests (oldest first), then sends what their
/// callbacks queued unless `blocked` (the socket just refused more).
/// `closed`: the handle is in its close phase (its engine record is gone,
/// and its loop is `lp`, not read from the handle).
///
/// # Safety
/// `u` is a live handle of loop `lp` (or one in its close phase); no
/// engine borrow.
unsafe fn run_completed(u: *mut uv_udp_t, lp: *mut uv_loop_t, closed: bool, blocked: bool) {
    // SAFETY: per the contract; requests are live until their callbacks.
    unsafe {
        (*u).flags |= F_PROCESSING;
        loop {
            let r = (*u).done.pop();
            if r.is_null() {
                break;
            }
            (*u).send_queue_size = (*u).send_queue_size.saturating_sub((*r).size);
            (*u).send_queue_count = (*u).send_queue_count.saturating_sub(1);
            if (*r).bufs != (*r).bufsml.as_mut_ptr() {
                crate::alloc::free((*r).bufs as *mut c_void);
            }
            (*r).bufs = null_mut();
            crate::r#loop::with_loop(lp, |l| l.req_finished());
            if let Some(cb) = (*r).cb {
                cb(r, (*r).status);
            }
        }
        (*u).flags &= !F_PROCESSING;
        if closed || (*u).flags & F_CLOSING != 0 {
            return;
        }
        let sent = !blocked
            && !(*u).queue.is_empty()
            && (*u).flags & (F_WRITING | F_DEFERRED) == 0
            && (*u).fd != -1
            && flush(u);
        engine(u, |l, id| {
            if sent {
                defer(l, id, u);
            }
            settle(l, id, u);
        });
    }
}

/// Checks common to `uv_udp_send` and `uv_udp_try_send`; the destination's
/// length (0 for a connected handle's peer).
///
/// # Safety
/// `u` is null or a handle; `addr` is null or a sockaddr.
unsafe fn check_before_send(u: *mut uv_udp_t, addr: *const libc::sockaddr) -> Result<u32, c_int> {
    // SAFETY: per the contract.
    unsafe {
        match state(u) {
            None => return Err(UV_EINVAL),
            Some(true) => return Err(UV_EBADF),
            Some(false) => {}
        }
        let connected = (*u).flags & F_CONNECTED != 0;
        if !addr.is_null() && connected {
            return Err(UV_EISCONN);
        }
        if addr.is_null() && !connected {
            return Err(UV_EDESTADDRREQ);
        }
        if addr.is_null() {
            return Ok(0);
        }
        addr_len(addr, true).ok_or(UV_EINVAL)
    }
}

/// # Safety
/// `req` is writable `uv_udp_send_t` memory kept until the callback; `u` an
/// initialized UDP handle; `bufs` holds `nbufs` buffers whose memory stays
/// valid until the callback; `addr` is null or a sockaddr.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_send(
    req: *mut uv_udp_send_t,
    u: *mut uv_udp_t,
    bufs: *const Buf,
    nbufs: c_uint,
    addr: *const libc::sockaddr,
    send_cb: uv_udp_send_cb,
) -> c_int {
    if req.is_null() || u.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        let addrlen = match check_before_send(u, addr) {
            Ok(len) => len,
            Err(e) => return e,
        };
        // libuv asserts at least one buffer.
        if nbufs == 0 || bufs.is_null() {
            return UV_EINVAL;
        }
        if !addr.is_null() {
            let err = ensure_socket(u, c_int::from((*addr).sa_family), 0);
            if err != 0 {
                return err;
            }
        }
        let copy = if nbufs as usize <= (*req).bufsml.len() {
            (*req).bufsml.as_mut_ptr()
        } else {
            let p = crate::alloc::alloc(nbufs as usize * size_of::<Buf>()) as *mut Buf;
            if p.is_null() {
                return UV_ENOMEM;
            }
            p
        };
        ptr::copy_nonoverlapping(bufs, copy, nbufs as usize);
        let mut size = 0usize;
        for i in 0..nbufs as usize {
            size = size.wrapping_add((*copy.add(i)).len);
        }
        (*req).req.type_ = UV_UDP_SEND;
        (*req).handle = u;
        (*req).cb = send_cb;
        (*req).bufs = copy;
        (*req).nbufs = nbufs;
        (*req).status = 0;
        (*req).size = size;
        (*req).addrlen = addrlen;
        if addrlen != 0 {
            ptr::copy_nonoverlapping(
                addr as *const u8,
                &mut (*req).addr as *mut _ as *mut u8,
                addrlen as usize,
            );
        }
        // Sends still outstanding (even ones only waiting for their
        // callback) go first: this one waits for the pass that handles
        // them, or for writability.
        let idle = (*u).send_queue_count == 0;
        (*u).send_queue_size += size;
        (*u).send_queue_count += 1;
        (*u).queue.push(req);
        engine(u, |l, id| {
            l.req_started();
            l.activate(id);
            if idle && (*u).flags & F_PROCESSING == 0 && flush(u) {
                defer(l, id, u);
            }
            settle(l, id, u);
        });
    }
    0
}

/// # Safety
/// `u` is an initialized UDP handle; `bufs` holds `nbufs` buffers; `addr`
/// is null or a sockaddr.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_try_send(
    u: *mut uv_udp_t,
    bufs: *const Buf,
    nbufs: c_uint,
    addr: *const libc::sockaddr,
) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        let addrlen = match check_before_send(u, addr) {
            Ok(len) => len,
            Err(e) => return e,
        };
        if nbufs < 1 || bufs.is_null() {
            return UV_EINVAL;
        }
        // Already sending: this datagram would overtake the queued ones.
        if (*u).send_queue_count != 0 {
            return UV_EAGAIN;
        }
        if !addr.is_null() {
            let err = ensure_socket(u, c_int::from((*addr).sa_family), 0);
            if err != 0 {
                return err;
            }
        }
        let mut h: libc::msghdr = zeroed();
        prep_msg(&mut h, bufs, nbufs, addr, addrlen);
        let err = sendmsg_once((*u).fd, &h);
        if err != 0 {
            return err;
        }
        let mut size = 0usize;
        for i in 0..nbufs as usize {
            size = size.wrapping_add((*bufs.add(i)).len);
        }
        size.min(c_int::MAX as usize) as c_int
    }
}

/// # Safety
/// `u` is an initialized UDP handle; `bufs`, `nbufs` and `addrs` hold
/// `count` entries each, as `uv_udp_try_send` takes them.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_try_send2(
    u: *mut uv_udp_t,
    count: c_uint,
    bufs: *mut *mut Buf,
    nbufs: *mut c_uint,
    addrs: *mut *mut libc::sockaddr,
    flags: c_uint,
) -> c_int {
    if count < 1 || flags != 0 || bufs.is_null() || nbufs.is_null() || addrs.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        if !usable(u) {
            return UV_EINVAL;
        }
        if (*u).send_queue_count > 0 {
            return UV_EAGAIN;
        }
        let fd = (*u).fd;
        if fd == -1 {
            return UV_EINVAL;
        }
        let count = count as usize;
        let mut sent = 0usize;
        while sent < count {
            let mut msgs: [libc::mmsghdr; BATCH] = zeroed();
            let want = (count - sent).min(BATCH);
            // Messages up to the first with an unusable address.
            let mut n = 0;
            while n < want {
                let i = sent + n;
                let mut a = *addrs.add(i) as *const libc::sockaddr;
                let len = if a.is_null() {
                    0
                } else if c_int::from((*a).sa_family) == libc::AF_UNSPEC {
                    a = null();
                    0
                } else {
                    match addr_len(a, true) {
                        Some(len) => len,
                        None => break,
                    }
                };
                prep_msg(&mut msgs[n].msg_hdr, *bufs.add(i), *nbufs.add(i), a, len);
                n += 1;
            }
            if n == 0 {
                return if sent > 0 { sent as c_int } else { UV_EINVAL };
            }
            let r = if n == 1 {
                match sendmsg_once(fd, &msgs[0].msg_hdr) {
                    0 => Ok(1),
                    e => Err(e),
                }
            } else {
                sendmmsg_all(fd, &mut msgs[..n]).map_err(send_error)
            };
            match r {
                Ok(k) => {
                    sent += k;
                    if k < want {
                        break;
                    }
                }
                Err(e) if sent == 0 => return e,
                Err(_) => break,
            }
        }
        sent.min(c_int::MAX as usize) as c_int
    }
}

// ---- receiving ----------------------------------------------------------------

/// Reports an error-queue message (`MSG_ERRQUEUE` read): the ICMP error of
/// its first `IP_RECVERR`/`IPV6_RECVERR` record, with the offender as
/// address. Returns whether it was one.
///
/// # Safety
/// `u` is live; `h` the header recvmsg filled in; `buf` the buffer.
unsafe fn report_errqueue(
    u: *mut uv_udp_t,
    h: &libc::msghdr,
    buf: &Buf,
    flags: c_uint,
    recv_cb: unsafe extern "C" fn(*mut uv_udp_t, isize, *const Buf, *const libc::sockaddr, c_uint),
) -> bool {
    if h.msg_flags & libc::MSG_ERRQUEUE == 0 {
        return false;
    }
    // SAFETY: h's control area was filled by the kernel; the CMSG macros
    // walk it within msg_controllen.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(h);
        while !c.is_null() {
            let (level, kind) = ((*c).cmsg_level, (*c).cmsg_type);
            if (level == libc::SOL_IP && kind == libc::IP_RECVERR)
                || (level == libc::SOL_IPV6 && kind == libc::IPV6_RECVERR)
            {
                let serr = libc::CMSG_DATA(c) as *const libc::sock_extended_err;
                let ee_errno = ptr::read_unaligned(ptr::addr_of!((*serr).ee_errno));
                let offender = libc::SO_EE_OFFENDER(serr);
                recv_cb(
                    u,
                    -(ee_errno as isize),
                    buf,
                    offender,
                    flags | UV_UDP_LINUX_RECVERR,
                );
                return true;
            }
            c = libc::CMSG_NXTHDR(h, c);
        }
    }
    false
}

/// One `recvmsg` into `buf`, then the callback. Returns recvmsg's result
/// (-1: nothing more, or an error).
///
/// # Safety
/// `u` is a live, receiving handle; `buf` the buffer `alloc_cb` gave.
unsafe fn recv_one(
    u: *mut uv_udp_t,
    buf: &Buf,
    flag: c_int,
    recv_cb: unsafe extern "C" fn(*mut uv_udp_t, isize, *const Buf, *const libc::sockaddr, c_uint),
) -> isize {
    // SAFETY: per the contract; all pointers in h are to locals or buf.
    unsafe {
        let mut peer: libc::sockaddr_storage = zeroed();
        let mut control = [0u64; 32];
        let mut iov = libc::iovec {
            iov_base: buf.base as *mut c_void,
            iov_len: buf.len,
        };
        let mut h: libc::msghdr = zeroed();
        h.msg_name = &mut peer as *mut _ as *mut c_void;
        h.msg_namelen = size_of::<libc::sockaddr_storage>() as u32;
        h.msg_iov = &mut iov;
        h.msg_iovlen = 1;
        if flag & libc::MSG_ERRQUEUE != 0 {
            h.msg_control = control.as_mut_ptr() as *mut c_void;
            h.msg_controllen = size_of::<[u64; 32]>();
        }
        let (n, e) = loop {
            let n = libc::recvmsg((*u).fd, &mut h, flag);
            let e = if n == -1 { errno() } else { 0 };
            if e != libc::EINTR {
                break (n, e);
            }
        };
        let mut flags = 0;
        if n != -1 && h.msg_flags & libc::MSG_TRUNC != 0 {
            flags |= UV_UDP_PARTIAL;
        }
        if flag & libc::MSG_ERRQUEUE != 0 && n != -1 && report_errqueue(u, &h, buf, flags, recv_cb)
        {
            return n;
        }
        if n != -1 {
            recv_cb(u, n, buf, &peer as *const _ as *const libc::sockaddr, flags);
        } else if e == libc::EAGAIN || e == libc::EWOULDBLOCK {
            recv_cb(u, 0, buf, null(), 0);
        } else {
            recv_cb(u, -(e as isize), buf, null(), 0);
        }
        n
    }
}

/// One `recvmmsg` into 64 KiB slots of `buf`: a `UV_UDP_MMSG_CHUNK`
/// callback per datagram, then a `UV_UDP_MMSG_FREE` one for the buffer.
/// Returns the datagram count (-1: nothing more, or an error).
///
/// # Safety
/// As `recv_one`; `buf.len >= DGRAM_MAX`.
unsafe fn recv_many(
    u: *mut uv_udp_t,
    buf: &Buf,
    flag: c_int,
    recv_cb: unsafe extern "C" fn(*mut uv_udp_t, isize, *const Buf, *const libc::sockaddr, c_uint),
) -> isize {
    let chunks = (buf.len / DGRAM_MAX).min(BATCH);
    // SAFETY: per the contract; every pointer in msgs is to locals or into
    // buf's slots.
    unsafe {
        let mut peers: [libc::sockaddr_storage; BATCH] = zeroed();
        let mut iov: [libc::iovec; BATCH] = zeroed();
        let mut msgs: [libc::mmsghdr; BATCH] = zeroed();
        let mut control = [[0u64; 8]; BATCH];
        for k in 0..chunks {
            iov[k].iov_base = buf.base.add(k * DGRAM_MAX) as *mut c_void;
            iov[k].iov_len = DGRAM_MAX;
            let h = &mut msgs[k].msg_hdr;
            h.msg_iov = &mut iov[k];
            h.msg_iovlen = 1;
            h.msg_name = &mut peers[k] as *mut _ as *mut c_void;
            h.msg_namelen = size_of::<libc::sockaddr_storage>() as u32;
            if flag & libc::MSG_ERRQUEUE != 0 {
                h.msg_control = control[k].as_mut_ptr() as *mut c_void;
                h.msg_controllen = size_of::<[u64; 8]>();
            }
        }
        let (n, e) = loop {
            let n = libc::recvmmsg(
                (*u).fd,
                msgs.as_mut_ptr(),
                chunks as c_uint,
                flag,
                null_mut(),
            );
            let e = if n == -1 { errno() } else { 0 };
            if e != libc::EINTR {
                break (n, e);
            }
        };
        if n < 1 {
            if n == 0 || e == libc::EAGAIN || e == libc::EWOULDBLOCK {
                recv_cb(u, 0, buf, null(), 0);
            } else {
                recv_cb(u, -(e as isize), buf, null(), 0);
            }
            return if n == 0 { -1 } else { n as isize };
        }
        for k in 0..n as usize {
            let Some(cb) = (*u).recv_cb else { break };
            let mut flags = UV_UDP_MMSG_CHUNK;
            if msgs[k].msg_hdr.msg_flags & libc::MSG_TRUNC != 0 {
                flags |= UV_UDP_PARTIAL;
            }
            let chunk = Buf {
                base: iov[k].iov_base as *mut c_char,
                len: iov[k].iov_len,
            };
            if flag & libc::MSG_ERRQUEUE != 0
                && report_errqueue(u, &msgs[k].msg_hdr, &chunk, flags, cb)
            {
                continue;
            }
            cb(
                u,
                msgs[k].msg_len as isize,
                &chunk,
                msgs[k].msg_hdr.msg_name as *const libc::sockaddr,
                flags,
            );
        }
        if let Some(cb) = (*u).recv_cb {
            cb(u, 0, buf, null(), UV_UDP_MMSG_FREE);
        }
        n as isize
    }
}

/// Reads what the socket has, a bounded number of datagrams.
///
/// # Safety
/// `u` is a live handle; no engine borrow.
unsafe fn recv(u: *mut uv_udp_t, flag: c_int) {
    let mut count = READS_PER_EVENT;
    // SAFETY: per the contract; the handle's memory stays valid through
    // its callbacks (a close only takes effect in the close phase).
    unsafe {
        loop {
            let Some(alloc_cb) = (*u).alloc_cb else {
                return;
            };
            let mut buf = Buf {
                base: null_mut(),
                len: 0,
            };
            alloc_cb(u as *mut uv_handle_t, DGRAM_MAX, &mut buf);
            // The allocator may have stopped the handle.
            let Some(recv_cb) = (*u).recv_cb else {
                return;
            };
            if buf.base.is_null() || buf.len == 0 {
                recv_cb(u, UV_ENOBUFS as isize, &buf, null(), 0);
                return;
            }
            let n = if (*u).flags & F_RECVMMSG != 0 && buf.len >= DGRAM_MAX {
                let n = recv_many(u, &buf, flag, recv_cb);
                if n > 0 {
                    count -= n;
                }
                n
            } else {
                count -= 1;
                recv_one(u, &buf, flag, recv_cb)
            };
            if n == -1 || count <= 0 || (*u).fd == -1 || (*u).recv_cb.is_none() {
                return;
            }
        }
    }
}

// ---- loop hooks ---------------------------------------------------------------

/// Readiness on the handle's socket (from the loop's `Host`).
pub(crate) fn io(token: usize, events: u32) {
    let u = token as *mut uv_udp_t;
    // SAFETY: the engine passes a live UDP handle's address.
    unsafe {
        if events & IN != 0 && (*u).flags & F_READING != 0 {
            recv(u, 0);
        }
        if events & ERR != 0 && (*u).flags & F_READING != 0 && (*u).fd != -1 {
            recv(u, libc::MSG_ERRQUEUE);
        }
        if events & OUT != 0 && (*u).flags & F_CLOSING == 0 {
            flush(u);
            let blocked = !(*u).queue.is_empty();
            run_completed(u, (*u).handle.loop_, false, blocked);
        }
    }
}

/// The handle's deferred callback (from the loop's pending phase): sends
/// completed by `uv_udp_send` get their callbacks.
pub(crate) fn pending(token: usize) {
    let u = token as *mut uv_udp_t;
    // SAFETY: the engine passes a live UDP handle's address.
    unsafe {
        if (*u).flags & F_CLOSING != 0 {
            return;
        }
        (*u).flags &= !F_DEFERRED;
        if (*u).fd != -1 {
            flush(u);
        }
        let blocked = !(*u).queue.is_empty();
        run_completed(u, (*u).handle.loop_, false, blocked);
    }
}

/// The type-specific part of `uv_close`, with the engine borrowed: stop
/// I/O and release the descriptor; no callbacks.
///
/// # Safety
/// `h` is the live handle `id` of `l`.
pub(crate) unsafe fn close(l: &mut Loop, id: HandleId, h: *mut uv_handle_t) {
    let u = h as *mut uv_udp_t;
    l.io_close(id);
    // SAFETY: per the contract.
    unsafe {
        if (*u).fd != -1 {
            libc::close((*u).fd);
            (*u).fd = -1;
        }
        (*u).flags = ((*u).flags & !(F_READING | F_WRITING | F_DEFERRED)) | F_CLOSING;
    }
}

/// Runs in the close phase before `close_cb`: callbacks of requests the
/// close cancelled (and of sends that completed but were not called back).
///
/// # Safety
/// `h` is a handle in its close phase (still valid memory).
pub(crate) unsafe fn finish_close(lp: *mut uv_loop_t, h: *mut uv_handle_t) {
    let u = h as *mut uv_udp_t;
    // SAFETY: per the contract.
    unsafe {
        let mut r = (*u).queue.head;
        while !r.is_null() {
            (*r).status = UV_ECANCELED;
            r = (*r).next;
        }
        let mut queued = Fifo {
            head: (*u).queue.head,
            tail: (*u).queue.tail,
        };
        (*u).queue = Fifo {
            head: null_mut(),
            tail: null_mut(),
        };
        (*u).done.append(&mut queued);
        run_completed(u, lp, true, true);
        (*u).send_queue_size = 0;
        (*u).send_queue_count = 0;
        (*u).alloc_cb = None;
        (*u).recv_cb = None;
    }
}

/// The handle's socket, for `uv_fileno` and the buffer-size calls (-1:
/// none yet, or closed).
///
/// # Safety
/// `h` is an initialized UDP handle.
pub(crate) unsafe fn fileno(h: *const uv_handle_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { (*(h as *const uv_udp_t)).fd }
}

// ---- the API ----------------------------------------------------------------

/// # Safety
/// `lp` is an initialized loop; `u` writable `uv_udp_t` memory.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_init_ex(
    lp: *mut uv_loop_t,
    u: *mut uv_udp_t,
    flags: c_uint,
) -> c_int {
    let domain = (flags & 0xff) as c_int;
    if domain != libc::AF_INET && domain != libc::AF_INET6 && domain != libc::AF_UNSPEC {
        return UV_EINVAL;
    }
    if flags & !0xff & !UV_UDP_RECVMMSG != 0 || u.is_null() {
        return UV_EINVAL;
    }
    let mut fd = -1;
    if domain != libc::AF_UNSPEC {
        // SAFETY: plain socket call.
        fd = unsafe {
            libc::socket(
                domain,
                libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            )
        };
        if fd < 0 {
            return -errno();
        }
    }
    // SAFETY: per the contract.
    unsafe {
        let r = init(lp, u as *mut uv_handle_t, UV_UDP, Kind::Other);
        if r != 0 {
            if fd != -1 {
                libc::close(fd);
            }
            return r;
        }
        (*u).send_queue_size = 0;
        (*u).send_queue_count = 0;
        (*u).alloc_cb = None;
        (*u).recv_cb = None;
        (*u).fd = fd;
        (*u).flags = 0;
        if flags & UV_UDP_RECVMMSG != 0 {
            (*u).flags |= F_RECVMMSG;
        }
        if domain == libc::AF_INET6 {
            (*u).flags |= F_IPV6;
        }
        (*u).queue = Fifo {
            head: null_mut(),
            tail: null_mut(),
        };
        (*u).done = Fifo {
            head: null_mut(),
            tail: null_mut(),
        };
    }
    0
}

/// # Safety
/// `lp` is an initialized loop; `u` writable `uv_udp_t` memory.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_init(lp: *mut uv_loop_t, u: *mut uv_udp_t) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { uv_udp_init_ex(lp, u, libc::AF_UNSPEC as c_uint) }
}

/// # Safety
/// `u` is an initialized UDP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_open_ex(u: *mut uv_udp_t, sock: c_int, flags: c_uint) -> c_int {
    if flags & !(UV_UDP_REUSEADDR | UV_UDP_REUSEPORT) != 0 {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        if !usable(u) {
            return UV_EINVAL;
        }
        if (*u).fd != -1 {
            return UV_EBUSY;
        }
        if engine(u, |l, _| l.fd_watcher(sock).is_some()).unwrap_or(false) {
            return UV_EEXIST;
        }
        let err = set_nonblocking(sock);
        if err != 0 {
            return err;
        }
        let yes: c_int = 1;
        if flags & UV_UDP_REUSEADDR != 0 {
            let err = setsockopt(sock, libc::SOL_SOCKET, libc::SO_REUSEADDR, &yes);
            if err != 0 {
                return err;
            }
        }
        if flags & UV_UDP_REUSEPORT != 0 {
            let err = setsockopt(sock, libc::SOL_SOCKET, libc::SO_REUSEPORT, &yes);
            if err != 0 {
                return err;
            }
        }
        (*u).fd = sock;
        let mut ss: libc::sockaddr_storage = zeroed();
        let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getpeername(sock, &mut ss as *mut _ as *mut libc::sockaddr, &mut len) == 0
            && len > 0
        {
            (*u).flags |= F_CONNECTED;
        }
        let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        if libc::getsockname(sock, &mut ss as *mut _ as *mut libc::sockaddr, &mut len) == 0
            && c_int::from(ss.ss_family) == libc::AF_INET6
        {
            (*u).flags |= F_IPV6;
        }
    }
    0
}

/// Always sets `SO_REUSEADDR`, as libuv does.
///
/// # Safety
/// `u` is an initialized UDP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_open(u: *mut uv_udp_t, sock: c_int) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { uv_udp_open_ex(u, sock, UV_UDP_REUSEADDR) }
}

/// # Safety
/// `u` is an initialized UDP handle; `addr` a sockaddr.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_bind(
    u: *mut uv_udp_t,
    addr: *const libc::sockaddr,
    flags: c_uint,
) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        if addr.is_null() || !usable(u) {
            return UV_EINVAL;
        }
        let Some(len) = addr_len(addr, false) else {
            return UV_EINVAL;
        };
        bind_socket(u, addr, len, flags)
    }
}

/// # Safety
/// `u` is an initialized UDP handle; `addr` null or a sockaddr.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_connect(u: *mut uv_udp_t, addr: *const libc::sockaddr) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        if !usable(u) {
            return UV_EINVAL;
        }
        if addr.is_null() {
            if (*u).flags & F_CONNECTED == 0 {
                return UV_ENOTCONN;
            }
            let mut any: libc::sockaddr = zeroed();
            any.sa_family = libc::AF_UNSPEC as libc::sa_family_t;
            loop {
                let r = libc::connect((*u).fd, &any, size_of::<libc::sockaddr>() as u32);
                if r == 0 {
                    break;
                }
                let e = errno();
                if e != libc::EINTR {
                    return -e;
                }
            }
            (*u).flags &= !F_CONNECTED;
            return 0;
        }
        let Some(len) = addr_len(addr, false) else {
            return UV_EINVAL;
        };
        if (*u).flags & F_CONNECTED != 0 {
            return UV_EISCONN;
        }
        let err = ensure_socket(u, c_int::from((*addr).sa_family), 0);
        if err != 0 {
            return err;
        }
        loop {
            if libc::connect((*u).fd, addr, len) == 0 {
                break;
            }
            let e = errno();
            if e != libc::EINTR {
                return -e;
            }
        }
        (*u).flags |= F_CONNECTED;
    }
    0
}

type NameFn = unsafe extern "C" fn(c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> c_int;

/// # Safety
/// `u` an initialized UDP handle; `name` holds `*namelen` bytes.
unsafe fn sock_name(
    u: *const uv_udp_t,
    name: *mut libc::sockaddr,
    namelen: *mut c_int,
    f: NameFn,
) -> c_int {
    if name.is_null() || namelen.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        match state(u) {
            None => return UV_EINVAL,
            Some(true) => return UV_EBADF,
            Some(false) => {}
        }
        if (*u).fd == -1 {
            return UV_EBADF;
        }
        let mut len = *namelen as libc::socklen_t;
        if f((*u).fd, name, &mut len) != 0 {
            return -errno();
        }
        *namelen = len as c_int;
    }
    0
}

/// # Safety
/// `u` an initialized UDP handle; `name` holds `*namelen` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_getsockname(
    u: *const uv_udp_t,
    name: *mut libc::sockaddr,
    namelen: *mut c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { sock_name(u, name, namelen, libc::getsockname) }
}

/// # Safety
/// `u` an initialized UDP handle; `name` holds `*namelen` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_getpeername(
    u: *const uv_udp_t,
    name: *mut libc::sockaddr,
    namelen: *mut c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { sock_name(u, name, namelen, libc::getpeername) }
}

/// # Safety
/// `u` is an initialized UDP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_recv_start(
    u: *mut uv_udp_t,
    alloc_cb: uv_alloc_cb,
    recv_cb: uv_udp_recv_cb,
) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        if alloc_cb.is_none() || recv_cb.is_none() || !usable(u) {
            return UV_EINVAL;
        }
        if (*u).flags & F_READING != 0 {
            return UV_EALREADY;
        }
        let err = ensure_socket(u, libc::AF_INET, 0);
        if err != 0 {
            return err;
        }
        engine(u, |l, id| match l.io_start(id, (*u).fd, IN) {
            Ok(()) => {
                (*u).alloc_cb = alloc_cb;
                (*u).recv_cb = recv_cb;
                (*u).flags |= F_READING;
                l.activate(id);
                0
            }
            Err(e) => -e.raw_os_error().unwrap_or(libc::EIO),
        })
        .unwrap_or(UV_EINVAL)
    }
}

/// # Safety
/// `u` is an initialized UDP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_recv_stop(u: *mut uv_udp_t) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        if state(u).is_none() {
            return UV_EINVAL;
        }
        engine(u, |l, id| {
            l.io_stop(id, IN);
            (*u).flags &= !F_READING;
            if (*u).send_queue_count == 0 {
                l.deactivate(id);
            }
        });
        (*u).alloc_cb = None;
        (*u).recv_cb = None;
    }
    0
}

/// # Safety
/// `u` is null or an initialized UDP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_using_recvmmsg(u: *const uv_udp_t) -> c_int {
    if u.is_null() {
        return 0;
    }
    // SAFETY: per the contract.
    c_int::from(unsafe { (*u).flags } & F_RECVMMSG != 0)
}

/// # Safety
/// `u` is an initialized UDP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_get_send_queue_size(u: *const uv_udp_t) -> usize {
    if u.is_null() {
        return 0;
    }
    // SAFETY: per the contract.
    unsafe { (*u).send_queue_size }
}

/// # Safety
/// `u` is an initialized UDP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_get_send_queue_count(u: *const uv_udp_t) -> usize {
    if u.is_null() {
        return 0;
    }
    // SAFETY: per the contract.
    unsafe { (*u).send_queue_count }
}

// ---- socket options --------------------------------------------------------------

/// The handle's socket for an option call: -1 (so the call fails with
/// `EBADF`, as in libuv) if it has none yet.
///
/// # Safety
/// `u` is null or a handle.
unsafe fn option_fd(u: *const uv_udp_t) -> Result<c_int, c_int> {
    // SAFETY: per the contract.
    unsafe {
        match state(u) {
            None => Err(UV_EINVAL),
            Some(_) => Ok((*u).fd),
        }
    }
}

/// Sets an IP-level int option: the IPv6 one on an IPv6 socket.
///
/// # Safety
/// `u` is null or a handle.
unsafe fn set_ip_option(u: *const uv_udp_t, opt4: c_int, opt6: c_int, value: c_int) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        let fd = match option_fd(u) {
            Ok(fd) => fd,
            Err(e) => return e,
        };
        if (*u).flags & F_IPV6 != 0 {
            setsockopt(fd, libc::IPPROTO_IPV6, opt6, &value)
        } else {
            setsockopt(fd, libc::IPPROTO_IP, opt4, &value)
        }
    }
}

/// # Safety
/// `u` is an initialized UDP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_set_broadcast(u: *mut uv_udp_t, on: c_int) -> c_int {
    // SAFETY: per the contract.
    match unsafe { option_fd(u) } {
        Ok(fd) => setsockopt(fd, libc::SOL_SOCKET, libc::SO_BROADCAST, &on),
        Err(e) => e,
    }
}

/// # Safety
/// `u` is an initialized UDP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_set_ttl(u: *mut uv_udp_t, ttl: c_int) -> c_int {
    if !(1..=255).contains(&ttl) {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe { set_ip_option(u, libc::IP_TTL, libc::IPV6_UNICAST_HOPS, ttl) }
}

/// # Safety
/// `u` is an initialized UDP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_set_multicast_ttl(u: *mut uv_udp_t, ttl: c_int) -> c_int {
    if !(0..=255).contains(&ttl) {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe { set_ip_option(u, libc::IP_MULTICAST_TTL, libc::IPV6_MULTICAST_HOPS, ttl) }
}

/// # Safety
/// `u` is an initialized UDP handle.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_set_multicast_loop(u: *mut uv_udp_t, on: c_int) -> c_int {
    if !(0..=255).contains(&on) {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe { set_ip_option(u, libc::IP_MULTICAST_LOOP, libc::IPV6_MULTICAST_LOOP, on) }
}

/// # Safety
/// `u` is an initialized UDP handle; `interface_addr` null or a C string.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_set_multicast_interface(
    u: *mut uv_udp_t,
    interface_addr: *const c_char,
) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        let fd = match option_fd(u) {
            Ok(fd) => fd,
            Err(e) => return e,
        };
        if interface_addr.is_null() {
            return if (*u).flags & F_IPV6 != 0 {
                setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_IF, &0u32)
            } else {
                let any = libc::in_addr { s_addr: 0 };
                setsockopt(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_IF, &any)
            };
        }
        if let Some(a) = parse_ip4(interface_addr) {
            setsockopt(fd, libc::IPPROTO_IP, libc::IP_MULTICAST_IF, &a)
        } else if let Some((_, scope)) = parse_ip6(interface_addr) {
            setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_IF, &scope)
        } else {
            UV_EINVAL
        }
    }
}

/// # Safety
/// `u` is an initialized UDP handle; the strings are null or C strings.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_set_membership(
    u: *mut uv_udp_t,
    multicast_addr: *const c_char,
    interface_addr: *const c_char,
    membership: c_int,
) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        if !usable(u) {
            return UV_EINVAL;
        }
        let join = match membership {
            UV_JOIN_GROUP => true,
            UV_LEAVE_GROUP => false,
            _ => return UV_EINVAL,
        };
        if let Some(group) = parse_ip4(multicast_addr) {
            let err = ensure_socket(u, libc::AF_INET, UV_UDP_REUSEADDR);
            if err != 0 {
                return err;
            }
            let Some(iface) = interface_ip4(interface_addr) else {
                return UV_EINVAL;
            };
            let mreq = libc::ip_mreq {
                imr_multiaddr: group,
                imr_interface: iface,
            };
            let opt = if join {
                libc::IP_ADD_MEMBERSHIP
            } else {
                libc::IP_DROP_MEMBERSHIP
            };
            setsockopt((*u).fd, libc::IPPROTO_IP, opt, &mreq)
        } else if let Some((group, _)) = parse_ip6(multicast_addr) {
            let err = ensure_socket(u, libc::AF_INET6, UV_UDP_REUSEADDR);
            if err != 0 {
                return err;
            }
            let Some(iface) = interface_scope6(interface_addr) else {
                return UV_EINVAL;
            };
            let mreq = libc::ipv6_mreq {
                ipv6mr_multiaddr: group,
                ipv6mr_interface: iface,
            };
            let opt = if join {
                libc::IPV6_ADD_MEMBERSHIP
            } else {
                libc::IPV6_DROP_MEMBERSHIP
            };
            setsockopt((*u).fd, libc::IPPROTO_IPV6, opt, &mreq)
        } else {
            UV_EINVAL
        }
    }
}

/// # Safety
/// `u` is an initialized UDP handle; the strings are null or C strings.
#[no_mangle]
pub unsafe extern "C" fn uv_udp_set_source_membership(
    u: *mut uv_udp_t,
    multicast_addr: *const c_char,
    interface_addr: *const c_char,
    source_addr: *const c_char,
    membership: c_int,
) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        if !usable(u) {
            return UV_EINVAL;
        }
        let join = match membership {
            UV_JOIN_GROUP => true,
            UV_LEAVE_GROUP => false,
            _ => return UV_EINVAL,
        };
        if let Some(group) = parse_ip4(multicast_addr) {
            let Some(source) = parse_ip4(source_addr) else {
                return UV_EINVAL;
            };
            let err = ensure_socket(u, libc::AF_INET, UV_UDP_REUSEADDR);
            if err != 0 {
                return err;
            }
            let Some(iface) = interface_ip4(interface_addr) else {
                return UV_EINVAL;
            };
            let mreq = libc::ip_mreq_source {
                imr_multiaddr: group,
                imr_interface: iface,
                imr_sourceaddr: source,
            };
            let opt = if join {
                libc::IP_ADD_SOURCE_MEMBERSHIP
            } else {
                libc::IP_DROP_SOURCE_MEMBERSHIP
            };
            return setsockopt((*u).fd, libc::IPPROTO_IP, opt, &mreq);
        }
        let Some((group, _)) = parse_ip6(multicast_addr) else {
            return UV_EINVAL;
        };
        let Some((source, _)) = parse_ip6(source_addr) else {
            return UV_EINVAL;
        };
        let err = ensure_socket(u, libc::AF_INET6, UV_UDP_REUSEADDR);
        if err != 0 {
            return err;
        }
        let Some(iface) = interface_scope6(interface_addr) else {
            return UV_EINVAL;
        };
        let mut mreq: libc::group_source_req = zeroed();
        mreq.gsr_interface = iface;
        let g = &mut mreq.gsr_group as *mut _ as *mut libc::sockaddr_in6;
        (*g).sin6_family = libc::AF_INET6 as libc::sa_family_t;
        (*g).sin6_addr = group;
        let s = &mut mreq.gsr_source as *mut _ as *mut libc::sockaddr_in6;
        (*s).sin6_family = libc::AF_INET6 as libc::sa_family_t;
        (*s).sin6_addr = source;
        let opt = if join {
            libc::MCAST_JOIN_SOURCE_GROUP
        } else {
            libc::MCAST_LEAVE_SOURCE_GROUP
        };
        setsockopt((*u).fd, libc::IPPROTO_IPV6, opt, &mreq)
    }
}
