//! `uv_poll_*`: readiness callbacks for a descriptor the program owns.

use crate::abi::*;
use crate::handle::{init, with_handle};
use rsuv_core::error::{UV_EBADF, UV_EINVAL};
use rsuv_core::sys::poller::events::{ERR, IN, OUT, PRI, RDHUP};
use rsuv_core::Kind;
use std::ffi::c_int;

pub const UV_READABLE: c_int = 1;
pub const UV_WRITABLE: c_int = 2;
pub const UV_DISCONNECT: c_int = 4;
pub const UV_PRIORITIZED: c_int = 8;

const ALL_EVENTS: u32 = IN | OUT | RDHUP | PRI;

/// Sets `O_NONBLOCK` on `fd`, as libuv does before watching it.
fn set_nonblocking(fd: c_int) -> c_int {
    let mut on: c_int = 1;
    // SAFETY: FIONBIO reads one int from the valid pointer.
    if unsafe { libc::ioctl(fd, libc::FIONBIO, &mut on) } == 0 {
        return 0;
    }
    let err = crate::util::errno();
    if err != libc::ENOTTY {
        return -err;
    }
    // Some descriptors (e.g. epoll) reject the ioctl; fcntl still works.
    // SAFETY: plain fcntl calls on an integer descriptor.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags == -1 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) == -1 {
            return -crate::util::errno();
        }
    }
    0
}

fn io_error(e: std::io::Error) -> c_int {
    -e.raw_os_error().unwrap_or(libc::EIO)
}

/// Delivers readiness to the poll handle at `token`.
pub(crate) fn io(token: usize, events: u32) {
    let h = token as *mut uv_poll_t;
    // SAFETY: the engine passes a live poll handle's address.
    unsafe {
        let Some(cb) = (*h).poll_cb else { return };
        if events & ERR != 0 && events & PRI == 0 {
            // libuv stops the watcher and reports EBADF on a descriptor error.
            with_handle(h as *const uv_handle_t, |l, id| {
                l.io_stop(id, ALL_EVENTS);
                l.deactivate(id);
            });
            cb(h, UV_EBADF, 0);
            return;
        }
        let mut pevents = 0;
        if events & IN != 0 {
            pevents |= UV_READABLE;
        }
        if events & PRI != 0 {
            pevents |= UV_PRIORITIZED;
        }
        if events & OUT != 0 {
            pevents |= UV_WRITABLE;
        }
        if events & RDHUP != 0 {
            pevents |= UV_DISCONNECT;
        }
        cb(h, 0, pevents);
    }
}

/// # Safety
/// `lp` is an initialized loop, `h` writable `uv_poll_t` memory.
#[no_mangle]
pub unsafe extern "C" fn uv_poll_init(lp: *mut uv_loop_t, h: *mut uv_poll_t, fd: c_int) -> c_int {
    if h.is_null() {
        return UV_EINVAL;
    }
    // libuv asks epoll, which answers EBADF for a negative number (the
    // engine cannot lend one to the kernel interface).
    if fd < 0 {
        return UV_EBADF;
    }
    // SAFETY: per the contract.
    let checked = unsafe {
        crate::r#loop::with_loop(lp, |l| {
            if l.fd_watcher(fd).is_some() {
                return rsuv_core::error::UV_EEXIST;
            }
            l.io_check_fd(fd).map_or_else(io_error, |()| 0)
        })
    };
    match checked {
        None => return UV_EINVAL,
        Some(0) => {}
        Some(err) => return err,
    }
    let err = set_nonblocking(fd);
    if err != 0 {
        return err;
    }
    // SAFETY: per the contract.
    unsafe {
        let r = init(lp, h as *mut uv_handle_t, UV_POLL, Kind::Other);
        if r == 0 {
            (*h).poll_cb = None;
            (*h).fd = fd;
        }
        r
    }
}

/// On Unix a socket is a descriptor: the same as `uv_poll_init`.
///
/// # Safety
/// As `uv_poll_init`.
#[no_mangle]
pub unsafe extern "C" fn uv_poll_init_socket(
    lp: *mut uv_loop_t,
    h: *mut uv_poll_t,
    socket: c_int,
) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { uv_poll_init(lp, h, socket) }
}

/// # Safety
/// `h` is an initialized poll handle.
#[no_mangle]
pub unsafe extern "C" fn uv_poll_start(h: *mut uv_poll_t, pevents: c_int, cb: uv_poll_cb) -> c_int {
    if pevents & !(UV_READABLE | UV_WRITABLE | UV_DISCONNECT | UV_PRIORITIZED) != 0 {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        let fd = (*h).fd;
        with_handle(h as *const uv_handle_t, |l, id| {
            if l.is_closing(id) {
                return UV_EINVAL;
            }
            if l.fd_watcher(fd).is_some_and(|w| w != id) {
                return rsuv_core::error::UV_EEXIST;
            }
            l.io_stop(id, ALL_EVENTS);
            l.deactivate(id);
            if pevents == 0 {
                return 0;
            }
            let mut events = 0;
            if pevents & UV_READABLE != 0 {
                events |= IN;
            }
            if pevents & UV_PRIORITIZED != 0 {
                events |= PRI;
            }
            if pevents & UV_WRITABLE != 0 {
                events |= OUT;
            }
            if pevents & UV_DISCONNECT != 0 {
                events |= RDHUP;
            }
            if let Err(e) = l.io_start(id, fd, events) {
                return io_error(e);
            }
            l.activate(id);
            (*h).poll_cb = cb;
            0
        })
    }
    .unwrap_or(UV_EINVAL)
}

/// # Safety
/// `h` is an initialized poll handle.
#[no_mangle]
pub unsafe extern "C" fn uv_poll_stop(h: *mut uv_poll_t) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        with_handle(h as *const uv_handle_t, |l, id| {
            l.io_stop(id, ALL_EVENTS);
            l.deactivate(id);
        })
    };
    0
}
