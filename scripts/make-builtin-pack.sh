#!/usr/bin/env bash
# Regenerates Sources/Knowledge/Resources/builtin-pack.json.gz from the shared corpus:
# ATT&CK Enterprise and ICS v18.1, the MISP threat-actor galaxy and knowledge/sightline-curated.json.
# Facts only (no description text).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=../shared/corpus
scripts/release-build.sh
.build/release/sightline intel pack --out Sources/Knowledge/Resources/builtin-pack.json.gz \
  "$corpus/attack/enterprise-attack-18.1.json" "$corpus/attack/ics-attack-18.1.json" \
  "$corpus/misp-galaxy/threat-actor.json" knowledge/sightline-curated.json
