#!/usr/bin/env bash
# Links the helm and kustomize that scripts/kube-binaries.sh built (cached by version, outside the
# repository) into .flotilla/bin, where a hub started from this checkout looks for them after PATH
# (hub/src/tools/locate.ts). Idempotent; prints the directory.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=.flotilla/bin
mkdir -p "$dir"
paths=$(bash scripts/kube-binaries.sh --paths)
for tool in helm kustomize; do
  target=$(printf '%s\n' "$paths" | sed -n "s/^$tool=//p")
  [ -x "$target" ] || { echo "[render-tools] $tool is missing: run npm run kube:binaries" >&2; exit 1; }
  ln -sfn "$target" "$dir/$tool"
done
echo "$PWD/$dir"
