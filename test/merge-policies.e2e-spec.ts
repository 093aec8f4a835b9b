import { Client } from 'pg';
import { MergePolicyRepository } from '@sx/persistence';
import { ApiHarness, ORG_A, ORG_B, TestClient } from './support/api-harness';
import { TestEnv, createTestEnv } from './support/test-env';

const BASE = '/data/core/ups';
const POLICIES = `${BASE}/config/mergePolicies`;
const SEGMENTS = `${BASE}/segment/definitions`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const BUILT_IN = 'timestampOrdered-none-mp';

const timestampPolicy = (overrides: Record<string, unknown> = {}) => ({
  name: 'Latest wins, graph',
  attributeMerge: { type: 'timestampOrdered' },
  identityGraph: { type: 'pdg' },
  schema: { name: '_xdm.context.profile' },
  ...overrides,
});

const builtIn = (orgId: string, sandboxName: string, isDefault: boolean) => ({
  id: BUILT_IN,
  name: 'Timestamp ordered, no identity graph',
  imsOrgId: orgId,
  sandbox: { sandboxName },
  schema: { name: '_xdm.context.profile' },
  version: 1,
  identityGraph: { type: 'none' },
  attributeMerge: { type: 'timestampOrdered' },
  isActiveOnEdge: false,
  default: isDefault,
  updateEpoch: 1546300800,
});

describe('merge policies API (real Postgres)', () => {
  let env: TestEnv;
  let api: ApiHarness;
  let a: TestClient;
  let b: TestClient;

  beforeAll(async () => {
    env = await createTestEnv('merge_policies');
    api = await ApiHarness.start(env.config());
    a = await api.client(ORG_A, ['prod', 'dev', 'defaults', 'race', 'paging', 'fresh', 'deletes']);
    b = await api.client(ORG_B, ['prod']);
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  const post = (body: unknown, sandbox = 'prod', who = () => a) =>
    api.http
      .post(POLICIES)
      .set(who().headers(sandbox))
      .send(body as object);
  const get = (id: string, sandbox = 'prod', who = () => a) => api.http.get(`${POLICIES}/${encodeURIComponent(id)}`).set(who().headers(sandbox));
  const list = (query: string, sandbox = 'prod', who = () => a) => api.http.get(`${POLICIES}${query}`).set(who().headers(sandbox));
  const storedCount = async () => (await env.db.query('SELECT count(*)::int AS n FROM merge_policies')).rows[0].n as number;

  describe('the built-in timestampOrdered-none-mp', () => {
    it('exists in every sandbox without anyone creating it, and is the default there', async () => {
      expect((await get(BUILT_IN, 'fresh').expect(200)).body).toEqual(builtIn(ORG_A, 'fresh', true));
      expect((await get(BUILT_IN, 'prod', () => b).expect(200)).body).toEqual(builtIn(ORG_B, 'prod', true));
    });

    it("is the only entry of a new sandbox's list, and is not stored", async () => {
      const res = await list('', 'fresh').expect(200);
      expect(res.body).toEqual({
        _page: { totalCount: 1, pageSize: 1, next: '' },
        children: [builtIn(ORG_A, 'fresh', true)],
        _links: { next: { href: '' } },
      });
      const rows = await env.db.query(`SELECT id FROM merge_policies WHERE id = $1`, [BUILT_IN]);
      expect(rows.rowCount).toBe(0);
    });

    it('cannot be deleted: 409 saying why', async () => {
      const res = await api.http.delete(`${POLICIES}/${BUILT_IN}`).set(a.headers('fresh')).expect(409);
      expect(res.body).toMatchObject({ status: 409, title: 'Conflict', requestId: res.headers['x-request-id'] });
      expect(res.body.detail).toMatch(/built-in merge policy every sandbox has.*cannot be deleted/);
      await get(BUILT_IN, 'fresh').expect(200);
    });
  });

  describe('POST', () => {
    it("creates a timestampOrdered policy: 200 with the policy in AEP's shape, stored in the caller's sandbox", async () => {
      const before = Math.floor(Date.now() / 1000);
      const res = await post(timestampPolicy()).expect(200);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        name: 'Latest wins, graph',
        imsOrgId: ORG_A,
        sandbox: { sandboxName: 'prod' },
        schema: { name: '_xdm.context.profile' },
        version: 1,
        identityGraph: { type: 'pdg' },
        attributeMerge: { type: 'timestampOrdered' },
        isActiveOnEdge: false,
        default: false,
        updateEpoch: expect.any(Number),
      });
      expect(res.body.updateEpoch).toBeGreaterThanOrEqual(before - 1);
      expect(res.body.updateEpoch).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);
      const row = await env.db.query('SELECT org_id, sandbox_name, identity_graph, schema_name, is_default, version FROM merge_policies WHERE id = $1', [res.body.id]);
      expect(row.rows).toEqual([{ org_id: ORG_A, sandbox_name: 'prod', identity_graph: 'pdg', schema_name: '_xdm.context.profile', is_default: false, version: 1 }]);
      expect((await get(res.body.id).expect(200)).body).toEqual(res.body);
    });

    it("creates a dataSetPrecedence policy with its order, as AEP's example", async () => {
      const body = {
        name: 'Loyalty members ordered by ID',
        identityGraph: { type: 'none' },
        attributeMerge: { type: 'dataSetPrecedence', order: ['5b76f86b85d0e00000be5c8b', '5b76f8d787a6af01e2ceda18'] },
        schema: { name: '_xdm.context.profile' },
      };
      const res = await post(body).expect(200);
      expect(res.body.attributeMerge).toEqual(body.attributeMerge);
      expect(Object.keys(res.body.attributeMerge)).toEqual(['type', 'order']);
      expect((await get(res.body.id).expect(200)).body.attributeMerge).toEqual(body.attributeMerge);
    });

    it('defaults schema to _xdm.context.profile and default to false', async () => {
      const res = await post({ name: 'n', attributeMerge: { type: 'timestampOrdered' }, identityGraph: { type: 'none' } }).expect(200);
      expect(res.body).toMatchObject({ schema: { name: '_xdm.context.profile' }, default: false });
    });

    const invalid: Array<[string, string, Record<string, unknown>, RegExp]> = [
      ['missing name', 'name', timestampPolicy({ name: undefined }), /is required/],
      ['empty name', 'name', timestampPolicy({ name: '' }), /empty/],
      ['blank name', 'name', timestampPolicy({ name: '   ' }), /empty/],
      ['name not a string', 'name', timestampPolicy({ name: 7 }), /string/],
      ['missing attributeMerge', 'attributeMerge', timestampPolicy({ attributeMerge: undefined }), /is required/],
      ['attributeMerge not an object', 'attributeMerge', timestampPolicy({ attributeMerge: 'timestampOrdered' }), /object/],
      ['missing attributeMerge.type', 'attributeMerge.type', timestampPolicy({ attributeMerge: {} }), /is required/],
      ['unknown attributeMerge.type', 'attributeMerge.type', timestampPolicy({ attributeMerge: { type: 'latest' } }), /timestampOrdered, dataSetPrecedence/],
      ['dataSetPrecedence without order', 'attributeMerge.order', timestampPolicy({ attributeMerge: { type: 'dataSetPrecedence' } }), /is required/],
      ['dataSetPrecedence with an empty order', 'attributeMerge.order', timestampPolicy({ attributeMerge: { type: 'dataSetPrecedence', order: [] } }), /at least 1/],
      ['order not an array', 'attributeMerge.order', timestampPolicy({ attributeMerge: { type: 'dataSetPrecedence', order: 'ds1' } }), /array/],
      ['order with a non-string', 'attributeMerge.order', timestampPolicy({ attributeMerge: { type: 'dataSetPrecedence', order: ['ds1', 2] } }), /string/],
      ['order with a duplicate', 'attributeMerge.order', timestampPolicy({ attributeMerge: { type: 'dataSetPrecedence', order: ['ds1', 'ds1'] } }), /twice/],
      ['order under timestampOrdered that is not a list of ids', 'attributeMerge.order', timestampPolicy({ attributeMerge: { type: 'timestampOrdered', order: 'ds1' } }), /array/],
      ['missing identityGraph', 'identityGraph', timestampPolicy({ identityGraph: undefined }), /is required/],
      ['unknown identityGraph.type', 'identityGraph.type', timestampPolicy({ identityGraph: { type: 'full' } }), /none, pdg/],
      ['a schema other than the profile class', 'schema.name', timestampPolicy({ schema: { name: '_xdm.context.experienceevent' } }), /_xdm\.context\.profile/],
      ['missing schema.name', 'schema.name', timestampPolicy({ schema: {} }), /is required/],
      ['default not a boolean', 'default', timestampPolicy({ default: 'true' }), /boolean/],
      ['unknown top-level property', 'isActiveOnEdges', timestampPolicy({ isActiveOnEdges: true }), /not a known property/],
      ['unknown nested property', 'identityGraph.depth', timestampPolicy({ identityGraph: { type: 'none', depth: 2 } }), /not a known property/],
    ];

    it.each(invalid)('400 for %s, naming %s; nothing stored', async (_, path, body, message) => {
      const before = await storedCount();
      const res = await post(body).expect(400);
      expect(res.body).toMatchObject({ status: 400, title: 'Bad Request', requestId: res.headers['x-request-id'] });
      expect(res.body.errors).toEqual([{ path, message: expect.stringMatching(message) }]);
      expect(await storedCount()).toBe(before);
    });

    it("accepts AEP's example of order under timestampOrdered, and ignores it (timestamps decide)", async () => {
      const res = await post(timestampPolicy({ attributeMerge: { type: 'timestampOrdered', order: ['ds1', 'ds2'] } })).expect(200);
      expect(res.body.attributeMerge).toEqual({ type: 'timestampOrdered' });
    });

    it('names every offending field at once', async () => {
      const res = await post({ name: '', attributeMerge: { type: 'timestampOrdered', order: [7] }, identityGraph: {}, default: 1 }).expect(400);
      expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['attributeMerge.order', 'default', 'identityGraph.type', 'name']);
    });

    it('415 for another content type, 400 for a body that is not a JSON object', async () => {
      await api.http.post(POLICIES).set(a.headers()).set('Content-Type', 'text/plain').send('x').expect(415);
      const res = await api.http.post(POLICIES).set(a.headers()).set('Content-Type', 'application/json').send('[]').expect(400);
      expect(res.body.detail).toBe('The request body must be a JSON object.');
    });

    it('needs the gateway headers like every AEP route', async () => {
      const res = await api.http.post(POLICIES).send(timestampPolicy()).expect(403);
      expect(res.body).toEqual({ error_code: '403010', message: expect.any(String) });
    });
  });

  describe('default', () => {
    const isDefault = async (id: string) => (await get(id, 'defaults').expect(200)).body.default as boolean;

    it('a policy created with default: true replaces the previous default; the built-in is the default when none is stored', async () => {
      expect(await isDefault(BUILT_IN)).toBe(true);
      const first = await post(timestampPolicy({ name: 'first', default: true }), 'defaults').expect(200);
      expect(first.body.default).toBe(true);
      expect(await isDefault(BUILT_IN)).toBe(false);

      const second = await post(timestampPolicy({ name: 'second', default: true }), 'defaults').expect(200);
      expect(await isDefault(second.body.id)).toBe(true);
      expect(await isDefault(first.body.id)).toBe(false);
      expect(await isDefault(BUILT_IN)).toBe(false);

      const third = await post(timestampPolicy({ name: 'third' }), 'defaults').expect(200);
      expect(third.body.default).toBe(false);
      expect(await isDefault(second.body.id)).toBe(true);

      const listed = await list('', 'defaults').expect(200);
      expect(listed.body.children.filter((p: { default: boolean }) => p.default).map((p: { id: string }) => p.id)).toEqual([second.body.id]);
      const stored = await env.db.query(`SELECT id FROM merge_policies WHERE sandbox_name = 'defaults' AND is_default`);
      expect(stored.rows).toEqual([{ id: second.body.id }]);

      // Deleting the stored default makes the built-in the default again.
      await api.http.delete(`${POLICIES}/${second.body.id}`).set(a.headers('defaults')).expect(200);
      expect(await isDefault(BUILT_IN)).toBe(true);
      expect(await isDefault(first.body.id)).toBe(false);
    });

    it('a default in one sandbox or org is not the default of another', async () => {
      await post(timestampPolicy({ default: true }), 'dev').expect(200);
      expect((await get(BUILT_IN, 'prod').expect(200)).body.default).toBe(true);
      expect((await get(BUILT_IN, 'prod', () => b).expect(200)).body.default).toBe(true);
      expect((await get(BUILT_IN, 'dev').expect(200)).body.default).toBe(false);
    });

    it('concurrent default creates leave exactly one default', async () => {
      const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => post(timestampPolicy({ name: `race ${i}`, default: true }), 'race')));
      expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
      const stored = await env.db.query(`SELECT id FROM merge_policies WHERE sandbox_name = 'race' AND is_default`);
      expect(stored.rowCount).toBe(1);
      expect((await get(BUILT_IN, 'race').expect(200)).body.default).toBe(false);
    });

    it('the repository resolves ids and the sandbox default for the export worker', async () => {
      const repo = api.app.get(MergePolicyRepository);
      const scope = { orgId: ORG_A, sandboxName: 'dev' };
      const stored = await env.db.query(`SELECT id FROM merge_policies WHERE sandbox_name = 'dev' AND is_default`);
      const defaultId = stored.rows[0].id as string;
      expect(await repo.defaultFor(scope)).toMatchObject({ id: defaultId, default: true, builtIn: false });
      expect(await repo.defaultFor({ orgId: ORG_A, sandboxName: 'fresh' })).toMatchObject({ id: BUILT_IN, default: true, builtIn: true });
      expect(await repo.resolve(scope, defaultId)).toMatchObject({ id: defaultId, identityGraph: { type: 'pdg' }, attributeMerge: { type: 'timestampOrdered' } });
      expect(await repo.resolve(scope, BUILT_IN)).toMatchObject({ id: BUILT_IN, default: false, orgId: ORG_A, sandboxName: 'dev' });
      expect(await repo.resolve({ orgId: ORG_B, sandboxName: 'dev' }, defaultId)).toBeNull();
      expect(await repo.resolve({ orgId: ORG_A, sandboxName: 'prod' }, defaultId)).toBeNull();
      expect(await repo.resolve(scope, 'no-such-policy')).toBeNull();
    });
  });

  describe('GET list', () => {
    let ids: string[];

    // AEP's default order is by name, ascending: here case-insensitively, equal names by id.
    const names = ['beta', 'Alpha', 'same', 'same', 'same', 'zeta'];

    beforeAll(async () => {
      ids = [];
      for (const name of names) ids.push((await post(timestampPolicy({ name }), 'paging').expect(200)).body.id);
    });

    // The built-in is named "Timestamp ordered, no identity graph": between "same" and "zeta".
    const expectedOrder = () => [ids[1], ids[0], ...ids.slice(2, 5).sort(), BUILT_IN, ids[5]];

    it('orders by name (the built-in among them) and follows _links.next.href until it is empty, seeing each policy once', async () => {
      const seen: string[] = [];
      let href = '@/mergePolicies?limit=3';
      let pages = 0;
      while (href !== '') {
        const res = await list(href.replace(/^@\/mergePolicies/, ''), 'paging').expect(200);
        pages++;
        expect(res.body._page).toEqual({ totalCount: 7, pageSize: res.body.children.length, next: expect.any(String) });
        seen.push(...res.body.children.map((p: { id: string }) => p.id));
        href = res.body._links.next.href;
        if (href) {
          expect(href).toBe(`@/mergePolicies?start=${seen.length}&limit=3`);
          expect(res.body._page.next).toBe(String(seen.length));
        } else {
          expect(res.body._page.next).toBe('');
        }
        expect(pages).toBeLessThan(10);
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(expectedOrder());
    });

    it("orderBy=-name (or the spec's orderby) reverses the order; +name is the default one", async () => {
      const ordered = async (query: string) => (await list(query, 'paging').expect(200)).body.children.map((p: { id: string }) => p.id);
      expect(await ordered('?orderBy=-name')).toEqual([...expectedOrder()].reverse());
      expect(await ordered('?orderby=-name')).toEqual([...expectedOrder()].reverse());
      expect(await ordered('?orderBy=%2Bname')).toEqual(expectedOrder());
      expect(await ordered('?orderBy=name')).toEqual(expectedOrder());
      const page = await list('?orderBy=-name&limit=2', 'paging').expect(200);
      expect(page.body._links.next.href).toBe('@/mergePolicies?start=2&limit=2&orderBy=-name');
    });

    it("filters by AEP's parameters, the built-in included, and counts what matches", async () => {
      const filtered = async (query: string) => (await list(query, 'paging').expect(200)).body;
      expect((await filtered('?identityGraph.type=none')).children.map((p: { id: string }) => p.id)).toEqual([BUILT_IN]);
      expect((await filtered('?identityGraph.type=pdg'))._page).toEqual({ totalCount: 6, pageSize: 6, next: '' });
      expect((await filtered('?default=true')).children.map((p: { id: string }) => p.id)).toEqual([BUILT_IN]);
      expect((await filtered('?default=false'))._page.totalCount).toBe(6);
      expect((await filtered('?attributeMerge.type=dataSetPrecedence'))._page.totalCount).toBe(0);
      expect((await filtered('?schema.name=_xdm.context.profile&version=1&isActiveOnEdge=false'))._page.totalCount).toBe(7);
      const next = await filtered('?identityGraph.type=pdg&limit=4');
      expect(next._links.next.href).toBe('@/mergePolicies?start=4&limit=4&identityGraph.type=pdg');
      const rest = await filtered(next._links.next.href.replace(/^@\/mergePolicies/, ''));
      expect([...next.children, ...rest.children].map((p: { id: string }) => p.id)).toEqual(expectedOrder().filter((id) => id !== BUILT_IN));
    });

    it('defaults to 20 and caps limit at 1000 without an error', async () => {
      const def = await list('', 'paging').expect(200);
      expect(def.body._page).toEqual({ totalCount: 7, pageSize: 7, next: '' });
      const capped = await list('?limit=5000', 'paging').expect(200);
      expect(capped.body.children).toHaveLength(7);
      expect(capped.body._links).toEqual({ next: { href: '' } });
    });

    it('an offset starts that far into the list; past the end is an empty page', async () => {
      const res = await list('?start=1&limit=2', 'paging').expect(200);
      expect(res.body.children.map((p: { id: string }) => p.id)).toEqual(expectedOrder().slice(1, 3));
      const beyond = await list('?start=100', 'paging').expect(200);
      expect(beyond.body).toEqual({ _page: { totalCount: 7, pageSize: 0, next: '' }, children: [], _links: { next: { href: '' } } });
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=2.5', 'limit'],
      ['start=-1', 'start'],
      ['start=1.5', 'start'],
      ['start=next', 'start'],
      ['orderBy=created', 'orderBy'],
      ['default=yes', 'default'],
      ['identityGraph.type=full', 'identityGraph.type'],
    ])('400 for %s', async (query, path) => {
      const res = await list(`?${query}`, 'paging').expect(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ path })]);
    });
  });

  describe('DELETE', () => {
    it('deletes a stored policy: 200 with an empty body (AEP), then 404 for get and delete, gone from the list', async () => {
      const { body: policy } = await post(timestampPolicy(), 'deletes').expect(200);
      const res = await api.http.delete(`${POLICIES}/${policy.id}`).set(a.headers('deletes')).expect(200);
      expect(res.text).toBe('');
      const missing = await get(policy.id, 'deletes').expect(404);
      expect(missing.body).toMatchObject({ status: 404, title: 'Not Found', detail: `Merge policy "${policy.id}" does not exist.` });
      await api.http.delete(`${POLICIES}/${policy.id}`).set(a.headers('deletes')).expect(404);
      const listed = await list('?limit=1000', 'deletes').expect(200);
      expect(listed.body.children.map((p: { id: string }) => p.id)).not.toContain(policy.id);
      expect((await env.db.query('SELECT 1 FROM merge_policies WHERE id = $1', [policy.id])).rowCount).toBe(0);
    });

    it('404 for an unknown id, whatever its shape', async () => {
      await api.http.delete(`${POLICIES}/2b43d78d-0ad4-4c1e-ac2d-574c09b01119`).set(a.headers('deletes')).expect(404);
      await api.http.delete(`${POLICIES}/not-a-policy`).set(a.headers('deletes')).expect(404);
      await get('2b43d78d-0ad4-4c1e-ac2d-574c09b01119', 'deletes').expect(404);
      await get('x'.repeat(300), 'deletes').expect(404);
    });

    it('409 while a segment definition uses the policy; deletable once the segment is gone', async () => {
      const { body: policy } = await post(timestampPolicy(), 'deletes').expect(200);
      const { body: segment } = await api.http
        .post(SEGMENTS)
        .set(a.headers('deletes'))
        .send({ name: 's', mergePolicyId: policy.id, expression: { type: 'PQL', format: 'pql/text', value: 'homeAddress.countryCode = "US"' } })
        .expect(200);
      const res = await api.http.delete(`${POLICIES}/${policy.id}`).set(a.headers('deletes')).expect(409);
      expect(res.body.detail).toBe(`Merge policy "${policy.id}" is used by 1 segment definition(s); delete those first.`);
      await get(policy.id, 'deletes').expect(200);
      await api.http.delete(`${SEGMENTS}/${segment.id}`).set(a.headers('deletes')).expect(200);
      await api.http.delete(`${POLICIES}/${policy.id}`).set(a.headers('deletes')).expect(200);
    });

    it('a delete waits for a segment being created with the policy, then sees it (409)', async () => {
      const { body: policy } = await post(timestampPolicy(), 'deletes').expect(200);
      // What SegmentDefinitionRepository.create does, held open: the policy row FOR SHARE, then the insert.
      const tx = new Client({ connectionString: env.databaseUrl });
      await tx.connect();
      try {
        await tx.query('BEGIN');
        await tx.query('SELECT id FROM merge_policies WHERE id = $1 FOR SHARE', [policy.id]);
        let settled = false;
        const deleting = api.http
          .delete(`${POLICIES}/${policy.id}`)
          .set(a.headers('deletes'))
          .then((r) => {
            settled = true;
            return r;
          });
        await new Promise((r) => setTimeout(r, 300));
        expect(settled).toBe(false); // blocked on the row lock
        await tx.query(
          `INSERT INTO segment_definitions (id, org_id, sandbox_name, name, merge_policy_id, expression, schema_name)
           VALUES (gen_random_uuid(), $1, 'deletes', 'racing', $2, '{"type":"PQL","format":"pql/text","value":"true"}', '_xdm.context.profile')`,
          [ORG_A, policy.id],
        );
        await tx.query('COMMIT');
        expect((await deleting).status).toBe(409);
      } finally {
        await tx.end();
      }
      await get(policy.id, 'deletes').expect(200);
    });
  });

  it('is described in the OpenAPI document, with its body schema', async () => {
    const doc = await api.http.get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining([POLICIES, `${POLICIES}/{id}`, SEGMENTS, `${SEGMENTS}/{id}`]));
    expect(doc.body.components.schemas.CreateMergePolicyDto.required).toEqual(expect.arrayContaining(['name', 'attributeMerge', 'identityGraph']));
    expect(doc.body.components.schemas.CreateSegmentDefinitionDto.required).toEqual(expect.arrayContaining(['name', 'expression']));
  });

  describe('tenancy', () => {
    let policyId: string;

    beforeAll(async () => {
      policyId = (await post(timestampPolicy({ name: 'org A prod only' })).expect(200)).body.id;
    });

    it('another org and another sandbox get 404 for get and delete, and never see it in a list', async () => {
      for (const [sandbox, who] of [
        ['prod', () => b],
        ['dev', () => a],
      ] as const) {
        const res = await get(policyId, sandbox, who).expect(404);
        expect(JSON.stringify(res.body)).not.toContain('org A prod only');
        await api.http.delete(`${POLICIES}/${policyId}`).set(who().headers(sandbox)).expect(404);
        const listed = await list('?limit=1000', sandbox, who).expect(200);
        expect(listed.body.children.map((p: { id: string }) => p.id)).not.toContain(policyId);
      }
      expect((await get(policyId).expect(200)).body.name).toBe('org A prod only');
    });

    it("lists only the caller's sandbox, with the built-in in its own org and sandbox", async () => {
      const res = await list('?limit=1000', 'prod', () => b).expect(200);
      expect(res.body).toEqual({ _page: { totalCount: 1, pageSize: 1, next: '' }, children: [builtIn(ORG_B, 'prod', true)], _links: { next: { href: '' } } });
    });
  });
});
