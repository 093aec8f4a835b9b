import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { BatchPromotionRepository, QueueableBatch } from '@sx/persistence';
import { JobQueueService } from './job-queue.service';
import { JobName, promotionQueueJobId } from './registry';
import { withTimeout } from './with-timeout';

/**
 * Moves completed batches from Postgres (the record) into BullMQ (the carrier), as the export
 * dispatcher does for jobs: the marker is removed only once BullMQ holds the promotion.
 */
@Injectable()
export class BatchPromotionDispatcher {
  private readonly logger = new Logger(BatchPromotionDispatcher.name);

  constructor(
    private readonly config: AppConfig,
    private readonly queues: JobQueueService,
    private readonly promotions: BatchPromotionRepository,
  ) {}

  /** Enqueue (a no-op if BullMQ already holds it) and drop the marker. Throws if Redis fails. */
  async dispatch(batch: QueueableBatch): Promise<void> {
    await this.queues.enqueue(JobName.PromoteBatch, { batchId: batch.batchId, orgId: batch.orgId, sandboxName: batch.sandboxName }, promotionQueueJobId(batch.batchId));
    await this.promotions.markEnqueued([batch.batchId]);
  }

  /** Replaces whatever finished job BullMQ holds under the batch's id, then enqueues. */
  async redispatch(batch: QueueableBatch): Promise<void> {
    await this.queues.remove(JobName.PromoteBatch, promotionQueueJobId(batch.batchId));
    await this.dispatch(batch);
  }

  /** Right after COMPLETE committed: try for ENQUEUE_TIMEOUT_MS, then leave it to the reconciler. */
  async dispatchSoon(batch: QueueableBatch): Promise<boolean> {
    try {
      await withTimeout(this.dispatch(batch), this.config.ENQUEUE_TIMEOUT_MS);
      return true;
    } catch (e) {
      this.logger.warn({ msg: 'enqueue after COMPLETE failed; the reconciler will enqueue the promotion', batchId: batch.batchId, error: (e as Error).message });
      return false;
    }
  }

  /** The promotion's state in BullMQ; undefined when the queue does not hold it. */
  async queueState(batchId: string): Promise<string | undefined> {
    return this.queues.state(JobName.PromoteBatch, promotionQueueJobId(batchId));
  }
}
