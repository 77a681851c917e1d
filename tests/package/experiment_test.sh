#!/usr/bin/env bash
# Issue: "your own experiment under `dxhub run`". As a user would, from the
# installed package only (not the build tree): build examples/experiment (a
# stage and a scan controller) as an actor plugin with find_package(dxhub)
# and dxhub_add_actor_plugin, deploy it with the installed `dxhub run` next to
# the stock camera and audit logger nodes, wait for the scan to complete,
# check its result events in the audit log, and drive the stage from the
# shell (a deferred reply; a misspelt and a missing argument refused by name).
set -euo pipefail
build=${1:?build dir}; source=${2:?source dir}
scratch=$(mktemp -d /tmp/dxhub-experiment.XXXXXX)
run_pid=""
cleanup() {
  if [[ -n $run_pid ]] && kill -0 "$run_pid" 2>/dev/null; then
    kill -TERM "$run_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$run_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
  rm -f /dev/shm/dxhub.myexp.* 2>/dev/null || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- dxhub run's log:" >&2; cat "$scratch/run.log" >&2 || true; exit 1; }

prefix=$scratch/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
test -x "$prefix/bin/dxhub" || fail "dxhub is not installed"
test -x "$prefix/bin/dxhub-node" || fail "dxhub-node is not installed"
test -f "$prefix/include/dxhub/apps/node_main.hpp" || fail "apps/node_main.hpp is not installed"
test -f "$prefix/include/dxhub/runtime/actor_plugin.hpp" || fail "runtime/actor_plugin.hpp is not installed"

# The user's project: a copy of the example, built against the prefix.
sanitize=$(sed -n 's/^DXHUB_SANITIZE:STRING=//p' "$build/CMakeCache.txt")
flags=()
if [[ -n $sanitize ]]; then
  flags=(-DCMAKE_CXX_FLAGS="-fsanitize=$sanitize" -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=$sanitize")
fi
cp -r "$source/examples/experiment" "$scratch/myexp"
rm -rf "$scratch/myexp/build"
cmake -S "$scratch/myexp" -B "$scratch/myexp/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  "${flags[@]}" >"$scratch/cmake.log" 2>&1 || { cat "$scratch/cmake.log"; fail "configure"; }
cmake --build "$scratch/myexp/build" >"$scratch/build.log" 2>&1 || { tail -30 "$scratch/build.log"; fail "build"; }
test -f "$scratch/myexp/build/libmyexp_actors.so" || fail "no plugin built"

# dxhub-node lists the plugin's types next to the stock ones.
types=$("$prefix/bin/dxhub-node" --deployment "$scratch/myexp/experiment.toml" --node motion --list-types)
echo "motion node types: $types"
[[ $types == *'"stage"'* && $types == *'"scan"'* && $types == *'"simulated_camera"'* ]] \
  || fail "--list-types: $types"

registry="ipc://$scratch/registry.sock"
export DXHUB_REGISTRY=$registry
mkdir -p "$scratch/work"
"$prefix/bin/dxhub" run "$scratch/myexp/experiment.toml" --registry "$registry" \
  --workdir "$scratch/work" --duration 60 >"$scratch/run.log" 2>&1 &
run_pid=$!

log=$scratch/work/myexp-audit.jsonl
done_line=""
for _ in $(seq 300); do # bounded: 30 s
  kill -0 "$run_pid" 2>/dev/null || fail "dxhub run ended early"
  if [[ -f $log ]]; then
    done_line=$(grep '"target":"scan0/done"' "$log" | head -n 1 || true)
    [[ -n $done_line ]] && break
  fi
  sleep 0.1
done
[[ -n $done_line ]] || fail "the scan did not complete within 30 s"
python3 - "$log" <<'PY'
import json, sys
records = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
done = [r for r in records if r.get("target") == "scan0/done"]
assert done and done[0]["action"] == "done", done
points = done[0]["args"]["points"]
assert [p["pos_mm"] for p in points] == [-4.0, -2.0, 0.0, 2.0, 4.0], points
assert all(p["mean"] > 0 and p["peak"] > 0 for p in points), points
seqs = [p["sequence"] for p in points]
assert seqs == sorted(seqs) and len(set(seqs)) == 5, seqs   # a fresh frame at each point
events = [r for r in records if r.get("target") == "scan0/point"]
assert len(events) == 5, len(events)
moves = [r for r in records if r.get("kind") == "command" and r.get("action") == "move_to"]
assert len(moves) == 5 and not any(m.get("error") for m in moves), moves
print("scan result:", [(p["pos_mm"], round(p["mean"], 1)) for p in points])
PY

# The shell drives the stage: the reply comes when it arrives.
out=$("$prefix/bin/dxhub" send stage move_to --arg pos_mm=7.5 --json --timeout-ms 5000)
echo "move_to: $out"
[[ $out == *'"pos_mm":7.5'* ]] || fail "move_to answered $out"
if typo=$("$prefix/bin/dxhub" send stage move_to --arg pos=5 2>&1); then fail "a misspelt argument was accepted: $typo"; fi
echo "typo: $typo"
[[ $typo == *"unknown argument 'pos'"* && $typo == *'pos_mm'* ]] || fail "typo refusal: $typo"
if missing=$("$prefix/bin/dxhub" send stage move_to 2>&1); then fail "a missing argument was accepted: $missing"; fi
echo "missing: $missing"
[[ $missing == *"missing argument 'pos_mm'"* ]] || fail "missing refusal: $missing"
pos=$("$prefix/bin/dxhub" send stage get_position --json)
[[ $pos == *'"pos_mm":7.5'* ]] || fail "the refused commands moved the stage: $pos"

kill -TERM "$run_pid"
wait "$run_pid" || fail "dxhub run exited $? after SIGTERM"
run_pid=""
echo "experiment from the installed package: passed"
