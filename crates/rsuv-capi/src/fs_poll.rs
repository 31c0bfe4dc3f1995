//! `uv_fs_poll_*`: the C face of the engine's polling sessions
//! (`rsuv_core::fs_poll`): the memory of each session, its stat on the
//! thread pool, and the callback.
//!
//! A session's memory ([`Session`]) is allocated by each start and freed
//! when the engine says it is done: at stop when no stat is in flight, else
//! when that stat returns, so a job never outlives what it writes to. The
//! handle itself is touched only while the engine reports it started and
//! not closing; its close callback waits for any stat still in flight.

#![allow(non_camel_case_types)]

use crate::abi::*;
use crate::fs::uv_stat_t;
use crate::handle::{init, with_handle};
use crate::r#loop::with_loop;
use rsuv_core::error::UV_EINVAL;
use rsuv_core::fs::{Errno, Stat};
use rsuv_core::{threadpool, HandleId, Kind, Loop};
use std::ffi::{c_char, c_int, c_uint, c_void, CStr, CString};
use std::sync::{Arc, Mutex};

pub const UV_FS_POLL: c_int = 4;

pub type uv_fs_poll_cb =
    Option<unsafe extern "C" fn(*mut uv_fs_poll_t, c_int, *const uv_stat_t, *const uv_stat_t)>;

/// `uv_fs_poll_t`: 104 bytes, `poll_ctx` at 96.
#[repr(C)]
pub struct uv_fs_poll_t {
    pub handle: uv_handle_t,
    /// The current session while polling (never read back), as in libuv.
    pub poll_ctx: *mut c_void,
}

const _: () = {
    assert!(std::mem::size_of::<uv_fs_poll_t>() == 104);
    assert!(std::mem::offset_of!(uv_fs_poll_t, poll_ctx) == 96);
};

/// One start..stop period; its address is the session's token for the
/// engine, its internal timer and its thread-pool job.
#[repr(C)]
struct Session {
    /// First, so the session's address is that of a `uv_timer_t` whose
    /// callback is [`timer_fired`]: the engine's internal timer calls back
    /// through the ordinary timer path.
    timer: uv_timer_t,
    lp: *mut uv_loop_t,
    handle: *mut uv_fs_poll_t,
    cb: uv_fs_poll_cb,
    /// Read by the pool thread while a stat is in flight, never changed.
    path: CString,
    /// Written by the pool thread, taken by the loop thread.
    result: Mutex<Option<Result<Stat, Errno>>>,
}

/// Frees a session the engine is done with.
///
/// # Safety
/// `token` came from `Box::into_raw` in `uv_fs_poll_start` and nothing
/// refers to it any more.
unsafe fn free_session(token: usize) {
    // SAFETY: per the contract.
    drop(unsafe { Box::from_raw(token as *mut Session) });
}

/// Queues the session's stat (already counted by the engine as due).
fn submit(l: &mut Loop, token: usize) {
    l.req_started();
    threadpool::submit(token, stat_work, stat_done, Arc::clone(l.shared()));
}

/// Runs on a pool thread.
fn stat_work(token: usize) {
    // SAFETY: a session stays allocated while its stat is in flight; the
    // loop thread meanwhile only reads `path`, and `result` is a mutex.
    let s = unsafe { &*(token as *const Session) };
    let r = rsuv_core::fs::stat(&s.path);
    *s.result.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
}

/// Runs on the loop thread when the stat is back.
fn stat_done(token: usize, status: i32) {
    // SAFETY: the session stays allocated until fs_poll_continue below says
    // to free it; the job is finished, so nothing else touches it.
    let (lp, handle, cb, result) = unsafe {
        let s = &*(token as *const Session);
        let r = s.result.lock().unwrap_or_else(|e| e.into_inner()).take();
        (s.lp, s.handle, s.cb, r)
    };
    let result = result.unwrap_or(Err(Errno::from_raw_os_error(-status)));
    // SAFETY: the loop cannot be closed while this request was in flight.
    let report = unsafe { with_loop(lp, |l| l.fs_poll_result(token, result)) }.flatten();
    if let (Some(r), Some(cb)) = (report, cb) {
        let prev = uv_stat_t::from(&r.prev);
        let curr = uv_stat_t::from(&r.curr);
        // SAFETY: the engine reports only to a started, not closing handle,
        // whose memory is valid; the stats live through the call.
        unsafe { cb(handle, r.status, &prev, &curr) };
    }
    // SAFETY: as above; the callback may have stopped or closed the handle,
    // which the engine knows.
    let free = unsafe { with_loop(lp, |l| l.fs_poll_continue(token)) }.unwrap_or(false);
    if free {
        // SAFETY: the engine is done with it and the job has finished.
        unsafe { free_session(token) };
    }
}

/// The session's internal timer: the next stat is due.
unsafe extern "C" fn timer_fired(timer: *mut uv_timer_t) {
    let token = timer as usize;
    // SAFETY: the timer is the first field of a live session (the engine
    // removes the timer before the session can be freed).
    let lp = unsafe { (*(token as *const Session)).lp };
    // SAFETY: the session's loop is running this callback.
    unsafe {
        with_loop(lp, |l| {
            if l.fs_poll_timer(token) {
                submit(l, token);
            }
        })
    };
}

/// Stops `h` in the engine; frees its session unless a stat is out.
///
/// # Safety
/// `h` is the live handle `id` of `l`.
unsafe fn stop(l: &mut Loop, id: HandleId, h: *mut uv_fs_poll_t) {
    if let Some(token) = l.fs_poll_stop(id) {
        // SAFETY: the engine is done with it; no stat is in flight.
        unsafe { free_session(token) };
    }
    // SAFETY: per the contract.
    unsafe { (*h).poll_ctx = std::ptr::null_mut() };
}

/// The type-specific part of `uv_close`, with the engine borrowed: stops
/// polling; while a stat is in flight the engine holds the close callback.
///
/// # Safety
/// `h` is the live handle `id` of `l`.
pub(crate) unsafe fn close(l: &mut Loop, id: HandleId, h: *mut uv_handle_t) {
    if let Some(token) = l.fs_poll_close(id) {
        // SAFETY: as in `stop`.
        unsafe { free_session(token) };
    }
    // SAFETY: per the contract, h is an fs_poll handle.
    unsafe { (*(h as *mut uv_fs_poll_t)).poll_ctx = std::ptr::null_mut() };
}

/// # Safety
/// `lp` is an initialized loop, `h` writable `uv_fs_poll_t` memory.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_poll_init(lp: *mut uv_loop_t, h: *mut uv_fs_poll_t) -> c_int {
    if h.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        let r = init(lp, h as *mut uv_handle_t, UV_FS_POLL, Kind::Other);
        if r == 0 {
            (*h).poll_ctx = std::ptr::null_mut();
        }
        r
    }
}

/// Starting a handle that is polling already does nothing, as in libuv. A
/// null callback is accepted, as libuv accepts it: the handle is started
/// and polls, and reports go nowhere (libuv would call NULL at the first).
///
/// # Safety
/// `h` is an initialized fs_poll handle; `path` a C string.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_poll_start(
    h: *mut uv_fs_poll_t,
    cb: uv_fs_poll_cb,
    path: *const c_char,
    interval: c_uint,
) -> c_int {
    if h.is_null() || path.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    let path = unsafe { CStr::from_ptr(path) }.to_owned();
    // SAFETY: per the contract, and with_handle checked that `h` is a live
    // handle; the new session is ours alone until the engine knows it.
    unsafe {
        with_handle(h as *const uv_handle_t, |l, id| {
            if l.is_closing(id) {
                return UV_EINVAL;
            }
            if l.is_active(id) {
                return 0;
            }
            let s = Box::new(Session {
                // SAFETY: uv_timer_t is plain data (pointers, integers,
                // optional function pointers), valid all zero.
                timer: std::mem::zeroed(),
                lp: (*h).handle.loop_,
                handle: h,
                cb,
                path,
                result: Mutex::new(None),
            });
            let s = Box::into_raw(s);
            (*s).timer.handle.loop_ = (*h).handle.loop_;
            (*s).timer.handle.type_ = UV_TIMER;
            (*s).timer.timer_cb = Some(timer_fired);
            let token = s as usize;
            if !l.fs_poll_start(id, token, interval) {
                // Refused, so never handed out.
                free_session(token);
                return 0;
            }
            submit(l, token);
            (*h).poll_ctx = s as *mut c_void;
            0
        })
    }
    .unwrap_or(UV_EINVAL)
}

/// # Safety
/// `h` is an initialized fs_poll handle.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_poll_stop(h: *mut uv_fs_poll_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { with_handle(h as *const uv_handle_t, |l, id| stop(l, id, h)) }
        .map_or(UV_EINVAL, |()| 0)
}

/// As `uv_fs_event_getpath`: `UV_EINVAL` (and `*size` 0) when not polling,
/// `UV_ENOBUFS` with the size needed, else the length.
///
/// # Safety
/// `h` is an initialized fs_poll handle; `buffer` holds `*size` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_poll_getpath(
    h: *mut uv_fs_poll_t,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: per the contract; a current session is live (see `Session`).
    unsafe {
        with_handle(h as *const uv_handle_t, |l, id| {
            let session = l.fs_poll_session(id).filter(|_| l.is_active(id));
            let path = session.map(|token| (*(token as *const Session)).path.to_bytes());
            crate::util::copy_path_out(path, buffer, size)
        })
    }
    .unwrap_or(UV_EINVAL)
}
