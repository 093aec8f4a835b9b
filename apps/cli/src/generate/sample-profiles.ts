import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from './generate.command';
import type { EventFacts, ProfileFacts } from './segments';
import { EVENT_TYPES, EventKind, INTERESTS, LOYALTY_TIERS } from './vocabulary';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * One profile of a generated sample under the default merge policy (identity graph `none`): the
 * records and the events that share a primary identity. The generator writes at most one record
 * per primary identity; an event-only ("empty") profile has none.
 */
export interface SampleProfile {
  /** `namespace:id` of the primary identity. */
  key: string;
  record: Json | null;
  /** In file (ingest) order. */
  events: Json[];
}

/** `namespace:id` of the identity an identityMap marks primary (the generator marks exactly one). */
export function primaryIdentity(identityMap: Json): string {
  for (const [ns, ids] of Object.entries(identityMap)) {
    for (const i of ids as Json[]) if (i.primary === true) return `${ns}:${i.id}`;
  }
  throw new Error(`no primary identity in ${JSON.stringify(identityMap)}`);
}

/**
 * Reads a (small) generated directory whole and groups it into profiles, records' profiles first
 * in file order, then the event-only ones. For tests and checks: it holds everything in memory.
 */
export async function readSampleProfiles(dir: string): Promise<{ manifest: Manifest; profiles: SampleProfile[]; definitions: Json[] }> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const byKey = new Map<string, SampleProfile>();
  const lines = async (key: 'crm' | 'web' | 'events'): Promise<Json[]> => {
    const out: Json[] = [];
    // A small sample (`--records small`) has no web dataset.
    for (const file of manifest.datasets.find((d) => d.key === key)?.files ?? []) {
      const text = await readFile(join(dir, file), 'utf8');
      for (const line of text.split('\n')) if (line) out.push(JSON.parse(line) as Json);
    }
    return out;
  };
  for (const record of [...(await lines('crm')), ...(await lines('web'))]) {
    const key = primaryIdentity(record.identityMap as Json);
    if (byKey.has(key)) throw new Error(`two records with primary identity ${key}`);
    byKey.set(key, { key, record, events: [] });
  }
  for (const event of await lines('events')) {
    const key = primaryIdentity(event.identityMap as Json);
    let profile = byKey.get(key);
    if (!profile) byKey.set(key, (profile = { key, record: null, events: [] }));
    profile.events.push(event);
  }
  const definitions = JSON.parse(await readFile(join(dir, manifest.segments), 'utf8')) as Json[];
  return { manifest, profiles: [...byKey.values()], definitions };
}

/** The fields of a generated record that the facts are read from (what the generator writes). */
interface RecordView {
  person?: { birthDate?: string };
  homeAddress?: { country?: string; stateProvince?: string; city?: string };
  loyalty?: { tier?: string; points?: number };
  preferences?: { interests?: string[] };
  segmentMembership?: { ups?: Record<string, { status?: string }> };
}

/** The fields of a generated event that the facts are read from. */
interface EventView {
  eventType: string;
  timestamp: string;
  commerce?: { order: { priceTotal: number } };
}

/**
 * The facts the segment rules read, derived from a profile's written JSON (not from the
 * generator's own state), so that comparing rules(facts) with the written memberships checks
 * the generator end to end.
 */
export function factsOf(profile: SampleProfile): ProfileFacts {
  const r = (profile.record ?? {}) as RecordView;
  const events: EventFacts = { count: profile.events.length, times: [], kinds: [], totals: [] };
  for (const e of profile.events as EventView[]) {
    const kind = (EVENT_TYPES as readonly string[]).indexOf(e.eventType) as EventKind;
    if (kind < 0) throw new Error(`unknown eventType ${e.eventType}`);
    events.times.push(Date.parse(e.timestamp));
    events.kinds.push(kind);
    events.totals.push(kind === EventKind.Purchase ? Math.round(e.commerce!.order.priceTotal * 100) : 0);
  }
  let interests = 0;
  for (const name of r.preferences?.interests ?? []) {
    const bit = INTERESTS.indexOf(name);
    if (bit < 0) throw new Error(`unknown interest ${name}`);
    interests |= 1 << bit;
  }
  const birthDate = r.person?.birthDate;
  return {
    country: r.homeAddress?.country ?? '',
    stateProvince: r.homeAddress?.stateProvince ?? '',
    city: r.homeAddress?.city ?? '',
    tier: r.loyalty?.tier === undefined ? -1 : (LOYALTY_TIERS as readonly string[]).indexOf(r.loyalty.tier),
    points: r.loyalty?.points ?? -1,
    birthYear: birthDate ? Number(birthDate.slice(0, 4)) : 0,
    interests,
    events,
  };
}

/** A record's memberships by status: `{realized: [ids], exited: [ids], other: [ids]}`. */
export function membershipsOf(record: Json | null): { realized: string[]; exited: string[]; other: string[] } {
  const out = { realized: [] as string[], exited: [] as string[], other: [] as string[] };
  const ups = (record as RecordView | null)?.segmentMembership?.ups ?? {};
  for (const [id, m] of Object.entries(ups)) {
    (m.status === 'realized' ? out.realized : m.status === 'exited' ? out.exited : out.other).push(id);
  }
  return out;
}
