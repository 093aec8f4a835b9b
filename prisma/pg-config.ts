// The Prisma CLI's connection (prisma.config.ts). Two upstream problems of Prisma 6.19's pg driver
// adapter are worked around here, and only here:
//
// 1. prisma/prisma#27403: "Column type 'name' could not be deserialized" when `migrate` reads the
//    catalog. The adapter has no mapping for Postgres OIDs 18 (`char`) and 19 (`name`); pg already
//    parses both as strings, so the pool reports them as `text` (OID 25).
// 2. P3006 on the shadow database of `migrate dev`: PrismaPg makes the shadow database by overriding
//    `database` in the pool config, and a `connectionString` would win over it, so the URL is split
//    into separate fields.
import pg from 'pg';

const TEXT_OID = 25;
const CHAR_OID = 18;
const NAME_OID = 19;

type QueryResultLike = { fields?: Array<{ dataTypeID: number }> };

function nameAsText<T>(result: T): T {
  for (const field of (result as QueryResultLike)?.fields ?? []) {
    if (field.dataTypeID === CHAR_OID || field.dataTypeID === NAME_OID) field.dataTypeID = TEXT_OID;
  }
  return result;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as PromiseLike<unknown> | undefined)?.then === 'function';

/** A pool whose promise-style queries (the only style the adapter uses) report char/name as text. */
export class CatalogSafePool extends pg.Pool {
  // pg's query and connect are overloaded (callback and promise styles): one override takes them all.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: unknown[]): any {
    const out = (super.query as (...a: unknown[]) => unknown)(...args);
    return isThenable(out) ? out.then(nameAsText) : out;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override connect(...args: unknown[]): any {
    const out = (super.connect as (...a: unknown[]) => unknown)(...args);
    if (!isThenable(out)) return out;
    return out.then((connected) => {
      const client = connected as pg.PoolClient;
      const query = client.query.bind(client) as (...a: unknown[]) => unknown;
      (client as { query: unknown }).query = (...a: unknown[]) => {
        const r = query(...a);
        return isThenable(r) ? r.then(nameAsText) : r;
      };
      return client;
    });
  }
}

export function pgConfigFromUrl(url: string | undefined): pg.PoolConfig {
  if (!url) throw new Error('DATABASE_URL is not set');
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname),
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username) || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined,
    // `migrate dev` otherwise lingers about a minute after finishing.
    allowExitOnIdle: true,
    idleTimeoutMillis: 500,
  };
}
