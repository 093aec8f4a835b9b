import { Client } from 'pg';
import { SegmentDefinitionRepository } from '@sx/persistence';
import { ApiHarness, ORG_A, ORG_B, TestClient } from './support/api-harness';
import { TestEnv, createTestEnv } from './support/test-env';

const BASE = '/data/core/ups';
const SEGMENTS = `${BASE}/segment/definitions`;
const POLICIES = `${BASE}/config/mergePolicies`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const BUILT_IN = 'timestampOrdered-none-mp';
const UNKNOWN_ID = '4afe34ae-8c98-4513-8a1d-67ccaa54bc05';

const expression = { type: 'PQL', format: 'pql/text', value: 'homeAddress.country = "US"' };
const minimal = (overrides: Record<string, unknown> = {}) => ({ name: 'People in the US', expression, ...overrides });
const policyBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'graph',
  attributeMerge: { type: 'timestampOrdered' },
  identityGraph: { type: 'pdg' },
  ...overrides,
});

describe('segment definitions API (real Postgres)', () => {
  let env: TestEnv;
  let api: ApiHarness;
  let a: TestClient;
  let b: TestClient;

  beforeAll(async () => {
    env = await createTestEnv('segment_definitions');
    api = await ApiHarness.start(env.config());
    a = await api.client(ORG_A, ['prod', 'dev', 'defaults', 'paging', 'locks']);
    b = await api.client(ORG_B, ['prod']);
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  const post = (body: unknown, sandbox = 'prod', who = () => a) =>
    api.http
      .post(SEGMENTS)
      .set(who().headers(sandbox))
      .send(body as object);
  const get = (id: string, sandbox = 'prod', who = () => a) => api.http.get(`${SEGMENTS}/${id}`).set(who().headers(sandbox));
  const del = (id: string, sandbox = 'prod', who = () => a) => api.http.delete(`${SEGMENTS}/${id}`).set(who().headers(sandbox));
  const list = (query: string, sandbox = 'prod', who = () => a) => api.http.get(`${SEGMENTS}${query}`).set(who().headers(sandbox));
  const createPolicy = async (sandbox: string, overrides: Record<string, unknown> = {}, who = () => a) =>
    (await api.http.post(POLICIES).set(who().headers(sandbox)).send(policyBody(overrides)).expect(200)).body.id as string;
  const storedCount = async () => (await env.db.query('SELECT count(*)::int AS n FROM segment_definitions')).rows[0].n as number;

  describe('POST', () => {
    it("creates a definition from the smallest body: 200 in AEP's shape, defaults filled, stored", async () => {
      const before = Date.now();
      const res = await post(minimal()).expect(200);
      const body = res.body;
      expect(body).toEqual({
        id: expect.stringMatching(UUID),
        schema: { name: '_xdm.context.profile' },
        profileInstanceId: 'ups',
        imsOrgId: ORG_A,
        sandbox: { sandboxName: 'prod' },
        name: 'People in the US',
        namespace: 'ups',
        mergePolicyId: BUILT_IN,
        expression,
        evaluationInfo: { batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } },
        dataGovernancePolicy: { excludeOptOut: false },
        creationTime: expect.any(Number),
        updateEpoch: expect.any(Number),
        updateTime: expect.any(Number),
      });
      expect(Object.keys(body.expression)).toEqual(['type', 'format', 'value']);
      expect(body.creationTime).toBeGreaterThanOrEqual(before - 1000);
      expect(body.creationTime).toBeLessThanOrEqual(Date.now() + 1000);
      expect(body.updateTime).toBe(body.creationTime);
      expect(body.updateEpoch).toBe(Math.floor(body.updateTime / 1000));
      const row = await env.db.query('SELECT org_id, sandbox_name, namespace, merge_policy_id, schema_name, description FROM segment_definitions WHERE id = $1', [body.id]);
      expect(row.rows).toEqual([{ org_id: ORG_A, sandbox_name: 'prod', namespace: 'ups', merge_policy_id: BUILT_IN, schema_name: '_xdm.context.profile', description: null }]);
      expect((await get(body.id).expect(200)).body).toEqual(body);
    });

    it("keeps everything AEP's create example sends that it stores, with a stored merge policy", async () => {
      const policyId = await createPolicy('prod');
      const full = {
        name: 'People who ordered in the last 30 days',
        profileInstanceId: 'ups',
        description: 'Last 30 days',
        namespace: 'AAMSegments',
        mergePolicyId: policyId,
        expression: { type: 'PQL', format: 'pql/text', value: 'workAddress.country = "US"' },
        schema: { name: '_xdm.context.profile' },
      };
      const res = await post(full).expect(200);
      expect(res.body).toMatchObject({
        name: full.name,
        description: 'Last 30 days',
        namespace: 'AAMSegments',
        mergePolicyId: policyId,
        expression: full.expression,
        profileInstanceId: 'ups',
      });
      expect((await get(res.body.id).expect(200)).body).toEqual(res.body);
    });

    it('keeps a client-chosen uuid id (so ingested memberships keep pointing at it); 409 when taken', async () => {
      const id = '6f1e4a52-93f1-4c3e-9d55-0d8a3c1f2b7a';
      const res = await post(minimal({ id })).expect(200);
      expect(res.body.id).toBe(id);
      await get(id).expect(200);
      const again = await post(minimal({ id })).expect(409);
      expect(again.body.detail).toContain(id);
      const bad = await post(minimal({ id: 'not-a-uuid' })).expect(400);
      expect(bad.body.errors).toEqual([{ path: 'id', message: 'must be a uuid' }]);
    });

    it('accepts the built-in merge policy by id', async () => {
      expect((await post(minimal({ mergePolicyId: BUILT_IN })).expect(200)).body.mergePolicyId).toBe(BUILT_IN);
    });

    it('takes the sandbox default merge policy at creation time, and keeps it when the default changes', async () => {
      const first = await post(minimal(), 'defaults').expect(200);
      expect(first.body.mergePolicyId).toBe(BUILT_IN);
      const defaultId = await createPolicy('defaults', { default: true });
      const second = await post(minimal(), 'defaults').expect(200);
      expect(second.body.mergePolicyId).toBe(defaultId);
      const newerDefault = await createPolicy('defaults', { name: 'newer', default: true });
      expect((await get(second.body.id, 'defaults').expect(200)).body.mergePolicyId).toBe(defaultId);
      expect((await post(minimal(), 'defaults').expect(200)).body.mergePolicyId).toBe(newerDefault);
      expect((await get(first.body.id, 'defaults').expect(200)).body.mergePolicyId).toBe(BUILT_IN);
    });

    it('400 naming mergePolicyId for a policy that does not exist, or exists only in another sandbox or org', async () => {
      const inDev = await createPolicy('dev');
      const inOrgB = await createPolicy('prod', {}, () => b);
      for (const mergePolicyId of ['no-such-policy', UNKNOWN_ID, inDev, inOrgB]) {
        const before = await storedCount();
        const res = await post(minimal({ mergePolicyId })).expect(400);
        expect(res.body.errors).toEqual([{ path: 'mergePolicyId', message: 'does not name a merge policy of this sandbox' }]);
        expect(await storedCount()).toBe(before);
      }
    });

    const invalid: Array<[string, string, Record<string, unknown>, RegExp]> = [
      ['missing name', 'name', { expression }, /is required/],
      ['empty name', 'name', minimal({ name: '' }), /must not be empty/],
      ['blank name', 'name', minimal({ name: ' \t' }), /must not be empty/],
      ['name not a string', 'name', minimal({ name: ['n'] }), /string/],
      ['description not a string', 'description', minimal({ description: 5 }), /string/],
      ['empty namespace', 'namespace', minimal({ namespace: '' }), /must not be empty/],
      ['namespace not a string', 'namespace', minimal({ namespace: 1 }), /string/],
      ['empty mergePolicyId', 'mergePolicyId', minimal({ mergePolicyId: '' }), /must not be empty/],
      ['mergePolicyId not a string', 'mergePolicyId', minimal({ mergePolicyId: 1 }), /string/],
      ['missing expression', 'expression', { name: 'n' }, /is required/],
      ['expression not an object', 'expression', minimal({ expression: 'a = 1' }), /object/],
      ['missing expression.type', 'expression.type', minimal({ expression: { format: 'pql/text', value: 'x' } }), /is required/],
      ['expression.type not PQL', 'expression.type', minimal({ expression: { ...expression, type: 'SQL' } }), /must be "PQL"/],
      ['missing expression.format', 'expression.format', minimal({ expression: { type: 'PQL', value: 'x' } }), /is required/],
      ['another expression.format', 'expression.format', minimal({ expression: { ...expression, format: 'text' } }), /must be "pql\/text" or "pql\/json"/],
      ['missing expression.value', 'expression.value', minimal({ expression: { type: 'PQL', format: 'pql/text' } }), /is required/],
      ['empty expression.value', 'expression.value', minimal({ expression: { ...expression, value: '' } }), /must not be empty/],
      ['expression.value not a string', 'expression.value', minimal({ expression: { ...expression, value: { a: 1 } } }), /string/],
      ['a schema other than the profile class', 'schema.name', minimal({ schema: { name: '_xdm.context.experienceevent' } }), /_xdm\.context\.profile/],
      ['profileInstanceId other than ups', 'profileInstanceId', minimal({ profileInstanceId: 'other' }), /must be "ups"/],
      ['unknown top-level property', 'ttlInDay', minimal({ ttlInDay: 30 }), /not a known property/],
      ['unknown expression property', 'expression.lang', minimal({ expression: { ...expression, lang: 'x' } }), /not a known property/],
    ];

    it.each(invalid)('400 for %s, naming %s; nothing stored', async (_, path, body, message) => {
      const before = await storedCount();
      const res = await post(body).expect(400);
      expect(res.body).toMatchObject({ status: 400, title: 'Bad Request', requestId: res.headers['x-request-id'] });
      expect(res.body.errors).toEqual([{ path, message: expect.stringMatching(message) }]);
      expect(await storedCount()).toBe(before);
    });

    it('names every offending field at once', async () => {
      const res = await post({ name: '', expression: { type: 'pql', format: 'pql/json', value: '' }, namespace: '' }).expect(400);
      expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['expression.type', 'expression.value', 'name', 'namespace']);
    });

    it('415 for another content type, 400 for a body that is not a JSON object', async () => {
      await api.http.post(SEGMENTS).set(a.headers()).set('Content-Type', 'text/plain').send('x').expect(415);
      const res = await api.http.post(SEGMENTS).set(a.headers()).set('Content-Type', 'application/json').send('"x"').expect(400);
      expect(res.body.detail).toMatch(/JSON/);
    });

    it('needs the gateway headers like every AEP route', async () => {
      const res = await api.http.get(SEGMENTS).expect(403);
      expect(res.body).toEqual({ error_code: '403010', message: expect.any(String) });
    });
  });

  describe('GET one', () => {
    it('finds a definition by its id in any letter case', async () => {
      const { body } = await post(minimal()).expect(200);
      expect((await get(body.id.toUpperCase()).expect(200)).body).toEqual(body);
    });

    it.each([['abc'], ['123'], [`${UNKNOWN_ID}0`], [UNKNOWN_ID.replace(/-/g, '')], ['timestampOrdered-none-mp']])('400 naming id for %p', async (id) => {
      const res = await get(id).expect(400);
      expect(res.body.errors).toEqual([{ path: 'id', message: 'must be a uuid' }]);
    });

    it('404 for an unknown id', async () => {
      const res = await get(UNKNOWN_ID).expect(404);
      expect(res.body).toMatchObject({ status: 404, title: 'Not Found', detail: `Segment definition ${UNKNOWN_ID} does not exist.` });
    });
  });

  describe('GET list', () => {
    let expected: string[];

    beforeAll(async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await post(minimal({ name: `s${i}` }), 'paging').expect(200)).body.id);
      // Explicit creation times, three of them equal: newest first, then id descending.
      const times = [
        '2026-01-01T00:00:00.300Z',
        '2026-01-01T00:00:00.300Z',
        '2026-01-01T00:00:00.300Z',
        '2026-01-01T00:00:00.100Z',
        '2026-01-02T00:00:00.000Z',
        '2026-01-03T00:00:00.000Z',
        '2026-01-04T00:00:00.000Z',
      ];
      for (const [i, time] of times.entries()) await env.db.query('UPDATE segment_definitions SET created_at = $2 WHERE id = $1', [ids[i], time]);
      expected = [ids[6], ids[5], ids[4], ...ids.slice(0, 3).sort().reverse(), ids[3]];
    });

    it('follows link.next until there is none, newest first, each definition once', async () => {
      const seen: string[] = [];
      let next: string | undefined = '/segment/definitions?limit=3';
      let pages = 0;
      while (next !== undefined) {
        const res: { body: any } = await api.http.get(`${BASE}${next}`).set(a.headers('paging')).expect(200);
        expect(res.body.page).toEqual({ totalCount: 7, totalPages: 3, sortField: 'creationTime', sort: 'desc', pageSize: res.body.segments.length, limit: 3 });
        seen.push(...res.body.segments.map((s: { id: string }) => s.id));
        pages++;
        next = res.body.link.next;
        if (next !== undefined) expect(next).toBe(`/segment/definitions?start=${seen.length}&limit=3`);
        expect(pages).toBeLessThan(10);
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(expected);
    });

    it("defaults to page 0 of 100 (AEP's), caps limit at 1000 without an error, and answers an empty page past the end", async () => {
      const def = await list('', 'paging').expect(200);
      expect(def.body.page).toEqual({ totalCount: 7, totalPages: 1, sortField: 'creationTime', sort: 'desc', pageSize: 7, limit: 100 });
      expect(def.body.link).toEqual({});
      expect(def.body.segments[0]).toEqual((await get(expected[0], 'paging').expect(200)).body);
      const capped = await list('?limit=5000', 'paging').expect(200);
      expect(capped.body.page.limit).toBe(1000);
      expect(capped.body.segments).toHaveLength(7);
      const beyond = await list('?page=99999999&limit=1000', 'paging').expect(200);
      expect(beyond.body).toEqual({
        segments: [],
        page: { totalCount: 7, totalPages: 1, sortField: 'creationTime', sort: 'desc', pageSize: 0, limit: 1000 },
        link: {},
      });
    });

    it('an empty sandbox lists nothing', async () => {
      const res = await list('', 'prod', () => b).expect(200);
      expect(res.body).toEqual({
        segments: [],
        page: { totalCount: 0, totalPages: 0, sortField: 'creationTime', sort: 'desc', pageSize: 0, limit: 100 },
        link: {},
      });
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=-5', 'limit'],
      ['limit=ten', 'limit'],
      ['page=-1', 'page'],
      ['page=1.5', 'page'],
      ['page=first', 'page'],
      ['start=-1', 'start'],
      ['start=x', 'start'],
      ['sort=id:asc', 'sort'],
      ['evaluationInfo.batch.enabled=yes', 'evaluationInfo.batch.enabled'],
    ])('400 for %s', async (query, path) => {
      const res = await list(`?${query}`, 'paging').expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ path })]);
    });
  });

  describe('DELETE', () => {
    it('deletes a definition: 200 with an empty body (AEP), then 404 for get and delete, gone from the list', async () => {
      const { body } = await post(minimal()).expect(200);
      const res = await del(body.id).expect(200);
      expect(res.text).toBe('');
      await get(body.id).expect(404);
      await del(body.id).expect(404);
      const listed = await list('?limit=1000').expect(200);
      expect(listed.body.segments.map((s: { id: string }) => s.id)).not.toContain(body.id);
      expect((await env.db.query('SELECT 1 FROM segment_definitions WHERE id = $1', [body.id])).rowCount).toBe(0);
    });

    it('404 for an unknown id, 400 naming id for a malformed one', async () => {
      await del(UNKNOWN_ID).expect(404);
      const res = await del('nope').expect(400);
      expect(res.body.errors).toEqual([{ path: 'id', message: 'must be a uuid' }]);
    });
  });

  describe('merge policy deleted while a definition is being created', () => {
    it('the create waits for the delete and then refuses the policy (400), storing nothing', async () => {
      const policyId = await createPolicy('locks');
      const tx = new Client({ connectionString: env.databaseUrl });
      await tx.connect();
      try {
        await tx.query('BEGIN');
        await tx.query('DELETE FROM merge_policies WHERE id = $1', [policyId]);
        let settled = false;
        const creating = post(minimal({ mergePolicyId: policyId }), 'locks').then((r) => {
          settled = true;
          return r;
        });
        await new Promise((r) => setTimeout(r, 300));
        expect(settled).toBe(false); // waiting for the policy row
        await tx.query('COMMIT');
        const res = await creating;
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([{ path: 'mergePolicyId', message: 'does not name a merge policy of this sandbox' }]);
      } finally {
        await tx.end();
      }
      expect((await env.db.query(`SELECT 1 FROM segment_definitions WHERE sandbox_name = 'locks'`)).rowCount).toBe(0);
    });
  });

  describe('tenancy', () => {
    let id: string;

    beforeAll(async () => {
      id = (await post(minimal({ name: 'org A prod secret' })).expect(200)).body.id;
    });

    it('another org and another sandbox get 404 for get and delete, and never see it in a list', async () => {
      for (const [sandbox, who] of [
        ['prod', () => b],
        ['dev', () => a],
      ] as const) {
        const res = await get(id, sandbox, who).expect(404);
        expect(JSON.stringify(res.body)).not.toContain('org A prod secret');
        await del(id, sandbox, who).expect(404);
        const listed = await list('?limit=1000', sandbox, who).expect(200);
        expect(listed.body.segments.map((s: { id: string }) => s.id)).not.toContain(id);
      }
      expect((await get(id).expect(200)).body.name).toBe('org A prod secret');
    });

    it('the repository finds definitions by id and by ids within the tenant only', async () => {
      const repo = api.app.get(SegmentDefinitionRepository);
      const scope = { orgId: ORG_A, sandboxName: 'prod' };
      const other = (await post(minimal({ name: 'second' })).expect(200)).body.id as string;
      const foreign = (await post(minimal(), 'prod', () => b).expect(200)).body.id as string;

      expect(await repo.findById(scope, id)).toMatchObject({ id, name: 'org A prod secret', orgId: ORG_A, sandboxName: 'prod', mergePolicyId: BUILT_IN, expression });
      expect(await repo.findById(scope, foreign)).toBeNull();
      expect(await repo.findById({ orgId: ORG_A, sandboxName: 'dev' }, id)).toBeNull();
      expect(await repo.findById(scope, 'not-a-uuid')).toBeNull();

      const found = await repo.findMany(scope, [other, foreign, 'not-a-uuid', id.toUpperCase(), UNKNOWN_ID, other]);
      expect(found.map((d) => d.id)).toEqual([other, id]);
      expect(await repo.findMany(scope, [])).toEqual([]);
    });
  });

  describe('PQL checks (the PQL library parses every expression)', () => {
    // AEP's own conversion example (pql-conversions.md): workAddress.country = "US" as pql/json.
    const workInUsJson = {
      nodeType: 'fnApply',
      fnName: '=',
      params: [
        { nodeType: 'fieldLookup', fieldName: 'country', object: { nodeType: 'fieldLookup', fieldName: 'workAddress', object: { nodeType: 'parameterReference', position: 1 } } },
        { nodeType: 'literal', literalType: 'String', value: 'US' },
      ],
    };
    const pql = (value: string, format = 'pql/text') => ({ type: 'PQL', format, value });
    const convert = (body: unknown) =>
      api.http
        .post(`${BASE}/segment/conversion`)
        .set(a.headers())
        .send(body as object);
    const refused = async (value: string, message: RegExp, overrides: Record<string, unknown> = {}) => {
      const before = await storedCount();
      const res = await post(minimal({ expression: pql(value), ...overrides })).expect(400);
      expect(res.body).toMatchObject({ status: 400, title: 'Bad Request' });
      expect(res.body.errors).toEqual([{ path: 'expression.value', message: expect.stringMatching(message) }]);
      expect(await storedCount()).toBe(before);
    };

    it('400 naming an unsupported construct with its line:column', async () => {
      await refused('person.tags.head() = "x"', /^unsupported construct 'head' at 1:13$/);
      await refused('homeAddress.country = "US" and\n  person.tags.head() = "x"', /^unsupported construct 'head' at 2:15$/);
      await refused('a = 1 // why', /^unsupported construct 'comment' at 1:7$/);
    });

    it('400 for a syntax error, with its position', async () => {
      await refused('homeAddress.country = ', /^expected an expression but found end of input at 1:23$/);
      await refused('(homeAddress.country = "US"', /^expected '\)' but found end of input at 1:28$/);
    });

    it('accepts pql/json and returns it as given', async () => {
      const value = JSON.stringify(workInUsJson);
      const res = await post(minimal({ name: 'json', expression: pql(value, 'pql/json') })).expect(200);
      expect(res.body.expression).toEqual({ type: 'PQL', format: 'pql/json', value });
      expect((await get(res.body.id).expect(200)).body.expression.format).toBe('pql/json');
      const bad = await post(minimal({ expression: pql('{"nodeType":"fnApply"', 'pql/json') })).expect(400);
      expect(bad.body.errors).toEqual([{ path: 'expression.value', message: expect.any(String) }]);
    });

    it('inSegment must name a definition of the same sandbox: 400 naming the unknown id', async () => {
      await refused(`inSegment("${UNKNOWN_ID}")`, new RegExp(UNKNOWN_ID));
      const inDev = (await post(minimal({ name: 'dev one' }), 'dev').expect(200)).body.id as string;
      await refused(`inSegment("${inDev}")`, new RegExp(inDev));
      const foreign = (await post(minimal(), 'prod', () => b).expect(200)).body.id as string;
      await refused(`inSegment("${foreign}")`, new RegExp(foreign));
    });

    it('a chain of inSegment references is accepted; one that closes a cycle is a 400 naming it', async () => {
      const base = (await post(minimal({ name: 'base' })).expect(200)).body.id as string;
      const chained = await post(minimal({ name: 'chained', expression: pql(`inSegment("${base}") and homeAddress.country = "US"`) })).expect(200);
      const id = chained.body.id as string;
      await post(minimal({ name: 'chained twice', expression: pql(`inSegment("${id}")`) })).expect(200);
      const self = 'c1c1c1c1-0000-4000-8000-000000000001';
      await refused(`inSegment("${base}") or inSegment("${self}")`, new RegExp(`cycle: ${self} -> ${self}`), { id: self });
      expect((await get(self).expect(404)).body.status).toBe(404);
    });

    it("POST /segment/conversion turns pql/text into AEP's pql/json and back, storing nothing", async () => {
      const before = await storedCount();
      const res = await convert({
        name: 'People who ordered in the last 30 days',
        expression: pql('workAddress.country = "US"'),
        schema: { name: '_xdm.context.profile' },
        ttlInDays: 60,
      }).expect(200);
      expect(Object.keys(res.body)).toEqual(['ttlInDays', 'imsOrgId', 'sandbox', 'expression']);
      expect(res.body).toMatchObject({ ttlInDays: 60, imsOrgId: ORG_A, sandbox: { sandboxName: 'prod' }, expression: { type: 'PQL', format: 'pql/json' } });
      // AEP's tree: an "=" applied to the field lookup and the string literal.
      const tree = JSON.parse(res.body.expression.value);
      expect(tree).toMatchObject({
        nodeType: 'fnApply',
        fnName: '=',
        params: [{ nodeType: 'fieldLookup', fieldName: 'country', object: { nodeType: 'fieldLookup', fieldName: 'workAddress' } }, workInUsJson.params[1]],
      });

      const back = await convert({ expression: pql(res.body.expression.value, 'pql/json') }).expect(200);
      expect(back.body.expression).toMatchObject({ type: 'PQL', format: 'pql/text' });
      const again = await convert({ expression: pql(back.body.expression.value) }).expect(200);
      expect(JSON.parse(again.body.expression.value)).toEqual(tree);
      // AEP's own tree (its innermost lookup on parameterReference $1) converts to text and back to itself.
      const aep = await convert({ expression: pql(JSON.stringify(workInUsJson), 'pql/json') }).expect(200);
      expect(aep.body.expression.format).toBe('pql/text');
      expect(JSON.parse((await convert({ expression: pql(aep.body.expression.value) }).expect(200)).body.expression.value)).toEqual(workInUsJson);
      expect(await storedCount()).toBe(before);
    });

    it('POST /segment/conversion: 400 under expression.value for what does not parse, and for bad bodies', async () => {
      const res = await convert({ expression: pql('person.tags.head() = "x"') }).expect(400);
      expect(res.body.errors).toEqual([{ path: 'expression.value', message: "unsupported construct 'head' at 1:13" }]);
      expect((await convert({}).expect(400)).body.errors).toEqual([{ path: 'expression', message: expect.stringMatching(/is required/) }]);
      expect((await convert({ expression: { ...pql('a = 1'), format: 'sql' } }).expect(400)).body.errors[0].path).toBe('expression.format');
      expect((await convert({ expression: pql('a = 1'), ttlInDays: 'x' }).expect(400)).body.errors[0].path).toBe('ttlInDays');
    });
  });
});
