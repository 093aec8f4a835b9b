export const EXPORT_JOB_STATUSES = ['NEW', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type ExportJobStatus = (typeof EXPORT_JOB_STATUSES)[number];
export const FINISHED_STATUSES: readonly ExportJobStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Membership statuses a segment filter may ask for (`existing` counts as realized). */
export const SEGMENT_STATUSES = ['realized', 'existing', 'exited'] as const;
export type SegmentStatus = (typeof SEGMENT_STATUSES)[number];

export const DEFAULT_SEGMENT_NAMESPACE = 'ups';
export const DEFAULT_MERGE_POLICY_ID = 'timestampOrdered-none-mp';

export interface SegmentFilter {
  segmentId: string;
  segmentNs: string;
  status: SegmentStatus[];
}

export interface ExportFilter {
  segments?: SegmentFilter[];
  segmentQualificationTime?: { startTime?: string; endTime?: string };
  fromIngestTimestamp?: string;
  emptyProfiles?: boolean;
  /**
   * Not in AEP: makes the export a link of this incremental chain (README "Incremental chains"):
   * it exports the profiles changed since the chain's previous succeeded export.
   */
  chainId?: string;
}

/** Allowed chain ids: short and printable, as they appear in URLs and logs. */
export const CHAIN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Why a chain link cannot merge through an identity graph (a 400 at the API, a failed job at run time). */
export const CHAIN_NEEDS_NO_GRAPH =
  'is not built for merge policies with an identity graph (pdg): which profiles of the graph a chain link changed is found by primary identity only; use a policy with identityGraph "none"';

/** Where a chain link starts and ends, fixed at its first claim (snapshots as pg_snapshot text). */
export interface ChainLink {
  chainId: string;
  /** The chain's previous succeeded export; none for the first link, which exports everything. */
  previousJobId?: number;
  /** The lower bound: the previous link's upper bound. */
  after?: string;
  /** The upper bound: the store's committed batches when this link was first claimed. */
  upTo?: string;
}

export interface EventListOptions {
  fields?: string;
  filter?: { fromIngestTimestamp?: string; toIngestTimestamp?: string };
}

/**
 * The metadata file of every export batch (README "Verified output"). Stored and registered with
 * the batch, served by GET /batches/{id}/manifest, and left out of the batch's AEP file listing:
 * AEP's batches have no such file, and its clients read every listed file as data.
 */
export const EXPORT_MANIFEST_NAME = '_manifest.json';

/** Most partitions one export may ask for. */
export const MAX_EXPORT_PARTITIONS = 64;

export const OUTPUT_FORMATS = ['parquet', 'jsonl', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface ExportDestination {
  datasetId: string;
  segmentPerBatch: boolean;
  /** Not in AEP (its datasets are Parquet): `jsonl` asks for JSON Lines files instead, `csv` for CSV (one column per `fields` path). */
  outputFormat?: OutputFormat;
  /**
   * Not in AEP: how many key-range partitions write the job at once, on any workers (1-64). Unset:
   * one, unless the sandbox holds more than EXPORT_PARTITION_PROFILES profiles.
   */
  partitions?: number;
  batchId?: string;
  batches?: Array<{ segmentId: string; segmentNs: string; status: string[]; batchId: string }>;
}

export interface MergePolicyRef {
  id: string;
  version: number;
}

export interface TimeSpan {
  startTimeInMs: number;
  endTimeInMs?: number;
  totalTimeInMs?: number;
}

export interface ExportMetrics {
  totalTime?: TimeSpan;
  profileExportTime?: TimeSpan;
  totalExportedProfileCounter?: number;
  exportedProfileByNamespaceCounter?: Record<string, number>;
  /**
   * Not in AEP: profiles exported per segment filter entry they satisfied, keyed by segment id
   * (`<ns>:<segmentId>` for a namespace other than ups); only for a job with a segment filter.
   */
  exportedProfileBySegmentCounter?: Record<string, number>;
  /** Not in AEP: a partitioned job's partitions written so far, of how many. */
  partitions?: { done: number; total: number };
}

export interface ExportJobError {
  code: string;
  msg: string;
  callStack: string;
}

/** What a client asks for in POST /export/jobs, after validation and defaults. */
export interface ExportJobRequest {
  fields?: string;
  mergePolicy?: MergePolicyRef;
  filter?: ExportFilter;
  additionalFields?: { eventList?: EventListOptions };
  destination: ExportDestination;
  schema: { name: string };
  evaluationInfo?: { segmentation?: boolean };
}

export interface ExportJob extends ExportJobRequest {
  id: number;
  orgId: string;
  sandboxName: string;
  clientId: string;
  status: ExportJobStatus;
  profileInstanceId: string;
  metrics?: ExportMetrics;
  errors?: ExportJobError[];
  computeGatewayJobId: string;
  requestId: string;
  creationTime: Date;
  updateTime: Date;
  cancelRequestedAt?: Date;
  /** With evaluationInfo.segmentation: the run's one now (epoch ms), fixed when first claimed. */
  evaluationNowMs?: number;
  /**
   * The snapshot the export reads (pg_snapshot text), fixed at its first claim: every profile as
   * of it (identity graph none; a pdg read sees the store as each read finds it).
   */
  readSnapshot?: string;
  /** With filter.chainId: the link's bounds (upTo and after once claimed). */
  chainLink?: ChainLink;
  /** Not in AEP for exports: the schedule run that created the job (`{scheduleId, runId}`). */
  properties?: { scheduleId: string; runId: string };
  /** A dry run (issue 15): planned and counted, no batch written. */
  dryRun?: boolean;
  dryRunResult?: DryRunResult;
  /** A diff's batch (issue 15): the job writes the profiles that moved from one export to the other. */
  diffOf?: DiffOf;
}

/** The two exports a diff's batch compares: `beforeJobId` is the diff's `{id}`, `afterJobId` its `{otherId}`. */
export interface DiffOf {
  beforeJobId: number;
  afterJobId: number;
}

/** The top-level member a diff's batch adds to every row: `{"change": ..., "bucket": ...}` (README "Diff"). */
export const DIFF_ROW_MEMBER = '_diff';

/** What a dry run found: what the export would write (see README "Dry runs"). */
export interface DryRunResult {
  profiles: number;
  byNamespace: Record<string, number>;
  bySegment?: Record<string, number>;
  /** The first rows (at most DRY_RUN_SAMPLE_ROWS) as a reader of the output files would get them. */
  sample: Array<Record<string, unknown>>;
}

export const DRY_RUN_SAMPLE_ROWS = 10;

/** The key of a segment filter entry in per-segment counts: its id, namespaced unless `ups`. */
export function segmentCountKey(segmentNs: string, segmentId: string): string {
  return segmentNs === DEFAULT_SEGMENT_NAMESPACE ? segmentId : `${segmentNs}:${segmentId}`;
}

/** Keyset position in the newest-first list: `{creationTimeMs}_{id}` on the wire. */
export interface JobCursor {
  creationTimeMs: number;
  id: number;
}

export function formatCursor(c: JobCursor): string {
  return `${c.creationTimeMs}_${c.id}`;
}

/** Parses `{creationTimeMs}_{id}`; undefined when malformed. */
export function parseCursor(text: string): JobCursor | undefined {
  const m = /^(\d{1,15})_(\d{1,10})$/.exec(text);
  if (!m) return undefined;
  const cursor = { creationTimeMs: Number(m[1]), id: Number(m[2]) };
  return cursor.id <= 2147483647 ? cursor : undefined;
}

/** What DELETE did to a job. */
export type CancelOutcome = 'cancelled' | 'cancel-requested' | 'deleted';
