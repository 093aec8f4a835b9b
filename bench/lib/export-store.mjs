// The export bench's store: one database (sx_bench_export) holding a sandbox of generated profiles
// per size, reused between runs and loaded again when it predates the current ingest or generator.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, fmt, generatedSample, psql, sh, startApp, stop, time } from '../lib.mjs';

export const sandboxOf = (n) => `bench${n}`;
const migrate = (db) => sh('npx', ['prisma', 'migrate', 'deploy'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: db } });

function recreate(admin, db, name) {
  psql(admin, `DROP DATABASE ${name} WITH (FORCE)`);
  psql(admin, `CREATE DATABASE ${name}`);
  migrate(db);
}

/** Creates and migrates the database, writes the generated samples, drops a stale store. */
export function prepareStore({ admin, db, name, sizes, seed, work }) {
  if (psql(admin, `SELECT count(*) FROM pg_database WHERE datname = '${name}'`) === '0') psql(admin, `CREATE DATABASE ${name}`);
  migrate(db);
  // Profiles loaded by an older ingest lack what today's ingest stores for exports (membership
  // offsets): measuring on them would time a fallback path. Such a store is loaded again.
  if (psql(db, 'SELECT count(*) FROM (SELECT 1 FROM profile_fragments WHERE membership_at IS NULL LIMIT 1) x') !== '0') {
    console.log('the stored profiles predate the current ingest: loading them again');
    recreate(admin, db, name);
  }
  // A store loaded from another version of the generator (other definitions and memberships) is
  // loaded again too.
  for (const n of sizes) {
    const gen = join(work, `gen-${n}-${seed}`);
    generatedSample(gen, n, seed);
    const stored = psql(
      db,
      `SELECT coalesce(string_agg(id || ' ' || (expression->>'value'), E'\\n' ORDER BY id), '') FROM segment_definitions WHERE sandbox_name = '${sandboxOf(n)}'`,
    );
    const wanted = JSON.parse(readFileSync(join(gen, 'segments.json'), 'utf8'))
      .map((d) => `${d.id} ${d.expression.value}`)
      .sort()
      .join('\n');
    if (stored && stored !== wanted) {
      console.log(`the stored profiles of ${sandboxOf(n)} come from another generator version: loading them again`);
      recreate(admin, db, name);
      break;
    }
  }
}

/** Loads each size not loaded yet through the API (`cli load`), a worker promoting the batches. */
export async function loadMissing({ db, sizes, seed, work, env, port, org, cli }) {
  for (const n of sizes) {
    const sandbox = sandboxOf(n);
    if (psql(db, `SELECT count(*) > 0 FROM batches WHERE sandbox_name = '${sandbox}' AND status = 'success' AND origin = 'ingest'`) === 't') continue;
    const gen = join(work, `gen-${n}-${seed}`);
    // The promoting worker is stopped before the measured exports.
    const promoter = startApp('worker', env);
    const load = await time(async () => JSON.parse(cli(['load', gen, '--api', `http://127.0.0.1:${port}`, '--org', org, '--sandbox', sandbox], env)));
    await stop(promoter);
    console.log(`loaded ${fmt(n)} profiles into ${sandbox} in ${fmt(load.seconds, 1)} s`);
  }
}
