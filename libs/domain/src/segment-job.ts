import type { ExportJobError, TimeSpan } from './export-job';

export const SEGMENT_JOB_STATUSES = ['NEW', 'QUEUED', 'PROCESSING', 'CANCELLING', 'CANCELLED', 'FAILED', 'SUCCEEDED'] as const;
export type SegmentJobStatus = (typeof SEGMENT_JOB_STATUSES)[number];
export const SEGMENT_JOB_FINISHED: readonly SegmentJobStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** AEP's limit of segments listed in one job; above it the object form with "*" is required. */
export const SEGMENT_JOB_MAX_SEGMENTS = 1500;

/** A definition as a job evaluates it: the snapshot taken at POST. */
export interface SegmentJobDefinition {
  id: string;
  namespace: string;
  expression: { type: 'PQL'; format: 'pql/text' | 'pql/json'; value: string };
  mergePolicyId: string;
  /** Definitions are not versioned here: their last update time (ms) stands for the version. */
  version: number;
}

export interface SegmentJobMetrics {
  totalTime?: TimeSpan;
  profileSegmentationTime?: TimeSpan | Record<string, never>;
  totalProfiles?: number;
  totalProfilesByMergePolicy?: Record<string, number>;
  segmentedProfileCounter?: Record<string, number>;
  segmentedProfileByNamespaceCounter?: Record<string, Record<string, number>>;
  segmentedProfileByStatusCounter?: Record<string, { realized: number; exited: number }>;
  /** While running: profiles read so far (not an AEP field). */
  profilesRead?: number;
}

export interface SegmentJob {
  id: string;
  orgId: string;
  sandboxName: string;
  clientId: string;
  status: SegmentJobStatus;
  /** `[{segmentId}]` as asked, or `[{segmentId: "*"}]`. */
  requestedSegments: Array<{ segmentId: string }>;
  definitions: SegmentJobDefinition[];
  schemaName: string;
  metrics?: SegmentJobMetrics;
  errors?: ExportJobError[];
  requestId: string;
  creationTime: Date;
  updateTime: Date;
  cancelRequestedAt?: Date;
  attempts: number;
  nowMs?: number;
  /** AEP's `properties` of a job a schedule's run created: `{scheduleId, runId}`. */
  properties?: { scheduleId: string; runId: string };
}

export interface SegmentJobCursor {
  creationTimeMs: number;
  id: string;
}
