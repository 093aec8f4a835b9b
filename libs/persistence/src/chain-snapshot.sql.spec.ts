import type { PoolClient } from 'pg';
import type { TenantScope } from '@sx/domain';
import { createTestEnv, TestEnv } from '../../../test/support/test-env';
import { CURRENT_SNAPSHOT_SQL, changedKeys, committedAfter, committedBetween } from './chain-snapshot.sql';
import { profileReadSql } from './profile-read.sql';

const scope: TenantScope = { orgId: `org'1`, sandboxName: 'prod' };
const other: TenantScope = { orgId: 'other', sandboxName: 'prod' };
const DATASET = 'd'.repeat(24);

describe('incremental chain bounds on a real database', () => {
  // Many round trips to a real Postgres: on a loaded machine (CI runs e2e files beside) 5 s is not enough.
  jest.setTimeout(60_000);
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv('chain_snapshot_sql');
    for (const s of [scope, other]) {
      await env.db.query(`INSERT INTO datasets (id, org_id, sandbox_name, name, schema_id) VALUES ($1, $2, $3, 'd', 'x')`, [
        s === scope ? DATASET : 'e'.repeat(24),
        s.orgId,
        s.sandboxName,
      ]);
    }
  });
  afterAll(() => env?.close());

  const snapshot = async (): Promise<string> => (await env.db.query<{ snapshot: string }>(CURRENT_SNAPSHOT_SQL)).rows[0].snapshot;
  const ids = async (sql: string): Promise<string[]> => (await env.db.query<{ id: string }>(`${sql} ORDER BY 1`)).rows.map((r) => r.id.trim());

  /** A promotion as BulkIngestRepository runs it: the rows, then the batch marked with its transaction's id; left open. */
  async function openPromotion(s: TenantScope, batch: string, identity: string): Promise<PoolClient> {
    const client = await env.db.connect();
    await client.query('BEGIN');
    const dataset = s === scope ? DATASET : 'e'.repeat(24);
    await client.query(`INSERT INTO batches (id, org_id, sandbox_name, dataset_id, status) VALUES ($1, $2, $3, $4, 'processing')`, [batch, s.orgId, s.sandboxName, dataset]);
    await client.query(
      `INSERT INTO profile_fragments (org_id, sandbox_name, dataset_id, batch_id, primary_identity, identities, record, ingest_time, record_time)
       VALUES ($1, $2, $3, $4, $5, ARRAY[$5], '{}', now(), now())`,
      [s.orgId, s.sandboxName, dataset, batch, identity],
    );
    await client.query(`UPDATE batches SET status = 'success', commit_xid = pg_current_xact_id() WHERE id = $1`, [batch]);
    return client;
  }
  const commit = async (client: PoolClient) => {
    await client.query('COMMIT');
    client.release();
  };
  const batch = (n: number) => String(n).padStart(32, '0');

  it('puts a promotion that began before a bound but committed after it in the next link, not in none', async () => {
    const slow = await openPromotion(scope, batch(1), 'Email:slow');
    await commit(await openPromotion(scope, batch(2), 'Email:fast'));
    await commit(await openPromotion(other, batch(3), 'Email:fast'));
    const first = await snapshot();
    // An ingest timestamp or a sequence taken at the start would put batch 1 before `first`.
    await commit(slow);
    const second = await snapshot();

    expect(await ids(committedAfter(scope, first))).toEqual([batch(1)]);
    expect(await ids(committedAfter(scope, second))).toEqual([]);
    expect(await ids(committedBetween(scope, { upTo: second, after: first }))).toEqual([batch(1)]);
    expect(await ids(committedBetween(scope, { upTo: first, after: first }))).toEqual([]);

    const keys = async (upTo: string, after: string) => (await env.db.query<{ key: string }>(changedKeys(scope, { upTo, after }, false))).rows.map((r) => r.key);
    expect(await keys(second, first)).toEqual(['Email:slow']);

    // The read as of `first` leaves batch 1 out; the next link reads only the profile batch 1 changed.
    const read = async (plan: Parameters<typeof profileReadSql>[1]) =>
      (await env.db.query({ text: profileReadSql(scope, plan).fragments, rowMode: 'array' })).rows.map((r: unknown[]) => r[0]);
    expect(await read({ identityGraph: 'none', snapshot: { upTo: first } })).toEqual(['Email:fast']);
    expect(await read({ identityGraph: 'none', snapshot: { upTo: second, after: first } })).toEqual(['Email:slow']);
    expect(await read({ identityGraph: 'none', snapshot: { upTo: second } })).toEqual(['Email:fast', 'Email:slow']);
  });

  it('asks the current membership rows only for the segment once a batch was committed after the snapshot', async () => {
    const s2: TenantScope = { orgId: 'members', sandboxName: 'prod' };
    await env.db.query(`INSERT INTO datasets (id, org_id, sandbox_name, name, schema_id) VALUES ($1, $2, $3, 'd', 'x')`, ['f'.repeat(24), s2.orgId, s2.sandboxName]);
    const member = (identity: string, status: string) =>
      env.db.query(
        `INSERT INTO segment_memberships (org_id, sandbox_name, segment_ns, segment_id, identity, status, last_qualification_time)
         VALUES ($1, $2, 'ups', 'seg', $3, $4, now())
         ON CONFLICT (org_id, sandbox_name, segment_ns, segment_id, identity) DO UPDATE SET status = EXCLUDED.status`,
        [s2.orgId, s2.sandboxName, identity, status],
      );
    const fragment = (batchId: string, identity: string) =>
      env.db.query(
        `INSERT INTO profile_fragments (org_id, sandbox_name, dataset_id, batch_id, primary_identity, identities, record, ingest_time, record_time)
         VALUES ($1, $2, $3, $4, $5, ARRAY[$5], '{}', now(), now())`,
        [s2.orgId, s2.sandboxName, 'f'.repeat(24), batchId, identity],
      );
    await env.db.query(`INSERT INTO batches (id, org_id, sandbox_name, dataset_id, status, commit_xid) VALUES ($1, $2, $3, $4, 'success', pg_current_xact_id())`, [
      batch(20),
      s2.orgId,
      s2.sandboxName,
      'f'.repeat(24),
    ]);
    for (const id of ['Email:in', 'Email:out']) await fragment(batch(20), id);
    await member('Email:in', 'realized');
    await member('Email:out', 'exited');
    const upTo = await snapshot();
    const read = async () =>
      (
        await env.db.query({
          text: profileReadSql(s2, { identityGraph: 'none', snapshot: { upTo }, segments: [{ segmentNs: 'ups', segmentId: 'seg', statuses: ['realized'] }] }).fragments,
          rowMode: 'array',
        })
      ).rows.map((r: unknown[]) => r[0]);
    // Nothing committed since: as precise as without a snapshot.
    expect(await read()).toEqual(['Email:in']);
    // A later batch moves Email:in to exited (its row is current, the read is as of upTo): still read.
    await env.db.query(`INSERT INTO batches (id, org_id, sandbox_name, dataset_id, status, commit_xid) VALUES ($1, $2, $3, $4, 'success', pg_current_xact_id())`, [
      batch(21),
      s2.orgId,
      s2.sandboxName,
      'f'.repeat(24),
    ]);
    await member('Email:in', 'exited');
    expect(await read()).toEqual(['Email:in', 'Email:out']);
  });

  it('reads a batch promoted before chains existed (no commit id) as in every snapshot', async () => {
    await env.db.query(`INSERT INTO batches (id, org_id, sandbox_name, dataset_id, status) VALUES ($1, $2, $3, $4, 'success')`, [
      batch(9),
      scope.orgId,
      scope.sandboxName,
      DATASET,
    ]);
    const now = await snapshot();
    expect(await ids(committedAfter(scope, now))).not.toContain(batch(9));
    expect(await ids(committedBetween(scope, { upTo: now, after: now }))).toEqual([]);
  });
});
