#!/usr/bin/env bash
# Builds the EVTX parser with libFuzzer and AddressSanitizer (swiftc -sanitize=fuzzer,address) and runs it.
# Not part of `swift test`.
#
#   scripts/fuzz-evtx.sh            # 300 seconds
#   SECONDS_TO_RUN=3600 scripts/fuzz-evtx.sh
#
# Seeds: the first chunk of every test fixture and of up to 200 corpus files. Findings (crashing inputs)
# are written to Fuzz/findings/; the working corpus lives in $WORK/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${SECONDS_TO_RUN:-300}
WORK=${WORK:-/tmp/sightline-fuzz-evtx}
CORPUS=${CORPUS:-../shared/corpus/evtx}
mkdir -p "$WORK/src" "$WORK/corpus" Fuzz/findings

# One module: CivilDate, Events and EVTX sources together (their imports of each other dropped) plus the
# entry point; the C modules (zlib, CEVTXSupport) come in through -I.
rm -f "$WORK"/src/*.swift
for f in Sources/CivilDate/*.swift Sources/Events/*.swift Sources/EVTX/*.swift; do
  sed -E '/^import (Events|CivilDate)$/d' "$f" > "$WORK/src/$(basename "$(dirname "$f")")-$(basename "$f")"
done
echo "== building $WORK/fuzz-evtx"
flock /tmp/sightline-build.lock clang -O2 -g -fsanitize=address -I Sources/CEVTXSupport/include \
  -c Sources/CEVTXSupport/support.c -o "$WORK/cevtxsupport.o"
flock /tmp/sightline-build.lock swiftc -O -g -parse-as-library -sanitize=fuzzer,address \
  -module-name EVTXFuzz -I Sources/CZlib -I Sources/CEVTXSupport/include -lz "$WORK/cevtxsupport.o" \
  "$WORK"/src/*.swift Fuzz/EVTXFuzzTarget.swift -o "$WORK/fuzz-evtx" 2>&1 | { grep -v 'Cannot export local symbol' || true; }

# Seeds: first chunks.
i=0
find Tests/EVTXTests/Fixtures "$CORPUS" -name '*.evtx' -print0 2>/dev/null | sort -z | head -z -n 200 |
  while IFS= read -r -d '' f; do
    i=$((i + 1))  # (subshell counter: only names the seed files)
    dd if="$f" of="$WORK/corpus/seed-$i" bs=4096 skip=1 count=16 status=none
  done || true  # head closes the pipe early

echo "== fuzzing for $SECONDS_TO_RUN s"
"$WORK/fuzz-evtx" "$WORK/corpus" -max_len=65536 -max_total_time="$SECONDS_TO_RUN" -rss_limit_mb=1024 \
  -artifact_prefix=Fuzz/findings/ -print_final_stats=1 2>&1 | tee "$WORK/fuzz.log" | grep -E '^#[0-9]+.*(pulse|DONE)|stat::|ERROR|SUMMARY' || true
echo "findings: $(ls Fuzz/findings | wc -l) (in Fuzz/findings)"
