import type { ApiHarness, TestClient } from './api-harness';

export const CATALOG = '/data/foundation/catalog';
export const IMPORT = '/data/foundation/import';
export const DATA_ACCESS = '/data/foundation/export';

/** Small helpers to drive the profile store's APIs the way a client does. */
export class ProfileStoreClient {
  constructor(
    private readonly api: ApiHarness,
    private readonly client: TestClient,
    private readonly sandbox?: string,
  ) {}

  get headers() {
    return this.client.headers(this.sandbox);
  }

  async createDataset(name: string, schema: 'profile' | 'experienceevent' = 'profile'): Promise<string> {
    const res = await this.api.http
      .post(`${CATALOG}/dataSets`)
      .set(this.headers)
      .send({ name, schemaRef: { id: `https://ns.adobe.com/xdm/context/${schema}`, contentType: 'application/vnd.adobe.xed-full+json;version=1' } })
      .expect(201);
    return (res.body[0] as string).replace('@/dataSets/', '');
  }

  async createBatch(datasetId: string): Promise<string> {
    const res = await this.api.http.post(`${IMPORT}/batches`).set(this.headers).send({ datasetId, inputFormat: { format: 'json' } }).expect(201);
    return res.body.id;
  }

  upload(batchId: string, datasetId: string, fileName: string, body: string | Buffer) {
    return this.api.http
      .put(`${IMPORT}/batches/${batchId}/datasets/${datasetId}/files/${fileName}`)
      .set(this.headers)
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.isBuffer(body) ? body : Buffer.from(body));
  }

  complete(batchId: string) {
    return this.api.http.post(`${IMPORT}/batches/${batchId}?action=COMPLETE`).set(this.headers);
  }

  /** Dataset + batch + one JSON Lines file + COMPLETE; returns ids and the completed batch. */
  async ingest(datasetId: string, records: unknown[], fileName = 'part-0001.json') {
    const batchId = await this.createBatch(datasetId);
    await this.upload(batchId, datasetId, fileName, records.map((r) => JSON.stringify(r)).join('\n') + '\n').expect(200);
    const res = await this.complete(batchId).expect(200);
    return { batchId, batch: res.body };
  }
}

export function profile(id: string, extra: Record<string, unknown> = {}) {
  return { identityMap: { Email: [{ id: `${id}@example.com`, primary: true }] }, person: { name: { firstName: id } }, ...extra };
}
