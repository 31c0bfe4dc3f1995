//! Descriptors the caller names by number: borrowing one for a system call,
//! and closing one with its error reported.
//!
//! libuv's file API takes plain `int` descriptors that the program owns. The
//! engine lends them to rustix as `BorrowedFd`s for the length of one call;
//! whether the number is open is the kernel's business (`EBADF`), as it is
//! in libuv.

use rustix::fd::{BorrowedFd, RawFd};
use rustix::io::Errno;

/// Borrows the caller's descriptor `fd` for one system call. A negative
/// number is `EBADF`, which is what the kernel would say for it.
pub fn borrow<'a>(fd: RawFd) -> Result<BorrowedFd<'a>, Errno> {
    if fd < 0 {
        return Err(Errno::BADF);
    }
    // SAFETY: `fd` is not -1 (BorrowedFd's niche). The descriptor belongs to
    // the caller, who keeps it open across the call it passed it to, as
    // libuv's API requires; if it is closed or was never open, the system
    // call fails with EBADF, and no Rust object owns or drops it.
    Ok(unsafe { BorrowedFd::borrow_raw(fd) })
}

/// `close(2)` of a descriptor the caller owns, reporting its error. As in
/// libuv, EINTR and EINPROGRESS mean the close is under way and count as
/// success: retrying could close a descriptor another thread just got.
pub fn close(fd: RawFd) -> Result<(), Errno> {
    // SAFETY: close(2) takes any number; the caller gives up `fd` by asking
    // for it to be closed, and no Rust object owns it.
    let rc = unsafe { libc::close(fd) };
    if rc == 0 {
        return Ok(());
    }
    match Errno::from_raw_os_error(std::io::Error::last_os_error().raw_os_error().unwrap_or(0)) {
        Errno::INTR | Errno::INPROGRESS => Ok(()),
        e => Err(e),
    }
}
