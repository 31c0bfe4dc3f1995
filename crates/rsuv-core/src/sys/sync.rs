//! The locks the engine shares between threads, made visible to thread
//! checkers that know only pthreads (helgrind, DRD), for which std's futex
//! words guard nothing and every access looks like a race.
//!
//! - [`Mutex`] and [`Condvar`], pthread's, for the thread pool's queue: the
//!   checkers follow them as they are.
//! - [`NotedMutex`], std's mutex with notes (`sys/valgrind.rs`) at each
//!   lock and unlock, for a loop's completion list, which the loop locks at
//!   every wakeup: there std's inlined lock measured faster (a quarter more
//!   `async_pummel_1` callbacks per second than glibc's).
//!
//! A mutex must not move once it has been locked: the engine keeps them in
//! statics and in `Arc`s. glibc's default mutex records no owner, so one
//! held across `fork(2)` can be released in the child.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};

pub struct Mutex<T> {
    raw: UnsafeCell<libc::pthread_mutex_t>,
    data: UnsafeCell<T>,
}

// SAFETY: the data is only reached through a guard, which holds the lock.
unsafe impl<T: Send> Send for Mutex<T> {}
// SAFETY: as above: the lock serialises every access to `data`.
unsafe impl<T: Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    pub const fn new(value: T) -> Mutex<T> {
        Mutex {
            raw: UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER),
            data: UnsafeCell::new(value),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, T> {
        // SAFETY: `raw` is an initialised mutex that does not move while
        // locked (see the module's note). A default mutex fails only on
        // deadlock detection, which it does not do.
        let rc = unsafe { libc::pthread_mutex_lock(self.raw.get()) };
        debug_assert_eq!(rc, 0);
        MutexGuard { mutex: self }
    }

    /// The lock if it is free now.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        // SAFETY: as in `lock`.
        let rc = unsafe { libc::pthread_mutex_trylock(self.raw.get()) };
        (rc == 0).then_some(MutexGuard { mutex: self })
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

pub struct MutexGuard<'a, T> {
    mutex: &'a Mutex<T>,
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock, and is borrowed mutably.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: this guard locked the mutex.
        let rc = unsafe { libc::pthread_mutex_unlock(self.mutex.raw.get()) };
        debug_assert_eq!(rc, 0);
    }
}

pub struct Condvar {
    raw: UnsafeCell<libc::pthread_cond_t>,
}

// SAFETY: a pthread condition variable is made to be shared by threads.
unsafe impl Send for Condvar {}
// SAFETY: as above.
unsafe impl Sync for Condvar {}

impl Condvar {
    pub const fn new() -> Condvar {
        Condvar {
            raw: UnsafeCell::new(libc::PTHREAD_COND_INITIALIZER),
        }
    }

    /// Releases `guard`'s lock until woken (or spuriously), then retakes it.
    pub fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        // SAFETY: the guard holds its mutex, as pthread_cond_wait requires;
        // both stay in place (statics).
        let rc = unsafe { libc::pthread_cond_wait(self.raw.get(), guard.mutex.raw.get()) };
        debug_assert_eq!(rc, 0);
        guard
    }

    pub fn notify_one(&self) {
        // SAFETY: an initialised condition variable.
        unsafe { libc::pthread_cond_signal(self.raw.get()) };
    }

    pub fn notify_all(&self) {
        // SAFETY: an initialised condition variable.
        unsafe { libc::pthread_cond_broadcast(self.raw.get()) };
    }
}

impl Default for Condvar {
    fn default() -> Condvar {
        Condvar::new()
    }
}

/// std's mutex, with notes for the thread checker at each hand-over.
pub struct NotedMutex<T>(std::sync::Mutex<T>);

pub struct NotedGuard<'a, T> {
    tag: usize,
    inner: std::sync::MutexGuard<'a, T>,
}

impl<T> NotedMutex<T> {
    pub const fn new(value: T) -> NotedMutex<T> {
        NotedMutex(std::sync::Mutex::new(value))
    }

    fn noted<'a>(&'a self, inner: std::sync::MutexGuard<'a, T>) -> NotedGuard<'a, T> {
        let tag = self as *const NotedMutex<T> as usize;
        // The lock's own word (before the data) races by design.
        let data = &*inner as *const T as usize;
        super::valgrind::benign_race(tag, data.saturating_sub(tag));
        super::valgrind::happens_after(tag);
        NotedGuard { tag, inner }
    }

    pub fn lock(&self) -> NotedGuard<'_, T> {
        // Nothing panics under this lock, so poisoning carries no news.
        self.noted(self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The lock if it is free now.
    pub fn try_lock(&self) -> Option<NotedGuard<'_, T>> {
        match self.0.try_lock() {
            Ok(g) => Some(self.noted(g)),
            Err(std::sync::TryLockError::Poisoned(e)) => Some(self.noted(e.into_inner())),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }
}

impl<T> Deref for NotedGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T> DerefMut for NotedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T> Drop for NotedGuard<'_, T> {
    fn drop(&mut self) {
        // Before `inner` unlocks.
        super::valgrind::happens_before(self.tag);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn the_lock_serialises_and_the_condvar_hands_over() {
        let pair = Arc::new((Mutex::new(0u64), Condvar::new()));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let pair = Arc::clone(&pair);
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        *pair.0.lock() += 1;
                    }
                    pair.1.notify_all();
                })
            })
            .collect();
        let mut n = pair.0.lock();
        while *n < 40_000 {
            n = pair.1.wait(n);
        }
        drop(n);
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*pair.0.lock(), 40_000);
        let held = pair.0.lock();
        assert!(pair.0.try_lock().is_none(), "a held lock is not free");
        drop(held);
        assert!(pair.0.try_lock().is_some());
    }

    #[test]
    fn a_noted_mutex_is_a_mutex() {
        let m = Arc::new(NotedMutex::new(Vec::new()));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let m = Arc::clone(&m);
                std::thread::spawn(move || {
                    for i in 0..1000 {
                        m.lock().push(t * 1000 + i);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut all = std::mem::take(&mut *m.lock());
        all.sort_unstable();
        assert_eq!(all, (0..4000).collect::<Vec<_>>());
        let held = m.lock();
        assert!(m.try_lock().is_none());
        drop(held);
        assert!(m.try_lock().is_some());
    }
}
