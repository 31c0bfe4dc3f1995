//! `copyfile` and `sendfile`: moving bytes between descriptors in the
//! kernel where it can (reflink, `copy_file_range`, `sendfile`), with a
//! read/write loop where it cannot.

use std::ffi::CStr;

use rustix::fd::BorrowedFd;
use rustix::fs::{self as rfs, Mode, Timestamps};
use rustix::io::Errno;
use rustix::time::Timespec;

use super::{COPYFILE_EXCL, COPYFILE_FICLONE, COPYFILE_FICLONE_FORCE};
use crate::sys::fd::{borrow, close};

/// Sends up to `length` bytes of `in_fd`, from `offset` (which the call
/// does not move), to `out_fd`; returns the count sent.
///
/// As libuv on Linux: `copy_file_range` first, then `sendfile`, and a
/// read/write loop when neither applies to these descriptors (EINVAL, EIO,
/// ENOTSOCK, EXDEV, or no kernel support).
pub fn sendfile(out_fd: i32, in_fd: i32, offset: i64, length: usize) -> Result<usize, Errno> {
    let out = borrow(out_fd)?;
    let input = borrow(in_fd)?;
    if offset < 0 {
        return Err(Errno::INVAL);
    }
    let start = offset as u64;
    let mut off = start;
    let mut r = rfs::copy_file_range(input, Some(&mut off), out, None, length);
    if let Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP | Errno::XDEV | Errno::IO) = r {
        if off == start {
            r = rfs::sendfile(out, input, Some(&mut off), length);
        }
    }
    match r {
        Ok(_) => Ok((off - start) as usize),
        Err(_) if off > start => Ok((off - start) as usize),
        Err(Errno::INVAL | Errno::IO | Errno::NOTSOCK | Errno::XDEV | Errno::NOSYS) => {
            sendfile_by_copying(out, input, start, length)
        }
        Err(e) => Err(e),
    }
}

/// The read/write fallback of `sendfile`. Read errors are reported only if
/// nothing was sent yet (so a caller never sends bytes twice); write errors
/// always are. A source that cannot `pread` (a pipe) is read from its
/// position; a non-blocking destination that is full is waited for.
fn sendfile_by_copying(
    out: BorrowedFd<'_>,
    input: BorrowedFd<'_>,
    mut offset: u64,
    length: usize,
) -> Result<usize, Errno> {
    let mut buf = [0u8; 64 * 1024];
    let mut sent = 0usize;
    let mut positional = true;
    while sent < length {
        let want = (length - sent).min(buf.len());
        let nread = match if positional {
            rustix::io::pread(input, &mut buf[..want], offset)
        } else {
            rustix::io::read(input, &mut buf[..want])
        } {
            Ok(0) => break,
            Ok(n) => n,
            Err(Errno::INTR) => continue,
            Err(Errno::IO | Errno::SPIPE) if positional && sent == 0 => {
                positional = false;
                continue;
            }
            Err(e) if sent == 0 => return Err(e),
            Err(_) => break,
        };
        write_fully(out, &buf[..nread])?;
        offset += nread as u64;
        sent += nread;
    }
    Ok(sent)
}

fn write_fully(out: BorrowedFd<'_>, mut data: &[u8]) -> Result<(), Errno> {
    while !data.is_empty() {
        match rustix::io::write(out, data) {
            Ok(n) => data = &data[n..],
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => {
                let mut fds = [rustix::event::PollFd::new(
                    &out,
                    rustix::event::PollFlags::OUT,
                )];
                match rustix::event::poll(&mut fds, None) {
                    Ok(_) | Err(Errno::INTR) => {}
                    Err(e) => return Err(e),
                }
                if !(fds[0].revents() - rustix::event::PollFlags::OUT).is_empty() {
                    return Err(Errno::IO);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Copies the file `path` to `new_path` as libuv does: the copy gets the
/// source's mode, times and (where permitted) owner; with `COPYFILE_EXCL`
/// an existing target is `EEXIST`; copying a file onto itself does
/// nothing; `FICLONE` tries a reflink and copies otherwise, `FICLONE_FORCE`
/// reflinks or fails. A target left half-made by an error is removed.
pub fn copyfile(path: &CStr, new_path: &CStr, flags: i32) -> Result<(), Errno> {
    if flags & !(COPYFILE_EXCL | COPYFILE_FICLONE | COPYFILE_FICLONE_FORCE) != 0 {
        return Err(Errno::INVAL);
    }
    let src = super::open(path, libc::O_RDONLY, 0)?;
    let (mut result, dst) = copy_from(src, new_path, flags);
    let closed = close(src);
    if result.is_ok() {
        result = closed;
    }
    if let Some(dst) = dst {
        let closed = close(dst);
        if result.is_ok() {
            result = closed;
        }
        if result.is_err() {
            let _ = rfs::unlink(new_path);
        }
    }
    result
}

/// Opens the target and copies `src` into it; returns the outcome and the
/// target's descriptor if it was opened.
fn copy_from(src: i32, new_path: &CStr, flags: i32) -> (Result<(), Errno>, Option<i32>) {
    let st = match borrow(src).and_then(rfs::fstat) {
        Ok(st) => st,
        Err(e) => return (Err(e), None),
    };
    let mut dst_flags = libc::O_WRONLY | libc::O_CREAT;
    if flags & COPYFILE_EXCL != 0 {
        dst_flags |= libc::O_EXCL;
    }
    match super::open(new_path, dst_flags, st.st_mode as i32) {
        Ok(dst) => (copy_into(src, dst, &st, flags), Some(dst)),
        Err(e) => (Err(e), None),
    }
}

fn copy_into(src: i32, dst: i32, st: &rfs::Stat, flags: i32) -> Result<(), Errno> {
    let src_fd = borrow(src)?;
    let dst_fd = borrow(dst)?;
    if flags & COPYFILE_EXCL == 0 {
        let dst_st = rfs::fstat(dst_fd)?;
        if dst_st.st_dev == st.st_dev && dst_st.st_ino == st.st_ino {
            return Ok(());
        }
        match rfs::ftruncate(dst_fd, 0) {
            Ok(()) => {}
            // ceph-fuse refuses to truncate a read-only file it just made;
            // an empty new file needs no truncation.
            Err(Errno::ACCESS) if dst_st.st_size == 0 => {}
            Err(e) => return Err(e),
        }
    }

    let times = Timestamps {
        last_access: Timespec {
            tv_sec: st.st_atime,
            tv_nsec: st.st_atime_nsec as _,
        },
        last_modification: Timespec {
            tv_sec: st.st_mtime,
            tv_nsec: st.st_mtime_nsec as _,
        },
    };
    rfs::futimens(dst_fd, &times)?;
    // Like `cp -p`, a copy whose owner cannot be set is still a copy.
    let _ = rfs::fchown(
        dst_fd,
        Some(rfs::Uid::from_raw(st.st_uid)),
        Some(rfs::Gid::from_raw(st.st_gid)),
    );
    rfs::fchmod(dst_fd, Mode::from_bits_retain(st.st_mode))?;

    if flags & (COPYFILE_FICLONE | COPYFILE_FICLONE_FORCE) != 0 {
        match rfs::ioctl_ficlone(dst_fd, src_fd) {
            Ok(()) => return Ok(()),
            Err(e) if flags & COPYFILE_FICLONE_FORCE != 0 => return Err(e),
            Err(_) => {}
        }
    }

    let mut left = st.st_size as u64;
    let mut offset = 0u64;
    while left > 0 {
        let chunk = left.min(isize::MAX as u64) as usize;
        let sent = sendfile(dst, src, offset as i64, chunk)?;
        if sent == 0 {
            // The source shrank while we copied: what is there is copied.
            break;
        }
        left -= sent as u64;
        offset += sent as u64;
    }
    Ok(())
}
