import { Readable } from 'node:stream';
import { type DiffOf, EXPORT_MANIFEST_NAME, type ExportJob, segmentCountKey } from '@sx/domain';
import type { BucketCounts, StagedFile } from '@sx/persistence';
import type { DatasetStorage } from '@sx/storage';
import { type ExportPlan, planExport } from './export-plan';

/** What of the plan a manifest records. */
export type ManifestPlan = Pick<ExportPlan, 'datasetId' | 'format' | 'segments' | 'segmentPerBatch'>;

/**
 * The metadata file of every export batch. The leading underscore is the Hadoop/Spark convention
 * (`_SUCCESS`, `_metadata`): dataset readers that list a folder skip such files.
 */
export const MANIFEST_NAME = EXPORT_MANIFEST_NAME;
export const MANIFEST_VERSION = 1;

export interface ManifestFile {
  name: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface BatchCounts {
  profiles: number;
  byNamespace: Record<string, number>;
  /** Only for a job with a segment filter. */
  bySegment?: Record<string, number>;
}

/** What the export read (README "Verified output"): the store as of `upTo`; for a chain link, only what changed after `after`. */
export interface ManifestSnapshot {
  upTo: string;
  chainId?: string;
  previousJobId?: number;
  after?: string;
}

export interface BatchManifest {
  manifestVersion: number;
  jobId: number;
  batchId: string;
  datasetId: string;
  format: string;
  files: ManifestFile[];
  totals: { files: number; rows: number; bytes: number };
  counts: BatchCounts;
  options: Record<string, unknown>;
  snapshot?: ManifestSnapshot;
  /** A diff's batch only: the two exports it compares and its counts per bucket (as GET .../diff answers them). */
  diff?: DiffOf & { segments: BucketCounts[] };
}

/** What one output batch of a run staged: its data files and the rows it got per namespace. */
export interface StagedBatch {
  batchId: string;
  records: number;
  byNamespace: Record<string, number>;
  files: readonly StagedFile[];
}

/** Keys sorted at every depth (arrays keep their order): the same job body gives the same bytes, whatever its key order. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const value = (v as Record<string, unknown>)[k];
    if (value !== undefined) out[k] = canonical(value);
  }
  return out;
}

const sortedCounts = (counts: Record<string, number>) => canonical({ ...counts }) as Record<string, number>;

/**
 * The job's request as the manifest records it. The destination's batchId/batches are left out:
 * they are the run's output, not its options, and differ from one run to the next.
 */
function optionsOf(job: ExportJob): Record<string, unknown> {
  const { batchId: _batchId, batches: _batches, ...destination } = job.destination;
  return canonical({
    fields: job.fields,
    filter: job.filter,
    mergePolicy: job.mergePolicy,
    schema: job.schema,
    destination,
    additionalFields: job.additionalFields,
    evaluationInfo: job.evaluationInfo,
  }) as Record<string, unknown>;
}

/**
 * The counts of batch `index` of the run: its own rows per namespace; per segment, the job's
 * counts, or under segmentPerBatch the batch's one segment (every row of it satisfied that entry).
 */
function countsOf(plan: ManifestPlan, index: number, batch: StagedBatch, bySegment: Record<string, number> | undefined): BatchCounts {
  const counts: BatchCounts = { profiles: batch.records, byNamespace: sortedCounts(batch.byNamespace) };
  if (plan.segments?.length) {
    const own = plan.segmentPerBatch ? plan.segments[index] : undefined;
    counts.bySegment = own ? { [segmentCountKey(own.segmentNs, own.segmentId)]: batch.records } : sortedCounts(bySegment ?? {});
  }
  return counts;
}

/**
 * The one place a batch's manifest is built from its job. Nothing in it changes between two runs
 * of the same job on an unchanged store except jobId and batchId (no clock, no attempt, no
 * partition count) and the snapshot it read, which a rerun takes anew.
 */
export function buildManifest(job: ExportJob, plan: ManifestPlan, index: number, batch: StagedBatch, bySegment: Record<string, number> | undefined): BatchManifest {
  const files = batch.files
    .map((f): ManifestFile => ({ name: f.name, rows: f.records ?? 0, bytes: f.sizeBytes, sha256: f.sha256 }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    manifestVersion: MANIFEST_VERSION,
    jobId: job.id,
    batchId: batch.batchId,
    datasetId: plan.datasetId,
    format: plan.format,
    files,
    totals: { files: files.length, rows: files.reduce((n, f) => n + f.rows, 0), bytes: files.reduce((n, f) => n + f.bytes, 0) },
    counts: countsOf(plan, index, batch, bySegment),
    options: optionsOf(job),
    ...snapshotOf(job),
  };
}

/** The job's snapshot bound (every export claimed since snapshots exist has one). */
function snapshotOf(job: ExportJob): { snapshot?: ManifestSnapshot } {
  if (!job.readSnapshot) return {};
  const link = job.chainLink;
  const snapshot: ManifestSnapshot = { upTo: job.readSnapshot };
  if (link) {
    snapshot.chainId = link.chainId;
    if (link.previousJobId !== undefined) snapshot.previousJobId = link.previousJobId;
    if (link.after !== undefined) snapshot.after = link.after;
  }
  return { snapshot };
}

/**
 * The plan's parts a manifest needs, from the job alone (a partitioned run's commit has no plan):
 * planExport's own reading of the job, so that they cannot differ from what the partitions wrote.
 */
export function manifestPlanOf(job: ExportJob): ManifestPlan {
  const { datasetId, format, segments, segmentPerBatch } = planExport(job, NO_POLICY);
  return { datasetId, format, segments, segmentPerBatch };
}

/** planExport only carries the policy along; the parts taken here do not depend on it. */
const NO_POLICY = undefined as unknown as Parameters<typeof planExport>[1];

/** The manifest as stored: pretty-printed JSON (keys in the order built), one trailing newline. */
export function manifestBytes(manifest: BatchManifest): Buffer {
  return Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8');
}

/**
 * Writes the manifest beside the batch's staged files (`<batch>/_staging/_manifest.json`), for the
 * commit to move with them: it becomes visible in the same transaction as the data files, never
 * without them. Written again by a commit that is run again (same bytes).
 */
export async function stageManifest(storage: DatasetStorage, batchPrefix: string, manifest: BatchManifest): Promise<StagedFile> {
  const stagingKey = `${batchPrefix}/_staging/${MANIFEST_NAME}`;
  const stored = await storage.write(stagingKey, Readable.from([manifestBytes(manifest)]));
  return { name: MANIFEST_NAME, stagingKey, sizeBytes: stored.sizeBytes, sha256: stored.sha256 };
}
