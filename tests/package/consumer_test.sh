#!/usr/bin/env bash
# Installs this build into a scratch prefix and checks it as a user gets it:
# no detail/ header installed, every installed header compiles from the
# installed tree with only what `pkg-config dxhub` gives, and an outside
# project (tests/package/consumer: a node, a channel, a service) configures
# with find_package(dxhub), builds, runs and gets the expected answers; the
# same program built with pkg-config's flags runs too.
set -euo pipefail
build=${1:?build dir}; source=${2:?source dir}
scratch=$(mktemp -d /tmp/dxhub-package.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
prefix=$scratch/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null

# Public is public: the code behind the layers stays behind.
details=$(find "$prefix/include" -type d -name detail)
[[ -z $details ]] || fail "detail/ folders installed: $details"
test -f "$prefix/include/dxhub/runtime/node.hpp" || fail "runtime/node.hpp is not installed"

# The package requires what the installed headers and libraries use, no more.
config=$(find "$prefix" -name dxhubConfig.cmake)
wanted="Boost CAF Threads cereal cppzmq nlohmann_json"
found=$(sed -n 's/^find_dependency(\([A-Za-z_+]*\).*/\1/p' "$config" | sort | tr '\n' ' ' | sed 's/ $//')
[[ $found == "$wanted" ]] || fail "dxhubConfig.cmake finds '$found', wanted '$wanted'"
pc=$(find "$prefix" -name dxhub.pc)
[[ -n $pc ]] || fail "dxhub.pc is not installed"
export PKG_CONFIG_PATH=$(dirname "$pc")
requires=$(pkg-config --print-requires dxhub | awk '{print $1}' | sort | tr '\n' ' ' | sed 's/ $//')
[[ $requires == "cppzmq nlohmann_json" ]] || fail "dxhub.pc requires '$requires'"
cflags=$(pkg-config --cflags dxhub)
libs=$(pkg-config --libs dxhub)
[[ $cflags == *"-I$prefix/"* || $cflags == *"-I$(realpath "$prefix")/"* ]] \
  || fail "dxhub.pc points elsewhere than its prefix: $cflags"

# A sanitizer build installs instrumented libraries: whatever links them
# must be built with the same sanitizers.
sanitize=$(sed -n 's/^DXHUB_SANITIZE:STRING=//p' "$build/CMakeCache.txt")
flags=()
extra=()
if [[ -n $sanitize ]]; then
  flags=(-DCMAKE_CXX_FLAGS="-fsanitize=$sanitize" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$sanitize")
  extra=(-fsanitize="$sanitize")
fi

# Every installed header, all in one translation unit, from the installed
# tree alone: a header that included one not installed would fail here.
(cd "$prefix/include" && find dxhub -name '*.hpp' | sort | sed 's/.*/#include <&>/') \
  >"$scratch/all_headers.cpp"
echo "int main() { return 0; }" >>"$scratch/all_headers.cpp"
echo "installed headers: $(grep -c '^#include' "$scratch/all_headers.cpp")"
# shellcheck disable=SC2086 # pkg-config's flags are words
c++ "${extra[@]}" -fsyntax-only $cflags "$scratch/all_headers.cpp" \
  >"$scratch/headers.log" 2>&1 || { head -30 "$scratch/headers.log"; fail "installed headers"; }

cmake -S "$source/tests/package/consumer" -B "$scratch/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" "${flags[@]}" >"$scratch/cmake.log" 2>&1 \
  || { cat "$scratch/cmake.log"; fail "find_package(dxhub)"; }
cmake --build "$scratch/build" >"$scratch/build.log" 2>&1 || { tail -30 "$scratch/build.log"; fail "build"; }
timeout 60 "$scratch/build/consumer" || fail "the consumer (find_package) exited $?"

# The same program with pkg-config's flags only.
# shellcheck disable=SC2086
c++ "${extra[@]}" -o "$scratch/consumer-pc" "$source/tests/package/consumer/main.cpp" $cflags $libs \
  -Wl,-rpath,"$(pkg-config --variable=libdir dxhub)" >"$scratch/pc.log" 2>&1 \
  || { tail -30 "$scratch/pc.log"; fail "build with pkg-config dxhub"; }
timeout 60 "$scratch/consumer-pc" || fail "the consumer (pkg-config) exited $?"
echo "package: passed"
