//! Clocks and sleeping: `uv_hrtime`, `uv_clock_gettime`, `uv_gettimeofday`
//! and `uv_sleep`, plus the crate's `hrtime` and `clock_ns` for other modules
//! that read a clock.

use core::ffi::{c_int, c_uint};
use core::ptr;

use rsuv_core::error::{UV_EFAULT, UV_EINVAL};

use crate::util::{errno, last_error};

// C types; layouts follow libuv's `uv.h` on Linux x86_64.

/// `uv_timespec64_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Timespec64 {
    pub tv_sec: i64,
    pub tv_nsec: i32,
}

/// `uv_timeval64_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Timeval64 {
    pub tv_sec: i64,
    pub tv_usec: i32,
}

const UV_CLOCK_MONOTONIC: c_int = 0;
const UV_CLOCK_REALTIME: c_int = 1;

pub(crate) fn clock_ns(clock: libc::clockid_t) -> Option<u64> {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write into.
    if unsafe { libc::clock_gettime(clock, &mut t) } != 0 {
        return None;
    }
    let sec = u64::try_from(t.tv_sec).ok()?;
    let nsec = u64::try_from(t.tv_nsec).ok()?;
    Some(sec.wrapping_mul(1_000_000_000).wrapping_add(nsec))
}

/// Nanoseconds on the monotonic clock.
pub(crate) fn hrtime() -> u64 {
    // The monotonic clock cannot fail on Linux; 0 mirrors libuv should it.
    clock_ns(libc::CLOCK_MONOTONIC).unwrap_or(0)
}

/// Monotonic time in nanoseconds from an arbitrary point in the past.
#[no_mangle]
pub extern "C" fn uv_hrtime() -> u64 {
    hrtime()
}

/// Reads the monotonic or real-time clock. A null `ts` is `UV_EFAULT` and an
/// unknown clock `UV_EINVAL`, as in libuv.
///
/// # Safety
/// `ts` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_clock_gettime(clock_id: c_int, ts: *mut Timespec64) -> c_int {
    if ts.is_null() {
        return UV_EFAULT;
    }
    let clock = match clock_id {
        UV_CLOCK_MONOTONIC => libc::CLOCK_MONOTONIC,
        UV_CLOCK_REALTIME => libc::CLOCK_REALTIME,
        _ => return UV_EINVAL,
    };
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write into.
    if unsafe { libc::clock_gettime(clock, &mut t) } != 0 {
        return last_error();
    }
    // SAFETY: checked non-null above; the caller guarantees it is writable.
    unsafe {
        *ts = Timespec64 {
            tv_sec: t.tv_sec,
            // Always below 10^9, so it fits.
            tv_nsec: t.tv_nsec as i32,
        }
    };
    0
}

/// Wall-clock time as seconds and microseconds since the epoch.
///
/// # Safety
/// `tv` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_gettimeofday(tv: *mut Timeval64) -> c_int {
    if tv.is_null() {
        return UV_EINVAL;
    }
    let mut t = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    // SAFETY: `t` is a valid timeval; a null timezone is allowed.
    if unsafe { libc::gettimeofday(&mut t, ptr::null_mut()) } != 0 {
        return last_error();
    }
    // SAFETY: checked non-null above; the caller guarantees it is writable.
    unsafe {
        *tv = Timeval64 {
            tv_sec: t.tv_sec,
            // Always below 10^6, so it fits.
            tv_usec: t.tv_usec as i32,
        }
    };
    0
}

/// Blocks the calling thread for `msec` milliseconds, resuming after signals.
#[no_mangle]
pub extern "C" fn uv_sleep(msec: c_uint) {
    let mut t = libc::timespec {
        tv_sec: libc::time_t::from(msec / 1000),
        tv_nsec: libc::c_long::from(msec % 1000) * 1_000_000,
    };
    loop {
        let mut rest = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: both timespecs are valid for the call.
        if unsafe { libc::nanosleep(&t, &mut rest) } == 0 || errno() != libc::EINTR {
            return;
        }
        t = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks() {
        let a = uv_hrtime();
        uv_sleep(2);
        let b = uv_hrtime();
        assert!(b - a >= 2_000_000);
        let mut ts = Timespec64::default();
        // SAFETY: valid or null pointers throughout.
        unsafe {
            assert_eq!(uv_clock_gettime(UV_CLOCK_REALTIME, &mut ts), 0);
            assert!(ts.tv_sec > 1_600_000_000);
            assert_eq!(uv_clock_gettime(UV_CLOCK_MONOTONIC, &mut ts), 0);
            assert_eq!(uv_clock_gettime(2, &mut ts), UV_EINVAL);
            assert_eq!(uv_clock_gettime(-1, &mut ts), UV_EINVAL);
            assert_eq!(
                uv_clock_gettime(UV_CLOCK_MONOTONIC, ptr::null_mut()),
                UV_EFAULT
            );
            let mut tv = Timeval64::default();
            assert_eq!(uv_gettimeofday(&mut tv), 0);
            assert!(tv.tv_sec > 1_600_000_000 && (0..1_000_000).contains(&tv.tv_usec));
            assert_eq!(uv_gettimeofday(ptr::null_mut()), UV_EINVAL);
        }
    }

    #[test]
    fn struct_layouts() {
        use core::mem::{offset_of, size_of};
        assert_eq!(size_of::<Timespec64>(), 16);
        assert_eq!(size_of::<Timeval64>(), 16);
        assert_eq!(offset_of!(Timeval64, tv_usec), 8);
    }
}
