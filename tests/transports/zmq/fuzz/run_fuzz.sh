#!/bin/sh
# Builds the fuzz targets with clang (a tree of their own) and runs each for a
# bounded time over a copy of the seed corpus kept in the repository.
#   run_fuzz.sh SOURCE_DIR BUILD_DIR SECONDS
set -eu
src="$1/tests/transports/zmq/fuzz"
build="$2/fuzz-tree"
seconds="$3"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build.configure.log" 2>&1 \
  || { cat "$build.configure.log"; exit 1; }
ninja -C "$build" -j2 fuzz_envelope fuzz_payload fuzz_frame_message fuzz_registry
work=$(mktemp -d /tmp/dxhub-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
status=0
for target in envelope payload frame_message registry; do
  mkdir -p "$work/$target"
  cp "$src/corpus/$target"/* "$work/$target/"
  echo "== fuzz_$target for $seconds s"
  # -timeout: any single input taking 5 s is a failure; leaks are reported by ASan.
  if ! "$build/fuzz_$target" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$work/$target-" "$work/$target" 2>"$work/$target.log"; then
    tail -n 60 "$work/$target.log"
    echo "fuzz_$target FAILED"
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done" "$work/$target.log" || true
    echo "fuzz_$target passed"
  fi
done
exit $status
