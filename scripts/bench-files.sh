#!/usr/bin/env bash
# Suspicious-file benchmark (release build; not part of `swift test`).
#
# Generates FILES files of SIZE_KB each (deterministic bytes: random runs, text and a PE-like header, so
# that YARA rules have atoms to look at), then on the same files, same threads, page cache warm:
#   ours:  sightline investigate DIR --yara <the corpus's 141 DPRK rule files> --no-indicator-sweep:
#          each file read once for MD5, SHA-1, SHA-256, ssdeep, TLSH and the YARA scan (rules compiled once)
#   peers: yara -r -p THREADS (Debian's yara CLI, the same libyara, the same rule files, each in a
#          namespace of its own, the external variables declared empty; ours adds its own rule and sets
#          the variables per file) for YARA alone; md5sum, sha1sum, sha256sum, ssdeep -r and
#          tlsh -r (Debian's tlsh-tools, the reference C++ library) for the hashes, each run as THREADS
#          processes at once, one per part of the files (they have no threads of their own); the sum of
#          the peers is what a responder runs to get the same facts.
# Prints seconds and MB/s for each, and our time over the peers' sum and over yara alone.
#
# Environment: CORPUS (../shared/corpus), FILES (2000), SIZE_KB (128), THREADS (all cores), REPEAT (3,
# the best run of each counts). Installs the yara, ssdeep and tlsh CLIs with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${CORPUS:-../shared/corpus}
RULES=$(realpath "$CORPUS/yara")
FILES=${FILES:-2000}
SIZE_KB=${SIZE_KB:-128}
THREADS=${THREADS:-$(nproc)}
REPEAT=${REPEAT:-3}
[ -d "$RULES" ] || { echo "bench-files: corpus YARA rules not found at $RULES" >&2; exit 1; }
for tool in yara:yara ssdeep:ssdeep tlsh:tlsh-tools; do
  command -v ${tool%%:*} >/dev/null || { SUDO=$([ "$(id -u)" = 0 ] || echo sudo); $SUDO apt-get install -y -qq ${tool#*:} >&2; }
done

scripts/release-build.sh >&2
BIN=$(swift build -c release --static-swift-stdlib --show-bin-path)/sightline

WORK=$(mktemp -d /tmp/sightline-bench-files.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/files"
python3 - "$WORK/files" "$FILES" "$SIZE_KB" "$THREADS" <<'EOF'
import os, random, struct, sys
out, n, size, parts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) * 1024, int(sys.argv[4])
for k in range(parts):
    os.makedirs(os.path.join(out, "part-%d" % k), exist_ok=True)
rng = random.Random(1)
words = b"the of and to in is that for it as was with be by on not he this are or his from at which".split()
for i in range(n):
    head = bytearray(b"MZ" + b"\0" * 0x3A + struct.pack("<I", 0x80) + b"\0" * 0x40 + b"PE\0\0" + b"\0" * 0x100) if i % 2 == 0 else bytearray()
    body = bytearray(head)
    while len(body) < size:
        if rng.random() < 0.5:
            body += rng.randbytes(rng.randint(64, 4096))
        else:
            body += b" ".join(rng.choice(words) for _ in range(rng.randint(16, 512))) + b"\n"
    body = body[:size]
    if i % 10 == 0:  # one file in ten carries a byte string of signature-base's APT_HiddenCobra_enc_PK_header
        body[size // 2:size // 2 + 10] = bytes.fromhex("5fa880c5a087c7f09ee6")
    with open(os.path.join(out, "part-%d" % (i % parts), "sample-%05d.bin" % i), "wb") as f:
        f.write(bytes(body))
EOF
total=$(cat "$WORK"/files/*/* | wc -c)
mb=$(awk -v t="$total" 'BEGIN { printf "%.1f", t / 1048576 }')

# The peer's rule arguments: each file in a namespace of its own, the same external variables.
mapfile -d '' RULEFILES < <(find "$RULES" \( -name '*.yar' -o -name '*.yara' \) -print0 | sort -z)
PEER_RULES=()
for i in "${!RULEFILES[@]}"; do PEER_RULES+=("ns$i:${RULEFILES[$i]}"); done
EXTERNALS=(-d filename= -d filepath= -d extension= -d filetype= -d owner=)

"$BIN" intel stats --db "$WORK/kb.sqlite" >/dev/null   # the store (built-in pack) exists before timing
best() {  # best NAME COMMAND...: the shortest of REPEAT runs, in seconds
  local name=$1; shift
  local b=""
  for ((r = 0; r < REPEAT; r++)); do
    local s e
    s=$(date +%s.%N)
    "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || { [ "$name" = ours ] && [ -s "$WORK/$name.out" ] || { cat "$WORK/$name.err" >&2; exit 1; }; }
    e=$(date +%s.%N)
    b=$(awk -v s="$s" -v e="$e" -v b="$b" 'BEGIN { d = e - s; if (b == "" || d < b) print d; else print b }')
  done
  echo "$b"
}
cat "$WORK"/files/*/* > /dev/null   # warm the page cache
parallel() {  # parallel COMMAND...: COMMAND PART for every part at once (files/part-K, or files/part-K/* with @)
  local pids=() k
  for ((k = 0; k < THREADS; k++)); do
    if [ "${!#}" = "@" ]; then "${@:1:$#-1}" "$WORK"/files/part-$k/* > /dev/null & else "$@" "$WORK/files/part-$k" > /dev/null & fi
    pids+=($!)
  done
  local rc=0
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return $rc
}
ours=$(best ours "$BIN" investigate "$WORK/files" --yara "$RULES" --no-indicator-sweep --threads "$THREADS" --format json --db "$WORK/kb.sqlite")
grep -qE '"read": '"$FILES"'[,}]' "$WORK/ours.out" || { echo "bench-files: sightline did not read every file" >&2; head -c 2000 "$WORK/ours.out" >&2; exit 1; }
yara=$(best yara yara "${EXTERNALS[@]}" -p "$THREADS" -r "${PEER_RULES[@]}" "$WORK/files")
md5=$(best md5 parallel md5sum @)
sha1=$(best sha1 parallel sha1sum @)
sha256=$(best sha256 parallel sha256sum @)
ssdeep=$(best ssdeep parallel ssdeep -r)
tlsh=$(best tlsh parallel tlsh -r)
matches_ours=$(grep -o '"yara_matches": [0-9]*' "$WORK/ours.out" | grep -o '[0-9]*$')
matches_peer=$(wc -l < "$WORK/yara.out")
peers=$(awk -v a="$yara" -v b="$md5" -v c="$sha1" -v d="$sha256" -v e="$ssdeep" -v f="$tlsh" 'BEGIN { print a + b + c + d + e + f }')

echo "input: $FILES files x $SIZE_KB KiB = $mb MB; rules: ${#RULEFILES[@]} files under $RULES; threads: $THREADS; best of $REPEAT"
printf '%-58s %8.2f s %8.1f MB/s\n' "sightline investigate (3 hashes, ssdeep, TLSH, YARA; one read)" "$ours" "$(awk -v t="$mb" -v s="$ours" 'BEGIN { print t / s }')"
printf '%-58s %8.2f s %8.1f MB/s\n' "yara -r -p $THREADS (YARA only)" "$yara" "$(awk -v t="$mb" -v s="$yara" 'BEGIN { print t / s }')"
printf '%-58s %8.2f s\n' "md5sum x $THREADS" "$md5" "sha1sum x $THREADS" "$sha1" "sha256sum x $THREADS" "$sha256" "ssdeep -r x $THREADS" "$ssdeep" "tlsh -r x $THREADS" "$tlsh"
printf '%-58s %8.2f s\n' "peers together (yara + md5sum + sha1sum + sha256sum + ssdeep + tlsh)" "$peers"
echo "YARA matches: sightline $matches_ours, yara $matches_peer"
awk -v o="$ours" -v p="$peers" -v y="$yara" 'BEGIN { printf "ratio: sightline / peers together %.2f (below 1 is faster); sightline / yara alone %.2f\n", o / p, o / y }'
