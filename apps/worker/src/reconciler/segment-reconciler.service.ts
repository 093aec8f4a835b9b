import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { SegmentJobRepository, SegmentRunRepository } from '@sx/persistence';
import { SegmentDispatcher } from '@sx/queue';
import { PeriodicReconciler } from './periodic-reconciler';

const BATCH = 500;

export interface SegmentReconcileReport {
  /** Jobs whose enqueue marker the API left (Redis down, crash after commit). */
  fromOutbox: number;
  /** Unfinished jobs that no live attempt holds and the queue lost. */
  requeued: number;
  /** Jobs whose queue job failed for good while Postgres could not be told. */
  finalized: number;
}

/**
 * Makes the segment queue match Postgres, at start and every RECONCILE_INTERVAL_MS, as the export
 * reconciler does: drains the outbox and re-queues every unfinished job that no live attempt
 * holds and BullMQ no longer has (enqueueing under the job's id makes duplicates no-ops).
 */
@Injectable()
export class SegmentReconcilerService extends PeriodicReconciler<SegmentReconcileReport> {
  constructor(
    private readonly config: AppConfig,
    private readonly jobs: SegmentJobRepository,
    private readonly dispatcher: SegmentDispatcher,
    private readonly runs: SegmentRunRepository,
  ) {
    super(new Logger(SegmentReconcilerService.name), config.RECONCILE_INTERVAL_MS, 'reconciled segment queue with database');
  }

  protected async pass(): Promise<SegmentReconcileReport> {
    const report: SegmentReconcileReport = { fromOutbox: 0, requeued: 0, finalized: 0 };
    for (;;) {
      const pending = await this.jobs.pendingEnqueue(BATCH);
      for (const job of pending) {
        await this.dispatcher.dispatch(job); // a finished job's marker just goes (markEnqueued)
        report.fromOutbox++;
      }
      if (pending.length < BATCH) break;
    }
    for (let afterId = ''; ;) {
      const jobs = await this.jobs.unfinished(afterId, BATCH);
      for (const job of jobs) {
        const state = await this.dispatcher.queueState(job.id);
        if (state === undefined || state === 'completed') {
          await (state ? this.dispatcher.redispatch(job) : this.dispatcher.dispatch(job));
          report.requeued++;
        } else if (state === 'failed' && job.attempts < this.config.SEGMENT_JOB_ATTEMPTS) {
          await this.dispatcher.redispatch(job);
          report.requeued++;
        } else if (state === 'failed') {
          const ended = await this.runs.end(job, job.id, null, 'FAILED', undefined, [
            { code: '0100000003', msg: 'Error in Segment Job: the evaluation failed after its retries', callStack: 'SegmentReconciler: queue job failed' },
          ]);
          if (ended) report.finalized++;
        }
      }
      if (jobs.length < BATCH) break;
      afterId = jobs[jobs.length - 1].id;
    }
    return report;
  }
}
