import type { Readable } from 'node:stream';

export interface StoredObject {
  sizeBytes: number;
  sha256: string;
}

/**
 * Where dataset files live. Keys are relative paths laid out by org, sandbox, dataset and batch
 * (see `batchFileKey`). One interface so that an S3-compatible backend can replace the local
 * directory without touching callers.
 */
export abstract class DatasetStorage {
  /** Stores the stream under `key` atomically (readers never see half a file); at most maxBytes. */
  abstract write(key: string, body: Readable, options?: { maxBytes?: number }): Promise<StoredObject>;
  /**
   * The bytes of `key`, or of its bytes `range.start`..`range.end` (inclusive, within its size);
   * rejects with StorageObjectMissing if there is none.
   */
  abstract read(key: string, range?: { start: number; end: number }): Promise<Readable>;
  abstract size(key: string): Promise<number | undefined>;
  /** Moves an object to another key of the same storage (the commit of a staged file). */
  abstract rename(fromKey: string, toKey: string): Promise<void>;
  /** Removes everything under a key prefix (a batch's folder). */
  abstract removePrefix(prefix: string): Promise<void>;
  /** Resolves if the storage can be used now (readiness): the root is a writable folder, the bucket is there and ours. */
  abstract probe(): Promise<void>;
}

export class StorageObjectMissing extends Error {}

/** Raised while writing when the body is larger than allowed; nothing is kept. */
export class StorageLimitExceeded extends Error {
  constructor(readonly maxBytes: number) {
    super(`larger than ${maxBytes} bytes`);
  }
}

const segment = (s: string) => encodeURIComponent(s);

/** Everything stored for one dataset (its batches' folders): removed when the dataset is deleted. */
export function datasetPrefix(p: { orgId: string; sandboxName: string; datasetId: string }): string {
  return [p.orgId, p.sandboxName, p.datasetId].map(segment).join('/');
}

export function batchPrefix(p: { orgId: string; sandboxName: string; datasetId: string; batchId: string }): string {
  return [p.orgId, p.sandboxName, p.datasetId, p.batchId].map(segment).join('/');
}

/** Where the chunks of a large file wait for its COMPLETE (a dot folder: file names never start with a dot). */
export function largeFileChunksPrefix(p: { orgId: string; sandboxName: string; datasetId: string; batchId: string }, fileName: string): string {
  return `${batchPrefix(p)}/.chunks/${segment(fileName)}`;
}

export function batchFileKey(p: { orgId: string; sandboxName: string; datasetId: string; batchId: string }, fileName: string): string {
  return `${batchPrefix(p)}/${segment(fileName)}`;
}

/** Where the refused rows of one input file of a partially ingested batch are kept (a dot folder, as `.chunks`). */
export function failedRowsKey(p: { orgId: string; sandboxName: string; datasetId: string; batchId: string }, fileName: string): string {
  return `${batchPrefix(p)}/.failed/${segment(fileName)}`;
}
