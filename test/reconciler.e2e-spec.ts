import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchPrefix } from '@sx/storage';
import { ApiHarness, ORG_A, TestClient, minimalJobBody } from './support/api-harness';
import { ChildApp, eventually } from './support/child-process';
import { TestEnv, createTestEnv } from './support/test-env';

const JOBS = '/data/core/ups/export/jobs';

/**
 * "Never lose a job": Postgres is the record, Redis only carries work. These tests take Redis's
 * copy away in the two ways that happen in production and watch a real worker process put it back.
 */
describe('queue reconciliation with a real worker process (real Postgres and Redis)', () => {
  jest.setTimeout(30_000);
  let env: TestEnv;
  let api: ApiHarness;
  let client: TestClient;
  const workers: ChildApp[] = [];

  const startWorker = () => {
    const worker = ChildApp.start('worker', env.childEnv({ LOG_LEVEL: 'info', RECONCILE_INTERVAL_MS: '500' }));
    workers.push(worker);
    return worker;
  };
  const queued = async (id: number) => (await env.redis.exists(`${env.queuePrefix}:segment-export:export-${id}`)) === 1;
  const outbox = async () => (await env.db.query('SELECT job_id FROM export_job_outbox ORDER BY job_id')).rows.map((r) => r.job_id);

  beforeAll(async () => {
    env = await createTestEnv('reconcile');
    api = await ApiHarness.start(env.config());
    client = await api.client(ORG_A, ['prod']);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await api?.close();
    await env?.close();
  });

  it('re-queues NEW and PROCESSING jobs after Redis lost them (flushed), leaving finished ones alone', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.http.post(JOBS).set(client.headers()).send(client.job(minimalJobBody())).expect(200)).body.id);
    await env.db.query(`UPDATE export_jobs SET status = 'PROCESSING' WHERE id = $1`, [ids[1]]);
    await env.db.query(`UPDATE export_jobs SET status = 'SUCCEEDED' WHERE id = $1`, [ids[2]]);
    for (const id of ids) expect(await queued(id)).toBe(true);

    expect(await env.flushQueueKeys()).toBeGreaterThan(0);
    for (const id of ids) expect(await queued(id)).toBe(false);

    const worker = startWorker();
    await eventually(async () => (await Promise.all([ids[0], ids[1], ids[3], ids[4]].map(queued))).every(Boolean), 10_000);
    expect(await queued(ids[2])).toBe(false);
    expect(await worker.waitForLog((l) => l.msg === 'reconciled queue with database')).toMatchObject({ requeued: 4 });
    // Re-queued means run: the worker takes them to an end state (an empty store exports nothing).
    const status = async () => (await env.db.query('SELECT status FROM export_jobs WHERE id = ANY($1) ORDER BY id', [ids])).rows.map((r) => r.status);
    await eventually(async () => (await status()).every((s) => s === 'SUCCEEDED'), 15_000);
    await worker.stop();
  });

  it('accepts a job while Redis is unreachable (200, marker kept) and a worker enqueues it within the interval', async () => {
    // An API whose Redis is down: the enqueue after commit fails fast.
    const downApi = await ApiHarness.start(env.config({ REDIS_URL: 'redis://127.0.0.1:1', ENQUEUE_TIMEOUT_MS: '1000' }));
    try {
      const started = Date.now();
      const res = await downApi.http
        .post(JOBS)
        .set(client.headers())
        .send(client.job(minimalJobBody('while-redis-down')))
        .expect(200);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(res.body.status).toBe('NEW');
      const id = res.body.id as number;
      expect(await outbox()).toContain(id);
      expect(await queued(id)).toBe(false);

      const worker = startWorker();
      await eventually(() => queued(id), 5_000);
      await eventually(async () => !(await outbox()).includes(id), 5_000);
      expect(await worker.waitForLog((l) => l.msg === 'reconciled queue with database' && Number(l.fromOutbox) >= 1)).toBeTruthy();
      await worker.stop();
    } finally {
      await downApi.close();
    }
  });

  it('drops the marker of a job cancelled before it was enqueued, without queueing it', async () => {
    const downApi = await ApiHarness.start(env.config({ REDIS_URL: 'redis://127.0.0.1:1', ENQUEUE_TIMEOUT_MS: '500' }));
    let id: number;
    try {
      id = (await downApi.http.post(JOBS).set(client.headers()).send(client.job(minimalJobBody())).expect(200)).body.id;
    } finally {
      await downApi.close();
    }
    // Cancel through the healthy API: the marker goes with the NEW → CANCELLED transition.
    await api.http.delete(`${JOBS}/${id}`).set(client.headers()).expect(204);
    expect(await outbox()).not.toContain(id);
    const worker = startWorker();
    await worker.waitForLog((l) => l.msg === 'worker started');
    await new Promise((r) => setTimeout(r, 1200)); // two reconcile intervals
    expect(await queued(id)).toBe(false);
    await worker.stop();
  });

  it('never re-queues a PROCESSING job whose attempt holds a live lease; does once the lease lapses', async () => {
    const id = (
      await api.http
        .post(JOBS)
        .set(client.headers())
        .send(client.job(minimalJobBody('leased')))
        .expect(200)
    ).body.id as number;
    // As a running attempt leaves it: PROCESSING under a lease it renews.
    await env.db.query(
      `UPDATE export_jobs SET status = 'PROCESSING', attempts = 1, attempt_token = gen_random_uuid(), lease_expires_at = now() + interval '1 minute' WHERE id = $1`,
      [id],
    );
    await env.flushQueueKeys();
    const worker = startWorker();
    await worker.waitForLog((l) => l.msg === 'worker started');
    await new Promise((r) => setTimeout(r, 1500)); // three reconcile intervals
    expect(await queued(id)).toBe(false);
    expect((await env.db.query('SELECT status FROM export_jobs WHERE id = $1', [id])).rows[0].status).toBe('PROCESSING');
    // The attempt died: its lease lapses, and the job is queued and run (attempt 2).
    await env.db.query(`UPDATE export_jobs SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    await eventually(async () => (await env.db.query('SELECT status FROM export_jobs WHERE id = $1', [id])).rows[0].status === 'SUCCEEDED', 10_000);
    expect((await env.db.query('SELECT attempts FROM export_jobs WHERE id = $1', [id])).rows[0].attempts).toBe(2);
    await worker.stop();
  });

  it('discards a batch an attempt left loading under a job that has ended: aborted, its staged files removed', async () => {
    const id = (
      await api.http
        .post(JOBS)
        .set(client.headers())
        .send(client.job(minimalJobBody('stranded')))
        .expect(200)
    ).body.id as number;
    const datasetId = client.datasets.prod;
    const batchId = 'f'.repeat(24) + String(id).padStart(8, '0');
    // What a killed attempt leaves when nothing runs the job again: its batch loading, a partial file staged.
    await env.db.query(`UPDATE export_jobs SET status = 'FAILED' WHERE id = $1`, [id]);
    await env.db.query(`INSERT INTO batches (id, org_id, sandbox_name, dataset_id, input_format, origin, export_job_id) VALUES ($1, $2, 'prod', $3, 'jsonl', 'export', $4)`, [
      batchId,
      ORG_A,
      datasetId,
      id,
    ]);
    const dir = join(env.storageRoot, batchPrefix({ orgId: ORG_A, sandboxName: 'prod', datasetId, batchId }));
    mkdirSync(join(dir, '_staging'), { recursive: true });
    writeFileSync(join(dir, '_staging', '.0a1b2c.partial'), 'half a row');
    const worker = startWorker();
    expect(await worker.waitForLog((l) => l.msg === 'reconciled queue with database' && Number(l.discarded) >= 1)).toBeTruthy();
    expect((await env.db.query('SELECT status FROM batches WHERE id = $1', [batchId])).rows[0].status).toBe('aborted');
    expect(existsSync(dir)).toBe(false);
    await worker.stop();
  });

  it('a worker shuts down cleanly on SIGTERM (exit 0)', async () => {
    const worker = startWorker();
    await worker.waitForLog((l) => l.msg === 'worker started');
    const started = Date.now();
    const exit = await worker.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(worker.lines.some((l) => l.msg === 'worker stopped')).toBe(true);
  });
});
