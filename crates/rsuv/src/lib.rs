//! rsuv: libuv's event loop in safe Rust, on the same engine as rsuv's
//! `libuv.so.1`.
//!
//! # The model
//!
//! A [`Loop`] runs callbacks on the thread that made it, in libuv's order:
//! due timers, then each iteration idle, prepare, the poll for I/O, check,
//! and close callbacks. [`Loop::run`] returns when nothing active and
//! referenced is left ([`RunMode::Default`]), after one iteration
//! ([`RunMode::Once`], [`RunMode::NoWait`]), or after [`Loop::stop`].
//!
//! Handles are owned values: [`Timer`], [`Idle`], [`Prepare`], [`Check`]
//! and [`Async`]. Dropping one closes it; [`Timer::close`] and friends
//! close with a callback. Callbacks are closures (`FnMut` where they
//! repeat) and get a view of their handle, so a callback can stop, restart
//! or close its own handle without capturing it. An active handle keeps
//! the loop alive unless unreferenced (`unref`).
//!
//! Errors are [`Error`]s carrying libuv's code and name.
//!
//! ```
//! use rsuv::{Loop, RunMode, Timer};
//! use std::cell::Cell;
//! use std::rc::Rc;
//! use std::time::Duration;
//!
//! let lp = Loop::new()?;
//! let ticks = Rc::new(Cell::new(0));
//! let timer = Timer::new(&lp)?;
//! let t = ticks.clone();
//! timer.start(Duration::from_millis(1), Duration::from_millis(1), move |timer| {
//!     t.set(t.get() + 1);
//!     if t.get() == 3 {
//!         timer.stop();
//!     }
//! })?;
//! lp.run(RunMode::Default);
//! assert_eq!(ticks.get(), 3);
//! # Ok::<(), rsuv::Error>(())
//! ```
//!
//! [`Loop::queue_work`] runs a closure on the thread pool and hands its
//! result back on the loop thread.
//!
//! # The `async` face
//!
//! [`Loop::block_on`] drives a future with the loop itself: between polls
//! the loop runs, so callback-style handles and futures share one loop and
//! one thread. [`Loop::sleep`] and [`Loop::work`] are futures over a timer
//! and the thread pool.
//!
//! ```
//! use rsuv::Loop;
//! use std::time::Duration;
//!
//! let lp = Loop::new()?;
//! let l = lp.clone();
//! let answer = lp.block_on(async move {
//!     l.sleep(Duration::from_millis(1)).await?;
//!     l.work(|| 6 * 7).await
//! })?;
//! assert_eq!(answer, 42);
//! # Ok::<(), rsuv::Error>(())
//! ```
//!
//! # Status
//!
//! This crate covers the loop and what the engine owns today: timers,
//! idle/prepare/check, async and the thread pool. Streams, UDP, signals,
//! processes, the file system and DNS come as the engine takes over their
//! I/O from the C layer (issue 10).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod async_handle;
mod error;
mod event_loop;
mod future;
mod handle;
mod timer;
mod watcher;
mod work;

pub use async_handle::{Async, AsyncSender};
pub use error::{Error, Result};
pub use event_loop::{Loop, RunMode};
pub use future::Sleep;
pub use rsuv_core::Metrics;
pub use timer::Timer;
pub use watcher::{Check, Idle, Prepare};
