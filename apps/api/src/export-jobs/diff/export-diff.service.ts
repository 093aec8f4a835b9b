import { Injectable } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { type Caller, Conflict, type ExportJob, NotFound, TooManyRequests } from '@sx/domain';
import { type BucketCounts, BatchRepository, type DiffRowSink, ExportDiffRepository, ExportJobRepository } from '@sx/persistence';
import { DatasetStorage, StorageObjectMissing } from '@sx/storage';
import { type DiffSource, planDiff } from './diff-plan';
import { UnreadableRow, copyJsonlRows } from './jsonl-diff-rows';
import { copyParquetRows } from './parquet-diff-rows';

/** What GET /export/jobs/{id}/diff/{otherId} answers. */
export interface ExportDiff {
  /** `rows`: rows read (a profile in two batches of segmentPerBatch is two). */
  before: { id: number; rows: number };
  after: { id: number; rows: number };
  segments: BucketCounts[];
}

/**
 * The diff of two exports: both exports' committed files are read back through the storage
 * driver and streamed into Postgres (ExportDiffRepository), which counts per bucket; nothing
 * grows with the exports' size here.
 */
@Injectable()
export class ExportDiffService {
  private running = 0;

  constructor(
    private readonly jobs: ExportJobRepository,
    private readonly batches: BatchRepository,
    private readonly diffs: ExportDiffRepository,
    private readonly storage: DatasetStorage,
    private readonly config: AppConfig,
  ) {}

  /** At most EXPORT_DIFF_MAX_CONCURRENT at once in this process: each holds a bulk connection throughout. */
  async diff(caller: Caller, id: number, otherId: number): Promise<ExportDiff> {
    if (this.running >= this.config.EXPORT_DIFF_MAX_CONCURRENT) {
      throw new TooManyRequests(`${this.running} export diffs are being computed (EXPORT_DIFF_MAX_CONCURRENT); retry when one has ended.`);
    }
    this.running++;
    try {
      return await this.compute(caller, id, otherId);
    } finally {
      this.running--;
    }
  }

  private async compute(caller: Caller, id: number, otherId: number): Promise<ExportDiff> {
    const before = await this.job(caller, id);
    const after = await this.job(caller, otherId);
    const plan = planDiff(before, after);
    // Checked before any file is read: a reverted batch has no rows to speak for.
    for (const source of plan.sources) for (const b of source.batches) await this.checkBatch(caller, source.job, b.batchId);
    const rows = { before: 0, after: 0 };
    const counted = await this.diffs.count(async (sink) => {
      for (const source of plan.sources) rows[source.side] += await this.copySource(caller, source, sink);
    });
    const byBucket = new Map(counted.map((c) => [c.bucket, c]));
    return {
      before: { id, rows: rows.before },
      after: { id: otherId, rows: rows.after },
      segments: plan.buckets.map((bucket) => byBucket.get(bucket) ?? { bucket, entered: 0, exited: 0, changed: 0, unchanged: 0 }),
    };
  }

  private async job(caller: Caller, id: number): Promise<ExportJob> {
    const job = await this.jobs.findById(caller, id);
    if (!job) throw new NotFound(`Export job ${id} does not exist.`);
    return job;
  }

  private async checkBatch(caller: Caller, job: ExportJob, batchId: string): Promise<void> {
    const batch = await this.batches.findById(caller, batchId);
    if (batch?.status !== 'success') {
      throw new Conflict(`Batch ${batchId} of export job ${job.id} is ${batch ? batch.status : 'gone'}: only the committed batches of an export can be diffed.`);
    }
  }

  /** Streams every row of the source's batches; returns the rows read. */
  private async copySource(caller: Caller, source: DiffSource, sink: DiffRowSink): Promise<number> {
    let rows = 0;
    for (const batch of source.batches) {
      for (const file of await this.batches.files(caller, batch.batchId)) {
        // Row files only: a batch may hold other files beside them (a manifest, say).
        const format = file.name.endsWith('.jsonl') ? 'jsonl' : file.name.endsWith('.parquet') ? 'parquet' : undefined;
        if (!format) continue;
        try {
          rows +=
            format === 'jsonl'
              ? await copyJsonlRows(await this.storage.read(file.storageKey), source, batch.bucket, sink, file.name)
              : await copyParquetRows(this.storage, file, source, batch.bucket, sink);
        } catch (e) {
          if (e instanceof StorageObjectMissing) throw new Conflict(`File ${file.name} of batch ${batch.batchId} (export job ${source.job.id}) is missing from storage.`);
          if (e instanceof UnreadableRow) throw new Conflict(`Export job ${source.job.id} cannot be diffed: ${e.message}.`);
          throw e;
        }
      }
    }
    return rows;
  }
}
