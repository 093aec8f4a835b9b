import { createHash } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { parquetMetadata } from 'hyparquet';
import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { batchFiles } from './support/batch-files';
import { DATA_ACCESS } from './support/profile-store';
import { SEGMENT_FILTER, segmentedJobBody, batchIdsOfJob, createJob, endedJob, expectedCounts, loadSegmentedStore } from './support/segmented-store';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

const PROFILES = 60;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const MANIFEST = '_manifest.json';

/**
 * Issue 15, verified output: every export batch has a _manifest.json committed with its files,
 * whose sha256, sizes and rows are those of the files a client downloads; the job's metrics count
 * per segment; and the same job run again on the unchanged store writes the same bytes.
 */
describe('export manifests, per-segment counters and byte-identical reruns (real API, worker, Postgres, Redis, storage)', () => {
  jest.setTimeout(120_000);
  let env: TestEnv;
  let api: ApiHarness;
  let worker: INestApplicationContext;
  let client: TestClient;
  let out: string;

  beforeAll(async () => {
    env = await createTestEnv('export_manifest');
    // Files of 7 rows: several files per batch (and per partition).
    const config = env.config({ EXPORT_FILE_ROWS: '7', EXPORT_PARTITION_PROFILES: '0', EXPORT_PROGRESS_INTERVAL_MS: '200' });
    api = await ApiHarness.start(config);
    worker = await startWorker(config);
    client = await api.client(ORG_A, ['prod']);
    out = client.datasets.prod;
    await loadSegmentedStore(api, client, PROFILES);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
  });

  const body = (destination: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => segmentedJobBody(out, destination, extra);
  const run = async (b: Record<string, unknown>) => {
    const job = await endedJob(api, client, (await createJob(api, client, b)).id);
    expect(job.status).toBe('SUCCEEDED');
    return job;
  };

  /** Rows of a downloaded data file: JSON Lines lines, Parquet the footer's count. */
  const rowsOf = (name: string, bytes: Buffer) =>
    name.endsWith('.parquet') ? Number(parquetMetadata(new Uint8Array(bytes).buffer).num_rows) : bytes.toString('utf8').split('\n').filter(Boolean).length;

  /** Each batch of the job: its manifest and its data files as a client downloads them. */
  async function batchesOf(job: any) {
    const batches = [];
    for (const batchId of batchIdsOfJob(job)) {
      // AEP's listing holds the data files only; the manifest has its own route.
      const files = await batchFiles(api, client, batchId);
      expect(files.map((f) => f.name)).not.toContain(MANIFEST);
      const manifest = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/manifest`).set(client.headers()).buffer(true).expect(200).expect('Content-Type', /json/);
      const manifestBytes = Buffer.from(manifest.text, 'utf8');
      batches.push({ batchId, manifestBytes, manifest: JSON.parse(manifest.text), data: files });
    }
    return batches;
  }

  /** The manifest lists exactly the data files, with the bytes, sha256 and rows the client got. */
  function expectManifestMatches(b: Awaited<ReturnType<typeof batchesOf>>[number]) {
    expect(b.manifest.files).toEqual(b.data.map((f) => ({ name: f.name, rows: rowsOf(f.name, f.bytes), bytes: f.bytes.length, sha256: sha256(f.bytes) })));
    expect(b.manifest.files.map((f: any) => f.name)).toEqual([...b.manifest.files.map((f: any) => f.name)].sort());
    expect(b.manifest.totals).toEqual({
      files: b.data.length,
      rows: b.data.reduce((n, f) => n + rowsOf(f.name, f.bytes), 0),
      bytes: b.data.reduce((n, f) => n + f.bytes.length, 0),
    });
    expect(b.manifest.batchId).toBe(b.batchId);
  }

  /** The manifest's bytes once the values that differ between runs (job, batch, the snapshot read) are set aside. */
  const comparable = (bytes: Buffer) =>
    bytes
      .toString('utf8')
      .replace(/"jobId": \d+/, '"jobId": 0')
      .replace(/"batchId": "[0-9a-f]{32}"/, '"batchId": ""')
      .replace(/"upTo": "[0-9:,]+"/, '"upTo": ""');

  it('a JSON Lines job: the manifest matches the downloaded files, counts per namespace and segment equal the metrics and the fixture', async () => {
    const expected = expectedCounts(PROFILES);
    const job = await run(body());
    expect(job.metrics.totalExportedProfileCounter).toBe(expected.profiles);
    expect(job.metrics.exportedProfileByNamespaceCounter).toEqual(expected.byNamespace);
    expect(job.metrics.exportedProfileBySegmentCounter).toEqual(expected.bySegment);
    const [b] = await batchesOf(job);
    expect(b.data.length).toBe(Math.ceil(expected.profiles / 7));
    expectManifestMatches(b);
    expect(b.manifest).toMatchObject({ manifestVersion: 1, jobId: job.id, datasetId: out, format: 'jsonl' });
    expect(b.manifest.counts).toEqual(expected);
    expect(b.manifest.options).toEqual({
      destination: { datasetId: out, outputFormat: 'jsonl', segmentPerBatch: false },
      filter: { segments: SEGMENT_FILTER.segments.map((s) => ({ segmentId: s.segmentId, segmentNs: s.segmentNs ?? 'ups', status: s.status })) },
      schema: { name: '_xdm.context.profile' },
    });
    // Nothing of the clock in it.
    expect(b.manifestBytes.toString('utf8')).not.toMatch(/Time|"20\d\d-/);
    // What the job read: the snapshot fixed at its claim.
    expect(b.manifest.snapshot).toEqual({ upTo: expect.stringMatching(/^\d+:\d+:[\d,]*$/) });
    // Asked for, Data Access lists the manifest as a file of the batch, without a record count; Catalog counts only the rows.
    const listing = await api.http.get(`${DATA_ACCESS}/batches/${b.batchId}/files?withManifest=true`).set(client.headers()).expect(200);
    const entry = listing.body.data.find((e: any) => e.dataSetFileId.startsWith(b.batchId) && e.size === String(b.manifestBytes.length) && e.records === undefined);
    expect(entry).toBeDefined();
    expect(listing.body.data).toHaveLength(b.data.length + 1);
    // An ingested batch has no manifest.
    const ingested = (await env.db.query(`SELECT id FROM batches WHERE origin = 'ingest' AND status = 'success' LIMIT 1`)).rows[0].id as string;
    await api.http.get(`${DATA_ACCESS}/batches/${ingested}/manifest`).set(client.headers()).expect(404);
    const catalog = await api.http.get(`/data/foundation/catalog/batches/${b.batchId}`).set(client.headers()).expect(200);
    expect(catalog.body[b.batchId].metrics.recordsWritten).toBe(expected.profiles);
  });

  it('no segment filter: no per-segment counter, no bySegment in the manifest', async () => {
    const job = await run({ schema: { name: '_xdm.context.profile' }, destination: { datasetId: out, outputFormat: 'jsonl' } });
    expect(job.metrics.totalExportedProfileCounter).toBe(PROFILES);
    expect(job.metrics).not.toHaveProperty('exportedProfileBySegmentCounter');
    const [b] = await batchesOf(job);
    expectManifestMatches(b);
    expect(b.manifest.counts).not.toHaveProperty('bySegment');
    expect(b.manifest.counts.profiles).toBe(PROFILES);
  });

  it.each([
    ['jsonl', {}],
    ['parquet', {}],
    ['jsonl', { partitions: 3 }],
    ['parquet', { partitions: 3, segmentPerBatch: true }],
  ])('%s %j: run twice on the unchanged store, the same bytes in every file and the same manifests but for jobId and batchId', async (format, destination) => {
    const first = await run(body({ outputFormat: format, ...destination }));
    const second = await run(body({ outputFormat: format, ...destination }));
    const a = await batchesOf(first);
    const b = await batchesOf(second);
    expect(b.length).toBe(a.length);
    for (let i = 0; i < a.length; i++) {
      expectManifestMatches(a[i]);
      expectManifestMatches(b[i]);
      expect(a[i].batchId).not.toBe(b[i].batchId);
      expect(b[i].manifest.files.map((f: any) => f.sha256)).toEqual(a[i].manifest.files.map((f: any) => f.sha256));
      expect(b[i].data.map((f) => f.name)).toEqual(a[i].data.map((f) => f.name));
      for (let k = 0; k < a[i].data.length; k++) expect(b[i].data[k].bytes.equals(a[i].data[k].bytes)).toBe(true);
      expect(comparable(b[i].manifestBytes)).toBe(comparable(a[i].manifestBytes));
      expect(b[i].manifest.jobId).toBe(second.id);
    }
    expect(second.metrics.exportedProfileBySegmentCounter).toEqual(first.metrics.exportedProfileBySegmentCounter);
  });

  it('partitioned with a batch per segment: counters summed over partitions equal a whole run’s; each batch’s manifest counts its segment', async () => {
    const expected = expectedCounts(PROFILES);
    const whole = await run(body({ outputFormat: 'parquet', segmentPerBatch: true }));
    const split = await run(body({ outputFormat: 'parquet', segmentPerBatch: true, partitions: 3 }));
    expect(split.metrics.partitions).toEqual({ done: 3, total: 3 });
    for (const job of [whole, split]) {
      expect(job.metrics.exportedProfileBySegmentCounter).toEqual(expected.bySegment);
      expect(job.metrics.exportedProfileByNamespaceCounter).toEqual(expected.byNamespace);
    }
    const keys = [SEGMENT_FILTER.segments[0].segmentId, SEGMENT_FILTER.segments[1].segmentId, `aam:${SEGMENT_FILTER.segments[2].segmentId}`];
    const [wholeBatches, splitBatches] = [await batchesOf(whole), await batchesOf(split)];
    expect(splitBatches.map((b) => b.manifest.counts.bySegment)).toEqual(keys.map((k) => ({ [k]: expected.bySegment[k] })));
    for (const [i, b] of splitBatches.entries()) {
      expectManifestMatches(b);
      expect(b.manifest.counts.profiles).toBe(expected.bySegment[keys[i]]);
      // Other file names (part-<k>-…), the same rows and counts as the whole run.
      expect(b.manifest.totals.rows).toBe(wholeBatches[i].manifest.totals.rows);
      expect(b.manifest.counts).toEqual(wholeBatches[i].manifest.counts);
    }
    expect(new Set(splitBatches.flatMap((b) => b.data.map((f) => f.name.slice(0, 'part-00'.length))))).toEqual(new Set(['part-00', 'part-01', 'part-02']));
  });
});
