import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { INestApplicationContext } from '@nestjs/common';
import { batchPrefix } from '@sx/storage';
import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { ChildApp, eventually } from './support/child-process';
import { DATA_ACCESS } from './support/profile-store';
import { loadGeneratedStore } from './support/generated-store';
import { localKeysUnder } from './support/stored-keys';
import { StorageDriver, TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

const JOBS = '/data/core/ups/export/jobs';

/**
 * The lifecycle of real exports under failure: a worker killed mid-export, a cancel, a database
 * connection cut, SIGTERM. Exports are paced (EXPORT_RATE_LIMIT) so that a few thousand generated
 * profiles take seconds, long enough to interfere with while they run. All of it twice: with the
 * files in a local directory, and in a bucket of a real S3-protocol server (STORAGE_DRIVER=s3 for
 * the API, the in-process worker and the child workers alike).
 */
describe.each<StorageDriver>(['local', 's3'])('export lifecycle on %s storage: kill, cancel, failure, shutdown (real processes, Postgres, Redis)', (driver) => {
  jest.setTimeout(120_000);
  let env: TestEnv;
  let api: ApiHarness;
  let client: TestClient;
  let out: string;
  let gen: string;
  const children: ChildApp[] = [];
  const workerEnv = {
    EXPORT_RATE_LIMIT: '1500',
    WORKER_LOCK_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    EXPORT_BACKOFF_MS: '100',
    LOG_LEVEL: 'info',
    EXPORT_PROGRESS_INTERVAL_MS: '200',
  };

  beforeAll(async () => {
    env = await createTestEnv(`lifecycle_${driver}`, { storage: driver });
    api = await ApiHarness.start(env.config());
    client = await api.client(ORG_A, ['prod']);
    out = client.datasets.prod;
    gen = await loadGeneratedStore(env, api, client, { profiles: 3000, seed: 5 });
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop('SIGKILL')));
    await api?.close();
    await env?.close();
    if (gen) await rm(gen, { recursive: true, force: true });
  });

  const worker = (extra: Record<string, string> = {}) => {
    const w = ChildApp.start('worker', env.childEnv({ ...workerEnv, ...extra }));
    children.push(w);
    return w;
  };
  const create = async (body: Record<string, unknown> = {}) =>
    (
      await api.http
        .post(JOBS)
        .set(client.headers())
        .send({ destination: { datasetId: out, outputFormat: 'jsonl' }, schema: { name: '_xdm.context.profile' }, ...body })
        .expect(200)
    ).body.id as number;
  const get = async (id: number) => (await api.http.get(`${JOBS}/${id}`).set(client.headers()).expect(200)).body;
  const ended = (id: number, timeoutMs = 60_000) => eventually(async () => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes((await get(id)).status), timeoutMs, 50);
  const progressed = (id: number, atLeast: number) => eventually(async () => ((await get(id)).metrics?.totalExportedProfileCounter ?? 0) >= atLeast, 30_000, 50);

  /** A file's bytes as a client downloads them (all of them, or a Range). */
  const download = (href: string, range?: string) => {
    const req = api.http.get(href).set(client.headers());
    if (range) req.set('Range', range);
    return req.buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
  };

  /** sha256 of every file of a batch, in order, as downloaded by a client. */
  async function digest(batchId: string): Promise<{ sha: string; rows: number }> {
    const hash = createHash('sha256');
    let rows = 0;
    const files = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(client.headers()).expect(200);
    for (const f of files.body.data) {
      const listing = await api.http.get(f._links.self.href).set(client.headers()).expect(200);
      const bytes = (await download(listing.body.data[0]._links.self.href)).body as Buffer;
      hash.update(bytes);
      rows += bytes.toString().split('\n').filter(Boolean).length;
    }
    return { sha: hash.digest('hex'), rows };
  }

  let clean: { sha: string; rows: number };
  const batchKeys = (batchId: string) => env.storedKeys(batchPrefix({ orgId: ORG_A, sandboxName: 'prod', datasetId: out, batchId }));

  /** A client's ranged download of a batch's first file: 206 and exactly those bytes of the whole. */
  async function checkRangedDownload(batchId: string): Promise<void> {
    const files = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(client.headers()).expect(200);
    const listing = await api.http.get(files.body.data[0]._links.self.href).set(client.headers()).expect(200);
    const href = listing.body.data[0]._links.self.href as string;
    const whole = (await download(href)).body as Buffer;
    const part = await download(href, 'bytes=10-99');
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-99/${whole.length}`);
    expect((part.body as Buffer).equals(whole.subarray(10, 100))).toBe(true);
  }

  /** Peak resident memory of a running child (VmHWM), in MiB. */
  const peakRssMb = (w: ChildApp): number => Math.round(Number(/VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${w.proc.pid}/status`, 'utf8'))?.[1]) / 1024);

  it('a clean run (the reference for the retry below)', async () => {
    const w = worker();
    const id = await create();
    await ended(id);
    const job = await get(id);
    expect(job.status).toBe('SUCCEEDED');
    clean = await digest(job.destination.batchId);
    expect(clean.rows).toBe(job.metrics.totalExportedProfileCounter);
    expect(clean.rows).toBeGreaterThan(2000);
    await checkRangedDownload(job.destination.batchId);
    // The committed files are where the driver keeps them, and nothing is left in _staging/.
    const keys = await batchKeys(job.destination.batchId);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => k.includes('/_staging/'))).toEqual([]);
    if (driver === 's3') expect(await localKeysUnder(env.storageRoot, '')).toEqual([]);
    await w.stop();
  });

  it('a worker killed with SIGKILL mid-export: another takes over after stall detection; the committed output is identical', async () => {
    const first = worker();
    const id = await create();
    await progressed(id, 500);
    const abandoned = (await get(id)).destination.batchId as string;
    const rss = [peakRssMb(first)];
    const killedAt = Date.now();
    first.proc.kill('SIGKILL');
    await first.exited;
    const second = worker();
    await ended(id);
    rss.push(peakRssMb(second));
    const attempts = (await env.db.query('SELECT attempts FROM export_jobs WHERE id = $1', [id])).rows[0].attempts;
    console.log(`[lifecycle] kill -9 once: ${JSON.stringify({ msFromKillToEnd: Date.now() - killedAt, attempts, peakRssMb: rss })}`);
    expect(attempts).toBe(2);
    for (const r of rss) expect(r).toBeLessThan(400);
    const job = await get(id);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.destination.batchId).not.toBe(abandoned);
    expect(await digest(job.destination.batchId)).toEqual(clean);
    // The killed attempt's batch never became visible and its files are gone.
    const stale = await api.http.get(`/data/foundation/catalog/batches/${abandoned}`).set(client.headers()).expect(200);
    expect(stale.body[abandoned].status).toBe('aborted');
    expect(await batchKeys(abandoned)).toEqual([]);
    await second.stop();
  });

  it('DELETE on a PROCESSING export stops it within one second: CANCELLED, no files, never retried', async () => {
    const w = worker();
    const id = await create();
    await progressed(id, 300);
    const batchId = (await get(id)).destination.batchId as string;
    const asked = Date.now();
    await api.http.delete(`${JOBS}/${id}`).set(client.headers()).expect(204);
    await eventually(async () => (await get(id)).status === 'CANCELLED', 5_000, 20);
    const took = Date.now() - asked;
    expect(took).toBeLessThan(1000);
    const job = await get(id);
    expect(job.metrics.totalExportedProfileCounter).toBe(0);
    const batch = await api.http.get(`/data/foundation/catalog/batches/${batchId}`).set(client.headers()).expect(200);
    expect(batch.body[batchId].status).toBe('aborted');
    expect(await batchKeys(batchId)).toEqual([]);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await get(id)).status).toBe('CANCELLED'); // not picked up again
    expect(await env.redis.hget(`${env.queuePrefix}:segment-export:export-${id}`, 'failedReason')).toBeNull();
    await w.stop();
  });

  it('a job whose database connection is cut on every attempt ends FAILED with a useful error, never stuck', async () => {
    const w = worker({ EXPORT_ATTEMPTS: '3' });
    const id = await create();
    let stop = false;
    const cutter = (async () => {
      while (!stop) {
        await env.db
          .query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY (%' AND pid <> pg_backend_pid()`)
          .catch(() => undefined);
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    try {
      // An attempt whose COPY finished before a cut (its rows wait in the socket's buffers) reads
      // them at the paced rate before the dead connection fails it: ~7-10 s an attempt here, much
      // more on a loaded CI machine. "Never stuck" is what is tested, not how fast.
      await ended(id, 150_000);
    } finally {
      stop = true;
      await cutter;
    }
    const job = await get(id);
    expect(job.status).toBe('FAILED');
    expect(job.errors).toEqual([{ code: '0100000003', msg: expect.stringMatching(/after 3 attempts/), callStack: expect.any(String) }]);
    expect(JSON.stringify(job.errors)).not.toMatch(/\/work\/|node_modules|\.ts:/);
    const batches = await api.http.get(`/data/foundation/catalog/batches?limit=100`).set(client.headers()).expect(200);
    const ofJob = Object.values(batches.body as Record<string, { status: string; tags: { exportJobId?: string[] } }>).filter((b) => b.tags.exportJobId?.[0] === String(id));
    expect(ofJob.length).toBeGreaterThanOrEqual(1);
    expect(ofJob.every((b) => b.status === 'failed' || b.status === 'aborted')).toBe(true);
    await w.stop();
  }, 200_000);

  it('SIGTERM lets the running export finish, then the worker exits 0', async () => {
    const w = worker();
    const id = await create();
    await progressed(id, 200);
    const exit = w.stop('SIGTERM');
    expect(await exit).toEqual({ code: 0, signal: null });
    expect((await get(id)).status).toBe('SUCCEEDED');
  });

  it('an in-process worker also runs exports (the same module e2e tests boot)', async () => {
    const app: INestApplicationContext = await startWorker(env.config({ EXPORT_RATE_LIMIT: '0' }));
    try {
      const id = await create({ filter: { segments: [{ segmentId: (await env.db.query('SELECT segment_id FROM segment_memberships LIMIT 1')).rows[0].segment_id }] } });
      await ended(id);
      expect((await get(id)).status).toBe('SUCCEEDED');
    } finally {
      await app.close();
    }
  });
});
