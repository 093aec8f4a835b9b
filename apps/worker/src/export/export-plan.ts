import type { ChainLink, ExportJob, MergePolicy, TenantScope } from '@sx/domain';
import type { MembershipCondition, ProfileReadPlan } from '@sx/persistence';
import type { OutputFormat } from './writers/row-writer';
import type { EvaluationDefinition } from '../segmentation/evaluation-pass';

export interface SegmentSelector {
  segmentNs: string;
  segmentId: string;
  status: string[];
}

/** Everything a run needs, decided once from the job and its merge policy. */
export interface ExportPlan {
  scope: TenantScope;
  jobId: number;
  datasetId: string;
  format: OutputFormat;
  segmentPerBatch: boolean;
  segments?: SegmentSelector[];
  qualifiedBetween?: { startMs?: number; endMs?: number };
  fromIngestMs?: number;
  /** What the run reads: every profile as of `upTo` (job.readSnapshot), and for a chain link only those changed after `after`. */
  snapshot?: { upTo: string; after?: string };
  emptyProfiles: boolean;
  policy: MergePolicy;
  fields?: string;
  eventList?: { fields?: string; afterMs?: number; upToMs?: number };
  /** Profiles per second at most (0 or undefined: unlimited). */
  rateLimit?: number;
  /**
   * Segments whose evaluated memberships (segment_memberships.evaluated) are streamed and laid over
   * the records' own (memberships.md 3). Set only when some exist, or when the job evaluates.
   */
  overlay?: SegmentRef[];
  /** evaluationInfo.segmentation: the listed segments' definitions, evaluated in the same pass. */
  evaluation?: ExportEvaluation;
}

export interface SegmentRef {
  segmentNs: string;
  segmentId: string;
}

export interface ExportEvaluation {
  /** The run's one now (epoch ms), fixed at the job's first claim. */
  nowMs: number;
  /** Compiled, in dependency order (a definition after the ones it names). */
  definitions: EvaluationDefinition[];
  /** Some definition reads xEvent: every event of each profile is read. */
  withEvents: boolean;
}

const msOf = (iso?: string) => (iso === undefined ? undefined : Date.parse(iso));

export function planExport(job: ExportJob, policy: MergePolicy, rateLimit = 0): ExportPlan {
  const filter = job.filter ?? {};
  const window = filter.segmentQualificationTime;
  const events = job.additionalFields?.eventList;
  const plan: ExportPlan = {
    scope: { orgId: job.orgId, sandboxName: job.sandboxName },
    jobId: job.id,
    datasetId: job.destination.datasetId,
    format: job.destination.outputFormat ?? 'parquet',
    segmentPerBatch: job.destination.segmentPerBatch && !!filter.segments?.length,
    emptyProfiles: filter.emptyProfiles ?? false,
    policy,
    rateLimit,
  };
  if (filter.segments?.length) plan.segments = filter.segments.map((s) => ({ segmentNs: s.segmentNs, segmentId: s.segmentId, status: s.status }));
  if (window?.startTime || window?.endTime) plan.qualifiedBetween = { startMs: msOf(window.startTime), endMs: msOf(window.endTime) };
  if (filter.fromIngestTimestamp) plan.fromIngestMs = msOf(filter.fromIngestTimestamp);
  // Every profile as of the job's one snapshot: partitions and retries read the same store while
  // ingestion goes on (a job claimed before snapshots existed reads the store as it finds it).
  if (job.chainLink) plan.snapshot = chainBounds(job.chainLink);
  else if (job.readSnapshot) plan.snapshot = { upTo: job.readSnapshot };
  if (job.fields?.trim()) plan.fields = job.fields;
  if (events) plan.eventList = { fields: events.fields, afterMs: msOf(events.filter?.fromIngestTimestamp), upToMs: msOf(events.filter?.toIngestTimestamp) };
  return plan;
}

function chainBounds(link: ChainLink): ExportPlan['snapshot'] {
  if (!link.upTo) throw new Error(`export of chain ${link.chainId} was claimed without its snapshot bound`);
  return link.after === undefined ? { upTo: link.upTo } : { upTo: link.upTo, after: link.after };
}

/** Stored membership statuses that satisfy a filter status ("existing" counts as realized). */
export function storedStatuses(status: string[]): string[] {
  const out = new Set<string>();
  for (const s of status) {
    if (s === 'realized' || s === 'existing') out.add('realized').add('existing');
    else out.add(s);
  }
  return [...out];
}

/** Whether an event's ingest time is within the eventList window. */
export function inEventWindow(plan: ExportPlan, ingestTime: number): boolean {
  if (plan.eventList?.afterMs !== undefined && !(ingestTime > plan.eventList.afterMs)) return false;
  return plan.eventList?.upToMs === undefined || ingestTime <= plan.eventList.upToMs;
}

/**
 * Whether event-only profiles can be exported: asked for, and either no segment filter or
 * evaluated memberships to give them one (a record-less profile has no segmentMembership of its own).
 */
export function emptyProfilesWanted(plan: ExportPlan): boolean {
  return plan.emptyProfiles && (!plan.segments || !!plan.overlay?.length || !!plan.evaluation);
}

/** What to read: a superset of the profiles to export, decided in SQL; the merged profile decides. */
export function readPlanOf(plan: ExportPlan): ProfileReadPlan {
  const read: ProfileReadPlan = { identityGraph: plan.policy.identityGraph.type };
  if (plan.snapshot) read.snapshot = plan.snapshot;
  if (plan.overlay?.length) read.evaluated = plan.overlay;
  if (plan.evaluation) {
    // Every profile is evaluated (one that is in no segment yet may qualify now): no prefilter,
    // every merge (no stored-text rows), and all its events when a definition reads xEvent
    // (eventList's window is applied when writing).
    if (plan.evaluation.withEvents || plan.emptyProfiles) read.events = {};
    else if (plan.eventList) read.events = { afterMs: plan.eventList.afterMs, upToMs: plan.eventList.upToMs };
    return read;
  }
  // The pipeline's fast path for single-fragment profiles (stored-rows.ts) uses them.
  read.storedText = true;
  if (plan.segments) {
    // As of a snapshot, the SQL widens this pre-filter when the store changed since (profile-read.sql.ts).
    read.segments = plan.segments.map((s): MembershipCondition => ({ segmentNs: s.segmentNs, segmentId: s.segmentId, statuses: storedStatuses(s.status) }));
    if (plan.qualifiedBetween) read.qualifiedBetween = plan.qualifiedBetween;
  }
  // Events are read for eventList, and for empty profiles (which only events make exist); with a
  // segment filter an empty profile qualifies only by an evaluated membership.
  const emptyWanted = emptyProfilesWanted(plan);
  if (plan.eventList || emptyWanted) {
    read.events = emptyWanted ? {} : { afterMs: plan.eventList?.afterMs, upToMs: plan.eventList?.upToMs };
  }
  return read;
}
