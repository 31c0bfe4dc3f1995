//! [`Timer`]: a callback after a timeout, optionally repeating (`uv_timer_t`).

use crate::error::{Error, Result};
use crate::event_loop::{millis, HandleRef, Loop};
use rsuv_core::Kind;
use std::time::Duration;

/// A timer (`uv_timer_t`). Timers due in the same loop iteration run in
/// the order of their due times, then of their starts, as in libuv.
///
/// Dropping the timer closes it; [`Timer::close`] does too, with a callback.
pub struct Timer {
    h: HandleRef,
}

impl Timer {
    /// A new, stopped timer on `lp` (`uv_timer_init`).
    pub fn new(lp: &Loop) -> Result<Timer> {
        Ok(Timer {
            h: lp.register(Kind::Timer),
        })
    }

    /// Starts the timer (`uv_timer_start`): `callback` runs `timeout` after
    /// the loop's cached time ([`Loop::now`]), then every `repeat` if that is
    /// not zero. Starting a started timer restarts it with the new callback.
    /// Durations are counted in whole milliseconds, rounded up.
    pub fn start(
        &self,
        timeout: Duration,
        repeat: Duration,
        mut callback: impl FnMut(&Timer) + 'static,
    ) -> Result<()> {
        self.h.check_open()?;
        self.h
            .set_callback(Box::new(move |h| callback(&Timer { h: h.view() })));
        let id = self.h.id;
        self.h
            .engine()
            .timer_start(id, millis(timeout), millis(repeat));
        Ok(())
    }

    /// Stops the timer (`uv_timer_stop`); its callback stays for
    /// [`Timer::again`].
    pub fn stop(&self) {
        if !self.h.is_closing() {
            let id = self.h.id;
            self.h.engine().timer_stop(id);
        }
    }

    /// Restarts a repeating timer with its repeat as the timeout
    /// (`uv_timer_again`); `EINVAL` if it was never started.
    pub fn again(&self) -> Result<()> {
        self.h.check_open()?;
        if !self.h.was_started() {
            return Err(Error::EINVAL);
        }
        let id = self.h.id;
        self.h.engine().timer_again(id);
        Ok(())
    }

    /// Sets the repeat interval (`uv_timer_set_repeat`), used from the next
    /// time the timer fires or is started with [`Timer::again`].
    pub fn set_repeat(&self, repeat: Duration) {
        if !self.h.is_closing() {
            let id = self.h.id;
            self.h.engine().timer_set_repeat(id, millis(repeat));
        }
    }

    /// The repeat interval (`uv_timer_get_repeat`).
    pub fn repeat(&self) -> Duration {
        if self.h.is_closing() {
            return Duration::ZERO;
        }
        Duration::from_millis(self.h.lp.inner.engine.borrow().timer_repeat(self.h.id))
    }

    /// Time until the timer is due, zero if it is due or stopped
    /// (`uv_timer_get_due_in`).
    pub fn due_in(&self) -> Duration {
        if !self.h.is_active() || self.h.is_closing() {
            return Duration::ZERO;
        }
        Duration::from_millis(self.h.lp.inner.engine.borrow().timer_due_in(self.h.id))
    }
}

crate::handle::common_methods!(Timer);
