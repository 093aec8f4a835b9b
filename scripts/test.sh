#!/usr/bin/env bash
# The test command: installs what it needs, lints, then runs every unit and e2e test against the real
# PostgreSQL and Redis (each test file makes its own database and queue prefix).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Lint first (ESLint, then prettier --check): a lint error fails the run before any test starts.
if ! npm run -s lint; then echo "lint failed: see above (npm run format fixes layout)" >&2; exit 1; fi
mkdir -p var
status=0
SX_BUILT=1 npx jest --runInBand --json --outputFile=var/jest-results.json "$@" || status=$?
# One plain closing line that any CI reader understands: "tests: N passed, N failed".
node -e 'const r=require("./var/jest-results.json");console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""))' || true
exit "$status"
