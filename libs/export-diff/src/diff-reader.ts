import { Conflict, type TenantScope } from '@sx/domain';
import type { BatchRepository, DiffRowSink } from '@sx/persistence';
import { type DatasetStorage, StorageObjectMissing } from '@sx/storage';
import type { DiffPlan, DiffSource } from './diff-plan';
import { UnreadableRow, copyJsonlRows } from './jsonl-diff-rows';
import { copyParquetRows } from './parquet-diff-rows';

/** Rows read per side (a profile in two batches of segmentPerBatch is two). */
export interface DiffRowsRead {
  before: number;
  after: number;
}

/**
 * Reads both exports of a diff plan back from storage, row by row into a sink: the API's counts
 * and a worker's diff batch read them the same way. A batch no longer committed, a file missing
 * from storage or a row no export writes is a Conflict naming it.
 */
export class ExportDiffReader {
  constructor(
    private readonly batches: BatchRepository,
    private readonly storage: DatasetStorage,
  ) {}

  /** Checked before any file is read: a reverted batch has no rows to speak for. */
  async check(scope: TenantScope, plan: DiffPlan): Promise<void> {
    for (const source of plan.sources) {
      for (const b of source.batches) {
        const batch = await this.batches.findById(scope, b.batchId);
        if (batch?.status !== 'success') {
          throw new Conflict(`Batch ${b.batchId} of export job ${source.job.id} is ${batch ? batch.status : 'gone'}: only the committed batches of an export can be diffed.`);
        }
      }
    }
  }

  /** Streams every row of both sides into the sink. */
  async read(scope: TenantScope, plan: DiffPlan, sink: DiffRowSink): Promise<DiffRowsRead> {
    const rows: DiffRowsRead = { before: 0, after: 0 };
    for (const source of plan.sources) rows[source.side] += await this.readSource(scope, source, sink);
    return rows;
  }

  private async readSource(scope: TenantScope, source: DiffSource, sink: DiffRowSink): Promise<number> {
    let rows = 0;
    for (const batch of source.batches) {
      for (const file of await this.batches.files(scope, batch.batchId)) {
        // Row files only: a batch may hold other files beside them (a manifest, say).
        const format = file.name.endsWith('.jsonl') ? 'jsonl' : file.name.endsWith('.parquet') ? 'parquet' : undefined;
        if (!format) continue;
        try {
          rows +=
            format === 'jsonl'
              ? await copyJsonlRows(await this.storage.read(file.storageKey), source, batch.bucket, sink, file.name, file.sha256)
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
