import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { ChildWorkers, eventually } from './support/child-process';
import { sortedRowsDigest } from './support/batch-files';
import { ProfileStoreClient, profile } from './support/profile-store';
import { TestEnv, createTestEnv } from './support/test-env';

const JOBS = '/data/core/ups/export/jobs';
const IDS = Array.from({ length: 40 }, (_, i) => `p${String(i).padStart(2, '0')}`);
const BATCHES = 12;

/** The profiles batch k writes: a fixed pseudo-random third of them, at least one. */
const touchedBy = (k: number) => IDS.filter((_, i) => (i * 7 + k * 13) % 3 === 0);

/**
 * Incremental chains (issue #15) against real worker processes, Postgres and Redis, with batches
 * promoted while the chain's exports run: the links' union must equal one full export taken
 * after the last link, and no profile version may appear in two links.
 */
describe('incremental export chains (real workers, Postgres, Redis)', () => {
  jest.setTimeout(180_000);
  let env: TestEnv;
  let api: ApiHarness;
  let client: TestClient;
  let store: ProfileStoreClient;
  let input: string;
  const workers = new ChildWorkers((overrides) => env.childEnv(overrides), { EXPORT_BACKOFF_MS: '100', RECONCILE_INTERVAL_MS: '1000', LOG_LEVEL: 'warn' });

  beforeAll(async () => {
    env = await createTestEnv('export_chain');
    api = await ApiHarness.start(env.config());
    client = await api.client(ORG_A, ['prod']);
    store = new ProfileStoreClient(api, client);
    input = await store.createDataset('chain input');
  });
  // A test that fails midway must not leave its workers to the next one (which expects none).
  afterEach(() => workers.stopAll());
  afterAll(async () => {
    await workers.stopAll();
    await api?.close();
    await env?.close();
  });

  const create = (filter: Record<string, unknown>) =>
    api.http
      .post(JOBS)
      .set(client.headers())
      .send({ destination: { datasetId: client.datasets.prod, outputFormat: 'jsonl' }, schema: { name: '_xdm.context.profile' }, filter });
  const get = async (id: number) => (await api.http.get(`${JOBS}/${id}`).set(client.headers()).expect(200)).body;
  async function run(filter: Record<string, unknown>): Promise<{ job: Record<string, any>; rows: Map<string, string> }> {
    const id = (await create(filter).expect(200)).body.id as number;
    await eventually(async () => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes((await get(id)).status), 60_000, 50);
    const job = await get(id);
    expect(job.status).toBe('SUCCEEDED');
    const rows = new Map<string, string>();
    for (const line of (await sortedRowsDigest(api, client, job.destination.batchId)).lines) {
      const key = (JSON.parse(line) as { person: { name: { firstName: string } } }).person.name.firstName;
      expect(rows.has(key)).toBe(false);
      rows.set(key, line);
    }
    return { job, rows };
  }
  /** Batch k: each profile it touches gets an attribute of its own, so every batch changes the merged profile. */
  const ingest = (k: number) =>
    store.ingest(
      input,
      touchedBy(k).map((id) => profile(id, { loyalty: { tier: `t${k}`, [`b${k}`]: k } })),
    );

  it('links run while batches are promoted: their union is a full export, no version twice, no gap', async () => {
    workers.start();
    workers.start();
    let ingested = 0;
    const ingestion = (async () => {
      for (let k = 1; k <= BATCHES; k++) {
        await ingest(k);
        ingested = k;
      }
    })();
    // An ingestion that fails ends the test with its error at once, not by the links' loop running to the timeout.
    let ingestionError: Error | undefined;
    ingestion.catch((e: unknown) => (ingestionError = e instanceof Error ? e : new Error(String(e))));
    const links: Array<{ job: Record<string, any>; rows: Map<string, string> }> = [];
    while (ingested < BATCHES) {
      if (ingestionError) throw ingestionError;
      links.push(await run({ chainId: 'crm-daily' }));
    }
    await ingestion;
    links.push(await run({ chainId: 'crm-daily' }));
    const full = await run({});

    // The exports really ran beside the ingestion: several links, more than one with rows.
    expect(links.filter((l) => l.rows.size > 0).length).toBeGreaterThan(1);
    expect(full.rows.size).toBe(new Set(Array.from({ length: BATCHES }, (_, i) => touchedBy(i + 1)).flat()).size);

    // Each link starts where the previous succeeded one ended.
    expect(links[0].job.chainLink).toEqual({ chainId: 'crm-daily', upTo: expect.any(String) });
    for (let i = 1; i < links.length; i++) {
      expect(links[i].job.chainLink).toEqual({ chainId: 'crm-daily', previousJobId: links[i - 1].job.id, after: links[i - 1].job.chainLink.upTo, upTo: expect.any(String) });
    }

    // Union: every profile of the full export, as its latest link wrote it.
    const latest = new Map<string, string>();
    for (const link of links) for (const [key, row] of link.rows) latest.set(key, row);
    expect([...latest.keys()].sort()).toEqual([...full.rows.keys()].sort());
    for (const [key, row] of full.rows) expect(JSON.parse(latest.get(key)!)).toEqual(JSON.parse(row));

    // No overlap: a version (profile and its bytes) is written by one link only.
    const seen = new Set<string>();
    for (const link of links) {
      for (const row of link.rows.values()) {
        expect(seen.has(row)).toBe(false);
        seen.add(row);
      }
    }
    // The last link, after the ingestion ended, holds only what came after the link before it.
    const last = links[links.length - 1];
    if (links.length > 1) expect(last.rows.size).toBeLessThan(full.rows.size);
    // A link with nothing new writes an empty batch and still moves the chain on.
    const empty = await run({ chainId: 'crm-daily' });
    expect(empty.rows.size).toBe(0);
    expect(empty.job.chainLink.previousJobId).toBe(last.job.id);
    await workers.stopAll();
  });

  it('runs one unfinished export per chain (409 naming filter.chainId) and refuses bad chain filters with 400', async () => {
    // No worker runs: the first link stays NEW.
    const first = (await create({ chainId: 'solo' }).expect(200)).body.id as number;
    const second = await create({ chainId: 'solo' }).expect(409);
    expect(JSON.stringify(second.body)).toContain('filter.chainId');
    expect(JSON.stringify(second.body)).toContain(`(${first})`);
    // Another chain is not held up.
    const otherChain = (await create({ chainId: 'other' }).expect(200)).body.id as number;
    await api.http.delete(`${JOBS}/${first}`).set(client.headers()).expect(204);
    const third = (await create({ chainId: 'solo' }).expect(200)).body.id as number;
    for (const id of [otherChain, third]) await api.http.delete(`${JOBS}/${id}`).set(client.headers()).expect(204);

    const pdg = await api.http
      .post('/data/core/ups/config/mergePolicies')
      .set(client.headers())
      .send({ name: 'graph', attributeMerge: { type: 'timestampOrdered' }, identityGraph: { type: 'pdg' }, schema: { name: '_xdm.context.profile' } })
      .expect(200);
    const throughGraph = await api.http
      .post(JOBS)
      .set(client.headers())
      .send({ destination: { datasetId: client.datasets.prod }, schema: { name: '_xdm.context.profile' }, filter: { chainId: 'g' }, mergePolicy: { id: pdg.body.id, version: 1 } })
      .expect(400);
    expect(JSON.stringify(throughGraph.body)).toContain('filter.chainId');
    const both = await create({ chainId: 'x', fromIngestTimestamp: '2024-01-01T00:00:00Z' }).expect(400);
    expect(JSON.stringify(both.body)).toContain('filter.fromIngestTimestamp');
    for (const bad of ['', 'has space', 'x'.repeat(129), 7]) {
      const res = await create({ chainId: bad }).expect(400);
      expect(JSON.stringify(res.body)).toContain('chainId');
    }
  });
});
