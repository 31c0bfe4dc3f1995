//! `uv_idle_*`, `uv_prepare_*`, `uv_check_*`: handles whose callback runs
//! once per loop iteration in their phase. The three share one layout and
//! one implementation.

use crate::abi::*;
use crate::handle::{init, with_handle};
use rsuv_core::error::UV_EINVAL;
use rsuv_core::Kind;
use std::ffi::c_int;

/// Calls the callback of the idle, prepare or check handle at `token`.
pub(crate) fn call(token: usize) {
    let h = token as *mut uv_watcher_t;
    // SAFETY: the engine passes a live watcher's address.
    unsafe {
        if let Some(cb) = (*h).cb {
            cb(h);
        }
    }
}

unsafe fn watcher_init(
    lp: *mut uv_loop_t,
    h: *mut uv_watcher_t,
    type_: c_int,
    kind: Kind,
) -> c_int {
    // SAFETY: the caller's contract: lp a loop, h writable.
    unsafe {
        let r = init(lp, h as *mut uv_handle_t, type_, kind);
        if r == 0 {
            (*h).cb = None;
        }
        r
    }
}

unsafe fn watcher_start(h: *mut uv_watcher_t, cb: uv_watcher_cb) -> c_int {
    // SAFETY: the caller's contract: h an initialized watcher.
    unsafe {
        with_handle(h as *const uv_handle_t, |l, id| {
            if l.is_active(id) {
                return 0;
            }
            if cb.is_none() || l.is_closing(id) {
                return UV_EINVAL;
            }
            (*h).cb = cb;
            l.watcher_start(id);
            0
        })
    }
    .unwrap_or(UV_EINVAL)
}

unsafe fn watcher_stop(h: *mut uv_watcher_t) -> c_int {
    // SAFETY: the caller's contract: h an initialized watcher.
    unsafe { with_handle(h as *const uv_handle_t, |l, id| l.watcher_stop(id)) };
    0
}

macro_rules! loop_watcher {
    ($kind:expr, $type_:expr, $init:ident, $start:ident, $stop:ident) => {
        /// # Safety
        /// `lp` is an initialized loop, `h` writable handle memory.
        #[no_mangle]
        pub unsafe extern "C" fn $init(lp: *mut uv_loop_t, h: *mut uv_watcher_t) -> c_int {
            // SAFETY: forwarded contract.
            unsafe { watcher_init(lp, h, $type_, $kind) }
        }

        /// # Safety
        /// `h` is an initialized handle of this type.
        #[no_mangle]
        pub unsafe extern "C" fn $start(h: *mut uv_watcher_t, cb: uv_watcher_cb) -> c_int {
            // SAFETY: forwarded contract.
            unsafe { watcher_start(h, cb) }
        }

        /// # Safety
        /// `h` is an initialized handle of this type.
        #[no_mangle]
        pub unsafe extern "C" fn $stop(h: *mut uv_watcher_t) -> c_int {
            // SAFETY: forwarded contract.
            unsafe { watcher_stop(h) }
        }
    };
}

loop_watcher!(
    Kind::Idle,
    UV_IDLE,
    uv_idle_init,
    uv_idle_start,
    uv_idle_stop
);
loop_watcher!(
    Kind::Prepare,
    UV_PREPARE,
    uv_prepare_init,
    uv_prepare_start,
    uv_prepare_stop
);
loop_watcher!(
    Kind::Check,
    UV_CHECK,
    uv_check_init,
    uv_check_start,
    uv_check_stop
);
