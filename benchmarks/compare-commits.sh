#!/usr/bin/env bash
# Before/after figures of one benchmark program for two commits, measured in
# the same run: both programs are built from clean worktrees with the same
# flags, then run alternately (A B A B ...) so that drift of the machine
# (other load, frequency, cache) hits both alike. Prints, per figure, the
# median of each side over the rounds and the ratio new/old.
#
#   benchmarks/compare-commits.sh [--rounds N] [--program NAME] [--keep]
#                                 OLD NEW [-- program arguments]
#
# Example (issue 18's check: the liveness and bounds checks cost nothing on
# the hot path):
#   benchmarks/compare-commits.sh --rounds 7 950cd49 HEAD -- \
#     --no-baselines --parts lat,thr --sizes 64B,4KiB
set -euo pipefail

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

rounds=5
program=dxhub-bench-shm
keep=0
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --rounds) rounds=$2; shift 2 ;;
    --program) program=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --) break ;;
    -*) echo "compare-commits: unknown option '$1'" >&2; exit 2 ;;
    *) break ;;
  esac
done
[[ $# -ge 2 ]] || { usage >&2; exit 2; }
old_ref=$1 new_ref=$2
shift 2
[[ ${1:-} == -- ]] && shift
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
old=$(git -C "$repo" rev-parse --short "$old_ref")
new=$(git -C "$repo" rev-parse --short "$new_ref")
work=${DXHUB_AB_DIR:-/tmp/dxhub-ab}
mkdir -p "$work"

# Builds $program at commit $1 and prints the path of the binary.
build_at() {
  local sha=$1 src=$work/src-$1 bin=$work/build-$1
  if [[ ! -d $src ]]; then
    git -C "$repo" worktree add --detach -q "$src" "$sha"
  fi
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$src" -B "$bin" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDXHUB_BUILD_TESTS=OFF -DDXHUB_BUILD_BENCHMARKS=ON "${launcher[@]}" >"$bin.configure.log" 2>&1 ||
    { echo "compare-commits: configuring $sha failed, see $bin.configure.log" >&2; return 1; }
  cmake --build "$bin" --target "$program" >"$bin.build.log" 2>&1 ||
    { echo "compare-commits: building $sha failed, see $bin.build.log" >&2; return 1; }
  find "$bin" -name "$program" -type f -perm -u+x | head -n1
}

cleanup() {
  [[ $keep == 1 ]] && return
  for sha in "$old" "$new"; do
    git -C "$repo" worktree remove --force "$work/src-$sha" 2>/dev/null || true
  done
}
trap cleanup EXIT

echo "building $program at $old and $new (in $work) ..." >&2
old_bin=$(build_at "$old")
new_bin=$(build_at "$new")
results=$work/results-$old-$new.tsv
: >"$results"
for ((r = 1; r <= rounds; r++)); do
  for side in old new; do
    bin=$old_bin
    [[ $side == new ]] && bin=$new_bin
    echo "round $r/$rounds: $side" >&2
    "$bin" --results "$@" | awk -v side="$side" -F'\t' '$1 == "RESULT" { print side "\t" $0 }' >>"$results"
  done
done

# RESULT lines: RESULT section bench variant size metric value unit
echo
echo "$program, $rounds alternating rounds each: old $old, new $new (medians)"
awk -F'\t' '
  { key = $3 " " $4 " " $5 " " $6 " " $7; unit[key] = $9
    n[$1, key]++; v[$1, key, n[$1, key]] = $8; keys[key] = 1 }
  function median(side, key,   m, i, j, t, a) {
    m = n[side, key]; if (m == 0) return ""
    for (i = 1; i <= m; i++) a[i] = v[side, key, i]
    for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }
  END {
    printf "%-52s %14s %14s %8s\n", "figure", "old", "new", "new/old"
    for (key in keys) {
      o = median("old", key); w = median("new", key)
      if (o == "" || w == "") continue
      printf "%-52s %14.4g %14.4g %8.3f %s\n", key, o, w, (o != 0 ? w / o : 0), unit[key]
    }
  }' "$results" | sort
echo "raw figures: $results"
