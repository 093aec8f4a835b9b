import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { ChildApp, ChildWorkers, eventually } from './support/child-process';
import { loadGeneratedStore } from './support/generated-store';
import { TestEnv, createTestEnv } from './support/test-env';

const JOBS = '/data/core/ups/export/jobs';

/** One sample of a metric from Prometheus text: its value, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^([^{\s]+)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Every label value of every series but bucket bounds (`le`): what must never hold a job id or an org. */
function labelValues(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .flatMap((l) => [...l.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].filter((x) => x[1] !== 'le').map((x) => x[2]));
}

/**
 * Health, readiness and Prometheus metrics (issue #14) of the real API and a real worker process,
 * against real Postgres, Redis and storage, and with each dependency made unreachable.
 */
describe('operability: /health and /metrics of the API and the worker', () => {
  jest.setTimeout(120_000);
  let env: TestEnv;
  let api: ApiHarness;
  let client: TestClient;
  let gen: string | undefined;
  const workers = new ChildWorkers((o) => env.childEnv(o), { LOG_LEVEL: 'info', RECONCILE_INTERVAL_MS: '500' });

  beforeAll(async () => {
    env = await createTestEnv('operations');
    api = await ApiHarness.start(env.config());
    client = await api.client(ORG_A, ['prod']);
    gen = await loadGeneratedStore(env, api, client, { profiles: 200, seed: 3 });
  });
  // A test that failed midway must not leave its worker to take the next test's jobs.
  afterEach(() => workers.stopAll());
  afterAll(async () => {
    await workers.stopAll();
    await api?.close();
    await env?.close();
    if (gen) await rm(gen, { recursive: true, force: true });
  });

  async function workerPort(w: ChildApp): Promise<number> {
    const started = await w.waitForLog((l) => l.msg === 'worker started', 30_000);
    expect(typeof started.httpPort).toBe('number');
    return started.httpPort as number;
  }

  it('API: live and ready answer without credentials, naming each dependency', async () => {
    const live = await api.http.get('/health/live').expect(200);
    expect(live.body.status).toBe('ok');
    const ready = await api.http.get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, redis: { status: 'up' }, storage: { status: 'up' } } });
  });

  it('an export run by a worker process shows in both apps’ metrics, with bounded labels only', async () => {
    const res = await api.http
      .post(JOBS)
      .set(client.headers())
      .send({ fields: 'person.name', destination: { datasetId: client.datasets.prod, outputFormat: 'jsonl' }, schema: { name: '_xdm.context.profile' } })
      .expect(200);
    const id = res.body.id as number;
    // Redis loses the queued job: the worker's reconciler queues it again (an action it counts).
    await env.flushQueueKeys();
    const w = workers.start();
    const port = await workerPort(w);
    await eventually(async () => (await api.http.get(`${JOBS}/${id}`).set(client.headers())).body.status === 'SUCCEEDED', 60_000, 100);
    const job = (await api.http.get(`${JOBS}/${id}`).set(client.headers()).expect(200)).body;
    const profiles = job.metrics.totalExportedProfileCounter as number;
    expect(profiles).toBeGreaterThan(0);

    const apiText = (
      await api.http
        .get('/metrics')
        .expect(200)
        .expect('content-type', /text\/plain/)
    ).text;
    expect(sample(apiText, 'sx_jobs', { kind: 'export', status: 'SUCCEEDED', app: 'api' })).toBe(1);
    expect(sample(apiText, 'sx_queue_jobs', { queue: 'segment-export', state: 'waiting' })).toBe(0);
    expect(sample(apiText, 'sx_queue_jobs', { queue: 'batch-promotion', state: 'failed' })).toBe(0);
    expect(sample(apiText, 'sx_jobs_processing_stale_seconds', { kind: 'export' })).toBe(0);
    expect(sample(apiText, 'sx_metrics_source_up', { source: 'postgres' })).toBe(1);
    expect(sample(apiText, 'sx_metrics_source_up', { source: 'redis' })).toBe(1);
    // The route pattern, never the id.
    expect(sample(apiText, 'sx_http_request_duration_seconds_count', { method: 'GET', route: '/data/core/ups/export/jobs/:id', status_code: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(apiText, 'sx_http_request_duration_seconds_count', { method: 'POST', route: '/data/core/ups/export/jobs', status_code: '200' })).toBe(1);
    expect(sample(apiText, 'process_cpu_seconds_total')).toBeGreaterThan(0);

    const workerText = (await request(`http://127.0.0.1:${port}`).get('/metrics').expect(200)).text;
    expect(sample(workerText, 'sx_jobs_ended_total', { kind: 'export', status: 'SUCCEEDED', app: 'worker' })).toBe(1);
    expect(sample(workerText, 'sx_job_duration_seconds_count', { kind: 'export', status: 'SUCCEEDED' })).toBe(1);
    expect(sample(workerText, 'sx_job_duration_seconds_bucket', { kind: 'export', status: 'SUCCEEDED', le: '+Inf' })).toBe(1);
    expect(sample(workerText, 'sx_exported_profiles_total')).toBe(profiles);
    expect(sample(workerText, 'sx_export_profiles_per_second_count')).toBe(1);
    expect(sample(workerText, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(sample(workerText, 'sx_reconciler_actions_total', { reconciler: 'export', action: 'requeued' })).toBeGreaterThanOrEqual(1);

    for (const text of [apiText, workerText]) {
      const values = labelValues(text);
      expect(values).not.toContain(String(id));
      expect(values.filter((v) => v.includes(ORG_A) || v.includes('prod'))).toEqual([]);
    }
    const ready = await request(`http://127.0.0.1:${port}`).get('/health/ready').expect(200);
    expect(ready.body.info).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' }, storage: { status: 'up' } });
    await request(`http://127.0.0.1:${port}`).get(JOBS).expect(404); // health and metrics only
    await workers.stopAll();
  });

  it('the worker counts the promotions it ended and the records they refused', async () => {
    // The store was loaded by an in-process worker; this one promotes a fresh batch of its own.
    const w = workers.start();
    const port = await workerPort(w);
    const { rows } = await env.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM profile_fragments`);
    const before = rows[0].n;
    const dataset = client.datasets.prod;
    const batch = await api.http
      .post('/data/foundation/import/batches')
      .set(client.headers())
      .send({ datasetId: dataset, inputFormat: { format: 'json' } })
      .expect(201);
    const batchId = batch.body.id as string;
    const lines = [1, 2, 3].map((i) => JSON.stringify({ identityMap: { Email: [{ id: `m${i}@x.io`, primary: true }] }, person: { name: { firstName: `M${i}` } } }));
    lines.push('{"not": "a profile"}');
    await api.http
      .put(`/data/foundation/import/batches/${batchId}/datasets/${dataset}/files/part.json`)
      .set({ ...client.headers(), 'content-type': 'application/octet-stream' })
      .send(Buffer.from(lines.join('\n') + '\n'))
      .expect(201);
    await api.http.post(`/data/foundation/import/batches/${batchId}?action=COMPLETE`).set(client.headers()).expect(200);
    await eventually(async () => (await env.db.query(`SELECT status FROM batches WHERE id = $1`, [batchId])).rows[0]?.status === 'failed', 30_000, 100);
    expect((await env.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM profile_fragments`)).rows[0].n).toBe(before);
    const text = (await request(`http://127.0.0.1:${port}`).get('/metrics').expect(200)).text;
    // Without a partial-ingestion threshold one refused record fails the batch: none is stored.
    expect(sample(text, 'sx_jobs_ended_total', { kind: 'promotion', status: 'failed' })).toBe(1);
    expect(sample(text, 'sx_ingested_records_total', { kind: 'profile', outcome: 'refused' })).toBe(1);
    expect(sample(text, 'sx_ingested_records_total', { kind: 'profile', outcome: 'accepted' })).toBeUndefined();
    await workers.stopAll();
  });

  it('not ready (503) names what is down; live stays 200', async () => {
    const file = join(env.storageRoot, 'not-a-folder');
    writeFileSync(file, 'x');
    const broken = await ApiHarness.start(env.config({ STORAGE_ROOT: file, REDIS_URL: 'redis://127.0.0.1:1' }));
    try {
      await broken.http.get('/health/live').expect(200);
      const ready = await broken.http.get('/health/ready').expect(503);
      expect(ready.body.status).toBe('error');
      expect(ready.body.info).toMatchObject({ database: { status: 'up' } });
      expect(ready.body.error).toMatchObject({ redis: { status: 'down' }, storage: { status: 'down' } });
      const text = (await broken.http.get('/metrics').expect(200)).text;
      expect(sample(text, 'sx_metrics_source_up', { source: 'redis' })).toBe(0);
      expect(sample(text, 'sx_metrics_source_up', { source: 'postgres' })).toBe(1);
    } finally {
      await broken.close();
    }
    const noDb = await ApiHarness.start(env.config({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none' }));
    try {
      const ready = await noDb.http.get('/health/ready').expect(503);
      expect(ready.body.error).toMatchObject({ database: { status: 'down' } });
      expect(ready.body.info).toMatchObject({ redis: { status: 'up' }, storage: { status: 'up' } });
    } finally {
      await noDb.close();
    }
  });

  it('METRICS_TOKEN guards /metrics with a bearer token', async () => {
    const guarded = await ApiHarness.start(env.config({ METRICS_TOKEN: 'a-long-metrics-token-1234' }));
    try {
      await guarded.http.get('/metrics').expect(401);
      await guarded.http.get('/metrics').set('Authorization', 'Bearer wrong-token-wrong-token').expect(401);
      const ok = await guarded.http.get('/metrics').set('Authorization', 'Bearer a-long-metrics-token-1234').expect(200);
      expect(ok.text).toContain('sx_http_request_duration_seconds');
      await guarded.http.get('/health/ready').expect(200); // health needs no token
    } finally {
      await guarded.close();
    }
  });

  it('a worker that cannot start says why in one JSON line on stderr', async () => {
    const w = workers.start({ WORKER_HTTP_PORT: 'not-a-port' });
    const exit = await w.exited;
    expect(exit.code).toBe(1);
    const stderr = w.lines
      .filter((l) => l.level === 'stderr')
      .map((l) => String(l.msg))
      .join('');
    const line = JSON.parse(stderr.trim().split('\n').pop()!);
    expect(line).toMatchObject({ level: 'fatal', app: 'worker', msg: expect.stringContaining('WORKER_HTTP_PORT') });
  });
});
