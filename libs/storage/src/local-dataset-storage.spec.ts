import { mkdtemp, rm } from 'node:fs/promises';
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
