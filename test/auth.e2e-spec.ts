import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { signAccessToken } from '../apps/api/src/auth/access-token';
import { ApiHarness, ORG_A, ORG_B, TestClient, minimalJobBody } from './support/api-harness';
import { ROOT, TestEnv, createTestEnv } from './support/test-env';

const run = promisify(execFile);
const JOBS = '/data/core/ups/export/jobs';

describe('authentication, gateway errors and tenancy (real Postgres)', () => {
  let env: TestEnv;
  let api: ApiHarness;
  let a: TestClient;

  beforeAll(async () => {
    env = await createTestEnv('auth');
    api = await ApiHarness.start(env.config());
    a = await api.client(ORG_A, ['prod', 'dev']);
  });
  afterAll(async () => {
    await api?.close();
    await env?.close();
  });

  describe('POST /ims/token/v3', () => {
    it('exchanges client credentials for a bearer token that expires', async () => {
      const res = await api.http
        .post('/ims/token/v3')
        .type('form')
        .send({ grant_type: 'client_credentials', client_id: a.clientId, client_secret: a.clientSecret, scope: 'openid' })
        .expect(200);
      expect(res.body).toEqual({ access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), token_type: 'bearer', expires_in: 86400 });
      const claims = JSON.parse(Buffer.from(res.body.access_token.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({ sub: a.clientId, org: ORG_A });
      expect(claims.exp - claims.iat).toBe(86400);
    });

    it('also takes JSON', async () => {
      await api.http.post('/ims/token/v3').send({ grant_type: 'client_credentials', client_id: a.clientId, client_secret: a.clientSecret }).expect(200);
    });

    it.each([
      [{ client_id: 'x', client_secret: 'y' }, 400, 'invalid_request'],
      [{ grant_type: 'password', client_id: 'x', client_secret: 'y' }, 400, 'unsupported_grant_type'],
      [{ grant_type: 'client_credentials', client_id: 'x' }, 400, 'invalid_request'],
      [{ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'y' }, 401, 'invalid_client'],
    ])('answers %p with %p %p', async (form, status, error) => {
      const res = await api.http.post('/ims/token/v3').type('form').send(form).expect(status);
      expect(res.body).toEqual({ error, error_description: expect.any(String) });
    });

    it('401 invalid_client for a wrong secret', async () => {
      const res = await api.http
        .post('/ims/token/v3')
        .type('form')
        .send({ grant_type: 'client_credentials', client_id: a.clientId, client_secret: a.clientSecret + 'x' })
        .expect(401);
      expect(res.body.error).toBe('invalid_client');
    });
  });

  describe('gateway checks, in AEP gateway shape', () => {
    const without = (name: string) => {
      const headers = a.headers();
      delete headers[name];
      return headers;
    };

    it('403010 without a token', async () => {
      const res = await api.http.get(JOBS).set(without('Authorization')).expect(403);
      expect(res.body).toEqual({ error_code: '403010', message: 'Oauth token is missing.' });
    });

    it('401013 for a token that is not ours, tampered or expired', async () => {
      for (const token of [
        'garbage',
        a.token.slice(0, -2) + 'xx',
        signAccessToken({ sub: a.clientId, client_id: a.clientId, org: ORG_A, iat: 1, exp: 2 }, env.config().jwtSecret),
        signAccessToken({ sub: a.clientId, client_id: a.clientId, org: ORG_A, iat: 1, exp: 4e9 }, 'another-secret-another-secret-another'),
      ]) {
        const res = await api.http
          .get(JOBS)
          .set({ ...a.headers(), Authorization: `Bearer ${token}` })
          .expect(401);
        expect(res.body).toEqual({ error_code: '401013', message: 'Oauth token is not valid' });
      }
    });

    it("403000 without an API key, 403003 with another client's key", async () => {
      const missing = await api.http.get(JOBS).set(without('x-api-key')).expect(403);
      expect(missing.body).toEqual({ error_code: '403000', message: 'Api Key is required' });
      const other = await api.client(ORG_A, ['prod']);
      const wrong = await api.http
        .get(JOBS)
        .set({ ...a.headers(), 'x-api-key': other.clientId })
        .expect(403);
      expect(wrong.body).toEqual({ error_code: '403003', message: 'Api Key is invalid' });
    });

    it('400003 without the org or sandbox header', async () => {
      const org = await api.http.get(JOBS).set(without('x-gw-ims-org-id')).expect(400);
      expect(org.body).toEqual({ error_code: '400003', message: 'Missing required header: x-gw-ims-org-id' });
      const sandbox = await api.http.get(JOBS).set(without('x-sandbox-name')).expect(400);
      expect(sandbox.body).toEqual({ error_code: '400003', message: 'Missing required header: x-sandbox-name' });
    });

    it("403 for an org that is not the client's, or a sandbox it may not use", async () => {
      const org = await api.http
        .get(JOBS)
        .set({ ...a.headers(), 'x-gw-ims-org-id': ORG_B })
        .expect(403);
      expect(org.body).toMatchObject({ status: 403, title: 'Forbidden', detail: expect.stringContaining(ORG_B) });
      const sandbox = await api.http
        .get(JOBS)
        .set({ ...a.headers(), 'x-sandbox-name': 'stage' })
        .expect(403);
      expect(sandbox.body).toMatchObject({ status: 403, detail: expect.stringContaining('stage') });
    });

    it('every route but the token endpoint needs the gateway checks', async () => {
      await api.http.post(JOBS).send(minimalJobBody()).expect(403);
      await api.http.get(`${JOBS}/1`).expect(403);
      await api.http.delete(`${JOBS}/1`).expect(403);
    });
  });

  describe('tenancy', () => {
    it('a job of another org or sandbox does not exist for the caller: 404, never its data', async () => {
      const b = await api.client(ORG_B, ['prod']);
      const { body: jobA } = await api.http
        .post(JOBS)
        .set(a.headers('prod'))
        .send(a.job(minimalJobBody('secret-dataset'), 'prod'))
        .expect(200);

      for (const headers of [b.headers('prod'), a.headers('dev')]) {
        const get = await api.http.get(`${JOBS}/${jobA.id}`).set(headers).expect(404);
        expect(JSON.stringify(get.body)).not.toContain('secret-dataset');
        await api.http.delete(`${JOBS}/${jobA.id}`).set(headers).expect(404);
        const list = await api.http.get(`${JOBS}?limit=1000`).set(headers).expect(200);
        expect(list.body.records.map((r: { id: number }) => r.id)).not.toContain(jobA.id);
      }
      const still = await api.http.get(`${JOBS}/${jobA.id}`).set(a.headers('prod')).expect(200);
      expect(still.body.status).toBe('NEW'); // the foreign DELETEs did nothing
      expect(still.body.imsOrgId).toBe(ORG_A);
    });

    it('the same Idempotency-Key in two sandboxes makes two jobs', async () => {
      const p = await api.http.post(JOBS).set(a.headers('prod')).set('Idempotency-Key', 'shared').send(a.job(minimalJobBody(), 'prod')).expect(200);
      const d = await api.http.post(JOBS).set(a.headers('dev')).set('Idempotency-Key', 'shared').send(a.job(minimalJobBody(), 'dev')).expect(200);
      expect(p.body.id).not.toBe(d.body.id);
    });
  });

  describe('CLI', () => {
    const cli = (args: string[]) => run('node', [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], { env: env.childEnv() });

    it('create-client prints a client whose credentials get a token', async () => {
      const { stdout } = await cli(['create-client', '--org', ORG_B, '--sandboxes', 'prod,dev']);
      const created = JSON.parse(stdout);
      expect(created).toEqual({ clientId: expect.stringMatching(/^[0-9a-f]{32}$/), clientSecret: expect.any(String), orgId: ORG_B, sandboxes: ['prod', 'dev'] });
      const stored = await env.db.query('SELECT secret_hash, org_id, sandboxes FROM api_clients WHERE client_id = $1', [created.clientId]);
      expect(stored.rows[0]).toMatchObject({ org_id: ORG_B, sandboxes: ['prod', 'dev'] });
      expect(stored.rows[0].secret_hash).not.toContain(created.clientSecret);
      await api.http.post('/ims/token/v3').type('form').send({ grant_type: 'client_credentials', client_id: created.clientId, client_secret: created.clientSecret }).expect(200);
    });

    it('create-client without --org fails with usage (exit 2)', async () => {
      await expect(cli(['create-client'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--org') });
    });
  });
});
