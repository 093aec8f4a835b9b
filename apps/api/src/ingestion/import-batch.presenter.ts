import { Batch } from '@sx/domain';
import { presentBatch, presentImportBatch } from '../catalog/catalog.presenter';

/** The documented fields an import POST stored, as AEP echoes them (inputFormat as sent, tags, externalId, replay). */
function importFields(b: Batch): Record<string, unknown> {
  const body: Record<string, unknown> = { tags: b.tags ?? {} };
  if (b.inputFormatOptions) body.inputFormat = b.inputFormatOptions;
  if (b.externalId !== undefined) body.externalId = b.externalId;
  if (b.replay) body.replay = b.replay;
  return body;
}

/** POST /batches: AEP's 201 body. */
export function presentCreatedBatch(b: Batch): Record<string, unknown> {
  return { ...presentImportBatch(b), ...importFields(b) };
}

/** A batch action's 200 body: the batch (AEP's spec), with what its POST stored. */
export function presentActedBatch(b: Batch): Record<string, unknown> {
  const body = presentBatch(b);
  return { ...body, ...importFields(b), tags: { ...(body.tags as Record<string, unknown>), ...(b.tags ?? {}) } };
}
