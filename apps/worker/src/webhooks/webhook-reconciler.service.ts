import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@sx/config';
import { WebhookRepository } from '@sx/persistence';
import { JobName, JobQueueService, webhookQueueJobId } from '@sx/queue';
import { PeriodicReconciler } from '../reconciler/periodic-reconciler';

const BATCH = 500;

interface WebhookReport {
  queued: number;
}

/**
 * Moves due webhook deliveries (the outbox rows the job-ending transactions wrote, and retries
 * whose time came) into the delivery queue, every RECONCILE_INTERVAL_MS: one queue job per
 * attempt, so queuing one twice (two workers, two passes) is a no-op. An attempt whose queue job
 * ended without recording anything (its worker died) is queued again.
 */
@Injectable()
export class WebhookReconcilerService extends PeriodicReconciler<WebhookReport> {
  constructor(
    config: AppConfig,
    private readonly webhooks: WebhookRepository,
    private readonly queues: JobQueueService,
  ) {
    super(new Logger(WebhookReconcilerService.name), config.RECONCILE_INTERVAL_MS, 'queued webhook deliveries');
  }

  protected async pass(): Promise<WebhookReport> {
    let queued = 0;
    for (const due of await this.webhooks.dueDeliveries(BATCH)) {
      const jobId = webhookQueueJobId(due.id, due.attempts + 1);
      const state = await this.queues.state(JobName.DeliverWebhook, jobId);
      if (state === 'completed' || state === 'failed') await this.queues.remove(JobName.DeliverWebhook, jobId);
      else if (state !== undefined) continue;
      await this.queues.enqueue(JobName.DeliverWebhook, { deliveryId: due.id }, jobId);
      queued++;
    }
    return { queued };
  }
}
