import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { datasetStorageContract } from './dataset-storage.contract';
import { LocalDatasetStorage } from './local-dataset-storage';

/** Every file under a directory, as storage keys relative to the root. */
async function filesUnder(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? filesUnder(root, join(dir, e.name)) : [relative(root, join(dir, e.name)).split(sep).join('/')])));
  return nested.flat().sort();
}

datasetStorageContract('local directory', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sx-storage-'));
  return {
    storage: new LocalDatasetStorage(root),
    keysUnder: (prefix) => filesUnder(root, join(root, ...prefix.split('/'))),
    close: () => rm(root, { recursive: true, force: true }),
  };
});
