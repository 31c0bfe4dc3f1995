#!/usr/bin/env bash
# Builds rsuv, installs it as libuv under build/prefix, builds an example
# with pkg-config exactly as against libuv, and runs it on our libuv.so.1.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install.sh build/prefix
export PKG_CONFIG_PATH="$root/build/prefix/lib/pkgconfig"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
example=${1:-examples/timers.c}
cc -O2 -Wall -o "$out/example" "$example" $(pkg-config --cflags --libs libuv) -lpthread
echo "built $example against $(pkg-config --modversion libuv) from $(pkg-config --variable=libdir libuv)"
LD_LIBRARY_PATH="$root/build/prefix/lib" "$out/example"
