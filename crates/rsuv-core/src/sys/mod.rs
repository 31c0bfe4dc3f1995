//! The OS layer: the only part of the engine that talks to the kernel.
//!
//! Everything above this module is portable, safe Rust. Linux is served by
//! epoll (readiness), an eventfd (cross-thread wakeups) and the monotonic
//! clocks; another backend (io_uring, kqueue) would replace `poller.rs` behind
//! the same small interface. `fork.rs` registers the hooks that keep
//! process-wide state usable in a forked child; `thread.rs` starts the
//! pool's threads without allocating; `sync.rs` has the pthread locks the
//! threads share, which thread checkers can follow, and `valgrind.rs` the
//! notes that tell them about the hand-offs made with atomics.

pub mod clock;
pub mod fd;
pub mod fork;
pub mod loop_cell;
pub mod poller;
pub mod process;
pub mod sync;
pub mod thread;
pub mod valgrind;
