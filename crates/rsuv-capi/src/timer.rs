//! `uv_timer_*`: the C face of the engine's timer heap.

use crate::abi::*;
use crate::handle::{init, with_handle};
use rsuv_core::error::UV_EINVAL;
use rsuv_core::Kind;
use std::ffi::c_int;

/// Calls the timer callback of the handle at `token`.
pub(crate) fn call(token: usize) {
    let h = token as *mut uv_timer_t;
    // SAFETY: the engine passes a live timer's address.
    unsafe {
        if let Some(cb) = (*h).timer_cb {
            cb(h);
        }
    }
}

/// # Safety
/// `lp` is an initialized loop, `h` writable `uv_timer_t` memory.
#[no_mangle]
pub unsafe extern "C" fn uv_timer_init(lp: *mut uv_loop_t, h: *mut uv_timer_t) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        let r = init(lp, h as *mut uv_handle_t, UV_TIMER, Kind::Timer);
        if r == 0 {
            (*h).timer_cb = None;
        }
        r
    }
}

/// # Safety
/// `h` is an initialized timer.
#[no_mangle]
pub unsafe extern "C" fn uv_timer_start(
    h: *mut uv_timer_t,
    cb: uv_timer_cb,
    timeout: u64,
    repeat: u64,
) -> c_int {
    if cb.is_none() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        with_handle(h as *const uv_handle_t, |l, id| {
            if l.is_closing(id) {
                return UV_EINVAL;
            }
            (*h).timer_cb = cb;
            l.timer_start(id, timeout, repeat);
            0
        })
    }
    .unwrap_or(UV_EINVAL)
}

/// # Safety
/// `h` is an initialized timer.
#[no_mangle]
pub unsafe extern "C" fn uv_timer_stop(h: *mut uv_timer_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { with_handle(h as *const uv_handle_t, |l, id| l.timer_stop(id)) };
    0
}

/// # Safety
/// `h` is an initialized timer.
#[no_mangle]
pub unsafe extern "C" fn uv_timer_again(h: *mut uv_timer_t) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        if h.is_null() || (*h).timer_cb.is_none() {
            return UV_EINVAL;
        }
        with_handle(h as *const uv_handle_t, |l, id| l.timer_again(id)).map_or(UV_EINVAL, |_| 0)
    }
}

/// # Safety
/// `h` is an initialized timer.
#[no_mangle]
pub unsafe extern "C" fn uv_timer_set_repeat(h: *mut uv_timer_t, repeat: u64) {
    // SAFETY: per the contract.
    unsafe {
        with_handle(h as *const uv_handle_t, |l, id| {
            l.timer_set_repeat(id, repeat)
        })
    };
}

/// # Safety
/// `h` is an initialized timer.
#[no_mangle]
pub unsafe extern "C" fn uv_timer_get_repeat(h: *const uv_timer_t) -> u64 {
    // SAFETY: per the contract.
    unsafe { with_handle(h as *const uv_handle_t, |l, id| l.timer_repeat(id)) }.unwrap_or(0)
}

/// # Safety
/// `h` is an initialized timer.
#[no_mangle]
pub unsafe extern "C" fn uv_timer_get_due_in(h: *const uv_timer_t) -> u64 {
    // SAFETY: per the contract.
    unsafe { with_handle(h as *const uv_handle_t, |l, id| l.timer_due_in(id)) }.unwrap_or(0)
}
