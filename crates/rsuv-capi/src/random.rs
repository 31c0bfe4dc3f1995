//! `uv_random`: random bytes from the kernel, inline (no callback) or on the
//! thread pool with the callback on the loop thread.
//!
//! As in libuv: more than `INT32_MAX` bytes is `UV_E2BIG` and a non-zero
//! `flags` `UV_EINVAL`, both checked before anything else; a synchronous
//! call neither needs a loop nor touches the request; an asynchronous one
//! counts as an active request of its loop until its callback, which gets
//! the status, the buffer and its length, and can be cancelled while queued
//! (`UV_ECANCELED`).

#![allow(non_camel_case_types)]

use core::ffi::{c_int, c_uint, c_void};

use rsuv_core::error::{UV_E2BIG, UV_ECANCELED, UV_EINVAL};
use rsuv_core::threadpool;

use crate::abi::{uv_loop_t, uv_req_t, UV_RANDOM};
use crate::threadpool::pool_request_started;

pub type uv_random_cb = Option<unsafe extern "C" fn(*mut uv_random_t, c_int, *mut c_void, usize)>;

/// `uv_random_t`: the public `loop`, then libuv's private fields.
#[repr(C)]
pub struct uv_random_t {
    pub req: uv_req_t,
    pub loop_: *mut uv_loop_t,
    status: c_int,
    buf: *mut c_void,
    buflen: usize,
    cb: uv_random_cb,
    work_req: [*mut c_void; 5],
}

const _: () = {
    assert!(core::mem::size_of::<uv_random_t>() == 144);
    assert!(core::mem::offset_of!(uv_random_t, loop_) == 64);
};

/// Fills the caller's buffer.
///
/// # Safety
/// `buf` is valid for writes of `len` bytes (or `len` is 0).
unsafe fn fill(buf: *mut c_void, len: usize) -> c_int {
    if len == 0 {
        return 0;
    }
    // SAFETY: per the contract.
    let bytes = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), len) };
    match rsuv_core::random::fill(bytes) {
        Ok(()) => 0,
        Err(e) => -e.raw_os_error(),
    }
}

fn run_on_pool(token: usize) {
    let req = token as *mut uv_random_t;
    // SAFETY: the request and its buffer stay valid, untouched by the loop
    // thread, until the callback.
    unsafe { (*req).status = fill((*req).buf, (*req).buflen) };
}

fn finish_on_loop(token: usize, status: i32) {
    let req = token as *mut uv_random_t;
    // SAFETY: the request is valid until its callback returns.
    unsafe {
        let status = if status == threadpool::CANCELED {
            UV_ECANCELED
        } else {
            (*req).status
        };
        if let Some(cb) = (*req).cb {
            cb(req, status, (*req).buf, (*req).buflen);
        }
    }
}

/// # Safety
/// `buf` is valid for writes of `buflen` bytes until the callback (or the
/// return, without one); with `cb`, `loop_` is an initialized loop and
/// `req` stays valid until the callback.
#[no_mangle]
pub unsafe extern "C" fn uv_random(
    loop_: *mut uv_loop_t,
    req: *mut uv_random_t,
    buf: *mut c_void,
    buflen: usize,
    flags: c_uint,
    cb: uv_random_cb,
) -> c_int {
    if buflen > 0x7FFF_FFFF {
        return UV_E2BIG;
    }
    if flags != 0 {
        return UV_EINVAL;
    }
    if buf.is_null() && buflen > 0 {
        return UV_EINVAL;
    }
    if cb.is_none() {
        // SAFETY: per the contract.
        return unsafe { fill(buf, buflen) };
    }
    if req.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    let Some(shared) = (unsafe { pool_request_started(loop_) }) else {
        return UV_EINVAL;
    };
    // SAFETY: `req` is writable; filled in before the pool can see it.
    unsafe {
        (*req).req.type_ = UV_RANDOM;
        (*req).loop_ = loop_;
        (*req).status = 0;
        (*req).cb = cb;
        (*req).buf = buf;
        (*req).buflen = buflen;
    }
    threadpool::submit(req as usize, run_on_pool, finish_on_loop, shared);
    0
}
