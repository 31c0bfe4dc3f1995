//! The file-system requests: every `uv_fs_*` call, the `uv_fs_get_*`
//! getters, `uv_fs_scandir_next` and `uv_fs_req_cleanup`.
//!
//! Each call fills in the request before anything can fail (type, `fs_type`,
//! `result`, `loop`, `cb`, `path`, `ptr`), as programs read those fields
//! after an error, then stores its arguments in the request's private fields
//! (libuv's names and layout). The work itself is one engine call,
//! [`rsuv_core::fs::execute`], on an [`Op`] built from those fields: inline
//! when `cb` is NULL (the result is returned and kept in `req->result`), or
//! on the thread pool with `cb` following on the loop thread.
//!
//! Memory, as in libuv: a synchronous request borrows the caller's path and
//! buffers; an asynchronous one copies the path (both paths in one block)
//! and the buffer list (inline for up to four). mkdtemp/mkstemp always copy
//! the template, which becomes the name made. `uv_fs_req_cleanup` frees what
//! the request allocated: the path copy, results handed out in `ptr`
//! (statfs, readlink, realpath), readdir's entry names and scandir's
//! listing. Where libuv asserts on a NULL path, this layer returns
//! `UV_EINVAL` with the request still initialized.

#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_int, c_uint, c_void, CStr};
use core::ptr;
use std::io::{IoSlice, IoSliceMut};

use rsuv_core::error::{UV_ECANCELED, UV_EINVAL, UV_ENOMEM, UV_EOF};
use rsuv_core::fs::{self, Directory, Listing, Op, Output, Stat, StatFs};
use rsuv_core::threadpool;

use crate::abi::{uv_loop_t, uv_req_t, UV_FS};
use crate::alloc;
use crate::misc::Buf;
use crate::threadpool::pool_request_started;

pub type uv_fs_cb = Option<unsafe extern "C" fn(*mut uv_fs_t)>;
pub type uv_file = c_int;

/// `uv_fs_type`.
pub mod fs_type {
    use core::ffi::c_int;
    pub const UNKNOWN: c_int = -1;
    pub const OPEN: c_int = 1;
    pub const CLOSE: c_int = 2;
    pub const READ: c_int = 3;
    pub const WRITE: c_int = 4;
    pub const SENDFILE: c_int = 5;
    pub const STAT: c_int = 6;
    pub const LSTAT: c_int = 7;
    pub const FSTAT: c_int = 8;
    pub const FTRUNCATE: c_int = 9;
    pub const UTIME: c_int = 10;
    pub const FUTIME: c_int = 11;
    pub const ACCESS: c_int = 12;
    pub const CHMOD: c_int = 13;
    pub const FCHMOD: c_int = 14;
    pub const FSYNC: c_int = 15;
    pub const FDATASYNC: c_int = 16;
    pub const UNLINK: c_int = 17;
    pub const RMDIR: c_int = 18;
    pub const MKDIR: c_int = 19;
    pub const MKDTEMP: c_int = 20;
    pub const RENAME: c_int = 21;
    pub const SCANDIR: c_int = 22;
    pub const LINK: c_int = 23;
    pub const SYMLINK: c_int = 24;
    pub const READLINK: c_int = 25;
    pub const CHOWN: c_int = 26;
    pub const FCHOWN: c_int = 27;
    pub const REALPATH: c_int = 28;
    pub const COPYFILE: c_int = 29;
    pub const LCHOWN: c_int = 30;
    pub const OPENDIR: c_int = 31;
    pub const READDIR: c_int = 32;
    pub const CLOSEDIR: c_int = 33;
    pub const STATFS: c_int = 34;
    pub const MKSTEMP: c_int = 35;
    pub const LUTIME: c_int = 36;
}
use fs_type as t;

/// `uv_timespec_t`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct uv_timespec_t {
    pub tv_sec: libc::c_long,
    pub tv_nsec: libc::c_long,
}

/// `uv_stat_t`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct uv_stat_t {
    pub st_dev: u64,
    pub st_mode: u64,
    pub st_nlink: u64,
    pub st_uid: u64,
    pub st_gid: u64,
    pub st_rdev: u64,
    pub st_ino: u64,
    pub st_size: u64,
    pub st_blksize: u64,
    pub st_blocks: u64,
    pub st_flags: u64,
    pub st_gen: u64,
    pub st_atim: uv_timespec_t,
    pub st_mtim: uv_timespec_t,
    pub st_ctim: uv_timespec_t,
    pub st_birthtim: uv_timespec_t,
}

impl From<&Stat> for uv_stat_t {
    fn from(s: &Stat) -> uv_stat_t {
        let ts = |t: fs::Time| uv_timespec_t {
            tv_sec: t.sec,
            tv_nsec: t.nsec,
        };
        uv_stat_t {
            st_dev: s.dev,
            st_mode: s.mode,
            st_nlink: s.nlink,
            st_uid: s.uid,
            st_gid: s.gid,
            st_rdev: s.rdev,
            st_ino: s.ino,
            st_size: s.size,
            st_blksize: s.blksize,
            st_blocks: s.blocks,
            st_flags: s.flags,
            st_gen: s.gen,
            st_atim: ts(s.atime),
            st_mtim: ts(s.mtime),
            st_ctim: ts(s.ctime),
            st_birthtim: ts(s.birthtime),
        }
    }
}

/// `uv_statfs_t`.
#[repr(C)]
pub struct uv_statfs_t {
    pub f_type: u64,
    pub f_bsize: u64,
    pub f_blocks: u64,
    pub f_bfree: u64,
    pub f_bavail: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_frsize: u64,
    pub f_spare: [u64; 3],
}

impl From<&StatFs> for uv_statfs_t {
    fn from(s: &StatFs) -> uv_statfs_t {
        uv_statfs_t {
            f_type: s.fs_type,
            f_bsize: s.bsize,
            f_blocks: s.blocks,
            f_bfree: s.bfree,
            f_bavail: s.bavail,
            f_files: s.files,
            f_ffree: s.ffree,
            f_frsize: s.frsize,
            f_spare: [0; 3],
        }
    }
}

/// `uv_dirent_t`.
#[repr(C)]
pub struct uv_dirent_t {
    pub name: *const c_char,
    pub type_: c_int,
}

/// `uv_dir_t`: the caller's entry array, and our directory stream.
#[repr(C)]
pub struct uv_dir_t {
    pub dirents: *mut uv_dirent_t,
    pub nentries: usize,
    pub reserved: [*mut c_void; 4],
    /// A `Box<Directory>` from opendir until closedir.
    dir: *mut Directory,
}

/// `uv_fs_t`: the public fields, then libuv's private ones.
#[repr(C)]
pub struct uv_fs_t {
    pub req: uv_req_t,
    pub fs_type: c_int,
    pub loop_: *mut uv_loop_t,
    pub cb: uv_fs_cb,
    pub result: isize,
    pub ptr: *mut c_void,
    pub path: *const c_char,
    pub statbuf: uv_stat_t,
    new_path: *const c_char,
    file: uv_file,
    flags: c_int,
    mode: c_uint,
    nbufs: c_uint,
    bufs: *mut Buf,
    off: i64,
    uid: libc::uid_t,
    gid: libc::gid_t,
    atime: f64,
    mtime: f64,
    work_req: [*mut c_void; 5],
    bufsml: [Buf; 4],
}

const _: () = {
    use core::mem::{offset_of, size_of};
    assert!(size_of::<uv_fs_t>() == 440);
    assert!(offset_of!(uv_fs_t, fs_type) == 64);
    assert!(offset_of!(uv_fs_t, loop_) == 72);
    assert!(offset_of!(uv_fs_t, cb) == 80);
    assert!(offset_of!(uv_fs_t, result) == 88);
    assert!(offset_of!(uv_fs_t, ptr) == 96);
    assert!(offset_of!(uv_fs_t, path) == 104);
    assert!(offset_of!(uv_fs_t, statbuf) == 112);
    assert!(offset_of!(uv_fs_t, new_path) == 272);
    assert!(offset_of!(uv_fs_t, bufs) == 296);
    assert!(offset_of!(uv_fs_t, bufsml) == 376);
    assert!(size_of::<uv_stat_t>() == 160);
    assert!(size_of::<uv_statfs_t>() == 88);
    assert!(size_of::<uv_dirent_t>() == 16);
    assert!(size_of::<uv_dir_t>() == 56);
    // The buffer list goes to the engine as I/O slices.
    assert!(size_of::<Buf>() == size_of::<IoSlice>());
};

/// A scandir result handed out in `req->ptr`, walked by
/// `uv_fs_scandir_next`.
struct ScanState {
    listing: Listing,
    next: usize,
}

fn uv_code(e: fs::Errno) -> isize {
    -(e.raw_os_error() as isize)
}

// ---------------------------------------------------------------------------
// Setting up and running a request.

/// Initializes `req` for `kind`, as every call does first.
///
/// # Safety
/// `req` is null or writable for a `uv_fs_t`.
unsafe fn init<'a>(
    lp: *mut uv_loop_t,
    req: *mut uv_fs_t,
    kind: c_int,
    cb: uv_fs_cb,
) -> Result<&'a mut uv_fs_t, c_int> {
    // SAFETY: per the contract; the request is the caller's until its
    // callback, and this layer is its only user meanwhile.
    let r = unsafe { req.as_mut() }.ok_or(UV_EINVAL)?;
    r.req.type_ = UV_FS;
    r.fs_type = kind;
    r.result = 0;
    r.ptr = ptr::null_mut();
    r.loop_ = lp;
    r.path = ptr::null();
    r.new_path = ptr::null();
    r.bufs = ptr::null_mut();
    r.nbufs = 0;
    r.cb = cb;
    Ok(r)
}

/// Sets `req->path`: the caller's string for a synchronous request, a copy
/// for an asynchronous one.
///
/// # Safety
/// `path` is null or NUL-terminated.
unsafe fn set_path(r: &mut uv_fs_t, path: *const c_char) -> Result<(), c_int> {
    if path.is_null() {
        return Err(UV_EINVAL);
    }
    if r.cb.is_none() {
        r.path = path;
        return Ok(());
    }
    // SAFETY: per the contract.
    let copy = alloc::strdup(unsafe { CStr::from_ptr(path) });
    if copy.is_null() {
        return Err(UV_ENOMEM);
    }
    r.path = copy;
    Ok(())
}

/// Sets `req->path` and `req->new_path`; an asynchronous request copies
/// both into one block, freed through `path`.
///
/// # Safety
/// Both are null or NUL-terminated.
unsafe fn set_paths(
    r: &mut uv_fs_t,
    path: *const c_char,
    new_path: *const c_char,
) -> Result<(), c_int> {
    if path.is_null() || new_path.is_null() {
        return Err(UV_EINVAL);
    }
    if r.cb.is_none() {
        r.path = path;
        r.new_path = new_path;
        return Ok(());
    }
    // SAFETY: per the contract.
    let (a, b) = unsafe {
        (
            CStr::from_ptr(path).to_bytes_with_nul(),
            CStr::from_ptr(new_path).to_bytes_with_nul(),
        )
    };
    let block = alloc::alloc(a.len() + b.len()).cast::<u8>();
    if block.is_null() {
        return Err(UV_ENOMEM);
    }
    // SAFETY: `block` holds a.len() + b.len() bytes.
    unsafe {
        ptr::copy_nonoverlapping(a.as_ptr(), block, a.len());
        ptr::copy_nonoverlapping(b.as_ptr(), block.add(a.len()), b.len());
        r.path = block.cast();
        r.new_path = block.add(a.len()).cast();
    }
    Ok(())
}

/// Copies the template for mkdtemp/mkstemp (always, as libuv does).
///
/// # Safety
/// `tpl` is null or NUL-terminated.
unsafe fn set_template(r: &mut uv_fs_t, tpl: *const c_char) -> Result<(), c_int> {
    if tpl.is_null() {
        return Err(UV_EINVAL);
    }
    // SAFETY: per the contract.
    let copy = alloc::strdup(unsafe { CStr::from_ptr(tpl) });
    if copy.is_null() {
        return Err(UV_ENOMEM);
    }
    r.path = copy;
    Ok(())
}

/// Points `req->bufs` at a copy of the caller's buffer list: `bufsml` for
/// up to four, else a block freed by the request.
///
/// # Safety
/// `bufs` points to `nbufs` buffers.
unsafe fn copy_bufs(r: &mut uv_fs_t, bufs: *const Buf, nbufs: c_uint) -> Result<(), c_int> {
    let n = nbufs as usize;
    let dst: *mut Buf = if n <= r.bufsml.len() {
        r.bufsml.as_mut_ptr()
    } else {
        let block = n
            .checked_mul(core::mem::size_of::<Buf>())
            .map(alloc::alloc)
            .unwrap_or(ptr::null_mut());
        if block.is_null() {
            return Err(UV_ENOMEM);
        }
        block.cast()
    };
    // SAFETY: per the contract; `dst` holds `n` buffers.
    unsafe { ptr::copy_nonoverlapping(bufs, dst, n) };
    r.bufs = dst;
    r.nbufs = nbufs;
    Ok(())
}

/// Frees a heap copy of the buffer list and forgets the list. (A
/// synchronous read's list is the caller's own.)
fn drop_bufs(r: &mut uv_fs_t) {
    let copied = r.fs_type != t::READ || r.cb.is_some();
    if copied && !r.bufs.is_null() && r.bufs != r.bufsml.as_mut_ptr() {
        // SAFETY: a list not in `bufsml` came from `copy_bufs`' allocation.
        unsafe { alloc::free(r.bufs.cast()) };
    }
    r.bufs = ptr::null_mut();
    r.nbufs = 0;
}

/// Runs the request now (no callback) or queues it on the thread pool.
fn post(r: &mut uv_fs_t) -> c_int {
    if r.cb.is_none() {
        execute(r);
        return r.result as c_int;
    }
    // SAFETY: `loop_` was given by the caller, who must pass an initialized
    // loop with a callback.
    let Some(shared) = (unsafe { pool_request_started(r.loop_) }) else {
        return UV_EINVAL;
    };
    threadpool::submit(
        r as *mut uv_fs_t as usize,
        run_on_pool,
        finish_on_loop,
        shared,
    );
    0
}

fn run_on_pool(token: usize) {
    // SAFETY: the request stays valid and untouched by the loop thread until
    // its callback; only this job uses it meanwhile.
    execute(unsafe { &mut *(token as *mut uv_fs_t) });
}

fn finish_on_loop(token: usize, status: i32) {
    let req = token as *mut uv_fs_t;
    // SAFETY: the request is valid until its callback returns.
    unsafe {
        if status == threadpool::CANCELED {
            (*req).result = UV_ECANCELED as isize;
        }
        if let Some(cb) = (*req).cb {
            cb(req);
        }
    }
}

/// The request's path as a C string.
///
/// # Safety
/// `p` points to a NUL-terminated string that outlives the returned one.
unsafe fn cstr<'a>(p: *const c_char) -> &'a CStr {
    // SAFETY: per the contract.
    unsafe { CStr::from_ptr(p) }
}

/// Builds the request's `Op`, runs it and stores the outcome.
fn execute(r: &mut uv_fs_t) {
    let outcome = {
        // SAFETY: the paths are set (non-null) for every type that reads
        // them, and stay valid for the request's life; the buffer list
        // points to `nbufs` caller buffers (laid out as iovecs, checked
        // above) that the caller keeps valid until completion; the
        // directory stream is the Box opendir made.
        let mut op = match unsafe { op_of(r) } {
            Some(op) => op,
            None => return finish_closedir(r),
        };
        fs::execute(&mut op)
    };
    if matches!(r.fs_type, t::READ | t::WRITE) {
        drop_bufs(r);
    }
    r.result = match outcome {
        Err(e) => uv_code(e),
        Ok(out) => store(r, out),
    };
}

/// The engine request for `r`, or `None` for closedir (which only frees).
///
/// # Safety
/// As in `execute`.
unsafe fn op_of<'a>(r: &'a mut uv_fs_t) -> Option<Op<'a>> {
    let (path_ptr, new_path_ptr) = (r.path, r.new_path);
    // SAFETY: per the contract.
    let path = || unsafe { cstr(path_ptr) };
    // SAFETY: per the contract.
    let new_path = || unsafe { cstr(new_path_ptr) };
    let op = match r.fs_type {
        t::OPEN => Op::Open {
            path: path(),
            flags: r.flags,
            mode: r.mode as i32,
        },
        t::CLOSE => Op::Close { fd: r.file },
        t::READ => Op::Read {
            fd: r.file,
            // SAFETY: per the contract; a uv_buf_t is an iovec.
            bufs: unsafe { slice_mut(r.bufs.cast::<IoSliceMut>(), r.nbufs) },
            offset: r.off,
        },
        t::WRITE => Op::Write {
            fd: r.file,
            // SAFETY: per the contract; the list is our own copy, which the
            // engine may advance.
            bufs: unsafe { slice_mut(r.bufs.cast::<IoSlice>(), r.nbufs) },
            offset: r.off,
        },
        t::SENDFILE => Op::Sendfile {
            out_fd: r.file,
            in_fd: r.flags,
            offset: r.off,
            length: r.bufsml[0].len,
        },
        t::STAT => Op::Stat { path: path() },
        t::LSTAT => Op::Lstat { path: path() },
        t::FSTAT => Op::Fstat { fd: r.file },
        t::FTRUNCATE => Op::Ftruncate {
            fd: r.file,
            length: r.off,
        },
        t::UTIME => Op::Utime {
            path: path(),
            atime: r.atime,
            mtime: r.mtime,
        },
        t::FUTIME => Op::Futime {
            fd: r.file,
            atime: r.atime,
            mtime: r.mtime,
        },
        t::LUTIME => Op::Lutime {
            path: path(),
            atime: r.atime,
            mtime: r.mtime,
        },
        t::ACCESS => Op::Access {
            path: path(),
            mode: r.flags,
        },
        t::CHMOD => Op::Chmod {
            path: path(),
            mode: r.mode as i32,
        },
        t::FCHMOD => Op::Fchmod {
            fd: r.file,
            mode: r.mode as i32,
        },
        t::FSYNC => Op::Fsync { fd: r.file },
        t::FDATASYNC => Op::Fdatasync { fd: r.file },
        t::UNLINK => Op::Unlink { path: path() },
        t::RMDIR => Op::Rmdir { path: path() },
        t::MKDIR => Op::Mkdir {
            path: path(),
            mode: r.mode as i32,
        },
        t::MKDTEMP | t::MKSTEMP => {
            // SAFETY: the template is our own copy (set_template).
            let template = unsafe {
                let len = cstr(r.path).to_bytes().len();
                core::slice::from_raw_parts_mut(r.path as *mut u8, len)
            };
            if r.fs_type == t::MKDTEMP {
                Op::Mkdtemp { template }
            } else {
                Op::Mkstemp { template }
            }
        }
        t::RENAME => Op::Rename {
            path: path(),
            new_path: new_path(),
        },
        t::LINK => Op::Link {
            path: path(),
            new_path: new_path(),
        },
        t::SYMLINK => Op::Symlink {
            path: path(),
            new_path: new_path(),
        },
        t::READLINK => Op::Readlink { path: path() },
        t::REALPATH => Op::Realpath { path: path() },
        t::COPYFILE => Op::Copyfile {
            path: path(),
            new_path: new_path(),
            flags: r.flags,
        },
        t::SCANDIR => Op::Scandir { path: path() },
        t::OPENDIR => Op::Opendir { path: path() },
        t::READDIR => {
            // SAFETY: uv_fs_readdir checked the uv_dir_t and its stream.
            let dir = unsafe { &mut *(r.ptr as *mut uv_dir_t) };
            // SAFETY: the stream is opendir's Box, alive until closedir.
            Op::Readdir {
                dir: unsafe { &mut *dir.dir },
                max: dir.nentries,
            }
        }
        t::STATFS => Op::Statfs { path: path() },
        t::CHOWN => Op::Chown {
            path: path(),
            uid: r.uid,
            gid: r.gid,
        },
        t::FCHOWN => Op::Fchown {
            fd: r.file,
            uid: r.uid,
            gid: r.gid,
        },
        t::LCHOWN => Op::Lchown {
            path: path(),
            uid: r.uid,
            gid: r.gid,
        },
        _ => return None,
    };
    Some(op)
}

/// `count` I/O slices at `p` (none for a null list).
///
/// # Safety
/// `p` points to `count` valid slices for `'a`, used by nothing else.
unsafe fn slice_mut<'a, T>(p: *mut T, count: c_uint) -> &'a mut [T] {
    if p.is_null() || count == 0 {
        return &mut [];
    }
    // SAFETY: per the contract.
    unsafe { core::slice::from_raw_parts_mut(p, count as usize) }
}

/// Stores a successful outcome; returns the request's result.
fn store(r: &mut uv_fs_t, out: Output) -> isize {
    match out {
        Output::Value(v) => v as isize,
        Output::Stat(s) => {
            r.statbuf = uv_stat_t::from(&s);
            r.ptr = ptr::addr_of_mut!(r.statbuf).cast();
            0
        }
        Output::StatFs(s) => {
            let block = alloc::alloc(core::mem::size_of::<uv_statfs_t>()).cast::<uv_statfs_t>();
            if block.is_null() {
                return UV_ENOMEM as isize;
            }
            // SAFETY: a fresh block of the right size.
            unsafe { block.write(uv_statfs_t::from(&s)) };
            r.ptr = block.cast();
            0
        }
        Output::Path(p) => {
            let copy = alloc::strdup(&p);
            if copy.is_null() {
                return UV_ENOMEM as isize;
            }
            r.ptr = copy.cast();
            0
        }
        Output::Listing(listing) => {
            let n = listing.len() as isize;
            r.nbufs = 0;
            if n > 0 {
                r.ptr = Box::into_raw(Box::new(ScanState { listing, next: 0 })).cast();
            }
            n
        }
        Output::Directory(d) => {
            let dir = alloc::alloc(core::mem::size_of::<uv_dir_t>()).cast::<uv_dir_t>();
            if dir.is_null() {
                return UV_ENOMEM as isize;
            }
            // SAFETY: a fresh block of the right size.
            unsafe {
                dir.write(uv_dir_t {
                    dirents: ptr::null_mut(),
                    nentries: 0,
                    reserved: [ptr::null_mut(); 4],
                    dir: Box::into_raw(Box::new(d)),
                })
            };
            r.ptr = dir.cast();
            0
        }
        Output::Entries(entries) => {
            // SAFETY: uv_fs_readdir checked that ptr is a uv_dir_t with an
            // entry array of `nentries`, and the engine returned at most that
            // many entries.
            let dir = unsafe { &mut *(r.ptr as *mut uv_dir_t) };
            for (i, e) in entries.iter().enumerate() {
                let name = alloc::strdup(&e.name);
                if name.is_null() {
                    // SAFETY: the names before `i` were made just above.
                    unsafe { free_dirent_names(dir, i) };
                    return UV_ENOMEM as isize;
                }
                // SAFETY: i < nentries (see above).
                unsafe {
                    let slot = &mut *dir.dirents.add(i);
                    slot.name = name;
                    slot.type_ = e.kind as c_int;
                }
            }
            entries.len() as isize
        }
    }
}

/// Frees the names of a uv_dir_t's first `n` entries.
///
/// # Safety
/// They were made by `store` and not freed since.
unsafe fn free_dirent_names(dir: &mut uv_dir_t, n: usize) {
    for i in 0..n {
        // SAFETY: per the contract.
        unsafe {
            let slot = &mut *dir.dirents.add(i);
            alloc::free(slot.name as *mut c_void);
            slot.name = ptr::null();
        }
    }
}

/// closedir: closes the stream and frees the `uv_dir_t` opendir made.
fn finish_closedir(r: &mut uv_fs_t) {
    let dir = r.ptr as *mut uv_dir_t;
    // SAFETY: uv_fs_closedir checked `dir`; it and its stream came from
    // opendir, and closedir is their last use.
    unsafe {
        if !(*dir).dir.is_null() {
            drop(Box::from_raw((*dir).dir));
            (*dir).dir = ptr::null_mut();
        }
        alloc::free(dir.cast());
    }
    r.ptr = ptr::null_mut();
    r.result = 0;
}

// ---------------------------------------------------------------------------
// The calls.

/// Runs `f` to set up the request, then posts it; an error from `f` is
/// returned as is (the request stays initialized).
fn submit(
    setup: Result<&mut uv_fs_t, c_int>,
    f: impl FnOnce(&mut uv_fs_t) -> Result<(), c_int>,
) -> c_int {
    let r = match setup {
        Ok(r) => r,
        Err(e) => return e,
    };
    match f(r) {
        Ok(()) => post(r),
        Err(e) => e,
    }
}

/// Declares the calls that take one path and plain arguments.
macro_rules! path_call {
    ($(fn $name:ident($($arg:ident: $ty:ty),*) => $kind:ident { $($field:ident = $val:expr),* };)*) => {
        $(
            /// See libuv's documentation of this call.
            ///
            /// # Safety
            /// `loop_` is an initialized loop when `cb` is set; `req` stays
            /// valid until its callback (or the return, without one); `path`
            /// is NULL or NUL-terminated.
            #[no_mangle]
            pub unsafe extern "C" fn $name(
                loop_: *mut uv_loop_t,
                req: *mut uv_fs_t,
                path: *const c_char,
                $($arg: $ty,)*
                cb: uv_fs_cb,
            ) -> c_int {
                // SAFETY: per the contract.
                submit(unsafe { init(loop_, req, t::$kind, cb) }, |r| {
                    // SAFETY: per the contract.
                    unsafe { set_path(r, path) }?;
                    $(r.$field = $val;)*
                    Ok(())
                })
            }
        )*
    };
}

/// Declares the calls that take one descriptor and plain arguments.
macro_rules! fd_call {
    ($(fn $name:ident($($arg:ident: $ty:ty),*) => $kind:ident { $($field:ident = $val:expr),* };)*) => {
        $(
            /// See libuv's documentation of this call.
            ///
            /// # Safety
            /// `loop_` is an initialized loop when `cb` is set; `req` stays
            /// valid until its callback (or the return, without one).
            #[no_mangle]
            pub unsafe extern "C" fn $name(
                loop_: *mut uv_loop_t,
                req: *mut uv_fs_t,
                file: uv_file,
                $($arg: $ty,)*
                cb: uv_fs_cb,
            ) -> c_int {
                // SAFETY: per the contract.
                submit(unsafe { init(loop_, req, t::$kind, cb) }, |r| {
                    r.file = file;
                    $(r.$field = $val;)*
                    Ok(())
                })
            }
        )*
    };
}

/// Declares the calls that take two paths.
macro_rules! two_path_call {
    ($(fn $name:ident($($arg:ident: $ty:ty),*) => $kind:ident { $($field:ident = $val:expr),* };)*) => {
        $(
            /// See libuv's documentation of this call.
            ///
            /// # Safety
            /// `loop_` is an initialized loop when `cb` is set; `req` stays
            /// valid until its callback (or the return, without one); both
            /// paths are NULL or NUL-terminated.
            #[no_mangle]
            pub unsafe extern "C" fn $name(
                loop_: *mut uv_loop_t,
                req: *mut uv_fs_t,
                path: *const c_char,
                new_path: *const c_char,
                $($arg: $ty,)*
                cb: uv_fs_cb,
            ) -> c_int {
                // SAFETY: per the contract.
                submit(unsafe { init(loop_, req, t::$kind, cb) }, |r| {
                    $(r.$field = $val;)*
                    // SAFETY: per the contract.
                    unsafe { set_paths(r, path, new_path) }
                })
            }
        )*
    };
}

path_call! {
    fn uv_fs_open(flags: c_int, mode: c_int) => OPEN { flags = flags, mode = mode as c_uint };
    fn uv_fs_unlink() => UNLINK {};
    fn uv_fs_mkdir(mode: c_int) => MKDIR { mode = mode as c_uint };
    fn uv_fs_rmdir() => RMDIR {};
    fn uv_fs_scandir(flags: c_int) => SCANDIR { flags = flags };
    fn uv_fs_opendir() => OPENDIR {};
    fn uv_fs_stat() => STAT {};
    fn uv_fs_lstat() => LSTAT {};
    fn uv_fs_statfs() => STATFS {};
    fn uv_fs_access(mode: c_int) => ACCESS { flags = mode };
    fn uv_fs_chmod(mode: c_int) => CHMOD { mode = mode as c_uint };
    fn uv_fs_utime(atime: f64, mtime: f64) => UTIME { atime = atime, mtime = mtime };
    fn uv_fs_lutime(atime: f64, mtime: f64) => LUTIME { atime = atime, mtime = mtime };
    fn uv_fs_readlink() => READLINK {};
    fn uv_fs_realpath() => REALPATH {};
    fn uv_fs_chown(uid: libc::uid_t, gid: libc::gid_t) => CHOWN { uid = uid, gid = gid };
    fn uv_fs_lchown(uid: libc::uid_t, gid: libc::gid_t) => LCHOWN { uid = uid, gid = gid };
}

fd_call! {
    fn uv_fs_close() => CLOSE {};
    fn uv_fs_fstat() => FSTAT {};
    fn uv_fs_fsync() => FSYNC {};
    fn uv_fs_fdatasync() => FDATASYNC {};
    fn uv_fs_ftruncate(offset: i64) => FTRUNCATE { off = offset };
    fn uv_fs_fchmod(mode: c_int) => FCHMOD { mode = mode as c_uint };
    fn uv_fs_futime(atime: f64, mtime: f64) => FUTIME { atime = atime, mtime = mtime };
    fn uv_fs_fchown(uid: libc::uid_t, gid: libc::gid_t) => FCHOWN { uid = uid, gid = gid };
}

two_path_call! {
    fn uv_fs_rename() => RENAME {};
    fn uv_fs_link() => LINK {};
    fn uv_fs_symlink(flags: c_int) => SYMLINK { flags = flags };
}

/// Copies `path` to `new_path`; unknown flags are `UV_EINVAL`.
///
/// # Safety
/// As for the other path calls.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_copyfile(
    loop_: *mut uv_loop_t,
    req: *mut uv_fs_t,
    path: *const c_char,
    new_path: *const c_char,
    flags: c_int,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: per the contract.
    submit(unsafe { init(loop_, req, t::COPYFILE, cb) }, |r| {
        if flags & !(fs::COPYFILE_EXCL | fs::COPYFILE_FICLONE | fs::COPYFILE_FICLONE_FORCE) != 0 {
            return Err(UV_EINVAL);
        }
        r.flags = flags;
        // SAFETY: per the contract.
        unsafe { set_paths(r, path, new_path) }
    })
}

/// Makes a unique directory from a template ending in `XXXXXX`; the name
/// made is in `req->path`.
///
/// # Safety
/// As for the path calls; `tpl` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_mkdtemp(
    loop_: *mut uv_loop_t,
    req: *mut uv_fs_t,
    tpl: *const c_char,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: per the contract.
    submit(unsafe { init(loop_, req, t::MKDTEMP, cb) }, |r| unsafe {
        set_template(r, tpl)
    })
}

/// Makes and opens a unique file from a template ending in `XXXXXX`; the
/// result is its descriptor and the name is in `req->path`.
///
/// # Safety
/// As for `uv_fs_mkdtemp`.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_mkstemp(
    loop_: *mut uv_loop_t,
    req: *mut uv_fs_t,
    tpl: *const c_char,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: per the contract.
    submit(unsafe { init(loop_, req, t::MKSTEMP, cb) }, |r| unsafe {
        set_template(r, tpl)
    })
}

/// Reads into `bufs` at `offset` (-1: the file position).
///
/// # Safety
/// As for the descriptor calls; `bufs` points to `nbufs` buffers that stay
/// valid until completion.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_read(
    loop_: *mut uv_loop_t,
    req: *mut uv_fs_t,
    file: uv_file,
    bufs: *const Buf,
    nbufs: c_uint,
    offset: i64,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: per the contract.
    submit(unsafe { init(loop_, req, t::READ, cb) }, |r| {
        if bufs.is_null() || nbufs == 0 {
            return Err(UV_EINVAL);
        }
        r.file = file;
        r.off = offset;
        if r.cb.is_none() {
            // Reading does not change the list, so a synchronous read uses
            // the caller's.
            r.bufs = bufs as *mut Buf;
            r.nbufs = nbufs;
            Ok(())
        } else {
            // SAFETY: per the contract.
            unsafe { copy_bufs(r, bufs, nbufs) }
        }
    })
}

/// Writes all of `bufs` at `offset` (-1: the file position).
///
/// # Safety
/// As for `uv_fs_read`.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_write(
    loop_: *mut uv_loop_t,
    req: *mut uv_fs_t,
    file: uv_file,
    bufs: *const Buf,
    nbufs: c_uint,
    offset: i64,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: per the contract.
    submit(unsafe { init(loop_, req, t::WRITE, cb) }, |r| {
        if bufs.is_null() || nbufs == 0 {
            return Err(UV_EINVAL);
        }
        r.file = file;
        r.off = offset;
        // The write advances through its list, so it always works on a copy.
        // SAFETY: per the contract.
        unsafe { copy_bufs(r, bufs, nbufs) }
    })
}

/// Sends `length` bytes of `in_fd` from `in_offset` to `out_fd`.
///
/// # Safety
/// As for the descriptor calls.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_sendfile(
    loop_: *mut uv_loop_t,
    req: *mut uv_fs_t,
    out_fd: uv_file,
    in_fd: uv_file,
    in_offset: i64,
    length: usize,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: per the contract.
    submit(unsafe { init(loop_, req, t::SENDFILE, cb) }, |r| {
        // libuv's places for these: the source in `flags`, the length in
        // the first inline buffer.
        r.file = out_fd;
        r.flags = in_fd;
        r.off = in_offset;
        r.bufsml[0].len = length;
        Ok(())
    })
}

/// Reads the next batch of entries into `dir->dirents`.
///
/// # Safety
/// As for the other calls; `dir` is NULL or a `uv_dir_t` from
/// `uv_fs_opendir` whose `dirents` holds `nentries` entries.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_readdir(
    loop_: *mut uv_loop_t,
    req: *mut uv_fs_t,
    dir: *mut uv_dir_t,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: per the contract.
    submit(unsafe { init(loop_, req, t::READDIR, cb) }, |r| {
        // SAFETY: per the contract.
        match unsafe { dir.as_ref() } {
            Some(d) if !d.dir.is_null() && !d.dirents.is_null() => {
                r.ptr = dir.cast();
                Ok(())
            }
            _ => Err(UV_EINVAL),
        }
    })
}

/// Closes a directory stream and frees `dir`.
///
/// # Safety
/// As for `uv_fs_readdir`.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_closedir(
    loop_: *mut uv_loop_t,
    req: *mut uv_fs_t,
    dir: *mut uv_dir_t,
    cb: uv_fs_cb,
) -> c_int {
    // SAFETY: per the contract.
    submit(unsafe { init(loop_, req, t::CLOSEDIR, cb) }, |r| {
        if dir.is_null() {
            return Err(UV_EINVAL);
        }
        r.ptr = dir.cast();
        Ok(())
    })
}

/// The next scandir entry, or `UV_EOF` after the last.
///
/// # Safety
/// `req` is a scandir request that has completed; `ent` is writable.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_scandir_next(req: *mut uv_fs_t, ent: *mut uv_dirent_t) -> c_int {
    // SAFETY: per the contract.
    let Some(r) = (unsafe { req.as_mut() }) else {
        return UV_EINVAL;
    };
    if r.result < 0 {
        return r.result as c_int;
    }
    if r.ptr.is_null() || r.fs_type != t::SCANDIR {
        return UV_EOF;
    }
    let state = r.ptr as *mut ScanState;
    // SAFETY: a scandir request's ptr is its ScanState (see `store`).
    let st = unsafe { &mut *state };
    match st.listing.get(st.next) {
        Some((name, kind)) if !ent.is_null() => {
            st.next += 1;
            // SAFETY: `ent` is writable; the name lives in the listing,
            // which stays until EOF or cleanup.
            unsafe {
                (*ent).name = name.as_ptr();
                (*ent).type_ = kind as c_int;
            }
            0
        }
        Some(_) => UV_EINVAL,
        None => {
            // SAFETY: made by Box::into_raw in `store`; cleared here.
            drop(unsafe { Box::from_raw(state) });
            r.ptr = ptr::null_mut();
            UV_EOF
        }
    }
}

/// Frees what the request allocated (see the module documentation).
///
/// # Safety
/// `req` is NULL or an fs request that is not in flight.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_req_cleanup(req: *mut uv_fs_t) {
    // SAFETY: per the contract.
    let Some(r) = (unsafe { req.as_mut() }) else {
        return;
    };
    let owns_path = r.cb.is_some() || r.fs_type == t::MKDTEMP || r.fs_type == t::MKSTEMP;
    if !r.path.is_null() && owns_path {
        // SAFETY: an owned path (and new_path, in the same block) came from
        // this module's allocation.
        unsafe { alloc::free(r.path as *mut c_void) };
    }
    r.path = ptr::null();
    r.new_path = ptr::null();
    if !r.ptr.is_null() {
        match r.fs_type {
            t::READDIR => {
                // SAFETY: a readdir request's ptr is the caller's uv_dir_t,
                // whose first `result` names were made by `store`.
                unsafe {
                    free_dirent_names(&mut *(r.ptr as *mut uv_dir_t), r.result.max(0) as usize)
                };
            }
            // SAFETY: made by Box::into_raw in `store`.
            t::SCANDIR => drop(unsafe { Box::from_raw(r.ptr as *mut ScanState) }),
            // opendir's uv_dir_t is the caller's until closedir.
            t::OPENDIR => {}
            _ if r.ptr == ptr::addr_of_mut!(r.statbuf).cast() => {}
            // SAFETY: statfs, readlink and realpath results come from this
            // module's allocation.
            _ => unsafe { alloc::free(r.ptr) },
        }
    }
    r.ptr = ptr::null_mut();
    drop_bufs(r);
}

/// # Safety
/// `req` is an initialized fs request.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_get_type(req: *const uv_fs_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { req.as_ref() }.map_or(t::UNKNOWN, |r| r.fs_type)
}

/// # Safety
/// `req` is an initialized fs request.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_get_result(req: *const uv_fs_t) -> isize {
    // SAFETY: per the contract.
    unsafe { req.as_ref() }.map_or(UV_EINVAL as isize, |r| r.result)
}

/// The positive `errno` of a failed request, 0 for success.
///
/// # Safety
/// `req` is an initialized fs request.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_get_system_error(req: *const uv_fs_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { req.as_ref() }.map_or(0, |r| -(r.result as c_int))
}

/// # Safety
/// `req` is an initialized fs request.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_get_ptr(req: *const uv_fs_t) -> *mut c_void {
    // SAFETY: per the contract.
    unsafe { req.as_ref() }.map_or(ptr::null_mut(), |r| r.ptr)
}

/// # Safety
/// `req` is an initialized fs request.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_get_path(req: *const uv_fs_t) -> *const c_char {
    // SAFETY: per the contract.
    unsafe { req.as_ref() }.map_or(ptr::null(), |r| r.path)
}

/// # Safety
/// `req` is an fs request.
#[no_mangle]
pub unsafe extern "C" fn uv_fs_get_statbuf(req: *mut uv_fs_t) -> *mut uv_stat_t {
    if req.is_null() {
        return ptr::null_mut();
    }
    // SAFETY: per the contract; only the field's address is taken.
    unsafe { ptr::addr_of_mut!((*req).statbuf) }
}
