#!/usr/bin/env bash
# Installs rsuv as a libuv drop-in under PREFIX (default /usr/local):
#   PREFIX/lib/libuv.so.1 (+ libuv.so link), PREFIX/lib/libuv.a,
#   PREFIX/include/uv.h + uv/*.h, PREFIX/lib/pkgconfig/libuv.pc.
# Builds the release library first unless RSUV_NO_BUILD=1; RSUV_BUILT_DIR
# names another directory holding libuv.so and libuv.a (e.g. the ASan
# build of scripts/test-asan.sh), which is then installed unbuilt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-/usr/local}
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
built=${RSUV_BUILT_DIR:-}
if [ -z "$built" ] && [ "${RSUV_NO_BUILD:-0}" != 1 ]; then
  (cd "$root" && cargo build --release --quiet -p rsuv-capi)
fi
built=${built:-$root/target/release}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
install -d "$prefix/lib/pkgconfig" "$prefix/include/uv"
install -m 0755 "$built/libuv.so" "$prefix/lib/libuv.so.$version"
ln -sf "libuv.so.$version" "$prefix/lib/libuv.so.1"
ln -sf "libuv.so.1" "$prefix/lib/libuv.so"
install -m 0644 "$built/libuv.a" "$prefix/lib/libuv.a"
install -m 0644 "$root/include/uv.h" "$prefix/include/uv.h"
install -m 0644 "$root"/include/uv/*.h "$prefix/include/uv/"
sed -e "s|@prefix@|$prefix|g" -e "s|@version@|$version|g" \
  "$root/scripts/libuv.pc.in" > "$prefix/lib/pkgconfig/libuv.pc"
