import type { INestApplicationContext } from '@nestjs/common';
import { parquetReadObjects } from 'hyparquet';
import type { Response } from 'superagent';
import { ApiHarness, ORG_A } from './support/api-harness';
import { Aepp, PROFILE_SCHEMA, UNION_SCHEMA, XED_CONTENT_TYPE, aeppToken } from './support/aepp';
import { eventually } from './support/child-process';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

type Obj = Record<string, any>;

/** Collects a response body as bytes, whatever its content type. */
const bytes = (res: Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const DIGITS = /^\d+$/;
const THRESHOLD = 100;

/** A CRM record: who, how many points, and when the source system last changed it. */
const person = (who: string, points: number, updated: string, extra: Obj = {}) => ({
  identityMap: { Email: [{ id: `${who}@flow.test`, primary: true }] },
  personalEmail: { address: `${who}@flow.test` },
  loyalty: { points },
  extSourceSystemAudit: { lastUpdatedDate: updated },
  ...extra,
});
/** The small file: six people. */
const SMALL = [
  ['ada', 150],
  ['bea', 20],
  ['cid', 100],
  ['dan', 99],
  ['eve', 300],
  ['fay', 50],
].map(([w, p]) => person(w as string, p as number, '2024-01-01T00:00:00Z'));
/** The large file: 240 more people, and later (or earlier) changes to three of the first six. */
const LARGE = [
  ...Array.from({ length: 240 }, (_, i) => person(`bulk${i}`, (i * 37) % 250, '2024-03-01T00:00:00Z', { pad: 'x'.repeat(120) })),
  person('fay', 180, '2024-06-01T00:00:00Z'),
  person('eve', 10, '2024-06-01T00:00:00Z'),
  person('ada', 5, '2023-01-01T00:00:00Z'),
];
/** A second batch (isMultiLineJson false) of one record: uploadSmallFile given a dict. */
const SINGLE = person('gus', 120, '2024-01-01T00:00:00Z');
const ALL = [...SMALL, ...LARGE, SINGLE];
/** Who qualifies for `loyalty.points >= 100`, computed from the records: per person the latest change wins. */
function qualifying(records: Array<ReturnType<typeof person>>): string[] {
  const latest = new Map<string, ReturnType<typeof person>>();
  for (const r of records) {
    const who = r.personalEmail.address;
    const seen = latest.get(who);
    if (!seen || r.extSourceSystemAudit.lastUpdatedDate > seen.extSourceSystemAudit.lastUpdatedDate) latest.set(who, r);
  }
  return [...latest.values()]
    .filter((r) => r.loyalty.points >= THRESHOLD)
    .map((r) => r.personalEmail.address)
    .sort();
}

/**
 * The whole flow the way AEP's Python client aepp drives it (support/aepp.ts reproduces its
 * requests): Catalog dataset, batch ingestion with a small and a chunked large file, Catalog batch
 * listing, a segment definition and its evaluation, an export into a profile__union dataset,
 * Data Access listing and ranged download, and a merge policy update. Real API, worker,
 * PostgreSQL and Redis.
 */
describe('an AEP client (aepp) across the whole flow', () => {
  jest.setTimeout(90_000);
  let env: TestEnv;
  let api: ApiHarness;
  let worker: INestApplicationContext;
  let aepp: Aepp;
  // What each step hands to the next.
  let datasetId: string;
  let batchId: string;
  let singleBatchId: string;
  let batchCreatedAfter: number;
  let segmentId: string;
  let exportBatchId: string;

  beforeAll(async () => {
    env = await createTestEnv('aep_client_flow');
    api = await ApiHarness.start(env.config());
    worker = await startWorker(env.config());
    const client = await api.client(ORG_A, ['prod']);
    const token = await aeppToken(api.http, client.clientId, client.clientSecret).expect(200);
    expect(token.body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: expect.any(Number) });
    aepp = new Aepp(api.http, token.body.access_token, client.clientId, ORG_A, 'prod');
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
  });

  const refId = (body: unknown) => {
    expect(body).toEqual([expect.stringMatching(/^@\/dataSets\/[0-9a-f]{24}$/)]);
    return (body as string[])[0].slice('@/dataSets/'.length);
  };
  async function settled<T extends Obj>(read: () => Promise<T>, done: (t: T) => boolean): Promise<T> {
    let last = {} as T;
    await eventually(async () => done((last = await read())), 60_000);
    return last;
  }
  /** uploadSmallFileFinish (COMPLETE), then Catalog's getBatch until a worker has ended the batch. */
  async function complete(id: string, records: number) {
    const res = await aepp.uploadSmallFileFinish(id).expect(200);
    expect(['staging', 'processing', 'success']).toContain(res.body.status);
    const batch = await settled(
      async () => (await aepp.getBatch(id).expect(200)).body[id] as Obj,
      (b) => !['staging', 'processing'].includes(b.status),
    );
    expect(batch).toMatchObject({ id, status: 'success', relatedObjects: [{ type: 'dataSet', id: datasetId }], metrics: { recordsWritten: records } });
    expect(batch.errors ?? []).toEqual([]);
  }

  it('1. Catalog.createDataSet (identity enabled), enableDatasetProfile, then getDataSet', async () => {
    datasetId = refId((await aepp.createDataSet('aepp CRM', PROFILE_SCHEMA, false, true).expect(201)).body);
    expect((await aepp.getDataSet(datasetId).expect(200)).body[datasetId].tags).toEqual({ unifiedIdentity: ['enabled:true'] });
    expect(refId((await aepp.enableDatasetProfile(datasetId).expect(200)).body)).toBe(datasetId);
    const res = await aepp.getDataSet(datasetId).expect(200);
    expect(Object.keys(res.body)).toEqual([datasetId]);
    expect(res.body[datasetId]).toMatchObject({
      name: 'aepp CRM',
      imsOrg: ORG_A,
      version: '1.0.0',
      schemaRef: { id: PROFILE_SCHEMA, contentType: XED_CONTENT_TYPE },
      fileDescription: { persisted: true, containerFormat: 'parquet', format: 'parquet' },
      tags: { unifiedProfile: ['enabled:true'], unifiedIdentity: ['enabled:true'] },
      created: expect.any(Number),
      updated: expect.any(Number),
    });
  });

  it('2. DataIngestion: createBatch, uploadSmallFile, a large file in chunks, COMPLETE; Catalog shows it succeed', async () => {
    batchCreatedAfter = Date.now() - 1;
    const created = await aepp.createBatch(datasetId, true).expect(201);
    batchId = created.body.id;
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      status: 'loading',
      relatedObjects: [{ type: 'dataSet', id: datasetId }],
      inputFormat: { format: 'json', isMultiLineJson: true },
    });

    // uploadSmallFile sends json.dumps(list): a JSON array on one line.
    await aepp.uploadSmallFile(batchId, datasetId, 'small.json', SMALL).expect(201);

    // The large-file methods: INITIALIZE, PATCH chunks (Content-Range as AEP documents it), COMPLETE, HEAD.
    const content = Buffer.from(JSON.stringify(LARGE, null, 2));
    await aepp.uploadLargeFileStartEnd(batchId, datasetId, 'large.json', 'INITIALIZE').expect(201);
    const cuts = [0, Math.floor(content.length / 3), Math.floor((2 * content.length) / 3), content.length];
    for (let i = 0; i < 3; i++) {
      const part = await aepp.uploadLargeFilePart(batchId, datasetId, 'large.json', content.subarray(cuts[i], cuts[i + 1]), `bytes ${cuts[i]}-${cuts[i + 1] - 1}`).expect(200);
      expect(part.body).toEqual({ name: 'large.json', sizeInBytes: cuts[i + 1] });
    }
    const done = await aepp.uploadLargeFileStartEnd(batchId, datasetId, 'large.json', 'COMPLETE').expect(201);
    expect(done.body).toEqual({ name: 'large.json', sizeInBytes: content.length });
    const head = await aepp.headFileStatus(batchId, datasetId, 'large.json').expect(200);
    expect(head.headers['content-length']).toBe(String(content.length));

    await complete(batchId, SMALL.length + LARGE.length);

    // createBatch's default (isMultiLineJson false) and uploadSmallFile of a dict: one JSON line.
    singleBatchId = (await aepp.createBatch(datasetId).expect(201)).body.id;
    await aepp.uploadSmallFile(singleBatchId, datasetId, 'one.json', SINGLE).expect(201);
    await complete(singleBatchId, 1);
  });

  it('3. Catalog.getBatches with createdAfter (epoch ms) and dataSet', async () => {
    const listed = await aepp.getBatches({ createdAfter: batchCreatedAfter, dataSet: datasetId }).expect(200);
    expect(Object.keys(listed.body).sort()).toEqual([batchId, singleBatchId].sort());
    expect(listed.body[batchId].status).toBe('success');
    const later = await aepp.getBatches({ createdAfter: listed.body[batchId].created, dataSet: datasetId }).expect(200);
    expect(Object.keys(later.body)).toEqual([singleBatchId]);
    const future = await aepp.getBatches({ createdAfter: Date.now() + 3_600_000, dataSet: datasetId }).expect(200);
    expect(future.body).toEqual({});
  });

  it('4. Segmentation.createSegment (batch evaluation), createJob, getJob until SUCCEEDED', async () => {
    const definition = {
      name: 'aepp loyal',
      description: `loyalty.points >= ${THRESHOLD}`,
      expression: { type: 'PQL', format: 'pql/text', value: `loyalty.points >= ${THRESHOLD}` },
      schema: { name: '_xdm.context.profile' },
      ttlInDays: 30,
      evaluationInfo: { batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } },
    };
    const created = await aepp.createSegment(definition).expect(200);
    segmentId = created.body.id;
    expect(created.body).toMatchObject({
      id: expect.any(String),
      name: definition.name,
      expression: definition.expression,
      evaluationInfo: { batch: { enabled: true } },
      creationTime: expect.any(Number),
      updateEpoch: expect.any(Number),
    });

    const listed = await aepp.getSegments().expect(200);
    expect(listed.body).toMatchObject({ segments: [expect.objectContaining({ id: segmentId })], page: { totalCount: 1, totalPages: 1 } });
    const realTime = await aepp.getSegments({ page: '1', limit: 100, 'evaluationInfo.continuous.enabled': true }).expect(200);
    expect(realTime.body.segments).toEqual([]);

    const job = await aepp.createJob([segmentId]).expect(200);
    expect(job.body).toMatchObject({ id: expect.any(String), status: expect.stringMatching(/^(NEW|QUEUED)$/), segments: [{ segmentId }] });
    const finished = await settled(
      async () => (await aepp.getJob(job.body.id).expect(200)).body as Obj,
      (j) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(j.status),
    );
    expect(finished.status).toBe('SUCCEEDED');
    expect(finished.metrics.segmentedProfileCounter).toEqual({ [segmentId]: qualifying(ALL).length });
    const jobs = await aepp.getJobs().expect(200);
    expect((jobs.body.children as Obj[]).map((j) => j.id)).toEqual([job.body.id]);
  });

  it('5. Catalog.createUnionProfileDataset, then Segmentation.createExport into it until SUCCEEDED', async () => {
    const target = refId((await aepp.createUnionProfileDataset().expect(201)).body);
    expect((await aepp.getDataSet(target).expect(200)).body[target].schemaRef).toEqual({ id: UNION_SCHEMA, contentType: XED_CONTENT_TYPE });
    const since = Date.now() - 3_600_000;
    const request = {
      fields: 'identities.id,personalEmail.address,loyalty.points',
      mergePolicy: { id: 'timestampOrdered-none-mp', version: 1 },
      filter: {
        segments: [{ segmentId, segmentNs: 'ups', status: ['realized'] }],
        segmentQualificationTime: { startTime: iso(since), endTime: iso(Date.now() + 3_600_000) },
        fromIngestTimestamp: iso(since),
        emptyProfiles: true,
      },
      destination: { datasetId: target, segmentPerBatch: false },
      schema: { name: '_xdm.context.profile' },
      evaluationInfo: { segmentation: false },
    };
    const created = await aepp.createExport(request).expect(200);
    expect(created.body).toMatchObject({ id: expect.any(Number), status: 'NEW', destination: { datasetId: target } });
    const job = await settled(
      async () => (await aepp.getExport(created.body.id).expect(200)).body as Obj,
      (j) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(j.status),
    );
    exportBatchId = job.destination.batchId;
    expect(job).toMatchObject({ status: 'SUCCEEDED', metrics: { totalExportedProfileCounter: qualifying(ALL).length } });
    const jobs = await aepp.getExportJobs().expect(200);
    expect(jobs.body).toMatchObject({ records: [expect.objectContaining({ id: created.body.id, status: 'SUCCEEDED' })], link: { next: '' } });
    expect(exportBatchId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('6. DataAccess: getBatchFiles, getFiles (listing), a ranged and a whole download; the rows are those that qualify', async () => {
    const files = await aepp.getBatchFiles(exportBatchId).expect(200);
    expect(files.body).toMatchObject({ data: expect.any(Array), _page: { limit: expect.any(Number), count: files.body.data.length } });
    expect(files.body.data.length).toBeGreaterThan(0);
    const emails: string[] = [];
    for (const f of files.body.data as Obj[]) {
      expect(f).toMatchObject({
        dataSetFileId: expect.any(String),
        version: '1.0.0',
        isValid: true,
        _links: { self: { href: expect.stringContaining(`/files/${f.dataSetFileId}`) } },
      });
      expect(f.created).toMatch(DIGITS);
      expect(f.updated).toMatch(DIGITS);
      if (f.size !== undefined) expect(f.size).toMatch(DIGITS);
      const listing = await aepp.getFiles(f.dataSetFileId).expect(200);
      expect(listing.body._page).toEqual({ limit: expect.any(Number), count: listing.body.data.length });
      for (const part of listing.body.data as Obj[]) {
        expect(part).toMatchObject({
          name: expect.stringMatching(/\.parquet$/),
          length: expect.stringMatching(DIGITS),
          _links: { self: { href: expect.stringContaining(`path=${encodeURIComponent(part.name)}`) } },
        });
        const length = Number(part.length);
        const head = await aepp.getHeadFile(f.dataSetFileId, part.name).expect(200);
        expect(head.headers).toMatchObject({ 'content-length': part.length, 'accept-ranges': 'bytes' });

        const ranged = await aepp.getFiles(f.dataSetFileId, part.name, { Range: 'bytes=0-99' }).buffer(true).parse(bytes).expect(206);
        expect(ranged.headers['content-range']).toBe(`bytes 0-99/${length}`);
        expect(ranged.headers['content-length']).toBe('100');
        const whole = await aepp.getFiles(f.dataSetFileId, part.name).buffer(true).parse(bytes).expect(200);
        const body = whole.body as Buffer;
        expect(body.length).toBe(length);
        expect(whole.headers['content-length']).toBe(String(length));
        expect(body.subarray(0, 100).equals(ranged.body as Buffer)).toBe(true);
        expect(body.subarray(0, 4).toString()).toBe('PAR1');

        const rows = (await parquetReadObjects({ file: new Uint8Array(body).buffer })) as Array<{ profile: unknown }>;
        for (const row of rows) {
          const profile = (typeof row.profile === 'string' ? JSON.parse(row.profile) : row.profile) as Obj;
          expect(profile.segmentMembership.ups[segmentId].status).toBe('realized');
          expect(profile.loyalty.points).toBeGreaterThanOrEqual(THRESHOLD);
          emails.push(profile.personalEmail.address);
        }
      }
    }
    expect(emails.sort()).toEqual(qualifying(ALL));
  });

  it('7. CustomerProfile merge policies: createMergePolicy, getMergePolicies, getMergePolicy, patchMergePolicy, getMergePolicy', async () => {
    // The body of aepp's createMergePolicy docstring (its order list dropped: it is for dataSetPrecedence).
    const created = await aepp
      .createMergePolicy({
        name: 'aepp policy',
        imsOrgId: ORG_A,
        schema: { name: '_xdm.context.profile' },
        default: false,
        identityGraph: { type: 'none' },
        attributeMerge: { type: 'timestampOrdered' },
        updateEpoch: 1234567890,
      })
      .expect(200);
    const id = created.body.id as string;
    const listed = await aepp.getMergePolicies().expect(200);
    expect(listed.body).toMatchObject({ _page: { totalCount: expect.any(Number), pageSize: expect.any(Number) }, _links: { next: { href: '' } } });
    expect((listed.body.children as Obj[]).map((p) => p.id)).toEqual(expect.arrayContaining(['timestampOrdered-none-mp', id]));

    const before = (await aepp.getMergePolicy(id).expect(200)).body;
    expect(before).toMatchObject({
      id,
      name: 'aepp policy',
      imsOrgId: ORG_A,
      version: 1,
      identityGraph: { type: 'none' },
      attributeMerge: { type: 'timestampOrdered' },
      default: false,
      updateEpoch: expect.any(Number),
    });
    const patched = await aepp.patchMergePolicy(id, [{ op: 'add', path: '/identityGraph.type', value: 'pdg' }]).expect(200);
    expect(patched.body).toMatchObject({ id, version: 2, identityGraph: { type: 'pdg' } });
    const after = (await aepp.getMergePolicy(id).expect(200)).body;
    expect(after).toEqual({ ...before, version: 2, identityGraph: { type: 'pdg' }, updateEpoch: expect.any(Number) });

    // updateMergePolicy (PUT) with what getMergePolicy answered, one field changed: how aepp users edit.
    const put = await aepp.updateMergePolicy(id, { ...after, name: 'aepp policy renamed' }).expect(200);
    expect(put.body).toMatchObject({ id, name: 'aepp policy renamed', version: 3, identityGraph: { type: 'pdg' } });
  });
});
