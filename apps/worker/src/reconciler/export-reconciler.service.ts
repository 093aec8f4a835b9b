import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { ExportQueueStateRepository, ExportRunRepository } from '@sx/persistence';
import { ExportDispatcher } from '@sx/queue';
import { DatasetStorage, batchPrefix } from '@sx/storage';
import { PeriodicReconciler } from './periodic-reconciler';

const BATCH = 500;

export interface ReconcileReport {
  /** Jobs whose enqueue marker was left by the API (Redis down, crash after commit). */
  fromOutbox: number;
  /** NEW/PROCESSING jobs that the queue no longer held (Redis restarted or flushed). */
  requeued: number;
  /** PROCESSING jobs whose queue job failed for good while Postgres could not be told. */
  finalized: number;
  /** Batches left `loading` by attempts of jobs that have ended since: aborted, files removed. */
  discarded: number;
}

/**
 * Makes the queue match Postgres, at start and every RECONCILE_INTERVAL_MS: enqueues every job
 * whose marker is still there and every NEW or PROCESSING job that BullMQ does not hold, except a
 * job whose running attempt's lease is live (it runs, whatever Redis says). It also discards the
 * batches that attempts which died left `loading` under jobs that have ended. Any number of workers
 * may run it at once: enqueueing uses the export job's id, so duplicates are no-ops, and discarding
 * is idempotent.
 */
@Injectable()
export class ExportReconcilerService extends PeriodicReconciler<ReconcileReport> {
  constructor(
    private readonly config: AppConfig,
    private readonly state: ExportQueueStateRepository,
    private readonly dispatcher: ExportDispatcher,
    private readonly runs: ExportRunRepository,
    private readonly storage: DatasetStorage,
  ) {
    super(new Logger(ExportReconcilerService.name), config.RECONCILE_INTERVAL_MS, 'reconciled queue with database');
  }

  protected async pass(): Promise<ReconcileReport> {
    const report: ReconcileReport = { fromOutbox: 0, requeued: 0, finalized: 0, discarded: 0 };
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
    for (let afterId = 0; ;) {
      const jobs = await this.state.unfinished(afterId, BATCH);
      for (const job of jobs) {
        const state = await this.dispatcher.queueState(job.id);
        if (state === undefined || state === 'completed') {
          // Not held, or held as finished while Postgres says it is not (a stale job of an earlier
          // database under the same id, or a restored backup): run it again.
          await (state ? this.dispatcher.redispatch(job) : this.dispatcher.dispatch(job));
          report.requeued++;
        } else if (state === 'failed' && job.attempts < this.config.EXPORT_ATTEMPTS) {
          // BullMQ gave up on a job that still has attempts (it never ran: the database was down
          // at claim, or a failure could not be recorded): Postgres's count decides, so run it again.
          await this.dispatcher.redispatch(job);
          report.requeued++;
        } else if (state === 'failed') {
          // The worker's last attempt failed but could not record it (the database was down then).
          const ended = await this.runs.end(job, job.id, null, 'FAILED', [], undefined, [
            { code: '0100000003', msg: 'Error in Export Job: the export failed after its retries', callStack: 'ExportReconciler: queue job failed' },
          ]);
          if (ended) report.finalized++;
        }
      }
      if (jobs.length < BATCH) break;
      afterId = jobs[jobs.length - 1].id;
    }
    report.discarded = await this.discardStranded();
    return report;
  }

  /**
   * Batches still `loading` under an ended job: an attempt died and no later one discarded them
   * (the job was then cancelled, failed by the reconciler, or ended by its last claim). Files
   * first, then the mark, as the worker does, so a crash in between is repaired next pass.
   */
  private async discardStranded(): Promise<number> {
    let discarded = 0;
    for (;;) {
      const stranded = await this.state.strandedBatches(BATCH);
      let page = 0;
      for (const b of stranded) {
        await this.storage.removePrefix(batchPrefix(b));
        if (await this.runs.abortBatches(b, b.exportJobId, null, [b.batchId])) page++;
      }
      discarded += page;
      if (stranded.length < BATCH || !page) return discarded;
    }
  }
}
