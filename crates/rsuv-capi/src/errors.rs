//! The error-reporting functions: `uv_strerror`, `uv_err_name`, their `_r`
//! variants and `uv_translate_sys_error`.
//!
//! The table of codes lives in `rsuv_core::error`; this module only turns it
//! into C strings. For codes libuv does not know, libuv returns a freshly
//! `malloc`ed "Unknown system error N" from `uv_strerror`/`uv_err_name` and
//! never frees it. We instead keep one copy per distinct code for the life of
//! the process: the returned pointer stays valid forever, as with libuv, but a
//! program asking about the same code in a loop does not leak without bound.

use core::ffi::{c_char, c_int, CStr};
use core::fmt::{self, Write};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::sync::Mutex;

use rsuv_core::error;

/// libuv formats the unknown-code text into a 32-byte buffer before copying
/// it, so the non-`_r` functions never return more than 31 bytes of it (the
/// tail of codes of ten digits and a sign is cut off). Keep that limit so the
/// text is identical.
const UNKNOWN_TEXT_MAX: usize = 31;

/// A small formatting buffer that needs no allocation, for the unknown-code
/// text (the longest, for `i32::MIN`, is 32 bytes).
struct StackText {
    buf: [u8; 48],
    len: usize,
}

impl StackText {
    fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

impl Write for StackText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// "Unknown system error N", the text libuv gives for a code it does not know.
fn unknown_text(code: c_int) -> StackText {
    let mut text = StackText {
        buf: [0; 48],
        len: 0,
    };
    // Cannot fail: the buffer holds the longest possible text.
    let _ = write!(text, "Unknown system error {code}");
    text
}

/// Interned unknown-code texts, leaked on purpose so their pointers stay valid
/// for the rest of the process.
static UNKNOWN: Mutex<BTreeMap<c_int, &'static CStr>> = Mutex::new(BTreeMap::new());

/// The process-lifetime C string for an unknown code.
fn unknown_static(code: c_int) -> &'static CStr {
    // A poisoned lock only means another thread panicked while inserting; the
    // map itself is still consistent, so keep using it.
    let mut map = UNKNOWN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(text) = map.get(&code) {
        return text;
    }
    let text = unknown_text(code);
    let bytes = text.bytes();
    let bytes = bytes.get(..UNKNOWN_TEXT_MAX).unwrap_or(bytes);
    let mut owned = Vec::new();
    if owned.try_reserve_exact(bytes.len() + 1).is_err() {
        // libuv falls back to this fixed text when it cannot allocate.
        return c"Unknown system error";
    }
    owned.extend_from_slice(bytes);
    // The text is ASCII letters, digits and a sign, so it has no interior NUL.
    let Ok(owned) = CString::new(owned) else {
        return c"Unknown system error";
    };
    let leaked: &'static CStr = Box::leak(owned.into_boxed_c_str());
    map.insert(code, leaked);
    leaked
}

/// Copies `src` into the caller's `buf` of `buflen` bytes the way `snprintf`
/// does: at most `buflen - 1` bytes, always NUL-terminated, nothing written
/// when `buflen` is 0.
///
/// # Safety
/// `buf` must be null or valid for writes of `buflen` bytes.
unsafe fn copy_truncated(src: &[u8], buf: *mut c_char, buflen: usize) {
    if buf.is_null() || buflen == 0 {
        return;
    }
    let n = src.len().min(buflen - 1);
    // SAFETY: the caller guarantees `buf` has room for `buflen` bytes, and
    // `n + 1 <= buflen`; `src` is a Rust slice that cannot overlap the
    // caller's buffer.
    unsafe {
        core::ptr::copy_nonoverlapping(src.as_ptr(), buf.cast::<u8>(), n);
        *buf.add(n) = 0;
    }
}

/// The message for `err`; unknown codes get "Unknown system error N". The
/// returned string is never freed and never changes.
#[no_mangle]
pub extern "C" fn uv_strerror(err: c_int) -> *const c_char {
    error::message(err)
        .unwrap_or_else(|| unknown_static(err))
        .as_ptr()
}

/// Writes the message for `err` into `buf` (truncated to `buflen - 1` bytes
/// and NUL-terminated) and returns `buf`.
///
/// # Safety
/// `buf` must be null or valid for writes of `buflen` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_strerror_r(err: c_int, buf: *mut c_char, buflen: usize) -> *mut c_char {
    // SAFETY: forwarded caller contract.
    unsafe { describe_into(error::message(err), err, buf, buflen) }
}

/// Copies `known` (or the unknown-code text for `err`) into `buf` the way the
/// `_r` functions do, and returns `buf`.
///
/// # Safety
/// `buf` must be null or valid for writes of `buflen` bytes.
unsafe fn describe_into(
    known: Option<&CStr>,
    err: c_int,
    buf: *mut c_char,
    buflen: usize,
) -> *mut c_char {
    let unknown;
    let text = match known {
        Some(text) => text.to_bytes(),
        None => {
            unknown = unknown_text(err);
            unknown.bytes()
        }
    };
    // SAFETY: the caller's contract on `buf`/`buflen` is the one
    // `copy_truncated` needs.
    unsafe { copy_truncated(text, buf, buflen) };
    buf
}

/// The name of `err` without the `UV_` prefix (`"EINVAL"`); unknown codes get
/// "Unknown system error N". The returned string is never freed.
#[no_mangle]
pub extern "C" fn uv_err_name(err: c_int) -> *const c_char {
    error::name(err)
        .unwrap_or_else(|| unknown_static(err))
        .as_ptr()
}

/// Writes the name of `err` into `buf` (truncated to `buflen - 1` bytes and
/// NUL-terminated) and returns `buf`.
///
/// # Safety
/// `buf` must be null or valid for writes of `buflen` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_err_name_r(err: c_int, buf: *mut c_char, buflen: usize) -> *mut c_char {
    // SAFETY: forwarded caller contract.
    unsafe { describe_into(error::name(err), err, buf, buflen) }
}

/// Turns a platform errno into a libuv code (negated on Unix).
#[no_mangle]
pub extern "C" fn uv_translate_sys_error(sys_errno: c_int) -> c_int {
    error::from_errno(sys_errno)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c_str(p: *const c_char) -> String {
        // SAFETY: the functions under test return NUL-terminated strings that
        // live for the whole process.
        unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
    }

    #[test]
    fn known_codes() {
        assert_eq!(c_str(uv_strerror(error::UV_EINVAL)), "invalid argument");
        assert_eq!(c_str(uv_err_name(error::UV_EINVAL)), "EINVAL");
        assert_eq!(c_str(uv_err_name(error::UV_EOF)), "EOF");
        assert_eq!(
            c_str(uv_strerror(error::UV_EAI_NONAME)),
            "unknown node or service"
        );
    }

    #[test]
    fn unknown_codes_are_stable() {
        let a = uv_strerror(-1234);
        let b = uv_err_name(-1234);
        assert_eq!(c_str(a), "Unknown system error -1234");
        assert_eq!(a, b, "one interned copy per code");
        assert_eq!(c_str(uv_strerror(0)), "Unknown system error 0");
        assert_eq!(c_str(uv_strerror(7)), "Unknown system error 7");
    }

    #[test]
    fn long_unknown_codes_are_cut_like_libuv() {
        assert_eq!(
            c_str(uv_strerror(i32::MIN)),
            "Unknown system error -214748364"
        );
        assert_eq!(
            c_str(uv_strerror(-1_000_000_000)),
            "Unknown system error -100000000"
        );
        assert_eq!(
            c_str(uv_strerror(i32::MAX)),
            "Unknown system error 2147483647"
        );
    }

    type ReentrantFn = unsafe extern "C" fn(c_int, *mut c_char, usize) -> *mut c_char;

    fn via_r(f: ReentrantFn, err: c_int, len: usize) -> Vec<u8> {
        let mut buf = [0x55u8; 64];
        // SAFETY: `buf` has 64 bytes and `len` is at most that.
        let ret = unsafe { f(err, buf.as_mut_ptr().cast(), len) };
        assert_eq!(ret, buf.as_mut_ptr().cast());
        buf.to_vec()
    }

    #[test]
    fn reentrant_variants_truncate_like_snprintf() {
        let b = via_r(uv_strerror_r, error::UV_EINVAL, 64);
        assert_eq!(&b[..17], b"invalid argument\0");
        let b = via_r(uv_strerror_r, error::UV_EINVAL, 4);
        assert_eq!(&b[..5], b"inv\0\x55");
        let b = via_r(uv_err_name_r, error::UV_EINVAL, 1);
        assert_eq!(&b[..2], b"\0\x55");
        let b = via_r(uv_err_name_r, error::UV_EINVAL, 0);
        assert_eq!(b[0], 0x55, "nothing written for a zero-length buffer");
        let b = via_r(uv_err_name_r, i32::MIN, 64);
        assert_eq!(
            &b[..33],
            b"Unknown system error -2147483648\0",
            "no 31-byte cap in _r"
        );
        let b = via_r(uv_strerror_r, 99_999, 64);
        assert_eq!(&b[..28], b"Unknown system error 99999\0\x55");
        // SAFETY: a null buffer is accepted and left alone.
        let r = unsafe { uv_strerror_r(error::UV_EOF, core::ptr::null_mut(), 10) };
        assert!(r.is_null());
    }

    #[test]
    fn translate() {
        assert_eq!(uv_translate_sys_error(libc::ENOENT), error::UV_ENOENT);
        assert_eq!(uv_translate_sys_error(error::UV_EOF), error::UV_EOF);
        assert_eq!(uv_translate_sys_error(0), 0);
    }
}
