#!/usr/bin/env bash
# Installs this build into a scratch prefix, then configures, builds and runs
# an outside project against it with find_package(dxhub).
set -euo pipefail
build=${1:?build dir}; source=${2:?source dir}
scratch=$(mktemp -d /tmp/dxhub-package.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
# A sanitizer build installs instrumented static libraries: the consumer
# must be built with the same sanitizers to link them.
sanitize=$(sed -n 's/^DXHUB_SANITIZE:STRING=//p' "$build/CMakeCache.txt")
flags=()
if [[ -n $sanitize ]]; then
  flags=(-DCMAKE_CXX_FLAGS="-fsanitize=$sanitize" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$sanitize")
fi
cmake -S "$source/tests/package/consumer" -B "$scratch/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" "${flags[@]}" >/dev/null
cmake --build "$scratch/build" >"$scratch/build.log" 2>&1 || { tail -20 "$scratch/build.log"; exit 1; }
"$scratch/build/consumer"
test -f "$scratch/prefix/lib/pkgconfig/dxhub.pc" || test -f "$scratch"/prefix/lib/*/pkgconfig/dxhub.pc
PKG_CONFIG_PATH=$(dirname "$(find "$scratch/prefix" -name dxhub.pc)") pkg-config --cflags --libs dxhub
