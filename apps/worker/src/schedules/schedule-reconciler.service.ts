import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { CronProblem, Schedule, catchUpTick, parseQuartzCron } from '@sx/domain';
import { ScheduleRepository } from '@sx/persistence';
import { ScheduleTickers } from '@sx/queue';
import { PeriodicReconciler } from '../reconciler/periodic-reconciler';
import { SCHEDULE_CLOCK, ScheduleClock } from './schedule-clock';
import { ScheduleRunner } from './schedule-runner';

const BATCH = 500;

export interface ScheduleReconcileReport {
  /** Job schedulers created or replaced: missing in Redis, or with another pattern. */
  upserted: number;
  /** Job schedulers of schedules that are inactive or gone. */
  removed: number;
  /** Schedules whose reconciliation failed this pass (logged; tried again next pass). */
  failed: number;
  /** Missed ticks run (one per schedule: its latest). */
  caughtUp: number;
}

/**
 * Makes BullMQ's job schedulers match the schedules in Postgres, at start and every
 * RECONCILE_INTERVAL_MS (the API's own update may have failed; Redis may have restarted empty),
 * and runs each active schedule's latest missed tick once (see catchUpTick). Any number of
 * workers may do this at once: upserts converge, and a run is unique per tick.
 */
@Injectable()
export class ScheduleReconcilerService extends PeriodicReconciler<ScheduleReconcileReport> {
  constructor(
    config: AppConfig,
    private readonly schedules: ScheduleRepository,
    private readonly tickers: ScheduleTickers,
    private readonly runner: ScheduleRunner,
    @Inject(SCHEDULE_CLOCK) private readonly clock: ScheduleClock,
  ) {
    super(new Logger(ScheduleReconcilerService.name), config.RECONCILE_INTERVAL_MS, 'reconciled schedules with database');
  }

  protected async pass(): Promise<ScheduleReconcileReport> {
    const report: ScheduleReconcileReport = { upserted: 0, removed: 0, caughtUp: 0, failed: 0 };
    const held = new Map((await this.tickers.list()).map((t) => [t.scheduleId, t.pattern]));
    const active = new Set<string>();
    for (let afterId = ''; ;) {
      const page = await this.schedules.active(afterId, BATCH);
      for (const schedule of page) {
        active.add(schedule.id);
        // One schedule that keeps failing must not hold up the others behind it.
        await this.reconcileOne(schedule, held.get(schedule.id), report).catch((e: Error) => {
          report.failed++;
          this.logger.warn({ msg: 'schedule not reconciled; will retry', scheduleId: schedule.id, error: e.message });
        });
      }
      if (page.length < BATCH) break;
      afterId = page[page.length - 1].id;
    }
    for (const scheduleId of held.keys()) {
      if (active.has(scheduleId)) continue;
      await this.tickers.remove(scheduleId);
      report.removed++;
    }
    return report;
  }

  private async reconcileOne(schedule: Schedule, heldPattern: string | undefined, report: ScheduleReconcileReport): Promise<void> {
    let cron;
    try {
      cron = parseQuartzCron(schedule.schedule);
    } catch (e) {
      // Stored crons were checked at write; one this version cannot read is left alone, loudly.
      if (!(e instanceof CronProblem)) throw e;
      this.logger.warn({ msg: 'schedule cron not readable; not fired', scheduleId: schedule.id, error: e.message });
      return;
    }
    if (heldPattern !== cron.pattern) {
      await this.tickers.upsert(schedule);
      report.upserted++;
    }
    const lastRun = await this.schedules.lastRunTick(schedule, schedule.id);
    const due = catchUpTick(cron, this.clock.now(), schedule.activatedAt ?? schedule.updatedAt, lastRun);
    if (due && (await this.runner.run(schedule, due, 'catch-up')) !== 'duplicate') report.caughtUp++;
  }
}
