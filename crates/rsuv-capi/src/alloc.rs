//! The replaceable allocator: `uv_replace_allocator` and the crate-internal
//! `alloc`, `calloc`, `realloc`, `free` and `strdup`.
//!
//! Every module must use these for memory handed to the C caller or taken
//! back from it, because `uv_replace_allocator` promises the caller that
//! libuv's user-visible memory goes through their functions.

use core::ffi::{c_char, c_int, c_void, CStr};
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};

use rsuv_core::error::UV_EINVAL;

use crate::util::{errno, set_errno};

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

#[cfg(test)]
mod tests {
    use super::*;

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
