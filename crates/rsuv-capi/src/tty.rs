//! `uv_tty_*`. Not yet: only the close hook the stream layer calls.

use crate::stream::uv_stream_t;

/// Part of `uv_close` for TTYs.
///
/// # Safety
/// `s` is a TTY being closed.
pub(crate) unsafe fn close(_s: *mut uv_stream_t) {}
