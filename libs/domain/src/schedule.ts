import type { ExportJobRequest } from './export-job';

export const SCHEDULE_TYPES = ['batch_segmentation', 'export'] as const;
export type ScheduleType = (typeof SCHEDULE_TYPES)[number];
export const SCHEDULE_STATES = ['active', 'inactive'] as const;
export type ScheduleState = (typeof SCHEDULE_STATES)[number];

/** The cron a schedule gets when POST sends none (AEP: "the system generates one"): daily at 01:00 UTC, AEP's own example. */
export const DEFAULT_SCHEDULE_CRON = '0 0 1 * * ?';

/** `batch_segmentation`: the segment ids to evaluate, or `["*"]` (every definition of the sandbox, read at each run). */
export interface BatchSegmentationProperties {
  segments: string[];
}

/** `export`: the body of a POST /export/jobs, stored validated and normalized; each run creates one export job with it. */
export interface ExportScheduleProperties {
  exportJob: ExportJobRequest;
}

export type ScheduleProperties = BatchSegmentationProperties | ExportScheduleProperties;

export interface Schedule {
  id: string;
  orgId: string;
  sandboxName: string;
  name: string;
  type: ScheduleType;
  state: ScheduleState;
  /** The Quartz cron as given (UTC). */
  schedule: string;
  properties: ScheduleProperties;
  /** The client that created it: the jobs its runs create are that client's. */
  clientId: string;
  createdAt: Date;
  updatedAt: Date;
  /** When it last became active or its cron last changed while active: ticks before it are never caught up. */
  activatedAt?: Date;
}

/** What a schedule's run carries into the job it creates (AEP: `properties.scheduleId/runId` of the segment job). */
export interface ScheduleRunRef {
  scheduleId: string;
  runId: string;
}

export const isExportSchedule = (s: Pick<Schedule, 'type' | 'properties'>): s is Schedule & { properties: ExportScheduleProperties } => s.type === 'export';
