/** Per construct: lexing, syntax errors, refusals, checks, and the decided semantics of PQL.md 2.2. */
import { PqlError } from './api';
import { compile, parseDefinition } from './index';
import { CLOCK, DAY, evalPql, HOUR, iso, NOW, refusal } from './test-support';

describe('lexer and parser', () => {
  test('keywords are case-insensitive, paths case-sensitive', () => {
    expect(evalPql('a = 1 AND NOT (b = 2) Or c = 3', { a: 1, b: 3 })).toBe(true);
    expect(evalPql('Country = "US"', { country: 'US' })).toBe(false);
    expect(evalPql('TRUE', {})).toBe(true);
  });
  test('strings: double and single quotes, escapes', () => {
    expect(evalPql("homeAddress.countryISO = 'US'", { homeAddress: { countryISO: 'US' } })).toBe(true);
    expect(evalPql('s = "a\\"b\\\\c\\n"', { s: 'a"b\\c\n' })).toBe(true);
    expect(evalPql("s = 'it\\'s'", { s: "it's" })).toBe(true);
    expect(evalPql('s = "\\u00e9"', { s: 'é' })).toBe(true);
  });
  test('numbers: negative ints and doubles', () => {
    expect(evalPql('n = -201', { n: -201 })).toBe(true);
    expect(evalPql('n > -51.24 and n < 3.14', { n: 0 })).toBe(true);
    expect(evalPql('-n = 5', { n: -5 })).toBe(true);
  });
  test('arrays may be parenthesised', () => {
    expect(evalPql('s in (["realized","existing"])', { s: 'existing' })).toBe(true);
  });
  test('precedence: and binds tighter than or, arithmetic before comparison', () => {
    expect(evalPql('a = 1 or a = 2 and b = 3', { a: 1, b: 0 })).toBe(true);
    expect(evalPql('a + 2 * 3 = 7', { a: 1 })).toBe(true);
    expect(evalPql('(a + 2) * 3 = 9', { a: 1 })).toBe(true);
  });
  test.each([
    ['a = ', 'syntax: expected an expression but found end of input at 1:5'],
    ['a = (1', "syntax: expected ')' but found end of input at 1:7"],
    ['a = 1 b', "syntax: unexpected 'b' at 1:7"],
    ['a = "x', 'syntax: unterminated string at 1:5'],
    ['a = "\\q"', "syntax: unknown escape '\\q' in string at 1:6"],
    ['a = 1\n  and = 2', "syntax: expected an expression but found '=' at 2:7"],
    ['a = 1 = 2', "syntax: unexpected '=' at 1:7"],
    ['a # 1', "syntax: unexpected character '#' at 1:3"],
    ['a = 12abc', "syntax: malformed number '12a' at 1:5"],
    ['x occurs < 3 parsecs before now', "syntax: expected a time unit but found 'parsecs' at 1:14"],
  ])('syntax error: %s', (q, msg) => expect(refusal(q)).toBe(msg));
});

describe('refused constructs', () => {
  test.each([
    ['`a b` = 1', "unsupported: unsupported construct 'backtick identifier' at 1:1"],
    ['a = 1 // note', "unsupported: unsupported construct 'comment' at 1:7"],
    ['a = 1 /* note */', "unsupported: unsupported construct 'comment' at 1:7"],
    ['@event{x} = 1', "unsupported: unsupported construct '@event' at 1:1"],
    ['offer.rank.priority > 1', "unsupported: unsupported construct 'offer.*' at 1:1"],
    ['s.regexGroup("a(b)", 1) = "b"', "unsupported: unsupported construct 'regexGroup' at 1:3"],
    ['a.map((K, G) => K).count() > 0', "unsupported: unsupported construct 'lambda argument' at 1:7"],
    ['a.subsetOf([1]) ', "unsupported: unsupported construct 'subsetOf' at 1:3"],
    ['xEvent.head().a = 1', "unsupported: unsupported construct 'head' at 1:8"],
    ['s.matches("a++")', "unsupported: unsupported construct 'regular expression feature: possessive quantifiers' at 1:11"],
    ['s.matches("\\\\p{Lu}")', "unsupported: unsupported construct 'regular expression feature: Unicode classes \\p{...}' at 1:11"],
    ['chain(a, timestamp, [A: WHAT(x = 1)])', "unsupported: unsupported construct 'chain over an array other than xEvent' at 1:7"],
    ['(P, Q) => P.a = Q.a', "unsupported: unsupported construct 'lambda with several parameters' at 1:5"],
  ])('%s', (q, msg) => expect(refusal(q)).toBe(msg));

  test.each([
    ['xEvent.any(eventType = "x")', "invalid: unknown method 'any' at 1:8"],
    ['xEvent.all(eventType = "x")', "invalid: unknown method 'all' at 1:8"],
    ['count(xEvent) > 1', "invalid: unknown function 'count' at 1:1"],
    ['date(2020, 1) = x', 'invalid: date() needs three integer literals (year, month, day) at 1:1'],
    ['x = date(2020, 1, "3")', 'invalid: date() needs three integer literals (year, month, day) at 1:5'],
    ['x = date(2021, 2, 29)', 'invalid: date(2021, 2, 29) is not a calendar date at 1:5'],
    ['inSegment(x)', 'invalid: inSegment() needs a string literal segment id at 1:11'],
    ['s.equals("a", "no")', 'invalid: the case-sensitivity flag of equals() must be true or false at 1:15'],
    ['s.equals()', 'invalid: equals() takes 1 or 2 arguments, got 0 at 1:3'],
    ['a.isNull(1)', 'invalid: isNull() takes 0 arguments, got 1 at 1:3'],
    ['s.matches(p)', 'invalid: matches() needs a string literal pattern at 1:11'],
    ['$2.a = 1', 'invalid: there is no positional input $2 (only $1, the profile) at 1:1'],
    ['^.a = 1', "invalid: '^' climbs above the outermost filter at 1:1"],
    ['"text"', 'invalid: a segment definition must be a condition, but this expression is a string at 1:1'],
    ['chain(xEvent, timestamp, [A: WHAT(x = 1) COUNT(-1)])', 'invalid: COUNT must be a non-negative integer at 1:48'],
    ['x occurs < -3 days before now', 'invalid: the number of units must be a non-negative integer at 1:12'],
  ])('%s', (q, msg) => expect(refusal(q)).toBe(msg));

  test('errors are PqlErrors with kind, line and column', () => {
    try {
      parseDefinition('pql/text', 'a = 1 and\n  forall_ ( ');
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(PqlError);
      expect(err).toMatchObject({ kind: 'syntax', line: 2, column: 13 });
    }
  });
});

describe('segmentRefs and usesEvents', () => {
  test('collects inSegment and segmentMembership.get("ups").get(id), deduplicated in order', () => {
    const def = parseDefinition(
      'pql/text',
      'inSegment("b") and segmentMembership.get("ups").get("a").status = "realized" or inSegment("b") or segmentMembership.get("other").get("c").status = "x"',
    );
    expect(def.segmentRefs).toEqual(['b', 'a']);
    expect(def.usesEvents).toBe(false);
  });
  test('usesEvents when xEvent is read', () => {
    expect(parseDefinition('pql/text', 'xEvent[eventType = "a"].count() > 0').usesEvents).toBe(true);
    expect(parseDefinition('pql/text', 'a = 1').usesEvents).toBe(false);
    expect(parseDefinition('pql/text', 'exists X from xEvent where X.a = 1').usesEvents).toBe(true);
  });
});

describe('two-valued nulls and type mismatches', () => {
  const cases: [string, Record<string, unknown>, boolean][] = [
    ['a = 1', { a: null }, false],
    ['a != 1', { a: null }, false],
    ['not (a = 1)', { a: null }, true],
    ['a < 1', { a: '0' }, false],
    ['a = true', { a: 'true' }, false],
    ['a = b', {}, false],
    ['a != b', { a: 1 }, false],
    ['a != b', { a: 1, b: 2 }, true],
    ['a notIn [1]', { a: null }, false],
    ['a notIn b', { a: 1 }, false],
    ['a in b', { a: 1, b: [1, 2] }, true],
    ['a like "%"', {}, false],
    ['a.contains("x")', {}, false],
    ['a.doesNotContain("x")', {}, false],
    ['a.doesNotContain("x")', { a: 'y' }, true],
    ['a.isNull()', {}, true],
    ['a.isNull()', { a: null }, true],
    ['a.isNull()', { a: 0 }, false],
    ['a + 1 > 0', {}, false],
    ['a / 0 = 1', { a: 1 }, false],
    ['(a / 0).isNull()', { a: 1 }, true],
    ['a.toString = 1', { a: {} }, false],
    ['a.constructor.isNull()', { a: {} }, true],
    ['a = "US"', { a: ['US'] }, false],
    ['b.includes(1)', { b: 1 }, false],
  ];
  test.each(cases)('%s on %j is %s', (q, p, want) => expect(evalPql(q, p)).toBe(want));
});

describe('string methods and case flags', () => {
  const cases: [string, string, boolean][] = [
    ['s.equals("Abc")', 'Abc', true],
    ['s.equals("abc")', 'Abc', false],
    ['s.equals("abc", false)', 'Abc', true],
    ['s.equals("abc", true)', 'Abc', false],
    ['s.notEqualTo("abc", false)', 'Abc', false],
    ['s.notEqualTo("abc")', 'Abc', true],
    ['s.contains("BC", false)', 'Abc', true],
    ['s.doesNotContain("BC", false)', 'Abc', false],
    ['s.startsWith("ab", false)', 'Abc', true],
    ['s.doesNotStartWith("ab")', 'Abc', true],
    ['s.endsWith("")', 'Abc', true],
    ['s.doesNotEndWith("C", false)', 'Abc', false],
    ['s like "a%"', 'Abc', false],
    ['s like "A\\\\%"', 'A%', true],
    ['s like "A\\\\%"', 'Ab', false],
    ['s.matches("b.$")', 'Abc', true],
    ['s.matches("^b")', 'Abc', false],
    ['s = "abc"', 'Abc', false],
    ['s.equals(t, false)', 'Abc', true],
  ];
  test.each(cases)('%s on %j is %s', (q, s, want) => expect(evalPql(q, { s, t: 'aBC' })).toBe(want));
});

describe('arrays', () => {
  test('projection through arrays of objects', () => {
    expect(evalPql('orders.storeId.includes(2)', { orders: [{ storeId: 1 }, { storeId: 2 }] })).toBe(true);
    expect(evalPql('orders.items.sku.count() = 3', { orders: [{ items: [{ sku: 'a' }, { sku: 'b' }] }, { items: [{ sku: 'c' }] }] })).toBe(true);
  });
  test('count on missing is 0, sum/min/max/average of nothing is null', () => {
    expect(evalPql('a.count() = 0', {})).toBe(true);
    expect(evalPql('a.count() = 0', { a: [] })).toBe(true);
    expect(evalPql('a.sum(v).isNull()', { a: [] })).toBe(true);
    expect(evalPql('a.min(v) = 1 and a.max(v) = 3 and a.average(v) = 2 and a.sum(v) = 6', { a: [{ v: 1 }, { v: 3 }, { v: 2 }, { v: 'x' }] })).toBe(true);
  });
  test('filter then aggregate, and filters read fields of the element', () => {
    const p = {
      a: [
        { k: 'x', v: 1 },
        { k: 'y', v: 10 },
        { k: 'x', v: 5 },
      ],
    };
    expect(evalPql('a[k = "x"].sum(v) = 6', p)).toBe(true);
    expect(evalPql('a[k = "z"].count() = 0', p)).toBe(true);
    expect(evalPql('a[v > ^.limit].count() = 1', { ...p, limit: 5 })).toBe(true);
  });
  test('forall is vacuously true, exists false, on empty arrays', () => {
    expect(evalPql('forall X from xEvent where X.a = 1', {}, [])).toBe(true);
    expect(evalPql('forall X from xEvent where X.a = 1', {}, [{ a: 1 }, { a: 2 }])).toBe(false);
    expect(evalPql('forall X from xEvent where X.a > 0', {}, [{ a: 1 }, { a: 2 }])).toBe(true);
    expect(evalPql('exists X from xEvent : X.a = 1', {}, [])).toBe(false);
  });
  test('aggregate words over', () => {
    const events = [{ v: 1 }, { v: 4 }, { w: 2 }];
    expect(evalPql('(count X.v over X from xEvent) = 2', {}, events)).toBe(true);
    expect(evalPql('(average X.v over X from xEvent) = 2.5', {}, events)).toBe(true);
    expect(evalPql('(max X.v over X from xEvent where X.v < 4) = 1', {}, events)).toBe(true);
    expect(evalPql('(min X.v over X from xEvent where X.v > 9).isNull()', {}, events)).toBe(true);
  });
});

describe('chained audiences', () => {
  const p = { segmentMembership: { ups: { a: { status: 'realized' }, b: { status: 'exited' } } } };
  test.each([
    ['inSegment("a")', true],
    ['inSegment("b")', false],
    ['inSegment("c")', false],
    ['segmentMembership.get("ups").get("a").status = "realized"', true],
    ['segmentMembership.get("ups").get("b").status in (["realized", "existing"])', false],
    ['segmentMembership.get("ups").get("b").status = "exited"', true],
  ])('%s', (q, want) => expect(evalPql(q, p)).toBe(want));
});

describe('time', () => {
  test.each([
    // [expression, timestamp, want]; now = 2024-06-15T12:00:00Z (a Saturday)
    ['t occurs today', '2024-06-15T00:00:00Z', true],
    ['t occurs on today', '2024-06-14T23:59:59.999Z', false],
    ['t occurs yesterday', '2024-06-14T10:00:00Z', true],
    ['t occurs tomorrow', '2024-06-16T10:00:00Z', true],
    ['t occurs before today', '2024-06-14T23:59:59Z', true],
    ['t occurs before today', '2024-06-15T00:00:00Z', false],
    ['t occurs after today', '2024-06-16T00:00:00Z', true],
    ['t occurs after today', '2024-06-15T23:00:00Z', false],
    ['t occurs from today', '2024-06-16T00:00:00Z', true],
    ['t occurs before now', '2024-06-15T11:59:59Z', true],
    ['t occurs after now', '2024-06-15T12:00:00Z', false],
    ['t occurs after now', '2024-06-15T12:00:00.001Z', true],
    ['t occurs on date(2024, 6, 1)', '2024-06-01T23:00:00Z', true],
    ['t occurs after date(2024, 6, 1)', '2024-06-01T23:00:00Z', false],
    ['t occurs this month', '2024-06-01T00:00:00Z', true],
    ['t occurs next month', '2024-07-31T00:00:00Z', true],
    ['t occurs this year', '2024-01-01T00:00:00Z', true],
    ['t occurs last year', '2024-01-01T00:00:00Z', false],
    ['t occurs this week', '2024-06-10T00:00:00Z', true],
    ['t occurs this week', '2024-06-16T23:59:59Z', true],
    ['t occurs this week', '2024-06-17T00:00:00Z', false],
    ['t occurs last day', '2024-06-14T05:00:00Z', true],
    ['t occurs this hour', '2024-06-15T12:30:00Z', true],
    ['t occurs this decade', '2020-01-01T00:00:00Z', true],
    ['t occurs this century', '1999-12-31T00:00:00Z', false],
    ['t occurs > 3 days before now', '2024-06-12T11:59:59Z', true],
    ['t occurs > 3 days before now', '2024-06-12T12:00:00Z', false],
    ['t occurs >= 3 days before now', '2024-06-12T12:00:00Z', true],
    ['t occurs < 1 month before today', '2024-05-15T00:00:01Z', true],
    ['t occurs < 1 month before today', '2024-05-15T00:00:00Z', false],
    ['t occurs = 1 day after today', '2024-06-16T12:00:00Z', true],
    ['t occurs <= 2 hours after now', '2024-06-15T14:00:00Z', true],
    ['t occurs <= 2 hours after now', '2024-06-15T14:00:00.002Z', false],
    ['t occurs != 3 days before today', '2024-06-12T08:00:00Z', false],
    ['t occurs != 3 days before today', '2024-06-11T08:00:00Z', true],
    ['t occurs before u', '2024-06-11T08:00:00Z', true],
    ['t occurs after u', '2024-06-13T08:00:00Z', true],
    ['t occurs between yesterday and today', '2024-06-14T00:00:00Z', true],
    ['t < date(2024, 6, 15)', '2024-06-14T23:00:00Z', true],
    ['t = date(2024, 6, 15)', '2024-06-15T23:00:00Z', true],
    ['t > date(2024, 6, 15)', '2024-06-15T23:00:00Z', false],
    ['t >= today', '2024-06-15T00:00:00Z', true],
    ['t occurs today', '2024-06-15T09:00:00+02:00', true],
    ['t occurs today', '2024-06-15', true],
    ['t occurs today', 'June 15', false],
    ['t.getMonth() = 6 and t.getDayOfMonth() = 15 and t.getYear() = 2024', '2024-06-15T09:00:00Z', true],
  ])('%s with t=%s is %s', (q, t, want) => expect(evalPql(q, { t, u: '2024-06-12T00:00:00Z' })).toBe(want));

  test('epoch numbers are not timestamps', () => {
    expect(evalPql('t occurs today', { t: NOW })).toBe(false);
  });

  test('calendar words follow the clock zone', () => {
    const tokyo = { nowMs: NOW, zone: 'Asia/Tokyo' }; // 2024-06-15 21:00 in Tokyo
    expect(evalPql('t occurs today', { t: '2024-06-15T15:30:00Z' }, [], tokyo)).toBe(false); // 00:30 on the 16th in Tokyo
    expect(evalPql('t occurs today', { t: '2024-06-14T15:30:00Z' }, [], tokyo)).toBe(true);
    expect(evalPql('t occurs today', { t: '2024-06-15T09:00:00' }, [], tokyo)).toBe(true); // no offset: Tokyo wall clock
    expect(evalPql('currentDayOfMonth() = 15', {}, [], { nowMs: Date.UTC(2024, 5, 15, 20), zone: 'Asia/Tokyo' })).toBe(false);
    expect(evalPql('t.getDayOfMonth() = 16', { t: '2024-06-15T15:30:00Z' }, [], tokyo)).toBe(true);
    const ny = { nowMs: Date.UTC(2024, 2, 10, 12), zone: 'America/New_York' }; // DST starts on 2024-03-10
    expect(evalPql('t occurs today', { t: '2024-03-10T04:59:00Z' }, [], ny)).toBe(false);
    expect(evalPql('t occurs today', { t: '2024-03-10T05:00:00Z' }, [], ny)).toBe(true);
    expect(evalPql('t occurs today', { t: '2024-03-11T03:59:00Z' }, [], ny)).toBe(true); // a 23-hour day
    expect(evalPql('t occurs today', { t: '2024-03-11T04:00:00Z' }, [], ny)).toBe(false);
  });

  test('an unknown zone is refused at compile time', () => {
    const def = parseDefinition('pql/text', 'a = 1');
    expect(() => compile(def, { nowMs: NOW, zone: 'Mars/Olympus' })).toThrow("unknown time zone 'Mars/Olympus' at 0:0");
  });
});

describe('chain', () => {
  const e = (eventType: string, ago: number) => ({ eventType, timestamp: iso(NOW - ago) });
  test('three steps in order, with counts', () => {
    const q = 'chain(xEvent, timestamp, [A: WHAT(eventType = "a") COUNT(2), B: WHAT(eventType = "b"), C: WHAT(eventType = "c") WHEN(today)])';
    expect(evalPql(q, {}, [e('a', 5 * HOUR), e('a', 4 * HOUR), e('b', 3 * HOUR), e('c', HOUR)])).toBe(true);
    expect(evalPql(q, {}, [e('a', 5 * HOUR), e('b', 3 * HOUR), e('a', 2 * HOUR), e('c', HOUR)])).toBe(false);
    expect(evalPql(q, {}, [e('a', 5 * HOUR), e('a', 4 * HOUR), e('b', 3 * HOUR), e('c', 20 * HOUR)])).toBe(false);
  });
  test('the timestamp field is the one named', () => {
    const q = 'chain(xEvent, meta.at, [A: WHAT(eventType = "a"), B: WHAT(eventType = "b")])';
    const ev = (eventType: string, at: string) => ({ eventType, timestamp: '2000-01-01T00:00:00Z', meta: { at } });
    expect(evalPql(q, {}, [ev('b', '2024-01-02T00:00:00Z'), ev('a', '2024-01-01T00:00:00Z')])).toBe(true);
    expect(evalPql(q, {}, [ev('a', '2024-01-02T00:00:00Z'), ev('b', '2024-01-01T00:00:00Z')])).toBe(false);
  });
  test('COUNT(0) always holds; events without a timestamp never match', () => {
    expect(evalPql('chain(xEvent, timestamp, [A: WHAT(eventType = "a") COUNT(0)])', {}, [])).toBe(true);
    expect(evalPql('chain(xEvent, timestamp, [A: WHAT(eventType = "a")])', {}, [{ eventType: 'a' }])).toBe(false);
  });
  test('the compiled chain does not keep a stale timestamp cache when an events array is reused', () => {
    const def = parseDefinition('pql/text', 'chain(xEvent, timestamp, [A: WHAT(eventType = "a") WHEN(today)])');
    const run = compile(def, CLOCK);
    const events: Record<string, unknown>[] = [e('a', HOUR)];
    expect(run({ profile: {}, events })).toBe(true);
    events[0] = e('a', 2 * DAY);
    expect(run({ profile: {}, events })).toBe(false);
  });
});

describe('tier 2', () => {
  test('let, if, nested let', () => {
    expect(evalPql('let x = a + 1 in x = 2', { a: 1 })).toBe(true);
    expect(evalPql('let x = (a) in let y = (x * 2) in y = 4 and x in [2]', { a: 2 })).toBe(true);
    expect(evalPql('if(a > 1, "big", "small") = "small"', { a: 1 })).toBe(true);
    expect(evalPql('if(a.isNull(), true, false)', {})).toBe(true);
  });
  test('$1 is the profile', () => {
    expect(evalPql('$1.a = 1', { a: 1 })).toBe(true);
  });
  test('the profile is never modified', () => {
    const p = Object.freeze({ a: Object.freeze([Object.freeze({ v: 2 }), Object.freeze({ v: 1 })]) });
    expect(evalPql('a.v.distinct().count() = 2 and a[v > 1].count() = 1', p)).toBe(true);
  });
});
