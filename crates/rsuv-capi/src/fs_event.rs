//! `uv_fs_event_*`: the C face of the engine's inotify watches
//! (`rsuv_core::fs_event`), and the callbacks they make.
//!
//! The engine keeps everything it needs (the path, the watches, which start
//! is current); the struct gets `cb` and, while started, `path`: a copy of
//! the path in the user's allocator, set to NULL again on stop, as programs
//! reading libuv's `path` field expect.

#![allow(non_camel_case_types)]

use crate::abi::*;
use crate::handle::{init, with_handle};
use rsuv_core::error::{UV_EINVAL, UV_ENOMEM};
use rsuv_core::{HandleId, Kind, Loop};
use std::ffi::{c_char, c_int, c_uint, c_void, CStr};

pub const UV_FS_EVENT: c_int = 3;
const UV_FS_EVENT_RECURSIVE: c_uint = 4;

pub type uv_fs_event_cb =
    Option<unsafe extern "C" fn(*mut uv_fs_event_t, *const c_char, c_int, c_int)>;

/// `uv_fs_event_t`: 136 bytes, `path` at 96, `cb` at 104.
#[repr(C)]
pub struct uv_fs_event_t {
    pub handle: uv_handle_t,
    pub path: *mut c_char,
    pub cb: uv_fs_event_cb,
    _private: [*mut c_void; 3],
}

const _: () = {
    assert!(std::mem::size_of::<uv_fs_event_t>() == 136);
    assert!(std::mem::offset_of!(uv_fs_event_t, path) == 96);
    assert!(std::mem::offset_of!(uv_fs_event_t, cb) == 104);
};

/// Readiness of an internal watcher: if it is `lp`'s inotify descriptor,
/// delivers its events and returns true.
pub(crate) fn inotify_io(lp: *mut uv_loop_t, token: usize) -> bool {
    // SAFETY: `lp` is the loop being run (the host's own loop).
    let Some(bx) = (unsafe { crate::r#loop::loop_box(lp) }) else {
        return false;
    };
    rsuv_core::fs_event::dispatch(&bx.engine, token, |handle, name, events, status| {
        let h = handle as *mut uv_fs_event_t;
        // SAFETY: the engine passes a handle it checked is started and not
        // closing, so its memory is valid; `name` lives through the call.
        unsafe {
            if let Some(cb) = (*h).cb {
                cb(h, name.as_ptr(), events, status);
            }
        }
    })
}

/// Stops `h` in the engine and drops its `path` copy.
///
/// # Safety
/// `h` is the live handle `id` of `l`.
unsafe fn stop(l: &mut Loop, id: HandleId, h: *mut uv_fs_event_t) {
    if l.fs_event_stop(id) {
        // SAFETY: per the contract; `path` is our strdup from the start.
        unsafe {
            crate::alloc::free((*h).path as *mut c_void);
            (*h).path = std::ptr::null_mut();
        }
    }
}

/// `uv_loop_fork` could not watch the handle at `token` again, and the
/// engine stopped it: drop its `path` copy, as a stop does.
///
/// # Safety
/// `token` is the address of a live fs_event handle.
pub(crate) unsafe fn stopped_by_fork(token: usize) {
    let h = token as *mut uv_fs_event_t;
    // SAFETY: per the contract; `path` is our strdup from the start.
    unsafe {
        crate::alloc::free((*h).path as *mut c_void);
        (*h).path = std::ptr::null_mut();
    }
}

/// The type-specific part of `uv_close`, with the engine borrowed.
///
/// # Safety
/// `h` is the live handle `id` of `l`.
pub(crate) unsafe fn close(l: &mut Loop, id: HandleId, h: *mut uv_handle_t) {
    // SAFETY: per the contract, h is an fs_event handle.
    unsafe { stop(l, id, h as *mut uv_fs_event_t) };
}

/// # Safety
/// `lp` is an initialized loop, `h` writable `uv_fs_event_t` memory.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_event_init(lp: *mut uv_loop_t, h: *mut uv_fs_event_t) -> c_int {
    if h.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        let r = init(lp, h as *mut uv_handle_t, UV_FS_EVENT, Kind::Other);
        if r == 0 {
            (*h).path = std::ptr::null_mut();
            (*h).cb = None;
        }
        r
    }
}

/// libuv ignores `UV_FS_EVENT_WATCH_ENTRY` and `UV_FS_EVENT_STAT`;
/// `UV_FS_EVENT_RECURSIVE` watches the whole tree (see the engine). A
/// null callback is accepted, as libuv accepts it (the handle is started;
/// its events go nowhere).
///
/// # Safety
/// `h` is an initialized fs_event handle; `path` a C string.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_event_start(
    h: *mut uv_fs_event_t,
    cb: uv_fs_event_cb,
    path: *const c_char,
    flags: c_uint,
) -> c_int {
    if h.is_null() || path.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    let path = unsafe { CStr::from_ptr(path) };
    let recursive = flags & UV_FS_EVENT_RECURSIVE != 0;
    // SAFETY: per the contract.
    unsafe {
        with_handle(h as *const uv_handle_t, |l, id| {
            if l.is_closing(id) || l.is_active(id) {
                return UV_EINVAL;
            }
            let copy = crate::alloc::strdup(path);
            if copy.is_null() {
                return UV_ENOMEM;
            }
            match l.fs_event_start(id, h as usize, path, recursive) {
                Ok(()) => {
                    (*h).cb = cb;
                    (*h).path = copy;
                    0
                }
                Err(e) => {
                    crate::alloc::free(copy as *mut c_void);
                    -e.raw_os_error()
                }
            }
        })
    }
    .unwrap_or(UV_EINVAL)
}

/// # Safety
/// `h` is an initialized fs_event handle.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_event_stop(h: *mut uv_fs_event_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { with_handle(h as *const uv_handle_t, |l, id| stop(l, id, h)) }
        .map_or(UV_EINVAL, |()| 0)
}

/// The path the handle was started on, as libuv gives it: `UV_EINVAL` (and
/// `*size` 0) when not started, `UV_ENOBUFS` with `*size` the size needed
/// (NUL included) when it does not fit, else the length.
///
/// # Safety
/// `h` is an initialized fs_event handle; `buffer` holds `*size` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_event_getpath(
    h: *mut uv_fs_event_t,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        with_handle(h as *const uv_handle_t, |l, id| {
            let path = l.fs_event_path(id).filter(|_| l.is_active(id));
            crate::util::copy_path_out(path.map(CStr::to_bytes), buffer, size)
        })
    }
    .unwrap_or(UV_EINVAL)
}
