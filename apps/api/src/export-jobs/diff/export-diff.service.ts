import { Injectable } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { type Caller, type ExportJob, type ExportJobRequest, type ExportJobStatus, NotFound, TooManyRequests } from '@sx/domain';
import { ExportDiffReader, planDiff } from '@sx/export-diff';
import { type BucketCounts, BatchRepository, ExportDiffRepository, ExportJobRepository } from '@sx/persistence';
import { ExportDispatcher } from '@sx/queue';
import { DatasetStorage } from '@sx/storage';

/** A diff's batch as GET ...?batch=true answers it: the export job that writes it. */
export interface DiffBatchRef {
  exportJobId: number;
  status: ExportJobStatus;
  /** Once the job SUCCEEDED. */
  batchId?: string;
}

/** What GET /export/jobs/{id}/diff/{otherId} answers. */
export interface ExportDiff {
  /** `rows`: rows read (a profile in two batches of segmentPerBatch is two). */
  before: { id: number; rows: number };
  after: { id: number; rows: number };
  segments: BucketCounts[];
  batch?: DiffBatchRef;
}

/**
 * The diff of two exports: both exports' committed files are read back through the storage
 * driver and streamed into Postgres (ExportDiffRepository), which counts per bucket; nothing
 * grows with the exports' size here. With `batch`, the profiles that moved are written as a batch
 * by a worker: an export job of its own (diffOf), one per pair of exports, so that it is queued,
 * retried, cancelled and committed as every export is.
 */
@Injectable()
export class ExportDiffService {
  private running = 0;
  private readonly reader: ExportDiffReader;

  constructor(
    private readonly jobs: ExportJobRepository,
    batches: BatchRepository,
    private readonly diffs: ExportDiffRepository,
    storage: DatasetStorage,
    private readonly config: AppConfig,
    private readonly dispatcher: ExportDispatcher,
  ) {
    this.reader = new ExportDiffReader(batches, storage);
  }

  /** At most EXPORT_DIFF_MAX_CONCURRENT at once in this process: each holds a bulk connection throughout. */
  async diff(caller: Caller, id: number, otherId: number, batch?: { requestId: string }): Promise<ExportDiff> {
    if (this.running >= this.config.EXPORT_DIFF_MAX_CONCURRENT) {
      throw new TooManyRequests(`${this.running} export diffs are being computed (EXPORT_DIFF_MAX_CONCURRENT); retry when one has ended.`);
    }
    this.running++;
    try {
      const before = await this.job(caller, id);
      const after = await this.job(caller, otherId);
      const diff = await this.compute(caller, before, after);
      if (batch) diff.batch = await this.ensureBatch(caller, before, after, batch.requestId);
      return diff;
    } finally {
      this.running--;
    }
  }

  private async compute(caller: Caller, before: ExportJob, after: ExportJob): Promise<ExportDiff> {
    const plan = planDiff(before, after);
    await this.reader.check(caller, plan);
    let rows = { before: 0, after: 0 };
    const counted = await this.diffs.count(async (sink) => {
      rows = await this.reader.read(caller, plan, sink);
    });
    const byBucket = new Map(counted.map((c) => [c.bucket, c]));
    return {
      before: { id: before.id, rows: rows.before },
      after: { id: after.id, rows: rows.after },
      segments: plan.buckets.map((bucket) => byBucket.get(bucket) ?? { bucket, entered: 0, exited: 0, changed: 0, unchanged: 0 }),
    };
  }

  /**
   * The pair's live diff job, else a new one queued now (the reconciler queues it should Redis
   * be down). Written into the after export's dataset, in its format.
   */
  private async ensureBatch(caller: Caller, before: ExportJob, after: ExportJob, requestId: string): Promise<DiffBatchRef> {
    const request: ExportJobRequest = {
      schema: after.schema,
      destination: { datasetId: after.destination.datasetId, segmentPerBatch: false, outputFormat: after.destination.outputFormat ?? 'parquet' },
    };
    const { job, created } = await this.jobs.ensureDiffJob(caller, { beforeJobId: before.id, afterJobId: after.id }, request, requestId);
    if (created) await this.dispatcher.dispatchSoon(job);
    const ref: DiffBatchRef = { exportJobId: job.id, status: job.status };
    if (job.status === 'SUCCEEDED' && job.destination.batchId) ref.batchId = job.destination.batchId;
    return ref;
  }

  private async job(caller: Caller, id: number): Promise<ExportJob> {
    const job = await this.jobs.findById(caller, id);
    if (!job) throw new NotFound(`Export job ${id} does not exist.`);
    return job;
  }
}
