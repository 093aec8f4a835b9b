import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { ExportQueueStateRepository, ExportRunRepository } from '@sx/persistence';
import { ExportDispatcher } from '@sx/queue';

const BATCH = 500;

export interface ReconcileReport {
  /** Jobs whose enqueue marker was left by the API (Redis down, crash after commit). */
  fromOutbox: number;
  /** NEW/PROCESSING jobs that the queue no longer held (Redis restarted or flushed). */
  requeued: number;
  /** PROCESSING jobs whose queue job failed for good while Postgres could not be told. */
  finalized: number;
}

/**
 * Makes the queue match Postgres, at start and every RECONCILE_INTERVAL_MS: enqueues every job
 * whose marker is still there and every NEW or PROCESSING job that BullMQ does not hold. Any number
 * of workers may run it at once: enqueueing uses the export job's id, so duplicates are no-ops.
 */
@Injectable()
export class ExportReconcilerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ExportReconcilerService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<ReconcileReport>;

  constructor(
    private readonly config: AppConfig,
    private readonly state: ExportQueueStateRepository,
    private readonly dispatcher: ExportDispatcher,
    private readonly runs: ExportRunRepository,
  ) {}

  onApplicationBootstrap(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.config.RECONCILE_INTERVAL_MS);
  }

  /** First shutdown phase: no new pass; the one in flight ends before connections close. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async tick(): Promise<void> {
    try {
      const report = await this.reconcile();
      if (report.fromOutbox || report.requeued || report.finalized) this.logger.log({ msg: 'reconciled queue with database', ...report });
    } catch (e) {
      this.logger.warn({ msg: 'reconcile failed; will retry', error: (e as Error).message });
    }
  }

  /** One pass; concurrent calls share the pass in flight. */
  reconcile(): Promise<ReconcileReport> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<ReconcileReport> {
    const report: ReconcileReport = { fromOutbox: 0, requeued: 0, finalized: 0 };
    for (;;) {
      const pending = await this.state.pendingEnqueue(BATCH);
      for (const job of pending) {
        if (job.status === 'NEW' || job.status === 'PROCESSING') {
          await this.dispatcher.dispatch(job);
          report.fromOutbox++;
        } else {
          await this.state.markEnqueued([job.id]); // finished or cancelled meanwhile: nothing to run
        }
      }
      if (pending.length < BATCH) break;
    }
    for (let afterId = 0; ; ) {
      const jobs = await this.state.unfinished(afterId, BATCH);
      for (const job of jobs) {
        const state = await this.dispatcher.queueState(job.id);
        if (state === undefined || state === 'completed') {
          // Not held, or held as finished while Postgres says it is not (a stale job of an earlier
          // database under the same id, or a restored backup): run it again.
          await (state ? this.dispatcher.redispatch(job) : this.dispatcher.dispatch(job));
          report.requeued++;
        } else if (state === 'failed') {
          // The worker's last attempt failed but could not record it (the database was down then).
          await this.runs.end(job, job.id, 'FAILED', [], undefined, [
            { code: '0100000003', msg: 'Error in Export Job: the export failed after its retries', callStack: 'ExportReconciler: queue job failed' },
          ]);
          report.finalized++;
        }
      }
      if (jobs.length < BATCH) break;
      afterId = jobs[jobs.length - 1].id;
    }
    return report;
  }
}
