//! [`Async`]: wakes its loop from any thread (`uv_async_t`).

use crate::error::Result;
use crate::event_loop::{HandleRef, Loop};
use rsuv_core::{Kind, Shared};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// An async handle (`uv_async_t`): [`AsyncSender::send`] from any thread
/// makes its callback run on the loop's thread. Sends made before the
/// callback runs coalesce into one call, as in libuv. Active from creation.
pub struct Async {
    h: HandleRef,
    sender: AsyncSender,
}

/// Wakes an [`Async`]'s loop; `Send`, `Sync` and cheap to clone. Sending
/// after the handle closed does nothing.
#[derive(Clone)]
pub struct AsyncSender {
    pending: Arc<AtomicBool>,
    shared: Arc<Shared>,
}

impl Async {
    /// A new async handle on `lp` with its callback (`uv_async_init`).
    pub fn new(lp: &Loop, mut callback: impl FnMut(&Async) + 'static) -> Result<Async> {
        let h = lp.register(Kind::Async);
        let sender = AsyncSender {
            pending: Arc::new(AtomicBool::new(false)),
            shared: lp.inner.engine.borrow().shared().clone(),
        };
        h.set_async_pending(sender.pending.clone());
        let view_sender = sender.clone();
        h.set_callback(Box::new(move |h| {
            callback(&Async {
                h: h.view(),
                sender: view_sender.clone(),
            })
        }));
        Ok(Async { h, sender })
    }

    /// A sender for other threads.
    pub fn sender(&self) -> AsyncSender {
        self.sender.clone()
    }

    /// Sends from the loop's own thread (`uv_async_send`).
    pub fn send(&self) {
        self.sender.send();
    }
}

impl AsyncSender {
    /// Schedules the callback (`uv_async_send`): it runs once on the loop
    /// thread for any number of sends before it.
    pub fn send(&self) {
        if !self.pending.load(Ordering::Relaxed) && !self.pending.swap(true, Ordering::SeqCst) {
            self.shared.wake();
        }
    }
}

crate::handle::common_methods!(Async);
