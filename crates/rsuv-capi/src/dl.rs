//! Shared libraries: `uv_dlopen`, `uv_dlclose`, `uv_dlsym` and
//! `uv_dlerror`.

use core::ffi::{c_char, c_int, c_void, CStr};
use core::ptr;

use rsuv_core::error::UV_EINVAL;

use crate::alloc::{free, strdup};

// C types; layouts follow libuv's `uv.h` on Linux x86_64.

/// `uv_lib_t`.
#[repr(C)]
pub struct Lib {
    pub handle: *mut c_void,
    pub errmsg: *mut c_char,
}

/// Records `dlerror()` in `lib` (replacing any old message): -1 if there was
/// an error, 0 if not.
///
/// # Safety
/// `lib` must be valid, with `errmsg` null or from `strdup`.
unsafe fn take_dlerror(lib: *mut Lib) -> c_int {
    // SAFETY: `errmsg` is null or ours (caller contract).
    unsafe { free((*lib).errmsg.cast()) };
    // SAFETY: dlerror returns null or a C string valid until the next dl call
    // on this thread; it is copied at once.
    let msg = unsafe { libc::dlerror() };
    let (copy, r) = if msg.is_null() {
        (ptr::null_mut(), 0)
    } else {
        // SAFETY: as above.
        (strdup(unsafe { CStr::from_ptr(msg) }), -1)
    };
    // SAFETY: `lib` is valid (caller contract).
    unsafe { (*lib).errmsg = copy };
    r
}

/// Opens a shared library; on failure returns -1 and `uv_dlerror` has the
/// reason.
///
/// # Safety
/// `filename` must be null (the main program) or a C string; `lib` valid for
/// writes.
#[no_mangle]
pub unsafe extern "C" fn uv_dlopen(filename: *const c_char, lib: *mut Lib) -> c_int {
    if lib.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: clearing the thread's pending dl error has no preconditions;
    // `filename` is null or a C string (caller contract); `lib` is writable.
    unsafe {
        libc::dlerror();
        (*lib).errmsg = ptr::null_mut();
        (*lib).handle = libc::dlopen(filename, libc::RTLD_LAZY);
        if (*lib).handle.is_null() {
            return take_dlerror(lib);
        }
    }
    0
}

/// Closes a library opened with `uv_dlopen` and frees its error message.
///
/// # Safety
/// `lib` must be null or initialised by `uv_dlopen`.
#[no_mangle]
pub unsafe extern "C" fn uv_dlclose(lib: *mut Lib) {
    if lib.is_null() {
        return;
    }
    // SAFETY: `lib` was set up by `uv_dlopen`, so `errmsg` is ours and
    // `handle` is null or a live dlopen handle. dlclose errors are ignored:
    // there is no way to report them.
    unsafe {
        free((*lib).errmsg.cast());
        (*lib).errmsg = ptr::null_mut();
        if !(*lib).handle.is_null() {
            libc::dlclose((*lib).handle);
            (*lib).handle = ptr::null_mut();
        }
    }
}

/// Looks up `name` in a library; on failure returns -1 and `uv_dlerror` has
/// the reason.
///
/// # Safety
/// `lib` must be initialised by `uv_dlopen`, `name` a C string and `ptr_out`
/// valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_dlsym(
    lib: *mut Lib,
    name: *const c_char,
    ptr_out: *mut *mut c_void,
) -> c_int {
    if lib.is_null() || ptr_out.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract `lib` holds a dlopen handle and `name` is a C
    // string; `ptr_out` is writable.
    unsafe {
        libc::dlerror();
        *ptr_out = libc::dlsym((*lib).handle, name);
        if (*ptr_out).is_null() {
            return take_dlerror(lib);
        }
    }
    0
}

/// The last error of `lib`, or "no error".
///
/// # Safety
/// `lib` must be null or initialised by `uv_dlopen`.
#[no_mangle]
pub unsafe extern "C" fn uv_dlerror(lib: *const Lib) -> *const c_char {
    // SAFETY: `lib` is null or valid (caller contract).
    match unsafe { lib.as_ref() } {
        Some(lib) if !lib.errmsg.is_null() => lib.errmsg,
        _ => c"no error".as_ptr(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_layouts() {
        use core::mem::size_of;
        assert_eq!(size_of::<Lib>(), 16);
    }

    #[test]
    fn dl() {
        // SAFETY: valid pointers and C strings throughout.
        unsafe {
            let mut lib = Lib {
                handle: ptr::null_mut(),
                errmsg: ptr::null_mut(),
            };
            assert_eq!(
                uv_dlopen(c"/nonexistent/libnothing.so".as_ptr(), &mut lib),
                -1
            );
            assert!(!CStr::from_ptr(uv_dlerror(&lib)).to_bytes().is_empty());
            uv_dlclose(&mut lib);
            assert_eq!(CStr::from_ptr(uv_dlerror(&lib)), c"no error");
            assert_eq!(uv_dlopen(ptr::null(), &mut lib), 0);
            let mut sym = ptr::null_mut();
            assert_eq!(uv_dlsym(&mut lib, c"malloc".as_ptr(), &mut sym), 0);
            assert!(!sym.is_null());
            assert_eq!(
                uv_dlsym(&mut lib, c"no_such_symbol_rsuv".as_ptr(), &mut sym),
                -1
            );
            assert!(CStr::from_ptr(uv_dlerror(&lib))
                .to_bytes()
                .ends_with(b"undefined symbol: no_such_symbol_rsuv"));
            uv_dlclose(&mut lib);
        }
    }
}
