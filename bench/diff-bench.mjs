// The diff of two exports (issue #15) through the REST API: a whole export, BENCH_CHANGED profiles
// ingested again with their first name changed (one batch), the same export again; then the diff's
// counts (GET .../diff/{otherId}, computed by the API) and its batch (?batch=true: an export job a
// worker runs), each wall time against the `psql \copy` baseline of what the diff reads, measured in
// the same run: the stored records of every profile, once per export (two \copy runs back to back).
// Peak RSS of the API (the counts) and of the worker (the batch) is printed too.
//   BENCH_SIZES=200000 (one size)  BENCH_RECORDS=small|generator (default small)
//   BENCH_CHANGED=2000  BENCH_FORMAT=jsonl|parquet  BENCH_PORT=3968  BENCH_DB=sx_bench_diff
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertPortFree, fmt, peakRssMiB, psql, sh, startApp, stop, time, waitForHttp } from './lib.mjs';
import { apiSession, runExport } from './lib/export-api.mjs';
import { loadMissing } from './lib/export-store.mjs';
import { ORG, oneStoreBench } from './lib/one-store.mjs';
import { startWorkers } from './lib/workers.mjs';

const format = process.env.BENCH_FORMAT ?? 'jsonl';
if (!['jsonl', 'parquet'].includes(format)) throw new Error(`BENCH_FORMAT: ${format} is not jsonl or parquet`);
const { changed, port, db, env, cli, stores, store } = oneStoreBench({ defaultPort: 3968, defaultDb: 'sx_bench_diff', storageDir: 'storage-diff' });
const all = `SELECT f.record FROM profile_fragments f WHERE f.org_id = '${ORG}' AND f.sandbox_name = '${store.sandbox}'`;
const baseline = async () => {
  const rows = Number(psql(db, `SELECT count(*) FROM (${all}) x`));
  const { seconds } = await time(async () => {
    for (let i = 0; i < 2; i++) sh('psql', [db, '-c', `\\copy (${all}) TO '/dev/null'`]);
  });
  return { rows: 2 * rows, seconds };
};
const line = (label, wall, base, extra) =>
  console.log(
    `${new Date().toISOString()} ${store.sandbox} ${label}: wall ${fmt(wall, 2)} s, baseline ${fmt(base.rows)} rows in ${fmt(base.seconds, 2)} s, ` +
      `${fmt(base.seconds / wall, 2)}x; ${extra}`,
  );

await assertPortFree(port);
const api = startApp('api', env);
let workers;
try {
  await waitForHttp(`http://127.0.0.1:${port}/docs-json`);
  const session = (sandbox) => apiSession({ port, org: ORG, sandbox, cli, env });
  await loadMissing({ db, stores, env, port, org: ORG, cli, session });
  const call = await session(store.sandbox);
  const [ref] = await call('POST', '/data/foundation/catalog/dataSets', { name: `bench diff out ${Date.now()}`, schemaRef: { id: '_xdm.context.profile' } });
  const destination = { datasetId: ref.split('/').pop(), outputFormat: format };
  workers = await startWorkers(1, { ...env, LOG_LEVEL: 'info' }, []); // 'worker started' is logged at info

  const before = await runExport(call, { destination });
  // The first `changed` records of the generated profile file, each with its first name changed,
  // loaded again into its dataset: one new batch, that many profiles changed.
  const file = readdirSync(store.gen).find((f) => /^profiles.*\.jsonl$/.test(f));
  const again = mkdtempSync(join(tmpdir(), 'sx-diff-'));
  const lines = readFileSync(join(store.gen, file), 'utf8').split('\n').slice(0, changed).filter(Boolean);
  // Stamped with this run, so that a rerun on the same store changes them again.
  const stamp = new Date().toISOString();
  const edited = lines.map((l) => {
    const r = JSON.parse(l);
    r.person = { ...r.person, name: { ...r.person?.name, firstName: `${r.person?.name?.firstName ?? ''} (changed ${stamp})` } };
    return JSON.stringify(r);
  });
  writeFileSync(join(again, file), edited.join('\n') + '\n');
  cli(['load', again, '--api', `http://127.0.0.1:${port}`, '--org', ORG, '--sandbox', store.sandbox], env);
  const after = await runExport(call, { destination });
  console.log(
    `${new Date().toISOString()} ${store.sandbox} two whole ${format} exports: ${fmt(before.job.metrics.totalExportedProfileCounter)} and ${fmt(after.job.metrics.totalExportedProfileCounter)} profiles (${fmt(before.wall, 2)} s, ${fmt(after.wall, 2)} s)`,
  );

  const path = `/data/core/ups/export/jobs/${before.job.id}/diff/${after.job.id}`;
  const t0 = Date.now();
  const counts = await call('GET', path);
  const countWall = (Date.now() - t0) / 1000;
  line(`diff counts (API)`, countWall, await baseline(), `${JSON.stringify(counts.segments)}, API peak RSS ${fmt(peakRssMiB(api.pid))} MiB`);

  const t1 = Date.now();
  const asked = await call('GET', `${path}?batch=true`);
  let job;
  do {
    await new Promise((r) => setTimeout(r, 100));
    job = await call('GET', `/data/core/ups/export/jobs/${asked.batch.exportJobId}`);
  } while (!['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status));
  const batchWall = (Date.now() - t1) / 1000;
  if (job.status !== 'SUCCEEDED') throw new Error(`diff batch ${job.id} ended ${job.status}: ${JSON.stringify(job.errors)}`);
  line(
    `diff batch (GET ?batch=true to SUCCEEDED; counts again, then the worker's job)`,
    batchWall,
    await baseline(),
    `${fmt(job.metrics.totalExportedProfileCounter)} rows written, worker peak RSS ${fmt(workers.peakRss()[0])} MiB, API peak RSS ${fmt(peakRssMiB(api.pid))} MiB`,
  );
} finally {
  if (workers) await workers.stop();
  await stop(api);
}
