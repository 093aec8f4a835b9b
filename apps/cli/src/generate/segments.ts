import { Rng } from './prng';
import { INTERESTS } from './vocabulary';

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
  /** rules[i]: whether a profile qualifies for definitions[i]. */
  rules: Rule[];
}

/** What a segment's rule looks at, as the factory knows it while writing a record. */
export interface ProfileFacts {
  country: string;
  stateProvince: string;
  city: string;
  /** Index into LOYALTY_TIERS, or -1 without loyalty data. */
  tier: number;
  /** -1 without loyalty data. */
  points: number;
  /** 0 without a birth date. */
  birthYear: number;
  /** Bit i set: INTERESTS[i]. */
  interests: number;
}

export type Rule = (f: ProfileFacts) => boolean;

const interest = (name: string): number => {
  const i = INTERESTS.indexOf(name);
  if (i < 0) throw new Error(`unknown interest ${name}`);
  return 1 << i;
};
const hasAny = (...names: string[]): Rule => {
  const mask = names.reduce((m, n) => m | interest(n), 0);
  return (f) => (f.interests & mask) !== 0;
};
const tierIn = (...tiers: number[]): Rule => (f) => tiers.includes(f.tier);
const born = (test: (year: number) => boolean): Rule => (f) => f.birthYear > 0 && test(f.birthYear);
const pointsOver = (n: number): Rule => (f) => f.points > n;
const [BRONZE, SILVER, GOLD, PLATINUM] = [0, 1, 2, 3];
const hiking = hasAny('hiking');
const lifestyle = hasAny('gaming', 'music', 'fashion');

/**
 * The pool's definitions, each with the PQL written to segments.json and the same rule as a
 * function: a profile's memberships are "realized" for segments whose rule its record matches and
 * "exited" for some that it does not, so that exported audiences make sense.
 */
const TEMPLATES: [name: string, description: string, pql: string, rule: Rule][] = [
  ['Residents: United States', 'Profiles whose home address is in the United States', 'homeAddress.country = "US"', (f) => f.country === 'US'],
  ['Residents: Canada', 'Profiles whose home address is in Canada', 'homeAddress.country = "CA"', (f) => f.country === 'CA'],
  ['Residents: United Kingdom', 'Profiles whose home address is in the United Kingdom', 'homeAddress.country = "GB"', (f) => f.country === 'GB'],
  ['Residents: Germany', 'Profiles whose home address is in Germany', 'homeAddress.country = "DE"', (f) => f.country === 'DE'],
  ['Residents: France', 'Profiles whose home address is in France', 'homeAddress.country = "FR"', (f) => f.country === 'FR'],
  ['Residents: Germany or France', 'Profiles living in Germany or France', 'homeAddress.country in ["DE", "FR"]', (f) => f.country === 'DE' || f.country === 'FR'],
  ['Loyalty: bronze', 'Members of the bronze loyalty tier', 'loyalty.tier = "bronze"', tierIn(BRONZE)],
  ['Loyalty: silver', 'Members of the silver loyalty tier', 'loyalty.tier = "silver"', tierIn(SILVER)],
  ['Loyalty: gold', 'Members of the gold loyalty tier', 'loyalty.tier = "gold"', tierIn(GOLD)],
  ['Loyalty: platinum', 'Members of the platinum loyalty tier', 'loyalty.tier = "platinum"', tierIn(PLATINUM)],
  ['Loyalty: gold and platinum', 'High-value loyalty members', 'loyalty.tier in ["gold", "platinum"]', tierIn(GOLD, PLATINUM)],
  ['Loyalty: silver and above', 'Loyalty members above the entry tier', 'loyalty.tier in ["silver", "gold", "platinum"]', tierIn(SILVER, GOLD, PLATINUM)],
  ['Born before 1960', 'Profiles born before 1960', 'person.birthDate.year < 1960', born((y) => y < 1960)],
  ['Born before 1970', 'Profiles born before 1970', 'person.birthDate.year < 1970', born((y) => y < 1970)],
  ['Born before 1980', 'Profiles born before 1980', 'person.birthDate.year < 1980', born((y) => y < 1980)],
  ['Born 1990 or later', 'Profiles born in 1990 or later', 'person.birthDate.year >= 1990', born((y) => y >= 1990)],
  ['Born 2000 or later', 'Profiles born in 2000 or later', 'person.birthDate.year >= 2000', born((y) => y >= 2000)],
  ['Points over 1,000', 'Loyalty balance above 1,000 points', 'loyalty.points > 1000', pointsOver(1000)],
  ['Points over 5,000', 'Loyalty balance above 5,000 points', 'loyalty.points > 5000', pointsOver(5000)],
  ['Points over 10,000', 'Loyalty balance above 10,000 points', 'loyalty.points > 10000', pointsOver(10000)],
  ['Points over 25,000', 'Loyalty balance above 25,000 points', 'loyalty.points > 25000', pointsOver(25000)],
  ['Interest: running', 'Profiles interested in running', 'preferences.interests.includes("running")', hasAny('running')],
  ['Interest: cooking', 'Profiles interested in cooking', 'preferences.interests.includes("cooking")', hasAny('cooking')],
  ['Interest: travel', 'Profiles interested in travel', 'preferences.interests.includes("travel")', hasAny('travel')],
  ['Interest: photography', 'Profiles interested in photography', 'preferences.interests.includes("photography")', hasAny('photography')],
  ['Interest: gaming', 'Profiles interested in gaming', 'preferences.interests.includes("gaming")', hasAny('gaming')],
  ['Interest: yoga', 'Profiles interested in yoga', 'preferences.interests.includes("yoga")', hasAny('yoga')],
  ['Interest: cycling', 'Profiles interested in cycling', 'preferences.interests.includes("cycling")', hasAny('cycling')],
  ['Interest: gardening', 'Profiles interested in gardening', 'preferences.interests.includes("gardening")', hasAny('gardening')],
  ['Outdoor enthusiasts', 'Interested in hiking, cycling or running', 'preferences.interests.intersects(["hiking", "cycling", "running"])', hasAny('hiking', 'cycling', 'running')],
  ['Californians', 'Profiles living in California', 'homeAddress.stateProvince = "CA"', (f) => f.stateProvince === 'CA'],
  ['Texas and Florida', 'Profiles living in Texas or Florida', 'homeAddress.stateProvince in ["TX", "FL"]', (f) => f.stateProvince === 'TX' || f.stateProvince === 'FL'],
  ['Londoners', 'Profiles living in London', 'homeAddress.city = "London"', (f) => f.city === 'London'],
  ['German metro areas', 'Profiles living in Berlin, Munich or Hamburg', 'homeAddress.city in ["Berlin", "München", "Hamburg"]', (f) => f.city === 'Berlin' || f.city === 'München' || f.city === 'Hamburg'],
  ['US high-value', 'US residents in the gold or platinum tier', 'homeAddress.country = "US" and loyalty.tier in ["gold", "platinum"]', (f) => f.country === 'US' && f.tier >= GOLD],
  ['Established savers', 'Born before 1980 with more than 5,000 points', 'person.birthDate.year < 1980 and loyalty.points > 5000', (f) => f.birthYear > 0 && f.birthYear < 1980 && f.points > 5000],
  ['Canadian hikers', 'Canadian residents interested in hiking', 'homeAddress.country = "CA" and preferences.interests.includes("hiking")', (f) => f.country === 'CA' && hiking(f)],
  ['Young lifestyle', 'Born 1990 or later, into gaming, music or fashion', 'person.birthDate.year >= 1990 and preferences.interests.intersects(["gaming", "music", "fashion"])', (f) => f.birthYear >= 1990 && lifestyle(f)],
  ['Dormant bronze', 'Bronze members with fewer than 500 points', 'loyalty.tier = "bronze" and loyalty.points < 500', (f) => f.tier === BRONZE && f.points < 500],
  ['Outside North America', 'Profiles living outside the US and Canada', 'homeAddress.country notIn ["US", "CA"]', (f) => f.country !== 'US' && f.country !== 'CA'],
];

/** Salt of the pool's random stream (each stream of the generator has its own). */
const SALT_SEGMENTS = 0x5e6;

export function segmentPool(key: number): SegmentPool {
  const rng = new Rng(key, 0, SALT_SEGMENTS);
  const definitions = TEMPLATES.map(([name, description, value]): SegmentDefinition => ({
    id: rng.uuid(),
    name,
    namespace: 'ups',
    description,
    expression: { type: 'PQL', format: 'pql/text', value },
  }));
  return {
    definitions,
    quotedIds: definitions.map((d) => JSON.stringify(d.id)),
    rules: TEMPLATES.map(([, , , rule]) => rule),
  };
}
