//! The small libuv functions that belong to no larger area: `uv_buf_init`
//! (with `uv_buf_t` itself, `Buf`, which other modules share),
//! `uv_get_osfhandle`, `uv_open_osfhandle` and
//! `uv_disable_stdio_inheritance`.

use core::ffi::{c_char, c_int, c_uint};

// C types; layouts follow libuv's `uv.h` on Linux x86_64.

/// `uv_buf_t`: laid out like `struct iovec` so buffers can go straight to
/// `readv`/`writev`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Buf {
    pub base: *mut c_char,
    pub len: usize,
}

/// Builds a `uv_buf_t`; the caller keeps ownership of `base`.
#[no_mangle]
pub extern "C" fn uv_buf_init(base: *mut c_char, len: c_uint) -> Buf {
    Buf {
        base,
        len: len as usize,
    }
}

/// On Unix a `uv_os_fd_t` is the file descriptor itself.
#[no_mangle]
pub extern "C" fn uv_get_osfhandle(fd: c_int) -> c_int {
    fd
}

/// On Unix a `uv_os_fd_t` is the file descriptor itself.
#[no_mangle]
pub extern "C" fn uv_open_osfhandle(os_fd: c_int) -> c_int {
    os_fd
}

/// Marks every inherited descriptor close-on-exec so children spawned later
/// do not inherit them. The first 16 are always tried (some may be closed);
/// after that the first failure is taken to mean no more are open.
#[no_mangle]
pub extern "C" fn uv_disable_stdio_inheritance() {
    let mut fd: c_int = 0;
    loop {
        // SAFETY: FIOCLEX takes no argument and only changes a descriptor
        // flag; an invalid descriptor just fails with EBADF.
        let failed = unsafe { libc::ioctl(fd, libc::FIOCLEX) } != 0;
        if failed && fd > 15 {
            break;
        }
        fd += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_layouts() {
        use core::mem::size_of;
        assert_eq!(size_of::<Buf>(), 16);
    }

    #[test]
    fn buf_init() {
        let mut data = [0 as c_char; 4];
        let b = uv_buf_init(data.as_mut_ptr(), 4);
        assert_eq!(b.base, data.as_mut_ptr());
        assert_eq!(b.len, 4);
    }
}
