import { ApiHarness, ORG_A, TestClient, minimalJobBody } from './support/api-harness';
import { TestEnv, createTestEnv } from './support/test-env';

const JOBS = '/data/core/ups/export/jobs';

describe('request ids, OpenAPI, Bull Board, base path and outages (real Postgres and Redis)', () => {
  let env: TestEnv;
  let api: ApiHarness;
  let client: TestClient;

  beforeAll(async () => {
    env = await createTestEnv('platform');
    api = await ApiHarness.start(env.config({ ADMIN_USER: 'ops', ADMIN_PASSWORD: 'pa:ss' }));
    client = await api.client(ORG_A, ['prod']);
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  it('echoes a given x-request-id, makes one otherwise, on success and on errors alike', async () => {
    const given = await api.http.get(JOBS).set(client.headers()).set('x-request-id', 'abc-123').expect(200);
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await api.http.get(`${JOBS}/x`).set(client.headers()).expect(400);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(made.body.requestId).toBe(made.headers['x-request-id']);
    const unsafe = await api.http.get('/nowhere').set('x-request-id', 'bad id with spaces').expect(404);
    expect(unsafe.headers['x-request-id']).not.toBe('bad id with spaces');
  });

  it('unknown routes are a 404 in the problem shape', async () => {
    const res = await api.http.get('/export/jobs').set(client.headers()).expect(404);
    expect(res.body).toEqual({ type: expect.any(String), status: 404, title: 'Not Found', detail: 'No such resource.', requestId: expect.any(String) });
  });

  it('serves the OpenAPI document generated from the code, and its UI', async () => {
    const doc = await api.http.get('/docs-json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/data/core/ups/export/jobs', '/data/core/ups/export/jobs/{id}', '/ims/token/v3']));
    expect(doc.body.components.schemas.CreateExportJobDto.required).toEqual(expect.arrayContaining(['destination', 'schema']));
    const ui = await api.http.get('/docs').expect(200);
    expect(ui.text).toContain('swagger');
  });

  it('Bull Board is behind the admin credential', async () => {
    await api.http.get('/admin/queues').expect(401);
    await api.http.get('/admin/queues').auth('ops', 'wrong').expect(401);
    const ok = await api.http.get('/admin/queues').auth('ops', 'pa:ss').expect(200);
    expect(ok.text).toMatch(/bull/i);
    const queues = await api.http.get('/admin/queues/api/queues').auth('ops', 'pa:ss').expect(200);
    expect(JSON.stringify(queues.body)).toContain('segment-export');
  });

  it('honours a configured base path', async () => {
    const other = await ApiHarness.start(env.config({ BASE_PATH: '/custom/ups' }));
    try {
      const c = await other.client(ORG_A, ['prod']);
      await other.http.post('/custom/ups/export/jobs').set(c.headers()).send(c.job(minimalJobBody())).expect(200);
      await other.http.get(JOBS).set(c.headers()).expect(404);
    } finally {
      await other.close();
    }
  });

  it('answers 503 with Retry-After, not a 500, while Postgres is unreachable', async () => {
    const down = await ApiHarness.start(env.config({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/none' }));
    try {
      const res = await down.http.post(JOBS).set(client.headers()).send(minimalJobBody()).expect(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toMatchObject({ status: 503, title: 'Service Unavailable' });
      expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|prisma|127\.0\.0\.1/i);
    } finally {
      await down.close();
    }
  });
});
