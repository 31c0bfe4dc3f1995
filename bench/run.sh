#!/usr/bin/env bash
# Builds the C benchmarks in bench/ against Debian's libuv and against rsuv,
# runs them alternately R times and prints a markdown table of medians.
#
#   bench/run.sh [-r N] [--quick] [--libuv-only] [--best] [--keep]
#                [--ref DIR] [BENCH...]
#
#   -r N          runs per library per benchmark (default 5)
#   --quick       R=3 and smaller iteration counts
#   --libuv-only  use Debian's libuv in both columns (validates the harness)
#   --best        report the best (max) run instead of the median
#   --keep        keep the temp dir (binaries + raw logs) and print its path
#   --ref DIR     a second reference: the libuv.so.1 in DIR (or DIR/lib), e.g.
#                 libuv 1.52.1 built in scratch; runs the libuv binaries on it
#                 as a third column and prints both ratios
#   BENCH...      subset of: loop-idle timers async queue-work udp-pummel
#                 tcp-pingpong tcp-pump pipe-pump tcp-pound tcp-conns million-writes
#                 fs-stat fs-open-close fs-seq-io fs-scandir spawn spawn-1g
#
# Environment:
#   RSUV_BENCH_OURS_PREFIX  use an already installed rsuv prefix (lib/libuv.so.1,
#                           include/uv.h) instead of building into build/prefix
#   RSUV_BENCH_LIBUV_LIBDIR run the libuv column on the libuv.so.1 in this
#                           directory (e.g. a libuv 1.52.1 built elsewhere) instead
#                           of the system's; the binaries are the same
#   CC, BENCH_CFLAGS        compiler and flags (default: cc, -O2), same for both
#   BENCH_TIMEOUT           seconds before a single run is killed (default 120)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
benchdir=$root/bench
all_benches=(loop-idle timers async queue-work udp-pummel tcp-pingpong tcp-pump pipe-pump tcp-pound tcp-conns million-writes
             fs-stat fs-open-close fs-seq-io fs-scandir spawn spawn-1g)

runs=5
quick=0
libuv_only=0
keep=0
ref_arg=
stat=median
benches=()
while [ $# -gt 0 ]; do
  case $1 in
    -r) [ $# -ge 2 ] || { echo "-r needs a number" >&2; exit 64; }
        runs=$2; shift 2 ;;
    -r*) runs=${1#-r}; shift ;;
    --quick) quick=1; shift ;;
    --libuv-only) libuv_only=1; shift ;;
    --keep) keep=1; shift ;;
    --best) stat=best; shift ;;
    --ref) [ $# -ge 2 ] || { echo "--ref needs a directory" >&2; exit 64; }
           ref_arg=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    -*) echo "unknown option: $1" >&2; exit 64 ;;
    *) benches+=("$1"); shift ;;
  esac
done
case $runs in ''|*[!0-9]*|0) echo "-r wants a positive integer" >&2; exit 64 ;; esac
[ ${#benches[@]} -gt 0 ] || benches=("${all_benches[@]}")
for b in "${benches[@]}"; do
  [ -f "$benchdir/$b.c" ] || { echo "no such benchmark: $b" >&2; exit 64; }
done

# Iteration counts (argument to each program); empty = program default.
declare -A count=([loop-idle]='' [timers]='' [async]='' [queue-work]='' [udp-pummel]=''
               [tcp-pingpong]='' [tcp-pump]='' [pipe-pump]='' [tcp-pound]='' [tcp-conns]='' [million-writes]=''
               [fs-stat]='' [fs-open-close]='' [fs-seq-io]='' [fs-scandir]='' [spawn]='' [spawn-1g]='')
if [ $quick = 1 ]; then
  [ "$runs" = 5 ] && runs=3
  count=([loop-idle]=1000000 [timers]=200000 [async]=3000 [queue-work]=100000 [udp-pummel]=100000
         [tcp-pingpong]=15000 [tcp-pump]=256 [pipe-pump]=512 [tcp-pound]=5000 [tcp-conns]=100000 [million-writes]=200000
         [fs-stat]=200000 [fs-open-close]=80000 [fs-seq-io]=128 [fs-scandir]=60
         [spawn]=1000 [spawn-1g]=40)
fi

cc=${CC:-cc}
cflags=${BENCH_CFLAGS:--O2}
timeout_s=${BENCH_TIMEOUT:-120}
log() { echo "bench: $*" >&2; }

# --- the two libraries -------------------------------------------------------
sys_cflags=$(pkg-config --cflags libuv)
sys_libs=$(pkg-config --libs libuv)
if [ $libuv_only = 1 ]; then
  ours_prefix=
  log "--libuv-only: Debian's libuv in both columns"
elif [ -n "${RSUV_BENCH_OURS_PREFIX:-}" ]; then
  ours_prefix=$(cd "$RSUV_BENCH_OURS_PREFIX" && pwd)
  log "rsuv from RSUV_BENCH_OURS_PREFIX=$ours_prefix"
else
  log "building rsuv and installing into build/prefix"
  "$root/scripts/install.sh" "$root/build/prefix" >&2
  ours_prefix=$root/build/prefix
fi
if [ -n "$ours_prefix" ]; then
  for f in include/uv.h lib/libuv.so.1; do
    [ -e "$ours_prefix/$f" ] || { echo "missing $ours_prefix/$f" >&2; exit 1; }
  done
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rsuv-bench.XXXXXX")
if [ $keep = 1 ]; then
  trap 'log "kept $tmp"' EXIT
else
  trap 'rm -rf "$tmp"' EXIT
fi
mkdir -p "$tmp/libuv" "$tmp/rsuv" "$tmp/log"

# Snapshot rsuv (library + headers) so that a concurrent reinstall into the
# same prefix cannot change the library under a running comparison.
if [ -n "$ours_prefix" ]; then
  mkdir -p "$tmp/ours/lib" "$tmp/ours/include"
  cp -L "$ours_prefix/lib/libuv.so.1" "$tmp/ours/lib/libuv.so.1"
  ln -s libuv.so.1 "$tmp/ours/lib/libuv.so"
  cp -RL "$ours_prefix/include/." "$tmp/ours/include/"
  log "rsuv snapshot: $ours_prefix/lib/libuv.so.1 sha256 $(sha256sum < "$tmp/ours/lib/libuv.so.1" | cut -c1-12)"
  ours_src=$ours_prefix
  ours_prefix=$tmp/ours
fi

# --- build -------------------------------------------------------------------
for b in "${benches[@]}"; do
  # shellcheck disable=SC2086
  $cc $cflags -o "$tmp/libuv/$b" "$benchdir/$b.c" $sys_cflags $sys_libs
  if [ -n "$ours_prefix" ]; then
    # shellcheck disable=SC2086
    $cc $cflags -I "$ours_prefix/include" -o "$tmp/rsuv/$b" "$benchdir/$b.c" \
      -L "$ours_prefix/lib" -luv -lpthread
  else
    cp "$tmp/libuv/$b" "$tmp/rsuv/$b"
  fi
done

# Environment for each column; make sure the rsuv binaries really load ours.
libuv_env=(env -u LD_LIBRARY_PATH -u LD_PRELOAD)
libuv_desc=system
if [ -n "${RSUV_BENCH_LIBUV_LIBDIR:-}" ]; then
  libuv_dir=$(cd "$RSUV_BENCH_LIBUV_LIBDIR" && pwd)
  [ -e "$libuv_dir/libuv.so.1" ] || { echo "no libuv.so.1 in $libuv_dir" >&2; exit 1; }
  libuv_env=(env -u LD_PRELOAD "LD_LIBRARY_PATH=$libuv_dir")
  libuv_desc=$libuv_dir
fi
libs=(libuv rsuv)
ref_desc=
if [ -n "$ref_arg" ]; then
  ref_dir=$(cd "$ref_arg" && pwd)
  [ -e "$ref_dir/libuv.so.1" ] || ref_dir=$ref_dir/lib
  [ -e "$ref_dir/libuv.so.1" ] || { echo "no libuv.so.1 in $ref_arg or $ref_arg/lib" >&2; exit 1; }
  ref_env=(env -u LD_PRELOAD "LD_LIBRARY_PATH=$ref_dir")
  ref_desc=$ref_dir
  libs=(libuv ref rsuv)
  mkdir -p "$tmp/ref"
  for b in "${benches[@]}"; do cp "$tmp/libuv/$b" "$tmp/ref/$b"; done
fi
if [ -n "$ours_prefix" ]; then
  rsuv_env=(env -u LD_PRELOAD "LD_LIBRARY_PATH=$ours_prefix/lib")
  resolved=$("${rsuv_env[@]}" ldd "$tmp/rsuv/${benches[0]}" | awk '/libuv\.so/ {print $3}')
  case $resolved in
    "$ours_prefix"/lib/*) ;;
    *) echo "rsuv binary resolves libuv to '$resolved', not $ours_prefix/lib" >&2; exit 1 ;;
  esac
else
  rsuv_env=("${libuv_env[@]}")
fi

# --- run ---------------------------------------------------------------------
if command -v timeout >/dev/null; then tmo=(timeout "$timeout_s"); else tmo=(); fi
results=$tmp/results   # lines: <lib> <bench> <figure> <value|FAIL>
: > "$results"
failed=0

run_one() { # lib bench round
  local lib=$1 b=$2 r=$3 out=$tmp/log/$1.$2.$3 rc=0 envv
  case $lib in
    libuv) envv=("${libuv_env[@]}") ;;
    ref) envv=("${ref_env[@]}") ;;
    *) envv=("${rsuv_env[@]}") ;;
  esac
  # shellcheck disable=SC2086
  "${envv[@]}" "${tmo[@]}" "$tmp/$lib/$b" ${count[$b]} > "$out.out" 2> "$out.err" || rc=$?
  if [ $rc != 0 ]; then
    failed=1
    if [ $rc = 124 ] && [ ${#tmo[@]} -gt 0 ]; then
      log "FAIL: $lib $b (round $r) timed out after ${timeout_s}s; stderr:"
    else
      log "FAIL: $lib $b (round $r) exited with $rc; stderr:"
    fi
    sed 's/^/    /' "$out.err" >&2
    echo "$lib $b * FAIL" >> "$results"
    return
  fi
  awk -v lib="$lib" 'NF == 3 && $3 ~ /^[0-9.]+$/ {print lib, $1, $2, $3; n++}
                     END {exit n == 0}' "$out.out" >> "$results" || {
    failed=1; log "FAIL: $lib $b (round $r) printed no figures"
    echo "$lib $b * FAIL" >> "$results"; }
}

for ((r = 1; r <= runs; r++)); do
  for b in "${benches[@]}"; do
    log "round $r/$runs: $b"
    # Alternate which library goes first to spread machine noise.
    if ((r % 2)); then order=("${libs[@]}"); else order=(); for ((i = ${#libs[@]} - 1; i >= 0; i--)); do order+=("${libs[i]}"); done; fi
    for lib in "${order[@]}"; do run_one "$lib" "$b" "$r"; done
  done
done

# --- report ------------------------------------------------------------------
version_of() { # lib -> version reported by uv_version_string()
  cat "$tmp"/log/"$1".*.err 2>/dev/null | sed -n 's/.*(libuv \(.*\))$/\1/p' | head -n 1
}
ours_desc=${ours_src:-"Debian libuv (--libuv-only)"}
echo
refs="libuv $(version_of libuv) ($libuv_desc)"
[ -z "$ref_desc" ] || refs="$refs and ref: libuv $(version_of ref) ($ref_desc)"
echo "$refs vs rsuv $(version_of rsuv) ($ours_desc); $stat of $runs runs, $(nproc) CPUs, load avg $(cut -d" " -f1-3 /proc/loadavg 2>/dev/null)"
echo
python3 - "$results" "$stat" "${#libs[@]}" "${benches[@]}" <<'EOF'
import sys, statistics
path, stat, nlibs, order = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
libs = ("libuv", "ref", "rsuv") if nlibs == 3 else ("libuv", "rsuv")
pick = max if stat == "best" else statistics.median
vals, figs, fails = {}, {}, set()
for line in open(path):
    lib, bench, fig, v = line.split()
    if v == "FAIL":
        fails.add((lib, bench))
        continue
    figs.setdefault(bench, [])
    if fig not in figs[bench]:
        figs[bench].append(fig)
    vals.setdefault((lib, bench, fig), []).append(float(v))
def fmt(x):
    return f"{x:,.0f}"
head = ["benchmark", "figure"] + list(libs) + ["rsuv/libuv"] + (["rsuv/ref"] if "ref" in libs else [])
print("| " + " | ".join(head) + " |")
print("|---|---|" + "---:|" * (len(head) - 2))
for bench in order:
    for fig in figs.get(bench, ["*"]):
        cell = {}
        for lib in libs:
            xs = vals.get((lib, bench, fig))
            cell[lib] = None if (lib, bench) in fails or not xs else pick(xs)
        row = [bench, fig] + [fmt(cell[l]) if cell[l] is not None else "FAIL" for l in libs]
        for ref in ("libuv", "ref"):
            if ref in libs:
                a, b = cell[ref], cell["rsuv"]
                row.append(f"{b / a:.2f}x" if a and b else "-")
        print("| " + " | ".join(row) + " |")
EOF
exit $failed
