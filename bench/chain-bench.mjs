// Incremental chains (issue #15) through the REST API: a chain's first link (every profile, read as
// of its snapshot), then, after BENCH_CHANGED profiles were ingested again (one batch), the next
// link, and a link with nothing new. Each wall time (POST to SUCCEEDED) is printed against the
// `psql \copy` baseline of the stored records that link reads, measured in the same run.
//   BENCH_SIZES=200000 (one size)  BENCH_RECORDS=small|generator (one shape, default small)
//   BENCH_CHANGED=2000  BENCH_PORT=3958  BENCH_DB=sx_bench_chain (its own store: links add batches)
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertPortFree, fmt, psql, sh, startApp, stop, time, waitForHttp } from './lib.mjs';
import { apiSession, runExport } from './lib/export-api.mjs';
import { loadMissing } from './lib/export-store.mjs';
import { ORG, oneStoreBench } from './lib/one-store.mjs';
import { startWorkers } from './lib/workers.mjs';

const { changed, port, db, env, cli, stores, store } = oneStoreBench({ defaultPort: 3958, defaultDb: 'sx_bench_chain', storageDir: 'storage-chain' });
const tenant = (t) => `${t}.org_id = '${ORG}' AND ${t}.sandbox_name = '${store.sandbox}'`;
const baseline = async (select) => {
  const rows = Number(psql(db, `SELECT count(*) FROM (${select}) x`));
  const { seconds } = await time(async () => sh('psql', [db, '-c', `\\copy (${select}) TO '/dev/null'`]));
  return { rows, seconds };
};
const line = (label, wall, job, base) =>
  console.log(
    `${new Date().toISOString()} ${store.sandbox} ${label}: wall ${fmt(wall, 2)} s, ${fmt(job.metrics.totalExportedProfileCounter ?? 0)} profiles, ` +
      `baseline ${fmt(base.rows)} rows in ${fmt(base.seconds, 2)} s, ${fmt(base.seconds / wall, 2)}x`,
  );

await assertPortFree(port);
const api = startApp('api', env);
let workers;
try {
  await waitForHttp(`http://127.0.0.1:${port}/docs-json`);
  const session = (sandbox) => apiSession({ port, org: ORG, sandbox, cli, env });
  await loadMissing({ db, stores, env, port, org: ORG, cli, session });
  const call = await session(store.sandbox);
  const [ref] = await call('POST', '/data/foundation/catalog/dataSets', { name: 'bench chain out', schemaRef: { id: '_xdm.context.profile' } });
  const destination = { datasetId: ref.split('/').pop(), outputFormat: 'jsonl' };
  workers = await startWorkers(1, { ...env, LOG_LEVEL: 'info' }, []); // 'worker started' is logged at info
  const chainId = `bench-${Date.now()}`;

  const all = `SELECT f.record FROM profile_fragments f WHERE ${tenant('f')}`;
  const first = await runExport(call, { filter: { chainId }, destination });
  line('chain first link (every profile), JSON Lines', first.wall, first.job, await baseline(all));

  // The first `changed` records of the generated profile file, loaded again into its dataset: one
  // new batch touching that many profiles.
  const file = readdirSync(store.gen).find((f) => /^profiles.*\.jsonl$/.test(f));
  const again = mkdtempSync(join(tmpdir(), 'sx-chain-'));
  writeFileSync(join(again, file), readFileSync(join(store.gen, file), 'utf8').split('\n').slice(0, changed).join('\n') + '\n');
  cli(['load', again, '--api', `http://127.0.0.1:${port}`, '--org', ORG, '--sandbox', store.sandbox], env);
  const batch = psql(db, `SELECT id FROM batches b WHERE ${tenant('b')} AND origin = 'ingest' AND status = 'success' ORDER BY created_at DESC LIMIT 1`);

  const next = await runExport(call, { filter: { chainId }, destination });
  const touched = `SELECT f.record FROM profile_fragments f WHERE ${tenant('f')} AND f.primary_identity IN (SELECT w.primary_identity FROM profile_fragments w WHERE w.batch_id = '${batch}')`;
  line(`chain next link (${fmt(changed)} records ingested again), JSON Lines`, next.wall, next.job, await baseline(touched));

  const empty = await runExport(call, { filter: { chainId }, destination });
  console.log(
    `${new Date().toISOString()} ${store.sandbox} chain link with nothing new: wall ${fmt(empty.wall, 2)} s, ${fmt(empty.job.metrics.totalExportedProfileCounter ?? 0)} profiles`,
  );
} finally {
  if (workers) await workers.stop();
  await stop(api);
}
