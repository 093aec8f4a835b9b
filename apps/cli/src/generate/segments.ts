import { Rng } from './prng';
import { EventKind, INTERESTS } from './vocabulary';

/** A segment definition as written to segments.json (the body `load` posts to /segment/definitions). */
export interface SegmentDefinition {
  id: string;
  name: string;
  namespace: 'ups';
  description: string;
  expression: { type: 'PQL'; format: 'pql/text'; value: string };
}

/** The pool: 40 definitions; their ids depend on the seed. */
export interface SegmentPool {
  definitions: SegmentDefinition[];
  /** `"<id>"` — the JSON key, pre-quoted for the record writer. */
  quotedIds: string[];
  /** rules[i]: whether a profile qualifies for definitions[i] (the generator's truth). */
  rules: Rule[];
}

/**
 * A profile's experience events (`xEvent`) as the rules see them: under identity graph `none` the
 * events whose primary identity is the profile's key, in ingest order (which is time order).
 */
export interface EventFacts {
  /** Number of events; the arrays may be longer (they are reused), only the first `count` count. */
  count: number;
  /** `timestamp`, epoch ms, ascending. */
  times: number[];
  kinds: EventKind[];
  /** `commerce.order.priceTotal` in cents for purchases, 0 for the other kinds (which have none). */
  totals: number[];
}

/**
 * What a segment's rule looks at of one profile: its own record (under identity graph `none` a
 * profile is the one record with its primary identity) and its events. An event-only ("empty")
 * profile has only events.
 */
export interface ProfileFacts {
  /** '' without a home address. */
  country: string;
  stateProvince: string;
  city: string;
  /** Index into LOYALTY_TIERS, or -1 without `loyalty.tier`. */
  tier: number;
  /** -1 without `loyalty.points`. */
  points: number;
  /** 0 without a birth date. */
  birthYear: number;
  /** Bit i set: INTERESTS[i] (0 without `preferences.interests`). */
  interests: number;
  events: EventFacts;
}

export type Rule = (f: ProfileFacts) => boolean;

export const NO_EVENTS: EventFacts = Object.freeze({ count: 0, times: [], kinds: [], totals: [] });

const interest = (name: string): number => {
  const i = INTERESTS.indexOf(name);
  if (i < 0) throw new Error(`unknown interest ${name}`);
  return 1 << i;
};
const hasAny = (...names: string[]): Rule => {
  const mask = names.reduce((m, n) => m | interest(n), 0);
  return (f) => (f.interests & mask) !== 0;
};
const tierIn =
  (...tiers: number[]): Rule =>
  (f) =>
    tiers.includes(f.tier);
const born =
  (test: (year: number) => boolean): Rule =>
  (f) =>
    f.birthYear > 0 && test(f.birthYear);
const pointsOver =
  (n: number): Rule =>
  (f) =>
    f.points > n;
const [BRONZE, SILVER, GOLD, PLATINUM] = [0, 1, 2, 3];
const hiking = hasAny('hiking');
const travel = hasAny('travel');
const lifestyle = hasAny('gaming', 'music', 'fashion');
const bornSince1990 = born((y) => y >= 1990);

function eventsOfKind(e: EventFacts, kind: EventKind): number {
  let n = 0;
  for (let k = 0; k < e.count; k++) if (e.kinds[k] === kind) n++;
  return n;
}
/** Whether an event's timestamp lies in [from, to). */
function eventBetween(e: EventFacts, from: number, to: number): boolean {
  for (let k = 0; k < e.count; k++) if (e.times[k] >= from && e.times[k] < to) return true;
  return false;
}
/** `priceTotal > 500` holds for an order of more than 50,000 cents: total / 100 is exact enough for that. */
const bigSpender: Rule = (f) => {
  const e = f.events;
  for (let k = 0; k < e.count; k++) if (e.kinds[k] === EventKind.Purchase && e.totals[k] > 50000) return true;
  return false;
};

/** The PQL of a chained audience names other pool definitions; `ref(name)` is the id of that one. */
type Pql = string | ((ref: (name: string) => string) => string);

/**
 * The pool's definitions, each with the PQL written to segments.json and the same rule as a
 * function. A profile record's memberships are "realized" for exactly the definitions whose rule
 * its facts match (so an evaluation of the PQL on the loaded data agrees with what was ingested)
 * and "exited" for some that it does not match.
 *
 * Every PQL here is tier 1 (PQL.md 4) and its truth does not depend on the time of evaluation;
 * calendar dates are read in UTC (the evaluator's default zone). A definition that references
 * another (inSegment) comes after it, so they can be created in this order.
 */
const TEMPLATES: [name: string, description: string, pql: Pql, rule: Rule][] = [
  ['Residents: United States', 'Profiles whose home address is in the United States', 'homeAddress.country = "US"', (f) => f.country === 'US'],
  ['Residents: Canada', 'Profiles whose home address is in Canada', 'homeAddress.country = "CA"', (f) => f.country === 'CA'],
  ['Residents: United Kingdom', 'Profiles whose home address is in the United Kingdom', 'homeAddress.country = "GB"', (f) => f.country === 'GB'],
  ['Residents: Germany', 'Profiles whose home address is in Germany', 'homeAddress.country = "DE"', (f) => f.country === 'DE'],
  ['Residents: France', 'Profiles whose home address is in France', 'homeAddress.country = "FR"', (f) => f.country === 'FR'],
  ['Loyalty: bronze', 'Members of the bronze loyalty tier', 'loyalty.tier = "bronze"', tierIn(BRONZE)],
  ['Loyalty: silver', 'Members of the silver loyalty tier', 'loyalty.tier = "silver"', tierIn(SILVER)],
  ['Loyalty: gold', 'Members of the gold loyalty tier', 'loyalty.tier = "gold"', tierIn(GOLD)],
  ['Loyalty: platinum', 'Members of the platinum loyalty tier', 'loyalty.tier = "platinum"', tierIn(PLATINUM)],
  ['Loyalty: gold and platinum', 'High-value loyalty members', 'loyalty.tier in ["gold", "platinum"]', tierIn(GOLD, PLATINUM)],
  ['Born before 1960', 'Profiles born before 1960', 'person.birthDate.getYear() < 1960', born((y) => y < 1960)],
  ['Born before 1970', 'Profiles born before 1970', 'person.birthDate.getYear() < 1970', born((y) => y < 1970)],
  ['Born before 1980', 'Profiles born before 1980', 'person.birthDate.getYear() < 1980', born((y) => y < 1980)],
  ['Born 1990 or later', 'Profiles born in 1990 or later', 'person.birthDate.getYear() >= 1990', bornSince1990],
  ['Points over 1,000', 'Loyalty balance above 1,000 points', 'loyalty.points > 1000', pointsOver(1000)],
  ['Points over 5,000', 'Loyalty balance above 5,000 points', 'loyalty.points > 5000', pointsOver(5000)],
  ['Points over 10,000', 'Loyalty balance above 10,000 points', 'loyalty.points > 10000', pointsOver(10000)],
  ['Interest: running', 'Profiles interested in running', 'preferences.interests.includes("running")', hasAny('running')],
  ['Interest: cooking', 'Profiles interested in cooking', 'preferences.interests.includes("cooking")', hasAny('cooking')],
  ['Interest: travel', 'Profiles interested in travel', 'preferences.interests.includes("travel")', travel],
  ['Interest: gaming', 'Profiles interested in gaming', 'preferences.interests.includes("gaming")', hasAny('gaming')],
  ['Interest: cycling', 'Profiles interested in cycling', 'preferences.interests.includes("cycling")', hasAny('cycling')],
  ['Outdoor enthusiasts', 'Interested in hiking, cycling or running', 'preferences.interests.intersects(["hiking", "cycling", "running"])', hasAny('hiking', 'cycling', 'running')],
  ['Californians', 'Profiles living in California', 'homeAddress.stateProvince = "CA"', (f) => f.stateProvince === 'CA'],
  ['Londoners', 'Profiles living in London', 'homeAddress.city = "London"', (f) => f.city === 'London'],
  [
    'German metro areas',
    'Profiles living in Berlin, Munich or Hamburg',
    'homeAddress.city in ["Berlin", "München", "Hamburg"]',
    (f) => f.city === 'Berlin' || f.city === 'München' || f.city === 'Hamburg',
  ],
  [
    'US high-value',
    'US residents in the gold or platinum tier',
    'homeAddress.country = "US" and loyalty.tier in ["gold", "platinum"]',
    (f) => f.country === 'US' && f.tier >= GOLD,
  ],
  [
    'Established savers',
    'Born before 1980 with more than 5,000 points',
    'person.birthDate.getYear() < 1980 and loyalty.points > 5000',
    (f) => f.birthYear > 0 && f.birthYear < 1980 && f.points > 5000,
  ],
  ['Canadian hikers', 'Canadian residents interested in hiking', 'homeAddress.country = "CA" and preferences.interests.includes("hiking")', (f) => f.country === 'CA' && hiking(f)],
  [
    'Young lifestyle',
    'Born 1990 or later, into gaming, music or fashion',
    'person.birthDate.getYear() >= 1990 and preferences.interests.intersects(["gaming", "music", "fashion"])',
    (f) => bornSince1990(f) && lifestyle(f),
  ],
  ['Dormant bronze', 'Bronze members with fewer than 500 points', 'loyalty.tier = "bronze" and loyalty.points < 500', (f) => f.tier === BRONZE && f.points >= 0 && f.points < 500],
  // notIn is false when the country is missing (PQL.md 2.1), unlike not(... in ...).
  [
    'Outside North America',
    'Profiles living outside the US and Canada',
    'homeAddress.country notIn ["US", "CA"]',
    (f) => f.country !== '' && f.country !== 'US' && f.country !== 'CA',
  ],
  // Experience events: under identity graph `none` only the profiles keyed by the events' primary identity have them.
  ['Repeat buyers', 'At least two purchases', 'xEvent[eventType = "commerce.purchases"].count() >= 2', (f) => eventsOfKind(f.events, EventKind.Purchase) >= 2],
  ['Big spenders', 'An order over 500', 'exists E from xEvent where E.commerce.order.priceTotal > 500', bigSpender],
  ['Product browsers', 'Viewed a product', 'chain(xEvent, timestamp, [V: WHAT(eventType = "commerce.productViews")])', (f) => eventsOfKind(f.events, EventKind.ProductView) >= 1],
  [
    'Frequent readers',
    'At least three page views',
    'chain(xEvent, timestamp, [P: WHAT(eventType = "web.webpagedetails.pageViews") COUNT(3)])',
    (f) => eventsOfKind(f.events, EventKind.PageView) >= 3,
  ],
  [
    'Visited in the first half of 2025',
    'An event between 1 January and 30 June 2025 (UTC)',
    'exists E from xEvent where E.timestamp occurs between date(2025, 1, 1) and date(2025, 6, 30)',
    (f) => eventBetween(f.events, Date.UTC(2025, 0, 1), Date.UTC(2025, 6, 1)),
  ],
  [
    'Early visitors',
    'An event before April 2024 (UTC)',
    'xEvent[timestamp occurs before date(2024, 4, 1)].count() > 0',
    (f) => eventBetween(f.events, -Infinity, Date.UTC(2024, 3, 1)),
  ],
  // Chained audiences.
  [
    'Young travellers',
    'Born 1990 or later and interested in travel',
    (ref) => `inSegment("${ref('Born 1990 or later')}") and inSegment("${ref('Interest: travel')}")`,
    (f) => bornSince1990(f) && travel(f),
  ],
  [
    'US big spenders',
    'US residents with an order over 500',
    (ref) => `homeAddress.country = "US" and inSegment("${ref('Big spenders')}")`,
    (f) => f.country === 'US' && bigSpender(f),
  ],
];

/** Salt of the pool's random stream (each stream of the generator has its own). */
const SALT_SEGMENTS = 0x5e6;

export function segmentPool(key: number): SegmentPool {
  const rng = new Rng(key, 0, SALT_SEGMENTS);
  const ids = new Map(TEMPLATES.map(([name]) => [name, rng.uuid()]));
  const ref = (name: string): string => {
    const id = ids.get(name);
    if (!id) throw new Error(`unknown segment ${name}`);
    return id;
  };
  const definitions = TEMPLATES.map(([name, description, pql]): SegmentDefinition => ({
    id: ref(name),
    name,
    namespace: 'ups',
    description,
    expression: { type: 'PQL', format: 'pql/text', value: typeof pql === 'string' ? pql : pql(ref) },
  }));
  return {
    definitions,
    quotedIds: definitions.map((d) => JSON.stringify(d.id)),
    rules: TEMPLATES.map(([, , , rule]) => rule),
  };
}
