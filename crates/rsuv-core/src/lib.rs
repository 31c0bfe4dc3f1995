//! The rsuv engine: libuv's event loop in safe Rust.
//!
//! The engine knows handles and requests only by id and by the address of
//! the caller's struct (a [`handle::Token`]); the C layer (`rsuv-capi`) owns
//! the translation to and from libuv's C structs and makes the callbacks.
//! Everything that talks to the kernel is in [`sys`].

pub mod error;
pub mod event_loop;
pub mod fs;
pub mod fs_event;
pub mod fs_poll;
pub mod handle;
pub mod process;
pub mod random;
pub mod sys;
pub mod threadpool;
mod timer;
pub mod wtf8;

pub use event_loop::{run, CloseNote, Host, Loop, Metrics, RunMode, Shared};
pub use handle::{HandleId, Kind, Token};
