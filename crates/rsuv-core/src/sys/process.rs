//! Creating a child process the vfork way, and signalling it by pidfd.
//!
//! libuv 1.52 forks, which copies the parent's page tables: a spawn from a
//! parent with gigabytes resident costs milliseconds to seconds (libuv
//! #2133, Node #14917). [`spawn`] uses `clone(CLONE_VM | CLONE_VFORK)`
//! instead, as glibc's `posix_spawn` does: the child borrows the parent's
//! memory and the calling thread sleeps until the child has called
//! `execve` or exited, so the cost does not depend on the parent's size.
//! `posix_spawn` itself cannot express everything `uv_spawn` asks for (a
//! PATH search in the child's environment, setuid/setgid, libuv's stdio
//! rules), so the child side is written here.
//!
//! Sharing memory with the parent puts strict rules on the child, which
//! [`child_main`] follows:
//! - it only makes raw system calls (`syscall(2)`): no allocation, no lock,
//!   no glibc wrapper that could broadcast to the parent's threads (glibc's
//!   `setuid` signals every thread it knows of) or act on cancellation;
//! - it runs with every signal blocked until it has reset each handled
//!   signal to its default, so no handler of the parent runs in it;
//! - everything it needs (argument vectors, candidate paths, the stdio
//!   plan) is built by the parent before the clone;
//! - it reports a failure as an errno, written to a close-on-exec pipe,
//!   and `_exit(127)`s. Under a tool that turns the clone into a plain fork
//!   (valgrind does) nothing changes: the pipe still carries the error.
//!
//! The child's pidfd comes from `CLONE_PIDFD` (or `pidfd_open` when the
//! clone could not give one), so the loop waits for exactly this child and
//! never needs SIGCHLD.

use rustix::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use rustix::io::Errno;
use rustix::pipe::{pipe_with, PipeFlags};
use rustix::process::{pidfd_open, waitpid, Pid, PidfdFlags, WaitOptions};
use std::ffi::{c_char, c_int, c_long, c_void, CStr, CString};
use std::ptr;

/// Everything the child does between the clone and `execve`.
pub struct Request<'a> {
    /// `argv`, without the terminating null.
    pub argv: &'a [&'a CStr],
    /// The child's environment; `None` is the parent's.
    pub envp: Option<&'a [&'a CStr]>,
    /// The paths to try, in order, as `execvp` would (see
    /// `process::candidates`).
    pub candidates: &'a [CString],
    pub cwd: Option<&'a CStr>,
    /// Descriptor `n` of the child is a copy of the parent's `stdio[n]`;
    /// -1 is none: `/dev/null` for 0-2, left alone above. 0-2 are made
    /// blocking, as libuv does.
    pub stdio: &'a [RawFd],
    /// Start a new session (`setsid`).
    pub detached: bool,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

/// A running child.
pub struct Child {
    pub pid: i32,
    pub pidfd: OwnedFd,
}

/// The size of the child's stack. It runs only `child_main`, which keeps
/// nothing big on it.
const STACK_SIZE: usize = 64 * 1024;

/// The child's stack: a mapping of its own rather than heap memory, so that
/// a tool that runs the child as a fork (valgrind) and checks it for leaks
/// when it exits does not take the stack for a lost block.
struct ChildStack(*mut c_void);

impl ChildStack {
    fn new() -> Result<ChildStack, Errno> {
        // SAFETY: a fresh private anonymous mapping, owned by the result.
        let p = unsafe {
            rustix::mm::mmap_anonymous(
                ptr::null_mut(),
                STACK_SIZE,
                rustix::mm::ProtFlags::READ | rustix::mm::ProtFlags::WRITE,
                rustix::mm::MapFlags::PRIVATE | rustix::mm::MapFlags::STACK,
            )?
        };
        Ok(ChildStack(p))
    }

    /// Where the stack starts (it grows down).
    fn top(&self) -> *mut c_void {
        self.0.wrapping_byte_add(STACK_SIZE)
    }
}

impl Drop for ChildStack {
    fn drop(&mut self) {
        // SAFETY: the mapping made by `new`, no longer used by anyone: the
        // child has exec'd or exited when the clone returns.
        unsafe {
            let _ = rustix::mm::munmap(self.0, STACK_SIZE);
        }
    }
}

/// `RSUV_SPAWN_FORK=1` (read once): create children with fork(2), as libuv
/// does, instead of the vfork-style clone. For programs that rely on their
/// `pthread_atfork` child handlers running in spawned children (uvloop runs
/// `preexec_fn` from one), which a clone sharing the parent's memory must
/// not run. Costs what fork costs: page tables copied, growing with the
/// parent's size.
fn fork_requested() -> bool {
    static FORK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *FORK.get_or_init(|| std::env::var_os("RSUV_SPAWN_FORK").is_some_and(|v| v == "1"))
}

/// What `child_main` reads: raw pointers into the parent's frame, valid
/// because the parent sleeps until the child has exec'd or exited.
struct Plan {
    argv: *const *const c_char,
    envp: *const *const c_char,
    candidates: *const *const c_char,
    ncandidates: usize,
    /// `["/bin/sh", <path>, argv[1..], NULL]` for a file the kernel would
    /// not execute (`ENOEXEC`), as `execvp` runs it as a shell script.
    sh_argv: *mut *const c_char,
    cwd: *const c_char,
    fds: *mut c_int,
    nfds: usize,
    detached: bool,
    uid: Option<u32>,
    gid: Option<u32>,
    err_fd: c_int,
}

extern "C" {
    static environ: *const *const c_char;
}

/// Starts the child described by `req`. On success the child has called
/// `execve`; if it could not, its errno is returned, and it has been
/// reaped.
pub fn spawn(req: &Request<'_>) -> Result<Child, Errno> {
    let nul = |v: &mut Vec<*const c_char>| v.push(ptr::null());
    let mut argv: Vec<*const c_char> = req.argv.iter().map(|a| a.as_ptr()).collect();
    nul(&mut argv);
    let mut envp: Vec<*const c_char> = Vec::new();
    let envp_ptr = match req.envp {
        Some(env) => {
            envp.extend(env.iter().map(|e| e.as_ptr()));
            nul(&mut envp);
            envp.as_ptr()
        }
        // SAFETY: `environ` is libc's; reading the pointer races only with
        // setenv/putenv in other threads, as it does in libuv.
        None => unsafe { environ },
    };
    let candidates: Vec<*const c_char> = req.candidates.iter().map(|c| c.as_ptr()).collect();
    let mut sh_argv: Vec<*const c_char> = vec![c"/bin/sh".as_ptr(), ptr::null()];
    sh_argv.extend(req.argv.iter().skip(1).map(|a| a.as_ptr()));
    nul(&mut sh_argv);
    let mut fds: Vec<c_int> = req.stdio.to_vec();

    let (err_read, err_write) = pipe_with(PipeFlags::CLOEXEC)?;
    let mut plan = Plan {
        argv: argv.as_ptr(),
        envp: envp_ptr,
        candidates: candidates.as_ptr(),
        ncandidates: candidates.len(),
        sh_argv: sh_argv.as_mut_ptr(),
        cwd: req.cwd.map_or(ptr::null(), |c| c.as_ptr()),
        fds: fds.as_mut_ptr(),
        nfds: fds.len(),
        detached: req.detached,
        uid: req.uid,
        gid: req.gid,
        err_fd: err_write.as_raw_fd(),
    };
    let mut pidfd: c_int = -1;
    let pid = if fork_requested() {
        let _blocked = AllSignalsBlocked::new();
        // SAFETY: in the child, `child_main` makes only raw system calls
        // (async-signal-safe, as after fork(2) in a threaded program) on
        // its private copy of `plan`, and never returns.
        unsafe {
            let pid = libc::fork();
            if pid == 0 {
                child_main(ptr::addr_of_mut!(plan) as *mut c_void);
            }
            pid
        }
    } else {
        let stack = ChildStack::new()?;
        let _blocked = AllSignalsBlocked::new();
        // SAFETY: `child_main` follows the vfork rules (module docs); its
        // stack is `stack`, growing down from its end (page-aligned);
        // `plan` and everything it points to live in this frame,
        // which stays put while the parent sleeps in the clone. The
        // variadic arguments are the parent-tid pointer (where CLONE_PIDFD
        // stores the pidfd), tls and child-tid (unused).
        unsafe {
            libc::clone(
                child_main,
                stack.top(),
                libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_PIDFD | libc::SIGCHLD,
                ptr::addr_of_mut!(plan) as *mut c_void,
                ptr::addr_of_mut!(pidfd),
                ptr::null_mut::<c_void>(),
                ptr::null_mut::<c_int>(),
            )
        }
    };
    if pid == -1 {
        return Err(last_errno());
    }
    drop(err_write);
    // SAFETY: a pidfd the kernel just stored for us (CLONE_PIDFD), owned
    // by nobody else.
    let pidfd = (pidfd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(pidfd) });
    let child_pid = Pid::from_raw(pid);

    let mut word = [0u8; 4];
    let n = loop {
        match rustix::io::read(&err_read, &mut word) {
            Err(Errno::INTR) => continue,
            r => break r,
        }
    };
    let failure = match n {
        Ok(0) => None,
        Ok(4) => Some(Errno::from_raw_os_error(i32::from_ne_bytes(word))),
        _ => Some(Errno::PIPE),
    };
    if let Some(e) = failure {
        reap(child_pid);
        return Err(e);
    }
    let pidfd = match pidfd {
        Some(fd) => fd,
        None => match child_pid.map(|p| pidfd_open(p, PidfdFlags::empty())) {
            Some(Ok(fd)) => fd,
            // The child exec'd, but without a pidfd it cannot be waited
            // for; kill and reap it rather than leak a zombie.
            Some(Err(e)) => {
                let _ = send_signal_pid(pid, libc::SIGKILL);
                reap(child_pid);
                return Err(e);
            }
            None => return Err(Errno::SRCH),
        },
    };
    Ok(Child { pid, pidfd })
}

/// Waits for a child that failed before or in `execve`.
fn reap(pid: Option<Pid>) {
    while let Err(Errno::INTR) = waitpid(pid, WaitOptions::empty()) {}
}

/// `pidfd_send_signal(2)`: `signum` 0 only checks that the process exists
/// and has not been reaped.
pub fn send_signal(pidfd: BorrowedFd<'_>, signum: c_int) -> Result<(), Errno> {
    // SAFETY: the system call takes a descriptor, a signal number and two
    // zero arguments (no siginfo, no flags).
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            signum,
            ptr::null::<c_void>(),
            0,
        )
    };
    if rc == -1 {
        return Err(last_errno());
    }
    Ok(())
}

/// `kill(2)`.
pub fn send_signal_pid(pid: c_int, signum: c_int) -> Result<(), Errno> {
    // SAFETY: kill takes two integers.
    if unsafe { libc::kill(pid, signum) } == -1 {
        return Err(last_errno());
    }
    Ok(())
}

fn last_errno() -> Errno {
    Errno::from_raw_os_error(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// Blocks every signal, glibc's internal ones included, on this thread
/// while alive, so that the vfork child starts with all of them blocked.
struct AllSignalsBlocked(u64);

impl AllSignalsBlocked {
    fn new() -> AllSignalsBlocked {
        let all: u64 = !0;
        let mut old: u64 = 0;
        // SAFETY: the kernel's rt_sigprocmask with 8-byte sets, both valid.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                libc::SIG_SETMASK,
                ptr::addr_of!(all),
                ptr::addr_of_mut!(old),
                8usize,
            );
        }
        AllSignalsBlocked(old)
    }
}

impl Drop for AllSignalsBlocked {
    fn drop(&mut self) {
        // SAFETY: as in `new`, restoring the saved mask.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                libc::SIG_SETMASK,
                ptr::addr_of!(self.0),
                ptr::null_mut::<u64>(),
                8usize,
            );
        }
    }
}

// ---- the child ------------------------------------------------------------

/// The kernel's `struct sigaction` (x86_64 and aarch64 layout).
#[repr(C)]
struct KernelSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

/// A raw system call's result, or the errno it left.
///
/// # Safety
/// As for the system call made.
unsafe fn check(rc: c_long) -> Result<c_long, c_int> {
    if rc == -1 {
        // SAFETY: errno of this thread (in the child: of the sleeping
        // parent thread whose memory and TLS it shares, which nobody else
        // reads meanwhile).
        Err(unsafe { *libc::__errno_location() })
    } else {
        Ok(rc)
    }
}

/// The child: runs on its own stack in the parent's memory.
extern "C" fn child_main(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the parent's `Plan`, alive while it sleeps.
    let plan = unsafe { &mut *(arg as *mut Plan) };
    // SAFETY: per the module rules; `plan`'s pointers are valid.
    let errno = unsafe { child_setup_and_exec(plan) };
    let word = errno.to_ne_bytes();
    // SAFETY: writing 4 bytes from a local buffer, then leaving.
    unsafe {
        libc::syscall(libc::SYS_write, plan.err_fd, word.as_ptr(), 4usize);
        libc::syscall(libc::SYS_exit_group, 127);
    }
    127
}

/// Does what the child must do before `execve`, then tries each candidate;
/// returns the errno that stopped it.
///
/// # Safety
/// Runs in the vfork child; `plan`'s pointers are valid.
unsafe fn child_setup_and_exec(plan: &mut Plan) -> c_int {
    // SAFETY: raw system calls on plain integers and the plan's memory.
    unsafe {
        reset_signals();
        if plan.detached {
            let _ = libc::syscall(libc::SYS_setsid);
        }
        if let Err(e) = arrange_fds(plan) {
            return e;
        }
        if !plan.cwd.is_null() {
            if let Err(e) = check(libc::syscall(libc::SYS_chdir, plan.cwd)) {
                return e;
            }
        }
        if plan.uid.is_some() || plan.gid.is_some() {
            // Drops supplementary groups when root; fails harmlessly
            // otherwise, as in libuv.
            let _ = libc::syscall(libc::SYS_setgroups, 0usize, ptr::null::<libc::gid_t>());
        }
        if let Some(gid) = plan.gid {
            if let Err(e) = check(libc::syscall(libc::SYS_setgid, gid)) {
                return e;
            }
        }
        if let Some(uid) = plan.uid {
            if let Err(e) = check(libc::syscall(libc::SYS_setuid, uid)) {
                return e;
            }
        }
        let empty: u64 = 0;
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            ptr::addr_of!(empty),
            ptr::null_mut::<u64>(),
            8usize,
        );
        exec_candidates(plan)
    }
}

/// Sets every signal a handler catches back to its default action, and
/// the classic ones (1-31) to default even when ignored, as libuv does; the
/// kernel keeps ignored real-time signals ignored across exec.
///
/// # Safety
/// Runs in the vfork child.
unsafe fn reset_signals() {
    let dfl = KernelSigaction {
        handler: libc::SIG_DFL,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    for sig in 1..=64 {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        let mut old = KernelSigaction {
            handler: 0,
            flags: 0,
            restorer: 0,
            mask: 0,
        };
        // SAFETY: rt_sigaction with valid structs of the kernel's layout.
        unsafe {
            if sig >= 32 {
                let rc = libc::syscall(
                    libc::SYS_rt_sigaction,
                    sig,
                    ptr::null::<KernelSigaction>(),
                    ptr::addr_of_mut!(old),
                    8usize,
                );
                if rc != 0 || old.handler == libc::SIG_DFL || old.handler == libc::SIG_IGN {
                    continue;
                }
            }
            libc::syscall(
                libc::SYS_rt_sigaction,
                sig,
                ptr::addr_of!(dfl),
                ptr::null_mut::<KernelSigaction>(),
                8usize,
            );
        }
    }
}

/// Puts each planned descriptor in place, as libuv does: first moves any
/// source that a lower slot would overwrite out of the way (so stdout and
/// stderr can be swapped), then fills 0..n in order; an empty slot among
/// 0-2 gets `/dev/null`. The error pipe is moved above the slots first.
///
/// # Safety
/// Runs in the vfork child; `plan`'s arrays have `nfds` entries.
unsafe fn arrange_fds(plan: &mut Plan) -> Result<(), c_int> {
    let n = plan.nfds;
    // SAFETY: per the contract.
    unsafe {
        if (plan.err_fd as usize) < n {
            plan.err_fd = check(libc::syscall(
                libc::SYS_fcntl,
                plan.err_fd,
                libc::F_DUPFD_CLOEXEC,
                n,
            ))? as c_int;
        }
        for slot in 0..n {
            let src = *plan.fds.add(slot);
            if src >= 0 && (src as usize) < slot {
                *plan.fds.add(slot) = check(libc::syscall(
                    libc::SYS_fcntl,
                    src,
                    libc::F_DUPFD_CLOEXEC,
                    n,
                ))? as c_int;
            }
        }
        for slot in 0..n {
            let target = slot as c_int;
            let mut src = *plan.fds.add(slot);
            let mut opened = -1;
            if src < 0 {
                if slot >= 3 {
                    continue;
                }
                let _ = libc::syscall(libc::SYS_close, target);
                let mode = if slot == 0 {
                    libc::O_RDONLY
                } else {
                    libc::O_RDWR
                };
                src = check(libc::syscall(
                    libc::SYS_openat,
                    libc::AT_FDCWD,
                    c"/dev/null".as_ptr(),
                    mode,
                    0,
                ))? as c_int;
                opened = src;
            }
            if src == target {
                if opened == -1 {
                    check(libc::syscall(libc::SYS_fcntl, target, libc::F_SETFD, 0))?;
                }
            } else {
                check(libc::syscall(libc::SYS_dup3, src, target, 0))?;
            }
            if opened == -1 && slot <= 2 {
                set_blocking(target)?;
            }
            if opened >= n as c_int {
                let _ = libc::syscall(libc::SYS_close, opened);
            }
        }
    }
    Ok(())
}

/// Clears `O_NONBLOCK` on `fd` (for an inherited descriptor that is the
/// parent's too, as in libuv).
///
/// # Safety
/// Runs in the vfork child (or anywhere: fcntl on an integer).
unsafe fn set_blocking(fd: c_int) -> Result<(), c_int> {
    // SAFETY: fcntl on an integer descriptor.
    unsafe {
        let fl = check(libc::syscall(libc::SYS_fcntl, fd, libc::F_GETFL))? as c_int;
        if fl & libc::O_NONBLOCK != 0 {
            check(libc::syscall(
                libc::SYS_fcntl,
                fd,
                libc::F_SETFL,
                fl & !libc::O_NONBLOCK,
            ))?;
        }
    }
    Ok(())
}

/// `execvp`'s search over the candidates: ENOENT and the like move on to
/// the next one, EACCES is remembered and reported if nothing else runs,
/// any other error stops; a file the kernel will not run (`ENOEXEC`) is
/// run by `/bin/sh`.
///
/// # Safety
/// Runs in the vfork child; `plan`'s arrays are valid.
unsafe fn exec_candidates(plan: &mut Plan) -> c_int {
    let mut err = libc::ENOENT;
    let mut saw_eacces = false;
    for i in 0..plan.ncandidates {
        // SAFETY: per the contract.
        unsafe {
            let path = *plan.candidates.add(i);
            libc::syscall(libc::SYS_execve, path, plan.argv, plan.envp);
            err = *libc::__errno_location();
            if err == libc::ENOEXEC {
                *plan.sh_argv.add(1) = path;
                libc::syscall(
                    libc::SYS_execve,
                    *plan.sh_argv,
                    plan.sh_argv as *const *const c_char,
                    plan.envp,
                );
                return *libc::__errno_location();
            }
        }
        match err {
            libc::EACCES => saw_eacces = true,
            libc::ENOENT | libc::ESTALE | libc::ENOTDIR | libc::ENODEV | libc::ETIMEDOUT => {}
            _ => return err,
        }
    }
    if saw_eacces {
        libc::EACCES
    } else {
        err
    }
}
