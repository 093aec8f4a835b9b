import type { TenantScope, WebhookEvent } from '@sx/domain';
import type { Prisma } from './generated/prisma/client';

/**
 * The outbox of webhook events: one pending delivery per webhook of the tenant subscribed to the
 * event, written inside `tx`, the transaction that ends the job. A rollback takes the deliveries
 * with it; a commit makes the workers send them (WebhookReconciler). `payload.data` is what a
 * receiver reads; the envelope's `id` is each delivery's own, filled in when sent.
 */
export async function queueWebhookEvent(tx: Prisma.TransactionClient, scope: TenantScope, event: WebhookEvent, data: Record<string, unknown>): Promise<number> {
  const payload = JSON.stringify({ type: event, createdAt: new Date().toISOString(), orgId: scope.orgId, sandboxName: scope.sandboxName, data });
  return tx.$executeRaw`
    INSERT INTO webhook_deliveries (id, webhook_id, event, payload)
    SELECT gen_random_uuid(), w.id, ${event}, ${payload}::json FROM webhooks w
     WHERE w.org_id = ${scope.orgId} AND w.sandbox_name = ${scope.sandboxName} AND ${event} = ANY (w.events)`;
}
