//! The process title: `uv_setup_args`, `uv_set_process_title` and
//! `uv_get_process_title`, plus `process_title_cleanup`, through which
//! `uv_library_shutdown` frees the argument copy.

use core::ffi::{c_char, c_int, c_void, CStr};
use core::ptr;

use rsuv_core::error::{UV_EINVAL, UV_ENOBUFS};

use crate::alloc::{alloc, free};

/// Where the process title lives: the memory that held the original argument
/// strings, which is what `ps` shows. `uv_setup_args` moved the arguments
/// themselves to `args_copy`.
struct Title {
    /// Start of the original `argv[0]`.
    area: *mut c_char,
    /// Bytes available at `area`, including room for a NUL.
    cap: usize,
    /// Length of the current title.
    len: usize,
    /// The block returned by `uv_setup_args` (pointer table and strings).
    args_copy: *mut c_void,
}

// SAFETY: the pointers are only used under `TITLE`'s lock, and the memory they
// point at belongs to the process, not to any thread.
unsafe impl Send for Title {}

static TITLE: std::sync::Mutex<Option<Title>> = std::sync::Mutex::new(None);

fn title_lock() -> std::sync::MutexGuard<'static, Option<Title>> {
    // Poisoning needs a panic while holding the lock; nothing in these
    // critical sections panics, and the data stays consistent regardless.
    TITLE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Copies the arguments somewhere else so the memory they occupied can hold
/// a process title of up to that size, and returns the copy; the caller
/// must use it as its `argv` from then on. Returns `argv` itself when there
/// is nothing to do or no memory.
///
/// # Safety
/// `argv` must hold `argc` C strings followed by a null pointer, and the
/// caller must give up the strings' memory (as libuv's documentation warns).
#[no_mangle]
pub unsafe extern "C" fn uv_setup_args(argc: c_int, argv: *mut *mut c_char) -> *mut *mut c_char {
    let Ok(argc) = usize::try_from(argc) else {
        return argv;
    };
    if argc == 0 || argv.is_null() {
        return argv;
    }
    // SAFETY: the caller guarantees `argc` valid C strings in `argv`.
    let args: Vec<&[u8]> = (0..argc)
        .map(|i| unsafe { CStr::from_ptr(*argv.add(i)) }.to_bytes_with_nul())
        .collect();
    let table_bytes = (argc + 1) * core::mem::size_of::<*mut c_char>();
    let total = table_bytes + args.iter().map(|a| a.len()).sum::<usize>();
    let copy = alloc(total).cast::<*mut c_char>();
    if copy.is_null() {
        return argv;
    }
    // The title may use the original strings' memory for as long as it is
    // one contiguous run starting at argv[0] (the kernel lays arguments out
    // that way; a hand-built argv may not be, and must not be overrun).
    let area = args[0].as_ptr().cast_mut().cast::<c_char>();
    let mut cap = args[0].len();
    for arg in &args[1..] {
        if arg.as_ptr() != area.cast::<u8>().wrapping_add(cap).cast_const() {
            break;
        }
        cap += arg.len();
    }
    // SAFETY: `copy` has room for the pointer table followed by every
    // string; malloc's alignment suits pointers.
    unsafe {
        let mut at = copy.cast::<u8>().add(table_bytes);
        for (i, arg) in args.iter().enumerate() {
            ptr::copy_nonoverlapping(arg.as_ptr(), at, arg.len());
            copy.add(i).write(at.cast());
            at = at.add(arg.len());
        }
        copy.add(argc).write(ptr::null_mut());
    }
    // Called twice, the first copy stays allocated: it may still be in use
    // as the caller's argv.
    *title_lock() = Some(Title {
        area,
        cap,
        len: args[0].len() - 1,
        args_copy: copy.cast(),
    });
    copy
}

/// Frees the argument copy made by `uv_setup_args` and forgets the title
/// (`uv_library_shutdown`).
pub(crate) fn process_title_cleanup() {
    if let Some(title) = title_lock().take() {
        // SAFETY: `args_copy` came from `alloc` in `uv_setup_args`; after
        // library shutdown nothing may use it.
        unsafe { free(title.args_copy) };
    }
}

/// Sets the title `ps` shows, truncated to the space the original arguments
/// took (`UV_ENOBUFS` without `uv_setup_args`). The kernel's thread name, which
/// `top` shows, gets the first 15 bytes.
///
/// # Safety
/// `title` must be a C string.
#[no_mangle]
pub unsafe extern "C" fn uv_set_process_title(title: *const c_char) -> c_int {
    if title.is_null() {
        return UV_EINVAL;
    }
    let mut guard = title_lock();
    let Some(pt) = guard.as_mut() else {
        return UV_ENOBUFS;
    };
    // SAFETY: `title` is a C string (caller contract).
    let text = unsafe { CStr::from_ptr(title) }.to_bytes();
    let len = text.len().min(pt.cap.saturating_sub(1));
    // SAFETY: `area` has `cap` bytes (the original argument strings, given up
    // by the caller of `uv_setup_args`); `len < cap`. `text` may itself point
    // into that area, hence `copy` rather than `copy_nonoverlapping`.
    unsafe {
        ptr::copy(text.as_ptr(), pt.area.cast::<u8>(), len);
        ptr::write_bytes(pt.area.add(len), 0, pt.cap - len);
    }
    pt.len = len;
    // SAFETY: `area` now holds a NUL-terminated string; PR_SET_NAME copies at
    // most 16 bytes of it.
    unsafe { libc::prctl(libc::PR_SET_NAME, pt.area) };
    0
}

/// Copies the process title into `buffer`; `UV_ENOBUFS` if it does not fit
/// with its NUL or `uv_setup_args` was not called.
///
/// # Safety
/// `buffer` must be null or valid for writes of `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_get_process_title(buffer: *mut c_char, size: usize) -> c_int {
    if buffer.is_null() || size == 0 {
        return UV_EINVAL;
    }
    let guard = title_lock();
    let Some(pt) = guard.as_ref() else {
        return UV_ENOBUFS;
    };
    if size <= pt.len {
        return UV_ENOBUFS;
    }
    // SAFETY: `area` holds `len` title bytes; `buffer` has room for `len + 1`.
    unsafe {
        ptr::copy_nonoverlapping(pt.area, buffer, pt.len);
        *buffer.add(pt.len) = 0;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_title() {
        // A fake argv laid out like the kernel's: strings back to back.
        let mut strings = *b"prog\0-x\0abc\0";
        let base = strings.as_mut_ptr().cast::<c_char>();
        // SAFETY: offsets within `strings`.
        let mut argv = unsafe { [base, base.add(5), base.add(8), ptr::null_mut()] };
        let mut buf = [0 as c_char; 64];
        // SAFETY: `argv` holds three C strings; the title writes stay inside
        // `strings`, which outlives every use before the cleanup below.
        unsafe {
            assert_eq!(uv_get_process_title(ptr::null_mut(), 10), UV_EINVAL);
            let copy = uv_setup_args(3, argv.as_mut_ptr());
            assert_ne!(copy, argv.as_mut_ptr());
            assert_eq!(CStr::from_ptr(*copy.add(2)), c"abc");
            assert!((*copy.add(3)).is_null());
            assert_eq!(uv_get_process_title(buf.as_mut_ptr(), 64), 0);
            assert_eq!(CStr::from_ptr(buf.as_ptr()), c"prog");
            assert_eq!(uv_get_process_title(buf.as_mut_ptr(), 4), UV_ENOBUFS);
            assert_eq!(uv_get_process_title(buf.as_mut_ptr(), 0), UV_EINVAL);
            assert_eq!(uv_set_process_title(c"a much longer title".as_ptr()), 0);
            assert_eq!(uv_get_process_title(buf.as_mut_ptr(), 64), 0);
            assert_eq!(
                CStr::from_ptr(buf.as_ptr()),
                c"a much long",
                "cut to 12 - 1 bytes"
            );
            assert_eq!(strings[11], 0);
            assert_eq!(CStr::from_ptr(*copy), c"prog", "the copy is untouched");
            uv_set_process_title(c"%s%n".as_ptr());
            assert_eq!(uv_get_process_title(buf.as_mut_ptr(), 64), 0);
            assert_eq!(CStr::from_ptr(buf.as_ptr()), c"%s%n");
            assert_eq!(&strings[..5], b"%s%n\0");
            process_title_cleanup();
            assert_eq!(uv_set_process_title(c"x".as_ptr()), UV_ENOBUFS);
            assert_eq!(uv_get_process_title(buf.as_mut_ptr(), 64), UV_ENOBUFS);
            assert_eq!(uv_setup_args(0, argv.as_mut_ptr()), argv.as_mut_ptr());
        }
    }
}
