//! `uv_queue_work`, `uv_cancel` and `uv_library_shutdown`: the C face of the
//! engine's process-wide thread pool.

use crate::abi::*;
use crate::r#loop::with_loop;
use rsuv_core::error::{UV_EBUSY, UV_EINVAL};
use rsuv_core::{threadpool, Shared};
use std::ffi::c_int;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Runs on a pool thread.
fn run_work(token: usize) {
    let req = token as *mut uv_work_t;
    // SAFETY: the request stays valid until its after_work_cb; work_cb was
    // checked non-null at submission and is not touched by the loop thread.
    unsafe {
        if let Some(cb) = (*req).work_cb {
            cb(req);
        }
    }
}

/// Runs on the loop thread.
fn after_work(token: usize, status: i32) {
    let req = token as *mut uv_work_t;
    // SAFETY: the request is valid until this callback returns.
    unsafe {
        if let Some(cb) = (*req).after_work_cb {
            cb(req, status);
        }
    }
}

/// Counts a thread-pool request on `lp` (it keeps the loop alive until its
/// done callback) and returns the loop's `Shared` for the job to report to;
/// `None` if `lp` is not an initialized loop.
///
/// # Safety
/// `lp` is null or points to a `uv_loop_t`.
pub(crate) unsafe fn pool_request_started(lp: *mut uv_loop_t) -> Option<Arc<Shared>> {
    // SAFETY: per the contract.
    unsafe {
        with_loop(lp, |l| {
            l.req_started();
            Arc::clone(l.shared())
        })
    }
}

/// # Safety
/// `lp` is an initialized loop; `req` stays valid until `after_work_cb`.
#[no_mangle]
pub unsafe extern "C" fn uv_queue_work(
    lp: *mut uv_loop_t,
    req: *mut uv_work_t,
    work_cb: uv_work_cb,
    after_work_cb: uv_after_work_cb,
) -> c_int {
    if work_cb.is_none() || req.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    let Some(shared) = (unsafe { pool_request_started(lp) }) else {
        return UV_EINVAL;
    };
    // SAFETY: req is writable; filled in before the pool can see it.
    unsafe {
        (*req).req.type_ = UV_WORK;
        (*req).loop_ = lp;
        (*req).work_cb = work_cb;
        (*req).after_work_cb = after_work_cb;
    }
    threadpool::submit(req as usize, run_work, after_work, shared);
    0
}

/// Cancels a thread-pool request that has not started running.
///
/// # Safety
/// `req` points to a request.
#[no_mangle]
pub unsafe extern "C" fn uv_cancel(req: *mut uv_req_t) -> c_int {
    if req.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    match unsafe { (*req).type_ } {
        UV_WORK | UV_FS | UV_GETADDRINFO | UV_GETNAMEINFO | UV_RANDOM => {
            if threadpool::cancel(req as usize) || unsafe { cancelled_already(req) } {
                0
            } else {
                UV_EBUSY
            }
        }
        _ => UV_EINVAL,
    }
}

/// Whether `req` was cancelled and still waits for its callback.
///
/// # Safety
/// `req` is a thread-pool request submitted to an initialized loop.
unsafe fn cancelled_already(req: *mut uv_req_t) -> bool {
    // The request's loop: at offset 64 in every thread-pool request type
    // but uv_fs_t, which has it at 72.
    // SAFETY: req points to a request (per the contract).
    let offset = if unsafe { (*req).type_ } == UV_FS {
        72
    } else {
        64
    };
    // SAFETY: per the contract; the offsets are libuv's public layout.
    unsafe {
        let lp = *((req as *const u8).add(offset) as *const *mut uv_loop_t);
        if lp.is_null() {
            return false;
        }
        match ((*lp).shared as *const rsuv_core::Shared).as_ref() {
            Some(shared) => shared.cancel_pending(req as usize),
            None => false,
        }
    }
}

/// Releases global resources: joins the pool threads and frees the copy of
/// argv kept for the process title. Only the first call does anything;
/// libuv must not be used afterwards. Also runs when the process exits (or
/// the library is unloaded), as libuv's does: see `SHUTDOWN_AT_EXIT`.
#[no_mangle]
pub extern "C" fn uv_library_shutdown() {
    static DONE: AtomicBool = AtomicBool::new(false);
    if !DONE.swap(true, Ordering::AcqRel) {
        threadpool::shutdown();
        crate::process_title::process_title_cleanup();
    }
}

extern "C" fn shutdown_at_exit() {
    uv_library_shutdown();
}

/// libuv's `uv_library_shutdown` is a destructor: at exit the pool threads
/// are joined and the argv copy freed, so a leak checker sees nothing left.
// SAFETY: `.fini_array` holds pointers to `extern "C" fn()` that the
// dynamic loader (or libc, for a static link) calls once at exit or
// unload; `shutdown_at_exit` is one and is safe to call at any time.
#[used]
#[link_section = ".fini_array"]
static SHUTDOWN_AT_EXIT: extern "C" fn() = shutdown_at_exit;
