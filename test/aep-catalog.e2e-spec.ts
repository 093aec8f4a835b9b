import type { INestApplicationContext } from '@nestjs/common';
import { ApiHarness, ORG_A, ORG_B, TestClient } from './support/api-harness';
import { eventually } from './support/child-process';
import { CATALOG, DATA_ACCESS, IMPORT, ProfileStoreClient, profile } from './support/profile-store';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

const JOBS = '/data/core/ups/export/jobs';
const UNION = 'https://ns.adobe.com/xdm/context/profile__union';

/** AEP's documented dataset POST (Catalog "Create a dataset"), field for field. */
const AEP_DATASET = {
  name: 'Loyalty Members',
  description: 'This dataset contains the loyalty members.',
  schemaRef: { id: 'https://ns.adobe.com/xdm/context/profile', contentType: 'application/vnd.adobe.xed+json;version=1' },
  fileDescription: { persisted: true, containerFormat: 'parquet', format: 'parquet' },
  tags: { unifiedProfile: ['enabled:true'], unifiedIdentity: ['enabled:true'] },
};

type Obj = Record<string, any>;

/** Catalog's envelope: an object keyed by object id, nothing else (no array, no paging). */
function expectCatalogMap(body: unknown, idLength: 24 | 32): Record<string, Obj> {
  expect(typeof body).toBe('object');
  expect(Array.isArray(body)).toBe(false);
  for (const id of Object.keys(body as object)) expect(id).toMatch(new RegExp(`^[0-9a-f]{${idLength}}$`));
  return body as Record<string, Obj>;
}

describe('AEP Catalog compatibility: documented bodies and query strings (real Postgres, Redis, worker)', () => {
  jest.setTimeout(60_000);
  let env: TestEnv;
  let api: ApiHarness;
  let worker: INestApplicationContext;
  let client: TestClient;
  let other: TestClient;
  let store: ProfileStoreClient;

  beforeAll(async () => {
    env = await createTestEnv('aep_catalog');
    api = await ApiHarness.start(env.config());
    worker = await startWorker(env.config());
    client = await api.client(ORG_A, ['prod', 'lists', 'many', 'batches']);
    other = await api.client(ORG_B, ['lists']);
    store = new ProfileStoreClient(api, client);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
  });

  const h = (sandbox = 'prod') => client.headers(sandbox);
  const create = async (body: Obj, sandbox = 'prod') => {
    const res = await api.http.post(`${CATALOG}/dataSets`).set(h(sandbox)).send(body).expect(201);
    expect(res.body).toEqual([expect.stringMatching(/^@\/dataSets\/[0-9a-f]{24}$/)]);
    return (res.body[0] as string).slice('@/dataSets/'.length);
  };
  const getDataset = async (id: string, sandbox = 'prod') => (await api.http.get(`${CATALOG}/dataSets/${id}`).set(h(sandbox)).expect(200)).body[id] as Obj;
  const listIds = async (path: string, sandbox: string, idLength: 24 | 32 = 24) =>
    Object.keys(expectCatalogMap((await api.http.get(path).set(h(sandbox)).expect(200)).body, idLength));
  const expect400 = async (path: string, field: string, sandbox = 'prod') => {
    const res = await api.http.get(path).set(h(sandbox)).expect(400);
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
  };

  describe('POST /dataSets', () => {
    it("accepts AEP's documented example and echoes what it stores, with AEP's field types", async () => {
      const id = await create(AEP_DATASET);
      const ds = await getDataset(id);
      expect(ds).toMatchObject({
        name: AEP_DATASET.name,
        description: AEP_DATASET.description,
        imsOrg: ORG_A,
        version: '1.0.0',
        tags: AEP_DATASET.tags,
        fileDescription: AEP_DATASET.fileDescription,
        schemaRef: AEP_DATASET.schemaRef,
        schema: '@/xdms/context/profile',
        createdClient: client.clientId,
      });
      expect(Number.isInteger(ds.created)).toBe(true);
      expect(Number.isInteger(ds.updated)).toBe(true);
      expect(Math.abs(ds.created - Date.now())).toBeLessThan(60_000);
    });

    it('accepts every other documented field (enableErrorDiagnostics, observableSchema, basePath, dataSourceId, legacy schema) and ?requestDataSource=true', async () => {
      const body = {
        name: 'All fields',
        schemaRef: { id: '_xdm.context.experienceevent' },
        enableErrorDiagnostics: true,
        observableSchema: { type: 'object', properties: { a: { type: 'string' } } },
        basePath: 's3://bucket/path',
        dataSourceId: 20984,
        schema: '@/xdms/context/experienceevent',
        fileDescription: {
          persisted: true,
          containerFormat: 'parquet',
          format: 'JSON',
          delimiters: [','],
          quotes: ['"'],
          escapes: ['\\'],
          nullMarkers: [''],
          header: true,
          charset: 'UTF-8',
        },
      };
      const res = await api.http.post(`${CATALOG}/dataSets?requestDataSource=true`).set(h()).send(body).expect(201);
      const id = (res.body[0] as string).slice('@/dataSets/'.length);
      const ds = await getDataset(id);
      expect(ds).toMatchObject({
        enableErrorDiagnostics: true,
        observableSchema: body.observableSchema,
        basePath: body.basePath,
        dataSourceId: 20984,
        fileDescription: body.fileDescription,
        tags: {},
      });
      expect(ds.schema).toBe('@/xdms/context/experienceevent');
      expect(Object.keys(ds.observableSchema)).toEqual(['type', 'properties']); // key order kept
    });

    it.each([
      [{ ...AEP_DATASET, owner: 'me' }, 'owner'],
      [{ ...AEP_DATASET, fileDescription: { format: 'parquet', compression: 'snappy' } }, 'fileDescription.compression'],
      [{ ...AEP_DATASET, fileDescription: { format: 'xml' } }, 'fileDescription.format'],
      [{ ...AEP_DATASET, tags: { unifiedProfile: 'enabled:true' } }, 'tags'],
      [{ ...AEP_DATASET, enableErrorDiagnostics: 'yes' }, 'enableErrorDiagnostics'],
      [{ ...AEP_DATASET, dataSourceId: '12' }, 'dataSourceId'],
      [{ ...AEP_DATASET, observableSchema: [1] }, 'observableSchema'],
    ])('400 naming the field for %j', async (body, field) => {
      const res = await api.http.post(`${CATALOG}/dataSets`).set(h()).send(body).expect(400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
    });

    it('400 for ?requestDataSource=maybe', async () => {
      const res = await api.http.post(`${CATALOG}/dataSets?requestDataSource=maybe`).set(h()).send(AEP_DATASET).expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ path: 'requestDataSource' })]);
    });

    it('GET /dataSets/{id}?properties= answers only those fields', async () => {
      const id = await create(AEP_DATASET);
      const res = await api.http.get(`${CATALOG}/dataSets/${id}?properties=name,tags,files`).set(h()).expect(200);
      expect(res.body).toEqual({ [id]: { name: AEP_DATASET.name, tags: AEP_DATASET.tags } });
    });
  });

  describe('the profile union schema', () => {
    it.each(['_xdm.context.profile__union', UNION])('a dataset can be made with schemaRef %s', async (ref) => {
      const id = await create({ name: 'Export target', schemaRef: { id: ref, contentType: 'application/vnd.adobe.xed+json;version=1' } });
      expect(await getDataset(id)).toMatchObject({ schemaRef: { id: UNION }, schema: '@/xdms/context/profile__union' });
    });

    it('an export job (schema _xdm.context.profile, as AEP documents it) writes into a profile__union dataset', async () => {
      const crm = await store.createDataset('crm for union');
      await store.ingest(crm, [profile('ann'), profile('bob')]);
      const target = await create({ name: 'Union export target', schemaRef: { id: UNION, contentType: 'application/vnd.adobe.xed+json;version=1' } });
      const created = await api.http
        .post(JOBS)
        .set(h())
        .send({ fields: 'identities.id,person.name', schema: { name: '_xdm.context.profile' }, destination: { datasetId: target, segmentPerBatch: false } })
        .expect(200);
      let job: Obj = created.body;
      await eventually(async () => {
        job = (await api.http.get(`${JOBS}/${created.body.id}`).set(h()).expect(200)).body;
        return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status);
      }, 30_000);
      expect(job.status).toBe('SUCCEEDED');
      const batches = expectCatalogMap((await api.http.get(`${CATALOG}/batches?dataSet=${target}`).set(h()).expect(200)).body, 32);
      expect(Object.keys(batches)).toEqual([job.destination.batchId]);
      expect(batches[job.destination.batchId]).toMatchObject({ status: 'success', relatedObjects: [{ type: 'dataSet', id: target }], tags: { exportJobId: [String(job.id)] } });
    });
  });

  describe('GET /dataSets query parameters', () => {
    const ids: Record<string, string> = {};
    const times: Record<string, number> = {};
    beforeAll(async () => {
      for (const [name, extra] of [
        ['alpha one', { description: 'first', tags: { unifiedProfile: ['enabled:true'] } }],
        ['alpha two', { tags: { unifiedProfile: ['enabled:false'], team: ['crm'] } }],
        ['beta', { description: 'third', enableErrorDiagnostics: true }],
        ['star*name', {}],
      ] as const) {
        ids[name] = await create({ name, schemaRef: { id: '_xdm.context.profile' }, ...extra }, 'lists');
        times[name] = (await getDataset(ids[name], 'lists')).created;
        await new Promise((r) => setTimeout(r, 5)); // distinct created times
      }
      // The other org has a dataset of the same name in a sandbox of the same name: never listed.
      await api.http
        .post(`${CATALOG}/dataSets`)
        .set(other.headers('lists'))
        .send({ name: 'alpha one', schemaRef: { id: '_xdm.context.profile' } })
        .expect(201);
    });
    const mine = (names: string[]) => names.map((n) => ids[n]).sort();
    const q = async (query: string) => (await listIds(`${CATALOG}/dataSets?${query}`, 'lists')).filter((id) => Object.values(ids).includes(id)).sort();

    it('limit: 20 without it, 1..100, 400 for 0, 101 and text', async () => {
      for (let i = 0; i < 22; i++) await create({ name: `bulk ${i}`, schemaRef: { id: '_xdm.context.profile' } }, 'many');
      expect(await listIds(`${CATALOG}/dataSets`, 'many')).toHaveLength(20);
      expect(await listIds(`${CATALOG}/dataSets?limit=3`, 'many')).toHaveLength(3);
      expect(await listIds(`${CATALOG}/dataSets?limit=100`, 'many')).toHaveLength(23); // + the harness's own dataset
      expect(await listIds(`${CATALOG}/dataSets?limit=100&properties=name,observableSchema`, 'many')).toHaveLength(20);
      for (const v of ['0', '101', 'ten']) await expect400(`${CATALOG}/dataSets?limit=${v}`, 'limit', 'many');
    });

    it('start pages in the order', async () => {
      const all = await listIds(`${CATALOG}/dataSets?orderBy=asc:created&limit=100`, 'lists');
      expect(await listIds(`${CATALOG}/dataSets?orderBy=asc:created&start=1&limit=2`, 'lists')).toEqual(all.slice(1, 3));
    });

    it('orderBy: desc:created, asc:name, several terms, the old name sort; 400 for a bad one', async () => {
      const names = ['alpha one', 'alpha two', 'beta', 'star*name'];
      const desc = (await listIds(`${CATALOG}/dataSets?orderBy=desc:created&limit=100`, 'lists')).filter((id) => Object.values(ids).includes(id));
      expect(desc).toEqual(names.map((n) => ids[n]).reverse());
      const byName = (await listIds(`${CATALOG}/dataSets?orderBy=asc:name&limit=100`, 'lists')).filter((id) => Object.values(ids).includes(id));
      expect(byName).toEqual(names.map((n) => ids[n]));
      const both = (await listIds(`${CATALOG}/dataSets?orderBy=name,desc:updated&limit=100`, 'lists')).filter((id) => Object.values(ids).includes(id));
      expect(both).toEqual(byName);
      const sorted = (await listIds(`${CATALOG}/dataSets?sort=desc:name&limit=100`, 'lists')).filter((id) => Object.values(ids).includes(id));
      expect(sorted).toEqual([...byName].reverse());
      await expect400(`${CATALOG}/dataSets?orderBy=sideways:name`, 'orderBy');
      await expect400(`${CATALOG}/dataSets?orderBy=desc:tags`, 'orderBy');
    });

    it('properties: only those top-level fields; {} for objects without them', async () => {
      const res = await api.http.get(`${CATALOG}/dataSets?properties=name,description&name=alpha one,beta`).set(h('lists')).expect(200);
      expect(res.body).toEqual({ [ids['alpha one']]: { name: 'alpha one', description: 'first' }, [ids.beta]: { name: 'beta', description: 'third' } });
      const files = await api.http.get(`${CATALOG}/dataSets?properties=files&name=beta`).set(h('lists')).expect(200);
      expect(files.body).toEqual({ [ids.beta]: {} });
      await expect400(`${CATALOG}/dataSets?properties=name,,x`, 'properties');
    });

    it('simple filters: name=x, name=a,b, name=!x, * wildcard, ** a literal asterisk', async () => {
      expect(await q('name=beta')).toEqual(mine(['beta']));
      expect(await q('name=alpha one,beta')).toEqual(mine(['alpha one', 'beta']));
      expect(await q('name=!beta')).toEqual(mine(['alpha one', 'alpha two', 'star*name']));
      expect(await q('name=!alpha one,beta')).toEqual(mine(['alpha two', 'star*name']));
      expect(await q('name=alpha*')).toEqual(mine(['alpha one', 'alpha two']));
      expect(await q('name=star**name')).toEqual(mine(['star*name']));
      expect(await q('description=first')).toEqual(mine(['alpha one']));
      expect(await q('enableErrorDiagnostics=true')).toEqual(mine(['beta']));
      expect(await q('version=1.0.0')).toHaveLength(4);
      await expect400(`${CATALOG}/dataSets?enableErrorDiagnostics=yes`, 'enableErrorDiagnostics');
      await expect400(`${CATALOG}/dataSets?created=yesterday`, 'created');
    });

    it('property= with each operator', async () => {
      expect(await q('property=name~^alpha')).toEqual(mine(['alpha one', 'alpha two']));
      expect(await q('property=name==beta')).toEqual(mine(['beta']));
      expect(await q('property=name!=beta')).toEqual(mine(['alpha one', 'alpha two', 'star*name']));
      expect(await q('property=description')).toEqual(mine(['alpha one', 'beta']));
      expect(await q('property=!description')).toEqual(mine(['alpha two', 'star*name']));
      expect(await q('property=version>1.0.3')).toEqual([]);
      expect(await q('property=version<1.0.3')).toHaveLength(4);
      expect(await q(`property=created>=${times.beta}`)).toEqual(mine(['beta', 'star*name']));
      expect(await q(`property=created<${times.beta}`)).toEqual(mine(['alpha one', 'alpha two']));
      expect(await q(`property=created<=${times['alpha one']}`)).toEqual(mine(['alpha one']));
      expect(await q(`property=created>${times['star*name']}`)).toEqual([]);
      expect(await q('property=name~^alpha&property=description')).toEqual(mine(['alpha one'])); // repeated: AND
      expect(await q('property=viewId')).toEqual([]); // documented, never set here
      await expect400(`${CATALOG}/dataSets?property=${encodeURIComponent('name~(')}`, 'property');
      await expect400(`${CATALOG}/dataSets?property=created>soon`, 'property');
      await expect400(`${CATALOG}/dataSets?property=name=x`, 'property');
    });

    it('createdAfter / createdBefore (epoch ms, exclusive)', async () => {
      expect(await q(`createdAfter=${times['alpha two']}`)).toEqual(mine(['beta', 'star*name']));
      expect(await q(`createdBefore=${times['alpha two']}`)).toEqual(mine(['alpha one']));
      expect(await q(`createdAfter=${times['alpha one']}&createdBefore=${times.beta}`)).toEqual(mine(['alpha two']));
      await expect400(`${CATALOG}/dataSets?createdAfter=2019-06-06`, 'createdAfter');
    });

    it('tags=k:v (the value after the first colon), k:*, wildcards, AND across tags', async () => {
      expect(await q('tags=unifiedProfile:enabled:true')).toEqual(mine(['alpha one']));
      expect(await q('tags=unifiedProfile:*')).toEqual(mine(['alpha one', 'alpha two']));
      expect(await q('tags=unifiedProfile:enabled:*')).toEqual(mine(['alpha one', 'alpha two']));
      expect(await q('tags=unifiedProfile:*,team:crm')).toEqual(mine(['alpha two']));
      expect(await q('tags=nosuch:*')).toEqual([]);
    });

    it('only the caller’s org and sandbox; undocumented parameters stay 400', async () => {
      const theirs = await api.http.get(`${CATALOG}/dataSets?name=alpha one`).set(other.headers('lists')).expect(200);
      expect(Object.keys(theirs.body)).toHaveLength(1);
      expect(Object.keys(theirs.body)).not.toContain(ids['alpha one']);
      await expect400(`${CATALOG}/dataSets?bogus=1`, 'bogus');
    });
  });

  describe('GET /batches query parameters', () => {
    let ds: string;
    let done: string;
    let open: string;
    let doneCreated: number;
    beforeAll(async () => {
      const s = new ProfileStoreClient(api, client, 'batches');
      ds = await s.createDataset('batches');
      ({ batchId: done } = await s.ingest(ds, [profile('cat'), profile('dan')]));
      doneCreated = (await s.batch(done)).created;
      await new Promise((r) => setTimeout(r, 5));
      open = await s.createBatch(ds);
    });
    const q = async (query: string) => (await listIds(`${CATALOG}/batches?${query}`, 'batches', 32)).sort();

    it('batches have the Catalog envelope and field types', async () => {
      const res = await api.http.get(`${CATALOG}/batches?dataSet=${ds}`).set(h('batches')).expect(200);
      const batches = expectCatalogMap(res.body, 32);
      expect(Object.keys(batches).sort()).toEqual([done, open].sort());
      expect(batches[done]).toMatchObject({ status: 'success', relatedObjects: [{ type: 'dataSet', id: ds }], version: '1.0.0' });
      for (const f of ['created', 'updated', 'completed']) expect(Number.isInteger(batches[done][f])).toBe(true);
    });

    it('dataSet, status (with AEP aliases), batch, createdAfter, orderBy, properties, property=', async () => {
      expect(await q(`dataSet=${ds}&status=loading`)).toEqual([open]);
      expect(await q(`dataSet=${ds}&status=success`)).toEqual([done]);
      expect(await q(`dataSet=${ds}&status=active`)).toEqual([done]);
      expect(await q(`dataSet=${ds}&status=!loading`)).toEqual([done]);
      expect(await q(`batch=${done}`)).toEqual([done]);
      expect(await q(`dataSet=${ds}&createdAfter=${doneCreated}`)).toEqual([open]);
      expect(await q(`dataSet=${ds}&createdBefore=${doneCreated + 1}`)).toEqual([done]);
      expect(await q(`dataSet=${ds}&property=recordCount>0`)).toEqual([done]);
      expect(await q(`dataSet=${ds}&recordCount=2`)).toEqual([done]);
      expect(await q(`dataSet=${ds}&property=completed`)).toEqual([done]);
      expect(await q(`dataSet=${ds}&endAfter=${doneCreated - 1}`)).toEqual([done]);
      expect(await q(`dataSet=${ds}&externalId=x`)).toEqual([]);
      expect(await listIds(`${CATALOG}/batches?dataSet=${ds}&orderBy=asc:created`, 'batches', 32)).toEqual([done, open]);
      expect(await listIds(`${CATALOG}/batches?dataSet=${ds}&orderBy=desc:created`, 'batches', 32)).toEqual([open, done]);
      const props = await api.http.get(`${CATALOG}/batches?dataSet=${ds}&properties=status,recordCount`).set(h('batches')).expect(200);
      expect(props.body).toEqual({ [done]: { status: 'success', recordCount: 2 }, [open]: { status: 'loading', recordCount: 0 } });
    });

    it('show what the import POST sent (tags, externalId, inputFormat, replay) and filter on externalId and tags', async () => {
      const s = new ProfileStoreClient(api, client, 'batches');
      const ds2 = await s.createDataset('imports');
      const post = async (body: Obj) =>
        (
          await api.http
            .post(`${IMPORT}/batches`)
            .set(h('batches'))
            .send({ datasetId: ds2, ...body })
            .expect(201)
        ).body.id as string;
      const sent = {
        inputFormat: { format: 'JSON', isMultiLineJson: true },
        tags: { source: ['crm'], owner: ['team-a', 'team-b'] },
        externalId: 'nightly-2024-07-01',
        replay: { predecessors: [done], reason: 'replace' },
      };
      const crm = await post(sent);
      const web = await post({ inputFormat: { format: 'json' }, tags: { source: ['web'] }, externalId: 'nightly-2024-07-02' });
      const bare = await post({ inputFormat: { format: 'json' } });
      const shown = { ...sent, inputFormat: { format: 'json', isMultiLineJson: true } };
      expect((await s.batch(crm)) as Obj).toMatchObject(shown);
      const listed = (await api.http.get(`${CATALOG}/batches?dataSet=${ds2}`).set(h('batches')).expect(200)).body;
      expect(listed[crm]).toMatchObject(shown);
      expect(listed[bare]).toMatchObject({ tags: {}, inputFormat: { format: 'json' } });
      expect(listed[bare]).not.toHaveProperty('externalId');
      expect(listed[bare]).not.toHaveProperty('replay');
      const props = await api.http.get(`${CATALOG}/batches/${crm}`).set(h('batches')).expect(200);
      expect(props.body[crm]).toMatchObject({ externalId: sent.externalId, recordCount: 0, failedRecordCount: 0 });
      const only = await api.http.get(`${CATALOG}/batches?batch=${crm}&properties=externalId,tags,replay`).set(h('batches')).expect(200);
      expect(only.body).toEqual({ [crm]: { tags: sent.tags, externalId: sent.externalId, replay: sent.replay } });

      const in2 = async (query: string) => q(`dataSet=${ds2}&${query}`);
      expect(await in2('externalId=nightly-2024-07-01')).toEqual([crm]);
      expect(await in2('externalId=nightly-*')).toEqual([crm, web].sort());
      expect(await in2('externalId=nightly-2024-07-01,nightly-2024-07-02')).toEqual([crm, web].sort());
      expect(await in2('externalId=!nightly-2024-07-01')).toEqual([web, bare].sort());
      expect(await in2('property=externalId')).toEqual([crm, web].sort());
      expect(await in2('property=!externalId')).toEqual([bare]);
      expect(await in2('property=externalId~07-02$')).toEqual([web]);
      expect(await in2('property=replay')).toEqual([crm]);
      expect(await in2('tags=source:crm')).toEqual([crm]);
      expect(await in2('tags=source:*')).toEqual([crm, web].sort());
      expect(await in2('tags=source')).toEqual([crm, web].sort());
      expect(await in2('tags=source:w*')).toEqual([web]);
      expect(await in2('tags=owner:team-*')).toEqual([crm]);
      expect(await in2('tags=source:*,owner:team-b')).toEqual([crm]);
      expect(await in2('tags=source:web,owner:*')).toEqual([]);
      expect(await in2('tags=nosuch:*')).toEqual([]);
      expect(await in2('tags=source:crm&externalId=nightly-2024-07-02')).toEqual([]);
      // Another sandbox's filter never sees them.
      expect(await listIds(`${CATALOG}/batches?tags=source:crm`, 'lists', 32)).not.toContain(crm);
    });

    it('400 naming the parameter for bad values', async () => {
      await expect400(`${CATALOG}/batches?dataSet=nothex`, 'dataSet', 'batches');
      await expect400(`${CATALOG}/batches?status=finished`, 'status', 'batches');
      await expect400(`${CATALOG}/batches?createdAfter=yesterday`, 'createdAfter', 'batches');
      await expect400(`${CATALOG}/batches?limit=0`, 'limit', 'batches');
      await expect400(`${CATALOG}/batches?orderBy=desc:relatedObjects`, 'orderBy', 'batches');
      await expect400(`${CATALOG}/batches?property=recordCount>many`, 'property', 'batches');
      await expect400(`${CATALOG}/batches?name=x`, 'name', 'batches'); // not documented for batches
    });
  });

  describe('PATCH and PUT /dataSets/{id}', () => {
    it('application/json: the fields given replace, the others stay; null removes; 200 ["@/dataSets/{id}"]', async () => {
      const id = await create(AEP_DATASET);
      const before = await getDataset(id);
      await new Promise((r) => setTimeout(r, 5));
      const res = await api.http
        .patch(`${CATALOG}/dataSets/${id}`)
        .set(h())
        .send({ name: 'Renamed', tags: { team: ['crm'] } })
        .expect(200);
      expect(res.body).toEqual([`@/dataSets/${id}`]);
      const after = await getDataset(id);
      expect(after).toMatchObject({
        name: 'Renamed',
        description: AEP_DATASET.description,
        tags: { team: ['crm'] },
        fileDescription: AEP_DATASET.fileDescription,
        created: before.created,
      });
      expect(after.updated).toBeGreaterThan(before.updated);
      await api.http.patch(`${CATALOG}/dataSets/${id}`).set(h()).send({ description: null }).expect(200);
      expect(await getDataset(id)).not.toHaveProperty('description');
    });

    it("application/json-patch+json: AEP's enable-for-Profile example", async () => {
      const id = await create({ name: 'to enable', schemaRef: { id: '_xdm.context.profile' } });
      const res = await api.http
        .patch(`${CATALOG}/dataSets/${id}`)
        .set(h())
        .set('Content-Type', 'application/json-patch+json')
        .send(JSON.stringify([{ op: 'add', path: '/tags/unifiedProfile', value: ['enabled:true'] }]))
        .expect(200);
      expect(res.body).toEqual([`@/dataSets/${id}`]);
      expect((await getDataset(id)).tags).toEqual({ unifiedProfile: ['enabled:true'] });
      await api.http
        .patch(`${CATALOG}/dataSets/${id}`)
        .set(h())
        .set('Content-Type', 'application/json-patch+json')
        .send(
          JSON.stringify([
            { op: 'replace', path: '/name', value: 'enabled' },
            { op: 'remove', path: '/tags/unifiedProfile' },
          ]),
        )
        .expect(200);
      expect(await getDataset(id)).toMatchObject({ name: 'enabled', tags: {} });
    });

    it('a GET body PATCHed back is accepted (read-only fields ignored)', async () => {
      const id = await create(AEP_DATASET);
      const got = await getDataset(id);
      await api.http
        .patch(`${CATALOG}/dataSets/${id}`)
        .set(h())
        .send({ ...got, name: 'round trip' })
        .expect(200);
      expect(await getDataset(id)).toMatchObject({ name: 'round trip', created: got.created, imsOrg: ORG_A });
    });

    it.each([
      ['application/json', { schemaRef: { id: '_xdm.context.experienceevent' } }, 'schemaRef.id'],
      ['application/json', { name: null }, 'name'],
      ['application/json', { bogus: 1 }, 'bogus'],
      ['application/json', { tags: ['x'] }, 'tags'],
      ['application/json-patch+json', [{ op: 'replace', path: '/created', value: 1 }], '[0].path'],
      ['application/json-patch+json', [{ op: 'add', path: '/bogus', value: 1 }], 'bogus'],
      ['application/json-patch+json', [{ op: 'remove', path: '/name' }], 'name'],
      ['application/json-patch+json', [{ op: 'explode', path: '/name' }], '[0].op'],
    ])('%s %j: 400 naming %s, nothing changed', async (type, body, field) => {
      const id = await create(AEP_DATASET);
      const res = await api.http.patch(`${CATALOG}/dataSets/${id}`).set(h()).set('Content-Type', type).send(JSON.stringify(body)).expect(400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
      expect((await getDataset(id)).name).toBe(AEP_DATASET.name);
    });

    it('404 for an unknown dataset, 400 for a malformed id', async () => {
      await api.http
        .patch(`${CATALOG}/dataSets/${'0'.repeat(24)}`)
        .set(h())
        .send({ name: 'x' })
        .expect(404);
      await api.http.patch(`${CATALOG}/dataSets/nothex`).set(h()).send({ name: 'x' }).expect(400);
      await api.http
        .put(`${CATALOG}/dataSets/${'0'.repeat(24)}`)
        .set(h())
        .send(AEP_DATASET)
        .expect(404);
    });

    it('PUT replaces the whole object: what is left out is removed, the schema stays', async () => {
      const id = await create(AEP_DATASET);
      const res = await api.http
        .put(`${CATALOG}/dataSets/${id}`)
        .set(h())
        .send({ name: 'replaced', schemaRef: { id: 'https://ns.adobe.com/xdm/context/profile' } })
        .expect(200);
      expect(res.body).toEqual([`@/dataSets/${id}`]);
      const ds = await getDataset(id);
      expect(ds).toMatchObject({ name: 'replaced', tags: {} });
      expect(ds).not.toHaveProperty('description');
      expect(ds).not.toHaveProperty('fileDescription');
      await api.http
        .put(`${CATALOG}/dataSets/${id}`)
        .set(h())
        .send({ name: 'x', schemaRef: { id: UNION } })
        .expect(400);
    });
  });

  describe('DELETE /dataSets/{id}', () => {
    const count = async (table: string, where: string, params: unknown[]) =>
      (await env.db.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params)).rows[0].n as number;

    it('deletes the dataset, its batches, their files and its profile data; 200 ["@/dataSets/{id}"], then [] (as AEP)', async () => {
      const id = await store.createDataset('to delete');
      const { batchId } = await store.ingest(id, [profile('eve')]);
      const files = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(h()).expect(200);
      const fileHref = files.body.data[0]._links.self.href as string;
      expect(await count('profile_fragments', 'batch_id = $1', [batchId])).toBe(1);
      const res = await api.http.delete(`${CATALOG}/dataSets/${id}`).set(h()).expect(200);
      expect(res.body).toEqual([`@/dataSets/${id}`]);
      await api.http.get(`${CATALOG}/dataSets/${id}`).set(h()).expect(404);
      await api.http.get(`${CATALOG}/batches/${batchId}`).set(h()).expect(404);
      await api.http
        .get(fileHref.replace(/^https?:\/\/[^/]+/, ''))
        .set(h())
        .expect(404);
      expect(await count('profile_fragments', 'batch_id = $1', [batchId])).toBe(0);
      expect(await count('batch_files', 'batch_id = $1', [batchId])).toBe(0);
      expect((await api.http.delete(`${CATALOG}/dataSets/${id}`).set(h()).expect(200)).body).toEqual([]);
    });

    it('a loading batch goes with its dataset', async () => {
      const id = await store.createDataset('with open batch');
      const batchId = await store.createBatch(id);
      await api.http.delete(`${CATALOG}/dataSets/${id}`).set(h()).expect(200);
      await api.http.get(`${CATALOG}/batches/${batchId}`).set(h()).expect(404);
    });

    it('409 while a batch is being processed or an export job writes into it; deletable once they end', async () => {
      const id = await store.createDataset('busy');
      const batchId = await store.createBatch(id);
      // A worker promoting it: arranged in SQL (the API reaches this state only for an instant).
      await env.db.query(`UPDATE batches SET status = 'processing' WHERE id = $1`, [batchId]);
      const busy = await api.http.delete(`${CATALOG}/dataSets/${id}`).set(h()).expect(409);
      expect(JSON.stringify(busy.body)).toContain(batchId);
      await env.db.query(`UPDATE batches SET status = 'failed' WHERE id = $1`, [batchId]);
      const job = await env.db.query(
        `INSERT INTO export_jobs (org_id, sandbox_name, client_id, status, schema_name, destination, request_id)
         VALUES ($1, 'prod', $2, 'PROCESSING', '_xdm.context.profile', $3::json, 'r') RETURNING id`,
        [ORG_A, client.clientId, JSON.stringify({ datasetId: id, segmentPerBatch: false })],
      );
      await api.http.delete(`${CATALOG}/dataSets/${id}`).set(h()).expect(409);
      await env.db.query(`UPDATE export_jobs SET status = 'SUCCEEDED' WHERE id = $1`, [job.rows[0].id]);
      await api.http.delete(`${CATALOG}/dataSets/${id}`).set(h()).expect(200);
      expect(await count('datasets', 'id = $1', [id])).toBe(0);
    });

    it("another tenant's dataset is not theirs to delete; bad ids are 400", async () => {
      const id = await create(AEP_DATASET);
      expect((await api.http.delete(`${CATALOG}/dataSets/${id}`).set(other.headers('lists')).expect(200)).body).toEqual([]);
      await getDataset(id);
      await api.http.delete(`${CATALOG}/dataSets/nothex`).set(h()).expect(400);
    });
  });
});
