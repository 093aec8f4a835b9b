import type { TenantScope } from '@sx/domain';
import type { ExportRunRepository } from '@sx/persistence';
import { type DatasetStorage, batchPrefix } from '@sx/storage';

/**
 * Batches earlier attempts of the job left `loading` (they died before ending): files first, then
 * the mark, so that a crash in between leaves a batch the next attempt or the reconciler discards
 * again, never an `aborted` batch with files.
 */
export async function discardAbandonedBatches(runs: ExportRunRepository, storage: DatasetStorage, scope: TenantScope, id: number, lease: string): Promise<void> {
  const stale = await runs.loadingBatches(scope, id);
  for (const b of stale) await storage.removePrefix(batchPrefix({ ...scope, ...b }));
  await runs.abortBatches(
    scope,
    id,
    lease,
    stale.map((b) => b.batchId),
  );
}
