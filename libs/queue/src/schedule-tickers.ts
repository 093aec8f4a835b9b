import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import type { Schedule } from '@sx/domain';
import { parseQuartzCron } from '@sx/domain';
import { JobQueueService } from './job-queue.service';
import { JOB_QUEUES, JobName, jobOptions, scheduleOfSchedulerId, scheduleSchedulerId } from './registry';
import { withTimeout } from './with-timeout';

/** A job scheduler BullMQ holds for a schedule. */
export interface ScheduleTicker {
  scheduleId: string;
  pattern?: string;
}

/**
 * The BullMQ job schedulers that fire schedules: one per active schedule, id `schedule:<id>`, its
 * pattern the Quartz cron as cron-parser reads it (UTC). Postgres is the record: the API calls
 * these after its write (best effort), and every worker's reconciler makes Redis match Postgres.
 */
@Injectable()
export class ScheduleTickers {
  private readonly logger = new Logger(ScheduleTickers.name);

  constructor(
    private readonly config: AppConfig,
    private readonly queues: JobQueueService,
  ) {}

  private get queue() {
    return this.queues.queue(JOB_QUEUES[JobName.RunScheduleTick]);
  }

  /** The pattern BullMQ fires a schedule with. */
  static patternOf(schedule: Pick<Schedule, 'schedule'>): string {
    return parseQuartzCron(schedule.schedule).pattern;
  }

  /** Creates or replaces the schedule's job scheduler (its next tick's job with it). */
  async upsert(schedule: Schedule): Promise<void> {
    const data = { scheduleId: schedule.id, orgId: schedule.orgId, sandboxName: schedule.sandboxName };
    const { attempts, backoff, removeOnComplete, removeOnFail } = jobOptions(JobName.RunScheduleTick, this.config);
    await this.queue.upsertJobScheduler(
      scheduleSchedulerId(schedule.id),
      { pattern: ScheduleTickers.patternOf(schedule), tz: 'UTC' },
      { name: JobName.RunScheduleTick, data, opts: { attempts, backoff, removeOnComplete, removeOnFail } },
    );
  }

  async remove(scheduleId: string): Promise<void> {
    await this.queue.removeJobScheduler(scheduleSchedulerId(scheduleId));
  }

  /** Every schedule's job scheduler BullMQ holds now. */
  async list(): Promise<ScheduleTicker[]> {
    const out: ScheduleTicker[] = [];
    for (const s of await this.queue.getJobSchedulers(0, -1, true)) {
      const id = scheduleOfSchedulerId(String(s.key ?? s.id));
      if (id) out.push({ scheduleId: id, pattern: s.pattern ?? undefined });
    }
    return out;
  }

  /**
   * Right after the API's write: make BullMQ agree within ENQUEUE_TIMEOUT_MS, or leave it to the
   * reconciler (Redis down: the schedule is stored all the same).
   */
  async syncSoon(schedule: Schedule | { id: string; state: 'deleted' }): Promise<boolean> {
    try {
      const work = schedule.state === 'active' ? this.upsert(schedule) : this.remove(schedule.id);
      await withTimeout(work, this.config.ENQUEUE_TIMEOUT_MS);
      return true;
    } catch (e) {
      this.logger.warn({ msg: 'job scheduler not updated; the reconciler will', scheduleId: schedule.id, error: (e as Error).message });
      return false;
    }
  }
}
