import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { BatchPromotionRepository } from '@sx/persistence';
import { BatchPromotionDispatcher } from '@sx/queue';

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
export class BatchPromotionReconcilerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BatchPromotionReconcilerService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<PromotionReconcileReport>;

  constructor(
    private readonly config: AppConfig,
    private readonly promotions: BatchPromotionRepository,
    private readonly dispatcher: BatchPromotionDispatcher,
  ) {}

  onApplicationBootstrap(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.config.RECONCILE_INTERVAL_MS);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async tick(): Promise<void> {
    try {
      const report = await this.reconcile();
      if (report.fromOutbox || report.requeued || report.finalized) this.logger.log({ msg: 'reconciled promotion queue with database', ...report });
    } catch (e) {
      this.logger.warn({ msg: 'promotion reconcile failed; will retry', error: (e as Error).message });
    }
  }

  /** One pass; concurrent calls share the pass in flight. */
  reconcile(): Promise<PromotionReconcileReport> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<PromotionReconcileReport> {
    const report: PromotionReconcileReport = { fromOutbox: 0, requeued: 0, finalized: 0 };
    for (;;) {
      const pending = await this.promotions.pendingEnqueue(BATCH);
      for (const batch of pending) await this.dispatcher.dispatch(batch);
      report.fromOutbox += pending.length;
      if (pending.length < BATCH) break;
    }
    for (let afterId = ''; ; ) {
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
