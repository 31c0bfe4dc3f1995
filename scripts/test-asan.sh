#!/usr/bin/env bash
# Builds the library with AddressSanitizer and runs every C test and
# example against it, in `ours` mode, built with -fsanitize=address too.
#
# The Rust side is built by the machine's stable toolchain with
# `-Zsanitizer=address`, which stable rustc accepts under RUSTC_BOOTSTRAP=1
# (the toolchain ships the sanitizer runtimes); `--target` keeps build
# scripts uninstrumented. A cdylib carries no ASan runtime of its own: the
# test program, linked by gcc with -fsanitize=address, brings libasan, which
# serves both the C and the Rust instrumentation. LeakSanitizer is on, so a
# block the library leaks fails the test as under valgrind.
#
# Tests learn they run under it from RSUV_UNDER_CHECKER=asan: a handle really
# freed before its close phase steps aside (ASan rightly reports it, for
# libuv too), the load test does not expect freed memory back (ASan keeps
# it in quarantine), and a spawned child of an ASan program has ASan's own
# handlers for SIGSEGV, SIGBUS and SIGFPE.
#
# Usage: scripts/test-asan.sh [-j N] [FILTER...]
# Prints the tests' PASS/FAIL/SKIP lines and, last,
#   asan: N passed, N failed, N skipped
# and exits non-zero if anything failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

jobs=2
filters=()
while [ $# -gt 0 ]; do
  case "$1" in
    -j) jobs=$2; shift 2 ;;
    -*) echo "test-asan: unknown option $1" >&2; exit 2 ;;
    *) filters+=("$1"); shift ;;
  esac
done

triple=$(rustc -vV | sed -n 's/^host: //p')
RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zsanitizer=address" \
  cargo build --release --quiet -p rsuv-capi --target "$triple" --target-dir target/asan
RSUV_BUILT_DIR="target/asan/$triple/release" scripts/install.sh build/asan-prefix >/dev/null

export RSUV_UNDER_CHECKER=asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=96
log=$(mktemp "${TMPDIR:-/tmp}/rsuv-asan.XXXXXX")
status=0
CC="${CC:-cc} -fsanitize=address -fno-omit-frame-pointer" \
  tests/run-c-tests.sh --mode ours --prefix build/asan-prefix -j "$jobs" \
  --timeout 120 "${filters[@]}" 2>&1 | tee "$log" || status=1
echo "asan: $(sed -n 's/^c-tests: //p' "$log" | tail -n 1)"
rm -f "$log"
exit "$status"
