//! Crate-internal helpers that implement no libuv function themselves:
//! `errno` access, the `(buffer, size)` copy-out convention of libuv's
//! string getters, the page size, and `sscanf`-style number parsing for
//! `/proc` and `/sys` files.

use core::ffi::{c_char, c_int};
use core::ptr;

use rsuv_core::error::{UV_EINVAL, UV_ENOBUFS};

/// The calling thread's `errno`.
pub(crate) fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Sets the calling thread's `errno`, for calls such as `getpriority` whose
/// only failure signal is a changed `errno`.
pub(crate) fn set_errno(value: c_int) {
    // SAFETY: `__errno_location` always returns a valid pointer to the
    // calling thread's errno.
    unsafe { *libc::__errno_location() = value };
}

/// libuv's code for the current `errno`.
pub(crate) fn last_error() -> c_int {
    -errno()
}

/// Hands `value` to a caller's `(buffer, size)` pair the way libuv's path and
/// name getters do: if it does not fit with its NUL, `*size` becomes the
/// required size (NUL included) and the result is `UV_ENOBUFS`; otherwise the
/// string and its NUL are copied and `*size` becomes the string length.
///
/// # Safety
/// `buffer` must be valid for writes of `*size` bytes and `size` valid for
/// reads and writes.
pub(crate) unsafe fn copy_out(value: &[u8], buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: the caller guarantees `size` is valid.
    let cap = unsafe { *size };
    if value.len() >= cap {
        // SAFETY: as above.
        unsafe { *size = value.len() + 1 };
        return UV_ENOBUFS;
    }
    // SAFETY: `value.len() + 1 <= cap`, the room the caller promised; a Rust
    // slice cannot overlap the caller's output buffer.
    unsafe {
        ptr::copy_nonoverlapping(value.as_ptr(), buffer.cast::<u8>(), value.len());
        *buffer.add(value.len()) = 0;
        *size = value.len();
    }
    0
}

/// The watchers' `getpath` (`uv_fs_event_getpath`, `uv_fs_poll_getpath`):
/// `UV_EINVAL` for a null or empty buffer, and (with `*size` 0) for a handle
/// that is not started (`path` is `None`); otherwise as [`copy_out`].
///
/// # Safety
/// `buffer` and `size` are null or as for [`copy_out`].
pub(crate) unsafe fn copy_path_out(
    path: Option<&[u8]>,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: per the contract; `size` is checked before it is read.
    unsafe {
        if buffer.is_null() || size.is_null() || *size == 0 {
            return UV_EINVAL;
        }
        match path {
            Some(p) => copy_out(p, buffer, size),
            None => {
                *size = 0;
                UV_EINVAL
            }
        }
    }
}

/// The system page size.
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).ok().filter(|&n| n > 0).unwrap_or(4096)
}

/// Reads a whole (small, usually `/proc` or `/sys`) file.
pub(crate) fn read_file(path: impl AsRef<std::path::Path>) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
}

/// Skips leading ASCII whitespace, as `sscanf` conversions do.
fn trim_start(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    &s[start..]
}

/// Parses a leading decimal integer (after whitespace, with an optional sign),
/// returning it and the rest of the input, like `%lld`.
pub(crate) fn parse_i64(s: &[u8]) -> Option<(i64, &[u8])> {
    let s = trim_start(s);
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    if len == 0 {
        return None;
    }
    let mut value: i64 = 0;
    for &d in &digits[..len] {
        value = value.saturating_mul(10).saturating_add(i64::from(d - b'0'));
    }
    Some((if neg { -value } else { value }, &digits[len..]))
}

/// Parses a leading unsigned decimal integer (after whitespace), like `%llu`
/// for the non-negative values the kernel prints.
pub(crate) fn parse_u64(s: &[u8]) -> Option<(u64, &[u8])> {
    let s = trim_start(s);
    let s = s.strip_prefix(b"+").unwrap_or(s);
    let len = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if len == 0 {
        return None;
    }
    let mut value: u64 = 0;
    for &d in &s[..len] {
        value = value.saturating_mul(10).saturating_add(u64::from(d - b'0'));
    }
    Some((value, &s[len..]))
}

/// Parses a leading floating-point number (after whitespace), like `%lf` for
/// the plain decimals the kernel prints.
pub(crate) fn parse_f64(s: &[u8]) -> Option<(f64, &[u8])> {
    let s = trim_start(s);
    let len = s
        .iter()
        .take_while(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        .count();
    let text = std::str::from_utf8(&s[..len]).ok()?;
    Some((text.parse().ok()?, &s[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_out_protocol() {
        let mut buf = [0x55 as c_char; 8];
        let mut size = 5;
        // SAFETY: `buf` has 8 bytes, more than `size`.
        unsafe {
            assert_eq!(copy_out(b"abcde", buf.as_mut_ptr(), &mut size), UV_ENOBUFS);
            assert_eq!(size, 6);
            assert_eq!(buf[0], 0x55, "nothing written on ENOBUFS");
            assert_eq!(copy_out(b"abcde", buf.as_mut_ptr(), &mut size), 0);
            assert_eq!(size, 5);
            assert_eq!(buf[5], 0);
        }
    }

    #[test]
    fn number_parsing() {
        assert_eq!(parse_u64(b"  42 kB"), Some((42, &b" kB"[..])));
        assert_eq!(parse_u64(b"x"), None);
        assert_eq!(parse_i64(b"-1\n"), Some((-1, &b"\n"[..])));
        assert_eq!(parse_i64(b"100000 100000"), Some((100000, &b" 100000"[..])));
        assert_eq!(parse_f64(b"123.45 67.8").map(|x| x.0), Some(123.45));
    }
}
