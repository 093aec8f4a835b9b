import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyProfile, type IdentityRef, mergeProfile } from '@sx/export';
import { compile, evaluationOrder, type Evaluator, parseDefinition, type ParsedDefinition } from '@sx/pql';
import { generate } from './generate.command';
import { seedKey } from './prng';
import { factsOf, membershipsOf, readSampleProfiles, type SampleProfile } from './sample-profiles';
import { segmentPool } from './segments';

/**
 * The generator's promise to the evaluator: every definition it writes is tier-1 PQL that the real
 * library (@sx/pql) accepts, and evaluating the 40 definitions on the generated records and events
 * (identity graph `none`: a profile is the record with a primary identity and the events keyed by
 * it) gives exactly the `realized` memberships the records were ingested with, at any `now`.
 */

const PROFILES = 600;
const SEED = 21;
type Json = Record<string, any>;

let root: string;
let definitions: Json[];
let profiles: SampleProfile[];
let parsed: ParsedDefinition[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sx-generate-pql-'));
  await generate({ profiles: PROFILES, seed: SEED, out: root, force: false });
  ({ definitions, profiles } = await readSampleProfiles(root));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The profile object the evaluator sees: the same merge the export and the segment job use. */
function mergedRecord(p: SampleProfile): Json {
  if (p.record) {
    return mergeProfile([{ record: p.record, datasetId: 'generated', recordTime: 0, ingestTime: 0 }], { attributeMerge: 'timestampOrdered' }).record;
  }
  const identities: IdentityRef[] = [];
  for (const e of p.events) {
    for (const [namespace, ids] of Object.entries(e.identityMap as Record<string, Json[]>)) for (const { id } of ids) identities.push({ namespace, id });
  }
  return emptyProfile(identities).record;
}

describe('generated definitions under the real PQL library', () => {
  it('parses every definition as tier-1 PQL, naming the segments and events it reads', () => {
    parsed = definitions.map((d) => parseDefinition('pql/text', d.expression.value));
    for (const [i, d] of definitions.entries()) {
      const value: string = d.expression.value;
      expect([d.name, parsed[i].segmentRefs]).toEqual([d.name, [...value.matchAll(/inSegment\("([^"]*)"\)/g)].map((m) => m[1])]);
      expect([d.name, parsed[i].usesEvents]).toEqual([d.name, value.includes('xEvent')]);
    }
  });

  it.each([
    ['just after the data', Date.UTC(2026, 10, 1)],
    ['years later', Date.UTC(2031, 5, 15, 12, 30)],
  ])('evaluates to exactly the ingested realized memberships (now = %s)', (_label, nowMs) => {
    parsed ??= definitions.map((d) => parseDefinition('pql/text', d.expression.value));
    const ids: string[] = definitions.map((d) => d.id);
    const order = evaluationOrder(ids.map((id, i) => ({ id, refs: parsed[i].segmentRefs })));
    expect([...order].sort()).toEqual([...ids].sort());
    const clock = { nowMs, zone: 'UTC' };
    const evaluators = new Map<string, Evaluator>(ids.map((id, i) => [id, compile(parsed[i], clock)]));
    const { rules } = segmentPool(seedKey(SEED));
    const at = new Date(nowMs).toISOString();
    const mismatches: Json[] = [];
    const realizedBy = new Map<string, number>();
    let emptyQualified = 0;
    for (const p of profiles) {
      // Memberships are evaluated fresh, in dependency order, so inSegment reads this run's results
      // (never what was ingested).
      const fresh: Record<string, Json> = {};
      const view = { profile: { ...mergedRecord(p), segmentMembership: { ups: fresh } }, events: p.events };
      for (const id of order) if (evaluators.get(id)!(view)) fresh[id] = { status: 'realized', lastQualificationTime: at };
      const got = Object.keys(fresh).sort();
      const facts = factsOf(p);
      const want = (p.record ? membershipsOf(p.record).realized : ids.filter((_, i) => rules[i](facts))).sort();
      if (!p.record && got.length) emptyQualified++;
      for (const id of got) realizedBy.set(id, (realizedBy.get(id) ?? 0) + 1);
      if (got.join() !== want.join()) {
        const name = (id: string) => definitions.find((d) => d.id === id)!.name;
        mismatches.push({ profile: p.key, extra: got.filter((id) => !want.includes(id)).map(name), missing: want.filter((id) => !got.includes(id)).map(name) });
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    // Not vacuous: every definition has members, and event-only profiles qualify by their events.
    for (const d of definitions) expect([d.name, (realizedBy.get(d.id) ?? 0) > 0]).toEqual([d.name, true]);
    expect(emptyQualified).toBeGreaterThan(0);
  });
});
