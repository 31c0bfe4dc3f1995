#!/usr/bin/env bash
# Runs every test of rsuv: the Rust unit and integration tests (engine and
# the safe `rsuv` crate) and the Rust examples, the ABI layout test,
# and the C tests (each built against our header + library, against Debian's
# libuv, and Debian-built but run on our libuv.so.1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

echo "== cargo test"
cargo test --workspace --quiet

echo "== Rust examples (crates/rsuv/examples)"
for ex in crates/rsuv/examples/*.rs; do
    name=$(basename "$ex" .rs)
    if timeout 60 cargo run --quiet -p rsuv --example "$name" >/dev/null; then
        echo "PASS example $name"
    else
        echo "FAIL example $name"
        exit 1
    fi
done

echo "== ABI layout"
bash tests/abi/run.sh

echo "== C tests and examples"
scripts/install.sh build/prefix
bash tests/run-c-tests.sh --skip-install
