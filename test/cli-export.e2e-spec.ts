import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { listen, runCli } from './support/cli-runner';
import { loadGeneratedStore } from './support/generated-store';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

/**
 * `export …` run as a user runs it: the built CLI in a child process, against the real API on a
 * loopback port and the real worker, with a client's credentials.
 */
describe('CLI export commands (child process, real API and worker)', () => {
  let env: TestEnv;
  let api: ApiHarness;
  let base: string;
  let client: TestClient;
  let worker: INestApplicationContext | undefined;
  let tmp: string;
  let gen: string;

  beforeAll(async () => {
    env = await createTestEnv('cli_export');
    api = await ApiHarness.start(env.config());
    base = await listen(api.app.getHttpServer() as Server);
    client = await api.client(ORG_A, ['prod']);
    gen = await loadGeneratedStore(env, api, client, { profiles: 120, seed: 5 });
    tmp = await mkdtemp(join(tmpdir(), 'sx-cli-export-'));
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    if (gen) await rm(gen, { recursive: true, force: true });
  });

  const flags = () => ['--api', base, '--client-id', client.clientId, '--client-secret', client.clientSecret, '--org', ORG_A, '--sandbox', 'prod'];
  const cli = (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, { ...env.childEnv(), ...extraEnv });
  const jobBody = () => ({ destination: { datasetId: client.datasets.prod, outputFormat: 'jsonl' }, schema: { name: '_xdm.context.profile' } });
  const sha256 = async (path: string) =>
    createHash('sha256')
      .update(await readFile(path))
      .digest('hex');

  let newJob: number;

  it('wait --timeout gives up on a job nobody runs (exit 5); cancel cancels it (NEW), wait then exits 4; a second cancel refuses (exit 1)', async () => {
    // No worker yet: the job stays NEW.
    const created = await cli(['export', 'create', JSON.stringify(jobBody()), ...flags()]);
    expect(created.code).toBe(0);
    expect(created.json).toMatchObject({ id: expect.any(Number), status: 'NEW' });
    newJob = created.json.id;

    const t0 = Date.now();
    const waited = await cli(['export', 'wait', String(newJob), '--timeout', '1', '--interval', '200', ...flags()]);
    expect(waited.code).toBe(5);
    expect(waited.json).toMatchObject({ id: newJob, status: 'NEW' });
    expect(waited.stderr).toContain(`job ${newJob} is still NEW after 1 s`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);

    const cancelled = await cli(['export', 'cancel', String(newJob), ...flags()]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.json).toMatchObject({ id: newJob, status: 'CANCELLED' });

    const after = await cli(['export', 'wait', String(newJob), ...flags()]);
    expect(after.code).toBe(4);
    expect(after.json.status).toBe('CANCELLED');
    expect(after.stderr).toContain('CANCELLED');

    const again = await cli(['export', 'cancel', String(newJob), ...flags()]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`job ${newJob} already ended CANCELLED`);
    // Left alone: the API's DELETE would have deleted it.
    await api.http.get(`/data/core/ups/export/jobs/${newJob}`).set(client.headers()).expect(200);
  });

  let job: any;
  let downloaded: string;

  it('create FILE --wait runs the job to SUCCEEDED with progress on stderr; download writes its files, each checked against its sha256', async () => {
    worker = await startWorker(env.config());
    const bodyFile = join(tmp, 'job.json');
    await writeFile(bodyFile, JSON.stringify(jobBody()));
    const created = await cli(['export', 'create', bodyFile, '--wait', '--interval', '100', '--progress', 'always', ...flags()]);
    expect(created.stderr).toMatch(/job \d+ SUCCEEDED +\[#{24}\] [\d,]+ profiles/);
    expect(created.code).toBe(0);
    job = created.json;
    expect(job.status).toBe('SUCCEEDED');
    expect(job.metrics.totalExportedProfileCounter).toBeGreaterThan(0);
    expect(job.destination.batchId).toMatch(/^[0-9a-f]{32}$/);

    downloaded = join(tmp, 'out');
    const dl = await cli(['export', 'download', String(job.id), '--out', downloaded, '--progress', 'always', ...flags()]);
    expect(dl.stderr).toMatch(/files, /);
    expect(dl.code).toBe(0);
    const stored = (await env.db.query('SELECT name, sha256, size_bytes FROM batch_files WHERE batch_id = $1 ORDER BY name', [job.destination.batchId])).rows;
    expect(stored.length).toBeGreaterThan(0);
    expect(dl.json).toMatchObject({ jobId: job.id, files: stored.length, batches: [{ batchId: job.destination.batchId }] });
    const names = (await readdir(downloaded)).sort();
    expect(names).toEqual(stored.map((r) => r.name));
    let rows = 0;
    for (const r of stored) {
      const path = join(downloaded, r.name);
      expect(await sha256(path)).toBe(r.sha256);
      const listed = dl.json.batches[0].files.find((f: any) => f.name === r.name);
      expect(listed).toMatchObject({ sha256: r.sha256, verified: true, bytes: Number(r.size_bytes) });
      if (r.name !== '_manifest.json') rows += (await readFile(path, 'utf8')).split('\n').filter(Boolean).length;
    }
    // The batch's manifest comes with its data files (for `verify`).
    expect(names).toContain('_manifest.json');
    expect(rows).toBe(job.metrics.totalExportedProfileCounter);

    // By batch id: the same files.
    const byBatch = await cli(['export', 'download', job.destination.batchId, '--out', join(tmp, 'by-batch'), ...flags()]);
    expect(byBatch.code).toBe(0);
    expect((await readdir(join(tmp, 'by-batch'))).sort()).toEqual(names);
  }, 120_000);

  it('download refuses a file whose bytes do not match the sha256 the API announces (exit 6, names the file, keeps nothing of it)', async () => {
    const [file] = (
      await env.db.query(`SELECT name, storage_key FROM batch_files WHERE batch_id = $1 AND name <> '_manifest.json' ORDER BY name LIMIT 1`, [job.destination.batchId])
    ).rows;
    const path = join(env.storageRoot, file.storage_key);
    // One byte changed in place: same length, other bytes.
    const handle = await open(path, 'r+');
    const one = Buffer.alloc(1);
    await handle.read(one, 0, 1, 10);
    await handle.write(Buffer.from([one[0] ^ 0x20]), 0, 1, 10);
    await handle.close();
    try {
      const out = join(tmp, 'tampered');
      const dl = await cli(['export', 'download', String(job.id), '--out', out, ...flags()]);
      expect(dl.code).toBe(6);
      expect(dl.stderr).toContain(file.name);
      expect(dl.stderr).toContain('checksum mismatch');
      const left = await readdir(out);
      expect(left).not.toContain(file.name);
      expect(left.filter((n) => n.endsWith('.partial'))).toEqual([]);
    } finally {
      const h = await open(path, 'r+');
      await h.write(one, 0, 1, 10);
      await h.close();
    }
  });

  it('create - reads the body from stdin; a job with a batch per segment downloads each batch into DIR/<batchId>/', async () => {
    const segments = JSON.parse(await readFile(join(gen, 'segments.json'), 'utf8')) as Array<{ id: string }>;
    const body = {
      ...jobBody(),
      destination: { ...jobBody().destination, segmentPerBatch: true },
      filter: { segments: segments.slice(0, 2).map((s) => ({ segmentId: s.id })) },
    };
    const created = await runCli(['export', 'create', '-', '--wait', '--interval', '100', ...flags()], env.childEnv(), { input: JSON.stringify(body) });
    expect(created.code).toBe(0);
    const batches = (created.json.destination.batches as Array<{ batchId: string }>).map((b) => b.batchId);
    expect(batches).toHaveLength(2);
    const out = join(tmp, 'per-segment');
    const dl = await cli(['export', 'download', String(created.json.id), '--out', out, ...flags()]);
    expect(dl.code).toBe(0);
    expect(dl.json.batches.map((b: any) => b.batchId)).toEqual(batches);
    expect((await readdir(out)).sort()).toEqual([...batches].sort());
    let files = 0;
    for (const batchId of batches) {
      const stored = (await env.db.query('SELECT name, sha256 FROM batch_files WHERE batch_id = $1 ORDER BY name', [batchId])).rows;
      files += stored.length;
      expect((await readdir(join(out, batchId))).sort()).toEqual(stored.map((r) => r.name));
      for (const r of stored) expect(await sha256(join(out, batchId, r.name))).toBe(r.sha256);
    }
    expect(files).toBeGreaterThan(0);
    expect(dl.json.files).toBe(files);
  }, 120_000);

  it('get, list (a page, --status, --all) and credentials from the environment', async () => {
    const got = await cli(['export', 'get', String(job.id), ...flags()]);
    expect(got.code).toBe(0);
    expect(got.json).toMatchObject({ id: job.id, status: 'SUCCEEDED', destination: { batchId: job.destination.batchId } });

    const page = await cli(['export', 'list', '--limit', '1', ...flags()]);
    expect(page.code).toBe(0);
    expect(page.json.records.map((r: any) => r.id)).toEqual([job.id + 1]);
    expect(page.json.link.next).toContain('offset=');

    const all = await cli(['export', 'list', '--limit', '1', '--all', ...flags()]);
    expect(all.json.records.map((r: any) => r.id)).toEqual([job.id + 1, job.id, newJob]);

    const noFiles = await cli(['export', 'download', String(newJob), '--out', join(tmp, 'none'), ...flags()]);
    expect(noFiles.code).toBe(1);
    expect(noFiles.stderr).toContain(`job ${newJob} is CANCELLED: only a SUCCEEDED job has files to download`);

    const cancelledOnly = await cli(['export', 'list', '--status', 'CANCELLED', ...flags()]);
    expect(cancelledOnly.json.records.map((r: any) => r.id)).toEqual([newJob]);

    const fromEnv = await cli(['export', 'get', String(job.id)], {
      SX_API_URL: base,
      SX_CLIENT_ID: client.clientId,
      SX_CLIENT_SECRET: client.clientSecret,
      SX_ORG_ID: ORG_A,
      SX_SANDBOX: 'prod',
    });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.json.id).toBe(job.id);
  });

  it('cancel of a job that already SUCCEEDED leaves it (exit 1); --delete deletes it', async () => {
    const again = await cli(['export', 'create', JSON.stringify(jobBody()), '--wait', '--interval', '100', ...flags()]);
    expect(again.code).toBe(0);
    const refused = await cli(['export', 'cancel', String(again.json.id), ...flags()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('already ended SUCCEEDED');
    await api.http.get(`/data/core/ups/export/jobs/${again.json.id}`).set(client.headers()).expect(200);
    const deleted = await cli(['export', 'cancel', String(again.json.id), '--delete', ...flags()]);
    expect(deleted.code).toBe(0);
    expect(deleted.json).toEqual({ id: again.json.id, deleted: true, status: 'SUCCEEDED' });
    await api.http.get(`/data/core/ups/export/jobs/${again.json.id}`).set(client.headers()).expect(404);
  }, 60_000);

  it('an API error shows its HTTP status and the problem detail (400 on a bad body, 404, 401), exit 1', async () => {
    const bad = await cli(['export', 'create', '{"schema":{"name":"_xdm.context.profile"}}', ...flags()]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`POST ${base}/data/core/ups/export/jobs answered HTTP 400 Bad Request: The request is not valid; see errors.`);
    expect(bad.stderr).toMatch(/\n {2}- destination/);
    expect(bad.stdout).toBe('');

    const missing = await cli(['export', 'get', '999999', ...flags()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('HTTP 404 Not Found: Export job 999999 does not exist.');

    const wrongSecret = await cli(['export', 'list', '--api', base, '--client-id', client.clientId, '--client-secret', 'sx-wrong']);
    expect(wrongSecret.code).toBe(1);
    expect(wrongSecret.stderr).toContain(`POST ${base}/ims/token/v3 answered HTTP 401: invalid_client`);

    const notJson = await cli(['export', 'create', '{not json', ...flags()]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('the inline body is not JSON');

    const noCredentials = await cli(['export', 'list', '--api', base]);
    expect(noCredentials.code).toBe(2);
    expect(noCredentials.stderr).toContain('--client-id and --client-secret');
  });

  it('an unreachable API is named with its URL and the cause (ECONNREFUSED), exit 1', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const url = `http://127.0.0.1:${port}`;
    const r = await cli(['export', 'list', '--api', url, '--client-id', client.clientId, '--client-secret', client.clientSecret]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach the API at ${url}: ECONNREFUSED`);

    const unknownHost = await cli(['export', 'get', '1', '--api', 'http://no-such-host.invalid:3000', '--client-id', 'x', '--client-secret', 'y']);
    expect(unknownHost.code).toBe(1);
    expect(unknownHost.stderr).toMatch(/cannot reach the API at http:\/\/no-such-host\.invalid:3000: (ENOTFOUND|EAI_AGAIN)/);
  });

  it('cancel --wait stops a PROCESSING job: exit 0 once it is CANCELLED', async () => {
    // A worker slowed to 20 profiles/s keeps the job running long enough to cancel it mid-way.
    await worker?.close();
    worker = await startWorker(env.config({ EXPORT_RATE_LIMIT: '20', EXPORT_PROGRESS_INTERVAL_MS: '200' }));
    const created = await cli(['export', 'create', JSON.stringify(jobBody()), ...flags()]);
    expect(created.code).toBe(0);
    const id = created.json.id;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await api.http.get(`/data/core/ups/export/jobs/${id}`).set(client.headers()).expect(200);
      if (res.body.status === 'PROCESSING') break;
      expect(res.body.status).toBe('NEW');
      if (Date.now() > deadline) throw new Error('the job never started');
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await cli(['export', 'cancel', String(id), '--wait', '--interval', '100', '--timeout', '60', ...flags()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ id, status: 'CANCELLED' });
  }, 120_000);
});
