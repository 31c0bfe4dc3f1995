//! Directory listings: `scandir` (the whole directory, sorted) and directory
//! streams read in batches (`opendir`/`readdir`/`closedir`).
//!
//! Both leave out `.` and `..`. A scandir listing keeps every name in one
//! buffer, so listing 10,000 entries costs two allocations, and sorts them
//! as libuv does (`strcmp`: by bytes).

use std::ffi::{CStr, CString};

use rustix::fs::{self as rfs, FileType, Mode, OFlags};
use rustix::io::Errno;

/// `uv_dirent_type_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum DirentType {
    Unknown = 0,
    File = 1,
    Dir = 2,
    Link = 3,
    Fifo = 4,
    Socket = 5,
    Char = 6,
    Block = 7,
}

impl From<FileType> for DirentType {
    fn from(t: FileType) -> DirentType {
        match t {
            FileType::RegularFile => DirentType::File,
            FileType::Directory => DirentType::Dir,
            FileType::Symlink => DirentType::Link,
            FileType::Fifo => DirentType::Fifo,
            FileType::Socket => DirentType::Socket,
            FileType::CharacterDevice => DirentType::Char,
            FileType::BlockDevice => DirentType::Block,
            _ => DirentType::Unknown,
        }
    }
}

/// One entry of a `readdir` batch.
pub struct Entry {
    pub name: CString,
    pub kind: DirentType,
}

/// A sorted `scandir` result.
pub struct Listing {
    /// Every name, each with its NUL.
    names: Vec<u8>,
    /// Where each name starts in `names`, and its type; in sorted order.
    entries: Vec<(usize, DirentType)>,
}

impl Listing {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entry `i`: its NUL-terminated name, which stays put as long as the
    /// listing lives, and its type.
    pub fn get(&self, i: usize) -> Option<(&CStr, DirentType)> {
        let &(start, kind) = self.entries.get(i)?;
        let name = CStr::from_bytes_until_nul(&self.names[start..]).ok()?;
        Some((name, kind))
    }
}

fn is_dot_or_dotdot(name: &CStr) -> bool {
    matches!(name.to_bytes(), b"." | b"..")
}

/// An open directory stream (`uv_dir_t`'s private part).
pub struct Directory {
    dir: rfs::Dir,
}

impl Directory {
    /// Opens `path` for reading entries, as `opendir(3)` does.
    pub fn open(path: &CStr) -> Result<Directory, Errno> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NONBLOCK;
        let fd = rfs::open(path, flags, Mode::empty())?;
        Ok(Directory {
            dir: rfs::Dir::new(fd)?,
        })
    }

    /// The next entries, at most `max`; fewer (down to none) at the end.
    pub fn read(&mut self, max: usize) -> Result<Vec<Entry>, Errno> {
        let mut out = Vec::with_capacity(max.min(64));
        while out.len() < max {
            let Some(entry) = self.dir.read() else { break };
            let entry = entry?;
            if is_dot_or_dotdot(entry.file_name()) {
                continue;
            }
            out.push(Entry {
                name: entry.file_name().to_owned(),
                kind: entry.file_type().into(),
            });
        }
        Ok(out)
    }
}

/// Every entry of `path` but `.` and `..`, sorted by name bytes.
pub fn scandir(path: &CStr) -> Result<Listing, Errno> {
    let mut dir = Directory::open(path)?;
    let mut names = Vec::new();
    let mut entries = Vec::new();
    while let Some(entry) = dir.dir.read() {
        let entry = entry?;
        let name = entry.file_name();
        if is_dot_or_dotdot(name) {
            continue;
        }
        entries.push((names.len(), entry.file_type().into()));
        names.extend_from_slice(name.to_bytes_with_nul());
    }
    let name_at = |start: usize| {
        let tail = &names[start..];
        &tail[..tail.iter().position(|&b| b == 0).unwrap_or(tail.len())]
    };
    entries.sort_unstable_by(|a, b| name_at(a.0).cmp(name_at(b.0)));
    Ok(Listing { names, entries })
}
