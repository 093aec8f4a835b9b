import { Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { AppConfig } from '@sx/config';
import { Batch, Caller, Conflict, NotFound, TooLarge, ValidationFailed } from '@sx/domain';
import { BatchPromotionRepository, BatchRepository, DatasetRepository } from '@sx/persistence';
import { BatchPromotionDispatcher } from '@sx/queue';
import { DatasetStorage, StorageLimitExceeded, batchFileKey } from '@sx/storage';

@Injectable()
export class BatchIngestionService {
  private readonly logger = new Logger(BatchIngestionService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly datasets: DatasetRepository,
    private readonly batches: BatchRepository,
    private readonly promotions: BatchPromotionRepository,
    private readonly dispatcher: BatchPromotionDispatcher,
    private readonly storage: DatasetStorage,
  ) {}

  async create(caller: Caller, datasetId: string): Promise<Batch> {
    const dataset = await this.datasets.findById(caller, datasetId);
    if (!dataset) throw new ValidationFailed([{ path: 'datasetId', message: 'no such dataset in this sandbox' }]);
    return this.batches.create(caller, { datasetId, inputFormat: 'json' });
  }

  private async loadingBatch(caller: Caller, batchId: string, datasetId?: string): Promise<Batch> {
    const batch = await this.batches.findById(caller, batchId);
    if (!batch || (datasetId !== undefined && batch.datasetId !== datasetId) || batch.origin === 'export') {
      throw new NotFound(`Batch ${batchId}${datasetId ? ` of dataset ${datasetId}` : ''} does not exist.`);
    }
    if (batch.status !== 'loading') throw new Conflict(`Batch ${batchId} is ${batch.status}; files can only be added while it is loading.`);
    return batch;
  }

  /** Streams an uploaded file into dataset storage (never held in memory). */
  async upload(caller: Caller, batchId: string, datasetId: string, fileName: string, body: Readable): Promise<void> {
    const batch = await this.loadingBatch(caller, batchId, datasetId);
    const key = batchFileKey({ ...caller, datasetId: batch.datasetId, batchId }, fileName);
    let stored;
    try {
      stored = await this.storage.write(key, body, { maxBytes: this.config.MAX_UPLOAD_BYTES });
    } catch (e) {
      if (e instanceof StorageLimitExceeded) throw new TooLarge(`The file is larger than the limit of ${e.maxBytes} bytes.`);
      throw e;
    }
    const file = await this.batches.putFile(caller, batchId, { name: fileName, storageKey: key, ...stored });
    if (!file) throw new Conflict(`Batch ${batchId} stopped loading during the upload; the file was not added.`);
  }

  /**
   * COMPLETE: the batch goes `staging` and a worker promotes it (validates every record of every
   * file and makes it visible in one transaction, or fails it). Answers at once, as AEP's 200 means
   * accepted; the batch's status tells the outcome. A batch no longer loading is a 409.
   */
  async complete(caller: Caller, batchId: string): Promise<Batch> {
    const outcome = await this.promotions.request(caller, batchId);
    if (outcome.status === 'not-found') throw new NotFound(`Batch ${batchId} does not exist.`);
    if (outcome.status === 'not-loading') throw new Conflict(`Batch ${batchId} is ${outcome.current}; only a loading batch can be completed.`);
    // Read before enqueueing: the answer shows the batch as accepted (staging), not a worker's progress.
    const staged = (await this.batches.findById(caller, batchId))!;
    await this.dispatcher.dispatchSoon({ ...caller, batchId });
    this.logger.log({ msg: 'batch completion accepted', batchId });
    return staged;
  }

  async abort(caller: Caller, batchId: string): Promise<Batch> {
    const batch = await this.batches.findById(caller, batchId);
    // An export's output batches are the worker's to finish: not ingestion's to abort.
    if (!batch || batch.origin === 'export') throw new NotFound(`Batch ${batchId} does not exist.`);
    if (!(await this.batches.abort(caller, batchId))) throw new Conflict(`Batch ${batchId} is ${batch.status}; only a loading batch can be aborted.`);
    return (await this.batches.findById(caller, batchId))!;
  }
}
