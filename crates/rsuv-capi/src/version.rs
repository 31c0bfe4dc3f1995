//! `uv_version` and `uv_version_string`: the libuv release this library
//! stands in for.

use core::ffi::{c_char, c_uint};

const VERSION_MAJOR: c_uint = 1;
const VERSION_MINOR: c_uint = 52;
const VERSION_PATCH: c_uint = 0;

/// `UV_VERSION_HEX`: major, minor and patch packed into one byte each.
#[no_mangle]
pub extern "C" fn uv_version() -> c_uint {
    (VERSION_MAJOR << 16) | (VERSION_MINOR << 8) | VERSION_PATCH
}

/// `"1.52.0"`; a release has no suffix.
#[no_mangle]
pub extern "C" fn uv_version_string() -> *const c_char {
    c"1.52.0".as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::CStr;

    #[test]
    fn version() {
        assert_eq!(uv_version(), 0x013400);
        // SAFETY: a static C string.
        let s = unsafe { CStr::from_ptr(uv_version_string()) };
        assert_eq!(s.to_str().unwrap(), "1.52.0");
    }
}
