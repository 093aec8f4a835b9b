#!/usr/bin/env bash
# The test command: installs what it needs, then runs every unit and e2e test against the real
# PostgreSQL and Redis (each test file makes its own database and queue prefix).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
SX_BUILT=1 npx jest --runInBand "$@"
