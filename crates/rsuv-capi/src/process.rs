//! `uv_spawn`, `uv_process_kill`, `uv_kill`, `uv_process_get_pid`: the C
//! face of the engine's child processes (`rsuv_core::process`).
//!
//! This layer reads `uv_process_options_t` into the engine's `Options`,
//! opens the parent's ends of `UV_CREATE_PIPE` slots in the program's pipe
//! handles, and makes the exit callback when the engine reports the exit.
//! As in libuv 1.52, a failure to start the child (the program is missing,
//! not executable, setuid refused...) is `uv_spawn`'s own result with the
//! handle registered, so the program closes it, and the stdio pipes opened
//! all the same; a failure before that (a refused stdio container, no
//! descriptor for a pipe) takes the handle off the loop: `uv_walk` and
//! `uv_loop_close` no longer see it, though `uv_close` still works on it.

#![allow(non_camel_case_types)]

use crate::abi::*;
use crate::handle::{detach, init, with_handle};
use crate::stream::{stream_open, uv_stream_t, READABLE, WRITABLE};
use rsuv_core::error::UV_EINVAL;
use rsuv_core::process::{Options, Stdio};
use rsuv_core::Kind;
use std::ffi::{c_char, c_int, c_uint, c_void, CStr};
use std::os::fd::IntoRawFd;

pub const UV_PROCESS: c_int = 10;

pub type uv_exit_cb = Option<unsafe extern "C" fn(*mut uv_process_t, i64, c_int)>;

/// `uv_process_t`: 136 bytes, `exit_cb` at 96, `pid` at 104.
#[repr(C)]
pub struct uv_process_t {
    pub handle: uv_handle_t,
    pub exit_cb: uv_exit_cb,
    pub pid: c_int,
    _private: [*mut c_void; 3],
}

#[repr(C)]
pub union uv_stdio_data {
    pub stream: *mut uv_stream_t,
    pub fd: c_int,
}

#[repr(C)]
pub struct uv_stdio_container_t {
    pub flags: c_uint,
    pub data: uv_stdio_data,
}

#[repr(C)]
pub struct uv_process_options_t {
    pub exit_cb: uv_exit_cb,
    pub file: *const c_char,
    pub args: *mut *mut c_char,
    pub env: *mut *mut c_char,
    pub cwd: *const c_char,
    pub flags: c_uint,
    pub stdio_count: c_int,
    pub stdio: *mut uv_stdio_container_t,
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
}

const _: () = {
    assert!(std::mem::size_of::<uv_process_t>() == 136);
    assert!(std::mem::offset_of!(uv_process_t, exit_cb) == 96);
    assert!(std::mem::offset_of!(uv_process_t, pid) == 104);
    assert!(std::mem::size_of::<uv_stdio_container_t>() == 16);
    assert!(std::mem::size_of::<uv_process_options_t>() == 64);
    assert!(std::mem::offset_of!(uv_process_options_t, stdio) == 48);
};

// uv_stdio_flags.
const UV_CREATE_PIPE: c_uint = 0x01;
const UV_INHERIT_FD: c_uint = 0x02;
const UV_INHERIT_STREAM: c_uint = 0x04;
const UV_READABLE_PIPE: c_uint = 0x10;
const UV_WRITABLE_PIPE: c_uint = 0x20;

// uv_process_flags.
const UV_PROCESS_SETUID: c_uint = 1 << 0;
const UV_PROCESS_SETGID: c_uint = 1 << 1;
const UV_PROCESS_DETACHED: c_uint = 1 << 3;
/// Every flag of 1.52, the Windows ones (accepted and ignored) included.
const ALL_FLAGS: c_uint = 0xff;

/// A NULL-terminated `char*` array as C strings.
///
/// # Safety
/// `v` is a NULL-terminated array of NUL-terminated strings.
unsafe fn c_strings<'a>(v: *const *mut c_char) -> Vec<&'a CStr> {
    let mut out = Vec::new();
    // SAFETY: per the contract.
    unsafe {
        let mut p = v;
        while !(*p).is_null() {
            out.push(CStr::from_ptr(*p));
            p = p.add(1);
        }
    }
    out
}

/// The engine's plan for one stdio container.
///
/// # Safety
/// `c` is a valid container; its stream, if it names one, is a handle.
unsafe fn stdio_plan(c: &uv_stdio_container_t) -> Result<Stdio, c_int> {
    // SAFETY: per the contract; the union is read as the flags say.
    unsafe {
        match c.flags & (UV_CREATE_PIPE | UV_INHERIT_FD | UV_INHERIT_STREAM) {
            0 => Ok(Stdio::Ignore),
            UV_CREATE_PIPE => {
                let s = c.data.stream;
                if s.is_null() || (*s).handle.type_ != UV_NAMED_PIPE {
                    return Err(UV_EINVAL);
                }
                if crate::stream::fd(s) != -1 {
                    // libuv's open of the stream would fail after the spawn.
                    return Err(rsuv_core::error::UV_EBUSY);
                }
                // UV_NONBLOCK_PIPE is accepted and, as in libuv 1.52 on
                // Unix, ignored: the child's 0-2 are blocking. (Node maps
                // its 'overlapped' stdio to it; a child reading a
                // non-blocking stdin would fail with EAGAIN.)
                Ok(Stdio::Pipe)
            }
            UV_INHERIT_FD => Ok(Stdio::Inherit(c.data.fd)),
            UV_INHERIT_STREAM => {
                let s = c.data.stream;
                if s.is_null() || !matches!((*s).handle.type_, UV_TCP | UV_NAMED_PIPE | UV_TTY) {
                    return Err(UV_EINVAL);
                }
                Ok(Stdio::Inherit(crate::stream::fd(s)))
            }
            _ => Err(UV_EINVAL),
        }
    }
}

/// # Safety
/// `lp` is a loop, `h` writable memory of `uv_process_t`'s size, `options`
/// null or valid with the arrays it names.
#[no_mangle]
pub unsafe extern "C" fn uv_spawn(
    lp: *mut uv_loop_t,
    h: *mut uv_process_t,
    options: *const uv_process_options_t,
) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        let r = init(lp, h as *mut uv_handle_t, UV_PROCESS, Kind::Other);
        if r != 0 {
            return r;
        }
        (*h).pid = 0;
        (*h).exit_cb = None;
        // A failure before any child exists (a refused stdio container, a
        // pipe that cannot be made) takes the handle off the loop again, as
        // libuv 1.52 does: closable, but not waited for. Only a failure to
        // start the child leaves it registered, for the program to close.
        // Arguments libuv asserts on are treated the same way.
        let fail = |e: c_int| {
            detach(h as *mut uv_handle_t);
            e
        };
        if options.is_null() {
            return fail(UV_EINVAL);
        }
        let o = &*options;
        if o.file.is_null() || o.args.is_null() || o.flags & !ALL_FLAGS != 0 {
            return fail(UV_EINVAL);
        }
        let count = o.stdio_count.max(0) as usize;
        if count > 0 && o.stdio.is_null() {
            return fail(UV_EINVAL);
        }
        let containers: &[uv_stdio_container_t] = if count == 0 {
            &[]
        } else {
            std::slice::from_raw_parts(o.stdio, count)
        };
        let mut stdio = Vec::with_capacity(count);
        for c in containers {
            match stdio_plan(c) {
                Ok(s) => stdio.push(s),
                Err(e) => return fail(e),
            }
        }
        let args = c_strings(o.args);
        let env = (!o.env.is_null()).then(|| c_strings(o.env));
        let opts = Options {
            file: CStr::from_ptr(o.file),
            args: &args,
            env: env.as_deref(),
            cwd: (!o.cwd.is_null()).then(|| CStr::from_ptr(o.cwd)),
            detached: o.flags & UV_PROCESS_DETACHED != 0,
            uid: (o.flags & UV_PROCESS_SETUID != 0).then_some(o.uid),
            gid: (o.flags & UV_PROCESS_SETGID != 0).then_some(o.gid),
            stdio: &stdio,
        };
        // No loop is borrowed while the child is made (fork handlers may
        // call into it, see rsuv_core::process::spawn).
        let mut spawned = match rsuv_core::process::spawn(&opts) {
            Ok(s) => s,
            Err(e) => return fail(-e.raw_os_error()),
        };
        if let Some(started) = spawned.started.take() {
            let watched = with_handle(h as *const uv_handle_t, |l, id| {
                let r = l.watch_child(id, started);
                if r.is_ok() {
                    l.activate(id);
                }
                r
            });
            match watched {
                Some(Ok(())) => {}
                Some(Err(e)) => {
                    spawned.pid = 0;
                    spawned.exec_error = Some(e);
                }
                None => return UV_EINVAL,
            }
        }
        if spawned.exec_error.is_none() {
            (*h).pid = spawned.pid;
            (*h).exit_cb = o.exit_cb;
        }
        for (c, pipe) in containers.iter().zip(spawned.pipes) {
            let Some(fd) = pipe else { continue };
            let mut flags = 0;
            if c.flags & UV_WRITABLE_PIPE != 0 {
                flags |= READABLE;
            }
            if c.flags & UV_READABLE_PIPE != 0 {
                flags |= WRITABLE;
            }
            let fd = fd.into_raw_fd();
            // Cannot fail: stdio_plan took only pipes without a descriptor.
            let r = stream_open(c.data.stream, fd, flags);
            if r != 0 {
                let _ = rsuv_core::sys::fd::close(fd);
                return r;
            }
        }
        match spawned.exec_error {
            Some(e) => -e.raw_os_error(),
            None => 0,
        }
    }
}

/// The child of the process handle at `token` exited (its pidfd is
/// readable): reap it and make the exit callback.
pub(crate) fn io(token: usize) {
    let h = token as *mut uv_process_t;
    // SAFETY: the engine passes a live process handle's address.
    unsafe {
        let Some(Some(exit)) = with_handle(h as *const uv_handle_t, |l, id| l.process_reap(id))
        else {
            return;
        };
        if let Some(cb) = (*h).exit_cb {
            cb(h, exit.exit_status, exit.term_signal);
        }
    }
}

/// The type-specific part of `uv_close`, with the engine borrowed.
pub(crate) fn close(l: &mut rsuv_core::Loop, id: rsuv_core::HandleId) {
    l.process_close(id);
}

/// # Safety
/// `h` points to a process handle.
#[no_mangle]
pub unsafe extern "C" fn uv_process_kill(h: *mut uv_process_t, signum: c_int) -> c_int {
    if h.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    let r = unsafe { with_handle(h as *const uv_handle_t, |l, id| l.process_kill(id, signum)) };
    match r {
        Some(Ok(())) => 0,
        Some(Err(e)) => -e.raw_os_error(),
        None => rsuv_core::error::UV_ESRCH,
    }
}

/// Sends `signum` to process `pid`.
#[no_mangle]
pub extern "C" fn uv_kill(pid: c_int, signum: c_int) -> c_int {
    match rsuv_core::process::kill(pid, signum) {
        Ok(()) => 0,
        Err(e) => -e.raw_os_error(),
    }
}

/// # Safety
/// `h` points to a process handle.
#[no_mangle]
pub unsafe extern "C" fn uv_process_get_pid(h: *const uv_process_t) -> libc::pid_t {
    if h.is_null() {
        return 0;
    }
    // SAFETY: per the contract; libuv returns the public field.
    unsafe { (*h).pid }
}
