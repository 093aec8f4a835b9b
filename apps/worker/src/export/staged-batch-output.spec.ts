import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDatasetStorage } from '@sx/storage';
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

  it('a finished output commits its rows', async () => {
    const out = new StagedBatchOutput(new LocalDatasetStorage(root), 'org/prod/ds/batch-2', 'jsonl', 1000);
    await out.write(row);
    await out.finish();
    const files = await out.commit();
    expect(files).toHaveLength(1);
    expect(files[0].records).toBe(1);
    expect(existsSync(join(root, files[0].storageKey))).toBe(true);
  });
});
