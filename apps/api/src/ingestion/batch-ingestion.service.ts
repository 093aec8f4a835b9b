import { Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { AppConfig } from '@sx/config';
import {
  Batch,
  BatchError,
  Caller,
  Conflict,
  DatasetKind,
  NotFound,
  TooLarge,
  ValidationFailed,
  resolveSchema,
} from '@sx/domain';
import { MalformedFile, eventFacts, membershipOffset, profileFacts, readRecords } from '@sx/ingest';
import { BatchRepository, BulkIngestRepository, DatasetRepository, RowSink, ProducerReport, RowOf } from '@sx/persistence';
import { DatasetStorage, StorageLimitExceeded, batchFileKey } from '@sx/storage';

/** At most this many refused records are listed on a failed batch (all are counted). */
const MAX_LISTED_ERRORS = 100;

@Injectable()
export class BatchIngestionService {
  private readonly logger = new Logger(BatchIngestionService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly datasets: DatasetRepository,
    private readonly batches: BatchRepository,
    private readonly bulk: BulkIngestRepository,
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
   * Validates every record of every file and promotes the batch into the profile store in one
   * transaction. One refused record fails the whole batch and nothing of it becomes visible.
   */
  async complete(caller: Caller, batchId: string): Promise<Batch> {
    const batch = await this.loadingBatch(caller, batchId);
    const dataset = await this.datasets.findById(caller, batch.datasetId);
    const kind = dataset && resolveSchema(dataset.schemaId)?.kind;
    if (!kind) throw new NotFound(`The dataset of batch ${batchId} no longer exists.`);
    const files = await this.batches.files(caller, batchId);
    const started = Date.now();
    const outcome = await this.bulk.promote(caller, batchId, kind, (sink) => this.produceRows(kind, files, sink));
    if (outcome.status === 'not-found') throw new NotFound(`Batch ${batchId} does not exist.`);
    if (outcome.status === 'not-loading') throw new Conflict(`Batch ${batchId} is no longer loading.`);
    this.logger.log({ msg: 'batch completed', batchId, status: outcome.status, ms: Date.now() - started, ...('recordCount' in outcome ? { records: outcome.recordCount } : {}) });
    return (await this.batches.findById(caller, batchId))!;
  }

  private async produceRows<K extends DatasetKind>(
    kind: K,
    files: Array<{ name: string; storageKey: string }>,
    sink: RowSink<RowOf<K>>,
  ): Promise<ProducerReport> {
    const report: ProducerReport = { recordCount: 0, failedRecordCount: 0, errors: [] };
    const refuse = (error: BatchError) => {
      report.failedRecordCount++;
      if (report.errors.length < MAX_LISTED_ERRORS) report.errors.push(error);
    };
    for (const file of files) {
      try {
        for await (const raw of readRecords(await this.storage.read(file.storageKey))) {
          let value: unknown;
          try {
            value = JSON.parse(raw.text);
          } catch {
            refuse({ code: 'MALFORMED_JSON', description: 'the record is not valid JSON', file: file.name, line: raw.line });
            continue;
          }
          // Postgres json(b) cannot store NUL characters.
          if (raw.text.includes('\\u0000')) {
            refuse({ code: 'INVALID_RECORD', description: 'the record contains a NUL character (\\u0000)', file: file.name, line: raw.line });
            continue;
          }
          const verdict = kind === 'profile' ? profileFacts(value) : eventFacts(value);
          if (!verdict.ok) {
            refuse({ code: 'INVALID_RECORD', description: verdict.reason, file: file.name, line: raw.line });
            continue;
          }
          report.recordCount++;
          // After the first refusal the batch will roll back: keep validating, stop writing.
          if (report.failedRecordCount) continue;
          const row = kind === 'profile' ? { ...verdict.value, json: raw.text, membershipAt: membershipOffset(raw.text, value as Record<string, unknown>) } : { ...verdict.value, json: raw.text };
          await sink.write(row as RowOf<K>);
        }
      } catch (e) {
        if (!(e instanceof MalformedFile)) throw e;
        refuse({ code: 'MALFORMED_FILE', description: e.message, file: file.name, line: e.line });
      }
    }
    if (report.recordCount === 0 && !report.failedRecordCount) {
      refuse({ code: 'EMPTY_BATCH', description: files.length ? 'the batch files hold no records' : 'the batch has no files' });
    }
    return report;
  }

  async abort(caller: Caller, batchId: string): Promise<Batch> {
    const batch = await this.batches.findById(caller, batchId);
    // An export's output batches are the worker's to finish: not ingestion's to abort.
    if (!batch || batch.origin === 'export') throw new NotFound(`Batch ${batchId} does not exist.`);
    if (!(await this.batches.abort(caller, batchId))) throw new Conflict(`Batch ${batchId} is ${batch.status}; only a loading batch can be aborted.`);
    return (await this.batches.findById(caller, batchId))!;
  }
}
