//! The process-wide thread pool behind `uv_queue_work`, the file-system
//! requests and DNS lookups, shared by every loop.
//!
//! Jobs run first-in first-out on `UV_THREADPOOL_SIZE` threads (default 4,
//! at most 1024), started on first use. A finished or cancelled job is posted
//! to its loop's completion queue and the loop is woken; the done callback
//! then runs on the loop's thread.
//!
//! As in libuv, "slow I/O" jobs (DNS lookups, which can block for seconds)
//! occupy at most half of the threads (rounded up): the others stay free for
//! file-system and CPU work, so a burst of lookups cannot starve them.
//!
//! After `fork(2)` the child has none of the workers. A fork hook (see
//! [`crate::sys::fork`]) holds the pool's lock across the fork and, in the
//! child, resets the pool so that its next use starts new threads. Jobs
//! queued or running at the fork are lost in the child, as in libuv.

use crate::event_loop::Shared;
use crate::handle::Token;
use crate::sys::sync::{Condvar, Mutex, MutexGuard};
use crate::sys::thread::RawThread;
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

/// Runs on a pool thread with the request's token.
pub type WorkFn = fn(Token);
/// Runs on the loop thread with the request's token and status
/// (0, or `CANCELED`).
pub type DoneFn = fn(Token, i32);

/// The status a cancelled job completes with (`UV_ECANCELED`).
pub const CANCELED: i32 = -125;

const DEFAULT_THREADS: usize = 4;
const MAX_THREADS: usize = 1024;
const STACK_SIZE: usize = 8 << 20;

/// A finished job waiting for its done callback on the loop thread.
pub struct Completion {
    pub token: Token,
    pub status: i32,
    pub done: DoneFn,
}

struct Job {
    /// Submission order across both queues.
    seq: u64,
    token: Token,
    work: WorkFn,
    done: DoneFn,
    target: Arc<Shared>,
}

struct State {
    jobs: VecDeque<Job>,
    /// Slow I/O jobs, taken while fewer than `slow_limit` of them run.
    slow: VecDeque<Job>,
    slow_running: usize,
    next_seq: u64,
    /// A worker is spinning for the next job outside the lock.
    spinning: bool,
    threads: Vec<RawThread>,
    started: bool,
    shutdown: bool,
    idle: usize,
}

struct Pool {
    state: Mutex<State>,
    cond: Condvar,
}

static POOL: Pool = Pool {
    state: Mutex::new(State {
        jobs: VecDeque::new(),
        slow: VecDeque::new(),
        slow_running: 0,
        next_seq: 0,
        spinning: false,
        threads: Vec::new(),
        started: false,
        shutdown: false,
        idle: 0,
    }),
    cond: Condvar::new(),
};

fn lock() -> MutexGuard<'static, State> {
    POOL.state.lock()
}

/// The pool size `UV_THREADPOOL_SIZE` asks for, read the way libuv reads it:
/// C `atoi` (leading digits, junk ignored) into an unsigned count, so "abc"
/// means 0 and "-1" a huge number, then clamped to 1..=1024.
pub fn configured_size(env: Option<&str>) -> usize {
    let Some(text) = env else {
        return DEFAULT_THREADS;
    };
    let n = atoi(text) as u32 as usize;
    n.clamp(1, MAX_THREADS)
}

/// C's `atoi` as glibc implements it: `(int) strtol(s, NULL, 10)`.
fn atoi(text: &str) -> i32 {
    let s = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut value: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        value = value.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if negative {
        value = -value;
    }
    value as i32
}

fn start_threads(state: &mut State) {
    state.started = true;
    // A hint to spinning workers; the jobs themselves pass under the lock.
    crate::sys::valgrind::benign_race(SUBMITTED.as_ptr() as usize, 8);
    let n = configured_size(std::env::var("UV_THREADPOOL_SIZE").ok().as_deref());
    for _ in 0..n {
        let spawned = crate::sys::thread::spawn(worker, STACK_SIZE, c"libuv-worker");
        // Like libuv, a pool that cannot get its threads cannot make progress.
        match spawned {
            Ok(t) => state.threads.push(t),
            Err(_) => std::process::abort(),
        }
    }
}

thread_local! {
    /// The pool's lock, taken by the forking thread just before `fork(2)`:
    /// no worker is then inside it, so the child inherits a consistent
    /// state, and the lock held by a thread that exists there.
    static HELD_ACROSS_FORK: Cell<Option<MutexGuard<'static, State>>> = const { Cell::new(None) };
}

extern "C" fn before_fork() {
    let guard = lock();
    // Fails only while this thread's locals are being destroyed; the lock
    // is then released at once and the child resets an unlocked pool.
    let _ = HELD_ACROSS_FORK.try_with(|held| held.set(Some(guard)));
}

extern "C" fn after_fork_parent() {
    let _ = HELD_ACROSS_FORK.try_with(|held| drop(held.take()));
}

/// Forks the pool has been reset for (children of children count each).
static FORKS: AtomicU64 = AtomicU64::new(0);

/// How many times this process, or one of the ancestors it was forked
/// from, forked with the pool running: each time, threads that held locks
/// may have vanished.
pub(crate) fn forks() -> u64 {
    FORKS.load(Ordering::Acquire)
}

extern "C" fn after_fork_child() {
    FORKS.fetch_add(1, Ordering::AcqRel);
    let guard = HELD_ACROSS_FORK.try_with(|held| held.take()).ok().flatten();
    match guard {
        Some(mut s) => s.reset_after_fork(),
        // The parent's hook did not hold the lock: no thread but this one
        // exists now, so a lock that is free can be taken.
        None => {
            if let Some(mut s) = POOL.state.try_lock() {
                s.reset_after_fork();
            }
        }
    }
}

impl State {
    /// In a forked child: the workers are gone, so forget them and what
    /// they were to run; the next submission starts new ones.
    fn reset_after_fork(&mut self) {
        // The ids name threads of the parent: joining one here would act
        // on a thread that does not exist.
        self.threads.clear();
        self.jobs.clear();
        self.slow.clear();
        self.slow_running = 0;
        self.spinning = false;
        self.idle = 0;
        self.started = false;
    }

    /// The most slow I/O jobs that may run at once: half the threads,
    /// rounded up.
    fn slow_limit(&self) -> usize {
        self.threads.len().div_ceil(2).max(1)
    }

    /// The oldest job a worker may take now, and whether it is slow I/O.
    fn take(&mut self) -> Option<(Job, bool)> {
        let slow_ok = self.slow_running < self.slow_limit();
        let slow_seq = self.slow.front().filter(|_| slow_ok).map(|j| j.seq);
        match (self.jobs.front().map(|j| j.seq), slow_seq) {
            (Some(fast), Some(slow)) if slow < fast => self.slow.pop_front().map(|j| (j, true)),
            (Some(_), _) => self.jobs.pop_front().map(|j| (j, false)),
            (None, Some(_)) => self.slow.pop_front().map(|j| (j, true)),
            (None, None) => None,
        }
    }
}

/// Jobs submitted so far, readable without the lock by a spinning worker.
static SUBMITTED: AtomicU64 = AtomicU64::new(0);

/// How long a worker that just finished a job looks for the next one before
/// it sleeps. A program waiting on its results submits the next request
/// within microseconds of the last callback; finding it without a futex
/// wake halves the latency of one request in flight.
const SPIN: Duration = Duration::from_micros(50);

/// Spins until a job is submitted or `SPIN` has passed.
fn spin_for_work() {
    let seen = SUBMITTED.load(Ordering::Acquire);
    let deadline = Instant::now() + SPIN;
    loop {
        for _ in 0..64 {
            if SUBMITTED.load(Ordering::Acquire) != seen {
                return;
            }
            std::hint::spin_loop();
        }
        if Instant::now() >= deadline {
            return;
        }
    }
}

fn worker() {
    loop {
        let (job, slow) = {
            let mut s = lock();
            let mut spun = false;
            loop {
                if let Some(taken) = s.take() {
                    if taken.1 {
                        s.slow_running += 1;
                    }
                    break taken;
                }
                if s.shutdown {
                    return;
                }
                // One worker at a time spins once before sleeping; it clears
                // `spinning` under the lock and looks again, so a job queued
                // without a wakeup (see `enqueue`) is never missed.
                if !spun && !s.spinning {
                    s.spinning = true;
                    drop(s);
                    spin_for_work();
                    s = lock();
                    s.spinning = false;
                    spun = true;
                    continue;
                }
                s.idle += 1;
                s = POOL.cond.wait(s);
                s.idle -= 1;
            }
        };
        (job.work)(job.token);
        if slow {
            let mut s = lock();
            s.slow_running -= 1;
            // A slow job held back by the limit may run now.
            if !s.slow.is_empty() && s.idle > 0 {
                POOL.cond.notify_one();
            }
        }
        job.target.complete(Completion {
            token: job.token,
            status: 0,
            done: job.done,
        });
    }
}

/// Queues `work` to run on the pool; `done` follows on `target`'s loop.
pub fn submit(token: Token, work: WorkFn, done: DoneFn, target: Arc<Shared>) {
    enqueue(token, work, done, target, false);
}

/// As [`submit`], for slow I/O (DNS): such jobs use at most half of the
/// threads.
pub fn submit_slow_io(token: Token, work: WorkFn, done: DoneFn, target: Arc<Shared>) {
    enqueue(token, work, done, target, true);
}

/// Registers the fork hooks before the first thread exists. Not under the
/// pool's lock: a fork in another thread runs the hooks registered so far
/// while holding the C library's hook lock, which registering waits for.
fn install_fork_hooks() {
    static HOOKS: Once = Once::new();
    HOOKS.call_once(|| {
        // Like libuv, a pool that could not be reset in a child is not
        // worth running.
        if crate::sys::fork::at_fork(before_fork, after_fork_parent, after_fork_child).is_err() {
            std::process::abort();
        }
    });
}

fn enqueue(token: Token, work: WorkFn, done: DoneFn, target: Arc<Shared>, slow: bool) {
    install_fork_hooks();
    let mut s = lock();
    if !s.started {
        start_threads(&mut s);
    }
    let seq = s.next_seq;
    s.next_seq += 1;
    SUBMITTED.store(s.next_seq, Ordering::Release);
    let was_empty = s.jobs.is_empty() && s.slow.is_empty();
    let job = Job {
        seq,
        token,
        work,
        done,
        target,
    };
    if slow {
        s.slow.push_back(job);
    } else {
        s.jobs.push_back(job);
    }
    // A spinning worker takes the first job of an empty queue by itself.
    if s.idle > 0 && !(s.spinning && was_empty) {
        POOL.cond.notify_one();
    }
}

/// Cancels the queued job for `token`. Returns false if it is running,
/// finished or unknown; otherwise its done callback follows with `CANCELED`.
pub fn cancel(token: Token) -> bool {
    let job = {
        let mut s = lock();
        if let Some(i) = s.jobs.iter().position(|j| j.token == token) {
            s.jobs.remove(i)
        } else if let Some(i) = s.slow.iter().position(|j| j.token == token) {
            s.slow.remove(i)
        } else {
            return false;
        }
    };
    if let Some(job) = job {
        job.target.complete(Completion {
            token,
            status: CANCELED,
            done: job.done,
        });
    }
    true
}

/// Lets the threads finish the queue and joins them (`uv_library_shutdown`).
pub fn shutdown() {
    let threads = {
        let mut s = lock();
        s.shutdown = true;
        POOL.cond.notify_all();
        std::mem::take(&mut s.threads)
    };
    // The process may exit from a work callback: that thread cannot wait
    // for itself.
    for t in threads {
        if !t.is_current() {
            t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    #[test]
    fn size_follows_libuv_bounds() {
        assert_eq!(configured_size(None), 4);
        assert_eq!(configured_size(Some("0")), 1);
        assert_eq!(configured_size(Some("8")), 8);
        assert_eq!(configured_size(Some("100000")), 1024);
        assert_eq!(configured_size(Some("junk")), 1, "atoi gives 0");
        assert_eq!(configured_size(Some("2x")), 2);
        assert_eq!(configured_size(Some(" +3")), 3);
        assert_eq!(configured_size(Some("-1")), 1024, "negative wraps to huge");
    }

    static SLOW_RUNNING: AtomicUsize = AtomicUsize::new(0);
    static SLOW_PEAK: AtomicUsize = AtomicUsize::new(0);
    static SLOW_RELEASE: AtomicBool = AtomicBool::new(false);
    static FAST_RAN: AtomicBool = AtomicBool::new(false);

    fn slow_work(_: Token) {
        let now = SLOW_RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        SLOW_PEAK.fetch_max(now, Ordering::SeqCst);
        while !SLOW_RELEASE.load(Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        SLOW_RUNNING.fetch_sub(1, Ordering::SeqCst);
    }

    fn fast_work(_: Token) {
        FAST_RAN.store(true, Ordering::SeqCst);
    }

    fn ignore(_: Token, _: i32) {}

    #[test]
    fn slow_io_leaves_threads_for_other_work() {
        let lp = crate::Loop::new().unwrap();
        let shared = Arc::clone(lp.shared());
        for i in 0..8 {
            submit_slow_io(0x5000 + i, slow_work, ignore, Arc::clone(&shared));
        }
        if lock().threads.len() < 2 {
            // One thread (UV_THREADPOOL_SIZE=1) is all slow I/O may use.
            SLOW_RELEASE.store(true, Ordering::SeqCst);
            return;
        }
        submit(0x6000, fast_work, ignore, Arc::clone(&shared));
        // The fast job runs while every slow job it could wait behind blocks.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !FAST_RAN.load(Ordering::SeqCst) {
            assert!(std::time::Instant::now() < deadline, "fast job starved");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let limit = lock().slow_limit();
        assert!(SLOW_PEAK.load(Ordering::SeqCst) <= limit);
        SLOW_RELEASE.store(true, Ordering::SeqCst);
    }

    #[test]
    fn canceled_matches_errno() {
        assert_eq!(CANCELED, -rustix::io::Errno::CANCELED.raw_os_error());
    }
}
