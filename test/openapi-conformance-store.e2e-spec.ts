import type { INestApplicationContext } from '@nestjs/common';
import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { eventually } from './support/child-process';
import { Call, Conformance, Method } from './support/openapi-conformance';
import { CATALOG, DATA_ACCESS, IMPORT, ProfileStoreClient, profile } from './support/profile-store';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

/**
 * Real answers of the profile store's APIs (Catalog, batch ingestion, Data Access, segment
 * definitions, merge policies), successes and errors alike, checked with ajv against the schemas
 * /docs-json documents for them (the export and segment job ones: openapi.e2e-spec.ts).
 */

const UPS = '/data/core/ups';
const NO_BATCH = 'f'.repeat(32);
const NO_DATASET = 'f'.repeat(24);
const NO_UUID = '54669488-03ab-4e0d-a694-37fe49e32be8';
const lines = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('the profile store answers as its OpenAPI document says (real Postgres, Redis, worker)', () => {
  jest.setTimeout(60_000);
  let env: TestEnv;
  let api: ApiHarness;
  let worker: INestApplicationContext;
  let client: TestClient;
  let store: ProfileStoreClient;
  let check: Conformance;

  beforeAll(async () => {
    env = await createTestEnv('openapi_store');
    api = await ApiHarness.start(env.config());
    worker = await startWorker(env.config());
    client = await api.client(ORG_A, ['prod']);
    store = new ProfileStoreClient(api, client);
    check = await Conformance.load(api);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
  });

  /** Sends with the client's headers; expects the answer to conform and to have this status. */
  const expectAnswer = async (status: number, method: Method, path: string, url: string, call: Omit<Call, 'headers'> = {}) => {
    const res = await check.conforming(method, path, url, { headers: client.headers(), ...call });
    expect([method, url, res.status]).toEqual([method, url, status]);
    return res;
  };

  describe('Catalog datasets', () => {
    const DS = `${CATALOG}/dataSets`;
    const ONE = `${DS}/{id}`;

    it('create, get, list, properties; 400 and 404 bodies', async () => {
      const body = {
        name: 'Loyalty',
        description: 'members',
        schemaRef: { id: 'https://ns.adobe.com/xdm/context/profile', contentType: 'application/vnd.adobe.xed+json;version=1' },
        fileDescription: { persisted: true, containerFormat: 'parquet', format: 'parquet' },
        tags: { unifiedProfile: ['enabled:true'] },
        enableErrorDiagnostics: true,
        observableSchema: { type: 'object' },
        basePath: 'loyalty/',
        dataSourceId: 20984,
      };
      const id = (await expectAnswer(201, 'post', DS, DS, { body })).body[0].slice('@/dataSets/'.length);
      const got = await expectAnswer(200, 'get', ONE, `${DS}/${id}`);
      expect(got.body[id]).toMatchObject({ name: 'Loyalty', tags: body.tags, dataSourceId: 20984 });
      await expectAnswer(200, 'get', ONE, `${DS}/${id}?properties=name,tags`);
      expect(Object.keys((await expectAnswer(200, 'get', DS, `${DS}?limit=2`)).body)).toHaveLength(2);
      await expectAnswer(200, 'get', DS, `${DS}?name=Loyalty&properties=name,created`);
      await expectAnswer(400, 'post', DS, DS, { body: { name: 5 } });
      await expectAnswer(400, 'get', DS, `${DS}?limit=0`);
      await expectAnswer(400, 'get', ONE, `${DS}/not-an-id`);
      await expectAnswer(404, 'get', ONE, `${DS}/${NO_DATASET}`);
    });

    it('patch (merge and JSON Patch), put, delete; 404 and 400 bodies', async () => {
      const id = await store.createDataset('to change');
      await expectAnswer(200, 'patch', ONE, `${DS}/${id}`, { body: { description: 'all members' } });
      await expectAnswer(200, 'patch', ONE, `${DS}/${id}`, { body: [{ op: 'replace', path: '/name', value: 'Loyal' }], contentType: 'application/json-patch+json' });
      await expectAnswer(400, 'patch', ONE, `${DS}/${id}`, { body: [{ op: 'replace', path: '/created', value: 1 }], contentType: 'application/json-patch+json' });
      await expectAnswer(404, 'patch', ONE, `${DS}/${NO_DATASET}`, { body: { description: 'x' } });
      await expectAnswer(200, 'put', ONE, `${DS}/${id}`, { body: { name: 'Replaced', schemaRef: { id: 'https://ns.adobe.com/xdm/context/profile' } } });
      expect((await expectAnswer(200, 'delete', ONE, `${DS}/${id}`)).body).toEqual([`@/dataSets/${id}`]);
      expect((await expectAnswer(200, 'delete', ONE, `${DS}/${id}`)).body).toEqual([]);
    });
  });

  describe('batch ingestion, Catalog batches, Data Access', () => {
    const BATCHES = `${IMPORT}/batches`;
    const ACTION = `${BATCHES}/{batchId}`;
    const FILE = `${BATCHES}/{batchId}/datasets/{datasetId}/files/{fileName}`;
    const CATALOG_BATCH = `${CATALOG}/batches/{id}`;
    let ds: string;
    let done: string;
    let fileId: string;
    beforeAll(async () => {
      ds = await store.createDataset('conformance');
    });
    const fileUrl = (batchId: string, name: string) => `${BATCHES}/${batchId}/datasets/${ds}/files/${name}`;

    it('create (every documented field), small file PUT, COMPLETE; 400, 404 and 409 bodies', async () => {
      const body = {
        datasetId: ds,
        inputFormat: { format: 'JSON', isMultiLineJson: false },
        tags: { source: ['crm'] },
        externalId: 'nightly-1',
        replay: { predecessors: [NO_BATCH], reason: 'replace' },
        enableErrorDiagnostics: true,
      };
      done = (await expectAnswer(201, 'post', BATCHES, BATCHES, { body })).body.id;
      await expectAnswer(400, 'post', BATCHES, BATCHES, { body: { datasetId: ds, inputFormat: { format: 'xml' } } });
      // An unknown dataset is a 400 naming datasetId (AEP documents no 404 for this POST).
      await expectAnswer(400, 'post', BATCHES, BATCHES, { body: { datasetId: NO_DATASET, inputFormat: { format: 'json' } } });
      await expectAnswer(201, 'put', FILE, fileUrl(done, 'part-1.json'), { bytes: Buffer.from(lines([profile('ann'), profile('bob')])) });
      await expectAnswer(200, 'put', FILE, fileUrl(done, 'part-1.json'), { bytes: Buffer.from(lines([profile('ann'), profile('bob')])) });
      await expectAnswer(404, 'put', FILE, `${BATCHES}/${NO_BATCH}/datasets/${ds}/files/x.json`, { bytes: Buffer.from('{}') });
      await expectAnswer(200, 'post', ACTION, `${BATCHES}/${done}?action=COMPLETE`);
      await expectAnswer(400, 'post', ACTION, `${BATCHES}/${done}?action=EXPLODE`);
      await expectAnswer(404, 'post', ACTION, `${BATCHES}/${NO_BATCH}?action=COMPLETE`);
      expect((await store.settled(done)).status).toBe('success');
      await expectAnswer(409, 'put', FILE, fileUrl(done, 'late.json'), { bytes: Buffer.from('{}') });
      await expectAnswer(409, 'post', ACTION, `${BATCHES}/${done}?action=FAIL`);
    });

    it('a large file: INITIALIZE, PATCH, HEAD, COMPLETE; a gap at COMPLETE is a 400', async () => {
      const batchId = await store.createBatch(ds);
      const content = Buffer.from(lines([profile('cy'), profile('di')]));
      const cut = 10;
      await expectAnswer(201, 'post', FILE, `${fileUrl(batchId, 'big.json')}?action=INITIALIZE`);
      await expectAnswer(200, 'patch', FILE, fileUrl(batchId, 'big.json'), { bytes: content.subarray(0, cut), extra: { 'Content-Range': `bytes 0-${cut - 1}` } });
      await expectAnswer(400, 'patch', FILE, fileUrl(batchId, 'big.json'), { bytes: content.subarray(0, cut), extra: { 'Content-Range': 'bytes ten-twenty' } });
      await expectAnswer(400, 'post', FILE, `${fileUrl(batchId, 'big.json')}?action=SPLIT`);
      await expectAnswer(200, 'head', FILE, fileUrl(batchId, 'big.json'));
      await expectAnswer(404, 'head', FILE, fileUrl(batchId, 'none.json'));
      await expectAnswer(200, 'patch', FILE, fileUrl(batchId, 'big.json'), {
        bytes: content.subarray(cut + 1),
        extra: { 'Content-Range': `bytes ${cut + 1}-${content.length - 1}` },
      });
      await expectAnswer(400, 'post', FILE, `${fileUrl(batchId, 'big.json')}?action=COMPLETE`);
      await expectAnswer(200, 'patch', FILE, fileUrl(batchId, 'big.json'), { bytes: content.subarray(cut, cut + 1), extra: { 'Content-Range': `bytes ${cut}-${cut}` } });
      expect((await expectAnswer(201, 'post', FILE, `${fileUrl(batchId, 'big.json')}?action=COMPLETE`)).body).toEqual({ name: 'big.json', sizeInBytes: content.length });
      await expectAnswer(404, 'post', FILE, `${BATCHES}/${NO_BATCH}/datasets/${ds}/files/big.json?action=INITIALIZE`);
      await expectAnswer(200, 'post', ACTION, `${BATCHES}/${batchId}?action=ABORT`);
    });

    it('actions FAIL and REVERT answer the batch; Catalog batch get and list, with 400 and 404', async () => {
      const failed = await store.createBatch(ds);
      expect((await expectAnswer(200, 'post', ACTION, `${BATCHES}/${failed}?action=FAIL`)).body.status).toBe('failed');
      const { batchId: reverted } = await store.ingest(ds, [profile('ed')]);
      expect((await expectAnswer(200, 'post', ACTION, `${BATCHES}/${reverted}?action=REVERT`)).body.status).toBe('inactive');
      await expectAnswer(409, 'post', ACTION, `${BATCHES}/${await store.createBatch(ds)}?action=REVERT`);

      const got = await expectAnswer(200, 'get', CATALOG_BATCH, `${CATALOG}/batches/${done}`);
      expect(got.body[done]).toMatchObject({
        tags: { source: ['crm'] },
        externalId: 'nightly-1',
        inputFormat: { format: 'json' },
        replay: { predecessors: [NO_BATCH], reason: 'replace' },
      });
      expect(Object.keys((await expectAnswer(200, 'get', `${CATALOG}/batches`, `${CATALOG}/batches?dataSet=${ds}`)).body)).toHaveLength(5);
      await expectAnswer(200, 'get', `${CATALOG}/batches`, `${CATALOG}/batches?dataSet=${ds}&properties=status,tags`);
      await expectAnswer(400, 'get', `${CATALOG}/batches`, `${CATALOG}/batches?status=finished`);
      await expectAnswer(400, 'get', CATALOG_BATCH, `${CATALOG}/batches/xyz`);
      await expectAnswer(404, 'get', CATALOG_BATCH, `${CATALOG}/batches/${NO_BATCH}`);
    });

    it('Data Access: batch files, file listing, HEAD, dataset preview; 404 and 400 bodies', async () => {
      const files = await expectAnswer(200, 'get', `${DATA_ACCESS}/batches/{batchId}/files`, `${DATA_ACCESS}/batches/${done}/files`);
      expect(files.body.data[0]).toMatchObject({ created: expect.any(String), size: expect.any(String) });
      await expectAnswer(200, 'get', `${DATA_ACCESS}/batches/{batchId}/files`, `${DATA_ACCESS}/batches/${done}/files?limit=1&start=0`);
      await expectAnswer(404, 'get', `${DATA_ACCESS}/batches/{batchId}/files`, `${DATA_ACCESS}/batches/${NO_BATCH}/files`);
      await expectAnswer(400, 'get', `${DATA_ACCESS}/batches/{batchId}/files`, `${DATA_ACCESS}/batches/${done}/files?limit=0`);
      fileId = files.body.data[0].dataSetFileId;
      const FILES = `${DATA_ACCESS}/files/{fileId}`;
      expect((await expectAnswer(200, 'get', FILES, `${DATA_ACCESS}/files/${fileId}`)).body.data[0]).toMatchObject({ name: 'part-1.json', length: expect.any(String) });
      await expectAnswer(404, 'get', FILES, `${DATA_ACCESS}/files/${fileId}?path=nope.json`);
      await expectAnswer(404, 'get', FILES, `${DATA_ACCESS}/files/${NO_BATCH}-000000000000`);
      await expectAnswer(400, 'get', FILES, `${DATA_ACCESS}/files/nope`);
      await expectAnswer(200, 'head', FILES, `${DATA_ACCESS}/files/${fileId}?path=part-1.json`);
      await expectAnswer(416, 'get', FILES, `${DATA_ACCESS}/files/${fileId}?path=part-1.json`, { extra: { Range: 'bytes=100000-' } });
      const PREVIEW = `${DATA_ACCESS}/datasets/{datasetId}/preview`;
      expect((await expectAnswer(200, 'get', PREVIEW, `${DATA_ACCESS}/datasets/${ds}/preview`)).body.data.length).toBeGreaterThan(0);
      await expectAnswer(404, 'get', PREVIEW, `${DATA_ACCESS}/datasets/${NO_DATASET}/preview`);
    });

    it("an export's output batch: Catalog batch (inputFormat parquet, exportJobId tag) and its Data Access files", async () => {
      const job = await api.http
        .post(`${UPS}/export/jobs`)
        .set(client.headers())
        .send({ schema: { name: '_xdm.context.profile' }, destination: { datasetId: client.datasets.prod } })
        .expect(200);
      let ended: { body: any } = job;
      await eventually(async () => {
        ended = await api.http.get(`${UPS}/export/jobs/${job.body.id}`).set(client.headers()).expect(200);
        return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(ended.body.status);
      }, 30_000);
      expect(ended.body.status).toBe('SUCCEEDED');
      const batchId = ended.body.destination.batchId;
      const got = await expectAnswer(200, 'get', CATALOG_BATCH, `${CATALOG}/batches/${batchId}`);
      expect(got.body[batchId]).toMatchObject({ inputFormat: { format: 'parquet' }, tags: { exportJobId: [String(job.body.id)] }, recordCount: expect.any(Number) });
      const files = await expectAnswer(200, 'get', `${DATA_ACCESS}/batches/{batchId}/files`, `${DATA_ACCESS}/batches/${batchId}/files`);
      expect(files.body.data[0]).toMatchObject({ records: expect.stringMatching(/^\d+$/), size: expect.stringMatching(/^\d+$/) });
      await expectAnswer(200, 'get', `${DATA_ACCESS}/files/{fileId}`, `${DATA_ACCESS}/files/${files.body.data[0].dataSetFileId}`);
    });

    it('Data Access of a failed batch: failed listing, meta listing, row_errors_sample.json', async () => {
      const batchId = await store.createBatch(ds);
      await store.upload(batchId, ds, 'bad.json', 'not json\n').expect(201);
      expect((await store.finish(batchId)).status).toBe('failed');
      const FAILED = `${DATA_ACCESS}/batches/{batchId}/failed`;
      const META = `${DATA_ACCESS}/batches/{batchId}/meta`;
      expect((await expectAnswer(200, 'get', FAILED, `${DATA_ACCESS}/batches/${batchId}/failed`)).body.data).toHaveLength(1);
      await expectAnswer(404, 'get', FAILED, `${DATA_ACCESS}/batches/${NO_BATCH}/failed`);
      await expectAnswer(200, 'get', META, `${DATA_ACCESS}/batches/${batchId}/meta`);
      await expectAnswer(200, 'get', META, `${DATA_ACCESS}/batches/${batchId}/meta?path=row_errors`);
      expect((await expectAnswer(200, 'get', META, `${DATA_ACCESS}/batches/${batchId}/meta?path=row_errors_sample.json`)).body).toHaveLength(1);
      await expectAnswer(404, 'get', META, `${DATA_ACCESS}/batches/${batchId}/meta?path=nothing`);
    });
  });

  describe('segment definitions and merge policies', () => {
    const DEFS = `${UPS}/segment/definitions`;
    const POLICIES = `${UPS}/config/mergePolicies`;

    it('definitions: create, get, list, patch, bulk-get, delete; 400 and 404 bodies', async () => {
      const expression = { type: 'PQL', format: 'pql/text', value: 'homeAddress.country = "US"' };
      const body = {
        name: 'US',
        description: 'in the US',
        expression,
        schema: { name: '_xdm.context.profile' },
        ttlInDays: 30,
        payloadSchema: 'string',
        labels: ['core/C1'],
        lifecycleState: 'published',
      };
      const created = await expectAnswer(200, 'post', DEFS, DEFS, { body });
      await expectAnswer(200, 'post', DEFS, DEFS, { body: { name: 'plain', expression, schema: { name: '_xdm.context.profile' } } });
      const url = `${DEFS}/${created.body.id}`;
      await expectAnswer(200, 'get', `${DEFS}/{id}`, url);
      expect((await expectAnswer(200, 'get', DEFS, `${DEFS}?limit=1`)).body.link.next).toEqual(expect.any(String));
      expect((await expectAnswer(200, 'get', DEFS, `${DEFS}?limit=10`)).body.link).toEqual({});
      await expectAnswer(200, 'patch', `${DEFS}/{id}`, url, { body: { ...created.body, name: 'US people' } });
      const bulk = await expectAnswer(207, 'post', `${DEFS}/bulk-get`, `${DEFS}/bulk-get`, { body: { ids: [{ id: created.body.id }, { id: NO_UUID }] } });
      expect(Object.keys(bulk.body.results)).toContain(created.body.id);
      await expectAnswer(400, 'post', DEFS, DEFS, { body: { ...body, expression: { type: 'PQL', format: 'pql/text', value: 'homeAddress.country = ' } } });
      await expectAnswer(400, 'post', `${DEFS}/bulk-get`, `${DEFS}/bulk-get`, { body: { ids: [] } });
      await expectAnswer(404, 'get', `${DEFS}/{id}`, `${DEFS}/${NO_UUID}`);
      await expectAnswer(404, 'patch', `${DEFS}/{id}`, `${DEFS}/${NO_UUID}`, { body });
      await expectAnswer(200, 'delete', `${DEFS}/{id}`, url);
      await expectAnswer(404, 'delete', `${DEFS}/{id}`, url);
    });

    it('merge policies: create, get, list, patch, put, bulk-get, delete; 400, 404 and 409 bodies', async () => {
      const body = {
        name: 'By dataset',
        identityGraph: { type: 'none' },
        attributeMerge: { type: 'dataSetPrecedence', order: [client.datasets.prod] },
        schema: { name: '_xdm.context.profile' },
        default: false,
      };
      const created = await expectAnswer(200, 'post', POLICIES, POLICIES, { body });
      const url = `${POLICIES}/${created.body.id}`;
      await expectAnswer(200, 'get', `${POLICIES}/{id}`, url);
      await expectAnswer(200, 'get', `${POLICIES}/{id}`, `${POLICIES}/timestampOrdered-none-mp`);
      expect((await expectAnswer(200, 'get', POLICIES, `${POLICIES}?limit=1`)).body._links.next.href).not.toBe('');
      expect((await expectAnswer(200, 'get', POLICIES, `${POLICIES}?limit=10`)).body._links.next.href).toBe('');
      await expectAnswer(200, 'patch', `${POLICIES}/{id}`, url, { body: { op: 'add', path: '/name', value: 'Renamed' } });
      await expectAnswer(200, 'patch', `${POLICIES}/{id}`, url, { body: [{ op: 'add', path: '/identityGraph.type', value: 'pdg' }] });
      await expectAnswer(200, 'put', `${POLICIES}/{id}`, url, { body: { ...body, attributeMerge: { type: 'timestampOrdered' } } });
      await expectAnswer(207, 'post', `${POLICIES}/bulk-get`, `${POLICIES}/bulk-get`, { body: { ids: [{ id: created.body.id }, { id: NO_UUID }] } });
      await expectAnswer(400, 'post', POLICIES, POLICIES, { body: { ...body, identityGraph: { type: 'full' } } });
      await expectAnswer(400, 'patch', `${POLICIES}/{id}`, url, { body: [{ op: 'add', path: '/identityGraph.type', value: 'full' }] });
      await expectAnswer(404, 'get', `${POLICIES}/{id}`, `${POLICIES}/${NO_UUID}`);
      await expectAnswer(409, 'delete', `${POLICIES}/{id}`, `${POLICIES}/timestampOrdered-none-mp`);
      await expectAnswer(200, 'delete', `${POLICIES}/{id}`, url);
      await expectAnswer(404, 'delete', `${POLICIES}/{id}`, url);
    });
  });
});
