#!/usr/bin/env bash
# Everything a fresh clone needs before it runs: dependencies, services, the generated Prisma
# client, migrations and the build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/segment_export}"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/services.sh
npx prisma generate >/dev/null
if ! out=$(npx prisma migrate deploy 2>&1); then echo "$out" >&2; exit 1; fi
echo "$out" | grep -E "applied|No pending" || true
npm run -s build
