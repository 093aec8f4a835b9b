import { Batch } from '@sx/domain';
import { presentBatch, presentImportBatch } from '../catalog/catalog.presenter';

/** POST /batches: AEP's 201 body, with what the POST stored (inputFormat as sent, tags, externalId, replay). */
export function presentCreatedBatch(b: Batch): Record<string, unknown> {
  return presentImportBatch(b);
}

/** A batch action's 200 body: the batch as the Catalog shows it (AEP's spec), with what its POST stored. */
export function presentActedBatch(b: Batch): Record<string, unknown> {
  return presentBatch(b);
}
