//! Threads made straight with pthreads, for the thread pool: a thread runs
//! a plain `fn()` and nothing is allocated for it, as in libuv. (A
//! `std::thread` allocates its closure and result on the heap, reachable
//! only from the thread itself; in a child forked with the pool running,
//! those blocks are lost for good, and a leak checker says so.)

use std::io;

/// A thread that can be joined once.
#[derive(Debug)]
pub struct RawThread(libc::pthread_t);

extern "C" fn trampoline(f: *mut libc::c_void) -> *mut libc::c_void {
    // SAFETY: `spawn` passes a `fn()` cast to a data pointer; function and
    // data pointers have the same size and representation on Linux.
    let f: fn() = unsafe { std::mem::transmute::<*mut libc::c_void, fn()>(f) };
    f();
    std::ptr::null_mut()
}

/// Starts a thread named `name` (at most 15 bytes) running `f`, with a
/// stack of `stack_size` bytes.
pub fn spawn(f: fn(), stack_size: usize, name: &std::ffi::CStr) -> io::Result<RawThread> {
    // SAFETY: an all-zero attr is storage for pthread_attr_init to fill;
    // each call gets valid pointers, `attr` is destroyed once, and the new
    // thread receives `f` by value.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        let mut err = libc::pthread_attr_init(&mut attr);
        if err == 0 {
            err = libc::pthread_attr_setstacksize(&mut attr, stack_size);
            if err == 0 {
                let mut t: libc::pthread_t = 0;
                err = libc::pthread_create(&mut t, &attr, trampoline, f as *mut libc::c_void);
                libc::pthread_attr_destroy(&mut attr);
                if err == 0 {
                    libc::pthread_setname_np(t, name.as_ptr());
                    return Ok(RawThread(t));
                }
            } else {
                libc::pthread_attr_destroy(&mut attr);
            }
        }
        Err(io::Error::from_raw_os_error(err))
    }
}

impl RawThread {
    /// Whether this is the calling thread.
    pub fn is_current(&self) -> bool {
        // SAFETY: pthread_self and pthread_equal have no preconditions.
        unsafe { libc::pthread_equal(self.0, libc::pthread_self()) != 0 }
    }

    /// Waits for the thread to end. Consumes it: a thread is joined once.
    pub fn join(self) {
        // SAFETY: the thread was made joinable by `spawn`, and `RawThread`
        // is neither copied nor cloned, so it is joined at most once.
        unsafe { libc::pthread_join(self.0, std::ptr::null_mut()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    static RAN: AtomicBool = AtomicBool::new(false);

    fn mark() {
        RAN.store(true, Ordering::SeqCst);
    }

    #[test]
    fn a_raw_thread_runs_and_joins() {
        let t = spawn(mark, 64 << 10, c"rsuv-test").unwrap();
        assert!(!t.is_current());
        t.join();
        assert!(RAN.load(Ordering::SeqCst));
    }
}
