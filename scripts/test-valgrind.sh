#!/usr/bin/env bash
# Runs the C tests and examples under valgrind, in `ours` mode (our uv.h,
# our libuv.so.1):
#
#   memcheck  every test and example: no invalid access, no use of
#             uninitialised memory, and no definite or indirect leak
#             (--leak-check=full); "possibly lost" blocks are the thread
#             stacks glibc keeps for threads still running at exit, which
#             libuv's own runs show too.
#   helgrind  (with --helgrind) the tests of threads, locks, the thread
#             pool, async handles, signals and loops used from other
#             threads, against a build with the `helgrind` feature
#             (build/helgrind-prefix): the engine's locks are pthread
#             mutexes, which helgrind follows, and that build adds notes
#             (client requests, sys/valgrind.rs) for the hand-offs made with
#             atomics: the loop cell, the signal handler's spin lock.
#
# Suppressions would live in tests/valgrind/*.supp, each with its reason;
# none is needed so far.
#
# Usage: scripts/test-valgrind.sh [--skip-install] [--helgrind] [-j N] [FILTER...]
# Prints the tests' PASS/FAIL/SKIP lines and one summary line per tool,
#   valgrind memcheck: N passed, N failed, N skipped
# and exits non-zero if anything failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

install=1
helgrind=0
jobs=2
filters=()
while [ $# -gt 0 ]; do
  case "$1" in
    --skip-install) install=0; shift ;;
    --helgrind) helgrind=1; shift ;;
    -j) jobs=$2; shift 2 ;;
    -*) echo "test-valgrind: unknown option $1" >&2; exit 2 ;;
    *) filters+=("$1"); shift ;;
  esac
done

if ! command -v valgrind >/dev/null; then
  echo "test-valgrind: valgrind is not installed (apt-get install valgrind)" >&2
  exit 1
fi
if [ "$install" = 1 ]; then
  scripts/install.sh build/prefix >/dev/null
fi

supp=()
for f in tests/valgrind/*.supp; do
  [ -e "$f" ] && supp+=("--suppressions=$root/$f")
done

# Under valgrind a test runs 10 to 50 times slower; the tests' own time
# limits are generous, and this one only catches a hang.
timeout_s=900
export RSUV_UNDER_CHECKER=valgrind

status=0
summary=()

run_tool() {
  local tool=$1 prefix=$2; shift 2
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/rsuv-valgrind.XXXXXX")
  if ! tests/run-c-tests.sh --mode ours --prefix "$prefix" --timeout "$timeout_s" \
      -j "$jobs" --wrap "$*" "${sel[@]}" 2>&1 | tee "$log"; then
    status=1
  fi
  summary+=("valgrind $tool: $(sed -n 's/^c-tests: //p' "$log" | tail -n 1)")
  rm -f "$log"
}

# memcheck: everything (or what the filters select).
sel=("${filters[@]}")
run_tool memcheck build/prefix valgrind --quiet --error-exitcode=97 --leak-check=full \
  --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
  --track-origins=yes "${supp[@]}"

# helgrind: the concurrent tests.
threaded=(test-thread test-sync test-threadpool test-async test-signal
          test-loop-foreign-thread test-fs-cancel test-dns)
sel=()
if [ ${#filters[@]} -eq 0 ]; then
  sel=("${threaded[@]}")
else
  for t in "${threaded[@]}"; do
    for f in "${filters[@]}"; do
      case "$t" in *"$f"*|"$f"*) sel+=("$t") ;; esac
    done
  done
fi
if [ "$helgrind" = 1 ] && [ ${#sel[@]} -gt 0 ]; then
  cargo build --release --quiet -p rsuv-capi --features helgrind --target-dir target/helgrind
  RSUV_BUILT_DIR=target/helgrind/release scripts/install.sh build/helgrind-prefix >/dev/null
  export RSUV_UNDER_CHECKER=helgrind
  run_tool helgrind build/helgrind-prefix valgrind --quiet --tool=helgrind --error-exitcode=98 "${supp[@]}"
fi

printf '%s\n' "${summary[@]}"
exit "$status"
