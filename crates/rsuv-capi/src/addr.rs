//! Address helpers: `uv_ip4_addr`, `uv_ip6_addr`, `uv_ip4_name`,
//! `uv_ip6_name`, `uv_ip_name`, `uv_inet_pton` and `uv_inet_ntop`.
//!
//! The text forms are libuv's (its BIND-derived parsers and printers):
//!
//! - IPv4 is exactly four dotted decimal parts, each 0..=255 without
//!   leading zeros (`"01.2.3.4"` is refused, `"0.0.0.0"` accepted).
//! - IPv6 is eight groups of one to four hex digits (either case), one `::`
//!   standing for at least one zero group, and optionally a dotted IPv4 as
//!   the last two groups. `uv_inet_pton` ignores a `%zone` suffix.
//! - Printing uses lowercase hex without leading zeros, `::` for the first
//!   longest run of two or more zero groups, and the dotted form for
//!   IPv4-compatible (`::a.b.c.d`) and IPv4-mapped (`::ffff:a.b.c.d`)
//!   addresses.
//!
//! Errors as in libuv: `UV_EINVAL` for text that does not parse (and, here,
//! for NULL pointers, on which libuv would crash), `UV_ENOSPC` when the
//! text and its NUL do not fit in `size` bytes, `UV_EAFNOSUPPORT` for a
//! family other than `AF_INET` / `AF_INET6`. On error the output is left
//! unmodified (except by `uv_ip4_addr` / `uv_ip6_addr`, which, like libuv,
//! fill in the family, port and scope before parsing).

use core::ffi::{c_char, c_int, c_void, CStr};
use core::ptr;

use rsuv_core::error::{UV_EAFNOSUPPORT, UV_EINVAL, UV_ENOSPC};

/// Longest IPv6 text `uv_ip6_addr` looks at before a `%zone`: libuv keeps
/// the address part in a 40-byte buffer and silently cuts it to 39 bytes.
const IP6_ADDR_PART_MAX: usize = 39;

/// Longest printed IPv6 address plus its NUL (`INET6_ADDRSTRLEN`).
const IP6_TEXT_MAX: usize = 46;

/// Parses one dotted-quad IPv4 address.
pub(crate) fn parse_ipv4(text: &[u8]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = text.split(|&b| b == b'.');
    for slot in &mut out {
        let part = parts.next()?;
        let digits_ok = !part.is_empty() && part.len() <= 3 && part.iter().all(u8::is_ascii_digit);
        if !digits_ok || (part.len() > 1 && part[0] == b'0') {
            return None;
        }
        let value = part.iter().fold(0u32, |v, &d| v * 10 + u32::from(d - b'0'));
        *slot = u8::try_from(value).ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(out)
}

/// Parses `:`-separated IPv6 groups into `words`, returning how many 16-bit
/// words they make. The last piece may be a dotted IPv4 address (two words)
/// when `v4_last` is true. Empty text makes no words; an empty piece (a stray
/// `:`) is an error.
fn parse_groups(text: &[u8], v4_last: bool, words: &mut [u16; 8]) -> Option<usize> {
    if text.is_empty() {
        return Some(0);
    }
    let mut n = 0;
    let mut pieces = text.split(|&b| b == b':').peekable();
    while let Some(piece) = pieces.next() {
        let last = pieces.peek().is_none();
        if last && v4_last && piece.contains(&b'.') {
            let v4 = parse_ipv4(piece)?;
            if n + 2 > words.len() {
                return None;
            }
            words[n] = u16::from_be_bytes([v4[0], v4[1]]);
            words[n + 1] = u16::from_be_bytes([v4[2], v4[3]]);
            n += 2;
            continue;
        }
        if piece.is_empty() || piece.len() > 4 || n == words.len() {
            return None;
        }
        let mut value = 0u16;
        for &c in piece {
            value = (value << 4) | u16::from(hex_value(c)?);
        }
        words[n] = value;
        n += 1;
    }
    Some(n)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Parses one IPv6 address (no `%zone`).
pub(crate) fn parse_ipv6(text: &[u8]) -> Option<[u8; 16]> {
    let mut words = [0u16; 8];
    let double = text.windows(2).position(|w| w == b"::");
    match double {
        None => {
            if parse_groups(text, true, &mut words)? != 8 {
                return None;
            }
        }
        Some(at) => {
            let mut head = [0u16; 8];
            let mut tail = [0u16; 8];
            let nh = parse_groups(&text[..at], false, &mut head)?;
            let nt = parse_groups(&text[at + 2..], true, &mut tail)?;
            // "::" must stand for at least one zero group.
            if nh + nt > 7 {
                return None;
            }
            words[..nh].copy_from_slice(&head[..nh]);
            words[8 - nt..].copy_from_slice(&tail[..nt]);
        }
    }
    let mut out = [0u8; 16];
    for (chunk, w) in out.chunks_exact_mut(2).zip(words) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
    Some(out)
}

/// A small fixed-capacity text buffer for the printers.
struct Text {
    buf: [u8; IP6_TEXT_MAX],
    len: usize,
}

impl Text {
    fn new() -> Self {
        Text {
            buf: [0; IP6_TEXT_MAX],
            len: 0,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl core::fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        // Keep room for the NUL the caller adds.
        if end >= self.buf.len() {
            return Err(core::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

fn write_ipv4(out: &mut Text, a: &[u8]) -> core::fmt::Result {
    use core::fmt::Write;
    write!(out, "{}.{}.{}.{}", a[0], a[1], a[2], a[3])
}

/// Prints an IPv4 address in dotted-quad form.
pub(crate) fn format_ipv4(a: &[u8; 4]) -> Vec<u8> {
    let mut t = Text::new();
    // Cannot fail: 15 bytes at most.
    let _ = write_ipv4(&mut t, a);
    t.as_bytes().to_vec()
}

/// Prints an IPv6 address the way libuv does (see the module comment).
pub(crate) fn format_ipv6(a: &[u8; 16]) -> Vec<u8> {
    use core::fmt::Write;
    let mut words = [0u16; 8];
    for (w, chunk) in words.iter_mut().zip(a.chunks_exact(2)) {
        *w = u16::from_be_bytes([chunk[0], chunk[1]]);
    }
    // The first longest run of zero words, if at least two long.
    let (mut best_at, mut best_len) = (0, 0);
    let mut i = 0;
    while i < 8 {
        if words[i] == 0 {
            let start = i;
            while i < 8 && words[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                best_at = start;
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    let mut t = Text::new();
    // Cannot fail: the longest form is 45 bytes.
    let _ = (|| -> core::fmt::Result {
        if best_at == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff)) {
            t.write_str(if best_len == 6 { "::" } else { "::ffff:" })?;
            return write_ipv4(&mut t, &a[12..]);
        }
        let write_words = |t: &mut Text, ws: &[u16]| -> core::fmt::Result {
            for (k, w) in ws.iter().enumerate() {
                if k > 0 {
                    t.write_str(":")?;
                }
                write!(t, "{w:x}")?;
            }
            Ok(())
        };
        if best_len >= 2 {
            write_words(&mut t, &words[..best_at])?;
            t.write_str("::")?;
            write_words(&mut t, &words[best_at + best_len..])
        } else {
            write_words(&mut t, &words)
        }
    })();
    t.as_bytes().to_vec()
}

/// Copies `text` and a NUL into `dst` if they fit in `size` bytes.
///
/// # Safety
/// `dst` must be null or valid for writes of `size` bytes.
unsafe fn put_text(text: &[u8], dst: *mut c_char, size: usize) -> c_int {
    if text.len() >= size {
        return UV_ENOSPC;
    }
    if dst.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: `text.len() + 1 <= size`, the room the caller promised; a Rust
    // slice cannot overlap the caller's buffer.
    unsafe {
        ptr::copy_nonoverlapping(text.as_ptr(), dst.cast::<u8>(), text.len());
        *dst.add(text.len()) = 0;
    }
    0
}

/// Binary address to text.
///
/// # Safety
/// `src` points at a `struct in_addr` (`AF_INET`) or `struct in6_addr`
/// (`AF_INET6`); `dst` is valid for writes of `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_inet_ntop(
    af: c_int,
    src: *const c_void,
    dst: *mut c_char,
    size: usize,
) -> c_int {
    if af != libc::AF_INET && af != libc::AF_INET6 {
        return UV_EAFNOSUPPORT;
    }
    if src.is_null() {
        return UV_EINVAL;
    }
    let text = if af == libc::AF_INET {
        // SAFETY: per the contract, 4 readable bytes; read unaligned.
        format_ipv4(&unsafe { ptr::read_unaligned(src.cast::<[u8; 4]>()) })
    } else {
        // SAFETY: per the contract, 16 readable bytes; read unaligned.
        format_ipv6(&unsafe { ptr::read_unaligned(src.cast::<[u8; 16]>()) })
    };
    // SAFETY: per the contract.
    unsafe { put_text(&text, dst, size) }
}

/// Text to binary address.
///
/// # Safety
/// `src` is a NUL-terminated string; `dst` has room for a `struct in_addr`
/// (`AF_INET`) or `struct in6_addr` (`AF_INET6`).
#[no_mangle]
pub unsafe extern "C" fn uv_inet_pton(af: c_int, src: *const c_char, dst: *mut c_void) -> c_int {
    if src.is_null() || dst.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    let text = unsafe { CStr::from_ptr(src) }.to_bytes();
    match af {
        libc::AF_INET => match parse_ipv4(text) {
            // SAFETY: per the contract, 4 writable bytes.
            Some(a) => unsafe { ptr::write_unaligned(dst.cast::<[u8; 4]>(), a) },
            None => return UV_EINVAL,
        },
        libc::AF_INET6 => {
            let addr = text.split(|&b| b == b'%').next().unwrap_or_default();
            match parse_ipv6(addr) {
                // SAFETY: per the contract, 16 writable bytes.
                Some(a) => unsafe { ptr::write_unaligned(dst.cast::<[u8; 16]>(), a) },
                None => return UV_EINVAL,
            }
        }
        _ => return UV_EAFNOSUPPORT,
    }
    0
}

/// Fills `addr` with an IPv4 socket address for `ip` and `port`.
///
/// # Safety
/// `ip` is null or a NUL-terminated string; `addr` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn uv_ip4_addr(
    ip: *const c_char,
    port: c_int,
    addr: *mut libc::sockaddr_in,
) -> c_int {
    if addr.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: addr is writable per the contract; all-zero is a valid
    // sockaddr_in. The port is truncated to 16 bits as C's htons does.
    unsafe {
        ptr::write_bytes(addr, 0, 1);
        (*addr).sin_family = libc::AF_INET as libc::sa_family_t;
        (*addr).sin_port = (port as u16).to_be();
        uv_inet_pton(
            libc::AF_INET,
            ip,
            ptr::addr_of_mut!((*addr).sin_addr).cast(),
        )
    }
}

/// Fills `addr` with an IPv6 socket address for `ip` and `port`. A `%zone`
/// suffix sets `sin6_scope_id` to `if_nametoindex(zone)` (0 for an unknown
/// interface, silently, as in libuv; a number is not an interface name).
///
/// # Safety
/// `ip` is null or a NUL-terminated string; `addr` is null or writable.
#[no_mangle]
pub unsafe extern "C" fn uv_ip6_addr(
    ip: *const c_char,
    port: c_int,
    addr: *mut libc::sockaddr_in6,
) -> c_int {
    if addr.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: addr is writable per the contract; all-zero is a valid
    // sockaddr_in6.
    unsafe {
        ptr::write_bytes(addr, 0, 1);
        (*addr).sin6_family = libc::AF_INET6 as libc::sa_family_t;
        (*addr).sin6_port = (port as u16).to_be();
    }
    if ip.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    let text = unsafe { CStr::from_ptr(ip) }.to_bytes();
    let mut address = text;
    if let Some(at) = text.iter().position(|&b| b == b'%') {
        address = &text[..at.min(IP6_ADDR_PART_MAX)];
        // SAFETY: the zone name runs from after the '%' to the caller's NUL.
        let scope = unsafe { libc::if_nametoindex(ip.add(at + 1)) };
        // SAFETY: addr is writable.
        unsafe { (*addr).sin6_scope_id = scope };
    }
    match parse_ipv6(address) {
        Some(a) => {
            // SAFETY: addr is writable.
            unsafe { (*addr).sin6_addr.s6_addr = a };
            0
        }
        None => UV_EINVAL,
    }
}

/// The text form of an IPv4 socket address's address.
///
/// # Safety
/// `src` is null or a readable `sockaddr_in`; `dst` is valid for writes of
/// `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_ip4_name(
    src: *const libc::sockaddr_in,
    dst: *mut c_char,
    size: usize,
) -> c_int {
    if src.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        uv_inet_ntop(
            libc::AF_INET,
            ptr::addr_of!((*src).sin_addr).cast(),
            dst,
            size,
        )
    }
}

/// The text form of an IPv6 socket address's address (without its scope).
///
/// # Safety
/// `src` is null or a readable `sockaddr_in6`; `dst` is valid for writes of
/// `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_ip6_name(
    src: *const libc::sockaddr_in6,
    dst: *mut c_char,
    size: usize,
) -> c_int {
    if src.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract.
    unsafe {
        uv_inet_ntop(
            libc::AF_INET6,
            ptr::addr_of!((*src).sin6_addr).cast(),
            dst,
            size,
        )
    }
}

/// The text form of an IPv4 or IPv6 socket address's address.
///
/// # Safety
/// `src` is null or a readable socket address of the size its family
/// implies; `dst` is valid for writes of `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn uv_ip_name(
    src: *const libc::sockaddr,
    dst: *mut c_char,
    size: usize,
) -> c_int {
    if src.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract, the family is readable.
    match c_int::from(unsafe { (*src).sa_family }) {
        // SAFETY: per the contract, the family tells the struct's size.
        libc::AF_INET => unsafe { uv_ip4_name(src.cast(), dst, size) },
        // SAFETY: as above.
        libc::AF_INET6 => unsafe { uv_ip6_name(src.cast(), dst, size) },
        _ => UV_EAFNOSUPPORT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(s: &str) -> Option<[u8; 16]> {
        parse_ipv6(s.as_bytes())
    }

    fn round(s: &str) -> String {
        String::from_utf8(format_ipv6(&v6(s).expect(s))).unwrap()
    }

    #[test]
    fn ipv4_text() {
        assert_eq!(parse_ipv4(b"127.0.0.1"), Some([127, 0, 0, 1]));
        assert_eq!(parse_ipv4(b"255.255.255.255"), Some([255; 4]));
        assert_eq!(parse_ipv4(b"0.0.0.0"), Some([0; 4]));
        for bad in [
            "",
            "1",
            "1.2.3",
            "1.2.3.4.",
            "1.2.3.4.5",
            ".1.2.3",
            "1..2.3",
            "256.1.1.1",
            "01.2.3.4",
            "00.1.1.1",
            "1.2.3.4 ",
            " 1.2.3.4",
            "1.2.3.a",
            "1234.1.1.1",
            "+1.2.3.4",
            "1.2.3.4%lo",
        ] {
            assert_eq!(parse_ipv4(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(format_ipv4(&[10, 0, 200, 7]), b"10.0.200.7");
    }

    #[test]
    fn ipv6_text() {
        let mut one = [0u8; 16];
        one[15] = 1;
        assert_eq!(v6("::1"), Some(one));
        assert_eq!(v6("::"), Some([0; 16]));
        assert_eq!(v6("0:0:0:0:0:0:0:1"), Some(one));
        assert_eq!(
            v6("::FFFF:1.2.3.4").map(|a| a[10..].to_vec()),
            Some(vec![255, 255, 1, 2, 3, 4])
        );
        for good in [
            "1:2:3:4:5:6:7:8",
            "1::",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:1.2.3.4",
            "::1.2.3.4",
            "1::1.2.3.4",
            "fe80::abcd:EF01",
            "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
        ] {
            assert!(v6(good).is_some(), "{good:?}");
        }
        for bad in [
            "",
            ":",
            ":::",
            "1",
            "1:2",
            "1:",
            ":1",
            "1::2::3",
            "1:::2",
            "::1:",
            ":1::2",
            "12345::",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7:8::",
            "::1:2:3:4:5:6:7:8",
            "1.2.3.4",
            "1.2.3.4::",
            "::1.2.3.4:5",
            "::1.2.3",
            "::01.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "1:2:3:4:5:6::1.2.3.4",
            "g::",
            "::1%lo",
            "::a.b.c.d",
            " ::1",
        ] {
            assert_eq!(v6(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ipv6_printing() {
        assert_eq!(round("::"), "::");
        assert_eq!(round("::1"), "::1");
        assert_eq!(round("1::"), "1::");
        assert_eq!(round("0:0:1:0:0:0:0:2"), "0:0:1::2");
        assert_eq!(round("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
        assert_eq!(round("1:0:2:3:4:5:6:7"), "1:0:2:3:4:5:6:7");
        assert_eq!(round("FE80:0000::00AB"), "fe80::ab");
        assert_eq!(round("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(round("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(round("::ffff:0:0"), "::ffff:0.0.0.0");
        assert_eq!(round("::0.0.1.2"), "::102");
        assert_eq!(round("::1:0:0"), "::1:0:0");
        assert_eq!(
            round("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        );
    }

    #[test]
    fn c_entry_points() {
        let mut buf = [0 as c_char; 64];
        let mut a4 = [0u8; 4];
        // SAFETY: valid strings and buffers of the stated sizes.
        unsafe {
            assert_eq!(
                uv_inet_pton(libc::AF_INET, c"1.2.3.4".as_ptr(), a4.as_mut_ptr().cast()),
                0
            );
            assert_eq!(a4, [1, 2, 3, 4]);
            assert_eq!(
                uv_inet_pton(99, c"1.2.3.4".as_ptr(), a4.as_mut_ptr().cast()),
                UV_EAFNOSUPPORT
            );
            assert_eq!(
                uv_inet_pton(libc::AF_INET, ptr::null(), a4.as_mut_ptr().cast()),
                UV_EINVAL
            );
            assert_eq!(
                uv_inet_ntop(libc::AF_INET, a4.as_ptr().cast(), buf.as_mut_ptr(), 8),
                0
            );
            assert_eq!(CStr::from_ptr(buf.as_ptr()).to_bytes(), b"1.2.3.4");
            assert_eq!(
                uv_inet_ntop(libc::AF_INET, a4.as_ptr().cast(), buf.as_mut_ptr(), 7),
                UV_ENOSPC
            );
            assert_eq!(
                uv_inet_ntop(0, a4.as_ptr().cast(), buf.as_mut_ptr(), 64),
                UV_EAFNOSUPPORT
            );
            let mut sa6: libc::sockaddr_in6 = core::mem::zeroed();
            assert_eq!(uv_ip6_addr(c"fe80::1%lo".as_ptr(), 80, &mut sa6), 0);
            assert_eq!(sa6.sin6_scope_id, libc::if_nametoindex(c"lo".as_ptr()));
            assert_eq!(u16::from_be(sa6.sin6_port), 80);
        }
    }
}
