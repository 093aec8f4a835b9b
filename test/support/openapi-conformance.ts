import Ajv, { ValidateFunction } from 'ajv';
import type { ApiHarness } from './api-harness';

type Response = { content?: Record<string, { schema?: unknown }> };
type Operation = { responses?: Record<string, Response> };
export type OpenApiDoc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head';

export interface Call {
  headers: Record<string, string>;
  /** A JSON body (sent as application/json unless `contentType` says otherwise). */
  body?: unknown;
  /** Raw bytes (sent as application/octet-stream unless `contentType` says otherwise). */
  bytes?: Buffer;
  contentType?: string;
  /** More request headers (Content-Range...). */
  extra?: Record<string, string>;
}

export interface Answer {
  status: number;
  body: any;
  text: string;
  headers: Record<string, string>;
}

/**
 * Real answers checked against the OpenAPI document the same API serves (/docs-json): the
 * documented schema of the route template, method and status, with ajv. A status the operation
 * does not document, or a JSON body where it declares none, fails like a wrong field does.
 */
export class Conformance {
  private readonly ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(
    private readonly api: ApiHarness,
    readonly doc: OpenApiDoc,
  ) {}

  static async load(api: ApiHarness): Promise<Conformance> {
    return new Conformance(api, (await api.http.get('/docs-json').expect(200)).body);
  }

  /** The documented JSON schema of this operation and status, compiled with the document's components. */
  documented(method: Method, path: string, status: number): ValidateFunction {
    const key = `${method} ${path} ${status}`;
    const found = this.compiled.get(key);
    if (found) return found;
    const schema = this.response(method, path, status)?.content?.['application/json']?.schema;
    if (!schema) throw new Error(`${method.toUpperCase()} ${path} documents no JSON body for ${status}`);
    const validate = this.ajv.compile({ ...schema, components: this.doc.components });
    this.compiled.set(key, validate);
    return validate;
  }

  /** 'conforms', or what does not: the status undocumented, a body where none is declared, or ajv's errors. */
  verdict(method: Method, path: string, res: Answer): unknown {
    const declared = this.response(method, path, res.status);
    if (!declared) return `status ${res.status} is not documented`;
    const bodiless = method === 'head' || res.status === 204 || (declared.content !== undefined && Object.keys(declared.content).length === 0);
    if (bodiless) return res.text ? `a body where none is documented: ${res.text.slice(0, 200)}` : 'conforms';
    const validate = this.documented(method, path, res.status);
    return validate(res.body) ? 'conforms' : validate.errors;
  }

  /** Sends the request, then checks its answer against the route template `path`'s documented response. */
  async call(method: Method, path: string, url: string, call: Call): Promise<Answer> {
    let req = this.api.http[method](url).set(call.headers);
    if (call.extra) req = req.set(call.extra);
    if (call.bytes !== undefined) req = req.set('Content-Type', call.contentType ?? 'application/octet-stream').send(call.bytes);
    else if (call.body !== undefined) {
      if (call.contentType) req = req.set('Content-Type', call.contentType).send(JSON.stringify(call.body));
      else req = req.send(call.body as object);
    }
    const res = (await req) as unknown as Answer;
    return { status: res.status, body: res.body, text: res.text ?? '', headers: res.headers };
  }

  /** call(), then expects the answer to conform (the failure shows the method, url, status and ajv's errors). */
  async conforming(method: Method, path: string, url: string, call: Call): Promise<Answer> {
    const res = await this.call(method, path, url, call);
    expect([method, url, res.status, this.verdict(method, path, res)]).toEqual([method, url, res.status, 'conforms']);
    return res;
  }

  private response(method: Method, path: string, status: number): Response | undefined {
    const op = this.doc.paths[path]?.[method];
    if (!op) throw new Error(`the document has no ${method.toUpperCase()} ${path}`);
    return op.responses?.[String(status)];
  }
}
