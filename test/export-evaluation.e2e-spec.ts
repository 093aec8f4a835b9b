import type { INestApplicationContext } from '@nestjs/common';
import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { eventually } from './support/child-process';
import { DATA_ACCESS, ProfileStoreClient } from './support/profile-store';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

const BASE = '/data/core/ups';
const JOBS = `${BASE}/export/jobs`;
const SEGMENTS = `${BASE}/segment/definitions`;
const POLICIES = `${BASE}/config/mergePolicies`;

/** The run's one now, injected through the worker's clock hook (SEGMENT_EVALUATION_NOW_MS). */
const NOW = Date.parse('2026-06-01T00:00:00.000Z');
const NOW_ISO = '2026-06-01T00:00:00.000Z';

const RICH = '11111111-1111-4111-8111-111111111111'; // loyalty.points >= 100
const RICH_FR = '22222222-2222-4222-8222-222222222222'; // inSegment(RICH) and in France
const EVERYONE = '33333333-3333-4333-8333-333333333333'; // loyalty.points >= 0 (the cancelled run)
const VIP_LYON = '44444444-4444-4444-8444-444444444444'; // under pdg: a CRM attribute and a web one
const UNKNOWN = '55555555-5555-4555-8555-555555555555';

const at = (iso: string) => ({ status: 'realized', lastQualificationTime: iso });
/**
 * The fixture (sandbox prod, identity graph none), each expectation computed by hand below:
 *   a: 150 points, FR, no membership          -> RICH newly realized at NOW
 *   b: 200 points, FR, RICH existing (Jan 1)   -> kept, its time kept
 *   c:  50 points, FR, RICH realized (Feb 1)   -> exits at NOW
 *   d:  10 points, US, nothing                 -> never
 *   e: 500 points, US, RICH exited (Mar 1)     -> realized again at NOW
 */
const person = (id: string, points: number, country: string, membership?: Record<string, unknown>) => ({
  identityMap: { Email: [{ id: `${id}@x.io`, primary: true }] },
  loyalty: { points },
  homeAddress: { countryISO: country },
  ...(membership ? { segmentMembership: { ups: { [RICH]: membership } } } : {}),
});
const people = [
  person('a', 150, 'FR'),
  person('b', 200, 'FR', { status: 'existing', lastQualificationTime: '2024-01-01T00:00:00Z' }),
  person('c', 50, 'FR', at('2024-02-01T00:00:00Z')),
  person('d', 10, 'US'),
  person('e', 500, 'US', { status: 'exited', lastQualificationTime: '2024-03-01T00:00:00Z' }),
];

/** Sandbox graph (identity graph pdg): ann's CRM fragment says vip, her web fragment (sharing her Email) says Lyon. */
const graphCrm = [
  {
    identityMap: { Email: [{ id: 'ann@x.io', primary: true }], CRMID: [{ id: 'c-ann' }] },
    person: { vip: true },
    homeAddress: { city: 'Paris' },
    extSourceSystemAudit: { lastUpdatedDate: '2024-01-01T00:00:00Z' },
  },
  { identityMap: { Email: [{ id: 'bob@x.io', primary: true }] }, person: { vip: true }, homeAddress: { city: 'Nice' } },
];
const graphWeb = [
  {
    identityMap: { ECID: [{ id: 'e-ann', primary: true }], Email: [{ id: 'ann@x.io' }] },
    homeAddress: { city: 'Lyon' },
    extSourceSystemAudit: { lastUpdatedDate: '2024-06-01T00:00:00Z' },
  },
];

type Row = Record<string, unknown>;

describe('exports with evaluationInfo.segmentation (REST API, real worker, Postgres, Redis)', () => {
  jest.setTimeout(90_000);
  let env: TestEnv;
  let api: ApiHarness;
  let worker: INestApplicationContext;
  let client: TestClient;
  let pdgPolicy: string;

  beforeAll(async () => {
    env = await createTestEnv('export_evaluation');
    const config = env.config({ SEGMENT_EVALUATION_NOW_MS: String(NOW), EXPORT_PROGRESS_INTERVAL_MS: '100' });
    api = await ApiHarness.start(config);
    worker = await startWorker(config);
    client = await api.client(ORG_A, ['prod', 'graph']);
    const store = new ProfileStoreClient(api, client, 'prod');
    await store.ingest(await store.createDataset('crm'), people);
    const graph = new ProfileStoreClient(api, client, 'graph');
    await graph.ingest(await graph.createDataset('crm'), graphCrm);
    await graph.ingest(await graph.createDataset('web'), graphWeb);
    pdgPolicy = (
      await api.http
        .post(POLICIES)
        .set(client.headers('graph'))
        .send({ name: 'graph', attributeMerge: { type: 'timestampOrdered' }, identityGraph: { type: 'pdg' } })
        .expect(200)
    ).body.id;
    await define(RICH, 'loyalty.points >= 100');
    await define(RICH_FR, `inSegment("${RICH}") and homeAddress.countryISO = "FR"`);
    await define(EVERYONE, 'loyalty.points >= 0');
    await define(VIP_LYON, 'person.vip = true and homeAddress.city = "Lyon"', 'graph', pdgPolicy);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
  });

  async function define(id: string, pql: string, sandbox = 'prod', mergePolicyId?: string) {
    await api.http
      .post(SEGMENTS)
      .set(client.headers(sandbox))
      .send({ id, name: id, ...(mergePolicyId ? { mergePolicyId } : {}), expression: { type: 'PQL', format: 'pql/text', value: pql } })
      .expect(200);
  }

  const body = (segments: Array<Record<string, unknown>>, evaluate: boolean, sandbox = 'prod', extra: Row = {}) => ({
    schema: { name: '_xdm.context.profile' },
    destination: { datasetId: client.datasets[sandbox], outputFormat: 'jsonl', segmentPerBatch: false },
    filter: { segments },
    ...(evaluate ? { evaluationInfo: { segmentation: true } } : {}),
    ...extra,
  });

  async function post(b: Row, sandbox = 'prod') {
    return (await api.http.post(JOBS).set(client.headers(sandbox)).send(b).expect(200)).body;
  }
  async function finished(id: number, sandbox = 'prod') {
    let job: Row = {};
    await eventually(async () => {
      job = (await api.http.get(`${JOBS}/${id}`).set(client.headers(sandbox)).expect(200)).body;
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(job.status as string);
    }, 60_000);
    return job as Row & { status: string; metrics: Row; destination: { batchId: string }; errors?: unknown };
  }
  async function rowsOf(batchId: string, sandbox = 'prod'): Promise<Row[]> {
    const files = await api.http.get(`${DATA_ACCESS}/batches/${batchId}/files`).set(client.headers(sandbox)).expect(200);
    const rows: Row[] = [];
    for (const f of files.body.data) {
      const listing = await api.http.get(f._links.self.href).set(client.headers(sandbox)).expect(200);
      for (const part of listing.body.data) {
        const res = await api.http
          .get(part._links.self.href)
          .set(client.headers(sandbox))
          .buffer(true)
          .parse((r, cb) => {
            const chunks: Buffer[] = [];
            r.on('data', (c: Buffer) => chunks.push(c));
            r.on('end', () => cb(null, Buffer.concat(chunks)));
          })
          .expect(200);
        rows.push(
          ...(res.body as Buffer)
            .toString()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l)),
        );
      }
    }
    return rows;
  }
  /** Runs an export to SUCCEEDED; its rows as `{who: segmentMembership.ups}`. */
  async function exportOf(b: Row, sandbox = 'prod'): Promise<Record<string, unknown>> {
    const job = await finished((await post(b, sandbox)).id, sandbox);
    expect(job.errors).toBeUndefined();
    expect(job.status).toBe('SUCCEEDED');
    const rows = await rowsOf(job.destination.batchId, sandbox);
    expect(job.metrics.totalExportedProfileCounter).toBe(rows.length);
    const out: Record<string, unknown> = {};
    for (const r of rows) {
      const ids = r.identities as Array<{ namespace: { code: string }; id: string; primary: boolean }>;
      const p = ids.find((i) => i.primary) ?? ids[0];
      out[`${p.namespace.code}:${p.id}`] = (r.segmentMembership as { ups?: unknown } | undefined)?.ups;
    }
    return out;
  }
  const rich = (status: string[] = ['realized']) => [{ segmentId: RICH, segmentNs: 'ups', status }];

  describe('POST checks what evaluation needs', () => {
    const problem = async (b: Row, path: string, message: RegExp) => {
      const res = await api.http.post(JOBS).set(client.headers()).send(b).expect(400);
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringMatching(message) })]));
    };
    it('no segment listed: 400 naming evaluationInfo.segmentation (it would evaluate nothing)', async () => {
      await problem({ ...body([], true), filter: undefined }, 'evaluationInfo.segmentation', /needs filter.segments/);
    });
    it('a listed segment without a definition: 400 naming it', async () => {
      await problem(body([{ segmentId: UNKNOWN }], true), 'filter.segments[0].segmentId', /no segment definition/);
    });
    it('a definition under another merge policy than the export: 400 (evaluation and export use one merge)', async () => {
      const other = (
        await api.http
          .post(POLICIES)
          .set(client.headers())
          .send({ name: 'other', attributeMerge: { type: 'timestampOrdered' }, identityGraph: { type: 'pdg' } })
          .expect(200)
      ).body.id;
      await problem(body(rich(), true, 'prod', { mergePolicy: { id: other, version: 1 } }), 'filter.segments[0].segmentId', /merges under policy .* but the export under/);
    });
    it("a segment namespace other than its definition's: 400", async () => {
      await problem(body([{ segmentId: RICH, segmentNs: 'other' }], true), 'filter.segments[0].segmentNs', /must be "ups"/);
    });
  });

  it('evaluates the listed segment in the export pass: exactly the hand-computed members, new ones at now, kept ones with their time', async () => {
    const members = await exportOf(body(rich(), true));
    expect(members).toEqual({
      'Email:a@x.io': { [RICH]: { status: 'realized', lastQualificationTime: NOW_ISO } },
      'Email:b@x.io': { [RICH]: { status: 'existing', lastQualificationTime: '2024-01-01T00:00:00Z' } },
      'Email:e@x.io': { [RICH]: { status: 'realized', lastQualificationTime: NOW_ISO } },
    });
  });

  it('a later export without evaluation sees the committed memberships (realized and exited)', async () => {
    expect(Object.keys(await exportOf(body(rich(), false))).sort()).toEqual(['Email:a@x.io', 'Email:b@x.io', 'Email:e@x.io']);
    expect(await exportOf(body(rich(['exited']), false))).toEqual({ 'Email:c@x.io': { [RICH]: { status: 'exited', lastQualificationTime: NOW_ISO } } });
  });

  it('evaluating again changes nothing: exited ones appear only when the filter asks for exited, with their time kept', async () => {
    expect(await exportOf(body(rich(['exited']), true))).toEqual({ 'Email:c@x.io': { [RICH]: { status: 'exited', lastQualificationTime: NOW_ISO } } });
    expect(Object.keys(await exportOf(body(rich(), true))).sort()).toEqual(['Email:a@x.io', 'Email:b@x.io', 'Email:e@x.io']);
  });

  it('inSegment of a segment not listed reads its stored (evaluated) memberships', async () => {
    const members = await exportOf(body([{ segmentId: RICH_FR }], true));
    expect(members).toEqual({
      'Email:a@x.io': { [RICH_FR]: { status: 'realized', lastQualificationTime: NOW_ISO } },
      'Email:b@x.io': { [RICH_FR]: { status: 'realized', lastQualificationTime: NOW_ISO } },
    });
  });

  it('a cancelled evaluating export applies nothing', async () => {
    // A slow export (one profile a second) to cancel while it runs.
    await worker.close();
    worker = await startWorker(env.config({ SEGMENT_EVALUATION_NOW_MS: String(NOW), EXPORT_PROGRESS_INTERVAL_MS: '100', EXPORT_RATE_LIMIT: '1' }));
    try {
      const job = await post(body([{ segmentId: EVERYONE }], true));
      await eventually(async () => {
        const j = (await api.http.get(`${JOBS}/${job.id}`).set(client.headers()).expect(200)).body;
        return j.status === 'PROCESSING' && (j.metrics?.totalExportedProfileCounter ?? 0) >= 1;
      }, 30_000);
      await api.http.delete(`${JOBS}/${job.id}`).set(client.headers()).expect(204);
      expect((await finished(job.id)).status).toBe('CANCELLED');
    } finally {
      await worker.close();
      worker = await startWorker(env.config({ SEGMENT_EVALUATION_NOW_MS: String(NOW), EXPORT_PROGRESS_INTERVAL_MS: '100' }));
    }
    // Nobody has a membership of EVERYONE: no record says so and the cancelled run committed none.
    expect(await exportOf(body([{ segmentId: EVERYONE, status: ['realized', 'exited'] }], false))).toEqual({});
  });

  it('a failed evaluating export applies nothing (its definition was deleted before it ran)', async () => {
    // No worker while the job waits: the definition is gone when it is claimed.
    await worker.close();
    let job: Row;
    try {
      job = await post(body([{ segmentId: EVERYONE }], true));
      await api.http.delete(`${SEGMENTS}/${EVERYONE}`).set(client.headers()).expect(200);
    } finally {
      worker = await startWorker(env.config({ SEGMENT_EVALUATION_NOW_MS: String(NOW), EXPORT_PROGRESS_INTERVAL_MS: '100' }));
    }
    const ended = await finished(job.id as number);
    expect(ended.status).toBe('FAILED');
    expect(JSON.stringify(ended.errors)).toMatch(/Segment definition .* does not exist in this sandbox/);
    expect(await exportOf(body([{ segmentId: EVERYONE, status: ['realized', 'exited'] }], false))).toEqual({});
  });

  it('under identity graph pdg the merged profile is evaluated, and a later export sees it', async () => {
    const segments = [{ segmentId: VIP_LYON }];
    // ann is vip by her CRM fragment and in Lyon by her web fragment: only the merged profile qualifies.
    const members = await exportOf(body(segments, true, 'graph'), 'graph');
    expect(Object.keys(members)).toHaveLength(1);
    expect(Object.values(members)[0]).toEqual({ [VIP_LYON]: { status: 'realized', lastQualificationTime: NOW_ISO } });
    const [who] = Object.keys(members);
    expect(['Email:ann@x.io', 'ECID:e-ann']).toContain(who);
    expect(await exportOf(body(segments, false, 'graph'), 'graph')).toEqual(members);
  });
});
