/**
 * The one registry of queues and jobs: names, payload types and options. Every producer and
 * processor is typed by it, and the worker refuses to start if a job here has no handler entry.
 */
import type { AppConfig } from '@sx/config';
import type { JobsOptions } from 'bullmq';

export enum QueueName {
  Export = 'segment-export',
  Ingest = 'batch-promotion',
  Preview = 'segment-preview',
  Segment = 'segment-evaluation',
  /** The partitions of partitioned exports and their commits (BullMQ flows: children, then the parent). */
  ExportPartition = 'segment-export-partition',
  /** Webhook deliveries: one job per attempt of a delivery (Postgres holds the delivery and its retries). */
  Webhook = 'webhook-delivery',
  /** Ticks of schedules: one BullMQ job scheduler per active schedule fires one job per tick. */
  Schedule = 'schedule-tick',
}

export enum JobName {
  RunExport = 'run-export',
  PromoteBatch = 'promote-batch',
  RunPreview = 'run-preview',
  RunSegmentJob = 'run-segment-job',
  WriteExportPartition = 'write-export-partition',
  CommitExportPartitions = 'commit-export-partitions',
  DeliverWebhook = 'deliver-webhook',
  RunScheduleTick = 'run-schedule-tick',
}

export interface JobPayloads {
  [JobName.RunExport]: { exportJobId: number; orgId: string; sandboxName: string; createdAtMs: number };
  [JobName.PromoteBatch]: { batchId: string; orgId: string; sandboxName: string };
  [JobName.RunPreview]: { previewId: string; orgId: string; sandboxName: string };
  [JobName.RunSegmentJob]: { segmentJobId: string; orgId: string; sandboxName: string; createdAtMs: number };
  /** `runToken`: the run the partition belongs to (the job's attempt token when it was split). */
  [JobName.WriteExportPartition]: { exportJobId: number; orgId: string; sandboxName: string; runToken: string; partitions: number; partition: number };
  [JobName.CommitExportPartitions]: { exportJobId: number; orgId: string; sandboxName: string; runToken: string; partitions: number };
  [JobName.DeliverWebhook]: { deliveryId: string };
  /** The tick's time is the job scheduler's (the job's `opts.prevMillis`), not in the payload. */
  [JobName.RunScheduleTick]: { scheduleId: string; orgId: string; sandboxName: string };
}

export type JobPayload<N extends JobName> = JobPayloads[N];

export const JOB_QUEUES: { readonly [N in JobName]: QueueName } = {
  [JobName.RunExport]: QueueName.Export,
  [JobName.PromoteBatch]: QueueName.Ingest,
  [JobName.RunPreview]: QueueName.Preview,
  [JobName.RunSegmentJob]: QueueName.Segment,
  [JobName.WriteExportPartition]: QueueName.ExportPartition,
  [JobName.CommitExportPartitions]: QueueName.ExportPartition,
  [JobName.DeliverWebhook]: QueueName.Webhook,
  [JobName.RunScheduleTick]: QueueName.Schedule,
};

/** What the retry policy of a job reads from configuration. */
export type RetryConfig = Pick<AppConfig, 'EXPORT_ATTEMPTS' | 'SEGMENT_JOB_ATTEMPTS' | 'EXPORT_BACKOFF_MS'>;

/** Redis keeps a short history for Bull Board; Postgres is the record of every job. */
const KEEP_DAY = { removeOnComplete: { age: 24 * 3600, count: 1000 }, removeOnFail: { age: 7 * 24 * 3600, count: 5000 } };

/**
 * The options of each job, attempts included: the one source of its retry policy. Exports and
 * segment jobs count their attempts in Postgres when claimed (a killed attempt included) and end
 * after the configured number themselves: BullMQ gets the same number, so it retries whenever the
 * worker would.
 */
export function jobOptions<N extends JobName>(name: N, config: RetryConfig): JobsOptions {
  const configured = { type: 'exponential' as const, delay: config.EXPORT_BACKOFF_MS };
  switch (name) {
    case JobName.RunExport:
      return { ...KEEP_DAY, attempts: config.EXPORT_ATTEMPTS, backoff: configured };
    case JobName.RunSegmentJob:
      return { ...KEEP_DAY, attempts: config.SEGMENT_JOB_ATTEMPTS, backoff: configured };
    case JobName.WriteExportPartition:
      // Counted in Postgres per partition when claimed (export_partitions.attempts), as for jobs. A
      // partition that fails for good has ended its job FAILED already: its parent (the commit)
      // fails with it instead of waiting for a child that will never complete.
      return { ...KEEP_DAY, attempts: config.EXPORT_ATTEMPTS, backoff: configured, failParentOnFailure: true };
    case JobName.CommitExportPartitions:
      // Renames and one transaction; a failure (the database blipped) is retried well past the
      // job's own attempts: the partitions' work is done and must not be thrown away.
      return { ...KEEP_DAY, attempts: 10, backoff: configured };
    case JobName.PromoteBatch:
      // Attempts are counted in Postgres (batches.promotion_attempts) and capped by INGEST_ATTEMPTS
      // there; BullMQ only retries what threw, with backoff, up to this bound.
      return { ...KEEP_DAY, attempts: 20, backoff: { type: 'exponential', delay: 2000 } };
    case JobName.DeliverWebhook:
      // One job per attempt; a failed attempt records its retry time in Postgres, and the
      // reconciler queues the next attempt then (a job that threw is retried there too).
      return { attempts: 1, removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 24 * 3600, count: 1000 } };
    case JobName.RunScheduleTick:
      // A tick is one short transaction; a tick that threw (the database blipped) is retried a
      // few times, and past them the reconciler's catch-up runs it. Little history: one a tick.
      return { attempts: 3, backoff: { type: 'exponential', delay: 500 }, removeOnComplete: { age: 3600, count: 200 }, removeOnFail: { age: 24 * 3600, count: 1000 } };
    case JobName.RunPreview:
      // Counted in Postgres when claimed (previews.attempts, PREVIEW_ATTEMPTS). Previews are
      // short-lived: Redis keeps little history of them.
      return { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 24 * 3600, count: 1000 } };
  }
}

/**
 * BullMQ job id of an export job. BullMQ refuses custom ids that are bare integers (they would
 * collide with its own counter) or contain ':', hence the prefix. One id per export job makes a
 * second enqueue of the same job a no-op.
 */
export function exportQueueJobId(exportJobId: number): string {
  return `export-${exportJobId}`;
}

/** BullMQ job id of one attempt of a webhook delivery: queuing the same attempt twice is a no-op. */
export function webhookQueueJobId(deliveryId: string, attempt: number): string {
  return `webhook-${deliveryId}-${attempt}`;
}

/** BullMQ job id of a batch's promotion: one per batch, so a second enqueue is a no-op. */
export function promotionQueueJobId(batchId: string): string {
  return `batch-${batchId}`;
}

/** BullMQ job id of a preview's run (its previewQueryId): one per preview, so a second enqueue is a no-op. */
export function previewQueueJobId(previewId: string): string {
  return `preview-${previewId}`;
}

/** BullMQ job id of a segment job: one per job, so a second enqueue is a no-op. */
export function segmentQueueJobId(segmentJobId: string): string {
  return `segment-${segmentJobId}`;
}

/** BullMQ job id of one partition's writer within a run (a run is told apart by its token's head). */
export function partitionQueueJobId(exportJobId: number, runToken: string, partition: number): string {
  return `export-${exportJobId}-${runToken.slice(0, 8)}-part-${partition}`;
}

/** BullMQ job id of a run's commit: the parent of its partitions' jobs. */
export function partitionCommitQueueJobId(exportJobId: number, runToken: string): string {
  return `export-${exportJobId}-${runToken.slice(0, 8)}-commit`;
}

/** BullMQ job scheduler id of a schedule (one per active schedule; its jobs are `repeat:<this>:<tick ms>`). */
export function scheduleSchedulerId(scheduleId: string): string {
  return `schedule:${scheduleId}`;
}

/** The schedule of a job scheduler id, undefined for another id. */
export function scheduleOfSchedulerId(schedulerId: string): string | undefined {
  return /^schedule:([0-9a-f-]{36})$/.exec(schedulerId)?.[1];
}

/** Redis pub/sub channel on which the API tells workers that a running export was cancelled. */
export function cancelChannel(prefix: string): string {
  return `${prefix}:export-jobs:cancel`;
}

/** The message on the cancel channel. */
export interface CancelMessage {
  exportJobId: number;
}
