//! Monotonic and wall clocks.

use rustix::time::{clock_getres, clock_gettime, ClockId};
use std::sync::OnceLock;

fn nanos(ts: rustix::time::Timespec) -> u64 {
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// High-resolution monotonic time in nanoseconds (`uv_hrtime`).
pub fn hrtime() -> u64 {
    nanos(clock_gettime(ClockId::Monotonic))
}

/// Monotonic time in milliseconds for the loop clock.
///
/// Uses the coarse clock when it ticks at least every millisecond: it is read
/// from the vDSO without a system call, and the loop clock only has
/// millisecond resolution anyway.
pub fn loop_time_ms() -> u64 {
    static FAST: OnceLock<ClockId> = OnceLock::new();
    let id = *FAST.get_or_init(|| {
        let res = clock_getres(ClockId::MonotonicCoarse);
        if res.tv_sec == 0 && res.tv_nsec <= 1_000_000 {
            ClockId::MonotonicCoarse
        } else {
            ClockId::Monotonic
        }
    });
    nanos(clock_gettime(id)) / 1_000_000
}

/// Wall-clock time as (seconds, nanoseconds) since the Unix epoch.
pub fn realtime() -> (i64, i64) {
    let ts = clock_gettime(ClockId::Realtime);
    (ts.tv_sec, ts.tv_nsec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_are_monotonic_and_agree() {
        let a = hrtime();
        let ms = loop_time_ms();
        let b = hrtime();
        assert!(b >= a);
        // The coarse clock may lag the precise one by up to one tick.
        assert!(ms <= b / 1_000_000 + 1);
        assert!(ms + 20 >= a / 1_000_000);
    }
}
