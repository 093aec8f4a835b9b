// npm run bench:ingest: generates N profiles (default 1,000,000), starts the API, loads them
// through the public API (create datasets, batches, streamed uploads, COMPLETE), and prints
// records/s and the API process's peak RSS, next to a baseline measured in the same run:
// `psql \copy` of the same JSON lines into a bare jsonb table.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, fmt, freshDatabase, generatedSample, peakRssMiB, psql, sh, startApp, stop, time, waitForHttp } from './lib.mjs';

const profiles = Number(process.env.BENCH_PROFILES ?? 1_000_000);
const seed = Number(process.env.BENCH_SEED ?? 42);
const port = Number(process.env.BENCH_PORT ?? 3917);
const work = join(ROOT, 'var', 'bench');
const gen = join(work, `gen-${profiles}-${seed}`);
mkdirSync(work, { recursive: true });

const db = freshDatabase(process.env.BENCH_DB ?? 'sx_bench_ingest');
// e.g. BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=var/bench/prof": node flags for the worker.
const workerNodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const env = { DATABASE_URL: db, PORT: String(port), STORAGE_ROOT: join(work, 'storage-ingest'), LOG_LEVEL: 'warn', QUEUE_PREFIX: db.replace(/.*\//, '').replace(/_/g, '-') };
rmSync(env.STORAGE_ROOT, { recursive: true, force: true });

const { value: manifest, seconds: genSeconds } = await time(async () => generatedSample(gen, profiles, seed));
if (genSeconds > 1) console.log(`generated ${fmt(profiles)} profiles in ${fmt(genSeconds, 1)} s → ${gen}`);
const files = manifest.datasets.flatMap((d) => d.files.map((f) => join(gen, f)));

const api = startApp('api', env);
// COMPLETE is promoted by a worker: the load's wall time includes its promotion.
// The worker logs at info: each promotion's line carries its phase times (see PromotionPhases).
const worker = startApp('worker', { ...env, LOG_LEVEL: 'info' }, workerNodeArgs);
const promotions = [];
let pending = '';
worker.stdout.on('data', (d) => {
  const lines = (pending + d).split('\n');
  pending = lines.pop();
  for (const line of lines) if (line.includes('"batch promotion ended"')) promotions.push(JSON.parse(line));
});
try {
  await waitForHttp(`http://127.0.0.1:${port}/docs-json`);
  const load = await time(async () =>
    JSON.parse(sh('node', [join(ROOT, 'dist/apps/cli/src/main.js'), 'load', gen, '--api', `http://127.0.0.1:${port}`], { env: { ...process.env, ...env } })),
  );
  // The load ran synchronously: let the worker's log lines be read. A promotion logs after its
  // ANALYZE, which runs once the batch already shows success: wait for every batch's line.
  const batches = Object.keys(load.value.datasets).length;
  for (let waited = 0; promotions.length < batches && waited < 60_000; waited += 200) await new Promise((r) => setTimeout(r, 200));
  const peak = peakRssMiB(api.pid);
  const workerPeak = peakRssMiB(worker.pid);
  const records = Object.values(load.value.datasets).reduce((n, d) => n + d.records, 0);
  const memberships = Number(psql(db, 'SELECT count(*) FROM segment_memberships'));

  // Baseline: the same lines, as they are, into a jsonb column with psql's \copy (CSV with
  // separators that never occur, so each line is one field, taken verbatim).
  psql(db, 'DROP TABLE IF EXISTS bench_baseline; CREATE UNLOGGED TABLE bench_baseline (record jsonb)');
  const base = await time(async () => {
    for (const f of files) {
      sh('psql', [db, '-qc', `\\copy bench_baseline (record) FROM '${f}' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')`]);
    }
  });
  const baseRows = Number(psql(db, 'SELECT count(*) FROM bench_baseline'));

  const ours = records / load.seconds;
  const theirs = baseRows / base.seconds;
  console.log('');
  console.log(`bench:ingest  profiles=${fmt(profiles)} seed=${seed}  (2 cores; noisy, compare ratios)`);
  console.log(`  records loaded (crm + web + events): ${fmt(records)}; segment memberships derived: ${fmt(memberships)}`);
  for (const [key, d] of Object.entries(load.value.datasets)) {
    console.log(`    ${key.padEnd(7)} ${fmt(d.records).padStart(10)} records  ${fmt(d.seconds, 1).padStart(6)} s  ${fmt(d.records / d.seconds).padStart(8)} records/s`);
    const p = promotions.find((x) => x.batchId === d.batchId);
    if (p) {
      const s = (ms) => `${fmt((ms ?? 0) / 1000, 1)} s`;
      // The dataset's seconds end when its batch shows success, before the promotion's ANALYZE.
      const upload = d.seconds - (p.ms - (p.analyzeMs ?? 0)) / 1000;
      console.log(
        `            upload+queue ${fmt(upload, 1)} s; promotion ${s(p.ms)}: copy ${s(p.copyMs)}, store ${s(p.storeMs)}, memberships ${s(p.membershipsMs)}, commit ${s(p.commitMs)}, analyze ${s(p.analyzeMs)}`,
      );
    }
  }
  console.log(`  load through the API (create, streamed PUT, COMPLETE, memberships): ${fmt(load.seconds, 1)} s, ${fmt(ours)} records/s`);
  console.log(`  baseline psql \\copy of the same ${fmt(baseRows)} lines into a bare jsonb table: ${fmt(base.seconds, 1)} s, ${fmt(theirs)} rows/s`);
  console.log(`  ratio (ours / baseline): ${fmt(ours / theirs, 2)}x (target: 0.40x, issue 13)`);
  console.log(`  API process peak RSS (VmHWM): ${fmt(peak)} MiB; worker (promotion) peak RSS: ${fmt(workerPeak)} MiB`);
  psql(db, 'DROP TABLE bench_baseline');
} catch (e) {
  console.error(api.logTail());
  console.error(worker.logTail());
  throw e;
} finally {
  await stop(worker);
  await stop(api);
}
