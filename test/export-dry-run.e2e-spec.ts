import type { INestApplicationContext } from '@nestjs/common';
import { parquetReadObjects } from 'hyparquet';
import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { batchFiles } from './support/batch-files';
import { segmentedJobBody, JOBS, createJob, endedJob, expectedCounts, loadSegmentedStore } from './support/segmented-store';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

const PROFILES = 40;
const HOOKS = '/data/core/ups/config/webhooks';

/**
 * Issue 15, dry runs: POST /export/jobs?dryRun=true (or "dryRun": true) validates as a job does,
 * runs the real plan and pipeline on a worker, and answers the counts and first rows a real export
 * of the same store writes, with no batch, no file and no webhook.
 */
describe('export dry runs (real API, worker, Postgres, Redis, storage)', () => {
  jest.setTimeout(120_000);
  let env: TestEnv;
  let api: ApiHarness;
  let worker: INestApplicationContext | undefined;
  let client: TestClient;
  let out: string;
  const settings = { EXPORT_PARTITION_PROFILES: '0', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', RECONCILE_INTERVAL_MS: '500' };

  beforeAll(async () => {
    env = await createTestEnv('export_dry_run');
    api = await ApiHarness.start(env.config(settings));
    worker = await startWorker(env.config(settings));
    client = await api.client(ORG_A, ['prod']);
    out = client.datasets.prod;
    await loadSegmentedStore(api, client, PROFILES);
    // Subscribed to every export event: a dry run must queue none of them.
    await api.http
      .post(HOOKS)
      .set(client.headers())
      .send({ url: 'http://127.0.0.1:9/hook', events: ['export.succeeded', 'export.failed', 'export.cancelled'] })
      .expect(201);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
  });

  const body = (destination: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => segmentedJobBody(out, destination, extra);
  const count = async (sql: string, params: unknown[] = []) => Number((await env.db.query(sql, params)).rows[0].n);
  const exportBatches = () => count(`SELECT count(*) AS n FROM batches WHERE origin = 'export'`);
  const deliveriesOf = (id: number) => count(`SELECT count(*) AS n FROM webhook_deliveries WHERE (payload::jsonb -> 'data' ->> 'id')::int = $1`, [id]);

  /** The rows a real export of `b` wrote, as a reader of its files gets them. */
  async function realRows(job: any, format: string): Promise<unknown[]> {
    const batchIds: string[] = job.destination.batches?.length ? job.destination.batches.map((x: any) => x.batchId) : [job.destination.batchId];
    const rows: unknown[] = [];
    for (const f of (await batchFiles(api, client, batchIds[0])).filter((x) => x.name !== '_manifest.json')) {
      if (format === 'jsonl')
        rows.push(
          ...f.bytes
            .toString('utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l)),
        );
      else {
        const objects = await parquetReadObjects({ file: new Uint8Array(f.bytes).buffer });
        rows.push(...objects.map((o: any) => ({ ...o, profile: typeof o.profile === 'string' ? JSON.parse(o.profile) : o.profile })));
      }
    }
    return rows;
  }

  it.each(['jsonl', 'parquet'])('%s: answered within the request with the counts and the first 10 rows of the real export; no batch, file or webhook', async (format) => {
    const batchesBefore = await exportBatches();
    const dry = await createJob(api, client, body({ outputFormat: format }), '?dryRun=true');
    expect(dry).toMatchObject({ status: 'SUCCEEDED', dryRun: true });
    expect(dry.destination).not.toHaveProperty('batchId');
    expect(await exportBatches()).toBe(batchesBefore);

    const real = await endedJob(api, client, (await createJob(api, client, body({ outputFormat: format }))).id);
    expect(real.status).toBe('SUCCEEDED');
    expect(real).not.toHaveProperty('dryRun');
    const expected = expectedCounts(PROFILES);
    expect(dry.dryRunResult).toMatchObject({ profiles: expected.profiles, byNamespace: expected.byNamespace, bySegment: expected.bySegment });
    expect(dry.dryRunResult.profiles).toBe(real.metrics.totalExportedProfileCounter);
    expect(dry.dryRunResult.byNamespace).toEqual(real.metrics.exportedProfileByNamespaceCounter);
    expect(dry.dryRunResult.bySegment).toEqual(real.metrics.exportedProfileBySegmentCounter);
    expect(dry.dryRunResult.sample).toEqual((await realRows(real, format)).slice(0, 10));
    expect(dry.dryRunResult.sample).toHaveLength(10);

    // The stored job says the same; it is listed with the others.
    const stored = (await api.http.get(`${JOBS}/${dry.id}`).set(client.headers()).expect(200)).body;
    expect(stored).toEqual(dry);
    const list = (await api.http.get(`${JOBS}?limit=20`).set(client.headers()).expect(200)).body.records;
    expect(list.find((j: any) => j.id === dry.id)).toMatchObject({ dryRun: true, status: 'SUCCEEDED' });
    expect(list.find((j: any) => j.id === real.id)).not.toHaveProperty('dryRun');
    // The real job queued its webhook; the dry run none.
    expect(await deliveriesOf(real.id)).toBe(1);
    expect(await deliveriesOf(dry.id)).toBe(0);
  });

  it('the body flag works as the query; segmentPerBatch samples each profile once; without a segment filter there is no bySegment', async () => {
    const dry = await createJob(api, client, body({ segmentPerBatch: true }, { dryRun: true }));
    expect(dry).toMatchObject({ status: 'SUCCEEDED', dryRun: true, dryRunResult: { profiles: expectedCounts(PROFILES).profiles } });
    const ids = dry.dryRunResult.sample.map((r: any) => JSON.stringify(r.identities));
    expect(new Set(ids).size).toBe(ids.length);
    const all = await createJob(api, client, { schema: { name: '_xdm.context.profile' }, destination: { datasetId: out, outputFormat: 'jsonl' } }, '?dryRun=TRUE');
    expect(all.dryRunResult.profiles).toBe(PROFILES);
    expect(all.dryRunResult).not.toHaveProperty('bySegment');
    expect(all).not.toHaveProperty('metrics.exportedProfileBySegmentCounter');
  });

  it('an Idempotency-Key of a dry run never replays a real job (nor the other way round)', async () => {
    const key = `dry-${Date.now()}`;
    const send = (query: string) => api.http.post(`${JOBS}${query}`).set(client.headers()).set('Idempotency-Key', key).send(body()).expect(200);
    const dry = (await send('?dryRun=true')).body;
    const real = (await send('')).body;
    expect(real.id).not.toBe(dry.id);
    expect(real).not.toHaveProperty('dryRun');
    expect((await send('?dryRun=true')).body.id).toBe(dry.id);
    expect((await send('')).body.id).toBe(real.id);
    await endedJob(api, client, real.id);
  });

  it('the same 400s as a job, and a 400 when the query and the body disagree or the query is not a boolean', async () => {
    const before = await count('SELECT count(*) AS n FROM export_jobs');
    const bad = await api.http
      .post(`${JOBS}?dryRun=true`)
      .set(client.headers())
      .send(body({ datasetId: '000000000000000000000000' }))
      .expect(400);
    expect(JSON.stringify(bad.body)).toContain('destination.datasetId');
    const badSchema = await api.http
      .post(`${JOBS}?dryRun=true`)
      .set(client.headers())
      .send({ destination: { datasetId: out } })
      .expect(400);
    expect(JSON.stringify(badSchema.body)).toContain('schema');
    for (const [query, flag] of [
      ['?dryRun=true', false],
      ['?dryRun=false', true],
    ] as const) {
      const r = await api.http
        .post(`${JOBS}${query}`)
        .set(client.headers())
        .send(body({}, { dryRun: flag }))
        .expect(400);
      expect(JSON.stringify(r.body)).toContain('dryRun');
      expect(JSON.stringify(r.body)).toContain('disagrees');
    }
    const notBool = await api.http.post(`${JOBS}?dryRun=maybe`).set(client.headers()).send(body()).expect(400);
    expect(JSON.stringify(notBool.body)).toContain('dryRun');
    const bodyNotBool = await api.http
      .post(JOBS)
      .set(client.headers())
      .send(body({}, { dryRun: 'yes' }))
      .expect(400);
    expect(JSON.stringify(bodyNotBool.body)).toContain('dryRun');
    expect(await count('SELECT count(*) AS n FROM export_jobs')).toBe(before);
  });

  it('as a job: with DRY_RUN_WAIT_MS tiny (or no worker) the API answers the job as it stands, and the client polls it to its result', async () => {
    await worker?.close();
    worker = undefined;
    const quick = await ApiHarness.start(env.config({ ...settings, DRY_RUN_WAIT_MS: '1' }));
    try {
      const started = Date.now();
      const dry = (await quick.http.post(`${JOBS}?dryRun=true`).set(client.headers()).send(body()).expect(200)).body;
      expect(Date.now() - started).toBeLessThan(5000);
      expect(dry).toMatchObject({ status: 'NEW', dryRun: true });
      expect(dry).not.toHaveProperty('dryRunResult');
      worker = await startWorker(env.config(settings));
      const done = await endedJob(quick, client, dry.id);
      expect(done).toMatchObject({ status: 'SUCCEEDED', dryRun: true, dryRunResult: { profiles: expectedCounts(PROFILES).profiles } });
      expect(await deliveriesOf(dry.id)).toBe(0);
    } finally {
      await quick.close();
    }
  });

  it('a cancelled dry run ends CANCELLED with no webhook', async () => {
    await worker?.close();
    worker = undefined;
    const quick = await ApiHarness.start(env.config({ ...settings, DRY_RUN_WAIT_MS: '0' }));
    try {
      const dry = (await quick.http.post(`${JOBS}?dryRun=true`).set(client.headers()).send(body()).expect(200)).body;
      await quick.http.delete(`${JOBS}/${dry.id}`).set(client.headers()).expect(204);
      expect((await quick.http.get(`${JOBS}/${dry.id}`).set(client.headers()).expect(200)).body.status).toBe('CANCELLED');
      expect(await deliveriesOf(dry.id)).toBe(0);
    } finally {
      await quick.close();
      worker = await startWorker(env.config(settings));
    }
  });
});
