import type { Batch, BatchError, BatchFile, BatchReplay, FailedRowsFile } from '@sx/domain';
import type { Batch as BatchRow, BatchFile as BatchFileRow } from './generated/prisma/client';

/** Prisma row → domain type; the only place that knows the column layout of batches. */
export function toBatch(row: BatchRow): Batch {
  const b: Batch = {
    id: row.id,
    orgId: row.orgId,
    sandboxName: row.sandboxName,
    datasetId: row.datasetId,
    status: row.status,
    inputFormat: row.inputFormat,
    origin: row.origin === 'export' ? 'export' : 'ingest',
    recordCount: row.recordCount,
    failedRecordCount: row.failedRecordCount,
    errors: (row.errors as unknown as BatchError[] | null) ?? [],
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    promotionAttempts: row.promotionAttempts,
  };
  if (row.exportJobId !== null) b.exportJobId = row.exportJobId;
  if (row.completedAt) b.completedAt = row.completedAt;
  if (row.inputFormatOptions !== null) b.inputFormatOptions = row.inputFormatOptions as Record<string, unknown>;
  if (row.tags !== null) b.tags = row.tags as Record<string, string[]>;
  if (row.externalId !== null) b.externalId = row.externalId;
  if (row.replay !== null) b.replay = row.replay as BatchReplay;
  if (row.partialIngestionPercent !== null) b.partialIngestionPercent = row.partialIngestionPercent;
  if (row.failedFiles !== null) b.failedFiles = row.failedFiles as unknown as FailedRowsFile[];
  return b;
}

/** Prisma row → domain type of a batch's file (batch_files). */
export function toBatchFile(row: BatchFileRow): BatchFile {
  const f: BatchFile = {
    id: row.id,
    batchId: row.batchId,
    name: row.name,
    storageKey: row.storageKey,
    sizeBytes: Number(row.sizeBytes),
    sha256: row.sha256,
    createdAt: row.createdAt,
  };
  if (row.records !== null) f.records = row.records;
  return f;
}
