//! Gives the shared library libuv's SONAME so programs linked against libuv.so.1 load it.
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libuv.so.1");
    println!("cargo:rerun-if-changed=build.rs");
}
