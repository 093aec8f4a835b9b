import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDatasetStorage } from '@sx/storage';
import { exportJobFixture } from './export-job.fixture';
import { MANIFEST_NAME, buildManifest, manifestBytes, manifestPlanOf, stageManifest } from './batch-manifest';

const file = (name: string, records: number, sizeBytes: number) => ({ name, stagingKey: `x/_staging/${name}`, records, sizeBytes, sha256: name.padEnd(64, '0').slice(0, 64) });

describe('buildManifest', () => {
  const segments = [
    { segmentNs: 'ups', segmentId: 'A', status: ['realized' as const] },
    { segmentNs: 'aam', segmentId: 'B', status: ['realized' as const, 'exited' as const] },
  ];

  it('lists files sorted by name with totals, counts and the options without the run’s batch ids', () => {
    const job = exportJobFixture({
      fields: 'identities',
      filter: { segments },
      destination: { datasetId: 'd', segmentPerBatch: false, outputFormat: 'jsonl', batchId: 'b'.repeat(32) },
    });
    const m = buildManifest(
      job,
      manifestPlanOf(job),
      0,
      { batchId: 'b'.repeat(32), records: 5, byNamespace: { email: 3, ECID: 2 }, files: [file('part-01-00000.jsonl', 2, 20), file('part-00-00000.jsonl', 3, 30)] },
      { 'aam:B': 1, A: 5 },
    );
    expect(m).toEqual({
      manifestVersion: 1,
      jobId: 7,
      batchId: 'b'.repeat(32),
      datasetId: 'd',
      format: 'jsonl',
      files: [
        { name: 'part-00-00000.jsonl', rows: 3, bytes: 30, sha256: file('part-00-00000.jsonl', 0, 0).sha256 },
        { name: 'part-01-00000.jsonl', rows: 2, bytes: 20, sha256: file('part-01-00000.jsonl', 0, 0).sha256 },
      ],
      totals: { files: 2, rows: 5, bytes: 50 },
      counts: { profiles: 5, byNamespace: { ECID: 2, email: 3 }, bySegment: { A: 5, 'aam:B': 1 } },
      options: {
        destination: { datasetId: 'd', outputFormat: 'jsonl', segmentPerBatch: false },
        fields: 'identities',
        filter: { segments },
        schema: { name: '_xdm.context.profile' },
      },
    });
    // Keys in a fixed order: counts sorted, options canonical.
    expect(Object.keys(m.counts.byNamespace)).toEqual(['ECID', 'email']);
    expect(Object.keys(m.counts.bySegment!)).toEqual(['A', 'aam:B']);
    expect(Object.keys(m)).toEqual(['manifestVersion', 'jobId', 'batchId', 'datasetId', 'format', 'files', 'totals', 'counts', 'options']);
  });

  it('the same job in another key order, with other batch ids, gives the same bytes but for jobId and batchId', () => {
    const a = exportJobFixture({ filter: { segments, emptyProfiles: false }, destination: { datasetId: 'd', segmentPerBatch: false, batchId: 'x' } });
    const b = exportJobFixture({ id: 8, filter: { emptyProfiles: false, segments }, destination: { segmentPerBatch: false, datasetId: 'd', batchId: 'y' } });
    const batch = (batchId: string) => ({ batchId, records: 1, byNamespace: { email: 1 }, files: [file('part-00000.parquet', 1, 10)] });
    const ma = buildManifest(a, manifestPlanOf(a), 0, batch('x'), { A: 1 });
    const mb = buildManifest(b, manifestPlanOf(b), 0, batch('y'), { A: 1 });
    expect(manifestBytes({ ...mb, jobId: ma.jobId, batchId: ma.batchId }).equals(manifestBytes(ma))).toBe(true);
  });

  it('segmentPerBatch: each batch counts its one segment; no segment filter: no bySegment', () => {
    const job = exportJobFixture({ filter: { segments }, destination: { datasetId: 'd', segmentPerBatch: true } });
    const m = buildManifest(job, manifestPlanOf(job), 1, { batchId: 'b', records: 4, byNamespace: { email: 4 }, files: [] }, { A: 9, 'aam:B': 4 });
    expect(m.counts).toEqual({ profiles: 4, byNamespace: { email: 4 }, bySegment: { 'aam:B': 4 } });
    expect(m.totals).toEqual({ files: 0, rows: 0, bytes: 0 });
    const plain = exportJobFixture();
    expect(buildManifest(plain, manifestPlanOf(plain), 0, { batchId: 'b', records: 0, byNamespace: {}, files: [] }, undefined).counts).toEqual({ profiles: 0, byNamespace: {} });
  });
});

describe('stageManifest', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'manifest-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('writes the manifest bytes beside the staged files, with their size and sha256', async () => {
    const job = exportJobFixture();
    const m = buildManifest(job, manifestPlanOf(job), 0, { batchId: 'b', records: 0, byNamespace: {}, files: [] }, undefined);
    const staged = await stageManifest(new LocalDatasetStorage(root), 'o/p/d/b', m);
    const bytes = await readFile(join(root, 'o/p/d/b/_staging', MANIFEST_NAME));
    expect(staged).toEqual({
      name: MANIFEST_NAME,
      stagingKey: `o/p/d/b/_staging/${MANIFEST_NAME}`,
      sizeBytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    expect(bytes.equals(manifestBytes(m))).toBe(true);
    expect(JSON.parse(bytes.toString('utf8'))).toEqual(m);
    expect(staged.records).toBeUndefined();
  });
});
