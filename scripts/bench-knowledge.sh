#!/usr/bin/env bash
# Benchmark: reading and importing Enterprise ATT&CK v18.1 (45 MB, 24,772 objects).
# Ours (release build) beside the peers in the same run, on the same file, median of 3 runs each:
#   parse:  sightline's byte-level reader + STIX model  vs  Python's json.load (C)  vs  OASIS stix2.parse
#   import: sightline intel import into an empty SQLite store  vs  stix2.parse + stix2.MemoryStore
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=../shared/corpus
file=$corpus/attack/enterprise-attack-18.1.json
bin=.build/release/sightline
scripts/release-build.sh >/dev/null
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -c 'import stix2' 2>/dev/null || .venv/bin/pip install -q --disable-pip-version-check stix2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

parse_ours=$(for i in 1 2 3; do "$bin" intel validate "$file" | sed -n 's/.*parsed [0-9.]* MB in \([0-9.]*\) s.*/\1/p'; done | median)
import_ours=""
peak_ours=""
for i in 1 2 3; do
  rm -f "$tmp"/kb.sqlite*
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$bin" intel import --db "$tmp/kb.sqlite" --no-builtin "$file" >/dev/null
  read -r secs kb <"$tmp/time"
  import_ours="$import_ours $secs"
  peak_ours="$peak_ours $kb"
done
import_ours=$(echo $import_ours | tr ' ' '\n' | median)
peak_ours=$(echo $peak_ours | tr ' ' '\n' | sort -g | tail -1)

read -r parse_json parse_stix2 import_stix2 <<<"$(.venv/bin/python - "$file" <<'PY'
import json, sys, time, statistics, stix2
path = sys.argv[1]
def timed(f):
    runs = []
    for _ in range(3):
        t = time.perf_counter(); f(); runs.append(time.perf_counter() - t)
    return statistics.median(runs)
def load(): return json.load(open(path, 'rb'))
def parse(): return stix2.parse(load(), allow_custom=True)
def store(): stix2.MemoryStore(parse().objects, allow_custom=True)
print(timed(load), timed(parse), timed(store))
PY
)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
printf '%-44s %10s %10s %8s\n' "Enterprise ATT&CK v18.1 (median of 3)" "ours (s)" "peer (s)" "ratio"
printf '%-44s %10.3f %10.3f %8s\n' "parse vs Python json.load (C)" "$parse_ours" "$parse_json" "$(ratio "$parse_json" "$parse_ours")"
printf '%-44s %10.3f %10.3f %8s\n' "parse vs OASIS stix2.parse" "$parse_ours" "$parse_stix2" "$(ratio "$parse_stix2" "$parse_ours")"
printf '%-44s %10.3f %10.3f %8s\n' "import (SQLite) vs stix2 MemoryStore" "$import_ours" "$import_stix2" "$(ratio "$import_stix2" "$import_ours")"
echo "import peak memory (ours): $((peak_ours / 1024)) MB"
