import type { PoolClient } from 'pg';
import type { TenantScope, WebhookEvent } from '@sx/domain';
import type { Prisma } from './generated/prisma/client';

const INSERT_DELIVERIES = `INSERT INTO webhook_deliveries (id, webhook_id, event, payload)
  SELECT gen_random_uuid(), w.id, $3, $4::json FROM webhooks w
   WHERE w.org_id = $1 AND w.sandbox_name = $2 AND $3 = ANY (w.events)`;

function params(scope: TenantScope, event: WebhookEvent, data: Record<string, unknown>): [string, string, string, string] {
  const payload = JSON.stringify({ type: event, createdAt: new Date().toISOString(), orgId: scope.orgId, sandboxName: scope.sandboxName, data });
  return [scope.orgId, scope.sandboxName, event, payload];
}

/**
 * The outbox of webhook events: one pending delivery per webhook of the tenant subscribed to the
 * event, written inside `tx`, the transaction that ends the job. A rollback takes the deliveries
 * with it; a commit makes the workers send them (WebhookReconciler). `payload.data` is what a
 * receiver reads; the envelope's `id` is each delivery's own, filled in when sent.
 */
export function queueWebhookEvent(tx: Prisma.TransactionClient, scope: TenantScope, event: WebhookEvent, data: Record<string, unknown>): Promise<number> {
  return tx.$executeRawUnsafe(INSERT_DELIVERIES, ...params(scope, event, data));
}

/** The same, inside a transaction on a pg client (the segment job repositories). */
export async function queueWebhookEventOn(c: PoolClient, scope: TenantScope, event: WebhookEvent, data: Record<string, unknown>): Promise<number> {
  return (await c.query(INSERT_DELIVERIES, params(scope, event, data))).rowCount ?? 0;
}
