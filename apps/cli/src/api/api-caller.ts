import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** What the API said in a non-2xx answer, in one line (plus field problems), whatever its shape. */
export function describeAnswer(status: number, body: unknown): string {
  const head = `HTTP ${status}`;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    // The service's problem shape: {type, status, title, detail, requestId, errors?}.
    if (typeof b.detail === 'string') {
      const title = typeof b.title === 'string' ? ` ${b.title}` : '';
      const errors = Array.isArray(b.errors)
        ? (b.errors as Array<{ path?: unknown; message?: unknown }>).map((e) => `\n  - ${e.path === undefined ? '' : `${text(e.path)}: `}${text(e.message ?? e)}`)
        : [];
      return `${head}${title}: ${b.detail}${errors.join('')}${typeof b.requestId === 'string' && b.requestId ? `\n  (requestId ${b.requestId})` : ''}`;
    }
    // The gateway's shape (AEP's): {error_code, message}.
    if (typeof b.message === 'string') return `${head}: ${b.message}${b.error_code ? ` (${text(b.error_code)})` : ''}`;
    // OAuth (the token endpoint): {error, error_description}.
    if (typeof b.error === 'string') return `${head}: ${b.error}${typeof b.error_description === 'string' ? `: ${b.error_description}` : ''}`;
  }
  const shown = body === undefined ? '' : text(body);
  return `${head}${shown ? `: ${shown.length > 2000 ? `${shown.slice(0, 2000)}…` : shown}` : ''}`;
}

/** Thrown for a non-2xx answer; carries the status and body so the CLI can print what the API said. */
export class ApiCallFailed extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`${what} answered ${describeAnswer(status, body)}`);
  }
}

/** The API could not be reached at all (refused, unknown host, reset, TLS…): names the URL and the cause. */
export class ApiUnreachable extends Error {
  constructor(
    readonly url: string,
    readonly code: string | undefined,
    cause: unknown,
  ) {
    super(`cannot reach the API at ${url}: ${causeText(cause)}`, { cause });
  }
}

/** `ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:1)` from fetch's `TypeError: fetch failed` and its cause chain. */
function causeText(e: unknown): string {
  const seen: string[] = [];
  for (let c: unknown = e, depth = 0; c && depth < 5; depth++) {
    const err = c as { code?: unknown; message?: unknown; errors?: unknown[]; cause?: unknown };
    if (err.code || (err.message && err.message !== 'fetch failed')) {
      const code = typeof err.code === 'string' ? err.code : undefined;
      const message = typeof err.message === 'string' && err.message ? err.message : Array.isArray(err.errors) ? String((err.errors[0] as Error)?.message ?? '') : '';
      seen.push(code ? `${code}${message && message !== code ? ` (${message})` : ''}` : message);
      break;
    }
    c = err.cause ?? (Array.isArray(err.errors) ? err.errors[0] : undefined);
  }
  return seen[0] || String((e as Error)?.message ?? e);
}

function codeOf(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c && depth < 5; depth++) {
    const err = c as { code?: unknown; cause?: unknown };
    if (typeof err.code === 'string') return err.code;
    c = err.cause;
  }
  return undefined;
}

/** An error of this machine's files (open, read, write), not of the network. */
const isLocal = (e: unknown): boolean => ['open', 'read', 'write', 'rename', 'mkdir'].includes(String((e as { syscall?: unknown })?.syscall));

export interface DownloadResult {
  bytes: number;
  sha256: string;
  /** The sha256 the API announced (the ETag), when it did. */
  expectedSha256?: string;
}

/** Thrown when a downloaded file is not what the API said it is (checksum or length). */
export class DownloadMismatch extends Error {}

const parseBody = (text: string): unknown => {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** A client of this service's HTTP API, as any AEP client would call it. */
export class ApiCaller {
  private headers: Record<string, string> = {};

  constructor(readonly base: string) {}

  private async send(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    const url = `${this.base}${path}`;
    try {
      return await fetch(url, { method, ...init, headers: { ...this.headers, ...(init.headers as Record<string, string> | undefined) } });
    } catch (e) {
      throw new ApiUnreachable(this.base, codeOf(e), e);
    }
  }

  async authenticate(clientId: string, clientSecret: string, orgId: string, sandbox: string): Promise<void> {
    const res = await this.send('POST', '/ims/token/v3', {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    });
    const body = parseBody(await res.text()) as { access_token?: string } | undefined;
    if (!res.ok || !body?.access_token) throw new ApiCallFailed(res.status, body, `POST ${this.base}/ims/token/v3`);
    this.headers = { Authorization: `Bearer ${body.access_token}`, 'x-api-key': clientId, 'x-gw-ims-org-id': orgId, 'x-sandbox-name': sandbox };
  }

  async json<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await this.send(method, path, {
      headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = parseBody(await res.text());
    if (!res.ok) throw new ApiCallFailed(res.status, parsed, `${method} ${this.base}${path}`);
    return parsed as T;
  }

  /** Streams a file from disk as the request body (never read into memory); `onBytes` sees each chunk sent. */
  async putFile(path: string, file: string, onBytes?: (chunk: Buffer) => void): Promise<void> {
    const url = new URL(`${this.base}${path}`);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    await new Promise<void>((resolve, reject) => {
      const req = send(url, { method: 'PUT', headers: { ...this.headers, 'Content-Type': 'application/octet-stream' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 300) reject(new ApiCallFailed(status, parseBody(Buffer.concat(chunks).toString()), `PUT ${url.toString()}`));
          else resolve();
        });
      });
      req.on('error', (e) => reject(new ApiUnreachable(this.base, codeOf(e), e)));
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          onBytes?.(chunk);
          done(null, chunk);
        },
      });
      pipeline(createReadStream(file), counter, req).catch((e: Error) => reject(isLocal(e) ? e : new ApiUnreachable(this.base, codeOf(e), e)));
    });
  }

  /**
   * Streams a file of the API to `dest` (through `dest.partial`, renamed at the end), hashing it on
   * the way: when the API announced its sha256 (the ETag) or its length, a file that differs is
   * removed and a DownloadMismatch names it. Nothing is held in memory but the chunk in flight.
   */
  async download(path: string, dest: string, label: string, onBytes?: (n: number) => void): Promise<DownloadResult> {
    const res = await this.send('GET', path);
    if (!res.ok || !res.body) throw new ApiCallFailed(res.status, parseBody(await res.text()), `GET ${this.base}${path}`);
    const etag = /^"([0-9a-f]{64})"$/i.exec(res.headers.get('etag') ?? '')?.[1]?.toLowerCase();
    const length = res.headers.get('content-length');
    const hash = createHash('sha256');
    let bytes = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        bytes += chunk.length;
        onBytes?.(chunk.length);
        done(null, chunk);
      },
    });
    const partial = `${dest}.partial`;
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), tap, createWriteStream(partial));
    } catch (e) {
      await rm(partial, { force: true });
      if (isLocal(e)) throw e;
      throw new Error(`${label}: the download from ${this.base} broke off after ${bytes} bytes: ${causeText(e)}`, { cause: e });
    }
    const sha256 = hash.digest('hex');
    if (length !== null && Number(length) !== bytes) {
      await rm(partial, { force: true });
      throw new DownloadMismatch(`${label}: received ${bytes} bytes, the API announced ${length}; the file was not kept`);
    }
    if (etag && etag !== sha256) {
      await rm(partial, { force: true });
      throw new DownloadMismatch(`${label}: checksum mismatch: sha256 ${sha256}, the API announced ${etag}; the file was not kept`);
    }
    await rename(partial, dest);
    return { bytes, sha256, ...(etag ? { expectedSha256: etag } : {}) };
  }
}
