import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync, createGzip } from 'node:zlib';
import request from 'supertest';
import { ApiHarness, ORG_A } from './support/api-harness';
import { ChildApp, eventually } from './support/child-process';
import { CATALOG, IMPORT, profile } from './support/profile-store';
import { ROOT, TestEnv, createTestEnv } from './support/test-env';

const run = promisify(execFile);

/** A free loopback port for the API child. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Peak resident memory of a child process (VmHWM), MiB. */
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** `megabytes` MiB of zeros, gzipped as a stream (never held whole): a bomb. */
async function gzippedZeros(megabytes: number): Promise<Buffer> {
  const gz = createGzip();
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve) => gz.on('end', resolve));
  const mib = Buffer.alloc(1 << 20);
  for (let i = 0; i < megabytes; i++) if (!gz.write(mib)) await new Promise((r) => gz.once('drain', r));
  gz.end();
  await done;
  return Buffer.concat(out);
}

const jsonl = (records: unknown[]) => Buffer.from(records.map((r) => JSON.stringify(r)).join('\n') + '\n');

/**
 * Bad batch files against the real API and worker processes: each batch ends `failed` with its
 * reason (file and line) within seconds, the API keeps answering, no database connection is held,
 * and neither process grows past its memory bound. Also: a worker killed mid-promotion leaves
 * nothing visible and the next attempt commits the batch once; promotions Redis lost are re-queued.
 */
describe('bad batch files and promotion faults (real API and worker processes)', () => {
  jest.setTimeout(180_000);
  let env: TestEnv;
  let api: ChildApp;
  let worker: ChildApp;
  let http: ReturnType<typeof request>;
  let headers: Record<string, string>;
  let dataset: string;
  let eventDataset: string;
  const workerEnv = { WORKER_LOCK_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000', INGEST_MAX_BATCH_RECORDS: '5000', LOG_LEVEL: 'info' };

  beforeAll(async () => {
    env = await createTestEnv('badfiles');
    const port = await freePort();
    api = ChildApp.start('api', env.childEnv({ PORT: String(port), LOG_LEVEL: 'info' }));
    await api.waitForLog((l) => l.msg === 'api listening', 30_000);
    worker = ChildApp.start('worker', env.childEnv(workerEnv));
    await worker.waitForLog((l) => l.msg === 'worker started', 30_000);
    http = request(`http://127.0.0.1:${port}`);
    const created = JSON.parse(
      (await run('node', [join(ROOT, 'dist/apps/cli/src/main.js'), 'create-client', '--org', ORG_A, '--sandboxes', 'prod'], { env: env.childEnv() })).stdout,
    );
    const token = (
      await http.post('/ims/token/v3').type('form').send({ grant_type: 'client_credentials', client_id: created.clientId, client_secret: created.clientSecret }).expect(200)
    ).body.access_token;
    headers = { Authorization: `Bearer ${token}`, 'x-api-key': created.clientId, 'x-gw-ims-org-id': ORG_A, 'x-sandbox-name': 'prod' };
    const ds = async (schema: string) =>
      (
        (
          await http
            .post(`${CATALOG}/dataSets`)
            .set(headers)
            .send({ name: schema, schemaRef: { id: `https://ns.adobe.com/xdm/context/${schema}` } })
            .expect(201)
        ).body[0] as string
      ).replace('@/dataSets/', '');
    dataset = await ds('profile');
    eventDataset = await ds('experienceevent');
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await api?.stop('SIGKILL');
    await env?.close();
  });

  const batchOf = async (id: string) => (await http.get(`${CATALOG}/batches/${id}`).set(headers).expect(200)).body[id];

  /** Batch with one uploaded file, then COMPLETE; answers the batch id and how long COMPLETE took. */
  async function submit(body: Buffer, fileName = 'part-1.json', datasetId = dataset) {
    const batchId = (
      await http
        .post(`${IMPORT}/batches`)
        .set(headers)
        .send({ datasetId, inputFormat: { format: 'json' } })
        .expect(201)
    ).body.id as string;
    await http.put(`${IMPORT}/batches/${batchId}/datasets/${datasetId}/files/${fileName}`).set(headers).set('Content-Type', 'application/octet-stream').send(body).expect(201);
    const t0 = Date.now();
    const res = await http.post(`${IMPORT}/batches/${batchId}?action=COMPLETE`).set(headers).expect(200);
    expect(res.body.status).toBe('staging');
    return { batchId, completeMs: Date.now() - t0 };
  }

  async function settle(batchId: string, timeoutMs = 15_000) {
    let batch: Record<string, any> = {};
    await eventually(
      async () => {
        batch = await batchOf(batchId);
        return batch.status !== 'staging' && batch.status !== 'processing';
      },
      timeoutMs,
      50,
    );
    return batch;
  }

  const valid = jsonl([profile('ann'), profile('bob')]);
  const gz = gzipSync(valid);
  const badCrc = Buffer.from(gz);
  badCrc.writeUInt32LE(badCrc.readUInt32LE(badCrc.length - 8) ^ 0xffffffff, badCrc.length - 8);
  const deep = Buffer.from(`{"identityMap":{"Email":[{"id":"deep@example.com"}]},"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}\n`);
  const invalidUtf8 = Buffer.concat([
    jsonl([profile('ok')]),
    Buffer.from('{"identityMap":{"Email":[{"id":"u@example.com"}]},"name":"'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('"}\n'),
  ]);
  const hugeLine = Buffer.concat([Buffer.from('{"identityMap":{"Email":[{"id":"big@example.com"}]},"pad":"'), Buffer.alloc(20 << 20, 'a'), Buffer.from('"}\n')]);

  const cases: Array<[string, () => Promise<Buffer> | Buffer, RegExp, number | undefined]> = [
    ['corrupt gzip (magic bytes, then random bytes)', () => Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), randomBytes(4096)]), /gzip/i, undefined],
    ['truncated gzip', () => gz.subarray(0, Math.floor(gz.length / 2)), /gzip|truncated|end/i, undefined],
    ['gzip with a bad CRC', () => badCrc, /gzip|check|crc/i, undefined],
    ['gzip bomb (300 MiB of zeros)', () => gzippedZeros(300), /ratio|larger|limit/i, undefined],
    ['a 20 MiB line', () => hugeLine, /larger|bytes|limit/i, 1],
    ['a record nested 100,000 deep', () => deep, /deep|nest/i, 1],
    ['a NUL character (\\u0000)', () => jsonl([profile('ok'), profile('nul', { name: 'a\u0000b' })]), /NUL/, 2],
    ['a raw NUL byte', () => Buffer.concat([jsonl([profile('ok')]), Buffer.from('{"identityMap":{"Email":[{"id":"z@example.com"}]}}\u0000\n')]), /NUL|JSON/i, 2],
    ['invalid UTF-8', () => invalidUtf8, /UTF-8/, 2],
    ['a truncated JSON array', () => Buffer.from('[{"identityMap":{"Email":[{"id":"a@example.com"}]}},{"identityMap":'), /not closed|array/i, undefined],
  ];

  it.each(cases)('%s: the batch ends failed with its reason within seconds, nothing stored', async (_name, make, reason, line) => {
    const { batchId, completeMs } = await submit(await make());
    const t0 = Date.now();
    const batch = await settle(batchId);
    const ms = Date.now() - t0;
    expect(batch.status).toBe('failed');
    expect(batch.errors[0]).toMatchObject({ file: 'part-1.json', description: expect.stringMatching(reason) });
    if (line !== undefined) expect(batch.errors[0].line).toBe(line);
    expect((await env.db.query('SELECT count(*)::int AS n FROM profile_fragments WHERE batch_id = $1', [batchId])).rows[0].n).toBe(0);
    console.log(`bad batch file: ${_name}: COMPLETE answered in ${completeMs} ms, failed ${ms} ms later: ${batch.errors[0].code} ${batch.errors[0].description}`);
  });

  it('a batch over INGEST_MAX_BATCH_RECORDS fails naming the limit; events keep their own rules', async () => {
    const many = jsonl(Array.from({ length: 5001 }, (_, i) => profile(`p${i}`)));
    const { batchId } = await submit(many);
    const batch = await settle(batchId);
    expect(batch).toMatchObject({ status: 'failed', errors: [expect.objectContaining({ code: 'BATCH_TOO_LARGE', line: 5001 })] });
    const ev = await submit(jsonl([{ identityMap: { Email: [{ id: 'e@example.com' }] }, timestamp: '2024-01-01T00:00:00Z' }]), 'ev.json', eventDataset);
    expect(await settle(ev.batchId)).toMatchObject({ status: 'failed', errors: [expect.objectContaining({ description: '_id must be a non-empty string', line: 1 })] });
  });

  it('after all of them: the API answers GETs promptly, no connection is held, memory stayed bounded', async () => {
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = Date.now();
      await http.get(`${CATALOG}/dataSets`).set(headers).expect(200);
      latencies.push(Date.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    const held = await env.db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND (state = 'idle in transaction' OR (state = 'active' AND query ILIKE 'COPY%'))`,
    );
    const apiMiB = peakRssMiB(api.proc.pid!);
    const workerMiB = peakRssMiB(worker.proc.pid!);
    console.log(
      `bad batch files: GET p50 ${latencies[10]} ms, max ${latencies[19]} ms; connections held ${held.rows[0].n}; API peak RSS ${apiMiB.toFixed(0)} MiB, worker ${workerMiB.toFixed(0)} MiB`,
    );
    expect(latencies[10]).toBeLessThan(200);
    expect(held.rows[0].n).toBe(0);
    expect(apiMiB).toBeLessThan(300);
    expect(workerMiB).toBeLessThan(300);
  });

  it('a second COMPLETE answers at once with the batch as it is, whatever it is doing (AEP: safe to retry)', async () => {
    const { batchId } = await submit(valid);
    const t0 = Date.now();
    const again = await http.post(`${IMPORT}/batches/${batchId}?action=COMPLETE`).set(headers).expect(200);
    expect(['staging', 'processing', 'success']).toContain(again.body.status);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await settle(batchId)).toMatchObject({ status: 'success', metrics: { recordsWritten: 2 } });
  });

  it('a worker killed mid-promotion leaves nothing visible; the next attempt commits the batch once', async () => {
    await worker.stop('SIGTERM');
    const bigEnv = { ...workerEnv, INGEST_MAX_BATCH_RECORDS: '1000000' };
    worker = ChildApp.start('worker', env.childEnv(bigEnv));
    const n = 150_000;
    const big = jsonl(Array.from({ length: n }, (_, i) => profile(`k${i}`, { loyalty: { points: i, tier: 'gold', note: 'x'.repeat(200) } })));
    const { batchId } = await submit(big);
    await eventually(async () => (await batchOf(batchId)).status === 'processing', 15_000, 20);
    await new Promise((r) => setTimeout(r, 300)); // well into the COPY
    worker.proc.kill('SIGKILL');
    await worker.exited;
    const during = await batchOf(batchId);
    expect(during.status).toBe('processing');
    expect((await env.db.query('SELECT count(*)::int AS n FROM profile_fragments WHERE batch_id = $1', [batchId])).rows[0].n).toBe(0);
    const t0 = Date.now();
    worker = ChildApp.start('worker', env.childEnv(bigEnv));
    const batch = await settle(batchId, 60_000);
    expect(batch).toMatchObject({ status: 'success', metrics: { recordsWritten: n } });
    const stored = await env.db.query('SELECT count(*)::int AS n, count(DISTINCT primary_identity)::int AS d FROM profile_fragments WHERE batch_id = $1', [batchId]);
    expect(stored.rows[0]).toEqual({ n, d: n });
    const attempts = (await env.db.query('SELECT promotion_attempts FROM batches WHERE id = $1', [batchId])).rows[0].promotion_attempts;
    expect(attempts).toBe(2);
    console.log(`promotion killed mid-COPY: retried and committed ${n} records once, ${Date.now() - t0} ms after the new worker started (attempts ${attempts})`);
  });

  it('promotions Redis lost are queued again by the reconciler and run once', async () => {
    await worker.stop('SIGTERM'); // no consumer while the keys go
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await submit(jsonl([profile(`lost${i}`)]))).batchId);
    expect(await env.flushQueueKeys()).toBeGreaterThan(0);
    worker = ChildApp.start('worker', env.childEnv({ ...workerEnv, RECONCILE_INTERVAL_MS: '300' }));
    for (const id of ids) expect(await settle(id)).toMatchObject({ status: 'success', metrics: { recordsWritten: 1 } });
    const rows = await env.db.query('SELECT id, promotion_attempts FROM batches WHERE id = ANY($1) ORDER BY id', [ids]);
    expect(rows.rows.every((r) => r.promotion_attempts === 1)).toBe(true);
  });

  it('COMPLETE while Redis is unreachable: 200 at once, and a worker enqueues it from the outbox marker', async () => {
    const offline = await ApiHarness.start(env.config({ REDIS_URL: 'redis://127.0.0.1:1', ENQUEUE_TIMEOUT_MS: '300' }));
    try {
      const batchId = (
        await http
          .post(`${IMPORT}/batches`)
          .set(headers)
          .send({ datasetId: dataset, inputFormat: { format: 'json' } })
          .expect(201)
      ).body.id as string;
      await http
        .put(`${IMPORT}/batches/${batchId}/datasets/${dataset}/files/a.json`)
        .set(headers)
        .set('Content-Type', 'application/octet-stream')
        .send(jsonl([profile('outbox')]))
        .expect(201);
      const t0 = Date.now();
      const res = await offline.http.post(`${IMPORT}/batches/${batchId}?action=COMPLETE`).set(headers).expect(200);
      expect(res.body.status).toBe('staging');
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(await settle(batchId)).toMatchObject({ status: 'success', metrics: { recordsWritten: 1 } });
      // The API could not enqueue it (Redis unreachable), so only the worker's reconciler can have:
      // from the marker, or (a pass that started before COMPLETE committed) from the `staging` status.
      // Either way the marker is gone once the batch is queued.
      expect((await env.db.query('SELECT count(*)::int AS n FROM batch_promotion_outbox WHERE batch_id = $1', [batchId])).rows[0].n).toBe(0);
    } finally {
      await offline.close();
    }
  });
});
