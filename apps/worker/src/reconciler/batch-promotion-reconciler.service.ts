import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { BatchPromotionRepository } from '@sx/persistence';
import { BatchPromotionDispatcher } from '@sx/queue';
import { PeriodicReconciler } from './periodic-reconciler';

const BATCH = 500;

export interface PromotionReconcileReport {
  /** Batches whose marker the API left (Redis down, crash after COMPLETE). */
  fromOutbox: number;
  /** Staging or processing batches that no live promotion holds and the queue lost. */
  requeued: number;
  /** Batches whose queue job failed for good while Postgres could not be told. */
  finalized: number;
}

/**
 * Makes the promotion queue match Postgres, at start and every RECONCILE_INTERVAL_MS, as the
 * export reconciler does for jobs. A batch whose promotion is alive (its lock is held) is never
 * queued again; enqueueing under the batch's id makes concurrent reconcilers harmless.
 */
@Injectable()
export class BatchPromotionReconcilerService extends PeriodicReconciler<PromotionReconcileReport> {
  constructor(
    config: AppConfig,
    private readonly promotions: BatchPromotionRepository,
    private readonly dispatcher: BatchPromotionDispatcher,
  ) {
    super(new Logger(BatchPromotionReconcilerService.name), config.RECONCILE_INTERVAL_MS, 'reconciled promotion queue with database');
  }

  protected async pass(): Promise<PromotionReconcileReport> {
    const report: PromotionReconcileReport = { fromOutbox: 0, requeued: 0, finalized: 0 };
    for (;;) {
      const pending = await this.promotions.pendingEnqueue(BATCH);
      for (const batch of pending) await this.dispatcher.dispatch(batch);
      report.fromOutbox += pending.length;
      if (pending.length < BATCH) break;
    }
    for (let afterId = ''; ;) {
      const batches = await this.promotions.unfinished(afterId, BATCH);
      for (const batch of batches) {
        const state = await this.dispatcher.queueState(batch.batchId);
        if (state === undefined || state === 'completed') {
          await (state ? this.dispatcher.redispatch(batch) : this.dispatcher.dispatch(batch));
          report.requeued++;
        } else if (state === 'failed') {
          await this.promotions.fail(batch, batch.batchId, [{ code: 'PROMOTION_FAILED', description: 'the batch was not promoted: its last attempt failed' }]);
          report.finalized++;
        }
      }
      if (batches.length < BATCH) break;
      afterId = batches[batches.length - 1].batchId;
    }
    return report;
  }
}
