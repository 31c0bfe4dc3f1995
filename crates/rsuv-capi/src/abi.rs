//! Rust mirrors of the C structs this layer reads and writes, with libuv's
//! sizes and public-field offsets (checked at compile time below).
//!
//! Private areas are ours: every handle keeps its engine id at offset 32,
//! right after the public `uv_handle_t` fields; a loop keeps its engine box in
//! `internal_fields` and its thread-safe wakeup in the private area.
#![allow(non_camel_case_types)]

use std::ffi::{c_int, c_uint, c_void};
use std::mem::{offset_of, size_of};
use std::sync::atomic::AtomicI32;

pub type uv_close_cb = Option<unsafe extern "C" fn(*mut uv_handle_t)>;
pub type uv_timer_cb = Option<unsafe extern "C" fn(*mut uv_timer_t)>;
pub type uv_watcher_cb = Option<unsafe extern "C" fn(*mut uv_watcher_t)>;
pub type uv_poll_cb = Option<unsafe extern "C" fn(*mut uv_poll_t, c_int, c_int)>;
pub type uv_async_cb = Option<unsafe extern "C" fn(*mut uv_async_t)>;
pub type uv_walk_cb = Option<unsafe extern "C" fn(*mut uv_handle_t, *mut c_void)>;
pub type uv_work_cb = Option<unsafe extern "C" fn(*mut uv_work_t)>;
pub type uv_after_work_cb = Option<unsafe extern "C" fn(*mut uv_work_t, c_int)>;

// uv_handle_type values.
pub const UV_UNKNOWN_HANDLE: c_int = 0;
pub const UV_ASYNC: c_int = 1;
pub const UV_CHECK: c_int = 2;
pub const UV_IDLE: c_int = 6;
pub const UV_NAMED_PIPE: c_int = 7;
pub const UV_POLL: c_int = 8;
pub const UV_PREPARE: c_int = 9;
pub const UV_TCP: c_int = 12;
pub const UV_TIMER: c_int = 13;
pub const UV_TTY: c_int = 14;
pub const UV_UDP: c_int = 15;
pub const UV_SIGNAL: c_int = 16;
pub const UV_FILE: c_int = 17;
pub const UV_HANDLE_TYPE_MAX: c_int = 18;

// uv_req_type values.
pub const UV_WORK: c_int = 7;
pub const UV_FS: c_int = 6;
pub const UV_GETADDRINFO: c_int = 8;
pub const UV_GETNAMEINFO: c_int = 9;
pub const UV_RANDOM: c_int = 10;
pub const UV_REQ_TYPE_MAX: c_int = 11;

pub const UV_LOOP_SIZE: usize = 848;

#[repr(C)]
pub struct uv_loop_t {
    pub data: *mut c_void,
    pub active_handles: c_uint,
    pub handle_queue: [*mut c_void; 2],
    /// `union { void* unused; unsigned int count; } active_reqs`.
    pub active_reqs: usize,
    /// Our `LoopBox`.
    pub internal_fields: *mut c_void,
    pub stop_flag: c_uint,
    /// The loop's `rsuv_core::Shared`, for other threads.
    pub shared: *const c_void,
    /// A descriptor held in reserve for accept's EMFILE recovery, or -1.
    pub emfile_fd: c_int,
    _private: [u8; UV_LOOP_SIZE - 68],
}

/// The fields every handle starts with.
#[repr(C)]
pub struct uv_handle_t {
    pub data: *mut c_void,
    pub loop_: *mut uv_loop_t,
    pub type_: c_int,
    pub close_cb: uv_close_cb,
    /// The engine's id for this handle.
    pub id: u32,
    _private: [u8; 52],
    /// Where libuv keeps its private `UV_HANDLE_*` flags (offset 88):
    /// programs and libuv's own tests read and even set a few of them, so
    /// rsuv mirrors the bits it knows to be true (a stream's READABLE and
    /// WRITABLE as opened, a TTY's BLOCKING_WRITES) and honours READABLE
    /// and WRITABLE set by the program before a stream is opened.
    pub libuv_flags: u32,
    _pad: u32,
}

/// libuv's `UV_HANDLE_*` bits of `uv_handle_t.libuv_flags` that rsuv
/// mirrors or honours.
pub const UV_HANDLE_READABLE: u32 = 0x0000_4000;
pub const UV_HANDLE_WRITABLE: u32 = 0x0000_8000;
pub const UV_HANDLE_BLOCKING_WRITES: u32 = 0x0010_0000;

const _: () = assert!(std::mem::offset_of!(uv_handle_t, libuv_flags) == 88);

#[repr(C)]
pub struct uv_timer_t {
    pub handle: uv_handle_t,
    pub timer_cb: uv_timer_cb,
    _private: [u8; 48],
}

/// `uv_idle_t`, `uv_prepare_t` and `uv_check_t` share this layout.
#[repr(C)]
pub struct uv_watcher_t {
    pub handle: uv_handle_t,
    pub cb: uv_watcher_cb,
    _private: [u8; 16],
}

#[repr(C)]
pub struct uv_async_t {
    pub handle: uv_handle_t,
    pub async_cb: uv_async_cb,
    /// Set by `uv_async_send`, cleared by the loop before the callback.
    pub pending: AtomicI32,
    /// Senders inside `uv_async_send`; `uv_close` waits for zero.
    pub busy: AtomicI32,
    _private: [u8; 16],
}

#[repr(C)]
pub struct uv_poll_t {
    pub handle: uv_handle_t,
    pub poll_cb: uv_poll_cb,
    /// The descriptor, for `uv_fileno`.
    pub fd: c_int,
    _private: [u8; 52],
}

#[repr(C)]
pub struct uv_req_t {
    pub data: *mut c_void,
    pub type_: c_int,
    pub reserved: [*mut c_void; 6],
}

#[repr(C)]
pub struct uv_work_t {
    pub req: uv_req_t,
    pub loop_: *mut uv_loop_t,
    pub work_cb: uv_work_cb,
    pub after_work_cb: uv_after_work_cb,
    _private: [u8; 40],
}

#[repr(C)]
pub struct uv_metrics_t {
    pub loop_count: u64,
    pub events: u64,
    pub events_waiting: u64,
    pub reserved: [*mut u64; 13],
}

// The layout table in shared/abi is the authority; these catch drift early.
const _: () = {
    assert!(size_of::<uv_loop_t>() == 848);
    assert!(offset_of!(uv_loop_t, active_handles) == 8);
    assert!(offset_of!(uv_loop_t, active_reqs) == 32);
    assert!(offset_of!(uv_loop_t, internal_fields) == 40);
    assert!(offset_of!(uv_loop_t, stop_flag) == 48);
    assert!(size_of::<uv_handle_t>() == 96);
    assert!(offset_of!(uv_handle_t, type_) == 16);
    assert!(offset_of!(uv_handle_t, close_cb) == 24);
    assert!(size_of::<uv_timer_t>() == 152);
    assert!(offset_of!(uv_timer_t, timer_cb) == 96);
    assert!(size_of::<uv_watcher_t>() == 120);
    assert!(offset_of!(uv_watcher_t, cb) == 96);
    assert!(size_of::<uv_async_t>() == 128);
    assert!(offset_of!(uv_async_t, async_cb) == 96);
    assert!(size_of::<uv_poll_t>() == 160);
    assert!(offset_of!(uv_poll_t, poll_cb) == 96);
    assert!(size_of::<uv_req_t>() == 64);
    assert!(offset_of!(uv_req_t, type_) == 8);
    assert!(size_of::<uv_work_t>() == 128);
    assert!(offset_of!(uv_work_t, loop_) == 64);
    assert!(offset_of!(uv_work_t, work_cb) == 72);
    assert!(offset_of!(uv_work_t, after_work_cb) == 80);
    assert!(size_of::<uv_metrics_t>() == 128);
};

/// `uv_handle_size`: libuv's size of each handle type, -1 for others.
pub fn handle_size(type_: c_int) -> usize {
    const SIZES: [usize; 18] = [
        0, 128, 120, 136, 104, 96, 120, 264, 160, 120, 136, 248, 248, 152, 312, 216, 152, 0,
    ];
    match type_ {
        1..=16 => SIZES[type_ as usize],
        _ => usize::MAX,
    }
}

/// `uv_req_size`: libuv's size of each request type, -1 for others.
pub fn req_size(type_: c_int) -> usize {
    const SIZES: [usize; 11] = [0, 64, 96, 192, 80, 320, 440, 128, 160, 1320, 144];
    match type_ {
        1..=10 => SIZES[type_ as usize],
        _ => usize::MAX,
    }
}
