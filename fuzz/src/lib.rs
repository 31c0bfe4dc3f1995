//! The fuzz targets: each takes arbitrary bytes, drives one of rsuv's
//! parsers or converters through its C entry points (what programs call),
//! and checks what must hold for every input. A broken rule panics, which
//! the fuzzer reports as a crash.
//!
//! - `addr`: `uv_ip4_addr`, `uv_ip6_addr` (with zone ids), `uv_inet_pton`
//!   and `uv_inet_ntop`: what parses prints back to the same address, and
//!   no formatter writes past the size it is given.
//! - `idna`: the host-name conversion behind `uv_getaddrinfo` (the code of
//!   libuv's CVE-2024-24806): the result is ASCII, no longer than a DNS
//!   name, converts to itself, or the error is libuv's.
//! - `wtf8`: the WTF-8/UTF-16 converters round-trip (UTF-16 exactly, WTF-8
//!   up to how a surrogate pair is spelled), their length functions agree
//!   with what they write, and a short buffer gets `UV_ENOBUFS` and nothing
//!   past its end.

use std::ffi::{c_char, c_int, c_void, CString};

use rsuv_core::error::{UV_E2BIG, UV_EINVAL, UV_ENOBUFS, UV_ENOSPC};
use uv::addr::{uv_inet_ntop, uv_inet_pton, uv_ip4_addr, uv_ip4_name, uv_ip6_addr, uv_ip6_name};

const CANARY: u8 = 0x5a;

/// The input up to its first NUL, as a C string.
fn c_string(data: &[u8]) -> CString {
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    CString::new(&data[..end]).expect("no NUL before end")
}

/// Formats `addr` of family `af` with a buffer of every size up to 64,
/// checking the bytes past the size stay untouched; returns the text.
fn ntop_all_sizes(af: c_int, addr: &[u8]) -> String {
    let mut full = None;
    for size in 0..64usize {
        let mut buf = [CANARY; 80];
        // SAFETY: `addr` holds the 4 or 16 bytes of `af`; `buf` has room
        // for `size` bytes.
        let r = unsafe {
            uv_inet_ntop(
                af,
                addr.as_ptr().cast::<c_void>(),
                buf.as_mut_ptr().cast::<c_char>(),
                size,
            )
        };
        assert!(
            buf[size..].iter().all(|&b| b == CANARY),
            "ntop wrote past {size}"
        );
        if r == 0 {
            let len = buf.iter().position(|&b| b == 0).expect("terminated");
            assert!(len < size);
            let text = String::from_utf8(buf[..len].to_vec()).expect("ASCII");
            if let Some(f) = &full {
                assert_eq!(f, &text);
            }
            full = Some(text);
        } else {
            assert_eq!(r, UV_ENOSPC, "ntop at size {size}");
            assert!(
                full.is_none(),
                "a larger buffer failed after a smaller worked"
            );
        }
    }
    full.expect("an address fits in 64 bytes")
}

fn pton(af: c_int, text: &str) -> Option<[u8; 16]> {
    let c = CString::new(text).ok()?;
    let mut out = [0u8; 16];
    // SAFETY: `c` is a C string; `out` has room for either family.
    let r = unsafe { uv_inet_pton(af, c.as_ptr(), out.as_mut_ptr().cast::<c_void>()) };
    (r == 0).then_some(out)
}

pub fn addr(data: &[u8]) {
    // Raw bytes as addresses: they print, and print back.
    if data.len() >= 16 {
        let mut a6 = [0u8; 16];
        a6.copy_from_slice(&data[..16]);
        let text = ntop_all_sizes(libc::AF_INET6, &a6);
        assert_eq!(pton(libc::AF_INET6, &text), Some(a6), "{text}");
        let text4 = ntop_all_sizes(libc::AF_INET, &a6[..4]);
        assert_eq!(
            pton(libc::AF_INET, &text4).map(|a| a[..4].to_vec()),
            Some(a6[..4].to_vec())
        );
    }

    // Text as addresses.
    let text = c_string(data);
    let port = data.first().map_or(0, |&b| c_int::from(b) * 251);
    // SAFETY: all-zero sockaddrs are valid storage.
    let mut sin: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    // SAFETY: `text` is a C string, `sin` writable.
    let r4 = unsafe { uv_ip4_addr(text.as_ptr(), port, &mut sin) };
    let p4 = pton(libc::AF_INET, text.to_str().unwrap_or("\u{1}"));
    if text.to_str().is_ok() {
        assert_eq!(
            r4 == 0,
            p4.is_some(),
            "uv_ip4_addr and uv_inet_pton disagree"
        );
    }
    if r4 == 0 {
        let mut name = [CANARY; 32];
        // SAFETY: `sin` was filled; `name` has 16 bytes of room.
        let r = unsafe { uv_ip4_name(&sin, name.as_mut_ptr().cast::<c_char>(), 16) };
        assert_eq!(r, 0);
        assert!(name[16..].iter().all(|&b| b == CANARY));
        let len = name.iter().position(|&b| b == 0).unwrap();
        let printed = std::str::from_utf8(&name[..len]).unwrap();
        let back = pton(libc::AF_INET, printed).expect("printed address parses");
        assert_eq!(back[..4], sin.sin_addr.s_addr.to_ne_bytes());
    } else {
        assert_eq!(r4, UV_EINVAL);
    }

    // SAFETY: as above.
    let mut sin6: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    // SAFETY: `text` is a C string, `sin6` writable.
    let r6 = unsafe { uv_ip6_addr(text.as_ptr(), port, &mut sin6) };
    if r6 == 0 {
        let mut name = [CANARY; 64];
        // SAFETY: `sin6` was filled; `name` has 46 bytes of room.
        let r = unsafe { uv_ip6_name(&sin6, name.as_mut_ptr().cast::<c_char>(), 46) };
        assert_eq!(r, 0);
        assert!(name[46..].iter().all(|&b| b == CANARY));
        let len = name.iter().position(|&b| b == 0).unwrap();
        let printed = std::str::from_utf8(&name[..len]).unwrap();
        let back = pton(libc::AF_INET6, printed).expect("printed address parses");
        assert_eq!(back, sin6.sin6_addr.s6_addr);
        // Without a zone, the text is exactly what uv_inet_pton takes.
        if !text.to_bytes().contains(&b'%') {
            assert_eq!(pton(libc::AF_INET6, text.to_str().unwrap()), Some(back));
        }
    } else {
        assert_eq!(r6, UV_EINVAL);
    }
}

pub fn idna(data: &[u8]) {
    // uv_getaddrinfo takes the name as a C string.
    let name = c_string(data);
    match uv::dns::host_to_ascii(name.to_bytes()) {
        Ok(ascii) => {
            assert!(ascii.is_ascii(), "{ascii:?}");
            assert!(!ascii.contains(&0));
            // Idempotent: an ASCII name converts to itself.
            let again = uv::dns::host_to_ascii(&ascii).expect("converts again");
            assert_eq!(again, ascii);
        }
        Err(e) => assert!(e == UV_EINVAL || e == UV_E2BIG, "error {e}"),
    }
}

pub fn wtf8(data: &[u8]) {
    use uv::wtf8::{
        uv_utf16_length_as_wtf8, uv_utf16_to_wtf8, uv_wtf8_length_as_utf16, uv_wtf8_to_utf16,
    };

    // Bytes as WTF-8: valid text goes to UTF-16 and back unchanged.
    let text = c_string(data);
    // SAFETY: `text` is a C string.
    let units = unsafe { uv_wtf8_length_as_utf16(text.as_ptr()) };
    if units >= 0 {
        let units = units as usize;
        let mut out = vec![0xabcdu16; units + 8];
        // SAFETY: `out` has `units` units of room (and more, unused).
        unsafe { uv_wtf8_to_utf16(text.as_ptr(), out.as_mut_ptr(), units) };
        assert_eq!(out[units - 1], 0, "terminated");
        assert!(
            out[units..].iter().all(|&u| u == 0xabcd),
            "wrote past the length"
        );
        // Back to WTF-8 and to UTF-16 again gives the same units. (Not the
        // same bytes: a surrogate pair spelled as two three-byte sequences
        // is accepted, as libuv does, and comes back as one four-byte one;
        // and an overlong zero such as E0 80 80 is a 0 unit, which as a NUL
        // would end the text, so such text is left out.)
        if !out[..units - 1].contains(&0) {
            let back = CString::new(utf16_to_wtf8(&out[..units - 1])).expect("no NUL");
            let mut again = vec![0u16; units];
            // SAFETY: `back` is a C string; `again` has `units` units of room.
            unsafe { uv_wtf8_to_utf16(back.as_ptr(), again.as_mut_ptr(), units) };
            assert_eq!(again, out[..units]);
        }
    }

    // Bytes as UTF-16 units (any, unpaired surrogates too): to WTF-8 and
    // back unchanged.
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .filter(|&u| u != 0)
        .collect();
    let bytes = utf16_to_wtf8(&units);
    // SAFETY: `units` is a readable slice of that length.
    let len = unsafe { uv_utf16_length_as_wtf8(units.as_ptr(), units.len() as isize) };
    assert_eq!(len, bytes.len());
    let c = CString::new(bytes).expect("WTF-8 of nonzero units has no NUL");
    // SAFETY: `c` is a C string.
    let n = unsafe { uv_wtf8_length_as_utf16(c.as_ptr()) };
    assert_eq!(n, units.len() as isize + 1);
    let mut out = vec![0u16; units.len() + 1];
    // SAFETY: `out` has `n` units of room.
    unsafe { uv_wtf8_to_utf16(c.as_ptr(), out.as_mut_ptr(), out.len()) };
    assert_eq!(&out[..units.len()], &units[..]);

    // Too small a buffer (its length says how many bytes of text fit; one
    // more holds the NUL): UV_ENOBUFS, nothing written past it.
    for size in 0..len.min(8) {
        let mut buf = vec![CANARY; size + 16];
        let mut p = buf.as_mut_ptr().cast::<c_char>();
        let mut got = size;
        // SAFETY: `p` points at `size` + 1 writable bytes, as `got` says.
        let r = unsafe { uv_utf16_to_wtf8(units.as_ptr(), units.len() as isize, &mut p, &mut got) };
        assert_eq!(r, UV_ENOBUFS, "size {size} of {len}");
        assert_eq!(buf[size], 0, "terminated");
        assert!(
            buf[size + 1..].iter().all(|&b| b == CANARY),
            "wrote past {size}"
        );
    }

    fn utf16_to_wtf8(units: &[u16]) -> Vec<u8> {
        // SAFETY: `units` is readable; a null `*wtf8_ptr` asks the function
        // to allocate with the library's allocator, which is malloc here
        // (nothing replaced it), so free() releases it.
        unsafe {
            let mut p: *mut c_char = std::ptr::null_mut();
            let mut len = 0usize;
            let r = uv_utf16_to_wtf8(units.as_ptr(), units.len() as isize, &mut p, &mut len);
            assert_eq!(r, 0);
            let v = std::slice::from_raw_parts(p.cast::<u8>(), len).to_vec();
            assert_eq!(*p.add(len), 0);
            libc::free(p.cast());
            v
        }
    }
}
