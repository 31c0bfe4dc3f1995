//! `uv_tty_*` and `uv_guess_handle`: terminals as streams.
//!
//! A TTY handle is a stream (`stream.rs` does the reading and writing) plus
//! the terminal attributes it saw before its first switch out of normal mode
//! and its current mode. Initializing a pseudo-terminal slave (or any other
//! terminal that is not a pty master) reopens it by name, so that making the
//! descriptor non-blocking does not change the open file description other
//! processes share; the new description is also installed on the caller's
//! descriptor, as libuv does. When reopening fails, the handle keeps the
//! caller's descriptor blocking and writes block.
//!
//! Process-wide, the first handle to leave normal mode records the
//! terminal's original attributes for `uv_tty_reset_mode`, which a signal
//! handler may call. That record is guarded by a one-word spin lock that
//! `uv_tty_reset_mode` only ever tries (it returns `UV_EBUSY` when the lock
//! is held), so it cannot deadlock against the code it interrupted. The
//! record names the handle's descriptor; when that handle closes, its close
//! hook (run before the descriptor is closed) puts the terminal back.
#![allow(non_camel_case_types)]

use crate::abi::*;
use crate::stream::{
    set_nonblock, stream_init, stream_open, uv_stream_t, BLOCKING_WRITES, READABLE, WRITABLE,
};
use crate::util::errno;
use rsuv_core::error::{UV_EBUSY, UV_EINVAL, UV_ENOTSUP};
use std::cell::UnsafeCell;
use std::ffi::{c_char, c_int, c_void};
use std::mem::{offset_of, size_of, MaybeUninit};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

/// `uv_tty_mode_t`.
pub const UV_TTY_MODE_NORMAL: c_int = 0;
pub const UV_TTY_MODE_RAW: c_int = 1;
pub const UV_TTY_MODE_IO: c_int = 2;
pub const UV_TTY_MODE_RAW_VT: c_int = 3;

/// `uv_tty_vtermstate_t` (only its size matters on Unix).
pub type uv_tty_vtermstate_t = c_int;

/// A TTY's private area (bytes 248..312 of `uv_tty_t`).
#[repr(C)]
struct TtyPriv {
    /// The attributes before the last switch out of normal mode.
    orig_termios: libc::termios,
    /// The current `uv_tty_mode_t` (never `UV_TTY_MODE_RAW_VT`).
    mode: c_int,
}

#[repr(C)]
pub struct uv_tty_t {
    pub stream: uv_stream_t,
    p: TtyPriv,
}

const _: () = {
    assert!(size_of::<uv_tty_t>() == 312);
    assert!(offset_of!(uv_tty_t, p) == 248);
};

// ---- the process-wide saved attributes ------------------------------------

struct Saved {
    /// The recording handle's descriptor of the terminal, or -1.
    fd: c_int,
    /// The handle that recorded them (its address).
    owner: usize,
    termios: MaybeUninit<libc::termios>,
}

struct SavedCell {
    busy: AtomicBool,
    saved: UnsafeCell<Saved>,
}

// SAFETY: `saved` is only touched by whoever set `busy` from false to true
// (see `Guard`), so accesses never overlap.
unsafe impl Sync for SavedCell {}

static SAVED: SavedCell = SavedCell {
    busy: AtomicBool::new(false),
    saved: UnsafeCell::new(Saved {
        fd: -1,
        owner: 0,
        termios: MaybeUninit::uninit(),
    }),
};

/// Exclusive access to [`SAVED`]; released on drop.
struct Guard;

impl Guard {
    /// Spins until the lock is free. Only for ordinary code: the holder is
    /// never a signal handler that could be waiting on this thread.
    fn lock() -> Guard {
        while SAVED
            .busy
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        Guard
    }

    /// Takes the lock if it is free (async-signal-safe).
    fn try_lock() -> Option<Guard> {
        if SAVED.busy.swap(true, Ordering::Acquire) {
            None
        } else {
            Some(Guard)
        }
    }

    fn saved(&mut self) -> &mut Saved {
        // SAFETY: holding the guard means holding `busy`, so no other
        // reference to the record exists; `&mut self` keeps this one unique.
        unsafe { &mut *SAVED.saved.get() }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        SAVED.busy.store(false, Ordering::Release);
    }
}

// ---- helpers --------------------------------------------------------------

fn tcgetattr(fd: c_int, t: &mut libc::termios) -> c_int {
    loop {
        // SAFETY: `t` is a valid termios to fill.
        if unsafe { libc::tcgetattr(fd, t) } == 0 {
            return 0;
        }
        let e = errno();
        if e != libc::EINTR {
            return -e;
        }
    }
}

fn tcsetattr(fd: c_int, how: c_int, t: &libc::termios) -> c_int {
    loop {
        // SAFETY: `t` is a valid termios.
        if unsafe { libc::tcsetattr(fd, how, t) } == 0 {
            return 0;
        }
        let e = errno();
        if e != libc::EINTR {
            return -e;
        }
    }
}

/// Whether `fd` is a terminal other than a pseudo-terminal master (only a
/// master answers `TIOCGPTN`).
fn is_slave(fd: c_int) -> bool {
    let mut n: c_int = 0;
    // SAFETY: TIOCGPTN writes one int through a valid pointer.
    unsafe { libc::ioctl(fd, libc::TIOCGPTN, &mut n) != 0 }
}

/// Opens the terminal `fd` refers to again, with access `mode`: the new
/// descriptor, or -1.
fn reopen(fd: c_int, mode: c_int) -> c_int {
    let mut path = [0 as c_char; 256];
    // SAFETY: the buffer and its length match.
    if unsafe { libc::ttyname_r(fd, path.as_mut_ptr(), path.len()) } != 0 {
        return -1;
    }
    loop {
        // SAFETY: ttyname_r left a NUL-terminated path in `path`.
        let r = unsafe { libc::open(path.as_ptr(), mode | libc::O_NOCTTY | libc::O_CLOEXEC) };
        if r >= 0 || errno() != libc::EINTR {
            return r;
        }
    }
}

/// Makes `fd` refer to `newfd`'s open file description, close-on-exec: 0,
/// or a negative errno (`UV_EINVAL` when they are the same descriptor).
fn dup_onto(newfd: c_int, fd: c_int) -> c_int {
    loop {
        // SAFETY: plain descriptor numbers.
        if unsafe { libc::dup3(newfd, fd, libc::O_CLOEXEC) } >= 0 {
            return 0;
        }
        let e = errno();
        if e != libc::EINTR {
            return -e;
        }
    }
}

fn close_fd(fd: c_int) {
    // SAFETY: `fd` is a descriptor this module opened and owns.
    unsafe { libc::close(fd) };
}

/// # Safety
/// `tty` points to a TTY handle.
unsafe fn priv_of(tty: *mut uv_tty_t) -> *mut TtyPriv {
    // SAFETY: per the contract.
    unsafe { ptr::addr_of_mut!((*tty).p) }
}

/// # Safety
/// `tty` is null or points to a handle.
unsafe fn is_tty(tty: *const uv_tty_t) -> bool {
    // SAFETY: per the contract.
    !tty.is_null() && unsafe { (*tty).stream.handle.type_ } == UV_TTY
}

// ---- init -----------------------------------------------------------------

/// # Safety
/// `lp` is a loop, `tty` writable `uv_tty_t` memory.
#[no_mangle]
pub unsafe extern "C" fn uv_tty_init(
    lp: *mut uv_loop_t,
    tty: *mut uv_tty_t,
    mut fd: c_int,
    _unused: c_int,
) -> c_int {
    if tty.is_null() || lp.is_null() {
        return UV_EINVAL;
    }
    // Files and character devices other than terminals cannot be polled.
    let type_ = uv_guess_handle(fd);
    if type_ == UV_FILE || type_ == UV_UNKNOWN_HANDLE {
        return UV_EINVAL;
    }
    let fl = loop {
        // SAFETY: F_GETFL takes no argument.
        let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        if fl != -1 {
            break fl;
        }
        let e = errno();
        if e != libc::EINTR {
            return -e;
        }
    };
    let mode = fl & libc::O_ACCMODE;

    let mut flags = 0u32;
    let mut newfd = -1;
    if type_ == UV_TTY {
        // Reopening a master would allocate a new pair; only slaves (and
        // other terminals) are reopened.
        let r = if is_slave(fd) { reopen(fd, mode) } else { -1 };
        if r < 0 {
            if mode != libc::O_RDONLY {
                flags |= BLOCKING_WRITES;
            }
        } else {
            let e = dup_onto(r, fd);
            // UV_EINVAL: `fd` was closed and `r` took its number.
            if e != 0 && e != UV_EINVAL {
                close_fd(r);
                return e;
            }
            newfd = r;
            fd = r;
        }
    }

    // SAFETY: per the contract; uv_tty_t starts with a uv_stream_t.
    let r = unsafe { stream_init(lp, tty as *mut uv_stream_t, UV_TTY) };
    if r != 0 {
        if newfd != -1 {
            close_fd(newfd);
        }
        return r;
    }
    if flags & BLOCKING_WRITES == 0 {
        set_nonblock(fd, true);
    }
    if mode != libc::O_WRONLY {
        flags |= READABLE;
    }
    if mode != libc::O_RDONLY {
        flags |= WRITABLE;
    }
    // SAFETY: the stream was just initialized; a fresh stream has no
    // descriptor, so opening cannot fail.
    unsafe {
        stream_open(tty as *mut uv_stream_t, fd, flags);
        if flags & BLOCKING_WRITES != 0 {
            (*tty).stream.handle.libuv_flags |= UV_HANDLE_BLOCKING_WRITES;
        }
        let p = priv_of(tty);
        ptr::write_bytes(p, 0, 1);
        (*p).mode = UV_TTY_MODE_NORMAL;
    }
    0
}

// ---- modes ----------------------------------------------------------------

/// # Safety
/// `tty` is an initialized TTY handle.
#[no_mangle]
pub unsafe extern "C" fn uv_tty_set_mode(tty: *mut uv_tty_t, mode: c_int) -> c_int {
    // SAFETY: per the contract.
    if !unsafe { is_tty(tty) } {
        return UV_EINVAL;
    }
    // Unix has one raw mode.
    let mode = match mode {
        UV_TTY_MODE_RAW_VT => UV_TTY_MODE_RAW,
        UV_TTY_MODE_NORMAL | UV_TTY_MODE_RAW | UV_TTY_MODE_IO => mode,
        _ => return UV_EINVAL,
    };
    // SAFETY: per the contract; the private area is ours.
    let p = unsafe { &mut *priv_of(tty) };
    if p.mode == mode {
        return 0;
    }
    // SAFETY: per the contract.
    let fd = unsafe { (*tty).stream.p.fd };
    if p.mode == UV_TTY_MODE_NORMAL {
        let r = tcgetattr(fd, &mut p.orig_termios);
        if r != 0 {
            return r;
        }
        let mut g = Guard::lock();
        let s = g.saved();
        if s.fd == -1 {
            s.termios.write(p.orig_termios);
            s.fd = fd;
            s.owner = tty as usize;
        }
    }

    let mut t = p.orig_termios;
    match mode {
        UV_TTY_MODE_RAW => {
            t.c_iflag &= !(libc::BRKINT | libc::ICRNL | libc::INPCK | libc::ISTRIP | libc::IXON);
            t.c_oflag |= libc::ONLCR;
            t.c_cflag |= libc::CS8;
            t.c_lflag &= !(libc::ECHO | libc::ICANON | libc::IEXTEN | libc::ISIG);
            t.c_cc[libc::VMIN] = 1;
            t.c_cc[libc::VTIME] = 0;
        }
        // SAFETY: `t` is a valid termios.
        UV_TTY_MODE_IO => unsafe { libc::cfmakeraw(&mut t) },
        _ => {}
    }
    // Let pending output drain first.
    let r = tcsetattr(fd, libc::TCSADRAIN, &t);
    if r == 0 {
        p.mode = mode;
    }
    r
}

/// Puts the terminal back as the first handle to leave normal mode found
/// it. Async-signal-safe: returns `UV_EBUSY` if it interrupted
/// `uv_tty_set_mode` or a TTY's close at the moment they update the record.
#[no_mangle]
pub extern "C" fn uv_tty_reset_mode() -> c_int {
    let saved_errno = errno();
    let Some(mut g) = Guard::try_lock() else {
        return UV_EBUSY;
    };
    let s = g.saved();
    let r = if s.fd == -1 {
        0
    } else {
        // SAFETY: `termios` is written whenever `fd` is set.
        tcsetattr(s.fd, libc::TCSANOW, unsafe { s.termios.assume_init_ref() })
    };
    drop(g);
    crate::util::set_errno(saved_errno);
    r
}

/// Part of `uv_close` for TTYs (the descriptor is still open): the handle
/// that recorded the original attributes restores them and gives up the
/// record.
///
/// # Safety
/// `s` is a TTY being closed.
pub(crate) unsafe fn close(s: *mut uv_stream_t) {
    let mut g = Guard::lock();
    let saved = g.saved();
    if saved.owner != s as usize || saved.fd == -1 {
        return;
    }
    // SAFETY: `termios` is written whenever `fd` is set. A failure has no
    // one to be reported to (libuv ignores it too).
    tcsetattr(saved.fd, libc::TCSANOW, unsafe {
        saved.termios.assume_init_ref()
    });
    saved.fd = -1;
    saved.owner = 0;
}

// ---- queries --------------------------------------------------------------

/// # Safety
/// `tty` is an initialized TTY handle; `width` and `height` are writable.
#[no_mangle]
pub unsafe extern "C" fn uv_tty_get_winsize(
    tty: *mut uv_tty_t,
    width: *mut c_int,
    height: *mut c_int,
) -> c_int {
    // SAFETY: per the contract.
    if !unsafe { is_tty(tty) } || width.is_null() || height.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    let fd = unsafe { (*tty).stream.p.fd };
    // SAFETY: all-zero is a valid winsize.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: TIOCGWINSZ fills a winsize through a valid pointer.
        if unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) } == 0 {
            break;
        }
        let e = errno();
        if e != libc::EINTR {
            return -e;
        }
    }
    // SAFETY: per the contract.
    unsafe {
        *width = c_int::from(ws.ws_col);
        *height = c_int::from(ws.ws_row);
    }
    0
}

/// Windows only; ignored on Unix.
#[no_mangle]
pub extern "C" fn uv_tty_set_vterm_state(_state: uv_tty_vtermstate_t) {}

/// Windows only: `UV_ENOTSUP` on Unix.
///
/// # Safety
/// None: the argument is not used.
#[no_mangle]
pub unsafe extern "C" fn uv_tty_get_vterm_state(_state: *mut uv_tty_vtermstate_t) -> c_int {
    UV_ENOTSUP
}

/// What kind of handle suits `file`: `UV_TTY`, `UV_FILE` (regular files and
/// other character devices), `UV_NAMED_PIPE` (FIFOs and Unix-domain stream
/// sockets), `UV_TCP`, `UV_UDP`, or `UV_UNKNOWN_HANDLE`.
#[no_mangle]
pub extern "C" fn uv_guess_handle(file: c_int) -> c_int {
    if file < 0 {
        return UV_UNKNOWN_HANDLE;
    }
    // SAFETY: isatty only inspects the descriptor.
    if unsafe { libc::isatty(file) } != 0 {
        return UV_TTY;
    }
    let mut st = MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat fills `st` on success.
    if unsafe { libc::fstat(file, st.as_mut_ptr()) } != 0 {
        return UV_UNKNOWN_HANDLE;
    }
    // SAFETY: fstat succeeded.
    let fmt = unsafe { st.assume_init_ref() }.st_mode & libc::S_IFMT;
    match fmt {
        libc::S_IFREG | libc::S_IFCHR => return UV_FILE,
        libc::S_IFIFO => return UV_NAMED_PIPE,
        libc::S_IFSOCK => {}
        _ => return UV_UNKNOWN_HANDLE,
    }
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: the address buffer and its length match.
    if unsafe { libc::getsockname(file, ptr::addr_of_mut!(ss).cast(), &mut len) } != 0 {
        return UV_UNKNOWN_HANDLE;
    }
    let mut ty: c_int = 0;
    let mut len = size_of::<c_int>() as libc::socklen_t;
    // SAFETY: SO_TYPE writes one int; buffer and length match.
    if unsafe {
        libc::getsockopt(
            file,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            ptr::addr_of_mut!(ty) as *mut c_void,
            &mut len,
        )
    } != 0
    {
        return UV_UNKNOWN_HANDLE;
    }
    let family = c_int::from(ss.ss_family);
    let inet = family == libc::AF_INET || family == libc::AF_INET6;
    match ty {
        libc::SOCK_DGRAM if inet => UV_UDP,
        libc::SOCK_STREAM if inet => UV_TCP,
        libc::SOCK_STREAM if family == libc::AF_UNIX => UV_NAMED_PIPE,
        _ => UV_UNKNOWN_HANDLE,
    }
}
