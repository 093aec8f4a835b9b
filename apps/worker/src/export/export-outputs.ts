import type { TenantScope } from '@sx/domain';
import { fieldColumns } from '@sx/export';
import { DatasetStorage, batchPrefix } from '@sx/storage';
import type { ExportPlan } from './export-plan';
import type { RowSink } from './export-pipeline';
import type { ExportRow } from './writers/row-writer';
import { StagedBatchOutput, StagingLayout } from './staged-batch-output';

/** Rows per Parquet row group (shared by all outputs of a writer); row groups are buffered whole. */
export const PARQUET_ROW_GROUP_ROWS = 5_000;

/**
 * One staged output per batch of the run. Parquet row groups are buffered whole: they are kept
 * small enough that the worker's memory is flat, and many outputs (segmentPerBatch) share that budget.
 */
export function stagedOutputs(
  storage: DatasetStorage,
  scope: TenantScope,
  plan: ExportPlan,
  batchIds: readonly string[],
  fileRows: number,
  layout?: StagingLayout,
): StagedBatchOutput[] {
  const rowGroupRows = Math.max(1000, Math.floor(PARQUET_ROW_GROUP_ROWS / batchIds.length));
  const writerOptions = plan.format === 'csv' ? { csvColumns: fieldColumns(plan.fields) } : {};
  return batchIds.map(
    (batchId) => new StagedBatchOutput(storage, batchPrefix({ ...scope, datasetId: plan.datasetId, batchId }), plan.format, fileRows, rowGroupRows, layout, writerOptions),
  );
}

/** Where the pipeline's rows go: the one output, or each qualified segment's under segmentPerBatch. */
export function sinkInto(plan: ExportPlan, outputs: readonly StagedBatchOutput[]): RowSink {
  if (!plan.segmentPerBatch) return (row) => outputs[0].write(row);
  // Synchronous while the outputs take the row at once (an async function here cost a promise
  // and a microtask per row); a write that returns a promise is awaited before the next output.
  const writeFrom = (row: ExportRow, segments: readonly number[], from: number): void | Promise<void> => {
    for (let k = from; k < segments.length; k++) {
      const pending = outputs[segments[k]].write(row);
      if (pending) return pending.then(() => writeFrom(row, segments, k + 1));
    }
  };
  return (row, segments) => writeFrom(row, segments, 0);
}
