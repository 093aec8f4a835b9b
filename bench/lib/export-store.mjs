// The export bench's store: one database (sx_bench_export) holding a sandbox of generated profiles
// per size and record shape (`generate --records`), reused between runs and loaded again when it
// predates the current ingest or generator.
import { join } from 'node:path';
import { ROOT, fmt, generatedSample, generatorVersion, psql, sh, startApp, stop, time } from '../lib.mjs';

export const RECORD_SHAPES = ['small', 'generator'];
/** The generator's shape keeps the sandbox name it had before shapes existed. */
export const sandboxOf = (n, records = 'generator') => (records === 'generator' ? `bench${n}` : `bench${n}-${records}`);
const genDir = (work, n, seed, records) => join(work, records === 'generator' ? `gen-${n}-${seed}` : `gen-${n}-${seed}-${records}`);
// A dataset whose name says which generator version and shape a sandbox was loaded from, created
// after its load: the definitions alone do not change with every generator version.
const marker = (records) => `bench store: ${generatorVersion()} ${records}`;
const migrate = (db) => sh('npx', ['prisma', 'migrate', 'deploy'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: db } });

/** Every (size, shape) of a run: its sandbox and generated directory. */
export const storesOf = ({ sizes, records, seed, work }) => sizes.flatMap((n) => records.map((r) => ({ n, records: r, sandbox: sandboxOf(n, r), gen: genDir(work, n, seed, r) })));

function recreate(admin, db, name) {
  psql(admin, `DROP DATABASE ${name} WITH (FORCE)`);
  psql(admin, `CREATE DATABASE ${name}`);
  migrate(db);
}

const loaded = (db, sandbox) => psql(db, `SELECT count(*) > 0 FROM batches WHERE sandbox_name = '${sandbox}' AND status = 'success' AND origin = 'ingest'`) === 't';

/** Creates and migrates the database, writes the generated samples, drops a stale store. */
export function prepareStore({ admin, db, name, stores, seed }) {
  if (psql(admin, `SELECT count(*) FROM pg_database WHERE datname = '${name}'`) === '0') psql(admin, `CREATE DATABASE ${name}`);
  migrate(db);
  // Profiles loaded by an older ingest lack what today's ingest stores for exports (membership
  // offsets): measuring on them would time a fallback path. Such a store is loaded again.
  if (psql(db, 'SELECT count(*) FROM (SELECT 1 FROM profile_fragments WHERE membership_at IS NULL LIMIT 1) x') !== '0') {
    console.log('the stored profiles predate the current ingest: loading them again');
    recreate(admin, db, name);
  }
  // A sandbox loaded from another version of the generator (other records, definitions and
  // memberships) is loaded again: the whole database, as a sandbox's rows span many tables.
  for (const s of stores) {
    generatedSample(s.gen, s.n, seed, s.records);
    if (!loaded(db, s.sandbox)) continue;
    if (psql(db, `SELECT count(*) FROM datasets WHERE sandbox_name = '${s.sandbox}' AND name = '${marker(s.records)}'`) === '0') {
      console.log(`the stored profiles of ${s.sandbox} come from another generator version: loading them again`);
      recreate(admin, db, name);
      break;
    }
  }
}

/** Loads each store not loaded yet through the API (`cli load`), a worker promoting the batches. */
export async function loadMissing({ db, stores, env, port, org, cli, session }) {
  const seconds = {};
  for (const s of stores) {
    if (loaded(db, s.sandbox)) continue;
    // The promoting worker is stopped before the measured exports.
    const promoter = startApp('worker', env);
    const load = await time(async () => JSON.parse(cli(['load', s.gen, '--api', `http://127.0.0.1:${port}`, '--org', org, '--sandbox', s.sandbox], env)));
    await stop(promoter);
    const call = await session(s.sandbox);
    await call('POST', '/data/foundation/catalog/dataSets', { name: marker(s.records), schemaRef: { id: '_xdm.context.profile' } });
    seconds[s.sandbox] = load.seconds;
    console.log(`loaded ${fmt(s.n)} ${s.records} profiles into ${s.sandbox} in ${fmt(load.seconds, 1)} s`);
  }
  return seconds;
}
