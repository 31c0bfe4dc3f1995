//! Readiness polling (epoll) and the cross-thread wakeup (eventfd).

use rustix::buffer::spare_capacity;
use rustix::event::epoll;
use rustix::event::{eventfd, EventfdFlags};
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::time::Timespec;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

/// The epoll instance of one loop.
pub struct Poller {
    epfd: OwnedFd,
    events: Vec<epoll::Event>,
}

/// One readiness report: the token given at registration and the epoll
/// event bits (`EPOLLIN`, `EPOLLOUT`, `EPOLLERR`, …).
#[derive(Clone, Copy, Debug)]
pub struct Ready {
    pub token: u64,
    pub events: u32,
}

impl Ready {
    pub fn readable(&self) -> bool {
        self.events & epoll::EventFlags::IN.bits() != 0
    }
}

/// Epoll event bits, as the kernel defines them.
pub mod events {
    pub const IN: u32 = 0x001;
    pub const PRI: u32 = 0x002;
    pub const OUT: u32 = 0x004;
    pub const ERR: u32 = 0x008;
    pub const HUP: u32 = 0x010;
    pub const RDHUP: u32 = 0x2000;
}

impl Poller {
    pub fn new() -> io::Result<Poller> {
        let epfd = epoll::create(epoll::CreateFlags::CLOEXEC)?;
        Ok(Poller {
            epfd,
            events: Vec::with_capacity(1024),
        })
    }

    /// The epoll descriptor, for `uv_backend_fd`.
    pub fn raw_fd(&self) -> i32 {
        self.epfd.as_raw_fd()
    }

    /// Lends the epoll set and the event buffer out for a wait that holds
    /// no borrow of the loop (see `LoopCell`); `end_wait` takes them back.
    pub fn begin_wait(&mut self) -> DetachedWait {
        DetachedWait {
            epfd: self.epfd.as_raw_fd(),
            events: std::mem::take(&mut self.events),
        }
    }

    /// Takes back what [`Poller::begin_wait`] lent; `ready` then lists what
    /// the wait collected.
    pub fn end_wait(&mut self, wait: DetachedWait) {
        self.events = wait.events;
    }

    /// The readiness the last wait collected.
    pub fn ready(&self) -> impl Iterator<Item = Ready> + '_ {
        self.events.iter().map(|e| {
            // Copy out of the packed kernel struct before use.
            let (data, flags) = (e.data, e.flags);
            Ready {
                token: data.u64(),
                events: flags.bits(),
            }
        })
    }

    /// Registers `fd` for readability, reported with `token`.
    pub fn add_readable(&self, fd: impl AsFd, token: u64) -> io::Result<()> {
        epoll::add(
            &self.epfd,
            fd,
            epoll::EventData::new_u64(token),
            epoll::EventFlags::IN,
        )?;
        Ok(())
    }

    /// Starts watching the caller's descriptor `fd` for `events`.
    pub fn register(&self, fd: i32, token: u64, events: u32) -> io::Result<()> {
        // SAFETY: the descriptor is only named for this call; if it is not
        // open the kernel answers EBADF, nothing is read or written through it.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        epoll::add(
            &self.epfd,
            fd,
            epoll::EventData::new_u64(token),
            epoll::EventFlags::from_bits_retain(events),
        )?;
        Ok(())
    }

    /// Changes the events watched on a registered descriptor.
    pub fn reregister(&self, fd: i32, token: u64, events: u32) -> io::Result<()> {
        // SAFETY: as in `register`.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        epoll::modify(
            &self.epfd,
            fd,
            epoll::EventData::new_u64(token),
            epoll::EventFlags::from_bits_retain(events),
        )?;
        Ok(())
    }

    /// Stops watching `fd`. Errors are ignored: the descriptor may have been
    /// closed already, which removed it from the set.
    pub fn deregister(&self, fd: i32) {
        // SAFETY: as in `register`.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let _ = epoll::delete(&self.epfd, fd);
    }

    /// Waits up to `timeout_ms` (-1: forever, 0: don't block) and returns
    /// the reports. An interrupted wait returns no reports. With
    /// `block_sigprof`, SIGPROF is held off during the wait (a sampling
    /// profiler would otherwise wake the loop constantly).
    pub fn wait(
        &mut self,
        timeout_ms: i32,
        block_sigprof: bool,
    ) -> io::Result<impl Iterator<Item = Ready> + '_> {
        wait_into(
            self.epfd.as_fd(),
            &mut self.events,
            timeout_ms,
            block_sigprof,
        )?;
        Ok(self.ready())
    }
}

/// The epoll wait of [`Poller::begin_wait`], made while the loop is not
/// borrowed; the loop's thread keeps the poller (and its descriptor) alive
/// meanwhile.
pub struct DetachedWait {
    epfd: i32,
    events: Vec<epoll::Event>,
}

impl DetachedWait {
    pub fn wait(&mut self, timeout_ms: i32, block_sigprof: bool) -> io::Result<()> {
        // SAFETY: the epoll descriptor of a poller that its loop's thread
        // (this one) keeps open until `end_wait`.
        let epfd = unsafe { BorrowedFd::borrow_raw(self.epfd) };
        wait_into(epfd, &mut self.events, timeout_ms, block_sigprof)
    }
}

/// `epoll_wait` into `events` for up to `timeout_ms` (-1: no limit), with
/// SIGPROF held off if asked.
fn wait_into(
    epfd: BorrowedFd<'_>,
    events: &mut Vec<epoll::Event>,
    timeout_ms: i32,
    block_sigprof: bool,
) -> io::Result<()> {
    let _blocked = block_sigprof.then(SigprofBlock::new);
    let ts;
    let timeout = if timeout_ms < 0 {
        None
    } else {
        ts = Timespec {
            tv_sec: i64::from(timeout_ms / 1000),
            tv_nsec: i64::from(timeout_ms % 1000) * 1_000_000,
        };
        Some(&ts)
    };
    events.clear();
    match epoll::wait(epfd, spare_capacity(events), timeout) {
        Ok(_) | Err(Errno::INTR) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Blocks SIGPROF for the calling thread while alive.
struct SigprofBlock {
    old: libc::sigset_t,
}

impl SigprofBlock {
    fn new() -> SigprofBlock {
        // SAFETY: sigset_t is plain data that sigemptyset initializes; the
        // calls only change this thread's mask, restored on drop.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGPROF);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
            SigprofBlock { old }
        }
    }
}

impl Drop for SigprofBlock {
    fn drop(&mut self) {
        // SAFETY: restores the mask saved in new().
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.old, std::ptr::null_mut());
        }
    }
}

/// Wakes a loop from any thread: an eventfd registered in the loop's epoll set.
pub struct Waker {
    fd: OwnedFd,
    /// Set before each write: lets the loop skip the read when nothing was
    /// written (the common case when it was awake anyway).
    written: AtomicBool,
}

impl Waker {
    pub fn new() -> io::Result<Waker> {
        let fd = eventfd(0, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        Ok(Waker {
            fd,
            written: AtomicBool::new(false),
        })
    }

    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// Makes the eventfd readable. Failure is only possible when the counter
    /// would overflow, in which case it is readable already.
    pub fn wake(&self) {
        self.written.store(true, Ordering::SeqCst);
        let _ = rustix::io::write(&self.fd, &1u64.to_ne_bytes());
    }

    /// Resets the eventfd to unreadable. With `known_readable` false (the
    /// poller did not report it), reads only if a write was announced; a
    /// write racing past that check leaves the eventfd readable, and the next
    /// poll reports and drains it.
    pub fn drain(&self, known_readable: bool) {
        if self.written.swap(false, Ordering::SeqCst) || known_readable {
            let mut buf = [0u8; 8];
            let _ = rustix::io::read(&self.fd, &mut buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waker_wakes_poller() {
        let mut p = Poller::new().unwrap();
        let w = Waker::new().unwrap();
        p.add_readable(w.fd(), 7).unwrap();
        assert_eq!(p.wait(0, false).unwrap().count(), 0);
        w.wake();
        let got: Vec<_> = p.wait(1000, false).unwrap().collect();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].token, 7);
        assert!(got[0].readable());
        w.drain(true);
        assert_eq!(p.wait(0, false).unwrap().count(), 0);
    }

    #[test]
    fn registered_descriptors_report_their_events() {
        let mut p = Poller::new().unwrap();
        let (r, w) = rustix::pipe::pipe().unwrap();
        p.register(w.as_raw_fd(), 3, events::OUT).unwrap();
        let got: Vec<_> = p.wait(0, false).unwrap().collect();
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].token, got[0].events & events::OUT),
            (3, events::OUT)
        );
        p.reregister(w.as_raw_fd(), 3, events::IN).unwrap();
        assert_eq!(p.wait(0, false).unwrap().count(), 0);
        p.register(r.as_raw_fd(), 4, events::IN).unwrap();
        rustix::io::write(&w, b"x").unwrap();
        let got: Vec<_> = p.wait(0, false).unwrap().collect();
        assert_eq!(got.len(), 1);
        assert!(got[0].token == 4 && got[0].readable());
        p.deregister(r.as_raw_fd());
        assert_eq!(p.wait(0, false).unwrap().count(), 0);
    }
}
