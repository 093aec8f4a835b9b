import { fmix32, formatUuidV4, Rng, Weighted } from './prng';
import { EventFacts, NO_EVENTS, ProfileFacts, SegmentPool } from './segments';
import {
  COUNTRIES,
  CONTENT_PAGES,
  Country,
  emailSlug,
  EventKind,
  FIRST_NAMES,
  INTERESTS,
  LAST_NAMES,
  LINKS,
  LOYALTY_POINTS,
  LOYALTY_TIER_WEIGHTS,
  LOYALTY_TIERS,
  Page,
  PRODUCTS,
  SITE,
  EVENT_TYPES,
} from './vocabulary';

/**
 * The profile factory: one person at a time, as ready-to-write JSON Lines. Records are built as
 * strings (not objects + JSON.stringify) because that is several times faster; every string value
 * comes from the fixed vocabulary or from digits/hex, so nothing needs escaping, and
 * generate.spec.ts parses every line back.
 *
 * Each person draws from its own random stream, keyed by (seed, person index), so a person does not
 * depend on any other and the output is a pure function of (profiles, seed).
 */

/** All timestamps fall in [2024-01-01T00:00:00.000Z, 2026-10-31T23:59:59.999Z]. */
export const TIME_FROM = Date.UTC(2024, 0, 1);
export const TIME_TO = Date.UTC(2026, 9, 31, 23, 59, 59, 999);
const TIME_SPAN = TIME_TO - TIME_FROM + 1;

/** Share of profiles with a CRM record only, with both, with a web record only (70% CRM, 60% web). */
const P_BOTH = 0.3;
const P_CRM_ONLY = 0.4;
const P_PHONE = 0.35;
const P_LOYALTY = 0.8;
const P_AUDIT = 0.9;
/** Chance of an exited membership (of a segment the record does not match) per realized one. */
const P_EXITED_PER_REALIZED = 0.25;
const REALIZED = 1;
const EXITED = 2;
const P_WEB_OTHER_CITY = 0.35;
const P_WEB_LOYALTY = 0.6;
const P_WEB_INTERESTS = 0.5;
/** One event-only person ("empty profile") per this many profiles: ceil(profiles / 20) in all. */
export const PROFILES_PER_EVENT_ONLY_PERSON = 20;

const SALT_PROFILE = 0x9f01;
const SALT_EVENT_ONLY = 0x9f02;
const SALT_ECID = 0x9f03;
const SALT_EVENT_ID = 0x9f04;

const FIRST_SLUGS = FIRST_NAMES.map(emailSlug);
const LAST_SLUGS = LAST_NAMES.map(emailSlug);
const COUNTRY = new Weighted(
  COUNTRIES,
  COUNTRIES.map((c) => c.weight),
);
const TIER = new Weighted([0, 1, 2, 3], LOYALTY_TIER_WEIGHTS);
const EVENT_COUNT = new Weighted([0, 1, 2, 3, 4, 5], [15, 25, 25, 15, 12, 8]);

/** The channels of `subscriptions`: a short array of objects, so that `fields` paths can go through one. */
const CHANNELS = ['email', 'sms', 'push', 'mail'];
const P_OPT_IN = 0.7;

const EVENT_KIND = new Weighted([EventKind.PageView, EventKind.ProductView, EventKind.ProductListAdd, EventKind.Purchase, EventKind.LinkClick], [50, 22, 10, 8, 10]);

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * `new Date(ms).toISOString()` for non-negative times before year 10000, about five times faster
 * (civil-from-days after Howard Hinnant); generate.spec.ts compares the two.
 */
export function isoTime(ms: number): string {
  const days = Math.floor(ms / 86400000);
  let rest = ms - days * 86400000;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(rest / 3600000);
  rest -= hours * 3600000;
  const minutes = Math.floor(rest / 60000);
  rest -= minutes * 60000;
  const seconds = Math.floor(rest / 1000);
  return `${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[rest - seconds * 1000]}Z`;
}

function randomTime(rng: Rng): number {
  return TIME_FROM + Math.floor(rng.float53() * TIME_SPAN);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Triangular over 1945..2006: more people born around 1975 than at the ends. */
function birthYear(rng: Rng): number {
  return 1945 + Math.floor(((rng.float() + rng.float()) / 2) * 62);
}

function birthDate(rng: Rng, year: number): string {
  const month = rng.int(1, 12);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const day = rng.int(1, month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]);
  return `${year}-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
}

const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';

function postalCode(rng: Rng, country: Country['code'], prefix: string): string {
  switch (country) {
    case 'US':
      return prefix + rng.digits(2);
    case 'DE':
      return prefix + rng.digits(3);
    case 'FR':
      return prefix + rng.digits(2);
    case 'CA':
      return `${prefix} ${rng.int(1, 9)}${LETTERS[rng.int(0, LETTERS.length - 1)]}${rng.int(0, 9)}`;
    case 'GB':
      return `${prefix} ${rng.int(1, 9)}${LETTERS[rng.int(0, LETTERS.length - 1)]}${LETTERS[rng.int(0, LETTERS.length - 1)]}`;
  }
}

function street(rng: Rng, country: Country): string {
  const name = rng.pick(country.streets);
  const number = rng.int(1, country.code === 'US' ? 9999 : 199);
  return country.code === 'DE' ? `${name} ${number}` : `${number} ${name}`;
}

/** Up to `max` distinct interests as a bit mask (bit i: INTERESTS[i]). */
function interestMask(rng: Rng, max: number): number {
  let mask = 0;
  for (let k = rng.int(0, max); k > 0; k--) mask |= 1 << rng.int(0, INTERESTS.length - 1);
  return mask;
}

/** The JSON array of a mask's interests, e.g. `["running","travel"]`. */
function interestArray(mask: number): string {
  let out = '[';
  for (let x = 0; x < INTERESTS.length; x++) if (mask & (1 << x)) out += (out.length > 1 ? ',"' : '"') + INTERESTS[x] + '"';
  return out + ']';
}

/** Marks `count` random elements of `from` (a partial Fisher–Yates shuffle, in place) with `mark`. */
function takeRandom(rng: Rng, from: number[], count: number, marks: Uint8Array, mark: number): number {
  for (let k = 0; k < count; k++) {
    const j = k + Math.floor(rng.float() * (from.length - k));
    const s = from[j];
    from[j] = from[k];
    from[k] = s;
    marks[s] = mark;
  }
  return count;
}

/** One to `max` distinct channels, e.g. `[{"channel":"sms","optIn":true}]`. */
export function subscriptions(rng: Rng, max = 2): string {
  const first = rng.int(0, CHANNELS.length - 1);
  let out = '[';
  for (let k = 0, count = rng.int(1, max); k < count; k++) {
    out += `${k ? ',' : ''}{"channel":"${CHANNELS[(first + k) % CHANNELS.length]}","optIn":${rng.chance(P_OPT_IN)}}`;
  }
  return out + ']';
}

const EMPTY_FACTS: ProfileFacts = { country: '', stateProvince: '', city: '', tier: -1, points: -1, birthYear: 0, interests: 0, events: NO_EVENTS };

function resetFacts(f: ProfileFacts, events: EventFacts): ProfileFacts {
  f.country = '';
  f.stateProvince = '';
  f.city = '';
  f.tier = -1;
  f.points = -1;
  f.birthYear = 0;
  f.interests = 0;
  f.events = events;
  return f;
}

export interface Person {
  /** The CRM record's line (without newline), or null. */
  crm: string | null;
  /** The web record's line, or null. */
  web: string | null;
  /** Event lines of this person (the array is reused between calls). */
  events: string[];
}

export class ProfileFactory {
  protected readonly rng: Rng;
  private readonly ecidKey: number;
  private readonly eventIdKey: number;
  private readonly status = new Uint8Array(64);
  private readonly others: number[] = [];
  protected readonly eventFacts: EventFacts = { count: 0, times: [], kinds: [], totals: [] };
  protected readonly crmFacts: ProfileFacts = { ...EMPTY_FACTS };
  private readonly webFacts: ProfileFacts = { ...EMPTY_FACTS };
  private eventSerial = 0;
  /** Chance of an exited membership per realized one. */
  protected exitedPerRealized = P_EXITED_PER_REALIZED;
  protected readonly person: Person = { crm: null, web: null, events: [] };

  constructor(
    protected readonly key: number,
    private readonly profiles: number,
    private readonly pool: SegmentPool,
  ) {
    this.rng = new Rng(key);
    this.ecidKey = fmix32((key ^ SALT_ECID) >>> 0);
    this.eventIdKey = fmix32((key ^ SALT_EVENT_ID) >>> 0);
  }

  /**
   * A 38-digit ECID, unique per person index: 10 of its digits are a bijection of the index, the
   * other 28 are random.
   */
  private ecid(personIndex: number): string {
    const rng = this.rng;
    const unique = String(fmix32((personIndex ^ this.ecidKey) >>> 0)).padStart(10, '0');
    return `${rng.int(1, 9)}${rng.digits(18)}${unique}${rng.digits(9)}`;
  }

  /** A v4 UUID whose first 32 bits are a bijection of a run-wide counter: no two events share one. */
  private eventId(): string {
    const rng = this.rng;
    return formatUuidV4(fmix32((this.eventSerial++ + this.eventIdKey) >>> 0), rng.next(), rng.next(), rng.next());
  }

  /**
   * A record's `segmentMembership`, in pool order: "realized" for exactly the segments whose rule
   * the record's facts (its own fields and its profile's events) match, so that evaluating the
   * definitions on the loaded data gives what was ingested; "exited" for about a quarter as many
   * segments it does not match (people leave segments). Times are any in the data's range.
   */
  protected membership(facts: ProfileFacts): string {
    const rng = this.rng;
    const { rules, quotedIds } = this.pool;
    const n = rules.length;
    const status = this.status;
    const others = this.others;
    others.length = 0;
    let realized = 0;
    for (let s = 0; s < n; s++) {
      if (rules[s](facts)) {
        status[s] = REALIZED;
        realized++;
      } else {
        status[s] = 0;
        others.push(s);
      }
    }
    let exited = 0;
    for (let k = 0; k < realized; k++) if (rng.chance(this.exitedPerRealized)) exited++;
    takeRandom(rng, others, Math.min(exited, others.length), status, EXITED);
    let out = '{"ups":{';
    let first = true;
    for (let s = 0; s < n; s++) {
      if (!status[s]) continue;
      out += `${first ? '' : ','}${quotedIds[s]}:{"status":"${status[s] === REALIZED ? 'realized' : 'exited'}","lastQualificationTime":"${isoTime(randomTime(rng))}"}`;
      first = false;
    }
    return out + '}}';
  }

  private audit(): string {
    return this.rng.chance(P_AUDIT) ? `,"extSourceSystemAudit":{"lastUpdatedDate":"${isoTime(randomTime(this.rng))}"}` : '';
  }

  /** Profile `i` (0-based) of the run. */
  profile(i: number): Person {
    const rng = this.rng.reseed(this.key, i, SALT_PROFILE);
    const person = this.person;
    const n = i + 1;
    const r = rng.float();
    const hasCrm = r < P_BOTH + P_CRM_ONLY;
    const hasWeb = r < P_BOTH || r >= P_BOTH + P_CRM_ONLY;
    const both = hasCrm && hasWeb;

    const fi = rng.int(0, FIRST_NAMES.length - 1);
    const li = rng.int(0, LAST_NAMES.length - 1);
    const email = `${FIRST_SLUGS[fi]}.${LAST_SLUGS[li]}${n}@example.com`;
    const country = COUNTRY.draw(rng);
    const cityIndex = rng.int(0, country.cities.length - 1);
    const city = country.cities[cityIndex];
    const ecid = hasWeb ? this.ecid(i) : '';

    // Events first: the memberships of the record they belong to depend on them. They are keyed by
    // the ECID when there is one, else by the e-mail address; half of the events of people in both
    // datasets are authenticated (they carry the e-mail too). Under identity graph `none` they
    // belong to the profile of their primary identity: the web record's, or for CRM-only people an
    // empty profile (the e-mail); never the CRM record's.
    person.events.length = 0;
    this.eventFacts.count = 0;
    const count = EVENT_COUNT.draw(rng);
    if (count) {
      const anonymous = hasWeb ? `{"ECID":[{"id":"${ecid}","primary":true}]}` : `{"Email":[{"id":"${email}","primary":true}]}`;
      const authenticated = both ? `{"ECID":[{"id":"${ecid}","primary":true}],"Email":[{"id":"${email}"}]}` : anonymous;
      this.events(count, country, (k) => (k % 2 === 1 ? authenticated : anonymous));
    }

    const crm = resetFacts(this.crmFacts, NO_EVENTS);
    if (hasCrm) {
      const phone = rng.chance(P_PHONE) ? `+1555${rng.digits(7)}` : '';
      crm.country = country.code;
      crm.stateProvince = city.stateProvince;
      crm.city = city.city;
      crm.birthYear = birthYear(rng);
      let line =
        `{"identityMap":{"CRMID":[{"id":"crm-${n}","primary":true}],"Email":[{"id":"${email}"}]` +
        (phone ? `,"Phone":[{"id":"${phone}"}]` : '') +
        `},"person":{"name":{"firstName":"${FIRST_NAMES[fi]}","lastName":"${LAST_NAMES[li]}"},"birthDate":"${birthDate(rng, crm.birthYear)}"}` +
        `,"personalEmail":{"address":"${email}"}` +
        `,"homeAddress":{"street1":"${street(rng, country)}","city":"${city.city}","postalCode":"${postalCode(rng, country.code, city.postal)}","stateProvince":"${city.stateProvince}","country":"${country.code}"}`;
      if (phone) line += `,"mobilePhone":{"number":"${phone}"}`;
      if (rng.chance(P_LOYALTY)) {
        crm.tier = TIER.index(rng);
        const [lo, hi] = LOYALTY_POINTS[crm.tier];
        crm.points = rng.int(lo, hi);
        line += `,"loyalty":{"tier":"${LOYALTY_TIERS[crm.tier]}","points":${crm.points}}`;
      }
      crm.interests = interestMask(rng, 4);
      line += `,"preferences":{"interests":${interestArray(crm.interests)}}`;
      line += `,"subscriptions":${subscriptions(rng)}`;
      line += `,"segmentMembership":${this.membership(crm)}`;
      person.crm = line + this.audit() + '}';
    } else person.crm = null;

    if (hasWeb) {
      const web = resetFacts(this.webFacts, this.eventFacts);
      let line = `{"identityMap":{"ECID":[{"id":"${ecid}","primary":true}]` + (both ? `,"Email":[{"id":"${email}"}]}` : '}');
      if (both) line += `,"personalEmail":{"address":"${email}"}`;
      // Web data is geo-located, and for a third of the people in both datasets it disagrees with the CRM.
      const webCity = both && rng.chance(P_WEB_OTHER_CITY) ? country.cities[(cityIndex + rng.int(1, country.cities.length - 1)) % country.cities.length] : city;
      web.country = country.code;
      web.stateProvince = webCity.stateProvince;
      web.city = webCity.city;
      line += `,"homeAddress":{"city":"${webCity.city}","stateProvince":"${webCity.stateProvince}","country":"${country.code}"}`;
      if (crm.points >= 0 && rng.chance(P_WEB_LOYALTY)) {
        // Another balance than the CRM's (older or newer).
        web.points = Math.max(0, crm.points + rng.int(-500, 1500)) + 1;
        line += `,"loyalty":{"points":${web.points}}`;
      }
      if (rng.chance(P_WEB_INTERESTS)) {
        web.interests = interestMask(rng, 3);
        line += `,"preferences":{"interests":${interestArray(web.interests)}}`;
      }
      line += `,"segmentMembership":${this.membership(web)}`;
      person.web = line + this.audit() + '}';
    } else person.web = null;
    return person;
  }

  /** Event-only person `j` (0-based): events under an ECID that no profile record has. */
  eventOnly(j: number): Person {
    const rng = this.rng.reseed(this.key, j, SALT_EVENT_ONLY);
    const person = this.person;
    person.crm = null;
    person.web = null;
    person.events.length = 0;
    this.eventFacts.count = 0;
    const identityMap = `{"ECID":[{"id":"${this.ecid(this.profiles + j)}","primary":true}]}`;
    this.events(rng.int(1, 5), COUNTRY.draw(rng), () => identityMap);
    return person;
  }

  /** Appends `count` events (in time order) to person.events, and their facts to eventFacts. */
  protected events(count: number, country: Country, identityMap: (k: number) => string): void {
    const rng = this.rng;
    const facts = this.eventFacts;
    const times = facts.times;
    times.length = 0;
    for (let k = 0; k < count; k++) times.push(randomTime(rng));
    times.sort((a, b) => a - b);
    facts.count = count;
    for (let k = 0; k < count; k++) {
      const head = `{"_id":"${this.eventId()}","timestamp":"${isoTime(times[k])}"`;
      const ids = `,"identityMap":${identityMap(k)}`;
      const kind = EVENT_KIND.draw(rng);
      facts.kinds[k] = kind;
      facts.totals[k] = 0;
      let line: string;
      if (kind === EventKind.PageView || kind === EventKind.LinkClick) {
        const page: Page = rng.pick(CONTENT_PAGES);
        const details = `"webPageDetails":{"URL":"${SITE}${page.path}","name":"${page.name}"`;
        line =
          kind === EventKind.PageView
            ? `${head},"eventType":"${EVENT_TYPES[kind]}"${ids},"web":{${details},"pageViews":{"value":1}}}}`
            : `${head},"eventType":"${EVENT_TYPES[kind]}"${ids},"web":{${details}},"webInteraction":{"name":"${rng.pick(LINKS)}","type":"other","linkClicks":{"value":1}}}}`;
      } else if (kind === EventKind.Purchase) {
        let items = '';
        let total = 0;
        for (let m = rng.int(1, 3), q = 0; q < m; q++) {
          const product = rng.pick(PRODUCTS);
          const quantity = rng.int(1, 3);
          total += product.price * quantity;
          items += `${q ? ',' : ''}{"SKU":"${product.sku}","name":"${product.name}","quantity":${quantity},"priceTotal":${(product.price * quantity) / 100}}`;
        }
        facts.totals[k] = total;
        line =
          `${head},"eventType":"${EVENT_TYPES[kind]}"${ids}` +
          `,"web":{"webPageDetails":{"URL":"${SITE}/checkout/confirmation","name":"Order confirmation"}}` +
          `,"commerce":{"order":{"purchaseID":"ORD-${rng.digits(10)}","priceTotal":${total / 100},"currencyCode":"${country.currency}"},"purchases":{"value":1}}` +
          `,"productListItems":[${items}]}`;
      } else {
        const product = rng.pick(PRODUCTS);
        const add = kind === EventKind.ProductListAdd;
        const quantity = add ? rng.int(1, 2) : 1;
        line =
          `${head},"eventType":"${EVENT_TYPES[kind]}"${ids}` +
          `,"web":{"webPageDetails":{"URL":"${SITE}/products/${product.sku.toLowerCase()}","name":"${product.name}"}}` +
          `,"commerce":{"${add ? 'productListAdds' : 'productViews'}":{"value":1}}` +
          `,"productListItems":[{"SKU":"${product.sku}","name":"${product.name}","quantity":${quantity},"priceTotal":${(product.price * quantity) / 100}}]}`;
      }
      this.person.events.push(line);
    }
  }
}
