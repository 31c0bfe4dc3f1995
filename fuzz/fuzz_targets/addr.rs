//! libFuzzer entry for the `addr` target (see `rsuv_fuzz::addr`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rsuv_fuzz::addr(data));
