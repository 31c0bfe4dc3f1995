//! [`Error`]: a libuv error code, with libuv's name and message.

use std::fmt;

/// A failed call: libuv's error code (a negated `errno`, or one of libuv's
/// own codes such as `UV_EOF`), so Rust and C code see the same values.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Error {
    code: i32,
}

/// What the calls of this crate return.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// `UV_EINVAL`: an argument or the handle's state does not allow the call.
    pub const EINVAL: Error = Error::from_code(rsuv_core::error::UV_EINVAL);
    /// `UV_EBUSY`: the resource is in use (a running loop, say).
    pub const EBUSY: Error = Error::from_code(rsuv_core::error::UV_EBUSY);

    /// The error with libuv code `code` (negative).
    pub const fn from_code(code: i32) -> Error {
        Error { code }
    }

    /// libuv's code, as `uv_*` functions return it (`-22` for `EINVAL`).
    pub fn code(&self) -> i32 {
        self.code
    }

    /// libuv's name of the code (`"EINVAL"`), as `uv_err_name` gives it;
    /// `"Unknown system error"` for a code libuv does not define.
    pub fn name(&self) -> &'static str {
        rsuv_core::error::name(self.code)
            .and_then(|n| n.to_str().ok())
            .unwrap_or("Unknown system error")
    }

    /// libuv's message for the code (`"invalid argument"`), as `uv_strerror`
    /// gives it.
    pub fn message(&self) -> &'static str {
        rsuv_core::error::message(self.code)
            .and_then(|n| n.to_str().ok())
            .unwrap_or("Unknown system error")
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::from_code(e.raw_os_error().map_or(rsuv_core::error::UV_EIO, |n| -n))
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({}: {})", self.name(), self.code)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.message())
    }
}

impl std::error::Error for Error {}
