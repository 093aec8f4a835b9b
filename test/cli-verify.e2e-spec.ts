import { mkdtemp, readFile, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { listen, runCli } from './support/cli-runner';
import { SEGMENT_FILTER, createJob, endedJob, loadSegmentedStore } from './support/segmented-store';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

/**
 * `export download` then `verify` as a user runs them (the built CLI in a child process, the real
 * API and worker): a downloaded batch matches its _manifest.json; a changed, missing or extra file
 * is named, exit 6.
 */
describe('CLI verify (child process, real API and worker)', () => {
  jest.setTimeout(120_000);
  let env: TestEnv;
  let api: ApiHarness;
  let base: string;
  let client: TestClient;
  let worker: INestApplicationContext;
  let tmp: string;

  beforeAll(async () => {
    env = await createTestEnv('cli_verify');
    const config = env.config({ EXPORT_FILE_ROWS: '9', EXPORT_PARTITION_PROFILES: '0' });
    api = await ApiHarness.start(config);
    worker = await startWorker(config);
    base = await listen(api.app.getHttpServer() as Server);
    client = await api.client(ORG_A, ['prod']);
    await loadSegmentedStore(api, client, 40);
    tmp = await mkdtemp(join(tmpdir(), 'sx-cli-verify-'));
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const flags = () => ['--api', base, '--client-id', client.clientId, '--client-secret', client.clientSecret, '--org', ORG_A, '--sandbox', 'prod'];
  const cli = (args: string[]) => runCli(args, env.childEnv());
  const exported = async (destination: Record<string, unknown>) => {
    const job = await endedJob(
      api,
      client,
      (await createJob(api, client, { schema: { name: '_xdm.context.profile' }, filter: SEGMENT_FILTER, destination: { datasetId: client.datasets.prod, ...destination } })).id,
    );
    expect(job.status).toBe('SUCCEEDED');
    return job;
  };

  it.each(['jsonl', 'parquet'])('%s: download writes the manifest with the files; verify exits 0 with every file matched', async (format) => {
    const job = await exported({ outputFormat: format });
    const dir = join(tmp, `ok-${format}`);
    const dl = await cli(['export', 'download', String(job.id), '--out', dir, ...flags()]);
    expect(dl.code).toBe(0);
    const names = (await readdir(dir)).sort();
    expect(names[0]).toBe('_manifest.json');
    expect(names.length).toBeGreaterThan(2);
    const v = await cli(['verify', job.destination.batchId, '--dir', dir, ...flags()]);
    expect({ code: v.code, stderr: v.stderr }).toEqual({ code: 0, stderr: '' });
    expect(v.json).toMatchObject({ batchId: job.destination.batchId, ok: true, format, extra: [], rowsChecked: true });
    expect(v.json.files.map((f: any) => f.name)).toEqual(names.slice(1));
    expect(v.json.files.every((f: any) => f.ok && f.actual.rows === f.expected.rows)).toBe(true);
    expect(v.json.files.reduce((n: number, f: any) => n + f.actual.rows, 0)).toBe(job.metrics.totalExportedProfileCounter);
  });

  it('a tampered file, a missing one and an extra one: exit 6 naming each and what differs', async () => {
    const job = await exported({ outputFormat: 'jsonl' });
    const dir = join(tmp, 'bad');
    expect((await cli(['export', 'download', String(job.id), '--out', dir, ...flags()])).code).toBe(0);
    const [first, second] = (await readdir(dir)).filter((n) => n !== '_manifest.json').sort();
    const bytes = await readFile(join(dir, first));
    bytes[2] = bytes[2] === 0x41 ? 0x42 : 0x41; // same length, another byte
    await writeFile(join(dir, first), bytes);

    const tampered = await cli(['verify', job.destination.batchId, '--dir', dir, ...flags()]);
    expect(tampered.code).toBe(6);
    expect(tampered.json.ok).toBe(false);
    expect(tampered.json.files.find((f: any) => f.name === first)).toMatchObject({ ok: false, problems: ['sha256'] });
    expect(tampered.stderr).toContain(`${first} (sha256)`);

    await unlink(join(dir, second));
    await writeFile(join(dir, 'part-99999.jsonl'), '{}\n');
    const broken = await cli(['verify', job.destination.batchId, '--dir', dir, ...flags()]);
    expect(broken.code).toBe(6);
    expect(broken.json.files.find((f: any) => f.name === second)).toMatchObject({ ok: false, problems: ['missing'] });
    expect(broken.json.extra).toEqual(['part-99999.jsonl']);
    for (const text of [`${first} (sha256)`, `${second} (missing)`, 'not in the manifest: part-99999.jsonl']) expect(broken.stderr).toContain(text);
  });

  it('a job with a batch per segment: verify finds each batch in DIR/<batchId>/', async () => {
    const job = await exported({ outputFormat: 'parquet', segmentPerBatch: true });
    const dir = join(tmp, 'per-segment');
    expect((await cli(['export', 'download', String(job.id), '--out', dir, ...flags()])).code).toBe(0);
    for (const b of job.destination.batches) {
      const v = await cli(['verify', b.batchId, '--dir', dir, ...flags()]);
      expect({ code: v.code, ok: v.json?.ok, dir: v.json?.dir }).toEqual({ code: 0, ok: true, dir: join(dir, b.batchId) });
    }
  });

  it('usage errors (exit 2) before any call; a batch without a manifest is an error (exit 1)', async () => {
    const noId = await cli(['verify', ...flags()]);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain('verify needs <batchId>');
    const badId = await cli(['verify', '12', ...flags()]);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('"12" is not a batch id');
    // An ingest batch (promoted, so it has files) has no manifest.
    const ingest = (await env.db.query(`SELECT id FROM batches WHERE origin = 'ingest' AND status = 'success' LIMIT 1`)).rows[0].id as string;
    const none = await cli(['verify', ingest, '--dir', tmp, ...flags()]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`batch ${ingest} has no _manifest.json`);
  });
});
