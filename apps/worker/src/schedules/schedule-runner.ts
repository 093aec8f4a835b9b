import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { Conflict, Schedule, ValidationFailed, isExportSchedule } from '@sx/domain';
import { resolveSegmentJobDefinitions } from '@sx/export';
import { ScheduleRunRepository, SegmentDefinitionRepository } from '@sx/persistence';
import { ExportDispatcher, SegmentDispatcher } from '@sx/queue';

/** `created`: this call ran the tick; `duplicate`: it had run (or the schedule is no longer active); `failed`: recorded as a run without a job. */
export type RunOutcome = 'created' | 'duplicate' | 'failed';

const PROFILE_SCHEMA = '_xdm.context.profile';

/**
 * One run of a schedule for one tick, whoever asks (the tick's job, the reconciler's catch-up):
 * the run row and its job in one transaction, unique per tick, then the job enqueued as the API
 * would (or left to the reconciler). A batch_segmentation run snapshots its definitions now, as
 * POST /segment/jobs does; when none can be evaluated the run is recorded with the reason.
 */
@Injectable()
export class ScheduleRunner {
  private readonly logger = new Logger(ScheduleRunner.name);

  constructor(
    private readonly runs: ScheduleRunRepository,
    private readonly definitions: SegmentDefinitionRepository,
    private readonly exports: ExportDispatcher,
    private readonly segments: SegmentDispatcher,
  ) {}

  async run(schedule: Schedule, tickAt: Date, by: 'tick' | 'catch-up'): Promise<RunOutcome> {
    const runId = randomUUID();
    const log = { scheduleId: schedule.id, runId, tickAt: tickAt.toISOString(), by };
    // A run acts as the client that created the schedule: one since removed or moved off the
    // sandbox gets its tick recorded without a job, not run on its old rights.
    if (!(await this.runs.clientMayRun(schedule))) {
      return this.recordFailed(schedule, tickAt, runId, `client ${schedule.clientId} no longer has access to sandbox ${schedule.sandboxName}: the run created no job`, log);
    }
    if (isExportSchedule(schedule)) {
      let job;
      try {
        job = await this.runs.createExportRun(schedule, tickAt, runId, schedule.properties.exportJob);
      } catch (e) {
        // A chained export whose previous link still runs: this tick is recorded without a job;
        // the chain loses nothing, the next link exports these changes too.
        if (!(e instanceof Conflict)) throw e;
        return this.recordFailed(schedule, tickAt, runId, e.message, log);
      }
      if (!job) return 'duplicate';
      await this.exports.dispatchSoon(job);
      this.logger.log({ msg: 'schedule run', ...log, exportJobId: job.id });
      return 'created';
    }
    const listed = 'segments' in schedule.properties ? schedule.properties.segments : ['*'];
    const ids = listed[0] === '*' ? undefined : listed;
    let definitions;
    try {
      definitions = await resolveSegmentJobDefinitions(this.definitions, schedule, ids, { listed: (i) => `properties.segments[${i}]`, all: 'properties.segments[0]' });
    } catch (e) {
      if (!(e instanceof ValidationFailed)) throw e;
      return this.recordFailed(schedule, tickAt, runId, e.message, log);
    }
    const requested = ids ? ids.map((segmentId) => ({ segmentId })) : [{ segmentId: '*' }];
    const job = await this.runs.createSegmentRun(schedule, tickAt, runId, { requested, definitions, schemaName: PROFILE_SCHEMA });
    if (!job) return 'duplicate';
    await this.segments.dispatchSoon(job);
    this.logger.log({ msg: 'schedule run', ...log, segmentJobId: job.id });
    return 'created';
  }

  private async recordFailed(schedule: Schedule, tickAt: Date, runId: string, error: string, log: Record<string, string>): Promise<RunOutcome> {
    const recorded = await this.runs.recordFailedRun(schedule, tickAt, runId, error);
    if (recorded) this.logger.warn({ msg: 'schedule run created no job', ...log, error });
    return recorded ? 'failed' : 'duplicate';
  }
}
