import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, constants, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DatasetStorage, StorageObjectMissing, StoredObject } from './dataset-storage';
import { MeteredBody } from './metered-body';

/** Dataset files in a local directory (STORAGE_ROOT): write to a temp name, fsync'd rename. */
export class LocalDatasetStorage extends DatasetStorage {
  private readonly root: string;

  constructor(root: string) {
    super();
    this.root = resolve(root);
  }

  async probe(): Promise<void> {
    // Writes create the folders they need: a missing root is made, as the first write would.
    await mkdir(this.root, { recursive: true });
    await access(this.root, constants.W_OK | constants.X_OK);
  }

  private path(key: string): string {
    const full = resolve(this.root, key);
    // Keys are built from encoded segments, but refuse any escape from the root regardless.
    if (full !== this.root && !full.startsWith(this.root + sep)) throw new Error('storage key outside the root');
    return full;
  }

  async write(key: string, body: Readable, options: { maxBytes?: number } = {}): Promise<StoredObject> {
    const target = this.path(key);
    // The body may fail (a client gone) while the folder is made, before the pipeline listens:
    // catch that error here, or it would be an unhandled 'error' event.
    let early: Error | undefined;
    const onEarlyError = (e: Error) => (early = e);
    body.once('error', onEarlyError);
    try {
      await mkdir(dirname(target), { recursive: true });
    } finally {
      body.off('error', onEarlyError);
    }
    if (early) throw early;
    const temp = join(dirname(target), `.${randomBytes(6).toString('hex')}.partial`);
    const meter = new MeteredBody(options.maxBytes);
    try {
      await pipeline(body, meter, createWriteStream(temp, { flags: 'wx' }));
      await rename(temp, target);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
    return meter.stored();
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const path = this.path(key);
    if ((await this.size(key)) === undefined) throw new StorageObjectMissing(key);
    return createReadStream(path, range && { start: range.start, end: range.end });
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const s = await stat(this.path(key));
      return s.isFile() ? s.size : undefined;
    } catch {
      return undefined;
    }
  }

  async rename(fromKey: string, toKey: string): Promise<void> {
    const target = this.path(toKey);
    await mkdir(dirname(target), { recursive: true });
    await rename(this.path(fromKey), target).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT' ? new StorageObjectMissing(fromKey) : e;
    });
  }

  async removePrefix(prefix: string): Promise<void> {
    await rm(this.path(prefix), { recursive: true, force: true });
  }
}
