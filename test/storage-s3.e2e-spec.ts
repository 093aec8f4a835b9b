import type { INestApplicationContext } from '@nestjs/common';
import type { Response } from 'superagent';
import { batchPrefix, datasetPrefix } from '@sx/storage';
import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { CATALOG, DATA_ACCESS, IMPORT, ProfileStoreClient, profile } from './support/profile-store';
import { localKeysUnder } from './support/stored-keys';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

const lines = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
const bytes = (res: Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

/**
 * The uses of dataset storage outside exports (export-lifecycle runs those on S3 too), with the API
 * and a worker on STORAGE_DRIVER=s3 against a real S3-protocol server: small and large uploads,
 * promotion reading them back, Data Access (whole, ranged, failed files), and the removals.
 */
describe('dataset storage on S3: ingestion, large files, Data Access, removal', () => {
  jest.setTimeout(60_000);
  let env: TestEnv;
  let api: ApiHarness;
  let worker: INestApplicationContext;
  let client: TestClient;
  let store: ProfileStoreClient;
  let crm: string;

  beforeAll(async () => {
    env = await createTestEnv('storage_s3', { storage: 's3' });
    const config = env.config({ MAX_UPLOAD_BYTES: String(256 * 1024) });
    api = await ApiHarness.start(config);
    worker = await startWorker(config);
    client = await api.client(ORG_A, ['prod']);
    store = new ProfileStoreClient(api, client);
    crm = await store.createDataset('crm on s3');
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
  });

  const h = () => client.headers();
  const where = (batchId: string, datasetId = crm) => ({ orgId: ORG_A, sandboxName: 'prod', datasetId, batchId });
  const filePath = (batchId: string, name: string) => `${IMPORT}/batches/${batchId}/datasets/${crm}/files/${name}`;
  const download = (url: string, range?: string) => {
    const req = api.http.get(url).set(h());
    if (range) req.set('Range', range);
    return req.buffer(true).parse(bytes);
  };

  it('a large file in chunks (out of order, one sent twice) is stitched in the bucket, promoted, downloaded whole and by range; its chunks are removed', async () => {
    const content = Buffer.from(lines(Array.from({ length: 300 }, (_, i) => profile(`big${i}`, { pad: 'x'.repeat(200) }))));
    const batchId = await store.createBatch(crm);
    await api.http
      .post(`${filePath(batchId, 'big.json')}?action=INITIALIZE`)
      .set(h())
      .expect(201);
    const cuts = [0, 20_000, 45_000, content.length];
    for (const i of [2, 0, 1, 0]) {
      const [start, end] = [cuts[i], cuts[i + 1] - 1];
      await api.http
        .patch(filePath(batchId, 'big.json'))
        .set(h())
        .set('Content-Type', 'application/octet-stream')
        .set('Content-Range', `bytes ${start}-${end}/${content.length}`)
        .send(content.subarray(start, end + 1))
        .expect(200);
    }
    expect((await env.storedKeys(batchPrefix(where(batchId)))).filter((k) => k.includes('/.chunks/'))).toHaveLength(3);
    await api.http
      .post(`${filePath(batchId, 'big.json')}?action=COMPLETE`)
      .set(h())
      .expect(201);
    const keys = await env.storedKeys(batchPrefix(where(batchId)));
    expect(keys).toEqual([expect.stringMatching(/\/\.files\/[0-9a-f]{12}-big\.json$/)]);

    expect(await store.finish(batchId)).toMatchObject({ status: 'success', metrics: { recordsWritten: 300 } });
    const files = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(h()).expect(200);
    const url = `${DATA_ACCESS}/files/${files.body.data[0].dataSetFileId}?path=big.json`;
    expect(((await download(url).expect(200)).body as Buffer).equals(content)).toBe(true);
    const part = await download(url, 'bytes=19990-20009').expect(206);
    expect(part.headers['content-range']).toBe(`bytes 19990-20009/${content.length}`);
    expect((part.body as Buffer).equals(content.subarray(19990, 20010))).toBe(true);
    expect(await localKeysUnder(env.storageRoot, '')).toEqual([]);
  });

  it('an upload over MAX_UPLOAD_BYTES is a 413 and leaves nothing in the bucket', async () => {
    const batchId = await store.createBatch(crm);
    const res = await store.upload(batchId, crm, 'too-big.json', Buffer.alloc(300 * 1024, 0x20)).expect(413);
    expect(res.body.detail).toMatch(/larger than the limit of 262144 bytes/);
    expect(await env.storedKeys(batchPrefix(where(batchId)))).toEqual([]);
  });

  it("a failed batch's files are read back from the bucket (/failed, meta input_files with a Range)", async () => {
    const batchId = await store.createBatch(crm);
    const text = lines([profile('f1'), { identityMap: {} }]);
    await store.upload(batchId, crm, 'bad.json', text).expect(201);
    expect((await store.finish(batchId)).status).toBe('failed');
    const listing = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/failed`).set(h()).expect(200);
    expect(((await download(listing.body.data[0]._links.self.href).expect(200)).body as Buffer).toString()).toBe(text);
    const input = await download(`${DATA_ACCESS}/batches/${batchId}/meta?path=input_files%2Fbad.json`, 'bytes=0-4').expect(206);
    expect((input.body as Buffer).toString()).toBe(text.slice(0, 5));
  });

  it("deleting a dataset removes its objects from the bucket, and no other dataset's", async () => {
    const doomed = await store.createDataset('doomed');
    const { batchId } = await store.ingest(doomed, [profile('d1'), profile('d2')]);
    expect(await env.storedKeys(batchPrefix(where(batchId, doomed)))).toHaveLength(1);
    const before = await env.storedKeys(datasetPrefix(where('', crm)));
    await api.http.delete(`${CATALOG}/dataSets/${doomed}`).set(h()).expect(200);
    expect(await env.storedKeys(datasetPrefix(where('', doomed)))).toEqual([]);
    expect(await env.storedKeys(datasetPrefix(where('', crm)))).toEqual(before);
  });
});
