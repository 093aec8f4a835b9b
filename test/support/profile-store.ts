import type { ApiHarness, TestClient } from './api-harness';

export const CATALOG = '/data/foundation/catalog';
export const IMPORT = '/data/foundation/import';
export const DATA_ACCESS = '/data/foundation/export';

/** Statuses of a batch that a worker has still to end. */
const PENDING = new Set(['staging', 'processing']);

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
    const res = await this.api.http
      .post(`${IMPORT}/batches`)
      .set(this.headers)
      .send({ datasetId, inputFormat: { format: 'json' } })
      .expect(201);
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

  /** The batch as Catalog shows it. */
  async batch(batchId: string): Promise<Record<string, any>> {
    const res = await this.api.http.get(`${CATALOG}/batches/${batchId}`).set(this.headers).expect(200);
    return res.body[batchId];
  }

  /** Waits until a worker has promoted (or failed) the batch; its final Catalog view. */
  async settled(batchId: string, timeoutMs = 30_000): Promise<Record<string, any>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const batch = await this.batch(batchId);
      if (!PENDING.has(batch.status)) return batch;
      if (Date.now() > deadline) throw new Error(`batch ${batchId} still ${batch.status} after ${timeoutMs} ms (is a worker running?)`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * COMPLETE (answered at once, the batch staging), then the batch once a worker has ended it. The
   * answer may already show it ended: COMPLETE commits the batch's outbox marker before it reads
   * the batch for its answer, and a reconciler tick can enqueue a small batch and a worker promote
   * it in between (seen once in CI with two workers and a 1 s reconcile interval). Never loading.
   */
  async finish(batchId: string): Promise<Record<string, any>> {
    const res = await this.complete(batchId).expect(200);
    if (res.body.status === 'loading') throw new Error(`COMPLETE answered a batch that is still loading`);
    return this.settled(batchId);
  }

  /** Dataset + batch + one JSON Lines file + COMPLETE; returns ids and the batch once promoted. */
  async ingest(datasetId: string, records: unknown[], fileName = 'part-0001.json') {
    const batchId = await this.createBatch(datasetId);
    await this.upload(batchId, datasetId, fileName, records.map((r) => JSON.stringify(r)).join('\n') + '\n').expect(201);
    return { batchId, batch: await this.finish(batchId) };
  }
}

export function profile(id: string, extra: Record<string, unknown> = {}) {
  return { identityMap: { Email: [{ id: `${id}@example.com`, primary: true }] }, person: { name: { firstName: id } }, ...extra };
}
