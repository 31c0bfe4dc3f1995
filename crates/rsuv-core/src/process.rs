//! Child processes: `uv_spawn`'s setup, the wait for each child's exit,
//! and signals to it.
//!
//! [`Loop::spawn`] turns the options into a plan for the child (stdio
//! slots, the paths `execvp` would try, credentials) and hands it to
//! `sys::process::spawn`, which creates the child vfork-style. An exec
//! failure comes back from the spawn itself, with the child already
//! reaped, as in libuv.
//!
//! Each running child is waited for through its pidfd, watched by the
//! process handle itself like any descriptor: when the pidfd turns
//! readable the child has exited and `waitid(P_PIDFD)` reaps exactly that
//! child. So there is no SIGCHLD handler: a program's own `uv_signal_t` on
//! SIGCHLD sees every SIGCHLD as without rsuv, children of several loops
//! and threads never meet, and a SIGCHLD for a pid that is not ours is not
//! our business. The pidfd is kept until the handle closes, so a kill
//! after the child was reaped fails with `ESRCH` instead of reaching a
//! recycled pid.
//!
//! A `UV_CREATE_PIPE` slot is a `socketpair` with 64 KiB buffers, as in
//! libuv; the parent's end is returned for the C layer to open in the
//! program's pipe handle. Every descriptor made here is close-on-exec, so
//! nothing leaks into a child spawned concurrently from another thread.

use crate::handle::HandleId;
use crate::sys::poller::events::IN;
use crate::sys::process as sys;
use crate::Loop;
use rustix::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use rustix::io::Errno;
use rustix::net::{socketpair, sockopt, AddressFamily, SocketFlags, SocketType};
use rustix::process::{waitid, WaitId, WaitIdOptions};
use std::collections::BTreeMap;
use std::ffi::{CStr, CString};

/// How one of the child's descriptors is set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stdio {
    /// Nothing: `/dev/null` for 0-2, closed above.
    Ignore,
    /// The parent's descriptor, shared with the child.
    Inherit(RawFd),
    /// A new socket pair; the child gets one end (blocking), the parent the
    /// other (non-blocking).
    Pipe,
}

/// `uv_process_options_t`, in engine terms.
pub struct Options<'a> {
    pub file: &'a CStr,
    pub args: &'a [&'a CStr],
    /// `None`: the parent's environment.
    pub env: Option<&'a [&'a CStr]>,
    pub cwd: Option<&'a CStr>,
    pub detached: bool,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub stdio: &'a [Stdio],
}

/// What a spawn made. The pipes are there even when the exec failed, as
/// libuv opens them in either case.
pub struct Spawned {
    /// The child's pid; 0 if it could not run the program.
    pub pid: i32,
    /// Why the program could not run (ENOENT, EACCES, EPERM from setuid…).
    pub exec_error: Option<Errno>,
    /// Per stdio slot, the parent's end of a `Pipe`.
    pub pipes: Vec<Option<OwnedFd>>,
    /// The running child, for [`Loop::watch_child`].
    pub started: Option<Started>,
}

/// A running child that no loop watches yet.
pub struct Started(sys::Child);

/// How a child ended, as `exit_cb` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exit {
    pub exit_status: i64,
    pub term_signal: i32,
}

/// A spawned child of a process handle.
pub(crate) struct Child {
    pid: i32,
    pidfd: OwnedFd,
    reaped: bool,
}

/// The loop's children, by handle. (A B-tree rather than a hash map: its
/// nodes are pointed to from their start, so a leak checker run in a
/// failed child sees them as reachable.)
pub(crate) type Children = BTreeMap<HandleId, Child>;

/// The buffer size libuv gives both ends of a stdio socket pair.
const PIPE_BUFFER: usize = 64 * 1024;

/// The search path when the environment has no `PATH` (glibc's default).
const DEFAULT_PATH: &[u8] = b"/bin:/usr/bin";

/// The paths `execvp` tries for `file`: the file itself if it names a
/// path (contains a `/`), else each `PATH` entry joined with it, an empty
/// entry meaning the current directory. `path` is the child's `PATH`.
pub fn candidates(file: &CStr, path: Option<&[u8]>) -> Vec<CString> {
    let name = file.to_bytes();
    if name.is_empty() {
        return Vec::new();
    }
    if name.contains(&b'/') {
        return vec![file.to_owned()];
    }
    path.unwrap_or(DEFAULT_PATH)
        .split(|&b| b == b':')
        .filter_map(|dir| {
            let mut p = Vec::with_capacity(dir.len() + 1 + name.len());
            if !dir.is_empty() {
                p.extend_from_slice(dir);
                if !dir.ends_with(b"/") {
                    p.push(b'/');
                }
            }
            p.extend_from_slice(name);
            CString::new(p).ok()
        })
        .collect()
}

/// The value of `PATH` in an environment given as `NAME=value` strings.
fn path_of(env: &[&CStr]) -> Option<Vec<u8>> {
    env.iter()
        .find_map(|e| e.to_bytes().strip_prefix(b"PATH=").map(<[u8]>::to_vec))
}

/// The parent's `PATH`.
fn parent_path() -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStringExt;
    std::env::var_os("PATH").map(OsStringExt::into_vec)
}

/// A socket pair for a `Pipe` slot: (parent's end, child's end).
fn stdio_pair() -> Result<(OwnedFd, OwnedFd), Errno> {
    let (a, b) = socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    for end in [&a, &b] {
        // Best effort, as in libuv: the pair works with the defaults too.
        let _ = sockopt::set_socket_recv_buffer_size(end, PIPE_BUFFER);
        let _ = sockopt::set_socket_send_buffer_size(end, PIPE_BUFFER);
    }
    // The parent's end is driven by the loop.
    rustix::io::ioctl_fionbio(&a, true)?;
    Ok((a, b))
}

/// `uv_kill`: `kill(2)` of any process.
pub fn kill(pid: i32, signum: i32) -> Result<(), Errno> {
    sys::send_signal_pid(pid, signum)
}

/// Starts a child. `Err` means nothing was started (the setup failed; no
/// descriptor is left open); an exec failure is `Ok` with `exec_error`
/// set. No loop is involved, so none is borrowed while the child is made:
/// with `RSUV_SPAWN_FORK=1` the program's fork handlers run in the child,
/// and they may call into the loop (uvloop calls `uv_loop_fork`).
pub fn spawn(opts: &Options<'_>) -> Result<Spawned, Errno> {
    let nslots = opts.stdio.len().max(3);
    let mut pipes: Vec<Option<OwnedFd>> = Vec::with_capacity(nslots);
    let mut child_ends: Vec<Option<OwnedFd>> = Vec::with_capacity(nslots);
    let mut plan: Vec<RawFd> = Vec::with_capacity(nslots);
    for slot in 0..nslots {
        let s = opts.stdio.get(slot).copied().unwrap_or(Stdio::Ignore);
        let (parent, child, fd) = match s {
            Stdio::Ignore => (None, None, -1),
            Stdio::Inherit(fd) if fd < 0 => return Err(Errno::INVAL),
            Stdio::Inherit(fd) => (None, None, fd),
            Stdio::Pipe => {
                let (p, c) = stdio_pair()?;
                let fd = c.as_raw_fd();
                (Some(p), Some(c), fd)
            }
        };
        pipes.push(parent);
        child_ends.push(child);
        plan.push(fd);
    }

    let path = match opts.env {
        Some(env) => path_of(env),
        None => parent_path(),
    };
    let candidates = candidates(opts.file, path.as_deref());
    let req = sys::Request {
        argv: opts.args,
        envp: opts.env,
        candidates: &candidates,
        cwd: opts.cwd,
        stdio: &plan,
        detached: opts.detached,
        uid: opts.uid,
        gid: opts.gid,
    };
    let result = sys::spawn(&req);
    // The child has its copies (or never will): the parent's copies of
    // the child ends go now.
    drop(child_ends);
    Ok(match result {
        Ok(c) => Spawned {
            pid: c.pid,
            exec_error: None,
            pipes,
            started: Some(Started(c)),
        },
        Err(e) => Spawned {
            pid: 0,
            exec_error: Some(e),
            pipes,
            started: None,
        },
    })
}

impl Loop {
    /// [`spawn`], then [`Loop::watch_child`] for process handle `id`.
    pub fn spawn(&mut self, id: HandleId, opts: &Options<'_>) -> Result<Spawned, Errno> {
        let mut s = spawn(opts)?;
        if let Some(started) = s.started.take() {
            if let Err(e) = self.watch_child(id, started) {
                s.pid = 0;
                s.exec_error = Some(e);
            }
        }
        Ok(s)
    }

    /// Makes process handle `id` wait for `started`, until
    /// [`Loop::process_reap`] reports its exit. If it cannot be watched, the
    /// child is killed and reaped rather than left for nobody to wait for.
    pub fn watch_child(&mut self, id: HandleId, started: Started) -> Result<(), Errno> {
        let child = started.0;
        if let Err(e) = self.io_start(id, child.pidfd.as_raw_fd(), IN) {
            let _ = sys::send_signal(child.pidfd.as_fd(), libc::SIGKILL);
            let _ = waitid(WaitId::PidFd(child.pidfd.as_fd()), WaitIdOptions::EXITED);
            return Err(Errno::from_io_error(&e).unwrap_or(Errno::NOMEM));
        }
        self.children.insert(
            id,
            Child {
                pid: child.pid,
                pidfd: child.pidfd,
                reaped: false,
            },
        );
        Ok(())
    }

    /// The process handle's pidfd turned readable: reaps the child and
    /// stops watching. `Some` when the child's exit is to be reported;
    /// `None` if it has not exited, or it was reaped by someone else (a
    /// stray `waitpid(-1)`, or a forked child of the loop's process), which
    /// stops the watch without a report, as libuv makes none.
    pub fn process_reap(&mut self, id: HandleId) -> Option<Exit> {
        let child = self.children.get_mut(&id)?;
        if child.reaped {
            return None;
        }
        let status = loop {
            match waitid(
                WaitId::PidFd(child.pidfd.as_fd()),
                WaitIdOptions::EXITED | WaitIdOptions::NOHANG,
            ) {
                Err(Errno::INTR) => continue,
                r => break r,
            }
        };
        let exit = match status {
            Ok(None) => return None,
            Ok(Some(st)) => Some(Exit {
                exit_status: st.exit_status().unwrap_or(0) as i64,
                term_signal: st.terminating_signal().unwrap_or(0),
            }),
            Err(_) => None,
        };
        child.reaped = true;
        self.io_stop(id, IN);
        self.deactivate(id);
        exit
    }

    /// `uv_process_kill`: signal `signum` to the handle's child; `ESRCH`
    /// once it has been reaped (or was never started).
    pub fn process_kill(&self, id: HandleId, signum: i32) -> Result<(), Errno> {
        if !(0..65).contains(&signum) {
            return Err(Errno::INVAL);
        }
        match self.children.get(&id) {
            Some(c) if !c.reaped => match sys::send_signal(c.pidfd.as_fd(), signum) {
                // Tools that do not know the call (valgrind): until we reap
                // the child its pid cannot be reused, so kill(2) is as safe.
                Err(Errno::NOSYS) => sys::send_signal_pid(c.pid, signum),
                r => r,
            },
            _ => Err(Errno::SRCH),
        }
    }

    /// The process handle is closing: stop watching and forget the child.
    /// One still running is neither killed nor waited for, as in libuv.
    pub fn process_close(&mut self, id: HandleId) {
        if self.children.remove(&id).is_some() {
            self.io_close(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[CString]) -> Vec<&str> {
        v.iter().map(|c| c.to_str().unwrap()).collect()
    }

    #[test]
    fn candidates_follow_execvp() {
        assert_eq!(
            strs(&candidates(c"ls", Some(b"/a:/b/::c"))),
            ["/a/ls", "/b/ls", "ls", "c/ls"]
        );
        assert_eq!(strs(&candidates(c"./x", Some(b"/a"))), ["./x"]);
        assert_eq!(strs(&candidates(c"sh", None)), ["/bin/sh", "/usr/bin/sh"]);
        assert!(candidates(c"", Some(b"/a")).is_empty());
    }

    #[test]
    fn path_comes_from_the_given_environment() {
        let env = [c"A=1", c"PATH=/x:/y", c"PATH=/z"];
        assert_eq!(path_of(&env).as_deref(), Some(&b"/x:/y"[..]));
        assert_eq!(path_of(&[c"A=1"]), None);
    }

    fn run_until_exit(l: &mut Loop, id: HandleId) -> Exit {
        loop {
            if let Some(e) = l.process_reap(id) {
                return e;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    #[test]
    fn spawn_reports_exit_status_and_exec_errors() {
        let mut l = Loop::new().unwrap();
        let id = l.init_handle(0x1000, crate::Kind::Other);
        let opts = Options {
            file: c"sh",
            args: &[c"sh", c"-c", c"exit 42"],
            env: None,
            cwd: None,
            detached: false,
            uid: None,
            gid: None,
            stdio: &[],
        };
        let s = l.spawn(id, &opts).unwrap();
        assert!(s.pid > 0 && s.exec_error.is_none());
        let e = run_until_exit(&mut l, id);
        assert_eq!(
            e,
            Exit {
                exit_status: 42,
                term_signal: 0
            }
        );
        assert_eq!(l.process_kill(id, 0), Err(Errno::SRCH));
        l.process_close(id);

        let id2 = l.init_handle(0x2000, crate::Kind::Other);
        let missing = Options {
            file: c"/nonexistent/rsuv-no-such-program",
            args: &[c"x"],
            stdio: &[Stdio::Pipe],
            ..opts
        };
        let s = l.spawn(id2, &missing).unwrap();
        assert_eq!(s.exec_error, Some(Errno::NOENT));
        assert_eq!(s.pid, 0);
        assert!(
            s.pipes[0].is_some(),
            "the pipe is made even when exec fails"
        );
        assert_eq!(l.process_kill(id2, 0), Err(Errno::SRCH));
    }

    #[test]
    fn kill_reports_the_term_signal() {
        let mut l = Loop::new().unwrap();
        let id = l.init_handle(0x1000, crate::Kind::Other);
        let opts = Options {
            file: c"sleep",
            args: &[c"sleep", c"100"],
            env: None,
            cwd: None,
            detached: false,
            uid: None,
            gid: None,
            stdio: &[],
        };
        l.spawn(id, &opts).unwrap();
        assert_eq!(l.process_kill(id, 4096), Err(Errno::INVAL));
        l.process_kill(id, libc::SIGTERM).unwrap();
        let e = run_until_exit(&mut l, id);
        assert_eq!(
            e,
            Exit {
                exit_status: 0,
                term_signal: libc::SIGTERM
            }
        );
    }
}
