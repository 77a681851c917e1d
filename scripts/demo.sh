#!/usr/bin/env bash
# README command (1): installs what is missing, builds, and runs the main demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
cmake -S . -B build -G Ninja >/dev/null
cmake --build build -j "$(nproc)" --target dxhub_first_actors
exec ./build/examples/dxhub_first_actors
