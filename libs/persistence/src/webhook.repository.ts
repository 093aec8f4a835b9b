import { Injectable } from '@nestjs/common';
import { TenantScope, Webhook, WebhookDelivery, WebhookEvent } from '@sx/domain';
import type { Webhook as WebhookRow, WebhookDelivery as DeliveryRow } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import { withStoreErrors } from './store-errors';
import { tenantWhere } from './tenant-scope';

/** What a delivery attempt needs: the delivery, its body, and where and how to send it. */
export interface DeliveryToSend {
  delivery: WebhookDelivery;
  payload: Record<string, unknown>;
  url: string;
  secret: string;
}

/** How an attempt went: delivered (2xx), or to be tried again at `retryAt`, or failed for good. */
export type AttemptOutcome =
  { kind: 'delivered'; statusCode: number } | { kind: 'retry'; statusCode?: number; error: string; retryAt: Date } | { kind: 'failed'; statusCode?: number; error: string };

const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.id,
  orgId: r.orgId,
  sandboxName: r.sandboxName,
  url: r.url,
  events: r.events as WebhookEvent[],
  description: r.description ?? undefined,
  createdAt: r.createdAt,
});

const toDelivery = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  webhookId: r.webhookId,
  event: r.event,
  status: r.status as WebhookDelivery['status'],
  attempts: r.attempts,
  lastStatusCode: r.lastStatusCode ?? undefined,
  lastError: r.lastError ?? undefined,
  createdAt: r.createdAt,
  nextAttemptAt: r.status === 'pending' ? r.nextAttemptAt : undefined,
  deliveredAt: r.deliveredAt ?? undefined,
});

/** Webhooks of a tenant and their deliveries (the outbox rows are written by queueWebhookEvent). */
@Injectable()
export class WebhookRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(scope: TenantScope, w: { id: string; url: string; events: WebhookEvent[]; secret: string; description?: string }): Promise<Webhook> {
    return withStoreErrors(async () => toWebhook(await this.prisma.webhook.create({ data: { ...tenantWhere(scope), ...w } })));
  }

  async list(scope: TenantScope): Promise<Webhook[]> {
    return withStoreErrors(async () => (await this.prisma.webhook.findMany({ where: tenantWhere(scope), orderBy: { createdAt: 'asc' } })).map(toWebhook));
  }

  async find(scope: TenantScope, id: string): Promise<Webhook | null> {
    return withStoreErrors(async () => {
      const r = await this.prisma.webhook.findFirst({ where: { id, ...tenantWhere(scope) } });
      return r ? toWebhook(r) : null;
    });
  }

  /** Removes the webhook and its delivery log; false when there was none. Pending deliveries go with it. */
  async delete(scope: TenantScope, id: string): Promise<boolean> {
    return withStoreErrors(async () => (await this.prisma.webhook.deleteMany({ where: { id, ...tenantWhere(scope) } })).count > 0);
  }

  /** The webhook's deliveries, newest first; null when the webhook is not the tenant's. */
  async deliveries(scope: TenantScope, webhookId: string, limit: number): Promise<WebhookDelivery[] | null> {
    return withStoreErrors(async () => {
      if (!(await this.prisma.webhook.findFirst({ where: { id: webhookId, ...tenantWhere(scope) }, select: { id: true } }))) return null;
      const rows = await this.prisma.webhookDelivery.findMany({ where: { webhookId }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: limit });
      return rows.map(toDelivery);
    });
  }

  /**
   * Pending deliveries due now (id and attempts so far), oldest first, across tenants: what the
   * reconciler puts in the delivery queue (the sender reads each one through `toSend`).
   */
  async dueDeliveries(limit: number): Promise<Array<{ id: string; attempts: number }>> {
    return withStoreErrors(
      () =>
        this.prisma.$queryRaw<Array<{ id: string; attempts: number }>>`
        SELECT id::text, attempts FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT ${limit}`,
    );
  }

  /** A pending delivery with its webhook's URL and secret; undefined when it was sent, failed, or deleted meanwhile. */
  async toSend(deliveryId: string): Promise<DeliveryToSend | undefined> {
    return withStoreErrors(async () => {
      const r = await this.prisma.webhookDelivery.findFirst({ where: { id: deliveryId, status: 'pending' }, include: { webhook: true } });
      if (!r) return undefined;
      return { delivery: toDelivery(r), payload: r.payload as Record<string, unknown>, url: r.webhook.url, secret: r.webhook.secret };
    });
  }

  /** Records one attempt (counted whatever its outcome). Only a pending delivery changes. */
  async recordAttempt(deliveryId: string, outcome: AttemptOutcome): Promise<void> {
    await withStoreErrors(async () => {
      const now = new Date();
      const common = { attempts: { increment: 1 }, lastStatusCode: outcome.statusCode ?? null };
      const data =
        outcome.kind === 'delivered'
          ? { ...common, status: 'delivered', lastError: null, deliveredAt: now }
          : outcome.kind === 'retry'
            ? { ...common, lastError: outcome.error.slice(0, 500), nextAttemptAt: outcome.retryAt }
            : { ...common, status: 'failed', lastError: outcome.error.slice(0, 500) };
      await this.prisma.webhookDelivery.updateMany({ where: { id: deliveryId, status: 'pending' }, data });
    });
  }
}
