#!/usr/bin/env bash
# Regenerates the proto types and fails when that changes the tree: generated code is never hand-edited.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent gen >/dev/null
if [ -n "$(git status --porcelain -- proto/src/gen)" ]; then
  echo "proto/src/gen differs from what 'npm run gen' produces; regenerate and commit:" >&2
  git status --porcelain -- proto/src/gen >&2
  exit 1
fi
