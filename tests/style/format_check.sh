#!/usr/bin/env bash
# Every C++ source of the project is clang-format clean (config: .clang-format).
set -euo pipefail
cd "${1:?source dir}"
mapfile -t files < <(find schemas launch transports runtime actors apps python examples tests benchmarks \
  \( -name '*.hpp' -o -name '*.cpp' \) -not -path '*/corpus/*' 2>/dev/null | sort)
echo "checking ${#files[@]} files"
clang-format --dry-run -Werror "${files[@]}"
