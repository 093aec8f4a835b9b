import { createReadStream } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';

/** Thrown for a non-2xx answer; carries the body so the CLI can print what the API said. */
export class ApiCallFailed extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`${what} answered ${status}: ${typeof body === 'string' ? body : JSON.stringify(body)}`);
  }
}

/** A client of this service's HTTP API, as any AEP client would call it. */
export class ApiCaller {
  private headers: Record<string, string> = {};

  constructor(private readonly base: string) {}

  async authenticate(clientId: string, clientSecret: string, orgId: string, sandbox: string): Promise<void> {
    const res = await fetch(`${this.base}/ims/token/v3`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    });
    const body = (await res.json()) as { access_token?: string };
    if (!res.ok || !body.access_token) throw new ApiCallFailed(res.status, body, 'POST /ims/token/v3');
    this.headers = { Authorization: `Bearer ${body.access_token}`, 'x-api-key': clientId, 'x-gw-ims-org-id': orgId, 'x-sandbox-name': sandbox };
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { ...this.headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw new ApiCallFailed(res.status, parsed, `${method} ${path}`);
    return parsed as T;
  }

  /** Streams a file from disk as the request body (never read into memory). */
  async putFile(path: string, file: string): Promise<void> {
    const url = new URL(`${this.base}${path}`);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    await new Promise<void>((resolve, reject) => {
      const req = send(url, { method: 'PUT', headers: { ...this.headers, 'Content-Type': 'application/octet-stream' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if ((res.statusCode ?? 500) >= 300) reject(new ApiCallFailed(res.statusCode ?? 0, text, `PUT ${path}`));
          else resolve();
        });
      });
      req.on('error', reject);
      pipeline(createReadStream(file), req).catch(reject);
    });
  }
}
