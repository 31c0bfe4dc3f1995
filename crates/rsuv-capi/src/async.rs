//! `uv_async_init` / `uv_async_send`: waking a loop from any thread.
//!
//! A send sets the handle's `pending` flag and wakes the loop only on the
//! flag's 0→1 edge, so sends coalesce; the loop clears the flag before the
//! callback. `busy` counts senders still inside `uv_async_send`, so
//! `uv_close` can wait for them before the memory may be freed.

use crate::abi::*;
use crate::handle::init;
use rsuv_core::error::UV_EINVAL;
use rsuv_core::{Kind, Shared};
use std::ffi::c_int;
use std::sync::atomic::Ordering;

/// Delivers a wakeup to the async handle at `token`.
pub(crate) fn wakeup(token: usize) {
    let h = token as *mut uv_async_t;
    // SAFETY: the engine passes a live async handle's address; `pending` is
    // only accessed atomically.
    unsafe {
        if (*h).pending.swap(0, Ordering::SeqCst) == 0 {
            return;
        }
        if let Some(cb) = (*h).async_cb {
            cb(h);
        }
    }
}

/// In a forked child (`uv_loop_fork`), after the loop got its new
/// `Shared`: senders counted in `busy` were threads that the child does
/// not have, so none is left (else `uv_close` would wait for them
/// forever). A send already made is kept: the new wakeup is raised for it,
/// so its callback still comes.
///
/// # Safety
/// `h` is a live async handle of an initialized loop.
pub(crate) unsafe fn after_fork(h: *mut uv_async_t) {
    // SAFETY: per the contract; atomics only, and the loop's Shared is
    // valid while the loop is.
    unsafe {
        (*h).busy.store(0, Ordering::SeqCst);
        if (*h).pending.load(Ordering::SeqCst) != 0 {
            let lp = (*h).handle.loop_;
            if let Some(shared) = ((*lp).shared as *const Shared).as_ref() {
                shared.wake();
            }
        }
    }
}

/// Waits until no thread is inside `uv_async_send` for `h`.
///
/// # Safety
/// `h` points to an async handle.
pub(crate) unsafe fn wait_for_senders(h: *mut uv_async_t) {
    let mut spins = 0u32;
    // SAFETY: per the contract; atomic reads only.
    while unsafe { (*h).busy.load(Ordering::SeqCst) } != 0 {
        spins += 1;
        if spins < 1000 {
            std::hint::spin_loop();
        } else {
            std::thread::yield_now();
        }
    }
}

/// # Safety
/// `lp` is an initialized loop, `h` writable `uv_async_t` memory.
#[no_mangle]
pub unsafe extern "C" fn uv_async_init(
    lp: *mut uv_loop_t,
    h: *mut uv_async_t,
    cb: uv_async_cb,
) -> c_int {
    if h.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: h is writable; the flags are reset before the handle is
    // registered, so no sender can see stale values.
    unsafe {
        (*h).pending.store(0, Ordering::SeqCst);
        (*h).busy.store(0, Ordering::SeqCst);
        (*h).async_cb = cb;
        init(lp, h as *mut uv_handle_t, UV_ASYNC, Kind::Async)
    }
}

/// Thread-safe, as libuv documents.
///
/// # Safety
/// `h` is an initialized async handle not yet closed.
#[no_mangle]
pub unsafe extern "C" fn uv_async_send(h: *mut uv_async_t) -> c_int {
    if h.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: h is a live async handle, its loop field is fixed since init,
    // and the loop's Shared outlives its handles. Only atomics are touched.
    unsafe {
        if (*h).pending.load(Ordering::Relaxed) != 0 {
            return 0;
        }
        (*h).busy.fetch_add(1, Ordering::SeqCst);
        if (*h).pending.swap(1, Ordering::SeqCst) == 0 {
            let lp = (*h).handle.loop_;
            if let Some(shared) = ((*lp).shared as *const Shared).as_ref() {
                shared.wake();
            }
        }
        (*h).busy.fetch_sub(1, Ordering::SeqCst);
    }
    0
}
