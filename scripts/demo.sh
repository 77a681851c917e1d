#!/usr/bin/env bash
# README command (1): installs what is missing, builds, and runs the demo:
# a simulated camera feeding a centroid analysis, a scripted controller, a
# recorder and the audit logger, for about 20 s, with a live status line.
# The camera crashes once on purpose midway; its supervisor restarts it; the
# summary at the end shows the frames before and after, the restarts, the
# command latencies and where the audit log is. The demo's dashboard serves
# all of it as a live page; the script prints its URL (docs/dashboard.md).
#
#   bash scripts/demo.sh                 # 20 s
#   DEMO_SECONDS=40 bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build -j "$(nproc)" --target dxhub dxhub-node
out=build/demo
rm -rf "$out"
mkdir -p "$out"
# The dashboard writes its URL once it serves: shown for a browser, opened by nobody.
(for _ in $(seq 100); do
  if [[ -s $out/dashboard.url ]]; then
    echo "demo: live page at $(cat "$out/dashboard.url")" >&2
    break
  fi
  sleep 0.2
done) &
exec ./build/apps/dxhub run examples/deployments/demo.toml \
  --duration "${DEMO_SECONDS:-20}" --workdir "$out" --progress
