import { ApiHarness, ORG_A, TestClient, minimalJobBody, referenceJobBody } from './support/api-harness';
import { Conformance, Method } from './support/openapi-conformance';
import { IMPORT, ProfileStoreClient, profile } from './support/profile-store';
import { TestEnv, createTestEnv } from './support/test-env';

type Operation = {
  operationId?: string;
  parameters?: Array<{ name: string; in: string; required?: boolean }>;
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  security?: Array<Record<string, string[]>>;
};
type Doc = { servers?: Array<{ url: string }>; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head'];
/** Answers with no body by definition (HEAD, 204, redirects): the only successes that need no schema. */
const BODYLESS = (method: string, status: string) => method === 'head' || status === '204' || status.startsWith('3');

function operations(doc: Doc): Array<{ id: string; path: string; method: string; op: Operation }> {
  const out = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) if (item[method]) out.push({ id: `${method.toUpperCase()} ${path}`, path, method, op: item[method] });
  }
  return out;
}

/** Every `$ref` in a value, for checking that each names a schema the document has. */
function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refs(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe('the OpenAPI document (/docs-json) is complete', () => {
  let env: TestEnv;
  let api: ApiHarness;
  let doc: Doc;
  let client: TestClient;

  beforeAll(async () => {
    env = await createTestEnv('openapi');
    api = await ApiHarness.start(env.config({ PUBLIC_BASE_URL: 'https://segments.example.com' }));
    doc = (await api.http.get('/docs-json').expect(200)).body;
    client = await api.client(ORG_A, ['prod']);
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  it('names the configured server', () => {
    expect(doc.servers).toEqual([{ url: 'https://segments.example.com' }]);
  });

  it('declares every path parameter of every operation, as required', () => {
    const undeclared = operations(doc).flatMap(({ id, path, op }) =>
      [...path.matchAll(/\{([^}]+)\}/g)]
        .map((m) => m[1])
        .filter((name) => !op.parameters?.some((p) => p.in === 'path' && p.name === name && p.required))
        .map((name) => `${id}: ${name}`),
    );
    expect(undeclared).toEqual([]);
  });

  it('gives every operation a success response with a schema (or a bodiless one)', () => {
    const missing = operations(doc)
      .filter(({ method, op }) => {
        const successes = Object.entries(op.responses ?? {}).filter(([s]) => /^[23]/.test(s));
        if (!successes.length) return true;
        // `content: {}` declares an empty body explicitly (a small-file PUT); no `content` is undocumented.
        const declaredEmpty = (r: { content?: object }) => r.content !== undefined && Object.keys(r.content).length === 0;
        return successes.some(([status, r]) => !BODYLESS(method, status) && !declaredEmpty(r) && !Object.values(r.content ?? {}).some((c) => c.schema));
      })
      .map(({ id }) => id);
    expect(missing).toEqual([]);
  });

  it('documents the error bodies of every operation: the problem shape, and the gateway shape behind the gateway', () => {
    const wrong: string[] = [];
    for (const { id, op } of operations(doc)) {
      const schemaOf = (status: string) => op.responses?.[status]?.content?.['application/json']?.schema?.$ref;
      for (const status of ['400', '404', '500', '503']) if (schemaOf(status) !== '#/components/schemas/Problem') wrong.push(`${id} ${status}`);
      if (op.security?.length) for (const status of ['401', '403']) if (schemaOf(status) !== '#/components/schemas/GatewayError') wrong.push(`${id} ${status}`);
      // Any other error an operation declares (409, 415, 416, 422...) has its body documented too.
      for (const status of Object.keys(op.responses ?? {})) if (/^[45]/.test(status) && !schemaOf(status)) wrong.push(`${id} ${status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('requires the token and the API key together (one security requirement), and the org and sandbox headers', () => {
    const gated = operations(doc).filter(({ path }) => path.startsWith('/data/'));
    expect(gated.length).toBeGreaterThan(20);
    for (const { id, op } of gated) {
      expect([id, op.security]).toEqual([id, [{ bearer: [], 'api-key': [] }]]);
      const headers = (op.parameters ?? []).filter((p) => p.in === 'header' && p.required).map((p) => p.name);
      expect([id, headers]).toEqual([id, expect.arrayContaining(['x-gw-ims-org-id', 'x-sandbox-name'])]);
    }
  });

  it('refers only to schemas it defines', () => {
    const defined = new Set(Object.keys(doc.components.schemas).map((n) => `#/components/schemas/${n}`));
    expect([...new Set(refs(doc.paths).concat(refs(doc.components.schemas)))].filter((r) => !defined.has(r))).toEqual([]);
  });

  describe('answers match the schemas it documents', () => {
    // Catalog, batch ingestion, Data Access, definitions and merge policies: openapi-conformance-store.e2e-spec.ts.
    let check: Conformance;
    beforeAll(() => {
      check = new Conformance(api, doc);
    });
    const conforming = (method: Method, path: string, url: string, body?: unknown) => check.conforming(method, path, url, { headers: client.headers(), body });
    const UPS = '/data/core/ups';

    it('export jobs: create, get, list, and the error bodies of a bad create, a missing job and a bad token', async () => {
      const created = await conforming('post', `${UPS}/export/jobs`, `${UPS}/export/jobs`, client.job(referenceJobBody()));
      expect(created.status).toBe(200);
      await conforming('get', `${UPS}/export/jobs/{id}`, `${UPS}/export/jobs/${created.body.id}`);
      await conforming('post', `${UPS}/export/jobs`, `${UPS}/export/jobs`, client.job(minimalJobBody()));
      expect((await conforming('get', `${UPS}/export/jobs`, `${UPS}/export/jobs?limit=1`)).body.records).toHaveLength(1);
      expect((await conforming('post', `${UPS}/export/jobs`, `${UPS}/export/jobs`, { destination: {} })).status).toBe(400);
      expect((await conforming('get', `${UPS}/export/jobs/{id}`, `${UPS}/export/jobs/999999`)).status).toBe(404);
      const gateway = await api.http.get(`${UPS}/export/jobs`).set({ ...client.headers(), Authorization: 'Bearer nope' });
      expect(gateway.status).toBe(401);
      expect(check.verdict('get', `${UPS}/export/jobs`, gateway)).toBe('conforms');
    });

    it('segment jobs, previews and estimates', async () => {
      const def = await api.http
        .post(`${UPS}/segment/definitions`)
        .set(client.headers())
        .send({ name: 'US', schema: { name: '_xdm.context.profile' }, expression: { type: 'PQL', format: 'pql/text', value: 'homeAddress.country = "US"' } })
        .expect(200);
      const job = await conforming('post', `${UPS}/segment/jobs`, `${UPS}/segment/jobs`, [{ segmentId: def.body.id }]);
      expect(job.status).toBe(200);
      await conforming('get', `${UPS}/segment/jobs/{id}`, `${UPS}/segment/jobs/${job.body.id}`);
      await conforming('get', `${UPS}/segment/jobs`, `${UPS}/segment/jobs?limit=5`);
      expect((await conforming('post', `${UPS}/segment/jobs/bulk-get`, `${UPS}/segment/jobs/bulk-get`, { ids: [{ id: job.body.id }] })).status).toBe(207);
      const preview = await conforming('post', `${UPS}/preview`, `${UPS}/preview`, {
        predicateExpression: 'homeAddress.country = "US"',
        predicateType: 'pql/text',
        predicateModel: '_xdm.context.profile',
      });
      expect(preview.status).toBe(201);
      await conforming('get', `${UPS}/preview/{previewId}`, `${UPS}/preview/${preview.body.previewId}`);
      await conforming('get', `${UPS}/estimate/{previewId}`, `${UPS}/estimate/${preview.body.previewId}`);
      expect((await conforming('delete', `${UPS}/preview/{previewId}`, `${UPS}/preview/${preview.body.previewId}`)).status).toBe(200);
    });

    it("batch ingestion: the preview of a loading batch's files", async () => {
      const store = new ProfileStoreClient(api, client);
      const datasetId = await store.createDataset('openapi preview');
      const batchId = await store.createBatch(datasetId);
      await store.upload(batchId, datasetId, 'a.json', [profile('o1'), profile('o2', { score: 3 })].map((r) => JSON.stringify(r)).join('\n')).expect(201);
      const path = `${IMPORT}/batches/{batchId}/datasets/{datasetId}/preview`;
      const res = await conforming('get', path, `${IMPORT}/batches/${batchId}/datasets/${datasetId}/preview?format=json&nrow=5`);
      expect(res.status).toBe(200);
      expect(res.body.preview.rows).toHaveLength(2);
      expect((await conforming('get', path, `${IMPORT}/batches/${batchId}/datasets/${datasetId}/preview?format=csv`)).status).toBe(400);
      expect((await conforming('get', path, `${IMPORT}/batches/${'0'.repeat(32)}/datasets/${datasetId}/preview?format=json`)).status).toBe(404);
    });
  });
});
