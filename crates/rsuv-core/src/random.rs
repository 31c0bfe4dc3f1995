//! `uv_random`'s source of randomness: the kernel's CSPRNG.
//!
//! `getrandom(2)` in reads of at most 256 bytes, which the kernel never
//! interrupts once its pool is initialized (a larger read could fail with
//! EINTR over and over); `/dev/urandom` where the system call does not
//! exist (a seccomp filter, an old kernel), as libuv does.

use std::io::Read;

use rustix::io::Errno;
use rustix::rand::{getrandom, GetRandomFlags};

const CHUNK: usize = 256;

/// Fills `buf` with cryptographically strong random bytes.
pub fn fill(buf: &mut [u8]) -> Result<(), Errno> {
    match fill_getrandom(buf) {
        Err(Errno::NOSYS) => fill_urandom(buf),
        other => other,
    }
}

fn fill_getrandom(buf: &mut [u8]) -> Result<(), Errno> {
    for chunk in buf.chunks_mut(CHUNK) {
        let mut done = 0;
        while done < chunk.len() {
            match getrandom(&mut chunk[done..], GetRandomFlags::empty()) {
                Ok(n) => done += n,
                Err(Errno::INTR) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

fn fill_urandom(buf: &mut [u8]) -> Result<(), Errno> {
    let errno = |e: std::io::Error| Errno::from_raw_os_error(e.raw_os_error().unwrap_or(libc::EIO));
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(buf))
        .map_err(errno)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_every_byte() {
        // 1,000 bytes all zero after a fill has odds of 2^-8000.
        let mut buf = vec![0u8; 1000];
        fill(&mut buf).unwrap();
        assert!(buf.iter().any(|&b| b != 0));
        let mut more = vec![0u8; 300];
        fill_urandom(&mut more).unwrap();
        assert!(more.iter().any(|&b| b != 0));
        fill(&mut []).unwrap();
    }
}
