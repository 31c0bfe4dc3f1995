//! [`Loop`]: an engine loop with the callbacks of its Rust handles, and the
//! [`Host`] through which the engine calls them.
//!
//! The engine knows a handle by a token. For C handles that is the struct's
//! address; here it is the index (plus one) of the handle's slot, which
//! holds its callbacks, and in the high half the slot's incarnation. A slot
//! is freed only after the close callback and is reborn with a new
//! incarnation, so a closed handle's value never reaches the handle that
//! reuses its slot (nor its engine record, which checks the token).

use crate::error::{Error, Result};
use rsuv_core::sys::loop_cell::LoopCell;
use rsuv_core::{CloseNote, HandleId, Host, Kind, Metrics, Token};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How [`Loop::run`] runs, as `uv_run`'s modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunMode {
    /// Until no active, referenced handle or request is left, or
    /// [`Loop::stop`].
    Default,
    /// One iteration, waiting for I/O if there is nothing to do.
    Once,
    /// One iteration without waiting.
    NoWait,
}

/// A handle's repeating callback; it gets a view of its handle.
pub(crate) type Callback = Box<dyn FnMut(&HandleRef)>;

/// What the loop keeps for one handle of this crate.
#[derive(Default)]
struct Slot {
    id: Option<HandleId>,
    /// Bumped each time the slot is freed; part of the token.
    incarnation: u32,
    /// Bumped when the callback is replaced, so a callback that replaced
    /// itself (a timer restarted from its own callback) is not put back.
    generation: u32,
    callback: Option<Callback>,
    /// A callback was ever set (it is out of the slot while it runs).
    started: bool,
    on_close: Option<Box<dyn FnOnce()>>,
    /// An async handle's send flag, shared with its senders.
    async_pending: Option<Arc<AtomicBool>>,
}

pub(crate) struct Inner {
    pub(crate) engine: LoopCell<rsuv_core::Loop>,
    slots: RefCell<Vec<Slot>>,
    free: RefCell<Vec<usize>>,
}

/// An event loop (`uv_loop_t`): libuv's loop, run on the thread that made
/// it. Cloning gives another reference to the same loop; handles keep it
/// alive too.
///
/// Callbacks run on this thread, inside [`Loop::run`], in libuv's phase
/// order: timers, pending, idle, prepare, poll, check, close.
#[derive(Clone)]
pub struct Loop {
    pub(crate) inner: Rc<Inner>,
}

impl Loop {
    /// A new loop.
    pub fn new() -> Result<Loop> {
        let engine = rsuv_core::Loop::new()?;
        Ok(Loop {
            inner: Rc::new(Inner {
                engine: LoopCell::new(engine),
                slots: RefCell::new(Vec::new()),
                free: RefCell::new(Vec::new()),
            }),
        })
    }

    /// Runs the loop in `mode` (`uv_run`); true if it is still alive, i.e.
    /// has active, referenced handles or requests.
    ///
    /// A callback may call `run` again (libuv allows it); the inner run
    /// runs the same loop.
    pub fn run(&self, mode: RunMode) -> bool {
        let mode = match mode {
            RunMode::Default => rsuv_core::RunMode::Default,
            RunMode::Once => rsuv_core::RunMode::Once,
            RunMode::NoWait => rsuv_core::RunMode::NoWait,
        };
        rsuv_core::run(&self.inner.engine, mode, &RustHost { lp: self })
    }

    /// Makes a running loop return at the end of this iteration (`uv_stop`).
    pub fn stop(&self) {
        self.inner.engine.borrow_mut().stop();
    }

    /// The loop's cached time in milliseconds (`uv_now`), updated at the
    /// start of each iteration.
    pub fn now(&self) -> u64 {
        self.inner.engine.borrow().now()
    }

    /// Brings the cached time up to date (`uv_update_time`).
    pub fn update_time(&self) {
        self.inner.engine.borrow_mut().update_time();
    }

    /// Whether the loop has active, referenced handles or requests
    /// (`uv_loop_alive`).
    pub fn alive(&self) -> bool {
        self.inner.engine.borrow().alive()
    }

    /// The loop's counters (`uv_metrics_info`).
    pub fn metrics(&self) -> Metrics {
        self.inner.engine.borrow().metrics()
    }

    /// Allocates a slot and registers a handle of `kind` with the engine.
    pub(crate) fn register(&self, kind: Kind) -> HandleRef {
        let index = self.inner.free.borrow_mut().pop().unwrap_or_else(|| {
            let mut slots = self.inner.slots.borrow_mut();
            slots.push(Slot::default());
            slots.len() - 1
        });
        let incarnation = self.inner.slots.borrow()[index].incarnation;
        let token = (incarnation as usize) << 32 | (index + 1);
        let id = self.inner.engine.borrow_mut().init_handle(token, kind);
        let mut slots = self.inner.slots.borrow_mut();
        slots[index] = Slot {
            id: Some(id),
            incarnation,
            ..Slot::default()
        };
        HandleRef {
            lp: self.clone(),
            id,
            token,
            owned: true,
        }
    }

    fn with_slot<R>(&self, token: Token, f: impl FnOnce(&mut Slot) -> R) -> Option<R> {
        let mut slots = self.inner.slots.borrow_mut();
        let index = (token as u32 as usize).wrapping_sub(1);
        let incarnation = (token >> 32) as u32;
        slots
            .get_mut(index)
            .filter(|s| s.id.is_some() && s.incarnation == incarnation)
            .map(f)
    }

    /// Calls the handle's callback with no borrow held, so it may do
    /// anything with the loop or the handle, including replace the callback.
    fn fire(&self, token: Token) {
        let Some((Some(id), generation, Some(mut callback))) =
            self.with_slot(token, |s| (s.id, s.generation, s.callback.take()))
        else {
            return;
        };
        let view = HandleRef {
            lp: self.clone(),
            id,
            token,
            owned: false,
        };
        callback(&view);
        // A callback not put back (replaced meanwhile) is dropped here, with
        // no borrow held: dropping a closure may close the handles it owns.
        let _unused = self.with_slot(token, |s| {
            if s.generation == generation && s.callback.is_none() {
                s.callback = Some(callback);
                None
            } else {
                Some(callback)
            }
        });
    }

    fn finish_close(&self, token: Token) {
        let Some(slot) = self.with_slot(token, |s| {
            let incarnation = s.incarnation.wrapping_add(1);
            std::mem::replace(
                s,
                Slot {
                    incarnation,
                    ..Slot::default()
                },
            )
        }) else {
            return;
        };
        self.inner.free.borrow_mut().push(token as u32 as usize - 1);
        let Slot {
            callback, on_close, ..
        } = slot;
        // Dropped and called with no borrow held.
        drop(callback);
        if let Some(f) = on_close {
            f();
        }
    }
}

/// Makes the engine's callbacks into this crate's closures.
struct RustHost<'a> {
    lp: &'a Loop,
}

impl Host for RustHost<'_> {
    fn sync(&self, _active_handles: u32, _active_reqs: u32) {}

    fn timer(&self, handle: Token) {
        self.lp.fire(handle);
    }

    fn watcher(&self, _kind: Kind, handle: Token) {
        self.lp.fire(handle);
    }

    fn async_wakeup(&self, handle: Token) {
        let sent = self
            .lp
            .with_slot(handle, |s| {
                s.async_pending
                    .as_ref()
                    .is_some_and(|p| p.swap(false, Ordering::SeqCst))
            })
            .unwrap_or(false);
        if sent {
            self.lp.fire(handle);
        }
    }

    fn close(&self, handle: Token, _note: CloseNote) {
        self.lp.finish_close(handle);
    }

    // No handle of this crate watches a descriptor or defers a callback
    // yet: these never come.
    fn io(&self, _kind: Kind, _handle: Token, _events: u32) {}

    fn pending(&self, _handle: Token) {}
}

/// The part every handle type shares: its loop, engine id and token.
/// An owned one closes the handle when dropped; a view (what a callback
/// gets) does not.
pub(crate) struct HandleRef {
    pub(crate) lp: Loop,
    pub(crate) id: HandleId,
    token: Token,
    owned: bool,
}

impl HandleRef {
    /// A view of the same handle, for a callback.
    pub(crate) fn view(&self) -> HandleRef {
        HandleRef {
            lp: self.lp.clone(),
            id: self.id,
            token: self.token,
            owned: false,
        }
    }

    pub(crate) fn engine(&self) -> rsuv_core::sys::loop_cell::RefMut<'_, rsuv_core::Loop> {
        self.lp.inner.engine.borrow_mut()
    }

    /// Refuses a handle whose close has begun, as libuv's calls do.
    pub(crate) fn check_open(&self) -> Result<()> {
        if self.is_closing() {
            Err(Error::EINVAL)
        } else {
            Ok(())
        }
    }

    pub(crate) fn set_callback(&self, callback: Callback) {
        // The old callback is dropped with no borrow held.
        let _old = self.lp.with_slot(self.token, |s| {
            s.generation = s.generation.wrapping_add(1);
            s.started = true;
            s.callback.replace(callback)
        });
    }

    pub(crate) fn was_started(&self) -> bool {
        self.lp
            .with_slot(self.token, |s| s.started)
            .unwrap_or(false)
    }

    pub(crate) fn set_async_pending(&self, flag: Arc<AtomicBool>) {
        self.lp
            .with_slot(self.token, |s| s.async_pending = Some(flag));
    }

    pub(crate) fn is_active(&self) -> bool {
        let l = self.lp.inner.engine.borrow();
        l.is_handle(self.id, self.token) && l.is_active(self.id)
    }

    pub(crate) fn is_closing(&self) -> bool {
        let l = self.lp.inner.engine.borrow();
        !l.is_handle(self.id, self.token) || l.is_closing(self.id)
    }

    pub(crate) fn has_ref(&self) -> bool {
        let l = self.lp.inner.engine.borrow();
        l.is_handle(self.id, self.token) && l.has_ref(self.id)
    }

    pub(crate) fn set_ref(&self, on: bool) {
        let mut l = self.engine();
        if l.is_handle(self.id, self.token) {
            if on {
                l.ref_handle(self.id);
            } else {
                l.unref_handle(self.id);
            }
        }
    }

    /// Starts closing: the handle stops now; `on_close` runs in the loop's
    /// close phase, after which the slot is free.
    pub(crate) fn close(&self, on_close: Option<Box<dyn FnOnce()>>) {
        let closing = {
            let mut l = self.engine();
            l.is_handle(self.id, self.token) && l.close(self.id, CloseNote::default())
        };
        if closing {
            self.lp.with_slot(self.token, |s| s.on_close = on_close);
        }
    }
}

impl Drop for HandleRef {
    fn drop(&mut self) {
        if self.owned {
            self.close(None);
        }
    }
}

/// Milliseconds of `d`, rounded up so a non-zero duration never becomes 0,
/// saturating at `u64::MAX`.
pub(crate) fn millis(d: Duration) -> u64 {
    let ms = d.as_nanos().div_ceil(1_000_000);
    u64::try_from(ms).unwrap_or(u64::MAX)
}
