#!/usr/bin/env bash
# The test command of the README, and what CI runs: set-up, generated-code check, lint, all tests.
# Closes with one line "N passed, N failed" taken from the test run's own counts.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
echo "[check] generated code is current"
bash scripts/gen-check.sh
echo "[check] lint"
npm run --silent lint
echo "[check] tests"
mkdir -p .flotilla
results=.flotilla/test-results.json
rm -f "$results"
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
status=$?
set -e
node scripts/test-summary.mjs "$results" || status=1
exit "$status"
