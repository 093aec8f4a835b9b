import { Injectable, Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { AppConfig } from '@sx/config';
import { Batch, TenantScope, resolveSchema } from '@sx/domain';
import { BatchPromotionRepository, BatchRepository, BulkIngestRepository, DatasetRepository, PromoteOutcome } from '@sx/persistence';
import { Metrics } from '@sx/observability';
import type { JobName, JobPayload } from '@sx/queue';
import { DatasetStorage, failedRowsKey } from '@sx/storage';
import { BatchRowLimits, RefusalPolicy, produceBatchRows } from './batch-rows';
import { StoredFailedRows } from './failed-rows';

type PromoteBatchJob = Job<JobPayload<JobName.PromoteBatch>>;

/** Another live attempt holds the batch: retried later by BullMQ (with backoff), never run twice at once. */
export class PromotionBusy extends Error {
  constructor(batchId: string) {
    super(`batch ${batchId} is being promoted by another worker`);
  }
}

/**
 * Promotes a completed batch on a worker: every record of every file validated and COPYed into
 * the store in one transaction, or the batch failed with the refused records by file and line
 * (with a partial-ingestion threshold: refused records within it are skipped, the rest ingested).
 * A worker killed mid-promotion leaves nothing visible (the transaction dies with its connection)
 * and the next attempt starts over; attempts are counted in Postgres, killed ones included.
 */
@Injectable()
export class BatchPromotionProcessor {
  private readonly logger = new Logger(BatchPromotionProcessor.name);
  private readonly limits: BatchRowLimits;

  constructor(
    private readonly config: AppConfig,
    private readonly batches: BatchRepository,
    private readonly datasets: DatasetRepository,
    private readonly bulk: BulkIngestRepository,
    private readonly promotions: BatchPromotionRepository,
    private readonly storage: DatasetStorage,
    private readonly metrics: Metrics,
  ) {
    this.limits = {
      maxRecordBytes: config.INGEST_MAX_RECORD_BYTES,
      maxRecordDepth: config.INGEST_MAX_RECORD_DEPTH,
      maxDecompressedBytes: config.INGEST_MAX_DECOMPRESSED_BYTES,
      maxGzipRatio: config.INGEST_MAX_GZIP_RATIO,
      maxBatchRecords: config.INGEST_MAX_BATCH_RECORDS,
    };
  }

  readonly handle = (job: PromoteBatchJob) => this.run(job);

  async run(job: PromoteBatchJob): Promise<Record<string, unknown>> {
    const { batchId, orgId, sandboxName } = job.data;
    const scope: TenantScope = { orgId, sandboxName };
    const batch = await this.batches.findById(scope, batchId);
    if (!batch || (batch.status !== 'staging' && batch.status !== 'processing')) return { skipped: batch ? batch.status : 'gone' };
    const dataset = await this.datasets.findById(scope, batch.datasetId);
    const kind = dataset && resolveSchema(dataset.schemaId)?.kind;
    if (!kind) {
      await this.promotions.fail(scope, batchId, [{ code: 'DATASET_GONE', description: `dataset ${batch.datasetId} no longer exists` }]);
      return { failed: 'dataset gone' };
    }
    const files = (await this.batches.files(scope, batchId)).map((f) => ({ name: f.name, open: () => this.storage.read(f.storageKey) }));
    const started = Date.now();
    let outcome: PromoteOutcome;
    try {
      outcome = await this.bulk.promote(scope, batchId, kind, { maxAttempts: this.config.INGEST_ATTEMPTS }, (sink) =>
        produceBatchRows(kind, files, this.limits, sink, this.refusalPolicy(batch)),
      );
    } catch (e) {
      await this.failIfLastAttempt(scope, batchId, e as Error);
      throw e;
    }
    if (outcome.status === 'busy') throw new PromotionBusy(batchId);
    const ms = Date.now() - started;
    if (outcome.status === 'success' || outcome.status === 'failed') {
      // A failed batch stores none of its records: all of them count as refused.
      this.metrics.jobEnded('promotion', outcome.status, ms);
      const accepted = outcome.status === 'success' ? outcome.recordCount : 0;
      if (accepted) this.metrics.ingestedRecords.inc({ kind, outcome: 'accepted' }, accepted);
      if (outcome.failedRecordCount) this.metrics.ingestedRecords.inc({ kind, outcome: 'refused' }, outcome.failedRecordCount);
    }
    this.logger.log({
      msg: 'batch promotion ended',
      batchId,
      status: outcome.status,
      ms,
      ...('recordCount' in outcome ? { records: outcome.recordCount } : {}),
      ...('failedRecordCount' in outcome ? { failedRecords: outcome.failedRecordCount } : {}),
      ...('phases' in outcome ? outcome.phases : {}),
    });
    return { status: outcome.status, ms };
  }

  /** With a partial-ingestion threshold, refused records are skipped into files of their own (Data Access /failed). */
  private refusalPolicy(batch: Batch): RefusalPolicy {
    const threshold = batch.partialIngestionPercent;
    if (threshold === undefined) return {};
    const where = { orgId: batch.orgId, sandboxName: batch.sandboxName, datasetId: batch.datasetId, batchId: batch.id };
    return { partialIngestionPercent: threshold, failedRows: new StoredFailedRows(this.storage, (name) => failedRowsKey(where, name)) };
  }

  /** An attempt that threw (storage, database): the batch fails once its attempts are used up, naming why. */
  private async failIfLastAttempt(scope: TenantScope, batchId: string, e: Error): Promise<void> {
    const batch = await this.batches.findById(scope, batchId).catch(() => null);
    const attempts = batch?.promotionAttempts ?? 0;
    this.logger.warn({ msg: 'batch promotion attempt failed', batchId, attempt: attempts, error: e.message });
    if (!batch || attempts < this.config.INGEST_ATTEMPTS) return;
    await this.promotions.fail(scope, batchId, [
      { code: 'PROMOTION_FAILED', description: `the batch was not promoted in ${attempts} attempts: ${e.message.split('\n')[0].slice(0, 300)}` },
    ]);
    throw new UnrecoverableError(e.message);
  }
}
