//! libFuzzer entry for the `wtf8` target (see `rsuv_fuzz::wtf8`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rsuv_fuzz::wtf8(data));
