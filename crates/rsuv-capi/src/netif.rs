//! Network interfaces: `uv_interface_addresses`,
//! `uv_free_interface_addresses`, `uv_if_indextoname` and
//! `uv_if_indextoiid`.

use core::ffi::{c_char, c_int, c_uint, CStr};
use core::ptr;

use rsuv_core::error::{UV_EINVAL, UV_ENOMEM};

use crate::alloc::{calloc, free};
use crate::util::{copy_out, last_error};

// C types; layouts follow libuv's `uv.h` on Linux x86_64.

/// The address unions of `uv_interface_address_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union SockaddrInet {
    pub v4: libc::sockaddr_in,
    pub v6: libc::sockaddr_in6,
}

/// `uv_interface_address_t`.
#[repr(C)]
pub struct InterfaceAddress {
    pub name: *mut c_char,
    pub phys_addr: [c_char; 6],
    pub is_internal: c_int,
    pub address: SockaddrInet,
    pub netmask: SockaddrInet,
}

/// `UV_IF_NAMESIZE` on Linux: `IF_NAMESIZE + 1`.
const IF_NAME_SIZE: usize = 17;

/// Whether a `getifaddrs` entry is one `uv_interface_addresses` skips:
/// interfaces that are down, entries without an address, and, when
/// `want_packet` is false, link-layer (`AF_PACKET`) entries; when it is true,
/// everything else.
fn ifaddr_skipped(ent: &libc::ifaddrs, want_packet: bool) -> bool {
    let up = (libc::IFF_UP | libc::IFF_RUNNING) as c_uint;
    if ent.ifa_flags & up != up || ent.ifa_addr.is_null() {
        return true;
    }
    // SAFETY: checked non-null; getifaddrs entries point at valid sockaddrs.
    let family = c_int::from(unsafe { (*ent.ifa_addr).sa_family });
    (family == libc::AF_PACKET) != want_packet
}

/// Copies an IPv4 or IPv6 socket address into the union.
///
/// # Safety
/// `sa` must be null or point at a socket address of its family's size.
unsafe fn copy_inet(sa: *const libc::sockaddr, out: &mut SockaddrInet) {
    if sa.is_null() {
        return;
    }
    // SAFETY: the caller guarantees `sa` points at a full address of the
    // family it names; unaligned reads avoid assuming its alignment.
    unsafe {
        if c_int::from((*sa).sa_family) == libc::AF_INET6 {
            out.v6 = ptr::read_unaligned(sa.cast::<libc::sockaddr_in6>());
        } else {
            out.v4 = ptr::read_unaligned(sa.cast::<libc::sockaddr_in>());
        }
    }
}

/// The addresses of the interfaces that are up, with their MAC addresses.
/// Free the result with `uv_free_interface_addresses`.
///
/// # Safety
/// `addresses` and `count` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_interface_addresses(
    addresses: *mut *mut InterfaceAddress,
    count: *mut c_int,
) -> c_int {
    if addresses.is_null() || count.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: both checked non-null; the caller guarantees they are writable.
    unsafe {
        *count = 0;
        *addresses = ptr::null_mut();
    }
    let mut list: *mut libc::ifaddrs = ptr::null_mut();
    // SAFETY: `list` is valid for writes; freed below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return last_error();
    }
    // Borrow the linked list as a Vec of references for the passes below.
    let mut entries: Vec<&libc::ifaddrs> = Vec::new();
    let mut cur = list;
    while !cur.is_null() {
        // SAFETY: `cur` is a node of the list getifaddrs built, alive until
        // the freeifaddrs below, after which `entries` is no longer used.
        let ent = unsafe { &*cur };
        entries.push(ent);
        cur = ent.ifa_next;
    }
    // SAFETY: getifaddrs names are NUL-terminated strings.
    let name_of = |e: &libc::ifaddrs| unsafe { CStr::from_ptr(e.ifa_name) }.to_bytes();
    let wanted: Vec<&libc::ifaddrs> = entries
        .iter()
        .copied()
        .filter(|e| !ifaddr_skipped(e, false))
        .collect();
    let result = 'fill: {
        if wanted.is_empty() {
            break 'fill 0;
        }
        let names_bytes: usize = wanted.iter().map(|e| name_of(e).len() + 1).sum();
        let array_bytes = wanted.len() * core::mem::size_of::<InterfaceAddress>();
        let block = calloc(1, array_bytes + names_bytes).cast::<u8>();
        if block.is_null() {
            break 'fill UV_ENOMEM;
        }
        let array = block.cast::<InterfaceAddress>();
        // SAFETY: `block` is zeroed and holds the array followed by room for
        // every name; all writes stay inside it, and zero bytes are a valid
        // `InterfaceAddress`, so forming `&mut` to the slots is sound.
        unsafe {
            let mut name_at = block.add(array_bytes);
            for (i, e) in wanted.iter().enumerate() {
                let slot = &mut *array.add(i);
                let name = name_of(e);
                ptr::copy_nonoverlapping(name.as_ptr(), name_at, name.len());
                *name_at.add(name.len()) = 0;
                slot.name = name_at.cast();
                name_at = name_at.add(name.len() + 1);
                copy_inet(e.ifa_addr, &mut slot.address);
                copy_inet(e.ifa_netmask, &mut slot.netmask);
                slot.is_internal = c_int::from(e.ifa_flags & libc::IFF_LOOPBACK as c_uint != 0);
            }
            // Aliases ("eth0:1") share the MAC address of their device.
            for e in entries.iter().filter(|e| !ifaddr_skipped(e, true)) {
                let dev = name_of(e);
                let sll = ptr::read_unaligned(e.ifa_addr.cast::<libc::sockaddr_ll>());
                for i in 0..wanted.len() {
                    let slot = &mut *array.add(i);
                    let name = CStr::from_ptr(slot.name).to_bytes();
                    let same = name
                        .strip_prefix(dev)
                        .is_some_and(|r| r.is_empty() || r[0] == b':');
                    if same {
                        for (d, s) in slot.phys_addr.iter_mut().zip(sll.sll_addr) {
                            *d = s as c_char;
                        }
                    }
                }
            }
            *addresses = array;
            *count = c_int::try_from(wanted.len()).unwrap_or(c_int::MAX);
        }
        0
    };
    // SAFETY: `list` came from getifaddrs and nothing borrowed from it is
    // used after this point.
    unsafe { libc::freeifaddrs(list) };
    result
}

/// Frees what `uv_interface_addresses` returned (a single block).
///
/// # Safety
/// `addresses` must be null or a result of `uv_interface_addresses` not yet
/// freed.
#[no_mangle]
pub unsafe extern "C" fn uv_free_interface_addresses(
    addresses: *mut InterfaceAddress,
    _count: c_int,
) {
    // SAFETY: the caller passes a block from `uv_interface_addresses`, made
    // by `calloc` in this module.
    unsafe { free(addresses.cast()) };
}

/// The name of network interface `ifindex`.
///
/// # Safety
/// `buffer` must be valid for writes of `*size` bytes; `size` for reads and
/// writes.
#[no_mangle]
pub unsafe extern "C" fn uv_if_indextoname(
    ifindex: c_uint,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: `size` is read only when non-null.
    if buffer.is_null() || size.is_null() || unsafe { *size } == 0 {
        return UV_EINVAL;
    }
    let mut name = [0 as c_char; IF_NAME_SIZE];
    // SAFETY: `name` has room for IF_NAMESIZE bytes.
    if unsafe { libc::if_indextoname(ifindex, name.as_mut_ptr()) }.is_null() {
        return last_error();
    }
    let len = name.iter().position(|&c| c == 0).unwrap_or(name.len());
    let bytes: Vec<u8> = name[..len].iter().map(|&c| c as u8).collect();
    // SAFETY: the caller's contract is the one `copy_out` needs.
    unsafe { copy_out(&bytes, buffer, size) }
}

/// On Unix an interface identifier is the interface name.
///
/// # Safety
/// As for `uv_if_indextoname`.
#[no_mangle]
pub unsafe extern "C" fn uv_if_indextoiid(
    ifindex: c_uint,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: same contract.
    unsafe { uv_if_indextoname(ifindex, buffer, size) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_layouts() {
        use core::mem::{offset_of, size_of};
        assert_eq!(size_of::<InterfaceAddress>(), 80);
        assert_eq!(offset_of!(InterfaceAddress, phys_addr), 8);
        assert_eq!(offset_of!(InterfaceAddress, is_internal), 16);
        assert_eq!(offset_of!(InterfaceAddress, address), 20);
        assert_eq!(offset_of!(InterfaceAddress, netmask), 48);
    }

    #[test]
    fn interface_addresses_smoke() {
        // SAFETY: valid pointers throughout.
        unsafe {
            let mut n = 0;
            let mut addrs = ptr::null_mut();
            assert_eq!(uv_interface_addresses(&mut addrs, &mut n), 0);
            let list = core::slice::from_raw_parts(addrs, n as usize);
            assert!(list
                .iter()
                .any(|a| a.is_internal == 1 && CStr::from_ptr(a.name).to_bytes() == b"lo"));
            uv_free_interface_addresses(addrs, n);
        }
    }
}
