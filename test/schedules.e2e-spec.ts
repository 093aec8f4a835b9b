import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { ChildApp, ChildWorkers, eventually } from './support/child-process';
import { Conformance, Method } from './support/openapi-conformance';
import { TestEnv, createTestEnv } from './support/test-env';
import { ScheduleTickers } from '@sx/queue';

const BASE = '/data/core/ups';
const SCHEDULES = `${BASE}/config/schedules`;
const PROFILE = { name: '_xdm.context.profile' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RunRow {
  id: string;
  tick_at: Date;
  export_job_id: number | null;
  segment_job_id: string | null;
  error: string | null;
}

/**
 * AEP's /config/schedules (issue #15) through the real API, real worker processes, Postgres and
 * Redis: the AEP shapes and the 400s, tenancy, several workers firing a per-second schedule
 * (exactly one run and one job per tick), inactive schedules firing nothing, and a tick missed
 * while no worker ran caught up exactly once.
 */
describe('schedules', () => {
  jest.setTimeout(120_000);
  let env: TestEnv;
  let api: ApiHarness;
  let client: TestClient;
  let definitionId: string;
  const settings = { SCHEDULE_MIN_INTERVAL_SECONDS: '1', RECONCILE_INTERVAL_MS: '500' };
  const workers = new ChildWorkers((o) => env.childEnv(o), { ...settings, LOG_LEVEL: 'info' });

  beforeAll(async () => {
    env = await createTestEnv('schedules');
    api = await ApiHarness.start(env.config(settings));
    client = await api.client(ORG_A, ['prod', 'dev']);
    const def = await api.http
      .post(`${BASE}/segment/definitions`)
      .set(client.headers())
      .send({ name: 'US', schema: PROFILE, expression: { type: 'PQL', format: 'pql/text', value: 'homeAddress.country = "US"' } })
      .expect(200);
    definitionId = def.body.id;
  });
  afterEach(() => workers.stopAll());
  afterAll(async () => {
    await workers.stopAll();
    await api?.close();
    await env?.close();
  });

  const post = (body: unknown, sandbox = 'prod') =>
    api.http
      .post(SCHEDULES)
      .set(client.headers(sandbox))
      .send(body as object);
  const patch = (id: string, body: unknown, sandbox = 'prod') =>
    api.http
      .patch(`${SCHEDULES}/${id}`)
      .set(client.headers(sandbox))
      .send(body as object);
  const exportBody = (sandbox = 'prod') => ({ destination: { datasetId: client.datasets[sandbox], outputFormat: 'jsonl' }, schema: PROFILE });
  const runs = async (scheduleId: string) =>
    (await env.db.query<RunRow>('SELECT id::text, tick_at, export_job_id, segment_job_id, error FROM schedule_runs WHERE schedule_id = $1 ORDER BY tick_at', [scheduleId])).rows;
  const problems = (res: { body: { errors?: Array<{ path: string; message: string }> } }) => res.body.errors ?? [];
  async function startWorkers(n: number): Promise<ChildApp[]> {
    const started = Array.from({ length: n }, () => workers.start());
    await Promise.all(started.map((w) => w.waitForLog((l) => l.msg === 'worker started', 30_000)));
    return started;
  }

  describe('the API (AEP shapes)', () => {
    it('creates, lists, gets, patches and deletes, in AEP shapes, each answer as OpenAPI documents it', async () => {
      const check = await Conformance.load(api);
      const conforming = (method: Method, path: string, url: string, body?: unknown) => check.conforming(method, path, url, { headers: client.headers(), body });
      const created = await conforming('post', SCHEDULES, SCHEDULES, { name: 'Nightly', type: 'batch_segmentation', properties: { segments: ['*'] }, schedule: '0 0 1 * * ?' });
      expect(created.status).toBe(200);
      const s = created.body;
      expect(s).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        imsOrgId: ORG_A,
        sandbox: { sandboxName: 'prod' },
        name: 'Nightly',
        state: 'inactive',
        type: 'batch_segmentation',
        schedule: '0 0 1 * * ?',
        properties: { segments: ['*'] },
        createEpoch: expect.any(Number),
        updateEpoch: expect.any(Number),
      });
      expect(Math.abs(s.createEpoch - Date.now() / 1000)).toBeLessThan(60);

      // No schedule: a daily one is generated (01:00 UTC, AEP's example); listed ids are kept.
      const generated = await post({ name: 'Listed', type: 'batch_segmentation', properties: { segments: [definitionId] } }).expect(200);
      expect(generated.body).toMatchObject({ schedule: '0 0 1 * * ?', state: 'inactive', properties: { segments: [definitionId] } });

      const one = await conforming('get', `${SCHEDULES}/{id}`, `${SCHEDULES}/${s.id}`);
      expect(one.body).toEqual(s);
      const list = await conforming('get', SCHEDULES, SCHEDULES);
      expect(list.body).toEqual({ _page: { totalCount: 2, pageSize: 2 }, children: [s, generated.body], _links: {} });
      const page = await conforming('get', SCHEDULES, `${SCHEDULES}?start=0&limit=1`);
      expect(page.body).toEqual({ _page: { totalCount: 2, pageSize: 1, next: '1' }, children: [s], _links: { next: { href: `${SCHEDULES}?start=1&limit=1` } } });
      expect((await api.http.get(page.body._links.next.href).set(client.headers()).expect(200)).body.children).toEqual([generated.body]);

      const patched = await conforming('patch', `${SCHEDULES}/{id}`, `${SCHEDULES}/${s.id}`, [
        { op: 'add', path: '/state', value: 'active' },
        { op: 'add', path: '/schedule', value: '0 30 2 ? * 2' },
      ]);
      expect([patched.status, patched.text]).toEqual([204, '']);
      expect((await api.http.get(`${SCHEDULES}/${s.id}`).set(client.headers()).expect(200)).body).toMatchObject({ state: 'active', schedule: '0 30 2 ? * 2' });
      // Its BullMQ job scheduler fires the cron as cron-parser reads it: Monday is 1 there, 2 in Quartz.
      const schedulers = await api.app.get(ScheduleTickers).list();
      expect(schedulers).toContainEqual({ scheduleId: s.id, pattern: '0 30 2 ? * 1' });
      await patch(s.id, [{ op: 'add', path: '/state', value: 'inactive' }]).expect(204);
      expect((await api.app.get(ScheduleTickers).list()).map((t) => t.scheduleId)).not.toContain(s.id);

      expect((await conforming('delete', `${SCHEDULES}/{id}`, `${SCHEDULES}/${s.id}`)).status).toBe(204);
      expect((await conforming('get', `${SCHEDULES}/{id}`, `${SCHEDULES}/${s.id}`)).status).toBe(404);
      expect((await conforming('delete', `${SCHEDULES}/{id}`, `${SCHEDULES}/${s.id}`)).status).toBe(404);
      expect((await conforming('patch', `${SCHEDULES}/{id}`, `${SCHEDULES}/${s.id}`, [{ op: 'add', path: '/state', value: 'active' }])).status).toBe(404);
    });

    it('keeps each sandbox to its own schedules', async () => {
      const s = (await post({ name: 'Mine', type: 'export', properties: { exportJob: exportBody() } }).expect(200)).body;
      expect(s.properties.exportJob).toMatchObject({ destination: { datasetId: client.datasets.prod, segmentPerBatch: false }, schema: PROFILE });
      await api.http.get(`${SCHEDULES}/${s.id}`).set(client.headers('dev')).expect(404);
      await patch(s.id, [{ op: 'add', path: '/state', value: 'active' }], 'dev').expect(404);
      await api.http.delete(`${SCHEDULES}/${s.id}`).set(client.headers('dev')).expect(404);
      expect((await api.http.get(SCHEDULES).set(client.headers('dev')).expect(200)).body.children).toEqual([]);
      expect((await api.http.get(`${SCHEDULES}/${s.id}`).set(client.headers()).expect(200)).body.state).toBe('inactive');
      // The export body names the dataset of its own sandbox: prod's dataset is unknown in dev.
      const wrong = await post({ name: 'Other', type: 'export', properties: { exportJob: exportBody('prod') } }, 'dev').expect(400);
      expect(problems(wrong)).toContainEqual({ path: 'properties.exportJob.destination.datasetId', message: 'no such dataset in this sandbox' });
      await api.http.delete(`${SCHEDULES}/${s.id}`).set(client.headers()).expect(204);
    });

    it.each([
      ['a cron that is not one', { schedule: 'every day' }, 'schedule', /fields/],
      ['a 5-field (unix) cron', { schedule: '0 1 * * *' }, 'schedule', /5 fields \(a unix cron\)/],
      ['an out-of-range field', { schedule: '0 0 25 * * ?' }, 'schedule', /not a valid Quartz cron/],
      ['a bad year field', { schedule: '0 0 1 * * ? 1969' }, 'schedule', /years are 1970-2099/],
      ['a cron that never fires again', { schedule: '0 0 1 * * ? 2020' }, 'schedule', /never fires again/],
      ['an unknown type', { type: 'streaming' }, 'type', /must be one of/],
      ['no name', { name: undefined }, 'name', /is required/],
      ['a bad state', { state: 'paused' }, 'state', /must be one of/],
      ['no properties', { properties: undefined }, 'properties', /is required/],
      ['no segments', { properties: {} }, 'properties.segments', /is required/],
      ['an unknown property', { properties: { segments: ['*'], extra: 1 } }, 'properties.extra', /not a known property/],
      ['"*" with ids', { properties: { segments: ['*', '9a7d4e8c-1f1b-4b7e-9c4e-1f1b4b7e9c4e'] } }, 'properties.segments', /"\*" must be the only entry/],
      ['an unknown segment', { properties: { segments: ['9a7d4e8c-1f1b-4b7e-9c4e-1f1b4b7e9c4e'] } }, 'properties.segments[0]', /no segment definition/],
      ['a segment id that is no uuid', { properties: { segments: ['x'] } }, 'properties.segments[0]', /uuid/],
      ['an export schedule without its body', { type: 'export', properties: {} }, 'properties.exportJob', /is required/],
    ])('refuses %s with a 400 naming the field', async (_, change, path, message) => {
      const body = { name: 'Bad', type: 'batch_segmentation', properties: { segments: ['*'] }, ...change };
      const res = await post(body).expect(400);
      const named = problems(res).filter((p) => p.path === path);
      expect([path, named.length]).toEqual([path, 1]);
      expect(named[0].message).toMatch(message);
    });

    it('checks an export body exactly as POST /export/jobs does, naming properties.exportJob.<field>', async () => {
      const bad = async (exportJob: unknown) => problems(await post({ name: 'Bad', type: 'export', properties: { exportJob } }).expect(400));
      expect(await bad({ destination: { datasetId: 5 }, schema: PROFILE })).toContainEqual({ path: 'properties.exportJob.destination.datasetId', message: 'must be a string' });
      expect(await bad({ destination: { datasetId: client.datasets.prod } })).toContainEqual({ path: 'properties.exportJob.schema', message: 'is required' });
      expect(await bad({ ...exportBody(), colour: 'red' })).toContainEqual({ path: 'properties.exportJob.colour', message: 'is not a known property' });
      expect(await bad({ ...exportBody(), mergePolicy: { id: 'nope' } })).toContainEqual({
        path: 'properties.exportJob.mergePolicy.id',
        message: 'no such merge policy in this sandbox',
      });
      expect(await bad('a string')).toContainEqual({ path: 'properties.exportJob', message: expect.stringMatching(/must be an object/) });
      // What POST /export/jobs says of the same body, under the same field names.
      const direct = await api.http
        .post(`${BASE}/export/jobs`)
        .set(client.headers())
        .send({ destination: { datasetId: 5 }, schema: PROFILE })
        .expect(400);
      expect(problems(direct)).toContainEqual({ path: 'destination.datasetId', message: 'must be a string' });
    });

    it('refuses a cron firing more often than SCHEDULE_MIN_INTERVAL_SECONDS (default 300)', async () => {
      const strict = await ApiHarness.start(env.config());
      try {
        const send = (schedule: string) =>
          strict.http
            .post(SCHEDULES)
            .set(client.headers())
            .send({ name: 'Often', type: 'batch_segmentation', properties: { segments: ['*'] }, schedule });
        const often = await send('0 * * * * ?').expect(400);
        expect(problems(often)).toEqual([{ path: 'schedule', message: expect.stringMatching(/fires 60 s apart; .* every 300 s/) }]);
        // 23:58 and 00:01 are three minutes apart across midnight, though not within a day.
        expect(problems(await send('0 1,58 0,23 * * ?').expect(400))[0].message).toMatch(/fires 180 s apart/);
        await send('0 */5 * * * ?').expect(200);
      } finally {
        await strict.close();
      }
    });

    it('refuses a bad PATCH naming the operation and its field, and changes nothing', async () => {
      const s = (await post({ name: 'P', type: 'batch_segmentation', properties: { segments: ['*'] } }).expect(200)).body;
      const refused = async (body: unknown) => problems(await patch(s.id, body).expect(400));
      expect(await refused({ op: 'add', path: '/state', value: 'active' })).toEqual([{ path: 'body', message: expect.stringMatching(/JSON Patch array/) }]);
      expect(await refused([{ op: 'replace', path: '/state', value: 'active' }])).toContainEqual({ path: '[0].op', message: expect.stringMatching(/must be "add"/) });
      expect(await refused([{ op: 'add', path: '/type', value: 'export' }])).toContainEqual({ path: '[0].path', message: expect.stringMatching(/must be one of/) });
      expect(await refused([{ op: 'add', path: '/state', value: 'on' }])).toEqual([{ path: '[0].value', message: 'must be one of active, inactive' }]);
      expect(
        await refused([
          { op: 'add', path: '/state', value: 'active' },
          { op: 'add', path: '/schedule', value: '0 1 * * *' },
        ]),
      ).toEqual([{ path: '[1].value', message: expect.stringMatching(/5 fields/) }]);
      expect(await refused([{ op: 'add', path: '/properties/exportJob', value: {} }])).toEqual([
        { path: '[0].path', message: expect.stringMatching(/has no \/properties\/exportJob/) },
      ]);
      expect(await refused([{ op: 'add', path: '/properties/segments', value: ['x'] }])).toEqual([{ path: '[0].value[0]', message: expect.stringMatching(/uuid/) }]);
      expect(
        problems(
          await api.http
            .patch(`${SCHEDULES}/not-a-uuid`)
            .set(client.headers())
            .send([{ op: 'add', path: '/state', value: 'active' }])
            .expect(400),
        ),
      ).toEqual([{ path: 'id', message: 'must be a uuid' }]);
      expect((await api.http.get(`${SCHEDULES}/${s.id}`).set(client.headers()).expect(200)).body).toEqual(s);
      await api.http.delete(`${SCHEDULES}/${s.id}`).set(client.headers()).expect(204);
    });
  });

  describe('runs', () => {
    it('three workers firing a per-second export schedule: one run and one job per tick, each SUCCEEDED with its scheduleId and runId', async () => {
      const three = await startWorkers(3);
      const s = (await post({ name: 'Every second', type: 'export', state: 'active', schedule: '* * * * * ?', properties: { exportJob: exportBody() } }).expect(200)).body;
      await eventually(async () => (await runs(s.id)).length >= 4, 30_000, 200);
      await patch(s.id, [{ op: 'add', path: '/state', value: 'inactive' }]).expect(204);
      // A tick already in flight when it went inactive may still land: let it, then nothing more.
      await sleep(1500);
      const before = await runs(s.id);
      await sleep(3000);
      const after = await runs(s.id);
      expect(after).toEqual(before);

      const ticks = after.map((r) => r.tick_at.getTime());
      expect(new Set(ticks).size).toBe(ticks.length);
      for (const t of ticks) expect(t % 1000).toBe(0);
      expect(after.every((r) => r.export_job_id !== null && r.error === null)).toBe(true);
      // One export job per run, and every job this schedule made belongs to one of them.
      const jobs = (await env.db.query<{ id: number; run_id: string }>(`SELECT id, properties->>'runId' AS run_id FROM export_jobs WHERE properties->>'scheduleId' = $1`, [s.id]))
        .rows;
      expect(jobs.map((j) => j.id).sort((a, b) => a - b)).toEqual(after.map((r) => r.export_job_id).sort((a, b) => a! - b!));
      expect(new Set(jobs.map((j) => j.run_id)).size).toBe(jobs.length);
      for (const run of after) {
        await eventually(async () => (await api.http.get(`${BASE}/export/jobs/${run.export_job_id}`).set(client.headers())).body.status === 'SUCCEEDED', 60_000, 200);
        const job = (await api.http.get(`${BASE}/export/jobs/${run.export_job_id}`).set(client.headers()).expect(200)).body;
        expect(job).toMatchObject({
          status: 'SUCCEEDED',
          properties: { scheduleId: s.id, runId: run.id },
          destination: { datasetId: client.datasets.prod, outputFormat: 'jsonl' },
        });
      }
      // The job schedulers' ticks made runs (not only the reconciler's catch-up).
      const runLines = three.map((w) => w.lines.filter((l) => l.msg === 'schedule run' && l.scheduleId === s.id));
      expect(runLines.flat().length).toBe(after.length);
      expect(runLines.flat().filter((l) => l.by === 'tick').length).toBeGreaterThan(0);
      // Nearly every second got its run (a tick a worker took after its successor was due runs as that one).
      expect(ticks.length).toBeGreaterThanOrEqual(Math.floor((ticks[ticks.length - 1] - ticks[0]) / 1000 / 2) + 1);
    });

    it('a batch_segmentation run creates a segment job as POST /segment/jobs would, from the scheduler', async () => {
      await startWorkers(1);
      const s = (await post({ name: 'Evaluate', type: 'batch_segmentation', state: 'active', schedule: '* * * * * ?', properties: { segments: [definitionId] } }).expect(200)).body;
      await eventually(async () => (await runs(s.id)).length >= 1, 30_000, 200);
      await patch(s.id, [{ op: 'add', path: '/state', value: 'inactive' }]).expect(204);
      const [run] = await runs(s.id);
      expect(run.segment_job_id).toMatch(/^[0-9a-f-]{36}$/);
      const job = (await api.http.get(`${BASE}/segment/jobs/${run.segment_job_id}`).set(client.headers()).expect(200)).body;
      expect(job).toMatchObject({ source: 'scheduler', properties: { scheduleId: s.id, runId: run.id }, segments: [{ segmentId: definitionId, segment: { id: definitionId } }] });
      await eventually(async () => (await api.http.get(`${BASE}/segment/jobs/${run.segment_job_id}`).set(client.headers())).body.status === 'SUCCEEDED', 60_000, 200);
    });

    /** A cron firing twice in the next seconds (then not for a minute), created active while no worker runs. */
    async function missedTwice(name: string) {
      const now = Date.now();
      const first = Math.ceil((now + 2000) / 1000) * 1000;
      const second = first + 2000;
      const cron = `${new Date(first).getUTCSeconds()},${new Date(second).getUTCSeconds()} * * * * ?`;
      const s = (await post({ name, type: 'export', state: 'active', schedule: cron, properties: { exportJob: exportBody() } }).expect(200)).body;
      return { s, second };
    }

    it('a tick missed while no worker ran (Redis kept its job) runs once on start: the latest one', async () => {
      const { s, second } = await missedTwice('Missed, Redis kept');
      await sleep(second + 1500 - Date.now());
      expect(await runs(s.id)).toEqual([]);
      await startWorkers(1);
      await eventually(async () => (await runs(s.id)).length >= 1, 20_000, 100);
      await sleep(2500);
      const found = await runs(s.id);
      expect(found.map((r) => r.tick_at.getTime())).toEqual([second]);
      expect(found[0].export_job_id).not.toBeNull();
      await patch(s.id, [{ op: 'add', path: '/state', value: 'inactive' }]).expect(204);
    });

    it('a tick missed while Redis lost everything runs once on start, from Postgres (the reconciler)', async () => {
      const { s, second } = await missedTwice('Missed, Redis emptied');
      await env.flushQueueKeys();
      await sleep(second + 1500 - Date.now());
      const [worker] = await startWorkers(1);
      await eventually(async () => (await runs(s.id)).length >= 1, 20_000, 100);
      await sleep(2500);
      expect((await runs(s.id)).map((r) => r.tick_at.getTime())).toEqual([second]);
      expect(worker.lines).toContainEqual(expect.objectContaining({ msg: 'schedule run', scheduleId: s.id, by: 'catch-up' }));
      await patch(s.id, [{ op: 'add', path: '/state', value: 'inactive' }]).expect(204);
    });
  });
});
