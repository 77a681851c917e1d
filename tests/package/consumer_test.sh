#!/usr/bin/env bash
# Installs this build into a scratch prefix, then configures, builds and runs
# an outside project against it with find_package(dxhub).
set -euo pipefail
build=${1:?build dir}; source=${2:?source dir}
scratch=$(mktemp -d /tmp/dxhub-package.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
cmake -S "$source/tests/package/consumer" -B "$scratch/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/build" >/dev/null
"$scratch/build/consumer"
test -f "$scratch/prefix/lib/pkgconfig/dxhub.pc" || test -f "$scratch"/prefix/lib/*/pkgconfig/dxhub.pc
PKG_CONFIG_PATH=$(dirname "$(find "$scratch/prefix" -name dxhub.pc)") pkg-config --cflags --libs dxhub
