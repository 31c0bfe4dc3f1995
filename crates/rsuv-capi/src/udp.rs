//! `uv_udp_*`. Not yet: the hooks the loop calls are in place.

use crate::abi::*;
use rsuv_core::{HandleId, Loop};

/// Readiness on the handle's descriptor (from the loop's `Host`).
pub(crate) fn io(_token: usize, _events: u32) {}

/// The handle's deferred callback (from the loop's pending phase).
pub(crate) fn pending(_token: usize) {}

/// The type-specific part of `uv_close`, with the engine borrowed: stop
/// I/O and release the descriptor; no callbacks.
///
/// # Safety
/// `h` is the live handle `id` of `l`.
pub(crate) unsafe fn close(_l: &mut Loop, _id: HandleId, _h: *mut uv_handle_t) {}

/// Runs in the close phase before `close_cb`: callbacks of requests the
/// close cancelled.
///
/// # Safety
/// `h` is a handle in its close phase (still valid memory).
pub(crate) unsafe fn finish_close(_h: *mut uv_handle_t) {}
