#!/usr/bin/env bash
# Runs real programs that link libuv.so.1, Debian's builds, on Debian's libuv
# and on rsuv: Node.js 18 (nodejs + libnode108), python3-uvloop, lua-luv
# under lua5.1, and Neovim driven through vim.uv / vim.loop. Each runs its
# workload from tests/clients/ (timers, files and fs watching, child
# processes with pipes, TCP/UDP/Unix sockets on loopback, resolving
# localhost, SIGUSR1/SIGUSR2, thread-pool work; in Node also worker_threads
# and fork() with IPC messages and handle passing).
#
# Usage: scripts/test-clients.sh [--skip-install] [--lib libuv|rsuv|all]
#                                [--user NAME] [--timeout SECS] [-v] [CLIENT...]
#
#   CLIENT          node, uvloop, luv or nvim (default: all four)
#   --skip-install  do not run scripts/install.sh build/prefix first
#   --lib L         libuv: Debian's library only; rsuv: ours only; all (default)
#   --user NAME     run the workloads as NAME (setpriv; needs root), e.g. uvtest
#   --timeout S     time limit of one workload run (default 60)
#   -v              also show the output of passing runs
#
# Missing packages are installed with apt-get (as root). Debian's node is
# used from /usr/bin when it is Debian's; otherwise (e.g. another nodejs is
# installed) Debian's nodejs and libnode108 are unpacked under build/clients/
# and their shared-library dependencies installed, leaving the system's node
# alone. Every program is checked (ldd) to load libuv.so.1 dynamically.
#
# A run on rsuv puts build/prefix/lib first on LD_LIBRARY_PATH. Each
# workload prints the libuv.so it has mapped (from /proc/self/maps) and the
# run passes only if that is the expected file, and only one. Temp files go
# to a directory under /tmp, removed afterwards.
#
# Prints `PASS|FAIL|XFAIL <client> <library>` per run (with the failing
# checks' output), then `clients: N passed, N failed`. Exits non-zero if a
# run failed other than by the expected failures listed in XFAIL below.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
prefix="$root/build/prefix"
skip_install=0
libs="libuv rsuv"
run_user=""
timeout_s=60
verbose=0
clients=()

# Expected failures: "<client> <library> <check> <issue it waits for>".
# Only for a check that needs something not built yet. A check that fails
# on rsuv but passes on Debian's libuv is an rsuv bug and is never listed.
XFAIL=(
)

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "test-clients: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --lib|--user|--timeout) [ $# -ge 2 ] || die "$1 needs a value" ;;
  esac
  case "$1" in
    --skip-install) skip_install=1; shift ;;
    --lib) case "$2" in libuv|rsuv) libs=$2 ;; all) libs="libuv rsuv" ;; *) die "bad --lib '$2'" ;; esac; shift 2 ;;
    --user) run_user=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    -v) verbose=1; shift ;;
    -h|--help) usage; exit 0 ;;
    node|uvloop|luv|nvim) clients+=("$1"); shift ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
[ ${#clients[@]} -gt 0 ] || clients=(node uvloop luv nvim)
if [ -n "$run_user" ]; then
  [ "$(id -u)" = 0 ] || die "--user needs root"
  id "$run_user" >/dev/null 2>&1 || die "no user '$run_user'"
fi

work=$(mktemp -d /tmp/rsuv-clients.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

# ------------------------------------------------------------- packages
apt_updated=0
apt_install() {
  [ $# -gt 0 ] || return 0
  [ "$(id -u)" = 0 ] || die "missing packages (install them as root): $*"
  export DEBIAN_FRONTEND=noninteractive
  if [ $apt_updated = 0 ]; then
    apt-get update -qq >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; die "apt-get update failed"; }
    apt_updated=1
  fi
  echo "== apt-get install $*"
  apt-get install -y -qq --no-install-recommends "$@" >>"$work/apt.log" 2>&1 \
    || { cat "$work/apt.log" >&2; die "apt-get install $* failed"; }
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

need=()
for c in "${clients[@]}"; do
  case $c in
    uvloop) installed python3-uvloop || need+=(python3-uvloop) ;;
    luv) installed lua5.1 || need+=(lua5.1); installed lua-luv || need+=(lua-luv) ;;
    nvim) installed neovim || need+=(neovim) ;;
  esac
done
apt_install "${need[@]}"

# Prints the path that `ldd FILE` resolves libuv.so.1 to, or nothing.
libuv_dep() { ldd "$1" 2>/dev/null | awk '$1 == "libuv.so.1" && $3 ~ /^\// { print $3 }'; }

node_bin="" node_lib=""
setup_node() {
  local sys
  sys=$(command -v node || true)
  if [ -n "$sys" ] && ldd "$sys" 2>/dev/null | grep -q 'libnode\.so\.108 => /'; then
    node_bin=$sys
    node_lib=$(ldd "$sys" | awk '$1 == "libnode.so.108" { print $3 }')
    return
  fi
  # Another node (e.g. one bundling its own libuv) is installed: unpack
  # Debian's nodejs and libnode108 privately.
  local dir="$root/build/clients/debian-node" ver
  if [ ! -x "$dir/usr/bin/node" ]; then
    [ "$(id -u)" = 0 ] || die "Debian's node is not unpacked in $dir: run as root once"
    if [ $apt_updated = 0 ]; then apt-get update -qq >"$work/apt.log" 2>&1; apt_updated=1; fi
    ver=$(apt-cache policy libnode108 | awk '/Candidate:/ { print $2 }')
    [ -n "$ver" ] && [ "$ver" != "(none)" ] || die "apt knows no libnode108"
    echo "== unpacking Debian's nodejs $ver under build/clients/debian-node"
    mkdir -p "$work/debs" && (cd "$work/debs" &&
      apt-get -o APT::Sandbox::User=root download "nodejs=$ver" "libnode108=$ver" >>"$work/apt.log" 2>&1) \
      || { cat "$work/apt.log" >&2; die "apt-get download nodejs libnode108 failed"; }
    rm -rf "$dir.new" && mkdir -p "$dir.new"
    for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$dir.new"; done
    # libnode108's shared-library dependencies are installed; its node-*
    # JS modules (which Debian's node loads from /usr/share/nodejs, e.g.
    # cjs-module-lexer) are unpacked beside it, as installing them would
    # pull in Debian's nodejs over the machine's own.
    local deps=() mods=() d
    for d in $(dpkg-deb -f "$work"/debs/libnode108_*.deb Depends | tr ',' '\n' | sed 's/[(|].*//'); do
      case $d in node-*) mods+=("$d") ;; *) installed "$d" || deps+=("$d") ;; esac
    done
    apt_install "${deps[@]}"
    if [ ${#mods[@]} -gt 0 ]; then
      (cd "$work/debs" && apt-get -o APT::Sandbox::User=root download "${mods[@]}" >>"$work/apt.log" 2>&1) \
        || { cat "$work/apt.log" >&2; die "apt-get download ${mods[*]} failed"; }
      for d in "${mods[@]}"; do dpkg-deb -x "$work"/debs/"${d}"_*.deb "$dir.new"; done
    fi
    rm -rf "$dir" && mv "$dir.new" "$dir"
  fi
  # Debian's node looks for its JS modules at /usr/share/nodejs only.
  if [ ! -e /usr/share/nodejs ] && [ -d "$dir/usr/share/nodejs" ] && [ "$(id -u)" = 0 ]; then
    ln -s "$dir/usr/share/nodejs" /usr/share/nodejs
  fi
  node_bin="$dir/usr/bin/node"
  node_lib=$(dirname "$(find "$dir/usr/lib" -name libnode.so.108 | head -n 1)")/libnode.so.108
}

# ------------------------------------------------------------- programs
# Sets argv to the command line of client $1's workload.
set_argv() {
  local w="$root/tests/clients"
  case $1 in
    node) argv=("$node_bin" "$w/node-workload.js") ;;
    uvloop) argv=(/usr/bin/python3 "$w/uvloop-workload.py") ;;
    luv) argv=(lua5.1 "$w/luv-workload.lua") ;;
    nvim) argv=(nvim --headless -u NONE -i NONE -n --cmd "luafile $w/nvim-workload.lua") ;;
  esac
}

declare -A libdep
setup_fail=0
for c in "${clients[@]}"; do
  case $c in
    node)
      setup_node
      libdep[node]=$(libuv_dep "$node_lib")
      if ! LD_LIBRARY_PATH=$(dirname "$node_lib") ldd "$node_bin" | grep -q "libnode.so.108 => $node_lib"; then
        echo "FAIL node setup: $node_bin does not load $node_lib"; setup_fail=1
      fi ;;
    uvloop) libdep[uvloop]=$(libuv_dep "$(ls /usr/lib/python3/dist-packages/uvloop/loop.*.so | head -n 1)") ;;
    luv) libdep[luv]=$(libuv_dep "$(dpkg -L lua-luv | grep '/lua/5\.1/luv\.so$' | head -n 1)") ;;
    nvim) libdep[nvim]=$(libuv_dep "$(command -v nvim)") ;;
  esac
  if [ -z "${libdep[$c]}" ]; then
    echo "FAIL $c setup: its program does not link libuv.so.1 dynamically"
    setup_fail=1
  fi
done
[ $setup_fail = 0 ] || exit 1

rsuv_libuv=""
if [[ " $libs " == *" rsuv "* ]]; then
  if [ $skip_install = 0 ]; then
    echo "== scripts/install.sh build/prefix"
    "$root/scripts/install.sh" "$prefix" || die "scripts/install.sh failed"
  fi
  [ -e "$prefix/lib/libuv.so.1" ] || die "no $prefix/lib/libuv.so.1 (run scripts/install.sh build/prefix)"
  rsuv_libuv=$(realpath "$prefix/lib/libuv.so.1")
fi

echo "== client workloads${run_user:+ as user $run_user}"
for c in "${clients[@]}"; do
  echo "   $c links ${libdep[$c]}"
done

# ------------------------------------------------------------- runs
passed=0 failed=0 xfailed=0
summary=()
for c in "${clients[@]}"; do
  set_argv "$c"
  for lib in $libs; do
    run="$work/$c-$lib"
    mkdir -p "$run/tmp" "$run/xdg"
    ldpath=""
    [ "$c" != node ] || ldpath=$(dirname "$node_lib")
    if [ "$lib" = rsuv ]; then
      ldpath="$prefix/lib${ldpath:+:$ldpath}"
      want=$rsuv_libuv
    else
      want=$(realpath "${libdep[$c]}")
    fi
    as=()
    home=$HOME
    if [ -n "$run_user" ]; then
      chown -R "$run_user:" "$run"
      as=(setpriv --reuid="$run_user" --regid="$run_user" --init-groups)
      home=$(getent passwd "$run_user" | cut -d: -f6)
    fi
    t0=$(date +%s%N)
    (cd "$run" && exec timeout -k 5 "$timeout_s" "${as[@]}" env \
        HOME="$home" TMPDIR="$run/tmp" XDG_CONFIG_HOME="$run/xdg" XDG_DATA_HOME="$run/xdg" \
        XDG_STATE_HOME="$run/xdg" XDG_CACHE_HOME="$run/xdg" XDG_RUNTIME_DIR="$run/xdg" \
        LD_LIBRARY_PATH="$ldpath" "${argv[@]}") </dev/null >"$run/out" 2>"$run/err"
    rc=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    problems=()
    mapped=$(sed -n 's/^LIBUV //p' "$run/out" | sort -u)
    if [ -z "$mapped" ]; then
      problems+=("no LIBUV line: the workload did not report the libuv it mapped")
    elif [ "$(printf '%s\n' "$mapped" | wc -l)" != 1 ]; then
      problems+=("more than one libuv mapped: $(echo $mapped)")
    elif [ "$(realpath "$mapped")" != "$want" ]; then
      problems+=("mapped $mapped, expected $want")
    fi
    result=$(grep -E '^RESULT [0-9]+ ok, [0-9]+ failed' "$run/out" | tail -n 1)
    [ -n "$result" ] || problems+=("no RESULT line (crashed or timed out?)")
    if [ $rc = 124 ] || [ $rc = 137 ]; then problems+=("timed out after ${timeout_s}s"); fi
    unexpected=() expected=()
    for f in $(sed -n 's/^FAIL \([^: ]*\).*/\1/p' "$run/out"); do
      hit=""
      for x in "${XFAIL[@]}"; do
        read -r xc xl xn xissue <<<"$x"
        if [ "$xc" = "$c" ] && [ "$xl" = "$lib" ] && [ "$xn" = "$f" ]; then hit=$xissue; fi
      done
      if [ -n "$hit" ]; then expected+=("$f ($hit)"); else unexpected+=("$f"); fi
    done
    if [ $rc != 0 ] && [ ${#problems[@]} -eq 0 ] && [ ${#unexpected[@]} -eq 0 ] && [ ${#expected[@]} -eq 0 ]; then
      problems+=("exit status $rc")
    fi
    if [ ${#problems[@]} -gt 0 ] || [ ${#unexpected[@]} -gt 0 ]; then
      status=FAIL; failed=$((failed + 1))
    elif [ ${#expected[@]} -gt 0 ]; then
      status=XFAIL; xfailed=$((xfailed + 1))
    else
      status=PASS; passed=$((passed + 1))
    fi
    checks=$(echo "$result" | awk '{ print $2 + $4 }')
    echo "$status $c $lib  (${checks:-?} checks, ${ms} ms, ${mapped:-no libuv reported})"
    note="${unexpected[*]}${problems[*]:+ [${problems[*]}]}${expected[*]:+ expected: ${expected[*]}}"
    summary+=("$(printf '%-5s %-6s %-5s %s' "$status" "$c" "$lib" "$note")")
    for x in "${expected[@]}"; do echo "    expected failure: $x"; done
    if [ $status = FAIL ]; then
      for p in "${problems[@]}"; do echo "    problem: $p"; done
      # The failing checks with their details; all the output if it broke.
      awk '/^FAIL /{p=1; print "    " $0; next} /^    /{if (p) print "    " $0; next} {p=0}' "$run/out"
      [ ${#problems[@]} -eq 0 ] || tail -n 40 "$run/out" | sed 's/^/    | /'
    elif [ $verbose = 1 ]; then
      sed 's/^/    | /' "$run/out"
    fi
    if [ -s "$run/err" ] && { [ $status = FAIL ] || [ $verbose = 1 ]; }; then
      echo "    stderr:"
      tail -n 20 "$run/err" | sed 's/^/    ! /'
    fi
  done
done

echo "== summary"
printf '%s\n' "${summary[@]}"
[ $xfailed = 0 ] || echo "($xfailed runs failed only in expected failures)"
echo "clients: $passed passed, $failed failed"
[ $failed = 0 ]
