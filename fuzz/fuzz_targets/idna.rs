//! libFuzzer entry for the `idna` target (see `rsuv_fuzz::idna`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| rsuv_fuzz::idna(data));
