#!/usr/bin/env bash
# EVTX parsing benchmark: sightline's native parser against the Rust `evtx` crate (PyPI `evtx`,
# pyevtx-rs), on the same data in the same run. Not part of `swift test`.
#
# The corpus's EVTX chunks are concatenated behind one file header, repeated until the file holds
# at least SIZE_MB megabytes (default 1024); both parsers read that one file, with 1 and 2 threads.
# Prints records/s for both, the ratio, peak memory and CPU time (/usr/bin/time -v); on a shared machine
# the CPU-time ratio is the steadier one.
#
#   scripts/bench-evtx.sh                 # 1 GB
#   SIZE_MB=256 scripts/bench-evtx.sh     # quicker
#
# Environment: SIGHTLINE_PYTHON (default .venv/bin/python) must have the `evtx` package;
# CORPUS (default ../shared/corpus/evtx); WORK (scratch directory, default a fresh temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MB=${SIZE_MB:-1024}
CORPUS=${CORPUS:-../shared/corpus/evtx}
PY=${SIGHTLINE_PYTHON:-.venv/bin/python}
WORK=${WORK:-$(mktemp -d /tmp/sightline-bench-evtx.XXXXXX)}
BIG="$WORK/corpus-${SIZE_MB}MB.evtx"
mkdir -p "$WORK"

[ -d "$CORPUS" ] || { echo "no corpus at $CORPUS" >&2; exit 1; }
"$PY" -c 'import evtx' 2>/dev/null || { echo "$PY has no evtx package (make venv)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed for peak memory" >&2; exit 1; }

echo "== release build"
scripts/release-build.sh 2>&1 | tail -1
BIN=.build/release/sightline

if [ ! -f "$BIG" ]; then
  echo "== building $BIG"
  find "$CORPUS" -name '*.evtx' -print0 | sort -z > "$WORK/files"
  cat > "$WORK/make.py" <<'PY'
import sys
out, target = sys.argv[1], int(sys.argv[2])
files = [f for f in open(sys.argv[3], 'rb').read().decode().split('\0') if f]
chunks = []
for f in files:
    data = open(f, 'rb').read()
    for off in range(4096, len(data) - 65535, 65536):
        c = data[off:off + 65536]
        if c[:8] == b'ElfChnk\0':
            chunks.append(c)
header = open(files[0], 'rb').read()[:4096]
size, n = len(header), 0
with open(out, 'wb') as w:
    w.write(header)
    while size < target:
        for c in chunks:
            w.write(c); size += 65536; n += 1
            if size >= target: break
print(f'{out}: {size} bytes, {n} chunks ({len(chunks)} distinct corpus chunks from {len(files)} files)')
PY
  python3 "$WORK/make.py" "$BIG" $((SIZE_MB * 1024 * 1024)) "$WORK/files"
fi

# run NAME OUT CMD... : wall seconds and peak RSS (KB) of CMD, stdout to OUT.
run() {
  local name=$1 out=$2; shift 2
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$WORK/$name.time" "$@" > "$out"
  end=$(date +%s.%N)
  echo "$name $(echo "$end - $start" | bc) $(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/$name.time")" \
    "$(awk -F': ' '/User time \(seconds\)/ {u = $2} /System time \(seconds\)/ {s = $2} END {print u + s}' "$WORK/$name.time")" \
    >> "$WORK/results"
}

COUNT_PY='import sys
from evtx import PyEvtxParser
n = 0
for r in PyEvtxParser(sys.argv[1], int(sys.argv[2])).records_json():
    n += 1
print(n)'

: > "$WORK/results"
cat "$BIG" > /dev/null   # warm the page cache for both
echo "== timing (same file, same run)"
run evtx-crate-1t "$WORK/evtx-crate-1t.out" "$PY" -c "$COUNT_PY" "$BIG" 1
run sightline-1t /dev/null "$BIN" events dump --threads 1 "$BIG"
run evtx-crate-2t /dev/null "$PY" -c "$COUNT_PY" "$BIG" 2
run sightline-2t /dev/null "$BIN" events dump --threads 2 "$BIG"

RECORDS=$(cat "$WORK/evtx-crate-1t.out")
OURS=$("$BIN" events dump "$BIG" | wc -l)   # untimed: the record count of our output

python3 - "$WORK/results" "$RECORDS" "$OURS" "$(stat -c %s "$BIG")" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, secs, kb, cpu = line.split()
    rows[name] = (float(secs), int(kb), float(cpu))
records, ours, size = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"file: {size / 1e9:.2f} GB, records: {records} (evtx crate), {ours} (sightline)")
print(f"{'parser':<16}{'threads':>8}{'seconds':>10}{'records/s':>14}{'MB/s':>9}{'peak RSS MB':>13}{'CPU s':>8}")
for t in (1, 2):
    for name in (f"sightline-{t}t", f"evtx-crate-{t}t"):
        s, kb, cpu = rows[name]
        print(f"{name.rsplit('-', 1)[0]:<16}{t:>8}{s:>10.2f}{records / s:>14,.0f}{size / s / 1e6:>9.0f}{kb / 1024:>13.1f}{cpu:>8.2f}")
    ratio = rows[f"evtx-crate-{t}t"][0] / rows[f"sightline-{t}t"][0]
    cpu_ratio = rows[f"evtx-crate-{t}t"][2] / rows[f"sightline-{t}t"][2]
    print(f"ratio sightline / evtx crate, {t} thread(s): {ratio:.2f}x (CPU time: {cpu_ratio:.2f}x)")
print(f"sightline scaling 1 -> 2 threads: {rows['sightline-1t'][0] / rows['sightline-2t'][0]:.2f}x")
PY
echo "(evtx crate = PyPI evtx $("$PY" -c 'import importlib.metadata as m; print(m.version("evtx"))'), records_json() iterated in Python; sightline = events dump to /dev/null)"
