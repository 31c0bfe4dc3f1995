//! Notes to valgrind's thread checker (helgrind) about hand-offs it cannot
//! see: the loop cell's atomics and membarrier, the signal handler's spin
//! lock, the pool's wake-up hint. Compiled in with the `helgrind` feature
//! only (`scripts/test-valgrind.sh --helgrind` builds it); otherwise each
//! note is nothing.
//!
//! A note is a valgrind client request: a magic instruction sequence that
//! does nothing natively and that valgrind intercepts, with the request in
//! a six-word block.

#[cfg(all(feature = "helgrind", target_arch = "x86_64"))]
mod imp {
    /// helgrind's requests: its tool base ('H', 'G'), then its numbering
    /// (helgrind.h: the user synchronisation objects and address ranges).
    const HG_BASE: u64 = ((b'H' as u64) << 24) | ((b'G' as u64) << 16);
    pub const USERSO_SEND_PRE: u64 = HG_BASE + 0x121;
    pub const USERSO_RECV_POST: u64 = HG_BASE + 0x122;
    pub const ARANGE_MAKE_UNTRACKED: u64 = HG_BASE + 0x127;

    #[inline(always)]
    pub fn request(code: u64, a1: usize, a2: usize) {
        let block: [u64; 6] = [code, a1 as u64, a2 as u64, 0, 0, 0];
        // SAFETY: valgrind's amd64 preamble: four rotations of rdi that add
        // up to 128 bits (rdi is unchanged) and an exchange of rbx with
        // itself, so natively nothing happens; valgrind reads the block
        // through rax and answers in rdx.
        unsafe {
            core::arch::asm!(
                "rol rdi, 3",
                "rol rdi, 13",
                "rol rdi, 61",
                "rol rdi, 51",
                "xchg rbx, rbx",
                in("rax") block.as_ptr(),
                inout("rdx") 0u64 => _,
                inout("rdi") 0u64 => _,
                options(nostack, preserves_flags),
            );
        }
    }
}

/// What this thread did before is seen by a thread that next calls
/// [`happens_after`] with the same `tag` (e.g. the address of the lock).
#[inline(always)]
pub fn happens_before(tag: usize) {
    #[cfg(all(feature = "helgrind", target_arch = "x86_64"))]
    imp::request(imp::USERSO_SEND_PRE, tag, 0);
    #[cfg(not(all(feature = "helgrind", target_arch = "x86_64")))]
    let _ = tag;
}

/// Pairs with [`happens_before`] on `tag`.
#[inline(always)]
pub fn happens_after(tag: usize) {
    #[cfg(all(feature = "helgrind", target_arch = "x86_64"))]
    imp::request(imp::USERSO_RECV_POST, tag, 0);
    #[cfg(not(all(feature = "helgrind", target_arch = "x86_64")))]
    let _ = tag;
}

/// Accesses to `len` bytes at `addr` race by design (a hint, read with
/// atomics, that guards nothing): not checked.
#[inline(always)]
pub fn benign_race(addr: usize, len: usize) {
    #[cfg(all(feature = "helgrind", target_arch = "x86_64"))]
    imp::request(imp::ARANGE_MAKE_UNTRACKED, addr, len);
    #[cfg(not(all(feature = "helgrind", target_arch = "x86_64")))]
    let _ = (addr, len);
}
