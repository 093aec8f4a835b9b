import { BulkPool } from '../libs/persistence/src/bulk-pool';
import { TestEnv, createTestEnv } from './support/test-env';

/** Ingest and export sessions carry deadlines: no client of the bulk pool can be held for ever. */
describe('bulk pool session deadlines (real Postgres)', () => {
  let env: TestEnv;
  let pool: BulkPool;

  beforeAll(async () => {
    env = await createTestEnv('deadlines');
    pool = new BulkPool(env.config({ DB_STATEMENT_TIMEOUT_MS: '500', DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '1000' }));
  });
  afterAll(async () => {
    await pool?.end();
    await env?.close();
  });

  it('ends a statement that runs past DB_STATEMENT_TIMEOUT_MS', async () => {
    const t0 = Date.now();
    await expect(pool.query('SELECT pg_sleep(5)')).rejects.toMatchObject({ code: '57014' });
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('ends a transaction left idle past DB_IDLE_IN_TRANSACTION_TIMEOUT_MS and frees its connection', async () => {
    const client = await pool.connect();
    client.on('error', () => undefined);
    await client.query('BEGIN');
    await new Promise((r) => setTimeout(r, 1500));
    await expect(client.query('SELECT 1')).rejects.toThrow();
    client.release(true);
    const held = await env.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`);
    expect(held.rows[0].n).toBe(0);
  });
});
