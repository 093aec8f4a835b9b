import { Conflict, type ExportJob } from '@sx/domain';
import type { MembershipFilter, QualificationWindow } from '@sx/export';
import type { DiffSide } from '@sx/persistence';

/** The bucket of an export without segment filters. */
export const EVERY_PROFILE = '*';

/** One committed batch of an export and how its rows fall into buckets. */
export interface DiffBatch {
  batchId: string;
  /** segmentPerBatch: every row of the batch is in this bucket. Otherwise the rows say (see DiffSource). */
  bucket?: string;
}

/** What the diff reads of one export. */
export interface DiffSource {
  side: DiffSide;
  job: ExportJob;
  batches: DiffBatch[];
  /**
   * A one-batch export with segment filters: a row is in the bucket of each filter its written
   * segmentMembership qualifies for, by the rule the export itself selected it with.
   */
  filters?: { buckets: string[]; segments: MembershipFilter[]; window?: QualificationWindow };
}

export interface DiffPlan {
  /** Every bucket, in the order of the `before` export's segment filters (`*` alone without filters). */
  buckets: string[];
  sources: [DiffSource, DiffSource];
}

const bucketOf = (s: { segmentNs: string; segmentId: string }) => `${s.segmentNs}:${s.segmentId}`;
const msOf = (iso?: string) => (iso === undefined ? undefined : Date.parse(iso));

/**
 * Whether the two exports can be diffed, and how. 409 with the reason when they cannot: an export
 * that has not SUCCEEDED (it has no committed rows), different output formats (rows are compared
 * byte for byte), CSV (its rows carry no identity), or different segment filters (each bucket
 * compares what both exports wrote for one segment).
 */
export function planDiff(before: ExportJob, after: ExportJob): DiffPlan {
  for (const job of [before, after]) {
    if (job.status !== 'SUCCEEDED') throw new Conflict(`Export job ${job.id} is ${job.status}: only SUCCEEDED exports can be diffed (they alone have committed rows).`);
    if (job.diffOf) throw new Conflict(`Export job ${job.id} wrote the batch of a diff: its rows are changes, not profiles of segments; diff the exports it compares instead.`);
    if (job.dryRun) throw new Conflict(`Export job ${job.id} is a dry run: it wrote no batch to diff.`);
  }
  const format = before.destination.outputFormat ?? 'parquet';
  const otherFormat = after.destination.outputFormat ?? 'parquet';
  if (format !== otherFormat) {
    throw new Conflict(
      `Export job ${before.id} wrote ${format} and export job ${after.id} ${otherFormat}: only exports of the same outputFormat can be diffed (rows are compared byte for byte).`,
    );
  }
  if (format === 'csv') throw new Conflict('CSV exports cannot be diffed: their rows carry no profile identity to match them by (only the fields columns).');
  const buckets = bucketsOf(before);
  const otherBuckets = bucketsOf(after);
  if (buckets.length !== otherBuckets.length || !buckets.every((b) => otherBuckets.includes(b))) {
    throw new Conflict(
      `Export job ${before.id} exports ${buckets.join(', ')} and export job ${after.id} ${otherBuckets.join(', ')}: only exports of the same segments (or both of every profile, "*") can be diffed.`,
    );
  }
  return { buckets, sources: [sourceOf('before', before), sourceOf('after', after)] };
}

function bucketsOf(job: ExportJob): string[] {
  const segments = job.filter?.segments ?? [];
  return segments.length ? [...new Set(segments.map(bucketOf))] : [EVERY_PROFILE];
}

function sourceOf(side: DiffSide, job: ExportJob): DiffSource {
  const segments = job.filter?.segments ?? [];
  if (job.destination.batches?.length) return { side, job, batches: job.destination.batches.map((b) => ({ batchId: b.batchId, bucket: bucketOf(b) })) };
  if (!job.destination.batchId) throw new Conflict(`Export job ${job.id} has no committed batch to read.`);
  if (!segments.length) return { side, job, batches: [{ batchId: job.destination.batchId, bucket: EVERY_PROFILE }] };
  const window = job.filter?.segmentQualificationTime;
  return {
    side,
    job,
    batches: [{ batchId: job.destination.batchId }],
    filters: {
      buckets: segments.map(bucketOf),
      segments: segments.map((s) => ({ segmentNs: s.segmentNs, segmentId: s.segmentId, status: s.status })),
      window: window?.startTime || window?.endTime ? { startMs: msOf(window.startTime), endMs: msOf(window.endTime) } : undefined,
    },
  };
}
