import { existsSync, readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { batchPrefix } from '@sx/storage';
import { ApiHarness, ORG_A, TestClient, minimalJobBody } from './support/api-harness';
import { ChildApp, ChildWorkers, eventually } from './support/child-process';
import { sortedRowsDigest } from './support/batch-files';
import { loadGeneratedStore } from './support/generated-store';
import { TestEnv, createTestEnv } from './support/test-env';

const JOBS = '/data/core/ups/export/jobs';
/** Worker peak RSS allowed in these runs (3,000 profiles: the worker should stay near its idle size). */
const RSS_LIMIT_MB = 400;

/**
 * Fault suite (issue #9): real worker processes killed, Redis keys deleted and database connections
 * cut while an export runs. Every job must reach one end state, once, with the output of a clean
 * run or nothing left behind. Exports are paced (EXPORT_RATE_LIMIT) so 3,000 profiles take ~2 s.
 * Each test prints its figures (time to end state, attempts, worker peak RSS).
 */
describe('export faults: kills, lost Redis keys, cut connections (real processes, Postgres, Redis)', () => {
  jest.setTimeout(90_000);
  let env: TestEnv;
  let api: ApiHarness;
  let client: TestClient;
  let out: string;
  let gen: string;
  const workerEnv = {
    EXPORT_RATE_LIMIT: '1500',
    WORKER_LOCK_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    EXPORT_BACKOFF_MS: '100',
    EXPORT_ATTEMPTS: '3',
    EXPORT_PROGRESS_INTERVAL_MS: '200',
    LOG_LEVEL: 'info',
  };

  beforeAll(async () => {
    env = await createTestEnv('faults');
    // The API enqueues, so the retry options it gives BullMQ come from its config.
    api = await ApiHarness.start(env.config({ EXPORT_ATTEMPTS: '3', EXPORT_BACKOFF_MS: '100' }));
    client = await api.client(ORG_A, ['prod']);
    out = client.datasets.prod;
    gen = await loadGeneratedStore(env, api, client, { profiles: 3000, seed: 9 });
  });
  // A test that fails midway must not leave its workers to run the next test's job.
  afterEach(async () => {
    await workers.stopAll();
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
    if (gen) await rm(gen, { recursive: true, force: true });
  });

  const workers = new ChildWorkers((overrides) => env.childEnv(overrides), workerEnv);
  const worker = (extra: Record<string, string> = {}) => workers.start(extra);
  const create = async () =>
    (
      await api.http
        .post(JOBS)
        .set(client.headers())
        .send({ destination: { datasetId: out, outputFormat: 'jsonl' }, schema: { name: '_xdm.context.profile' } })
        .expect(200)
    ).body.id as number;
  const get = async (id: number) => (await api.http.get(`${JOBS}/${id}`).set(client.headers()).expect(200)).body;
  const ended = (id: number, timeoutMs = 60_000) => eventually(async () => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes((await get(id)).status), timeoutMs, 50);

  /** Peak resident memory of a running child (VmHWM), in MiB. */
  const peakRssMb = (w: ChildApp): number => {
    const kb = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${w.proc.pid}/status`, 'utf8'));
    return kb ? Math.round(Number(kb[1]) / 1024) : NaN;
  };
  /** Kills the worker after reading its peak RSS (the figure is gone once it exits). */
  const kill9 = async (w: ChildApp): Promise<number> => {
    const rss = peakRssMb(w);
    w.proc.kill('SIGKILL');
    await w.exited;
    return rss;
  };

  const batchesOf = async (id: number) =>
    (await env.db.query<{ id: string; status: string; dataset_id: string }>('SELECT id, status, dataset_id FROM batches WHERE export_job_id = $1 ORDER BY created_at', [id])).rows;
  const attemptsOf = async (id: number) => (await env.db.query<{ attempts: number }>('SELECT attempts FROM export_jobs WHERE id = $1', [id])).rows[0].attempts;
  /** Every file (staged `.partial` ones included) under a batch's folder. */
  async function filesUnder(batchId: string, datasetId = out): Promise<string[]> {
    const root = join(env.storageRoot, batchPrefix({ orgId: ORG_A, sandboxName: 'prod', datasetId, batchId }));
    if (!existsSync(root)) return [];
    return (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  }

  /**
   * Waits for a new attempt (a batch of the job not seen before) to have written `rows` profiles
   * and staged a file on disk, so that killing it now abandons a batch with a partial file.
   */
  async function attemptWriting(id: number, seen: Set<string>, rows = 300): Promise<string> {
    let batchId = '';
    await eventually(
      async () => {
        const fresh = (await batchesOf(id)).find((b) => b.status === 'loading' && !seen.has(b.id));
        if (!fresh) return false;
        batchId = fresh.id;
        const progressed = ((await get(id)).metrics?.totalExportedProfileCounter ?? 0) >= rows;
        return progressed && (await filesUnder(batchId)).some((f) => f.includes('_staging'));
      },
      30_000,
      50,
    );
    seen.add(batchId);
    return batchId;
  }

  /** sha256 of the exported rows, sorted: equal for two runs that exported the same profiles. */
  const sortedRows = async (batchId: string): Promise<{ sha: string; rows: number }> => {
    const { sha, rows } = await sortedRowsDigest(api, client, batchId);
    return { sha, rows };
  };

  const figure = (test: string, values: Record<string, unknown>) => console.log(`[faults] ${test}: ${JSON.stringify(values)}`);

  let clean: { sha: string; rows: number };

  it('a clean run (the reference output)', async () => {
    const w = worker();
    const started = Date.now();
    const id = await create();
    await ended(id);
    const rss = peakRssMb(w);
    const job = await get(id);
    expect(job.status).toBe('SUCCEEDED');
    clean = await sortedRows(job.destination.batchId);
    expect(clean.rows).toBe(job.metrics.totalExportedProfileCounter);
    expect(clean.rows).toBeGreaterThan(2000);
    expect(await attemptsOf(id)).toBe(1);
    figure('clean run', { ms: Date.now() - started, rows: clean.rows, attempts: 1, peakRssMb: rss });
    expect(rss).toBeLessThan(RSS_LIMIT_MB);
    await w.stop();
  });

  /** A new job whose attempts are killed (SIGKILL) `kills` times mid-write, then a worker left to end it. */
  async function killedThenRun(kills: number) {
    const started = Date.now();
    const id = await create();
    const seen = new Set<string>();
    const rss: number[] = [];
    for (let kill = 0; kill < kills; kill++) {
      const w = worker();
      await attemptWriting(id, seen);
      rss.push(await kill9(w));
    }
    const last = worker();
    await ended(id);
    rss.push(peakRssMb(last));
    return { started, id, rss, last, job: await get(id) };
  }

  it('killed (SIGKILL) twice: SUCCEEDED on attempt 3 of 3 with the clean output; both abandoned batches aborted, their staged files gone', async () => {
    const { started, id, rss, last, job } = await killedThenRun(2);
    expect(job.status).toBe('SUCCEEDED');
    expect(await attemptsOf(id)).toBe(3);
    expect(await sortedRows(job.destination.batchId)).toEqual(clean);
    const batches = await batchesOf(id);
    expect(batches.map((b) => b.status)).toEqual(['aborted', 'aborted', 'success']);
    for (const b of batches.slice(0, 2)) expect(await filesUnder(b.id)).toEqual([]);
    figure('kill -9 twice', { msToEnd: Date.now() - started, attempts: await attemptsOf(id), peakRssMb: rss });
    for (const r of rss) expect(r).toBeLessThan(RSS_LIMIT_MB);
    await last.stop();
  });

  it('killed three times with EXPORT_ATTEMPTS=3: FAILED naming its attempts; no batch loading, no file left under any of its batches', async () => {
    const { started, id, rss, last, job } = await killedThenRun(3);
    expect(job.status).toBe('FAILED');
    expect(job.errors).toEqual([{ code: '0100000003', msg: expect.stringMatching(/after 3 attempts.*attempt 3 of 3/), callStack: expect.any(String) }]);
    expect(await attemptsOf(id)).toBe(3);
    const batches = await batchesOf(id);
    expect(batches).toHaveLength(3);
    expect(batches.every((b) => b.status === 'aborted')).toBe(true);
    for (const b of batches) expect(await filesUnder(b.id)).toEqual([]);
    figure('kill -9 three times', { msToEnd: Date.now() - started, attempts: await attemptsOf(id), errors: job.errors.map((e: { msg: string }) => e.msg), peakRssMb: rss });
    for (const r of rss) expect(r).toBeLessThan(RSS_LIMIT_MB);
    await last.stop();
  });

  it('Redis keys deleted mid-export with two workers: the job runs once (one attempt, one batch, one success) and is not started again', async () => {
    const a = worker();
    const b = worker();
    const started = Date.now();
    const id = await create();
    await attemptWriting(id, new Set());
    expect(await env.flushQueueKeys()).toBeGreaterThan(0);
    await ended(id);
    const msToEnd = Date.now() - started;
    // Several reconcile intervals (500 ms) after the end: nothing starts it again.
    await new Promise((r) => setTimeout(r, 2500));
    const rss = [peakRssMb(a), peakRssMb(b)];
    const job = await get(id);
    expect(job.status).toBe('SUCCEEDED');
    // One batch: a second run would have started its own (and aborted the first one's).
    expect((await batchesOf(id)).map((x) => x.status)).toEqual(['success']);
    const lines = [...a.lines, ...b.lines].filter((l) => l.exportJobId === id);
    const attemptsStarted = lines.filter((l) => l.msg === 'export attempt started').length;
    const succeeded = lines.filter((l) => l.msg === 'export succeeded').length;
    expect({ attemptsStarted, succeeded, attempts: await attemptsOf(id) }).toEqual({ attemptsStarted: 1, succeeded: 1, attempts: 1 });
    expect(await sortedRows(job.destination.batchId)).toEqual(clean);
    expect(lines.filter((l) => l.msg === 'export attempt failed; it will be retried' || l.msg === 'export failed')).toEqual([]);
    figure('redis keys deleted mid-job', { msToEnd, attemptsStarted, succeeded, peakRssMb: rss });
    for (const r of rss) expect(r).toBeLessThan(RSS_LIMIT_MB);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('the database connection cut once mid-export: attempt 2 succeeds with the clean output', async () => {
    const w = worker();
    const started = Date.now();
    const id = await create();
    const seen = new Set<string>();
    await attemptWriting(id, seen);
    const cut = await env.db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY (%' AND pid <> pg_backend_pid()`,
    );
    expect(cut.rowCount).toBeGreaterThanOrEqual(1);
    await ended(id);
    const rss = peakRssMb(w);
    const job = await get(id);
    expect(job.status).toBe('SUCCEEDED');
    expect(await attemptsOf(id)).toBe(2);
    expect(await sortedRows(job.destination.batchId)).toEqual(clean);
    const batches = await batchesOf(id);
    expect(batches.map((b) => b.status)).toEqual(['aborted', 'success']);
    expect(await filesUnder(batches[0].id)).toEqual([]);
    figure('connection cut once', { msToEnd: Date.now() - started, attempts: 2, peakRssMb: rss });
    expect(rss).toBeLessThan(RSS_LIMIT_MB);
    await w.stop();
  });

  it("DELETE of a PROCESSING job whose worker was killed: the next attempt ends it CANCELLED and discards the killed attempt's batch", async () => {
    const first = worker();
    const id = await create();
    const batchId = await attemptWriting(id, new Set());
    const rss = [await kill9(first)];
    await api.http.delete(`${JOBS}/${id}`).set(client.headers()).expect(204);
    const second = worker();
    const started = Date.now();
    await ended(id);
    rss.push(peakRssMb(second));
    expect((await get(id)).status).toBe('CANCELLED');
    expect((await batchesOf(id)).map((b) => [b.id, b.status])).toEqual([[batchId, 'aborted']]);
    expect(await filesUnder(batchId)).toEqual([]);
    figure('cancel after a kill', { msToEnd: Date.now() - started, peakRssMb: rss });
    for (const r of rss) expect(r).toBeLessThan(RSS_LIMIT_MB);
    await second.stop();
  });

  it('50 concurrent creates with one Idempotency-Key: one job', async () => {
    const body = client.job(minimalJobBody('faults-idem-50'));
    const started = Date.now();
    const responses = await Promise.all(Array.from({ length: 50 }, () => api.http.post(JOBS).set(client.headers()).set('Idempotency-Key', 'faults-50').send(body)));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    const stored = await env.db.query(`SELECT count(*)::int AS n FROM export_jobs WHERE fields = 'faults-idem-50'`);
    expect(stored.rows[0].n).toBe(1);
    figure('50 concurrent idempotent creates', { ms: Date.now() - started, jobs: stored.rows[0].n });
  });
});
