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

//!
//! That read-modify-write is a full barrier, and it was the dominant cost
//! of API calls in tight loops (closing ten million timers: the barrier
//! keeps the next handle's cache miss from overlapping this one's). So a
//! loop used by one thread only is *biased* to it: the first thread to
//! take the cell becomes its home and keeps `owner` for good, and entering
//! costs it a plain store and a compiler fence. The first other thread to
//! come asks for the switch to the shared protocol, then makes the home
//! thread's fence a real one with `membarrier(2)`; after that every thread
//! uses the compare-and-swap, as before. (The asymmetric-fence pattern of
//! liburcu and folly; without `membarrier`, cells start shared.)

use std::cell::{Cell, UnsafeCell};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{compiler_fence, AtomicBool, AtomicU8, AtomicUsize, Ordering};

/// `owner` with this bit: the cell is biased to that (home) thread.
const HOME: usize = 1;

pub struct LoopCell<T> {
    /// The token of the thread holding the borrows (0: nobody), or a home
    /// thread's token with `HOME`, kept whether or not it is inside.
    owner: AtomicUsize,
    /// Biased cells: the home thread is inside. Written by it only.
    inside: AtomicBool,
    /// Another thread asked for the shared protocol: once set, for good.
    shared: AtomicBool,
    /// As in a `RefCell`: >0 shared borrows, -1 exclusive. Read and written
    /// only by the thread inside.
    borrows: Cell<isize>,
    /// The owner keeps `owner` when its borrows end (`hold`).
    held: Cell<bool>,
    value: UnsafeCell<T>,
}

// SAFETY: `value`, `borrows` and `held` are only touched by the thread
// inside: one that took `owner` with Acquire (and gives it back with
// Release), or the home thread between setting and clearing `inside`
// (cleared with Release, read with Acquire by the thread taking over,
// which first makes the home thread's entry fence a full barrier with
// membarrier). So accesses from different threads are ordered; `T: Send`
// because the value is used from several threads, one at a time.
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

/// Whether this kernel has private expedited `membarrier` (Linux 4.14):
/// 0 not asked yet, 1 yes, 2 no.
static MEMBARRIER: AtomicU8 = AtomicU8::new(0);

fn can_bias() -> bool {
    use rustix::thread::{membarrier_query, MembarrierCommand};
    match MEMBARRIER.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => {
            let q = membarrier_query();
            let yes = q.contains_command(MembarrierCommand::PrivateExpedited)
                && q.contains_command(MembarrierCommand::RegisterPrivateExpedited);
            MEMBARRIER.store(if yes { 1 } else { 2 }, Ordering::Relaxed);
            yes
        }
    }
}

/// Makes every thread of the process execute a full memory barrier, so a
/// home thread's entry (store `inside`, compiler fence, load `shared`)
/// acts as if fenced. Registers the process on first use (also in a
/// forked child, whose registration may not carry over).
#[cold]
fn heavy_barrier() {
    use rustix::thread::{membarrier, MembarrierCommand};
    if membarrier(MembarrierCommand::PrivateExpedited).is_ok() {
        return;
    }
    let registered = membarrier(MembarrierCommand::RegisterPrivateExpedited);
    if registered.is_err() || membarrier(MembarrierCommand::PrivateExpedited).is_err() {
        // Only reached if the kernel took back what it offered: no way to
        // hand the cell over safely.
        std::process::abort();
    }
}

fn backoff(spins: &mut u32) {
    *spins += 1;
    if *spins < 100 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

impl<T> LoopCell<T> {
    pub const fn new(value: T) -> LoopCell<T> {
        LoopCell {
            owner: AtomicUsize::new(0),
            inside: AtomicBool::new(false),
            shared: AtomicBool::new(false),
            borrows: Cell::new(0),
            held: Cell::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Makes this thread the one inside, waiting for another to leave.
    #[inline]
    fn enter(&self) {
        let me = token();
        let owner = self.owner.load(Ordering::Relaxed);
        if owner == me {
            return; // inside already (shared protocol)
        }
        if owner == me | HOME {
            if self.inside.load(Ordering::Relaxed) {
                return; // inside already (biased)
            }
            self.inside.store(true, Ordering::Relaxed);
            // Paired with the heavy barrier of a thread asking for the
            // switch: it sees `inside`, or this load sees `shared`.
            compiler_fence(Ordering::SeqCst);
            if !self.shared.load(Ordering::Relaxed) {
                self.note_entered();
                return;
            }
            self.inside.store(false, Ordering::Release);
        }
        self.enter_slow(me);
    }

    #[cold]
    fn enter_slow(&self, me: usize) {
        let mut spins = 0u32;
        loop {
            let owner = self.owner.load(Ordering::Acquire);
            if owner == 0 {
                if self
                    .owner
                    .compare_exchange_weak(0, me, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
                {
                    if !self.shared.load(Ordering::Relaxed) && can_bias() {
                        // The cell's first user: it becomes the home thread.
                        self.inside.store(true, Ordering::Relaxed);
                        self.owner.store(me | HOME, Ordering::Relaxed);
                    }
                    self.note_entered();
                    return;
                }
            } else if owner & HOME != 0
                && owner != me | HOME
                && self
                    .shared
                    .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
            {
                // Biased to another thread: switch the cell to the shared
                // protocol once the home thread is out.
                heavy_barrier();
                while self.inside.load(Ordering::Acquire) {
                    backoff(&mut spins);
                }
                self.owner.store(0, Ordering::Release);
                continue;
            }
            backoff(&mut spins);
        }
    }

    /// Whether this thread is inside.
    fn is_inside(&self) -> bool {
        let me = token();
        let owner = self.owner.load(Ordering::Relaxed);
        owner == me || (owner == me | HOME && self.inside.load(Ordering::Relaxed))
    }

    /// The thread checker learns that what the last thread inside did is
    /// seen by this one (the hand-over is atomics and membarrier).
    fn note_entered(&self) {
        // The cell's own words race by design.
        super::valgrind::benign_race(self.owner.as_ptr() as usize, size_of::<usize>());
        super::valgrind::benign_race(self.inside.as_ptr() as usize, 1);
        super::valgrind::benign_race(self.shared.as_ptr() as usize, 1);
        super::valgrind::happens_after(self as *const LoopCell<T> as usize);
    }

    fn leave_if_unborrowed(&self) {
        if self.borrows.get() == 0 && !self.held.get() {
            super::valgrind::happens_before(self as *const LoopCell<T> as usize);
            // Decided by `owner`, not `inside`: a home thread that read a
            // stale `owner` after the switch may set `inside` for a moment.
            if self.owner.load(Ordering::Relaxed) & HOME != 0 {
                self.inside.store(false, Ordering::Release);
            } else {
                self.owner.store(0, Ordering::Release);
            }
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
        let held = self.is_inside() && self.held.get();
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
        assert!(!c.is_inside());
        assert!(!c.inside.load(Ordering::Relaxed));
    }

    #[test]
    fn the_switch_from_a_biased_cell_loses_no_update() {
        // The home thread keeps entering, staying inside most of the time,
        // while another thread's first entry switches the cell to the
        // shared protocol: over fresh cells, to hit the switch at different
        // points of an entry.
        fn add_one_slowly(c: &LoopCell<u64>, spins: u32) {
            let mut v = c.borrow_mut();
            let before = *v;
            for _ in 0..spins {
                std::hint::spin_loop();
            }
            **std::hint::black_box(&mut v) = before + 1;
        }
        for _ in 0..30 {
            let c = Arc::new(LoopCell::new(0u64));
            add_one_slowly(&c, 0); // this thread becomes home
            let c2 = Arc::clone(&c);
            let other = std::thread::spawn(move || {
                for _ in 0..20 {
                    add_one_slowly(&c2, 0);
                }
            });
            for _ in 0..2000 {
                add_one_slowly(&c, 300);
            }
            other.join().unwrap();
            assert_eq!(*c.borrow(), 2021);
            assert!(c.shared.load(Ordering::Relaxed) || !can_bias());
        }
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
