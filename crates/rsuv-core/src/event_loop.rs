//! One event loop: its handles, timers, watcher queues, closing list and
//! poller, and `run`, which drives them in libuv 1.52's order.
//!
//! The engine never calls C directly: each callback goes through the
//! [`Host`] the C layer passes to [`run`], with the caller's struct address.
//! `run` takes the loop in a `RefCell` and holds no borrow while a callback
//! runs, so callbacks may re-enter the loop (stop a timer, close a handle,
//! even run the loop again).

use crate::handle::{HandleId, Kind, Registry, Token, ACTIVE, CLOSING, NIL, REF};
use crate::sys::clock;
use crate::sys::loop_cell::LoopCell;
use crate::sys::poller::{Poller, Waker};
use crate::sys::sync::NotedMutex;
use crate::threadpool::{self, Completion};
use crate::timer::TimerHeap;
use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// The C layer's side of the callbacks: each gets the handle's token.
pub trait Host {
    /// The loop's active handle and request counts changed; called before
    /// callbacks so C code reading the loop's public counters sees them.
    fn sync(&self, active_handles: u32, active_reqs: u32);
    fn timer(&self, handle: Token);
    /// An idle, prepare or check callback.
    fn watcher(&self, kind: Kind, handle: Token);
    /// The loop was woken: clear the async handle's pending flag and call
    /// its callback if it was set.
    fn async_wakeup(&self, handle: Token);
    /// The handle's close callback is due. `note` is what the C layer gave
    /// `Loop::close`: the handle may already be freed memory (programs free
    /// right after `uv_close(h, NULL)`), so nothing is read from it.
    fn close(&self, handle: Token, note: CloseNote);
    /// Readiness on the handle's descriptor: epoll event bits, already
    /// limited to what the handle watches (plus errors and hangups).
    fn io(&self, kind: Kind, handle: Token, events: u32);
    /// A callback the handle deferred to the pending phase (`Loop::defer`).
    fn pending(&self, handle: Token);
}

/// What the C layer needs when a closed handle's close callback is due,
/// kept by the engine with the closing handle (e.g. the callback and the
/// handle's type).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CloseNote {
    pub callback: usize,
    pub tag: u8,
}

/// A closing handle whose close callback waits for `release_close`.
#[derive(Clone, Copy)]
struct Closing {
    callback: usize,
    id: HandleId,
    tag: u8,
}

impl Closing {
    fn new(id: HandleId, note: CloseNote) -> Closing {
        Closing {
            callback: note.callback,
            id,
            tag: note.tag,
        }
    }

    fn note(&self) -> CloseNote {
        CloseNote {
            callback: self.callback,
            tag: self.tag,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunMode {
    Default,
    Once,
    NoWait,
}

/// `uv_metrics_t`'s counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    pub loop_count: u64,
    pub events: u64,
    pub events_waiting: u64,
}

/// The part of a loop other threads may touch: its wakeup and the queue of
/// finished thread-pool jobs.
///
/// Wakeups cost a system call only when needed: `wake_pending` coalesces
/// them, and `awake` tells wakers the loop thread is running and will look
/// at `wake_pending` before it next blocks. The loop clears `awake` and then
/// re-reads `wake_pending`; a waker sets `wake_pending` and then reads
/// `awake` (all SeqCst), so one of the two always sees the other.
///
/// Aligned to a cache line so the `Arc`'s reference counts, which submitters
/// and workers change, sit on a line of their own.
#[repr(align(64))]
pub struct Shared {
    waker: Waker,
    wake_pending: AtomicBool,
    awake: AtomicBool,
    /// On its own cache line: workers lock it while the loop reads the flags.
    completions: CachePadded<NotedMutex<Vec<Completion>>>,
    idle_time: AtomicU64,
    poll_entry: AtomicU64,
    /// How many forks the thread pool had seen when this was made: if it
    /// has seen more, a thread holding `completions` may not exist.
    forks: u64,
    /// The `Shared` that replaced this one (`Loop::after_fork`): a job that
    /// still holds this one posts its completion there.
    successor: OnceLock<Arc<Shared>>,
}

/// Keeps a value on a cache line of its own.
#[repr(align(64))]
struct CachePadded<T>(T);

impl Drop for Shared {
    fn drop(&mut self) {
        // The last owner may be a worker: taking the lock once orders what
        // the loop did under it before this teardown, for thread checkers
        // that do not follow the Arc's count (helgrind).
        drop(self.completions.0.lock());
    }
}

impl Shared {
    fn new(waker: Waker) -> Shared {
        Shared {
            waker,
            wake_pending: AtomicBool::new(false),
            awake: AtomicBool::new(false),
            completions: CachePadded(NotedMutex::new(Vec::new())),
            idle_time: AtomicU64::new(0),
            poll_entry: AtomicU64::new(0),
            forks: threadpool::forks(),
            successor: OnceLock::new(),
        }
    }

    /// Wakes the loop.
    pub fn wake(&self) {
        if !self.wake_pending.swap(true, Ordering::SeqCst) && !self.awake.load(Ordering::SeqCst) {
            self.waker.wake();
        }
    }

    pub(crate) fn complete(&self, c: Completion) {
        let mut done = self.completions.0.lock();
        if let Some(next) = self.successor.get() {
            drop(done);
            return next.complete(c);
        }
        done.push(c);
        drop(done);
        self.wake();
    }

    /// Whether `token`'s job was cancelled and its callback has not run yet
    /// (libuv lets it be cancelled again, successfully).
    pub fn cancel_pending(&self, token: Token) -> bool {
        self.completions
            .0
            .lock()
            .iter()
            .any(|c| c.token == token && c.status == crate::threadpool::CANCELED)
    }

    /// Nanoseconds spent blocked in the poller (`uv_metrics_idle_time`).
    pub fn idle_time(&self) -> u64 {
        let mut t = self.idle_time.load(Ordering::Acquire);
        let entry = self.poll_entry.load(Ordering::Acquire);
        if entry > 0 {
            t += clock::hrtime().saturating_sub(entry);
        }
        t
    }
}

const WAKER_TOKEN: u64 = u64::MAX;
const IDLE: usize = 0;
const PREPARE: usize = 1;
const CHECK: usize = 2;

fn watcher_queue(kind: Kind) -> Option<usize> {
    match kind {
        Kind::Idle => Some(IDLE),
        Kind::Prepare => Some(PREPARE),
        Kind::Check => Some(CHECK),
        _ => None,
    }
}

pub struct Loop {
    handles: Registry,
    time: u64,
    timer_seq: u64,
    timers: TimerHeap,
    ready: Vec<HandleId>,
    /// Started idle/prepare/check handles, newest first as in libuv.
    watchers: [VecDeque<HandleId>; 3],
    epoch: u64,
    /// Async handles in init order, which is the order a wakeup calls
    /// them in; a closed one leaves a hole (`NIL`) until holes are half.
    asyncs: Vec<HandleId>,
    async_holes: usize,
    /// The newest handle waiting for its close callback (`NIL`: none);
    /// the chain runs newest first through the records' close notes.
    closing: u32,
    /// Closing handles whose callback waits for `release_close`.
    held: Vec<Closing>,
    /// Handles with a deferred callback, in the order deferred.
    pending: VecDeque<HandleId>,
    /// The other buffer `run_pending` swaps with `pending`.
    pending_spare: VecDeque<HandleId>,
    /// Registered handles of kind `Internal`.
    internal_handles: usize,
    /// Handles whose watched events changed since the last poll.
    io_dirty: Vec<HandleId>,
    /// Which handle's registration the kernel holds for each descriptor.
    kernel_owner: Vec<u32>,
    /// Which handle watches each descriptor (`NIL`: none), as libuv allows
    /// one watcher per descriptor and loop.
    fd_owner: Vec<u32>,
    /// Readiness reports copied out of the poller, so none of the loop is
    /// borrowed while they are delivered.
    ready_io: Vec<(HandleId, u32)>,
    active_handles: u32,
    active_reqs: u32,
    stop: bool,
    metrics: Metrics,
    idle_time_metrics: bool,
    block_sigprof: bool,
    /// Descriptors registered by handles besides the loop's own waker.
    io_watchers: usize,
    poller: Poller,
    shared: Arc<Shared>,
    scratch: Vec<HandleId>,
    done_scratch: Vec<Completion>,
    /// The loop's inotify state, made by the first `uv_fs_event_start`.
    pub(crate) fs_events: Option<Box<crate::fs_event::Inotify>>,
    pub(crate) fs_polls: crate::fs_poll::Polls,
    /// The running children of the loop's process handles.
    pub(crate) children: crate::process::Children,
}

impl Loop {
    pub fn new() -> io::Result<Loop> {
        let poller = Poller::new()?;
        let waker = Waker::new()?;
        poller.add_readable(waker.fd(), WAKER_TOKEN)?;
        Ok(Loop {
            handles: Registry::new(),
            time: clock::loop_time_ms(),
            timer_seq: 0,
            timers: TimerHeap::default(),
            ready: Vec::new(),
            watchers: Default::default(),
            epoch: 0,
            asyncs: Vec::new(),
            async_holes: 0,
            closing: NIL,
            held: Vec::new(),
            pending: VecDeque::new(),
            pending_spare: VecDeque::new(),
            ready_io: Vec::new(),
            fd_owner: Vec::new(),
            io_dirty: Vec::new(),
            kernel_owner: Vec::new(),
            internal_handles: 0,
            active_handles: 0,
            active_reqs: 0,
            stop: false,
            metrics: Metrics::default(),
            idle_time_metrics: false,
            block_sigprof: false,
            io_watchers: 0,
            poller,
            shared: Arc::new(Shared::new(waker)),
            scratch: Vec::new(),
            done_scratch: Vec::new(),
            fs_events: None,
            fs_polls: crate::fs_poll::Polls::default(),
            children: crate::process::Children::default(),
        })
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    // ---- loop state ------------------------------------------------------

    pub fn now(&self) -> u64 {
        self.time
    }

    pub fn update_time(&mut self) {
        self.time = clock::loop_time_ms();
    }

    pub fn stop(&mut self) {
        self.stop = true;
    }

    pub fn active_handles(&self) -> u32 {
        self.active_handles
    }

    pub fn active_reqs(&self) -> u32 {
        self.active_reqs
    }

    /// Takes over counter values the C side may have changed: they are
    /// public fields of `uv_loop_t`, and programs do adjust them.
    pub fn adopt_counters(&mut self, active_handles: u32, active_reqs: u32) {
        self.active_handles = active_handles;
        self.active_reqs = active_reqs;
    }

    /// Handles initialized and not yet fully closed (internal ones aside).
    pub fn handle_count(&self) -> usize {
        self.handles.len() - self.internal_handles
    }

    pub fn alive(&self) -> bool {
        self.active_handles > 0
            || self.active_reqs > 0
            || !self.pending.is_empty()
            || self.closing != NIL
    }

    pub fn backend_fd(&self) -> i32 {
        self.poller.raw_fd()
    }

    /// How long the poll phase would block: -1 forever, else milliseconds.
    pub fn backend_timeout(&self) -> i32 {
        if !self.stop
            && (self.active_handles > 0 || self.active_reqs > 0)
            && self.pending.is_empty()
            && self.watchers[IDLE].is_empty()
            && self.closing == NIL
        {
            self.next_timeout()
        } else {
            0
        }
    }

    fn next_timeout(&self) -> i32 {
        match self.timers.next_due() {
            None => -1,
            Some(due) if due <= self.time => 0,
            Some(due) => (due - self.time).min(i32::MAX as u64) as i32,
        }
    }

    pub fn metrics(&self) -> Metrics {
        self.metrics
    }

    pub fn set_idle_time_metrics(&mut self, on: bool) {
        self.idle_time_metrics = on;
    }

    /// Keeps SIGPROF from interrupting the poll (`UV_LOOP_BLOCK_SIGNAL`).
    pub fn set_block_sigprof(&mut self, on: bool) {
        self.block_sigprof = on;
    }

    // ---- fork ----------------------------------------------------------------

    /// Gives the loop kernel objects of its own in a forked child
    /// (`uv_loop_fork`).
    ///
    /// The inherited epoll set, eventfd and inotify descriptors are the
    /// parent's kernel objects: reading them would take the parent's events
    /// and changing them would change the parent's loop. Each is replaced by
    /// a new one (the child's copy of the old one is only closed), and every
    /// watcher is put in the new epoll set at the next poll. Started
    /// fs_event handles are watched again; those whose path cannot be any
    /// more are stopped and returned with the error.
    ///
    /// The [`Shared`] part is replaced as well, so the C layer must take
    /// [`Loop::shared`] again: a thread that held its completion lock at the
    /// fork does not exist in the child to release it. Completions already
    /// posted, and a wakeup not yet seen, carry over to the new one, and a
    /// job still holding the old one posts to the new one (that happens
    /// only if this is called where no fork reset the thread pool).
    pub fn after_fork(&mut self) -> io::Result<Vec<(Token, rustix::io::Errno)>> {
        // The new descriptors come first: running out of them changes nothing.
        let poller = Poller::new()?;
        let waker = Waker::new()?;
        poller.add_readable(waker.fd(), WAKER_TOKEN)?;
        let inotify = self
            .fs_events
            .is_some()
            .then(crate::fs_event::new_descriptor)
            .transpose()?;

        let new = Arc::new(Shared::new(waker));
        let old = std::mem::replace(&mut self.shared, Arc::clone(&new));
        let carried = {
            let guard = if old.forks == threadpool::forks() {
                // No fork since `old` was made: whoever holds its lock is a
                // live thread and lets it go.
                Some(old.completions.0.lock())
            } else {
                // None: held at the fork by a thread the child does not
                // have, perhaps halfway through a push: what it guards can
                // be neither trusted nor freed.
                old.completions.0.try_lock()
            };
            // Jobs still holding `old` post to `new` from now on; `complete`
            // looks under the lock, so no completion falls in between.
            let _ = old.successor.set(Arc::clone(&new));
            guard.map(|mut done| std::mem::take(&mut *done))
        };
        new.idle_time
            .store(old.idle_time.load(Ordering::Acquire), Ordering::Release);
        let mut woken = old.wake_pending.load(Ordering::SeqCst);
        match carried {
            Some(done) => {
                woken |= !done.is_empty();
                *new.completions.0.lock() = done;
                drop(old);
            }
            None => std::mem::forget(old),
        }
        if woken {
            new.wake();
        }
        // Dropping the old poller closes the child's descriptor of it only.
        self.poller = poller;

        self.kernel_owner.clear();
        let ids: Vec<HandleId> = self.handles.iter().collect();
        for id in ids {
            let r = self.handles.rec_mut(id);
            r.set_kernel(NIL);
            if r.fd() >= 0 && r.interest() != 0 {
                self.mark_io_dirty(id);
            }
        }
        match inotify {
            Some(fd) => self.fs_events_after_fork(fd),
            None => Ok(Vec::new()),
        }
    }

    // ---- handles -----------------------------------------------------------

    /// Registers a new handle; async handles are active from the start.
    pub fn init_handle(&mut self, token: Token, kind: Kind) -> HandleId {
        let id = self.handles.insert(token, kind);
        if kind == Kind::Async {
            let slot = self.asyncs.len() as u32;
            self.handles.rec_mut(id).set_async_slot(slot);
            self.asyncs.push(id);
            self.activate(id);
        }
        id
    }

    /// Takes a closing async handle off the async list in O(1): its entry
    /// becomes a hole, and the list is compacted (keeping the order) once
    /// holes are half of it, so closing n handles costs O(n) in all.
    fn remove_async(&mut self, id: HandleId) {
        let slot = self.handles.rec(id).async_slot();
        if slot == NIL {
            return;
        }
        self.handles.rec_mut(id).set_async_slot(NIL);
        self.asyncs[slot as usize] = HandleId(NIL);
        self.async_holes += 1;
        if self.async_holes * 2 < self.asyncs.len() {
            return;
        }
        self.asyncs.retain(|a| a.0 != NIL);
        self.async_holes = 0;
        for (i, &a) in self.asyncs.iter().enumerate() {
            self.handles.rec_mut(a).set_async_slot(i as u32);
        }
    }

    /// Registers an internal watcher: unreferenced, invisible to `uv_walk`
    /// and to `uv_loop_close`'s busy check. Removed with `remove_internal`.
    pub fn init_internal(&mut self, token: Token) -> HandleId {
        self.init_internal_kind(token, Kind::Internal)
    }

    /// An internal timer (an fs_poll session's): as `init_internal`, but
    /// started and stopped as a timer.
    pub fn init_internal_timer(&mut self, token: Token) -> HandleId {
        self.init_internal_kind(token, Kind::Timer)
    }

    fn init_internal_kind(&mut self, token: Token, kind: Kind) -> HandleId {
        let id = self.handles.insert(token, kind);
        let r = self.handles.rec_mut(id);
        r.flags = 0;
        r.set_internal();
        self.internal_handles += 1;
        id
    }

    /// Drops an internal watcher at once (no close callback).
    pub fn remove_internal(&mut self, id: HandleId) {
        if self.handles.is_live(id) && self.handles.rec(id).is_internal() {
            self.stop_kind(id);
            self.io_close(id);
            self.handles.remove(id);
            self.internal_handles -= 1;
        }
    }

    /// Takes a handle whose init failed after registering it off the loop,
    /// as libuv takes such a handle off its queue again: `uv_walk` and
    /// `uv_loop_close` no longer see it, and it keeps nothing alive. Its
    /// record stays valid, so `uv_close` still works on it and calls back,
    /// as libuv's does on such a handle; the close phase (or the loop's
    /// end) frees it. Meant for a handle never started: its timer,
    /// loop-watcher, async and I/O state go, but a child, fs_event or
    /// fs_poll must not exist. Internal handles are left alone.
    pub fn detach_handle(&mut self, id: HandleId) {
        if !self.handles.is_live(id) || self.handles.rec(id).is_internal() {
            return;
        }
        self.stop_kind(id);
        self.io_close(id);
        self.handles.unlink(id);
    }

    /// Whether `id` is the live handle whose struct is at `token`.
    pub fn is_handle(&self, id: HandleId, token: Token) -> bool {
        self.handles.get(id, token).is_some()
    }

    fn flags(&self, id: HandleId) -> u8 {
        self.handles.rec(id).flags
    }

    pub fn is_active(&self, id: HandleId) -> bool {
        self.flags(id) & ACTIVE != 0
    }

    pub fn has_ref(&self, id: HandleId) -> bool {
        self.flags(id) & REF != 0
    }

    pub fn is_closing(&self, id: HandleId) -> bool {
        self.flags(id) & CLOSING != 0
    }

    /// Marks a handle active; it keeps the loop alive while referenced.
    pub fn activate(&mut self, id: HandleId) {
        let r = self.handles.rec_mut(id);
        if r.flags & ACTIVE != 0 {
            return;
        }
        r.flags |= ACTIVE;
        if r.flags & REF != 0 {
            self.active_handles += 1;
        }
    }

    pub fn deactivate(&mut self, id: HandleId) {
        let r = self.handles.rec_mut(id);
        if r.flags & ACTIVE == 0 {
            return;
        }
        r.flags &= !ACTIVE;
        if r.flags & REF != 0 {
            self.active_handles = self.active_handles.saturating_sub(1);
        }
    }

    pub fn ref_handle(&mut self, id: HandleId) {
        let r = self.handles.rec_mut(id);
        if r.flags & REF != 0 {
            return;
        }
        r.flags |= REF;
        if r.flags & (ACTIVE | CLOSING) == ACTIVE {
            self.active_handles += 1;
        }
    }

    pub fn unref_handle(&mut self, id: HandleId) {
        let r = self.handles.rec_mut(id);
        if r.flags & REF == 0 {
            return;
        }
        r.flags &= !REF;
        if r.flags & (ACTIVE | CLOSING) == ACTIVE {
            self.active_handles = self.active_handles.saturating_sub(1);
        }
    }

    /// Starts closing a handle: stops it now, queues its close callback,
    /// which gets `note` back. Returns false if it was closing already (if
    /// the handle's own close held it with [`Loop::close_held`], the note
    /// is kept for when it is released).
    pub fn close(&mut self, id: HandleId, note: CloseNote) -> bool {
        if !self.begin_close(id) {
            if let Some(h) = self.held.iter_mut().find(|h| h.id == id) {
                *h = Closing::new(id, note);
            }
            return false;
        }
        self.queue_close(id, note);
        true
    }

    fn queue_close(&mut self, id: HandleId, note: CloseNote) {
        let next = self.closing;
        self.handles
            .rec_mut(id)
            .set_close_entry(note.callback, note.tag, next);
        self.closing = id.0;
    }

    /// Starts closing like [`Loop::close`], but the close callback waits
    /// for [`Loop::release_close`]: for a handle with work in flight that
    /// must finish before the program may free it.
    pub fn close_held(&mut self, id: HandleId) -> bool {
        if !self.begin_close(id) {
            return false;
        }
        self.held.push(Closing::new(id, CloseNote::default()));
        true
    }

    /// Stops what the handle's kind keeps it in: the timer heap, a watcher
    /// queue, the async list, or just active.
    fn stop_kind(&mut self, id: HandleId) {
        match self.handles.rec(id).kind {
            Kind::Timer => self.timer_stop(id),
            Kind::Idle | Kind::Prepare | Kind::Check => self.watcher_stop(id),
            Kind::Async => {
                self.remove_async(id);
                self.deactivate(id);
            }
            Kind::Other | Kind::Internal => self.deactivate(id),
        }
    }

    fn begin_close(&mut self, id: HandleId) -> bool {
        if self.is_closing(id) {
            return false;
        }
        self.io_close(id);
        self.stop_kind(id);
        self.handles.rec_mut(id).flags |= CLOSING;
        true
    }

    /// Queues the close callback of a handle closed with `close_held`.
    pub fn release_close(&mut self, id: HandleId) {
        if let Some(i) = self.held.iter().position(|h| h.id == id) {
            let entry = self.held.swap_remove(i);
            self.queue_close(id, entry.note());
        }
    }

    /// Tokens of every handle not yet fully closed, in init order (`uv_walk`).
    pub fn handle_tokens(&self) -> Vec<Token> {
        self.handles
            .iter()
            .map(|id| self.handles.rec(id))
            .filter(|r| !r.is_internal())
            .map(|r| r.token)
            .collect()
    }

    /// `(token, referenced, active)` of every handle, in init order.
    pub fn handle_states(&self) -> Vec<(Token, bool, bool)> {
        self.handles
            .iter()
            .map(|id| self.handles.rec(id))
            .filter(|r| !r.is_internal())
            .map(|r| (r.token, r.flags & REF != 0, r.flags & ACTIVE != 0))
            .collect()
    }

    // ---- I/O -----------------------------------------------------------------

    /// Watches `fd` for `events` (epoll bits) on behalf of `id`, in addition
    /// to what it already watches. The handle's activity is the caller's
    /// business: a stream may watch without being active, and vice versa.
    ///
    /// Changes reach the kernel in one batch just before the poller waits,
    /// as in libuv, so a watcher stopped and restarted within an iteration
    /// costs at most one `epoll_ctl`.
    pub fn io_start(&mut self, id: HandleId, fd: i32, events: u32) -> io::Result<()> {
        if self.fd_watcher(fd).is_some_and(|w| w != id) {
            return Err(io::Error::from_raw_os_error(
                rustix::io::Errno::EXIST.raw_os_error(),
            ));
        }
        let (old_fd, old) = {
            let r = self.handles.rec(id);
            (r.fd(), r.interest())
        };
        if old_fd != fd && old_fd >= 0 {
            // Moving to another descriptor: forget the old one entirely.
            self.io_close(id);
        }
        let old = if old_fd == fd { old } else { 0 };
        let want = old | events;
        if old == 0 && want != 0 {
            self.io_watchers += 1;
            self.set_fd_watcher(fd, id.0);
        }
        self.handles.rec_mut(id).set_watch(fd, want);
        self.mark_io_dirty(id);
        Ok(())
    }

    /// Stops watching `events`. A descriptor nobody watches stays in the
    /// epoll set until it next reports (or its handle closes), which saves
    /// a remove-and-add when watching resumes soon.
    pub fn io_stop(&mut self, id: HandleId, events: u32) {
        let r = self.handles.rec(id);
        let (fd, old) = (r.fd(), r.interest());
        if old == 0 {
            return;
        }
        let want = old & !events;
        if want == 0 {
            self.io_watchers -= 1;
            self.set_fd_watcher(fd, NIL);
        }
        self.handles.rec_mut(id).set_watch(fd, want);
        self.mark_io_dirty(id);
    }

    /// Forgets the handle's descriptor before the C layer closes it: its
    /// kernel registration goes at once (a later descriptor may reuse the
    /// number).
    pub fn io_close(&mut self, id: HandleId) {
        if self.handles.rec(id).fd() < 0 && !self.handles.rec(id).pending() {
            return;
        }
        self.io_stop(id, u32::MAX);
        self.drop_kernel_registration(id);
        let r = self.handles.rec_mut(id);
        r.set_watch(-1, 0);
        if r.pending() {
            // run_pending may hold the queue; the flag is what it checks.
            r.set_pending(false);
            self.pending.retain(|&p| p != id);
        }
    }

    fn mark_io_dirty(&mut self, id: HandleId) {
        let r = self.handles.rec_mut(id);
        if !r.io_dirty() {
            r.set_io_dirty(true);
            self.io_dirty.push(id);
        }
    }

    fn kernel_owner(&self, fd: i32) -> u32 {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.kernel_owner.get(i).copied())
            .unwrap_or(NIL)
    }

    fn set_kernel_owner(&mut self, fd: i32, owner: u32) {
        let Ok(i) = usize::try_from(fd) else {
            return;
        };
        if self.kernel_owner.len() <= i {
            self.kernel_owner.resize(i + 1, NIL);
        }
        self.kernel_owner[i] = owner;
    }

    /// Removes `id`'s descriptor from the epoll set if `id` is what the
    /// kernel has registered for it.
    fn drop_kernel_registration(&mut self, id: HandleId) {
        let r = self.handles.rec(id);
        let (fd, kernel) = (r.fd(), r.kernel());
        if kernel == NIL {
            return;
        }
        if self.kernel_owner(fd) == id.0 {
            self.poller.deregister(fd);
            self.set_kernel_owner(fd, NIL);
        }
        self.handles.rec_mut(id).set_kernel(NIL);
    }

    /// Applies the watch changes made since the last poll.
    fn apply_io_changes(&mut self) {
        let mut dirty = std::mem::take(&mut self.io_dirty);
        for &id in &dirty {
            if !self.handles.is_live(id) || !self.handles.rec(id).io_dirty() {
                continue;
            }
            let r = self.handles.rec_mut(id);
            r.set_io_dirty(false);
            let (fd, want, kernel) = (r.fd(), r.interest(), r.kernel());
            if fd < 0 || want == 0 || want == kernel {
                continue;
            }
            // Another (stopped) handle may still hold the registration.
            let owner = self.kernel_owner(fd);
            if owner != NIL && owner != id.0 {
                self.handles.rec_mut(HandleId(owner)).set_kernel(NIL);
            }
            let token = u64::from(id.0);
            let in_set = owner != NIL;
            let done = if in_set {
                self.poller
                    .reregister(fd, token, want)
                    .or_else(|_| self.poller.register(fd, token, want))
            } else {
                self.poller
                    .register(fd, token, want)
                    .or_else(|_| self.poller.reregister(fd, token, want))
            };
            let r = self.handles.rec_mut(id);
            if done.is_ok() {
                r.set_kernel(want);
                self.set_kernel_owner(fd, id.0);
            } else {
                // The descriptor is gone or cannot be watched: no events.
                r.set_kernel(NIL);
            }
        }
        dirty.clear();
        if self.io_dirty.is_empty() {
            self.io_dirty = dirty;
        }
    }

    /// The handle whose watcher is started on `fd`, if any.
    pub fn fd_watcher(&self, fd: i32) -> Option<HandleId> {
        let i = usize::try_from(fd).ok()?;
        self.fd_owner
            .get(i)
            .filter(|&&w| w != NIL)
            .map(|&w| HandleId(w))
    }

    fn set_fd_watcher(&mut self, fd: i32, owner: u32) {
        let Ok(i) = usize::try_from(fd) else {
            return;
        };
        if self.fd_owner.len() <= i {
            self.fd_owner.resize(i + 1, NIL);
        }
        self.fd_owner[i] = owner;
    }

    /// Whether `fd` can be watched at all (regular files cannot: EPERM).
    pub fn io_check_fd(&self, fd: i32) -> io::Result<()> {
        if self.fd_watcher(fd).is_some() {
            return Ok(());
        }
        match self
            .poller
            .register(fd, u64::MAX - 1, crate::sys::poller::events::IN)
        {
            Ok(()) => {
                self.poller.deregister(fd);
                Ok(())
            }
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::EXIST.raw_os_error()) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The epoll events `id` watches.
    pub fn io_interest(&self, id: HandleId) -> u32 {
        self.handles.rec(id).interest()
    }

    /// Queues `id`'s pending callback for the next pending phase (once).
    pub fn defer(&mut self, id: HandleId) {
        let r = self.handles.rec_mut(id);
        if !r.pending() {
            r.set_pending(true);
            self.pending.push_back(id);
        }
    }

    // ---- requests ----------------------------------------------------------

    /// A request is in flight: it keeps the loop alive until it completes.
    pub fn req_started(&mut self) {
        self.active_reqs += 1;
    }

    /// A request's callback is about to run: it no longer keeps the loop.
    pub fn req_finished(&mut self) {
        self.active_reqs = self.active_reqs.saturating_sub(1);
    }

    /// `n` requests finished at once (a batch of completed writes).
    pub fn reqs_finished(&mut self, n: u32) {
        self.active_reqs = self.active_reqs.saturating_sub(n);
    }

    // ---- timers ------------------------------------------------------------

    pub fn timer_start(&mut self, id: HandleId, timeout: u64, repeat: u64) {
        self.timer_stop(id);
        let due = self.time.saturating_add(timeout);
        let seq = self.timer_seq;
        self.timer_seq += 1;
        self.handles.rec_mut(id).set_timer(due, repeat);
        self.timers.push(&mut self.handles, id, due, seq);
        self.activate(id);
    }

    pub fn timer_stop(&mut self, id: HandleId) {
        if self.timers.remove(&mut self.handles, id) {
            self.deactivate(id);
        }
        // A timer collected as due but not yet called back must not fire.
        self.handles.rec_mut(id).set_ready(false);
    }

    /// Restarts a repeating timer with its repeat as timeout; a timer
    /// without repeat is left as it is.
    pub fn timer_again(&mut self, id: HandleId) {
        let repeat = self.handles.rec(id).repeat();
        if repeat != 0 {
            self.timer_start(id, repeat, repeat);
        }
    }

    pub fn timer_set_repeat(&mut self, id: HandleId, repeat: u64) {
        self.handles.rec_mut(id).set_repeat(repeat);
    }

    pub fn timer_repeat(&self, id: HandleId) -> u64 {
        self.handles.rec(id).repeat()
    }

    pub fn timer_due_in(&self, id: HandleId) -> u64 {
        self.handles.rec(id).due().saturating_sub(self.time)
    }

    // ---- idle, prepare, check ----------------------------------------------

    pub fn watcher_start(&mut self, id: HandleId) {
        if self.is_active(id) {
            return;
        }
        let Some(q) = watcher_queue(self.handles.rec(id).kind) else {
            return;
        };
        let epoch = self.epoch;
        self.handles.rec_mut(id).set_start_epoch(epoch);
        self.watchers[q].push_front(id);
        self.activate(id);
    }

    pub fn watcher_stop(&mut self, id: HandleId) {
        if !self.is_active(id) {
            return;
        }
        if let Some(q) = watcher_queue(self.handles.rec(id).kind) {
            if let Some(i) = self.watchers[q].iter().position(|&h| h == id) {
                self.watchers[q].remove(i);
            }
        }
        self.deactivate(id);
    }
}

// ---- running ----------------------------------------------------------------

fn sync<H: Host>(l: &Loop, host: &H) {
    host.sync(l.active_handles, l.active_reqs);
}

/// Runs the loop (`uv_run`). Returns whether it is still alive.
pub fn run<H: Host>(lp: &LoopCell<Loop>, mode: RunMode, host: &H) -> bool {
    // Held for the whole run, let go around callbacks and blocking waits
    // (see `LoopCell`).
    let held = lp.hold();
    let was_awake = lp.borrow().shared.awake.swap(true, Ordering::SeqCst);
    let alive = run_iterations(lp, mode, host);
    // The loop's Shared as it is now: `after_fork` replaces it.
    lp.borrow().shared.awake.store(was_awake, Ordering::SeqCst);
    lp.release(held);
    alive
}

fn run_iterations<H: Host>(lp: &LoopCell<Loop>, mode: RunMode, host: &H) -> bool {
    let mut alive = {
        let mut l = lp.borrow_mut();
        let alive = l.alive();
        if !alive {
            l.update_time();
        }
        alive
    };
    // DEFAULT runs due timers before the first iteration, as libuv always has.
    if mode == RunMode::Default && alive && !lp.borrow().stop {
        lp.borrow_mut().update_time();
        run_timers(lp, host);
    }
    while alive && !lp.borrow().stop {
        let can_sleep = {
            let l = lp.borrow();
            l.pending.is_empty() && l.watchers[IDLE].is_empty()
        };
        run_pending(lp, host);
        run_watchers(lp, host, IDLE, Kind::Idle);
        run_watchers(lp, host, PREPARE, Kind::Prepare);
        let timeout = {
            let mut l = lp.borrow_mut();
            l.metrics.loop_count += 1;
            if (mode == RunMode::Once && can_sleep) || mode == RunMode::Default {
                l.backend_timeout()
            } else {
                0
            }
        };
        poll(lp, host, timeout);
        // Callbacks made ready by the poll (e.g. a write finishing), a few
        // rounds at most so they cannot starve the loop.
        for _ in 0..8 {
            if lp.borrow().pending.is_empty() {
                break;
            }
            run_pending(lp, host);
        }
        run_watchers(lp, host, CHECK, Kind::Check);
        run_closing(lp, host);
        lp.borrow_mut().update_time();
        run_timers(lp, host);
        alive = lp.borrow().alive();
        if mode != RunMode::Default {
            break;
        }
    }
    lp.borrow_mut().stop = false;
    alive
}

fn run_timers<H: Host>(lp: &LoopCell<Loop>, host: &H) {
    let mut ready = {
        let mut l = lp.borrow_mut();
        if l.timers.next_due().is_none_or(|due| due > l.time) {
            return;
        }
        let now = l.time;
        let mut ready = std::mem::take(&mut l.ready);
        while let Some(id) = {
            let l = &mut *l;
            l.timers.pop_due(&mut l.handles, now)
        } {
            l.deactivate(id);
            l.handles.rec_mut(id).set_ready(true);
            ready.push(id);
        }
        ready
    };
    for &id in &ready {
        let token = {
            let mut l = lp.borrow_mut();
            // Stopped (or restarted) by an earlier callback of this round.
            if !l.handles.is_live(id) || !l.handles.rec(id).ready() {
                continue;
            }
            l.handles.rec_mut(id).set_ready(false);
            l.timer_again(id);
            sync(&l, host);
            l.handles.rec(id).token
        };
        let _out = lp.call_out();
        host.timer(token);
    }
    ready.clear();
    let mut l = lp.borrow_mut();
    if l.ready.capacity() < ready.capacity() {
        l.ready = ready;
    }
}

fn run_watchers<H: Host>(lp: &LoopCell<Loop>, host: &H, queue: usize, kind: Kind) {
    let (mut batch, epoch) = {
        let mut l = lp.borrow_mut();
        if l.watchers[queue].is_empty() {
            return;
        }
        l.epoch += 1;
        let epoch = l.epoch;
        let mut batch = std::mem::take(&mut l.scratch);
        batch.extend(l.watchers[queue].iter().copied());
        (batch, epoch)
    };
    for &id in &batch {
        let token = {
            let l = lp.borrow();
            if !l.handles.is_live(id) {
                continue;
            }
            let r = l.handles.rec(id);
            // Stopped by an earlier callback, or started during this phase.
            if r.kind != kind || r.flags & ACTIVE == 0 || r.start_epoch() >= epoch {
                continue;
            }
            r.token
        };
        let _out = lp.call_out();
        host.watcher(kind, token);
    }
    batch.clear();
    let mut l = lp.borrow_mut();
    if l.scratch.capacity() < batch.capacity() {
        l.scratch = batch;
    }
}

fn run_pending<H: Host>(lp: &LoopCell<Loop>, host: &H) {
    // Handles deferred while this batch runs wait for the next round.
    let mut batch = {
        let mut l = lp.borrow_mut();
        if l.pending.is_empty() {
            return;
        }
        // Callbacks that defer again fill the spare queue, so a loop that
        // defers at every turn allocates nothing.
        let spare = std::mem::take(&mut l.pending_spare);
        std::mem::replace(&mut l.pending, spare)
    };
    for &id in &batch {
        let token = {
            let mut l = lp.borrow_mut();
            // Closed (and so taken off the queue) by an earlier callback.
            if !l.handles.is_live(id) || !l.handles.rec(id).pending() {
                continue;
            }
            l.handles.rec_mut(id).set_pending(false);
            sync(&l, host);
            l.handles.rec(id).token
        };
        let _out = lp.call_out();
        host.pending(token);
    }
    batch.clear();
    let mut l = lp.borrow_mut();
    if l.pending.is_empty() && l.pending.capacity() < batch.capacity() {
        std::mem::swap(&mut l.pending, &mut batch);
    }
    l.pending_spare = batch;
}

/// Runs the close callbacks queued before this phase began, newest first;
/// handles closed by those callbacks wait for the next iteration.
fn run_closing<H: Host>(lp: &LoopCell<Loop>, host: &H) {
    let mut next = std::mem::replace(&mut lp.borrow_mut().closing, NIL);
    while next != NIL {
        let id = HandleId(next);
        let (token, note) = {
            let mut l = lp.borrow_mut();
            let r = l.handles.rec(id);
            let (callback, tag, after) = r.close_entry().expect("a closing record holds its note");
            next = after;
            let token = r.token;
            l.unref_handle(id);
            l.handles.remove(id);
            sync(&l, host);
            (token, CloseNote { callback, tag })
        };
        // The record is gone first: the callback may free the struct.
        let _out = lp.call_out();
        host.close(token, note);
    }
}

/// The poll phase: waits up to `timeout` ms for I/O or a wakeup.
fn poll<H: Host>(lp: &LoopCell<Loop>, host: &H, timeout: i32) {
    {
        let l = lp.borrow();
        // Nothing but our own wakeup can be ready: its flag tells without a
        // system call.
        if timeout == 0 && l.io_watchers == 0 {
            let woken = l.shared.wake_pending.load(Ordering::Acquire);
            // (A deferred callback to run means the loop is busy, not
            // waiting: a stream writing as fast as its socket takes data
            // has a write request open at every turn.)
            let waiting_on_threads = l.active_reqs > 0 && l.pending.is_empty();
            drop(l);
            if woken {
                process_wakeup(lp, host, false, true);
            } else if waiting_on_threads {
                // A program spinning on UV_RUN_NOWAIT for thread-pool work
                // must let the workers run: under an unfair scheduler
                // (valgrind's) a loop that never enters the kernel starves
                // them. libuv pays a system call here too (epoll_wait).
                std::thread::yield_now();
            }
            return;
        }
    }
    lp.borrow_mut().apply_io_changes();
    let mut timeout = timeout;
    // With idle-time metrics on, first look without blocking, so events
    // already waiting are counted as such.
    let mut user_timeout = None;
    {
        let l = lp.borrow();
        if l.idle_time_metrics && timeout != 0 {
            user_timeout = Some(timeout);
            timeout = 0;
        }
    }
    loop {
        let (base, woken, io) = {
            let mut l = lp.borrow_mut();
            let base = l.time;
            let measure = l.idle_time_metrics && timeout != 0;
            if measure {
                l.shared
                    .poll_entry
                    .store(clock::hrtime(), Ordering::Release);
            }
            if timeout != 0 {
                // About to block: from here on wakers must use the eventfd,
                // unless they already raised the flag.
                l.shared.awake.store(false, Ordering::SeqCst);
                if l.shared.wake_pending.load(Ordering::SeqCst) {
                    l.shared.awake.store(true, Ordering::SeqCst);
                    l.shared.poll_entry.store(0, Ordering::Release);
                    drop(l);
                    process_wakeup(lp, host, false, false);
                    return;
                }
            }
            let block = l.block_sigprof;
            let mut woken = false;
            let mut io = std::mem::take(&mut l.ready_io);
            let waited = if timeout == 0 {
                l.poller.wait(timeout, block).is_ok()
            } else {
                // Blocking: let go of the loop meanwhile, so other threads
                // may start and stop handles as libuv lets them.
                let mut wait = l.poller.begin_wait();
                drop(l);
                let out = lp.release_while();
                let r = wait.wait(timeout, block);
                drop(out);
                l = lp.borrow_mut();
                l.poller.end_wait(wait);
                r.is_ok()
            };
            if waited {
                for r in l.poller.ready() {
                    if r.token == WAKER_TOKEN {
                        woken |= r.readable();
                    } else {
                        io.push((HandleId(r.token as u32), r.events));
                    }
                }
            }
            l.shared.awake.store(true, Ordering::SeqCst);
            if measure {
                let entry = l.shared.poll_entry.swap(0, Ordering::AcqRel);
                if entry > 0 {
                    let spent = clock::hrtime().saturating_sub(entry);
                    l.shared.idle_time.fetch_add(spent, Ordering::AcqRel);
                }
            }
            l.update_time();
            let nevents = io.len() as u64 + u64::from(woken);
            l.metrics.events += io.len() as u64;
            // Found by the metrics' first, non-blocking look.
            if user_timeout.is_some() {
                l.metrics.events_waiting += nevents;
            }
            (base, woken, io)
        };
        let had_io = !io.is_empty();
        deliver_io(lp, host, io);
        if woken {
            process_wakeup(lp, host, true, timeout == 0);
        }
        if woken || had_io {
            return;
        }
        if let Some(t) = user_timeout.take() {
            timeout = t;
            continue;
        }
        match timeout {
            0 => return,
            -1 => continue,
            _ => {
                // Woken early (a signal, or the coarse clock): wait out the rest.
                let elapsed = lp.borrow().time.saturating_sub(base);
                let left = i64::from(timeout) - elapsed as i64;
                if left <= 0 {
                    return;
                }
                timeout = left as i32;
            }
        }
    }
}

/// Calls back each handle with its readiness, skipping what a callback
/// earlier in the batch stopped watching (or closed).
fn deliver_io<H: Host>(lp: &LoopCell<Loop>, host: &H, mut io: Vec<(HandleId, u32)>) {
    use crate::sys::poller::events::{ERR, HUP, IN, OUT, PRI, RDHUP};
    for &(id, events) in &io {
        let delivery = {
            let l = lp.borrow();
            if !l.handles.is_live(id) {
                continue;
            }
            let r = l.handles.rec(id);
            if r.interest() == 0 {
                // Stopped watching since it registered: now it leaves the set.
                drop(l);
                lp.borrow_mut().drop_kernel_registration(id);
                continue;
            }
            let mut events = events & (r.interest() | ERR | HUP);
            if events == 0 {
                continue;
            }
            // epoll may report a bare error or hangup; hand it to the
            // watcher's read/write paths, which then see the failure, as
            // libuv does.
            if events == ERR || events == HUP {
                events |= r.interest() & (IN | OUT | RDHUP | PRI);
            }
            sync(&l, host);
            (r.token, events, r.kind)
        };
        let _out = lp.call_out();
        host.io(delivery.2, delivery.0, delivery.1);
    }
    io.clear();
    let mut l = lp.borrow_mut();
    if l.ready_io.capacity() < io.capacity() {
        l.ready_io = io;
    }
}

/// Delivers finished thread-pool jobs, then the async handles' callbacks.
/// `drain`: the poller reported the eventfd readable.
/// `found_waiting`: the wakeup was found by a look that did not block; the
/// metrics then count its completions as events that were waiting.
fn process_wakeup<H: Host>(lp: &LoopCell<Loop>, host: &H, drain: bool, found_waiting: bool) {
    let mut done = {
        let mut l = lp.borrow_mut();
        // Drain before clearing the flag: a waker that sets the flag after
        // this point may write the eventfd, and that write must survive.
        l.shared.waker.drain(drain);
        l.shared.wake_pending.store(false, Ordering::SeqCst);
        l.metrics.events += 1;
        let mut done = std::mem::take(&mut l.done_scratch);
        std::mem::swap(&mut done, &mut *l.shared.completions.0.lock());
        l.active_reqs = l.active_reqs.saturating_sub(done.len() as u32);
        // As in libuv, each finished request is an event; the wakeup that
        // brought them was counted already.
        let extra = (done.len() as u64).saturating_sub(1);
        l.metrics.events += extra;
        if found_waiting {
            l.metrics.events_waiting += extra;
        }
        sync(&l, host);
        done
    };
    for c in done.drain(..) {
        let _out = lp.call_out();
        (c.done)(c.token, c.status);
    }
    let mut batch = {
        let mut l = lp.borrow_mut();
        if l.done_scratch.capacity() < done.capacity() {
            l.done_scratch = done;
        }
        let mut batch = std::mem::take(&mut l.scratch);
        batch.extend(l.asyncs.iter().copied().filter(|a| a.0 != NIL));
        batch
    };
    for &id in &batch {
        let token = {
            let l = lp.borrow();
            if !l.handles.is_live(id) || l.handles.rec(id).kind != Kind::Async || l.is_closing(id) {
                continue;
            }
            l.handles.rec(id).token
        };
        let _out = lp.call_out();
        host.async_wakeup(token);
    }
    batch.clear();
    let mut l = lp.borrow_mut();
    if l.scratch.capacity() < batch.capacity() {
        l.scratch = batch;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    type Action<'a> = Box<dyn Fn(&LoopCell<Loop>, &'static str, Token) + 'a>;

    /// Records callbacks as (kind, token) and runs a per-token action with
    /// the loop, the way C callbacks re-enter it.
    struct TestHost<'a> {
        lp: &'a LoopCell<Loop>,
        log: RefCell<Vec<(&'static str, Token)>>,
        action: Action<'a>,
    }

    impl<'a> TestHost<'a> {
        fn new(lp: &'a LoopCell<Loop>) -> Self {
            Self::with(lp, |_, _, _| {})
        }
        fn with(
            lp: &'a LoopCell<Loop>,
            f: impl Fn(&LoopCell<Loop>, &'static str, Token) + 'a,
        ) -> Self {
            TestHost {
                lp,
                log: RefCell::new(Vec::new()),
                action: Box::new(f),
            }
        }
        fn record(&self, what: &'static str, t: Token) {
            self.log.borrow_mut().push((what, t));
            (self.action)(self.lp, what, t);
        }
        fn take(&self) -> Vec<(&'static str, Token)> {
            std::mem::take(&mut self.log.borrow_mut())
        }
    }

    impl Host for TestHost<'_> {
        fn sync(&self, _: u32, _: u32) {}
        fn timer(&self, t: Token) {
            self.record("timer", t)
        }
        fn watcher(&self, kind: Kind, t: Token) {
            let what = match kind {
                Kind::Idle => "idle",
                Kind::Prepare => "prepare",
                _ => "check",
            };
            self.record(what, t)
        }
        fn async_wakeup(&self, t: Token) {
            self.record("async", t)
        }
        fn io(&self, _: Kind, t: Token, _: u32) {
            self.record("io", t)
        }
        fn pending(&self, t: Token) {
            self.record("pending", t)
        }
        fn close(&self, t: Token, _: CloseNote) {
            self.record("close", t)
        }
    }

    fn new_loop() -> LoopCell<Loop> {
        LoopCell::new(Loop::new().unwrap())
    }

    #[test]
    fn empty_loop_returns_at_once() {
        let lp = new_loop();
        let host = TestHost::new(&lp);
        assert!(!run(&lp, RunMode::Default, &host));
        assert!(host.take().is_empty());
    }

    #[test]
    fn equal_timers_fire_in_start_order_and_repeat() {
        let lp = new_loop();
        let (a, b, c) = {
            let mut l = lp.borrow_mut();
            let a = l.init_handle(1, Kind::Timer);
            let b = l.init_handle(2, Kind::Timer);
            let c = l.init_handle(3, Kind::Timer);
            l.timer_start(b, 0, 0);
            l.timer_start(a, 0, 0);
            l.timer_start(c, 0, 1);
            (a, b, c)
        };
        let host = TestHost::new(&lp);
        assert!(
            run(&lp, RunMode::NoWait, &host),
            "repeating timer keeps it alive"
        );
        assert_eq!(host.take(), vec![("timer", 2), ("timer", 1), ("timer", 3)]);
        let mut l = lp.borrow_mut();
        assert!(!l.is_active(a) && !l.is_active(b) && l.is_active(c));
        l.timer_stop(c);
        assert!(!l.alive());
    }

    #[test]
    fn timer_stopped_by_earlier_callback_does_not_fire() {
        let lp = new_loop();
        let b = {
            let mut l = lp.borrow_mut();
            let a = l.init_handle(1, Kind::Timer);
            let b = l.init_handle(2, Kind::Timer);
            l.timer_start(a, 0, 0);
            l.timer_start(b, 0, 0);
            b
        };
        let host = TestHost::with(&lp, move |lp, _, t| {
            if t == 1 {
                lp.borrow_mut().timer_stop(b);
            }
        });
        run(&lp, RunMode::Default, &host);
        assert_eq!(host.take(), vec![("timer", 1)]);
    }

    #[test]
    fn detached_handles_are_unseen_but_closable() {
        let lp = new_loop();
        let other = {
            let mut l = lp.borrow_mut();
            let kept = l.init_handle(1, Kind::Other);
            let other = l.init_handle(2, Kind::Other);
            let timer = l.init_handle(3, Kind::Timer);
            let asy = l.init_handle(4, Kind::Async);
            l.timer_start(timer, 0, 0);
            l.detach_handle(other);
            l.detach_handle(timer);
            l.detach_handle(asy);
            // Twice, or on an internal handle: nothing more happens.
            l.detach_handle(other);
            let internal = l.init_internal(5);
            l.detach_handle(internal);
            assert_eq!(l.handle_tokens(), vec![1]);
            assert_eq!(l.handle_count(), 1);
            assert_eq!(l.active_handles(), 0);
            assert!(l.is_handle(kept, 1));
            assert!(l.is_handle(other, 2));
            other
        };
        // No timer or async is left to call back.
        let host = TestHost::new(&lp);
        assert!(!run(&lp, RunMode::NoWait, &host));
        assert!(host.take().is_empty());
        // Closing one works as for any handle, and frees its record.
        lp.borrow_mut().close(other, Default::default());
        run(&lp, RunMode::NoWait, &host);
        assert_eq!(host.take(), vec![("close", 2)]);
        let l = lp.borrow();
        assert!(!l.is_handle(other, 2));
        assert_eq!(l.handle_tokens(), vec![1]);
    }

    #[test]
    fn phases_run_in_libuv_order_and_close_runs_newest_first() {
        let lp = new_loop();
        {
            let mut l = lp.borrow_mut();
            let i = l.init_handle(10, Kind::Idle);
            let p = l.init_handle(20, Kind::Prepare);
            let c = l.init_handle(30, Kind::Check);
            let t = l.init_handle(40, Kind::Timer);
            l.watcher_start(c);
            l.watcher_start(p);
            l.watcher_start(i);
            l.timer_start(t, 0, 0);
        }
        // The first callback closes everything, so the iteration ends the run.
        let host = TestHost::with(&lp, |lp, what, _| {
            if what == "timer" {
                let mut l = lp.borrow_mut();
                let ids: Vec<_> = l.handles.iter().collect();
                for id in ids {
                    l.close(id, Default::default());
                }
            }
        });
        // NOWAIT does not run the pre-loop timers: one whole iteration.
        run(&lp, RunMode::NoWait, &host);
        assert_eq!(
            host.take(),
            vec![("idle", 10), ("prepare", 20), ("check", 30), ("timer", 40)]
        );
        run(&lp, RunMode::NoWait, &host);
        assert_eq!(
            host.take(),
            vec![("close", 40), ("close", 30), ("close", 20), ("close", 10)]
        );
        assert_eq!(lp.borrow().handle_count(), 0);
    }

    #[test]
    fn watchers_run_newest_first_and_late_starters_wait() {
        let lp = new_loop();
        let late = {
            let mut l = lp.borrow_mut();
            let a = l.init_handle(1, Kind::Idle);
            let b = l.init_handle(2, Kind::Idle);
            let late = l.init_handle(3, Kind::Idle);
            l.watcher_start(a);
            l.watcher_start(b);
            late
        };
        let host = TestHost::with(&lp, move |lp, _, t| {
            if t == 2 {
                lp.borrow_mut().watcher_start(late);
            }
        });
        run(&lp, RunMode::NoWait, &host);
        assert_eq!(host.take(), vec![("idle", 2), ("idle", 1)]);
        run(&lp, RunMode::NoWait, &host);
        assert_eq!(host.take(), vec![("idle", 3), ("idle", 2), ("idle", 1)]);
    }

    #[test]
    fn unref_handle_does_not_keep_loop_alive() {
        let lp = new_loop();
        {
            let mut l = lp.borrow_mut();
            let t = l.init_handle(1, Kind::Timer);
            l.timer_start(t, 60_000, 0);
            assert!(l.alive());
            l.unref_handle(t);
            assert!(!l.alive());
            assert!(l.is_active(t));
        }
        let host = TestHost::new(&lp);
        assert!(!run(&lp, RunMode::Default, &host));
    }

    #[test]
    fn backend_timeout_follows_libuv() {
        let lp = new_loop();
        let mut l = lp.borrow_mut();
        assert_eq!(l.backend_timeout(), 0, "nothing active");
        let a = l.init_handle(1, Kind::Async);
        assert_eq!(l.backend_timeout(), -1, "active, no timers");
        let t = l.init_handle(2, Kind::Timer);
        l.timer_start(t, 5_000, 0);
        let left = l.backend_timeout();
        assert!(left > 4_000 && left <= 5_000);
        let i = l.init_handle(3, Kind::Idle);
        l.watcher_start(i);
        assert_eq!(l.backend_timeout(), 0, "idle handles keep polling");
        l.watcher_stop(i);
        l.close(a, Default::default());
        assert_eq!(l.backend_timeout(), 0, "closing handles keep polling");
    }

    #[test]
    fn async_wakeup_from_another_thread_unblocks_poll() {
        let lp = new_loop();
        let shared = {
            let mut l = lp.borrow_mut();
            l.init_handle(7, Kind::Async);
            Arc::clone(l.shared())
        };
        let t = std::thread::spawn(move || shared.wake());
        let host = TestHost::with(&lp, |lp, _, t| {
            let mut l = lp.borrow_mut();
            let ids: Vec<_> = l.handles.iter().collect();
            if t == 7 {
                for id in ids {
                    l.close(id, Default::default());
                }
            }
        });
        assert!(!run(&lp, RunMode::Default, &host));
        t.join().unwrap();
        assert_eq!(host.take(), vec![("async", 7), ("close", 7)]);
    }

    #[test]
    fn watch_changes_apply_at_poll_and_survive_handover_and_reuse() {
        use crate::sys::poller::events::IN;
        use rustix::fd::AsRawFd;
        let lp = new_loop();
        let host = TestHost::new(&lp);
        let (r, w) = rustix::pipe::pipe().unwrap();
        let fd = r.as_raw_fd();
        let a = {
            let mut l = lp.borrow_mut();
            let a = l.init_handle(1, Kind::Other);
            l.activate(a);
            l.io_start(a, fd, IN).unwrap();
            // Stop and restart before any poll: one registration results.
            l.io_stop(a, IN);
            l.io_start(a, fd, IN).unwrap();
            a
        };
        rustix::io::write(&w, b"x").unwrap();
        run(&lp, RunMode::NoWait, &host);
        assert_eq!(host.take(), vec![("io", 1)]);

        // A stopped watcher hears nothing; another handle may take the fd.
        let b = {
            let mut l = lp.borrow_mut();
            l.io_stop(a, IN);
            let b = l.init_handle(2, Kind::Other);
            l.activate(b);
            assert!(l.io_start(a, fd, IN).is_ok());
            l.io_stop(a, IN);
            l.io_start(b, fd, IN).unwrap();
            b
        };
        run(&lp, RunMode::NoWait, &host);
        assert_eq!(host.take(), vec![("io", 2)]);

        // Close b's descriptor and watch a new one (often the same number:
        // other tests open descriptors concurrently, so that isn't asserted).
        lp.borrow_mut().io_close(b);
        drop(r);
        drop(w);
        let (r2, w2) = rustix::pipe::pipe().unwrap();
        lp.borrow_mut().io_start(a, r2.as_raw_fd(), IN).unwrap();
        rustix::io::write(&w2, b"y").unwrap();
        run(&lp, RunMode::NoWait, &host);
        assert_eq!(host.take(), vec![("io", 1)]);
        let mut l = lp.borrow_mut();
        l.io_close(a);
        l.deactivate(a);
        l.deactivate(b);
    }

    /// `after_fork` needs no fork to be checked: it must leave the loop
    /// working on new kernel objects, whatever was registered, pending or
    /// posted before.
    #[test]
    fn after_fork_moves_to_new_kernel_objects_and_keeps_what_was_owed() {
        use crate::sys::poller::events::IN;
        use rustix::fd::AsRawFd;
        use std::sync::atomic::AtomicUsize;
        let lp = new_loop();
        let host = TestHost::new(&lp);
        let (r, w) = rustix::pipe::pipe().unwrap();
        let (old_fd, old_shared, a) = {
            let mut l = lp.borrow_mut();
            let a = l.init_handle(1, Kind::Other);
            l.activate(a);
            l.io_start(a, r.as_raw_fd(), IN).unwrap();
            l.init_handle(2, Kind::Async);
            (l.backend_fd(), Arc::clone(l.shared()), a)
        };
        // Registered with the kernel before the "fork".
        run(&lp, RunMode::NoWait, &host);
        assert!(host.take().is_empty());
        // A wakeup raised and a job finished, neither seen yet.
        old_shared.wake();
        fn noted(t: Token, status: i32) {
            assert_eq!(status, 0);
            DONE_AFTER_FORK.fetch_or(t, Ordering::SeqCst);
        }
        static DONE_AFTER_FORK: AtomicUsize = AtomicUsize::new(0);
        let finished = |token| Completion {
            token,
            status: 0,
            done: noted,
        };
        lp.borrow_mut().req_started();
        old_shared.complete(finished(1));

        let lost = lp.borrow_mut().after_fork().unwrap();
        // A job that still held the old Shared (no fork happened, so the
        // pool's threads are alive) finishes afterwards.
        lp.borrow_mut().req_started();
        old_shared.complete(finished(2));
        assert!(lost.is_empty());
        let (new_fd, new_shared) = {
            let l = lp.borrow();
            (l.backend_fd(), Arc::clone(l.shared()))
        };
        assert_ne!(new_fd, old_fd, "a new epoll set");
        assert!(!Arc::ptr_eq(&new_shared, &old_shared));
        drop(old_shared);
        // The old Shared (and its eventfd) went with the loop's reference.
        assert_eq!(Arc::strong_count(&new_shared), 2);

        // The carried wakeup and completion are delivered, and the old
        // registration came back in the new set.
        rustix::io::write(&w, b"x").unwrap();
        run(&lp, RunMode::NoWait, &host);
        assert_eq!(host.take(), vec![("io", 1), ("async", 2)]);
        assert_eq!(DONE_AFTER_FORK.load(Ordering::SeqCst), 3);
        assert_eq!(lp.borrow().active_reqs(), 0);

        // Wakeups from another thread reach the new eventfd.
        let t = std::thread::spawn(move || new_shared.wake());
        {
            let mut l = lp.borrow_mut();
            l.io_close(a);
            l.deactivate(a);
        }
        let host = TestHost::with(&lp, |lp, what, _| {
            if what == "async" {
                let mut l = lp.borrow_mut();
                let ids: Vec<_> = l.handles.iter().collect();
                for id in ids {
                    l.close(id, Default::default());
                }
            }
        });
        assert!(!run(&lp, RunMode::Default, &host));
        t.join().unwrap();
        assert_eq!(host.take(), vec![("async", 2), ("close", 2), ("close", 1)]);
    }

    #[test]
    fn stop_ends_run_after_the_iteration() {
        let lp = new_loop();
        {
            let mut l = lp.borrow_mut();
            let i = l.init_handle(1, Kind::Idle);
            l.watcher_start(i);
        }
        let host = TestHost::with(&lp, |lp, _, _| lp.borrow_mut().stop());
        assert!(run(&lp, RunMode::Default, &host));
        assert_eq!(host.take().len(), 1);
        assert!(!lp.borrow().stop, "the stop flag is cleared on return");
    }
}

#[cfg(test)]
mod wakeup_stress {
    use super::*;
    use crate::threadpool;
    use std::sync::atomic::AtomicUsize;
    use std::time::{Duration, Instant};

    static DONE: AtomicUsize = AtomicUsize::new(0);

    fn work(_: Token) {}
    fn done(_: Token, status: i32) {
        assert_eq!(status, 0);
        DONE.fetch_add(1, Ordering::SeqCst);
    }

    struct Quiet;
    impl Host for Quiet {
        fn sync(&self, _: u32, _: u32) {}
        fn timer(&self, _: Token) {}
        fn watcher(&self, _: Kind, _: Token) {}
        fn async_wakeup(&self, _: Token) {}
        fn io(&self, _: Kind, _: Token, _: u32) {}
        fn pending(&self, _: Token) {}
        fn close(&self, _: Token, _: CloseNote) {}
    }

    /// Completions landing while the loop drains earlier ones must never be
    /// left without a wakeup (the loop would sleep with work pending).
    #[test]
    fn no_completion_is_left_without_a_wakeup() {
        const JOBS: usize = 200_000;
        let lp = LoopCell::new(Loop::new().unwrap());
        {
            let mut l = lp.borrow_mut();
            // Bounds every blocking poll, so a lost wakeup fails the test
            // instead of hanging it.
            let guard = l.init_handle(1, Kind::Timer);
            l.timer_start(guard, 2_000, 2_000);
            l.unref_handle(guard);
            for i in 0..JOBS {
                l.req_started();
                threadpool::submit(i + 16, work, done, Arc::clone(l.shared()));
            }
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        // A lost wakeup is never recovered (the guard timer wakes the loop
        // but nothing re-arms the eventfd), so the deadline is generous:
        // a working loop needs about a second.
        while DONE.load(Ordering::SeqCst) < JOBS {
            run(&lp, RunMode::Once, &Quiet);
            assert!(
                Instant::now() < deadline,
                "stuck with {} of {JOBS} completions delivered",
                DONE.load(Ordering::SeqCst)
            );
        }
        assert_eq!(lp.borrow().active_reqs(), 0);
    }
}
