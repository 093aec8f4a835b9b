import { Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { AppConfig } from '@sx/config';
import { Batch, BatchReplay, Caller, Conflict, NotFound, TooLarge, ValidationFailed } from '@sx/domain';
import { BatchPromotionRepository, BatchRepository, BatchRevertRepository, DatasetRepository } from '@sx/persistence';
import { BatchPromotionDispatcher } from '@sx/queue';
import { DatasetStorage, StorageLimitExceeded, batchFileKey } from '@sx/storage';
import { CreateBatchDto } from './dto/create-batch.dto';

/** The error a client's FAIL leaves on its batch: tells it from a batch a worker failed. */
export const FAILED_BY_CLIENT = 'FAILED_BY_CLIENT';
/** Statuses a COMPLETE can have led to: a COMPLETE sent again answers the batch as it is (AEP: safe to retry). */
const COMPLETED = new Set(['staging', 'processing', 'success', 'failed']);
/** Documented fields that mean nothing here: accepted, type-checked, and ignored with a debug line. */
const IGNORED_FIELDS = ['enableErrorDiagnostics'] as const;
const IGNORED_INPUT_FORMAT = ['delimiter', 'quote', 'escape', 'header', 'charset'] as const;

@Injectable()
export class BatchIngestionService {
  private readonly logger = new Logger(BatchIngestionService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly datasets: DatasetRepository,
    private readonly batches: BatchRepository,
    private readonly promotions: BatchPromotionRepository,
    private readonly reverts: BatchRevertRepository,
    private readonly dispatcher: BatchPromotionDispatcher,
    private readonly storage: DatasetStorage,
  ) {}

  async create(caller: Caller, dto: CreateBatchDto): Promise<Batch> {
    const dataset = await this.datasets.findById(caller, dto.datasetId);
    if (!dataset) throw new ValidationFailed([{ path: 'datasetId', message: 'no such dataset in this sandbox' }]);
    for (const field of IGNORED_FIELDS) if (dto[field] !== undefined) this.logger.debug({ msg: 'ignored batch field', field });
    for (const field of IGNORED_INPUT_FORMAT) if (dto.inputFormat[field] !== undefined) this.logger.debug({ msg: 'ignored batch field', field: `inputFormat.${field}` });
    // Stored as sent (the format lower-cased) and echoed, as AEP echoes inputFormat.
    const inputFormatOptions = definedOnly({ ...dto.inputFormat });
    const replay = dto.replay && (definedOnly({ ...dto.replay }) as BatchReplay);
    if (replay) this.logger.debug({ msg: 'replay stored, predecessors not replaced', field: 'replay' });
    const partialIngestionPercent = partialThreshold(dto);
    return this.batches.createImport(caller, { datasetId: dto.datasetId, inputFormatOptions, tags: dto.tags, externalId: dto.externalId, replay, partialIngestionPercent });
  }

  /** The batch of a file route: this tenant's ingestion batch of that dataset, still loading. */
  async loadingBatch(caller: Caller, batchId: string, datasetId?: string): Promise<Batch> {
    const batch = await this.batches.findById(caller, batchId);
    if (!batch || (datasetId !== undefined && batch.datasetId !== datasetId) || batch.origin === 'export') {
      throw new NotFound(`Batch ${batchId}${datasetId ? ` of dataset ${datasetId}` : ''} does not exist.`);
    }
    if (batch.status !== 'loading') throw new Conflict(`Batch ${batchId} is ${batch.status}; files can only be added while it is loading.`);
    return batch;
  }

  /** Streams an uploaded file into dataset storage (never held in memory). */
  /** Stores the file; true when it is new to the batch (201), false when it replaced one (200). */
  async upload(caller: Caller, batchId: string, datasetId: string, fileName: string, body: Readable): Promise<boolean> {
    const batch = await this.loadingBatch(caller, batchId, datasetId);
    const key = batchFileKey({ ...caller, datasetId: batch.datasetId, batchId }, fileName);
    let stored;
    try {
      stored = await this.storage.write(key, body, { maxBytes: this.config.MAX_UPLOAD_BYTES });
    } catch (e) {
      if (e instanceof StorageLimitExceeded) throw new TooLarge(`The file is larger than the limit of ${e.maxBytes} bytes.`);
      throw e;
    }
    const put = await this.batches.putFile(caller, batchId, { name: fileName, storageKey: key, ...stored });
    if (!put) throw new Conflict(`Batch ${batchId} stopped loading during the upload; the file was not added.`);
    return put.created;
  }

  /**
   * COMPLETE: the batch goes `staging` and a worker promotes it (validates every record of every
   * file and makes it visible in one transaction, or fails it). Answers at once, as AEP's 200 means
   * accepted; the batch's status tells the outcome. AEP documents COMPLETE as safe to retry: sent
   * again for a batch it already completed, it answers that batch as it is (nothing is queued twice).
   */
  async complete(caller: Caller, batchId: string): Promise<Batch> {
    const outcome = await this.promotions.request(caller, batchId);
    if (outcome.status === 'not-found') throw new NotFound(`Batch ${batchId} does not exist.`);
    if (outcome.status === 'open-uploads') {
      throw new Conflict(`Batch ${batchId} has large files initialized but not completed (${outcome.names.join(', ')}): send their ?action=COMPLETE first.`);
    }
    if (outcome.status === 'not-loading') {
      const batch = (await this.batches.findById(caller, batchId))!;
      if (COMPLETED.has(batch.status) && !batch.errors.some((e) => e.code === FAILED_BY_CLIENT)) return batch;
      throw new Conflict(`Batch ${batchId} is ${outcome.current}; only a loading batch can be completed.`);
    }
    // Read before enqueueing: the answer shows the batch as accepted (staging), not a worker's progress.
    const staged = (await this.batches.findById(caller, batchId))!;
    await this.dispatcher.dispatchSoon({ ...caller, batchId });
    this.logger.log({ msg: 'batch completion accepted', batchId });
    return staged;
  }

  async abort(caller: Caller, batchId: string): Promise<Batch> {
    const batch = await this.ingestBatch(caller, batchId);
    if (!(await this.batches.abort(caller, batchId))) throw new Conflict(`Batch ${batchId} is ${batch.status}; only a loading batch can be aborted.`);
    return (await this.batches.findById(caller, batchId))!;
  }

  /** FAIL: the client ends its loading batch as failed (nothing of it is ingested). Sent again, it answers the batch. */
  async fail(caller: Caller, batchId: string): Promise<Batch> {
    const batch = await this.ingestBatch(caller, batchId);
    if (batch.status === 'failed' && batch.errors.some((e) => e.code === FAILED_BY_CLIENT)) return batch;
    const failed = await this.batches.failLoading(caller, batchId, [{ code: FAILED_BY_CLIENT, description: 'the client failed the batch (action=FAIL)' }]);
    if (!failed) throw new Conflict(`Batch ${batchId} is ${batch.status}; only a loading batch can be failed.`);
    return (await this.batches.findById(caller, batchId))!;
  }

  /**
   * REVERT: a successful batch's records leave the profile store and it becomes `inactive`, in one
   * transaction (see BatchRevertRepository for memberships). Sent again, it answers the batch.
   * Its files stay in storage but Data Access no longer lists them.
   */
  async revert(caller: Caller, batchId: string): Promise<Batch> {
    const outcome = await this.reverts.revert(caller, batchId);
    if (outcome.status === 'not-found') throw new NotFound(`Batch ${batchId} does not exist.`);
    if (outcome.status === 'not-success') throw new Conflict(`Batch ${batchId} is ${outcome.current}; only a successful batch can be reverted.`);
    if (outcome.status === 'reverted') this.logger.log({ msg: 'batch reverted', batchId, profiles: outcome.profiles, events: outcome.events });
    return (await this.batches.findById(caller, batchId))!;
  }

  /** An export's output batches are the worker's to finish: not ingestion's to abort or fail. */
  private async ingestBatch(caller: Caller, batchId: string): Promise<Batch> {
    const batch = await this.batches.findById(caller, batchId);
    if (!batch || batch.origin === 'export') throw new NotFound(`Batch ${batchId} does not exist.`);
    return batch;
  }
}

/** AEP's two spellings of the threshold: either one, or both when they agree. */
function partialThreshold(dto: CreateBatchDto): number | undefined {
  const { partialIngestionPercentage: a, partialIngestionPercent: b } = dto;
  if (a !== undefined && b !== undefined && a !== b) {
    throw new ValidationFailed([{ path: 'partialIngestionPercent', message: `differs from partialIngestionPercentage (${a}): give one of the two spellings` }]);
  }
  return a ?? b;
}

function definedOnly(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
