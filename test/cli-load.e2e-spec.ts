import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { INestApplicationContext } from '@nestjs/common';
import { ApiHarness, ORG_A, TestClient } from './support/api-harness';
import { listen, runCli } from './support/cli-runner';
import { TestEnv, createTestEnv } from './support/test-env';
import { startWorker } from './support/worker-harness';

/** `load` of a plain directory of JSON Lines files (no manifest.json): one dataset per file. */
describe('CLI load of a plain directory (child process, real API and worker)', () => {
  let env: TestEnv;
  let api: ApiHarness;
  let base: string;
  let client: TestClient;
  let worker: INestApplicationContext;
  let tmp: string;
  let plain: string;
  let profileLines: number;
  let eventLines: number;

  beforeAll(async () => {
    env = await createTestEnv('cli_load');
    api = await ApiHarness.start(env.config());
    base = await listen(api.app.getHttpServer() as Server);
    client = await api.client(ORG_A, ['prod']);
    worker = await startWorker(env.config());
    tmp = await mkdtemp(join(tmpdir(), 'sx-cli-load-'));
    // Records from the generator, laid out as anyone's files: no manifest, other names, a gzip.
    const gen = join(tmp, 'gen');
    const g = await runCli(['generate', '--profiles', '150', '--seed', '9', '--records', 'small', '--out', gen], env.childEnv());
    expect(g.code).toBe(0);
    const names = (await readdir(gen)).sort();
    const concat = async (prefix: string) => (await Promise.all(names.filter((n) => n.startsWith(prefix)).map((n) => readFile(join(gen, n), 'utf8')))).join('');
    const profiles = await concat('profiles-');
    const events = await concat('events-');
    profileLines = profiles.split('\n').filter(Boolean).length;
    eventLines = events.split('\n').filter(Boolean).length;
    expect(profileLines).toBe(150);
    expect(eventLines).toBeGreaterThan(0);
    plain = join(tmp, 'plain');
    await mkdir(join(plain, 'ignored-subdir'), { recursive: true });
    await writeFile(join(plain, 'people.jsonl'), profiles);
    await writeFile(join(plain, 'events.jsonl.gz'), gzipSync(events));
    await writeFile(join(plain, 'README.txt'), 'not data');
    await writeFile(join(plain, 'ignored-subdir', 'other.jsonl'), profiles);
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await env?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const creds = () => ['--api', base, '--client-id', client.clientId, '--client-secret', client.clientSecret, '--org', ORG_A, '--sandbox', 'prod'];
  const q = async (sql: string, params: unknown[] = []) => (await env.db.query(sql, params)).rows[0].n as number;

  let first: any;

  it('makes one dataset per file, named after it (--schema-of for the events), one batch each, with per-file progress', async () => {
    const r = await runCli(['load', plain, '--schema-of', 'events=event', '--progress', 'always', ...creds()], env.childEnv());
    expect(r.stderr).toMatch(new RegExp(`people: people\\.jsonl \\[#{20}\\] [\\d.]+ KiB of [\\d.]+ KiB, ${profileLines} records`));
    expect(r.stderr).toMatch(/events: events\.jsonl\.gz \[#{20}\] [\d.]+ KiB of [\d.]+ KiB\n/);
    expect(r.stderr).toMatch(new RegExp(`people: batch [0-9a-f]{32} success, ${profileLines} records written`));
    expect(r.code).toBe(0);
    first = r.json;
    expect(first).toMatchObject({
      layout: 'plain',
      clientId: client.clientId,
      segments: 0,
      datasets: {
        people: { name: 'people', created: true, records: profileLines, files: [{ name: 'people.jsonl' }] },
        events: { name: 'events', created: true, records: eventLines, files: [{ name: 'events.jsonl.gz' }] },
      },
    });
    expect(Object.keys(first.datasets).sort()).toEqual(['events', 'people']);
    expect(first.clientSecret).toBeUndefined();
    expect(await q('SELECT count(*)::int AS n FROM profile_fragments WHERE dataset_id = $1', [first.datasets.people.datasetId])).toBe(profileLines);
    expect(await q('SELECT count(*)::int AS n FROM experience_events WHERE dataset_id = $1', [first.datasets.events.datasetId])).toBe(eventLines);
    const schemas = (
      await env.db.query('SELECT name, schema_id FROM datasets WHERE id = ANY($1) ORDER BY name', [[first.datasets.people.datasetId, first.datasets.events.datasetId]])
    ).rows;
    expect(schemas).toEqual([
      { name: 'events', schema_id: 'https://ns.adobe.com/xdm/context/experienceevent' },
      { name: 'people', schema_id: 'https://ns.adobe.com/xdm/context/profile' },
    ]);
  }, 120_000);

  it('a second load reuses the datasets of the same names; a dataset of another schema than asked is refused', async () => {
    const again = await runCli(['load', plain, '--schema-of', 'events=event', ...creds()], env.childEnv());
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
    expect(again.json.datasets.people).toMatchObject({ datasetId: first.datasets.people.datasetId, created: false });
    expect(again.json.datasets.events).toMatchObject({ datasetId: first.datasets.events.datasetId, created: false });
    expect(again.json.datasets.people.batchId).not.toBe(first.datasets.people.batchId);

    const conflict = await runCli(['load', plain, '--schema', 'event', ...creds()], env.childEnv());
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain(
      `dataset "people" (${first.datasets.people.datasetId}) exists with schema https://ns.adobe.com/xdm/context/profile, not https://ns.adobe.com/xdm/context/experienceevent`,
    );
    // Checked before anything was written: the events dataset (whose schema matched) got no third batch.
    expect(await q('SELECT count(*)::int AS n FROM batches WHERE dataset_id = $1', [first.datasets.events.datasetId])).toBe(2);
  }, 120_000);

  it('usage errors: --schema-of a name no file makes, a bad schema, a directory without data files (exit 2)', async () => {
    const unknown = await runCli(['load', plain, '--schema-of', 'nope=event', ...creds()], env.childEnv());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--schema-of nope');
    expect(unknown.stderr).toContain('datasets: events, people');
    const badSchema = await runCli(['load', plain, '--schema', 'table', ...creds()], env.childEnv());
    expect(badSchema.code).toBe(2);
    expect(badSchema.stderr).toContain('not "table"');
    const empty = join(tmp, 'empty');
    await mkdir(empty);
    const none = await runCli(['load', empty, ...creds()], env.childEnv());
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no manifest.json');
  });
});
