import type { INestApplicationContext } from '@nestjs/common';
import { parquetReadObjects } from 'hyparquet';
import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { eventually } from './support/child-process';
import { DATA_ACCESS, ProfileStoreClient } from './support/profile-store';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

const JOBS = '/data/core/ups/export/jobs';
const POLICIES = '/data/core/ups/config/mergePolicies';
const S1 = '11111111-1111-4111-8111-111111111111';
const S2 = '22222222-2222-4222-8222-222222222222';

/**
 * The fixture, small enough to compute every expected row by hand (below, in the tests):
 *   ann: a CRM fragment (Email primary, CRMID) and a web fragment (ECID primary, the same Email);
 *        they disagree on homeAddress.city; web is newer. Memberships: CRM S1 realized (Mar 1),
 *        S2 exited (Mar 2); web S1 exited (Feb 1, older).
 *   bob: CRM only, S1 realized (May 1), no lastUpdatedDate.   cat: CRM only, S2 realized (Apr 1).
 *   events: two for ann's ECID (out of time order), one for bob's Email, one for an unknown ECID.
 */
const crm = [
  {
    identityMap: { Email: [{ id: 'ann@x.io', primary: true }], CRMID: [{ id: 'c-ann' }] },
    person: { name: { firstName: 'Ann', lastName: 'Lee' } },
    homeAddress: { city: 'Paris', country: 'FR' },
    loyalty: { points: 10, tier: 'gold' },
    extSourceSystemAudit: { lastUpdatedDate: '2024-01-01T00:00:00Z' },
    segmentMembership: {
      ups: { [S1]: { status: 'realized', lastQualificationTime: '2024-03-01T00:00:00Z' }, [S2]: { status: 'exited', lastQualificationTime: '2024-03-02T00:00:00Z' } },
    },
  },
  {
    identityMap: { Email: [{ id: 'bob@x.io', primary: true }] },
    person: { name: { firstName: 'Bob' } },
    segmentMembership: { ups: { [S1]: { status: 'realized', lastQualificationTime: '2024-05-01T00:00:00Z' } } },
  },
  {
    identityMap: { Email: [{ id: 'cat@x.io', primary: true }] },
    person: { name: { firstName: 'Cat' } },
    segmentMembership: { ups: { [S2]: { status: 'realized', lastQualificationTime: '2024-04-01T00:00:00Z' } } },
  },
];
const web = [
  {
    identityMap: { ECID: [{ id: 'e-ann', primary: true }], Email: [{ id: 'ann@x.io' }] },
    homeAddress: { city: 'Lyon' },
    extSourceSystemAudit: { lastUpdatedDate: '2024-06-01T00:00:00Z' },
    segmentMembership: { ups: { [S1]: { status: 'exited', lastQualificationTime: '2024-02-01T00:00:00Z' } } },
  },
];
const event = (id: string, ns: string, who: string, timestamp: string) => ({
  _id: id,
  timestamp,
  eventType: 'web.webpagedetails.pageViews',
  identityMap: { [ns]: [{ id: who, primary: true }] },
  web: { url: `/p/${id}` },
});
const events = [
  event('ev-2', 'ECID', 'e-ann', '2024-07-02T00:00:00Z'),
  event('ev-1', 'ECID', 'e-ann', '2024-07-01T00:00:00Z'),
  event('ev-3', 'Email', 'bob@x.io', '2024-07-03T00:00:00Z'),
  event('ev-9', 'ECID', 'e-nobody', '2024-07-04T00:00:00Z'),
];

const identities = (...list: Array<[string, string, boolean]>) => list.map(([namespace, id, primary]) => ({ id, namespace: { code: namespace }, primary }));

describe('export pipeline end to end: REST → worker → committed batches (real Postgres, Redis, storage)', () => {
  jest.setTimeout(60_000);
  let env: TestEnv;
  let api: ApiHarness;
  let worker: INestApplicationContext;
  let client: TestClient;
  let store: ProfileStoreClient;
  let out: string;
  let crmDs: string;
  let webDs: string;
  let crmIngest: number;
  let webIngest: number;

  beforeAll(async () => {
    env = await createTestEnv('pipeline');
    const config = env.config({ EXPORT_FILE_ROWS: '3', EXPORT_PROGRESS_INTERVAL_MS: '200' });
    api = await ApiHarness.start(config);
    worker = await startWorker(config);
    client = await api.client(ORG_A, ['prod']);
    store = new ProfileStoreClient(api, client);
    out = client.datasets.prod;
    crmDs = await store.createDataset('crm');
    webDs = await store.createDataset('web');
    const evDs = await store.createDataset('events', 'experienceevent');
    await store.ingest(crmDs, crm);
    await store.ingest(webDs, web);
    await store.ingest(evDs, events);
    const times = await env.db.query(`SELECT dataset_id, max(ingest_time) AS t FROM profile_fragments GROUP BY 1`);
    crmIngest = times.rows.find((r) => r.dataset_id === crmDs).t.getTime();
    webIngest = times.rows.find((r) => r.dataset_id === webDs).t.getTime();
    expect(webIngest).toBeGreaterThan(crmIngest);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
  });

  /** Runs a job to its end and returns it. */
  async function runJob(body: Record<string, unknown>) {
    const created = await api.http
      .post(JOBS)
      .set(client.headers())
      .send({ schema: { name: '_xdm.context.profile' }, ...body, destination: { datasetId: out, outputFormat: 'jsonl', ...(body.destination as object) } })
      .expect(200);
    let job = created.body;
    await eventually(async () => {
      job = (await api.http.get(`${JOBS}/${created.body.id}`).set(client.headers()).expect(200)).body;
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status);
    }, 30_000);
    return job;
  }

  /** Every row of a committed batch, downloaded through Data Access, in file order. */
  async function rowsOf(batchId: string): Promise<Array<Record<string, unknown>>> {
    const files = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(client.headers()).expect(200);
    const rows: Array<Record<string, unknown>> = [];
    for (const f of files.body.data) {
      const listing = await api.http.get(f._links.self.href).set(client.headers()).expect(200);
      for (const part of listing.body.data) {
        const res = await api.http
          .get(part._links.self.href)
          .set(client.headers())
          .buffer(true)
          .parse((r, cb) => {
            const chunks: Buffer[] = [];
            r.on('data', (c: Buffer) => chunks.push(c));
            r.on('end', () => cb(null, Buffer.concat(chunks)));
          })
          .expect(200);
        const bytes = res.body as Buffer;
        if (part.name.endsWith('.parquet')) {
          const buffer = new Uint8Array(bytes).buffer;
          // hyparquet decodes the JSON logical type itself.
          for (const r of (await parquetReadObjects({ file: buffer })) as Array<{ profile: unknown }>)
            rows.push(typeof r.profile === 'string' ? JSON.parse(r.profile) : (r.profile as Record<string, unknown>));
        } else {
          rows.push(
            ...bytes
              .toString()
              .split('\n')
              .filter(Boolean)
              .map((l) => JSON.parse(l)),
          );
        }
      }
    }
    return rows;
  }

  /** Each row's primary identity, as `namespace:id`. */
  const names = (rows: Array<Record<string, unknown>>) =>
    rows.map((r) => {
      const ids = r.identities as Array<{ namespace: { code: string }; id: string; primary: boolean }>;
      const p = ids.find((i) => i.primary) ?? ids[0];
      return `${p.namespace.code}:${p.id}`;
    });

  it('no filter, identity graph none: every profile with fragments, merged per primary identity, in key order', async () => {
    const job = await runJob({});
    expect(job.status).toBe('SUCCEEDED');
    const rows = await rowsOf(job.destination.batchId);
    // Byte order of keys: "ECID:e-ann" < "Email:ann@x.io" < "Email:bob@x.io" < "Email:cat@x.io"
    expect(names(rows)).toEqual(['ECID:e-ann', 'Email:ann@x.io', 'Email:bob@x.io', 'Email:cat@x.io']);
    expect(rows[1]).toEqual({
      ...crm[0],
      identities: identities(['Email', 'ann@x.io', true], ['CRMID', 'c-ann', false]),
    });
    expect(rows[0]).toEqual({ ...web[0], identities: identities(['ECID', 'e-ann', true], ['Email', 'ann@x.io', false]) });
    expect(job.metrics).toEqual({
      totalTime: { startTimeInMs: expect.any(Number), endTimeInMs: expect.any(Number), totalTimeInMs: expect.any(Number) },
      profileExportTime: { startTimeInMs: expect.any(Number), endTimeInMs: expect.any(Number), totalTimeInMs: expect.any(Number) },
      totalExportedProfileCounter: 4,
      exportedProfileByNamespaceCounter: { ECID: 1, Email: 3 },
    });
    expect(job.metrics.totalTime.totalTimeInMs).toBe(job.metrics.totalTime.endTimeInMs - job.metrics.totalTime.startTimeInMs);
    expect(job).not.toHaveProperty('errors');
    expect(job.computeGatewayJobId.exportJob).toMatch(/^[0-9a-f-]{36}$/);
    // Split every 3 rows (EXPORT_FILE_ROWS): two files; the batch succeeded with 4 records.
    const files = await api.http.get(`${DATA_ACCESS}/batches/${job.destination.batchId}/files`).set(client.headers()).expect(200);
    expect(files.body.data).toHaveLength(2);
    const batch = await api.http.get(`/data/foundation/catalog/batches/${job.destination.batchId}`).set(client.headers()).expect(200);
    expect(batch.body[job.destination.batchId]).toMatchObject({ status: 'success', metrics: { recordsWritten: 4 }, tags: { exportJobId: [String(job.id)] } });
  });

  it('emptyProfiles: true adds the event-only profile', async () => {
    const job = await runJob({ filter: { emptyProfiles: true } });
    const rows = await rowsOf(job.destination.batchId);
    expect(names(rows)).toEqual(['ECID:e-ann', 'ECID:e-nobody', 'Email:ann@x.io', 'Email:bob@x.io', 'Email:cat@x.io']);
    expect(rows[1]).toEqual({ identityMap: { ECID: [{ id: 'e-nobody', primary: true }] }, identities: identities(['ECID', 'e-nobody', true]) });
  });

  it("segment filter (realized by default): the profiles in the segment; their rows keep only that segment's membership", async () => {
    const job = await runJob({ filter: { segments: [{ segmentId: S1 }] } });
    const rows = await rowsOf(job.destination.batchId);
    expect(names(rows)).toEqual(['Email:ann@x.io', 'Email:bob@x.io']);
    expect(rows[0].segmentMembership).toEqual({ ups: { [S1]: { status: 'realized', lastQualificationTime: '2024-03-01T00:00:00Z' } } });
    expect(job.metrics.totalExportedProfileCounter).toBe(2);
  });

  it('two segments: whole rows, each with the entries of the exported segments it has; rows stored before membership offsets were recorded read the same', async () => {
    const filter = { segments: [{ segmentId: S2, status: ['realized', 'exited'] }, { segmentId: S1 }] };
    const { segmentMembership: annMembership, ...ann } = crm[0];
    const { segmentMembership: bobMembership, ...bob } = crm[1];
    const { segmentMembership: catMembership, ...cat } = crm[2];
    const expected = [
      {
        ...ann,
        identities: identities(['Email', 'ann@x.io', true], ['CRMID', 'c-ann', false]),
        segmentMembership: { ups: { [S2]: annMembership.ups[S2], [S1]: annMembership.ups[S1] } },
      },
      { ...bob, identities: identities(['Email', 'bob@x.io', true]), segmentMembership: bobMembership },
      { ...cat, identities: identities(['Email', 'cat@x.io', true]), segmentMembership: catMembership },
    ];
    const job = await runJob({ filter });
    expect(await rowsOf(job.destination.batchId)).toEqual(expected);
    const offsets = await env.db.query(`SELECT id, membership_at FROM profile_fragments WHERE membership_at >= 0`);
    expect(offsets.rows.length).toBe(4); // every fixture fragment has a membership, found at ingest
    await env.db.query(`UPDATE profile_fragments SET membership_at = NULL`);
    try {
      const before = await runJob({ filter });
      expect(await rowsOf(before.destination.batchId)).toEqual(expected);
    } finally {
      for (const r of offsets.rows) await env.db.query(`UPDATE profile_fragments SET membership_at = $2 WHERE id = $1`, [r.id, r.membership_at]);
    }
  });

  it('status exited, and existing counting as realized', async () => {
    const exited = await runJob({ filter: { segments: [{ segmentId: S1, segmentNs: 'ups', status: ['exited'] }] } });
    expect(names(await rowsOf(exited.destination.batchId))).toEqual(['ECID:e-ann']);
    const existing = await runJob({ filter: { segments: [{ segmentId: S2, status: ['existing'] }] } });
    expect(names(await rowsOf(existing.destination.batchId))).toEqual(['Email:cat@x.io']);
  });

  it('segmentQualificationTime keeps memberships qualified within [startTime, endTime]', async () => {
    const from = await runJob({ filter: { segments: [{ segmentId: S1 }], segmentQualificationTime: { startTime: '2024-04-01T00:00:00Z' } } });
    expect(names(await rowsOf(from.destination.batchId))).toEqual(['Email:bob@x.io']);
    const until = await runJob({ filter: { segments: [{ segmentId: S1 }], segmentQualificationTime: { endTime: '2024-03-01T00:00:00Z' } } });
    expect(names(await rowsOf(until.destination.batchId))).toEqual(['Email:ann@x.io']);
  });

  it('fromIngestTimestamp keeps profiles whose newest fragment was ingested strictly after it', async () => {
    const between = new Date(crmIngest).toISOString();
    const job = await runJob({ filter: { fromIngestTimestamp: between } });
    expect(names(await rowsOf(job.destination.batchId))).toEqual(['ECID:e-ann']);
  });

  it('identity graph pdg merges fragments sharing any identity; timestampOrdered: the newer city wins', async () => {
    const policy = await api.http
      .post(POLICIES)
      .set(client.headers())
      .send({ name: 'graph', attributeMerge: { type: 'timestampOrdered' }, identityGraph: { type: 'pdg' } })
      .expect(200);
    const job = await runJob({ mergePolicy: { id: policy.body.id, version: 1 }, filter: { segments: [{ segmentId: S1 }] } });
    const rows = await rowsOf(job.destination.batchId);
    expect(rows).toHaveLength(2);
    const ann = rows.find((r) => (r.person as { name: { firstName: string } })?.name.firstName === 'Ann')!;
    expect(ann).toEqual({
      person: { name: { firstName: 'Ann', lastName: 'Lee' } },
      homeAddress: { city: 'Lyon', country: 'FR' },
      loyalty: { points: 10, tier: 'gold' },
      extSourceSystemAudit: { lastUpdatedDate: '2024-06-01T00:00:00Z' },
      // Union of identities; entries (and their primary flags) from the newer web fragment first.
      identityMap: { ECID: [{ id: 'e-ann', primary: true }], Email: [{ id: 'ann@x.io' }], CRMID: [{ id: 'c-ann' }] },
      // Only the exported segment; the CRM entry (Mar 1) is newer than the web one (Feb 1).
      segmentMembership: { ups: { [S1]: { status: 'realized', lastQualificationTime: '2024-03-01T00:00:00Z' } } },
      identities: identities(['ECID', 'e-ann', true], ['Email', 'ann@x.io', false], ['CRMID', 'c-ann', false]),
    });
    expect(job.metrics.exportedProfileByNamespaceCounter).toEqual({ ECID: 1, Email: 1 });
  });

  it('dataSetPrecedence: the CRM dataset wins over the newer web fragment', async () => {
    const policy = await api.http
      .post(POLICIES)
      .set(client.headers())
      .send({ name: 'crm first', attributeMerge: { type: 'dataSetPrecedence', order: [crmDs, webDs] }, identityGraph: { type: 'pdg' } })
      .expect(200);
    const job = await runJob({ mergePolicy: { id: policy.body.id, version: 1 }, fields: 'homeAddress.city,extSourceSystemAudit' });
    const rows = await rowsOf(job.destination.batchId);
    const ann = rows.find((r) => (r.identityMap as Record<string, unknown>).CRMID && (r.identityMap as Record<string, unknown>).ECID)!;
    expect(ann.homeAddress).toEqual({ city: 'Paris' });
    expect(ann.extSourceSystemAudit).toEqual({ lastUpdatedDate: '2024-01-01T00:00:00Z' });
    expect(rows).toHaveLength(3); // ann (merged), bob, cat
  });

  it('fields projects dot paths (through arrays) and keeps identityMap', async () => {
    const job = await runJob({ fields: 'identities.id, person.name.firstName', filter: { segments: [{ segmentId: S2 }] } });
    expect(await rowsOf(job.destination.batchId)).toEqual([
      {
        identities: [{ id: 'cat@x.io' }],
        person: { name: { firstName: 'Cat' } },
        identityMap: { Email: [{ id: 'cat@x.io', primary: true }] },
        segmentMembership: { ups: { [S2]: { status: 'realized', lastQualificationTime: '2024-04-01T00:00:00Z' } } },
      },
    ]);
  });

  it("additionalFields.eventList attaches the profile's events in the ingest window, oldest first, projected", async () => {
    const job = await runJob({ fields: 'identities.id', additionalFields: { eventList: { fields: '_id,web.url' } } });
    const rows = await rowsOf(job.destination.batchId);
    expect(rows[0].eventList).toEqual([
      { _id: 'ev-1', web: { url: '/p/ev-1' } },
      { _id: 'ev-2', web: { url: '/p/ev-2' } },
    ]);
    expect(rows[2].eventList).toEqual([{ _id: 'ev-3', web: { url: '/p/ev-3' } }]);
    expect(rows[3].eventList).toEqual([]);
    const none = await runJob({
      fields: 'identities.id',
      additionalFields: { eventList: { fields: '_id', filter: { fromIngestTimestamp: new Date(Date.now() + 60_000).toISOString() } } },
    });
    expect((await rowsOf(none.destination.batchId))[0].eventList).toEqual([]);
  });

  it('segmentPerBatch: one batch per segment, each with the profiles that qualify for it', async () => {
    const job = await runJob({ filter: { segments: [{ segmentId: S1 }, { segmentId: S2 }] }, destination: { segmentPerBatch: true } });
    expect(job.destination.batchId).toBeUndefined();
    expect(job.destination.batches).toEqual([
      { segmentId: S1, segmentNs: 'ups', status: ['realized'], batchId: expect.stringMatching(/^[0-9a-f]{32}$/) },
      { segmentId: S2, segmentNs: 'ups', status: ['realized'], batchId: expect.stringMatching(/^[0-9a-f]{32}$/) },
    ]);
    expect(names(await rowsOf(job.destination.batches[0].batchId))).toEqual(['Email:ann@x.io', 'Email:bob@x.io']);
    expect(names(await rowsOf(job.destination.batches[1].batchId))).toEqual(['Email:cat@x.io']);
    expect(job.metrics.totalExportedProfileCounter).toBe(3);
  });

  it('writes Parquet by default, readable row for row', async () => {
    const created = await api.http
      .post(JOBS)
      .set(client.headers())
      .send({ destination: { datasetId: out }, schema: { name: '_xdm.context.profile' } })
      .expect(200);
    await eventually(async () => (await api.http.get(`${JOBS}/${created.body.id}`).set(client.headers())).body.status === 'SUCCEEDED', 30_000);
    const job = (await api.http.get(`${JOBS}/${created.body.id}`).set(client.headers())).body;
    const listing = await api.http.get(`${DATA_ACCESS}/batches/${job.destination.batchId}/files`).set(client.headers()).expect(200);
    const first = await api.http.get(listing.body.data[0]._links.self.href).set(client.headers()).expect(200);
    expect(first.body.data[0].name).toMatch(/^part-00000\.parquet$/);
    const rows = await rowsOf(job.destination.batchId);
    expect(names(rows)).toEqual(['ECID:e-ann', 'Email:ann@x.io', 'Email:bob@x.io', 'Email:cat@x.io']);
    expect(rows[3]).toEqual({ ...crm[2], identities: identities(['Email', 'cat@x.io', true]) });
  });

  it('uses the merge policy of the first segment when the job names none', async () => {
    const policy = await api.http
      .post(POLICIES)
      .set(client.headers())
      .send({ name: 'segment policy', attributeMerge: { type: 'timestampOrdered' }, identityGraph: { type: 'pdg' } })
      .expect(200);
    await api.http
      .post('/data/core/ups/segment/definitions')
      .set(client.headers())
      .send({ id: S1, name: 'S1', mergePolicyId: policy.body.id, expression: { type: 'PQL', format: 'pql/text', value: 'homeAddress.countryCode = "US"' } })
      .expect(200);
    const job = await runJob({ filter: { segments: [{ segmentId: S1 }] } });
    // pdg: ann's two fragments are one profile (with the ECID primary), bob the other.
    expect(job.metrics.exportedProfileByNamespaceCounter).toEqual({ ECID: 1, Email: 1 });
  });
});
