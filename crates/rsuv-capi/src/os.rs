//! The process and its surroundings as the operating system reports them:
//! process ids and priorities (`uv_os_getpid`, `uv_os_getppid`,
//! `uv_os_getpriority`, `uv_os_setpriority`), the kernel's
//! identity (`uv_os_uname`), environment variables (`uv_os_getenv`,
//! `uv_os_setenv`, `uv_os_unsetenv`, `uv_os_environ`, `uv_os_free_environ`),
//! the host name (`uv_os_gethostname`), user and group entries
//! (`uv_os_get_passwd`, `uv_os_get_passwd2`, `uv_os_free_passwd`,
//! `uv_os_get_group`, `uv_os_free_group`), the home and temporary directories
//! (`uv_os_homedir`, `uv_os_tmpdir`), the working directory (`uv_cwd`,
//! `uv_chdir`) and the executable's path (`uv_exepath`).

use core::ffi::{c_char, c_int, CStr};
use core::ptr;

use rsuv_core::error::{UV_E2BIG, UV_EINVAL, UV_ENOBUFS, UV_ENOENT, UV_ENOMEM};

use crate::alloc::{alloc, calloc, free, strdup};
use crate::util::{copy_out, errno, last_error, set_errno};

// C types; layouts follow libuv's `uv.h` on Linux x86_64.

/// `uv_utsname_t`.
#[repr(C)]
pub struct Utsname {
    pub sysname: [c_char; 256],
    pub release: [c_char; 256],
    pub version: [c_char; 256],
    pub machine: [c_char; 256],
}

/// `uv_passwd_t`.
#[repr(C)]
pub struct Passwd {
    pub username: *mut c_char,
    pub uid: libc::c_ulong,
    pub gid: libc::c_ulong,
    pub shell: *mut c_char,
    pub homedir: *mut c_char,
}

/// `uv_group_t`.
#[repr(C)]
pub struct Group {
    pub groupname: *mut c_char,
    pub gid: libc::c_ulong,
    pub members: *mut *mut c_char,
}

/// `uv_env_item_t`.
#[repr(C)]
pub struct EnvItem {
    pub name: *mut c_char,
    pub value: *mut c_char,
}

const UV_PRIORITY_LOW: c_int = 19;
const UV_PRIORITY_HIGHEST: c_int = -20;

/// `UV_MAXHOSTNAMESIZE` on Linux: `MAXHOSTNAMELEN + 1`.
const MAX_HOSTNAME_SIZE: usize = 65;

// ---------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn uv_os_getpid() -> libc::pid_t {
    // SAFETY: getpid cannot fail and touches no memory.
    unsafe { libc::getpid() }
}

#[no_mangle]
pub extern "C" fn uv_os_getppid() -> libc::pid_t {
    // SAFETY: getppid cannot fail and touches no memory.
    unsafe { libc::getppid() }
}

/// The calling process's priority (its nice value).
///
/// # Safety
/// `priority` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_getpriority(pid: libc::pid_t, priority: *mut c_int) -> c_int {
    if priority.is_null() {
        return UV_EINVAL;
    }
    // -1 is a valid nice value, so errno is the only failure signal.
    set_errno(0);
    // SAFETY: getpriority touches no memory of ours. The pid is reinterpreted
    // as id_t exactly as the C prototype's implicit conversion would.
    let r = unsafe { libc::getpriority(libc::PRIO_PROCESS, pid as libc::id_t) };
    if r == -1 && errno() != 0 {
        return last_error();
    }
    // SAFETY: checked non-null; the caller guarantees it is writable.
    unsafe { *priority = r };
    0
}

/// Sets a process's nice value; only `UV_PRIORITY_HIGHEST` (-20) to
/// `UV_PRIORITY_LOW` (19) are accepted.
#[no_mangle]
pub extern "C" fn uv_os_setpriority(pid: libc::pid_t, priority: c_int) -> c_int {
    if !(UV_PRIORITY_HIGHEST..=UV_PRIORITY_LOW).contains(&priority) {
        return UV_EINVAL;
    }
    // SAFETY: setpriority touches no memory of ours.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, pid as libc::id_t, priority) } != 0 {
        return last_error();
    }
    0
}

// ---------------------------------------------------------------------------
// System identity
// ---------------------------------------------------------------------------

/// Copies a C string into a fixed array, truncating; `UV_E2BIG` when it had
/// to truncate (the array is always NUL-terminated).
fn copy_fixed(dst: &mut [c_char], src: &[c_char]) -> c_int {
    let Some(room) = dst.len().checked_sub(1) else {
        return UV_E2BIG;
    };
    let len = src.iter().position(|&c| c == 0).unwrap_or(src.len());
    let n = len.min(room);
    dst[..n].copy_from_slice(&src[..n]);
    dst[n] = 0;
    if len > room {
        UV_E2BIG
    } else {
        0
    }
}

/// Fills `buffer` with the kernel's name, release, version and machine. On
/// failure all four are emptied.
///
/// # Safety
/// `buffer` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_uname(buffer: *mut Utsname) -> c_int {
    if buffer.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: checked non-null; the caller guarantees a writable struct.
    let out = unsafe { &mut *buffer };
    // SAFETY: an all-zero utsname is valid for uname to overwrite.
    let mut u: libc::utsname = unsafe { core::mem::zeroed() };
    // SAFETY: `u` is valid for writes.
    let mut r = if unsafe { libc::uname(&mut u) } == -1 {
        last_error()
    } else {
        0
    };
    if r == 0 {
        for (dst, src) in [
            (&mut out.sysname, &u.sysname[..]),
            (&mut out.release, &u.release[..]),
            (&mut out.version, &u.version[..]),
            (&mut out.machine, &u.machine[..]),
        ] {
            r = copy_fixed(dst, src);
            if r != 0 {
                break;
            }
        }
    }
    if r != 0 {
        out.sysname[0] = 0;
        out.release[0] = 0;
        out.version[0] = 0;
        out.machine[0] = 0;
    }
    r
}

// ---------------------------------------------------------------------------
// Environment, host, user and group
// ---------------------------------------------------------------------------

/// Copies environment variable `name` into `buffer`.
///
/// # Safety
/// `name` must be null or a C string; `buffer` valid for writes of `*size`
/// bytes; `size` null or valid for reads and writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_getenv(
    name: *const c_char,
    buffer: *mut c_char,
    size: *mut usize,
) -> c_int {
    // SAFETY: `size` is read only when non-null.
    if name.is_null() || buffer.is_null() || size.is_null() || unsafe { *size } == 0 {
        return UV_EINVAL;
    }
    // SAFETY: `name` is a C string (caller contract).
    let value = unsafe { libc::getenv(name) };
    if value.is_null() {
        return UV_ENOENT;
    }
    // SAFETY: getenv returns a C string; it is copied before anything else
    // can change the environment on this thread.
    let bytes = unsafe { CStr::from_ptr(value) }.to_bytes();
    // SAFETY: the caller's contract is the one `copy_out` needs.
    unsafe { copy_out(bytes, buffer, size) }
}

/// Sets (overwriting) an environment variable.
///
/// # Safety
/// Both arguments must be null or C strings.
#[no_mangle]
pub unsafe extern "C" fn uv_os_setenv(name: *const c_char, value: *const c_char) -> c_int {
    if name.is_null() || value.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: both are C strings (caller contract).
    if unsafe { libc::setenv(name, value, 1) } != 0 {
        return last_error();
    }
    0
}

/// Removes an environment variable.
///
/// # Safety
/// `name` must be null or a C string.
#[no_mangle]
pub unsafe extern "C" fn uv_os_unsetenv(name: *const c_char) -> c_int {
    if name.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: `name` is a C string (caller contract).
    if unsafe { libc::unsetenv(name) } != 0 {
        return last_error();
    }
    0
}

extern "C" {
    static environ: *const *const c_char;
}

/// A copy of the whole environment. Entries without `=` are skipped. Free the
/// result with `uv_os_free_environ`.
///
/// # Safety
/// `envitems` and `count` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_environ(envitems: *mut *mut EnvItem, count: *mut c_int) -> c_int {
    if envitems.is_null() || count.is_null() {
        return UV_EINVAL;
    }
    // SAFETY: both checked non-null; the caller guarantees they are writable.
    unsafe {
        *envitems = ptr::null_mut();
        *count = 0;
    }
    // SAFETY: `environ` is the C library's NULL-terminated array of C
    // strings; it is only read here.
    let vars: Vec<&CStr> = unsafe {
        let mut vars = Vec::new();
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            vars.push(CStr::from_ptr(*p));
            p = p.add(1);
        }
        vars
    };
    let items = calloc(vars.len(), core::mem::size_of::<EnvItem>()).cast::<EnvItem>();
    if items.is_null() {
        return UV_ENOMEM;
    }
    let mut filled = 0usize;
    for var in vars {
        let Some(eq) = var.to_bytes().iter().position(|&b| b == b'=') else {
            continue;
        };
        let copy = strdup(var);
        if copy.is_null() {
            // SAFETY: the first `filled` items hold names from `strdup`, and
            // `items` came from `calloc`.
            unsafe { free_env_items(items, filled) };
            return UV_ENOMEM;
        }
        // SAFETY: `copy` holds the string with its `=` at `eq`; `filled` is
        // below the number of slots allocated.
        unsafe {
            *copy.add(eq) = 0;
            items.add(filled).write(EnvItem {
                name: copy,
                value: copy.add(eq + 1),
            });
        }
        filled += 1;
    }
    // SAFETY: both checked non-null above.
    unsafe {
        *envitems = items;
        *count = c_int::try_from(filled).unwrap_or(c_int::MAX);
    }
    0
}

/// # Safety
/// `items` must be an array from `uv_os_environ` whose first `count` names
/// are live `strdup` copies.
unsafe fn free_env_items(items: *mut EnvItem, count: usize) {
    for i in 0..count {
        // SAFETY: per the contract, item `i` exists and owns its name.
        unsafe { free((*items.add(i)).name.cast()) };
    }
    // SAFETY: per the contract, `items` came from this module's allocator.
    unsafe { free(items.cast()) };
}

/// Frees what `uv_os_environ` returned.
///
/// # Safety
/// `envitems`/`count` must be a result of `uv_os_environ` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn uv_os_free_environ(envitems: *mut EnvItem, count: c_int) {
    if envitems.is_null() {
        return;
    }
    // SAFETY: the caller passes `uv_os_environ`'s own result.
    unsafe { free_env_items(envitems, usize::try_from(count).unwrap_or(0)) };
}

/// The host name. Reported as `UV_ENOBUFS` (with the needed size) rather
/// than silently truncated.
///
/// # Safety
/// `buffer` must be valid for writes of `*size` bytes; `size` null or valid
/// for reads and writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_gethostname(buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: `size` is read only when non-null.
    if buffer.is_null() || size.is_null() || unsafe { *size } == 0 {
        return UV_EINVAL;
    }
    let mut name = [0u8; MAX_HOSTNAME_SIZE];
    // SAFETY: `name` is writable for its full length.
    if unsafe { libc::gethostname(name.as_mut_ptr().cast(), name.len()) } != 0 {
        return last_error();
    }
    let len = name[..MAX_HOSTNAME_SIZE - 1]
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(MAX_HOSTNAME_SIZE - 1);
    // SAFETY: the caller's contract is the one `copy_out` needs.
    unsafe { copy_out(&name[..len], buffer, size) }
}

/// Runs `f` on the password entry of `uid`; `Err` is a libuv code.
fn with_passwd<T>(uid: libc::uid_t, f: impl FnOnce(&libc::passwd) -> T) -> Result<T, c_int> {
    let mut size = 2000usize;
    loop {
        let mut buf = vec![0 as c_char; size];
        // SAFETY: an all-zero passwd is a valid value to overwrite.
        let mut pw: libc::passwd = unsafe { core::mem::zeroed() };
        let mut result: *mut libc::passwd = ptr::null_mut();
        let r = loop {
            // SAFETY: every pointer is valid for the call; `buf` outlives
            // every use of the strings `pw` points into.
            let r = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), size, &mut result) };
            if r != libc::EINTR {
                break r;
            }
        };
        if r == libc::ERANGE {
            size = size.checked_mul(2).ok_or(UV_ENOMEM)?;
            continue;
        }
        if r != 0 {
            return Err(-r);
        }
        if result.is_null() {
            return Err(UV_ENOENT);
        }
        return Ok(f(&pw));
    }
}

/// Fills `pwd` for `uid`: one block holds username, home directory and shell,
/// owned by `username`.
fn fill_passwd(pwd: *mut Passwd, uid: libc::uid_t) -> c_int {
    if pwd.is_null() {
        return UV_EINVAL;
    }
    let r = with_passwd(uid, |pw| {
        // SAFETY: getpwuid_r's strings are NUL-terminated and alive here.
        let (name, dir, shell) = unsafe {
            (
                CStr::from_ptr(pw.pw_name).to_bytes_with_nul(),
                CStr::from_ptr(pw.pw_dir).to_bytes_with_nul(),
                CStr::from_ptr(pw.pw_shell).to_bytes_with_nul(),
            )
        };
        let block = alloc(name.len() + dir.len() + shell.len()).cast::<c_char>();
        if block.is_null() {
            return UV_ENOMEM;
        }
        // SAFETY: `block` holds all three strings back to back; `pwd` was
        // checked non-null and the caller guarantees it writable.
        unsafe {
            let home = block.add(name.len());
            let sh = home.add(dir.len());
            ptr::copy_nonoverlapping(name.as_ptr().cast(), block, name.len());
            ptr::copy_nonoverlapping(dir.as_ptr().cast(), home, dir.len());
            ptr::copy_nonoverlapping(shell.as_ptr().cast(), sh, shell.len());
            *pwd = Passwd {
                username: block,
                uid: libc::c_ulong::from(pw.pw_uid),
                gid: libc::c_ulong::from(pw.pw_gid),
                shell: sh,
                homedir: home,
            };
        }
        0
    });
    r.unwrap_or_else(|e| e)
}

/// The password entry of the effective user. Free with `uv_os_free_passwd`.
///
/// # Safety
/// `pwd` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_get_passwd(pwd: *mut Passwd) -> c_int {
    // SAFETY: geteuid cannot fail.
    fill_passwd(pwd, unsafe { libc::geteuid() })
}

/// The password entry of `uid`. Free with `uv_os_free_passwd`.
///
/// # Safety
/// `pwd` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_get_passwd2(pwd: *mut Passwd, uid: libc::uid_t) -> c_int {
    fill_passwd(pwd, uid)
}

/// Frees a `uv_os_get_passwd` result and clears its pointers.
///
/// # Safety
/// `pwd` must be null or filled by `uv_os_get_passwd[2]` and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn uv_os_free_passwd(pwd: *mut Passwd) {
    if pwd.is_null() {
        return;
    }
    // SAFETY: the caller passes a filled entry; `username` owns the block.
    unsafe {
        free((*pwd).username.cast());
        (*pwd).username = ptr::null_mut();
        (*pwd).shell = ptr::null_mut();
        (*pwd).homedir = ptr::null_mut();
    }
}

/// The group entry of `gid`: one block holds the NULL-terminated member
/// array, the member names and the group name, owned by `members`. Free with
/// `uv_os_free_group`.
///
/// # Safety
/// `grp` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_get_group(grp: *mut Group, gid: libc::uid_t) -> c_int {
    if grp.is_null() {
        return UV_EINVAL;
    }
    let mut size = 2000usize;
    loop {
        let mut buf = vec![0 as c_char; size];
        // SAFETY: an all-zero group is a valid value to overwrite.
        let mut gr: libc::group = unsafe { core::mem::zeroed() };
        let mut result: *mut libc::group = ptr::null_mut();
        let r = loop {
            // SAFETY: every pointer is valid for the call; `buf` outlives
            // every use of the strings `gr` points into.
            let r = unsafe { libc::getgrgid_r(gid, &mut gr, buf.as_mut_ptr(), size, &mut result) };
            if r != libc::EINTR {
                break r;
            }
        };
        if r == libc::ERANGE {
            let Some(bigger) = size.checked_mul(2) else {
                return UV_ENOMEM;
            };
            size = bigger;
            continue;
        }
        if r != 0 {
            return -r;
        }
        if result.is_null() {
            return UV_ENOENT;
        }
        // SAFETY: gr_mem is a NULL-terminated array of C strings and gr_name
        // a C string, all inside `buf`.
        let (members, name) = unsafe {
            let mut members = Vec::new();
            let mut p = gr.gr_mem;
            while !p.is_null() && !(*p).is_null() {
                members.push(CStr::from_ptr(*p).to_bytes_with_nul());
                p = p.add(1);
            }
            (members, CStr::from_ptr(gr.gr_name).to_bytes_with_nul())
        };
        let ptrs_bytes = (members.len() + 1) * core::mem::size_of::<*mut c_char>();
        let strings_bytes: usize = members.iter().map(|m| m.len()).sum::<usize>() + name.len();
        let block = alloc(ptrs_bytes + strings_bytes).cast::<*mut c_char>();
        if block.is_null() {
            return UV_ENOMEM;
        }
        // SAFETY: `block` holds the pointer array followed by every string;
        // writes stay inside it and malloc's alignment suits pointers. `grp`
        // was checked non-null and the caller guarantees it writable.
        unsafe {
            let mut at = block.cast::<u8>().add(ptrs_bytes);
            for (i, m) in members.iter().enumerate() {
                ptr::copy_nonoverlapping(m.as_ptr(), at, m.len());
                block.add(i).write(at.cast());
                at = at.add(m.len());
            }
            block.add(members.len()).write(ptr::null_mut());
            ptr::copy_nonoverlapping(name.as_ptr(), at, name.len());
            *grp = Group {
                groupname: at.cast(),
                gid: libc::c_ulong::from(gr.gr_gid),
                members: block,
            };
        }
        return 0;
    }
}

/// Frees a `uv_os_get_group` result and clears its pointers.
///
/// # Safety
/// `grp` must be null or filled by `uv_os_get_group` and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn uv_os_free_group(grp: *mut Group) {
    if grp.is_null() {
        return;
    }
    // SAFETY: the caller passes a filled entry; `members` owns the block.
    unsafe {
        free((*grp).members.cast());
        (*grp).members = ptr::null_mut();
        (*grp).groupname = ptr::null_mut();
    }
}

/// The home directory: `$HOME`, else the password database.
///
/// # Safety
/// `buffer` must be valid for writes of `*size` bytes; `size` null or valid
/// for reads and writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_homedir(buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: same contract; it also validates the arguments.
    let r = unsafe { uv_os_getenv(c"HOME".as_ptr(), buffer, size) };
    if r != UV_ENOENT {
        return r;
    }
    // SAFETY: geteuid cannot fail.
    let uid = unsafe { libc::geteuid() };
    let home = with_passwd(uid, |pw| {
        // SAFETY: getpwuid_r's strings are NUL-terminated and alive here.
        unsafe { CStr::from_ptr(pw.pw_dir) }.to_bytes().to_vec()
    });
    match home {
        // SAFETY: the caller's contract is the one `copy_out` needs.
        Ok(home) => unsafe { copy_out(&home, buffer, size) },
        Err(e) => e,
    }
}

/// The temporary directory: the first of `$TMPDIR`, `$TMP`, `$TEMP` and
/// `$TEMPDIR` that is set, else `/tmp`; one trailing slash is dropped.
///
/// # Safety
/// `buffer` must be valid for writes of `*size` bytes; `size` null or valid
/// for reads and writes.
#[no_mangle]
pub unsafe extern "C" fn uv_os_tmpdir(buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: `size` is read only when non-null.
    if buffer.is_null() || size.is_null() || unsafe { *size } == 0 {
        return UV_EINVAL;
    }
    let from_env = [c"TMPDIR", c"TMP", c"TEMP", c"TEMPDIR"]
        .iter()
        .find_map(|name| {
            // SAFETY: `name` is a C string literal.
            let v = unsafe { libc::getenv(name.as_ptr()) };
            // SAFETY: getenv returns null or a C string; copied at once.
            (!v.is_null()).then(|| unsafe { CStr::from_ptr(v) }.to_bytes().to_vec())
        });
    let dir = from_env.unwrap_or_else(|| b"/tmp".to_vec());
    // SAFETY: `size` checked non-null above.
    let cap = unsafe { *size };
    // The size check uses the length before the slash is dropped, as libuv.
    if dir.len() >= cap {
        // SAFETY: as above.
        unsafe { *size = dir.len() + 1 };
        return UV_ENOBUFS;
    }
    let dir = match dir.split_last() {
        Some((b'/', rest)) if !rest.is_empty() => rest,
        _ => &dir[..],
    };
    // SAFETY: the caller's contract; it fits, as checked above.
    unsafe { copy_out(dir, buffer, size) }
}

// ---------------------------------------------------------------------------
// Working directory and executable path
// ---------------------------------------------------------------------------

/// The current working directory, without a trailing slash (except `/`).
///
/// # Safety
/// `buffer` must be valid for writes of `*size` bytes; `size` null or valid
/// for reads and writes.
#[no_mangle]
pub unsafe extern "C" fn uv_cwd(buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: `size` is read only when non-null.
    if buffer.is_null() || size.is_null() || unsafe { *size } == 0 {
        return UV_EINVAL;
    }
    // SAFETY: as above.
    let cap = unsafe { *size };
    // Straight into the caller's buffer first.
    // SAFETY: `buffer` has `cap` writable bytes.
    if !unsafe { libc::getcwd(buffer, cap) }.is_null() {
        // SAFETY: getcwd wrote a C string into `buffer`.
        let mut len = unsafe { CStr::from_ptr(buffer) }.to_bytes().len();
        // SAFETY: `len - 1` and `len` are within the string just written.
        unsafe {
            if len > 1 && *buffer.add(len - 1) == b'/' as c_char {
                len -= 1;
                *buffer.add(len) = 0;
            }
            *size = len;
        }
        return 0;
    }
    if errno() != libc::ERANGE {
        return last_error();
    }
    // Too small: measure it in scratch space to report the size needed.
    let mut scratch = vec![0 as c_char; libc::PATH_MAX as usize + 1];
    // SAFETY: `scratch` is writable for its full length.
    if unsafe { libc::getcwd(scratch.as_mut_ptr(), scratch.len()) }.is_null() {
        return last_error();
    }
    // SAFETY: getcwd wrote a C string into `scratch`.
    let mut len = unsafe { CStr::from_ptr(scratch.as_ptr()) }.to_bytes().len();
    if len > 1 && scratch[len - 1] == b'/' as c_char {
        len -= 1;
    }
    // SAFETY: `size` checked non-null above.
    unsafe { *size = len + 1 };
    UV_ENOBUFS
}

/// Changes the working directory.
///
/// # Safety
/// `dir` must be a C string.
#[no_mangle]
pub unsafe extern "C" fn uv_chdir(dir: *const c_char) -> c_int {
    // SAFETY: `dir` is a C string (caller contract); a null pointer is
    // rejected by the kernel with EFAULT.
    if unsafe { libc::chdir(dir) } != 0 {
        return last_error();
    }
    0
}

/// The executable's path, from `/proc/self/exe`. A too-small buffer gets a
/// truncated path, as in libuv.
///
/// # Safety
/// `buffer` must be valid for writes of `*size` bytes; `size` null or valid
/// for reads and writes.
#[no_mangle]
pub unsafe extern "C" fn uv_exepath(buffer: *mut c_char, size: *mut usize) -> c_int {
    // SAFETY: `size` is read only when non-null.
    if buffer.is_null() || size.is_null() || unsafe { *size } == 0 {
        return UV_EINVAL;
    }
    // SAFETY: as above.
    let room = unsafe { *size } - 1;
    let mut n: isize = 0;
    if room > 0 {
        // SAFETY: `buffer` has `room + 1` writable bytes.
        n = unsafe { libc::readlink(c"/proc/self/exe".as_ptr(), buffer, room) };
        if n < 0 {
            return last_error();
        }
    }
    // SAFETY: `n <= room < *size`.
    unsafe {
        *buffer.add(n as usize) = 0;
        *size = n as usize;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_sized(
        f: unsafe extern "C" fn(*mut c_char, *mut usize) -> c_int,
        cap: usize,
    ) -> (c_int, usize, Vec<u8>) {
        let mut buf = vec![0x55u8; cap.max(1)];
        let mut size = cap;
        // SAFETY: `buf` has at least `cap` bytes.
        let r = unsafe { f(buf.as_mut_ptr().cast(), &mut size) };
        (r, size, buf)
    }

    #[test]
    fn struct_layouts() {
        use core::mem::{offset_of, size_of};
        assert_eq!(size_of::<Utsname>(), 1024);
        assert_eq!(size_of::<Passwd>(), 40);
        assert_eq!(offset_of!(Passwd, homedir), 32);
        assert_eq!(size_of::<Group>(), 24);
        assert_eq!(size_of::<EnvItem>(), 16);
    }

    #[test]
    fn fixed_copy_truncates() {
        let mut dst = [1 as c_char; 4];
        assert_eq!(
            copy_fixed(&mut dst, &[b'a' as c_char, b'b' as c_char, 0]),
            0
        );
        assert_eq!(dst[..3], [b'a' as c_char, b'b' as c_char, 0]);
        let long = [b'x' as c_char; 10];
        assert_eq!(copy_fixed(&mut dst, &long), UV_E2BIG);
        assert_eq!(dst[3], 0);
    }

    #[test]
    fn uname_and_process_ids() {
        // SAFETY: valid pointers throughout.
        unsafe {
            let mut u: Utsname = core::mem::zeroed();
            assert_eq!(uv_os_uname(&mut u), 0);
            assert_eq!(
                CStr::from_ptr(u.sysname.as_ptr()).to_str().unwrap(),
                "Linux"
            );
        }
        assert_eq!(uv_os_getpid(), std::process::id() as c_int);
        assert!(uv_os_getppid() > 0);
        assert_eq!(crate::process::uv_kill(uv_os_getpid(), 0), 0);
    }

    #[test]
    fn env_roundtrip() {
        // SAFETY: C string literals and valid buffers throughout.
        unsafe {
            assert_eq!(
                uv_os_setenv(c"RSUV_MISC_TEST".as_ptr(), c"hello".as_ptr()),
                0
            );
            let mut buf = [0 as c_char; 16];
            let mut size = 5;
            assert_eq!(
                uv_os_getenv(c"RSUV_MISC_TEST".as_ptr(), buf.as_mut_ptr(), &mut size),
                UV_ENOBUFS
            );
            assert_eq!(size, 6);
            assert_eq!(
                uv_os_getenv(c"RSUV_MISC_TEST".as_ptr(), buf.as_mut_ptr(), &mut size),
                0
            );
            assert_eq!(size, 5);
            let mut items = ptr::null_mut();
            let mut n = 0;
            assert_eq!(uv_os_environ(&mut items, &mut n), 0);
            let list = core::slice::from_raw_parts(items, n as usize);
            assert!(list
                .iter()
                .any(|e| CStr::from_ptr(e.name) == c"RSUV_MISC_TEST"
                    && CStr::from_ptr(e.value) == c"hello"));
            uv_os_free_environ(items, n);
            assert_eq!(uv_os_unsetenv(c"RSUV_MISC_TEST".as_ptr()), 0);
            assert_eq!(
                uv_os_getenv(c"RSUV_MISC_TEST".as_ptr(), buf.as_mut_ptr(), &mut size),
                UV_ENOENT
            );
            assert_eq!(
                uv_os_getenv(ptr::null(), buf.as_mut_ptr(), &mut size),
                UV_EINVAL
            );
            assert_eq!(uv_os_setenv(ptr::null(), c"x".as_ptr()), UV_EINVAL);
        }
    }

    #[test]
    fn sized_getters() {
        for f in [
            uv_cwd,
            uv_exepath,
            uv_os_gethostname,
            uv_os_tmpdir,
            uv_os_homedir,
        ] {
            let (r, size, buf) = call_sized(f, 4096);
            assert_eq!(r, 0);
            assert_eq!(buf[size], 0);
            assert!(size > 0);
            let (r, _, _) = call_sized(f, 0);
            assert_eq!(r, UV_EINVAL);
        }
        let (_, full, _) = call_sized(uv_cwd, 4096);
        let (r, need, _) = call_sized(uv_cwd, 2);
        if full >= 2 {
            assert_eq!((r, need), (UV_ENOBUFS, full + 1));
        }
        let (r, size, buf) = call_sized(uv_exepath, 4);
        assert_eq!((r, size), (0, 3), "exepath truncates silently");
        assert_eq!(buf[3], 0);
    }

    #[test]
    fn passwd_and_group() {
        // SAFETY: valid pointers throughout; results freed once.
        unsafe {
            let mut pwd: Passwd = core::mem::zeroed();
            assert_eq!(uv_os_get_passwd(&mut pwd), 0);
            assert_eq!(pwd.uid, libc::c_ulong::from(libc::geteuid()));
            assert!(!CStr::from_ptr(pwd.username).to_bytes().is_empty());
            assert!(CStr::from_ptr(pwd.homedir).to_bytes().starts_with(b"/"));
            let _ = CStr::from_ptr(pwd.shell);
            uv_os_free_passwd(&mut pwd);
            assert!(pwd.username.is_null() && pwd.homedir.is_null());
            assert_eq!(uv_os_get_passwd2(&mut pwd, 0), 0);
            assert_eq!(CStr::from_ptr(pwd.username), c"root");
            uv_os_free_passwd(&mut pwd);
            assert_eq!(uv_os_get_passwd2(&mut pwd, 0x7fff_fff0), UV_ENOENT);
            let mut grp: Group = core::mem::zeroed();
            assert_eq!(uv_os_get_group(&mut grp, 0), 0);
            assert_eq!(CStr::from_ptr(grp.groupname), c"root");
            let mut m = grp.members;
            while !(*m).is_null() {
                let _ = CStr::from_ptr(*m);
                m = m.add(1);
            }
            uv_os_free_group(&mut grp);
            assert!(grp.members.is_null());
            assert_eq!(uv_os_get_passwd(ptr::null_mut()), UV_EINVAL);
        }
    }

    #[test]
    fn priorities() {
        let mut p = 99;
        // SAFETY: `p` is writable.
        assert_eq!(unsafe { uv_os_getpriority(0, &mut p) }, 0);
        assert!((-20..=19).contains(&p));
        assert_eq!(uv_os_setpriority(0, 20), UV_EINVAL);
        assert_eq!(uv_os_setpriority(0, -21), UV_EINVAL);
        // SAFETY: null is rejected.
        assert_eq!(unsafe { uv_os_getpriority(0, ptr::null_mut()) }, UV_EINVAL);
    }
}
