// `generate --records small`: about 400-byte records in one profile dataset (small-records.ts).
// A spec of its own: generate.spec.ts covers the default records and is long enough already.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../args';
import { generate, Manifest, parseGenerateOptions } from './generate.command';
import { seedKey } from './prng';
import { factsOf, membershipsOf, readSampleProfiles } from './sample-profiles';
import { segmentPool } from './segments';

const N = 3000;
type Json = Record<string, any>;

let root: string;
let dir: string;
let manifest: Manifest;
let text: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sx-generate-small-'));
  dir = join(root, 'small');
  manifest = await generate({ profiles: N, seed: 42, out: dir, force: false, records: 'small' });
  text = await readFile(join(dir, 'profiles-crm-0001.jsonl'), 'utf8');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function hashes(d: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(d)).sort())
    out[name] = createHash('sha256')
      .update(await readFile(join(d, name)))
      .digest('hex');
  return out;
}

describe('generate --records small', () => {
  it('writes one profile dataset and events, and records the shape in the manifest', async () => {
    expect(manifest).toMatchObject({ generator: 'segment-export-sample/3', records: 'small', profiles: N, seed: 42 });
    expect(manifest.datasets.map((d) => d.key)).toEqual(['crm', 'events']);
    expect(manifest.counts).toMatchObject({ crmRecords: N, webRecords: 0, eventOnlyPeople: 0 });
    expect((await readdir(dir)).sort()).toEqual(['events-0001.jsonl', 'manifest.json', 'profiles-crm-0001.jsonl', 'segments.json']);
  });

  it('writes lines that all parse, of about 400-500 bytes on average, with only the few small attributes', () => {
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(N);
    const records = lines.map((l) => JSON.parse(l) as Json);
    const mean = Buffer.byteLength(text) / N;
    expect(mean).toBeGreaterThan(380);
    expect(mean).toBeLessThan(520);
    for (const r of records) {
      expect(Object.keys(r)).toEqual(['identityMap', 'person', 'personalEmail', 'homeAddress', 'subscriptions', 'segmentMembership']);
      expect(Object.keys(r.person.name)).toEqual(['firstName', 'lastName']);
      expect(Object.keys(r.homeAddress)).toEqual(['country']);
      expect(r.subscriptions.length).toBe(1);
      expect(r.subscriptions[0]).toEqual({ channel: expect.any(String), optIn: expect.any(Boolean) });
    }
    expect(new Set(records.map((r) => r.identityMap.CRMID[0].id)).size).toBe(N);
  });

  it('gives "realized" for exactly the definitions the record and its own events match, and events to the profiles', async () => {
    const { profiles, definitions } = await readSampleProfiles(dir);
    const { rules } = segmentPool(seedKey(42));
    const ids = definitions.map((d) => d.id as string);
    // Events are keyed by the record's CRMID: no profile without a record.
    expect(profiles.every((p) => p.record !== null && p.key.startsWith('CRMID:'))).toBe(true);
    const withEvents = profiles.filter((p) => p.events.length > 0).length;
    expect(withEvents / N).toBeGreaterThan(0.3);
    expect(withEvents / N).toBeLessThan(0.5);
    const realizedBy = new Map<string, number>();
    let exited = 0;
    for (const p of profiles) {
      const facts = factsOf(p);
      const m = membershipsOf(p.record);
      expect(m.realized.sort()).toEqual(ids.filter((_, i) => rules[i](facts)).sort());
      for (const id of m.realized) realizedBy.set(id, (realizedBy.get(id) ?? 0) + 1);
      exited += m.exited.length;
    }
    // Segment filters select: the largest segments have thousands of members, and some exited.
    expect(Math.max(...realizedBy.values())).toBeGreaterThan(N / 3);
    expect(exited).toBeGreaterThan(0);
  });

  it('is a pure function of (profiles, seed, records)', async () => {
    const again = join(root, 'again');
    const other = join(root, 'other');
    const generator = join(root, 'generator');
    await generate({ profiles: N, seed: 42, out: again, force: false, records: 'small' });
    await generate({ profiles: N, seed: 43, out: other, force: false, records: 'small' });
    await generate({ profiles: N, seed: 42, out: generator, force: false });
    const [a, b, c, g] = await Promise.all([hashes(dir), hashes(again), hashes(other), hashes(generator)]);
    expect(b).toEqual(a);
    expect(c['profiles-crm-0001.jsonl']).not.toEqual(a['profiles-crm-0001.jsonl']);
    expect(g['profiles-crm-0001.jsonl']).not.toEqual(a['profiles-crm-0001.jsonl']);
    // The definitions depend on the seed only.
    expect(g['segments.json']).toEqual(a['segments.json']);
  });

  it('parses --records and refuses an unknown shape', () => {
    expect(parseGenerateOptions({ profiles: '10', out: 'x', records: 'small' }).records).toBe('small');
    expect(parseGenerateOptions({ profiles: '10', out: 'x' }).records).toBe('generator');
    expect(() => parseGenerateOptions({ profiles: '10', out: 'x', records: 'tiny' })).toThrow(UsageError);
  });
});
