//! The link check of the whole libuv 1.52 export list (test-only).
//!
//! Every libuv export, as listed in
//! `/work/shared/abi/libuv-1.52-exported-functions.txt`, is declared here and
//! its address taken, so linking this test fails, naming the symbol, if any
//! is defined nowhere in the crate. By hand, against the built library:
//!
//! ```sh
//! nm -D --defined-only target/release/libuv.so | awk '{print $3}' \
//!   | grep '^uv_' | sort | comm -23 <(sort /work/shared/abi/libuv-1.52-exported-functions.txt) -
//! ```
//!
//! prints the names still missing (nothing when complete).

/// Declares the functions and lists their addresses. The declared type is
/// a placeholder: the functions are never called through it.
macro_rules! exports {
    ($($name:ident)*) => {
        extern "C" {
            $(fn $name();)*
        }
        const EXPORTS: &[(&str, unsafe extern "C" fn())] = &[$((stringify!($name), $name)),*];
    };
}

exports! {
    uv_accept uv_async_init uv_async_send uv_available_parallelism uv_backend_fd
    uv_backend_timeout uv_barrier_destroy uv_barrier_init uv_barrier_wait uv_buf_init
    uv_cancel uv_chdir uv_check_init uv_check_start uv_check_stop uv_clock_gettime
    uv_close uv_cond_broadcast uv_cond_destroy uv_cond_init uv_cond_signal
    uv_cond_timedwait uv_cond_wait uv_cpu_info uv_cpumask_size uv_cwd uv_default_loop
    uv_disable_stdio_inheritance uv_dlclose uv_dlerror uv_dlopen uv_dlsym uv_err_name
    uv_err_name_r uv_exepath uv_fileno uv_free_cpu_info uv_free_interface_addresses
    uv_freeaddrinfo uv_fs_access uv_fs_chmod uv_fs_chown uv_fs_close uv_fs_closedir
    uv_fs_copyfile uv_fs_event_getpath uv_fs_event_init uv_fs_event_start
    uv_fs_event_stop uv_fs_fchmod uv_fs_fchown uv_fs_fdatasync uv_fs_fstat uv_fs_fsync
    uv_fs_ftruncate uv_fs_futime uv_fs_get_path uv_fs_get_ptr uv_fs_get_result
    uv_fs_get_statbuf uv_fs_get_system_error uv_fs_get_type uv_fs_lchown uv_fs_link
    uv_fs_lstat uv_fs_lutime uv_fs_mkdir uv_fs_mkdtemp uv_fs_mkstemp uv_fs_open
    uv_fs_opendir uv_fs_poll_getpath uv_fs_poll_init uv_fs_poll_start uv_fs_poll_stop
    uv_fs_read uv_fs_readdir uv_fs_readlink uv_fs_realpath uv_fs_rename
    uv_fs_req_cleanup uv_fs_rmdir uv_fs_scandir uv_fs_scandir_next uv_fs_sendfile
    uv_fs_stat uv_fs_statfs uv_fs_symlink uv_fs_unlink uv_fs_utime uv_fs_write
    uv_get_available_memory uv_get_constrained_memory uv_get_free_memory
    uv_get_osfhandle uv_get_process_title uv_get_total_memory uv_getaddrinfo
    uv_getnameinfo uv_getrusage uv_getrusage_thread uv_gettimeofday uv_guess_handle
    uv_handle_get_data uv_handle_get_loop uv_handle_get_type uv_handle_set_data
    uv_handle_size uv_handle_type_name uv_has_ref uv_hrtime uv_idle_init uv_idle_start
    uv_idle_stop uv_if_indextoiid uv_if_indextoname uv_inet_ntop uv_inet_pton
    uv_interface_addresses uv_ip4_addr uv_ip4_name uv_ip6_addr uv_ip6_name uv_ip_name
    uv_is_active uv_is_closing uv_is_readable uv_is_writable uv_key_create
    uv_key_delete uv_key_get uv_key_set uv_kill uv_library_shutdown uv_listen
    uv_loadavg uv_loop_alive uv_loop_close uv_loop_configure uv_loop_delete
    uv_loop_fork uv_loop_get_data uv_loop_init uv_loop_new uv_loop_set_data
    uv_loop_size uv_metrics_idle_time uv_metrics_info uv_mutex_destroy uv_mutex_init
    uv_mutex_init_recursive uv_mutex_lock uv_mutex_trylock uv_mutex_unlock uv_now
    uv_once uv_open_osfhandle uv_os_environ uv_os_free_environ uv_os_free_group
    uv_os_free_passwd uv_os_get_group uv_os_get_passwd uv_os_get_passwd2 uv_os_getenv
    uv_os_gethostname uv_os_getpid uv_os_getppid uv_os_getpriority uv_os_homedir
    uv_os_setenv uv_os_setpriority uv_os_tmpdir uv_os_uname uv_os_unsetenv uv_pipe
    uv_pipe_bind uv_pipe_bind2 uv_pipe_chmod uv_pipe_connect uv_pipe_connect2
    uv_pipe_getpeername uv_pipe_getsockname uv_pipe_init uv_pipe_open
    uv_pipe_pending_count uv_pipe_pending_instances uv_pipe_pending_type uv_poll_init
    uv_poll_init_socket uv_poll_start uv_poll_stop uv_prepare_init uv_prepare_start
    uv_prepare_stop uv_print_active_handles uv_print_all_handles uv_process_get_pid
    uv_process_kill uv_queue_work uv_random uv_read_start uv_read_stop
    uv_recv_buffer_size uv_ref uv_replace_allocator uv_req_get_data uv_req_get_type
    uv_req_set_data uv_req_size uv_req_type_name uv_resident_set_memory uv_run
    uv_rwlock_destroy uv_rwlock_init uv_rwlock_rdlock uv_rwlock_rdunlock
    uv_rwlock_tryrdlock uv_rwlock_trywrlock uv_rwlock_wrlock uv_rwlock_wrunlock
    uv_sem_destroy uv_sem_init uv_sem_post uv_sem_trywait uv_sem_wait
    uv_send_buffer_size uv_set_process_title uv_setup_args uv_shutdown uv_signal_init
    uv_signal_start uv_signal_start_oneshot uv_signal_stop uv_sleep uv_socketpair
    uv_spawn uv_stop uv_stream_get_write_queue_size uv_stream_set_blocking
    uv_strerror uv_strerror_r uv_tcp_bind uv_tcp_close_reset uv_tcp_connect
    uv_tcp_getpeername uv_tcp_getsockname uv_tcp_init uv_tcp_init_ex uv_tcp_keepalive
    uv_tcp_keepalive_ex uv_tcp_nodelay uv_tcp_open uv_tcp_simultaneous_accepts
    uv_thread_create uv_thread_create_ex uv_thread_detach uv_thread_equal
    uv_thread_getaffinity uv_thread_getcpu uv_thread_getname uv_thread_getpriority
    uv_thread_join uv_thread_self uv_thread_setaffinity uv_thread_setname
    uv_thread_setpriority uv_timer_again uv_timer_get_due_in uv_timer_get_repeat
    uv_timer_init uv_timer_set_repeat uv_timer_start uv_timer_stop
    uv_translate_sys_error uv_try_write uv_try_write2 uv_tty_get_vterm_state
    uv_tty_get_winsize uv_tty_init uv_tty_reset_mode uv_tty_set_mode
    uv_tty_set_vterm_state uv_udp_bind uv_udp_connect uv_udp_get_send_queue_count
    uv_udp_get_send_queue_size uv_udp_getpeername uv_udp_getsockname uv_udp_init
    uv_udp_init_ex uv_udp_open uv_udp_open_ex uv_udp_recv_start uv_udp_recv_stop
    uv_udp_send uv_udp_set_broadcast uv_udp_set_membership
    uv_udp_set_multicast_interface uv_udp_set_multicast_loop uv_udp_set_multicast_ttl
    uv_udp_set_source_membership uv_udp_set_ttl uv_udp_try_send uv_udp_try_send2
    uv_udp_using_recvmmsg uv_unref uv_update_time uv_uptime uv_utf16_length_as_wtf8
    uv_utf16_to_wtf8 uv_version uv_version_string uv_walk uv_write uv_write2
    uv_wtf8_length_as_utf16 uv_wtf8_to_utf16
}

#[test]
fn every_libuv_export_is_defined() {
    assert_eq!(EXPORTS.len(), 318);
    let mut names: Vec<&str> = EXPORTS.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), 318, "a name is listed twice");
    for (name, f) in EXPORTS {
        assert_ne!(*f as usize, 0, "{name}");
    }
}
