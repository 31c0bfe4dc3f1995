//! `uv_signal_*`: Unix signals delivered to loop callbacks.
//!
//! How it works:
//!
//! - **Process-wide table** (`TABLE`, a `Mutex`, never touched by the
//!   signal handler): every started handle as an [`Entry`] in start order,
//!   the disposition each signal had before we installed ours, and each
//!   loop's self-pipe.
//! - **Per loop** a non-blocking, close-on-exec pipe, made by the loop's first
//!   `uv_signal_init`; its read end is an internal watcher of the loop (not
//!   seen by `uv_walk`, not keeping the loop alive), freed by
//!   [`loop_closing`] from `uv_loop_close`.
//! - **The handler** ([`on_signal`]) only does async-signal-safe things: it
//!   reads atomics, takes the spin lock `HANDLER_LOCK` and writes one 8-byte
//!   message (the signal number and the current start sequence number) to
//!   the pipe of every loop that has a handle for that signal. The loops of
//!   each signal are published in `TARGETS` as an immutable list that is
//!   replaced under `HANDLER_LOCK`; every thread that takes that lock outside
//!   the handler first blocks all signals, so the handler can never wait for
//!   a lock held by the code it interrupted, and an old list is freed only
//!   after the swap, when no handler can still be reading it.
//! - **Dispatch** ([`pipe_io`], on the loop thread): each message calls every
//!   handle of that loop started on that signal no later than the signal
//!   arrived, in start order, re-checking before each call that an earlier
//!   callback did not stop or close it. A one-shot handle is stopped after
//!   its callback.
//!
//! - **Fork**: a child inherits the parent's pipes, so [`loop_forked`]
//!   (from `uv_loop_fork`) gives the loop a new pipe under the same watcher
//!   and republishes `TARGETS`; the parent's signals then stay with the
//!   parent and the child's with the child. Fork hooks hold `TABLE` across
//!   `fork(2)` and free `HANDLER_LOCK` in the child, where a thread that
//!   held it no longer exists.
//!
//! The handler is installed with `SA_RESTART` and a full `sa_mask`, plus
//! `SA_RESETHAND` while every handle of that signal is one-shot, as libuv
//! does. When the last handle of a signal stops, the disposition it had
//! before the first one started is put back.

#![allow(non_camel_case_types)]

use crate::abi::*;
use crate::handle::with_handle;
use crate::r#loop::with_loop;
use rsuv_core::error::UV_EINVAL;
use rsuv_core::{HandleId, Kind, Loop};
use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

pub type uv_signal_cb = Option<unsafe extern "C" fn(*mut uv_signal_t, c_int)>;

/// `uv_signal_t`: 152 bytes, `signal_cb` at 96, `signum` at 104.
#[repr(C)]
pub struct uv_signal_t {
    pub handle: uv_handle_t,
    pub signal_cb: uv_signal_cb,
    pub signum: c_int,
    _private: [u8; 44],
}

const _: () = {
    assert!(std::mem::size_of::<uv_signal_t>() == 152);
    assert!(std::mem::offset_of!(uv_signal_t, signal_cb) == 96);
    assert!(std::mem::offset_of!(uv_signal_t, signum) == 104);
};

/// Signal numbers are `1..NSIG` (Linux's `_NSIG`).
const NSIG: usize = 65;

/// What is installed for a signal (`MODE`).
const NONE: u8 = 0;
const REGULAR: u8 = 1;
const ONESHOT: u8 = 2;
/// A one-shot handler ran: the kernel has reset the disposition to default.
const FIRED: u8 = 3;

static MODE: [AtomicU8; NSIG] = [const { AtomicU8::new(NONE) }; NSIG];

/// Per signal: the write ends of the pipes of the loops with a handle for it
/// (null: none). Read by the handler under `HANDLER_LOCK`.
static TARGETS: [AtomicPtr<Vec<c_int>>; NSIG] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; NSIG];

/// Guards `TARGETS` between the handler and the code replacing a list.
static HANDLER_LOCK: AtomicBool = AtomicBool::new(false);

/// Start sequence numbers: each start takes the next one; the handler stamps
/// its messages with the current one, so a handle started after the signal
/// arrived is not called for it.
static SEQ: AtomicU64 = AtomicU64::new(0);

/// One started handle.
struct Entry {
    h: usize,
    lp: usize,
    signum: c_int,
    seq: u64,
    oneshot: bool,
}

/// A loop's self-pipe; its address is the internal watcher's token.
struct LoopPipe {
    rfd: c_int,
    wfd: c_int,
    watcher: HandleId,
}

struct Table {
    /// Started handles, in start order.
    entries: Vec<Entry>,
    /// The disposition each signal had before ours was installed.
    saved: [Option<libc::sigaction>; NSIG],
    /// `(loop address, pipe)`.
    loops: Vec<(usize, Box<LoopPipe>)>,
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    entries: Vec::new(),
    saved: [None; NSIG],
    loops: Vec::new(),
});

fn table() -> MutexGuard<'static, Table> {
    // Panics abort, so the lock is never poisoned; accept it anyway.
    TABLE.lock().unwrap_or_else(|e| e.into_inner())
}

thread_local! {
    /// `TABLE`'s lock, taken by the forking thread just before `fork(2)`, so
    /// that the child gets the table whole and its lock free.
    static HELD_ACROSS_FORK: Cell<Option<MutexGuard<'static, Table>>> = const { Cell::new(None) };
}

extern "C" fn before_fork() {
    let guard = table();
    // Fails only while this thread's locals are being destroyed; the lock
    // is then released at once.
    let _ = HELD_ACROSS_FORK.try_with(|held| held.set(Some(guard)));
}

extern "C" fn after_fork_parent() {
    let _ = HELD_ACROSS_FORK.try_with(|held| drop(held.take()));
}

extern "C" fn after_fork_child() {
    // Only this thread exists now, and it is not inside the handler: a
    // handler that held the spin lock at the fork ran on a thread that is
    // gone.
    HANDLER_LOCK.store(false, Ordering::Release);
    let _ = HELD_ACROSS_FORK.try_with(|held| drop(held.take()));
}

/// Registers the fork hooks once, before the first pipe exists; never
/// under `TABLE`, since a fork in another thread holds the C library's hook
/// lock while its `before_fork` waits for `TABLE`.
fn install_fork_hooks() -> c_int {
    static HOOKS: OnceLock<c_int> = OnceLock::new();
    *HOOKS.get_or_init(|| {
        match rsuv_core::sys::fork::at_fork(before_fork, after_fork_parent, after_fork_child) {
            Ok(()) => 0,
            Err(e) => -e.raw_os_error().unwrap_or(libc::ENOMEM),
        }
    })
}

/// Blocks every signal on the calling thread while alive, so that the
/// handler cannot interrupt a thread holding `HANDLER_LOCK` or halfway
/// through changing a disposition.
struct Blocked(libc::sigset_t);

impl Blocked {
    fn new() -> Blocked {
        // SAFETY: sigset_t is plain data; sigfillset initializes `all`, and
        // pthread_sigmask writes the previous mask into `old`.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
            Blocked(old)
        }
    }
}

impl Drop for Blocked {
    fn drop(&mut self) {
        // SAFETY: restores the mask saved by `new`.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut()) };
    }
}

fn spin_lock() {
    while HANDLER_LOCK
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        std::hint::spin_loop();
    }
    // The lock word itself races by design.
    rsuv_core::sys::valgrind::benign_race(HANDLER_LOCK.as_ptr() as usize, 1);
    rsuv_core::sys::valgrind::happens_after(HANDLER_LOCK.as_ptr() as usize);
}

fn spin_unlock() {
    rsuv_core::sys::valgrind::happens_before(HANDLER_LOCK.as_ptr() as usize);
    HANDLER_LOCK.store(false, Ordering::Release);
}

fn errno_location() -> *mut c_int {
    // SAFETY: __errno_location has no preconditions and is async-signal-safe.
    unsafe { libc::__errno_location() }
}

/// The signal handler: one message per interested loop.
extern "C" fn on_signal(signum: c_int) {
    let Some(i) = usize::try_from(signum).ok().filter(|&i| i > 0 && i < NSIG) else {
        return;
    };
    // SAFETY: errno_location points to this thread's errno.
    let saved_errno = unsafe { *errno_location() };
    // With SA_RESETHAND the kernel has already put the default back.
    let _ = MODE[i].compare_exchange(ONESHOT, FIRED, Ordering::AcqRel, Ordering::Relaxed);
    spin_lock();
    let msg: u64 = (SEQ.load(Ordering::SeqCst) << 8) | i as u64;
    let list = TARGETS[i].load(Ordering::Acquire);
    // SAFETY: a non-null list stays allocated while HANDLER_LOCK is held (it
    // is only replaced and freed by lock holders); write is
    // async-signal-safe, and the pipes are non-blocking.
    unsafe {
        if let Some(fds) = list.as_ref() {
            for &fd in fds.iter() {
                loop {
                    let r = libc::write(fd, (&msg as *const u64).cast::<c_void>(), 8);
                    // A full pipe drops the signal, as in libuv.
                    if r >= 0 || *errno_location() != libc::EINTR {
                        break;
                    }
                }
            }
        }
    }
    spin_unlock();
    // SAFETY: as above.
    unsafe { *errno_location() = saved_errno };
}

/// `on_signal` as `sigaction` stores it.
fn handler_address() -> libc::sighandler_t {
    on_signal as extern "C" fn(c_int) as libc::sighandler_t
}

/// Republishes the loops to notify for `signum` from the table.
fn publish(t: &Table, signum: c_int, _blocked: &Blocked) {
    let i = signum as usize;
    let mut fds: Vec<c_int> = Vec::new();
    for e in t.entries.iter().filter(|e| e.signum == signum) {
        if let Some((_, p)) = t.loops.iter().find(|(lp, _)| *lp == e.lp) {
            if !fds.contains(&p.wfd) {
                fds.push(p.wfd);
            }
        }
    }
    let new = if fds.is_empty() {
        std::ptr::null_mut()
    } else {
        Box::into_raw(Box::new(fds))
    };
    // Signals are blocked on this thread (`_blocked`), so holding the spin
    // lock cannot deadlock against our own handler; nothing allocates or
    // frees while it is held.
    spin_lock();
    let old = TARGETS[i].swap(new, Ordering::AcqRel);
    spin_unlock();
    if !old.is_null() {
        // SAFETY: `old` came from Box::into_raw above (an earlier call) and
        // is no longer reachable: handlers read TARGETS only under the lock.
        drop(unsafe { Box::from_raw(old) });
    }
}

/// Makes the installed disposition of `signum` match the table: ours
/// (one-shot only while every handle is one-shot) or, with no handle left,
/// the one saved when ours was first installed. Returns 0 or the
/// `sigaction` error.
fn sync_disposition(t: &mut Table, signum: c_int, _blocked: &Blocked) -> c_int {
    let i = signum as usize;
    let mut any = false;
    let mut all_oneshot = true;
    for e in t.entries.iter().filter(|e| e.signum == signum) {
        any = true;
        all_oneshot &= e.oneshot;
    }
    let want = match (any, all_oneshot) {
        (false, _) => NONE,
        (true, true) => ONESHOT,
        (true, false) => REGULAR,
    };
    // The handler reads and changes a signal's mode with atomics while it
    // runs on any thread: the words race by design.
    rsuv_core::sys::valgrind::benign_race(MODE.as_ptr() as usize, size_of_val(&MODE));
    let have = MODE[i].load(Ordering::Acquire);
    if want == have {
        return 0;
    }
    if want == NONE {
        MODE[i].store(NONE, Ordering::Release);
        let restore = t.saved[i]
            .take()
            .filter(|sa| sa.sa_sigaction != handler_address());
        // SAFETY: a zeroed sigaction is SIG_DFL with an empty mask; `sa`
        // is a valid struct, the old action is not asked for.
        unsafe {
            let sa = restore.unwrap_or_else(|| std::mem::zeroed());
            libc::sigaction(signum, &sa, std::ptr::null_mut());
        }
        return 0;
    }
    // Set the mode first: a one-shot delivery racing with the change then
    // at worst leaves FIRED over an installed handler, which only causes a
    // redundant re-install later.
    MODE[i].store(want, Ordering::Release);
    // SAFETY: plain sigaction calls with valid structs.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler_address();
        libc::sigfillset(&mut sa.sa_mask);
        sa.sa_flags = libc::SA_RESTART;
        if want == ONESHOT {
            sa.sa_flags |= libc::SA_RESETHAND;
        }
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(signum, &sa, &mut old) != 0 {
            let err = crate::util::errno();
            MODE[i].store(have, Ordering::Release);
            return -err;
        }
        if have == NONE {
            t.saved[i] = Some(old);
        }
    }
    0
}

/// Adds a started handle and installs the handler as needed.
fn register(h: usize, lp: usize, signum: c_int, oneshot: bool) -> c_int {
    let blocked = Blocked::new();
    let mut t = table();
    let seq = SEQ.fetch_add(1, Ordering::SeqCst) + 1;
    t.entries.push(Entry {
        h,
        lp,
        signum,
        seq,
        oneshot,
    });
    publish(&t, signum, &blocked);
    let err = sync_disposition(&mut t, signum, &blocked);
    if err != 0 {
        t.entries.pop();
        publish(&t, signum, &blocked);
    }
    err
}

/// Removes `h`'s entry, if started (and, with `seq`, only if it is still
/// that start); restores the disposition when it was the signal's last.
/// Touches neither the engine nor the handle. Returns whether it removed.
fn unregister(h: usize, seq: Option<u64>) -> bool {
    let blocked = Blocked::new();
    let mut t = table();
    let Some(pos) = t
        .entries
        .iter()
        .position(|e| e.h == h && seq.is_none_or(|s| s == e.seq))
    else {
        return false;
    };
    let e = t.entries.remove(pos);
    sync_disposition(&mut t, e.signum, &blocked);
    publish(&t, e.signum, &blocked);
    true
}

/// Stops `h` (a live, initialized handle) if started.
///
/// # Safety
/// `h` is a live signal handle; the engine is not borrowed.
unsafe fn stop(h: *mut uv_signal_t, seq: Option<u64>) {
    if unregister(h as usize, seq) {
        // SAFETY: per the contract.
        unsafe {
            (*h).signum = 0;
            with_handle(h as *const uv_handle_t, |l, id| l.deactivate(id));
        }
    }
}

/// Makes `lp`'s pipe and watcher if it has none yet. `lp` is checked to be
/// an initialized loop.
///
/// # Safety
/// `lp` is null or points to a `uv_loop_t`.
unsafe fn ensure_pipe(lp: *mut uv_loop_t) -> c_int {
    let err = install_fork_hooks();
    if err != 0 {
        return err;
    }
    let blocked = Blocked::new();
    let mut t = table();
    if let Some(pos) = t.loops.iter().position(|(l, _)| *l == lp as usize) {
        let p = &t.loops[pos].1;
        let token = &**p as *const LoopPipe as usize;
        // SAFETY: per the contract.
        match unsafe { with_loop(lp, |l| l.is_handle(p.watcher, token)) } {
            None => return UV_EINVAL,
            Some(true) => return 0,
            // A stale pipe of a loop re-initialized without uv_loop_close:
            // its watcher died with the old engine.
            Some(false) => {
                if let Some(stale) = detach_loop(&mut t, lp as usize, &blocked) {
                    // SAFETY: our own descriptors, unpublished by detach_loop.
                    unsafe {
                        libc::close(stale.rfd);
                        libc::close(stale.wfd);
                    }
                }
            }
        }
    }
    let mut fds = [-1 as c_int; 2];
    // SAFETY: pipe2 writes two descriptors into the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
        return crate::util::last_error();
    }
    let mut p = Box::new(LoopPipe {
        rfd: fds[0],
        wfd: fds[1],
        watcher: HandleId(u32::MAX),
    });
    let token = &*p as *const LoopPipe as usize;
    // SAFETY: per the contract.
    let started = unsafe {
        with_loop(lp, |l| {
            let id = l.init_internal(token);
            match l.io_start(id, fds[0], rsuv_core::sys::poller::events::IN) {
                Ok(()) => Ok(id),
                Err(e) => {
                    l.remove_internal(id);
                    Err(-e.raw_os_error().unwrap_or(libc::EIO))
                }
            }
        })
    };
    let err = match started {
        None => UV_EINVAL,
        Some(Err(e)) => e,
        Some(Ok(id)) => {
            p.watcher = id;
            t.loops.push((lp as usize, p));
            return 0;
        }
    };
    // SAFETY: the descriptors just made, used by nothing.
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
    }
    err
}

/// Readiness on a loop's signal pipe (an internal watcher): read the
/// messages and call the handles.
pub(crate) fn pipe_io(token: usize, _events: u32) {
    // SAFETY: the token is the address of a LoopPipe kept in TABLE until
    // loop_closing, which cannot run while the loop dispatches.
    let rfd = unsafe { (*(token as *const LoopPipe)).rfd };
    let lp = {
        let t = table();
        match t
            .loops
            .iter()
            .find(|(_, p)| &**p as *const LoopPipe as usize == token)
        {
            Some((lp, _)) => *lp,
            None => return,
        }
    };
    let mut buf = [0u64; 64];
    loop {
        // SAFETY: reads into our buffer, within its size.
        let n = unsafe { libc::read(rfd, buf.as_mut_ptr().cast::<c_void>(), size_of_val(&buf)) };
        if n < 0 {
            if crate::util::errno() == libc::EINTR {
                continue;
            }
            return;
        }
        // Writes of 8 bytes are atomic and the buffer is a multiple of 8,
        // so reads return whole messages.
        let count = n as usize / 8;
        for &msg in &buf[..count] {
            deliver(lp, (msg & 0xff) as c_int, msg >> 8);
        }
        if (n as usize) < size_of_val(&buf) {
            return;
        }
    }
}

/// Calls the handles of loop `lp` started on `signum` at or before sequence
/// number `seq`, in start order.
fn deliver(lp: usize, signum: c_int, seq: u64) {
    let targets: Vec<(usize, u64)> = table()
        .entries
        .iter()
        .filter(|e| e.lp == lp && e.signum == signum && e.seq <= seq)
        .map(|e| (e.h, e.seq))
        .collect();
    for (h, hseq) in targets {
        // Still the same start? An earlier callback may have stopped,
        // restarted or closed it.
        let oneshot = match table().entries.iter().find(|e| e.h == h && e.seq == hseq) {
            Some(e) => e.oneshot,
            None => continue,
        };
        let h = h as *mut uv_signal_t;
        // SAFETY: a started handle is live (closing removes the entry), so
        // its memory is valid; the engine is not borrowed here.
        unsafe {
            if let Some(cb) = (*h).signal_cb {
                cb(h, signum);
            }
            if oneshot {
                // Unless the callback already stopped or restarted it.
                stop(h, Some(hseq));
            }
        }
    }
}

/// Drops the entries of loop `lp` (restoring dispositions as needed) and
/// takes its pipe out of the table; no handler writes to it afterwards.
fn detach_loop(t: &mut Table, lp: usize, blocked: &Blocked) -> Option<Box<LoopPipe>> {
    let mut signums = Vec::new();
    t.entries.retain(|e| {
        if e.lp == lp {
            signums.push(e.signum);
            false
        } else {
            true
        }
    });
    let pos = t.loops.iter().position(|(l, _)| *l == lp);
    let pipe = pos.map(|pos| t.loops.remove(pos).1);
    if pipe.is_none() && signums.is_empty() {
        // The loop never had a signal handle.
        return None;
    }
    signums.sort_unstable();
    signums.dedup();
    for s in signums {
        sync_disposition(t, s, blocked);
    }
    // Republish every signal: the loop's descriptor must be in no list.
    for s in 1..NSIG as c_int {
        if !TARGETS[s as usize].load(Ordering::Acquire).is_null() {
            publish(t, s, blocked);
        }
    }
    pipe
}

/// In a forked child, gives `lp` a signal pipe of its own (`uv_loop_fork`).
///
/// The inherited pipe is the parent's too: the parent's handler writes to
/// it, and whichever process reads first takes the message. A new pipe
/// takes its place under the same watcher and is published for every
/// signal; the old one is closed here (the parent keeps its own copy), and
/// with it whatever it held, which belongs to the parent. Started handles
/// stay started, and the dispositions were inherited with the fork.
///
/// # Safety
/// `lp` is an initialized loop.
pub(crate) unsafe fn loop_forked(lp: *mut uv_loop_t) -> c_int {
    let blocked = Blocked::new();
    let mut t = table();
    let Some(pos) = t.loops.iter().position(|(l, _)| *l == lp as usize) else {
        return 0;
    };
    let mut fds = [-1 as c_int; 2];
    // SAFETY: pipe2 writes two descriptors into the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
        return crate::util::last_error();
    }
    let p = &t.loops[pos].1;
    let (watcher, token) = (p.watcher, &**p as *const LoopPipe as usize);
    // SAFETY: per the contract.
    let moved = unsafe {
        with_loop(lp, |l| {
            if !l.is_handle(watcher, token) {
                // A stale pipe (see ensure_pipe): the next uv_signal_init
                // replaces it.
                return Err(0);
            }
            l.io_start(watcher, fds[0], rsuv_core::sys::poller::events::IN)
                .map_err(|e| -e.raw_os_error().unwrap_or(libc::EIO))
        })
    }
    .unwrap_or(Err(UV_EINVAL));
    if let Err(err) = moved {
        // SAFETY: the descriptors just made, used by nothing.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
        return err;
    }
    let p = &mut t.loops[pos].1;
    let (old_r, old_w) = (p.rfd, p.wfd);
    p.rfd = fds[0];
    p.wfd = fds[1];
    for s in 1..NSIG as c_int {
        if !TARGETS[s as usize].load(Ordering::Acquire).is_null() {
            publish(&t, s, &blocked);
        }
    }
    // SAFETY: the old descriptors are ours and, after the republish above,
    // no handler in this process writes to them any more.
    unsafe {
        libc::close(old_r);
        libc::close(old_w);
    }
    0
}

/// Frees `lp`'s pipe and watcher; called by `uv_loop_close` once it has
/// checked that no handle is left.
///
/// # Safety
/// `lp` is an initialized loop that is not running.
pub(crate) unsafe fn loop_closing(lp: *mut uv_loop_t) {
    let pipe = {
        let blocked = Blocked::new();
        detach_loop(&mut table(), lp as usize, &blocked)
    };
    if let Some(p) = pipe {
        // SAFETY: per the contract; after the republish above no handler can
        // write to these descriptors any more.
        unsafe {
            with_loop(lp, |l| l.remove_internal(p.watcher));
            libc::close(p.rfd);
            libc::close(p.wfd);
        }
    }
}

/// The type-specific part of `uv_close`, with the engine borrowed: stop
/// the handle (the engine deactivates it itself); no callbacks.
///
/// # Safety
/// `h` is the live handle `id` of `l`.
pub(crate) unsafe fn close(_l: &mut Loop, _id: HandleId, h: *mut uv_handle_t) {
    if unregister(h as usize, None) {
        // SAFETY: per the contract, h is a signal handle.
        unsafe { (*(h as *mut uv_signal_t)).signum = 0 };
    }
}

/// # Safety
/// `lp` is an initialized loop, `h` writable `uv_signal_t` memory.
#[no_mangle]
pub unsafe extern "C" fn uv_signal_init(lp: *mut uv_loop_t, h: *mut uv_signal_t) -> c_int {
    if h.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        let err = ensure_pipe(lp);
        if err != 0 {
            return err;
        }
        let r = crate::handle::init(lp, h as *mut uv_handle_t, UV_SIGNAL, Kind::Other);
        if r == 0 {
            (*h).signum = 0;
            (*h).signal_cb = None;
        }
        r
    }
}

/// # Safety
/// `h` is an initialized signal handle.
unsafe fn start(h: *mut uv_signal_t, cb: uv_signal_cb, signum: c_int, oneshot: bool) -> c_int {
    if signum == 0 {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    let live = unsafe { with_handle(h as *const uv_handle_t, |l, id| !l.is_closing(id)) };
    if live != Some(true) {
        return UV_EINVAL;
    }
    // Already watching this signal: only the callback changes (and no
    // signal is lost in between), as in libuv.
    let same = table()
        .entries
        .iter()
        .any(|e| e.h == h as usize && e.signum == signum);
    // SAFETY: h is a live signal handle; the engine is not borrowed.
    unsafe {
        if same {
            (*h).signal_cb = cb;
            return 0;
        }
        stop(h, None);
    }
    if !(1..NSIG as c_int).contains(&signum) {
        // What sigaction answers for a number out of range.
        return UV_EINVAL;
    }
    // SAFETY: as above.
    unsafe {
        let err = register(h as usize, (*h).handle.loop_ as usize, signum, oneshot);
        if err != 0 {
            // As libuv: a refused start leaves `signal_cb` as it was.
            return err;
        }
        // Signals reach the callback on this (the loop's) thread, so it
        // cannot be needed before it is set.
        (*h).signal_cb = cb;
        (*h).signum = signum;
        with_handle(h as *const uv_handle_t, |l, id| l.activate(id));
    }
    0
}

/// # Safety
/// `h` is an initialized signal handle.
#[no_mangle]
pub unsafe extern "C" fn uv_signal_start(
    h: *mut uv_signal_t,
    signal_cb: uv_signal_cb,
    signum: c_int,
) -> c_int {
    // SAFETY: per the contract.
    unsafe { start(h, signal_cb, signum, false) }
}

/// # Safety
/// `h` is an initialized signal handle.
#[no_mangle]
pub unsafe extern "C" fn uv_signal_start_oneshot(
    h: *mut uv_signal_t,
    signal_cb: uv_signal_cb,
    signum: c_int,
) -> c_int {
    // SAFETY: per the contract.
    unsafe { start(h, signal_cb, signum, true) }
}

/// # Safety
/// `h` is an initialized signal handle.
#[no_mangle]
pub unsafe extern "C" fn uv_signal_stop(h: *mut uv_signal_t) -> c_int {
    // SAFETY: per the contract.
    if unsafe { with_handle(h as *const uv_handle_t, |_, _| ()) }.is_none() {
        return UV_EINVAL;
    }
    // SAFETY: h is a live handle; the engine is not borrowed. A closing
    // handle has no entry, so this does nothing for it.
    unsafe { stop(h, None) };
    0
}
