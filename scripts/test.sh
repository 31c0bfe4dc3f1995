#!/usr/bin/env bash
# Runs every test of rsuv: the engine's Rust unit tests, the ABI layout test,
# and the C tests (each built against our header + library, against Debian's
# libuv, and Debian-built but run on our libuv.so.1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

echo "== cargo test"
cargo test --workspace --quiet

echo "== ABI layout"
bash tests/abi/run.sh

echo "== C tests and examples"
scripts/install.sh build/prefix
bash tests/run-c-tests.sh --skip-install
