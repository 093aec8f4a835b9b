import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDatasetStorage } from '@sx/storage';
import { MANIFEST_NAME, buildManifest, manifestPlanOf } from './batch-manifest';
import { exportJobFixture } from './export-job.fixture';
import { StagedBatchOutput } from './staged-batch-output';

describe('StagedBatchOutput', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'staged-output-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  const row = { primaryNamespace: 'email', primaryId: 'a@example.com', profile: { person: { name: 'A' } } };

  // An export whose read fails right after its first row aborts before the storage reads the
  // file's stream: that must not be an unhandled 'error' (it killed the worker, job left PROCESSING).
  it.each(['jsonl', 'parquet'] as const)('abort right after the first %s row leaves nothing and throws nothing', async (format) => {
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.prependListener('uncaughtException', onUncaught);
    try {
      const out = new StagedBatchOutput(new LocalDatasetStorage(root), 'org/prod/ds/batch-1', format, 1000, 1000);
      await out.write(row);
      await out.abort();
      await new Promise((r) => setTimeout(r, 50));
      expect(uncaught).toEqual([]);
      expect(existsSync(join(root, 'org/prod/ds/batch-1'))).toBe(false);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
  });

  it('a finished output commits its rows and its manifest', async () => {
    const out = new StagedBatchOutput(new LocalDatasetStorage(root), 'org/prod/ds/batch-2', 'jsonl', 1000);
    await out.write(row);
    await out.write({ ...row, primaryNamespace: 'ECID' });
    await out.write(row);
    await out.finish();
    expect(out.byNamespace).toEqual({ email: 2, ECID: 1 });
    const job = exportJobFixture();
    const files = await out.commit(
      buildManifest(job, manifestPlanOf(job), 0, { batchId: 'batch-2', records: out.records, byNamespace: out.byNamespace, files: out.stagedFiles }, undefined),
    );
    expect(files.map((f) => [f.name, f.records])).toEqual([
      ['part-00000.jsonl', 3],
      [MANIFEST_NAME, undefined],
    ]);
    for (const f of files) expect(existsSync(join(root, f.storageKey))).toBe(true);
    expect(existsSync(join(root, 'org/prod/ds/batch-2/_staging', MANIFEST_NAME))).toBe(false);
  });
});
