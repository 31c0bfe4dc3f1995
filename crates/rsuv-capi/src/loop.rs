//! `uv_loop_*`, `uv_run`, `uv_default_loop` and the loop's clock and backend
//! queries; also the [`CHost`] through which the engine makes C callbacks.

use crate::abi::*;
use crate::{handle, loop_watcher, r#async, timer};
use rsuv_core::error::{UV_EBUSY, UV_EINVAL, UV_ENOSYS};
use rsuv_core::sys::loop_cell::LoopCell;
use rsuv_core::{Host, Kind, Loop, RunMode, Shared, Token};
use std::cell::{Cell, UnsafeCell};
use std::ffi::{c_int, c_void};
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

/// What a `uv_loop_t`'s `internal_fields` points to.
pub(crate) struct LoopBox {
    pub engine: LoopCell<Loop>,
    /// Nesting depth of `uv_run`; the loop can't be closed while running.
    running: Cell<u32>,
}

/// The engine of `lp`, if `lp` is an initialized loop.
///
/// # Safety
/// `lp` is null or points to a `uv_loop_t`; the reference must not outlive
/// the loop (it is only used within one C call).
pub(crate) unsafe fn loop_box<'a>(lp: *mut uv_loop_t) -> Option<&'a LoopBox> {
    if lp.is_null() {
        return None;
    }
    // SAFETY: the caller passes a valid loop; internal_fields is null or the
    // box leaked by uv_loop_init, alive until uv_loop_close.
    unsafe { ((*lp).internal_fields as *const LoopBox).as_ref() }
}

/// Mirrors the engine's counters into the loop's public fields.
///
/// # Safety
/// `lp` points to an initialized loop.
pub(crate) unsafe fn sync(lp: *mut uv_loop_t, l: &Loop) {
    // SAFETY: per the contract; plain field stores.
    unsafe {
        (*lp).active_handles = l.active_handles();
        (*lp).active_reqs = l.active_reqs() as usize;
    }
}

/// Takes the public counters from the C struct into the engine.
///
/// # Safety
/// `lp` points to an initialized loop.
unsafe fn adopt(lp: *mut uv_loop_t, l: &mut Loop) {
    // SAFETY: per the contract; plain field loads.
    unsafe { l.adopt_counters((*lp).active_handles, (*lp).active_reqs as u32) };
}

/// Runs `f` on the engine of `lp`, then mirrors its counters; `None` if `lp`
/// is not an initialized loop.
///
/// # Safety
/// `lp` is null or points to a `uv_loop_t`.
pub(crate) unsafe fn with_loop<R>(lp: *mut uv_loop_t, f: impl FnOnce(&mut Loop) -> R) -> Option<R> {
    // SAFETY: per the contract.
    let bx = unsafe { loop_box(lp) }?;
    let mut l = bx.engine.try_borrow_mut().ok()?;
    // SAFETY: loop_box succeeded, so lp is an initialized loop.
    unsafe { adopt(lp, &mut l) };
    let r = f(&mut l);
    // SAFETY: loop_box succeeded, so lp is an initialized loop.
    unsafe { sync(lp, &l) };
    Some(r)
}

/// Makes the engine's callbacks into C.
pub(crate) struct CHost {
    lp: *mut uv_loop_t,
}

impl Host for CHost {
    fn sync(&self, active_handles: u32, active_reqs: u32) {
        // SAFETY: the host lives only inside uv_run on an initialized loop.
        unsafe {
            (*self.lp).active_handles = active_handles;
            (*self.lp).active_reqs = active_reqs as usize;
        }
    }
    fn timer(&self, handle: Token) {
        timer::call(handle);
    }
    fn watcher(&self, _kind: Kind, handle: Token) {
        loop_watcher::call(handle);
    }
    fn async_wakeup(&self, handle: Token) {
        r#async::wakeup(handle);
    }
    fn close(&self, handle: Token, note: rsuv_core::CloseNote) {
        handle::call_close(self.lp, handle, note);
    }
    fn io(&self, kind: Kind, handle: Token, events: u32) {
        if kind == Kind::Internal {
            // A loop's inotify descriptor, or else its signal pipe.
            if !crate::fs_event::inotify_io(self.lp, handle) {
                crate::signal::pipe_io(handle, events);
            }
            return;
        }
        // SAFETY: the engine passes a live handle's address.
        let type_ = unsafe { (*(handle as *const uv_handle_t)).type_ };
        match type_ {
            UV_POLL => crate::poll::io(handle, events),
            UV_TCP | UV_NAMED_PIPE | UV_TTY => crate::stream::io(handle, events),
            UV_UDP => crate::udp::io(handle, events),
            crate::process::UV_PROCESS => crate::process::io(handle),
            _ => {}
        }
    }
    fn pending(&self, handle: Token) {
        // SAFETY: the engine passes a live handle's address.
        let type_ = unsafe { (*(handle as *const uv_handle_t)).type_ };
        match type_ {
            UV_TCP | UV_NAMED_PIPE | UV_TTY => crate::stream::pending(handle),
            UV_UDP => crate::udp::pending(handle),
            _ => {}
        }
    }
}

/// # Safety
/// `lp` points to writable memory of `uv_loop_t`'s size.
#[no_mangle]
pub unsafe extern "C" fn uv_loop_init(lp: *mut uv_loop_t) -> c_int {
    if lp.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: lp is writable for the struct's size; libuv keeps `data`
    // across init and zeroes the rest first, so a loop whose init failed
    // holds no stale engine pointer for a later call to trust.
    unsafe {
        let data = (*lp).data;
        ptr::write_bytes(lp as *mut u8, 0, UV_LOOP_SIZE);
        (*lp).data = data;
        (*lp).emfile_fd = -1;
    }
    let engine = match Loop::new() {
        Ok(l) => l,
        Err(e) => return -e.raw_os_error().unwrap_or(libc::ENOMEM),
    };
    // SAFETY: as above.
    unsafe {
        (*lp).shared = std::sync::Arc::as_ptr(engine.shared()) as *const c_void;
        (*lp).internal_fields = Box::into_raw(Box::new(LoopBox {
            engine: LoopCell::new(engine),
            running: Cell::new(0),
        })) as *mut c_void;
    }
    0
}

/// # Safety
/// `lp` points to a loop initialized with `uv_loop_init`.
#[no_mangle]
pub unsafe extern "C" fn uv_loop_close(lp: *mut uv_loop_t) -> c_int {
    // SAFETY: per the contract.
    let Some(bx) = (unsafe { loop_box(lp) }) else {
        return UV_EINVAL;
    };
    {
        let Ok(l) = bx.engine.try_borrow() else {
            return UV_EBUSY;
        };
        if bx.running.get() > 0 || l.handle_count() > 0 || l.active_reqs() > 0 {
            return UV_EBUSY;
        }
    }
    // SAFETY: lp is an initialized loop, not running (checked above).
    unsafe { crate::signal::loop_closing(lp) };
    // SAFETY: the box came from Box::into_raw in uv_loop_init and nothing
    // borrows it (checked above); the pointer is cleared so it is freed once.
    unsafe {
        drop(Box::from_raw((*lp).internal_fields as *mut LoopBox));
        (*lp).internal_fields = ptr::null_mut();
        (*lp).shared = ptr::null();
        if (*lp).emfile_fd >= 0 {
            libc::close((*lp).emfile_fd);
            (*lp).emfile_fd = -1;
        }
    }
    let _ = DEFAULT_LOOP.compare_exchange(lp, ptr::null_mut(), Ordering::AcqRel, Ordering::Acquire);
    0
}

#[no_mangle]
pub extern "C" fn uv_loop_size() -> usize {
    UV_LOOP_SIZE
}

#[no_mangle]
pub extern "C" fn uv_loop_new() -> *mut uv_loop_t {
    let lp = crate::alloc::alloc(UV_LOOP_SIZE) as *mut uv_loop_t;
    if lp.is_null() {
        return lp;
    }
    // SAFETY: lp is a fresh allocation of the loop's size.
    unsafe {
        (*lp).data = ptr::null_mut();
        if uv_loop_init(lp) != 0 {
            crate::alloc::free(lp as *mut c_void);
            return ptr::null_mut();
        }
    }
    lp
}

/// # Safety
/// `lp` came from `uv_loop_new` (or is the default loop) and has no handles.
#[no_mangle]
pub unsafe extern "C" fn uv_loop_delete(lp: *mut uv_loop_t) {
    let is_default = DEFAULT_LOOP.load(Ordering::Acquire) == lp;
    // SAFETY: per the contract.
    let err = unsafe { uv_loop_close(lp) };
    // libuv asserts here; freeing a loop that is still in use would be worse.
    if err == 0 && !is_default {
        crate::alloc::free(lp as *mut c_void);
    }
}

struct DefaultLoopStorage(UnsafeCell<MaybeUninit<uv_loop_t>>);
// SAFETY: only reached through uv_default_loop, which like libuv's is not
// thread-safe; the cell is never read as a Rust value.
unsafe impl Sync for DefaultLoopStorage {}

static DEFAULT_STORAGE: DefaultLoopStorage =
    DefaultLoopStorage(UnsafeCell::new(MaybeUninit::zeroed()));
static DEFAULT_LOOP: AtomicPtr<uv_loop_t> = AtomicPtr::new(ptr::null_mut());

#[no_mangle]
pub extern "C" fn uv_default_loop() -> *mut uv_loop_t {
    let lp = DEFAULT_LOOP.load(Ordering::Acquire);
    if !lp.is_null() {
        return lp;
    }
    let lp = DEFAULT_STORAGE.0.get() as *mut uv_loop_t;
    // SAFETY: the static storage is the loop's size and not in use (the
    // default pointer is null).
    if unsafe { uv_loop_init(lp) } != 0 {
        return ptr::null_mut();
    }
    DEFAULT_LOOP.store(lp, Ordering::Release);
    lp
}

const UV_LOOP_BLOCK_SIGNAL: c_int = 0;
const UV_METRICS_IDLE_TIME: c_int = 1;
const UV_LOOP_USE_IO_URING_SQPOLL: c_int = 2;

/// `int uv_loop_configure(uv_loop_t*, uv_loop_option, ...)`.
///
/// The one variadic argument (an `int` signal number) is taken as a third
/// fixed parameter: on the x86_64 and aarch64 Linux calling conventions a
/// variadic integer argument travels in the same register as a named one.
///
/// # Safety
/// `lp` points to an initialized loop.
#[no_mangle]
pub unsafe extern "C" fn uv_loop_configure(
    lp: *mut uv_loop_t,
    option: c_int,
    signum: c_int,
) -> c_int {
    // SAFETY: per the contract.
    let r = unsafe {
        with_loop(lp, |l| match option {
            UV_METRICS_IDLE_TIME => {
                l.set_idle_time_metrics(true);
                0
            }
            // io_uring is not used yet, so there is no SQ thread to enable.
            UV_LOOP_USE_IO_URING_SQPOLL => 0,
            UV_LOOP_BLOCK_SIGNAL if signum == libc::SIGPROF => {
                l.set_block_sigprof(true);
                0
            }
            UV_LOOP_BLOCK_SIGNAL => UV_EINVAL,
            _ => UV_ENOSYS,
        })
    };
    r.unwrap_or(UV_EINVAL)
}

/// # Safety
/// `lp` points to an initialized loop.
#[no_mangle]
pub unsafe extern "C" fn uv_run(lp: *mut uv_loop_t, mode: c_int) -> c_int {
    // SAFETY: per the contract.
    let Some(bx) = (unsafe { loop_box(lp) }) else {
        return 0;
    };
    let mode = match mode {
        0 => RunMode::Default,
        1 => RunMode::Once,
        _ => RunMode::NoWait,
    };
    if let Ok(mut l) = bx.engine.try_borrow_mut() {
        // SAFETY: loop_box succeeded, so lp is an initialized loop.
        unsafe { adopt(lp, &mut l) };
    }
    bx.running.set(bx.running.get() + 1);
    let alive = rsuv_core::run(&bx.engine, mode, &CHost { lp });
    bx.running.set(bx.running.get() - 1);
    // SAFETY: lp is initialized (loop_box succeeded) and cannot have been
    // closed while running.
    unsafe {
        if let Ok(l) = bx.engine.try_borrow() {
            sync(lp, &l);
        }
        (*lp).stop_flag = 0;
    }
    alive as c_int
}

/// # Safety
/// `lp` points to an initialized loop.
#[no_mangle]
pub unsafe extern "C" fn uv_stop(lp: *mut uv_loop_t) {
    // SAFETY: per the contract.
    if unsafe { with_loop(lp, |l| l.stop()) }.is_some() {
        // SAFETY: with_loop succeeded, so lp is a loop.
        unsafe { (*lp).stop_flag = 1 };
    }
}

/// # Safety
/// `lp` points to an initialized loop.
#[no_mangle]
pub unsafe extern "C" fn uv_loop_alive(lp: *const uv_loop_t) -> c_int {
    if lp.is_null() {
        return 0;
    }
    // SAFETY: per the contract. The public counters mirror the engine's
    // after every call into it, so a loop with an active handle or request
    // is alive without taking the engine (programs poll this in loops).
    unsafe {
        if (*lp).active_handles > 0 || (*lp).active_reqs > 0 {
            return 1;
        }
        with_loop(lp as *mut _, |l| l.alive() as c_int).unwrap_or(0)
    }
}

/// # Safety
/// `lp` points to an initialized loop.
#[no_mangle]
pub unsafe extern "C" fn uv_now(lp: *const uv_loop_t) -> u64 {
    // SAFETY: per the contract.
    unsafe { with_loop(lp as *mut _, |l| l.now()) }.unwrap_or(0)
}

/// # Safety
/// `lp` points to an initialized loop.
#[no_mangle]
pub unsafe extern "C" fn uv_update_time(lp: *mut uv_loop_t) {
    // SAFETY: per the contract.
    unsafe { with_loop(lp, |l| l.update_time()) };
}

/// # Safety
/// `lp` points to an initialized loop.
#[no_mangle]
pub unsafe extern "C" fn uv_backend_fd(lp: *const uv_loop_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { with_loop(lp as *mut _, |l| l.backend_fd()) }.unwrap_or(-1)
}

/// # Safety
/// `lp` points to an initialized loop.
#[no_mangle]
pub unsafe extern "C" fn uv_backend_timeout(lp: *const uv_loop_t) -> c_int {
    // SAFETY: per the contract.
    unsafe { with_loop(lp as *mut _, |l| l.backend_timeout()) }.unwrap_or(0)
}

/// # Safety
/// `lp` points to an initialized loop; `cb` may close handles.
#[no_mangle]
pub unsafe extern "C" fn uv_walk(lp: *mut uv_loop_t, cb: uv_walk_cb, arg: *mut c_void) {
    let Some(cb) = cb else { return };
    // SAFETY: per the contract.
    let Some(tokens) = (unsafe { with_loop(lp, |l| l.handle_tokens()) }) else {
        return;
    };
    for token in tokens {
        // SAFETY: each token is the address of a handle that is registered
        // (not yet through its close callback), so still valid memory.
        unsafe { cb(token as *mut uv_handle_t, arg) };
    }
}

/// # Safety
/// `lp` points to a `uv_loop_t`.
#[no_mangle]
pub unsafe extern "C" fn uv_loop_get_data(lp: *const uv_loop_t) -> *mut c_void {
    // SAFETY: per the contract.
    unsafe { (*lp).data }
}

/// # Safety
/// `lp` points to a `uv_loop_t`.
#[no_mangle]
pub unsafe extern "C" fn uv_loop_set_data(lp: *mut uv_loop_t, data: *mut c_void) {
    // SAFETY: per the contract.
    unsafe { (*lp).data = data };
}

/// # Safety
/// `lp` points to an initialized loop. May be called from any thread.
#[no_mangle]
pub unsafe extern "C" fn uv_metrics_idle_time(lp: *mut uv_loop_t) -> u64 {
    // SAFETY: per the contract; `shared` stays valid until uv_loop_close and
    // Shared is Sync.
    match unsafe { ((*lp).shared as *const Shared).as_ref() } {
        Some(s) => s.idle_time(),
        None => 0,
    }
}

/// # Safety
/// `lp` points to an initialized loop, `metrics` to a `uv_metrics_t`.
#[no_mangle]
pub unsafe extern "C" fn uv_metrics_info(lp: *mut uv_loop_t, metrics: *mut uv_metrics_t) -> c_int {
    if metrics.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    let Some(m) = (unsafe { with_loop(lp, |l| l.metrics()) }) else {
        return UV_EINVAL;
    };
    // SAFETY: metrics points to a writable uv_metrics_t.
    unsafe {
        (*metrics).loop_count = m.loop_count;
        (*metrics).events = m.events;
        (*metrics).events_waiting = m.events_waiting;
    }
    0
}

/// Makes a loop inherited through `fork(2)` usable in the child: its own
/// epoll set, wakeup, inotify instance and signal pipe, every watcher
/// registered again (`Loop::after_fork`, `signal::loop_forked`). The thread
/// pool was reset by its fork hook when the child was made. Returns the
/// first error; fs_event handles that cannot be watched again are stopped,
/// and the rest is done regardless.
///
/// # Safety
/// `lp` is an initialized loop, in the child, called from the thread that
/// forked (as libuv requires).
#[no_mangle]
pub unsafe extern "C" fn uv_loop_fork(lp: *mut uv_loop_t) -> c_int {
    // SAFETY: per the contract.
    let forked = unsafe {
        with_loop(lp, |l| {
            l.after_fork()
                .map(|lost| (lost, std::sync::Arc::as_ptr(l.shared()), l.handle_tokens()))
        })
    };
    let (lost, shared, tokens) = match forked {
        None => return UV_EINVAL,
        Some(Err(e)) => return -e.raw_os_error().unwrap_or(libc::EIO),
        Some(Ok(r)) => r,
    };
    // SAFETY: lp is an initialized loop (with_loop succeeded); the new
    // Shared lives in the engine until uv_loop_close.
    unsafe { (*lp).shared = shared as *const c_void };
    let mut err = 0;
    for (token, e) in lost {
        // SAFETY: the engine names live fs_event handles it stopped.
        unsafe { crate::fs_event::stopped_by_fork(token) };
        if err == 0 {
            err = -e.raw_os_error();
        }
    }
    // SAFETY: lp is an initialized loop.
    let signal_err = unsafe { crate::signal::loop_forked(lp) };
    if err == 0 {
        err = signal_err;
    }
    for token in tokens {
        let h = token as *mut uv_handle_t;
        // SAFETY: the tokens are live handles of this loop (handle_tokens),
        // and nothing has run since that could close one.
        unsafe {
            if (*h).type_ == UV_ASYNC {
                crate::r#async::after_fork(h as *mut uv_async_t);
            }
        }
    }
    err
}
