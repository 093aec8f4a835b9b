import { randomUUID } from 'node:crypto';
import { EVENT_SCHEMA_ID, type TenantScope } from '@sx/domain';
import { createTestEnv, TestEnv } from '../../../test/support/test-env';
import { ExportPartitionRepository } from './export-partition.repository';
import { PrismaService } from './prisma.service';

const scope: TenantScope = { orgId: 'org1', sandboxName: 'prod' };
const LEASE_MS = 30_000;

describe('ExportPartitionRepository on Postgres', () => {
  // Many round trips to a real Postgres: on a loaded machine (CI runs e2e files beside) 5 s is not enough.
  jest.setTimeout(60_000);
  let env: TestEnv;
  let prisma: PrismaService;
  let repo: ExportPartitionRepository;

  beforeAll(async () => {
    env = await createTestEnv('partition_repo');
    prisma = new PrismaService(env.config());
    repo = new ExportPartitionRepository(prisma);
  });
  afterAll(async () => {
    await prisma.$disconnect();
    await env.close();
  });

  async function processingJob(runToken: string): Promise<number> {
    const { rows } = await env.db.query<{ id: number }>(
      `INSERT INTO export_jobs (org_id, sandbox_name, client_id, status, schema_name, destination, request_id, attempts, attempt_token, lease_expires_at)
       VALUES ($1, $2, 'c', 'PROCESSING', '_xdm.context.profile', '{"datasetId":"d","batchId":"b"}', 'r', 1, $3::uuid, now() + interval '1 minute') RETURNING id`,
      [scope.orgId, scope.sandboxName, runToken],
    );
    return rows[0].id;
  }

  // One attempt renews its lease and reports progress on timers while it finishes: the three
  // transactions run side by side and must not deadlock (each locks the job's row, then the partition's).
  it('renewals, progress and finish of one attempt running side by side neither deadlock nor fail', async () => {
    for (let round = 0; round < 20; round++) {
      const run = randomUUID();
      const id = await processingJob(run);
      expect(await repo.create(scope, id, run, [{ partition: 0 }, { partition: 1, keyFrom: 'm' }])).toBe(true);
      const claim = await repo.claim(scope, id, run, 0, LEASE_MS, 3);
      if (claim.kind !== 'claimed') throw new Error(`expected a claim, got ${claim.kind}`);
      const lease = claim.lease;
      const busy = Array.from({ length: 6 }, (_, i) => (i % 2 ? repo.renew(scope, id, run, 0, lease, LEASE_MS) : repo.progress(scope, id, run, 0, lease, 10 * i)));
      const finished = repo.finish(scope, id, run, 0, lease, { profiles: 100, byNamespace: { email: 100 }, outputs: [] });
      const settled = await Promise.allSettled([...busy, finished]);
      expect(settled.filter((s) => s.status === 'rejected').map((s) => String(s.reason))).toEqual([]);
      expect(await finished).toBe('done');
      const states = await repo.list(scope, id, run);
      expect(states.map((s) => [s.partition, s.status, s.profiles])).toEqual([
        [0, 'done', 100],
        [1, 'pending', 0],
      ]);
    }
  });

  it('renewal is refused once the job is no longer PROCESSING under the run', async () => {
    const run = randomUUID();
    const id = await processingJob(run);
    await repo.create(scope, id, run, [{ partition: 0 }]);
    const claim = await repo.claim(scope, id, run, 0, LEASE_MS, 3);
    if (claim.kind !== 'claimed') throw new Error(`expected a claim, got ${claim.kind}`);
    expect(await repo.renew(scope, id, run, 0, claim.lease, LEASE_MS)).toBe(true);
    expect(await repo.renew(scope, id, run, 0, randomUUID(), LEASE_MS)).toBe(false);
    await env.db.query(`UPDATE export_jobs SET status = 'FAILED' WHERE id = $1`, [id]);
    expect(await repo.renew(scope, id, run, 0, claim.lease, LEASE_MS)).toBe(false);
    expect(await repo.renew({ ...scope, orgId: 'other' }, id, run, 0, claim.lease, LEASE_MS)).toBe(false);
  });

  it("fragmentCountAbove: the committed ingest batches' records while they are at most the threshold, else the exact count", async () => {
    const tenant = { orgId: 'org_count', sandboxName: 'prod' };
    const dataset = 'c'.repeat(24);
    const events = 'e'.repeat(24);
    await env.db.query(`INSERT INTO datasets (id, org_id, sandbox_name, name, schema_id) VALUES ($1, $2, $3, 'd', 'x')`, [dataset, tenant.orgId, tenant.sandboxName]);
    await env.db.query(`INSERT INTO datasets (id, org_id, sandbox_name, name, schema_id) VALUES ($1, $2, $3, 'e', $4)`, [
      events,
      tenant.orgId,
      tenant.sandboxName,
      EVENT_SCHEMA_ID,
    ]);
    const batch = async (id: string, status: string, origin: string, records: number, fragments: number, datasetId = dataset) => {
      await env.db.query(`INSERT INTO batches (id, org_id, sandbox_name, dataset_id, status, origin, record_count) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        id,
        tenant.orgId,
        tenant.sandboxName,
        datasetId,
        status,
        origin,
        records,
      ]);
      for (let i = 0; i < fragments; i++) {
        await env.db.query(
          `INSERT INTO profile_fragments (org_id, sandbox_name, dataset_id, batch_id, primary_identity, identities, record, ingest_time, record_time)
           VALUES ($1, $2, $3, $4, $5, ARRAY[$5], '{}', now(), now())`,
          [tenant.orgId, tenant.sandboxName, dataset, id, `Email:${id}-${i}`],
        );
      }
    };
    expect(await repo.fragmentCountAbove(tenant, 10)).toBe(0);
    // 6 records accepted, 4 fragments left (two were replaced by later records); export batches, failed ones and event batches do not count.
    await batch('1'.repeat(32), 'success', 'ingest', 6, 4);
    await batch('2'.repeat(32), 'success', 'export', 50, 0);
    await batch('3'.repeat(32), 'failed', 'ingest', 50, 0);
    await batch('4'.repeat(32), 'success', 'ingest', 50, 0, events);
    expect(await repo.fragmentCountAbove(tenant, 10)).toBe(6);
    // Over the threshold: the fragments themselves are counted.
    expect(await repo.fragmentCountAbove(tenant, 5)).toBe(4);
    expect(await repo.fragmentCountAbove({ ...tenant, orgId: 'nobody' }, 5)).toBe(0);
  });
});
