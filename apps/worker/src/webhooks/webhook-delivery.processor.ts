import { Injectable, Logger } from '@nestjs/common';
import { Job } from 'bullmq';
import { AppConfig } from '@sx/config';
import { Metrics } from '@sx/observability';
import { AttemptOutcome, WebhookRepository } from '@sx/persistence';
import type { JobName, JobPayload } from '@sx/queue';
import { sendWebhook, WebhookTargetRefused } from './webhook-sender';
import { signedHeaders } from './webhook-signature';

type DeliverJob = Job<JobPayload<JobName.DeliverWebhook>>;
const MAX_BACKOFF_MS = 3600_000;

/** When the attempt after `attempt` (1-based) is due: WEBHOOK_BACKOFF_MS doubled each time, at most an hour. */
export function retryDelayMs(backoffMs: number, attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, backoffMs * 2 ** Math.min(30, attempt - 1));
}

/**
 * One attempt of one delivery: its signed POST, then the outcome in Postgres. A 2xx delivers it;
 * anything else (another status, a refused or timed-out connection, a refused address) schedules
 * the next attempt with backoff, until WEBHOOK_RETRY_HOURS after its event, when it fails for
 * good. At least once: a worker killed between the answer and the record sends it again, with the
 * same `webhook-id`. Never touches the job the event is about.
 */
@Injectable()
export class WebhookDeliveryProcessor {
  private readonly logger = new Logger(WebhookDeliveryProcessor.name);

  constructor(
    private readonly config: AppConfig,
    private readonly webhooks: WebhookRepository,
    private readonly metrics: Metrics,
  ) {}

  readonly handle = (job: DeliverJob) => this.run(job);

  async run(job: DeliverJob): Promise<Record<string, unknown>> {
    const { deliveryId } = job.data;
    const found = await this.webhooks.toSend(deliveryId);
    if (!found) return { skipped: 'not pending' };
    const attempt = found.delivery.attempts + 1;
    const body = JSON.stringify({ id: deliveryId, ...found.payload });
    const headers = signedHeaders(found.secret, deliveryId, Math.floor(Date.now() / 1000), body);
    let outcome: AttemptOutcome;
    try {
      const { statusCode } = await sendWebhook(found.url, headers, body, { timeoutMs: this.config.WEBHOOK_TIMEOUT_MS, allowPrivate: this.config.WEBHOOK_ALLOW_PRIVATE_NETWORKS });
      outcome =
        statusCode >= 200 && statusCode < 300 ? { kind: 'delivered', statusCode } : this.retryOrFail(found.delivery.createdAt, attempt, `answered ${statusCode}`, statusCode);
    } catch (e) {
      const error = e instanceof WebhookTargetRefused ? e.message : `${(e as NodeJS.ErrnoException).code ?? 'error'}: ${(e as Error).message}`;
      outcome = this.retryOrFail(found.delivery.createdAt, attempt, error);
    }
    await this.webhooks.recordAttempt(deliveryId, outcome);
    this.metrics.webhookAttempts.inc({ outcome: outcome.kind });
    this.logger.log({ msg: 'webhook delivery attempt', deliveryId, event: found.delivery.event, attempt, outcome: outcome.kind, statusCode: outcome.statusCode });
    return { outcome: outcome.kind, attempt };
  }

  private retryOrFail(createdAt: Date, attempt: number, error: string, statusCode?: number): AttemptOutcome {
    const retryAt = new Date(Date.now() + retryDelayMs(this.config.WEBHOOK_BACKOFF_MS, attempt));
    if (retryAt.getTime() > createdAt.getTime() + this.config.WEBHOOK_RETRY_HOURS * 3600_000) return { kind: 'failed', statusCode, error };
    return { kind: 'retry', statusCode, error, retryAt };
  }
}
