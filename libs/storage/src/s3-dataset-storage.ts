import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DatasetStorage, StorageObjectMissing, StoredObject } from './dataset-storage';
import { MeteredBody } from './metered-body';

export interface S3StorageTuning {
  /** Bytes of one multipart part; a write holds about `queueSize + 1` parts in memory. */
  partSizeBytes: number;
  /** Parts of one write uploaded at once. */
  queueSize: number;
  /** Largest object CopyObject copies in one request (S3: 5 GiB); larger ones are streamed through. */
  copyLimitBytes: number;
}

const DEFAULT_TUNING: S3StorageTuning = { partSizeBytes: 8 << 20, queueSize: 2, copyLimitBytes: 5 * 1024 ** 3 };

const isNotFound = (e: unknown) => {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404;
};

/**
 * Dataset files as objects of one bucket of an S3-compatible store, keyed as under the local root.
 * Writes stream through a multipart upload (bounded memory, nothing visible until it completes;
 * a failed or over-limit write aborts it). A rename is a server-side copy and a delete.
 */
export class S3DatasetStorage extends DatasetStorage {
  private readonly tuning: S3StorageTuning;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    tuning: Partial<S3StorageTuning> = {},
  ) {
    super();
    this.tuning = { ...DEFAULT_TUNING, ...tuning };
  }

  async probe(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  /** Keys are relative paths: the same ones the local backend refuses are refused here. */
  private key(key: string): string {
    const parts = key.split('/');
    if (!key || parts.some((p) => p === '' || p === '.' || p === '..')) throw new Error('storage key outside the root');
    return key;
  }

  async write(key: string, body: Readable, options: { maxBytes?: number } = {}): Promise<StoredObject> {
    const meter = new MeteredBody(options.maxBytes);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.key(key), Body: meter },
      partSize: this.tuning.partSizeBytes,
      queueSize: this.tuning.queueSize,
    });
    // The upload reads the meter; a failed upload stops the source, a failed source (or the
    // limit) fails the upload, which then aborts its multipart upload before rejecting.
    const uploaded = upload.done();
    uploaded.catch((e: Error) => meter.destroy(e));
    const [piped, sent] = await Promise.allSettled([pipeline(body, meter), uploaded]);
    if (piped.status === 'rejected') throw piped.reason;
    if (sent.status === 'rejected') throw sent.reason;
    return meter.stored();
  }

  async read(key: string, range?: { start: number; end: number }): Promise<Readable> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key), Range: range && `bytes=${range.start}-${range.end}` }));
      return res.Body as Readable;
    } catch (e) {
      if (isNotFound(e)) throw new StorageObjectMissing(key);
      throw e;
    }
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }))).ContentLength;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async rename(fromKey: string, toKey: string): Promise<void> {
    const size = await this.size(fromKey);
    if (size === undefined) throw new StorageObjectMissing(fromKey);
    if (size <= this.tuning.copyLimitBytes) {
      const source = `${this.bucket}/${this.key(fromKey).split('/').map(encodeURIComponent).join('/')}`;
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: this.key(toKey), CopySource: source }));
    } else {
      await this.write(toKey, await this.read(fromKey));
    }
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: fromKey }));
  }

  /** Removes the object `prefix` itself and every object under `prefix/` (as the local folder's removal does). */
  async removePrefix(prefix: string): Promise<void> {
    await this.deleteKeys([this.key(prefix)]);
    for await (const keys of this.pages(`${prefix}/`)) await this.deleteKeys(keys);
  }

  /**
   * The keys under a prefix, a page (at most 1000) at a time. Pages follow on with StartAfter (the
   * last key seen) rather than continuation tokens: the same on every S3-compatible store.
   */
  private async *pages(prefix: string): AsyncGenerator<string[]> {
    let after: string | undefined;
    for (;;) {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, StartAfter: after }));
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
      if (keys.length) yield keys;
      if (!page.IsTruncated || !keys.length) return;
      after = keys[keys.length - 1];
    }
  }

  private async deleteKeys(keys: string[]): Promise<void> {
    const res = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
    const failed = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
    if (failed.length) throw new Error(`could not delete ${failed.length} object(s), first ${failed[0].Key}: ${failed[0].Code} ${failed[0].Message ?? ''}`.trim());
  }
}
