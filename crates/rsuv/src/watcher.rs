//! [`Idle`], [`Prepare`] and [`Check`]: callbacks once per loop iteration,
//! before or after the poll for I/O (`uv_idle_t`, `uv_prepare_t`,
//! `uv_check_t`).

use crate::error::Result;
use crate::event_loop::{HandleRef, Loop};
use rsuv_core::Kind;

macro_rules! watcher {
    ($(#[$doc:meta])* $t:ident, $kind:expr, $c:literal) => {
        $(#[$doc])*
        pub struct $t {
            h: HandleRef,
        }

        impl $t {
            #[doc = concat!("A new, stopped handle on `lp` (`uv_", $c, "_init`).")]
            pub fn new(lp: &Loop) -> Result<$t> {
                Ok($t {
                    h: lp.register($kind),
                })
            }

            #[doc = concat!("Starts calling `callback` every iteration (`uv_", $c, "_start`); ")]
            /// a started handle keeps its first callback, as in libuv.
            pub fn start(&self, mut callback: impl FnMut(&$t) + 'static) -> Result<()> {
                self.h.check_open()?;
                if self.h.is_active() {
                    return Ok(());
                }
                self.h
                    .set_callback(Box::new(move |h| callback(&$t { h: h.view() })));
                let id = self.h.id;
                self.h.engine().watcher_start(id);
                Ok(())
            }

            #[doc = concat!("Stops the calls (`uv_", $c, "_stop`).")]
            pub fn stop(&self) {
                if !self.h.is_closing() {
                    let id = self.h.id;
                    self.h.engine().watcher_stop(id);
                }
            }
        }

        crate::handle::common_methods!($t);
    };
}

watcher!(
    /// Runs its callback once per iteration, before prepare; while one is
    /// active the poll does not block (`uv_idle_t`).
    Idle,
    Kind::Idle,
    "idle"
);
watcher!(
    /// Runs its callback once per iteration, just before the poll for I/O
    /// (`uv_prepare_t`).
    Prepare,
    Kind::Prepare,
    "prepare"
);
watcher!(
    /// Runs its callback once per iteration, just after the poll for I/O
    /// (`uv_check_t`).
    Check,
    Kind::Check,
    "check"
);
