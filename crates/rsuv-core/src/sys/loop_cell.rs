//! `LoopCell`: the cell a loop's engine state lives in. Its own thread
//! borrows it as it would a `RefCell` (shared or exclusive, re-entrant
//! borrows refused rather than deadlocked), and another thread may borrow
//! it too: it waits until the loop's thread lets go.
//!
//! libuv has no lock at all, and programs rely on that more than its
//! documentation allows: uvloop starts idle handles and timers from other
//! threads while the loop is blocked in `epoll_wait`. With a `RefCell`
//! that is a data race on the borrow flag, and a refused borrow; here the
//! borrow flag belongs to whichever thread holds `owner`, taken with an
//! atomic compare-and-swap, and the loop never holds it while it blocks.
//!
//! Taking `owner` costs an atomic read-modify-write, so `uv_run` *holds*
//! the cell ([`LoopCell::hold`]): its thread stays the owner between its
//! borrows and they cost what a `RefCell`'s do. It lets go around the
//! blocking wait ([`LoopCell::release_while`]) and around every callback
//! into the program ([`LoopCell::call_out`]), so another thread waits at
//! most for the engine's own bookkeeping, and a callback that waits for a
//! thread which is waiting for the loop cannot deadlock with it (uvloop:
//! a Python thread holding the GIL starts a handle while a callback on the
//! loop thread waits for the GIL).

use std::cell::{Cell, UnsafeCell};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct LoopCell<T> {
    /// The token of the thread holding the borrows (0: nobody).
    owner: AtomicUsize,
    /// As in a `RefCell`: >0 shared borrows, -1 exclusive. Read and written
    /// only by the thread that holds `owner`.
    borrows: Cell<isize>,
    /// The owner keeps `owner` when its borrows end (`hold`).
    held: Cell<bool>,
    value: UnsafeCell<T>,
}

// SAFETY: `value` and `borrows` are only touched by the thread whose token
// is in `owner`, which it takes with Acquire and gives back with Release,
// so accesses from different threads are ordered; `T: Send` because the
// value is used from several threads, one at a time.
unsafe impl<T: Send> Sync for LoopCell<T> {}

/// A borrow that would conflict with one this thread already holds.
#[derive(Debug)]
pub struct BorrowError;

/// This thread's token: its thread pointer, never 0 and distinct between
/// live threads (glibc's `pthread_self()` is the same value). Read
/// directly, as one instruction, because every borrow needs it: a
/// thread-local's address would cost a `__tls_get_addr` call in a shared
/// library, and `pthread_self` a call through the PLT.
#[inline(always)]
fn token() -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        let tp: usize;
        // SAFETY: on x86_64 Linux, %fs:0 holds the thread control block's
        // pointer to itself; reading it has no side effects.
        unsafe {
            std::arch::asm!("mov {}, fs:0", out(reg) tp, options(nostack, readonly, preserves_flags));
        }
        tp
    }
    #[cfg(target_arch = "aarch64")]
    {
        let tp: usize;
        // SAFETY: TPIDR_EL0 is the thread pointer; reading it has no side
        // effects.
        unsafe {
            std::arch::asm!("mrs {}, tpidr_el0", out(reg) tp, options(nostack, nomem, preserves_flags));
        }
        tp
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        // SAFETY: pthread_self has no preconditions and cannot fail.
        unsafe { libc::pthread_self() as usize }
    }
}

impl<T> LoopCell<T> {
    pub const fn new(value: T) -> LoopCell<T> {
        LoopCell {
            owner: AtomicUsize::new(0),
            borrows: Cell::new(0),
            held: Cell::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Makes this thread the owner, waiting for another owner to leave.
    #[inline]
    fn enter(&self) {
        let me = token();
        if self.owner.load(Ordering::Relaxed) == me {
            return;
        }
        if self
            .owner
            .compare_exchange(0, me, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            return;
        }
        self.wait_for_turn(me);
    }

    #[cold]
    fn wait_for_turn(&self, me: usize) {
        let mut spins = 0u32;
        while self
            .owner
            .compare_exchange_weak(0, me, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            spins += 1;
            if spins < 100 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }

    fn leave_if_unborrowed(&self) {
        if self.borrows.get() == 0 && !self.held.get() {
            self.owner.store(0, Ordering::Release);
        }
    }

    /// Keeps this thread the owner between borrows, until `release`.
    /// Returns whether it was held already (for a nested `uv_run`).
    pub fn hold(&self) -> bool {
        self.enter();
        self.held.replace(true)
    }

    /// Ends a `hold` (`was` is what `hold` returned).
    pub fn release(&self, was: bool) {
        self.held.set(was);
        self.leave_if_unborrowed();
    }

    /// Lets go of a held cell while the returned guard lives: around a
    /// callback into the program. Always, and not only when a thread is
    /// waiting already: one may come during the callback and block it (a
    /// Python thread holding the GIL waits for the loop while the callback
    /// waits for the GIL).
    #[inline]
    pub fn call_out(&self) -> CallOut<'_, T> {
        self.release_while()
    }

    /// Lets go of a held cell while the returned guard lives: around a
    /// blocking wait. Without a hold it does nothing.
    pub fn release_while(&self) -> CallOut<'_, T> {
        let held = self.owner.load(Ordering::Relaxed) == token() && self.held.get();
        if held {
            self.held.set(false);
            self.leave_if_unborrowed();
        }
        CallOut { cell: self, held }
    }

    pub fn try_borrow_mut(&self) -> Result<RefMut<'_, T>, BorrowError> {
        self.enter();
        if self.borrows.get() != 0 {
            return Err(BorrowError);
        }
        self.borrows.set(-1);
        Ok(RefMut { cell: self })
    }

    pub fn try_borrow(&self) -> Result<Ref<'_, T>, BorrowError> {
        self.enter();
        let b = self.borrows.get();
        if b < 0 {
            return Err(BorrowError);
        }
        self.borrows.set(b + 1);
        Ok(Ref { cell: self })
    }

    /// Panics (and so aborts) if this thread already borrows it: an engine
    /// bug, as with `RefCell::borrow_mut`.
    pub fn borrow_mut(&self) -> RefMut<'_, T> {
        self.try_borrow_mut().expect("loop already borrowed")
    }

    pub fn borrow(&self) -> Ref<'_, T> {
        self.try_borrow().expect("loop already mutably borrowed")
    }
}

pub struct CallOut<'a, T> {
    cell: &'a LoopCell<T>,
    held: bool,
}

impl<T> Drop for CallOut<'_, T> {
    fn drop(&mut self) {
        if self.held {
            self.cell.hold();
        }
    }
}

pub struct Ref<'a, T> {
    cell: &'a LoopCell<T>,
}

pub struct RefMut<'a, T> {
    cell: &'a LoopCell<T>,
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this thread owns the cell and holds a shared borrow; no
        // exclusive borrow exists while it does.
        unsafe { &*self.cell.value.get() }
    }
}

impl<T> Drop for Ref<'_, T> {
    fn drop(&mut self) {
        self.cell.borrows.set(self.cell.borrows.get() - 1);
        self.cell.leave_if_unborrowed();
    }
}

impl<T> Deref for RefMut<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: this thread owns the cell and holds its only borrow.
        unsafe { &*self.cell.value.get() }
    }
}

impl<T> DerefMut for RefMut<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; the borrow is exclusive.
        unsafe { &mut *self.cell.value.get() }
    }
}

impl<T> Drop for RefMut<'_, T> {
    fn drop(&mut self) {
        self.cell.borrows.set(0);
        self.cell.leave_if_unborrowed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn same_thread_rules_are_refcells() {
        let c = LoopCell::new(5);
        {
            let a = c.borrow();
            let b = c.borrow();
            assert_eq!(*a + *b, 10);
            assert!(c.try_borrow_mut().is_err());
        }
        {
            let mut m = c.borrow_mut();
            *m = 6;
            assert!(c.try_borrow().is_err());
            assert!(c.try_borrow_mut().is_err());
        }
        assert_eq!(*c.borrow(), 6);
    }

    #[test]
    fn a_hold_lets_go_while_released() {
        let c = Arc::new(LoopCell::new(0u64));
        let was = c.hold();
        assert!(!was);
        *c.borrow_mut() += 1;
        let c2 = Arc::clone(&c);
        {
            let _out = c.release_while();
            // Another thread gets in while this one is "in a callback".
            std::thread::spawn(move || *c2.borrow_mut() += 1)
                .join()
                .unwrap();
        }
        *c.borrow_mut() += 1;
        c.release(was);
        assert_eq!(*c.borrow(), 3);
        assert_eq!(c.owner.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn other_threads_wait_their_turn() {
        let c = Arc::new(LoopCell::new(0u64));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let c = Arc::clone(&c);
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        *c.borrow_mut() += 1;
                    }
                })
            })
            .collect();
        for _ in 0..10_000 {
            *c.borrow_mut() += 1;
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*c.borrow(), 50_000);
    }
}
