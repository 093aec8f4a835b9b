/**
 * The one registry of queues and jobs: names, payload types and options. Every producer and
 * processor is typed by it, and the worker refuses to start if a job here has no handler entry.
 */
import type { JobsOptions } from 'bullmq';

export enum QueueName {
  Export = 'segment-export',
  Ingest = 'batch-promotion',
  Segment = 'segment-evaluation',
}

export enum JobName {
  RunExport = 'run-export',
  PromoteBatch = 'promote-batch',
  RunSegmentJob = 'run-segment-job',
}

export interface JobPayloads {
  [JobName.RunExport]: { exportJobId: number; orgId: string; sandboxName: string; createdAtMs: number };
  [JobName.PromoteBatch]: { batchId: string; orgId: string; sandboxName: string };
  [JobName.RunSegmentJob]: { segmentJobId: string; orgId: string; sandboxName: string; createdAtMs: number };
}

export type JobPayload<N extends JobName> = JobPayloads[N];

export const JOB_QUEUES: { readonly [N in JobName]: QueueName } = {
  [JobName.RunExport]: QueueName.Export,
  [JobName.PromoteBatch]: QueueName.Ingest,
  [JobName.RunSegmentJob]: QueueName.Segment,
};

export const JOB_OPTIONS: { readonly [N in JobName]: JobsOptions } = {
  [JobName.RunExport]: {
    // attempts and backoff come from config (EXPORT_ATTEMPTS, EXPORT_BACKOFF_MS): JobQueueService adds them.
    // Postgres is the record of every job; Redis keeps only a short history for Bull Board.
    removeOnComplete: { age: 24 * 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
  },
  [JobName.PromoteBatch]: {
    // Attempts are counted in Postgres (batches.promotion_attempts, a killed attempt included) and
    // capped by INGEST_ATTEMPTS there; BullMQ only retries what threw, with backoff.
    attempts: 20,
    backoff: { type: 'exponential', delay: 2000 },
    removeOnComplete: { age: 24 * 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
  },
  [JobName.RunSegmentJob]: {
    // attempts and backoff from config (SEGMENT_JOB_ATTEMPTS, EXPORT_BACKOFF_MS), as for exports.
    removeOnComplete: { age: 24 * 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
  },
};

/**
 * BullMQ job id of an export job. BullMQ refuses custom ids that are bare integers (they would
 * collide with its own counter) or contain ':', hence the prefix. One id per export job makes a
 * second enqueue of the same job a no-op.
 */
export function exportQueueJobId(exportJobId: number): string {
  return `export-${exportJobId}`;
}

/** BullMQ job id of a batch's promotion: one per batch, so a second enqueue is a no-op. */
export function promotionQueueJobId(batchId: string): string {
  return `batch-${batchId}`;
}

/** BullMQ job id of a segment job: one per job, so a second enqueue is a no-op. */
export function segmentQueueJobId(segmentJobId: string): string {
  return `segment-${segmentJobId}`;
}

/** Redis pub/sub channel on which the API tells workers that a running job was cancelled. */
export function cancelChannel(prefix: string): string {
  return `${prefix}:export-jobs:cancel`;
}
