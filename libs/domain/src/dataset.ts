import { randomBytes } from 'node:crypto';

export const PROFILE_SCHEMA_ID = 'https://ns.adobe.com/xdm/context/profile';
export const EVENT_SCHEMA_ID = 'https://ns.adobe.com/xdm/context/experienceevent';
// (the profile schema's name, `_xdm.context.profile`, is exported by merge-policy.ts)
const PROFILE_NAME = '_xdm.context.profile';
export const EVENT_SCHEMA_NAME = '_xdm.context.experienceevent';

export type DatasetKind = 'profile' | 'event';

/**
 * The profile union schema: AEP's export docs create the export target dataset with it. Here it
 * is the profile schema under another id (kept, so that the dataset shows what the client sent);
 * an export's `schema.name` stays `_xdm.context.profile`, as in those docs.
 */
export const PROFILE_UNION_SCHEMA_ID = 'https://ns.adobe.com/xdm/context/profile__union';
const PROFILE_UNION_NAME = '_xdm.context.profile__union';

const SCHEMAS: Record<string, { id: string; name: string; kind: DatasetKind }> = {
  [PROFILE_SCHEMA_ID]: { id: PROFILE_SCHEMA_ID, name: PROFILE_NAME, kind: 'profile' },
  [PROFILE_NAME]: { id: PROFILE_SCHEMA_ID, name: PROFILE_NAME, kind: 'profile' },
  [PROFILE_UNION_SCHEMA_ID]: { id: PROFILE_UNION_SCHEMA_ID, name: PROFILE_NAME, kind: 'profile' },
  [PROFILE_UNION_NAME]: { id: PROFILE_UNION_SCHEMA_ID, name: PROFILE_NAME, kind: 'profile' },
  [EVENT_SCHEMA_ID]: { id: EVENT_SCHEMA_ID, name: EVENT_SCHEMA_NAME, kind: 'event' },
  [EVENT_SCHEMA_NAME]: { id: EVENT_SCHEMA_ID, name: EVENT_SCHEMA_NAME, kind: 'event' },
};

/** The schema a reference names (URL or `_xdm.context.*` name); undefined if not one we store. */
export function resolveSchema(ref: string): { id: string; name: string; kind: DatasetKind } | undefined {
  return Object.prototype.hasOwnProperty.call(SCHEMAS, ref) ? SCHEMAS[ref] : undefined;
}

/** Every schema reference a dataset may be created with. */
export const SCHEMA_REFS: readonly string[] = Object.keys(SCHEMAS);

/** `tags` of a Catalog object: each tag name has a list of values (`"unifiedProfile": ["enabled:true"]`). */
export type CatalogTags = Record<string, string[]>;

/** `fileDescription` of a dataset, as AEP documents it (stored and echoed; reading uses the batch's inputFormat). */
export interface FileDescription {
  persisted?: boolean;
  containerFormat?: string;
  format?: string;
  delimiters?: string[];
  quotes?: string[];
  escapes?: string[];
  nullMarkers?: string[];
  header?: boolean;
  charset?: string;
}

/** The fields of a dataset a client writes (POST, PUT, PATCH). Absent optional fields are not shown. */
export interface DatasetFields {
  name: string;
  description?: string;
  schemaId: string;
  schemaContentType?: string;
  tags?: CatalogTags;
  fileDescription?: FileDescription;
  observableSchema?: Record<string, unknown>;
  enableErrorDiagnostics?: boolean;
  basePath?: string;
  dataSourceId?: number;
}

export interface Dataset extends DatasetFields {
  id: string;
  orgId: string;
  sandboxName: string;
  tags: CatalogTags;
  createdClient?: string;
  createdUser?: string;
  updatedUser?: string;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * AEP's lifecycle: loading → staging (COMPLETE accepted) → processing (a worker promotes it) →
 * success | failed; or aborted (ABORT), failed (the client's FAIL), inactive (a success REVERTed).
 */
export type BatchStatus = 'loading' | 'staging' | 'processing' | 'success' | 'failed' | 'aborted' | 'inactive';

export interface BatchError {
  code: string;
  description: string;
  file?: string;
  line?: number;
}

export interface Batch {
  id: string;
  orgId: string;
  sandboxName: string;
  datasetId: string;
  status: BatchStatus;
  inputFormat: string;
  origin: 'ingest' | 'export';
  exportJobId?: number;
  recordCount: number;
  failedRecordCount: number;
  errors: BatchError[];
  createdAt: Date;
  updatedAt: Date;
  completedAt?: Date;
  /** Promotion attempts started so far (ingestion batches; a killed attempt counts). */
  promotionAttempts?: number;
  /** The import POST's `inputFormat` as sent (format lower-cased): echoed as AEP does. */
  inputFormatOptions?: Record<string, unknown>;
  /** AEP's batch `tags`, `externalId` and `replay` of the import POST (stored and echoed). */
  tags?: Record<string, string[]>;
  externalId?: string;
  replay?: BatchReplay;
  /** AEP's partialIngestionPercentage: refused records up to this percent of the batch are skipped, not fatal. */
  partialIngestionPercent?: number;
  /** A partially ingested batch: the files of its refused rows (Data Access /failed). */
  failedFiles?: FailedRowsFile[];
}

/** The refused rows of one input file of a partially ingested batch, as JSON Lines in dataset storage. */
export interface FailedRowsFile {
  name: string;
  storageKey: string;
  sizeBytes: number;
}

export interface BatchReplay {
  predecessors?: string[];
  predecessorsByExternalId?: string[];
  reason?: string;
}

/** What an import POST stores beyond the dataset (AEP's documented batch fields). */
export interface NewImportBatch {
  datasetId: string;
  inputFormatOptions: Record<string, unknown>;
  tags?: Record<string, string[]>;
  externalId?: string;
  replay?: BatchReplay;
  partialIngestionPercent?: number;
}

export interface BatchFile {
  id: string;
  batchId: string;
  name: string;
  storageKey: string;
  sizeBytes: number;
  sha256: string;
  records?: number;
  createdAt: Date;
}

/** Catalog ids as AEP makes them: 24 hex characters for datasets, 32 for batches. */
export const newDatasetId = () => randomBytes(12).toString('hex');
export const newBatchId = () => randomBytes(16).toString('hex');
export const newDatasetFileId = (batchId: string) => `${batchId}-${randomBytes(6).toString('hex')}`;
