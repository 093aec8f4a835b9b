import type { PoolClient } from 'pg';
import { createTestEnv, TestEnv } from '../../../test/support/test-env';
import { allGraphTables, graphTables, identityGraphSql } from './identity-graph.sql';
import { profileReadSql } from './profile-read.sql';

const TENANT = `f.org_id = 'o' AND f.sandbox_name = 's'`;

/** A seeded generator (mulberry32): the same graphs on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The expected labels: union-find over fragments sharing an identity, each labelled with its component's smallest identity (byte order). */
function expectedLabels(fragments: string[][]): string[] {
  const parent = fragments.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const owner = new Map<string, number>();
  fragments.forEach((ids, i) => {
    for (const id of ids) {
      const j = owner.get(id);
      if (j === undefined) owner.set(id, i);
      else parent[find(i)] = find(j);
    }
  });
  const smallest = new Map<number, string>();
  const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  fragments.forEach((ids, i) => {
    for (const id of ids) {
      const root = find(i);
      const cur = smallest.get(root);
      if (cur === undefined || bytes(id, cur) < 0) smallest.set(root, id);
    }
  });
  return fragments.map((_, i) => smallest.get(find(i))!);
}

describe('identity graph SQL on a real database', () => {
  // Many round trips to a real Postgres: on a loaded machine (CI runs e2e files beside) 5 s is not enough.
  jest.setTimeout(60_000);
  let env: TestEnv;
  let c: PoolClient;
  beforeAll(async () => {
    env = await createTestEnv('identity_graph_sql');
    c = await env.db.connect();
  });
  afterAll(async () => {
    c.release();
    await env.close();
  });

  /** Stores the fragments, runs the graph's statements to the end, and gives each fragment's label and the rounds run. */
  async function labelsOf(fragments: string[][]): Promise<{ labels: string[]; identities: Map<string, string>; rounds: number }> {
    await c.query('TRUNCATE profile_fragments');
    const ids: string[] = [];
    for (const identities of fragments) {
      const r = await c.query<{ id: string }>(
        `INSERT INTO profile_fragments (org_id, sandbox_name, dataset_id, batch_id, primary_identity, identities, record, ingest_time, record_time)
         VALUES ('o', 's', repeat('d', 24), repeat('b', 32), $1, $2, '{}', now(), now()) RETURNING id::text`,
        [identities[0], identities],
      );
      ids.push(r.rows[0].id);
    }
    // Another tenant's fragment sharing an identity links nothing here.
    await c.query(
      `INSERT INTO profile_fragments (org_id, sandbox_name, dataset_id, batch_id, primary_identity, identities, record, ingest_time, record_time)
       VALUES ('o', 'other', repeat('d', 24), repeat('b', 32), 'Email:0', ARRAY['Email:0', '!'], '{}', now(), now())`,
    );
    const g = graphTables('t');
    const sql = identityGraphSql(TENANT, g);
    await c.query(`DROP TABLE IF EXISTS ${allGraphTables(g).join(', ')}`);
    for (const s of sql.setup) await c.query(s);
    let rounds = 0;
    for (; ; rounds++) {
      const [empty, lower] = sql.round(rounds);
      await c.query(empty);
      if (!(await c.query(lower)).rowCount) break;
    }
    for (const s of sql.identityLabels) await c.query(s);
    for (const s of sql.finish) await c.query(s);
    const byId = new Map((await c.query<{ fid: string; label: string }>(`SELECT fid::text, label FROM ${g.fragmentLabels}`)).rows.map((r) => [r.fid, r.label]));
    const identities = new Map((await c.query<{ ident: string; label: string }>(`SELECT ident, label FROM ${g.identityLabels}`)).rows.map((r) => [r.ident, r.label]));
    return { labels: ids.map((id) => byId.get(id)!), identities, rounds };
  }

  it('labels a long chain with its smallest identity, however far it is', async () => {
    // Fragment i holds identities i and i+1: one component of diameter 40, smallest identity at the far end.
    const n = 40;
    const name = (i: number) => `Email:${String(n - i).padStart(3, '0')}`;
    const fragments = Array.from({ length: n }, (_, i) => [name(i), name(i + 1)]);
    fragments.push(['ECID:lonely']);
    const { labels, identities, rounds } = await labelsOf(fragments);
    expect(labels).toEqual([...Array(n).fill('Email:000'), 'ECID:lonely']);
    expect(identities.get(name(0))).toBe('Email:000');
    expect(identities.get('!')).toBeUndefined();
    expect(rounds).toBeGreaterThan(1);
  });

  it('lets the read stream the fragments in label order through an index, with no sort', async () => {
    const fragments = [['Email:b', 'ECID:1'], ['ECID:1'], ['Email:a'], ['ECID:2', 'Email:a']];
    const { labels } = await labelsOf(fragments);
    expect(labels).toEqual(['ECID:1', 'ECID:1', 'ECID:2', 'ECID:2']);
    const scope = { orgId: 'o', sandboxName: 's' };
    const read = profileReadSql(scope, { identityGraph: 'pdg' }, graphTables('t'));
    try {
      // The planner made to cost the index's random reads far above a sort (as at scale).
      await c.query('SET random_page_cost = 10000');
      await c.query(read.fragmentSettings);
      const plan = (await c.query(`EXPLAIN ${read.fragments}`)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index (Only )?Scan using export_graph_fl_t_label_fid_idx/);
      expect(plan).not.toMatch(/Sort/);
      expect((await c.query(read.fragments)).rows.map((r: { label: string }) => r.label)).toEqual(['ECID:1', 'ECID:1', 'ECID:2', 'ECID:2']);
    } finally {
      await c.query('RESET ALL');
    }
    // A segment-filtered read keeps the planner's choice (sorts off gave a quadratic nested loop).
    const segment = { segmentNs: 'ups', segmentId: 'x', statuses: ['realized'] };
    expect(profileReadSql(scope, { identityGraph: 'pdg', segments: [segment] }, graphTables('t')).fragmentSettings).toBe('');
  });

  it('gives the components union-find gives, on random graphs', async () => {
    const next = random(7);
    for (let graph = 0; graph < 12; graph++) {
      const pool = 5 + Math.floor(next() * 60);
      const fragments = Array.from({ length: 10 + Math.floor(next() * 50) }, () =>
        Array.from({ length: 1 + Math.floor(next() * 3) }, () => `${next() < 0.5 ? 'Email' : 'ECID'}:${Math.floor(next() * pool)}`),
      );
      const { labels, identities } = await labelsOf(fragments);
      const expected = expectedLabels(fragments);
      expect(labels).toEqual(expected);
      fragments.forEach((ids, i) => ids.forEach((id) => expect(identities.get(id)).toBe(expected[i])));
    }
  });
});
