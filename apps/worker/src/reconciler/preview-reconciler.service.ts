import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { PreviewRepository } from '@sx/persistence';
import { PreviewDispatcher } from '@sx/queue';
import { PeriodicReconciler } from './periodic-reconciler';

const BATCH = 500;

export interface PreviewReconcileReport {
  /** Previews whose outbox marker the API left (Redis down, crash after POST). */
  fromOutbox: number;
  /** NEW or RUNNING previews that no live attempt holds and the queue lost. */
  requeued: number;
  /** Previews past PREVIEW_TTL_SECONDS removed, their matches with them. */
  expired: number;
}

/**
 * Makes the preview queue match Postgres, as the other reconcilers do, and removes expired
 * previews. A preview whose attempt holds a live lease is never queued again.
 */
@Injectable()
export class PreviewReconcilerService extends PeriodicReconciler<PreviewReconcileReport> {
  constructor(
    config: AppConfig,
    private readonly previews: PreviewRepository,
    private readonly dispatcher: PreviewDispatcher,
  ) {
    super(new Logger(PreviewReconcilerService.name), config.RECONCILE_INTERVAL_MS, 'reconciled preview queue with database');
  }

  protected async pass(): Promise<PreviewReconcileReport> {
    const report: PreviewReconcileReport = { fromOutbox: 0, requeued: 0, expired: 0 };
    for (;;) {
      const pending = await this.previews.pendingEnqueue(BATCH);
      for (const preview of pending) await this.dispatcher.dispatch(preview);
      report.fromOutbox += pending.length;
      if (pending.length < BATCH) break;
    }
    for (const preview of await this.previews.unfinished(BATCH)) {
      const state = await this.dispatcher.queueState(preview.previewId);
      if (state === undefined || state === 'completed' || state === 'failed') {
        await (state ? this.dispatcher.redispatch(preview) : this.dispatcher.dispatch(preview));
        report.requeued++;
      }
    }
    for (let removed = BATCH; removed === BATCH;) {
      removed = await this.previews.deleteExpired(BATCH);
      report.expired += removed;
    }
    return report;
  }
}
