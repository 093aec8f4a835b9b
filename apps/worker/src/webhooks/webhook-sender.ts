import { type LookupFunction, isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isPrivateAddress } from '@sx/domain';

export interface SendOptions {
  timeoutMs: number;
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: loopback and private addresses may be reached. */
  allowPrivate: boolean;
}

/** The receiver's answer: its status code (any: the caller decides what counts as delivered). */
export interface SendResult {
  statusCode: number;
}

export class WebhookTargetRefused extends Error {}

/**
 * POSTs `body` to `url` once: no redirect is followed (a 3xx is an answer like any other), the
 * whole exchange is bounded by `timeoutMs`, and the address the name resolves to is checked at
 * connect time, so that a name that resolved to a public address when the webhook was created and
 * to a private one now (DNS rebinding) is refused too. The answer's body is read and dropped.
 */
export function sendWebhook(url: string, headers: Record<string, string>, body: string, options: SendOptions): Promise<SendResult> {
  const target = new URL(url);
  const guardedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { ...lookupOptions, all: false }, (err, address, family) => {
      if (err) return callback(err, '', 0);
      if (!options.allowPrivate && isPrivateAddress(address)) return callback(new WebhookTargetRefused(`${hostname} resolves to a private address`), '', 0);
      callback(null, address, family);
    });
  };
  const literal = isIP(target.hostname.replace(/^\[|\]$/g, ''));
  if (literal && !options.allowPrivate && isPrivateAddress(target.hostname.replace(/^\[|\]$/g, ''))) {
    return Promise.reject(new WebhookTargetRefused(`${target.hostname} is a private address`));
  }
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendResult>((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'segment-export-webhooks/1', ...headers },
        lookup: guardedLookup,
        timeout: options.timeoutMs,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0 }));
        res.on('error', reject);
      },
    );
    const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
