#!/usr/bin/env bash
# Builds and runs the C tests (tests/c/test-*.c) and the example programs
# (examples/*.c), each as a standalone program, in up to three modes:
#
#   ours    compiled against OUR include/uv.h, linked with OUR libuv.so.1
#           (build/prefix, installed by scripts/install.sh), run with
#           LD_LIBRARY_PATH=build/prefix/lib
#   libuv   compiled and linked against the system libuv (pkg-config libuv),
#           run with the system library
#   dropin  the `libuv` binary, unmodified, run with
#           LD_LIBRARY_PATH=build/prefix/lib so that it loads OUR libuv.so.1
#
# Usage: tests/run-c-tests.sh [--mode ours|libuv|dropin|all] [--skip-install]
#                             [-j N] [--timeout SECS] [-v] [--prefix DIR]
#                             [--wrap 'CMD ARGS'] [FILTER...]
#
#   FILTER         only sources whose name contains a FILTER (e.g. "timer",
#                  "test-loop", "examples/"); several are or-ed
#   --skip-install do not run scripts/install.sh build/prefix first
#   -j N           build/run N sources in parallel (default 2)
#   --timeout S    per-run time limit in seconds (default 30)
#   -v             also show the output of passing runs
#   --prefix DIR   use DIR (with include/uv.h and lib/libuv.so.1) instead of
#                  build/prefix for `ours` and `dropin`; implies
#                  --skip-install. E.g. a reference build of libuv 1.52 to
#                  check that the tests themselves are right.
#   --wrap CMD     run each test program under CMD (split on spaces), e.g.
#                  valgrind with its options (scripts/test-valgrind.sh).
#                  Sources whose first lines say `/* rsuv: no-wrap: <why> */`
#                  are skipped then.
#
# Each run gets RSUV_TEST_MODE=ours|libuv|dropin in its environment.
# A source whose first lines contain `/* rsuv: ours-only: <reason> */` tests
# libuv >= 1.45 behaviour and is run in `ours` mode only (SKIP otherwise).
#
# Prints `PASS|FAIL|SKIP <mode> <name>` per (source, mode), the output of
# failing runs, and finally exactly one line
#   c-tests: N passed, N failed, N skipped
# Exits non-zero if anything failed.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
prefix="$root/build/prefix"
mode=all
skip_install=0
jobs=2
timeout_s=${RSUV_TEST_TIMEOUT:-30}
verbose=0
filters=()
wrap=()
cc=${CC:-cc}
cflags="-std=gnu11 -g -O1 -Wall -Wextra -Werror -pthread"

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

need_arg() {
  if [ "$1" -lt 2 ]; then echo "run-c-tests: $2 needs a value" >&2; exit 2; fi
}

while [ $# -gt 0 ]; do
  case "$1" in
    --mode|-j|--timeout|--prefix|--wrap) need_arg $# "$1" ;;
  esac
  case "$1" in
    --mode) mode=$2; shift 2 ;;
    --mode=*) mode=${1#--mode=}; shift ;;
    --skip-install) skip_install=1; shift ;;
    -j) jobs=$2; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --prefix) prefix=$(cd "$2" && pwd) || exit 2; skip_install=1; shift 2 ;;
    --wrap) read -r -a wrap <<<"$2"; shift 2 ;;
    -v) verbose=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "run-c-tests: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) filters+=("$1"); shift ;;
  esac
done

case "$mode" in
  ours) modes="ours" ;;
  libuv) modes="libuv" ;;
  dropin) modes="dropin" ;;
  all) modes="ours libuv dropin" ;;
  *) echo "run-c-tests: bad --mode '$mode'" >&2; exit 2 ;;
esac
case "$jobs" in ''|*[!0-9]*|0) echo "run-c-tests: bad -j '$jobs'" >&2; exit 2 ;; esac
case "$timeout_s" in ''|*[!0-9]*|0) echo "run-c-tests: bad --timeout" >&2; exit 2 ;; esac

want() { case " $modes " in *" $1 "*) return 0 ;; esac; return 1; }

if want ours || want dropin; then
  if [ "$skip_install" = 0 ]; then
    echo "run-c-tests: installing into build/prefix (scripts/install.sh)"
    if ! "$root/scripts/install.sh" "$prefix"; then
      echo "run-c-tests: scripts/install.sh failed" >&2
      echo "c-tests: 0 passed, 1 failed, 0 skipped"
      exit 1
    fi
  fi
  if [ ! -e "$prefix/lib/libuv.so.1" ] || [ ! -e "$prefix/include/uv.h" ]; then
    echo "run-c-tests: $prefix has no lib/libuv.so.1 or include/uv.h" >&2
  fi
fi

sys_flags=""
if want libuv || want dropin; then
  if ! sys_flags=$(pkg-config --cflags --libs libuv 2>/dev/null); then
    echo "run-c-tests: pkg-config does not know libuv (install libuv1-dev)" >&2
    echo "c-tests: 0 passed, 1 failed, 0 skipped"
    exit 1
  fi
fi

# Collect the sources: name<TAB>path.
sources=()
for f in "$root"/tests/c/test-*.c "$root"/examples/*.c; do
  [ -e "$f" ] || continue
  case "$f" in
    "$root"/examples/*) name="examples/$(basename "$f" .c)" ;;
    *) name=$(basename "$f" .c) ;;
  esac
  if [ ${#filters[@]} -gt 0 ]; then
    matched=0
    for filter in "${filters[@]}"; do
      case "$name" in *"$filter"*) matched=1 ;; esac
    done
    [ "$matched" = 1 ] || continue
  fi
  sources+=("$name"$'\t'"$f")
done
if [ ${#sources[@]} -eq 0 ]; then
  echo "run-c-tests: no sources match '${filters[*]}'" >&2
  echo "c-tests: 0 passed, 0 failed, 0 skipped"
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/rsuv-c-tests.XXXXXX")
cleanup() {
  local p
  for p in $(jobs -p); do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run_one NAME SRC IDX: builds and runs one source in every selected mode.
# Writes "$work/res/IDX" (lines "STATUS MODE") and one log per mode.
run_one() {
  local name=$1 src=$2 idx=$3
  local dir="$work/$idx" res="$work/res/$idx.tmp" reason="" m log deps first
  mkdir -p "$dir/run"
  : > "$res"
  ulimit -c 0
  first=$(head -n 5 "$src")
  if [ ${#wrap[@]} -gt 0 ] && grep -q 'rsuv: no-wrap:' <<<"$first"; then
    reason=$(sed -n 's/.*rsuv: no-wrap: *\(.*\)\*\/.*/\1/p' <<<"$first")
    reason=${reason%%$'\n'*}
    echo "not under ${wrap[0]}: ${reason% }" > "$dir/skip.log"
    for m in $modes; do echo "SKIP $m" >>"$res"; done
    mv "$res" "$work/res/$idx"
    return
  fi
  if grep -q 'rsuv: ours-only:' <<<"$first"; then
    reason=$(sed -n 's/.*rsuv: ours-only: *\(.*\)\*\/.*/\1/p' <<<"$first")
    reason=${reason%%$'\n'*}
    reason=${reason% }
  fi

  # run_bin MODE BIN LOG [LD_LIBRARY_PATH]
  run_bin() {
    local m=$1 bin=$2 log=$3 ldp=${4:-} rc
    (
      cd "$dir/run" || exit 99
      unset UV_THREADPOOL_SIZE
      export RSUV_TEST_MODE="$m"
      if [ -n "$ldp" ]; then export LD_LIBRARY_PATH="$ldp"; else unset LD_LIBRARY_PATH; fi
      timeout -k 5 "$timeout_s" "${wrap[@]}" "$bin"
      exit $?
    ) >>"$log" 2>&1 </dev/null
    rc=$?
    if [ $rc -eq 0 ]; then echo "PASS $m" >>"$res"; return; fi
    if [ $rc -eq 124 ]; then echo "(timed out after ${timeout_s}s)" >>"$log"
    elif [ $rc -gt 128 ]; then echo "(killed by signal $((rc - 128)))" >>"$log"
    else echo "(exit status $rc)" >>"$log"; fi
    echo "FAIL $m" >>"$res"
  }

  if want ours; then
    log="$dir/ours.log"; : > "$log"
    if $cc $cflags -I"$prefix/include" -o "$dir/ours" "$src" \
         -L"$prefix/lib" -luv -lpthread >>"$log" 2>&1; then
      run_bin ours "$dir/ours" "$log" "$prefix/lib"
    else
      echo "(build failed)" >>"$log"; echo "FAIL ours" >>"$res"
    fi
  fi

  if want libuv || want dropin; then
    if [ -n "$reason" ]; then
      for m in libuv dropin; do
        want $m && echo "SKIP $m" >>"$res"
      done
      echo "ours-only: $reason" > "$dir/skip.log"
    else
      log="$dir/build-sys.log"; : > "$log"
      # shellcheck disable=SC2086
      if $cc $cflags -o "$dir/sys" "$src" $sys_flags >>"$log" 2>&1; then
        if want libuv; then
          cp "$log" "$dir/libuv.log"
          run_bin libuv "$dir/sys" "$dir/libuv.log"
        fi
        if want dropin; then
          cp "$log" "$dir/dropin.log"
          # Make sure the unmodified binary really loads OUR libuv.so.1.
          deps=$(LD_LIBRARY_PATH="$prefix/lib" ldd "$dir/sys" 2>&1)
          if grep -q "libuv\.so\.1 => $prefix/lib/libuv\.so\.1 " <<<"$deps"; then
            run_bin dropin "$dir/sys" "$dir/dropin.log" "$prefix/lib"
          else
            printf '(the binary does not load %s:)\n%s\n' \
              "$prefix/lib/libuv.so.1" "$deps" >>"$dir/dropin.log"
            echo "FAIL dropin" >>"$res"
          fi
        fi
      else
        echo "(build failed)" >>"$log"
        for m in libuv dropin; do
          if want $m; then cp "$log" "$dir/$m.log"; echo "FAIL $m" >>"$res"; fi
        done
      fi
    fi
  fi
  mv "$res" "$work/res/$idx"
}

mkdir -p "$work/res"
passed=0 failed=0 skipped=0
printed=()

# print_ready: prints the results of finished sources not yet printed.
print_ready() {
  local i st m name line
  for i in "${!sources[@]}"; do
    [ -n "${printed[$i]:-}" ] && continue
    [ -e "$work/res/$i" ] || continue
    printed[$i]=1
    name=${sources[$i]%%$'\t'*}
    while read -r st m; do
      case "$st" in
        PASS)
          passed=$((passed + 1)); echo "PASS $m $name"
          if [ "$verbose" = 1 ]; then sed 's/^/    /' "$work/$i/$m.log"; fi ;;
        FAIL)
          failed=$((failed + 1)); echo "FAIL $m $name"
          sed 's/^/    /' "$work/$i/$m.log" | tail -n 60 ;;
        SKIP)
          skipped=$((skipped + 1))
          echo "SKIP $m $name ($(cat "$work/$i/skip.log"))" ;;
      esac
    done < "$work/res/$i"
  done
}

running=0
for i in "${!sources[@]}"; do
  name=${sources[$i]%%$'\t'*}
  src=${sources[$i]#*$'\t'}
  while [ "$running" -ge "$jobs" ]; do
    wait -n 2>/dev/null
    running=$(jobs -rp | wc -l)
    print_ready
  done
  run_one "$name" "$src" "$i" &
  running=$((running + 1))
done
wait
print_ready

echo "c-tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
