#!/usr/bin/env bash
# Synthesizes every example with the cdk8s CLI into examples/<name>/dist/*.k8s.yaml.
# Each example has its own cdk8s.yaml and output folder (cdk8s synth empties its output first).
set -euo pipefail
cd "$(dirname "$0")"
for dir in */; do
  name=${dir%/}
  [ -f "$name/cdk8s.yaml" ] || continue
  (cd "$name" && npx --no-install cdk8s synth --check-upgrade false >/dev/null)
  echo "examples/$name/dist: $(ls "$name/dist" | tr '\n' ' ')"
done
