//! Fork hooks: `pthread_atfork(3)` for process-wide state that a forked
//! child must not inherit as it is.
//!
//! Only the thread that called `fork(2)` exists in the child. State that
//! other threads were changing at that moment (a lock they held, a queue
//! they were about to serve) is left as they left it, so its owner takes
//! its lock before the fork (`prepare`, in the forking thread), lets it go
//! in the parent (`parent`), and in the child puts the state right before
//! letting it go (`child`). The hooks are plain Rust functions; they must
//! not panic.

use std::io;

/// Registers fork hooks for the life of the process. Call once per set of
/// hooks (the C library keeps every registration and runs each one).
pub fn at_fork(
    prepare: extern "C" fn(),
    parent: extern "C" fn(),
    child: extern "C" fn(),
) -> io::Result<()> {
    // SAFETY: the three functions are 'static Rust functions with the C
    // ABI and no arguments, as pthread_atfork expects; the library that
    // holds them is never unloaded while the process runs (libuv's own
    // hooks make the same assumption).
    let rc = unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(rc))
    }
}
