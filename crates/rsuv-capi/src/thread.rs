//! Threads and synchronisation: `uv_thread_*`, `uv_mutex_*`, `uv_rwlock_*`,
//! `uv_sem_*`, `uv_cond_*`, `uv_barrier_*`, `uv_once`, `uv_key_*`, plus
//! `uv_cpumask_size` and `uv_available_parallelism`.
//!
//! libuv's types here are the pthread types themselves (`uv_mutex_t` is a
//! `pthread_mutex_t` and so on), so these functions are thin wrappers over
//! pthreads with libuv's error conventions. Where libuv's function returns
//! `void`, a pthread failure means the caller broke the object's rules
//! (unlocking a mutex it does not hold, destroying a locked one...) and
//! libuv aborts; so do we, because there is no way to report it.

use core::ffi::{c_char, c_int, c_uint, c_void};
use core::ptr;

use rsuv_core::error::{UV_EAGAIN, UV_EBUSY, UV_EINVAL, UV_ETIMEDOUT};

use crate::time::hrtime;
use crate::util::{errno, last_error, page_size};

/// `uv_thread_options_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadOptions {
    pub flags: c_uint,
    pub stack_size: usize,
}

/// `UV_THREAD_HAS_STACK_SIZE`: `stack_size` in the options is meaningful.
pub const UV_THREAD_HAS_STACK_SIZE: c_uint = 1;

const UV_THREAD_PRIORITY_HIGHEST: c_int = 2;
const UV_THREAD_PRIORITY_ABOVE_NORMAL: c_int = 1;
const UV_THREAD_PRIORITY_NORMAL: c_int = 0;
const UV_THREAD_PRIORITY_BELOW_NORMAL: c_int = -1;
const UV_THREAD_PRIORITY_LOWEST: c_int = -2;

/// `UV_PTHREAD_MAX_NAMELEN_NP` on Linux: the kernel's `TASK_COMM_LEN`.
const MAX_THREAD_NAME: usize = 16;

/// `CPU_SETSIZE`: the number of CPUs a `cpu_set_t` describes.
const CPU_SETSIZE: usize = libc::CPU_SETSIZE as usize;

type ThreadEntry = unsafe extern "C" fn(*mut c_void);

/// Aborts the process. Used where libuv's `void` functions abort on a pthread
/// error that only a misuse of the object can cause.
fn die() -> ! {
    // SAFETY: abort has no preconditions and does not return.
    unsafe { libc::abort() }
}

// ---------------------------------------------------------------------------
// Stack size
// ---------------------------------------------------------------------------

/// glibc's default thread stack on x86_64; used when the stack rlimit is
/// unusable.
const DEFAULT_STACK_SIZE: usize = 2 << 20;

/// The smallest stack we ask for: musl's `PTHREAD_STACK_MIN` is too small to
/// take a signal on, so never go below 8 KiB, nor below the C library's
/// minimum.
fn min_stack_size() -> usize {
    libc::PTHREAD_STACK_MIN.max(8192)
}

/// The stack for threads created without an explicit size: the main thread's
/// soft `RLIMIT_STACK` rounded down to a page, as long as that is a finite
/// value of at least `min`; otherwise `DEFAULT_STACK_SIZE`. `rlimit` is
/// `None` when `getrlimit` failed.
fn default_stack_size(rlimit: Option<u64>, page: usize, min: usize) -> usize {
    match rlimit {
        Some(cur) if cur != libc::RLIM_INFINITY => {
            let page = page as u64;
            let rounded = cur - cur % page;
            match usize::try_from(rounded) {
                Ok(size) if size >= min => size,
                _ => DEFAULT_STACK_SIZE,
            }
        }
        _ => DEFAULT_STACK_SIZE,
    }
}

/// An explicit stack size rounded up to whole pages and raised to `min`. The
/// rounding wraps for sizes within a page of `usize::MAX`, as in libuv, which
/// then yields `min`.
fn requested_stack_size(size: usize, page: usize, min: usize) -> usize {
    let rounded = size.wrapping_add(page - 1) & !(page - 1);
    rounded.max(min)
}

fn stack_rlimit() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is valid for writes.
    if unsafe { libc::getrlimit(libc::RLIMIT_STACK, &mut lim) } != 0 {
        return None;
    }
    Some(lim.rlim_cur)
}

/// The stack size `uv_thread_create_ex` uses for these options.
fn stack_size_for(options: Option<&ThreadOptions>) -> usize {
    let min = min_stack_size();
    match options {
        Some(o) if o.flags & UV_THREAD_HAS_STACK_SIZE != 0 && o.stack_size != 0 => {
            requested_stack_size(o.stack_size, page_size(), min)
        }
        _ => default_stack_size(stack_rlimit(), page_size(), min),
    }
}

// ---------------------------------------------------------------------------
// Threads
// ---------------------------------------------------------------------------

/// The start routine pthreads wants: libuv's entry points return `void`.
type PthreadEntry = extern "C" fn(*mut c_void) -> *mut c_void;

/// The entry point as pthreads' start routine, as libuv hands it over: no
/// allocation per thread, so a detached thread that never got to run by
/// the time the process exits leaves nothing behind.
fn as_pthread_entry(entry: ThreadEntry) -> PthreadEntry {
    // SAFETY: only glibc calls the result, never Rust. On the SysV ABIs of
    // x86_64 and aarch64 a `void` function called as one returning a
    // pointer leaves an unspecified return register, which pthreads keeps
    // for `pthread_join`; `uv_thread_join` discards it. libuv does the same.
    unsafe { core::mem::transmute::<ThreadEntry, PthreadEntry>(entry) }
}

/// Starts a thread running `entry(arg)` with the default stack size.
///
/// # Safety
/// As for `uv_thread_create_ex`.
#[no_mangle]
pub unsafe extern "C" fn uv_thread_create(
    tid: *mut libc::pthread_t,
    entry: Option<ThreadEntry>,
    arg: *mut c_void,
) -> c_int {
    let options = ThreadOptions::default();
    // SAFETY: same contract; `options` is a valid struct.
    unsafe { uv_thread_create_ex(tid, &options, entry, arg) }
}

/// Starts a thread running `entry(arg)`. With `UV_THREAD_HAS_STACK_SIZE` the
/// stack is `stack_size` rounded up to a page (at least the platform
/// minimum); otherwise it follows `RLIMIT_STACK`, like the main thread's.
///
/// # Safety
/// `tid` must be valid for writes, `params` null or valid, and `entry` safe to
/// call with `arg` on another thread.
#[no_mangle]
pub unsafe extern "C" fn uv_thread_create_ex(
    tid: *mut libc::pthread_t,
    params: *const ThreadOptions,
    entry: Option<ThreadEntry>,
    arg: *mut c_void,
) -> c_int {
    let Some(entry) = entry else {
        return UV_EINVAL;
    };
    if tid.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: `params` is null or valid (caller contract).
    let stack_size = stack_size_for(unsafe { params.as_ref() });

    // SAFETY: an all-zero attr is storage for pthread_attr_init to fill.
    let mut attr: libc::pthread_attr_t = unsafe { core::mem::zeroed() };
    // SAFETY: `attr` is valid storage; init cannot fail on glibc.
    if unsafe { libc::pthread_attr_init(&mut attr) } != 0 {
        die();
    }
    // SAFETY: `attr` was initialised above.
    let err = unsafe { libc::pthread_attr_setstacksize(&mut attr, stack_size) };
    let err = if err != 0 {
        err
    } else {
        // SAFETY: `tid` is writable (caller contract), `attr` initialised,
        // and the caller vouched for `entry(arg)` on another thread.
        unsafe { libc::pthread_create(tid, &attr, as_pthread_entry(entry), arg) }
    };
    // SAFETY: `attr` was initialised above and is no longer needed.
    unsafe { libc::pthread_attr_destroy(&mut attr) };
    -err
}

/// Lets the thread's resources go when it exits; it cannot be joined after.
///
/// # Safety
/// `tid` must point at a joinable thread's id.
#[no_mangle]
pub unsafe extern "C" fn uv_thread_detach(tid: *mut libc::pthread_t) -> c_int {
    if tid.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: `tid` is valid for reads (caller contract).
    -unsafe { libc::pthread_detach(*tid) }
}

/// Waits for the thread to exit.
///
/// # Safety
/// `tid` must point at a joinable thread's id.
#[no_mangle]
pub unsafe extern "C" fn uv_thread_join(tid: *mut libc::pthread_t) -> c_int {
    if tid.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: `tid` is valid for reads (caller contract); the exit value is
    // not wanted.
    -unsafe { libc::pthread_join(*tid, ptr::null_mut()) }
}

#[no_mangle]
pub extern "C" fn uv_thread_self() -> libc::pthread_t {
    // SAFETY: pthread_self cannot fail.
    unsafe { libc::pthread_self() }
}

/// Non-zero when both ids name the same thread.
///
/// # Safety
/// Both pointers must be valid for reads.
#[no_mangle]
pub unsafe extern "C" fn uv_thread_equal(
    t1: *const libc::pthread_t,
    t2: *const libc::pthread_t,
) -> c_int {
    if t1.is_null() || t2.is_null() {
        return c_int::from(t1 == t2);
    }
    // SAFETY: both valid for reads (caller contract).
    unsafe { libc::pthread_equal(*t1, *t2) }
}

/// `CPU_SETSIZE`: the size of the masks `uv_thread_setaffinity` and
/// `uv_thread_getaffinity` take.
#[no_mangle]
pub extern "C" fn uv_cpumask_size() -> c_int {
    libc::CPU_SETSIZE
}

/// Pins the thread to the CPUs whose bytes in `cpumask` are non-zero,
/// storing the previous mask in `oldmask` if given.
///
/// # Safety
/// `tid` must be valid, `cpumask` (and `oldmask` unless null) valid for
/// `mask_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_thread_setaffinity(
    tid: *mut libc::pthread_t,
    cpumask: *mut c_char,
    oldmask: *mut c_char,
    mask_size: usize,
) -> c_int {
    if mask_size < CPU_SETSIZE || tid.is_null() || cpumask.is_null() {
        return UV_EINVAL;
    }
    if !oldmask.is_null() {
        // SAFETY: same contract for `tid`, `oldmask` and `mask_size`.
        let r = unsafe { uv_thread_getaffinity(tid, oldmask, mask_size) };
        if r < 0 {
            return r;
        }
    }
    // SAFETY: the caller guarantees `mask_size >= CPU_SETSIZE` readable bytes.
    let mask = unsafe { core::slice::from_raw_parts(cpumask.cast::<u8>(), CPU_SETSIZE) };
    // SAFETY: an all-zero cpu_set_t is the empty set.
    let mut set: libc::cpu_set_t = unsafe { core::mem::zeroed() };
    for (cpu, _) in mask.iter().enumerate().filter(|(_, &on)| on != 0) {
        // SAFETY: `cpu < CPU_SETSIZE`, within the set.
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    // SAFETY: `tid` valid (caller contract); `set` is a full cpu_set_t.
    -unsafe { libc::pthread_setaffinity_np(*tid, core::mem::size_of::<libc::cpu_set_t>(), &set) }
}

/// Writes 1 into `cpumask` for each CPU the thread may run on, 0 otherwise.
///
/// # Safety
/// `tid` must be valid and `cpumask` valid for writes of `mask_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_thread_getaffinity(
    tid: *mut libc::pthread_t,
    cpumask: *mut c_char,
    mask_size: usize,
) -> c_int {
    if mask_size < CPU_SETSIZE || tid.is_null() || cpumask.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: an all-zero cpu_set_t is the empty set.
    let mut set: libc::cpu_set_t = unsafe { core::mem::zeroed() };
    // SAFETY: `tid` valid (caller contract); `set` is a full cpu_set_t.
    let r = unsafe {
        libc::pthread_getaffinity_np(*tid, core::mem::size_of::<libc::cpu_set_t>(), &mut set)
    };
    if r != 0 {
        return -r;
    }
    // SAFETY: the caller guarantees `mask_size >= CPU_SETSIZE` writable bytes.
    let mask = unsafe { core::slice::from_raw_parts_mut(cpumask.cast::<u8>(), CPU_SETSIZE) };
    for (cpu, byte) in mask.iter_mut().enumerate() {
        // SAFETY: `cpu < CPU_SETSIZE`, within the set.
        *byte = u8::from(unsafe { libc::CPU_ISSET(cpu, &set) });
    }
    0
}

/// The CPU the calling thread is running on.
#[no_mangle]
pub extern "C" fn uv_thread_getcpu() -> c_int {
    // SAFETY: sched_getcpu has no preconditions.
    let cpu = unsafe { libc::sched_getcpu() };
    if cpu < 0 {
        return last_error();
    }
    cpu
}

fn gettid() -> libc::id_t {
    // SAFETY: gettid has no preconditions and cannot fail; thread ids are
    // positive, so the conversion is lossless.
    unsafe { libc::syscall(libc::SYS_gettid) as libc::id_t }
}

/// The thread's priority. Under `SCHED_OTHER` (the default) Linux has no
/// per-thread priority, only a nice value, so for the calling thread the
/// nice value is reported instead.
///
/// # Safety
/// `priority` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_thread_getpriority(
    tid: libc::pthread_t,
    priority: *mut c_int,
) -> c_int {
    if priority.is_null() {
        return UV_EINVAL;
    }
    let mut policy: c_int = 0;
    let mut param = libc::sched_param { sched_priority: 0 };
    // SAFETY: both outputs are valid for writes; a bad `tid` is reported
    // (glibc checks it) rather than dereferenced by us.
    let r = unsafe { libc::pthread_getschedparam(tid, &mut policy, &mut param) };
    if r != 0 {
        return -r;
    }
    let mut value = param.sched_priority;
    // SAFETY: pthread_self/pthread_equal have no preconditions.
    if policy == libc::SCHED_OTHER && unsafe { libc::pthread_equal(tid, libc::pthread_self()) } != 0
    {
        crate::util::set_errno(0);
        // SAFETY: getpriority touches no memory of ours.
        let nice = unsafe { libc::getpriority(libc::PRIO_PROCESS, gettid()) };
        if nice == -1 && errno() != 0 {
            return last_error();
        }
        value = nice;
    }
    // SAFETY: checked non-null; the caller guarantees it writable.
    unsafe { *priority = value };
    0
}

/// The scheduler priority for a `UV_THREAD_PRIORITY_*` level within the
/// policy's `[min, max]` range.
fn scaled_priority(level: c_int, min: c_int, max: c_int) -> c_int {
    let range = max - min;
    match level {
        UV_THREAD_PRIORITY_HIGHEST => max,
        UV_THREAD_PRIORITY_ABOVE_NORMAL => min + range * 3 / 4,
        UV_THREAD_PRIORITY_NORMAL => min + range / 2,
        UV_THREAD_PRIORITY_BELOW_NORMAL => min + range / 4,
        _ => min,
    }
}

/// Sets the thread's priority to a `UV_THREAD_PRIORITY_*` level. For the
/// calling thread under `SCHED_OTHER` this sets its nice value (two nice
/// steps per level: HIGHEST is -4, LOWEST +4); otherwise the level is mapped
/// onto the policy's priority range.
#[no_mangle]
pub extern "C" fn uv_thread_setpriority(tid: libc::pthread_t, priority: c_int) -> c_int {
    if !(UV_THREAD_PRIORITY_LOWEST..=UV_THREAD_PRIORITY_HIGHEST).contains(&priority) {
        return UV_EINVAL;
    }
    let mut policy: c_int = 0;
    let mut param = libc::sched_param { sched_priority: 0 };
    // SAFETY: both outputs are valid for writes; glibc validates `tid`.
    let r = unsafe { libc::pthread_getschedparam(tid, &mut policy, &mut param) };
    if r != 0 {
        return -r;
    }
    // SAFETY: pthread_self/pthread_equal have no preconditions.
    if policy == libc::SCHED_OTHER && unsafe { libc::pthread_equal(tid, libc::pthread_self()) } != 0
    {
        // SAFETY: setpriority touches no memory of ours.
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, gettid(), -2 * priority) } != 0 {
            return last_error();
        }
        return 0;
    }
    // SAFETY: these have no memory-safety preconditions.
    let (min, max) = unsafe {
        (
            libc::sched_get_priority_min(policy),
            libc::sched_get_priority_max(policy),
        )
    };
    if min == -1 || max == -1 {
        return last_error();
    }
    let prio = scaled_priority(priority, min, max);
    if param.sched_priority != prio {
        param.sched_priority = prio;
        // SAFETY: `param` is a valid sched_param; glibc validates `tid`.
        let r = unsafe { libc::pthread_setschedparam(tid, policy, &param) };
        if r != 0 {
            return -r;
        }
    }
    0
}

/// Names the calling thread; names longer than 15 bytes are cut, since the
/// kernel keeps 16 bytes including the NUL.
///
/// # Safety
/// `name` must be null or a C string.
#[no_mangle]
pub unsafe extern "C" fn uv_thread_setname(name: *const c_char) -> c_int {
    if name.is_null() {
        return UV_EINVAL;
    }
    let mut buf = [0 as c_char; MAX_THREAD_NAME];
    for (i, slot) in buf.iter_mut().take(MAX_THREAD_NAME - 1).enumerate() {
        // SAFETY: `name` is a C string and we stop at its NUL, so every read
        // is within it.
        let c = unsafe { *name.add(i) };
        if c == 0 {
            break;
        }
        *slot = c;
    }
    // SAFETY: `buf` is NUL-terminated and at most 16 bytes.
    -unsafe { libc::pthread_setname_np(libc::pthread_self(), buf.as_ptr()) }
}

/// Copies the thread's name into `name`, truncated to `size - 1` bytes; like
/// `strncpy`, the rest of the first `size - 1` bytes is zero-filled, and the
/// last byte is always NUL.
///
/// # Safety
/// `tid` must be valid and `name` valid for writes of `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_thread_getname(
    tid: *mut libc::pthread_t,
    name: *mut c_char,
    size: usize,
) -> c_int {
    if name.is_null() || size == 0 || tid.is_null() {
        return UV_EINVAL;
    }
    let mut buf = [0 as c_char; MAX_THREAD_NAME];
    // SAFETY: `tid` valid (caller contract); `buf` holds 16 bytes.
    let r = unsafe { libc::pthread_getname_np(*tid, buf.as_mut_ptr(), buf.len()) };
    if r != 0 {
        return -r;
    }
    // SAFETY: the caller guarantees `size` writable bytes.
    let out = unsafe { core::slice::from_raw_parts_mut(name, size) };
    let len = buf.iter().position(|&c| c == 0).unwrap_or(buf.len());
    let (body, last) = out.split_at_mut(size - 1);
    let n = len.min(body.len());
    body[..n].copy_from_slice(&buf[..n]);
    body[n..].fill(0);
    last[0] = 0;
    0
}

/// `uv_available_parallelism`: the CPUs this process may run on, reduced to
/// its cgroup's CPU quota if lower, and never less than 1.
#[no_mangle]
pub extern "C" fn uv_available_parallelism() -> c_uint {
    // SAFETY: an all-zero cpu_set_t is the empty set.
    let mut set: libc::cpu_set_t = unsafe { core::mem::zeroed() };
    // SAFETY: `set` is a full, writable cpu_set_t.
    let mut count =
        if unsafe { libc::sched_getaffinity(0, core::mem::size_of::<libc::cpu_set_t>(), &mut set) }
            == 0
        {
            // SAFETY: `set` was filled by the kernel.
            i64::from(unsafe { libc::CPU_COUNT(&set) })
        } else {
            // SAFETY: sysconf has no memory-safety preconditions.
            unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }
        };
    if let Some(quota) = crate::sysinfo::cgroup_cpu_quota() {
        if quota > 0 && quota < count {
            count = quota;
        }
    }
    c_uint::try_from(count.max(1)).unwrap_or(c_uint::MAX)
}

// ---------------------------------------------------------------------------
// Mutexes and read-write locks
// ---------------------------------------------------------------------------

/// Makes a normal (non-recursive, non-checking) mutex, as release builds of
/// libuv do.
///
/// # Safety
/// `mutex` must be valid storage for a `pthread_mutex_t` not in use.
#[no_mangle]
pub unsafe extern "C" fn uv_mutex_init(mutex: *mut libc::pthread_mutex_t) -> c_int {
    // SAFETY: `mutex` is valid storage (caller contract).
    -unsafe { libc::pthread_mutex_init(mutex, ptr::null()) }
}

/// Makes a mutex the owning thread may lock again without deadlocking.
///
/// # Safety
/// `mutex` must be valid storage for a `pthread_mutex_t` not in use.
#[no_mangle]
pub unsafe extern "C" fn uv_mutex_init_recursive(mutex: *mut libc::pthread_mutex_t) -> c_int {
    // SAFETY: an all-zero attr is storage for pthread_mutexattr_init.
    let mut attr: libc::pthread_mutexattr_t = unsafe { core::mem::zeroed() };
    // SAFETY: `attr` is valid storage, initialised before use and destroyed
    // after; `mutex` is valid storage (caller contract).
    unsafe {
        if libc::pthread_mutexattr_init(&mut attr) != 0 {
            die();
        }
        if libc::pthread_mutexattr_settype(&mut attr, libc::PTHREAD_MUTEX_RECURSIVE) != 0 {
            die();
        }
        let err = libc::pthread_mutex_init(mutex, &attr);
        if libc::pthread_mutexattr_destroy(&mut attr) != 0 {
            die();
        }
        -err
    }
}

/// # Safety
/// `mutex` must be an initialised, unlocked mutex.
#[no_mangle]
pub unsafe extern "C" fn uv_mutex_destroy(mutex: *mut libc::pthread_mutex_t) {
    // SAFETY: initialised mutex (caller contract).
    if unsafe { libc::pthread_mutex_destroy(mutex) } != 0 {
        die();
    }
}

/// # Safety
/// `mutex` must be an initialised mutex.
#[no_mangle]
pub unsafe extern "C" fn uv_mutex_lock(mutex: *mut libc::pthread_mutex_t) {
    // SAFETY: initialised mutex (caller contract).
    if unsafe { libc::pthread_mutex_lock(mutex) } != 0 {
        die();
    }
}

/// 0 if locked now, `UV_EBUSY` if someone holds it.
///
/// # Safety
/// `mutex` must be an initialised mutex.
#[no_mangle]
pub unsafe extern "C" fn uv_mutex_trylock(mutex: *mut libc::pthread_mutex_t) -> c_int {
    // SAFETY: initialised mutex (caller contract).
    match unsafe { libc::pthread_mutex_trylock(mutex) } {
        0 => 0,
        // EAGAIN: a recursive mutex's count is exhausted; still "busy".
        libc::EBUSY | libc::EAGAIN => UV_EBUSY,
        _ => die(),
    }
}

/// # Safety
/// `mutex` must be an initialised mutex held by the calling thread.
#[no_mangle]
pub unsafe extern "C" fn uv_mutex_unlock(mutex: *mut libc::pthread_mutex_t) {
    // SAFETY: initialised mutex (caller contract).
    if unsafe { libc::pthread_mutex_unlock(mutex) } != 0 {
        die();
    }
}

/// # Safety
/// `rwlock` must be valid storage for a `pthread_rwlock_t` not in use.
#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_init(rwlock: *mut libc::pthread_rwlock_t) -> c_int {
    // SAFETY: valid storage (caller contract).
    -unsafe { libc::pthread_rwlock_init(rwlock, ptr::null()) }
}

/// # Safety
/// `rwlock` must be an initialised, unlocked lock.
#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_destroy(rwlock: *mut libc::pthread_rwlock_t) {
    // SAFETY: initialised lock (caller contract).
    if unsafe { libc::pthread_rwlock_destroy(rwlock) } != 0 {
        die();
    }
}

/// # Safety
/// `rwlock` must be an initialised lock.
#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_rdlock(rwlock: *mut libc::pthread_rwlock_t) {
    // SAFETY: initialised lock (caller contract).
    if unsafe { libc::pthread_rwlock_rdlock(rwlock) } != 0 {
        die();
    }
}

/// 0 if read-locked now, `UV_EBUSY` if a writer holds it (or the reader
/// count is exhausted).
///
/// # Safety
/// `rwlock` must be an initialised lock.
#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_tryrdlock(rwlock: *mut libc::pthread_rwlock_t) -> c_int {
    // SAFETY: initialised lock (caller contract).
    match unsafe { libc::pthread_rwlock_tryrdlock(rwlock) } {
        0 => 0,
        libc::EBUSY | libc::EAGAIN => UV_EBUSY,
        _ => die(),
    }
}

/// # Safety
/// `rwlock` must be read-locked by the calling thread.
#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_rdunlock(rwlock: *mut libc::pthread_rwlock_t) {
    // SAFETY: initialised lock (caller contract).
    if unsafe { libc::pthread_rwlock_unlock(rwlock) } != 0 {
        die();
    }
}

/// # Safety
/// `rwlock` must be an initialised lock.
#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_wrlock(rwlock: *mut libc::pthread_rwlock_t) {
    // SAFETY: initialised lock (caller contract).
    if unsafe { libc::pthread_rwlock_wrlock(rwlock) } != 0 {
        die();
    }
}

/// 0 if write-locked now, `UV_EBUSY` if anyone holds it.
///
/// # Safety
/// `rwlock` must be an initialised lock.
#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_trywrlock(rwlock: *mut libc::pthread_rwlock_t) -> c_int {
    // SAFETY: initialised lock (caller contract).
    match unsafe { libc::pthread_rwlock_trywrlock(rwlock) } {
        0 => 0,
        libc::EBUSY | libc::EAGAIN => UV_EBUSY,
        _ => die(),
    }
}

/// # Safety
/// `rwlock` must be write-locked by the calling thread.
#[no_mangle]
pub unsafe extern "C" fn uv_rwlock_wrunlock(rwlock: *mut libc::pthread_rwlock_t) {
    // SAFETY: initialised lock (caller contract).
    if unsafe { libc::pthread_rwlock_unlock(rwlock) } != 0 {
        die();
    }
}

// ---------------------------------------------------------------------------
// Semaphores
// ---------------------------------------------------------------------------

/// # Safety
/// `sem` must be valid storage for a `sem_t` not in use.
#[no_mangle]
pub unsafe extern "C" fn uv_sem_init(sem: *mut libc::sem_t, value: c_uint) -> c_int {
    // SAFETY: valid storage (caller contract); not shared between processes.
    if unsafe { libc::sem_init(sem, 0, value) } != 0 {
        return last_error();
    }
    0
}

/// # Safety
/// `sem` must be an initialised semaphore nobody waits on.
#[no_mangle]
pub unsafe extern "C" fn uv_sem_destroy(sem: *mut libc::sem_t) {
    // SAFETY: initialised semaphore (caller contract).
    if unsafe { libc::sem_destroy(sem) } != 0 {
        die();
    }
}

/// # Safety
/// `sem` must be an initialised semaphore.
#[no_mangle]
pub unsafe extern "C" fn uv_sem_post(sem: *mut libc::sem_t) {
    // SAFETY: initialised semaphore (caller contract).
    if unsafe { libc::sem_post(sem) } != 0 {
        die();
    }
}

/// Waits for the count to be positive and decrements it; signals do not cut
/// the wait short.
///
/// # Safety
/// `sem` must be an initialised semaphore.
#[no_mangle]
pub unsafe extern "C" fn uv_sem_wait(sem: *mut libc::sem_t) {
    loop {
        // SAFETY: initialised semaphore (caller contract).
        if unsafe { libc::sem_wait(sem) } == 0 {
            return;
        }
        if errno() != libc::EINTR {
            die();
        }
    }
}

/// Decrements the count if positive; `UV_EAGAIN` if it is zero.
///
/// # Safety
/// `sem` must be an initialised semaphore.
#[no_mangle]
pub unsafe extern "C" fn uv_sem_trywait(sem: *mut libc::sem_t) -> c_int {
    loop {
        // SAFETY: initialised semaphore (caller contract).
        if unsafe { libc::sem_trywait(sem) } == 0 {
            return 0;
        }
        match errno() {
            libc::EINTR => continue,
            libc::EAGAIN => return UV_EAGAIN,
            _ => die(),
        }
    }
}

// ---------------------------------------------------------------------------
// Condition variables
// ---------------------------------------------------------------------------

/// Makes a condition variable whose timed waits run on the monotonic clock,
/// so changing the wall clock does not stretch or cut `uv_cond_timedwait`.
///
/// # Safety
/// `cond` must be valid storage for a `pthread_cond_t` not in use.
#[no_mangle]
pub unsafe extern "C" fn uv_cond_init(cond: *mut libc::pthread_cond_t) -> c_int {
    // SAFETY: an all-zero attr is storage for pthread_condattr_init.
    let mut attr: libc::pthread_condattr_t = unsafe { core::mem::zeroed() };
    // SAFETY: `attr` is valid storage, initialised before use and destroyed
    // on every path; `cond` is valid storage (caller contract).
    unsafe {
        let err = libc::pthread_condattr_init(&mut attr);
        if err != 0 {
            return -err;
        }
        let mut err = libc::pthread_condattr_setclock(&mut attr, libc::CLOCK_MONOTONIC);
        if err == 0 {
            err = libc::pthread_cond_init(cond, &attr);
            if err == 0 {
                err = libc::pthread_condattr_destroy(&mut attr);
                if err == 0 {
                    return 0;
                }
                libc::pthread_cond_destroy(cond);
                return -err;
            }
        }
        libc::pthread_condattr_destroy(&mut attr);
        -err
    }
}

/// # Safety
/// `cond` must be an initialised condition variable nobody waits on.
#[no_mangle]
pub unsafe extern "C" fn uv_cond_destroy(cond: *mut libc::pthread_cond_t) {
    // SAFETY: initialised condition variable (caller contract).
    if unsafe { libc::pthread_cond_destroy(cond) } != 0 {
        die();
    }
}

/// # Safety
/// `cond` must be an initialised condition variable.
#[no_mangle]
pub unsafe extern "C" fn uv_cond_signal(cond: *mut libc::pthread_cond_t) {
    // SAFETY: initialised condition variable (caller contract).
    if unsafe { libc::pthread_cond_signal(cond) } != 0 {
        die();
    }
}

/// # Safety
/// `cond` must be an initialised condition variable.
#[no_mangle]
pub unsafe extern "C" fn uv_cond_broadcast(cond: *mut libc::pthread_cond_t) {
    // SAFETY: initialised condition variable (caller contract).
    if unsafe { libc::pthread_cond_broadcast(cond) } != 0 {
        die();
    }
}

/// # Safety
/// `cond` must be initialised and `mutex` held by the calling thread.
#[no_mangle]
pub unsafe extern "C" fn uv_cond_wait(
    cond: *mut libc::pthread_cond_t,
    mutex: *mut libc::pthread_mutex_t,
) {
    // SAFETY: initialised objects, mutex held (caller contract).
    if unsafe { libc::pthread_cond_wait(cond, mutex) } != 0 {
        die();
    }
}

/// The absolute monotonic deadline `timeout_ns` from `now_ns`.
fn deadline(now_ns: u64, timeout_ns: u64) -> libc::timespec {
    // Saturate instead of wrapping: a huge timeout means "practically never".
    let at = now_ns.saturating_add(timeout_ns);
    libc::timespec {
        // Both fit: u64::MAX / 10^9 is far below i64::MAX.
        tv_sec: (at / 1_000_000_000) as libc::time_t,
        tv_nsec: (at % 1_000_000_000) as libc::c_long,
    }
}

/// Waits at most `timeout` nanoseconds; `UV_ETIMEDOUT` when it ran out.
///
/// # Safety
/// `cond` must be initialised by `uv_cond_init` and `mutex` held by the
/// calling thread.
#[no_mangle]
pub unsafe extern "C" fn uv_cond_timedwait(
    cond: *mut libc::pthread_cond_t,
    mutex: *mut libc::pthread_mutex_t,
    timeout: u64,
) -> c_int {
    let ts = deadline(hrtime(), timeout);
    // SAFETY: initialised objects, mutex held (caller contract); `cond` uses
    // the monotonic clock, matching `hrtime`.
    match unsafe { libc::pthread_cond_timedwait(cond, mutex, &ts) } {
        0 => 0,
        libc::ETIMEDOUT => UV_ETIMEDOUT,
        _ => die(),
    }
}

// ---------------------------------------------------------------------------
// Barriers, once, thread-local keys
// ---------------------------------------------------------------------------

/// A barrier that releases its waiters once `count` threads have arrived.
///
/// # Safety
/// `barrier` must be valid storage for a `pthread_barrier_t` not in use.
#[no_mangle]
pub unsafe extern "C" fn uv_barrier_init(
    barrier: *mut libc::pthread_barrier_t,
    count: c_uint,
) -> c_int {
    // glibc's answer to a zero count, given without asking it: thread
    // checkers (helgrind) report the call itself as a misuse.
    if count == 0 {
        return UV_EINVAL;
    }
    // SAFETY: valid storage (caller contract).
    -unsafe { libc::pthread_barrier_init(barrier, ptr::null(), count) }
}

/// Waits until `count` threads have arrived. Returns 1 in exactly one of
/// them (the "serial" thread, which may then destroy the barrier) and 0 in
/// the others.
///
/// # Safety
/// `barrier` must be initialised.
#[no_mangle]
pub unsafe extern "C" fn uv_barrier_wait(barrier: *mut libc::pthread_barrier_t) -> c_int {
    // SAFETY: initialised barrier (caller contract).
    match unsafe { libc::pthread_barrier_wait(barrier) } {
        0 => 0,
        libc::PTHREAD_BARRIER_SERIAL_THREAD => 1,
        _ => die(),
    }
}

/// # Safety
/// `barrier` must be initialised and have no waiters.
#[no_mangle]
pub unsafe extern "C" fn uv_barrier_destroy(barrier: *mut libc::pthread_barrier_t) {
    // SAFETY: initialised barrier (caller contract).
    if unsafe { libc::pthread_barrier_destroy(barrier) } != 0 {
        die();
    }
}

/// Runs `callback` once per `guard` across all threads; later callers wait
/// for the first run to finish.
///
/// # Safety
/// `guard` must be a `uv_once_t` initialised with `UV_ONCE_INIT`.
#[no_mangle]
pub unsafe extern "C" fn uv_once(
    guard: *mut libc::pthread_once_t,
    callback: Option<extern "C" fn()>,
) {
    let Some(callback) = callback else {
        return;
    };
    // SAFETY: `guard` is an initialised once-control (caller contract), and
    // the caller vouched that `callback` may be called.
    if unsafe { libc::pthread_once(guard, callback) } != 0 {
        die();
    }
}

/// # Safety
/// `key` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_key_create(key: *mut libc::pthread_key_t) -> c_int {
    // SAFETY: `key` is writable (caller contract); no destructor, as libuv.
    -unsafe { libc::pthread_key_create(key, None) }
}

/// # Safety
/// `key` must point at a key from `uv_key_create` not yet deleted.
#[no_mangle]
pub unsafe extern "C" fn uv_key_delete(key: *mut libc::pthread_key_t) {
    // SAFETY: valid key (caller contract).
    if unsafe { libc::pthread_key_delete(*key) } != 0 {
        die();
    }
}

/// The calling thread's value for `key` (null if never set).
///
/// # Safety
/// `key` must point at a live key.
#[no_mangle]
pub unsafe extern "C" fn uv_key_get(key: *mut libc::pthread_key_t) -> *mut c_void {
    // SAFETY: valid key (caller contract).
    unsafe { libc::pthread_getspecific(*key) }
}

/// # Safety
/// `key` must point at a live key.
#[no_mangle]
pub unsafe extern "C" fn uv_key_set(key: *mut libc::pthread_key_t, value: *mut c_void) {
    // SAFETY: valid key (caller contract).
    if unsafe { libc::pthread_setspecific(*key, value) } != 0 {
        die();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn type_sizes_match_libuv() {
        use core::mem::size_of;
        assert_eq!(size_of::<libc::pthread_mutex_t>(), 40);
        assert_eq!(size_of::<libc::pthread_rwlock_t>(), 56);
        assert_eq!(size_of::<libc::sem_t>(), 32);
        assert_eq!(size_of::<libc::pthread_cond_t>(), 48);
        assert_eq!(size_of::<libc::pthread_barrier_t>(), 32);
        assert_eq!(size_of::<libc::pthread_once_t>(), 4);
        assert_eq!(size_of::<libc::pthread_key_t>(), 4);
        assert_eq!(size_of::<libc::pthread_t>(), 8);
        assert_eq!(size_of::<ThreadOptions>(), 16);
    }

    #[test]
    fn explicit_stack_sizes_round_up() {
        let min = 16384;
        assert_eq!(requested_stack_size(1, 4096, min), min);
        assert_eq!(requested_stack_size(16384, 4096, min), 16384);
        assert_eq!(requested_stack_size(16385, 4096, min), 20480);
        assert_eq!(requested_stack_size(1 << 20, 4096, min), 1 << 20);
        assert_eq!(
            requested_stack_size(usize::MAX, 4096, min),
            min,
            "wraps as in libuv"
        );
        assert!(min_stack_size() >= 8192);
    }

    #[test]
    fn default_stack_follows_rlimit() {
        let min = 16384;
        assert_eq!(default_stack_size(None, 4096, min), DEFAULT_STACK_SIZE);
        assert_eq!(
            default_stack_size(Some(libc::RLIM_INFINITY), 4096, min),
            DEFAULT_STACK_SIZE
        );
        assert_eq!(default_stack_size(Some(8 << 20), 4096, min), 8 << 20);
        assert_eq!(
            default_stack_size(Some((8 << 20) + 100), 4096, min),
            8 << 20
        );
        assert_eq!(
            default_stack_size(Some(8192), 4096, min),
            DEFAULT_STACK_SIZE
        );
        assert_eq!(default_stack_size(Some(16384), 4096, min), 16384);
    }

    #[test]
    fn priority_scaling() {
        assert_eq!(scaled_priority(2, 1, 99), 99);
        assert_eq!(scaled_priority(1, 1, 99), 74);
        assert_eq!(scaled_priority(0, 1, 99), 50);
        assert_eq!(scaled_priority(-1, 1, 99), 25);
        assert_eq!(scaled_priority(-2, 1, 99), 1);
        assert_eq!(uv_thread_setpriority(uv_thread_self(), 3), UV_EINVAL);
        assert_eq!(uv_thread_setpriority(uv_thread_self(), -3), UV_EINVAL);
    }

    #[test]
    fn deadline_saturates() {
        let ts = deadline(1_500_000_000, 600_000_000);
        assert_eq!((ts.tv_sec, ts.tv_nsec), (2, 100_000_000));
        let ts = deadline(u64::MAX - 1, u64::MAX);
        assert_eq!(ts.tv_sec, (u64::MAX / 1_000_000_000) as libc::time_t);
    }

    static RAN: AtomicUsize = AtomicUsize::new(0);
    unsafe extern "C" fn bump(arg: *mut c_void) {
        RAN.fetch_add(arg as usize, Ordering::SeqCst);
    }

    #[test]
    fn create_and_join() {
        let mut tid: libc::pthread_t = 0;
        // SAFETY: valid pointers; `bump` is safe to run on any thread.
        unsafe {
            assert_eq!(uv_thread_create(&mut tid, Some(bump), 5 as *mut c_void), 0);
            assert_eq!(uv_thread_join(&mut tid), 0);
            let opts = ThreadOptions {
                flags: UV_THREAD_HAS_STACK_SIZE,
                stack_size: 1,
            };
            assert_eq!(
                uv_thread_create_ex(&mut tid, &opts, Some(bump), 7 as *mut c_void),
                0
            );
            assert_eq!(uv_thread_join(&mut tid), 0);
            assert_eq!(uv_thread_create(&mut tid, None, ptr::null_mut()), UV_EINVAL);
            let me = uv_thread_self();
            assert_ne!(uv_thread_equal(&me, &me), 0);
            assert_eq!(uv_thread_equal(&me, &tid), 0);
        }
        assert!(RAN.load(Ordering::SeqCst) >= 12);
    }

    #[test]
    fn names() {
        // SAFETY: C string literals and valid buffers.
        unsafe {
            assert_eq!(uv_thread_setname(c"a-very-long-thread-name".as_ptr()), 0);
            let mut me = uv_thread_self();
            let mut buf = [0x55 as c_char; 32];
            assert_eq!(uv_thread_getname(&mut me, buf.as_mut_ptr(), buf.len()), 0);
            let got = core::ffi::CStr::from_ptr(buf.as_ptr());
            assert_eq!(got.to_bytes(), b"a-very-long-thr");
            assert!(buf[15..].iter().all(|&c| c == 0), "strncpy-style zero fill");
            let mut small = [0x55 as c_char; 4];
            assert_eq!(uv_thread_getname(&mut me, small.as_mut_ptr(), 4), 0);
            assert_eq!(core::ffi::CStr::from_ptr(small.as_ptr()).to_bytes(), b"a-v");
            assert_eq!(uv_thread_getname(&mut me, small.as_mut_ptr(), 0), UV_EINVAL);
            assert_eq!(uv_thread_setname(ptr::null()), UV_EINVAL);
        }
    }

    #[test]
    fn affinity() {
        assert_eq!(uv_cpumask_size(), 1024);
        let mut me = uv_thread_self();
        let mut mask = vec![0 as c_char; 1024];
        let mut old = vec![0 as c_char; 1024];
        // SAFETY: masks have CPU_SETSIZE bytes.
        unsafe {
            assert_eq!(
                uv_thread_getaffinity(&mut me, mask.as_mut_ptr(), 1023),
                UV_EINVAL
            );
            assert_eq!(uv_thread_getaffinity(&mut me, mask.as_mut_ptr(), 1024), 0);
            assert!(mask.contains(&1));
            assert!(mask.iter().all(|&b| b == 0 || b == 1));
            assert_eq!(
                uv_thread_setaffinity(&mut me, mask.as_mut_ptr(), old.as_mut_ptr(), 1024),
                0
            );
            assert_eq!(mask, old);
        }
        assert!(uv_thread_getcpu() >= 0);
        assert!(uv_available_parallelism() >= 1);
    }

    #[test]
    fn priority_of_self() {
        let mut p = 99;
        // SAFETY: `p` is writable.
        let r = unsafe { uv_thread_getpriority(uv_thread_self(), &mut p) };
        assert_eq!(r, 0);
        assert!((-20..=19).contains(&p));
        // Lowering our own priority is always allowed.
        assert_eq!(
            uv_thread_setpriority(uv_thread_self(), UV_THREAD_PRIORITY_LOWEST),
            0
        );
        // SAFETY: `p` is writable.
        let r = unsafe { uv_thread_getpriority(uv_thread_self(), &mut p) };
        assert_eq!(r, 0);
        assert_eq!(p, 4);
    }

    /// Storage for a pthread object shared across test threads.
    struct Shared<T>(core::cell::UnsafeCell<T>);
    // SAFETY: pthread objects are designed to be used from many threads.
    unsafe impl<T> Sync for Shared<T> {}
    // SAFETY: as above.
    unsafe impl<T> Send for Shared<T> {}
    impl<T> Shared<T> {
        fn new() -> Arc<Self> {
            // SAFETY: zeroed storage; every test initialises it before use.
            Arc::new(Shared(core::cell::UnsafeCell::new(unsafe {
                core::mem::zeroed()
            })))
        }
        fn get(&self) -> *mut T {
            self.0.get()
        }
    }

    #[test]
    fn mutexes() {
        let m = Shared::<libc::pthread_mutex_t>::new();
        // SAFETY: each object is initialised before use and destroyed last.
        unsafe {
            assert_eq!(uv_mutex_init(m.get()), 0);
            uv_mutex_lock(m.get());
            let m2 = Arc::clone(&m);
            let r = std::thread::spawn(move || uv_mutex_trylock(m2.get()))
                .join()
                .unwrap();
            assert_eq!(r, UV_EBUSY);
            uv_mutex_unlock(m.get());
            assert_eq!(uv_mutex_trylock(m.get()), 0);
            uv_mutex_unlock(m.get());
            uv_mutex_destroy(m.get());

            assert_eq!(uv_mutex_init_recursive(m.get()), 0);
            uv_mutex_lock(m.get());
            assert_eq!(uv_mutex_trylock(m.get()), 0);
            uv_mutex_unlock(m.get());
            uv_mutex_unlock(m.get());
            uv_mutex_destroy(m.get());
        }
    }

    #[test]
    fn rwlocks() {
        let l = Shared::<libc::pthread_rwlock_t>::new();
        // SAFETY: initialised before use, destroyed last.
        unsafe {
            assert_eq!(uv_rwlock_init(l.get()), 0);
            uv_rwlock_rdlock(l.get());
            assert_eq!(uv_rwlock_tryrdlock(l.get()), 0);
            let l2 = Arc::clone(&l);
            let r = std::thread::spawn(move || uv_rwlock_trywrlock(l2.get()))
                .join()
                .unwrap();
            assert_eq!(r, UV_EBUSY);
            uv_rwlock_rdunlock(l.get());
            uv_rwlock_rdunlock(l.get());
            uv_rwlock_wrlock(l.get());
            let l2 = Arc::clone(&l);
            let r = std::thread::spawn(move || uv_rwlock_tryrdlock(l2.get()))
                .join()
                .unwrap();
            assert_eq!(r, UV_EBUSY);
            uv_rwlock_wrunlock(l.get());
            assert_eq!(uv_rwlock_trywrlock(l.get()), 0);
            uv_rwlock_wrunlock(l.get());
            uv_rwlock_destroy(l.get());
        }
    }

    #[test]
    fn semaphores() {
        let s = Shared::<libc::sem_t>::new();
        // SAFETY: initialised before use, destroyed last.
        unsafe {
            assert_eq!(uv_sem_init(s.get(), 1), 0);
            assert_eq!(uv_sem_trywait(s.get()), 0);
            assert_eq!(uv_sem_trywait(s.get()), UV_EAGAIN);
            let s2 = Arc::clone(&s);
            let t = std::thread::spawn(move || uv_sem_post(s2.get()));
            uv_sem_wait(s.get());
            t.join().unwrap();
            uv_sem_destroy(s.get());
        }
    }

    #[test]
    fn condition_variables() {
        let c = Shared::<libc::pthread_cond_t>::new();
        let m = Shared::<libc::pthread_mutex_t>::new();
        // SAFETY: initialised before use, destroyed last.
        unsafe {
            assert_eq!(uv_cond_init(c.get()), 0);
            assert_eq!(uv_mutex_init(m.get()), 0);
            uv_mutex_lock(m.get());
            let start = hrtime();
            assert_eq!(
                uv_cond_timedwait(c.get(), m.get(), 20_000_000),
                UV_ETIMEDOUT
            );
            assert!(hrtime() - start >= 20_000_000);
            let (c2, m2) = (Arc::clone(&c), Arc::clone(&m));
            let t = std::thread::spawn(move || {
                uv_mutex_lock(m2.get());
                uv_cond_signal(c2.get());
                uv_mutex_unlock(m2.get());
            });
            assert_eq!(uv_cond_timedwait(c.get(), m.get(), 10_000_000_000), 0);
            uv_mutex_unlock(m.get());
            t.join().unwrap();
            uv_cond_broadcast(c.get());
            uv_cond_destroy(c.get());
            uv_mutex_destroy(m.get());
        }
    }

    #[test]
    fn barrier_has_one_serial_thread() {
        let b = Shared::<libc::pthread_barrier_t>::new();
        // SAFETY: initialised before use, destroyed after every waiter left.
        unsafe {
            assert_eq!(uv_barrier_init(b.get(), 0), UV_EINVAL);
            assert_eq!(uv_barrier_init(b.get(), 4), 0);
            let handles: Vec<_> = (0..3)
                .map(|_| {
                    let b = Arc::clone(&b);
                    std::thread::spawn(move || uv_barrier_wait(b.get()))
                })
                .collect();
            let mine = uv_barrier_wait(b.get());
            let total: c_int = handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .sum::<c_int>()
                + mine;
            assert_eq!(total, 1);
            uv_barrier_destroy(b.get());
        }
    }

    static ONCE_RUNS: AtomicUsize = AtomicUsize::new(0);
    extern "C" fn once_cb() {
        ONCE_RUNS.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn once_and_keys() {
        let mut guard: libc::pthread_once_t = libc::PTHREAD_ONCE_INIT;
        let mut key: libc::pthread_key_t = 0;
        // SAFETY: valid guard and key storage.
        unsafe {
            uv_once(&mut guard, Some(once_cb));
            uv_once(&mut guard, Some(once_cb));
            assert_eq!(ONCE_RUNS.load(Ordering::SeqCst), 1);
            assert_eq!(uv_key_create(&mut key), 0);
            assert!(uv_key_get(&mut key).is_null());
            uv_key_set(&mut key, 42 as *mut c_void);
            assert_eq!(uv_key_get(&mut key) as usize, 42);
            let k = key;
            let other = std::thread::spawn(move || {
                let mut k = k;
                uv_key_get(&mut k) as usize
            })
            .join()
            .unwrap();
            assert_eq!(other, 0, "values are per thread");
            uv_key_delete(&mut key);
        }
    }
}
