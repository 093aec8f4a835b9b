#!/usr/bin/env bash
# The service end to end, as a new user would run it: install and migrate, start the API and a
# worker, generate and load sample profiles through the API, evaluate a segment, export its members and all
# profiles, download the result. Each run uses a sandbox of its own. Leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/segment_export}"
export PORT="${PORT:-3000}"
export QUEUE_PREFIX="${QUEUE_PREFIX:-sx}"
export LOG_LEVEL="${LOG_LEVEL:-info}"
export STORAGE_ROOT="${STORAGE_ROOT:-var/datasets}"
export WORKER_HTTP_PORT="${WORKER_HTTP_PORT:-0}"
HOST="http://127.0.0.1:${PORT}"
SEED="${SEED:-$(date +%s)}"
SANDBOX="demo-$SEED"
ORG="1BD6382559DF0C130A49422D@AdobeOrg"

bash scripts/setup.sh

mkdir -p var/demo
node dist/apps/api/src/main.js >var/demo/api.log 2>&1 &
api_pid=$!
node dist/apps/worker/src/main.js >var/demo/worker.log 2>&1 &
worker_pid=$!
trap 'kill $api_pid $worker_pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT

for _ in $(seq 1 50); do curl -sf "$HOST/docs-json" >/dev/null && break; sleep 0.2; done
curl -sf "$HOST/docs-json" >/dev/null || { echo "API did not start; see var/demo/api.log" >&2; tail -n 20 var/demo/api.log >&2; exit 1; }

json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);const p=process.argv[1];process.stdout.write((p?String(p.split(".").reduce((o,k)=>o[k],v)):JSON.stringify(v,null,2))+"\n")})' "${1:-}"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. Generate sample data (npm run cli -- generate --profiles 2000 --seed $SEED --out var/demo/sample)"
node dist/apps/cli/src/main.js generate --profiles 2000 --seed "$SEED" --out var/demo/sample --force | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const m=JSON.parse(s);console.log(JSON.stringify(m.counts))})'

step "2. Load it through the API into sandbox $SANDBOX (npm run cli -- load var/demo/sample): datasets, batches, segments"
loaded=$(node dist/apps/cli/src/main.js load var/demo/sample --api "$HOST" --org "$ORG" --sandbox "$SANDBOX")
echo "$loaded" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(JSON.stringify({segments:v.segments,datasets:v.datasets},null,2))})'
client_id=$(echo "$loaded" | json clientId)
client_secret=$(echo "$loaded" | json clientSecret)

step "3. Exchange the client's credentials for a bearer token (POST /ims/token/v3)"
token=$(curl -sf -X POST "$HOST/ims/token/v3" -d grant_type=client_credentials -d "client_id=$client_id" -d "client_secret=$client_secret" | json access_token)
echo "access_token: ${token:0:24}... (expires in 24 h)"
headers=(-H "Authorization: Bearer $token" -H "x-api-key: $client_id" -H "x-gw-ims-org-id: $ORG" -H "x-sandbox-name: $SANDBOX")

step "4. A profile dataset to export into (POST /data/foundation/catalog/dataSets)"
dataset=$(curl -sf -X POST "$HOST/data/foundation/catalog/dataSets" "${headers[@]}" -H 'Content-Type: application/json' \
  -d '{"name":"Audience exports","schemaRef":{"id":"https://ns.adobe.com/xdm/context/profile","contentType":"application/vnd.adobe.xed-full+json;version=1"}}' | json 0 | sed 's#@/dataSets/##')
echo "datasetId: $dataset"
segment=$(node -e 'const s=require("./var/demo/sample/segments.json");const x=s.find(x=>/United States/.test(x.name))||s[0];console.log(x.id)')
echo "segment: $segment ($(node -e 'const s=require("./var/demo/sample/segments.json");const x=s.find(x=>x.id===process.argv[1]);console.log(x.name+": "+x.expression.value)' "$segment"))"

step "5. Evaluate that segment's PQL over the loaded profiles (POST /data/core/ups/segment/jobs)"
seg_job=$(curl -sf -X POST "$HOST/data/core/ups/segment/jobs" "${headers[@]}" -H 'Content-Type: application/json' -d "[{\"segmentId\": \"$segment\"}]" | json id)
for _ in $(seq 1 120); do
  status=$(curl -sf "$HOST/data/core/ups/segment/jobs/$seg_job" "${headers[@]}" | json status)
  case "$status" in SUCCEEDED|FAILED|CANCELLED) break ;; esac
  sleep 0.5
done
# The generated memberships are what the definitions compute: the job qualifies the same profiles and exits nobody.
curl -sf "$HOST/data/core/ups/segment/jobs/$seg_job" "${headers[@]}" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(JSON.stringify({id:v.id,status:v.status,errors:v.errors,metrics:v.metrics},null,2))})'

step "6. Export that segment's members as JSON Lines, evaluated in the same pass (POST /data/core/ups/export/jobs, the reference's body shape)"
job=$(curl -sf -X POST "$HOST/data/core/ups/export/jobs" "${headers[@]}" -H 'Content-Type: application/json' -d "{
  \"fields\": \"identities.id,personalEmail.address,homeAddress.country\",
  \"mergePolicy\": {\"id\": \"timestampOrdered-none-mp\", \"version\": 1},
  \"evaluationInfo\": {\"segmentation\": true},
  \"filter\": {\"segments\": [{\"segmentId\": \"$segment\", \"segmentNs\": \"ups\", \"status\": [\"realized\"]}]},
  \"destination\": {\"datasetId\": \"$dataset\", \"segmentPerBatch\": false, \"outputFormat\": \"jsonl\"},
  \"schema\": {\"name\": \"_xdm.context.profile\"}
}")
id=$(echo "$job" | json id)
echo "job $id: $(echo "$job" | json status)"
for _ in $(seq 1 120); do
  status=$(curl -sf "$HOST/data/core/ups/export/jobs/$id" "${headers[@]}" | json status)
  case "$status" in SUCCEEDED|FAILED|CANCELLED) break ;; esac
  sleep 0.5
done
curl -sf "$HOST/data/core/ups/export/jobs/$id" "${headers[@]}" | json

step "7. Download the result (Data Access: GET /data/foundation/export/batches/{batchId}/files, then the file)"
batch=$(curl -sf "$HOST/data/core/ups/export/jobs/$id" "${headers[@]}" | json destination.batchId)
file_href=$(curl -sf "$HOST/data/foundation/export/batches/$batch/files" "${headers[@]}" | json data.0._links.self.href)
part_href=$(curl -sf "$HOST$file_href" "${headers[@]}" | json data.0._links.self.href)
curl -sf "$HOST$part_href" "${headers[@]}" -o var/demo/export.jsonl
echo "$(wc -l < var/demo/export.jsonl) profiles in var/demo/export.jsonl; the first two:"
head -n 2 var/demo/export.jsonl
echo "(on disk: $(find "${STORAGE_ROOT:-var/datasets}" -path "*$batch*" -type f | head -n 1))"

step "8. Every profile as Parquet (the default format), then list the jobs (GET /export/jobs?limit=2)"
pq=$(curl -sf -X POST "$HOST/data/core/ups/export/jobs" "${headers[@]}" -H 'Content-Type: application/json' \
  -d "{\"destination\":{\"datasetId\":\"$dataset\"},\"schema\":{\"name\":\"_xdm.context.profile\"}}" | json id)
for _ in $(seq 1 120); do
  status=$(curl -sf "$HOST/data/core/ups/export/jobs/$pq" "${headers[@]}" | json status)
  case "$status" in SUCCEEDED|FAILED|CANCELLED) break ;; esac
  sleep 0.5
done
curl -sf "$HOST/data/core/ups/export/jobs?limit=2" "${headers[@]}" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(JSON.stringify({records:v.records.map(r=>({id:r.id,status:r.status,destination:r.destination,profiles:r.metrics.totalExportedProfileCounter})),page:v.page,link:v.link},null,2))})'

step "9. A validation error names the field"
curl -s -X POST "$HOST/data/core/ups/export/jobs" "${headers[@]}" -H 'Content-Type: application/json' \
  -d '{"destination":{"datasetId":"'"$dataset"'"},"schema":{"name":"_xdm.context.profile"},"filter":{"segments":[{"segmentId":"s","status":["gone"]}]}}' | json

cat <<TXT

Done. While it ran: OpenAPI at $HOST/docs, Bull Board at $HOST/admin/queues (ADMIN_USER/ADMIN_PASSWORD,
admin/admin outside production). Logs: var/demo/api.log, var/demo/worker.log. Exported files stay in
${STORAGE_ROOT:-var/datasets} (laid out by org/sandbox/dataset/batch).
TXT
