//! Process-wide helpers that need no event loop: the version, clocks, the
//! replaceable allocator, system and memory information, the environment,
//! user, group and host lookups, the working directory, shared libraries and
//! a few file-descriptor helpers.
//!
//! The allocator functions here (`alloc`, `calloc`, `realloc`, `free`,
//! `strdup`) are what every module must use for memory handed to the C caller
//! or taken back from it, because `uv_replace_allocator` promises the caller
//! that libuv's user-visible memory goes through their functions.

use core::ffi::{c_char, c_double, c_int, c_uint, c_void, CStr};
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use rsuv_core::error::{UV_E2BIG, UV_EFAULT, UV_EINVAL, UV_ENOBUFS, UV_ENOENT, UV_ENOMEM};

// ---------------------------------------------------------------------------
// C types owned by this module. Layouts follow libuv's `uv.h` on Linux x86_64.
// ---------------------------------------------------------------------------

/// `uv_buf_t`: laid out like `struct iovec` so buffers can go straight to
/// `readv`/`writev`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Buf {
    pub base: *mut c_char,
    pub len: usize,
}

/// `uv_timespec64_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Timespec64 {
    pub tv_sec: i64,
    pub tv_nsec: i32,
}

/// `uv_timeval64_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Timeval64 {
    pub tv_sec: i64,
    pub tv_usec: i32,
}

/// `uv_timeval_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Timeval {
    pub tv_sec: libc::c_long,
    pub tv_usec: libc::c_long,
}

/// `uv_rusage_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Rusage {
    pub ru_utime: Timeval,
    pub ru_stime: Timeval,
    pub ru_maxrss: u64,
    pub ru_ixrss: u64,
    pub ru_idrss: u64,
    pub ru_isrss: u64,
    pub ru_minflt: u64,
    pub ru_majflt: u64,
    pub ru_nswap: u64,
    pub ru_inblock: u64,
    pub ru_oublock: u64,
    pub ru_msgsnd: u64,
    pub ru_msgrcv: u64,
    pub ru_nsignals: u64,
    pub ru_nvcsw: u64,
    pub ru_nivcsw: u64,
}

/// `uv_utsname_t`.
#[repr(C)]
pub struct Utsname {
    pub sysname: [c_char; 256],
    pub release: [c_char; 256],
    pub version: [c_char; 256],
    pub machine: [c_char; 256],
}

/// `uv_passwd_t`.
#[repr(C)]
pub struct Passwd {
    pub username: *mut c_char,
    pub uid: libc::c_ulong,
    pub gid: libc::c_ulong,
    pub shell: *mut c_char,
    pub homedir: *mut c_char,
}

/// `uv_group_t`.
#[repr(C)]
pub struct Group {
    pub groupname: *mut c_char,
    pub gid: libc::c_ulong,
    pub members: *mut *mut c_char,
}

/// `uv_env_item_t`.
#[repr(C)]
pub struct EnvItem {
    pub name: *mut c_char,
    pub value: *mut c_char,
}

/// `struct uv_cpu_times_s`, in milliseconds.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    pub user: u64,
    pub nice: u64,
    pub sys: u64,
    pub idle: u64,
    pub irq: u64,
}

/// `uv_cpu_info_t`.
#[repr(C)]
pub struct CpuInfo {
    pub model: *mut c_char,
    pub speed: c_int,
    pub cpu_times: CpuTimes,
}

/// The address unions of `uv_interface_address_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union SockaddrInet {
    pub v4: libc::sockaddr_in,
    pub v6: libc::sockaddr_in6,
}

/// `uv_interface_address_t`.
#[repr(C)]
pub struct InterfaceAddress {
    pub name: *mut c_char,
    pub phys_addr: [c_char; 6],
    pub is_internal: c_int,
    pub address: SockaddrInet,
    pub netmask: SockaddrInet,
}

/// `uv_lib_t`.
#[repr(C)]
pub struct Lib {
    pub handle: *mut c_void,
    pub errmsg: *mut c_char,
}

const UV_CLOCK_MONOTONIC: c_int = 0;
const UV_CLOCK_REALTIME: c_int = 1;

const UV_PRIORITY_LOW: c_int = 19;
const UV_PRIORITY_HIGHEST: c_int = -20;

/// `UV_MAXHOSTNAMESIZE` on Linux: `MAXHOSTNAMELEN + 1`.
const MAX_HOSTNAME_SIZE: usize = 65;

/// `UV_IF_NAMESIZE` on Linux: `IF_NAMESIZE + 1`.
const IF_NAME_SIZE: usize = 17;

// ---------------------------------------------------------------------------
// errno and small shared helpers
// ---------------------------------------------------------------------------

/// The calling thread's `errno`.
pub(crate) fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Sets the calling thread's `errno`, for calls such as `getpriority` whose
/// only failure signal is a changed `errno`.
pub(crate) fn set_errno(value: c_int) {
    // SAFETY: `__errno_location` always returns a valid pointer to the
    // calling thread's errno.
    unsafe { *libc::__errno_location() = value };
}

/// libuv's code for the current `errno`.
pub(crate) fn last_error() -> c_int {
    -errno()
}

/// Hands `value` to a caller's `(buffer, size)` pair the way libuv's path and
/// name getters do: if it does not fit with its NUL, `*size` becomes the
/// required size (NUL included) and the result is `UV_ENOBUFS`; otherwise the
/// string and its NUL are copied and `*size` becomes the string length.
///
/// # Safety
/// `buffer` must be valid for writes of `*size` bytes and `size` valid for
/// reads and writes.
unsafe fn copy_out(value: &[u8], buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: the caller guarantees `size` is valid.
    let cap = unsafe { *size };
    if value.len() >= cap {
        // SAFETY: as above.
        unsafe { *size = value.len() + 1 };
        return UV_ENOBUFS;
    }
    // SAFETY: `value.len() + 1 <= cap`, the room the caller promised; a Rust
    // slice cannot overlap the caller's output buffer.
    unsafe {
        ptr::copy_nonoverlapping(value.as_ptr(), buffer.cast::<u8>(), value.len());
        *buffer.add(value.len()) = 0;
        *size = value.len();
    }
    0
}

/// Copies a C string into a fixed array, truncating; `UV_E2BIG` when it had
/// to truncate (the array is always NUL-terminated).
fn copy_fixed(dst: &mut [c_char], src: &[c_char]) -> c_int {
    let Some(room) = dst.len().checked_sub(1) else {
        return UV_E2BIG;
    };
    let len = src.iter().position(|&c| c == 0).unwrap_or(src.len());
    let n = len.min(room);
    dst[..n].copy_from_slice(&src[..n]);
    dst[n] = 0;
    if len > room {
        UV_E2BIG
    } else {
        0
    }
}

/// The system page size.
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).ok().filter(|&n| n > 0).unwrap_or(4096)
}

/// Reads a whole (small, usually `/proc` or `/sys`) file.
pub(crate) fn read_file(path: impl AsRef<std::path::Path>) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
}

/// Builds a filesystem path from raw bytes (cgroup names need not be UTF-8).
fn path_from(bytes: Vec<u8>) -> std::path::PathBuf {
    OsString::from_vec(bytes).into()
}

/// Skips leading ASCII whitespace, as `sscanf` conversions do.
fn trim_start(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    &s[start..]
}

/// Parses a leading decimal integer (after whitespace, with an optional sign),
/// returning it and the rest of the input, like `%lld`.
pub(crate) fn parse_i64(s: &[u8]) -> Option<(i64, &[u8])> {
    let s = trim_start(s);
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    if len == 0 {
        return None;
    }
    let mut value: i64 = 0;
    for &d in &digits[..len] {
        value = value.saturating_mul(10).saturating_add(i64::from(d - b'0'));
    }
    Some((if neg { -value } else { value }, &digits[len..]))
}

/// Parses a leading unsigned decimal integer (after whitespace), like `%llu`
/// for the non-negative values the kernel prints.
pub(crate) fn parse_u64(s: &[u8]) -> Option<(u64, &[u8])> {
    let s = trim_start(s);
    let s = s.strip_prefix(b"+").unwrap_or(s);
    let len = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if len == 0 {
        return None;
    }
    let mut value: u64 = 0;
    for &d in &s[..len] {
        value = value.saturating_mul(10).saturating_add(u64::from(d - b'0'));
    }
    Some((value, &s[len..]))
}

/// Parses a leading floating-point number (after whitespace), like `%lf` for
/// the plain decimals the kernel prints.
fn parse_f64(s: &[u8]) -> Option<(f64, &[u8])> {
    let s = trim_start(s);
    let len = s
        .iter()
        .take_while(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        .count();
    let text = std::str::from_utf8(&s[..len]).ok()?;
    Some((text.parse().ok()?, &s[len..]))
}

/// The first line of `s`, without its newline.
fn first_line(s: &[u8]) -> &[u8] {
    s.split(|&b| b == b'\n').next().unwrap_or(s)
}

// ---------------------------------------------------------------------------
// The replaceable allocator
// ---------------------------------------------------------------------------

type MallocFn = unsafe extern "C" fn(usize) -> *mut c_void;
type ReallocFn = unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void;
type CallocFn = unsafe extern "C" fn(usize, usize) -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut c_void);

struct Allocator {
    malloc: MallocFn,
    realloc: ReallocFn,
    calloc: CallocFn,
    free: FreeFn,
}

static SYSTEM_ALLOCATOR: Allocator = Allocator {
    malloc: libc::malloc,
    realloc: libc::realloc,
    calloc: libc::calloc,
    free: libc::free,
};

/// The allocator in force. Replacing it swaps in a whole new set of four
/// functions at once, so a reader never sees a `malloc` from one set paired
/// with a `free` from another. Replaced sets are leaked: another thread may
/// still be using one, and programs replace the allocator once, at start-up.
static ALLOCATOR: AtomicPtr<Allocator> = AtomicPtr::new(ptr::addr_of!(SYSTEM_ALLOCATOR).cast_mut());

fn allocator() -> &'static Allocator {
    // SAFETY: the pointer is either `SYSTEM_ALLOCATOR` or a leaked `Box`
    // that is never freed, so it is valid for the rest of the process.
    unsafe { &*ALLOCATOR.load(Ordering::Acquire) }
}

/// `uv__malloc`: `size` bytes from the user's allocator; null for 0 bytes.
pub(crate) fn alloc(size: usize) -> *mut c_void {
    if size == 0 {
        return ptr::null_mut();
    }
    // SAFETY: `uv_replace_allocator`'s contract is that the functions behave
    // like their C library namesakes.
    unsafe { (allocator().malloc)(size) }
}

/// `uv__calloc`: zeroed memory for `count` items of `size` bytes.
pub(crate) fn calloc(count: usize, size: usize) -> *mut c_void {
    // SAFETY: as for `alloc`.
    unsafe { (allocator().calloc)(count, size) }
}

/// `uv__realloc`: resizing to 0 frees the block and returns null.
///
/// For modules that grow buffers they hand to the caller (fs results, say),
/// which may not exist yet.
/// # Safety
/// `ptr` must be null or a live block from this module's allocator.
#[allow(dead_code)]
pub(crate) unsafe fn realloc(ptr: *mut c_void, size: usize) -> *mut c_void {
    if size == 0 {
        // SAFETY: the caller's contract on `ptr` is what `free` needs.
        unsafe { free(ptr) };
        return ptr::null_mut();
    }
    // SAFETY: the caller's contract on `ptr`, plus the allocator contract.
    unsafe { (allocator().realloc)(ptr, size) }
}

/// `uv__free`. Keeps `errno` intact: callers free on error paths and then
/// report `errno`, and a user's `free` need not preserve it.
///
/// # Safety
/// `ptr` must be null or a live block from this module's allocator.
pub(crate) unsafe fn free(ptr: *mut c_void) {
    let saved = errno();
    // SAFETY: the caller's contract on `ptr`, plus the allocator contract.
    unsafe { (allocator().free)(ptr) };
    set_errno(saved);
}

/// `uv__strdup`: a NUL-terminated copy in the user's allocator, or null.
pub(crate) fn strdup(s: &CStr) -> *mut c_char {
    let bytes = s.to_bytes_with_nul();
    let p = alloc(bytes.len()).cast::<c_char>();
    if !p.is_null() {
        // SAFETY: `p` is a fresh block of `bytes.len()` bytes.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), p.cast::<u8>(), bytes.len()) };
    }
    p
}

/// Replaces the functions libuv uses for memory it shares with the caller.
/// All four must be given, or nothing changes and `UV_EINVAL` is returned.
///
/// # Safety
/// The functions must behave like `malloc`, `realloc`, `calloc` and `free`
/// and stay callable for the rest of the process.
#[no_mangle]
pub unsafe extern "C" fn uv_replace_allocator(
    malloc_func: Option<MallocFn>,
    realloc_func: Option<ReallocFn>,
    calloc_func: Option<CallocFn>,
    free_func: Option<FreeFn>,
) -> c_int {
    let (Some(malloc), Some(realloc), Some(calloc), Some(free)) =
        (malloc_func, realloc_func, calloc_func, free_func)
    else {
        return UV_EINVAL;
    };
    let set = Box::new(Allocator {
        malloc,
        realloc,
        calloc,
        free,
    });
    ALLOCATOR.store(Box::into_raw(set), Ordering::Release);
    0
}

// ---------------------------------------------------------------------------
// Version, clocks, sleeping, buffers
// ---------------------------------------------------------------------------

const VERSION_MAJOR: c_uint = 1;
const VERSION_MINOR: c_uint = 52;
const VERSION_PATCH: c_uint = 0;

/// `UV_VERSION_HEX`: major, minor and patch packed into one byte each.
#[no_mangle]
pub extern "C" fn uv_version() -> c_uint {
    (VERSION_MAJOR << 16) | (VERSION_MINOR << 8) | VERSION_PATCH
}

/// `"1.52.0"`; a release has no suffix.
#[no_mangle]
pub extern "C" fn uv_version_string() -> *const c_char {
    c"1.52.0".as_ptr()
}

fn clock_ns(clock: libc::clockid_t) -> Option<u64> {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write into.
    if unsafe { libc::clock_gettime(clock, &mut t) } != 0 {
        return None;
    }
    let sec = u64::try_from(t.tv_sec).ok()?;
    let nsec = u64::try_from(t.tv_nsec).ok()?;
    Some(sec.wrapping_mul(1_000_000_000).wrapping_add(nsec))
}

/// Nanoseconds on the monotonic clock.
pub(crate) fn hrtime() -> u64 {
    // The monotonic clock cannot fail on Linux; 0 mirrors libuv should it.
    clock_ns(libc::CLOCK_MONOTONIC).unwrap_or(0)
}

/// Monotonic time in nanoseconds from an arbitrary point in the past.
#[no_mangle]
pub extern "C" fn uv_hrtime() -> u64 {
    hrtime()
}

/// Reads the monotonic or real-time clock. A null `ts` is `UV_EFAULT` and an
/// unknown clock `UV_EINVAL`, as in libuv.
///
/// # Safety
/// `ts` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_clock_gettime(clock_id: c_int, ts: *mut Timespec64) -> c_int {
    if ts.is_null() {
        return UV_EFAULT;
    }
    let clock = match clock_id {
        UV_CLOCK_MONOTONIC => libc::CLOCK_MONOTONIC,
        UV_CLOCK_REALTIME => libc::CLOCK_REALTIME,
        _ => return UV_EINVAL,
    };
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write into.
    if unsafe { libc::clock_gettime(clock, &mut t) } != 0 {
        return last_error();
    }
    // SAFETY: checked non-null above; the caller guarantees it is writable.
    unsafe {
        *ts = Timespec64 {
            tv_sec: t.tv_sec,
            // Always below 10^9, so it fits.
            tv_nsec: t.tv_nsec as i32,
        }
    };
    0
}

/// Wall-clock time as seconds and microseconds since the epoch.
///
/// # Safety
/// `tv` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_gettimeofday(tv: *mut Timeval64) -> c_int {
    if tv.is_null() {
        return UV_EINVAL;
    }
    let mut t = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    // SAFETY: `t` is a valid timeval; a null timezone is allowed.
    if unsafe { libc::gettimeofday(&mut t, ptr::null_mut()) } != 0 {
        return last_error();
    }
    // SAFETY: checked non-null above; the caller guarantees it is writable.
    unsafe {
        *tv = Timeval64 {
            tv_sec: t.tv_sec,
            // Always below 10^6, so it fits.
            tv_usec: t.tv_usec as i32,
        }
    };
    0
}

/// Blocks the calling thread for `msec` milliseconds, resuming after signals.
#[no_mangle]
pub extern "C" fn uv_sleep(msec: c_uint) {
    let mut t = libc::timespec {
        tv_sec: libc::time_t::from(msec / 1000),
        tv_nsec: libc::c_long::from(msec % 1000) * 1_000_000,
    };
    loop {
        let mut rest = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: both timespecs are valid for the call.
        if unsafe { libc::nanosleep(&t, &mut rest) } == 0 || errno() != libc::EINTR {
            return;
        }
        t = rest;
    }
}

/// Builds a `uv_buf_t`; the caller keeps ownership of `base`.
#[no_mangle]
pub extern "C" fn uv_buf_init(base: *mut c_char, len: c_uint) -> Buf {
    Buf {
        base,
        len: len as usize,
    }
}

// ---------------------------------------------------------------------------
// Processes and file descriptors
// ---------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn uv_os_getpid() -> libc::pid_t {
    // SAFETY: getpid cannot fail and touches no memory.
    unsafe { libc::getpid() }
}

#[no_mangle]
pub extern "C" fn uv_os_getppid() -> libc::pid_t {
    // SAFETY: getppid cannot fail and touches no memory.
    unsafe { libc::getppid() }
}

/// Sends `signum` to process `pid`.
#[no_mangle]
pub extern "C" fn uv_kill(pid: c_int, signum: c_int) -> c_int {
    // SAFETY: kill touches no memory of ours.
    if unsafe { libc::kill(pid, signum) } != 0 {
        return last_error();
    }
    0
}

/// On Unix a `uv_os_fd_t` is the file descriptor itself.
#[no_mangle]
pub extern "C" fn uv_get_osfhandle(fd: c_int) -> c_int {
    fd
}

/// On Unix a `uv_os_fd_t` is the file descriptor itself.
#[no_mangle]
pub extern "C" fn uv_open_osfhandle(os_fd: c_int) -> c_int {
    os_fd
}

/// Marks every inherited descriptor close-on-exec so children spawned later
/// do not inherit them. The first 16 are always tried (some may be closed);
/// after that the first failure is taken to mean no more are open.
#[no_mangle]
pub extern "C" fn uv_disable_stdio_inheritance() {
    let mut fd: c_int = 0;
    loop {
        // SAFETY: FIOCLEX takes no argument and only changes a descriptor
        // flag; an invalid descriptor just fails with EBADF.
        let failed = unsafe { libc::ioctl(fd, libc::FIOCLEX) } != 0;
        if failed && fd > 15 {
            break;
        }
        fd += 1;
    }
}

/// The calling process's priority (its nice value).
///
/// # Safety
/// `priority` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_getpriority(pid: libc::pid_t, priority: *mut c_int) -> c_int {
    if priority.is_null() {
        return UV_EINVAL;
    }
    // -1 is a valid nice value, so errno is the only failure signal.
    set_errno(0);
    // SAFETY: getpriority touches no memory of ours. The pid is reinterpreted
    // as id_t exactly as the C prototype's implicit conversion would.
    let r = unsafe { libc::getpriority(libc::PRIO_PROCESS, pid as libc::id_t) };
    if r == -1 && errno() != 0 {
        return last_error();
    }
    // SAFETY: checked non-null; the caller guarantees it is writable.
    unsafe { *priority = r };
    0
}

/// Sets a process's nice value; only `UV_PRIORITY_HIGHEST` (-20) to
/// `UV_PRIORITY_LOW` (19) are accepted.
#[no_mangle]
pub extern "C" fn uv_os_setpriority(pid: libc::pid_t, priority: c_int) -> c_int {
    if !(UV_PRIORITY_HIGHEST..=UV_PRIORITY_LOW).contains(&priority) {
        return UV_EINVAL;
    }
    // SAFETY: setpriority touches no memory of ours.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, pid as libc::id_t, priority) } != 0 {
        return last_error();
    }
    0
}

fn getrusage_into(who: c_int, out: *mut Rusage) -> c_int {
    if out.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: an all-zero rusage is a valid value for getrusage to overwrite.
    let mut u: libc::rusage = unsafe { core::mem::zeroed() };
    // SAFETY: `u` is valid for writes.
    if unsafe { libc::getrusage(who, &mut u) } != 0 {
        return last_error();
    }
    // The kernel's counters are never negative, so these are plain widenings.
    let value = Rusage {
        ru_utime: Timeval {
            tv_sec: u.ru_utime.tv_sec,
            tv_usec: u.ru_utime.tv_usec,
        },
        ru_stime: Timeval {
            tv_sec: u.ru_stime.tv_sec,
            tv_usec: u.ru_stime.tv_usec,
        },
        ru_maxrss: u.ru_maxrss as u64,
        ru_ixrss: u.ru_ixrss as u64,
        ru_idrss: u.ru_idrss as u64,
        ru_isrss: u.ru_isrss as u64,
        ru_minflt: u.ru_minflt as u64,
        ru_majflt: u.ru_majflt as u64,
        ru_nswap: u.ru_nswap as u64,
        ru_inblock: u.ru_inblock as u64,
        ru_oublock: u.ru_oublock as u64,
        ru_msgsnd: u.ru_msgsnd as u64,
        ru_msgrcv: u.ru_msgrcv as u64,
        ru_nsignals: u.ru_nsignals as u64,
        ru_nvcsw: u.ru_nvcsw as u64,
        ru_nivcsw: u.ru_nivcsw as u64,
    };
    // SAFETY: checked non-null; the public callers require it writable.
    unsafe { *out = value };
    0
}

/// Resource usage of the whole process (`ru_maxrss` in kilobytes).
///
/// # Safety
/// `rusage` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_getrusage(rusage: *mut Rusage) -> c_int {
    getrusage_into(libc::RUSAGE_SELF, rusage)
}

/// Resource usage of the calling thread.
///
/// # Safety
/// `rusage` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_getrusage_thread(rusage: *mut Rusage) -> c_int {
    getrusage_into(libc::RUSAGE_THREAD, rusage)
}

// ---------------------------------------------------------------------------
// System information
// ---------------------------------------------------------------------------

/// Fills `buffer` with the kernel's name, release, version and machine. On
/// failure all four are emptied.
///
/// # Safety
/// `buffer` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_uname(buffer: *mut Utsname) -> c_int {
    if buffer.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: checked non-null; the caller guarantees a writable struct.
    let out = unsafe { &mut *buffer };
    // SAFETY: an all-zero utsname is valid for uname to overwrite.
    let mut u: libc::utsname = unsafe { core::mem::zeroed() };
    // SAFETY: `u` is valid for writes.
    let mut r = if unsafe { libc::uname(&mut u) } == -1 {
        last_error()
    } else {
        0
    };
    if r == 0 {
        for (dst, src) in [
            (&mut out.sysname, &u.sysname[..]),
            (&mut out.release, &u.release[..]),
            (&mut out.version, &u.version[..]),
            (&mut out.machine, &u.machine[..]),
        ] {
            r = copy_fixed(dst, src);
            if r != 0 {
                break;
            }
        }
    }
    if r != 0 {
        out.sysname[0] = 0;
        out.release[0] = 0;
        out.version[0] = 0;
        out.machine[0] = 0;
    }
    r
}

/// Seconds since boot. `/proc/uptime` comes first because `CLOCK_BOOTTIME`
/// is wrong in some containers (OpenVZ).
///
/// # Safety
/// `uptime` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_uptime(uptime: *mut c_double) -> c_int {
    if uptime.is_null() {
        return UV_EINVAL;
    }
    let value = match read_file("/proc/uptime").as_deref().and_then(parse_f64) {
        Some((secs, _)) => secs,
        None => match clock_ns(libc::CLOCK_BOOTTIME) {
            Some(ns) => (ns / 1_000_000_000) as f64,
            None => return last_error(),
        },
    };
    // SAFETY: checked non-null; the caller guarantees it is writable.
    unsafe { *uptime = value };
    0
}

/// The 1, 5 and 15 minute load averages. Left untouched if unavailable.
///
/// # Safety
/// `avg` must be null or valid for writes of three doubles.
#[no_mangle]
pub unsafe extern "C" fn uv_loadavg(avg: *mut c_double) {
    if avg.is_null() {
        return;
    }
    let values = read_file("/proc/loadavg").and_then(|text| {
        let (a, rest) = parse_f64(&text)?;
        let (b, rest) = parse_f64(rest)?;
        let (c, _) = parse_f64(rest)?;
        Some([a, b, c])
    });
    let values = values.or_else(|| {
        // SAFETY: an all-zero sysinfo is valid for the kernel to overwrite.
        let mut info: libc::sysinfo = unsafe { core::mem::zeroed() };
        // SAFETY: `info` is valid for writes.
        if unsafe { libc::sysinfo(&mut info) } < 0 {
            return None;
        }
        // The kernel reports loads in 16.16 fixed point.
        Some(info.loads.map(|l| l as f64 / 65536.0))
    });
    if let Some(values) = values {
        // SAFETY: checked non-null; the caller guarantees three doubles.
        unsafe { ptr::copy_nonoverlapping(values.as_ptr(), avg, 3) };
    }
}

/// The value after `key` in `/proc/meminfo`-style text, converted from kB.
fn meminfo_bytes(text: &[u8], key: &[u8]) -> Option<u64> {
    let at = text.windows(key.len()).position(|w| w == key)?;
    let (kb, _) = parse_u64(&text[at + key.len()..])?;
    Some(kb.saturating_mul(1024))
}

fn sysinfo_memory(pick: fn(&libc::sysinfo) -> u64) -> u64 {
    // SAFETY: an all-zero sysinfo is valid for the kernel to overwrite.
    let mut info: libc::sysinfo = unsafe { core::mem::zeroed() };
    // SAFETY: `info` is valid for writes.
    if unsafe { libc::sysinfo(&mut info) } != 0 {
        return 0;
    }
    pick(&info)
}

/// Memory available for new allocations without swapping (`MemAvailable`),
/// in bytes; 0 when unknown.
#[no_mangle]
pub extern "C" fn uv_get_free_memory() -> u64 {
    read_file("/proc/meminfo")
        .and_then(|t| meminfo_bytes(&t, b"MemAvailable:"))
        .filter(|&n| n != 0)
        .unwrap_or_else(|| sysinfo_memory(|i| i.freeram.saturating_mul(u64::from(i.mem_unit))))
}

/// Total physical memory in bytes; 0 when unknown.
#[no_mangle]
pub extern "C" fn uv_get_total_memory() -> u64 {
    read_file("/proc/meminfo")
        .and_then(|t| meminfo_bytes(&t, b"MemTotal:"))
        .filter(|&n| n != 0)
        .unwrap_or_else(|| sysinfo_memory(|i| i.totalram.saturating_mul(u64::from(i.mem_unit))))
}

/// A cgroup limit file: a number, or "max" for no limit (`u64::MAX`); 0 when
/// the file is missing or unreadable.
fn read_limit(path: &std::path::Path) -> u64 {
    let Some(text) = read_file(path) else {
        return 0;
    };
    match parse_u64(&text) {
        Some((n, _)) => n,
        None if text == b"max\n" => u64::MAX,
        None => 0,
    }
}

/// cgroup v2 processes have a single `0::/path` line in `/proc/self/cgroup`.
fn cgroup2_path(cgroup: &[u8]) -> Option<&[u8]> {
    cgroup.strip_prefix(b"0::/").map(first_line)
}

/// The path of the cgroup v1 hierarchy whose controller list is exactly
/// `controller` (such as `memory`), from `/proc/self/cgroup`.
fn cgroup1_path<'a>(cgroup: &'a [u8], controller: &[u8]) -> Option<&'a [u8]> {
    cgroup.split(|&b| b == b'\n').find_map(|line| {
        let mut fields = line.splitn(3, |&b| b == b':');
        let (_id, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        if controllers != controller {
            return None;
        }
        Some(path.strip_prefix(b"/").unwrap_or(path))
    })
}

fn join(parts: &[&[u8]]) -> std::path::PathBuf {
    path_from(parts.concat())
}

/// (soft limit, hard limit) of the process's memory cgroup, `u64::MAX` for
/// none, 0 when unknown.
fn cgroup_memory_limits(cgroup: &[u8]) -> (u64, u64) {
    if let Some(p) = cgroup2_path(cgroup) {
        let high = read_limit(&join(&[b"/sys/fs/cgroup/", p, b"/memory.high"]));
        let max = read_limit(&join(&[b"/sys/fs/cgroup/", p, b"/memory.max"]));
        return (high, max);
    }
    let mut limits = (0, 0);
    if let Some(p) = cgroup1_path(cgroup, b"memory") {
        let base: &[u8] = b"/sys/fs/cgroup/memory/";
        limits = (
            read_limit(&join(&[base, p, b"/memory.soft_limit_in_bytes"])),
            read_limit(&join(&[base, p, b"/memory.limit_in_bytes"])),
        );
    }
    if limits.0 == 0 || limits.1 == 0 {
        // Not mounted where expected: use the root memory controller.
        limits = (
            read_limit("/sys/fs/cgroup/memory/memory.soft_limit_in_bytes".as_ref()),
            read_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes".as_ref()),
        );
    }
    // cgroup v1 writes "no limit" as LONG_MAX rounded down to a page.
    let unlimited = (i64::MAX as u64) & !(page_size() as u64 - 1);
    let fix = |v: u64| if v == unlimited { u64::MAX } else { v };
    (fix(limits.0), fix(limits.1))
}

fn constrained_memory(cgroup: &[u8]) -> u64 {
    let (high, max) = cgroup_memory_limits(cgroup);
    if high == 0 || max == 0 {
        return 0;
    }
    high.min(max)
}

/// The memory limit imposed on the process by its cgroup, in bytes;
/// `u64::MAX` for an explicit "no limit", 0 when there is none or unknown.
#[no_mangle]
pub extern "C" fn uv_get_constrained_memory() -> u64 {
    read_file("/proc/self/cgroup").map_or(0, |c| constrained_memory(&c))
}

/// Memory still available to the process: the cgroup limit minus current
/// cgroup usage, or the system's free memory when unconstrained.
#[no_mangle]
pub extern "C" fn uv_get_available_memory() -> u64 {
    let Some(cgroup) = read_file("/proc/self/cgroup") else {
        return 0;
    };
    let constrained = constrained_memory(&cgroup);
    if constrained == 0 || constrained > uv_get_total_memory() {
        return uv_get_free_memory();
    }
    let current = if let Some(p) = cgroup2_path(&cgroup) {
        read_limit(&join(&[b"/sys/fs/cgroup/", p, b"/memory.current"]))
    } else {
        let here = cgroup1_path(&cgroup, b"memory")
            .map(|p| {
                read_limit(&join(&[
                    b"/sys/fs/cgroup/memory/",
                    p,
                    b"/memory.usage_in_bytes",
                ]))
            })
            .unwrap_or(0);
        if here != 0 {
            here
        } else {
            read_limit("/sys/fs/cgroup/memory/memory.usage_in_bytes".as_ref())
        }
    };
    // Usage can briefly exceed the limit.
    constrained.saturating_sub(current)
}

/// `limit period` from a cgroup v2 `cpu.max`, as whole CPUs (at least 1);
/// `None` for "max", unparsable text or a zero period.
fn cpu_max_quota(text: &[u8]) -> Option<i64> {
    if text.starts_with(b"max") {
        return None;
    }
    let (limit, rest) = parse_i64(text)?;
    let (period, _) = parse_i64(rest)?;
    // `checked_div` also rejects a zero period.
    Some(limit.checked_div(period)?.max(1))
}

/// The number of CPUs the process's cgroup allows it, if limited. In cgroup
/// v2 every ancestor's `cpu.max` applies, so the tightest one is reported.
pub(crate) fn cgroup_cpu_quota() -> Option<i64> {
    let cgroup = read_file("/proc/self/cgroup")?;
    if let Some(p) = cgroup2_path(&cgroup) {
        // Not a real cgroup (no controllers file): no quota.
        read_file(join(&[b"/sys/fs/cgroup/", p, b"/cgroup.controllers"]))?;
        let parts: Vec<&[u8]> = p.split(|&b| b == b'/').filter(|s| !s.is_empty()).collect();
        return (0..=parts.len())
            .rev()
            .filter_map(|depth| {
                let mut dir = b"/sys/fs/cgroup".to_vec();
                for part in &parts[..depth] {
                    dir.push(b'/');
                    dir.extend_from_slice(part);
                }
                dir.extend_from_slice(b"/cpu.max");
                cpu_max_quota(&read_file(path_from(dir))?)
            })
            .min();
    }
    let p = cgroup.split(|&b| b == b'\n').find_map(|line| {
        let mut fields = line.splitn(3, |&b| b == b':');
        let (_id, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        controllers
            .split(|&b| b == b',')
            .any(|c| c == b"cpu")
            .then(|| path.strip_prefix(b"/").unwrap_or(path))
    })?;
    let base: &[u8] = b"/sys/fs/cgroup/cpu/";
    let (quota, _) = parse_i64(&read_file(join(&[base, p, b"/cpu.cfs_quota_us"]))?)?;
    let (period, _) = parse_i64(&read_file(join(&[base, p, b"/cpu.cfs_period_us"]))?)?;
    quota.checked_div(period)
}

/// The 24th field of `/proc/self/stat` (resident pages). The process name
/// (field 2) may contain spaces and parentheses, so counting starts after
/// its last `)`.
fn rss_pages(stat: &[u8]) -> Option<i64> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    let mut rest = &stat[close..];
    for _ in 0..22 {
        let space = rest.iter().skip(1).position(|&b| b == b' ')? + 1;
        rest = &rest[space..];
    }
    let (pages, _) = parse_i64(rest)?;
    (pages >= 0).then_some(pages)
}

/// The process's resident set size in bytes.
///
/// # Safety
/// `rss` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_resident_set_memory(rss: *mut usize) -> c_int {
    if rss.is_null() {
        return UV_EINVAL;
    }
    let stat = match std::fs::read("/proc/self/stat") {
        Ok(s) => s,
        Err(e) => return -e.raw_os_error().unwrap_or(libc::EIO),
    };
    let Some(pages) = rss_pages(&stat) else {
        return UV_EINVAL;
    };
    // SAFETY: checked non-null; the caller guarantees it is writable.
    unsafe { *rss = (pages as usize).saturating_mul(page_size()) };
    0
}

/// Per-CPU counters from `/proc/stat`: (cpu number, times in clock ticks).
/// Parsing stops at the first line that is not a `cpuN` line.
fn parse_proc_stat(text: &[u8]) -> Vec<(usize, CpuTimes)> {
    let mut cpus = Vec::new();
    // The first line is the all-CPU total.
    for line in text.split(|&b| b == b'\n').skip(1) {
        let Some(rest) = line.strip_prefix(b"cpu") else {
            break;
        };
        let Some(fields) = (|| {
            let (cpu, rest) = parse_u64(rest)?;
            let (user, rest) = parse_u64(rest)?;
            let (nice, rest) = parse_u64(rest)?;
            let (sys, rest) = parse_u64(rest)?;
            let (idle, rest) = parse_u64(rest)?;
            let (_iowait, rest) = parse_u64(rest)?;
            let (irq, _) = parse_u64(rest)?;
            let cpu = usize::try_from(cpu).ok()?;
            Some((
                cpu,
                CpuTimes {
                    user,
                    nice,
                    sys,
                    idle,
                    irq,
                },
            ))
        })() else {
            break;
        };
        cpus.push(fields);
    }
    cpus
}

/// The model name of each processor in `/proc/cpuinfo` (x86 layout), cut to
/// 63 bytes as libuv does.
fn parse_cpuinfo_models(text: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let mut models = Vec::new();
    let mut current: Option<usize> = None;
    for line in text.split(|&b| b == b'\n') {
        if let Some(n) = line.strip_prefix(b"processor\t: ") {
            current = parse_u64(n).and_then(|(n, _)| usize::try_from(n).ok());
        } else if let Some(model) = line.strip_prefix(b"model name\t: ") {
            if let Some(cpu) = current.take() {
                models.push((cpu, model[..model.len().min(63)].to_vec()));
            }
        }
    }
    models
}

/// Information about each CPU: model, speed in MHz and times in ms. Free the
/// result with `uv_free_cpu_info`.
///
/// # Safety
/// `cpu_infos` and `count` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_cpu_info(cpu_infos: *mut *mut CpuInfo, count: *mut c_int) -> c_int {
    if cpu_infos.is_null() || count.is_null() {
        return UV_EINVAL;
    }
    let stat = match std::fs::read("/proc/stat") {
        Ok(s) => s,
        Err(e) => return -e.raw_os_error().unwrap_or(libc::EIO),
    };
    let cpus = parse_proc_stat(&stat);
    let models = read_file("/proc/cpuinfo")
        .map(|t| parse_cpuinfo_models(&t))
        .unwrap_or_default();
    // SAFETY: sysconf has no memory-safety preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let ms_per_tick = u64::try_from(1000 / ticks.max(1)).unwrap_or(10);

    // One block: the array, then each distinct model string once.
    let mut names: Vec<&[u8]> = vec![b"unknown"];
    let mut rows = Vec::with_capacity(cpus.len());
    for (cpu, times) in &cpus {
        let model = models
            .iter()
            .find(|(n, _)| n == cpu)
            .map_or(&b"unknown"[..], |(_, m)| &m[..]);
        let index = match names.iter().position(|n| *n == model) {
            Some(i) => i,
            None => {
                names.push(model);
                names.len() - 1
            }
        };
        let freq_path = format!("/sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_cur_freq");
        let khz = read_file(freq_path)
            .and_then(|t| parse_u64(&t).map(|(n, _)| n))
            .unwrap_or(0);
        let ms = |t: u64| t.saturating_mul(ms_per_tick);
        let times = CpuTimes {
            user: ms(times.user),
            nice: ms(times.nice),
            sys: ms(times.sys),
            idle: ms(times.idle),
            irq: ms(times.irq),
        };
        rows.push((
            index,
            c_int::try_from(khz / 1000).unwrap_or(c_int::MAX),
            times,
        ));
    }
    let array_bytes = rows.len() * core::mem::size_of::<CpuInfo>();
    let names_bytes: usize = names.iter().map(|n| n.len() + 1).sum();
    let block = alloc(array_bytes + names_bytes).cast::<u8>();
    if block.is_null() {
        // SAFETY: `count` was checked non-null.
        unsafe { *count = 0 };
        return UV_ENOMEM;
    }
    let mut name_ptrs = Vec::with_capacity(names.len());
    // SAFETY: `block` holds `array_bytes + names_bytes` bytes; the strings go
    // after the array, each written within that space; malloc's alignment
    // suits `CpuInfo`.
    unsafe {
        let mut at = block.add(array_bytes);
        for name in &names {
            ptr::copy_nonoverlapping(name.as_ptr(), at, name.len());
            *at.add(name.len()) = 0;
            name_ptrs.push(at.cast::<c_char>());
            at = at.add(name.len() + 1);
        }
        let array = block.cast::<CpuInfo>();
        for (i, (index, speed, times)) in rows.iter().enumerate() {
            array.add(i).write(CpuInfo {
                model: name_ptrs[*index],
                speed: *speed,
                cpu_times: *times,
            });
        }
        *cpu_infos = array;
        *count = c_int::try_from(rows.len()).unwrap_or(c_int::MAX);
    }
    0
}

/// Frees what `uv_cpu_info` returned (a single block).
///
/// # Safety
/// `cpu_infos` must be null or a result of `uv_cpu_info` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn uv_free_cpu_info(cpu_infos: *mut CpuInfo, _count: c_int) {
    // SAFETY: the caller passes a block from `uv_cpu_info`, made by `alloc`.
    unsafe { free(cpu_infos.cast()) };
}

/// Whether a `getifaddrs` entry is one `uv_interface_addresses` skips:
/// interfaces that are down, entries without an address, and, when
/// `want_packet` is false, link-layer (`AF_PACKET`) entries; when it is true,
/// everything else.
fn ifaddr_skipped(ent: &libc::ifaddrs, want_packet: bool) -> bool {
    let up = (libc::IFF_UP | libc::IFF_RUNNING) as c_uint;
    if ent.ifa_flags & up != up || ent.ifa_addr.is_null() {
        return true;
    }
    // SAFETY: checked non-null; getifaddrs entries point at valid sockaddrs.
    let family = c_int::from(unsafe { (*ent.ifa_addr).sa_family });
    (family == libc::AF_PACKET) != want_packet
}

/// Copies an IPv4 or IPv6 socket address into the union.
///
/// # Safety
/// `sa` must be null or point at a socket address of its family's size.
unsafe fn copy_inet(sa: *const libc::sockaddr, out: &mut SockaddrInet) {
    if sa.is_null() {
        return;
    }
    // SAFETY: the caller guarantees `sa` points at a full address of the
    // family it names; unaligned reads avoid assuming its alignment.
    unsafe {
        if c_int::from((*sa).sa_family) == libc::AF_INET6 {
            out.v6 = ptr::read_unaligned(sa.cast::<libc::sockaddr_in6>());
        } else {
            out.v4 = ptr::read_unaligned(sa.cast::<libc::sockaddr_in>());
        }
    }
}

/// The addresses of the interfaces that are up, with their MAC addresses.
/// Free the result with `uv_free_interface_addresses`.
///
/// # Safety
/// `addresses` and `count` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_interface_addresses(
    addresses: *mut *mut InterfaceAddress,
    count: *mut c_int,
) -> c_int {
    if addresses.is_null() || count.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: both checked non-null; the caller guarantees they are writable.
    unsafe {
        *count = 0;
        *addresses = ptr::null_mut();
    }
    let mut list: *mut libc::ifaddrs = ptr::null_mut();
    // SAFETY: `list` is valid for writes; freed below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return last_error();
    }
    // Borrow the linked list as a Vec of references for the passes below.
    let mut entries: Vec<&libc::ifaddrs> = Vec::new();
    let mut cur = list;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs built, alive until
        // the freeifaddrs below, after which `entries` is no longer used.
        let ent = unsafe { &*cur };
        entries.push(ent);
        cur = ent.ifa_next;
    }
    // SAFETY: getifaddrs names are NUL-terminated strings.
    let name_of = |e: &libc::ifaddrs| unsafe { CStr::from_ptr(e.ifa_name) }.to_bytes();
    let wanted: Vec<&libc::ifaddrs> = entries
        .iter()
        .copied()
        .filter(|e| !ifaddr_skipped(e, false))
        .collect();
    let result = 'fill: {
        if wanted.is_empty() {
            break 'fill 0;
        }
        let names_bytes: usize = wanted.iter().map(|e| name_of(e).len() + 1).sum();
        let array_bytes = wanted.len() * core::mem::size_of::<InterfaceAddress>();
        let block = calloc(1, array_bytes + names_bytes).cast::<u8>();
        if block.is_null() {
            break 'fill UV_ENOMEM;
        }
        let array = block.cast::<InterfaceAddress>();
        // SAFETY: `block` is zeroed and holds the array followed by room for
        // every name; all writes stay inside it, and zero bytes are a valid
        // `InterfaceAddress`, so forming `&mut` to the slots is sound.
        unsafe {
            let mut name_at = block.add(array_bytes);
            for (i, e) in wanted.iter().enumerate() {
                let slot = &mut *array.add(i);
                let name = name_of(e);
                ptr::copy_nonoverlapping(name.as_ptr(), name_at, name.len());
                *name_at.add(name.len()) = 0;
                slot.name = name_at.cast();
                name_at = name_at.add(name.len() + 1);
                copy_inet(e.ifa_addr, &mut slot.address);
                copy_inet(e.ifa_netmask, &mut slot.netmask);
                slot.is_internal = c_int::from(e.ifa_flags & libc::IFF_LOOPBACK as c_uint != 0);
            }
            // Aliases ("eth0:1") share the MAC address of their device.
            for e in entries.iter().filter(|e| !ifaddr_skipped(e, true)) {
                let dev = name_of(e);
                let sll = ptr::read_unaligned(e.ifa_addr.cast::<libc::sockaddr_ll>());
                for i in 0..wanted.len() {
                    let slot = &mut *array.add(i);
                    let name = CStr::from_ptr(slot.name).to_bytes();
                    let same = name
                        .strip_prefix(dev)
                        .is_some_and(|r| r.is_empty() || r[0] == b':');
                    if same {
                        for (d, s) in slot.phys_addr.iter_mut().zip(sll.sll_addr) {
                            *d = s as c_char;
                        }
                    }
                }
            }
            *addresses = array;
            *count = c_int::try_from(wanted.len()).unwrap_or(c_int::MAX);
        }
        0
    };
    // SAFETY: `list` came from getifaddrs and nothing borrowed from it is
    // used after this point.
    unsafe { libc::freeifaddrs(list) };
    result
}

/// Frees what `uv_interface_addresses` returned (a single block).
///
/// # Safety
/// `addresses` must be null or a result of `uv_interface_addresses` not yet
/// freed.
#[no_mangle]
pub unsafe extern "C" fn uv_free_interface_addresses(
    addresses: *mut InterfaceAddress,
    _count: c_int,
) {
    // SAFETY: the caller passes a block from `uv_interface_addresses`, made
    // by `calloc` in this module.
    unsafe { free(addresses.cast()) };
}

/// The name of network interface `ifindex`.
///
/// # Safety
/// `buffer` must be valid for writes of `*size` bytes; `size` for reads and
/// writes.
#[no_mangle]
pub unsafe extern "C" fn uv_if_indextoname(
    ifindex: c_uint,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: `size` is read only when non-null.
    if buffer.is_null() || size.is_null() || unsafe { *size } == 0 {
        return UV_EINVAL;
    }
    let mut name = [0 as c_char; IF_NAME_SIZE];
    // SAFETY: `name` has room for IF_NAMESIZE bytes.
    if unsafe { libc::if_indextoname(ifindex, name.as_mut_ptr()) }.is_null() {
        return last_error();
    }
    let len = name.iter().position(|&c| c == 0).unwrap_or(name.len());
    let bytes: Vec<u8> = name[..len].iter().map(|&c| c as u8).collect();
    // SAFETY: the caller's contract is the one `copy_out` needs.
    unsafe { copy_out(&bytes, buffer, size) }
}

/// On Unix an interface identifier is the interface name.
///
/// # Safety
/// As for `uv_if_indextoname`.
#[no_mangle]
pub unsafe extern "C" fn uv_if_indextoiid(
    ifindex: c_uint,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: same contract.
    unsafe { uv_if_indextoname(ifindex, buffer, size) }
}

// ---------------------------------------------------------------------------
// Environment, host, user and group
// ---------------------------------------------------------------------------

/// Copies environment variable `name` into `buffer`.
///
/// # Safety
/// `name` must be null or a C string; `buffer` valid for writes of `*size`
/// bytes; `size` null or valid for reads and writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_getenv(
    name: *const c_char,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: `size` is read only when non-null.
    if name.is_null() || buffer.is_null() || size.is_null() || unsafe { *size } == 0 {
        return UV_EINVAL;
    }
    // SAFETY: `name` is a C string (caller contract).
    let value = unsafe { libc::getenv(name) };
    if value.is_null() {
        return UV_ENOENT;
    }
    // SAFETY: getenv returns a C string; it is copied before anything else
    // can change the environment on this thread.
    let bytes = unsafe { CStr::from_ptr(value) }.to_bytes();
    // SAFETY: the caller's contract is the one `copy_out` needs.
    unsafe { copy_out(bytes, buffer, size) }
}

/// Sets (overwriting) an environment variable.
///
/// # Safety
/// Both arguments must be null or C strings.
#[no_mangle]
pub unsafe extern "C" fn uv_os_setenv(name: *const c_char, value: *const c_char) -> c_int {
    if name.is_null() || value.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: both are C strings (caller contract).
    if unsafe { libc::setenv(name, value, 1) } != 0 {
        return last_error();
    }
    0
}

/// Removes an environment variable.
///
/// # Safety
/// `name` must be null or a C string.
#[no_mangle]
pub unsafe extern "C" fn uv_os_unsetenv(name: *const c_char) -> c_int {
    if name.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: `name` is a C string (caller contract).
    if unsafe { libc::unsetenv(name) } != 0 {
        return last_error();
    }
    0
}

extern "C" {
    static environ: *const *const c_char;
}

/// A copy of the whole environment. Entries without `=` are skipped. Free the
/// result with `uv_os_free_environ`.
///
/// # Safety
/// `envitems` and `count` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_environ(envitems: *mut *mut EnvItem, count: *mut c_int) -> c_int {
    if envitems.is_null() || count.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: both checked non-null; the caller guarantees they are writable.
    unsafe {
        *envitems = ptr::null_mut();
        *count = 0;
    }
    // SAFETY: `environ` is the C library's NULL-terminated array of C
    // strings; it is only read here.
    let vars: Vec<&CStr> = unsafe {
        let mut vars = Vec::new();
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            vars.push(CStr::from_ptr(*p));
            p = p.add(1);
        }
        vars
    };
    let items = calloc(vars.len(), core::mem::size_of::<EnvItem>()).cast::<EnvItem>();
    if items.is_null() {
        return UV_ENOMEM;
    }
    let mut filled = 0usize;
    for var in vars {
        let Some(eq) = var.to_bytes().iter().position(|&b| b == b'=') else {
            continue;
        };
        let copy = strdup(var);
        if copy.is_null() {
            // SAFETY: the first `filled` items hold names from `strdup`, and
            // `items` came from `calloc`.
            unsafe { free_env_items(items, filled) };
            return UV_ENOMEM;
        }
        // SAFETY: `copy` holds the string with its `=` at `eq`; `filled` is
        // below the number of slots allocated.
        unsafe {
            *copy.add(eq) = 0;
            items.add(filled).write(EnvItem {
                name: copy,
                value: copy.add(eq + 1),
            });
        }
        filled += 1;
    }
    // SAFETY: both checked non-null above.
    unsafe {
        *envitems = items;
        *count = c_int::try_from(filled).unwrap_or(c_int::MAX);
    }
    0
}

/// # Safety
/// `items` must be an array from `uv_os_environ` whose first `count` names
/// are live `strdup` copies.
unsafe fn free_env_items(items: *mut EnvItem, count: usize) {
    for i in 0..count {
        // SAFETY: per the contract, item `i` exists and owns its name.
        unsafe { free((*items.add(i)).name.cast()) };
    }
    // SAFETY: per the contract, `items` came from this module's allocator.
    unsafe { free(items.cast()) };
}

/// Frees what `uv_os_environ` returned.
///
/// # Safety
/// `envitems`/`count` must be a result of `uv_os_environ` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn uv_os_free_environ(envitems: *mut EnvItem, count: c_int) {
    if envitems.is_null() {
        return;
    }
    // SAFETY: the caller passes `uv_os_environ`'s own result.
    unsafe { free_env_items(envitems, usize::try_from(count).unwrap_or(0)) };
}

/// The host name. Reported as `UV_ENOBUFS` (with the needed size) rather
/// than silently truncated.
///
/// # Safety
/// `buffer` must be valid for writes of `*size` bytes; `size` null or valid
/// for reads and writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_gethostname(buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: `size` is read only when non-null.
    if buffer.is_null() || size.is_null() || unsafe { *size } == 0 {
        return UV_EINVAL;
    }
    let mut name = [0u8; MAX_HOSTNAME_SIZE];
    // SAFETY: `name` is writable for its full length.
    if unsafe { libc::gethostname(name.as_mut_ptr().cast(), name.len()) } != 0 {
        return last_error();
    }
    let len = name[..MAX_HOSTNAME_SIZE - 1]
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(MAX_HOSTNAME_SIZE - 1);
    // SAFETY: the caller's contract is the one `copy_out` needs.
    unsafe { copy_out(&name[..len], buffer, size) }
}

/// Runs `f` on the password entry of `uid`; `Err` is a libuv code.
fn with_passwd<T>(uid: libc::uid_t, f: impl FnOnce(&libc::passwd) -> T) -> Result<T, c_int> {
    let mut size = 2000usize;
    loop {
        let mut buf = vec![0 as c_char; size];
        // SAFETY: an all-zero passwd is a valid value to overwrite.
        let mut pw: libc::passwd = unsafe { core::mem::zeroed() };
        let mut result: *mut libc::passwd = ptr::null_mut();
        let r = loop {
            // SAFETY: every pointer is valid for the call; `buf` outlives
            // every use of the strings `pw` points into.
            let r = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), size, &mut result) };
            if r != libc::EINTR {
                break r;
            }
        };
        if r == libc::ERANGE {
            size = size.checked_mul(2).ok_or(UV_ENOMEM)?;
            continue;
        }
        if r != 0 {
            return Err(-r);
        }
        if result.is_null() {
            return Err(UV_ENOENT);
        }
        return Ok(f(&pw));
    }
}

/// Fills `pwd` for `uid`: one block holds username, home directory and shell,
/// owned by `username`.
fn fill_passwd(pwd: *mut Passwd, uid: libc::uid_t) -> c_int {
    if pwd.is_null() {
        return UV_EINVAL;
    }
    let r = with_passwd(uid, |pw| {
        // SAFETY: getpwuid_r's strings are NUL-terminated and alive here.
        let (name, dir, shell) = unsafe {
            (
                CStr::from_ptr(pw.pw_name).to_bytes_with_nul(),
                CStr::from_ptr(pw.pw_dir).to_bytes_with_nul(),
                CStr::from_ptr(pw.pw_shell).to_bytes_with_nul(),
            )
        };
        let block = alloc(name.len() + dir.len() + shell.len()).cast::<c_char>();
        if block.is_null() {
            return UV_ENOMEM;
        }
        // SAFETY: `block` holds all three strings back to back; `pwd` was
        // checked non-null and the caller guarantees it writable.
        unsafe {
            let home = block.add(name.len());
            let sh = home.add(dir.len());
            ptr::copy_nonoverlapping(name.as_ptr().cast(), block, name.len());
            ptr::copy_nonoverlapping(dir.as_ptr().cast(), home, dir.len());
            ptr::copy_nonoverlapping(shell.as_ptr().cast(), sh, shell.len());
            *pwd = Passwd {
                username: block,
                uid: libc::c_ulong::from(pw.pw_uid),
                gid: libc::c_ulong::from(pw.pw_gid),
                shell: sh,
                homedir: home,
            };
        }
        0
    });
    r.unwrap_or_else(|e| e)
}

/// The password entry of the effective user. Free with `uv_os_free_passwd`.
///
/// # Safety
/// `pwd` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_get_passwd(pwd: *mut Passwd) -> c_int {
    // SAFETY: geteuid cannot fail.
    fill_passwd(pwd, unsafe { libc::geteuid() })
}

/// The password entry of `uid`. Free with `uv_os_free_passwd`.
///
/// # Safety
/// `pwd` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_get_passwd2(pwd: *mut Passwd, uid: libc::uid_t) -> c_int {
    fill_passwd(pwd, uid)
}

/// Frees a `uv_os_get_passwd` result and clears its pointers.
///
/// # Safety
/// `pwd` must be null or filled by `uv_os_get_passwd[2]` and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn uv_os_free_passwd(pwd: *mut Passwd) {
    if pwd.is_null() {
        return;
    }
    // SAFETY: the caller passes a filled entry; `username` owns the block.
    unsafe {
        free((*pwd).username.cast());
        (*pwd).username = ptr::null_mut();
        (*pwd).shell = ptr::null_mut();
        (*pwd).homedir = ptr::null_mut();
    }
}

/// The group entry of `gid`: one block holds the NULL-terminated member
/// array, the member names and the group name, owned by `members`. Free with
/// `uv_os_free_group`.
///
/// # Safety
/// `grp` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_get_group(grp: *mut Group, gid: libc::uid_t) -> c_int {
    if grp.is_null() {
        return UV_EINVAL;
    }
    let mut size = 2000usize;
    loop {
        let mut buf = vec![0 as c_char; size];
        // SAFETY: an all-zero group is a valid value to overwrite.
        let mut gr: libc::group = unsafe { core::mem::zeroed() };
        let mut result: *mut libc::group = ptr::null_mut();
        let r = loop {
            // SAFETY: every pointer is valid for the call; `buf` outlives
            // every use of the strings `gr` points into.
            let r = unsafe { libc::getgrgid_r(gid, &mut gr, buf.as_mut_ptr(), size, &mut result) };
            if r != libc::EINTR {
                break r;
            }
        };
        if r == libc::ERANGE {
            let Some(bigger) = size.checked_mul(2) else {
                return UV_ENOMEM;
            };
            size = bigger;
            continue;
        }
        if r != 0 {
            return -r;
        }
        if result.is_null() {
            return UV_ENOENT;
        }
        // SAFETY: gr_mem is a NULL-terminated array of C strings and gr_name
        // a C string, all inside `buf`.
        let (members, name) = unsafe {
            let mut members = Vec::new();
            let mut p = gr.gr_mem;
            while !p.is_null() && !(*p).is_null() {
                members.push(CStr::from_ptr(*p).to_bytes_with_nul());
                p = p.add(1);
            }
            (members, CStr::from_ptr(gr.gr_name).to_bytes_with_nul())
        };
        let ptrs_bytes = (members.len() + 1) * core::mem::size_of::<*mut c_char>();
        let strings_bytes: usize = members.iter().map(|m| m.len()).sum::<usize>() + name.len();
        let block = alloc(ptrs_bytes + strings_bytes).cast::<*mut c_char>();
        if block.is_null() {
            return UV_ENOMEM;
        }
        // SAFETY: `block` holds the pointer array followed by every string;
        // writes stay inside it and malloc's alignment suits pointers. `grp`
        // was checked non-null and the caller guarantees it writable.
        unsafe {
            let mut at = block.cast::<u8>().add(ptrs_bytes);
            for (i, m) in members.iter().enumerate() {
                ptr::copy_nonoverlapping(m.as_ptr(), at, m.len());
                block.add(i).write(at.cast());
                at = at.add(m.len());
            }
            block.add(members.len()).write(ptr::null_mut());
            ptr::copy_nonoverlapping(name.as_ptr(), at, name.len());
            *grp = Group {
                groupname: at.cast(),
                gid: libc::c_ulong::from(gr.gr_gid),
                members: block,
            };
        }
        return 0;
    }
}

/// Frees a `uv_os_get_group` result and clears its pointers.
///
/// # Safety
/// `grp` must be null or filled by `uv_os_get_group` and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn uv_os_free_group(grp: *mut Group) {
    if grp.is_null() {
        return;
    }
    // SAFETY: the caller passes a filled entry; `members` owns the block.
    unsafe {
        free((*grp).members.cast());
        (*grp).members = ptr::null_mut();
        (*grp).groupname = ptr::null_mut();
    }
}

/// The home directory: `$HOME`, else the password database.
///
/// # Safety
/// `buffer` must be valid for writes of `*size` bytes; `size` null or valid
/// for reads and writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_homedir(buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: same contract; it also validates the arguments.
    let r = unsafe { uv_os_getenv(c"HOME".as_ptr(), buffer, size) };
    if r != UV_ENOENT {
        return r;
    }
    // SAFETY: geteuid cannot fail.
    let uid = unsafe { libc::geteuid() };
    let home = with_passwd(uid, |pw| {
        // SAFETY: getpwuid_r's strings are NUL-terminated and alive here.
        unsafe { CStr::from_ptr(pw.pw_dir) }.to_bytes().to_vec()
    });
    match home {
        // SAFETY: the caller's contract is the one `copy_out` needs.
        Ok(home) => unsafe { copy_out(&home, buffer, size) },
        Err(e) => e,
    }
}

/// The temporary directory: the first of `$TMPDIR`, `$TMP`, `$TEMP` and
/// `$TEMPDIR` that is set, else `/tmp`; one trailing slash is dropped.
///
/// # Safety
/// `buffer` must be valid for writes of `*size` bytes; `size` null or valid
/// for reads and writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_tmpdir(buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: `size` is read only when non-null.
    if buffer.is_null() || size.is_null() || unsafe { *size } == 0 {
        return UV_EINVAL;
    }
    let from_env = [c"TMPDIR", c"TMP", c"TEMP", c"TEMPDIR"]
        .iter()
        .find_map(|name| {
            // SAFETY: `name` is a C string literal.
            let v = unsafe { libc::getenv(name.as_ptr()) };
            // SAFETY: getenv returns null or a C string; copied at once.
            (!v.is_null()).then(|| unsafe { CStr::from_ptr(v) }.to_bytes().to_vec())
        });
    let dir = from_env.unwrap_or_else(|| b"/tmp".to_vec());
    // SAFETY: `size` checked non-null above.
    let cap = unsafe { *size };
    // The size check uses the length before the slash is dropped, as libuv.
    if dir.len() >= cap {
        // SAFETY: as above.
        unsafe { *size = dir.len() + 1 };
        return UV_ENOBUFS;
    }
    let dir = match dir.split_last() {
        Some((b'/', rest)) if !rest.is_empty() => rest,
        _ => &dir[..],
    };
    // SAFETY: the caller's contract; it fits, as checked above.
    unsafe { copy_out(dir, buffer, size) }
}

// ---------------------------------------------------------------------------
// Working directory and executable path
// ---------------------------------------------------------------------------

/// The current working directory, without a trailing slash (except `/`).
///
/// # Safety
/// `buffer` must be valid for writes of `*size` bytes; `size` null or valid
/// for reads and writes.
#[no_mangle]
pub unsafe extern "C" fn uv_cwd(buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: `size` is read only when non-null.
    if buffer.is_null() || size.is_null() || unsafe { *size } == 0 {
        return UV_EINVAL;
    }
    // SAFETY: as above.
    let cap = unsafe { *size };
    // Straight into the caller's buffer first.
    // SAFETY: `buffer` has `cap` writable bytes.
    if !unsafe { libc::getcwd(buffer, cap) }.is_null() {
        // SAFETY: getcwd wrote a C string into `buffer`.
        let mut len = unsafe { CStr::from_ptr(buffer) }.to_bytes().len();
        // SAFETY: `len - 1` and `len` are within the string just written.
        unsafe {
            if len > 1 && *buffer.add(len - 1) == b'/' as c_char {
                len -= 1;
                *buffer.add(len) = 0;
            }
            *size = len;
        }
        return 0;
    }
    if errno() != libc::ERANGE {
        return last_error();
    }
    // Too small: measure it in scratch space to report the size needed.
    let mut scratch = vec![0 as c_char; libc::PATH_MAX as usize + 1];
    // SAFETY: `scratch` is writable for its full length.
    if unsafe { libc::getcwd(scratch.as_mut_ptr(), scratch.len()) }.is_null() {
        return last_error();
    }
    // SAFETY: getcwd wrote a C string into `scratch`.
    let mut len = unsafe { CStr::from_ptr(scratch.as_ptr()) }.to_bytes().len();
    if len > 1 && scratch[len - 1] == b'/' as c_char {
        len -= 1;
    }
    // SAFETY: `size` checked non-null above.
    unsafe { *size = len + 1 };
    UV_ENOBUFS
}

/// Changes the working directory.
///
/// # Safety
/// `dir` must be a C string.
#[no_mangle]
pub unsafe extern "C" fn uv_chdir(dir: *const c_char) -> c_int {
    // SAFETY: `dir` is a C string (caller contract); a null pointer is
    // rejected by the kernel with EFAULT.
    if unsafe { libc::chdir(dir) } != 0 {
        return last_error();
    }
    0
}

/// The executable's path, from `/proc/self/exe`. A too-small buffer gets a
/// truncated path, as in libuv.
///
/// # Safety
/// `buffer` must be valid for writes of `*size` bytes; `size` null or valid
/// for reads and writes.
#[no_mangle]
pub unsafe extern "C" fn uv_exepath(buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: `size` is read only when non-null.
    if buffer.is_null() || size.is_null() || unsafe { *size } == 0 {
        return UV_EINVAL;
    }
    // SAFETY: as above.
    let room = unsafe { *size } - 1;
    let mut n: isize = 0;
    if room > 0 {
        // SAFETY: `buffer` has `room + 1` writable bytes.
        n = unsafe { libc::readlink(c"/proc/self/exe".as_ptr(), buffer, room) };
        if n < 0 {
            return last_error();
        }
    }
    // SAFETY: `n <= room < *size`.
    unsafe {
        *buffer.add(n as usize) = 0;
        *size = n as usize;
    }
    0
}

// ---------------------------------------------------------------------------
// Process title
// ---------------------------------------------------------------------------

/// Where the process title lives: the memory that held the original argument
/// strings, which is what `ps` shows. `uv_setup_args` moved the arguments
/// themselves to `args_copy`.
struct Title {
    /// Start of the original `argv[0]`.
    area: *mut c_char,
    /// Bytes available at `area`, including room for a NUL.
    cap: usize,
    /// Length of the current title.
    len: usize,
    /// The block returned by `uv_setup_args` (pointer table and strings).
    #[cfg_attr(not(test), allow(dead_code))]
    args_copy: *mut c_void,
}

// SAFETY: the pointers are only used under `TITLE`'s lock, and the memory they
// point at belongs to the process, not to any thread.
unsafe impl Send for Title {}

static TITLE: std::sync::Mutex<Option<Title>> = std::sync::Mutex::new(None);

fn title_lock() -> std::sync::MutexGuard<'static, Option<Title>> {
    // Poisoning needs a panic while holding the lock; nothing in these
    // critical sections panics, and the data stays consistent regardless.
    TITLE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Copies the arguments somewhere else so the memory they occupied can hold
/// a process title of up to that size, and returns the copy; the caller
/// must use it as its `argv` from then on. Returns `argv` itself when there
/// is nothing to do or no memory.
///
/// # Safety
/// `argv` must hold `argc` C strings followed by a null pointer, and the
/// caller must give up the strings' memory (as libuv's documentation warns).
#[no_mangle]
pub unsafe extern "C" fn uv_setup_args(argc: c_int, argv: *mut *mut c_char) -> *mut *mut c_char {
    let Ok(argc) = usize::try_from(argc) else {
        return argv;
    };
    if argc == 0 || argv.is_null() {
        return argv;
    }
    // SAFETY: the caller guarantees `argc` valid C strings in `argv`.
    let args: Vec<&[u8]> = (0..argc)
        .map(|i| unsafe { CStr::from_ptr(*argv.add(i)) }.to_bytes_with_nul())
        .collect();
    let table_bytes = (argc + 1) * core::mem::size_of::<*mut c_char>();
    let total = table_bytes + args.iter().map(|a| a.len()).sum::<usize>();
    let copy = alloc(total).cast::<*mut c_char>();
    if copy.is_null() {
        return argv;
    }
    // The title may use the original strings' memory for as long as it is
    // one contiguous run starting at argv[0] (the kernel lays arguments out
    // that way; a hand-built argv may not be, and must not be overrun).
    let area = args[0].as_ptr().cast_mut().cast::<c_char>();
    let mut cap = args[0].len();
    for arg in &args[1..] {
        if arg.as_ptr() != area.cast::<u8>().wrapping_add(cap).cast_const() {
            break;
        }
        cap += arg.len();
    }
    // SAFETY: `copy` has room for the pointer table followed by every
    // string; malloc's alignment suits pointers.
    unsafe {
        let mut at = copy.cast::<u8>().add(table_bytes);
        for (i, arg) in args.iter().enumerate() {
            ptr::copy_nonoverlapping(arg.as_ptr(), at, arg.len());
            copy.add(i).write(at.cast());
            at = at.add(arg.len());
        }
        copy.add(argc).write(ptr::null_mut());
    }
    // Called twice, the first copy stays allocated: it may still be in use
    // as the caller's argv.
    *title_lock() = Some(Title {
        area,
        cap,
        len: args[0].len() - 1,
        args_copy: copy.cast(),
    });
    copy
}

/// Frees the argument copy made by `uv_setup_args` and forgets the title;
/// for `uv_library_shutdown` to call (until it does, only tests use it).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn process_title_cleanup() {
    if let Some(title) = title_lock().take() {
        // SAFETY: `args_copy` came from `alloc` in `uv_setup_args`; after
        // library shutdown nothing may use it.
        unsafe { free(title.args_copy) };
    }
}

/// Sets the title `ps` shows, truncated to the space the original arguments
/// took (`UV_ENOBUFS` without `uv_setup_args`). The kernel's thread name, which
/// `top` shows, gets the first 15 bytes.
///
/// # Safety
/// `title` must be a C string.
#[no_mangle]
pub unsafe extern "C" fn uv_set_process_title(title: *const c_char) -> c_int {
    if title.is_null() {
        return UV_EINVAL;
    }
    let mut guard = title_lock();
    let Some(pt) = guard.as_mut() else {
        return UV_ENOBUFS;
    };
    // SAFETY: `title` is a C string (caller contract).
    let text = unsafe { CStr::from_ptr(title) }.to_bytes();
    let len = text.len().min(pt.cap.saturating_sub(1));
    // SAFETY: `area` has `cap` bytes (the original argument strings, given up
    // by the caller of `uv_setup_args`); `len < cap`. `text` may itself point
    // into that area, hence `copy` rather than `copy_nonoverlapping`.
    unsafe {
        ptr::copy(text.as_ptr(), pt.area.cast::<u8>(), len);
        ptr::write_bytes(pt.area.add(len), 0, pt.cap - len);
    }
    pt.len = len;
    // SAFETY: `area` now holds a NUL-terminated string; PR_SET_NAME copies at
    // most 16 bytes of it.
    unsafe { libc::prctl(libc::PR_SET_NAME, pt.area) };
    0
}

/// Copies the process title into `buffer`; `UV_ENOBUFS` if it does not fit
/// with its NUL or `uv_setup_args` was not called.
///
/// # Safety
/// `buffer` must be null or valid for writes of `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_get_process_title(buffer: *mut c_char, size: usize) -> c_int {
    if buffer.is_null() || size == 0 {
        return UV_EINVAL;
    }
    let guard = title_lock();
    let Some(pt) = guard.as_ref() else {
        return UV_ENOBUFS;
    };
    if size <= pt.len {
        return UV_ENOBUFS;
    }
    // SAFETY: `area` holds `len` title bytes; `buffer` has room for `len + 1`.
    unsafe {
        ptr::copy_nonoverlapping(pt.area, buffer, pt.len);
        *buffer.add(pt.len) = 0;
    }
    0
}

// ---------------------------------------------------------------------------
// Shared libraries
// ---------------------------------------------------------------------------

/// Records `dlerror()` in `lib` (replacing any old message): -1 if there was
/// an error, 0 if not.
///
/// # Safety
/// `lib` must be valid, with `errmsg` null or from `strdup`.
unsafe fn take_dlerror(lib: *mut Lib) -> c_int {
    // SAFETY: `errmsg` is null or ours (caller contract).
    unsafe { free((*lib).errmsg.cast()) };
    // SAFETY: dlerror returns null or a C string valid until the next dl call
    // on this thread; it is copied at once.
    let msg = unsafe { libc::dlerror() };
    let (copy, r) = if msg.is_null() {
        (ptr::null_mut(), 0)
    } else {
        // SAFETY: as above.
        (strdup(unsafe { CStr::from_ptr(msg) }), -1)
    };
    // SAFETY: `lib` is valid (caller contract).
    unsafe { (*lib).errmsg = copy };
    r
}

/// Opens a shared library; on failure returns -1 and `uv_dlerror` has the
/// reason.
///
/// # Safety
/// `filename` must be null (the main program) or a C string; `lib` valid for
/// writes.
#[no_mangle]
pub unsafe extern "C" fn uv_dlopen(filename: *const c_char, lib: *mut Lib) -> c_int {
    if lib.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: clearing the thread's pending dl error has no preconditions;
    // `filename` is null or a C string (caller contract); `lib` is writable.
    unsafe {
        libc::dlerror();
        (*lib).errmsg = ptr::null_mut();
        (*lib).handle = libc::dlopen(filename, libc::RTLD_LAZY);
        if (*lib).handle.is_null() {
            return take_dlerror(lib);
        }
    }
    0
}

/// Closes a library opened with `uv_dlopen` and frees its error message.
///
/// # Safety
/// `lib` must be null or initialised by `uv_dlopen`.
#[no_mangle]
pub unsafe extern "C" fn uv_dlclose(lib: *mut Lib) {
    if lib.is_null() {
        return;
    }
    // SAFETY: `lib` was set up by `uv_dlopen`, so `errmsg` is ours and
    // `handle` is null or a live dlopen handle. dlclose errors are ignored:
    // there is no way to report them.
    unsafe {
        free((*lib).errmsg.cast());
        (*lib).errmsg = ptr::null_mut();
        if !(*lib).handle.is_null() {
            libc::dlclose((*lib).handle);
            (*lib).handle = ptr::null_mut();
        }
    }
}

/// Looks up `name` in a library; on failure returns -1 and `uv_dlerror` has
/// the reason.
///
/// # Safety
/// `lib` must be initialised by `uv_dlopen`, `name` a C string and `ptr_out`
/// valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_dlsym(
    lib: *mut Lib,
    name: *const c_char,
    ptr_out: *mut *mut c_void,
) -> c_int {
    if lib.is_null() || ptr_out.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract `lib` holds a dlopen handle and `name` is a C
    // string; `ptr_out` is writable.
    unsafe {
        libc::dlerror();
        *ptr_out = libc::dlsym((*lib).handle, name);
        if (*ptr_out).is_null() {
            return take_dlerror(lib);
        }
    }
    0
}

/// The last error of `lib`, or "no error".
///
/// # Safety
/// `lib` must be null or initialised by `uv_dlopen`.
#[no_mangle]
pub unsafe extern "C" fn uv_dlerror(lib: *const Lib) -> *const c_char {
    // SAFETY: `lib` is null or valid (caller contract).
    match unsafe { lib.as_ref() } {
        Some(lib) if !lib.errmsg.is_null() => lib.errmsg,
        _ => c"no error".as_ptr(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_sized(
        f: unsafe extern "C" fn(*mut c_char, *mut usize) -> c_int,
        cap: usize,
    ) -> (c_int, usize, Vec<u8>) {
        let mut buf = vec![0x55u8; cap.max(1)];
        let mut size = cap;
        // SAFETY: `buf` has at least `cap` bytes.
        let r = unsafe { f(buf.as_mut_ptr().cast(), &mut size) };
        (r, size, buf)
    }

    #[test]
    fn version() {
        assert_eq!(uv_version(), 0x013400);
        // SAFETY: a static C string.
        let s = unsafe { CStr::from_ptr(uv_version_string()) };
        assert_eq!(s.to_str().unwrap(), "1.52.0");
    }

    #[test]
    fn clocks() {
        let a = uv_hrtime();
        uv_sleep(2);
        let b = uv_hrtime();
        assert!(b - a >= 2_000_000);
        let mut ts = Timespec64::default();
        // SAFETY: valid or null pointers throughout.
        unsafe {
            assert_eq!(uv_clock_gettime(UV_CLOCK_REALTIME, &mut ts), 0);
            assert!(ts.tv_sec > 1_600_000_000);
            assert_eq!(uv_clock_gettime(UV_CLOCK_MONOTONIC, &mut ts), 0);
            assert_eq!(uv_clock_gettime(2, &mut ts), UV_EINVAL);
            assert_eq!(uv_clock_gettime(-1, &mut ts), UV_EINVAL);
            assert_eq!(
                uv_clock_gettime(UV_CLOCK_MONOTONIC, ptr::null_mut()),
                UV_EFAULT
            );
            let mut tv = Timeval64::default();
            assert_eq!(uv_gettimeofday(&mut tv), 0);
            assert!(tv.tv_sec > 1_600_000_000 && (0..1_000_000).contains(&tv.tv_usec));
            assert_eq!(uv_gettimeofday(ptr::null_mut()), UV_EINVAL);
        }
    }

    #[test]
    fn struct_layouts() {
        use core::mem::{offset_of, size_of};
        assert_eq!(size_of::<Buf>(), 16);
        assert_eq!(size_of::<Timespec64>(), 16);
        assert_eq!(size_of::<Timeval64>(), 16);
        assert_eq!(offset_of!(Timeval64, tv_usec), 8);
        assert_eq!(size_of::<Rusage>(), 144);
        assert_eq!(offset_of!(Rusage, ru_maxrss), 32);
        assert_eq!(offset_of!(Rusage, ru_nivcsw), 136);
        assert_eq!(size_of::<Utsname>(), 1024);
        assert_eq!(size_of::<Passwd>(), 40);
        assert_eq!(offset_of!(Passwd, homedir), 32);
        assert_eq!(size_of::<Group>(), 24);
        assert_eq!(size_of::<EnvItem>(), 16);
        assert_eq!(size_of::<CpuInfo>(), 56);
        assert_eq!(offset_of!(CpuInfo, cpu_times), 16);
        assert_eq!(size_of::<InterfaceAddress>(), 80);
        assert_eq!(offset_of!(InterfaceAddress, phys_addr), 8);
        assert_eq!(offset_of!(InterfaceAddress, is_internal), 16);
        assert_eq!(offset_of!(InterfaceAddress, address), 20);
        assert_eq!(offset_of!(InterfaceAddress, netmask), 48);
        assert_eq!(size_of::<Lib>(), 16);
    }

    #[test]
    fn buf_init() {
        let mut data = [0 as c_char; 4];
        let b = uv_buf_init(data.as_mut_ptr(), 4);
        assert_eq!(b.base, data.as_mut_ptr());
        assert_eq!(b.len, 4);
    }

    #[test]
    fn copy_out_protocol() {
        let mut buf = [0x55 as c_char; 8];
        let mut size = 5;
        // SAFETY: `buf` has 8 bytes, more than `size`.
        unsafe {
            assert_eq!(copy_out(b"abcde", buf.as_mut_ptr(), &mut size), UV_ENOBUFS);
            assert_eq!(size, 6);
            assert_eq!(buf[0], 0x55, "nothing written on ENOBUFS");
            assert_eq!(copy_out(b"abcde", buf.as_mut_ptr(), &mut size), 0);
            assert_eq!(size, 5);
            assert_eq!(buf[5], 0);
        }
    }

    #[test]
    fn fixed_copy_truncates() {
        let mut dst = [1 as c_char; 4];
        assert_eq!(
            copy_fixed(&mut dst, &[b'a' as c_char, b'b' as c_char, 0]),
            0
        );
        assert_eq!(dst[..3], [b'a' as c_char, b'b' as c_char, 0]);
        let long = [b'x' as c_char; 10];
        assert_eq!(copy_fixed(&mut dst, &long), UV_E2BIG);
        assert_eq!(dst[3], 0);
    }

    #[test]
    fn number_parsing() {
        assert_eq!(parse_u64(b"  42 kB"), Some((42, &b" kB"[..])));
        assert_eq!(parse_u64(b"x"), None);
        assert_eq!(parse_i64(b"-1\n"), Some((-1, &b"\n"[..])));
        assert_eq!(parse_i64(b"100000 100000"), Some((100000, &b" 100000"[..])));
        assert_eq!(parse_f64(b"123.45 67.8").map(|x| x.0), Some(123.45));
        assert_eq!(
            meminfo_bytes(b"MemTotal:  1000 kB\nMemFree: 5 kB\n", b"MemFree:"),
            Some(5120)
        );
        assert_eq!(
            meminfo_bytes(b"MemTotal:  1000 kB\n", b"MemAvailable:"),
            None
        );
    }

    #[test]
    fn cgroup_parsing() {
        let v1 = b"12:pids:/user.slice\n4:memory:/user.slice/x\n3:cpu,cpuacct:/a\n";
        assert_eq!(cgroup2_path(v1), None);
        assert_eq!(cgroup1_path(v1, b"memory"), Some(&b"user.slice/x"[..]));
        assert_eq!(cgroup1_path(v1, b"cpu"), None);
        assert_eq!(
            cgroup2_path(b"0::/system.slice/foo.service\n"),
            Some(&b"system.slice/foo.service"[..])
        );
        assert_eq!(cgroup2_path(b"0::/\n"), Some(&b""[..]));
        assert_eq!(cpu_max_quota(b"max 100000\n"), None);
        assert_eq!(cpu_max_quota(b"200000 100000\n"), Some(2));
        assert_eq!(cpu_max_quota(b"50000 100000\n"), Some(1));
        assert_eq!(cpu_max_quota(b"50000 0\n"), None);
    }

    #[test]
    fn proc_parsing() {
        let stat =
            b"1234 (a b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 777 22 23\n";
        assert_eq!(rss_pages(stat), Some(777));
        assert_eq!(rss_pages(b"1 (x) S 1 2"), None);
        let ps = b"cpu  1 2 3 4 5 6 7 8\ncpu0 10 20 30 40 50 60 70\ncpu2 1 1 1 1 1 1 1\nintr 5\n";
        let cpus = parse_proc_stat(ps);
        assert_eq!(cpus.len(), 2);
        assert_eq!(
            cpus[0],
            (
                0,
                CpuTimes {
                    user: 10,
                    nice: 20,
                    sys: 30,
                    idle: 40,
                    irq: 60
                }
            )
        );
        assert_eq!(cpus[1].0, 2);
        let info = b"processor\t: 0\nvendor_id\t: X\nmodel name\t: Fast CPU\n\nprocessor\t: 1\nflags\t: y\n\n";
        assert_eq!(parse_cpuinfo_models(info), vec![(0, b"Fast CPU".to_vec())]);
    }

    #[test]
    fn system_info_smoke() {
        assert!(uv_get_total_memory() > 0);
        assert!(uv_get_free_memory() > 0);
        assert!(uv_get_available_memory() > 0);
        let _ = uv_get_constrained_memory();
        let mut rss = 0usize;
        let mut up = 0.0;
        let mut avg = [-1.0; 3];
        // SAFETY: valid pointers throughout.
        unsafe {
            assert_eq!(uv_resident_set_memory(&mut rss), 0);
            assert!(rss > 0);
            assert_eq!(uv_uptime(&mut up), 0);
            assert!(up > 0.0);
            uv_loadavg(avg.as_mut_ptr());
            assert!(avg.iter().all(|&a| a >= 0.0));
            let mut u: Utsname = core::mem::zeroed();
            assert_eq!(uv_os_uname(&mut u), 0);
            assert_eq!(
                CStr::from_ptr(u.sysname.as_ptr()).to_str().unwrap(),
                "Linux"
            );
            let mut ru = Rusage::default();
            assert_eq!(uv_getrusage(&mut ru), 0);
            assert!(ru.ru_maxrss > 0);
            assert_eq!(uv_getrusage_thread(&mut ru), 0);
            let mut infos = ptr::null_mut();
            let mut n = 0;
            assert_eq!(uv_cpu_info(&mut infos, &mut n), 0);
            assert!(n > 0);
            assert!(!CStr::from_ptr((*infos).model).to_bytes().is_empty());
            uv_free_cpu_info(infos, n);
            let mut addrs = ptr::null_mut();
            assert_eq!(uv_interface_addresses(&mut addrs, &mut n), 0);
            let list = core::slice::from_raw_parts(addrs, n as usize);
            assert!(list
                .iter()
                .any(|a| a.is_internal == 1 && CStr::from_ptr(a.name).to_bytes() == b"lo"));
            uv_free_interface_addresses(addrs, n);
        }
        assert_eq!(uv_os_getpid(), std::process::id() as c_int);
        assert!(uv_os_getppid() > 0);
        assert_eq!(uv_kill(uv_os_getpid(), 0), 0);
    }

    #[test]
    fn env_roundtrip() {
        // SAFETY: C string literals and valid buffers throughout.
        unsafe {
            assert_eq!(
                uv_os_setenv(c"RSUV_MISC_TEST".as_ptr(), c"hello".as_ptr()),
                0
            );
            let mut buf = [0 as c_char; 16];
            let mut size = 5;
            assert_eq!(
                uv_os_getenv(c"RSUV_MISC_TEST".as_ptr(), buf.as_mut_ptr(), &mut size),
                UV_ENOBUFS
            );
            assert_eq!(size, 6);
            assert_eq!(
                uv_os_getenv(c"RSUV_MISC_TEST".as_ptr(), buf.as_mut_ptr(), &mut size),
                0
            );
            assert_eq!(size, 5);
            let mut items = ptr::null_mut();
            let mut n = 0;
            assert_eq!(uv_os_environ(&mut items, &mut n), 0);
            let list = core::slice::from_raw_parts(items, n as usize);
            assert!(list
                .iter()
                .any(|e| CStr::from_ptr(e.name) == c"RSUV_MISC_TEST"
                    && CStr::from_ptr(e.value) == c"hello"));
            uv_os_free_environ(items, n);
            assert_eq!(uv_os_unsetenv(c"RSUV_MISC_TEST".as_ptr()), 0);
            assert_eq!(
                uv_os_getenv(c"RSUV_MISC_TEST".as_ptr(), buf.as_mut_ptr(), &mut size),
                UV_ENOENT
            );
            assert_eq!(
                uv_os_getenv(ptr::null(), buf.as_mut_ptr(), &mut size),
                UV_EINVAL
            );
            assert_eq!(uv_os_setenv(ptr::null(), c"x".as_ptr()), UV_EINVAL);
        }
    }

    #[test]
    fn sized_getters() {
        for f in [
            uv_cwd,
            uv_exepath,
            uv_os_gethostname,
            uv_os_tmpdir,
            uv_os_homedir,
        ] {
            let (r, size, buf) = call_sized(f, 4096);
            assert_eq!(r, 0);
            assert_eq!(buf[size], 0);
            assert!(size > 0);
            let (r, _, _) = call_sized(f, 0);
            assert_eq!(r, UV_EINVAL);
        }
        let (_, full, _) = call_sized(uv_cwd, 4096);
        let (r, need, _) = call_sized(uv_cwd, 2);
        if full >= 2 {
            assert_eq!((r, need), (UV_ENOBUFS, full + 1));
        }
        let (r, size, buf) = call_sized(uv_exepath, 4);
        assert_eq!((r, size), (0, 3), "exepath truncates silently");
        assert_eq!(buf[3], 0);
    }

    #[test]
    fn passwd_and_group() {
        // SAFETY: valid pointers throughout; results freed once.
        unsafe {
            let mut pwd: Passwd = core::mem::zeroed();
            assert_eq!(uv_os_get_passwd(&mut pwd), 0);
            assert_eq!(pwd.uid, libc::c_ulong::from(libc::geteuid()));
            assert!(!CStr::from_ptr(pwd.username).to_bytes().is_empty());
            assert!(CStr::from_ptr(pwd.homedir).to_bytes().starts_with(b"/"));
            let _ = CStr::from_ptr(pwd.shell);
            uv_os_free_passwd(&mut pwd);
            assert!(pwd.username.is_null() && pwd.homedir.is_null());
            assert_eq!(uv_os_get_passwd2(&mut pwd, 0), 0);
            assert_eq!(CStr::from_ptr(pwd.username), c"root");
            uv_os_free_passwd(&mut pwd);
            assert_eq!(uv_os_get_passwd2(&mut pwd, 0x7fff_fff0), UV_ENOENT);
            let mut grp: Group = core::mem::zeroed();
            assert_eq!(uv_os_get_group(&mut grp, 0), 0);
            assert_eq!(CStr::from_ptr(grp.groupname), c"root");
            let mut m = grp.members;
            while !(*m).is_null() {
                let _ = CStr::from_ptr(*m);
                m = m.add(1);
            }
            uv_os_free_group(&mut grp);
            assert!(grp.members.is_null());
            assert_eq!(uv_os_get_passwd(ptr::null_mut()), UV_EINVAL);
        }
    }

    #[test]
    fn priorities() {
        let mut p = 99;
        // SAFETY: `p` is writable.
        assert_eq!(unsafe { uv_os_getpriority(0, &mut p) }, 0);
        assert!((-20..=19).contains(&p));
        assert_eq!(uv_os_setpriority(0, 20), UV_EINVAL);
        assert_eq!(uv_os_setpriority(0, -21), UV_EINVAL);
        // SAFETY: null is rejected.
        assert_eq!(unsafe { uv_os_getpriority(0, ptr::null_mut()) }, UV_EINVAL);
    }

    #[test]
    fn dl() {
        // SAFETY: valid pointers and C strings throughout.
        unsafe {
            let mut lib = Lib {
                handle: ptr::null_mut(),
                errmsg: ptr::null_mut(),
            };
            assert_eq!(
                uv_dlopen(c"/nonexistent/libnothing.so".as_ptr(), &mut lib),
                -1
            );
            assert!(!CStr::from_ptr(uv_dlerror(&lib)).to_bytes().is_empty());
            uv_dlclose(&mut lib);
            assert_eq!(CStr::from_ptr(uv_dlerror(&lib)), c"no error");
            assert_eq!(uv_dlopen(ptr::null(), &mut lib), 0);
            let mut sym = ptr::null_mut();
            assert_eq!(uv_dlsym(&mut lib, c"malloc".as_ptr(), &mut sym), 0);
            assert!(!sym.is_null());
            assert_eq!(
                uv_dlsym(&mut lib, c"no_such_symbol_rsuv".as_ptr(), &mut sym),
                -1
            );
            assert!(CStr::from_ptr(uv_dlerror(&lib))
                .to_bytes()
                .ends_with(b"undefined symbol: no_such_symbol_rsuv"));
            uv_dlclose(&mut lib);
        }
    }

    #[test]
    fn process_title() {
        // A fake argv laid out like the kernel's: strings back to back.
        let mut strings = *b"prog\0-x\0abc\0";
        let base = strings.as_mut_ptr().cast::<c_char>();
        // SAFETY: offsets within `strings`.
        let mut argv = unsafe { [base, base.add(5), base.add(8), ptr::null_mut()] };
        let mut buf = [0 as c_char; 64];
        // SAFETY: `argv` holds three C strings; the title writes stay inside
        // `strings`, which outlives every use before the cleanup below.
        unsafe {
            assert_eq!(uv_get_process_title(ptr::null_mut(), 10), UV_EINVAL);
            let copy = uv_setup_args(3, argv.as_mut_ptr());
            assert_ne!(copy, argv.as_mut_ptr());
            assert_eq!(CStr::from_ptr(*copy.add(2)), c"abc");
            assert!((*copy.add(3)).is_null());
            assert_eq!(uv_get_process_title(buf.as_mut_ptr(), 64), 0);
            assert_eq!(CStr::from_ptr(buf.as_ptr()), c"prog");
            assert_eq!(uv_get_process_title(buf.as_mut_ptr(), 4), UV_ENOBUFS);
            assert_eq!(uv_get_process_title(buf.as_mut_ptr(), 0), UV_EINVAL);
            assert_eq!(uv_set_process_title(c"a much longer title".as_ptr()), 0);
            assert_eq!(uv_get_process_title(buf.as_mut_ptr(), 64), 0);
            assert_eq!(
                CStr::from_ptr(buf.as_ptr()),
                c"a much long",
                "cut to 12 - 1 bytes"
            );
            assert_eq!(strings[11], 0);
            assert_eq!(CStr::from_ptr(*copy), c"prog", "the copy is untouched");
            uv_set_process_title(c"%s%n".as_ptr());
            assert_eq!(uv_get_process_title(buf.as_mut_ptr(), 64), 0);
            assert_eq!(CStr::from_ptr(buf.as_ptr()), c"%s%n");
            assert_eq!(&strings[..5], b"%s%n\0");
            process_title_cleanup();
            assert_eq!(uv_set_process_title(c"x".as_ptr()), UV_ENOBUFS);
            assert_eq!(uv_get_process_title(buf.as_mut_ptr(), 64), UV_ENOBUFS);
            assert_eq!(uv_setup_args(0, argv.as_mut_ptr()), argv.as_mut_ptr());
        }
    }

    static COUNT: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);
    unsafe extern "C" fn counting_malloc(n: usize) -> *mut c_void {
        COUNT.fetch_add(1, Ordering::SeqCst);
        // SAFETY: forwarded as is.
        unsafe { libc::malloc(n) }
    }

    #[test]
    fn replace_allocator() {
        // SAFETY: the functions behave like the C library's (they are it, or
        // forward to it), so swapping them in mid-test is harmless to other
        // tests.
        unsafe {
            assert_eq!(
                uv_replace_allocator(
                    Some(counting_malloc),
                    Some(libc::realloc),
                    None,
                    Some(libc::free)
                ),
                UV_EINVAL
            );
            assert_eq!(
                uv_replace_allocator(
                    Some(counting_malloc),
                    Some(libc::realloc),
                    Some(libc::calloc),
                    Some(libc::free)
                ),
                0
            );
            let before = COUNT.load(Ordering::SeqCst);
            let p = strdup(c"abc");
            assert!(COUNT.load(Ordering::SeqCst) > before);
            assert_eq!(CStr::from_ptr(p), c"abc");
            set_errno(libc::EBADF);
            free(p.cast());
            assert_eq!(errno(), libc::EBADF, "free keeps errno");
            assert!(alloc(0).is_null());
            let q = realloc(ptr::null_mut(), 8);
            assert!(!q.is_null());
            assert!(realloc(q, 0).is_null());
            assert_eq!(
                uv_replace_allocator(
                    Some(libc::malloc),
                    Some(libc::realloc),
                    Some(libc::calloc),
                    Some(libc::free)
                ),
                0
            );
        }
    }
}
