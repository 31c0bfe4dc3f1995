//! `uv_fs_poll`'s engine: the polling sessions of each handle, and the rule
//! for what a new stat result tells the program.
//!
//! A session is one start..stop period of a handle. While it is the
//! handle's current session it owns an internal timer record (invisible to
//! `uv_walk`, never keeping the loop alive) and has at most one stat in
//! flight on the thread pool; the next stat is due `interval` ms after the
//! previous one was submitted, as in libuv. The session is known by a token
//! for the C layer's memory of it, which is also the timer's token and the
//! thread-pool job's.
//!
//! A session stopped with its stat in flight lingers, inert, until the stat
//! returns: the C layer frees its memory only when told to. A handle closed
//! meanwhile is closed with [`Loop::close_held`], so its close callback
//! waits for the last lingering stat, as in libuv (whose poll context
//! outlives the stop). The program may free the handle right after that
//! callback; by then nothing refers to it.

use crate::fs::Stat;
use crate::handle::{HandleId, Token};
use crate::Loop;
use rustix::io::Errno;
use std::collections::HashMap;

/// A change (or a new error) to report: `uv_fs_poll_cb`'s arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    /// 0, or the stat's error as a negative errno.
    pub status: i32,
    pub prev: Stat,
    /// Zeroed when `status` is an error.
    pub curr: Stat,
}

/// What the previous stat gave (libuv's `busy_polling`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Last {
    #[default]
    Nothing,
    Stat,
    Error(i32),
}

/// Decides which stat results are reported: the first success only sets
/// the baseline; a difference in a compared field is a change; an error is
/// reported once, again only when it turns into another error, and the
/// recovery from it is always reported.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tracker {
    last: Last,
    /// The last successful stat (zeroed before the first).
    prev: Stat,
}

impl Tracker {
    pub fn observe(&mut self, result: Result<Stat, Errno>) -> Option<Report> {
        match result {
            Err(e) => {
                let status = -e.raw_os_error();
                if self.last == Last::Error(status) {
                    return None;
                }
                self.last = Last::Error(status);
                Some(Report {
                    status,
                    prev: self.prev,
                    curr: Stat::default(),
                })
            }
            Ok(curr) => {
                let report = match self.last {
                    Last::Nothing => None,
                    Last::Error(_) => Some(()),
                    Last::Stat if !same(&self.prev, &curr) => Some(()),
                    Last::Stat => None,
                }
                .map(|()| Report {
                    status: 0,
                    prev: self.prev,
                    curr,
                });
                self.prev = curr;
                self.last = Last::Stat;
                report
            }
        }
    }
}

/// libuv's comparison: the link count, block counts and access time may
/// change without counting as a change.
fn same(a: &Stat, b: &Stat) -> bool {
    a.ctime == b.ctime
        && a.mtime == b.mtime
        && a.birthtime == b.birthtime
        && a.size == b.size
        && a.mode == b.mode
        && a.uid == b.uid
        && a.gid == b.gid
        && a.ino == b.ino
        && a.dev == b.dev
        && a.flags == b.flags
        && a.gen == b.gen
}

/// The wait before the next stat, so stats stay `interval` apart however
/// long one takes (libuv subtracts the time since the last submission,
/// modulo the interval).
pub fn next_delay(interval: u64, submitted: u64, now: u64) -> u64 {
    let interval = interval.max(1);
    interval - now.saturating_sub(submitted) % interval
}

struct Session {
    handle: HandleId,
    /// Cleared by stop: the session lingers only for its stat in flight.
    current: bool,
    /// Between the submission of a stat and the end of the callback that
    /// reports its result.
    busy: bool,
    timer: Option<HandleId>,
    interval: u64,
    submitted: u64,
    tracker: Tracker,
}

/// Every session of one loop.
#[derive(Default)]
pub struct Polls {
    sessions: HashMap<Token, Session>,
    /// Each polling handle's current session.
    current: HashMap<HandleId, Token>,
    /// Sessions of each handle, current or lingering.
    count: HashMap<HandleId, u32>,
}

impl Loop {
    /// Starts a session for the fs_poll handle `id` and marks the handle
    /// active; false (and nothing done) if it is polling already.
    /// `session` is the C layer's memory for it, unique while it lives. The
    /// first stat is due at once: the caller submits it.
    pub fn fs_poll_start(&mut self, id: HandleId, session: Token, interval: u32) -> bool {
        if self.fs_polls.current.contains_key(&id) {
            return false;
        }
        let timer = self.init_internal_timer(session);
        let now = self.now();
        let polls = &mut self.fs_polls;
        polls.sessions.insert(
            session,
            Session {
                handle: id,
                current: true,
                busy: true,
                timer: Some(timer),
                interval: u64::from(interval.max(1)),
                submitted: now,
                tracker: Tracker::default(),
            },
        );
        polls.current.insert(id, session);
        *polls.count.entry(id).or_insert(0) += 1;
        self.activate(id);
        true
    }

    /// The current session of `id`, if it is polling.
    pub fn fs_poll_session(&self, id: HandleId) -> Option<Token> {
        self.fs_polls.current.get(&id).copied()
    }

    /// Stops `id`'s current session and deactivates the handle. Returns the
    /// session the caller must free now; one with its stat in flight
    /// lingers until [`Loop::fs_poll_continue`] says so instead.
    pub fn fs_poll_stop(&mut self, id: HandleId) -> Option<Token> {
        self.deactivate(id);
        let session = self.fs_polls.current.remove(&id)?;
        let s = self.fs_polls.sessions.get_mut(&session)?;
        s.current = false;
        let timer = s.timer.take();
        let busy = s.busy;
        if let Some(t) = timer {
            self.timer_stop(t);
            self.remove_internal(t);
        }
        if busy {
            return None;
        }
        self.end_session(session);
        Some(session)
    }

    /// The fs_poll part of `uv_close`: stops the handle and, while a stat
    /// of any of its sessions is in flight, holds its close callback back.
    /// Returns a session to free now, as `fs_poll_stop`.
    pub fn fs_poll_close(&mut self, id: HandleId) -> Option<Token> {
        let free = self.fs_poll_stop(id);
        if self.fs_polls.count.contains_key(&id) {
            self.close_held(id);
        }
        free
    }

    /// The session's timer fired: the next stat is due. Returns whether the
    /// caller must submit it.
    pub fn fs_poll_timer(&mut self, session: Token) -> bool {
        let now = self.now();
        match self.fs_polls.sessions.get_mut(&session) {
            Some(s) if s.current && !s.busy => {
                s.busy = true;
                s.submitted = now;
                true
            }
            _ => false,
        }
    }

    /// The session's stat came back. Returns what to report to the handle's
    /// callback, if anything: nothing for a stopped session or a closing
    /// handle. Follow with [`Loop::fs_poll_continue`] (after the callback).
    pub fn fs_poll_result(
        &mut self,
        session: Token,
        result: Result<Stat, Errno>,
    ) -> Option<Report> {
        let s = self.fs_polls.sessions.get(&session)?;
        let handle = s.handle;
        if !s.current || !self.is_active(handle) || self.is_closing(handle) {
            return None;
        }
        self.fs_polls
            .sessions
            .get_mut(&session)?
            .tracker
            .observe(result)
    }

    /// After a stat's result (and its callback): schedules the next stat if
    /// the session is still current, else ends it. Returns whether the
    /// caller must now free the session's memory.
    pub fn fs_poll_continue(&mut self, session: Token) -> bool {
        let now = self.now();
        let Some(s) = self.fs_polls.sessions.get_mut(&session) else {
            return false;
        };
        s.busy = false;
        if s.current {
            if let Some(t) = s.timer {
                let delay = next_delay(s.interval, s.submitted, now);
                self.timer_start(t, delay, 0);
                return false;
            }
        }
        self.end_session(session);
        true
    }

    /// Forgets a session whose timer is gone and whose stat is back; a
    /// closing handle whose last session this was gets its close callback.
    fn end_session(&mut self, session: Token) {
        let Some(s) = self.fs_polls.sessions.remove(&session) else {
            return;
        };
        let id = s.handle;
        if self.fs_polls.current.get(&id) == Some(&session) {
            self.fs_polls.current.remove(&id);
        }
        let left = match self.fs_polls.count.get_mut(&id) {
            Some(n) => {
                *n -= 1;
                *n
            }
            None => 0,
        };
        if left == 0 {
            self.fs_polls.count.remove(&id);
            self.release_close(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::Time;
    use crate::Kind;

    fn stat(size: u64) -> Stat {
        Stat {
            size,
            ino: 7,
            mtime: Time { sec: 1, nsec: 2 },
            ..Stat::default()
        }
    }

    #[test]
    fn tracker_reports_like_libuv() {
        let mut t = Tracker::default();
        // An error first: reported once, against a zeroed baseline.
        let r = t.observe(Err(Errno::NOENT)).unwrap();
        assert_eq!(r.status, -2);
        assert_eq!(r.prev, Stat::default());
        assert_eq!(r.curr, Stat::default());
        assert!(t.observe(Err(Errno::NOENT)).is_none());
        // Another error is news.
        assert_eq!(t.observe(Err(Errno::ACCESS)).unwrap().status, -13);
        // Recovery is reported, with the zeroed baseline as prev.
        let r = t.observe(Ok(stat(1))).unwrap();
        assert_eq!((r.status, r.prev, r.curr), (0, Stat::default(), stat(1)));
        assert!(t.observe(Ok(stat(1))).is_none());
        // Fields libuv ignores are no change.
        let mut s = stat(1);
        s.nlink = 9;
        s.atime = Time { sec: 5, nsec: 0 };
        s.blocks = 8;
        assert!(t.observe(Ok(s)).is_none());
        let r = t.observe(Ok(stat(2))).unwrap();
        assert_eq!((r.prev.size, r.curr.size), (1, 2));
        // An error after success reports the last good stat as prev.
        let r = t.observe(Err(Errno::NOENT)).unwrap();
        assert_eq!((r.prev, r.curr), (stat(2), Stat::default()));
    }

    #[test]
    fn first_success_is_only_the_baseline() {
        let mut t = Tracker::default();
        assert!(t.observe(Ok(stat(1))).is_none());
        assert!(t.observe(Ok(stat(1))).is_none());
        assert!(t.observe(Ok(stat(3))).is_some());
    }

    #[test]
    fn delay_keeps_stats_an_interval_apart() {
        assert_eq!(next_delay(100, 1000, 1000), 100);
        assert_eq!(next_delay(100, 1000, 1030), 70);
        // A stat slower than the interval: the next slot.
        assert_eq!(next_delay(100, 1000, 1250), 50);
        assert_eq!(next_delay(0, 5, 5), 1);
    }

    #[test]
    fn stop_with_stat_in_flight_lingers_and_close_waits_for_it() {
        let mut l = Loop::new().unwrap();
        let h = l.init_handle(0x100, Kind::Other);
        assert!(l.fs_poll_start(h, 0x200, 50));
        assert!(!l.fs_poll_start(h, 0x201, 50), "polling already");
        assert!(l.is_active(h));
        assert_eq!(l.fs_poll_session(h), Some(0x200));
        // Stopped in flight: nothing to free yet.
        assert_eq!(l.fs_poll_stop(h), None);
        assert!(!l.is_active(h));
        // Restarted while the old stat is out; then closed.
        assert!(l.fs_poll_start(h, 0x300, 50));
        assert_eq!(l.fs_poll_close(h), None);
        assert!(l.is_closing(h));
        // Nothing else keeps this loop alive: a queued close callback would.
        assert!(!l.alive(), "close callback held back");
        // The stale results report nothing; the last one releases the close.
        assert!(l.fs_poll_result(0x200, Err(Errno::NOENT)).is_none());
        assert!(l.fs_poll_continue(0x200));
        assert!(!l.alive());
        assert!(l.fs_poll_result(0x300, Err(Errno::NOENT)).is_none());
        assert!(l.fs_poll_continue(0x300));
        assert!(l.alive(), "close callback queued");
        assert!(l.fs_polls.sessions.is_empty() && l.fs_polls.count.is_empty());
    }

    #[test]
    fn running_session_reschedules_and_stops_at_once_when_idle() {
        let mut l = Loop::new().unwrap();
        let h = l.init_handle(0x100, Kind::Other);
        assert!(l.fs_poll_start(h, 0x200, 50));
        assert!(!l.fs_poll_timer(0x200), "a stat is already out");
        let r = l.fs_poll_result(0x200, Err(Errno::NOENT)).unwrap();
        assert_eq!(r.status, -2);
        assert!(!l.fs_poll_continue(0x200));
        let due = l.fs_polls.sessions[&0x200].timer.unwrap();
        assert!(l.timer_due_in(due) <= 50);
        assert!(l.fs_poll_timer(0x200));
        assert!(l.fs_poll_result(0x200, Err(Errno::NOENT)).is_none());
        assert!(!l.fs_poll_continue(0x200));
        // Idle between stats: stop frees the session at once, and close
        // needs no hold.
        assert_eq!(l.fs_poll_stop(h), Some(0x200));
        assert!(l.fs_polls.sessions.is_empty() && l.fs_polls.count.is_empty());
        assert_eq!(l.fs_poll_close(h), None);
        assert!(!l.is_closing(h), "uv_close closes it itself");
        assert!(l.close(h, Default::default()));
    }
}
