//! System and process resource information: `uv_getrusage`,
//! `uv_getrusage_thread`, `uv_uptime`, `uv_loadavg`, the memory queries
//! (`uv_get_free_memory`, `uv_get_total_memory`, `uv_get_constrained_memory`,
//! `uv_get_available_memory`, `uv_resident_set_memory`) and `uv_cpu_info` /
//! `uv_free_cpu_info`.
//!
//! The memory limits come from the process's cgroup (v1 or v2), as does
//! `cgroup_cpu_quota`, which `uv_available_parallelism` in `thread.rs` uses
//! to respect a container's CPU limit.

use core::ffi::{c_char, c_double, c_int};
use core::ptr;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use rsuv_core::error::{UV_EINVAL, UV_ENOMEM};

use crate::alloc::{alloc, free};
use crate::time::clock_ns;
use crate::util::{last_error, page_size, parse_f64, parse_i64, parse_u64, read_file};

// C types; layouts follow libuv's `uv.h` on Linux x86_64.

/// `uv_timeval_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Timeval {
    pub tv_sec: libc::c_long,
    pub tv_usec: libc::c_long,
}

/// `uv_rusage_t`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Rusage {
    pub ru_utime: Timeval,
    pub ru_stime: Timeval,
    pub ru_maxrss: u64,
    pub ru_ixrss: u64,
    pub ru_idrss: u64,
    pub ru_isrss: u64,
    pub ru_minflt: u64,
    pub ru_majflt: u64,
    pub ru_nswap: u64,
    pub ru_inblock: u64,
    pub ru_oublock: u64,
    pub ru_msgsnd: u64,
    pub ru_msgrcv: u64,
    pub ru_nsignals: u64,
    pub ru_nvcsw: u64,
    pub ru_nivcsw: u64,
}

/// `struct uv_cpu_times_s`, in milliseconds.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    pub user: u64,
    pub nice: u64,
    pub sys: u64,
    pub idle: u64,
    pub irq: u64,
}

/// `uv_cpu_info_t`.
#[repr(C)]
pub struct CpuInfo {
    pub model: *mut c_char,
    pub speed: c_int,
    pub cpu_times: CpuTimes,
}

/// Builds a filesystem path from raw bytes (cgroup names need not be UTF-8).
fn path_from(bytes: Vec<u8>) -> std::path::PathBuf {
    OsString::from_vec(bytes).into()
}

/// The first line of `s`, without its newline.
fn first_line(s: &[u8]) -> &[u8] {
    s.split(|&b| b == b'\n').next().unwrap_or(s)
}

// ---------------------------------------------------------------------------
// Resource usage
// ---------------------------------------------------------------------------

fn getrusage_into(who: c_int, out: *mut Rusage) -> c_int {
    if out.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: an all-zero rusage is a valid value for getrusage to overwrite.
    let mut u: libc::rusage = unsafe { core::mem::zeroed() };
    // SAFETY: `u` is valid for writes.
    if unsafe { libc::getrusage(who, &mut u) } != 0 {
        return last_error();
    }
    // The kernel's counters are never negative, so these are plain widenings.
    let value = Rusage {
        ru_utime: Timeval {
            tv_sec: u.ru_utime.tv_sec,
            tv_usec: u.ru_utime.tv_usec,
        },
        ru_stime: Timeval {
            tv_sec: u.ru_stime.tv_sec,
            tv_usec: u.ru_stime.tv_usec,
        },
        ru_maxrss: u.ru_maxrss as u64,
        ru_ixrss: u.ru_ixrss as u64,
        ru_idrss: u.ru_idrss as u64,
        ru_isrss: u.ru_isrss as u64,
        ru_minflt: u.ru_minflt as u64,
        ru_majflt: u.ru_majflt as u64,
        ru_nswap: u.ru_nswap as u64,
        ru_inblock: u.ru_inblock as u64,
        ru_oublock: u.ru_oublock as u64,
        ru_msgsnd: u.ru_msgsnd as u64,
        ru_msgrcv: u.ru_msgrcv as u64,
        ru_nsignals: u.ru_nsignals as u64,
        ru_nvcsw: u.ru_nvcsw as u64,
        ru_nivcsw: u.ru_nivcsw as u64,
    };
    // SAFETY: checked non-null; the public callers require it writable.
    unsafe { *out = value };
    0
}

/// Resource usage of the whole process (`ru_maxrss` in kilobytes).
///
/// # Safety
/// `rusage` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_getrusage(rusage: *mut Rusage) -> c_int {
    getrusage_into(libc::RUSAGE_SELF, rusage)
}

/// Resource usage of the calling thread.
///
/// # Safety
/// `rusage` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_getrusage_thread(rusage: *mut Rusage) -> c_int {
    getrusage_into(libc::RUSAGE_THREAD, rusage)
}

// ---------------------------------------------------------------------------
// Uptime, load and memory
// ---------------------------------------------------------------------------

/// Seconds since boot. `/proc/uptime` comes first because `CLOCK_BOOTTIME`
/// is wrong in some containers (OpenVZ).
///
/// # Safety
/// `uptime` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_uptime(uptime: *mut c_double) -> c_int {
    if uptime.is_null() {
        return UV_EINVAL;
    }
    let value = match read_file("/proc/uptime").as_deref().and_then(parse_f64) {
        Some((secs, _)) => secs,
        None => match clock_ns(libc::CLOCK_BOOTTIME) {
            Some(ns) => (ns / 1_000_000_000) as f64,
            None => return last_error(),
        },
    };
    // SAFETY: checked non-null; the caller guarantees it is writable.
    unsafe { *uptime = value };
    0
}

/// The 1, 5 and 15 minute load averages. Left untouched if unavailable.
///
/// # Safety
/// `avg` must be null or valid for writes of three doubles.
#[no_mangle]
pub unsafe extern "C" fn uv_loadavg(avg: *mut c_double) {
    if avg.is_null() {
        return;
    }
    let values = read_file("/proc/loadavg").and_then(|text| {
        let (a, rest) = parse_f64(&text)?;
        let (b, rest) = parse_f64(rest)?;
        let (c, _) = parse_f64(rest)?;
        Some([a, b, c])
    });
    let values = values.or_else(|| {
        // SAFETY: an all-zero sysinfo is valid for the kernel to overwrite.
        let mut info: libc::sysinfo = unsafe { core::mem::zeroed() };
        // SAFETY: `info` is valid for writes.
        if unsafe { libc::sysinfo(&mut info) } < 0 {
            return None;
        }
        // The kernel reports loads in 16.16 fixed point.
        Some(info.loads.map(|l| l as f64 / 65536.0))
    });
    if let Some(values) = values {
        // SAFETY: checked non-null; the caller guarantees three doubles.
        unsafe { ptr::copy_nonoverlapping(values.as_ptr(), avg, 3) };
    }
}

/// The value after `key` in `/proc/meminfo`-style text, converted from kB.
fn meminfo_bytes(text: &[u8], key: &[u8]) -> Option<u64> {
    let at = text.windows(key.len()).position(|w| w == key)?;
    let (kb, _) = parse_u64(&text[at + key.len()..])?;
    Some(kb.saturating_mul(1024))
}

fn sysinfo_memory(pick: fn(&libc::sysinfo) -> u64) -> u64 {
    // SAFETY: an all-zero sysinfo is valid for the kernel to overwrite.
    let mut info: libc::sysinfo = unsafe { core::mem::zeroed() };
    // SAFETY: `info` is valid for writes.
    if unsafe { libc::sysinfo(&mut info) } != 0 {
        return 0;
    }
    pick(&info)
}

/// Memory available for new allocations without swapping (`MemAvailable`),
/// in bytes; 0 when unknown.
#[no_mangle]
pub extern "C" fn uv_get_free_memory() -> u64 {
    read_file("/proc/meminfo")
        .and_then(|t| meminfo_bytes(&t, b"MemAvailable:"))
        .filter(|&n| n != 0)
        .unwrap_or_else(|| sysinfo_memory(|i| i.freeram.saturating_mul(u64::from(i.mem_unit))))
}

/// Total physical memory in bytes; 0 when unknown.
#[no_mangle]
pub extern "C" fn uv_get_total_memory() -> u64 {
    read_file("/proc/meminfo")
        .and_then(|t| meminfo_bytes(&t, b"MemTotal:"))
        .filter(|&n| n != 0)
        .unwrap_or_else(|| sysinfo_memory(|i| i.totalram.saturating_mul(u64::from(i.mem_unit))))
}

/// A cgroup limit file: a number, or "max" for no limit (`u64::MAX`); 0 when
/// the file is missing or unreadable.
fn read_limit(path: &std::path::Path) -> u64 {
    let Some(text) = read_file(path) else {
        return 0;
    };
    match parse_u64(&text) {
        Some((n, _)) => n,
        None if text == b"max\n" => u64::MAX,
        None => 0,
    }
}

/// cgroup v2 processes have a single `0::/path` line in `/proc/self/cgroup`.
fn cgroup2_path(cgroup: &[u8]) -> Option<&[u8]> {
    cgroup.strip_prefix(b"0::/").map(first_line)
}

/// The path of the cgroup v1 hierarchy whose controller list is exactly
/// `controller` (such as `memory`), from `/proc/self/cgroup`.
fn cgroup1_path<'a>(cgroup: &'a [u8], controller: &[u8]) -> Option<&'a [u8]> {
    cgroup.split(|&b| b == b'\n').find_map(|line| {
        let mut fields = line.splitn(3, |&b| b == b':');
        let (_id, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        if controllers != controller {
            return None;
        }
        Some(path.strip_prefix(b"/").unwrap_or(path))
    })
}

fn join(parts: &[&[u8]]) -> std::path::PathBuf {
    path_from(parts.concat())
}

/// (soft limit, hard limit) of the process's memory cgroup, `u64::MAX` for
/// none, 0 when unknown.
fn cgroup_memory_limits(cgroup: &[u8]) -> (u64, u64) {
    if let Some(p) = cgroup2_path(cgroup) {
        let high = read_limit(&join(&[b"/sys/fs/cgroup/", p, b"/memory.high"]));
        let max = read_limit(&join(&[b"/sys/fs/cgroup/", p, b"/memory.max"]));
        return (high, max);
    }
    let mut limits = (0, 0);
    if let Some(p) = cgroup1_path(cgroup, b"memory") {
        let base: &[u8] = b"/sys/fs/cgroup/memory/";
        limits = (
            read_limit(&join(&[base, p, b"/memory.soft_limit_in_bytes"])),
            read_limit(&join(&[base, p, b"/memory.limit_in_bytes"])),
        );
    }
    if limits.0 == 0 || limits.1 == 0 {
        // Not mounted where expected: use the root memory controller.
        limits = (
            read_limit("/sys/fs/cgroup/memory/memory.soft_limit_in_bytes".as_ref()),
            read_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes".as_ref()),
        );
    }
    // cgroup v1 writes "no limit" as LONG_MAX rounded down to a page.
    let unlimited = (i64::MAX as u64) & !(page_size() as u64 - 1);
    let fix = |v: u64| if v == unlimited { u64::MAX } else { v };
    (fix(limits.0), fix(limits.1))
}

fn constrained_memory(cgroup: &[u8]) -> u64 {
    let (high, max) = cgroup_memory_limits(cgroup);
    if high == 0 || max == 0 {
        return 0;
    }
    high.min(max)
}

/// The memory limit imposed on the process by its cgroup, in bytes;
/// `u64::MAX` for an explicit "no limit", 0 when there is none or unknown.
#[no_mangle]
pub extern "C" fn uv_get_constrained_memory() -> u64 {
    read_file("/proc/self/cgroup").map_or(0, |c| constrained_memory(&c))
}

/// Memory still available to the process: the cgroup limit minus current
/// cgroup usage, or the system's free memory when unconstrained.
#[no_mangle]
pub extern "C" fn uv_get_available_memory() -> u64 {
    let Some(cgroup) = read_file("/proc/self/cgroup") else {
        return 0;
    };
    let constrained = constrained_memory(&cgroup);
    if constrained == 0 || constrained > uv_get_total_memory() {
        return uv_get_free_memory();
    }
    let current = if let Some(p) = cgroup2_path(&cgroup) {
        read_limit(&join(&[b"/sys/fs/cgroup/", p, b"/memory.current"]))
    } else {
        let here = cgroup1_path(&cgroup, b"memory")
            .map(|p| {
                read_limit(&join(&[
                    b"/sys/fs/cgroup/memory/",
                    p,
                    b"/memory.usage_in_bytes",
                ]))
            })
            .unwrap_or(0);
        if here != 0 {
            here
        } else {
            read_limit("/sys/fs/cgroup/memory/memory.usage_in_bytes".as_ref())
        }
    };
    // Usage can briefly exceed the limit.
    constrained.saturating_sub(current)
}

/// `limit period` from a cgroup v2 `cpu.max`, as whole CPUs (at least 1);
/// `None` for "max", unparsable text or a zero period.
fn cpu_max_quota(text: &[u8]) -> Option<i64> {
    if text.starts_with(b"max") {
        return None;
    }
    let (limit, rest) = parse_i64(text)?;
    let (period, _) = parse_i64(rest)?;
    // `checked_div` also rejects a zero period.
    Some(limit.checked_div(period)?.max(1))
}

/// The number of CPUs the process's cgroup allows it, if limited. In cgroup
/// v2 every ancestor's `cpu.max` applies, so the tightest one is reported.
pub(crate) fn cgroup_cpu_quota() -> Option<i64> {
    let cgroup = read_file("/proc/self/cgroup")?;
    if let Some(p) = cgroup2_path(&cgroup) {
        // Not a real cgroup (no controllers file): no quota.
        read_file(join(&[b"/sys/fs/cgroup/", p, b"/cgroup.controllers"]))?;
        let parts: Vec<&[u8]> = p.split(|&b| b == b'/').filter(|s| !s.is_empty()).collect();
        return (0..=parts.len())
            .rev()
            .filter_map(|depth| {
                let mut dir = b"/sys/fs/cgroup".to_vec();
                for part in &parts[..depth] {
                    dir.push(b'/');
                    dir.extend_from_slice(part);
                }
                dir.extend_from_slice(b"/cpu.max");
                cpu_max_quota(&read_file(path_from(dir))?)
            })
            .min();
    }
    let p = cgroup.split(|&b| b == b'\n').find_map(|line| {
        let mut fields = line.splitn(3, |&b| b == b':');
        let (_id, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        controllers
            .split(|&b| b == b',')
            .any(|c| c == b"cpu")
            .then(|| path.strip_prefix(b"/").unwrap_or(path))
    })?;
    let base: &[u8] = b"/sys/fs/cgroup/cpu/";
    let (quota, _) = parse_i64(&read_file(join(&[base, p, b"/cpu.cfs_quota_us"]))?)?;
    let (period, _) = parse_i64(&read_file(join(&[base, p, b"/cpu.cfs_period_us"]))?)?;
    quota.checked_div(period)
}

/// The 24th field of `/proc/self/stat` (resident pages). The process name
/// (field 2) may contain spaces and parentheses, so counting starts after
/// its last `)`.
fn rss_pages(stat: &[u8]) -> Option<i64> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    let mut rest = &stat[close..];
    for _ in 0..22 {
        let space = rest.iter().skip(1).position(|&b| b == b' ')? + 1;
        rest = &rest[space..];
    }
    let (pages, _) = parse_i64(rest)?;
    (pages >= 0).then_some(pages)
}

/// The process's resident set size in bytes.
///
/// # Safety
/// `rss` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_resident_set_memory(rss: *mut usize) -> c_int {
    if rss.is_null() {
        return UV_EINVAL;
    }
    let stat = match std::fs::read("/proc/self/stat") {
        Ok(s) => s,
        Err(e) => return -e.raw_os_error().unwrap_or(libc::EIO),
    };
    let Some(pages) = rss_pages(&stat) else {
        return UV_EINVAL;
    };
    // SAFETY: checked non-null; the caller guarantees it is writable.
    unsafe { *rss = (pages as usize).saturating_mul(page_size()) };
    0
}

/// Per-CPU counters from `/proc/stat`: (cpu number, times in clock ticks).
/// Parsing stops at the first line that is not a `cpuN` line.
fn parse_proc_stat(text: &[u8]) -> Vec<(usize, CpuTimes)> {
    let mut cpus = Vec::new();
    // The first line is the all-CPU total.
    for line in text.split(|&b| b == b'\n').skip(1) {
        let Some(rest) = line.strip_prefix(b"cpu") else {
            break;
        };
        let Some(fields) = (|| {
            let (cpu, rest) = parse_u64(rest)?;
            let (user, rest) = parse_u64(rest)?;
            let (nice, rest) = parse_u64(rest)?;
            let (sys, rest) = parse_u64(rest)?;
            let (idle, rest) = parse_u64(rest)?;
            let (_iowait, rest) = parse_u64(rest)?;
            let (irq, _) = parse_u64(rest)?;
            let cpu = usize::try_from(cpu).ok()?;
            Some((
                cpu,
                CpuTimes {
                    user,
                    nice,
                    sys,
                    idle,
                    irq,
                },
            ))
        })() else {
            break;
        };
        cpus.push(fields);
    }
    cpus
}

/// The model name of each processor in `/proc/cpuinfo` (x86 layout), cut to
/// 63 bytes as libuv does.
fn parse_cpuinfo_models(text: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let mut models = Vec::new();
    let mut current: Option<usize> = None;
    for line in text.split(|&b| b == b'\n') {
        if let Some(n) = line.strip_prefix(b"processor\t: ") {
            current = parse_u64(n).and_then(|(n, _)| usize::try_from(n).ok());
        } else if let Some(model) = line.strip_prefix(b"model name\t: ") {
            if let Some(cpu) = current.take() {
                models.push((cpu, model[..model.len().min(63)].to_vec()));
            }
        }
    }
    models
}

/// Information about each CPU: model, speed in MHz and times in ms. Free the
/// result with `uv_free_cpu_info`.
///
/// # Safety
/// `cpu_infos` and `count` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_cpu_info(cpu_infos: *mut *mut CpuInfo, count: *mut c_int) -> c_int {
    if cpu_infos.is_null() || count.is_null() {
        return UV_EINVAL;
    }
    let stat = match std::fs::read("/proc/stat") {
        Ok(s) => s,
        Err(e) => return -e.raw_os_error().unwrap_or(libc::EIO),
    };
    let cpus = parse_proc_stat(&stat);
    let models = read_file("/proc/cpuinfo")
        .map(|t| parse_cpuinfo_models(&t))
        .unwrap_or_default();
    // SAFETY: sysconf has no memory-safety preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let ms_per_tick = u64::try_from(1000 / ticks.max(1)).unwrap_or(10);

    // One block: the array, then each distinct model string once.
    let mut names: Vec<&[u8]> = vec![b"unknown"];
    let mut rows = Vec::with_capacity(cpus.len());
    for (cpu, times) in &cpus {
        let model = models
            .iter()
            .find(|(n, _)| n == cpu)
            .map_or(&b"unknown"[..], |(_, m)| &m[..]);
        let index = match names.iter().position(|n| *n == model) {
            Some(i) => i,
            None => {
                names.push(model);
                names.len() - 1
            }
        };
        let freq_path = format!("/sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_cur_freq");
        let khz = read_file(freq_path)
            .and_then(|t| parse_u64(&t).map(|(n, _)| n))
            .unwrap_or(0);
        let ms = |t: u64| t.saturating_mul(ms_per_tick);
        let times = CpuTimes {
            user: ms(times.user),
            nice: ms(times.nice),
            sys: ms(times.sys),
            idle: ms(times.idle),
            irq: ms(times.irq),
        };
        rows.push((
            index,
            c_int::try_from(khz / 1000).unwrap_or(c_int::MAX),
            times,
        ));
    }
    let array_bytes = rows.len() * core::mem::size_of::<CpuInfo>();
    let names_bytes: usize = names.iter().map(|n| n.len() + 1).sum();
    let block = alloc(array_bytes + names_bytes).cast::<u8>();
    if block.is_null() {
        // SAFETY: `count` was checked non-null.
        unsafe { *count = 0 };
        return UV_ENOMEM;
    }
    let mut name_ptrs = Vec::with_capacity(names.len());
    // SAFETY: `block` holds `array_bytes + names_bytes` bytes; the strings go
    // after the array, each written within that space; malloc's alignment
    // suits `CpuInfo`.
    unsafe {
        let mut at = block.add(array_bytes);
        for name in &names {
            ptr::copy_nonoverlapping(name.as_ptr(), at, name.len());
            *at.add(name.len()) = 0;
            name_ptrs.push(at.cast::<c_char>());
            at = at.add(name.len() + 1);
        }
        let array = block.cast::<CpuInfo>();
        for (i, (index, speed, times)) in rows.iter().enumerate() {
            array.add(i).write(CpuInfo {
                model: name_ptrs[*index],
                speed: *speed,
                cpu_times: *times,
            });
        }
        *cpu_infos = array;
        *count = c_int::try_from(rows.len()).unwrap_or(c_int::MAX);
    }
    0
}

/// Frees what `uv_cpu_info` returned (a single block).
///
/// # Safety
/// `cpu_infos` must be null or a result of `uv_cpu_info` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn uv_free_cpu_info(cpu_infos: *mut CpuInfo, _count: c_int) {
    // SAFETY: the caller passes a block from `uv_cpu_info`, made by `alloc`.
    unsafe { free(cpu_infos.cast()) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::CStr;

    #[test]
    fn struct_layouts() {
        use core::mem::{offset_of, size_of};
        assert_eq!(size_of::<Rusage>(), 144);
        assert_eq!(offset_of!(Rusage, ru_maxrss), 32);
        assert_eq!(offset_of!(Rusage, ru_nivcsw), 136);
        assert_eq!(size_of::<CpuInfo>(), 56);
        assert_eq!(offset_of!(CpuInfo, cpu_times), 16);
    }

    #[test]
    fn meminfo_parsing() {
        assert_eq!(
            meminfo_bytes(b"MemTotal:  1000 kB\nMemFree: 5 kB\n", b"MemFree:"),
            Some(5120)
        );
        assert_eq!(
            meminfo_bytes(b"MemTotal:  1000 kB\n", b"MemAvailable:"),
            None
        );
    }

    #[test]
    fn cgroup_parsing() {
        let v1 = b"12:pids:/user.slice\n4:memory:/user.slice/x\n3:cpu,cpuacct:/a\n";
        assert_eq!(cgroup2_path(v1), None);
        assert_eq!(cgroup1_path(v1, b"memory"), Some(&b"user.slice/x"[..]));
        assert_eq!(cgroup1_path(v1, b"cpu"), None);
        assert_eq!(
            cgroup2_path(b"0::/system.slice/foo.service\n"),
            Some(&b"system.slice/foo.service"[..])
        );
        assert_eq!(cgroup2_path(b"0::/\n"), Some(&b""[..]));
        assert_eq!(cpu_max_quota(b"max 100000\n"), None);
        assert_eq!(cpu_max_quota(b"200000 100000\n"), Some(2));
        assert_eq!(cpu_max_quota(b"50000 100000\n"), Some(1));
        assert_eq!(cpu_max_quota(b"50000 0\n"), None);
    }

    #[test]
    fn proc_parsing() {
        let stat =
            b"1234 (a b) c) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 777 22 23\n";
        assert_eq!(rss_pages(stat), Some(777));
        assert_eq!(rss_pages(b"1 (x) S 1 2"), None);
        let ps = b"cpu  1 2 3 4 5 6 7 8\ncpu0 10 20 30 40 50 60 70\ncpu2 1 1 1 1 1 1 1\nintr 5\n";
        let cpus = parse_proc_stat(ps);
        assert_eq!(cpus.len(), 2);
        assert_eq!(
            cpus[0],
            (
                0,
                CpuTimes {
                    user: 10,
                    nice: 20,
                    sys: 30,
                    idle: 40,
                    irq: 60
                }
            )
        );
        assert_eq!(cpus[1].0, 2);
        let info = b"processor\t: 0\nvendor_id\t: X\nmodel name\t: Fast CPU\n\nprocessor\t: 1\nflags\t: y\n\n";
        assert_eq!(parse_cpuinfo_models(info), vec![(0, b"Fast CPU".to_vec())]);
    }

    #[test]
    fn system_info_smoke() {
        assert!(uv_get_total_memory() > 0);
        assert!(uv_get_free_memory() > 0);
        assert!(uv_get_available_memory() > 0);
        let _ = uv_get_constrained_memory();
        let mut rss = 0usize;
        let mut up = 0.0;
        let mut avg = [-1.0; 3];
        // SAFETY: valid pointers throughout.
        unsafe {
            assert_eq!(uv_resident_set_memory(&mut rss), 0);
            assert!(rss > 0);
            assert_eq!(uv_uptime(&mut up), 0);
            assert!(up > 0.0);
            uv_loadavg(avg.as_mut_ptr());
            assert!(avg.iter().all(|&a| a >= 0.0));
            let mut ru = Rusage::default();
            assert_eq!(uv_getrusage(&mut ru), 0);
            assert!(ru.ru_maxrss > 0);
            assert_eq!(uv_getrusage_thread(&mut ru), 0);
            let mut infos = ptr::null_mut();
            let mut n = 0;
            assert_eq!(uv_cpu_info(&mut infos, &mut n), 0);
            assert!(n > 0);
            assert!(!CStr::from_ptr((*infos).model).to_bytes().is_empty());
            uv_free_cpu_info(infos, n);
        }
    }
}
