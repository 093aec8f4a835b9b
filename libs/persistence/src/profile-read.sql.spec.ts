import type { TenantScope } from '@sx/domain';
import { createTestEnv, TestEnv } from '../../../test/support/test-env';
import { graphTables, hasEvaluatedSql, inKeyRange, membershipConditions, profileReadSql, ProfileReadPlan, tenantOf } from './profile-read.sql';

// User-supplied text that breaks naive quoting: a quote, a backslash, dollar quotes.
const NASTY = `it's \\ $$ x'); DROP TABLE profile_fragments; --`;
const scope: TenantScope = { orgId: `org'1`, sandboxName: `prod\\` };
const quoted = (s: string) => `'${s.replace(/'/g, "''")}'`;
const segment = (segmentId: string, statuses = ['realized', 'existing']) => ({ segmentNs: 'ups', segmentId, statuses });
const plan = (p: Partial<ProfileReadPlan> = {}): ProfileReadPlan => ({ identityGraph: 'none', ...p });

describe('profile read SQL text', () => {
  it('keeps every read within the tenant, quoting its names', () => {
    expect(tenantOf(scope, 'f')).toBe(`f.org_id = 'org''1' AND f.sandbox_name = 'prod\\'`);
    const sql = profileReadSql(scope, plan({ events: {}, evaluated: [{ segmentNs: 'ups', segmentId: 's' }] }));
    expect(sql.fragments).toContain(tenantOf(scope, 'f'));
    expect(sql.events).toContain(tenantOf(scope, 'e'));
    expect(sql.evaluated).toContain(tenantOf(scope, 'm'));
  });

  it('bounds keys in byte order, half open, and not at all without a range', () => {
    expect(inKeyRange('k', undefined)).toBe('');
    expect(inKeyRange('k', { from: `a'` })).toBe(` AND k COLLATE "C" >= 'a'''`);
    expect(inKeyRange('k', { to: 'm' })).toBe(` AND k COLLATE "C" < 'm'`);
    const sql = profileReadSql(scope, plan({ keyRange: { from: 'a', to: 'm' }, events: {} }));
    expect(sql.fragments).toContain(`f.primary_identity COLLATE "C" >= 'a' AND f.primary_identity COLLATE "C" < 'm'`);
    expect(sql.events).toContain(`e.primary_identity COLLATE "C" >= 'a'`);
  });

  it('matches statuses per segment and the qualification window on every segment', () => {
    const sql = membershipConditions(plan({ segments: [segment('s1', ['exited']), segment('s2')], qualifiedBetween: { startMs: 1000, endMs: 2500 } }));
    expect(sql).toBe(
      `((m.segment_ns = 'ups' AND m.segment_id = 's1' AND m.status IN ('exited')) OR (m.segment_ns = 'ups' AND m.segment_id = 's2' AND m.status IN ('realized', 'existing'))) ` +
        `AND m.last_qualification_time >= to_timestamp(1000 / 1000.0) AND m.last_qualification_time <= to_timestamp(2500 / 1000.0)`,
    );
    expect(membershipConditions(plan({ segments: [] }))).toBeUndefined();
  });

  it('windows events by ingest time, exclusive below and inclusive above', () => {
    const sql = profileReadSql(scope, plan({ events: { afterMs: 5, upToMs: 7 } }));
    expect(sql.events).toContain('AND e.ingest_time > to_timestamp(5 / 1000.0) AND e.ingest_time <= to_timestamp(7 / 1000.0)');
    expect(profileReadSql(scope, plan()).events).toBeUndefined();
  });

  it('quotes segment ids with quotes, backslashes and $$ as one literal each', () => {
    const sql = profileReadSql(scope, plan({ segments: [segment(NASTY)], evaluated: [{ segmentNs: 'ups', segmentId: NASTY }] }));
    expect(sql.fragments).toContain(`m.segment_id = ${quoted(NASTY)} AND`);
    expect(sql.evaluated).toContain(`m.segment_id = ${quoted(NASTY)})`);
    expect(hasEvaluatedSql(scope, [{ segmentNs: 'ups', segmentId: NASTY }])).toContain(`m.segment_id = ${quoted(NASTY)})`);
    expect(() => profileReadSql(scope, plan({ segments: [segment('a\u0000b')] }))).toThrow(/NUL/);
  });

  it('reads by component only with the scratch tables named, in all three reads', () => {
    expect(() => profileReadSql(scope, plan({ identityGraph: 'pdg' }))).toThrow(/scratch tables/);
    const tables = graphTables('abc');
    const sql = profileReadSql(scope, plan({ identityGraph: 'pdg', segments: [segment('s')], events: {}, evaluated: [{ segmentNs: 'ups', segmentId: 's' }] }), tables);
    for (const text of [sql.fragments, sql.events!, sql.evaluated!]) expect(text).toContain(tables.identityLabels);
    expect(sql.fragments).toContain(`FROM ${tables.fragmentLabels} l JOIN profile_fragments f`);
  });
});

describe('profile read SQL on a real database', () => {
  let env: TestEnv;
  const other: TenantScope = { orgId: 'other', sandboxName: `prod\\` };
  beforeAll(async () => {
    env = await createTestEnv('profile_read_sql');
    const fragment = (s: TenantScope, identity: string) =>
      env.db.query(
        `INSERT INTO profile_fragments (org_id, sandbox_name, dataset_id, batch_id, primary_identity, identities, record, ingest_time, record_time)
         VALUES ($1, $2, repeat('d', 24), repeat('b', 32), $3, ARRAY[$3], '{}', now(), now())`,
        [s.orgId, s.sandboxName, identity],
      );
    const member = (s: TenantScope, segmentId: string, identity: string, evaluated = false) =>
      env.db.query(
        `INSERT INTO segment_memberships (org_id, sandbox_name, segment_ns, segment_id, identity, status, last_qualification_time, evaluated)
         VALUES ($1, $2, 'ups', $3, $4, 'realized', now(), $5)`,
        [s.orgId, s.sandboxName, segmentId, identity, evaluated],
      );
    for (const id of ['Email:a', 'Email:b', 'Email:c']) await fragment(scope, id);
    await fragment(other, 'Email:a');
    await member(scope, NASTY, 'Email:b');
    await member(scope, NASTY, 'Email:c', true);
    // Near misses: the id without its tail, and the same id in another tenant.
    await member(scope, NASTY.slice(0, 6), 'Email:a');
    await member(other, NASTY, 'Email:a');
  });
  afterAll(() => env?.close());

  /** The first column (the profile key) of every row, in the read's order. */
  const keys = async (text: string) => (await env.db.query({ text, rowMode: 'array' })).rows.map((r: unknown[]) => r[0]);

  it('selects the members of a segment whose id needs quoting, and runs every read', async () => {
    const p = plan({ segments: [segment(NASTY)], events: {}, evaluated: [{ segmentNs: 'ups', segmentId: NASTY }] });
    const sql = profileReadSql(scope, p);
    expect(await keys(sql.fragments)).toEqual(['Email:b', 'Email:c']);
    expect(await keys(sql.events!)).toEqual([]);
    expect(await keys(sql.evaluated!)).toEqual(['Email:c']);
    expect((await env.db.query(hasEvaluatedSql(scope, [{ segmentNs: 'ups', segmentId: NASTY }]))).rows).toEqual([{ found: true }]);
    expect(await env.db.query('SELECT count(*)::int AS n FROM profile_fragments')).toMatchObject({ rows: [{ n: 4 }] });
  });

  it('reads a segment filter as one merge join in key order, under its settings', async () => {
    const sql = profileReadSql(scope, plan({ segments: [segment(NASTY)] }));
    const client = await env.db.connect();
    try {
      // As below: the index's random reads costed far above a sort of the fragments.
      await client.query('SET random_page_cost = 10000');
      await client.query(sql.fragmentSettings);
      const explained = (await client.query(`EXPLAIN ${sql.fragments}`)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
      expect(explained).toMatch(/Merge (Semi )?Join/);
      expect(explained).toMatch(/Index Scan using profile_fragments_profile_idx/);
      expect(explained).not.toMatch(/Hash|Nested Loop|Gather|Seq Scan on profile_fragments/);
      expect(await keys(sql.fragments)).toEqual(['Email:b', 'Email:c']);
    } finally {
      await client.query('RESET ALL');
      client.release();
    }
  });

  it('reads every profile by the key-ordered index, never by a scan and a sort, and leaves a chain link to the planner', async () => {
    const sql = profileReadSql(scope, plan({}));
    const client = await env.db.connect();
    try {
      // The planner made to cost the index's random reads far above a sort, as it does when the
      // sandbox is a large share of a big table (a few rows here would get the index anyway).
      await client.query('SET random_page_cost = 10000');
      await client.query(sql.fragmentSettings);
      const explained = (await client.query(`EXPLAIN ${sql.fragments}`)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
      expect(explained).toMatch(/Index Scan using profile_fragments_profile_idx/);
      expect(explained).not.toMatch(/Sort|Seq Scan/);
      expect(await keys(sql.fragments)).toEqual(['Email:a', 'Email:b', 'Email:c']);
    } finally {
      await client.query('RESET ALL');
      client.release();
    }
    expect(profileReadSql(scope, plan({ snapshot: { upTo: '10:10:', after: '5:5:' } })).fragmentSettings).toBe('');
  });

  it('selects the same under the identity graph, by the scratch tables', async () => {
    const tables = graphTables('spec');
    const client = await env.db.connect();
    try {
      // Temporary tables live in one session: every read runs on the client that made them.
      await client.query(
        `CREATE TEMP TABLE ${tables.fragmentLabels} AS SELECT id AS fid, primary_identity AS label FROM profile_fragments WHERE ${tenantOf(scope, 'profile_fragments')}`,
      );
      await client.query(
        `CREATE TEMP TABLE ${tables.identityLabels} AS SELECT primary_identity AS ident, primary_identity AS label FROM profile_fragments WHERE ${tenantOf(scope, 'profile_fragments')}`,
      );
      const sql = profileReadSql(scope, plan({ identityGraph: 'pdg', segments: [segment(NASTY)], keyRange: { to: 'Email:c' } }), tables);
      expect((await client.query(sql.fragments)).rows.map((r) => r.label)).toEqual(['Email:b']);
    } finally {
      client.release();
    }
  });
});
