//! The file-system operations behind `uv_fs_*`: one request enum, [`Op`],
//! and one function that carries a request out, [`execute`].
//!
//! An `Op` borrows its arguments (paths, the caller's buffers, a directory
//! stream) and [`execute`] runs it on the calling thread with libuv 1.52's
//! Linux semantics, returning a typed [`Output`] or the `errno`. Who calls it
//! and where is the caller's choice: the C layer runs it inline for a
//! synchronous request and on the thread pool for one with a callback; a
//! second executor (io_uring) can take the same `Op`s.
//!
//! libuv's details kept here: `O_CLOEXEC` on every descriptor opened; EINTR
//! retried except for `close` and `read`; a read at a negative offset uses
//! the file position; a write continues until every byte is written or an
//! error occurs (after a partial write the count so far is the result);
//! stat through `statx` (with birth time), falling back to `stat` where the
//! kernel or a seccomp filter refuses it.

mod copy;
mod dir;
mod temp;

use std::ffi::{CStr, CString, OsStr};
use std::io::{IoSlice, IoSliceMut};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use rustix::fd::{AsFd, BorrowedFd, IntoRawFd};
use rustix::fs::{self as rfs, AtFlags, Mode, OFlags, StatxFlags, Timestamps, CWD};
use rustix::time::Timespec;

use crate::sys::fd::borrow;

pub use dir::{Directory, DirentType, Entry, Listing};
pub use rustix::io::Errno;

/// The most buffers one `readv`/`writev` takes (`IOV_MAX` on Linux); a read
/// with more fills the first `IOV_MAX`, a write loops.
pub const IOV_MAX: usize = 1024;

/// `uv_fs_copyfile` flags.
pub const COPYFILE_EXCL: i32 = 1;
pub const COPYFILE_FICLONE: i32 = 2;
pub const COPYFILE_FICLONE_FORCE: i32 = 4;

/// A time as libuv reports it (`uv_timespec_t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Time {
    pub sec: i64,
    pub nsec: i64,
}

/// What `uv_stat_t` holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub mode: u64,
    pub nlink: u64,
    pub uid: u64,
    pub gid: u64,
    pub rdev: u64,
    pub ino: u64,
    pub size: u64,
    pub blksize: u64,
    pub blocks: u64,
    pub flags: u64,
    pub gen: u64,
    pub atime: Time,
    pub mtime: Time,
    pub ctime: Time,
    pub birthtime: Time,
}

/// What `uv_statfs_t` holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatFs {
    pub fs_type: u64,
    pub bsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub frsize: u64,
}

/// One file-system request, its arguments borrowed from the caller.
pub enum Op<'a> {
    Open {
        path: &'a CStr,
        flags: i32,
        mode: i32,
    },
    Close {
        fd: i32,
    },
    /// `offset` < 0 reads at the file position.
    Read {
        fd: i32,
        bufs: &'a mut [IoSliceMut<'a>],
        offset: i64,
    },
    /// `offset` < 0 writes at the file position. The slices are advanced
    /// past what was written.
    Write {
        fd: i32,
        bufs: &'a mut [IoSlice<'a>],
        offset: i64,
    },
    Unlink {
        path: &'a CStr,
    },
    Mkdir {
        path: &'a CStr,
        mode: i32,
    },
    Rmdir {
        path: &'a CStr,
    },
    /// `template` (without its NUL) must end in `XXXXXX`, replaced in place
    /// by the name made.
    Mkdtemp {
        template: &'a mut [u8],
    },
    /// As `Mkdtemp`; on failure the template's first byte becomes NUL, as
    /// libuv leaves it.
    Mkstemp {
        template: &'a mut [u8],
    },
    Scandir {
        path: &'a CStr,
    },
    Opendir {
        path: &'a CStr,
    },
    /// Up to `max` entries, `.` and `..` left out.
    Readdir {
        dir: &'a mut Directory,
        max: usize,
    },
    Stat {
        path: &'a CStr,
    },
    Lstat {
        path: &'a CStr,
    },
    Fstat {
        fd: i32,
    },
    Statfs {
        path: &'a CStr,
    },
    Rename {
        path: &'a CStr,
        new_path: &'a CStr,
    },
    Link {
        path: &'a CStr,
        new_path: &'a CStr,
    },
    Symlink {
        path: &'a CStr,
        new_path: &'a CStr,
    },
    Readlink {
        path: &'a CStr,
    },
    Realpath {
        path: &'a CStr,
    },
    Fsync {
        fd: i32,
    },
    Fdatasync {
        fd: i32,
    },
    Ftruncate {
        fd: i32,
        length: i64,
    },
    Copyfile {
        path: &'a CStr,
        new_path: &'a CStr,
        flags: i32,
    },
    Sendfile {
        out_fd: i32,
        in_fd: i32,
        offset: i64,
        length: usize,
    },
    Access {
        path: &'a CStr,
        mode: i32,
    },
    Chmod {
        path: &'a CStr,
        mode: i32,
    },
    Fchmod {
        fd: i32,
        mode: i32,
    },
    /// Times in seconds; infinity means now, NaN leaves the time alone.
    Utime {
        path: &'a CStr,
        atime: f64,
        mtime: f64,
    },
    Futime {
        fd: i32,
        atime: f64,
        mtime: f64,
    },
    Lutime {
        path: &'a CStr,
        atime: f64,
        mtime: f64,
    },
    /// A uid or gid of `u32::MAX` (-1) leaves it unchanged.
    Chown {
        path: &'a CStr,
        uid: u32,
        gid: u32,
    },
    Fchown {
        fd: i32,
        uid: u32,
        gid: u32,
    },
    Lchown {
        path: &'a CStr,
        uid: u32,
        gid: u32,
    },
}

/// What a finished request gives back besides success.
pub enum Output {
    /// A descriptor (open, mkstemp), a byte count (read, write, sendfile),
    /// or 0.
    Value(i64),
    Stat(Stat),
    StatFs(StatFs),
    /// readlink, realpath.
    Path(CString),
    /// scandir, sorted.
    Listing(Listing),
    /// opendir.
    Directory(Directory),
    /// readdir.
    Entries(Vec<Entry>),
}

/// Carries out `op` on the calling thread.
pub fn execute(op: &mut Op<'_>) -> Result<Output, Errno> {
    let retry_eintr = !matches!(op, Op::Close { .. } | Op::Read { .. });
    loop {
        match run(op) {
            Err(Errno::INTR) if retry_eintr => continue,
            other => return other,
        }
    }
}

fn done(r: Result<(), Errno>) -> Result<Output, Errno> {
    r.map(|()| Output::Value(0))
}

fn run(op: &mut Op<'_>) -> Result<Output, Errno> {
    match op {
        Op::Open { path, flags, mode } => {
            open(path, *flags, *mode).map(|fd| Output::Value(fd.into()))
        }
        Op::Close { fd } => done(crate::sys::fd::close(*fd)),
        Op::Read { fd, bufs, offset } => read(*fd, bufs, *offset).map(count),
        Op::Write { fd, bufs, offset } => write_all(*fd, bufs, *offset).map(count),
        Op::Unlink { path } => done(rfs::unlink(*path)),
        Op::Mkdir { path, mode } => done(rfs::mkdir(*path, mode_of(*mode))),
        Op::Rmdir { path } => done(rfs::rmdir(*path)),
        Op::Mkdtemp { template } => temp::mkdtemp(template).map(|()| Output::Value(0)),
        Op::Mkstemp { template } => temp::mkstemp(template).map(|fd| Output::Value(fd.into())),
        Op::Scandir { path } => dir::scandir(path).map(Output::Listing),
        Op::Opendir { path } => Directory::open(path).map(Output::Directory),
        Op::Readdir { dir, max } => dir.read(*max).map(Output::Entries),
        Op::Stat { path } => stat(path).map(Output::Stat),
        Op::Lstat { path } => lstat(path).map(Output::Stat),
        Op::Fstat { fd } => fstat(*fd).map(Output::Stat),
        Op::Statfs { path } => statfs(path).map(Output::StatFs),
        Op::Rename { path, new_path } => done(rfs::rename(*path, *new_path)),
        Op::Link { path, new_path } => done(rfs::link(*path, *new_path)),
        Op::Symlink { path, new_path } => done(rfs::symlink(*path, *new_path)),
        Op::Readlink { path } => rfs::readlink(*path, Vec::new()).map(Output::Path),
        Op::Realpath { path } => realpath(path).map(Output::Path),
        Op::Fsync { fd } => done(rfs::fsync(borrow(*fd)?)),
        Op::Fdatasync { fd } => done(rfs::fdatasync(borrow(*fd)?)),
        Op::Ftruncate { fd, length } => done(ftruncate(*fd, *length)),
        Op::Copyfile {
            path,
            new_path,
            flags,
        } => copy::copyfile(path, new_path, *flags).map(|()| Output::Value(0)),
        Op::Sendfile {
            out_fd,
            in_fd,
            offset,
            length,
        } => copy::sendfile(*out_fd, *in_fd, *offset, *length).map(count),
        Op::Access { path, mode } => done(rfs::access(
            *path,
            rfs::Access::from_bits_retain(*mode as _),
        )),
        Op::Chmod { path, mode } => done(rfs::chmod(*path, mode_of(*mode))),
        Op::Fchmod { fd, mode } => done(rfs::fchmod(borrow(*fd)?, mode_of(*mode))),
        Op::Utime { path, atime, mtime } => done(rfs::utimensat(
            CWD,
            *path,
            &timestamps(*atime, *mtime),
            AtFlags::empty(),
        )),
        Op::Futime { fd, atime, mtime } => {
            done(rfs::futimens(borrow(*fd)?, &timestamps(*atime, *mtime)))
        }
        Op::Lutime { path, atime, mtime } => done(rfs::utimensat(
            CWD,
            *path,
            &timestamps(*atime, *mtime),
            AtFlags::SYMLINK_NOFOLLOW,
        )),
        Op::Chown { path, uid, gid } => done(rfs::chownat(
            CWD,
            *path,
            owner(*uid),
            group(*gid),
            AtFlags::empty(),
        )),
        Op::Fchown { fd, uid, gid } => done(rfs::fchown(borrow(*fd)?, owner(*uid), group(*gid))),
        Op::Lchown { path, uid, gid } => done(rfs::chownat(
            CWD,
            *path,
            owner(*uid),
            group(*gid),
            AtFlags::SYMLINK_NOFOLLOW,
        )),
    }
}

fn count(n: usize) -> Output {
    Output::Value(n as i64)
}

fn mode_of(mode: i32) -> Mode {
    Mode::from_bits_retain(mode as u32)
}

fn owner(uid: u32) -> Option<rfs::Uid> {
    (uid != u32::MAX).then(|| rfs::Uid::from_raw(uid))
}

fn group(gid: u32) -> Option<rfs::Gid> {
    (gid != u32::MAX).then(|| rfs::Gid::from_raw(gid))
}

/// `open(2)` with `O_CLOEXEC` added; the descriptor is the caller's.
pub fn open(path: &CStr, flags: i32, mode: i32) -> Result<i32, Errno> {
    let flags = OFlags::from_bits_retain(flags as u32) | OFlags::CLOEXEC;
    rfs::open(path, flags, mode_of(mode)).map(IntoRawFd::into_raw_fd)
}

fn read(fd: i32, bufs: &mut [IoSliceMut<'_>], offset: i64) -> Result<usize, Errno> {
    let fd = borrow(fd)?;
    let n = bufs.len().min(IOV_MAX);
    let bufs = &mut bufs[..n];
    match (bufs, offset) {
        ([], _) => Ok(0),
        ([one], off) if off < 0 => rustix::io::read(fd, &mut one[..]),
        ([one], off) => rustix::io::pread(fd, &mut one[..], off as u64),
        (many, off) if off < 0 => rustix::io::readv(fd, many),
        (many, off) => rustix::io::preadv(fd, many, off as u64),
    }
}

fn write_once(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>], offset: i64) -> Result<usize, Errno> {
    let bufs = &bufs[..bufs.len().min(IOV_MAX)];
    match (bufs, offset) {
        ([one], off) if off < 0 => rustix::io::write(fd, one),
        ([one], off) => rustix::io::pwrite(fd, one, off as u64),
        (many, off) if off < 0 => rustix::io::writev(fd, many),
        (many, off) => rustix::io::pwritev(fd, many, off as u64),
    }
}

/// Writes every byte of `bufs`, or stops at the first error or a write of
/// nothing; an error after some bytes went out gives the count written.
fn write_all(fd: i32, mut bufs: &mut [IoSlice<'_>], mut offset: i64) -> Result<usize, Errno> {
    let fd = borrow(fd)?;
    let mut total = 0usize;
    while !bufs.is_empty() {
        let n = match write_once(fd, bufs, offset) {
            Ok(0) => break,
            Ok(n) => n,
            Err(Errno::INTR) => continue,
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        };
        total += n;
        if offset >= 0 {
            offset += n as i64;
        }
        IoSlice::advance_slices(&mut bufs, n);
    }
    Ok(total)
}

fn ftruncate(fd: i32, length: i64) -> Result<(), Errno> {
    let fd = borrow(fd)?;
    if length < 0 {
        return Err(Errno::INVAL);
    }
    rfs::ftruncate(fd, length as u64)
}

/// libuv's conversion of a time in seconds: infinity is `UTIME_NOW`, NaN
/// `UTIME_OMIT`; otherwise whole seconds toward zero and the fraction in
/// nanoseconds, borrowed into a positive `tv_nsec` for times before 1970.
fn timespec(time: f64) -> Timespec {
    if time.is_infinite() {
        return Timespec {
            tv_sec: 0,
            tv_nsec: rfs::UTIME_NOW,
        };
    }
    if time.is_nan() {
        return Timespec {
            tv_sec: 0,
            tv_nsec: rfs::UTIME_OMIT,
        };
    }
    let mut sec = time as i64;
    let mut nsec = ((time - sec as f64) * 1e9) as i64;
    if nsec < 0 {
        nsec += 1_000_000_000;
        sec -= 1;
    }
    Timespec {
        tv_sec: sec,
        tv_nsec: nsec as _,
    }
}

// Not inlined: inlined into `run`, the conversions were hoisted above the
// match and ran on every request, on bytes of other variants read as
// doubles, whose invalid conversions cost a microcode assist each (a
// third of a synchronous stat, measured with libuv's fs_stat benchmark).
#[inline(never)]
fn timestamps(atime: f64, mtime: f64) -> Timestamps {
    Timestamps {
        last_access: timespec(atime),
        last_modification: timespec(mtime),
    }
}

/// `stat` of `path`, following symbolic links.
pub fn stat(path: &CStr) -> Result<Stat, Errno> {
    statx_or(CWD, path, AtFlags::empty(), || rfs::stat(path))
}

/// `lstat` of `path`.
pub fn lstat(path: &CStr) -> Result<Stat, Errno> {
    statx_or(CWD, path, AtFlags::SYMLINK_NOFOLLOW, || rfs::lstat(path))
}

/// `fstat` of the caller's descriptor.
pub fn fstat(fd: i32) -> Result<Stat, Errno> {
    let fd = borrow(fd)?;
    statx_or(fd, c"", AtFlags::EMPTY_PATH, || rfs::fstat(fd))
}

/// `statx` with libuv's mask (basic stats and birth time); where the kernel
/// or a seccomp filter refuses `statx` itself, `fallback` (plain stat, with
/// the change time standing in for the birth time, as libuv does).
fn statx_or(
    dirfd: impl AsFd,
    path: &CStr,
    flags: AtFlags,
    fallback: impl FnOnce() -> rustix::io::Result<rfs::Stat>,
) -> Result<Stat, Errno> {
    match rfs::statx(
        dirfd,
        path,
        flags,
        StatxFlags::BASIC_STATS | StatxFlags::BTIME,
    ) {
        Ok(x) => Ok(from_statx(&x)),
        Err(Errno::INVAL | Errno::PERM | Errno::NOSYS | Errno::OPNOTSUPP) => {
            fallback().map(|s| from_stat(&s))
        }
        Err(e) => Err(e),
    }
}

fn from_statx(x: &rfs::Statx) -> Stat {
    let t = |t: rfs::StatxTimestamp| Time {
        sec: t.tv_sec,
        nsec: t.tv_nsec.into(),
    };
    Stat {
        dev: rfs::makedev(x.stx_dev_major, x.stx_dev_minor),
        mode: x.stx_mode.into(),
        nlink: x.stx_nlink.into(),
        uid: x.stx_uid.into(),
        gid: x.stx_gid.into(),
        rdev: rfs::makedev(x.stx_rdev_major, x.stx_rdev_minor),
        ino: x.stx_ino,
        size: x.stx_size,
        blksize: x.stx_blksize.into(),
        blocks: x.stx_blocks,
        flags: 0,
        gen: 0,
        atime: t(x.stx_atime),
        mtime: t(x.stx_mtime),
        ctime: t(x.stx_ctime),
        birthtime: t(x.stx_btime),
    }
}

fn from_stat(s: &rfs::Stat) -> Stat {
    let t = |sec: i64, nsec: i64| Time { sec, nsec };
    Stat {
        dev: s.st_dev,
        mode: s.st_mode.into(),
        nlink: s.st_nlink,
        uid: s.st_uid.into(),
        gid: s.st_gid.into(),
        rdev: s.st_rdev,
        ino: s.st_ino,
        size: s.st_size as u64,
        blksize: s.st_blksize as u64,
        blocks: s.st_blocks as u64,
        flags: 0,
        gen: 0,
        atime: t(s.st_atime, s.st_atime_nsec),
        mtime: t(s.st_mtime, s.st_mtime_nsec),
        ctime: t(s.st_ctime, s.st_ctime_nsec),
        birthtime: t(s.st_ctime, s.st_ctime_nsec),
    }
}

fn statfs(path: &CStr) -> Result<StatFs, Errno> {
    let s = rfs::statfs(path)?;
    Ok(StatFs {
        fs_type: s.f_type as u64,
        bsize: s.f_bsize as u64,
        blocks: s.f_blocks,
        bfree: s.f_bfree,
        bavail: s.f_bavail,
        files: s.f_files,
        ffree: s.f_ffree,
        frsize: s.f_frsize as u64,
    })
}

/// The C library's `realpath(3)` (what `std::fs::canonicalize` calls).
fn realpath(path: &CStr) -> Result<CString, Errno> {
    let resolved = std::fs::canonicalize(OsStr::from_bytes(path.to_bytes()))
        .map_err(|e| Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO)))?;
    CString::new(resolved.into_os_string().into_vec()).map_err(|_| Errno::INVAL)
}
