#!/usr/bin/env bash
# Hunting benchmark (release build; not part of `swift test`).
#
# Hunts with every Windows Sigma rule of the corpus over the corpus's EVTX files, repeated (as symbolic
# links, so no disk is used) until the input reaches TARGET_MB (default 1024 MB), and prints on the same
# files: events/s hunting, events/s parsing only (the same reader and pipeline with no rules, reading every
# value of every event), their ratio, and the peak memory of each run (/usr/bin/time -v).
#
# Environment: CORPUS (default ../shared/corpus), TARGET_MB (1024), THREADS (all cores), KEEP=1 keeps the
# symlink tree.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-../shared/corpus}
RULES=$CORPUS/sigma/rules/windows
TARGET_MB=${TARGET_MB:-1024}
THREADS=${THREADS:-$(nproc)}
[ -d "$CORPUS/evtx" ] || { echo "bench-hunt: corpus not found at $CORPUS" >&2; exit 1; }

scripts/release-build.sh >&2
BIN=$(swift build -c release --static-swift-stdlib --show-bin-path)/sightline

WORK=$(mktemp -d /tmp/sightline-bench.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
mapfile -d '' FILES < <(find "$(realpath "$CORPUS/evtx")" -name '*.evtx' -print0 | sort -z)
size=$(cat "${FILES[@]}" | wc -c)
copies=$(( (TARGET_MB * 1024 * 1024 + size - 1) / size ))
for ((c = 0; c < copies; c++)); do
  mkdir -p "$WORK/copy-$c"
  i=0
  for f in "${FILES[@]}"; do ln -s "$f" "$WORK/copy-$c/$i.evtx"; i=$((i + 1)); done
done
total=$((size * copies))
cat "${FILES[@]}" > /dev/null   # warm the page cache
echo "input: ${#FILES[@]} EVTX files x $copies copies = $((total / 1024 / 1024)) MB; rules: $RULES; threads: $THREADS"

run() {  # run NAME EXTRA-ARGS...
  local name=$1; shift
  /usr/bin/time -v "$BIN" hunt "$WORK" --rules "$RULES" --threads "$THREADS" --format jsonl --out /dev/null --timing "$@" \
    2> "$WORK/$name.log" || { cat "$WORK/$name.log" >&2; exit 1; }
  local line rss
  line=$(grep '^timing:' "$WORK/$name.log")
  rss=$(awk '/Maximum resident set size/ {print $6}' "$WORK/$name.log")
  echo "$line peak_rss_kb $rss"
}
parse=$(run parse --parse-only)
hunt=$(run hunt)
field() { echo "$1" | awk -v k="$2" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}'; }
pe=$(field "$parse" events); ps=$(field "$parse" hunt_s); prss=$(field "$parse" peak_rss_kb)
he=$(field "$hunt" events); hs=$(field "$hunt" hunt_s); hrss=$(field "$hunt" peak_rss_kb)
hl=$(field "$hunt" load_s); hc=$(field "$hunt" compile_s); units=$(field "$hunt" units); pre=$(field "$hunt" prefiltered)
pcpu=$(field "$parse" hunt_cpu_s); hcpu=$(field "$hunt" hunt_cpu_s); ev=$(field "$hunt" evaluations)
awk -v pe="$pe" -v ps="$ps" -v he="$he" -v hs="$hs" -v prss="$prss" -v hrss="$hrss" -v t="$THREADS" \
  -v hl="$hl" -v hc="$hc" -v units="$units" -v pre="$pre" -v pcpu="$pcpu" -v hcpu="$hcpu" -v ev="$ev" 'BEGIN {
  printf "parse only : %d events in %.2f s = %d events/s (%d per thread), peak RSS %d MB\n", pe, ps, pe / ps, pe / ps / t, prss / 1024
  printf "hunt       : %d events in %.2f s = %d events/s (%d per thread), peak RSS %d MB\n", he, hs, he / hs, he / hs / t, hrss / 1024
  printf "hunt / parse time: %.2fx   (rules loaded in %.2f s, compiled in %.2f s: %d units, %d prefiltered; %.1f rule evaluations per event)\n", hs / ps, hl, hc, units, pre, ev / he
  # CPU time of the hunt phase (all threads; rule loading and compiling excluded) is steadier than wall
  # time on a shared machine.
  printf "CPU time   : parse %.2f s (%d events per CPU-second), hunt %.2f s (%d events per CPU-second), ratio %.2fx\n", pcpu, pe / pcpu, hcpu, he / hcpu, hcpu / pcpu
}'

# pySigma + SQLite (Zircolite's approach) once on the corpus, beside sightline on the same files.
PY=${SIGHTLINE_PYTHON:-.venv/bin/python}
if [ -x "$PY" ] && "$PY" -c "import sigma.backends.sqlite, sigma.pipelines.sysmon, sigma.pipelines.windows" 2>/dev/null; then
  find "$(realpath "$CORPUS/evtx")" -name '*.evtx' -print0 | sort -z | xargs -0 "$BIN" events dump > "$WORK/events.jsonl" 2>/dev/null || true
  t0=$(date +%s.%N)
  "$PY" scripts/pysigma-diff.py "$RULES" "$WORK/events.jsonl" "$WORK/pysigma.json"
  t1=$(date +%s.%N)
  "$BIN" hunt "$(realpath "$CORPUS/evtx")" --rules "$RULES" --threads "$THREADS" --format jsonl --out /dev/null --timing \
    2> "$WORK/once.log" || true
  t2=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
    printf "corpus once: pySigma + SQLite %.1f s (conversion, load and queries; events already decoded), sightline hunt %.1f s (everything), ratio %.0fx\n", b - a, c - b, (b - a) / (c - b) }'
else
  echo "pySigma + SQLite: skipped (no Python with pysigma; run make venv or set SIGHTLINE_PYTHON)"
fi
