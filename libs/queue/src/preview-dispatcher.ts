import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { PreviewRepository, QueueablePreview } from '@sx/persistence';
import { JobQueueService } from './job-queue.service';
import { JobName, previewQueueJobId } from './registry';
import { withTimeout } from './with-timeout';

/**
 * Moves previews from Postgres (the record) into BullMQ (the carrier), as the other dispatchers
 * do: the outbox marker is cleared only once BullMQ holds the run.
 */
@Injectable()
export class PreviewDispatcher {
  private readonly logger = new Logger(PreviewDispatcher.name);

  constructor(
    private readonly config: AppConfig,
    private readonly queues: JobQueueService,
    private readonly previews: PreviewRepository,
  ) {}

  /** Enqueue (a no-op if BullMQ already holds it) and clear the marker. Throws if Redis fails. */
  async dispatch(preview: QueueablePreview): Promise<void> {
    await this.queues.enqueue(JobName.RunPreview, { previewId: preview.previewId, orgId: preview.orgId, sandboxName: preview.sandboxName }, previewQueueJobId(preview.previewId));
    await this.previews.markEnqueued([preview.previewId]);
  }

  /** Replaces whatever finished job BullMQ holds under the preview's id, then enqueues. */
  async redispatch(preview: QueueablePreview): Promise<void> {
    await this.queues.remove(JobName.RunPreview, previewQueueJobId(preview.previewId));
    await this.dispatch(preview);
  }

  /** Right after POST committed: try for ENQUEUE_TIMEOUT_MS, then leave it to the reconciler. */
  async dispatchSoon(preview: QueueablePreview): Promise<boolean> {
    try {
      await withTimeout(this.dispatch(preview), this.config.ENQUEUE_TIMEOUT_MS);
      return true;
    } catch (e) {
      this.logger.warn({ msg: 'enqueue after POST /preview failed; the reconciler will enqueue it', previewId: preview.previewId, error: (e as Error).message });
      return false;
    }
  }

  async queueState(previewId: string): Promise<string | undefined> {
    return this.queues.state(JobName.RunPreview, previewQueueJobId(previewId));
  }

  /** Drops a waiting run (DELETE); a run a worker holds stops at its next checkpoint. */
  async remove(previewId: string): Promise<void> {
    await this.queues.remove(JobName.RunPreview, previewQueueJobId(previewId)).catch(() => false);
  }
}
