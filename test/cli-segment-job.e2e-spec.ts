import type { Server } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { listen, runCli } from './support/cli-runner';
import { ProfileStoreClient, profile } from './support/profile-store';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

const DEFS = '/data/core/ups/segment/definitions';
const SEGMENT = 'cccccccc-0000-4000-8000-000000000001';

/** `segment-job run|get|wait` as a user runs them: the built CLI against the real API and worker. */
describe('CLI segment-job commands (child process, real API and worker)', () => {
  jest.setTimeout(90_000);
  let env: TestEnv;
  let api: ApiHarness;
  let base: string;
  let client: TestClient;
  let worker: INestApplicationContext;

  beforeAll(async () => {
    env = await createTestEnv('cli_segment_job');
    api = await ApiHarness.start(env.config());
    base = await listen(api.app.getHttpServer() as Server);
    client = await api.client(ORG_A, ['prod']);
    worker = await startWorker(env.config());
    const store = new ProfileStoreClient(api, client, 'prod');
    await store.ingest(await store.createDataset('people'), [profile('ann', { homeAddress: { countryISO: 'US' } }), profile('bob', { homeAddress: { countryISO: 'FR' } })]);
    await api.http
      .post(DEFS)
      .set(client.headers())
      .send({
        id: SEGMENT,
        name: 'us',
        expression: { type: 'PQL', format: 'pql/text', value: 'homeAddress.countryISO = "US"' },
        schema: { name: '_xdm.context.profile' },
        mergePolicyId: 'timestampOrdered-none-mp',
      })
      .expect(200);
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
  });

  const flags = () => ['--api', base, '--client-id', client.clientId, '--client-secret', client.clientSecret, '--org', ORG_A, '--sandbox', 'prod'];
  const cli = (args: string[]) => runCli(args, env.childEnv());

  it('run --wait evaluates the segment and prints the ended job; get and wait read it again', async () => {
    const run = await cli(['segment-job', 'run', SEGMENT, '--wait', '--progress', 'always', '--interval', '100', ...flags()]);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'SUCCEEDED' });
    expect(run.stderr).toMatch(/segment job [0-9a-f]{8} SUCCEEDED/);
    const id = run.json.id as string;
    const got = await cli(['segment-job', 'get', id, ...flags()]);
    expect(got.code).toBe(0);
    expect(got.json).toEqual(run.json);
    const waited = await cli(['segment-job', 'wait', id, ...flags()]);
    expect(waited).toMatchObject({ code: 0, json: { id, status: 'SUCCEEDED' } });
    // The evaluation is in the store: Ann qualified.
    const { rows } = await env.db.query(`SELECT identity, status FROM segment_memberships WHERE segment_id = $1 AND evaluated`, [SEGMENT]);
    expect(rows).toEqual([{ identity: 'Email:ann@example.com', status: 'realized' }]);
  });

  it('run --all takes every definition; bad arguments are usage errors (exit 2); API errors show status and detail (exit 1)', async () => {
    const all = await cli(['segment-job', 'run', '--all', ...flags()]);
    expect(all.code).toBe(0);
    expect(all.json.id).toEqual(expect.any(String));
    expect((await cli(['segment-job', 'run', ...flags()])).code).toBe(2);
    expect((await cli(['segment-job', 'run', SEGMENT, '--all', ...flags()])).code).toBe(2);
    expect((await cli(['segment-job', 'get', '12', ...flags()])).code).toBe(2);
    const unknown = await cli(['segment-job', 'run', 'dddddddd-0000-4000-8000-000000000009', ...flags()]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/HTTP 400/);
    expect(unknown.stderr).toContain('segments[0].segmentId');
    const help = await cli(['segment-job', 'run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--all');
    expect((await cli(['--help'])).stdout).toContain('segment-job run');
  });
});
