import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { DatasetStorage, StorageLimitExceeded, StorageObjectMissing, batchFileKey, batchPrefix } from './dataset-storage';

/** One backend under test: a fresh, empty storage, and a way to list what it really holds. */
export interface StorageUnderTest {
  storage: DatasetStorage;
  /** Every stored entry under `prefix/` (files or objects, temporary ones included). */
  keysUnder(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

const where = { orgId: 'ORG@AdobeOrg', sandboxName: 'prod', datasetId: 'd'.repeat(24), batchId: 'b'.repeat(32) };
const folder = batchPrefix(where);

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A body of `size` bytes in 64 KiB chunks, each byte its offset mod 251 (so ranges are checkable). */
function patterned(size: number): { buffer: Buffer; stream: () => Readable } {
  const buffer = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buffer[i] = i % 251;
  return {
    buffer,
    stream: () =>
      Readable.from(
        (function* () {
          for (let i = 0; i < size; i += 64 << 10) yield buffer.subarray(i, i + (64 << 10));
        })(),
      ),
  };
}

/**
 * What every DatasetStorage does, whatever keeps the bytes: run by one spec file per backend
 * (local-dataset-storage.spec.ts, s3-dataset-storage.spec.ts) against a real directory or server.
 */
export function datasetStorageContract(name: string, open: () => Promise<StorageUnderTest>): void {
  describe(`DatasetStorage contract: ${name}`, () => {
    let t: StorageUnderTest;
    beforeEach(async () => (t = await open()));
    afterEach(() => t.close());

    it('is ready: probe resolves', async () => {
      await expect(t.storage.probe()).resolves.toBeUndefined();
    });

    it('writes a body of several parts in chunks, sizes, hashes and reads it back', async () => {
      const body = patterned(11 << 20); // past two 5 MiB parts: a multipart upload on S3
      const key = batchFileKey(where, 'part 1.json');
      const stored = await t.storage.write(key, body.stream());
      expect(stored).toEqual({ sizeBytes: body.buffer.length, sha256: createHash('sha256').update(body.buffer).digest('hex') });
      expect(await t.storage.size(key)).toBe(body.buffer.length);
      expect((await bytesOf(await t.storage.read(key))).equals(body.buffer)).toBe(true);
      expect(await t.keysUnder(folder)).toEqual([key]);
    });

    it('reads byte ranges, both ends included, across a part boundary too', async () => {
      const body = patterned(11 << 20);
      const key = batchFileKey(where, 'range.bin');
      await t.storage.write(key, body.stream());
      expect((await bytesOf(await t.storage.read(key, { start: 2, end: 5 }))).equals(body.buffer.subarray(2, 6))).toBe(true);
      const [start, end] = [(5 << 20) - 10, (5 << 20) + 10];
      expect((await bytesOf(await t.storage.read(key, { start, end }))).equals(body.buffer.subarray(start, end + 1))).toBe(true);
      const last = body.buffer.length - 1;
      expect((await bytesOf(await t.storage.read(key, { start: last, end: last }))).equals(body.buffer.subarray(last))).toBe(true);
    });

    it('writes an empty body, and a write replaces what a key held', async () => {
      const key = batchFileKey(where, 'chunk');
      expect(await t.storage.write(key, Readable.from([]))).toEqual({ sizeBytes: 0, sha256: createHash('sha256').digest('hex') });
      expect(await t.storage.size(key)).toBe(0);
      await t.storage.write(key, Readable.from([Buffer.from('second')]));
      expect((await bytesOf(await t.storage.read(key))).toString()).toBe('second');
    });

    it('has nothing under a key that was never written: size undefined, read rejects', async () => {
      const key = batchFileKey(where, 'absent.json');
      expect(await t.storage.size(key)).toBeUndefined();
      await expect(t.storage.read(key)).rejects.toBeInstanceOf(StorageObjectMissing);
      await expect(t.storage.read(key, { start: 0, end: 1 })).rejects.toBeInstanceOf(StorageObjectMissing);
    });

    it('shows nothing under the key until the write has ended', async () => {
      const key = batchFileKey(where, 'slow.json');
      const body = new PassThrough();
      const written = t.storage.write(key, body);
      body.write(Buffer.alloc(6 << 20, 1)); // a first part is under way on S3
      await new Promise((r) => setTimeout(r, 300));
      expect(await t.storage.size(key)).toBeUndefined();
      await expect(t.storage.read(key)).rejects.toBeInstanceOf(StorageObjectMissing);
      body.end(Buffer.from('tail'));
      expect((await written).sizeBytes).toBe((6 << 20) + 4);
      expect(await t.storage.size(key)).toBe((6 << 20) + 4);
    });

    it('keeps nothing when the body is over the limit, however far it got', async () => {
      for (const [size, limit] of [
        [100, 10],
        [12 << 20, (6 << 20) + 1],
      ]) {
        const key = batchFileKey(where, `big-${size}.json`);
        await expect(t.storage.write(key, patterned(size).stream(), { maxBytes: limit })).rejects.toBeInstanceOf(StorageLimitExceeded);
        expect(await t.storage.size(key)).toBeUndefined();
      }
      expect(await t.keysUnder(folder)).toEqual([]);
    });

    it('keeps nothing when the body fails midway, and rejects with its error', async () => {
      const key = batchFileKey(where, 'broken.json');
      const body = new PassThrough();
      const written = t.storage.write(key, body);
      body.write(Buffer.alloc(7 << 20, 2));
      setTimeout(() => body.destroy(new Error('client went away')), 100);
      await expect(written).rejects.toThrow('client went away');
      expect(await t.storage.size(key)).toBeUndefined();
      expect(await t.keysUnder(folder)).toEqual([]);
    });

    it('rejects with the error of a body that fails before anything is read (a client gone at once), never an unhandled error', async () => {
      const key = batchFileKey(where, 'gone.json');
      const body = new PassThrough();
      const written = t.storage.write(key, body);
      body.destroy(new Error('gone at once'));
      await expect(written).rejects.toThrow('gone at once');
      expect(await t.storage.size(key)).toBeUndefined();
      expect(await t.keysUnder(folder)).toEqual([]);
    });

    it('renames: the bytes move to the new key, the old one is gone; a missing source rejects', async () => {
      const staged = `${folder}/_staging/part-00000.json`;
      const final = `${folder}/part-00000.json`;
      await t.storage.write(staged, Readable.from([Buffer.from('{"a":1}\n')]));
      await t.storage.rename(staged, final);
      expect((await bytesOf(await t.storage.read(final))).toString()).toBe('{"a":1}\n');
      expect(await t.storage.size(staged)).toBeUndefined();
      await expect(t.storage.rename(staged, `${folder}/again.json`)).rejects.toBeInstanceOf(StorageObjectMissing);
      expect(await t.storage.size(`${folder}/again.json`)).toBeUndefined();
    });

    it('removes a folder, nested entries included, or one key; never a sibling sharing the name start', async () => {
      const sibling = batchFileKey({ ...where, batchId: `${where.batchId}0` }, 'keep.json');
      for (const key of [batchFileKey(where, 'x.json'), `${folder}/_staging/y.json`, `${folder}/.chunks/z/0-9`, sibling]) {
        await t.storage.write(key, Readable.from([Buffer.from('x')]));
      }
      await t.storage.removePrefix(`${folder}/.chunks/z/0-9`); // one object, as a failed chunk is removed
      expect(await t.storage.size(`${folder}/.chunks/z/0-9`)).toBeUndefined();
      await t.storage.removePrefix(folder);
      expect(await t.keysUnder(folder)).toEqual([]);
      await expect(t.storage.read(batchFileKey(where, 'x.json'))).rejects.toBeInstanceOf(StorageObjectMissing);
      expect(await t.storage.size(sibling)).toBe(1);
      await t.storage.removePrefix(`${folder}/never-written`); // nothing there: no error
    });

    it('refuses keys outside the root', async () => {
      await expect(t.storage.write('../escape', Readable.from([Buffer.from('x')]))).rejects.toThrow(/outside the root/);
      await expect(t.storage.read('a/../../escape')).rejects.toThrow(/outside the root/);
    });
  });
}
