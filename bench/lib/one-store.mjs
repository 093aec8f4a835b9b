// What a bench over one generated store in a database of its own starts with (bench:chain,
// bench:diff): its settings from the environment, the store prepared, the API's env and the CLI.
//   BENCH_SIZES (one size, default 200000)  BENCH_RECORDS=small|generator (default small)
//   BENCH_CHANGED (default 2000)  BENCH_PORT  BENCH_DB  BENCH_SEED (default 42)  BENCH_ADMIN_URL
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, sh } from '../lib.mjs';
import { RECORD_SHAPES, prepareStore, storesOf } from './export-store.mjs';

export const ORG = '1BD6382559DF0C130A49422D@AdobeOrg';

export function oneStoreBench({ defaultPort, defaultDb, storageDir }) {
  const n = Number(process.env.BENCH_SIZES ?? 200000);
  const records = process.env.BENCH_RECORDS ?? 'small';
  if (!RECORD_SHAPES.includes(records)) throw new Error(`BENCH_RECORDS: ${records} is not one of ${RECORD_SHAPES.join(', ')}`);
  const changed = Number(process.env.BENCH_CHANGED ?? 2000);
  const port = Number(process.env.BENCH_PORT ?? defaultPort);
  const name = process.env.BENCH_DB?.trim() || defaultDb;
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`BENCH_DB: ${name} is not a plain lower-case database name`);
  const admin = process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const db = admin.replace(/\/[^/]*$/, `/${name}`);
  const work = join(ROOT, 'var', 'bench');
  mkdirSync(work, { recursive: true });
  const env = { DATABASE_URL: db, PORT: String(port), STORAGE_ROOT: join(work, storageDir), LOG_LEVEL: 'warn', QUEUE_PREFIX: name.replaceAll('_', '-') };
  const cli = (args, extra) => sh('node', [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], { env: { ...process.env, ...extra } });
  const seed = Number(process.env.BENCH_SEED ?? 42);
  const stores = storesOf({ sizes: [n], records: [records], seed, work });
  prepareStore({ admin, db, name, stores, seed });
  return { n, records, changed, port, db, env, cli, stores, store: stores[0] };
}
