import { Batch, Dataset, resolveSchema } from '@sx/domain';

/** A dataset as AEP's Catalog shows it (the fields this service has). */
export function presentDataset(d: Dataset): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: d.name,
    imsOrg: d.orgId,
    sandboxId: d.sandboxName,
    schemaRef: { id: d.schemaId, contentType: 'application/vnd.adobe.xed-full+json;version=1' },
    schema: `@/xdms/context/${resolveSchema(d.schemaId)?.kind === 'event' ? 'experienceevent' : 'profile'}`,
    created: d.createdAt.getTime(),
    updated: d.updatedAt.getTime(),
    version: '1.0.0',
    tags: {},
  };
  if (d.description !== undefined) body.description = d.description;
  return body;
}

/** A batch as the Batch Ingestion API answers its creation. */
export function presentImportBatch(b: Batch): Record<string, unknown> {
  return {
    id: b.id,
    imsOrg: b.orgId,
    sandboxId: b.sandboxName,
    status: b.status,
    created: b.createdAt.getTime(),
    updated: b.updatedAt.getTime(),
    relatedObjects: [{ type: 'dataSet', id: b.datasetId }],
    inputFormat: { format: b.inputFormat },
    version: '1.0.0',
    tags: {},
  };
}

/** A batch as AEP's Catalog shows it: the import view plus counts, errors and completion. */
export function presentBatch(b: Batch): Record<string, unknown> {
  const body: Record<string, unknown> = {
    ...presentImportBatch(b),
    metrics: { recordsRead: b.recordCount + b.failedRecordCount, recordsWritten: b.status === 'success' ? b.recordCount : 0, failedRecordCount: b.failedRecordCount },
    errors: b.errors,
    tags: b.exportJobId !== undefined ? { exportJobId: [String(b.exportJobId)] } : {},
  };
  if (b.completedAt) body.completed = b.completedAt.getTime();
  return body;
}

/** Catalog answers collections and single objects alike as a map keyed by id. */
export function byId<T extends { id: string }>(items: T[], present: (t: T) => Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(items.map((i) => [i.id, present(i)]));
}
