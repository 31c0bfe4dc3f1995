#!/usr/bin/env bash
# ABI test for rsuv's public headers (include/uv.h, include/uv/*.h).
#
#  1. Compile tests: the header must build warning-free (-Werror) as strict
#     C99, C99 with _GNU_SOURCE, GNU C and C++; every function libuv 1.52
#     exports must have a prototype, and no other function may be declared.
#  2. Layout: a generated program prints sizeof/offsetof for every line of
#     the reference table; its output must equal the table line for line
#     (and be the same in strict and _GNU_SOURCE modes).
#  3. Cross-check with the distribution's libuv header (Debian ships 1.44):
#     every table line whose type and field that header declares, and every
#     constant it defines, must agree with ours, except for the documented
#     upstream changes between 1.44 and 1.52 listed below.  Whether an entry
#     exists there is decided per entry by compiling a one-line probe.
#  4. Optional: RSUV_ABI_REF_INCLUDE=/path/to/libuv-1.52/include repeats the
#     layout and constant checks against a real 1.52 header and compares all
#     function prototypes (via gcc -aux-info).
#
# Needs only bash, python3 and a C/C++ compiler.  Works as root or not; all
# scratch files live in a mktemp -d directory that is removed on exit.
# Ends with "abi: N passed, N failed" and exits non-zero on any failure.
#
# Environment: CC (cc), CXX (g++), PYTHON (python3), RSUV_ABI_TABLE,
# RSUV_ABI_FUNCS, RSUV_ABI_SYSTEM_UV_H (/usr/include/uv.h),
# RSUV_ABI_REF_INCLUDE (unset), RSUV_ABI_VERBOSE=1 (list every skip).

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
inc="$root/include"
gen="$here/gen_abi.py"
# The reference tables live in shared/, beside the repository (CI clones the
# repository next to it).
abi_dir=$root/../shared/abi
[ -d "$abi_dir" ] || abi_dir=/work/shared/abi
table=${RSUV_ABI_TABLE:-$abi_dir/libuv-1.52-linux-x86_64.txt}
funcs=${RSUV_ABI_FUNCS:-$abi_dir/libuv-1.52-exported-functions.txt}
for f in "$table" "$funcs"; do
  [ -r "$f" ] || { echo "abi: reference table $f not found (expected shared/abi beside the repository)"; exit 1; }
done
sys_uv_h=${RSUV_ABI_SYSTEM_UV_H:-/usr/include/uv.h}
ref_inc=${RSUV_ABI_REF_INCLUDE:-}
verbose=${RSUV_ABI_VERBOSE:-0}
CC=${CC:-cc}
CXX=${CXX:-g++}
PYTHON=${PYTHON:-python3}
jobs=$(nproc 2>/dev/null || echo 2)

# Debian 1.44 values that legitimately differ from 1.52 (upstream layout
# changes, checked against both releases' headers).  A listed line is
# accepted from the system header only if it matches exactly.
known_sys_diffs=(
  # 1.45 split uv_statfs_t.f_spare[4] into f_frsize + f_spare[3].
  "field uv_statfs_t.f_spare 56 32"
)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rsuv-abi.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
skipped=0

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
note() { echo "abi: $*"; }

for f in "$table" "$funcs" "$inc/uv.h"; do
  [ -r "$f" ] || { echo "abi: cannot read $f" >&2; echo "abi: 0 passed, 1 failed"; exit 1; }
done

# compile LABEL LOGFILE CMD...: one check; shows the compiler output on failure.
compile() {
  local label=$1 log=$2
  shift 2
  if "$@" >"$log" 2>&1; then
    pass
    return 0
  fi
  fail "$label"
  sed 's/^/    /' "$log" | head -n 40
  return 1
}

# compare_lines LABEL EXPECTED ACTUAL: one check per expected line.
compare_lines() {
  local label=$1 i
  local -a exp act
  mapfile -t exp <"$2"
  mapfile -t act <"$3"
  for i in "${!exp[@]}"; do
    if [ "${act[i]-<missing>}" == "${exp[i]}" ]; then
      pass
    else
      fail "$label: expected '${exp[i]}', got '${act[i]-<missing>}'"
    fi
  done
  if [ "${#act[@]}" -gt "${#exp[@]}" ]; then
    fail "$label: $((${#act[@]} - ${#exp[@]})) unexpected extra output lines"
  fi
}

# build_run LABEL SRC OUT CFLAGS...: compiles SRC, runs it into OUT.
build_run() {
  local label=$1 src=$2 out=$3
  shift 3
  if ! "$CC" "$@" -o "$src.bin" "$src" >"$src.log" 2>&1; then
    fail "$label: does not compile"
    sed 's/^/    /' "$src.log" | head -n 40
    return 1
  fi
  if ! "$src.bin" >"$out"; then
    fail "$label: program failed"
    return 1
  fi
  return 0
}

# run_probes DIR CFLAGS...: compiles DIR/p*.c (-fsyntax-only) in parallel;
# prints the names (second column of DIR/index) of those that compile.
run_probes() {
  local dir=$1 id name
  shift
  (cd "$dir" && ls p*.c | xargs -P "$jobs" -I{} sh -c \
    'f=$1; shift; "$0" "$@" -fsyntax-only "$f" >/dev/null 2>&1 && : >"${f%.c}.ok"' \
    "$CC" {} "$@")
  while IFS=$'\t' read -r id name; do
    [ -e "$dir/$id.ok" ] && printf '%s\n' "$name"
  done <"$dir/index"
}

# check_against LABEL OURS THEIRS [KNOWN...]: keyed comparison (key = first
# two words) of a foreign header's output against ours.
check_against() {
  local label=$1 ours=$2 theirs=$3 line line2 key k ok
  shift 3
  local -A mine=()
  while IFS= read -r line; do
    key=${line%% *}; line2=${line#* }; key="$key ${line2%% *}"
    mine[$key]=$line
  done <"$ours"
  while IFS= read -r line; do
    key=${line%% *}; line2=${line#* }; key="$key ${line2%% *}"
    if [ "${mine[$key]-<absent>}" == "$line" ]; then
      pass
      continue
    fi
    ok=0
    for k in "$@"; do
      [ "$k" == "$line" ] && ok=1
    done
    if [ "$ok" = 1 ]; then
      pass
      note "$label: known 1.44 -> 1.52 change: theirs '$line', ours '${mine[$key]-<absent>}'"
    else
      fail "$label: theirs '$line', ours '${mine[$key]-<absent>}'"
    fi
  done <"$theirs"
}

# ---------------------------------------------------------------------------
# 1. Compile tests
# ---------------------------------------------------------------------------
ct="$here/compile_test.c"
cflags=(-Wall -Wextra -Werror -pedantic -I"$inc")
compile "compile as C99 (strict)" "$tmp/c99.log" \
  "$CC" -std=c99 "${cflags[@]}" -c "$ct" -o "$tmp/c99.o"
compile "compile as C99 with _GNU_SOURCE" "$tmp/c99gnu.log" \
  "$CC" -std=c99 -D_GNU_SOURCE "${cflags[@]}" -c "$ct" -o "$tmp/c99gnu.o"
compile "compile as GNU C (compiler default)" "$tmp/gnuc.log" \
  "$CC" "${cflags[@]}" -c "$ct" -o "$tmp/gnuc.o"
compile "compile as C++11" "$tmp/cxx11.log" \
  "$CXX" -x c++ -std=c++11 "${cflags[@]}" -c "$ct" -o "$tmp/cxx11.o"
compile "compile as C++ (compiler default)" "$tmp/cxx.log" \
  "$CXX" -x c++ "${cflags[@]}" -c "$ct" -o "$tmp/cxx.o"

"$PYTHON" "$gen" protos "$funcs" '<uv.h>' >"$tmp/protos.c"
compile "prototypes for all $(wc -l <"$funcs") exported functions" "$tmp/protos.log" \
  "$CC" -std=c99 "${cflags[@]}" -c "$tmp/protos.c" -o "$tmp/protos.o"

# Nothing beyond the exported list may be declared (one declaration per
# UV_EXTERN line is the header's house style).
grep -ho 'UV_EXTERN[^(;]*(' "$inc/uv.h" "$inc"/uv/*.h |
  sed -n 's/.*[ *]\(uv_[a-z0-9_]*\)($/\1/p' | sort -u >"$tmp/declared"
sort -u "$funcs" >"$tmp/exported"
if cmp -s "$tmp/declared" "$tmp/exported"; then
  pass
else
  fail "declared functions differ from the exported list (< declared, > exported):"
  diff "$tmp/declared" "$tmp/exported" | grep '^[<>]' | sed 's/^/    /'
fi

# ---------------------------------------------------------------------------
# 2. Layout against the reference table
# ---------------------------------------------------------------------------
grep -v '^[[:space:]]*\(#\|$\)' "$table" >"$tmp/table"
"$PYTHON" "$gen" table "$table" '<uv.h>' >"$tmp/layout.c"
if build_run "layout program" "$tmp/layout.c" "$tmp/ours.txt" -I"$inc"; then
  compare_lines "layout" "$tmp/table" "$tmp/ours.txt"
  # The layout must not depend on the including program's language mode
  # or feature macros.
  for mode in "$CC -std=c99" "$CC -std=c99 -D_GNU_SOURCE" "$CXX -x c++ -std=c++11"; do
    # shellcheck disable=SC2086
    if CC=${mode%% *} build_run "layout program ($mode)" "$tmp/layout.c" "$tmp/mode.txt" \
         -I"$inc" ${mode#* }; then
      if cmp -s "$tmp/ours.txt" "$tmp/mode.txt"; then
        pass
      else
        fail "layout differs when built with '$mode':"
        diff "$tmp/ours.txt" "$tmp/mode.txt" | sed 's/^/    /'
      fi
    fi
  done
else
  ours_missing=1
fi

"$PYTHON" "$gen" consts '<uv.h>' >"$tmp/consts.c"
build_run "constants program" "$tmp/consts.c" "$tmp/ours_consts.txt" -I"$inc" || true

# ---------------------------------------------------------------------------
# 3. Distribution header (Debian's libuv 1.44)
# ---------------------------------------------------------------------------
if [ ! -r "$sys_uv_h" ]; then
  note "no system libuv header at $sys_uv_h; distribution cross-check skipped"
elif grep -q 'rsuv' "$sys_uv_h"; then
  note "$sys_uv_h is rsuv's own header; distribution cross-check skipped"
elif [ -n "${ours_missing:-}" ]; then
  fail "distribution cross-check impossible without our layout output"
else
  # Private copy so that nothing else on the search path (e.g. an rsuv
  # header installed under /usr/local/include) can leak in.
  sysinc="$tmp/sysinc"
  mkdir -p "$sysinc"
  cp "$sys_uv_h" "$sysinc/uv.h"
  [ -d "$(dirname "$sys_uv_h")/uv" ] && cp -r "$(dirname "$sys_uv_h")/uv" "$sysinc/uv"

  printf '#include <uv.h>\n#include <stdio.h>\nint main(void){printf("%%d.%%d.%%d\\n",UV_VERSION_MAJOR,UV_VERSION_MINOR,UV_VERSION_PATCH);return 0;}\n' >"$tmp/sysver.c"
  sysver=unknown
  if "$CC" -I"$sysinc" -o "$tmp/sysver" "$tmp/sysver.c" >/dev/null 2>&1; then
    sysver=$("$tmp/sysver")
  fi
  note "cross-checking with system libuv $sysver header ($sys_uv_h)"

  # Table entries the system header declares.
  "$PYTHON" "$gen" probe-table "$table" '<uv.h>' "$tmp/tprobe"
  run_probes "$tmp/tprobe" -I"$sysinc" >"$tmp/sys_keys"
  ntable=$(wc -l <"$tmp/table")
  nsys=$(wc -l <"$tmp/sys_keys")
  if [ "$nsys" -eq 0 ]; then
    fail "system header: no table entry compiles (broken probe setup?)"
  else
    skipped=$((skipped + ntable - nsys))
    cut -d' ' -f1,2 "$tmp/table" | grep -vxF -f "$tmp/sys_keys" >"$tmp/sys_missing" || true
    if [ -s "$tmp/sys_missing" ]; then
      note "not declared by libuv $sysver, skipped: $(tr '\n' ' ' <"$tmp/sys_missing")"
    fi
    "$PYTHON" "$gen" table "$table" '<uv.h>' "$tmp/sys_keys" >"$tmp/sys_layout.c"
    if build_run "system layout program" "$tmp/sys_layout.c" "$tmp/sys.txt" -I"$sysinc"; then
      check_against "libuv $sysver layout" "$tmp/ours.txt" "$tmp/sys.txt" "${known_sys_diffs[@]}"
    fi
  fi

  # Constants the system header defines.
  if [ -s "$tmp/ours_consts.txt" ]; then
    "$PYTHON" "$gen" probe-consts '<uv.h>' "$tmp/cprobe"
    run_probes "$tmp/cprobe" -I"$sysinc" >"$tmp/sys_names"
    nconst=$("$PYTHON" "$gen" const-names | wc -l)
    nsysc=$(wc -l <"$tmp/sys_names")
    skipped=$((skipped + nconst - nsysc))
    "$PYTHON" "$gen" const-names | grep -vxF -f "$tmp/sys_names" >"$tmp/sys_cmissing" || true
    if [ -s "$tmp/sys_cmissing" ] && [ "$verbose" = 1 ]; then
      note "constants not in libuv $sysver, skipped: $(tr '\n' ' ' <"$tmp/sys_cmissing")"
    fi
    "$PYTHON" "$gen" consts '<uv.h>' "$tmp/sys_names" >"$tmp/sys_consts.c"
    if build_run "system constants program" "$tmp/sys_consts.c" "$tmp/sys_consts.txt" -I"$sysinc"; then
      check_against "libuv $sysver constants" "$tmp/ours_consts.txt" "$tmp/sys_consts.txt"
    fi
  fi
fi

# ---------------------------------------------------------------------------
# 4. Optional: a real libuv 1.52 header
# ---------------------------------------------------------------------------
if [ -n "$ref_inc" ]; then
  if [ ! -r "$ref_inc/uv.h" ]; then
    fail "RSUV_ABI_REF_INCLUDE=$ref_inc has no uv.h"
  else
    note "comparing with reference header in $ref_inc"
    if build_run "reference layout program" "$tmp/layout.c" "$tmp/ref.txt" -I"$ref_inc"; then
      compare_lines "reference layout" "$tmp/table" "$tmp/ref.txt"
    fi
    if build_run "reference constants program" "$tmp/consts.c" "$tmp/ref_consts.txt" -I"$ref_inc"; then
      compare_lines "reference constants" "$tmp/ref_consts.txt" "$tmp/ours_consts.txt"
    fi
    # Prototypes, with every parameter type spelled out by the compiler.
    printf '#include <uv.h>\n' >"$tmp/aux.c"
    if "$CC" -I"$inc" -aux-info "$tmp/ours.aux" -c "$tmp/aux.c" -o "$tmp/aux1.o" 2>/dev/null &&
       "$CC" -I"$ref_inc" -aux-info "$tmp/ref.aux" -c "$tmp/aux.c" -o "$tmp/aux2.o" 2>/dev/null; then
      for w in ours ref; do
        grep -o 'extern [^;]* uv_[a-z0-9_]* ([^;]*;' "$tmp/$w.aux" | sort -u >"$tmp/$w.protos"
      done
      if cmp -s "$tmp/ours.protos" "$tmp/ref.protos"; then
        pass
      else
        fail "prototypes differ from the reference (< ours, > reference):"
        diff "$tmp/ours.protos" "$tmp/ref.protos" | grep '^[<>]' | sed 's/^/    /'
      fi
    else
      note "compiler has no -aux-info; reference prototype comparison skipped"
    fi
  fi
fi

[ "$skipped" -gt 0 ] && note "$skipped entries skipped (not declared by the system header)"
echo "abi: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
