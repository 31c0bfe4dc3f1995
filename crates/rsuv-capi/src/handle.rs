//! What every handle and request shares: `uv_close`, reference counting,
//! state queries, type names and sizes, data accessors, and the handle dumps.

use crate::abi::*;
use crate::r#loop::with_loop;
use rsuv_core::error::{UV_EBADF, UV_EINVAL};
use rsuv_core::{CloseNote, HandleId, Kind, Loop};
use std::ffi::{c_char, c_int, c_void, CStr};

/// Registers a freshly initialized handle of `kind` with `lp`'s engine.
///
/// # Safety
/// `lp` is null or a `uv_loop_t`; `h` is null or writable for the handle type.
pub(crate) unsafe fn init(
    lp: *mut uv_loop_t,
    h: *mut uv_handle_t,
    type_: c_int,
    kind: Kind,
) -> c_int {
    if h.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract; h is writable and libuv leaves `data` alone
    // on init.
    unsafe {
        with_loop(lp, |l| {
            (*h).loop_ = lp;
            (*h).type_ = type_;
            (*h).close_cb = None;
            (*h).libuv_flags = 0;
            (*h).id = l.init_handle(h as usize, kind).0;
        })
    }
    .map_or(UV_EINVAL, |()| 0)
}

/// Takes a handle whose init call fails after [`init`] off its loop, as
/// libuv takes such a handle off the loop's queue again: `uv_walk` and
/// `uv_loop_close` no longer see it (the program may never close it, and
/// the loop must still close), yet `uv_close` on it still works and calls
/// back, as it does in libuv.
///
/// # Safety
/// `h` is null or points to a handle struct.
pub(crate) unsafe fn detach(h: *mut uv_handle_t) {
    // SAFETY: per the contract.
    unsafe { with_handle(h, |l, id| l.detach_handle(id)) };
}

/// Runs `f` on the engine with `h`'s id; `None` if `h` is not a live handle
/// of an initialized loop (never initialized, moved, or fully closed).
///
/// # Safety
/// `h` is null or points to a handle struct (initialized or not).
pub(crate) unsafe fn with_handle<R>(
    h: *const uv_handle_t,
    f: impl FnOnce(&mut Loop, HandleId) -> R,
) -> Option<R> {
    if h.is_null() {
        return None;
    }
    // SAFETY: h points to a handle struct.
    let (lp, id) = unsafe { ((*h).loop_, HandleId((*h).id)) };
    // SAFETY: lp is whatever the handle holds; loop_box accepts null, and an
    // initialized handle holds its loop.
    unsafe {
        with_loop(lp, |l| {
            if l.is_handle(id, h as usize) {
                Some(f(l, id))
            } else {
                None
            }
        })
    }
    .flatten()
}

/// Calls the close callback of the handle at `token`, closed on loop `lp`
/// with `note` (its type and close callback, from `uv_close`).
///
/// First the handle type finishes its own closing (cancelled requests get
/// their callbacks with `UV_ECANCELED`), as libuv does before `close_cb`.
/// Nothing is read from the handle's public fields: a program may have
/// freed it right after `uv_close(h, NULL)`, which libuv tolerates.
pub(crate) fn call_close(lp: *mut uv_loop_t, token: usize, note: CloseNote) {
    let h = token as *mut uv_handle_t;
    // SAFETY: the engine passes the address of a handle that was registered
    // until just now; libuv guarantees its memory until this callback, and
    // the type-specific parts read only their private fields. The callback
    // came from `uv_close` as a function pointer.
    unsafe {
        match note.tag as c_int {
            UV_TCP | UV_NAMED_PIPE | UV_TTY => crate::stream::finish_close(lp, h),
            UV_UDP => crate::udp::finish_close(lp, h),
            _ => {}
        }
        if note.callback != 0 {
            let cb: unsafe extern "C" fn(*mut uv_handle_t) = std::mem::transmute(note.callback);
            cb(h);
        }
    }
}

/// The type-specific part of `uv_close`: stop I/O, release the descriptor.
/// Runs with the engine borrowed, so it makes no callbacks.
///
/// # Safety
/// `h` is the live handle `id` of `l`.
unsafe fn close_type(l: &mut Loop, id: HandleId, h: *mut uv_handle_t) {
    // SAFETY: per the contract.
    unsafe {
        match (*h).type_ {
            UV_TCP | UV_NAMED_PIPE | UV_TTY => crate::stream::close(l, id, h),
            UV_UDP => crate::udp::close(l, id, h),
            UV_SIGNAL => crate::signal::close(l, id, h),
            crate::fs_event::UV_FS_EVENT => crate::fs_event::close(l, id, h),
            crate::fs_poll::UV_FS_POLL => crate::fs_poll::close(l, id, h),
            crate::process::UV_PROCESS => crate::process::close(l, id),
            _ => {}
        }
    }
}

/// # Safety
/// `h` points to an initialized handle.
#[no_mangle]
pub unsafe extern "C" fn uv_close(h: *mut uv_handle_t, close_cb: uv_close_cb) {
    if h.is_null() {
        return;
    }
    // SAFETY: h is a handle.
    unsafe {
        if (*h).type_ == UV_ASYNC {
            crate::r#async::wait_for_senders(h as *mut uv_async_t);
        }
        with_handle(h, |l, id| {
            if l.is_closing(id) {
                return;
            }
            close_type(l, id, h);
            let note = CloseNote {
                callback: close_cb.map_or(0, |f| f as usize),
                tag: (*h).type_ as u8,
            };
            l.close(id, note);
            (*h).close_cb = close_cb;
        });
    }
}

/// # Safety
/// `h` points to an initialized handle.
#[no_mangle]
pub unsafe extern "C" fn uv_ref(h: *mut uv_handle_t) {
    // SAFETY: per the contract.
    unsafe { with_handle(h, |l, id| l.ref_handle(id)) };
}

/// # Safety
/// `h` points to an initialized handle.
#[no_mangle]
pub unsafe extern "C" fn uv_unref(h: *mut uv_handle_t) {
    // SAFETY: per the contract.
    unsafe { with_handle(h, |l, id| l.unref_handle(id)) };
}

/// # Safety
/// `h` points to an initialized handle.
#[no_mangle]
pub unsafe extern "C" fn uv_has_ref(h: *const uv_handle_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { with_handle(h, |l, id| l.has_ref(id) as c_int) }.unwrap_or(0)
}

/// # Safety
/// `h` points to an initialized handle.
#[no_mangle]
pub unsafe extern "C" fn uv_is_active(h: *const uv_handle_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { with_handle(h, |l, id| l.is_active(id) as c_int) }.unwrap_or(0)
}

/// A handle past its close callback is unknown to the engine: it counts as
/// closed, as in libuv.
///
/// # Safety
/// `h` points to an initialized handle.
#[no_mangle]
pub unsafe extern "C" fn uv_is_closing(h: *const uv_handle_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { with_handle(h, |l, id| l.is_closing(id) as c_int) }.unwrap_or(1)
}

#[no_mangle]
pub extern "C" fn uv_handle_size(type_: c_int) -> usize {
    handle_size(type_)
}

#[no_mangle]
pub extern "C" fn uv_req_size(type_: c_int) -> usize {
    req_size(type_)
}

fn handle_name(type_: c_int) -> Option<&'static CStr> {
    const NAMES: [&CStr; 17] = [
        c"",
        c"async",
        c"check",
        c"fs_event",
        c"fs_poll",
        c"handle",
        c"idle",
        c"pipe",
        c"poll",
        c"prepare",
        c"process",
        c"stream",
        c"tcp",
        c"timer",
        c"tty",
        c"udp",
        c"signal",
    ];
    match type_ {
        1..=16 => Some(NAMES[type_ as usize]),
        UV_FILE => Some(c"file"),
        _ => None,
    }
}

fn req_name(type_: c_int) -> Option<&'static CStr> {
    const NAMES: [&CStr; 11] = [
        c"",
        c"req",
        c"connect",
        c"write",
        c"shutdown",
        c"udp_send",
        c"fs",
        c"work",
        c"getaddrinfo",
        c"getnameinfo",
        c"random",
    ];
    match type_ {
        1..=10 => Some(NAMES[type_ as usize]),
        _ => None,
    }
}

#[no_mangle]
pub extern "C" fn uv_handle_type_name(type_: c_int) -> *const c_char {
    handle_name(type_).map_or(std::ptr::null(), CStr::as_ptr)
}

#[no_mangle]
pub extern "C" fn uv_req_type_name(type_: c_int) -> *const c_char {
    req_name(type_).map_or(std::ptr::null(), CStr::as_ptr)
}

/// # Safety
/// `h` points to a handle.
#[no_mangle]
pub unsafe extern "C" fn uv_handle_get_type(h: *const uv_handle_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { (*h).type_ }
}

/// # Safety
/// `h` points to a handle.
#[no_mangle]
pub unsafe extern "C" fn uv_handle_get_data(h: *const uv_handle_t) -> *mut c_void {
    // SAFETY: per the contract.
    unsafe { (*h).data }
}

/// # Safety
/// `h` points to a handle.
#[no_mangle]
pub unsafe extern "C" fn uv_handle_set_data(h: *mut uv_handle_t, data: *mut c_void) {
    // SAFETY: per the contract.
    unsafe { (*h).data = data };
}

/// # Safety
/// `h` points to a handle.
#[no_mangle]
pub unsafe extern "C" fn uv_handle_get_loop(h: *const uv_handle_t) -> *mut uv_loop_t {
    // SAFETY: per the contract.
    unsafe { (*h).loop_ }
}

/// # Safety
/// `r` points to a request.
#[no_mangle]
pub unsafe extern "C" fn uv_req_get_type(r: *const uv_req_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { (*r).type_ }
}

/// # Safety
/// `r` points to a request.
#[no_mangle]
pub unsafe extern "C" fn uv_req_get_data(r: *const uv_req_t) -> *mut c_void {
    // SAFETY: per the contract.
    unsafe { (*r).data }
}

/// # Safety
/// `r` points to a request.
#[no_mangle]
pub unsafe extern "C" fn uv_req_set_data(r: *mut uv_req_t, data: *mut c_void) {
    // SAFETY: per the contract.
    unsafe { (*r).data = data };
}

/// Writes one line per handle, `[RAI] type address` as libuv does, with `-`
/// for a flag that is off. rsuv has no internal handles, so `I` is never set.
///
/// # Safety
/// `lp` is null (the default loop) or an initialized loop; `stream` is null
/// (stderr) or a valid `FILE*`.
unsafe fn print_handles(lp: *mut uv_loop_t, stream: *mut libc::FILE, only_active: bool) {
    let lp = if lp.is_null() {
        crate::r#loop::uv_default_loop()
    } else {
        lp
    };
    // SAFETY: per the contract.
    let Some(states) = (unsafe { with_loop(lp, |l| l.handle_states()) }) else {
        return;
    };
    let stream = if stream.is_null() {
        extern "C" {
            static stderr: *mut libc::FILE;
        }
        // SAFETY: the C library's own stderr stream, set up before main.
        unsafe { stderr }
    } else {
        stream
    };
    if stream.is_null() {
        return;
    }
    for (token, referenced, active) in states {
        if only_active && !active {
            continue;
        }
        // SAFETY: token is a registered handle's address.
        let type_ = unsafe { (*(token as *const uv_handle_t)).type_ };
        let name = handle_name(type_).unwrap_or(c"<unknown>");
        // SAFETY: a valid FILE*, a literal format matching its arguments.
        unsafe {
            libc::fprintf(
                stream,
                c"[%c%c%c] %-8s %p\n".as_ptr(),
                c_int::from(if referenced { b'R' } else { b'-' }),
                c_int::from(if active { b'A' } else { b'-' }),
                c_int::from(b'-'),
                name.as_ptr(),
                token as *const c_void,
            );
            libc::fflush(stream);
        }
    }
}

/// # Safety
/// See `print_handles`.
#[no_mangle]
pub unsafe extern "C" fn uv_print_all_handles(lp: *mut uv_loop_t, stream: *mut libc::FILE) {
    // SAFETY: per the contract.
    unsafe { print_handles(lp, stream, false) }
}

/// # Safety
/// See `print_handles`.
#[no_mangle]
pub unsafe extern "C" fn uv_print_active_handles(lp: *mut uv_loop_t, stream: *mut libc::FILE) {
    // SAFETY: per the contract.
    unsafe { print_handles(lp, stream, true) }
}

/// The descriptor of a stream, poll or UDP handle, or -1 (none yet, or a
/// type without one).
///
/// # Safety
/// `h` points to a handle.
unsafe fn handle_fd(h: *const uv_handle_t) -> c_int {
    // SAFETY: per the contract; each arm reads its own type's layout.
    unsafe {
        match (*h).type_ {
            UV_TCP | UV_NAMED_PIPE | UV_TTY => {
                crate::stream::fd(h as *const crate::stream::uv_stream_t)
            }
            UV_POLL => (*(h as *const uv_poll_t)).fd,
            UV_UDP => crate::udp::fileno(h),
            _ => -1,
        }
    }
}

/// # Safety
/// `h` points to a handle; `fd` to writable storage.
#[no_mangle]
pub unsafe extern "C" fn uv_fileno(h: *const uv_handle_t, fd: *mut c_int) -> c_int {
    if h.is_null() || fd.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        if !matches!(
            (*h).type_,
            UV_TCP | UV_NAMED_PIPE | UV_TTY | UV_UDP | UV_POLL
        ) {
            return UV_EINVAL;
        }
        let f = handle_fd(h);
        // libuv: no descriptor yet, or a handle that is closing.
        if f < 0 || uv_is_closing(h) != 0 {
            return UV_EBADF;
        }
        *fd = f;
    }
    0
}

/// Gets (`*value == 0`) or sets a socket buffer size, as libuv does: Linux
/// reports twice the size set.
///
/// # Safety
/// `h` points to a handle; `value` to an int.
unsafe fn socket_buffer_size(h: *mut uv_handle_t, option: c_int, value: *mut c_int) -> c_int {
    if h.is_null() || value.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        if !matches!((*h).type_, UV_TCP | UV_NAMED_PIPE | UV_UDP) {
            return rsuv_core::error::UV_ENOTSUP;
        }
        let fd = handle_fd(h);
        let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
        let r = if *value == 0 {
            libc::getsockopt(fd, libc::SOL_SOCKET, option, value as *mut c_void, &mut len)
        } else {
            libc::setsockopt(fd, libc::SOL_SOCKET, option, value as *const c_void, len)
        };
        if r < 0 {
            return -crate::util::errno();
        }
    }
    0
}

/// # Safety
/// `h` points to a handle; `value` to an int.
#[no_mangle]
pub unsafe extern "C" fn uv_send_buffer_size(h: *mut uv_handle_t, value: *mut c_int) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { socket_buffer_size(h, libc::SO_SNDBUF, value) }
}

/// # Safety
/// `h` points to a handle; `value` to an int.
#[no_mangle]
pub unsafe extern "C" fn uv_recv_buffer_size(h: *mut uv_handle_t, value: *mut c_int) -> c_int {
    // SAFETY: forwarded contract.
    unsafe { socket_buffer_size(h, libc::SO_RCVBUF, value) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_libuv() {
        assert_eq!(handle_name(UV_TIMER), Some(c"timer"));
        assert_eq!(handle_name(7), Some(c"pipe"));
        assert_eq!(handle_name(UV_FILE), Some(c"file"));
        assert_eq!(handle_name(0), None);
        assert_eq!(handle_name(UV_HANDLE_TYPE_MAX), None);
        assert_eq!(req_name(UV_WORK), Some(c"work"));
        assert_eq!(req_name(UV_REQ_TYPE_MAX), None);
        assert_eq!(handle_size(UV_TIMER), 152);
        assert_eq!(handle_size(0), usize::MAX);
        assert_eq!(req_size(UV_WORK), 128);
    }
}
