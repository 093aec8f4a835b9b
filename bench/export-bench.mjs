// npm run bench:export: loads generated profiles (200,000 and 1,000,000 by default, each as small
// records and as the generator's, in sandboxes of one database, reused between runs), then runs
// the exports of issue #13's targets (bench/lib/export-kinds.mjs) through the REST API with a
// fresh worker process each on each storage backend, some of them also split into K partitions
// with K worker processes, and prints wall time POST→SUCCEEDED, profiles/s, the worker's peak
// RSS, the S3/local ratio and the same run's baseline:
// `psql \copy (SELECT the stored records of those profiles) TO '/dev/null'`.
// Selections: BENCH_SIZES=200000,1000000  BENCH_RECORDS=small,generator  BENCH_STORAGE=local (or
// local,s3)  BENCH_KINDS=segment|Parquet  BENCH_RUNS=3 (rounds of each export; the comparison
// takes their medians).
// Partitions (bench/lib/partitions.mjs): BENCH_PARTITIONS=1,2,4 (destination.partitions K, K
// workers; default 1, no partitions sent)  BENCH_PARTITION_KINDS=fields ref (default)
// BENCH_PARTITION_STORAGE=local (default; local,s3 for both). While a partitioned export runs, the
// workers' and Postgres's CPU and Postgres's wait events are sampled (bench/lib/load-sampler.mjs).
// BENCH_DB=sx_bench_export (default): another name keeps a small check run off the real store.
// The runs are a matrix (bench/lib/matrix.mjs): store (size x records) x export x round x partitions x storage, the
// partition counts and storages of one round back to back so that they see the same machine.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, assertPortFree, fmt, sh, startApp, stop, time, waitForHttp } from './lib.mjs';
import { apiSession, runExport } from './lib/export-api.mjs';
import { exportKinds } from './lib/export-kinds.mjs';
import { printReport } from './lib/export-report.mjs';
import { RECORD_SHAPES, loadMissing, prepareStore, storesOf } from './lib/export-store.mjs';
import { startSampler } from './lib/load-sampler.mjs';
import { list, runMatrix } from './lib/matrix.mjs';
import { partitionPlan, withPartitions } from './lib/partitions.mjs';
import { STORAGES, startStorage } from './lib/storage-legs.mjs';
import { startWorkers } from './lib/workers.mjs';

const sizes = list(process.env.BENCH_SIZES, '200000,1000000').map(Number);
const records = list(process.env.BENCH_RECORDS, RECORD_SHAPES.join(','));
for (const r of records) if (!RECORD_SHAPES.includes(r)) throw new Error(`BENCH_RECORDS: unknown record shape ${r} (${RECORD_SHAPES.join(' or ')})`);
const storages = list(process.env.BENCH_STORAGE, 'local');
const runs = Number(process.env.BENCH_RUNS ?? 1);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS must be a whole number >= 1, not ${process.env.BENCH_RUNS}`);
for (const s of storages) if (!STORAGES.includes(s)) throw new Error(`BENCH_STORAGE: unknown storage ${s} (${STORAGES.join(' or ')})`);
const seed = Number(process.env.BENCH_SEED ?? 42);
const port = Number(process.env.BENCH_PORT ?? 3918);
const ORG = '1BD6382559DF0C130A49422D@AdobeOrg';
const work = join(ROOT, 'var', 'bench');
mkdirSync(work, { recursive: true });
const admin = process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const plan = partitionPlan();
// Sampling costs a query and a few /proc reads per half second: it runs only in runs that have
// partitioned legs, and then on every leg of a partitioned export (its K=1 leg is the reference).
const sampled = (kind) => plan.counts.some((k) => k > 1) && plan.partitioned(kind);
const name = process.env.BENCH_DB?.trim() || 'sx_bench_export';
if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`BENCH_DB: ${name} is not a plain lower-case database name`);
const db = admin.replace(/\/[^/]*$/, `/${name}`);
const cli = (args, env) => sh('node', [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], { env: { ...process.env, ...env } });
const localRoot = join(work, 'storage-export');
// The API (loads, job control) keeps local storage: export files are written by the workers only,
// each started with the storage of its leg. The queue prefix follows the database, so that two
// bench databases on one Redis do not take each other's jobs.
const env = { DATABASE_URL: db, PORT: String(port), STORAGE_ROOT: localRoot, LOG_LEVEL: 'warn', QUEUE_PREFIX: name.replaceAll('_', '-') };
const workerArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const batchPrefix = (sandbox, datasetId, batchId) => [ORG, sandbox, datasetId, batchId].map(encodeURIComponent).join('/');

const stores = storesOf({ sizes, records, seed, work });
prepareStore({ admin, db, name, stores, seed });
const results = [];
await assertPortFree(port);
const api = startApp('api', env);
try {
  await waitForHttp(`http://127.0.0.1:${port}/docs-json`);
  const session = (sandbox) => apiSession({ port, org: ORG, sandbox, cli, env });
  const loadSeconds = await loadMissing({ db, stores, env, port, org: ORG, cli, session });

  const byStore = {
    name: 'store',
    values: stores,
    async enter({ n, records, sandbox }) {
      const call = await session(sandbox);
      const [ref] = await call('POST', '/data/foundation/catalog/dataSets', { name: 'bench exports', schemaRef: { id: '_xdm.context.profile' } });
      const datasetId = ref.split('/').pop();
      return { n, records, sandbox, call, datasetId };
    },
  };
  const byKind = {
    name: 'kind',
    values: ({ sandbox, datasetId, records, call }) => exportKinds({ db, org: ORG, sandbox, datasetId, records, call, only: process.env.BENCH_KINDS }),
    // The baseline is read once per export, after its storage legs (the fragments are as warm as
    // the exports found them).
    async exit(_, { store, kind }) {
      // psql reports the rows copied (`COPY n`): no second read to count them.
      const base = await time(async () => sh('psql', [db, '-c', `\\copy (${kind.baseline}) TO '/dev/null'`]));
      const rows = Number(/COPY (\d+)/.exec(base.value)?.[1] ?? NaN);
      for (const r of results.filter((r) => r.sandbox === store.sandbox && r.kind === kind.name)) {
        Object.assign(r, { baseSeconds: base.seconds, rows });
        // As it goes, so that a run stopped early still leaves its figures.
        console.log(
          `${new Date().toISOString()} ${store.sandbox} ${kind.name} K=${r.partitions} ${r.storage}: wall ${fmt(r.wall, 1)} s, ${fmt(r.profiles)} profiles, baseline ${fmt(rows)} rows in ${fmt(base.seconds, 1)} s, ${fmt(base.seconds / r.wall, 2)}x, worker ${fmt(r.rss)} MiB`,
        );
      }
    },
  };
  const byPartitions = { name: 'partitions', values: ({ kind }) => plan.countsOf(kind) };
  // A fresh backend per leg (an empty s3rver, or the local root): no leg sees another's objects.
  const byStorage = {
    name: 'storage',
    values: ({ partitions }) => plan.storagesOf(partitions, storages),
    enter: async (s) => ({ backend: await startStorage(s, { localRoot }) }),
    exit: ({ backend }) => backend.close(),
  };

  const byRound = { name: 'round', values: Array.from({ length: runs }, (_, i) => i + 1) };

  await runMatrix([byStore, byKind, byRound, byPartitions, byStorage], async ({ n, records, kind, round, partitions, storage, backend, sandbox, call, datasetId }) => {
    // Each run starts with no other run's output still being written back to disk.
    sh('sync', []);
    // The workers log at info so that their start-up lines are seen: the wall time starts at
    // running workers, not at their boot. One worker per partition; one for an unpartitioned job.
    let workers;
    let stopSampler;
    try {
      workers = await startWorkers(partitions, { ...env, ...backend.env, LOG_LEVEL: 'info' }, workerArgs);
      if (sampled(kind)) stopSampler = await startSampler({ db, workerPids: workers.pids });
      const { job, wall } = await runExport(call, withPartitions(kind.body, partitions));
      const load = await stopSampler?.();
      stopSampler = undefined;
      const rssEach = workers.peakRss();
      // One batch, or with segmentPerBatch one per exported segment (destination.batches).
      const batchIds = job.destination.batches?.map((b) => b.batchId) ?? [job.destination.batchId];
      let [files, bytes] = [0, 0];
      for (const prefix of batchIds.map((id) => batchPrefix(sandbox, datasetId, id))) {
        const written = await backend.objects(prefix);
        if (written.count === 0) throw new Error(`export ${job.id} succeeded but left no object under ${prefix} in ${storage} storage`);
        [files, bytes] = [files + written.count, bytes + written.bytes];
        // The export's files are measured, not kept (GBs per run).
        await backend.remove(prefix);
      }
      results.push({
        n,
        records,
        sandbox,
        kind: kind.name,
        round,
        partitions,
        storage,
        profiles: job.metrics.totalExportedProfileCounter,
        seconds: job.metrics.profileExportTime.totalTimeInMs / 1000,
        wall,
        rss: Math.max(...rssEach),
        rssEach,
        files,
        bytes,
        load,
      });
    } catch (e) {
      if (workers) console.error(workers.logTail());
      throw e;
    } finally {
      await stopSampler?.();
      await workers?.stop();
    }
  });
  printReport({ results, seed, storages, runs, loadSeconds });
} catch (e) {
  console.error(api.logTail());
  throw e;
} finally {
  await stop(api);
}
