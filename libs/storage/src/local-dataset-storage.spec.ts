import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localKeysUnder } from '../../../test/support/stored-keys';
import { datasetStorageContract } from './dataset-storage.contract';
import { LocalDatasetStorage } from './local-dataset-storage';

datasetStorageContract('local directory', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sx-storage-'));
  return {
    storage: new LocalDatasetStorage(root),
    keysUnder: (prefix) => localKeysUnder(root, prefix),
    close: () => rm(root, { recursive: true, force: true }),
  };
});

describe('LocalDatasetStorage readiness', () => {
  it('makes a missing root, and is not ready when the root is a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sx-probe-'));
    try {
      await expect(new LocalDatasetStorage(join(dir, 'new', 'root')).probe()).resolves.toBeUndefined();
      await writeFile(join(dir, 'file'), 'x');
      await expect(new LocalDatasetStorage(join(dir, 'file')).probe()).rejects.toThrow(/EEXIST|ENOTDIR/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
