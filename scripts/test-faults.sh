#!/usr/bin/env bash
# Runs the I/O tests under fault injection (tests/fault/fault.c, preloaded):
# random EINTR, EAGAIN and short counts from the system calls libuv makes
# on sockets, pipes and epoll. Each test runs in `ours` mode, once per
# seed, and must pass; the same runs on Debian's libuv are a reference.
# The bulk tests check every byte arrives in order with matching
# checksums, and bench/udp-pummel.c every datagram.
#
# Usage: scripts/test-faults.sh [--skip-install] [--rate PERCENT] [SEED...]   (default 20%, seeds 1 2 3)
# Prints the tests' lines, then
#   faults: N passed, N failed (...); Debian's libuv: N passed, N failed
# and exits non-zero if a run on rsuv failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
install=1
rate=20
seeds=()
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-install) install=0; shift ;;
    --rate) rate=$2; shift 2 ;;
    *) seeds+=("$1"); shift ;;
  esac
done
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3)
[ "$install" = 0 ] || scripts/install.sh build/prefix >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/rsuv-faults.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -std=gnu11 -O1 -g -Wall -Wextra -Werror -shared -fPIC -o "$work/fault.so" \
  tests/fault/fault.c -ldl

# Left out: test-spawn-stdio (its children run libuv too and read their
# stdin pipe with uv_fs_read, which libuv does not retry after EINTR), and
# test-stream-errors, test-tcp, test-pipe and test-udp*, which check what
# uv_try_write and uv_udp_try_send manage in one call: an injected EAGAIN
# or short count changes that legitimately, on libuv too. UDP bulk is
# bench/udp-pummel.c, which checks every datagram. And test-spawn-ipc,
# which expects each message in one read.
tests=(test-tcp-bulk test-pipe-bulk test-tcp-many test-tcp-reset test-tcp-ipv6
       test-tcp-emfile test-write-queue-order test-ipc-fds test-ipc-hostile
       test-api-fuzz
       test-fs-basic test-fs-bulk test-dns)
cc -std=gnu11 -O2 -pthread -Ibuild/prefix/include -o "$work/udp-pummel-ours" \
  bench/udp-pummel.c -Lbuild/prefix/lib -luv
# shellcheck disable=SC2046
cc -std=gnu11 -O2 -pthread -o "$work/udp-pummel-libuv" bench/udp-pummel.c \
  $(pkg-config --cflags --libs libuv)

# Failures on rsuv fail the run; Debian's libuv runs the same as a
# reference (a case it fails is reported, and is not rsuv's).
passed=0 failed=0 ref_passed=0 ref_failed=0
inject() {
  echo env "LD_PRELOAD=$work/fault.so" "RSUV_FAULT_SEED=$1" "RSUV_FAULT_RATE=$rate"
}
for seed in "${seeds[@]}"; do
  log="$work/seed-$seed.log"
  ref="$work/seed-$seed-libuv.log"
  tests/run-c-tests.sh --mode ours --skip-install --timeout 300 \
    --wrap "$(inject "$seed")" "${tests[@]}" >"$log" 2>&1 || true
  if $(inject "$seed") LD_LIBRARY_PATH="$root/build/prefix/lib" timeout 120 \
      "$work/udp-pummel-ours" 50000 >"$work/udp.log" 2>&1; then
    echo "PASS ours bench/udp-pummel" >>"$log"
  else
    { echo "FAIL ours bench/udp-pummel"; sed 's/^/    /' "$work/udp.log"; } >>"$log"
  fi
  tests/run-c-tests.sh --mode libuv --skip-install --timeout 300 \
    --wrap "$(inject "$seed")" "${tests[@]}" >"$ref" 2>&1 || true
  if $(inject "$seed") timeout 120 "$work/udp-pummel-libuv" 50000 >/dev/null 2>&1; then
    echo "PASS libuv bench/udp-pummel" >>"$ref"
  else
    echo "FAIL libuv bench/udp-pummel" >>"$ref"
  fi
  sed -n "s/^\(PASS\|FAIL\|SKIP\) /\1 seed $seed /p" "$log" "$ref"
  grep -A12 '^FAIL' "$log" "$ref" | grep -v ':PASS' | head -60 || true
  passed=$((passed + $(grep -c '^PASS' "$log" || true)))
  failed=$((failed + $(grep -c '^FAIL' "$log" || true)))
  ref_passed=$((ref_passed + $(grep -c '^PASS' "$ref" || true)))
  ref_failed=$((ref_failed + $(grep -c '^FAIL' "$ref" || true)))
done
echo "faults: $passed passed, $failed failed (rate ${rate}%, seeds ${seeds[*]}); Debian's libuv: $ref_passed passed, $ref_failed failed"
[ "$failed" -eq 0 ]
