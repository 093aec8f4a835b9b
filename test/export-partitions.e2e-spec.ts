import { rm } from 'node:fs/promises';
import { batchPrefix } from '@sx/storage';
import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { ChildWorkers, eventually } from './support/child-process';
import { sortedRowsDigest } from './support/batch-files';
import { loadGeneratedStore } from './support/generated-store';
import { StorageDriver, TestEnv, createTestEnv } from './support/test-env';

const JOBS = '/data/core/ups/export/jobs';
const POLICIES = '/data/core/ups/config/mergePolicies';

/**
 * Partitioned exports (issue #12) with real worker processes, Postgres, Redis and storage: a job
 * split into key ranges, each written by whichever worker takes it, committed by the flow's parent.
 * What every run is held to: the same rows as one worker writing the whole job (sorted row
 * digests), each profile once, nothing visible until the commit and nothing left after a failure.
 */
describe.each<StorageDriver>(['local', 's3'])('partitioned exports on %s storage (real workers, Postgres, Redis)', (driver) => {
  jest.setTimeout(120_000);
  let env: TestEnv;
  let api: ApiHarness;
  let client: TestClient;
  let out: string;
  let gen: string;
  let pdgPolicy: { id: string; version: number };
  const workerEnv = {
    WORKER_LOCK_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    EXPORT_BACKOFF_MS: '100',
    RECONCILE_INTERVAL_MS: '1000',
    CANCEL_POLL_MS: '200',
    LOG_LEVEL: 'info',
    EXPORT_PROGRESS_INTERVAL_MS: '200',
    EXPORT_PARTITION_PROFILES: '0',
  };

  beforeAll(async () => {
    env = await createTestEnv(`partitions_${driver}`, { storage: driver });
    api = await ApiHarness.start(env.config());
    client = await api.client(ORG_A, ['prod']);
    out = client.datasets.prod;
    gen = await loadGeneratedStore(env, api, client, { profiles: 3000, seed: 12 });
    const policy = await api.http
      .post(POLICIES)
      .set(client.headers())
      .send({ name: 'stitched', identityGraph: { type: 'pdg' }, attributeMerge: { type: 'timestampOrdered' }, schema: { name: '_xdm.context.profile' } })
      .expect(200);
    pdgPolicy = { id: policy.body.id as string, version: policy.body.version as number };
  });
  afterAll(async () => {
    await workers.stopAll();
    await api?.close();
    await env?.close();
    if (gen) await rm(gen, { recursive: true, force: true });
  });

  const workers = new ChildWorkers((overrides) => env.childEnv(overrides), workerEnv);
  // A test that fails midway must not leave its workers to take the next test's jobs.
  afterEach(() => workers.stopAll());
  const worker = (extra: Record<string, string> = {}) => workers.start(extra);
  const stopAll = () => workers.stopAll();
  const create = async (destination: Record<string, unknown> = {}, body: Record<string, unknown> = {}) =>
    (
      await api.http
        .post(JOBS)
        .set(client.headers())
        .send({ destination: { datasetId: out, outputFormat: 'jsonl', ...destination }, schema: { name: '_xdm.context.profile' }, ...body })
        .expect(200)
    ).body.id as number;
  const get = async (id: number) => (await api.http.get(`${JOBS}/${id}`).set(client.headers()).expect(200)).body;
  const ended = (id: number, timeoutMs = 60_000) => eventually(async () => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes((await get(id)).status), timeoutMs, 50);
  const partitionRows = async (id: number) =>
    (await env.db.query('SELECT partition, status, attempts, profiles FROM export_partitions WHERE export_job_id = $1 ORDER BY partition', [id])).rows as Array<{
      partition: number;
      status: string;
      attempts: number;
      profiles: number;
    }>;
  const batchKeys = (batchId: string) => env.storedKeys(batchPrefix({ orgId: ORG_A, sandboxName: 'prod', datasetId: out, batchId }));

  /** The batch's rows as a client downloads them: file names, row count, sorted-row digest and primary ids. */
  async function contents(batchId: string): Promise<{ names: string[]; rows: number; sha: string; ids: string[] }> {
    const { names, rows, sha, lines } = await sortedRowsDigest(api, client, batchId);
    const ids = lines.map((l) => {
      const row = JSON.parse(l) as { identities?: Array<{ id: string; primary?: boolean }> };
      return row.identities?.find((i) => i.primary)?.id ?? row.identities?.[0]?.id ?? l;
    });
    return { names, rows, sha, ids };
  }

  const whole: Record<string, { rows: number; sha: string }> = {};
  const reference = async (label: string, body: Record<string, unknown> = {}) => {
    const w = worker();
    const id = await create({}, body);
    await ended(id);
    const job = await get(id);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.metrics.partitions).toBeUndefined();
    const c = await contents(job.destination.batchId);
    whole[label] = { rows: c.rows, sha: c.sha };
    await w.stop();
    return whole[label];
  };

  it('a job asking for 3 partitions on 2 workers writes exactly the rows one worker writes, each profile once', async () => {
    const ref = await reference('all');
    expect(ref.rows).toBeGreaterThan(2000);
    worker();
    worker();
    const id = await create({ partitions: 3 });
    await ended(id);
    const job = await get(id);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.destination.partitions).toBe(3);
    expect(job.metrics.partitions).toEqual({ done: 3, total: 3 });
    expect(job.metrics.totalExportedProfileCounter).toBe(ref.rows);
    const c = await contents(job.destination.batchId);
    expect({ rows: c.rows, sha: c.sha }).toEqual(ref);
    expect(new Set(c.ids).size).toBe(c.ids.length);
    // One file (at least) per partition, named by partition, in key order.
    expect(c.names).toEqual([...c.names].sort());
    expect(new Set(c.names.map((n) => n.slice(0, 'part-00'.length)))).toEqual(new Set(['part-00', 'part-01', 'part-02']));
    expect((await partitionRows(id)).map((p) => [p.status, p.attempts])).toEqual([
      ['done', 1],
      ['done', 1],
      ['done', 1],
    ]);
    expect((await batchKeys(job.destination.batchId)).filter((k) => k.includes('/_staging/'))).toEqual([]);
    const batch = await api.http.get(`/data/foundation/catalog/batches/${job.destination.batchId}`).set(client.headers()).expect(200);
    expect(batch.body[job.destination.batchId]).toMatchObject({ status: 'success', recordCount: ref.rows });
    await stopAll();
  });

  it('under the pdg identity graph a stitched profile stays in one partition: the same rows as a whole run', async () => {
    const body = { mergePolicy: pdgPolicy, fields: 'identities,person.name' };
    const ref = await reference('pdg', body);
    worker();
    worker();
    const id = await create({ partitions: 4 }, body);
    await ended(id);
    const job = await get(id);
    expect(job.status).toBe('SUCCEEDED');
    const c = await contents(job.destination.batchId);
    expect({ rows: c.rows, sha: c.sha }).toEqual(ref);
    await stopAll();
  });

  it('a sandbox over EXPORT_PARTITION_PROFILES is split unasked; segmentPerBatch keeps one batch per segment', async () => {
    const segment = (await env.db.query('SELECT segment_id FROM segment_memberships GROUP BY 1 ORDER BY count(*) DESC LIMIT 2')).rows.map(
      (r: { segment_id: string }) => r.segment_id,
    );
    const body = { filter: { segments: segment.map((segmentId) => ({ segmentId, status: ['realized', 'exited'] })) } };
    const w = worker();
    const refId = await create({ segmentPerBatch: true }, body);
    await ended(refId);
    const refJob = await get(refId);
    const refRows = await Promise.all(refJob.destination.batches.map((b: { batchId: string }) => contents(b.batchId)));
    await w.stop();
    worker({ EXPORT_PARTITION_PROFILES: '1000' });
    const id = await create({ segmentPerBatch: true }, body);
    await ended(id);
    const job = await get(id);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.metrics.partitions.total).toBeGreaterThanOrEqual(2);
    const rows = await Promise.all(job.destination.batches.map((b: { batchId: string }) => contents(b.batchId)));
    expect(rows.map((r) => ({ rows: r.rows, sha: r.sha }))).toEqual(refRows.map((r) => ({ rows: r.rows, sha: r.sha })));
    await stopAll();
  });

  if (driver === 's3') return; // the fault cases below exercise the flow, not the storage: once is enough

  it('a worker killed mid-partition: that partition alone is retried, and the rows are those of a clean run', async () => {
    const paced = { EXPORT_RATE_LIMIT: '1200' };
    // The second worker starts only once the first holds a running partition, so that the one
    // killed is sure to hold one (with both started at once, the other could take both, and the
    // kill would hit an idle worker).
    const first = worker(paced);
    const id = await create({ partitions: 2 });
    await eventually(async () => (await partitionRows(id)).some((p) => p.status === 'running' && p.profiles >= 100), 30_000, 50);
    worker(paced);
    first.proc.kill('SIGKILL');
    await first.exited;
    await ended(id);
    const job = await get(id);
    expect(job.status).toBe('SUCCEEDED');
    const rows = await partitionRows(id);
    expect(rows.map((p) => p.status)).toEqual(['done', 'done']);
    // The killed worker held one partition (or both, had it taken the second too): each retried partition once.
    expect(rows.some((p) => p.attempts === 2)).toBe(true);
    expect(rows.every((p) => p.attempts <= 2)).toBe(true);
    expect((await env.db.query('SELECT attempts FROM export_jobs WHERE id = $1', [id])).rows[0].attempts).toBe(1);
    const c = await contents(job.destination.batchId);
    expect({ rows: c.rows, sha: c.sha }).toEqual(whole.all);
    expect((await batchKeys(job.destination.batchId)).filter((k) => k.includes('/_staging/'))).toEqual([]);
    await stopAll();
  });

  it('a partition that fails for good fails the job with its error and leaves no file', async () => {
    const settings = { EXPORT_RATE_LIMIT: '1200', EXPORT_ATTEMPTS: '1' };
    const first = worker(settings);
    const id = await create({ partitions: 2 });
    await eventually(async () => (await partitionRows(id)).some((p) => p.status === 'running' && p.profiles >= 100), 30_000, 50);
    first.proc.kill('SIGKILL');
    await first.exited;
    worker(settings);
    await ended(id);
    const job = await get(id);
    expect(job.status).toBe('FAILED');
    expect(job.errors).toEqual([{ code: '0100000003', msg: expect.stringMatching(/attempt 1 of 1 stopped without a result/), callStack: expect.any(String) }]);
    const batch = await api.http.get(`/data/foundation/catalog/batches/${job.destination.batchId}`).set(client.headers()).expect(200);
    expect(batch.body[job.destination.batchId].status).toBe('failed');
    await eventually(async () => (await batchKeys(job.destination.batchId)).length === 0, 5_000);
    await stopAll();
  });

  it('DELETE stops every running partition within one second: CANCELLED, no files', async () => {
    const paced = { EXPORT_RATE_LIMIT: '600' };
    const workers = [worker(paced), worker(paced)];
    const id = await create({ partitions: 2 });
    await eventually(async () => (await partitionRows(id)).filter((p) => p.status === 'running' && p.profiles >= 50).length === 2, 30_000, 50);
    // Progress while running: profiles so far across partitions, and partitions done of how many.
    const running = await get(id);
    expect(running.metrics.partitions).toEqual({ done: 0, total: 2 });
    expect(running.metrics.totalExportedProfileCounter).toBeGreaterThanOrEqual(100);
    const asked = Date.now();
    await api.http.delete(`${JOBS}/${id}`).set(client.headers()).expect(204);
    await eventually(async () => (await get(id)).status === 'CANCELLED', 5_000, 20);
    expect(Date.now() - asked).toBeLessThan(1000);
    // Both partitions' writers stop: neither finishes, and nothing stays stored.
    await Promise.all(
      workers.map((w) => w.waitForLog((l) => l.msg === 'export partition attempt superseded; it recorded nothing' || l.msg === 'export cancelled', 3_000).catch(() => undefined)),
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect((await partitionRows(id)).map((p) => p.status)).not.toContain('done');
    expect((await get(id)).status).toBe('CANCELLED');
    const batchId = (await get(id)).destination.batchId as string;
    expect(await batchKeys(batchId)).toEqual([]);
    await stopAll();
  });

  it('Redis keys deleted mid-flow: the reconciler rebuilds the flow from Postgres and the job ends once, with the same rows', async () => {
    const paced = { EXPORT_RATE_LIMIT: '1200' };
    worker(paced);
    worker(paced);
    const id = await create({ partitions: 3 });
    await eventually(async () => (await partitionRows(id)).some((p) => p.status === 'running' && p.profiles >= 100), 30_000, 50);
    const keys = await env.redis.keys(`${env.queuePrefix}:*`);
    if (keys.length) await env.redis.del(...keys);
    await ended(id, 90_000);
    const job = await get(id);
    expect(job.status).toBe('SUCCEEDED');
    const c = await contents(job.destination.batchId);
    expect({ rows: c.rows, sha: c.sha }).toEqual(whole.all);
    const batches = await env.db.query(`SELECT status, count(*)::int AS n FROM batches WHERE export_job_id = $1 GROUP BY 1`, [id]);
    expect(batches.rows).toEqual([{ status: 'success', n: 1 }]);
    await stopAll();
  });
});

describe('destination.partitions is checked at POST', () => {
  let env: TestEnv;
  let api: ApiHarness;
  let client: TestClient;
  beforeAll(async () => {
    env = await createTestEnv('partitions_api');
    api = await ApiHarness.start(env.config());
    client = await api.client(ORG_A, ['prod']);
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  it.each([0, 65, 1.5, '2'])('partitions %p: 400 naming destination.partitions', async (partitions) => {
    const res = await api.http
      .post(JOBS)
      .set(client.headers())
      .send({ destination: { datasetId: client.datasets.prod, partitions }, schema: { name: '_xdm.context.profile' } })
      .expect(400);
    expect(JSON.stringify(res.body)).toContain('destination.partitions');
  });

  it('more than one partition with evaluationInfo.segmentation: 400', async () => {
    const res = await api.http
      .post(JOBS)
      .set(client.headers())
      .send({
        destination: { datasetId: client.datasets.prod, partitions: 2 },
        schema: { name: '_xdm.context.profile' },
        filter: { segments: [{ segmentId: 'any' }] },
        evaluationInfo: { segmentation: true },
      })
      .expect(400);
    expect(JSON.stringify(res.body)).toContain('destination.partitions');
  });
});
