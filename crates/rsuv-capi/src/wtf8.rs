//! The WTF-8/UTF-16 converters: `uv_utf16_length_as_wtf8`,
//! `uv_utf16_to_wtf8`, `uv_wtf8_length_as_utf16` and `uv_wtf8_to_utf16`.
//!
//! These functions turn the caller's pointers and lengths into slices and
//! leave the conversion to `rsuv_core::wtf8`. Results on valid arguments are
//! libuv 1.52's. Where libuv would crash (null pointers, a missing length)
//! or write out of bounds, these refuse instead: `UV_EINVAL`, 0 or -1 as
//! the signature allows, or, for `uv_wtf8_to_utf16`, output that stops early
//! (see `rsuv_core::wtf8::wtf8_to_utf16`).

use core::ffi::{c_char, c_int, CStr};
use core::ptr;

use rsuv_core::error::{UV_EINVAL, UV_ENOBUFS, UV_ENOMEM};
use rsuv_core::wtf8;

/// The caller's UTF-16 input as a slice: `len` units, or up to the first 0
/// unit when `len` is negative. `None` for a null or misaligned pointer
/// (unless `len` is 0) or a length no buffer can have.
///
/// # Safety
/// A non-null `units` must point to `len` readable units or, for a negative
/// `len`, to a 0-terminated array; it must stay valid and unmodified for
/// the lifetime the caller picks.
unsafe fn utf16_input<'a>(units: *const u16, len: isize) -> Option<&'a [u16]> {
    if len == 0 {
        return Some(&[]);
    }
    if units.is_null() || !units.is_aligned() {
        return None;
    }
    let count = match usize::try_from(len) {
        Ok(count) if count <= isize::MAX as usize / 2 => count,
        Ok(_) => return None,
        Err(_) => {
            let mut count = 0;
            // SAFETY: the array is 0-terminated (the contract), so every
            // unit up to and including the terminator is readable.
            while unsafe { *units.add(count) } != 0 {
                count += 1;
            }
            count
        }
    };
    // SAFETY: `units` is non-null and aligned, and `count` units are
    // readable: the caller's length, or the units before the terminator.
    Some(unsafe { core::slice::from_raw_parts(units, count) })
}

/// Bytes of the WTF-8 form of `utf16` (`utf16_len` units, or up to its NUL
/// if `utf16_len` is negative), not counting a terminating NUL. 0 for a null
/// `utf16`.
///
/// # Safety
/// `utf16` must be null or point to `utf16_len` units, or to a NUL-terminated
/// array if `utf16_len` is negative.
#[no_mangle]
pub unsafe extern "C" fn uv_utf16_length_as_wtf8(utf16: *const u16, utf16_len: isize) -> usize {
    // SAFETY: the caller's contract is `utf16_input`'s.
    match unsafe { utf16_input(utf16, utf16_len) } {
        Some(units) => wtf8::utf16_length_as_wtf8(units),
        None => 0,
    }
}

/// Converts `utf16` (`utf16_len` units, or up to its NUL if `utf16_len` is
/// negative) to NUL-terminated WTF-8, as libuv does:
/// - `wtf8_ptr` null: only stores the length in `*wtf8_len_ptr` (if given);
/// - `*wtf8_ptr` null: stores the length, allocates length + 1 bytes with
///   the user's allocator (`UV_ENOMEM` if that fails), converts into them and
///   stores the block in `*wtf8_ptr`;
/// - otherwise `*wtf8_ptr` is a buffer of `*wtf8_len_ptr` + 1 bytes: on
///   success `*wtf8_len_ptr` becomes the length written; if the text does not
///   fit, the buffer holds as much as fits and a NUL, `*wtf8_len_ptr` the size
///   to ask for, and the result is `UV_ENOBUFS`.
///
/// `UV_EINVAL` (where libuv would crash) for a null `utf16` with a non-zero
/// `utf16_len`, a caller's buffer without `wtf8_len_ptr`, or a buffer length
/// no buffer can have.
///
/// # Safety
/// `utf16` as for [`uv_utf16_length_as_wtf8`]; `wtf8_ptr` and `wtf8_len_ptr`
/// null or valid for reads and writes; a non-null `*wtf8_ptr` must be
/// writable for `*wtf8_len_ptr` + 1 bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_utf16_to_wtf8(
    utf16: *const u16,
    utf16_len: isize,
    wtf8_ptr: *mut *mut c_char,
    wtf8_len_ptr: *mut usize,
) -> c_int {
    // SAFETY: the caller's contract on `utf16` is `utf16_input`'s.
    let Some(units) = (unsafe { utf16_input(utf16, utf16_len) }) else {
        return UV_EINVAL;
    };
    // SAFETY: `wtf8_ptr` is null or valid for reads (the contract).
    let buffer = unsafe { wtf8_ptr.as_ref() }.copied();
    let (buffer, size) = match buffer {
        Some(buffer) if !buffer.is_null() => {
            // SAFETY: `wtf8_len_ptr` is null or valid for reads.
            let Some(&capacity) = (unsafe { wtf8_len_ptr.as_ref() }) else {
                return UV_EINVAL;
            };
            if capacity >= isize::MAX as usize {
                return UV_EINVAL;
            }
            (buffer, capacity + 1)
        }
        _ => {
            let len = wtf8::utf16_length_as_wtf8(units);
            if !wtf8_len_ptr.is_null() {
                // SAFETY: non-null, so valid for writes (the contract).
                unsafe { *wtf8_len_ptr = len };
            }
            if buffer.is_none() {
                return 0;
            }
            let size = len + 1;
            let block = crate::alloc::alloc(size).cast::<c_char>();
            if block.is_null() {
                return UV_ENOMEM;
            }
            // SAFETY: `block` is a fresh block of `size` bytes; zeroing it
            // makes it initialized before a slice is made of it.
            unsafe { ptr::write_bytes(block, 0, size) };
            // SAFETY: `wtf8_ptr` is non-null here (`buffer` is `Some`), so
            // valid for writes.
            unsafe { *wtf8_ptr = block };
            (block, size)
        }
    };
    // SAFETY: `buffer` is the caller's buffer of `capacity + 1` writable
    // bytes (the contract; C chars have no invalid values) or our fresh
    // block of `size` initialized bytes; nothing else uses it during the
    // call.
    let out = unsafe { core::slice::from_raw_parts_mut(buffer.cast::<u8>(), size) };
    let (result, len) = match wtf8::utf16_to_wtf8(units, out) {
        Ok(len) => (0, len),
        Err(needed) => (UV_ENOBUFS, needed),
    };
    if !wtf8_len_ptr.is_null() {
        // SAFETY: non-null, so valid for writes (the contract).
        unsafe { *wtf8_len_ptr = len };
    }
    result
}

/// UTF-16 units for the NUL-terminated WTF-8 text `wtf8`, including the
/// terminating NUL; -1 if the text is not valid WTF-8 (or `wtf8` is null).
///
/// # Safety
/// `wtf8` must be null or point to a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn uv_wtf8_length_as_utf16(wtf8: *const c_char) -> isize {
    if wtf8.is_null() {
        return -1;
    }
    // SAFETY: a non-null `wtf8` is NUL-terminated (the contract).
    let text = unsafe { CStr::from_ptr(wtf8) }.to_bytes();
    match wtf8::wtf8_length_as_utf16(text) {
        Some(units) => isize::try_from(units).unwrap_or(-1),
        None => -1,
    }
}

/// Converts the NUL-terminated WTF-8 text `wtf8` to UTF-16 in `utf16`, which
/// holds `utf16_len` units, the terminating NUL included; with the length
/// from [`uv_wtf8_length_as_utf16`], the result is libuv's. Never writes more
/// than `utf16_len` units: a short buffer or invalid WTF-8 ends the output
/// early (before the character that does not fit, or before the invalid
/// sequence), still NUL-terminated. Does nothing for a null pointer.
///
/// # Safety
/// `wtf8` must be null or point to a NUL-terminated string; `utf16` must be
/// null or point to `utf16_len` writable units.
#[no_mangle]
pub unsafe extern "C" fn uv_wtf8_to_utf16(wtf8: *const c_char, utf16: *mut u16, utf16_len: usize) {
    if wtf8.is_null()
        || utf16.is_null()
        || !utf16.is_aligned()
        || utf16_len == 0
        || utf16_len > isize::MAX as usize / 2
    {
        return;
    }
    // SAFETY: a non-null `wtf8` is NUL-terminated (the contract).
    let text = unsafe { CStr::from_ptr(wtf8) }.to_bytes();
    // SAFETY: `utf16` is non-null and aligned and holds `utf16_len` writable
    // units (the contract; `uint16_t` has no invalid values); it is not the
    // text, which is bytes of another type.
    let out = unsafe { core::slice::from_raw_parts_mut(utf16, utf16_len) };
    wtf8::wtf8_to_utf16(text, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_arguments_are_refused() {
        let mut len = 7usize;
        // SAFETY: null pointers and valid locals only.
        unsafe {
            assert_eq!(uv_utf16_length_as_wtf8(ptr::null(), 3), 0);
            assert_eq!(uv_utf16_length_as_wtf8(ptr::null(), -1), 0);
            assert_eq!(
                uv_utf16_to_wtf8(ptr::null(), 3, ptr::null_mut(), &mut len),
                UV_EINVAL
            );
            assert_eq!(
                uv_utf16_to_wtf8(ptr::null(), 0, ptr::null_mut(), &mut len),
                0
            );
            assert_eq!(len, 0);
            let units = [0x41u16, 0];
            let mut buf = [0 as c_char; 4];
            let mut p = buf.as_mut_ptr();
            assert_eq!(
                uv_utf16_to_wtf8(units.as_ptr(), -1, &mut p, ptr::null_mut()),
                UV_EINVAL
            );
            assert_eq!(uv_wtf8_length_as_utf16(ptr::null()), -1);
            uv_wtf8_to_utf16(ptr::null(), ptr::null_mut(), 4);
        }
    }

    #[test]
    fn allocates_with_the_user_allocator() {
        let units = [0xD83Du16, 0xDE00, 0x61, 0];
        let mut p: *mut c_char = ptr::null_mut();
        let mut len = 0usize;
        // SAFETY: a NUL-terminated input and valid out-pointers; the block
        // is freed with the allocator it came from.
        unsafe {
            assert_eq!(uv_utf16_to_wtf8(units.as_ptr(), -1, &mut p, &mut len), 0);
            assert_eq!(len, 5);
            assert_eq!(CStr::from_ptr(p).to_bytes(), "😀a".as_bytes());
            crate::alloc::free(p.cast());
        }
    }

    #[test]
    fn converts_back_and_forth() {
        let text = c"a\xED\xA0\x80b";
        // SAFETY: NUL-terminated input, buffers of the stated sizes.
        unsafe {
            let n = uv_wtf8_length_as_utf16(text.as_ptr());
            assert_eq!(n, 4);
            let mut units = [0xAAAAu16; 5];
            uv_wtf8_to_utf16(text.as_ptr(), units.as_mut_ptr(), n as usize);
            assert_eq!(units, [0x61, 0xD800, 0x62, 0, 0xAAAA]);
            let mut buf = [0x55 as c_char; 6];
            let mut p = buf.as_mut_ptr();
            let mut len = 5usize;
            assert_eq!(uv_utf16_to_wtf8(units.as_ptr(), 3, &mut p, &mut len), 0);
            assert_eq!(len, 5);
            assert_eq!(CStr::from_ptr(p).to_bytes(), text.to_bytes());
        }
    }
}
