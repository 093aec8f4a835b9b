import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { INestApplicationContext } from '@nestjs/common';
import { membershipsOf, readSampleProfiles } from '../apps/cli/src/generate/sample-profiles';
import { ApiHarness, ORG_A } from './support/api-harness';
import { CATALOG } from './support/profile-store';
import { ROOT, TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

const run = promisify(execFile);

describe('sample data: generate, then load through the API (real processes, Postgres, storage)', () => {
  let env: TestEnv;
  let api: ApiHarness;
  let out: string;
  let base: string;
  let worker: INestApplicationContext;

  beforeAll(async () => {
    env = await createTestEnv('sample');
    api = await ApiHarness.start(env.config());
    worker = await startWorker(env.config()); // promotes the loaded batches
    const server = api.app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    out = await mkdtemp(join(tmpdir(), 'sx-sample-'));
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
    if (out) await rm(out, { recursive: true, force: true });
  });

  const cli = (args: string[]) => run('node', [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], { env: env.childEnv(), maxBuffer: 1 << 24 });

  it('loads every generated record, definition and membership, with the segment ids the memberships use', async () => {
    const gen = JSON.parse((await cli(['generate', '--profiles', '300', '--seed', '11', '--out', join(out, 'g'), '--force'])).stdout);
    const loaded = JSON.parse((await cli(['load', join(out, 'g'), '--api', base, '--org', ORG_A, '--sandbox', 'prod'])).stdout);
    expect(loaded).toMatchObject({ orgId: ORG_A, sandbox: 'prod', clientId: expect.any(String), clientSecret: expect.any(String), segments: gen.counts.segments });
    expect(loaded.datasets.crm.records).toBe(gen.counts.crmRecords);
    expect(loaded.datasets.web.records).toBe(gen.counts.webRecords);
    expect(loaded.datasets.events.records).toBe(gen.counts.events);

    const q = async (sql: string) => (await env.db.query(sql)).rows[0].n as number;
    expect(await q('SELECT count(*)::int AS n FROM profile_fragments')).toBe(gen.counts.crmRecords + gen.counts.webRecords);
    expect(await q('SELECT count(*)::int AS n FROM experience_events')).toBe(gen.counts.events);
    expect(await q('SELECT count(*)::int AS n FROM segment_definitions')).toBe(gen.counts.segments);
    // Every membership refers to a loaded definition: the ids were kept.
    expect(await q('SELECT count(*)::int AS n FROM segment_memberships m LEFT JOIN segment_definitions d ON d.id::text = m.segment_id WHERE d.id IS NULL')).toBe(0);
    // One record per primary identity, so the index holds every generated membership as written.
    const { profiles } = await readSampleProfiles(join(out, 'g'));
    const written = profiles.flatMap((p) => {
      const m = membershipsOf(p.record);
      return [...m.realized.map((id) => `${p.key} ${id} realized`), ...m.exited.map((id) => `${p.key} ${id} exited`)];
    });
    const stored = (await env.db.query(`SELECT identity || ' ' || segment_id || ' ' || status AS m FROM segment_memberships WHERE segment_ns = 'ups'`)).rows.map(
      (r) => r.m as string,
    );
    expect(stored.sort()).toEqual(written.sort());
    expect(written.length).toBeGreaterThan(300 * 5 * 0.5);

    // The datasets are there for a client of the Catalog to see.
    const headers = { 'x-api-key': loaded.clientId, 'x-gw-ims-org-id': ORG_A, 'x-sandbox-name': 'prod' };
    const token = await fetch(`${base}/ims/token/v3`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: loaded.clientId, client_secret: loaded.clientSecret }),
    });
    const { access_token } = (await token.json()) as { access_token: string };
    const datasets = await api.http
      .get(`${CATALOG}/dataSets`)
      .set({ ...headers, Authorization: `Bearer ${access_token}` })
      .expect(200);
    expect(
      Object.values(datasets.body)
        .map((d) => (d as { name: string }).name)
        .sort(),
    ).toEqual(['Sample CRM profiles', 'Sample experience events', 'Sample web profiles']);
  }, 60_000);

  it('loads a small sample (--records small): one profile dataset, its memberships, its events', async () => {
    const gen = JSON.parse((await cli(['generate', '--profiles', '300', '--seed', '11', '--records', 'small', '--out', join(out, 's')])).stdout);
    const loaded = JSON.parse((await cli(['load', join(out, 's'), '--api', base, '--org', ORG_A, '--sandbox', 'small'])).stdout);
    expect(Object.keys(loaded.datasets)).toEqual(['crm', 'events']);
    expect(loaded.datasets.crm.records).toBe(300);
    expect(loaded.datasets.events.records).toBe(gen.counts.events);
    const q = async (sql: string) => (await env.db.query(sql)).rows[0].n as number;
    expect(await q(`SELECT count(*)::int AS n FROM profile_fragments WHERE sandbox_name = 'small'`)).toBe(300);
    // The events are keyed by the records' own primary identity: each belongs to a loaded profile.
    expect(
      await q(
        `SELECT count(*)::int AS n FROM experience_events e WHERE sandbox_name = 'small' AND EXISTS (SELECT 1 FROM profile_fragments f WHERE f.sandbox_name = 'small' AND f.primary_identity = e.primary_identity)`,
      ),
    ).toBe(gen.counts.events);
    const { profiles } = await readSampleProfiles(join(out, 's'));
    const written = profiles.reduce((n, p) => n + membershipsOf(p.record).realized.length + membershipsOf(p.record).exited.length, 0);
    expect(await q(`SELECT count(*)::int AS n FROM segment_memberships WHERE sandbox_name = 'small'`)).toBe(written);
  }, 60_000);

  it('load refuses a directory that generate did not write (exit 2)', async () => {
    await expect(cli(['load', out, '--api', base])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('manifest.json') });
    const manifestless = JSON.parse(await readFile(join(out, 'g', 'manifest.json'), 'utf8'));
    expect(manifestless.generator).toBe('segment-export-sample/3');
  });
});
