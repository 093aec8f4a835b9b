/**
 * PQL.md section 3, examples 1-42: each built one parsed and evaluated on hand-written profiles
 * against truth values written here; each refused one refused with its message. The clock is
 * Saturday 2024-06-15 12:00 UTC (test-support.ts); evalPql also checks compiled == interpreted.
 */
import { DAY, evalPql, HOUR, iso, NOW, refusal } from './test-support';

const seg = (...ids: [string, string][]) => ({ segmentMembership: { ups: Object.fromEntries(ids.map(([id, status]) => [id, { status }])) } });
const ev = (eventType: string, at: number, extra: Record<string, unknown> = {}) => ({ eventType, timestamp: iso(at), ...extra });

describe('PQL.md examples', () => {
  test('1 field = field', () => {
    const q = 'homeAddress.stateProvince = workAddress.stateProvince';
    expect(evalPql(q, { homeAddress: { stateProvince: 'CA' }, workAddress: { stateProvince: 'CA' } })).toBe(true);
    expect(evalPql(q, { homeAddress: { stateProvince: 'CA' }, workAddress: { stateProvince: 'NY' } })).toBe(false);
    expect(evalPql(q, { homeAddress: { stateProvince: 'CA' } })).toBe(false);
  });

  test('2 lambda head', () => {
    const q = '(Profile) => Profile.homeAddress.stateProvince = Profile.workAddress.stateProvince';
    expect(evalPql(q, { homeAddress: { stateProvince: 'CA' }, workAddress: { stateProvince: 'CA' } })).toBe(true);
    expect(evalPql(q, { homeAddress: { stateProvince: 'CA' }, workAddress: { stateProvince: 'TX' } })).toBe(false);
  });

  test('3 occurs <= 3 days before now', () => {
    const q = 'X.timestamp occurs <= 3 days before now';
    expect(evalPql(q, { X: { timestamp: iso(NOW - 2 * DAY) } })).toBe(true);
    expect(evalPql(q, { X: { timestamp: iso(NOW - 3 * DAY) } })).toBe(true);
    expect(evalPql(q, { X: { timestamp: iso(NOW - 3 * DAY - 1) } })).toBe(false);
    expect(evalPql(q, { X: { timestamp: iso(NOW + HOUR) } })).toBe(false);
    expect(evalPql(q, {})).toBe(false);
  });

  test('4 occurs last month', () => {
    const q = 'X.timestamp occurs last month';
    expect(evalPql(q, { X: { timestamp: '2024-05-20T10:00:00Z' } })).toBe(true);
    expect(evalPql(q, { X: { timestamp: '2024-05-01T00:00:00Z' } })).toBe(true);
    expect(evalPql(q, { X: { timestamp: '2024-06-01T00:00:00Z' } })).toBe(false);
    expect(evalPql(q, { X: { timestamp: '2024-04-30T23:59:59Z' } })).toBe(false);
  });

  test('5 != (missing is false)', () => {
    const q = 'homeAddress.countryISO != "CA"';
    expect(evalPql(q, { homeAddress: { countryISO: 'US' } })).toBe(true);
    expect(evalPql(q, { homeAddress: { countryISO: 'CA' } })).toBe(false);
    expect(evalPql(q, {})).toBe(false);
    expect(evalPql(q, { homeAddress: { countryISO: 5 } })).toBe(false);
  });

  test('6 and', () => {
    const q = 'homeAddress.countryISO = "CA" and person.birthYear = 1985';
    expect(evalPql(q, { homeAddress: { countryISO: 'CA' }, person: { birthYear: 1985 } })).toBe(true);
    expect(evalPql(q, { homeAddress: { countryISO: 'CA' }, person: { birthYear: 1986 } })).toBe(false);
    expect(evalPql(q, { homeAddress: { countryISO: 'CA' }, person: { birthYear: '1985' } })).toBe(false);
  });

  test('7 not', () => {
    const q = 'not (homeAddress.countryISO = "CA")';
    expect(evalPql(q, { homeAddress: { countryISO: 'CA' } })).toBe(false);
    expect(evalPql(q, { homeAddress: { countryISO: 'US' } })).toBe(true);
    expect(evalPql(q, {})).toBe(true);
  });

  test('8 if: a number is refused as a definition, usable inside a comparison', () => {
    expect(refusal('if (homeAddress.countryISO = "CA", 1, 2)')).toBe('invalid: a segment definition must be a condition, but this expression is a number at 1:1');
    const q = 'if (homeAddress.countryISO = "CA", 1, 2) = 1';
    expect(evalPql(q, { homeAddress: { countryISO: 'CA' } })).toBe(true);
    expect(evalPql(q, { homeAddress: { countryISO: 'US' } })).toBe(false);
    expect(evalPql(q, {})).toBe(false);
  });

  test('9 in', () => {
    const q = 'person.birthMonth in [3, 6, 9]';
    expect(evalPql(q, { person: { birthMonth: 6 } })).toBe(true);
    expect(evalPql(q, { person: { birthMonth: 7 } })).toBe(false);
    expect(evalPql(q, { person: { birthMonth: '6' } })).toBe(false);
    expect(evalPql(q, {})).toBe(false);
  });

  test('10 notIn differs from not(in) on missing values', () => {
    const q = 'person.birthMonth notIn [3, 6, 9]';
    expect(evalPql(q, { person: { birthMonth: 7 } })).toBe(true);
    expect(evalPql(q, { person: { birthMonth: 3 } })).toBe(false);
    expect(evalPql(q, {})).toBe(false);
    expect(evalPql('not (person.birthMonth in [3, 6, 9])', {})).toBe(true);
  });

  test('11 intersects', () => {
    const q = 'person.favoriteColors.intersects(["red", "blue", "green"])';
    expect(evalPql(q, { person: { favoriteColors: ['yellow', 'blue'] } })).toBe(true);
    expect(evalPql(q, { person: { favoriteColors: ['yellow'] } })).toBe(false);
    expect(evalPql(q, { person: { favoriteColors: [] } })).toBe(false);
    expect(evalPql(q, { person: { favoriteColors: 'red' } })).toBe(false);
  });

  test('12 includes', () => {
    const q = 'person.favoriteColors.includes("red")';
    expect(evalPql(q, { person: { favoriteColors: ['red'] } })).toBe(true);
    expect(evalPql(q, { person: { favoriteColors: ['Red'] } })).toBe(false);
    expect(evalPql(q, {})).toBe(false);
  });

  test('13 projection, distinct, count', () => {
    const q = 'person.orders.storeId.distinct().count() > 1';
    expect(evalPql(q, { person: { orders: [{ storeId: 1 }, { storeId: 2 }, { storeId: 1 }] } })).toBe(true);
    expect(evalPql(q, { person: { orders: [{ storeId: 1 }, { storeId: 1 }] } })).toBe(false);
    expect(evalPql(q, { person: { orders: [] } })).toBe(false);
    expect(evalPql(q, {})).toBe(false);
  });

  test('14 like', () => {
    const q = 'city like "%es%"';
    expect(evalPql(q, { city: 'Los Angeles' })).toBe(true);
    expect(evalPql(q, { city: 'es' })).toBe(true);
    expect(evalPql(q, { city: 'Boston' })).toBe(false);
    expect(evalPql(q, { city: 'ES' })).toBe(false);
    expect(evalPql('city like "B_s%"', { city: 'Boston' })).toBe(true);
  });

  test('15 endsWith', () => {
    const q = 'person.emailAddress.endsWith(".com")';
    expect(evalPql(q, { person: { emailAddress: 'a@b.com' } })).toBe(true);
    expect(evalPql(q, { person: { emailAddress: 'a@b.COM' } })).toBe(false);
    expect(evalPql('person.emailAddress.endsWith(".com", false)', { person: { emailAddress: 'a@b.COM' } })).toBe(true);
  });

  test('16 matches with (?i)', () => {
    const q = 'person.name.matches("(?i)^John")';
    expect(evalPql(q, { person: { name: 'john smith' } })).toBe(true);
    expect(evalPql(q, { person: { name: 'Bob John' } })).toBe(false);
    expect(evalPql(q, {})).toBe(false);
  });

  test('17 isNotNull', () => {
    const q = 'person.homeAddress.isNotNull()';
    expect(evalPql(q, { person: { homeAddress: { city: 'x' } } })).toBe(true);
    expect(evalPql(q, { person: { homeAddress: null } })).toBe(false);
    expect(evalPql(q, { person: {} })).toBe(false);
  });

  test('18 map get (a non-empty array is a condition that holds)', () => {
    const q = 'identityMap.get("example@example.com")';
    expect(evalPql(q, { identityMap: { 'example@example.com': [{ id: '1' }] } })).toBe(true);
    expect(evalPql(q, { identityMap: { 'example@example.com': [] } })).toBe(false);
    expect(evalPql(q, { identityMap: {} })).toBe(false);
  });

  test('19 remainder', () => {
    const q = 'person.age % 5 = 0';
    expect(evalPql(q, { person: { age: 25 } })).toBe(true);
    expect(evalPql(q, { person: { age: 26 } })).toBe(false);
    expect(evalPql(q, {})).toBe(false);
  });

  test('20 currentMonth', () => {
    const q = 'person.birthMonth = currentMonth()';
    expect(evalPql(q, { person: { birthMonth: 6 } })).toBe(true);
    expect(evalPql(q, { person: { birthMonth: 5 } })).toBe(false);
  });

  test('21 getYear in', () => {
    const q = 'person.birthday.getYear() in [1991, 1992, 1993, 1994, 1995]';
    expect(evalPql(q, { person: { birthday: '1993-04-02' } })).toBe(true);
    expect(evalPql(q, { person: { birthday: '1995-12-31T23:30:00Z' } })).toBe(true);
    expect(evalPql(q, { person: { birthday: '1990-01-01' } })).toBe(false);
    expect(evalPql(q, { person: { birthday: 'not a date' } })).toBe(false);
  });

  test('22 occurs last week (weeks start on Monday)', () => {
    const q = 'product.saleDate occurs last week';
    expect(evalPql(q, { product: { saleDate: '2024-06-03T00:00:00Z' } })).toBe(true);
    expect(evalPql(q, { product: { saleDate: '2024-06-09T23:59:59Z' } })).toBe(true);
    expect(evalPql(q, { product: { saleDate: '2024-06-10T00:00:00Z' } })).toBe(false);
    expect(evalPql(q, { product: { saleDate: '2024-06-02T23:59:59Z' } })).toBe(false);
  });

  test('23 occurs between dates (both days included)', () => {
    const q = 'product.saleDate occurs between date(2015, 1, 8) and date(2017, 7, 1)';
    expect(evalPql(q, { product: { saleDate: '2015-01-08T00:00:00Z' } })).toBe(true);
    expect(evalPql(q, { product: { saleDate: '2017-07-01T23:00:00Z' } })).toBe(true);
    expect(evalPql(q, { product: { saleDate: '2015-01-07T23:59:59Z' } })).toBe(false);
    expect(evalPql(q, { product: { saleDate: '2017-07-02T00:00:00Z' } })).toBe(false);
  });

  test('24 occurs = 3 days before today: that calendar day', () => {
    const q = 'person.birthday occurs = 3 days before today';
    expect(evalPql(q, { person: { birthday: '2024-06-12T08:00:00Z' } })).toBe(true);
    expect(evalPql(q, { person: { birthday: '2024-06-12' } })).toBe(true);
    expect(evalPql(q, { person: { birthday: '2024-06-13T00:00:00Z' } })).toBe(false);
    expect(evalPql(q, { person: { birthday: '2024-06-11T23:59:59Z' } })).toBe(false);
  });

  test('25 nested filter as a condition', () => {
    const q = 'xEvent[productListItems[SKU="PS"]]';
    expect(evalPql(q, {}, [{ productListItems: [{ SKU: 'X' }] }, { productListItems: [{ SKU: 'PS' }] }])).toBe(true);
    expect(evalPql(q, {}, [{ productListItems: [{ SKU: 'X' }] }])).toBe(false);
    expect(evalPql(q, {}, [])).toBe(false);
  });

  test('26 ^^ climbs to the profile', () => {
    const q = 'xEvent[productListItems[SKU="PS" or ^^.person.gender="female"]]';
    const events = [{ productListItems: [{ SKU: 'X' }] }];
    expect(evalPql(q, { person: { gender: 'female' } }, events)).toBe(true);
    expect(evalPql(q, { person: { gender: 'male' } }, events)).toBe(false);
    expect(evalPql(q, { person: { gender: 'male' } }, [{ productListItems: [{ SKU: 'PS' }] }])).toBe(true);
  });

  test('27 exists with two bindings', () => {
    const q = 'exists E from xEvent where (E.commerce.item.price > 50), I from E.productListItems where I.SKU = "PS"';
    expect(evalPql(q, {}, [{ commerce: { item: { price: 60 } }, productListItems: [{ SKU: 'PS' }] }])).toBe(true);
    expect(evalPql(q, {}, [{ commerce: { item: { price: 40 } }, productListItems: [{ SKU: 'PS' }] }])).toBe(false);
    expect(
      evalPql(q, {}, [
        { commerce: { item: { price: 60 } }, productListItems: [{ SKU: 'X' }] },
        { commerce: { item: { price: 10 } }, productListItems: [{ SKU: 'PS' }] },
      ]),
    ).toBe(false);
  });

  test('28 let with sum over', () => {
    const q = 'let S = (sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD") in (S > 100 and S < 1000)';
    const order = (priceTotal: number, currencyCode: string) => ({ commerce: { order: { priceTotal, currencyCode } } });
    expect(evalPql(q, {}, [order(80, 'USD'), order(70, 'USD'), order(5000, 'EUR')])).toBe(true);
    expect(evalPql(q, {}, [order(80, 'USD')])).toBe(false);
    expect(evalPql(q, {}, [order(800, 'USD'), order(700, 'USD')])).toBe(false);
    expect(evalPql(q, {}, [])).toBe(false);
  });

  test('29 select as the whole definition', () => {
    const q = 'select var1 from xEvent where var1._experience.analytics.endUser.firstWeb.webPageDetails.isHomePage = true';
    const page = (isHomePage: unknown) => ({ _experience: { analytics: { endUser: { firstWeb: { webPageDetails: { isHomePage } } } } } });
    expect(evalPql(q, {}, [page(false), page(true)])).toBe(true);
    expect(evalPql(q, {}, [page('true')])).toBe(false);
    expect(evalPql(q, {}, [])).toBe(false);
  });

  test('30 CHAIN WHEN(today), case-insensitive equals', () => {
    const q = 'CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(today)])';
    expect(evalPql(q, {}, [ev('Commerce.Checkouts', NOW - HOUR)])).toBe(true);
    expect(evalPql(q, {}, [ev('commerce.checkouts', NOW - 13 * HOUR)])).toBe(false);
    expect(evalPql(q, {}, [ev('commerce.productViews', NOW - HOUR)])).toBe(false);
  });

  test('31 two-step chain in time order', () => {
    const q =
      'workAddress.country.equals("US", false) and CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("directMarketing.emailClicked", false)) WHEN(today), C1: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(today)])';
    const p = { workAddress: { country: 'us' } };
    const click = ev('directMarketing.emailClicked', NOW - 3 * HOUR);
    const buy = ev('commerce.checkouts', NOW - HOUR);
    expect(evalPql(q, p, [buy, click])).toBe(true); // ingest order does not matter, timestamps do
    expect(evalPql(q, p, [ev('commerce.checkouts', NOW - 5 * HOUR), click])).toBe(false);
    expect(evalPql(q, { workAddress: { country: 'CA' } }, [click, buy])).toBe(false);
    expect(evalPql(q, p, [click, ev('commerce.checkouts', NOW - 3 * HOUR)])).toBe(false); // strict order
  });

  test('32 inSegment and a 24-hour window', () => {
    const id = 'e3be6d7f-1727-401f-a41e-c296b45f607a';
    const q = `inSegment("${id}") and CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(<= 24 hours before now)])`;
    const buy = [ev('commerce.checkouts', NOW - 23 * HOUR)];
    expect(evalPql(q, seg([id, 'realized']), buy)).toBe(true);
    expect(evalPql(q, seg([id, 'existing']), buy)).toBe(true);
    expect(evalPql(q, seg([id, 'exited']), buy)).toBe(false);
    expect(evalPql(q, seg([id, 'realized']), [ev('commerce.checkouts', NOW - 25 * HOUR)])).toBe(false);
  });

  test('33 two inSegment', () => {
    const [a, b] = ['a730ed3f-119c-415b-a4ac-27c396ae2dff', '8fbbe169-2da6-4c9d-a332-b6a6ecf559b9'];
    const q = `inSegment("${a}") and inSegment("${b}")`;
    expect(evalPql(q, seg([a, 'realized'], [b, 'existing']))).toBe(true);
    expect(evalPql(q, seg([a, 'realized']))).toBe(false);
    expect(evalPql(q, {})).toBe(false);
  });

  test('34 COUNT(5) means at least five in the window', () => {
    const q = 'chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(< 24 hours before now) COUNT(5) ] )';
    const views = (n: number, ago: number) => Array.from({ length: n }, (_, i) => ev('homePageView', NOW - ago - i * 1000));
    expect(evalPql(q, {}, views(5, HOUR))).toBe(true);
    expect(evalPql(q, {}, views(6, HOUR))).toBe(true);
    expect(evalPql(q, {}, views(4, HOUR))).toBe(false);
    expect(evalPql(q, {}, [...views(4, HOUR), ...views(3, 30 * HOUR)])).toBe(false);
  });

  test('35 not(chain)', () => {
    const q = 'homeAddress.countryCode = "US" and not(chain(xEvent, timestamp, [X: WHAT(eventType = "addToCart") WHEN(< 24 hours before now)]))';
    const us = { homeAddress: { countryCode: 'US' } };
    expect(evalPql(q, us, [])).toBe(true);
    expect(evalPql(q, us, [ev('addToCart', NOW - 48 * HOUR)])).toBe(true);
    expect(evalPql(q, us, [ev('addToCart', NOW - HOUR)])).toBe(false);
    expect(evalPql(q, { homeAddress: { countryCode: 'CA' } }, [])).toBe(false);
  });

  test('36 WHERE in a chain step is refused', () => {
    expect(refusal('chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHERE(externalSegmentMapProperty.values().exists(stringProperty="active"))])')).toBe(
      "unsupported: unsupported construct 'WHERE' at 1:60",
    );
  });

  test('37 filter count (a number: compared to be a condition)', () => {
    const raw = 'xEvent[(timestamp occurs < 7 days before now) and eventType="download" and contentType = "image"].count()';
    expect(refusal(raw)).toMatch(/^invalid: a segment definition must be a condition, but this expression is a number at 1:/);
    const q = `${raw} >= 2`;
    const dl = (ago: number, contentType = 'image') => ({ ...ev('download', NOW - ago), contentType });
    expect(evalPql(q, {}, [dl(DAY), dl(2 * DAY), dl(8 * DAY)])).toBe(true);
    expect(evalPql(q, {}, [dl(DAY), dl(8 * DAY)])).toBe(false);
    expect(evalPql(q, {}, [dl(DAY), dl(DAY, 'video')])).toBe(false);
    expect(evalPql(`${raw} = 0`, {}, [])).toBe(true);
  });

  test('38 filter sum (null over no events)', () => {
    const raw = 'xEvent[(timestamp occurs < 7 days before now) and eventType="transaction" and category = "sporting goods"].sum(commerce.order.priceTotal)';
    const tx = (ago: number, priceTotal: unknown) => ({ ...ev('transaction', NOW - ago), category: 'sporting goods', commerce: { order: { priceTotal } } });
    expect(evalPql(`${raw} > 100`, {}, [tx(DAY, 60), tx(2 * DAY, 50)])).toBe(true);
    expect(evalPql(`${raw} > 100`, {}, [tx(DAY, 60), tx(9 * DAY, 50)])).toBe(false);
    expect(evalPql(`${raw} > 100`, {}, [tx(DAY, '600')])).toBe(false);
    expect(evalPql(`${raw} <= 0`, {}, [])).toBe(false);
    expect(evalPql(`${raw}.isNull()`, {}, [])).toBe(true);
  });

  test('39 chain < 7 days before now', () => {
    const q = 'chain(xEvent, timestamp, [A: WHAT(eventType = "transaction") WHEN(< 7 days before now)])';
    expect(evalPql(q, {}, [ev('transaction', NOW - 6 * DAY)])).toBe(true);
    expect(evalPql(q, {}, [ev('transaction', NOW - 7 * DAY)])).toBe(false);
    expect(evalPql(q, {}, [ev('transaction', NOW + HOUR)])).toBe(false);
    expect(evalPql(q, {}, [{ eventType: 'transaction' }])).toBe(false);
  });

  test('40, 41 decisioning formulas (offer.*) are refused', () => {
    expect(
      refusal(
        'if( segmentMembership.get("ups").get(offer.characteristics.get("prioritySegmentId")).status in (["realized","existing"]), offer.rank.priority + 10, offer.rank.priority)',
      ),
    ).toBe("unsupported: unsupported construct 'offer.*' at 1:38");
    expect(
      refusal(
        'let score = (select _Individual_Scoring1 from _salesvelocity.individualScoring where _Individual_Scoring1.core.category.equals(offer.characteristics.get("propensityType"), false)).head().core.propensityScore in if(score.isNotNull(), score, offer.rank.priority)',
      ),
    ).toMatch(/^unsupported: unsupported construct 'offer\.\*' at 1:\d+$/);
  });

  test('42 .exists(cond) on an array is refused', () => {
    expect(refusal('person.gender in ["male"] and CHAIN(xEvent, timestamp, [C0: WHAT(productListItems.exists(name.equals("MONTANA WIND JACKET", false)))])')).toBe(
      "unsupported: unsupported construct 'exists' at 1:83",
    );
  });
});
