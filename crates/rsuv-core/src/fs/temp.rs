//! `mkdtemp` and `mkstemp`: a new directory or file whose name ends in six
//! random characters, made with `O_EXCL` / `mkdir` so that no two callers
//! get the same one.

use std::ffi::CStr;

use rustix::fd::IntoRawFd;
use rustix::fs::{self as rfs, Mode, OFlags};
use rustix::io::Errno;

const SUFFIX: &[u8] = b"XXXXXX";
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Names tried before giving up with `EEXIST` (glibc's `TMP_MAX`).
const ATTEMPTS: usize = 238_328;

/// Fills the template's last six bytes with random characters until `make`
/// stops answering `EEXIST`.
fn with_unique_name<T>(
    template: &mut [u8],
    mut make: impl FnMut(&CStr) -> Result<T, Errno>,
) -> Result<T, Errno> {
    if !template.ends_with(SUFFIX) || template.contains(&0) {
        return Err(Errno::INVAL);
    }
    let start = template.len() - SUFFIX.len();
    let mut name = template.to_vec();
    name.push(0);
    for _ in 0..ATTEMPTS {
        let mut random = [0u8; 6];
        rustix::rand::getrandom(&mut random, rustix::rand::GetRandomFlags::empty())?;
        for (slot, r) in name[start..start + 6].iter_mut().zip(random) {
            *slot = ALPHABET[usize::from(r) % ALPHABET.len()];
        }
        let path = CStr::from_bytes_with_nul(&name).map_err(|_| Errno::INVAL)?;
        match make(path) {
            Err(Errno::EXIST) => continue,
            Err(e) => return Err(e),
            Ok(made) => {
                template.copy_from_slice(&name[..name.len() - 1]);
                return Ok(made);
            }
        }
    }
    Err(Errno::EXIST)
}

/// A new directory, mode 0700, named after `template`.
pub fn mkdtemp(template: &mut [u8]) -> Result<(), Errno> {
    with_unique_name(template, |path| rfs::mkdir(path, Mode::RWXU))
}

/// A new file, mode 0600, open for reading and writing; returns its
/// descriptor. On failure the template becomes the empty string.
pub fn mkstemp(template: &mut [u8]) -> Result<i32, Errno> {
    let flags = OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
    let made = with_unique_name(template, |path| {
        rfs::open(path, flags, Mode::RUSR | Mode::WUSR).map(IntoRawFd::into_raw_fd)
    });
    if made.is_err() {
        if let Some(first) = template.first_mut() {
            *first = 0;
        }
    }
    made
}
