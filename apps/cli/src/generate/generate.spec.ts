import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../args';
import { generate, generateCommand, Manifest, parseGenerateOptions } from './generate.command';
import { Rng, seedKey } from './prng';
import { isoTime, TIME_FROM, TIME_TO } from './records';
import { factsOf, membershipsOf, readSampleProfiles } from './sample-profiles';
import { segmentPool } from './segments';
import { COUNTRIES, CONTENT_PAGES, FIRST_NAMES, INTERESTS, LAST_NAMES, LINKS, PRODUCTS } from './vocabulary';
import { JsonlFileWriter } from './writer';

const N = 2000;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
type Json = Record<string, any>;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sx-generate-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function hashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    out[name] = createHash('sha256')
      .update(await readFile(join(dir, name)))
      .digest('hex');
  }
  return out;
}

async function lines(dir: string, files: string[]): Promise<Json[]> {
  const records: Json[] = [];
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.slice(0, -1).split('\n')) records.push(JSON.parse(line));
  }
  return records;
}

/** The identity an identityMap marks primary; exactly one must be. */
function primary(identityMap: Json): string {
  const found = Object.entries(identityMap).flatMap(([ns, ids]) => (ids as Json[]).filter((i) => i.primary === true).map((i) => `${ns}:${i.id}`));
  expect(found).toHaveLength(1);
  return found[0];
}

describe('generate: determinism', () => {
  it('writes byte-identical files for the same profiles and seed, and different ones for another seed', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    const c = join(root, 'c');
    await generate({ profiles: N, seed: 42, out: a, force: false });
    await generate({ profiles: N, seed: 42, out: b, force: false });
    await generate({ profiles: N, seed: 43, out: c, force: false });
    const [ha, hb, hc] = await Promise.all([hashes(a), hashes(b), hashes(c)]);
    expect(Object.keys(ha)).toEqual(['events-0001.jsonl', 'manifest.json', 'profiles-crm-0001.jsonl', 'profiles-web-0001.jsonl', 'segments.json']);
    expect(hb).toEqual(ha);
    for (const name of Object.keys(ha)) expect(hc[name]).not.toEqual(ha[name]);
  });

  it('gives each person the same records whatever the run size (a person depends only on seed and index)', async () => {
    const small = join(root, 'small');
    await generate({ profiles: 300, seed: 42, out: small, force: false });
    const crmSmall = await readFile(join(small, 'profiles-crm-0001.jsonl'), 'utf8');
    const crmLarge = await readFile(join(root, 'a', 'profiles-crm-0001.jsonl'), 'utf8');
    expect(crmLarge.startsWith(crmSmall)).toBe(true);
  });
});

describe('generate: content', () => {
  let dir: string;
  let manifest: Manifest;
  let crm: Json[];
  let web: Json[];
  let events: Json[];
  let segments: Json[];

  beforeAll(async () => {
    dir = join(root, 'content');
    manifest = await generate({ profiles: N, seed: 7, out: dir, force: false });
    const files = (key: string) => manifest.datasets.find((d) => d.key === key)!.files;
    [crm, web, events] = await Promise.all([lines(dir, files('crm')), lines(dir, files('web')), lines(dir, files('events'))]);
    segments = JSON.parse(await readFile(join(dir, 'segments.json'), 'utf8'));
  });

  it('writes a manifest that matches the files', async () => {
    expect(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))).toEqual(manifest);
    expect(manifest).toMatchObject({ generator: 'segment-export-sample/3', records: 'generator', seed: 7, profiles: N, segments: 'segments.json' });
    expect(manifest.datasets.map((d) => [d.key, d.schema])).toEqual([
      ['crm', '_xdm.context.profile'],
      ['web', '_xdm.context.profile'],
      ['events', '_xdm.context.experienceevent'],
    ]);
    expect(manifest.counts).toEqual({
      crmRecords: crm.length,
      webRecords: web.length,
      events: events.length,
      eventOnlyPeople: N / 20,
      segments: 40,
    });
  });

  it('puts about 70% of the profiles in the CRM dataset and 60% in the web one, overlapping by e-mail', () => {
    expect(crm.length / N).toBeGreaterThan(0.65);
    expect(crm.length / N).toBeLessThan(0.75);
    expect(web.length / N).toBeGreaterThan(0.55);
    expect(web.length / N).toBeLessThan(0.65);
    const crmEmails = new Set(crm.map((r) => r.identityMap.Email[0].id));
    const linked = web.filter((r) => r.identityMap.Email);
    expect(linked.length / N).toBeGreaterThan(0.25);
    for (const r of linked) expect(crmEmails.has(r.identityMap.Email[0].id)).toBe(true);
    // Every profile is in at least one dataset.
    expect(crm.length + web.length - linked.length).toBe(N);
  });

  it('gives every profile record exactly one primary identity, unique per dataset', () => {
    const crmPrimaries = crm.map((r) => primary(r.identityMap));
    const webPrimaries = web.map((r) => primary(r.identityMap));
    expect(crmPrimaries.every((p) => /^CRMID:crm-\d+$/.test(p))).toBe(true);
    expect(webPrimaries.every((p) => /^ECID:[0-9]{38}$/.test(p))).toBe(true);
    expect(new Set(crmPrimaries).size).toBe(crm.length);
    expect(new Set(webPrimaries).size).toBe(web.length);
    expect(crm.some((r) => r.identityMap.Phone?.[0].id.startsWith('+1555'))).toBe(true);
  });

  it('writes nested XDM attributes, with CRM and web disagreeing on some leaves', () => {
    const countries = new Set<string>();
    for (const r of crm) {
      expect(r.person.name.firstName).toEqual(expect.any(String));
      expect(r.person.birthDate).toMatch(/^(19[4-9]\d|200\d)-\d\d-\d\d$/);
      expect(new Date(r.person.birthDate + 'T00:00:00Z').toISOString().slice(0, 10)).toBe(r.person.birthDate);
      expect(r.personalEmail.address).toBe(r.identityMap.Email[0].id);
      expect(r.homeAddress).toEqual({
        street1: expect.any(String),
        city: expect.any(String),
        postalCode: expect.any(String),
        stateProvince: expect.any(String),
        country: expect.stringMatching(/^(US|CA|GB|DE|FR)$/),
      });
      countries.add(r.homeAddress.country);
      expect(Array.isArray(r.preferences.interests)).toBe(true);
      if (r.loyalty) expect(['bronze', 'silver', 'gold', 'platinum']).toContain(r.loyalty.tier);
    }
    expect(countries.size).toBe(5);
    const byEmail = new Map(crm.map((r) => [r.identityMap.Email[0].id, r]));
    const pairs = web.filter((r) => r.identityMap.Email).map((w) => [byEmail.get(w.identityMap.Email[0].id)!, w]);
    expect(pairs.some(([c, w]) => c.homeAddress.city !== w.homeAddress.city)).toBe(true);
    expect(pairs.some(([c, w]) => w.loyalty && c.loyalty.points !== w.loyalty.points)).toBe(true);
    const audited = [...crm, ...web].filter((r) => r.extSourceSystemAudit);
    expect(audited.length / (crm.length + web.length)).toBeGreaterThan(0.85);
    expect(audited.length).toBeLessThan(crm.length + web.length);
    for (const r of audited) {
      const t = Date.parse(r.extSourceSystemAudit.lastUpdatedDate);
      expect(t >= TIME_FROM && t <= TIME_TO).toBe(true);
    }
  });

  it('writes 40 tier-1 definitions; chained ones name earlier pool definitions', () => {
    expect(segments).toHaveLength(40);
    const ids = segments.map((s) => s.id);
    expect(new Set(ids).size).toBe(40);
    for (const [i, s] of segments.entries()) {
      expect(s.id).toMatch(UUID_V4);
      expect(s).toMatchObject({ namespace: 'ups', name: expect.any(String), description: expect.any(String) });
      expect(s.expression).toEqual({ type: 'PQL', format: 'pql/text', value: expect.any(String) });
      for (const [, ref] of (s.expression.value as string).matchAll(/inSegment\("([^"]*)"\)/g)) {
        expect(ids.indexOf(ref)).toBeGreaterThanOrEqual(0);
        expect(ids.indexOf(ref)).toBeLessThan(i);
      }
    }
    expect(segments.filter((s) => s.expression.value.includes('xEvent')).length).toBeGreaterThanOrEqual(4);
    expect(segments.filter((s) => s.expression.value.includes('inSegment(')).length).toBeGreaterThanOrEqual(1);
    // No definition reads the clock (its truth must not depend on when it is evaluated).
    for (const s of segments) expect(s.expression.value).not.toMatch(/\b(now|today|yesterday|tomorrow|this|last|next|current\w*)\b/i);
    expect(segments.map((s) => s.expression.value)).toEqual(segmentPool(seedKey(7)).definitions.map((d) => d.expression.value));
  });

  it('gives every record "realized" for exactly the definitions its rules match, "exited" only for others, nothing else', async () => {
    const { profiles } = await readSampleProfiles(dir);
    const { rules } = segmentPool(seedKey(7));
    const ids = segments.map((s) => s.id as string);
    const statuses = { realized: 0, exited: 0 };
    const realizedBy = new Array<number>(40).fill(0);
    const unmatchedBy = new Array<number>(40).fill(0);
    let records = 0;
    let emptyProfiles = 0;
    let bothDiffer = 0;
    const crmRealized = new Map<string, string>();
    for (const p of profiles) {
      const facts = factsOf(p);
      const expected = ids.filter((_, i) => rules[i](facts));
      if (!p.record) {
        // An event-only profile: nothing was ingested for it; a segment job may qualify it by its events.
        emptyProfiles++;
        continue;
      }
      records++;
      const { realized, exited, other } = membershipsOf(p.record);
      expect(other).toEqual([]);
      expect([...realized].sort()).toEqual([...expected].sort());
      for (const id of exited) expect(expected).not.toContain(id);
      statuses.realized += realized.length;
      statuses.exited += exited.length;
      ids.forEach((id, i) => (expected.includes(id) ? realizedBy[i]++ : unmatchedBy[i]++));
      for (const m of Object.values(p.record.segmentMembership.ups as Record<string, Json>)) {
        const t = Date.parse(m.lastQualificationTime);
        expect(t >= TIME_FROM && t <= TIME_TO).toBe(true);
      }
      // Under identity graph none the CRM record has no events (theirs are keyed by ECID or e-mail).
      if (p.key.startsWith('CRMID:')) {
        expect(p.events).toEqual([]);
        crmRealized.set(p.record.identityMap.Email[0].id, [...realized].sort().join());
      }
    }
    for (const p of profiles) {
      const email = p.record?.identityMap.ECID && p.record.identityMap.Email?.[0].id;
      if (email && crmRealized.get(email) !== membershipsOf(p.record).realized.sort().join()) bothDiffer++;
    }
    expect(records).toBe(crm.length + web.length);
    expect(emptyProfiles).toBeGreaterThanOrEqual(manifest.counts.eventOnlyPeople);
    // Every definition has members and non-members in the sample.
    for (let i = 0; i < 40; i++) {
      expect([segments[i].name, realizedBy[i] > 0]).toEqual([segments[i].name, true]);
      expect([segments[i].name, unmatchedBy[i] > 0]).toEqual([segments[i].name, true]);
    }
    const realizedShare = statuses.realized / (statuses.realized + statuses.exited);
    expect(realizedShare).toBeGreaterThan(0.7);
    expect(realizedShare).toBeLessThan(0.9);
    // The web record of someone in both datasets is a profile of its own, with its own memberships.
    expect(bothDiffer).toBeGreaterThan(0);
    expect([...crm, ...web].every((r) => r.segmentMembership)).toBe(true);
  });

  it('makes the rules what they say on a few hand-checked records', () => {
    const { definitions, rules } = segmentPool(seedKey(7));
    const rule = (name: string) => rules[definitions.findIndex((d) => d.name === name)];
    const facts = (record: Json, events: Json[] = []) => factsOf({ key: 'x', record, events });
    const purchase = (priceTotal: number, timestamp = '2025-03-01T10:00:00.000Z') => ({ eventType: 'commerce.purchases', timestamp, commerce: { order: { priceTotal } } });
    expect(rule('Residents: United States')(facts({ homeAddress: { country: 'US' } }))).toBe(true);
    expect(rule('Outside North America')(facts({ homeAddress: { country: 'FR' } }))).toBe(true);
    expect(rule('Outside North America')(facts({}))).toBe(false);
    expect(rule('Born before 1960')(facts({ person: { birthDate: '1959-12-31' } }))).toBe(true);
    expect(rule('Born before 1960')(facts({ person: { birthDate: '1960-01-01' } }))).toBe(false);
    expect(rule('Big spenders')(facts({}, [purchase(500)]))).toBe(false);
    expect(rule('Big spenders')(facts({}, [purchase(500.01)]))).toBe(true);
    expect(rule('Repeat buyers')(facts({}, [purchase(1), purchase(2)]))).toBe(true);
    expect(rule('Visited in the first half of 2025')(facts({}, [purchase(1, '2025-06-30T23:59:59.999Z')]))).toBe(true);
    expect(rule('Visited in the first half of 2025')(facts({}, [purchase(1, '2025-07-01T00:00:00.000Z')]))).toBe(false);
    expect(rule('Early visitors')(facts({}, [purchase(1, '2024-03-31T23:59:59.999Z')]))).toBe(true);
    expect(rule('Early visitors')(facts({}, [purchase(1, '2024-04-01T00:00:00.000Z')]))).toBe(false);
    expect(rule('US big spenders')(facts({ homeAddress: { country: 'US' } }, [purchase(600)]))).toBe(true);
    expect(rule('US big spenders')(facts({ homeAddress: { country: 'CA' } }, [purchase(600)]))).toBe(false);
  });

  it('writes experience events keyed by ECID or e-mail, plus event-only people', () => {
    const ecids = new Set(web.map((r) => r.identityMap.ECID[0].id));
    const emails = new Set(crm.map((r) => r.identityMap.Email[0].id));
    const ids = new Set<string>();
    const eventOnly = new Set<string>();
    const types = new Set<string>();
    let lastTime = '';
    for (const e of events) {
      expect(e._id).toMatch(UUID_V4);
      ids.add(e._id);
      const t = Date.parse(e.timestamp);
      expect(t >= TIME_FROM && t <= TIME_TO).toBe(true);
      lastTime = e.timestamp;
      types.add(e.eventType);
      expect(e.web.webPageDetails.URL).toMatch(/^https:\/\/www\.example\.com\//);
      const p = primary(e.identityMap);
      if (p.startsWith('ECID:')) {
        if (!ecids.has(p.slice(5))) eventOnly.add(p.slice(5));
      } else {
        expect(p.startsWith('Email:') && emails.has(p.slice(6))).toBe(true);
      }
      if (e.eventType === 'commerce.purchases') {
        expect(e.commerce.order).toEqual({ purchaseID: expect.any(String), priceTotal: expect.any(Number), currencyCode: expect.any(String) });
        const sum = e.productListItems.reduce((s: number, i: Json) => s + Math.round(i.priceTotal * 100), 0);
        expect(Math.round(e.commerce.order.priceTotal * 100)).toBe(sum);
      }
    }
    expect(lastTime).not.toBe('');
    expect(ids.size).toBe(events.length);
    expect(eventOnly.size).toBe(manifest.counts.eventOnlyPeople);
    expect(types).toEqual(new Set(['web.webpagedetails.pageViews', 'web.webinteraction.linkClicks', 'commerce.productViews', 'commerce.productListAdds', 'commerce.purchases']));
    expect(events.length / N).toBeGreaterThan(1.5);
    expect(events.length / N).toBeLessThan(3);
  });
});

describe('generate: files and options', () => {
  it('splits each dataset into files of at most recordsPerFile records, same bytes as unsplit', async () => {
    const split = join(root, 'split');
    const whole = join(root, 'whole');
    const m = await generate({ profiles: 500, seed: 3, out: split, force: false, recordsPerFile: 100 });
    await generate({ profiles: 500, seed: 3, out: whole, force: false });
    for (const [key, prefix] of [
      ['crm', 'profiles-crm'],
      ['web', 'profiles-web'],
      ['events', 'events'],
    ] as const) {
      const files = m.datasets.find((d) => d.key === key)!.files;
      expect(files.length).toBeGreaterThan(1);
      expect(files[0]).toBe(`${prefix}-0001.jsonl`);
      expect(files[1]).toBe(`${prefix}-0002.jsonl`);
      let joined = '';
      for (const f of files) {
        const text = await readFile(join(split, f), 'utf8');
        expect(text.split('\n').length - 1).toBeLessThanOrEqual(100);
        joined += text;
      }
      expect(joined).toBe(await readFile(join(whole, `${prefix}-0001.jsonl`), 'utf8'));
    }
  });

  it('refuses a non-empty --out unless --force, and --force replaces only a previous sample', async () => {
    const out = join(root, 'forced');
    await generate({ profiles: 50, seed: 1, out, force: false, recordsPerFile: 10 });
    await writeFile(join(out, 'notes.txt'), 'keep me');
    await expect(generateCommand({ profiles: '20', out })).rejects.toThrow(/not empty/);
    const summary = await generateCommand({ profiles: '20', out, force: 'true' });
    expect(summary).toMatchObject({ out, profiles: 20, seed: 1, generator: 'segment-export-sample/3' });

    const fresh = join(root, 'fresh');
    await generateCommand({ profiles: '20', out: fresh });
    const { 'notes.txt': notes, ...forced } = await hashes(out);
    expect(notes).toBeDefined();
    expect(forced).toEqual(await hashes(fresh));
  });

  it('creates a missing --out and accepts an empty one', async () => {
    const nested = join(root, 'x', 'y', 'z');
    await generateCommand({ profiles: '3', out: nested });
    expect(await readdir(nested)).toContain('manifest.json');
    const empty = join(root, 'empty');
    await mkdir(empty);
    await generateCommand({ profiles: '3', out: empty });
  });

  it.each([
    [{ out: '/tmp/x' }, /--profiles/],
    [{ profiles: '0', out: '/tmp/x' }, /--profiles/],
    [{ profiles: '-3', out: '/tmp/x' }, /--profiles/],
    [{ profiles: '1.5', out: '/tmp/x' }, /--profiles/],
    [{ profiles: 'ten', out: '/tmp/x' }, /--profiles/],
    [{ profiles: 'true', out: '/tmp/x' }, /--profiles/],
    [{ profiles: '10', seed: 'abc', out: '/tmp/x' }, /--seed/],
    [{ profiles: '10', seed: '-1', out: '/tmp/x' }, /--seed/],
    [{ profiles: '10' }, /--out/],
    [{ profiles: '10', out: 'true' }, /--out/],
    [{ profiles: '10', out: '/tmp/x', force: 'maybe' }, /--force/],
    [{ profiles: '10', out: '/tmp/x', profile: '3' }, /--profile/],
  ])('rejects %j', (options, message) => {
    expect(() => parseGenerateOptions(options as Record<string, string>)).toThrow(UsageError);
    expect(() => parseGenerateOptions(options as Record<string, string>)).toThrow(message);
  });

  it('defaults --seed to 1', () => {
    expect(parseGenerateOptions({ profiles: '5', out: 'd' })).toMatchObject({ profiles: 5, seed: 1, force: false });
  });

  it('refuses an --out that is a file', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'x');
    await expect(generateCommand({ profiles: '3', out: file })).rejects.toThrow(UsageError);
  });
});

describe('generate: building blocks', () => {
  it('formats times exactly like Date.prototype.toISOString', () => {
    const rng = new Rng(seedKey(99));
    const samples = [0, TIME_FROM, TIME_TO, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2100, 2, 1)];
    for (let i = 0; i < 20000; i++) samples.push(Math.floor(rng.float53() * 253402300799999));
    for (const ms of samples) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('draws the same numbers for the same key, index and salt, other ones otherwise', () => {
    const draw = (key: number, index: number, salt: number) => {
      const rng = new Rng(key, index, salt);
      return [rng.next(), rng.next(), rng.next()];
    };
    expect(draw(1, 2, 3)).toEqual(draw(1, 2, 3));
    expect(draw(1, 2, 3)).not.toEqual(draw(1, 3, 3));
    expect(draw(1, 2, 3)).not.toEqual(draw(2, 2, 3));
    expect(draw(1, 2, 3)).not.toEqual(draw(1, 2, 4));
    expect(seedKey(1)).not.toBe(seedKey(2 ** 32 + 1));
    expect(segmentPool(seedKey(1)).definitions[0].id).not.toBe(segmentPool(seedKey(2)).definitions[0].id);
  });

  it('emits no vocabulary string that would need JSON escaping', () => {
    const strings = [
      ...FIRST_NAMES,
      ...LAST_NAMES,
      ...INTERESTS,
      ...LINKS,
      ...PRODUCTS.flatMap((p) => [p.sku, p.name]),
      ...CONTENT_PAGES.flatMap((p) => [p.path, p.name]),
      ...COUNTRIES.flatMap((c) => [...c.streets, ...c.cities.flatMap((x) => [x.city, x.stateProvince, x.postal])]),
    ];
    for (const s of strings) expect(JSON.stringify(s)).toBe(`"${s}"`);
  });

  it('writes lines through small buffers, with backpressure, including a line larger than a buffer', async () => {
    const dir = join(root, 'writer');
    await mkdir(dir);
    const writer = new JsonlFileWriter(dir, 'w', 7, 64);
    const expected: string[] = [];
    for (let i = 0; i < 40; i++) {
      const line = i === 13 ? 'é'.repeat(100) : `{"i":${i},"s":"${'x'.repeat(i)}"}`;
      expected.push(line);
      const wait = writer.add(line);
      if (wait) await wait;
    }
    const files = await writer.close();
    expect(files.map((f) => f.name)).toEqual(['w-0001.jsonl', 'w-0002.jsonl', 'w-0003.jsonl', 'w-0004.jsonl', 'w-0005.jsonl', 'w-0006.jsonl']);
    expect(files.map((f) => f.records)).toEqual([7, 7, 7, 7, 7, 5]);
    let all = '';
    for (const f of files) {
      const buf = await readFile(join(dir, f.name));
      expect(buf.length).toBe(f.bytes);
      all += buf.toString('utf8');
    }
    expect(all).toBe(expected.map((l) => l + '\n').join(''));
    expect(writer.records).toBe(40);
  });
});
