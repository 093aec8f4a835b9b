import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { isTick, latestTick, parseQuartzCron } from '@sx/domain';
import { ScheduleRepository } from '@sx/persistence';
import type { JobName, JobPayload } from '@sx/queue';
import { SCHEDULE_CLOCK, ScheduleClock } from './schedule-clock';
import { ScheduleRunner } from './schedule-runner';

type TickJob = Job<JobPayload<JobName.RunScheduleTick>>;

/**
 * The tick a job scheduler's job stands for. BullMQ 6.7 (job-scheduler.js, getNextJobOpts) gives
 * each iteration's job `opts.prevMillis` = that iteration's time and the id
 * `repeat:<scheduler id>:<millis>`; the id is the fallback.
 */
export function tickOf(job: Pick<Job, 'id' | 'opts'>): Date | undefined {
  const millis = (job.opts as { prevMillis?: number }).prevMillis ?? Number(/:(\d+)$/.exec(job.id ?? '')?.[1]);
  return Number.isFinite(millis) && millis > 0 ? new Date(millis) : undefined;
}

/**
 * One tick of a schedule: its run, unless the schedule is gone, inactive, or the tick falls in a
 * year its cron leaves out. A tick whose successor is already due (a worker took it late: every
 * worker was down) counts as that latest tick, so a schedule that missed several ticks runs once,
 * for the latest, as the reconciler's catch-up would: both land on the same unique run.
 */
@Injectable()
export class ScheduleTickProcessor {
  private readonly logger = new Logger(ScheduleTickProcessor.name);

  constructor(
    private readonly schedules: ScheduleRepository,
    private readonly runner: ScheduleRunner,
    @Inject(SCHEDULE_CLOCK) private readonly clock: ScheduleClock,
  ) {}

  readonly handle = (job: TickJob) => this.run(job);

  async run(job: TickJob): Promise<Record<string, unknown>> {
    const { scheduleId, orgId, sandboxName } = job.data;
    const tick = tickOf(job);
    if (!tick) return { skipped: 'not a job scheduler iteration' };
    const schedule = await this.schedules.find({ orgId, sandboxName }, scheduleId);
    if (!schedule || schedule.state !== 'active') return { skipped: 'schedule not active' };
    const cron = parseQuartzCron(schedule.schedule);
    if (!isTick(cron, tick)) return { skipped: 'not a tick of the schedule (its year, or an older cron)' };
    // A job left from before the schedule was last activated (or its cron changed) is not its tick.
    if (schedule.activatedAt && tick.getTime() <= schedule.activatedAt.getTime()) return { skipped: 'a tick from before the schedule became active' };
    const latest = latestTick(cron, this.clock.now());
    const tickAt = latest && latest > tick ? latest : tick;
    const outcome = await this.runner.run(schedule, tickAt, 'tick');
    if (tickAt !== tick) this.logger.log({ msg: 'late tick run as the latest one', scheduleId, tick: tick.toISOString(), tickAt: tickAt.toISOString(), outcome });
    return { outcome, tickAt: tickAt.toISOString() };
  }
}
