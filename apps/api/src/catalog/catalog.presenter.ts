import { Batch, Dataset } from '@sx/domain';

/** schemaRef.contentType of a dataset created without one. */
export const DEFAULT_SCHEMA_CONTENT_TYPE = 'application/vnd.adobe.xed-full+json;version=1';

/** A dataset as AEP's Catalog shows it (the fields this service has; absent optional ones are left out). */
export function presentDataset(d: Dataset): Record<string, unknown> {
  const body: Record<string, unknown> = { name: d.name };
  if (d.description !== undefined) body.description = d.description;
  Object.assign(body, { imsOrg: d.orgId, sandboxId: d.sandboxName, tags: d.tags, version: '1.0.0', created: d.createdAt.getTime(), updated: d.updatedAt.getTime() });
  if (d.createdClient !== undefined) body.createdClient = d.createdClient;
  if (d.createdUser !== undefined) body.createdUser = d.createdUser;
  if (d.updatedUser !== undefined) body.updatedUser = d.updatedUser;
  if (d.basePath !== undefined) body.basePath = d.basePath;
  if (d.fileDescription !== undefined) body.fileDescription = d.fileDescription;
  body.schemaRef = { id: d.schemaId, contentType: d.schemaContentType ?? DEFAULT_SCHEMA_CONTENT_TYPE };
  // The legacy URI form of the schema: @/xdms/context/profile, .../profile__union, .../experienceevent.
  body.schema = `@/xdms/${d.schemaId.replace('https://ns.adobe.com/xdm/', '')}`;
  if (d.enableErrorDiagnostics !== undefined) body.enableErrorDiagnostics = d.enableErrorDiagnostics;
  if (d.observableSchema !== undefined) body.observableSchema = d.observableSchema;
  if (d.dataSourceId !== undefined) body.dataSourceId = d.dataSourceId;
  return body;
}

/** A batch as the Batch Ingestion API answers its creation: with what the POST stored (inputFormat as sent, tags, externalId, replay). */
export function presentImportBatch(b: Batch): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: b.id,
    imsOrg: b.orgId,
    sandboxId: b.sandboxName,
    status: b.status,
    created: b.createdAt.getTime(),
    updated: b.updatedAt.getTime(),
    relatedObjects: [{ type: 'dataSet', id: b.datasetId }],
    inputFormat: b.inputFormatOptions ?? { format: b.inputFormat },
    version: '1.0.0',
    tags: batchTags(b),
  };
  if (b.externalId !== undefined) body.externalId = b.externalId;
  if (b.replay) body.replay = b.replay;
  return body;
}

/**
 * The POST's tags, plus `exportJobId` on the batches an export writes (the service's own tag wins;
 * BATCH_FIELDS.tags in libs/persistence filters on the same merge).
 */
function batchTags(b: Batch): Record<string, string[]> {
  return { ...(b.tags ?? {}), ...(b.exportJobId !== undefined ? { exportJobId: [String(b.exportJobId)] } : {}) };
}

/** A batch as AEP's Catalog shows it: the import view plus counts, errors and completion. */
export function presentBatch(b: Batch): Record<string, unknown> {
  const body: Record<string, unknown> = {
    ...presentImportBatch(b),
    recordCount: b.recordCount,
    failedRecordCount: b.failedRecordCount,
    metrics: {
      recordsRead: b.recordCount + b.failedRecordCount,
      recordsWritten: b.status === 'success' ? b.recordCount : 0,
      recordsFailed: b.failedRecordCount,
      failedRecordCount: b.failedRecordCount,
    },
    errors: b.errors,
  };
  if (b.completedAt) body.completed = b.completedAt.getTime();
  return body;
}

/** Catalog answers collections and single objects alike as a map keyed by id. */
export function byId<T extends { id: string }>(items: T[], present: (t: T) => Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(items.map((i) => [i.id, present(i)]));
}
