#!/usr/bin/env bash
# Benchmark: the same generated cases through `sightline pattern eval` and the OASIS reference matcher
# (stix2-matcher, STIX 2.1), in one run. Prints both times, the ratio and the agreement of the answers.
#   N=10000 SEED=1 scripts/bench-pattern.sh
# Needs a Python with stix2-matcher: $SIGHTLINE_PYTHON, else .venv/bin/python (`make venv`).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
SEED=${SEED:-1}
PY=${SIGHTLINE_PYTHON:-.venv/bin/python}
LOCK=${SIGHTLINE_BUILD_LOCK:-/tmp/sightline-build.lock}
BIN=.build/release/sightline

"$PY" -c 'import stix2matcher' || { echo "bench-pattern: $PY has no stix2-matcher (run make venv)" >&2; exit 1; }
flock "$LOCK" swift build -c release --product sightline >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$BIN" pattern generate --count "$N" --seed "$SEED" > "$work/cases.jsonl"

now() { date +%s%N; }
t0=$(now)
"$BIN" pattern eval < "$work/cases.jsonl" > "$work/ours.jsonl"
t1=$(now)
"$PY" scripts/stix2_matcher_eval.py < "$work/cases.jsonl" > "$work/reference.jsonl"
t2=$(now)

ours_ns=$((t1 - t0))
ref_ns=$((t2 - t1))
"$PY" - "$work" "$N" "$ours_ns" "$ref_ns" <<'PYEOF'
import json, sys
work, n, ours_ns, ref_ns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ours = [json.loads(l) for l in open(work + "/ours.jsonl")]
ref = [json.loads(l) for l in open(work + "/reference.jsonl")]
assert len(ours) == n and len(ref) == n, (len(ours), len(ref))
same = sum(1 for a, b in zip(ours, ref) if ("error" in a and "error" in b) or a.get("match", 0) == b.get("match", 1))
matches = sum(1 for a in ours if a.get("match") is True)
print("cases:              %d (seed from SEED), %d match in sightline" % (n, matches))
print("sightline eval:     %8.3f s  (%7.1f us/case)" % (ours_ns / 1e9, ours_ns / 1e3 / n))
print("stix2-matcher:      %8.3f s  (%7.1f us/case)" % (ref_ns / 1e9, ref_ns / 1e3 / n))
print("ratio:              %8.1fx faster" % (ref_ns / ours_ns))
print("same answer:        %d of %d (differences are the documented deviations, docs/PATTERNING.md)" % (same, n))
PYEOF
