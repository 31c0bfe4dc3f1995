#!/usr/bin/env bash
# Smoke-runs every fuzz target (fuzz/): its seeds, then random mutations
# for SECONDS each (default 10), on stable Rust. Prints one line per target,
#   fuzz <target>: N execs, 0 crashes
# and exits non-zero on the first broken rule, printing the input. Longer,
# coverage-guided runs: cargo +nightly fuzz run <target> fuzz/corpus/<target> fuzz/seeds/<target>
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --release --manifest-path fuzz/Cargo.toml --bin smoke -- "${1:-10}"
