#!/usr/bin/env bash
# Benchmark of the indicator index (Indicators target): 1,000,000 generated indicators (IPv4, IPv6,
# domains, URLs, file hashes, CIDR blocks, ~1% complex patterns), then single-SCO observations matched
# on one core. Prints build time, observations per second and heap bytes per indicator.
#   INDICATORS=1000000 OBSERVATIONS=2000000 scripts/bench-indicators.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/release-build.sh >&2
.build/release/sightline pattern index-bench --indicators "${INDICATORS:-1000000}" \
  --observations "${OBSERVATIONS:-2000000}" --hit-rate "${HIT_RATE:-0.1}" --seed "${SEED:-1}"
