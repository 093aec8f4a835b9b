import { createHmac } from 'node:crypto';
import { retryDelayMs } from './webhook-delivery.processor';
import { signedHeaders } from './webhook-signature';

describe('webhook delivery', () => {
  it('backs off by doubling from WEBHOOK_BACKOFF_MS, at most an hour', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(10_000, a))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(retryDelayMs(10_000, 12)).toBe(3_600_000);
    expect(retryDelayMs(10_000, 500)).toBe(3_600_000);
  });

  it('signs `<id>.<timestamp>.<body>` with the secret’s bytes (Standard Webhooks v1)', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    const secret = `whsec_${key.toString('base64')}`;
    const headers = signedHeaders(secret, 'd-1', 1700000000, '{"a":1}');
    const expected = createHmac('sha256', key).update('d-1.1700000000.{"a":1}').digest('base64');
    expect(headers).toEqual({ 'webhook-id': 'd-1', 'webhook-timestamp': '1700000000', 'webhook-signature': `v1,${expected}` });
    expect(signedHeaders(secret, 'd-1', 1700000000, '{"a":2}')['webhook-signature']).not.toBe(headers['webhook-signature']);
  });
});
