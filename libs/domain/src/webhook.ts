import { BlockList, isIP } from 'node:net';

/** The job events a webhook may subscribe to. */
export const WEBHOOK_EVENTS = ['export.succeeded', 'export.failed', 'export.cancelled', 'segment-job.succeeded', 'segment-job.failed', 'segment-job.cancelled'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface Webhook {
  id: string;
  orgId: string;
  sandboxName: string;
  url: string;
  events: WebhookEvent[];
  description?: string;
  createdAt: Date;
}

export interface WebhookDelivery {
  id: string;
  webhookId: string;
  event: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode?: number;
  lastError?: string;
  createdAt: Date;
  nextAttemptAt?: Date;
  deliveredAt?: Date;
}

/** The event `segment-job.<status>` of a segment job that ended so. */
export function segmentJobEvent(status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED'): WebhookEvent {
  return `segment-job.${status.toLowerCase()}` as WebhookEvent;
}

/** The event `export.<status>` of an export that ended so. */
export function exportEvent(status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED'): WebhookEvent {
  return `export.${status.toLowerCase()}` as WebhookEvent;
}

// Where a webhook may never point (SSRF): loopback, private, link-local (cloud metadata),
// carrier-grade NAT, unspecified, multicast and reserved ranges, in IPv4 and IPv6.
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

/** Whether an address (v4, v6, or v4 mapped into v6) is one a webhook may not reach unless allowed. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family === 6) return PRIVATE.check(address, 'ipv6');
  return true; // not an address at all: refuse
}

/**
 * Why a webhook URL is refused, or undefined: an absolute http(s) URL (https only in production),
 * without credentials in it. The addresses it resolves to are checked separately (at creation and
 * at every delivery, against DNS rebinding).
 */
export function webhookUrlProblem(raw: string, production: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http(s) URL';
  if (production && url.protocol !== 'https:') return 'must be an https URL in production';
  if (url.username || url.password) return 'must not carry credentials';
  if (raw.length > 2048) return 'must be at most 2048 characters';
  return undefined;
}
