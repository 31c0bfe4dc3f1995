//! libuv's C ABI over the rsuv engine.
//!
//! Each module holds the `extern "C"` functions of one libuv area, named as in
//! libuv's documentation (`uv_timer_start` lives in `timer.rs`). The functions
//! translate between caller-owned C structs and the engine in `rsuv-core`; all
//! `unsafe` of the project outside the OS layer lives here, each block with a
//! `// SAFETY:` reason.

pub mod abi;
pub mod addr;
pub mod alloc;
pub mod r#async;
pub mod dl;
pub mod dns;
pub mod errors;
#[cfg(test)]
mod exports;
pub mod fs;
pub mod fs_event;
pub mod fs_poll;
pub mod handle;
pub mod r#loop;
pub mod loop_watcher;
pub mod misc;
pub mod netif;
pub mod os;
pub mod pipe;
pub mod poll;
pub mod process;
pub mod process_title;
pub mod random;
pub mod signal;
pub mod stream;
pub mod sysinfo;
pub mod tcp;
pub mod thread;
pub mod threadpool;
pub mod time;
pub mod timer;
pub mod tty;
pub mod udp;
pub mod util;
pub mod version;
pub mod wtf8;
