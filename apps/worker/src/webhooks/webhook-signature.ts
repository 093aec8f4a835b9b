import { createHmac } from 'node:crypto';

/**
 * The headers of a signed delivery, as the Standard Webhooks specification (standardwebhooks.com)
 * has them, so that its libraries verify ours: `webhook-id` (the delivery id, to deduplicate on),
 * `webhook-timestamp` (Unix seconds) and `webhook-signature` = `v1,` + base64 of HMAC-SHA256, keyed
 * with the secret's bytes (base64 after `whsec_`), over `<id>.<timestamp>.<body>`.
 */
export function signedHeaders(secret: string, deliveryId: string, timestampSeconds: number, body: string): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${deliveryId}.${timestampSeconds}.${body}`).digest('base64');
  return { 'webhook-id': deliveryId, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': `v1,${signature}` };
}
