//! The resolver: `uv_getaddrinfo`, `uv_freeaddrinfo` and `uv_getnameinfo`.
//!
//! Both requests run the C library's `getaddrinfo(3)` / `getnameinfo(3)` on
//! the thread pool and report on the loop thread, or, with a NULL callback,
//! run inline and return the result. While queued or running they count as
//! active requests of their loop. `uv_cancel` of a request still queued makes
//! its callback run with `UV_EAI_CANCELED` and no result.
//!
//! `uv_getaddrinfo` copies the node, service and hints, so the caller's may
//! go away after the call. Like libuv, it first converts the node name to
//! ASCII (IDNA: each label with non-ASCII characters becomes `xn--` plus its
//! Punycode; labels are separated by `.` or the ideographic/full-width/
//! half-width full stops U+3002, U+FF0E, U+FF61); a name that is empty, not
//! UTF-8 or longer than 255 bytes once converted gives `UV_EINVAL`, one whose
//! Punycode overflows `UV_E2BIG`. (libuv's UTF-8 decoder lets some malformed
//! sequences through and converts them; here they are all `UV_EINVAL`.) The
//! result list comes from `getaddrinfo` and goes back with `freeaddrinfo`.
//! Resolver errors become the `UV_EAI_*` codes (`EAI_SYSTEM` becomes the
//! `errno` code).
//!
//! As in libuv, these are "slow I/O" jobs: they occupy at most half of the
//! pool's threads, so lookups that hang cannot starve file-system work.

#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_int, CStr};
use core::mem::{offset_of, size_of};
use core::ptr;
use std::ffi::CString;

use rsuv_core::error::{
    UV_E2BIG, UV_EAI_ADDRFAMILY, UV_EAI_AGAIN, UV_EAI_BADFLAGS, UV_EAI_CANCELED, UV_EAI_FAIL,
    UV_EAI_FAMILY, UV_EAI_MEMORY, UV_EAI_NODATA, UV_EAI_NONAME, UV_EAI_OVERFLOW, UV_EAI_SERVICE,
    UV_EAI_SOCKTYPE, UV_EINVAL,
};
use rsuv_core::threadpool;

use crate::abi::{uv_loop_t, uv_req_t, UV_GETADDRINFO, UV_GETNAMEINFO};
use crate::util::errno;

pub type uv_getaddrinfo_cb =
    Option<unsafe extern "C" fn(*mut uv_getaddrinfo_t, c_int, *mut libc::addrinfo)>;
pub type uv_getnameinfo_cb =
    Option<unsafe extern "C" fn(*mut uv_getnameinfo_t, c_int, *const c_char, *const c_char)>;

/// `NI_MAXHOST` and `NI_MAXSERV`: the sizes of `uv_getnameinfo_t`'s public
/// `host` and `service` arrays.
const NI_MAXHOST: usize = 1025;
const NI_MAXSERV: usize = 32;

/// Longest converted host name, NUL excluded (libuv converts into a
/// 256-byte buffer).
const HOST_ASCII_MAX: usize = 255;

// glibc's EAI_* values (<netdb.h>, with _GNU_SOURCE for the last two).
const EAI_BADFLAGS: c_int = -1;
const EAI_NONAME: c_int = -2;
const EAI_AGAIN: c_int = -3;
const EAI_FAIL: c_int = -4;
const EAI_NODATA: c_int = -5;
const EAI_FAMILY: c_int = -6;
const EAI_SOCKTYPE: c_int = -7;
const EAI_SERVICE: c_int = -8;
const EAI_ADDRFAMILY: c_int = -9;
const EAI_MEMORY: c_int = -10;
const EAI_SYSTEM: c_int = -11;
const EAI_OVERFLOW: c_int = -12;
const EAI_CANCELED: c_int = -101;

/// `uv_getaddrinfo_t`: public `loop` at 64 and `addrinfo` at 144; the rest
/// is ours.
#[repr(C)]
pub struct uv_getaddrinfo_t {
    pub req: uv_req_t,
    pub loop_: *mut uv_loop_t,
    cb: uv_getaddrinfo_cb,
    /// The copied node, service and hints; owned by the request from
    /// submission until its completion.
    query: *mut Query,
    /// The `UV_EAI_*` / `UV_E*` result.
    retcode: c_int,
    _private: [u8; 52],
    pub addrinfo: *mut libc::addrinfo,
    _tail: [u8; 8],
}

/// `uv_getnameinfo_t`: public `loop` at 64, `host` at 252 and `service` at
/// 1277; the rest is ours.
#[repr(C)]
pub struct uv_getnameinfo_t {
    pub req: uv_req_t,
    pub loop_: *mut uv_loop_t,
    cb: uv_getnameinfo_cb,
    /// The copied address.
    storage: libc::sockaddr_storage,
    retcode: c_int,
    _private: [u8; 36],
    flags: c_int,
    pub host: [c_char; NI_MAXHOST],
    pub service: [c_char; NI_MAXSERV],
    _tail: [u8; 11],
}

const _: () = {
    assert!(size_of::<uv_getaddrinfo_t>() == 160);
    assert!(offset_of!(uv_getaddrinfo_t, loop_) == 64);
    assert!(offset_of!(uv_getaddrinfo_t, addrinfo) == 144);
    assert!(size_of::<uv_getnameinfo_t>() == 1320);
    assert!(offset_of!(uv_getnameinfo_t, loop_) == 64);
    assert!(offset_of!(uv_getnameinfo_t, flags) == 248);
    assert!(offset_of!(uv_getnameinfo_t, host) == 252);
    assert!(offset_of!(uv_getnameinfo_t, service) == 1277);
};

/// A getaddrinfo request's own copies of its arguments.
struct Query {
    host: Option<CString>,
    service: Option<CString>,
    hints: Option<libc::addrinfo>,
}

/// libuv's code for a `getaddrinfo` / `getnameinfo` result. `sys_errno` is
/// `errno` right after the call, used for `EAI_SYSTEM`. libuv aborts on a
/// code it does not know; here such a code (and `EAI_SYSTEM` without an
/// `errno`) is `UV_EAI_FAIL`.
fn translate_eai(code: c_int, sys_errno: c_int) -> c_int {
    match code {
        0 => 0,
        EAI_ADDRFAMILY => UV_EAI_ADDRFAMILY,
        EAI_AGAIN => UV_EAI_AGAIN,
        EAI_BADFLAGS => UV_EAI_BADFLAGS,
        EAI_CANCELED => UV_EAI_CANCELED,
        EAI_FAIL => UV_EAI_FAIL,
        EAI_FAMILY => UV_EAI_FAMILY,
        EAI_MEMORY => UV_EAI_MEMORY,
        EAI_NODATA => UV_EAI_NODATA,
        EAI_NONAME => UV_EAI_NONAME,
        EAI_OVERFLOW => UV_EAI_OVERFLOW,
        EAI_SERVICE => UV_EAI_SERVICE,
        EAI_SOCKTYPE => UV_EAI_SOCKTYPE,
        EAI_SYSTEM if sys_errno > 0 => -sys_errno,
        _ => UV_EAI_FAIL,
    }
}

// ---- IDNA ---------------------------------------------------------------

/// Whether `c` separates labels in a host name.
fn is_label_separator(c: char) -> bool {
    matches!(c, '.' | '\u{3002}' | '\u{FF0E}' | '\u{FF61}')
}

/// Appends one label: as is when it is all ASCII, otherwise `xn--` and its
/// Punycode (RFC 3492). `UV_E2BIG` if the Punycode arithmetic overflows.
fn push_label(label: &str, out: &mut Vec<u8>) -> Result<(), c_int> {
    if label.is_ascii() {
        out.extend_from_slice(label.as_bytes());
        return Ok(());
    }
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    const DIGITS: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let digit = |d: u32| DIGITS[d as usize];
    let adapt = |delta: u32, points: u32, first: bool| -> u32 {
        let mut delta = if first { delta / 700 } else { delta / 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - T_MIN) * T_MAX) / 2 {
            delta /= BASE - T_MIN;
            k += BASE;
        }
        k + (BASE - T_MIN + 1) * delta / (delta + 38)
    };

    out.extend_from_slice(b"xn--");
    let basic = label.chars().filter(char::is_ascii).count() as u32;
    out.extend(label.bytes().filter(u8::is_ascii));
    if basic > 0 {
        out.push(b'-');
    }
    let total = label.chars().count() as u32;
    let (mut n, mut delta, mut bias, mut handled) = (0x80u32, 0u32, 72u32, basic);
    while handled < total {
        let Some(m) = label.chars().map(u32::from).filter(|&c| c >= n).min() else {
            break;
        };
        delta = (m - n)
            .checked_mul(handled + 1)
            .and_then(|d| d.checked_add(delta))
            .ok_or(UV_E2BIG)?;
        n = m;
        for c in label.chars().map(u32::from) {
            if c < n {
                delta = delta.checked_add(1).ok_or(UV_E2BIG)?;
            }
            if c != n {
                continue;
            }
            let mut q = delta;
            let mut k = BASE;
            loop {
                let t = k.saturating_sub(bias).clamp(T_MIN, T_MAX);
                if q < t {
                    break;
                }
                out.push(digit(t + (q - t) % (BASE - t)));
                q = (q - t) / (BASE - t);
                k += BASE;
            }
            out.push(digit(q));
            bias = adapt(delta, handled + 1, handled == basic);
            delta = 0;
            handled += 1;
        }
        delta = delta.checked_add(1).ok_or(UV_E2BIG)?;
        n += 1;
    }
    Ok(())
}

/// The ASCII form of a host name, as libuv hands it to `getaddrinfo`
/// (see the module comment). Errors in the order libuv finds them: labels
/// are converted left to right, so an overflowing label before a bad UTF-8
/// byte reports `UV_E2BIG`.
#[doc(hidden)] // public for the fuzz targets (fuzz/)
pub fn host_to_ascii(name: &[u8]) -> Result<Vec<u8>, c_int> {
    if name.is_empty() {
        return Err(UV_EINVAL);
    }
    let (text, valid) = match core::str::from_utf8(name) {
        Ok(s) => (s, true),
        Err(e) => (
            core::str::from_utf8(&name[..e.valid_up_to()]).unwrap_or_default(),
            false,
        ),
    };
    let mut out = Vec::with_capacity(name.len() + 8);
    let mut rest = text;
    while let Some((at, sep)) = rest.char_indices().find(|&(_, c)| is_label_separator(c)) {
        push_label(&rest[..at], &mut out)?;
        out.push(b'.');
        rest = &rest[at + sep.len_utf8()..];
    }
    if !valid {
        return Err(UV_EINVAL);
    }
    push_label(rest, &mut out)?;
    if out.len() > HOST_ASCII_MAX {
        return Err(UV_EINVAL);
    }
    Ok(out)
}

// ---- getaddrinfo ---------------------------------------------------------

/// Runs on a pool thread (or inline for a synchronous request).
fn getaddrinfo_work(token: usize) {
    let req = token as *mut uv_getaddrinfo_t;
    // SAFETY: the request and its query stay valid and untouched by anyone
    // else until the done function; the query's strings are NUL-terminated.
    unsafe {
        let q = &*(*req).query;
        let host = q.host.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        let service = q.service.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        let hints = q
            .hints
            .as_ref()
            .map_or(ptr::null(), |h| h as *const libc::addrinfo);
        let mut res: *mut libc::addrinfo = ptr::null_mut();
        let rc = libc::getaddrinfo(host, service, hints, &mut res);
        let sys_errno = errno();
        (*req).retcode = translate_eai(rc, sys_errno);
        if rc == 0 {
            (*req).addrinfo = res;
        }
    }
}

/// Runs on the loop thread (or inline for a synchronous request).
fn getaddrinfo_done(token: usize, status: i32) {
    let req = token as *mut uv_getaddrinfo_t;
    // SAFETY: the request is valid until its callback returns; the query
    // was made by Box::into_raw at submission and is freed only here.
    unsafe {
        let query = core::mem::replace(&mut (*req).query, ptr::null_mut());
        if !query.is_null() {
            drop(Box::from_raw(query));
        }
        if status == threadpool::CANCELED {
            (*req).retcode = UV_EAI_CANCELED;
        }
        if let Some(cb) = (*req).cb {
            cb(req, (*req).retcode, (*req).addrinfo);
        }
    }
}

/// Resolves `node` / `service` (either may be NULL, not both).
///
/// # Safety
/// `loop_` is an initialized loop (when `cb` is not NULL); `req` stays valid
/// until the callback; `node` and `service` are NULL or NUL-terminated;
/// `hints` is NULL or a readable `struct addrinfo`.
#[no_mangle]
pub unsafe extern "C" fn uv_getaddrinfo(
    loop_: *mut uv_loop_t,
    req: *mut uv_getaddrinfo_t,
    cb: uv_getaddrinfo_cb,
    node: *const c_char,
    service: *const c_char,
    hints: *const libc::addrinfo,
) -> c_int {
    if req.is_null() || (node.is_null() && service.is_null()) {
        return UV_EINVAL;
    }
    let host = if node.is_null() {
        None
    } else {
        // SAFETY: per the contract.
        let name = unsafe { CStr::from_ptr(node) }.to_bytes();
        match host_to_ascii(name).map(CString::new) {
            Ok(Ok(ascii)) => Some(ascii),
            Ok(Err(_)) => return UV_EINVAL,
            Err(e) => return e,
        }
    };
    // SAFETY: per the contract.
    let service = (!service.is_null()).then(|| unsafe { CStr::from_ptr(service) }.to_owned());
    // SAFETY: per the contract; a plain-data copy.
    let hints = (!hints.is_null()).then(|| unsafe { ptr::read(hints) });

    let shared = if cb.is_some() {
        // SAFETY: per the contract.
        match unsafe { crate::threadpool::pool_request_started(loop_) } {
            Some(s) => Some(s),
            None => return UV_EINVAL,
        }
    } else {
        None
    };

    let query = Box::into_raw(Box::new(Query {
        host,
        service,
        hints,
    }));
    // SAFETY: req is writable; filled in before the pool can see it.
    unsafe {
        (*req).req.type_ = UV_GETADDRINFO;
        (*req).loop_ = loop_;
        (*req).cb = cb;
        (*req).query = query;
        (*req).retcode = 0;
        (*req).addrinfo = ptr::null_mut();
    }
    match shared {
        Some(shared) => {
            threadpool::submit_slow_io(req as usize, getaddrinfo_work, getaddrinfo_done, shared);
            0
        }
        None => {
            getaddrinfo_work(req as usize);
            getaddrinfo_done(req as usize, 0);
            // SAFETY: req is still the caller's.
            unsafe { (*req).retcode }
        }
    }
}

/// Frees a result list of `uv_getaddrinfo`; NULL is allowed.
///
/// # Safety
/// `ai` is NULL or a list returned by `uv_getaddrinfo`, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn uv_freeaddrinfo(ai: *mut libc::addrinfo) {
    if !ai.is_null() {
        // SAFETY: per the contract, the list came from getaddrinfo.
        unsafe { libc::freeaddrinfo(ai) };
    }
}

// ---- getnameinfo ---------------------------------------------------------

/// Runs on a pool thread (or inline for a synchronous request).
fn getnameinfo_work(token: usize) {
    let req = token as *mut uv_getnameinfo_t;
    // SAFETY: the request stays valid and untouched by anyone else until the
    // done function; storage holds an address of the size its family says
    // (checked at submission); host and service are the stated sizes.
    unsafe {
        let salen = if c_int::from((*req).storage.ss_family) == libc::AF_INET {
            size_of::<libc::sockaddr_in>()
        } else {
            size_of::<libc::sockaddr_in6>()
        };
        let rc = libc::getnameinfo(
            ptr::addr_of!((*req).storage).cast(),
            salen as libc::socklen_t,
            ptr::addr_of_mut!((*req).host).cast(),
            NI_MAXHOST as libc::socklen_t,
            ptr::addr_of_mut!((*req).service).cast(),
            NI_MAXSERV as libc::socklen_t,
            (*req).flags,
        );
        let sys_errno = errno();
        (*req).retcode = translate_eai(rc, sys_errno);
    }
}

/// Runs on the loop thread (or inline for a synchronous request).
fn getnameinfo_done(token: usize, status: i32) {
    let req = token as *mut uv_getnameinfo_t;
    // SAFETY: the request is valid until its callback returns.
    unsafe {
        if status == threadpool::CANCELED {
            (*req).retcode = UV_EAI_CANCELED;
        }
        let ok = (*req).retcode == 0;
        let host: *const c_char = if ok {
            ptr::addr_of!((*req).host).cast()
        } else {
            ptr::null()
        };
        let service: *const c_char = if ok {
            ptr::addr_of!((*req).service).cast()
        } else {
            ptr::null()
        };
        if let Some(cb) = (*req).cb {
            cb(req, (*req).retcode, host, service);
        }
    }
}

/// Looks up the host and service names of an IPv4 or IPv6 socket address.
///
/// # Safety
/// `loop_` is an initialized loop (when `cb` is not NULL); `req` stays valid
/// until the callback; `addr` is NULL or a readable socket address of the
/// size its family implies.
#[no_mangle]
pub unsafe extern "C" fn uv_getnameinfo(
    loop_: *mut uv_loop_t,
    req: *mut uv_getnameinfo_t,
    cb: uv_getnameinfo_cb,
    addr: *const libc::sockaddr,
    flags: c_int,
) -> c_int {
    if req.is_null() || addr.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: per the contract, the family is readable.
    let len = match c_int::from(unsafe { (*addr).sa_family }) {
        libc::AF_INET => size_of::<libc::sockaddr_in>(),
        libc::AF_INET6 => size_of::<libc::sockaddr_in6>(),
        _ => return UV_EINVAL,
    };

    let shared = if cb.is_some() {
        // SAFETY: per the contract.
        match unsafe { crate::threadpool::pool_request_started(loop_) } {
            Some(s) => Some(s),
            None => return UV_EINVAL,
        }
    } else {
        None
    };

    // SAFETY: req is writable and filled in before the pool can see it; addr
    // has `len` readable bytes, which fit in the storage.
    unsafe {
        (*req).req.type_ = UV_GETNAMEINFO;
        (*req).loop_ = loop_;
        (*req).cb = cb;
        (*req).flags = flags;
        (*req).retcode = 0;
        ptr::copy_nonoverlapping(
            addr.cast::<u8>(),
            ptr::addr_of_mut!((*req).storage).cast::<u8>(),
            len,
        );
    }
    match shared {
        Some(shared) => {
            threadpool::submit_slow_io(req as usize, getnameinfo_work, getnameinfo_done, shared);
            0
        }
        None => {
            getnameinfo_work(req as usize);
            getnameinfo_done(req as usize, 0);
            // SAFETY: req is still the caller's.
            unsafe { (*req).retcode }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ascii(name: &str) -> Result<String, c_int> {
        host_to_ascii(name.as_bytes()).map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn idna_punycode_vectors() {
        assert_eq!(ascii("localhost").unwrap(), "localhost");
        assert_eq!(ascii("Example.COM.").unwrap(), "Example.COM.");
        assert_eq!(ascii("ü").unwrap(), "xn--tda");
        assert_eq!(ascii("bücher.de").unwrap(), "xn--bcher-kva.de");
        assert_eq!(ascii("münchen.de").unwrap(), "xn--mnchen-3ya.de");
        assert_eq!(ascii("中文").unwrap(), "xn--fiq228c");
        assert_eq!(ascii("例え。テスト").unwrap(), "xn--r8jz45g.xn--zckzah");
        assert_eq!(ascii("a．b｡c").unwrap(), "a.b.c");
        // RFC 3492 section 7.1 samples (A) Arabic and (B) simplified Chinese.
        assert_eq!(
            ascii("\u{644}\u{64A}\u{647}\u{645}\u{627}\u{628}\u{62A}\u{643}\u{644}\u{645}\u{648}\u{634}\u{639}\u{631}\u{628}\u{64A}\u{61F}")
                .unwrap(),
            "xn--egbpdaj6bu4bxfgehfvwxn"
        );
        assert_eq!(
            ascii("\u{4ED6}\u{4EEC}\u{4E3A}\u{4EC0}\u{4E48}\u{4E0D}\u{8BF4}\u{4E2D}\u{6587}")
                .unwrap(),
            "xn--ihqwcrb4cv8a8dqg056pqjye"
        );
        // (L) mixed case and ASCII kept as is.
        assert_eq!(
            ascii("3\u{5E74}B\u{7D44}\u{91D1}\u{516B}\u{5148}\u{751F}").unwrap(),
            "xn--3B-ww4c5e180e575a65lsy2b"
        );
    }

    #[test]
    fn idna_errors() {
        assert_eq!(host_to_ascii(b""), Err(UV_EINVAL));
        assert_eq!(host_to_ascii(b"a\xffb"), Err(UV_EINVAL));
        assert_eq!(host_to_ascii(b"ok.\xc3"), Err(UV_EINVAL));
        assert_eq!(host_to_ascii(&[b'a'; 255]).map(|v| v.len()), Ok(255));
        assert_eq!(host_to_ascii(&[b'a'; 256]), Err(UV_EINVAL));
        assert_eq!(ascii("."), Ok(".".into()));
        assert_eq!(ascii("a..b"), Ok("a..b".into()));
    }

    #[test]
    fn eai_codes() {
        assert_eq!(translate_eai(0, 0), 0);
        assert_eq!(translate_eai(EAI_NONAME, 0), UV_EAI_NONAME);
        assert_eq!(translate_eai(EAI_SYSTEM, libc::ENOENT), -libc::ENOENT);
        assert_eq!(translate_eai(EAI_SYSTEM, 0), UV_EAI_FAIL);
        assert_eq!(translate_eai(-105, 0), UV_EAI_FAIL);
        assert_eq!(EAI_NONAME, libc::EAI_NONAME);
        assert_eq!(EAI_SYSTEM, libc::EAI_SYSTEM);
        assert_eq!(EAI_NODATA, libc::EAI_NODATA);
    }

    #[test]
    fn sync_requests() {
        // SAFETY: zeroed requests are writable; synchronous calls need no loop.
        unsafe {
            let mut req: uv_getaddrinfo_t = core::mem::zeroed();
            let r = uv_getaddrinfo(
                ptr::null_mut(),
                &mut req,
                None,
                c"127.0.0.1".as_ptr(),
                ptr::null(),
                ptr::null(),
            );
            assert_eq!(r, 0);
            assert!(!req.addrinfo.is_null());
            assert_eq!(req.req.type_, UV_GETADDRINFO);
            uv_freeaddrinfo(req.addrinfo);
            assert_eq!(
                uv_getaddrinfo(
                    ptr::null_mut(),
                    &mut req,
                    None,
                    ptr::null(),
                    ptr::null(),
                    ptr::null()
                ),
                UV_EINVAL
            );

            let mut nreq: uv_getnameinfo_t = core::mem::zeroed();
            let mut sa: libc::sockaddr_in = core::mem::zeroed();
            sa.sin_family = libc::AF_INET as libc::sa_family_t;
            sa.sin_port = 80u16.to_be();
            sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
            let flags = libc::NI_NUMERICHOST | libc::NI_NUMERICSERV;
            let r = uv_getnameinfo(
                ptr::null_mut(),
                &mut nreq,
                None,
                ptr::addr_of!(sa).cast(),
                flags,
            );
            assert_eq!(r, 0);
            assert_eq!(CStr::from_ptr(nreq.host.as_ptr()).to_bytes(), b"127.0.0.1");
            assert_eq!(CStr::from_ptr(nreq.service.as_ptr()).to_bytes(), b"80");
        }
    }
}
