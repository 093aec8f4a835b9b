/**
 * Differential test: seeded random profiles, events and expression trees over every built
 * construct; the compiled evaluator must agree with the naive interpreter on each one.
 * Reproduce a failure with PQL_SEED=<seed> (printed with the expression on failure).
 */
import type { EvaluationClock } from './api';
import { compile, interpret, parseDefinition } from './index';

const BASE_SEED = Number(process.env.PQL_SEED ?? 20240615);
const CASES = Number(process.env.PQL_CASES ?? 800);

/** mulberry32: small, seeded, reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
}

const DAY = 86_400_000;
const WORDS = ['US', 'us', 'CA', 'Gold', 'gold', 'alpha', 'Alphabet', 'beta', '', 'a%b', 'x_y'];
const TYPES = ['view', 'buy', 'click'];
const ZONES = ['UTC', 'Asia/Tokyo', 'America/New_York'];

// ---- data ----
function timestamp(g: Gen, now: number): unknown {
  const ms = now + Math.round((g.r() - 0.7) * 40 * DAY);
  switch (g.int(11)) {
    case 8: // exactly n units before now: the edges of `occurs <cmp> n units before now`
      return new Date(now - g.int(10) * g.pick([DAY, 3_600_000, 60_000])).toISOString();
    case 9: // a UTC midnight near now: the edges of calendar days
      return new Date(Math.floor(now / DAY) * DAY + (g.int(9) - 6) * DAY).toISOString();
    case 10:
      return new Date(now).toISOString();
    case 0:
      return new Date(ms).toISOString().slice(0, 10);
    case 1:
      return 'not a date';
    case 2:
      return ms;
    case 3:
      return new Date(ms).toISOString().replace('Z', '+02:00');
    default:
      return new Date(ms).toISOString();
  }
}
function scalar(g: Gen): unknown {
  switch (g.int(7)) {
    case 0:
      return null;
    case 1:
      return g.pick(WORDS);
    case 2:
      return g.chance(0.5);
    case 3:
      return String(g.int(5));
    default:
      return g.int(7) - 2;
  }
}
function maybe<T>(g: Gen, v: () => T): T | undefined {
  return g.chance(0.85) ? v() : undefined;
}
function profile(g: Gen, now: number): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  const set = (k: string, v: unknown): void => {
    if (v !== undefined) p[k] = v;
  };
  set(
    'a',
    maybe(g, () => (g.chance(0.8) ? g.int(7) - 2 : scalar(g))),
  );
  set(
    'n',
    maybe(g, () => (g.chance(0.8) ? g.int(5) + g.pick([0, 0.5]) : scalar(g))),
  );
  set(
    's',
    maybe(g, () => (g.chance(0.8) ? g.pick(WORDS) : scalar(g))),
  );
  set(
    'flag',
    maybe(g, () => (g.chance(0.8) ? g.chance(0.5) : scalar(g))),
  );
  set(
    'tags',
    maybe(g, () => Array.from({ length: g.int(4) }, () => (g.chance(0.8) ? g.pick(WORDS) : scalar(g)))),
  );
  set(
    'obj',
    maybe(g, () => ({ x: scalar(g), y: g.pick(WORDS), t: timestamp(g, now) })),
  );
  set(
    't',
    maybe(g, () => timestamp(g, now)),
  );
  set(
    'orders',
    maybe(g, () => Array.from({ length: g.int(4) }, () => ({ storeId: g.int(3), v: g.chance(0.8) ? g.int(100) : scalar(g) }))),
  );
  set(
    'segmentMembership',
    maybe(g, () => ({ ups: { s1: { status: g.pick(['realized', 'existing', 'exited']) }, s2: { status: g.pick(['realized', 'exited']) } } })),
  );
  return p;
}
function events(g: Gen, now: number): Record<string, unknown>[] {
  return Array.from({ length: g.int(7) }, () => {
    const e: Record<string, unknown> = { eventType: g.chance(0.9) ? g.pick(TYPES) : scalar(g), timestamp: timestamp(g, now) };
    if (g.chance(0.8)) e.v = g.chance(0.85) ? g.int(50) : scalar(g);
    if (g.chance(0.6)) e.items = Array.from({ length: g.int(3) }, () => ({ sku: g.pick(['PS', 'X', 'ps']), price: g.int(80) }));
    return e;
  });
}

// ---- expressions (as PQL text, so the parser is exercised too) ----
type Scope = { kind: 'profile' } | { kind: 'event'; prefix: string; depth: number };
const lit = (g: Gen): string => g.pick([String(g.int(7) - 2), JSON.stringify(g.pick(WORDS)), String(g.chance(0.5)), `${g.int(4)}.5`]);
const timeRef = (g: Gen): string =>
  g.pick([
    'now',
    'today',
    'yesterday',
    'tomorrow',
    `this ${g.pick(['week', 'month', 'year', 'day', 'hour'])}`,
    `last ${g.pick(['week', 'month', 'day'])}`,
    `next month`,
    `date(2024, ${1 + g.int(12)}, ${1 + g.int(28)})`,
  ]);
const unit = (g: Gen): string => g.pick(['days', 'hours', 'weeks', 'months', 'day', 'minutes']);
function occursForm(g: Gen): string {
  switch (g.int(5)) {
    case 0:
      return `${g.pick(['on ', ''])}${timeRef(g)}`;
    case 1:
      return `${g.pick(['before', 'after', 'from'])} ${timeRef(g)}`;
    case 2:
      return `between ${timeRef(g)} and ${timeRef(g)}`;
    default:
      return `${g.pick(['<', '<=', '>', '>=', '=', '!='])} ${g.int(10)} ${unit(g)} ${g.pick(['before', 'after'])} ${g.pick(['now', 'today', 'yesterday', 'this month'])}`;
  }
}

class ExprGen {
  constructor(private readonly g: Gen) {}

  private field(sc: Scope, kind: 'num' | 'str' | 'any' | 'time' | 'array'): string {
    const g = this.g;
    if (sc.kind === 'profile') {
      const byKind = {
        num: ['a', 'n', 'obj.x', 'a'],
        str: ['s', 'obj.y', 's'],
        any: ['a', 's', 'flag', 'obj.x', 'missing.field'],
        time: ['t', 'obj.t'],
        array: ['tags', 'orders.storeId', 'orders.v'],
      };
      return g.pick(byKind[kind]);
    }
    const byKind = { num: ['v', 'items.price'], str: ['eventType'], any: ['v', 'eventType', 'nothing'], time: ['timestamp'], array: ['items.sku', 'items.price'] };
    const f = g.pick(byKind[kind]);
    return sc.prefix + (kind === 'num' && f === 'items.price' ? 'v' : f);
  }

  num(sc: Scope, d: number): string {
    const g = this.g;
    if (d <= 0) return g.chance(0.6) ? this.field(sc, 'num') : String(g.int(7) - 2);
    switch (g.int(9)) {
      case 0:
        return `(${this.num(sc, d - 1)} ${g.pick(['+', '-', '*', '/', '%'])} ${this.num(sc, d - 1)})`;
      case 1:
        return `${this.field(sc, 'array')}.count()`;
      case 2:
        return `${this.field(sc, 'time')}.${g.pick(['getYear', 'getMonth', 'getDayOfMonth'])}()`;
      case 3:
        return sc.kind === 'profile'
          ? `xEvent[${this.bool({ kind: 'event', prefix: '', depth: 1 }, d - 1)}].${g.pick(['count()', 'sum(v)', 'min(v)', 'max(v)', 'average(v)'])}`
          : this.field(sc, 'num');
      case 4:
        return `if(${this.bool(sc, d - 1)}, ${this.num(sc, d - 1)}, ${this.num(sc, d - 1)})`;
      case 5:
        return sc.kind === 'profile'
          ? `(${g.pick(['sum', 'count', 'average', 'min', 'max'])} X.v over X from xEvent where ${this.bool({ kind: 'event', prefix: 'X.', depth: 0 }, d - 1)})`
          : this.field(sc, 'num');
      case 6:
        return g.pick(['currentMonth()', 'currentYear()', 'currentDayOfMonth()']);
      case 7:
        return `${g.pick(['orders', 'xEvent'])}.${g.pick(['sum', 'max', 'min'])}(v)`;
      default:
        return `-${this.field(sc, 'num')}`;
    }
  }

  bool(sc: Scope, d: number): string {
    const g = this.g;
    const leaf = d <= 0 || g.chance(0.3);
    if (!leaf) {
      switch (g.int(sc.kind === 'profile' ? 12 : 4)) {
        case 0:
          return `(${this.bool(sc, d - 1)} and ${this.bool(sc, d - 1)})`;
        case 1:
          return `(${this.bool(sc, d - 1)} or ${this.bool(sc, d - 1)})`;
        case 2:
          return `${g.pick(['not', '!'])} (${this.bool(sc, d - 1)})`;
        case 3:
          return `if(${this.bool(sc, d - 1)}, ${this.bool(sc, d - 1)}, ${this.bool(sc, d - 1)})`;
        case 4:
          return `${g.pick(['exists', 'forall'])} X from xEvent where ${this.bool({ kind: 'event', prefix: 'X.', depth: 0 }, d - 1)}${g.chance(0.3) ? `, I from X.items where I.sku = ${JSON.stringify(g.pick(['PS', 'X']))}` : ''}`;
        case 5:
          return `(select X from xEvent where ${this.bool({ kind: 'event', prefix: 'X.', depth: 0 }, d - 1)})`;
        case 6:
          return `xEvent[${this.bool({ kind: 'event', prefix: '', depth: 1 }, d - 1)}]`;
        case 7:
          return this.chain(d);
        case 8:
          return `let L = (${this.num(sc, d - 1)}) in (L ${g.pick(['>', '=', '<='])} ${this.num(sc, d - 1)} or L.isNull())`;
        case 9:
          return `xEvent[items[sku = "PS" or ^^.${this.field({ kind: 'profile' }, 'str')} = ${JSON.stringify(g.pick(WORDS))}]]`;
        case 10:
          return `$1.${this.field({ kind: 'profile' }, 'any')} = ${lit(g)}`;
        default:
          return `${this.num(sc, d - 1)} ${g.pick(['=', '!=', '<', '<=', '>', '>='])} ${this.num(sc, d - 1)}`;
      }
    }
    return this.leaf(sc);
  }

  private chain(d: number): string {
    const g = this.g;
    const steps = Array.from({ length: 1 + g.int(3) }, (_, i) => {
      const when = g.chance(0.5) ? ` WHEN(${occursForm(g)})` : '';
      const count = g.chance(0.3) ? ` COUNT(${g.int(3)})` : '';
      return `S${i}: WHAT(${this.bool({ kind: 'event', prefix: '', depth: 1 }, Math.max(0, d - 2))})${when}${count}`;
    });
    return `${g.pick(['chain', 'CHAIN'])}(xEvent, timestamp, [${steps.join(', ')}])`;
  }

  private leaf(sc: Scope): string {
    const g = this.g;
    const cs = (): string => (g.chance(0.4) ? `, ${g.chance(0.5)}` : '');
    switch (g.int(16)) {
      case 0:
        return `${this.field(sc, 'any')} ${g.pick(['=', '!=', '<', '<=', '>', '>='])} ${lit(g)}`;
      case 1:
        return `${this.field(sc, 'any')} ${g.pick(['=', '!=', '<', '>='])} ${this.field(sc, 'any')}`;
      case 2:
        return `${this.field(sc, 'any')} ${g.pick(['in', 'notIn'])} [${Array.from({ length: 1 + g.int(3) }, () => lit(g)).join(', ')}]`;
      case 3:
        return `${this.field(sc, 'any')} ${g.pick(['in', 'notIn'])} ${this.field(sc, 'array')}`;
      case 4:
        return `${this.field(sc, 'str')} like ${JSON.stringify(g.pick(['%a%', 'A%', '_s', '%', 'a\\\\%b', 'x_y', 'G_ld']))}`;
      case 5:
        return `${this.field(sc, 'str')}.${g.pick(['equals', 'notEqualTo', 'contains', 'doesNotContain', 'startsWith', 'doesNotStartWith', 'endsWith', 'doesNotEndWith'])}(${JSON.stringify(g.pick(WORDS))}${cs()})`;
      case 6:
        return `${this.field(sc, 'any')}.${g.pick(['isNull', 'isNotNull'])}()`;
      case 7:
        return `${this.field(sc, 'array')}.includes(${lit(g)})`;
      case 8:
        return `${this.field(sc, 'array')}.intersects([${Array.from({ length: 1 + g.int(3) }, () => lit(g)).join(', ')}])`;
      case 9:
        return `${this.field(sc, 'time')} occurs ${occursForm(g)}`;
      case 10:
        return `inSegment(${JSON.stringify(g.pick(['s1', 's2', 's3']))})`;
      case 11:
        return `segmentMembership.get("ups").get(${JSON.stringify(g.pick(['s1', 's2']))}).status ${g.pick(['=', '!='])} "realized"`;
      case 12:
        return `${this.field(sc, 'str')}.matches(${JSON.stringify(g.pick(['(?i)^al', 'ph', '^$', 'a.*b', '[A-Z]']))})`;
      case 13:
        return `${this.field(sc, 'time')} ${g.pick(['<', '=', '>=', '>'])} ${timeRef(g)}`;
      case 14:
        return `${this.field(sc, 'array')}.distinct().count() ${g.pick(['>', '='])} ${g.int(3)}`;
      default:
        return `${this.num(sc, 1)} ${g.pick(['=', '!=', '<', '>'])} ${this.num(sc, 0)}`;
    }
  }
}

describe('differential: compiled evaluator vs reference interpreter', () => {
  test(`${CASES} seeded cases from seed ${BASE_SEED} agree`, () => {
    let trueCount = 0;
    for (let i = 0; i < CASES; i++) {
      const seed = BASE_SEED + i;
      const g = new Gen(rng(seed));
      const now = Date.UTC(2024, g.int(12), 1 + g.int(28), g.int(24), g.int(60));
      const clock: EvaluationClock = { nowMs: now, zone: g.pick(ZONES) };
      const body = new ExprGen(g).bool({ kind: 'profile' }, 1 + g.int(4));
      const text = g.chance(0.1) ? `(Q) => Q.a = 1 or ${body}` : body;
      let def;
      try {
        def = parseDefinition('pql/text', text);
      } catch (err) {
        throw new Error(`seed ${seed}: generated expression refused: ${(err as Error).message}\n${text}`, { cause: err });
      }
      const run = compile(def, clock);
      // Several profiles per expression: the compiled closures are reused across profiles.
      for (let k = 0; k < 4; k++) {
        const view = { profile: profile(g, now), events: events(g, now) };
        const got = run(view);
        const want = interpret(def, clock, view);
        if (got !== want) {
          throw new Error(`seed ${seed} (profile ${k}): compiled=${got} interpreted=${want}\nexpression: ${text}\nclock: ${JSON.stringify(clock)}\nview: ${JSON.stringify(view)}`);
        }
        if (got) trueCount++;
      }
    }
    // The generator must produce both answers in fair numbers, or the test proves little.
    expect(trueCount).toBeGreaterThan(CASES * 4 * 0.15);
    expect(trueCount).toBeLessThan(CASES * 4 * 0.85);
  });
});

describe('differential: occurs forms on the edges of their intervals', () => {
  test('every window form, unit and base agrees at bound-1, bound, bound+1 (UTC and New York)', () => {
    const now = Date.UTC(2024, 2, 10, 15, 30); // the day DST starts in New York
    let cases = 0;
    let trues = 0;
    for (const zone of ['UTC', 'America/New_York']) {
      const clock = { nowMs: now, zone };
      for (const op of ['<', '<=', '>', '>=', '=', '!=']) {
        for (const dir of ['before', 'after']) {
          for (const base of ['now', 'today', 'yesterday', 'this month', 'date(2024, 3, 1)']) {
            for (const [n, u] of [
              [0, 'days'],
              [1, 'day'],
              [3, 'days'],
              [2, 'hours'],
              [1, 'month'],
              [2, 'weeks'],
              [1, 'year'],
            ] as const) {
              const def = parseDefinition('pql/text', `t occurs ${op} ${n} ${u} ${dir} ${base}`);
              const run = compile(def, clock);
              const unitMs = { days: DAY, day: DAY, hours: 3_600_000, month: 31 * DAY, weeks: 7 * DAY, year: 366 * DAY }[u];
              const anchors = [now, Date.UTC(2024, 2, 10), Date.UTC(2024, 2, 9), Date.UTC(2024, 2, 1), Date.UTC(2024, 2, 11), Date.UTC(2024, 2, 10, 5), Date.UTC(2024, 2, 9, 15)];
              const edges = new Set<number>();
              for (const a of anchors) for (const k of [-n - 1, -n, -n + 1, 0, n - 1, n, n + 1]) for (const d of [-1, 0, 1]) edges.add(a + k * unitMs + d);
              for (const ts of edges) {
                const view = { profile: { t: new Date(ts).toISOString() }, events: [] };
                const got = run(view);
                if (got !== interpret(def, clock, view)) throw new Error(`${zone} t occurs ${op} ${n} ${u} ${dir} ${base} with t=${view.profile.t}: compiled=${got}`);
                cases++;
                if (got) trues++;
              }
            }
          }
        }
      }
    }
    expect(cases).toBeGreaterThan(10000);
    expect(trues).toBeGreaterThan(cases * 0.1);
  });
});
