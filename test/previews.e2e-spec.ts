import type { INestApplicationContext } from '@nestjs/common';
import { PreviewReconcilerService } from '../apps/worker/src/reconciler/preview-reconciler.service';
import { ApiHarness, ORG_A, ORG_B, TestClient } from './support/api-harness';
import { ProfileStoreClient } from './support/profile-store';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

const BASE = '/data/core/ups';
const S1 = '11111111-1111-4111-8111-111111111111';

/**
 * The fixture, small enough to compute every answer by hand:
 *   CRM  ann: Email ann@x.io (primary), CRMID c-ann; US; S1 realized (in her record)
 *        bob: Email bob@x.io; US
 *        cat: Email cat@x.io; FR
 *        dan: ECID e-dan (primary), Email dan@x.io; US
 *   web  ann: ECID e-ann (primary), Email ann@x.io; no country
 * Under identity graph `none` these are 5 profiles (keys: their primary identities); under `pdg`
 * ann's two fragments share Email ann@x.io and are one profile: 4.
 * `homeAddress.country = "US"` matches, under none: ECID:e-dan, Email:ann@x.io, Email:bob@x.io
 * (key byte order), and by namespace (each namespace a match has an identity in, once):
 * CRMID 1 (ann), ECID 1 (dan), Email 3 (ann, bob, dan).
 */
const crm = [
  {
    identityMap: { Email: [{ id: 'ann@x.io', primary: true }], CRMID: [{ id: 'c-ann' }] },
    homeAddress: { country: 'US' },
    segmentMembership: { ups: { [S1]: { status: 'realized', lastQualificationTime: '2024-03-01T00:00:00Z' } } },
  },
  { identityMap: { Email: [{ id: 'bob@x.io', primary: true }] }, homeAddress: { country: 'US' } },
  { identityMap: { Email: [{ id: 'cat@x.io', primary: true }] }, homeAddress: { country: 'FR' } },
  { identityMap: { ECID: [{ id: 'e-dan', primary: true }], Email: [{ id: 'dan@x.io' }] }, homeAddress: { country: 'US' } },
];
const web = [{ identityMap: { ECID: [{ id: 'e-ann', primary: true }], Email: [{ id: 'ann@x.io' }] }, web: { visits: 3 } }];
/** A bigger sandbox, read slowly (PREVIEW_RATE_LIMIT), to watch profilesReadSoFar rise. */
const BIG = 60;
const RATE = 40;

const href = (id: string) => `${BASE}/models/profile/${encodeURIComponent(id)}`;

describe('previews and estimates through the REST API (real worker, Postgres, Redis)', () => {
  jest.setTimeout(90_000);
  let env: TestEnv;
  let api: ApiHarness;
  let worker: INestApplicationContext;
  let a: TestClient;
  let b: TestClient;

  beforeAll(async () => {
    env = await createTestEnv('previews');
    const config = env.config({ PREVIEW_RATE_LIMIT: String(RATE), PREVIEW_PROGRESS_EVERY: '3' });
    api = await ApiHarness.start(config);
    worker = await startWorker(config);
    a = await api.client(ORG_A, ['prod', 'big']);
    b = await api.client(ORG_B, ['prod']);
    const store = new ProfileStoreClient(api, a);
    const crmDs = await store.createDataset('CRM');
    const webDs = await store.createDataset('Web');
    expect((await store.ingest(crmDs, crm)).batch.status).toBe('success');
    expect((await store.ingest(webDs, web)).batch.status).toBe('success');
    await api.http
      .post(`${BASE}/segment/definitions`)
      .set(a.headers())
      .send({ id: S1, name: 'S1', expression: { type: 'PQL', format: 'pql/text', value: 'homeAddress.country = "US"' } })
      .expect(200);
    const big = new ProfileStoreClient(api, a, 'big');
    const bigDs = await big.createDataset('Big');
    const people = Array.from({ length: BIG }, (_, i) => ({ identityMap: { Email: [{ id: `p${String(i).padStart(3, '0')}@x.io`, primary: true }] }, loyalty: { points: i } }));
    expect((await big.ingest(bigDs, people)).batch.status).toBe('success');
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
  });

  const create = (body: Record<string, unknown>, sandbox = 'prod', who = () => a) => api.http.post(`${BASE}/preview`).set(who().headers(sandbox)).send(body);
  const estimate = (id: string, sandbox = 'prod', who = () => a) => api.http.get(`${BASE}/estimate/${id}`).set(who().headers(sandbox));
  const page = (id: string, query = '', sandbox = 'prod', who = () => a) => api.http.get(`${BASE}/preview/${id}${query}`).set(who().headers(sandbox));
  const body = (predicateExpression: string, extra: Record<string, unknown> = {}) => ({
    predicateExpression,
    predicateType: 'pql/text',
    predicateModel: '_xdm.context.profile',
    ...extra,
  });
  const memberships = async () => (await env.db.query('SELECT count(*)::int AS n, count(*) FILTER (WHERE evaluated)::int AS e FROM segment_memberships')).rows[0];

  /** Polls the estimate until the run ends; every estimate seen on the way. */
  async function settle(id: string, sandbox = 'prod', timeoutMs = 30_000) {
    const seen: Array<Record<string, any>> = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await estimate(id, sandbox).expect(200);
      seen.push(res.body);
      if (res.body.state === 'RESULT_READY' || res.body.state === 'FAILED') return { final: res.body, seen };
      if (Date.now() > deadline) throw new Error(`preview ${id} still ${res.body.state} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it("POST answers 201 in AEP's shape; the estimate counts and distributes by namespace exactly; the preview pages the matches", async () => {
    const before = await memberships();
    const res = await create(body('homeAddress.country = "US"', { graphType: 'none', mergeStrategy: 'anything' })).expect(201);
    expect(Object.keys(res.body)).toEqual(['state', 'previewQueryId', 'previewQueryStatus', 'previewId', 'previewExecutionId']);
    expect(res.body).toMatchObject({ state: 'NEW', previewQueryStatus: 'NEW', previewExecutionId: 0, previewQueryId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const id = res.body.previewId as string;

    const { final } = await settle(id);
    expect(final).toEqual({
      estimatedSize: 3,
      numRowsToRead: 5,
      estimatedNamespaceDistribution: [
        { namespaceId: 'CRMID', profilesMatchedSoFar: 1 },
        { namespaceId: 'ECID', profilesMatchedSoFar: 1 },
        { namespaceId: 'Email', profilesMatchedSoFar: 3 },
      ],
      state: 'RESULT_READY',
      profilesReadSoFar: 5,
      standardError: 0,
      error: { description: '', traceback: '' },
      profilesMatchedSoFar: 3,
      totalRows: 5,
      confidenceInterval: '95%',
      _links: { preview: `${BASE}/preview/${id}` },
    });

    const all = await page(id).expect(200);
    expect(all.body).toEqual({
      results: [
        { 'ECID:e-dan': { _href: href('ECID:e-dan'), endCustomerIds: { 'Email:dan@x.io': { _href: href('Email:dan@x.io') } } } },
        { 'Email:ann@x.io': { _href: href('Email:ann@x.io'), endCustomerIds: { 'CRMID:c-ann': { _href: href('CRMID:c-ann') } } } },
        { 'Email:bob@x.io': { _href: href('Email:bob@x.io'), endCustomerIds: {} } },
      ],
      state: 'RESULT_READY',
      links: { _self: `${BASE}/preview/${id}?offset=0&limit=1000`, next: '', prev: '' },
      page: { offset: 0, size: 3 },
    });

    const first = await page(id, '?limit=2').expect(200);
    expect(first.body.results.map((r: object) => Object.keys(r)[0])).toEqual(['ECID:e-dan', 'Email:ann@x.io']);
    expect(first.body.links).toEqual({ _self: `${BASE}/preview/${id}?offset=0&limit=2`, next: `${BASE}/preview/${id}?offset=2&limit=2`, prev: '' });
    const second = await page(id, '?offset=2&limit=2').expect(200);
    expect(second.body.results.map((r: object) => Object.keys(r)[0])).toEqual(['Email:bob@x.io']);
    expect(second.body.links).toMatchObject({ next: '', prev: `${BASE}/preview/${id}?offset=0&limit=2` });
    expect(second.body.page).toEqual({ offset: 2, size: 1 });
    expect((await page(id, '?offset=10').expect(200)).body.results).toEqual([]);

    expect(await memberships()).toEqual(before);
    expect((await memberships()).e).toBe(0);
  });

  it('graphType pdg merges fragments that share an identity: ann is one profile', async () => {
    const id = (await create(body('homeAddress.country = "US"', { graphType: 'pdg' })).expect(201)).body.previewId;
    const { final } = await settle(id);
    expect(final).toMatchObject({ state: 'RESULT_READY', profilesReadSoFar: 4, totalRows: 4, estimatedSize: 3, profilesMatchedSoFar: 3 });
    const results = (await page(id).expect(200)).body.results as Array<Record<string, { endCustomerIds: Record<string, unknown> }>>;
    const byKey = Object.assign({}, ...results);
    expect(Object.keys(byKey)).toEqual(expect.arrayContaining(['ECID:e-dan', 'Email:bob@x.io']));
    const annKey = Object.keys(byKey).find((k) => ['Email:ann@x.io', 'ECID:e-ann', 'CRMID:c-ann'].includes(k))!;
    expect(annKey).toBeDefined();
    expect(new Set([annKey, ...Object.keys(byKey[annKey].endCustomerIds)])).toEqual(new Set(['Email:ann@x.io', 'ECID:e-ann', 'CRMID:c-ann']));
  });

  it("inSegment reads the stored membership of the profile (ann's record says S1 realized)", async () => {
    const id = (await create(body(`inSegment("${S1}")`)).expect(201)).body.previewId;
    const { final } = await settle(id);
    expect(final).toMatchObject({ state: 'RESULT_READY', estimatedSize: 1, profilesReadSoFar: 5, error: { description: '' } });
    expect((await page(id).expect(200)).body.results.map((r: object) => Object.keys(r)[0])).toEqual(['Email:ann@x.io']);
  });

  it('profilesReadSoFar rises while the estimate runs, then the exact count', async () => {
    const id = (await create(body('loyalty.points >= 15'), 'big').expect(201)).body.previewId;
    const { final, seen } = await settle(id, 'big');
    const running = seen.filter((e) => e.state === 'RUNNING');
    const reads = running.map((e) => e.profilesReadSoFar as number);
    // Never falls, and shows at least three different partial counts before the end.
    expect(reads).toEqual([...reads].sort((x, y) => x - y));
    expect(new Set(reads.filter((n) => n > 0 && n < BIG)).size).toBeGreaterThanOrEqual(3);
    for (const e of running) {
      expect(e.numRowsToRead).toBe(BIG);
      expect(e.profilesMatchedSoFar).toBeLessThanOrEqual(e.profilesReadSoFar);
    }
    expect(final).toMatchObject({ state: 'RESULT_READY', profilesReadSoFar: BIG, totalRows: BIG, estimatedSize: BIG - 15, profilesMatchedSoFar: BIG - 15, standardError: 0 });
    expect(final.estimatedNamespaceDistribution).toEqual([{ namespaceId: 'Email', profilesMatchedSoFar: BIG - 15 }]);
    const paged = await page(id, '?limit=1000', 'big').expect(200);
    expect(paged.body.results.map((r: object) => Object.keys(r)[0])).toEqual(Array.from({ length: BIG - 15 }, (_, i) => `Email:p${String(i + 15).padStart(3, '0')}@x.io`));
  });

  it('DELETE stops a running preview: 200 KILLED, then 404 everywhere, its rows gone', async () => {
    const res = await create(body('loyalty.points >= 0'), 'big').expect(201);
    const id = res.body.previewId as string;
    const queryId = res.body.previewQueryId as string;
    const deadline = Date.now() + 20_000;
    while ((await estimate(id, 'big').expect(200)).body.profilesReadSoFar === 0) {
      if (Date.now() > deadline) throw new Error('the preview never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    const del = await api.http.delete(`${BASE}/preview/${id}`).set(a.headers('big')).expect(200);
    expect(del.body).toEqual({ status: true, message: 'KILLED' });
    await estimate(id, 'big').expect(404);
    await page(id, '', 'big').expect(404);
    await api.http.delete(`${BASE}/preview/${id}`).set(a.headers('big')).expect(404);
    // The worker notices at its next checkpoint and writes nothing more.
    await new Promise((r) => setTimeout(r, 600));
    const left = await env.db.query('SELECT (SELECT count(*) FROM previews WHERE id = $1)::int AS p, (SELECT count(*) FROM preview_matches WHERE preview_id = $1)::int AS m', [
      queryId,
    ]);
    expect(left.rows[0]).toEqual({ p: 0, m: 0 });
  });

  it.each([
    ['no predicateExpression', { predicateType: 'pql/text' }, 'predicateExpression', /is required/],
    ['an empty predicateExpression', body(' '), 'predicateExpression', /must not be empty/],
    ['predicateType pql/json', body('a = 1', { predicateType: 'pql/json' }), 'predicateType', /must be "pql\/text"/],
    ['no predicateType', { predicateExpression: 'a = 1' }, 'predicateType', /is required/],
    ['another predicateModel', body('a = 1', { predicateModel: '_xdm.context.experienceevent' }), 'predicateModel', /must be/],
    ['an unknown graphType', body('a = 1', { graphType: 'full' }), 'graphType', /must be "none" or "pdg"/],
    ['an unknown merge policy', body('a = 1', { mergePolicyId: 'nope' }), 'mergePolicyId', /merge policy of this sandbox/],
    ['an unknown property', body('a = 1', { bogus: 1 }), 'bogus', /not a known property/],
    ['a syntax error', body('homeAddress.country = '), 'predicateExpression', / at 1:\d+$/],
    ['an unsupported construct', body('person.tags.head() = "x"'), 'predicateExpression', /^unsupported construct 'head' at 1:13$/],
    ['an inSegment of no definition', body('inSegment("4afe34ae-8c98-4513-8a1d-67ccaa54bc05")'), 'predicateExpression', /4afe34ae-8c98-4513-8a1d-67ccaa54bc05/],
  ])('400 for %s, naming %s; nothing stored', async (_, sent, path, message) => {
    const before = (await env.db.query('SELECT count(*)::int AS n FROM previews')).rows[0].n;
    const res = await create(sent).expect(400);
    expect(res.body.errors).toEqual([{ path, message: expect.stringMatching(message) }]);
    expect((await env.db.query('SELECT count(*)::int AS n FROM previews')).rows[0].n).toBe(before);
  });

  it('404 for an unknown, malformed or foreign previewId', async () => {
    const unknown = Buffer.from('0:4afe34ae-8c98-4513-8a1d-67ccaa54bc05:0').toString('base64url');
    for (const id of [unknown, 'not-a-preview', 'MDphcHAtMzJiZTAzMjgtM2YzMS00YjY0LThkODQtYWNkMGM0ZmJkYWQzOmU4OTAwNjhiLWY1Y2EtNGE4Zi1hNmI1LWFmODdmZjBjYWFjMzow']) {
      await estimate(id).expect(404);
      await page(id).expect(404);
      await api.http.delete(`${BASE}/preview/${id}`).set(a.headers()).expect(404);
    }
    const mine = (await create(body('homeAddress.country = "US"')).expect(201)).body.previewId;
    await estimate(mine, 'prod', () => b).expect(404);
    await page(mine, '', 'prod', () => b).expect(404);
    await estimate(mine, 'big').expect(404);
    await api.http.delete(`${BASE}/preview/${mine}`).set(b.headers()).expect(404);
    await settle(mine);
  });

  it('400 for a bad page query', async () => {
    const id = (await create(body('homeAddress.country = "US"')).expect(201)).body.previewId;
    expect((await page(id, '?limit=0').expect(400)).body.errors[0].path).toBe('limit');
    expect((await page(id, '?offset=-1').expect(400)).body.errors[0].path).toBe('offset');
    expect((await page(id, '?limit=x').expect(400)).body.errors[0].path).toBe('limit');
    await settle(id);
  });

  it('expired previews are removed with their matches by the worker', async () => {
    const res = await create(body('homeAddress.country = "US"')).expect(201);
    await settle(res.body.previewId);
    await env.db.query(`UPDATE previews SET expires_at = now() - interval '1 second' WHERE id = $1`, [res.body.previewQueryId]);
    await estimate(res.body.previewId).expect(404);
    const report = await worker.get(PreviewReconcilerService).reconcile();
    expect(report.expired).toBeGreaterThanOrEqual(1);
    const left = await env.db.query('SELECT (SELECT count(*) FROM previews WHERE id = $1)::int AS p, (SELECT count(*) FROM preview_matches WHERE preview_id = $1)::int AS m', [
      res.body.previewQueryId,
    ]);
    expect(left.rows[0]).toEqual({ p: 0, m: 0 });
  });
});
