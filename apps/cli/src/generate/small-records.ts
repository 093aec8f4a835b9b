import { Weighted } from './prng';
import { Person, ProfileFactory, subscriptions } from './records';
import { COUNTRIES, emailSlug, FIRST_NAMES, LAST_NAMES } from './vocabulary';

/**
 * `generate --records small`: about 400 bytes per profile record, a few attributes, one profile
 * dataset (CRM) and fewer events, for measuring exports where per-record costs (not bytes)
 * dominate. The attributes are the reference export's (`person.name.firstName`,
 * `personalEmail.address`) plus `homeAddress.country`, a short array of objects
 * (`subscriptions`, for `fields` paths through arrays), identityMap and segmentMembership.
 * The definitions are the same pool's: memberships are "realized" for exactly those whose rule the
 * record's facts (its country and its events) match, so segment filters still select profiles.
 *
 * Events are keyed by the record's own primary identity (CRMID), so that under identity graph
 * `none` they belong to its profile (eventList exports find them); there are no event-only people.
 * A person is still a pure function of (seed, index): the stream is keyed as the default records'.
 */
const SALT_SMALL_PROFILE = 0x9f05;
/** About half an event per person (the default records have about 2.1): fewer event-made memberships. */
const SMALL_EVENT_COUNT = new Weighted([0, 1, 2], [60, 30, 10]);

const FIRST_SLUGS = FIRST_NAMES.map(emailSlug);
const LAST_SLUGS = LAST_NAMES.map(emailSlug);
const COUNTRY = new Weighted(
  COUNTRIES,
  COUNTRIES.map((c) => c.weight),
);

export class SmallProfileFactory extends ProfileFactory {
  // Fewer exited memberships than the default records' 0.25 per realized one: the size is the point.
  protected override exitedPerRealized = 0.1;

  /** Profile `i` (0-based): a CRM record and its events, never a web record. */
  override profile(i: number): Person {
    const rng = this.rng.reseed(this.key, i, SALT_SMALL_PROFILE);
    const person = this.person;
    const n = i + 1;
    const fi = rng.int(0, FIRST_NAMES.length - 1);
    const li = rng.int(0, LAST_NAMES.length - 1);
    const email = `${FIRST_SLUGS[fi]}.${LAST_SLUGS[li]}${n}@example.com`;
    const country = COUNTRY.draw(rng);
    const identityMap = `{"CRMID":[{"id":"crm-${n}","primary":true}]}`;

    person.events.length = 0;
    this.eventFacts.count = 0;
    const count = SMALL_EVENT_COUNT.draw(rng);
    if (count) this.events(count, country, () => identityMap);

    const facts = this.crmFacts;
    Object.assign(facts, { country: country.code, stateProvince: '', city: '', tier: -1, points: -1, birthYear: 0, interests: 0, events: this.eventFacts });
    person.crm =
      `{"identityMap":${identityMap}` +
      `,"person":{"name":{"firstName":"${FIRST_NAMES[fi]}","lastName":"${LAST_NAMES[li]}"}}` +
      `,"personalEmail":{"address":"${email}"}` +
      `,"homeAddress":{"country":"${country.code}"}` +
      `,"subscriptions":${subscriptions(rng, 1)}` +
      `,"segmentMembership":${this.membership(facts)}}`;
    person.web = null;
    return person;
  }
}
