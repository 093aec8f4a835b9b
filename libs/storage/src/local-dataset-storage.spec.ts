import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { batchFileKey } from './dataset-storage';
import { LocalDatasetStorage } from './local-dataset-storage';
import { StorageLimitExceeded, StorageObjectMissing } from './dataset-storage';

describe('LocalDatasetStorage', () => {
  let root: string;
  let storage: LocalDatasetStorage;
  const where = { orgId: 'ORG@AdobeOrg', sandboxName: 'prod', datasetId: 'd'.repeat(24), batchId: 'b'.repeat(32) };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'sx-storage-'));
    storage = new LocalDatasetStorage(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('writes, sizes, hashes and reads back', async () => {
    const key = batchFileKey(where, 'part 1.json');
    const body = Buffer.from('{"a":1}\n'.repeat(1000));
    const stored = await storage.write(key, Readable.from([body]));
    expect(stored).toEqual({ sizeBytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    expect(await storage.size(key)).toBe(body.length);
    const chunks: Buffer[] = [];
    for await (const c of await storage.read(key)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
  });

  it('reads a byte range, both ends included', async () => {
    const key = batchFileKey(where, 'range.json');
    await storage.write(key, Readable.from([Buffer.from('0123456789')]));
    const chunks: Buffer[] = [];
    for await (const c of await storage.read(key, { start: 2, end: 5 })) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('2345');
  });

  it('keeps nothing when the body is over the limit', async () => {
    const key = batchFileKey(where, 'big.json');
    await expect(storage.write(key, Readable.from([Buffer.alloc(100)]), { maxBytes: 10 })).rejects.toBeInstanceOf(StorageLimitExceeded);
    expect(await storage.size(key)).toBeUndefined();
    const dir = join(root, ...key.split('/').slice(0, -1));
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes a batch folder and refuses keys outside the root', async () => {
    const key = batchFileKey(where, 'x.json');
    await storage.write(key, Readable.from([Buffer.from('x')]));
    await storage.removePrefix(key.split('/').slice(0, -1).join('/'));
    await expect(storage.read(key)).rejects.toBeInstanceOf(StorageObjectMissing);
    await expect(storage.write('../escape', Readable.from([Buffer.from('x')]))).rejects.toThrow(/outside the root/);
  });
});
