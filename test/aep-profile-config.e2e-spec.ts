import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { TestEnv, createTestEnv } from './support/test-env';

// Compatibility of segment definitions and merge policies with AEP's documented calls
// (AEP-API-NOTES.md sections 4 and 5): AEP's example bodies and query strings, checked for status,
// envelope and field types, and the round trips a client library makes.

const BASE = '/data/core/ups';
const SEGMENTS = `${BASE}/segment/definitions`;
const POLICIES = `${BASE}/config/mergePolicies`;
const BUILT_IN = 'timestampOrdered-none-mp';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BATCH_ONLY = { batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } };

// AEP's create example (segment-definitions.md, pql/text tab), verbatim.
const aepDefinition = () => ({
  name: 'People who ordered in the last 30 days',
  profileInstanceId: 'ups',
  description: 'Last 30 days',
  expression: { type: 'PQL', format: 'pql/text', value: 'workAddress.country = "US"' },
  evaluationInfo: BATCH_ONLY,
  schema: { name: '_xdm.context.profile' },
  payloadSchema: 'string',
});

// AEP's merge policy create example (merge-policies.md), verbatim.
const aepPolicy = () => ({
  name: 'Loyalty members ordered by ID',
  identityGraph: { type: 'none' },
  attributeMerge: { type: 'dataSetPrecedence', order: ['5b76f86b85d0e00000be5c8b', '5b76f8d787a6af01e2ceda18'] },
  schema: { name: '_xdm.context.profile' },
  default: true,
});

/** AEP's field types of a segment definition. */
function expectDefinitionShape(body: Record<string, unknown>): void {
  expect(body).toMatchObject({
    id: expect.stringMatching(UUID),
    schema: { name: expect.any(String) },
    profileInstanceId: 'ups',
    imsOrgId: expect.any(String),
    sandbox: { sandboxName: expect.any(String) },
    name: expect.any(String),
    expression: { type: 'PQL', format: expect.stringMatching(/^pql\/(text|json)$/), value: expect.any(String) },
    mergePolicyId: expect.any(String),
    evaluationInfo: BATCH_ONLY,
    dataGovernancePolicy: { excludeOptOut: expect.any(Boolean) },
  });
  for (const field of ['creationTime', 'updateEpoch', 'updateTime']) expect(Number.isInteger(body[field])).toBe(true);
  expect(body.updateEpoch).toBe(Math.floor((body.updateTime as number) / 1000));
}

/** AEP's field types of a merge policy. */
function expectPolicyShape(body: Record<string, unknown>): void {
  expect(body).toMatchObject({
    id: expect.any(String),
    name: expect.any(String),
    imsOrgId: expect.any(String),
    sandbox: { sandboxName: expect.any(String) },
    schema: { name: '_xdm.context.profile' },
    version: expect.any(Number),
    identityGraph: { type: expect.stringMatching(/^(none|pdg)$/) },
    attributeMerge: { type: expect.stringMatching(/^(timestampOrdered|dataSetPrecedence)$/) },
    isActiveOnEdge: expect.any(Boolean),
    default: expect.any(Boolean),
    updateEpoch: expect.any(Number),
  });
  expect(Number.isInteger(body.version)).toBe(true);
  expect(Number.isInteger(body.updateEpoch)).toBe(true);
}

describe('AEP compatibility: segment definitions and merge policies', () => {
  let env: TestEnv;
  let api: ApiHarness;
  let a: TestClient;

  beforeAll(async () => {
    env = await createTestEnv('aep_profile_config');
    api = await ApiHarness.start(env.config());
    a = await api.client(ORG_A, ['prod', 'walk', 'edge', 'bulk', 'patch']);
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  const http = (method: 'get' | 'post' | 'patch' | 'put' | 'delete', path: string, sandbox = 'prod') => api.http[method](path).set(a.headers(sandbox));

  describe('segment definitions', () => {
    it("POST AEP's example: 200 with the object AEP returns, payloadSchema echoed; GET gives the same", async () => {
      const res = await http('post', SEGMENTS).send(aepDefinition()).expect(200);
      expectDefinitionShape(res.body);
      expect(res.body).toMatchObject({
        name: aepDefinition().name,
        description: 'Last 30 days',
        expression: aepDefinition().expression,
        payloadSchema: 'string',
        mergePolicyId: BUILT_IN,
      });
      expect((await http('get', `${SEGMENTS}/${res.body.id}`).expect(200)).body).toEqual(res.body);
    });

    it("POST with ttlInDays (older revisions, aepp's template) and the /audiences fields echoes them", async () => {
      const body = {
        ...aepDefinition(),
        ttlInDays: 60,
        type: 'SegmentDefinition',
        labels: ['core/C1'],
        lifecycleState: 'published',
        namespace: 'AEPSegments',
        definedOn: [{ 'meta:resourceType': 'unions', 'meta:containerId': 'tenant', $ref: 'https://ns.adobe.com/xdm/context/profile__union' }],
      };
      const res = await http('post', SEGMENTS).send(body).expect(200);
      expect(res.body).toMatchObject({
        ttlInDays: 60,
        type: 'SegmentDefinition',
        labels: ['core/C1'],
        lifecycleState: 'published',
        namespace: 'AEPSegments',
        definedOn: body.definedOn,
      });
      expect(Object.keys(res.body.definedOn[0])).toEqual(['meta:resourceType', 'meta:containerId', '$ref']);
      expect((await http('get', `${SEGMENTS}/${res.body.id}`).expect(200)).body).toEqual(res.body);
    });

    it('POST of a definition as GET returned it works (read-only fields are ignored)', async () => {
      const { body: read } = await http('post', SEGMENTS).send(aepDefinition()).expect(200);
      const { id: _id, ...copy } = read;
      const res = await http('post', SEGMENTS)
        .send({ ...copy, creationTime: 0, updateTime: 0, updateEpoch: 0 })
        .expect(200);
      expect(res.body.id).not.toBe(read.id);
      expect(res.body.creationTime).toBeGreaterThan(0);
      expect(res.body.imsOrgId).toBe(ORG_A);
    });

    it.each([
      ['continuous', { ...BATCH_ONLY, continuous: { enabled: true } }, /streaming \(continuous\) evaluation is not built/],
      ['synchronous', { ...BATCH_ONLY, synchronous: { enabled: true } }, /edge \(synchronous\) evaluation is not built/],
    ])('evaluationInfo.%s.enabled: true is a 400 saying it is not built; nothing stored', async (kind, evaluationInfo, message) => {
      const before = (await env.db.query('SELECT count(*)::int AS n FROM segment_definitions')).rows[0].n;
      const res = await http('post', SEGMENTS)
        .send({ ...aepDefinition(), evaluationInfo })
        .expect(400);
      expect(res.body.errors).toEqual([{ path: `evaluationInfo.${kind}.enabled`, message: expect.stringMatching(message) }]);
      expect((await env.db.query('SELECT count(*)::int AS n FROM segment_definitions')).rows[0].n).toBe(before);
    });

    it('an undocumented field is still a 400 naming it', async () => {
      const res = await http('post', SEGMENTS)
        .send({ ...aepDefinition(), ttlInDay: 60 })
        .expect(400);
      expect(res.body.errors).toEqual([{ path: 'ttlInDay', message: 'is not a known property' }]);
    });

    describe('PATCH (AEP: the whole object)', () => {
      it("AEP's example body overwrites the definition: 200 with it, creation time kept, what is left out lost", async () => {
        const { body: created } = await http('post', SEGMENTS, 'patch')
          .send({ ...aepDefinition(), ttlInDays: 30, labels: ['core/C1'] })
          .expect(200);
        // AEP's PATCH example, with this definition's id.
        const patch = {
          id: created.id,
          name: 'Updated people who ordered in the last 30 days',
          profileInstanceId: 'ups',
          description: 'Last 30 days',
          expression: { type: 'PQL', format: 'pql/text', value: 'workAddress.country = "CA"' },
          schema: { name: '_xdm.context.profile' },
          payloadSchema: 'string',
          creationTime: 0,
          updateTime: 0,
          updateEpoch: 0,
        };
        const res = await http('patch', `${SEGMENTS}/${created.id}`, 'patch').send(patch).expect(200);
        expectDefinitionShape(res.body);
        expect(res.body).toMatchObject({
          id: created.id,
          name: patch.name,
          expression: patch.expression,
          creationTime: created.creationTime,
          mergePolicyId: created.mergePolicyId,
        });
        expect(res.body.updateTime).toBeGreaterThanOrEqual(created.updateTime);
        expect(res.body).not.toHaveProperty('ttlInDays');
        expect(res.body).not.toHaveProperty('labels');
        expect((await http('get', `${SEGMENTS}/${created.id}`, 'patch').expect(200)).body).toEqual(res.body);
      });

      it('GET then PATCH then GET: a changed name sticks, the rest is as it was', async () => {
        const { body: created } = await http('post', SEGMENTS, 'patch').send(aepDefinition()).expect(200);
        const { body: read } = await http('get', `${SEGMENTS}/${created.id}`, 'patch').expect(200);
        await http('patch', `${SEGMENTS}/${created.id}`, 'patch')
          .send({ ...read, name: 'renamed' })
          .expect(200);
        const { body: after } = await http('get', `${SEGMENTS}/${created.id}`, 'patch').expect(200);
        expect(after).toEqual({ ...read, name: 'renamed', updateTime: after.updateTime, updateEpoch: after.updateEpoch });
      });

      it('re-parses the expression as POST does: 400 expression.value with the PQL message; nothing changed', async () => {
        const { body: created } = await http('post', SEGMENTS, 'patch').send(aepDefinition()).expect(200);
        const res = await http('patch', `${SEGMENTS}/${created.id}`, 'patch')
          .send({ ...aepDefinition(), expression: { type: 'PQL', format: 'pql/text', value: 'homeAddress.country = ' } })
          .expect(400);
        expect(res.body.errors).toEqual([{ path: 'expression.value', message: 'expected an expression but found end of input at 1:23' }]);
        const unbuilt = await http('patch', `${SEGMENTS}/${created.id}`, 'patch')
          .send({ ...aepDefinition(), expression: { type: 'PQL', format: 'pql/text', value: 'person.tags.head() = "x"' } })
          .expect(400);
        expect(unbuilt.body.errors).toEqual([{ path: 'expression.value', message: "unsupported construct 'head' at 1:13" }]);
        expect((await http('get', `${SEGMENTS}/${created.id}`, 'patch').expect(200)).body).toEqual(created);
      });

      it('refuses a PATCH that closes an inSegment cycle, through stored definitions or to itself', async () => {
        const { body: a1 } = await http('post', SEGMENTS, 'patch').send(aepDefinition()).expect(200);
        const { body: b1 } = await http('post', SEGMENTS, 'patch')
          .send({ ...aepDefinition(), expression: { type: 'PQL', format: 'pql/text', value: `inSegment("${a1.id}")` } })
          .expect(200);
        const cycle = await http('patch', `${SEGMENTS}/${a1.id}`, 'patch')
          .send({ ...aepDefinition(), expression: { type: 'PQL', format: 'pql/text', value: `inSegment("${b1.id}")` } })
          .expect(400);
        expect(cycle.body.errors).toEqual([{ path: 'expression.value', message: expect.stringMatching(/^inSegment references form a cycle: /) }]);
        expect(cycle.body.errors[0].message).toContain(a1.id);
        expect(cycle.body.errors[0].message).toContain(b1.id);
        const self = await http('patch', `${SEGMENTS}/${a1.id}`, 'patch')
          .send({ ...aepDefinition(), expression: { type: 'PQL', format: 'pql/text', value: `inSegment("${a1.id}")` } })
          .expect(400);
        expect(self.body.errors).toEqual([{ path: 'expression.value', message: `inSegment references form a cycle: ${a1.id} -> ${a1.id}` }]);
        // The chain the other way round is fine.
        await http('patch', `${SEGMENTS}/${b1.id}`, 'patch')
          .send({ ...aepDefinition(), expression: { type: 'PQL', format: 'pql/text', value: 'a = 1' } })
          .expect(200);
        await http('patch', `${SEGMENTS}/${a1.id}`, 'patch')
          .send({ ...aepDefinition(), expression: { type: 'PQL', format: 'pql/text', value: `inSegment("${b1.id}")` } })
          .expect(200);
      });

      it("404 for an unknown id, 400 for an id in the body that is not the path's, 400 for an unknown policy", async () => {
        const { body: created } = await http('post', SEGMENTS, 'patch').send(aepDefinition()).expect(200);
        await http('patch', `${SEGMENTS}/4afe34ae-8c98-4513-8a1d-67ccaa54bc05`, 'patch').send(aepDefinition()).expect(404);
        const other = await http('patch', `${SEGMENTS}/${created.id}`, 'patch')
          .send({ ...aepDefinition(), id: '4afe34ae-8c98-4513-8a1d-67ccaa54bc05' })
          .expect(400);
        expect(other.body.errors).toEqual([{ path: 'id', message: expect.stringMatching(/id of the path/) }]);
        const policy = await http('patch', `${SEGMENTS}/${created.id}`, 'patch')
          .send({ ...aepDefinition(), mergePolicyId: 'nope' })
          .expect(400);
        expect(policy.body.errors).toEqual([{ path: 'mergePolicyId', message: 'does not name a merge policy of this sandbox' }]);
        await http('patch', `${SEGMENTS}/${created.id}`, 'patch').set('Content-Type', 'application/json').send('[]').expect(400);
      });
    });

    it("bulk-get: AEP's body, 207 {results: {<id>: definition}}; unknown ids left out; a non-uuid id is a 400 naming it", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) ids.push((await http('post', SEGMENTS, 'bulk').send(aepDefinition()).expect(200)).body.id);
      const res = await http('post', `${SEGMENTS}/bulk-get`, 'bulk')
        .send({ ids: [{ id: ids[0] }, { id: '54669488-03ab-4e0d-a694-37fe49e32be8' }, { id: ids[1].toUpperCase() }] })
        .expect(207);
      expect(Object.keys(res.body)).toEqual(['results']);
      expect(Object.keys(res.body.results)).toEqual(ids);
      for (const id of ids) {
        expectDefinitionShape(res.body.results[id]);
        expect(res.body.results[id]).toEqual((await http('get', `${SEGMENTS}/${id}`, 'bulk').expect(200)).body);
      }
      const other = await api.http
        .post(`${SEGMENTS}/bulk-get`)
        .set(a.headers('prod'))
        .send({ ids: [{ id: ids[0] }] })
        .expect(207);
      expect(other.body).toEqual({ results: {} });
      const bad = await http('post', `${SEGMENTS}/bulk-get`, 'bulk')
        .send({ ids: [{ id: ids[0] }, { id: 'seg-1' }] })
        .expect(400);
      expect(bad.body.errors).toEqual([{ path: 'ids[1].id', message: 'must be a uuid' }]);
      expect((await http('post', `${SEGMENTS}/bulk-get`, 'bulk').send({ ids: [] }).expect(400)).body.errors[0].path).toBe('ids');
      expect((await http('post', `${SEGMENTS}/bulk-get`, 'bulk').send({}).expect(400)).body.errors[0].path).toBe('ids');
    });

    describe('list paging', () => {
      const COUNT = 230;
      let created: string[];

      beforeAll(async () => {
        // Stored directly: 230 POSTs would test nothing more.
        const rows = await env.db.query(
          `INSERT INTO segment_definitions (id, org_id, sandbox_name, name, merge_policy_id, expression, schema_name, created_at, updated_at)
           SELECT gen_random_uuid(), $1, 'walk', 'd' || i, $2, '{"type":"PQL","format":"pql/text","value":"a = 1"}', '_xdm.context.profile',
                  timestamptz '2026-01-01' + (i % 50) * interval '1 second', now()
           FROM generate_series(1, $3::int) AS i RETURNING id`,
          [ORG_A, BUILT_IN, COUNT],
        );
        created = rows.rows.map((r: { id: string }) => r.id);
      });

      const walk = async (first: string, sortField = 'creationTime', sort = 'desc') => {
        const seen: string[] = [];
        let next: string | undefined = first;
        let pages = 0;
        while (next !== undefined && pages < 20) {
          const res: { body: any } = await api.http.get(`${BASE}${next}`).set(a.headers('walk')).expect(200);
          expect(Object.keys(res.body)).toEqual(['segments', 'page', 'link']);
          expect(res.body.page).toMatchObject({ totalCount: COUNT, sortField, sort, pageSize: res.body.segments.length });
          seen.push(...res.body.segments.map((s: { id: string }) => s.id));
          next = res.body.link.next;
          pages++;
        }
        return { seen, pages };
      };

      it("without limit: pages of 100 (AEP's default); following link.next sees every definition exactly once", async () => {
        const first = await api.http.get(SEGMENTS).set(a.headers('walk')).expect(200);
        expect(first.body.page).toEqual({ totalCount: COUNT, totalPages: 3, sortField: 'creationTime', sort: 'desc', pageSize: 100, limit: 100 });
        expect(first.body.link).toEqual({ next: '/segment/definitions?start=100&limit=100' });
        const { seen, pages } = await walk('/segment/definitions');
        expect(pages).toBe(3);
        expect(seen).toHaveLength(COUNT);
        expect(new Set(seen)).toEqual(new Set(created));
      });

      it('a client that reads the first page bare, then asks page=1.. with limit=100 (aepp) skips nothing', async () => {
        const first = await api.http.get(SEGMENTS).set(a.headers('walk')).expect(200);
        const seen: string[] = first.body.segments.map((s: { id: string }) => s.id);
        for (let page = 1; page <= first.body.page.totalPages; page++) {
          const res = await api.http.get(`${SEGMENTS}?page=${page}&limit=100`).set(a.headers('walk')).expect(200);
          seen.push(...res.body.segments.map((s: { id: string }) => s.id));
        }
        expect(seen).toHaveLength(COUNT);
        expect(new Set(seen)).toEqual(new Set(created));
      });

      it('with a small limit, start, or a sort, the walk is the same list in the asked order', async () => {
        const small = await walk('/segment/definitions?limit=37');
        expect(small.pages).toBe(7);
        const all = await api.http.get(`${SEGMENTS}?limit=1000`).set(a.headers('walk')).expect(200);
        expect(small.seen).toEqual(all.body.segments.map((s: { id: string }) => s.id));
        const offset = await api.http.get(`${SEGMENTS}?start=5&limit=3`).set(a.headers('walk')).expect(200);
        expect(offset.body.segments.map((s: { id: string }) => s.id)).toEqual(small.seen.slice(5, 8));
        const byName = await walk('/segment/definitions?sort=name:asc&limit=90', 'name', 'asc');
        expect(byName.seen).toHaveLength(COUNT);
        const names = (await api.http.get(`${SEGMENTS}?sort=name:asc&limit=1000`).set(a.headers('walk')).expect(200)).body.segments.map((s: { name: string; id: string }) => s.id);
        expect(byName.seen).toEqual(names);
      });

      it('the evaluationInfo filters: batch lists all, streaming and edge list none (not built)', async () => {
        const batch = await api.http.get(`${SEGMENTS}?evaluationInfo.batch.enabled=true&limit=200`).set(a.headers('walk')).expect(200);
        expect(batch.body.page.totalCount).toBe(COUNT);
        expect(batch.body.link).toEqual({ next: '/segment/definitions?evaluationInfo.batch.enabled=true&start=200&limit=200' });
        for (const kind of ['continuous', 'synchronous']) {
          const res = await api.http.get(`${SEGMENTS}?evaluationInfo.${kind}.enabled=true`).set(a.headers('walk')).expect(200);
          expect(res.body).toMatchObject({ segments: [], page: { totalCount: 0, pageSize: 0 }, link: {} });
        }
      });
    });

    it('DELETE answers 200 with no body, as AEP', async () => {
      const { body } = await http('post', SEGMENTS).send(aepDefinition()).expect(200);
      const res = await http('delete', `${SEGMENTS}/${body.id}`).expect(200);
      expect(res.text).toBe('');
    });
  });

  describe('merge policies', () => {
    it("POST AEP's example: 200 with version 1 and isActiveOnEdge false", async () => {
      const res = await http('post', POLICIES).send(aepPolicy()).expect(200);
      expectPolicyShape(res.body);
      expect(res.body).toMatchObject({ ...aepPolicy(), version: 1, isActiveOnEdge: false });
    });

    it('GET then POST of the same object works: read-only fields ignored, a new policy made', async () => {
      const { body: created } = await http('post', POLICIES)
        .send({ ...aepPolicy(), default: false, isActiveOnEdge: false })
        .expect(200);
      for (const id of [created.id, BUILT_IN]) {
        const { body: read } = await http('get', `${POLICIES}/${id}`).expect(200);
        const res = await http('post', POLICIES).send(read).expect(200);
        expectPolicyShape(res.body);
        expect(res.body.id).not.toBe(read.id);
        expect(res.body).toEqual({ ...read, id: res.body.id, version: 1, default: read.default, updateEpoch: res.body.updateEpoch });
      }
    });

    it("GET then PATCH (AEP's single-object body, string value) then GET: the change sticks, version +1", async () => {
      const { body: created } = await http('post', POLICIES, 'patch')
        .send({ ...aepPolicy(), default: false })
        .expect(200);
      const { body: before } = await http('get', `${POLICIES}/${created.id}`, 'patch').expect(200);
      const res = await http('patch', `${POLICIES}/${created.id}`, 'patch').send({ op: 'add', path: '/default', value: 'true' }).expect(200);
      expectPolicyShape(res.body);
      const { body: after } = await http('get', `${POLICIES}/${created.id}`, 'patch').expect(200);
      expect(after).toEqual(res.body);
      expect(after).toEqual({ ...before, default: true, version: before.version + 1, updateEpoch: after.updateEpoch });
      expect((await http('get', `${POLICIES}/${BUILT_IN}`, 'patch').expect(200)).body.default).toBe(false);
    });

    it("PATCH with the spec's array: all operations or none", async () => {
      const { body: created } = await http('post', POLICIES, 'patch')
        .send({ ...aepPolicy(), default: false })
        .expect(200);
      const res = await http('patch', `${POLICIES}/${created.id}`, 'patch')
        .send([
          { op: 'add', path: '/name', value: 'renamed' },
          { op: 'add', path: '/identityGraph.type', value: 'pdg' },
          { op: 'add', path: '/attributeMerge.type', value: 'timestampOrdered' },
          { op: 'add', path: '/version', value: '9' },
        ])
        .expect(200);
      expect(res.body).toMatchObject({ name: 'renamed', identityGraph: { type: 'pdg' }, attributeMerge: { type: 'timestampOrdered' }, version: 2 });
      expect(res.body.attributeMerge).not.toHaveProperty('order');
      const bad = await http('patch', `${POLICIES}/${created.id}`, 'patch')
        .send([
          { op: 'add', path: '/name', value: 'again' },
          { op: 'add', path: '/identityGraph.type', value: 'full' },
        ])
        .expect(400);
      expect(bad.body.errors).toEqual([{ path: '[1].value', message: expect.stringMatching(/none, pdg/) }]);
      expect((await http('get', `${POLICIES}/${created.id}`, 'patch').expect(200)).body).toEqual(res.body);
    });

    it("PUT AEP's example (with imsOrgId, version, updateEpoch) replaces the policy: 200, version +1", async () => {
      const { body: created } = await http('post', POLICIES, 'patch')
        .send({ ...aepPolicy(), default: false, identityGraph: { type: 'pdg' } })
        .expect(200);
      const put = {
        name: 'Loyalty members ordered by ID',
        imsOrgId: '{IMS_ORG}',
        schema: { name: '_xdm.context.profile' },
        version: 1,
        identityGraph: { type: 'none' },
        attributeMerge: aepPolicy().attributeMerge,
        default: false,
        updateEpoch: 1551898378,
      };
      const res = await http('put', `${POLICIES}/${created.id}`, 'patch').send(put).expect(200);
      expectPolicyShape(res.body);
      expect(res.body).toMatchObject({ id: created.id, imsOrgId: ORG_A, identityGraph: { type: 'none' }, version: 2 });
      expect(res.body.updateEpoch).not.toBe(1551898378);
      expect((await http('get', `${POLICIES}/${created.id}`, 'patch').expect(200)).body).toEqual(res.body);
      const missing = await http('put', `${POLICIES}/${created.id}`, 'patch').send({ name: 'x' }).expect(400);
      expect(missing.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['attributeMerge', 'identityGraph']);
      await http('put', `${POLICIES}/no-such-policy`, 'patch').send(put).expect(404);
      await http('patch', `${POLICIES}/no-such-policy`, 'patch').send({ op: 'add', path: '/name', value: 'x' }).expect(404);
    });

    it('the built-in cannot be changed: 409', async () => {
      const res = await http('patch', `${POLICIES}/${BUILT_IN}`, 'patch').send({ op: 'add', path: '/name', value: 'x' }).expect(409);
      expect(res.body.detail).toMatch(/cannot be changed/);
      await http('put', `${POLICIES}/${BUILT_IN}`, 'patch').send(aepPolicy()).expect(409);
    });

    it('isActiveOnEdge: stored and echoed, one per sandbox (400 naming it), and the edge-active policy cannot be deleted', async () => {
      const { body: edge } = await http('post', POLICIES, 'edge')
        .send({ ...aepPolicy(), isActiveOnEdge: true })
        .expect(200);
      expect(edge.isActiveOnEdge).toBe(true);
      const second = await http('post', POLICIES, 'edge')
        .send({ ...aepPolicy(), default: false, isActiveOnEdge: true })
        .expect(400);
      expect(second.body.errors).toEqual([{ path: 'isActiveOnEdge', message: expect.stringMatching(/another merge policy of this sandbox is active on edge/) }]);
      const { body: other } = await http('post', POLICIES, 'edge')
        .send({ ...aepPolicy(), default: false })
        .expect(200);
      await http('patch', `${POLICIES}/${other.id}`, 'edge').send({ op: 'add', path: '/isActiveOnEdge', value: 'true' }).expect(400);
      const refused = await http('delete', `${POLICIES}/${edge.id}`, 'edge').expect(409);
      expect(refused.body.detail).toMatch(/active on edge/);
      const listed = await http('get', `${POLICIES}?isActiveOnEdge=true`, 'edge').expect(200);
      expect(listed.body.children.map((p: { id: string }) => p.id)).toEqual([edge.id]);
      await http('patch', `${POLICIES}/${edge.id}`, 'edge').send({ op: 'add', path: '/isActiveOnEdge', value: 'false' }).expect(200);
      await http('patch', `${POLICIES}/${other.id}`, 'edge').send({ op: 'add', path: '/isActiveOnEdge', value: 'true' }).expect(200);
      const res = await http('delete', `${POLICIES}/${edge.id}`, 'edge').expect(200);
      expect(res.text).toBe('');
    });

    it("bulk-get: AEP's body, 207 {results: {<id>: policy}}, the built-in included, unknown ids left out", async () => {
      const { body: created } = await http('post', POLICIES, 'bulk').send(aepPolicy()).expect(200);
      const res = await http('post', `${POLICIES}/bulk-get`, 'bulk')
        .send({ ids: [{ id: created.id }, { id: '42d4a596-b1c6-46c0-994e-ca5ef1f85130' }, { id: BUILT_IN }] })
        .expect(207);
      expect(Object.keys(res.body.results)).toEqual([created.id, BUILT_IN]);
      expect(res.body.results[created.id]).toEqual(created);
      expectPolicyShape(res.body.results[BUILT_IN]);
      expect(res.body.results[BUILT_IN].default).toBe(false);
      expect(
        (
          await http('post', `${POLICIES}/bulk-get`, 'bulk')
            .send({ ids: [{}] })
            .expect(400)
        ).body.errors[0].path,
      ).toBe('ids[0].id');
    });

    it('the list: AEP\'s envelope and query (schema.name), _links.next.href "" on the last page', async () => {
      const res = await http('get', `${POLICIES}?schema.name=_xdm.context.profile`, 'bulk').expect(200);
      expect(Object.keys(res.body)).toEqual(['_page', 'children', '_links']);
      expect(res.body._page).toMatchObject({ totalCount: 2, pageSize: 2 });
      res.body.children.forEach(expectPolicyShape);
      expect(res.body._links).toEqual({ next: { href: '' } });
    });
  });
});
