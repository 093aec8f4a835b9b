import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { Caller, Conflict, FieldProblem, NotFound, TooLarge, ValidationFailed } from '@sx/domain';
import { BatchRepository, LargeFileChunk, LargeFileRepository, LargeFileWrite } from '@sx/persistence';
import { DatasetStorage, StorageLimitExceeded, batchPrefix, largeFileChunksPrefix } from '@sx/storage';
import { coverageProblems, parseContentRange } from '../common/byte-ranges';
import { BatchIngestionService } from './batch-ingestion.service';

/** AEP's answer to each large-file call. */
export interface LargeFileStatus {
  name: string;
  sizeInBytes: number;
}

interface FileRef {
  batchId: string;
  datasetId: string;
  name: string;
}

const received = (chunks: LargeFileChunk[]) => chunks.reduce((n, c) => n + (c.end - c.start + 1), 0);
const CONTENT_RANGE = 'Content-Range';

/**
 * Large files (AEP: 256 MB or more) in chunks: INITIALIZE, one PATCH per chunk with its
 * Content-Range (any order; each chunk is streamed to storage, never held in memory), then the
 * file's COMPLETE, which checks that the chunks cover the file with no gap and no overlap (AEP
 * validates ranges only there) and stitches them, streamed, into one batch file. The batch's
 * COMPLETE then ingests it as it does a small upload.
 */
@Injectable()
export class LargeFileService {
  private readonly logger = new Logger(LargeFileService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly ingestion: BatchIngestionService,
    private readonly batches: BatchRepository,
    private readonly largeFiles: LargeFileRepository,
    private readonly storage: DatasetStorage,
  ) {}

  async initialize(caller: Caller, f: FileRef): Promise<LargeFileStatus> {
    await this.ingestion.loadingBatch(caller, f.batchId, f.datasetId);
    if (!(await this.largeFiles.initialize(caller, f.batchId, f.name))) throw new Conflict(`Batch ${f.batchId} stopped loading; the file was not initialized.`);
    return { name: f.name, sizeInBytes: received((await this.largeFiles.chunks(caller, f.batchId, f.name)) ?? []) };
  }

  async chunk(caller: Caller, f: FileRef, headers: { contentRange: string | undefined; contentLength: string | undefined }, body: Readable): Promise<LargeFileStatus> {
    const range = parseContentRange(headers.contentRange);
    if (!range.ok) throw new ValidationFailed([{ path: CONTENT_RANGE, message: range.message }]);
    const length = range.end - range.start + 1;
    const limit = this.config.MAX_UPLOAD_BYTES;
    if (range.end + 1 > limit) throw new TooLarge(`Content-Range: the file would be larger than the limit of ${limit} bytes.`);
    if (headers.contentLength !== undefined && Number(headers.contentLength) !== length) {
      throw new ValidationFailed([{ path: 'Content-Length', message: `is ${headers.contentLength} but Content-Range names ${length} bytes` }]);
    }
    const batch = await this.ingestion.loadingBatch(caller, f.batchId, f.datasetId);
    if (!(await this.largeFiles.chunks(caller, f.batchId, f.name))) throw this.notInitialized(f);
    const where = { ...caller, datasetId: batch.datasetId, batchId: f.batchId };
    // One object per range: a chunk sent again replaces its earlier copy atomically.
    const storageKey = `${largeFileChunksPrefix(where, f.name)}/${range.start}-${range.end}`;
    let size: number;
    try {
      size = (await this.storage.write(storageKey, body, { maxBytes: length })).sizeBytes;
    } catch (e) {
      if (e instanceof StorageLimitExceeded) throw new ValidationFailed([{ path: CONTENT_RANGE, message: `the body is longer than the ${length} bytes it names` }]);
      throw e;
    }
    if (size !== length) {
      await this.storage.removePrefix(storageKey);
      throw new ValidationFailed([{ path: CONTENT_RANGE, message: `names ${length} bytes but the body has ${size}` }]);
    }
    this.check(await this.largeFiles.addChunk(caller, f.batchId, f.name, { start: range.start, end: range.end, total: range.total, storageKey }), f);
    return { name: f.name, sizeInBytes: received((await this.largeFiles.chunks(caller, f.batchId, f.name)) ?? []) };
  }

  async complete(caller: Caller, f: FileRef): Promise<LargeFileStatus> {
    const batch = await this.ingestion.loadingBatch(caller, f.batchId, f.datasetId);
    const chunks = await this.largeFiles.chunks(caller, f.batchId, f.name);
    if (!chunks) throw this.notInitialized(f);
    const size = this.checkedSize(chunks);
    const where = { ...caller, datasetId: batch.datasetId, batchId: f.batchId };
    // A key of its own: a worker may be reading a file of the same name (a race with COMPLETE), never a half-written one.
    const storageKey = `${batchPrefix(where)}/.files/${randomBytes(6).toString('hex')}-${encodeURIComponent(f.name)}`;
    const stored = await this.storage.write(storageKey, Readable.from(this.stitched(chunks)), { maxBytes: size });
    if (stored.sizeBytes !== size) {
      await this.storage.removePrefix(storageKey);
      throw new Conflict(`The chunks of ${f.name} changed while it was completed; send COMPLETE again.`);
    }
    const outcome = await this.largeFiles.finish(caller, f.batchId, f.name, { storageKey, ...stored });
    if (outcome !== 'ok') await this.storage.removePrefix(storageKey);
    this.check(outcome, f);
    await this.storage.removePrefix(largeFileChunksPrefix(where, f.name)).catch((e: Error) => this.logger.warn({ msg: 'chunks not removed', error: e.message }));
    this.logger.log({ msg: 'large file completed', batchId: f.batchId, name: f.name, bytes: size, chunks: chunks.length });
    return { name: f.name, sizeInBytes: size };
  }

  /** HEAD: the bytes received so far of a file being uploaded, or the size of a file of the batch; undefined when neither. */
  async size(caller: Caller, f: FileRef): Promise<number | undefined> {
    const batch = await this.batches.findById(caller, f.batchId);
    if (!batch || batch.datasetId !== f.datasetId || batch.origin === 'export') return undefined;
    const chunks = await this.largeFiles.chunks(caller, f.batchId, f.name);
    if (chunks) return received(chunks);
    return (await this.batches.fileByName(caller, f.batchId, f.name))?.sizeBytes;
  }

  /** The file's size, once its chunks are known to cover it exactly; a 400 naming each gap and overlap. */
  private checkedSize(chunks: LargeFileChunk[]): number {
    if (!chunks.length) throw new ValidationFailed([{ path: CONTENT_RANGE, message: 'no chunk of the file was received' }]);
    const totals = [...new Set(chunks.flatMap((c) => (c.total === undefined ? [] : [c.total])))];
    if (totals.length > 1) throw new ValidationFailed([{ path: CONTENT_RANGE, message: `the chunks name different total sizes (${totals.join(', ')})` }]);
    const size = totals[0] ?? Math.max(...chunks.map((c) => c.end)) + 1;
    const problems: FieldProblem[] = coverageProblems(chunks, size).map((message) => ({ path: CONTENT_RANGE, message }));
    if (problems.length) throw new ValidationFailed(problems);
    return size;
  }

  /** The chunks' bytes in order, one chunk open at a time. */
  private async *stitched(chunks: LargeFileChunk[]): AsyncGenerator<Buffer> {
    for (const c of chunks) for await (const piece of await this.storage.read(c.storageKey)) yield piece as Buffer;
  }

  private check(outcome: LargeFileWrite, f: FileRef): void {
    if (outcome === 'not-loading') throw new Conflict(`Batch ${f.batchId} stopped loading; the file was not changed.`);
    if (outcome === 'no-upload') throw this.notInitialized(f);
  }

  private notInitialized(f: FileRef): NotFound {
    return new NotFound(`File ${f.name} of batch ${f.batchId} is not being uploaded: POST its ?action=INITIALIZE first.`);
  }
}
