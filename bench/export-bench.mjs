// npm run bench:export: loads generated profiles (100,000 and 1,000,000 by default, in two
// sandboxes of one database, reused between runs), then runs exports through the REST API with a
// fresh worker process each (all profiles as JSON Lines, all as Parquet, one segment as JSON
// Lines) and prints profiles/s, wall time, the worker's peak RSS, and the same run's baseline:
// `psql \copy (SELECT the stored fragments of those profiles) TO '/dev/null'`.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, fmt, generatedSample, peakRssMiB, psql, sh, startApp, stop, time, waitForHttp } from './lib.mjs';

const sizes = (process.env.BENCH_SIZES ?? '100000,1000000').split(',').map(Number);
const seed = Number(process.env.BENCH_SEED ?? 42);
const port = Number(process.env.BENCH_PORT ?? 3918);
const ORG = '1BD6382559DF0C130A49422D@AdobeOrg';
const work = join(ROOT, 'var', 'bench');
mkdirSync(work, { recursive: true });
const admin = process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const db = admin.replace(/\/[^/]*$/, '/sx_bench_export');
const cli = (args, env) => sh('node', [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], { env: { ...process.env, ...env } });

if (psql(admin, "SELECT count(*) FROM pg_database WHERE datname = 'sx_bench_export'") === '0') psql(admin, 'CREATE DATABASE sx_bench_export');
sh('npx', ['prisma', 'migrate', 'deploy'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: db } });
// Profiles loaded by an older ingest lack what today's ingest stores for exports (membership
// offsets): measuring on them would time a fallback path. Such a store is loaded again.
if (psql(db, 'SELECT count(*) FROM (SELECT 1 FROM profile_fragments WHERE membership_at IS NULL LIMIT 1) x') !== '0') {
  console.log('the stored profiles predate the current ingest: loading them again');
  psql(admin, 'DROP DATABASE sx_bench_export WITH (FORCE)');
  psql(admin, 'CREATE DATABASE sx_bench_export');
  sh('npx', ['prisma', 'migrate', 'deploy'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: db } });
}
// A store loaded from another version of the generator (other definitions and memberships) is
// loaded again too.
for (const n of sizes) {
  const gen = join(work, `gen-${n}-${seed}`);
  generatedSample(gen, n, seed);
  const stored = psql(db, `SELECT coalesce(string_agg(id || ' ' || (expression->>'value'), E'\\n' ORDER BY id), '') FROM segment_definitions WHERE sandbox_name = 'bench${n}'`);
  const wanted = JSON.parse(readFileSync(join(gen, 'segments.json'), 'utf8')).map((d) => `${d.id} ${d.expression.value}`).sort().join('\n');
  if (stored && stored !== wanted) {
    console.log(`the stored profiles of bench${n} come from another generator version: loading them again`);
    psql(admin, 'DROP DATABASE sx_bench_export WITH (FORCE)');
    psql(admin, 'CREATE DATABASE sx_bench_export');
    sh('npx', ['prisma', 'migrate', 'deploy'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: db } });
    break;
  }
}
const env = { DATABASE_URL: db, PORT: String(port), STORAGE_ROOT: join(work, 'storage-export'), LOG_LEVEL: 'warn', QUEUE_PREFIX: 'sx-bench-export' };
const sandboxOf = (n) => `bench${n}`;
// A keep-alive socket the API closed while idle (during a long load) fails the next request
// sent on it ("other side closed"): such a request is sent again.
const fetch = async (url, init) => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await globalThis.fetch(url, init);
    } catch (e) {
      if (attempt === 3 || e?.cause?.code !== 'UND_ERR_SOCKET') throw e;
    }
  }
};

const api = startApp('api', env);
try {
  await waitForHttp(`http://127.0.0.1:${port}/docs-json`);
  // Load what is not loaded yet (a sandbox per size; reused by later runs).
  for (const n of sizes) {
    const sandbox = sandboxOf(n);
    if (psql(db, `SELECT count(*) > 0 FROM batches WHERE sandbox_name = '${sandbox}' AND status = 'success' AND origin = 'ingest'`) === 't') continue;
    const gen = join(work, `gen-${n}-${seed}`);
    // A worker promotes the loaded batches; it is stopped before the measured exports.
    const promoter = startApp('worker', env);
    const load = await time(async () => JSON.parse(cli(['load', gen, '--api', `http://127.0.0.1:${port}`, '--org', ORG, '--sandbox', sandbox], env)));
    await stop(promoter);
    console.log(`loaded ${fmt(n)} profiles into ${sandbox} in ${fmt(load.seconds, 1)} s`);
  }

  const results = [];
  for (const n of sizes) {
    const sandbox = sandboxOf(n);
    const client = JSON.parse(cli(['create-client', '--org', ORG, '--sandboxes', sandbox], env));
    const token = (await (await fetch(`http://127.0.0.1:${port}/ims/token/v3`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }) })).json()).access_token;
    const headers = { Authorization: `Bearer ${token}`, 'x-api-key': client.clientId, 'x-gw-ims-org-id': ORG, 'x-sandbox-name': sandbox, 'Content-Type': 'application/json' };
    const call = async (method, path, body) => {
      const r = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers, body: body && JSON.stringify(body) });
      const j = await r.json();
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(j)}`);
      return j;
    };
    const [ref] = await call('POST', '/data/foundation/catalog/dataSets', { name: 'bench exports', schemaRef: { id: '_xdm.context.profile' } });
    const datasetId = ref.split('/').pop();
    const segment = psql(db, `SELECT segment_id FROM segment_memberships WHERE sandbox_name = '${sandbox}' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
    const tenant = `org_id = '${ORG}' AND sandbox_name = '${sandbox}'`;
    const kinds = [
      { name: 'all, JSON Lines', body: { destination: { datasetId, outputFormat: 'jsonl' } }, baseline: `SELECT record FROM profile_fragments WHERE ${tenant}` },
      { name: 'all, Parquet', body: { destination: { datasetId } }, baseline: `SELECT record FROM profile_fragments WHERE ${tenant}` },
      {
        name: 'one segment, JSON Lines',
        body: { destination: { datasetId, outputFormat: 'jsonl' }, filter: { segments: [{ segmentId: segment }] } },
        baseline: `SELECT f.record FROM profile_fragments f WHERE f.${tenant.replace(' AND ', ' AND f.')} AND EXISTS (SELECT 1 FROM segment_memberships m WHERE m.${tenant.replace(' AND ', ' AND m.')} AND m.segment_ns = 'ups' AND m.segment_id = '${segment}' AND m.status IN ('realized','existing') AND m.identity = f.primary_identity)`,
      },
    ];
    // BENCH_KINDS=segment|Parquet (substrings of the kinds' names) runs only those; BENCH_WORKER_NODE_ARGS
    // (e.g. --cpu-prof) reaches only the worker.
    const only = process.env.BENCH_KINDS;
    for (const kind of kinds.filter((k) => !only || only.split('|').some((o) => k.name.includes(o)))) {
      // Each run starts with no other run's output still being written back to disk.
      sh('sync', []);
      const worker = startApp('worker', env, (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean));
      try {
        const created = await call('POST', '/data/core/ups/export/jobs', { schema: { name: '_xdm.context.profile' }, ...kind.body });
        let job;
        const t0 = Date.now();
        do {
          await new Promise((r) => setTimeout(r, 250));
          job = await call('GET', `/data/core/ups/export/jobs/${created.id}`);
        } while (!['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status) && Date.now() - t0 < 3_600_000);
        if (job.status !== 'SUCCEEDED') throw new Error(`export ${created.id} ended ${job.status}: ${JSON.stringify(job.errors)}`);
        const rss = peakRssMiB(worker.pid);
        const seconds = job.metrics.profileExportTime.totalTimeInMs / 1000;
        const base = await time(async () => sh('psql', [db, '-qc', `\\copy (${kind.baseline}) TO '/dev/null'`]));
        const rows = Number(psql(db, `SELECT count(*) FROM (${kind.baseline}) x`));
        // The export's files are measured, not kept (GBs per run).
        rmSync(join(env.STORAGE_ROOT, encodeURIComponent(ORG), sandbox, datasetId, job.destination.batchId), { recursive: true, force: true });
        results.push({ n, kind: kind.name, profiles: job.metrics.totalExportedProfileCounter, seconds, wall: job.metrics.totalTime.totalTimeInMs / 1000, rss, baseSeconds: base.seconds, rows });
      } finally {
        await stop(worker);
      }
    }
  }

  console.log('');
  console.log(`bench:export  seed=${seed}  (2 cores; noisy, compare ratios)  identity graph none, timestampOrdered`);
  console.log('  store     export                    profiles   export s   profiles/s   worker peak RSS   baseline \\copy of the same fragments   ratio (baseline s / export s)');
  for (const r of results) {
    console.log(
      `  ${fmt(r.n).padStart(9)} ${r.kind.padEnd(24)} ${fmt(r.profiles).padStart(9)} ${fmt(r.seconds, 1).padStart(9)} ${fmt(r.profiles / r.seconds).padStart(11)} ${fmt(r.rss).padStart(10)} MiB   ${fmt(r.rows).padStart(9)} rows in ${fmt(r.baseSeconds, 1).padStart(5)} s (${fmt(r.rows / r.baseSeconds)} rows/s)   ${fmt(r.baseSeconds / r.seconds, 2)}x`,
    );
  }
  console.log('  targets: JSON Lines >= 0.5x, Parquet >= 0.3x of the baseline; worker peak RSS < 300 MB and the same at both sizes');
} catch (e) {
  console.error(api.logTail());
  throw e;
} finally {
  await stop(api);
}
