//! `uv_fs_event`'s engine: one inotify descriptor per loop, made by the
//! first start and kept until the loop goes, and the watches its started
//! handles share.
//!
//! The descriptor is an internal watcher of the loop (invisible to
//! `uv_walk`, never keeping the loop alive); a started handle is active and
//! does. inotify gives one watch descriptor per inode, so handles of a loop
//! on the same file or directory share one watch; it is removed from the
//! kernel when its last handle stops. Events map as in libuv: `IN_ATTRIB` or
//! `IN_MODIFY` give `UV_CHANGE`, any other bit `UV_RENAME` (both when both),
//! named by the entry for a watched directory and by the basename of the
//! watched path for an event on the watched file or directory itself.
//!
//! [`dispatch`] copies the events out of the kernel a buffer at a time and
//! makes each callback with the loop not borrowed. For every event it first
//! lists who to call, then checks before each call that the handle is still
//! started by the same start, so a callback may stop, close or restart any
//! handle (its own or another on the same watch) and events already read for
//! a stopped handle are dropped.
//!
//! `UV_FS_EVENT_RECURSIVE` (an rsuv extension; libuv ignores the flag on
//! Linux) watches the whole tree and names entries relative to the watched
//! directory (`a/b/c.txt`). Subdirectories are watched without following
//! symbolic links. A directory that appears later (created, or moved in) is
//! watched when its event arrives; a created one is then scanned and what
//! was made in it before the watch existed is reported as `UV_RENAME`, so
//! an entry may occasionally be reported twice but is not missed. A
//! directory moved out of the tree stops being watched. The watched tree's
//! own events reach the handle through each parent's watch, so a
//! subdirectory's events about itself are not reported twice.
//!
//! The per-user watch limit (`/proc/sys/fs/inotify/max_user_watches`) is
//! never met silently: a start that runs into it (`ENOSPC`) fails with
//! `UV_ENOSPC` and leaves nothing watched, rather than watching part of the
//! tree; a directory appearing later that cannot be watched is reported to
//! the callback with status `UV_ENOSPC`, its relative name, and no event
//! bits (the directory's creation itself was reported as usual). Other
//! failures to watch a subdirectory (it vanished, or is not readable) skip
//! it quietly. A queue overflow (`IN_Q_OVERFLOW`) is dropped, as in libuv.

use crate::handle::{HandleId, Token};
use crate::sys::loop_cell::LoopCell;
use crate::Loop;
use rustix::fd::{AsRawFd, OwnedFd};
use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};
use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use std::collections::{HashMap, HashSet};
use std::ffi::{CStr, CString};

/// `uv_fs_event` bits.
pub const UV_RENAME: i32 = 1;
pub const UV_CHANGE: i32 = 2;

/// What every watch asks for, as libuv does.
const MASK: WatchFlags = WatchFlags::ATTRIB
    .union(WatchFlags::CREATE)
    .union(WatchFlags::MODIFY)
    .union(WatchFlags::DELETE)
    .union(WatchFlags::DELETE_SELF)
    .union(WatchFlags::MOVE_SELF)
    .union(WatchFlags::MOVED_FROM)
    .union(WatchFlags::MOVED_TO);

const IN_CHANGE: u32 = ReadFlags::ATTRIB.bits() | ReadFlags::MODIFY.bits();
const IN_ISDIR: u32 = ReadFlags::ISDIR.bits();
const IN_IGNORED: u32 = ReadFlags::IGNORED.bits();
const IN_NEW_ENTRY: u32 = ReadFlags::CREATE.bits() | ReadFlags::MOVED_TO.bits();
const IN_CREATE: u32 = ReadFlags::CREATE.bits();
const IN_MOVED_FROM: u32 = ReadFlags::MOVED_FROM.bits();

/// One read's worth: enough for many events, and for one with the longest
/// name (a 16-byte header plus `NAME_MAX` + 1).
const BUF_SIZE: usize = 16 * 1024;

/// The `uv_fs_event` bits for an inotify mask.
pub fn event_bits(mask: u32) -> i32 {
    let mut events = 0;
    if mask & IN_CHANGE != 0 {
        events |= UV_CHANGE;
    }
    if mask & !IN_CHANGE != 0 {
        events |= UV_RENAME;
    }
    events
}

/// A handle's place in one watch: `prefix` is the watched directory's path
/// relative to the handle's own path (empty: the handle's path itself).
struct Entry {
    handle: HandleId,
    prefix: Vec<u8>,
}

/// A started handle.
struct Sub {
    token: Token,
    /// Which start this is: deliveries listed for an earlier start of the
    /// same handle are dropped.
    seq: u64,
    path: CString,
    recursive: bool,
    wds: HashSet<i32>,
}

/// One event as read from the kernel.
struct RawEvent {
    wd: i32,
    mask: u32,
    name: Vec<u8>,
}

/// One callback to make.
struct Delivery {
    handle: HandleId,
    token: Token,
    seq: u64,
    name: CString,
    events: i32,
    status: i32,
}

/// A loop's inotify state. Boxed in the loop: its address is the token of
/// the descriptor's internal watcher.
pub struct Inotify {
    fd: OwnedFd,
    /// The descriptor's internal watcher in the loop.
    watcher: HandleId,
    watches: HashMap<i32, Vec<Entry>>,
    subs: HashMap<HandleId, Sub>,
    seq: u64,
    buf: Vec<u8>,
}

impl Inotify {
    fn token(&self) -> Token {
        self as *const Inotify as usize
    }

    /// Puts `id` on watch `wd` at `prefix`. False if it is there already
    /// (the same inode reached twice, e.g. through a bind mount).
    fn subscribe(&mut self, id: HandleId, wd: i32, prefix: Vec<u8>) -> bool {
        let Some(sub) = self.subs.get_mut(&id) else {
            return false;
        };
        let entries = self.watches.entry(wd).or_default();
        if entries.iter().any(|e| e.handle == id) {
            return false;
        }
        entries.push(Entry { handle: id, prefix });
        sub.wds.insert(wd);
        true
    }

    /// Takes `id` off watch `wd`, removing the watch with its last handle.
    /// Leaves the handle's own list alone.
    fn leave(&mut self, id: HandleId, wd: i32) {
        let Some(entries) = self.watches.get_mut(&wd) else {
            return;
        };
        entries.retain(|e| e.handle != id);
        if entries.is_empty() {
            self.watches.remove(&wd);
            // Fails only if the kernel dropped the watch already.
            let _ = inotify::remove_watch(&self.fd, wd);
        }
    }

    /// Forgets `id` and all its watches.
    fn unsubscribe(&mut self, id: HandleId) -> bool {
        let Some(sub) = self.subs.remove(&id) else {
            return false;
        };
        for wd in sub.wds {
            self.leave(id, wd);
        }
        true
    }

    /// The kernel dropped watch `wd` (its inode went, or its file system).
    fn watch_gone(&mut self, wd: i32) {
        for e in self.watches.remove(&wd).unwrap_or_default() {
            if let Some(sub) = self.subs.get_mut(&e.handle) {
                sub.wds.remove(&wd);
            }
        }
    }

    /// Stops watching the directory `rel` of `id`'s tree and everything
    /// below it (it was moved away).
    fn forget_subtree(&mut self, id: HandleId, rel: &[u8]) {
        let Some(sub) = self.subs.get(&id) else {
            return;
        };
        let gone: Vec<i32> = sub
            .wds
            .iter()
            .copied()
            .filter(|wd| {
                self.watches
                    .get(wd)
                    .and_then(|es| es.iter().find(|e| e.handle == id))
                    .is_some_and(|e| within(&e.prefix, rel))
            })
            .collect();
        for wd in gone {
            self.leave(id, wd);
            if let Some(sub) = self.subs.get_mut(&id) {
                sub.wds.remove(&wd);
            }
        }
    }

    /// Watches every directory below `top` (itself watched already) in
    /// `id`'s tree. Without `found` (at start) running into the watch limit
    /// is an error; with it, each directory that could not be watched is
    /// listed with its error, and (if `found.created`) every entry met is
    /// listed as new.
    fn watch_tree(
        &mut self,
        id: HandleId,
        top: Vec<u8>,
        mut found: Option<&mut Found>,
    ) -> Result<(), Errno> {
        let Some(root) = self.subs.get(&id).map(|s| s.path.to_bytes().to_vec()) else {
            return Ok(());
        };
        let mut stack = vec![top];
        while let Some(prefix) = stack.pop() {
            let Ok(entries) = list_dir(&join(&root, &prefix), prefix.is_empty()) else {
                continue;
            };
            for (name, is_dir) in entries {
                let rel = join_rel(&prefix, &name);
                if let Some(f) = found.as_deref_mut() {
                    if f.created {
                        f.list.push((rel.clone(), 0));
                    }
                }
                if !is_dir {
                    continue;
                }
                match add_subdir_watch(&self.fd, &join(&root, &rel)) {
                    Ok(wd) => {
                        if self.subscribe(id, wd, rel.clone()) {
                            stack.push(rel);
                        }
                    }
                    Err(e @ (Errno::NOSPC | Errno::NOMEM)) => match found.as_deref_mut() {
                        None => return Err(e),
                        Some(f) => f.list.push((rel, -e.raw_os_error())),
                    },
                    Err(_) => {}
                }
            }
        }
        Ok(())
    }

    /// A directory `rel` appeared in `id`'s tree: watch it and what is in it.
    fn watch_new_dir(
        &mut self,
        id: HandleId,
        rel: Vec<u8>,
        created: bool,
        out: &mut Vec<Delivery>,
    ) {
        let Some(sub) = self.subs.get(&id) else {
            return;
        };
        let (token, seq) = (sub.token, sub.seq);
        let mut found = Found {
            created,
            list: Vec::new(),
        };
        match add_subdir_watch(&self.fd, &join(sub.path.to_bytes(), &rel)) {
            Ok(wd) => {
                if self.subscribe(id, wd, rel.clone()) {
                    // Only errors are possible with `found` given, and they
                    // are in its list.
                    let _ = self.watch_tree(id, rel, Some(&mut found));
                }
            }
            Err(e @ (Errno::NOSPC | Errno::NOMEM)) => found.list.push((rel, -e.raw_os_error())),
            Err(_) => {}
        }
        for (name, status) in found.list {
            out.push(Delivery {
                handle: id,
                token,
                seq,
                name: cstring(name),
                events: if status == 0 { UV_RENAME } else { 0 },
                status,
            });
        }
    }

    /// Reads what the kernel has queued, one buffer full; empty when
    /// nothing is.
    fn read_batch(&mut self) -> Vec<RawEvent> {
        loop {
            match rustix::io::read(&self.fd, &mut self.buf[..]) {
                Ok(n) => return parse_events(&self.buf[..n]),
                Err(Errno::INTR) => continue,
                Err(_) => return Vec::new(),
            }
        }
    }

    /// Lists the callbacks one event makes, keeping the recursive watches
    /// up to date with it.
    fn process(&mut self, ev: &RawEvent) -> Vec<Delivery> {
        let mut out = Vec::new();
        let Some(entries) = self.watches.get(&ev.wd) else {
            // A watch removed since, or the queue overflowed (wd -1).
            return out;
        };
        let targets: Vec<(HandleId, Vec<u8>)> = entries
            .iter()
            .map(|e| (e.handle, e.prefix.clone()))
            .collect();
        let events = event_bits(ev.mask);
        let mut appeared = Vec::new();
        for (id, prefix) in targets {
            let Some(sub) = self.subs.get(&id) else {
                continue;
            };
            let name = if !ev.name.is_empty() {
                join_rel(&prefix, &ev.name)
            } else if prefix.is_empty() {
                basename(sub.path.to_bytes()).to_vec()
            } else {
                // A subdirectory's event about itself: its parent's watch
                // reports it.
                continue;
            };
            out.push(Delivery {
                handle: id,
                token: sub.token,
                seq: sub.seq,
                name: cstring(name.clone()),
                events,
                status: 0,
            });
            if sub.recursive && !ev.name.is_empty() && ev.mask & IN_ISDIR != 0 {
                if ev.mask & IN_NEW_ENTRY != 0 {
                    appeared.push((id, name, ev.mask & IN_CREATE != 0));
                } else if ev.mask & IN_MOVED_FROM != 0 {
                    self.forget_subtree(id, &name);
                }
            }
        }
        if ev.mask & IN_IGNORED != 0 {
            self.watch_gone(ev.wd);
        }
        for (id, rel, created) in appeared {
            self.watch_new_dir(id, rel, created, &mut out);
        }
        out
    }
}

/// What a scan of a new directory met.
struct Found {
    /// Report every entry met (the directory was just created).
    created: bool,
    /// Relative names, with 0 or the error of watching that directory.
    list: Vec<(Vec<u8>, i32)>,
}

fn add_subdir_watch(fd: &OwnedFd, path: &[u8]) -> Result<i32, Errno> {
    let flags = MASK | WatchFlags::ONLYDIR | WatchFlags::DONT_FOLLOW;
    inotify::add_watch(fd, cstring(path.to_vec()).as_c_str(), flags)
}

/// The entries of a directory (no `.` or `..`), each with whether it is a
/// directory (a symbolic link is not). `follow`: the path may end in a
/// symbolic link to the directory.
fn list_dir(path: &[u8], follow: bool) -> Result<Vec<(Vec<u8>, bool)>, Errno> {
    let mut flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    if !follow {
        flags |= OFlags::NOFOLLOW;
    }
    let fd = rfs::open(cstring(path.to_vec()).as_c_str(), flags, Mode::empty())?;
    let mut dir = rfs::Dir::read_from(&fd)?;
    let mut entries = Vec::new();
    while let Some(entry) = dir.read() {
        let Ok(entry) = entry else {
            break;
        };
        let name = entry.file_name();
        if matches!(name.to_bytes(), b"." | b"..") {
            continue;
        }
        let is_dir = match entry.file_type() {
            FileType::Directory => true,
            FileType::Unknown => rfs::statat(&fd, name, AtFlags::SYMLINK_NOFOLLOW)
                .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory),
            _ => false,
        };
        entries.push((name.to_bytes().to_vec(), is_dir));
    }
    Ok(entries)
}

/// Splits a buffer read from inotify into events.
fn parse_events(mut b: &[u8]) -> Vec<RawEvent> {
    const HEADER: usize = 16;
    let field = |b: &[u8], at: usize| {
        let mut v = [0u8; 4];
        v.copy_from_slice(&b[at..at + 4]);
        v
    };
    let mut out = Vec::new();
    while b.len() >= HEADER {
        let wd = i32::from_ne_bytes(field(b, 0));
        let mask = u32::from_ne_bytes(field(b, 4));
        let len = u32::from_ne_bytes(field(b, 12)) as usize;
        let Some(name) = b.get(HEADER..HEADER + len) else {
            break;
        };
        // The name is padded with NULs.
        let name = name.split(|&c| c == 0).next().unwrap_or_default().to_vec();
        out.push(RawEvent { wd, mask, name });
        b = &b[HEADER + len..];
    }
    out
}

/// Whether `prefix` is `dir` or inside it.
fn within(prefix: &[u8], dir: &[u8]) -> bool {
    prefix.starts_with(dir) && (prefix.len() == dir.len() || prefix[dir.len()] == b'/')
}

/// The part after the last `/` (libuv's basename for a watched file).
fn basename(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&c| c == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// `root/rel` as a path to open or watch.
fn join(root: &[u8], rel: &[u8]) -> Vec<u8> {
    if rel.is_empty() {
        return root.to_vec();
    }
    let mut p = root.to_vec();
    if !p.ends_with(b"/") {
        p.push(b'/');
    }
    p.extend_from_slice(rel);
    p
}

/// `prefix/name` as reported to a recursive handle.
fn join_rel(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    if prefix.is_empty() {
        return name.to_vec();
    }
    let mut p = prefix.to_vec();
    p.push(b'/');
    p.extend_from_slice(name);
    p
}

/// Names from the kernel and from C strings hold no NUL; one that somehow
/// did would be cut there.
fn cstring(mut bytes: Vec<u8>) -> CString {
    if let Some(i) = bytes.iter().position(|&c| c == 0) {
        bytes.truncate(i);
    }
    CString::new(bytes).unwrap_or_default()
}

/// A new inotify instance, as each loop has.
pub(crate) fn new_descriptor() -> Result<OwnedFd, Errno> {
    inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK)
}

impl Loop {
    fn inotify(&mut self) -> Result<&mut Inotify, Errno> {
        if self.fs_events.is_none() {
            let fd = new_descriptor()?;
            let raw = fd.as_raw_fd();
            let mut n = Box::new(Inotify {
                fd,
                watcher: HandleId(crate::handle::NIL),
                watches: HashMap::new(),
                subs: HashMap::new(),
                seq: 0,
                buf: vec![0; BUF_SIZE],
            });
            let id = self.init_internal(n.token());
            n.watcher = id;
            if let Err(e) = self.io_start(id, raw, crate::sys::poller::events::IN) {
                self.remove_internal(id);
                return Err(Errno::from_io_error(&e).unwrap_or(Errno::IO));
            }
            self.fs_events = Some(n);
        }
        self.fs_events.as_deref_mut().ok_or(Errno::NOMEM)
    }

    /// Starts the fs_event handle `id` (whose struct is at `token`) on
    /// `path`, and marks it active. `EINVAL` if it is started already;
    /// otherwise the error of watching `path` (or, recursively, `ENOSPC`
    /// when the tree does not fit in the watch limit), with nothing
    /// watched.
    pub fn fs_event_start(
        &mut self,
        id: HandleId,
        token: Token,
        path: &CStr,
        recursive: bool,
    ) -> Result<(), Errno> {
        if !self.is_handle(id, token) || self.is_closing(id) {
            return Err(Errno::INVAL);
        }
        let n = self.inotify()?;
        if n.subs.contains_key(&id) {
            return Err(Errno::INVAL);
        }
        // The watched path itself may be a symbolic link, as in libuv.
        let wd = inotify::add_watch(&n.fd, path, MASK)?;
        n.seq += 1;
        n.subs.insert(
            id,
            Sub {
                token,
                seq: n.seq,
                path: path.to_owned(),
                recursive,
                wds: HashSet::new(),
            },
        );
        n.subscribe(id, wd, Vec::new());
        if recursive {
            if let Err(e) = n.watch_tree(id, Vec::new(), None) {
                n.unsubscribe(id);
                return Err(e);
            }
        }
        self.activate(id);
        Ok(())
    }

    /// In a forked child (see [`Loop::after_fork`]): moves the loop's
    /// inotify state to `fd`, a new instance (the inherited one is the
    /// parent's, and would hand it our events or us its), and watches each
    /// started handle's path again, in start order, as a start would.
    /// Returns the handles that could not be watched again, now stopped,
    /// with the error; the rest keep their start, so they report as before.
    pub(crate) fn fs_events_after_fork(
        &mut self,
        fd: OwnedFd,
    ) -> std::io::Result<Vec<(Token, Errno)>> {
        let Some(n) = self.fs_events.as_deref_mut() else {
            return Ok(Vec::new());
        };
        // Dropping the old descriptor closes the child's copy only.
        n.fd = fd;
        n.watches.clear();
        let mut started: Vec<(u64, HandleId)> = n.subs.iter().map(|(&id, s)| (s.seq, id)).collect();
        started.sort_unstable_by_key(|&(seq, _)| seq);
        let mut lost = Vec::new();
        for (_, id) in started {
            let Some(sub) = n.subs.get_mut(&id) else {
                continue;
            };
            sub.wds.clear();
            let (token, recursive) = (sub.token, sub.recursive);
            let watched = inotify::add_watch(&n.fd, sub.path.as_c_str(), MASK).and_then(|wd| {
                n.subscribe(id, wd, Vec::new());
                if recursive {
                    n.watch_tree(id, Vec::new(), None)?;
                }
                Ok(())
            });
            if let Err(e) = watched {
                n.unsubscribe(id);
                lost.push((id, token, e));
            }
        }
        let (watcher, raw) = (n.watcher, n.fd.as_raw_fd());
        for &(id, _, _) in &lost {
            self.deactivate(id);
        }
        self.io_start(watcher, raw, crate::sys::poller::events::IN)?;
        Ok(lost.into_iter().map(|(_, token, e)| (token, e)).collect())
    }

    /// Stops `id` and deactivates it; false if it was not started.
    pub fn fs_event_stop(&mut self, id: HandleId) -> bool {
        let stopped = self
            .fs_events
            .as_deref_mut()
            .is_some_and(|n| n.unsubscribe(id));
        if stopped {
            self.deactivate(id);
        }
        stopped
    }

    /// The path `id` was started on.
    pub fn fs_event_path(&self, id: HandleId) -> Option<&CStr> {
        Some(self.fs_events.as_deref()?.subs.get(&id)?.path.as_c_str())
    }

    /// How many inotify watches the loop holds (for tests and diagnostics).
    pub fn fs_event_watch_count(&self) -> usize {
        self.fs_events.as_deref().map_or(0, |n| n.watches.len())
    }

    fn fs_event_started(&self, id: HandleId, token: Token, seq: u64) -> bool {
        self.is_handle(id, token)
            && !self.is_closing(id)
            && self
                .fs_events
                .as_deref()
                .and_then(|n| n.subs.get(&id))
                .is_some_and(|s| s.seq == seq)
    }
}

/// Delivers the events queued on the loop's inotify descriptor if `token`
/// is its watcher's (else returns false and does nothing):
/// `call(handle, name, events, status)` makes each callback, with the loop
/// not borrowed.
pub fn dispatch(
    lp: &LoopCell<Loop>,
    token: Token,
    mut call: impl FnMut(Token, &CStr, i32, i32),
) -> bool {
    let ours = lp
        .try_borrow()
        .is_ok_and(|l| l.fs_events.as_deref().is_some_and(|n| n.token() == token));
    if !ours {
        return false;
    }
    loop {
        let batch = match lp.try_borrow_mut() {
            Ok(mut l) => match l.fs_events.as_deref_mut() {
                Some(n) => n.read_batch(),
                None => Vec::new(),
            },
            Err(_) => Vec::new(),
        };
        if batch.is_empty() {
            return true;
        }
        for ev in &batch {
            let deliveries = match lp.try_borrow_mut() {
                Ok(mut l) => match l.fs_events.as_deref_mut() {
                    Some(n) => n.process(ev),
                    None => return true,
                },
                Err(_) => return true,
            };
            for d in deliveries {
                let started = lp
                    .try_borrow()
                    .is_ok_and(|l| l.fs_event_started(d.handle, d.token, d.seq));
                if started {
                    call(d.token, &d.name, d.events, d.status);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kind;
    use std::path::PathBuf;

    type Log = Vec<(Token, String, i32, i32)>;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let p = std::env::temp_dir().join(format!(
                "rsuv-fs-event-{tag}-{}-{}",
                std::process::id(),
                crate::sys::clock::hrtime()
            ));
            std::fs::create_dir(&p).unwrap();
            TempDir(p)
        }
        fn path(&self, rel: &str) -> PathBuf {
            self.0.join(rel)
        }
        fn c(&self, rel: &str) -> CString {
            let p = if rel.is_empty() {
                self.0.clone()
            } else {
                self.path(rel)
            };
            CString::new(p.into_os_string().into_encoded_bytes()).unwrap()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Delivers what is queued, like the loop does when the descriptor is
    /// readable; `act` runs in each callback with the loop.
    fn pump(lp: &LoopCell<Loop>, act: impl Fn(&LoopCell<Loop>, Token, &str)) -> Log {
        let token = lp.borrow().fs_events.as_deref().unwrap().token();
        let mut log = Vec::new();
        assert!(dispatch(lp, token, |h, name, ev, st| {
            let name = name.to_str().unwrap().to_string();
            act(lp, h, &name);
            log.push((h, name, ev, st));
        }));
        log
    }

    fn new_loop() -> LoopCell<Loop> {
        LoopCell::new(Loop::new().unwrap())
    }

    #[test]
    fn event_bits_follow_libuv() {
        assert_eq!(event_bits(ReadFlags::MODIFY.bits()), UV_CHANGE);
        assert_eq!(event_bits(ReadFlags::ATTRIB.bits()), UV_CHANGE);
        assert_eq!(event_bits(ReadFlags::CREATE.bits()), UV_RENAME);
        assert_eq!(event_bits(IN_IGNORED), UV_RENAME);
        assert_eq!(
            event_bits(ReadFlags::ATTRIB.bits() | IN_ISDIR),
            UV_RENAME | UV_CHANGE
        );
    }

    #[test]
    fn helpers() {
        assert_eq!(basename(b"a/b/c"), b"c");
        assert_eq!(basename(b"file"), b"file");
        assert_eq!(basename(b"dir/"), b"");
        assert_eq!(join(b"w/", b"x"), b"w/x");
        assert_eq!(join(b"w", b"x"), b"w/x");
        assert_eq!(join(b"w", b""), b"w");
        assert_eq!(join_rel(b"", b"x"), b"x");
        assert_eq!(join_rel(b"a/b", b"x"), b"a/b/x");
        assert!(within(b"a/b", b"a"));
        assert!(within(b"a", b"a"));
        assert!(!within(b"ab", b"a"));
        let mut buf = Vec::new();
        for (wd, mask, name) in [(1i32, 2u32, &b"x\0\0\0"[..]), (3, 4, &b""[..])] {
            buf.extend_from_slice(&wd.to_ne_bytes());
            buf.extend_from_slice(&mask.to_ne_bytes());
            buf.extend_from_slice(&0u32.to_ne_bytes());
            buf.extend_from_slice(&(name.len() as u32).to_ne_bytes());
            buf.extend_from_slice(name);
        }
        let evs = parse_events(&buf);
        assert_eq!(evs.len(), 2);
        assert_eq!(
            (evs[0].wd, evs[0].mask, &evs[0].name[..]),
            (1, 2, &b"x"[..])
        );
        assert_eq!((evs[1].wd, evs[1].mask, evs[1].name.len()), (3, 4, 0));
    }

    #[test]
    fn directory_and_file_watches_share_and_name_like_libuv() {
        let t = TempDir::new("basic");
        std::fs::write(t.path("f"), b"").unwrap();
        let lp = new_loop();
        let (a, b, c) = {
            let mut l = lp.borrow_mut();
            let a = l.init_handle(0x10, Kind::Other);
            let b = l.init_handle(0x20, Kind::Other);
            let c = l.init_handle(0x30, Kind::Other);
            assert_eq!(
                l.fs_event_start(a, 0x10, &t.c("nope"), false),
                Err(Errno::NOENT)
            );
            assert!(!l.is_active(a));
            l.fs_event_start(a, 0x10, &t.c(""), false).unwrap();
            assert_eq!(
                l.fs_event_start(a, 0x10, &t.c(""), false),
                Err(Errno::INVAL)
            );
            l.fs_event_start(b, 0x20, &t.c(""), false).unwrap();
            l.fs_event_start(c, 0x30, &t.c("f"), false).unwrap();
            assert_eq!(l.fs_event_watch_count(), 2, "a and b share one watch");
            assert!(l.is_active(a) && l.is_active(b));
            (a, b, c)
        };
        std::fs::write(t.path("f"), b"data").unwrap();
        let log = pump(&lp, |_, _, _| {});
        assert!(log.contains(&(0x10, "f".into(), UV_CHANGE, 0)));
        assert!(log.contains(&(0x20, "f".into(), UV_CHANGE, 0)));
        assert!(
            log.contains(&(0x30, "f".into(), UV_CHANGE, 0)),
            "basename for a file"
        );
        let mut l = lp.borrow_mut();
        assert!(l.fs_event_stop(a));
        assert!(!l.fs_event_stop(a));
        assert_eq!(l.fs_event_watch_count(), 2, "b still holds the directory");
        assert!(l.fs_event_stop(b) && l.fs_event_stop(c));
        assert_eq!(l.fs_event_watch_count(), 0);
    }

    #[test]
    fn callbacks_may_stop_others_on_the_same_watch_and_restart() {
        let t = TempDir::new("stop");
        let lp = new_loop();
        let (a, b, c) = {
            let mut l = lp.borrow_mut();
            let a = l.init_handle(0x10, Kind::Other);
            let b = l.init_handle(0x20, Kind::Other);
            let c = l.init_handle(0x30, Kind::Other);
            l.fs_event_start(a, 0x10, &t.c(""), false).unwrap();
            l.fs_event_start(b, 0x20, &t.c(""), false).unwrap();
            l.fs_event_start(c, 0x30, &t.c(""), false).unwrap();
            (a, b, c)
        };
        std::fs::write(t.path("x"), b"").unwrap();
        std::fs::write(t.path("y"), b"").unwrap();
        let dir = t.c("");
        // a's callback for x stops b and restarts a (c keeps the watch): b
        // hears nothing, a hears x once and then y through its new start.
        let log = pump(&lp, |lp, h, name| {
            if h == 0x10 && name == "x" {
                let mut l = lp.borrow_mut();
                if l.fs_event_stop(b) {
                    l.fs_event_stop(a);
                    l.fs_event_start(a, 0x10, &dir, false).unwrap();
                }
            }
        });
        let heard = |h: Token, name: &str| log.iter().filter(|e| e.0 == h && e.1 == name).count();
        assert_eq!(heard(0x20, "x") + heard(0x20, "y"), 0, "{log:?}");
        assert_eq!(heard(0x10, "x"), 1, "{log:?}");
        assert!(heard(0x10, "y") >= 1 && heard(0x30, "x") >= 1 && heard(0x30, "y") >= 1);
        // Events queued for stopped handles are dropped, watch and all.
        std::fs::write(t.path("z"), b"").unwrap();
        {
            let mut l = lp.borrow_mut();
            l.fs_event_stop(a);
            l.fs_event_stop(c);
            assert_eq!(l.fs_event_watch_count(), 0);
        }
        assert!(pump(&lp, |_, _, _| {}).is_empty());
    }

    #[test]
    fn after_fork_watches_again_on_a_new_instance() {
        let t = TempDir::new("fork");
        std::fs::create_dir_all(t.path("tree/sub")).unwrap();
        std::fs::write(t.path("file"), b"").unwrap();
        std::fs::write(t.path("doomed"), b"").unwrap();
        let lp = new_loop();
        let (file, tree, doomed, old_token) = {
            let mut l = lp.borrow_mut();
            let file = l.init_handle(0x10, Kind::Other);
            let tree = l.init_handle(0x20, Kind::Other);
            let doomed = l.init_handle(0x30, Kind::Other);
            l.fs_event_start(file, 0x10, &t.c("file"), false).unwrap();
            l.fs_event_start(tree, 0x20, &t.c("tree"), true).unwrap();
            l.fs_event_start(doomed, 0x30, &t.c("doomed"), false)
                .unwrap();
            let token = l.fs_events.as_deref().unwrap().token();
            (file, tree, doomed, token)
        };
        // Queued in the old instance: the new one must not report it.
        std::fs::write(t.path("file"), b"before").unwrap();
        std::fs::remove_file(t.path("doomed")).unwrap();
        let old_fd = lp.borrow().fs_events.as_deref().unwrap().fd.as_raw_fd();

        let lost = lp.borrow_mut().after_fork().unwrap();
        assert_eq!(lost, vec![(0x30, Errno::NOENT)]);
        {
            let l = lp.borrow();
            let n = l.fs_events.as_deref().unwrap();
            assert_eq!(n.token(), old_token, "same watcher, same token");
            assert_ne!(n.fd.as_raw_fd(), old_fd);
            assert!(l.is_active(file) && l.is_active(tree) && !l.is_active(doomed));
            assert!(l.fs_event_path(doomed).is_none());
            // file, tree and tree/sub.
            assert_eq!(l.fs_event_watch_count(), 3);
        }
        assert!(pump(&lp, |_, _, _| {}).is_empty());
        std::fs::write(t.path("file"), b"after").unwrap();
        std::fs::write(t.path("tree/sub/x"), b"").unwrap();
        let log = pump(&lp, |_, _, _| {});
        assert!(log.iter().any(|e| e.0 == 0x10 && e.1 == "file"), "{log:?}");
        assert!(log.iter().any(|e| e.0 == 0x20 && e.1 == "sub/x"), "{log:?}");
        let mut l = lp.borrow_mut();
        l.fs_event_stop(file);
        l.fs_event_stop(tree);
    }

    #[test]
    fn recursive_reports_relative_names_and_follows_new_directories() {
        let t = TempDir::new("rec");
        std::fs::create_dir_all(t.path("a/b")).unwrap();
        let lp = new_loop();
        {
            let mut l = lp.borrow_mut();
            let h = l.init_handle(0x10, Kind::Other);
            l.fs_event_start(h, 0x10, &t.c(""), true).unwrap();
            assert_eq!(l.fs_event_watch_count(), 3);
        }
        std::fs::write(t.path("a/b/c.txt"), b"1").unwrap();
        let log = pump(&lp, |_, _, _| {});
        assert!(
            log.iter()
                .any(|e| e.1 == "a/b/c.txt" && e.2 & UV_RENAME != 0),
            "{log:?}"
        );
        assert!(!log.iter().any(|e| e.1 == "b"), "a/b's own events: {log:?}");

        // A new tree: made before its watch is added, found by the scan.
        std::fs::create_dir_all(t.path("n/m")).unwrap();
        std::fs::write(t.path("n/m/deep"), b"").unwrap();
        let log = pump(&lp, |_, _, _| {});
        for name in ["n", "n/m", "n/m/deep"] {
            assert!(log.iter().any(|e| e.1 == name), "{name} in {log:?}");
        }
        std::fs::write(t.path("n/m/deep"), b"more").unwrap();
        let log = pump(&lp, |_, _, _| {});
        assert!(
            log.contains(&(0x10, "n/m/deep".into(), UV_CHANGE, 0)),
            "{log:?}"
        );

        // Moved within the tree: names follow; moved out: silence.
        std::fs::rename(t.path("n"), t.path("a/n2")).unwrap();
        pump(&lp, |_, _, _| {});
        std::fs::write(t.path("a/n2/m/deep"), b"x").unwrap();
        let log = pump(&lp, |_, _, _| {});
        assert!(log.iter().any(|e| e.1 == "a/n2/m/deep"), "{log:?}");
        let outside = TempDir::new("outside");
        std::fs::rename(t.path("a/n2"), outside.path("gone")).unwrap();
        pump(&lp, |_, _, _| {});
        std::fs::write(outside.path("gone/m/deep"), b"y").unwrap();
        let log = pump(&lp, |_, _, _| {});
        assert!(log.is_empty(), "{log:?}");
        assert_eq!(lp.borrow().fs_event_watch_count(), 3);

        // Deleted subdirectories drop their watches.
        std::fs::remove_dir_all(t.path("a")).unwrap();
        pump(&lp, |_, _, _| {});
        assert_eq!(lp.borrow().fs_event_watch_count(), 1);
    }

    #[test]
    fn recursive_start_on_a_file_watches_the_file() {
        let t = TempDir::new("recfile");
        std::fs::write(t.path("f"), b"").unwrap();
        let lp = new_loop();
        let mut l = lp.borrow_mut();
        let h = l.init_handle(0x10, Kind::Other);
        l.fs_event_start(h, 0x10, &t.c("f"), true).unwrap();
        assert_eq!(l.fs_event_watch_count(), 1);
        assert_eq!(l.fs_event_path(h), Some(t.c("f").as_c_str()));
    }
}
