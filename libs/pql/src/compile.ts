/**
 * The evaluator: the tree turned ONCE into closures. Field paths, literal sets, regexes and every
 * calendar interval (from the run's one `now`) are fixed here; per profile only the closures run.
 * The closures share mutable frames (`ctx`, `slots`): an evaluator is synchronous and not re-entrant.
 */
import type { EvaluationClock, Evaluator, ProfileView } from './api';
import type { Binding, Expr, NodeOf, OccursForm, TimeRef } from './ast';
import { compileChain } from './compile-chain';
import { arith, arrayHas, compare, getKey, isScalar, likeRegex, pathGetter, TimeVal, truthy } from './ops';
import { occursTest, type TsTest } from './occurs';
import { translateJavaRegex } from './regex';
import { assertZone, calendarDate, calendarUnit, calendarWord, datePart, instant, parseTimestamp, toWall, type Interval } from './time';

type V = () => unknown;
type B = () => boolean;

interface Scope {
  readonly vars: ReadonlyMap<string, number>;
  readonly depth: number;
}

export interface Frames {
  /** ctx[0]: the profile; ctx[k]: the element at filter level k. */
  readonly ctx: unknown[];
  readonly slots: unknown[];
  events: readonly unknown[];
}

export function compileTree(root: Expr, clock: EvaluationClock): Evaluator {
  assertZone(clock.zone);
  const c = new Compiler(clock);
  const test = c.bool(root, { vars: new Map(), depth: 0 });
  const f = c.frames;
  return (view: ProfileView) => {
    f.ctx[0] = view.profile;
    f.events = view.events;
    return test();
  };
}

export class Compiler {
  readonly frames: Frames = { ctx: [], slots: [], events: [] };
  private nextSlot = 0;
  readonly zone: string;

  constructor(readonly clock: EvaluationClock) {
    this.zone = clock.zone;
  }

  bind(sc: Scope, name: string): [Scope, number] {
    const slot = this.nextSlot++;
    const vars = new Map(sc.vars);
    vars.set(name, slot);
    return [{ vars, depth: sc.depth }, slot];
  }

  /** A closure giving the expression's value. */
  value(e: Expr, sc: Scope): V {
    const { ctx, slots } = this.frames;
    const f = this.frames;
    switch (e.k) {
      case 'str':
      case 'num':
      case 'bool': {
        const v = e.v;
        return () => v;
      }
      case 'array': {
        if (e.items.every((i) => i.k === 'str' || i.k === 'num' || i.k === 'bool')) {
          const arr = Object.freeze(e.items.map((i) => (i as NodeOf<'str'>).v));
          return () => arr;
        }
        const items = e.items.map((i) => this.value(i, sc));
        return () => items.map((i) => i());
      }
      case 'time': {
        const t = this.constInterval(e.t);
        const tv = new TimeVal(t.start, t.end);
        return () => tv;
      }
      case 'ident':
      case 'up':
      case 'param':
      case 'field':
        return this.path(e, sc);
      case 'call':
        return this.call(e, sc);
      case 'filter': {
        const src = this.value(e.obj, sc);
        const cond = this.bool(e.cond, { vars: sc.vars, depth: sc.depth + 1 });
        const d = sc.depth + 1;
        return () => {
          const arr = src();
          const out: unknown[] = [];
          if (!Array.isArray(arr)) return out;
          for (let i = 0; i < arr.length; i++) {
            ctx[d] = arr[i];
            if (cond()) out.push(arr[i]);
          }
          return out;
        };
      }
      case 'arith': {
        const l = this.value(e.l, sc);
        const r = this.value(e.r, sc);
        const op = e.op;
        return () => arith(op, l(), r());
      }
      case 'neg': {
        const x = this.value(e.e, sc);
        return () => {
          const v = x();
          return typeof v === 'number' ? -v : null;
        };
      }
      case 'select': {
        const b = e.bind;
        const src = this.value(b.src, sc);
        const [inner, slot] = this.bind(sc, b.name);
        const cond = b.cond ? this.bool(b.cond, inner) : () => true;
        return () => {
          const arr = src();
          const out: unknown[] = [];
          if (!Array.isArray(arr)) return out;
          for (let i = 0; i < arr.length; i++) {
            slots[slot] = arr[i];
            if (cond()) out.push(arr[i]);
          }
          return out;
        };
      }
      case 'agg':
        return this.agg(e, sc);
      case 'let': {
        const value = this.value(e.value, sc);
        const [inner, slot] = this.bind(sc, e.name);
        const body = this.value(e.body, inner);
        return () => {
          slots[slot] = value();
          return body();
        };
      }
      case 'lambda': {
        const [inner, slot] = this.bind(sc, e.param);
        const body = this.value(e.body, inner);
        return () => {
          slots[slot] = ctx[0];
          return body();
        };
      }
      default: {
        void f;
        return this.bool(e, sc);
      }
    }
  }

  /** A closure deciding the expression as a condition. */
  bool(e: Expr, sc: Scope): B {
    switch (e.k) {
      case 'bool': {
        const v = e.v;
        return () => v;
      }
      case 'and': {
        const l = this.bool(e.l, sc);
        const r = this.bool(e.r, sc);
        return () => l() && r();
      }
      case 'or': {
        const l = this.bool(e.l, sc);
        const r = this.bool(e.r, sc);
        return () => l() || r();
      }
      case 'not': {
        const x = this.bool(e.e, sc);
        return () => !x();
      }
      case 'cmp':
        return this.cmp(e, sc);
      case 'in':
      case 'notIn':
        return this.membership(e, sc);
      case 'like': {
        const l = this.value(e.l, sc);
        if (e.r.k === 'str') {
          const re = likeRegex(e.r.v);
          return () => {
            const s = l();
            return typeof s === 'string' && re.test(s);
          };
        }
        const r = this.value(e.r, sc);
        return () => {
          const s = l();
          const p = r();
          return typeof s === 'string' && typeof p === 'string' && likeRegex(p).test(s);
        };
      }
      case 'occurs': {
        const subject = this.value(e.subject, sc);
        const test = this.occurs(e.form, sc);
        const zone = this.zone;
        return () => {
          const ts = parseTimestamp(subject(), zone);
          return ts !== null && test(ts);
        };
      }
      case 'exists':
      case 'forall':
        return this.quantifier(e.k, e.binds, 0, sc);
      case 'chain':
        return compileChain(this, e, sc);
      case 'filter': {
        const src = this.value(e.obj, sc);
        const cond = this.bool(e.cond, { vars: sc.vars, depth: sc.depth + 1 });
        const d = sc.depth + 1;
        const ctx = this.frames.ctx;
        return () => {
          const arr = src();
          if (!Array.isArray(arr)) return false;
          for (let i = 0; i < arr.length; i++) {
            ctx[d] = arr[i];
            if (cond()) return true;
          }
          return false;
        };
      }
      case 'call':
        if (e.obj || e.name === 'inSegment') return this.boolCall(e, sc);
        break;
      case 'let':
      case 'lambda':
      case 'select':
        break;
    }
    const v = this.value(e, sc);
    return () => truthy(v());
  }

  /** A path (`a.b.c`, `^.a`, `X.a`, `$1.a`) as one getter over its base. */
  private path(e: Expr, sc: Scope): V {
    const keys: string[] = [];
    let base = e;
    while (base.k === 'field') {
      keys.unshift(base.name);
      base = base.obj;
    }
    const { ctx, slots } = this.frames;
    const f = this.frames;
    const get = pathGetter(keys);
    switch (base.k) {
      case 'ident': {
        const slot = sc.vars.get(base.name);
        if (slot !== undefined) return () => get(slots[slot]);
        if (base.name === 'xEvent') return keys.length === 0 ? () => f.events : () => get(f.events);
        const all = pathGetter([base.name, ...keys]);
        const d = sc.depth;
        return () => all(ctx[d]);
      }
      case 'up': {
        const d = sc.depth - base.levels;
        return () => get(ctx[d]);
      }
      case 'param':
        return () => get(ctx[0]);
      default: {
        const obj = this.value(base, sc);
        return () => get(obj());
      }
    }
  }

  private cmp(e: NodeOf<'cmp'>, sc: Scope): B {
    const zone = this.zone;
    const op = e.op;
    // Fast paths: a field against a string or number literal.
    const lit = e.r.k === 'str' || e.r.k === 'num' ? e.r.v : e.l.k === 'str' || e.l.k === 'num' ? e.l.v : undefined;
    const other = lit === undefined ? null : e.r.k === 'str' || e.r.k === 'num' ? e.l : e.r;
    if (lit !== undefined && other && other.k !== 'str' && other.k !== 'num' && other.k !== 'time') {
      const x = this.value(other, sc);
      const t = typeof lit;
      const flipped = other === e.r;
      const eop = flipped ? ({ '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as const)[op] : op;
      switch (eop) {
        case '=':
          return () => x() === lit;
        case '!=':
          return () => {
            const v = x();
            return typeof v === t && v !== lit;
          };
        case '<':
          return () => {
            const v = x();
            return typeof v === t && (v as number) < (lit as number);
          };
        case '<=':
          return () => {
            const v = x();
            return typeof v === t && (v as number) <= (lit as number);
          };
        case '>':
          return () => {
            const v = x();
            return typeof v === t && (v as number) > (lit as number);
          };
        case '>=':
          return () => {
            const v = x();
            return typeof v === t && (v as number) >= (lit as number);
          };
      }
    }
    const l = this.value(e.l, sc);
    const r = this.value(e.r, sc);
    return () => compare(op, l(), r(), zone);
  }

  private membership(e: NodeOf<'in' | 'notIn'>, sc: Scope): B {
    const l = this.value(e.l, sc);
    const neg = e.k === 'notIn';
    if (e.r.k === 'array' && e.r.items.every((i) => i.k === 'str' || i.k === 'num' || i.k === 'bool')) {
      const set = new Set<unknown>(e.r.items.map((i) => (i as NodeOf<'str'>).v));
      return neg
        ? () => {
            const v = l();
            return isScalar(v) && !set.has(v);
          }
        : () => {
            const v = l();
            return isScalar(v) && set.has(v);
          };
    }
    const r = this.value(e.r, sc);
    return () => {
      const v = l();
      const arr = r();
      if (!isScalar(v) || !Array.isArray(arr)) return false;
      return arrayHas(arr, v) !== neg;
    };
  }

  private quantifier(kind: 'exists' | 'forall', binds: readonly Binding[], k: number, sc: Scope): B {
    if (k === binds.length) return () => true;
    const b = binds[k];
    const src = this.value(b.src, sc);
    const [inner, slot] = this.bind(sc, b.name);
    const cond = b.cond ? this.bool(b.cond, inner) : () => true;
    const rest = this.quantifier(kind, binds, k + 1, inner);
    const slots = this.frames.slots;
    if (kind === 'exists') {
      return () => {
        const arr = src();
        if (!Array.isArray(arr)) return false;
        for (let i = 0; i < arr.length; i++) {
          slots[slot] = arr[i];
          if (cond() && rest()) return true;
        }
        return false;
      };
    }
    return () => {
      const arr = src();
      if (!Array.isArray(arr)) return true;
      for (let i = 0; i < arr.length; i++) {
        slots[slot] = arr[i];
        if (!(cond() && rest())) return false;
      }
      return true;
    };
  }

  private agg(e: NodeOf<'agg'>, sc: Scope): V {
    const b = e.bind;
    const src = this.value(b.src, sc);
    const [inner, slot] = this.bind(sc, b.name);
    const cond = b.cond ? this.bool(b.cond, inner) : () => true;
    const value = this.value(e.value, inner);
    const slots = this.frames.slots;
    const fn = e.fn;
    return () => {
      const arr = src();
      const acc = new Acc();
      if (Array.isArray(arr)) {
        for (let i = 0; i < arr.length; i++) {
          slots[slot] = arr[i];
          if (!cond()) continue;
          const v = value();
          if (fn === 'count') acc.count += v === undefined || v === null ? 0 : 1;
          else acc.add(v);
        }
      }
      return fn === 'count' ? acc.count : acc.result(fn);
    };
  }

  /** Methods and functions that are conditions. */
  private boolCall(e: NodeOf<'call'>, sc: Scope): B {
    if (!e.obj) {
      const id = (e.args[0] as NodeOf<'str'>).v;
      const ctx = this.frames.ctx;
      return () => {
        const status = getKey(getKey(getKey(getKey(ctx[0], 'segmentMembership'), 'ups'), id), 'status');
        return status === 'realized' || status === 'existing';
      };
    }
    const obj = this.value(e.obj, sc);
    switch (e.name) {
      case 'isNull':
        return () => {
          const v = obj();
          return v === undefined || v === null;
        };
      case 'isNotNull':
        return () => {
          const v = obj();
          return v !== undefined && v !== null;
        };
      case 'includes': {
        const x = this.value(e.args[0], sc);
        return () => {
          const arr = obj();
          const v = x();
          return Array.isArray(arr) && isScalar(v) && arrayHas(arr, v);
        };
      }
      case 'intersects': {
        const other = e.args[0];
        if (other.k === 'array' && other.items.every((i) => i.k === 'str' || i.k === 'num' || i.k === 'bool')) {
          const set = new Set<unknown>(other.items.map((i) => (i as NodeOf<'str'>).v));
          return () => {
            const arr = obj();
            if (!Array.isArray(arr)) return false;
            for (let i = 0; i < arr.length; i++) if (isScalar(arr[i]) && set.has(arr[i])) return true;
            return false;
          };
        }
        const x = this.value(other, sc);
        return () => {
          const a = obj();
          const b = x();
          if (!Array.isArray(a) || !Array.isArray(b)) return false;
          for (const el of a as unknown[]) if (isScalar(el) && arrayHas(b, el)) return true;
          return false;
        };
      }
      case 'matches': {
        const tr = translateJavaRegex((e.args[0] as NodeOf<'str'>).v);
        if (!tr.ok) throw new Error(tr.reason); // check.ts refuses these first
        const re = new RegExp(tr.source, tr.flags);
        return () => {
          const s = obj();
          return typeof s === 'string' && re.test(s);
        };
      }
      case 'equals':
      case 'notEqualTo':
      case 'contains':
      case 'doesNotContain':
      case 'startsWith':
      case 'doesNotStartWith':
      case 'endsWith':
      case 'doesNotEndWith':
        return this.stringMethod(e.name, obj, e.args, sc);
    }
    const v = this.value(e, sc);
    return () => truthy(v());
  }

  private stringMethod(name: string, obj: V, args: readonly Expr[], sc: Scope): B {
    const ci = args.length === 2 && (args[1] as NodeOf<'bool'>).v === false;
    const test = STRING_TESTS[name];
    if (args[0].k === 'str') {
      const t = ci ? args[0].v.toLowerCase() : args[0].v;
      return ci
        ? () => {
            const s = obj();
            return typeof s === 'string' && test(s.toLowerCase(), t);
          }
        : () => {
            const s = obj();
            return typeof s === 'string' && test(s, t);
          };
    }
    const arg = this.value(args[0], sc);
    return () => {
      const s = obj();
      const t = arg();
      if (typeof s !== 'string' || typeof t !== 'string') return false;
      return ci ? test(s.toLowerCase(), t.toLowerCase()) : test(s, t);
    };
  }

  /** Methods and functions that give values. */
  private call(e: NodeOf<'call'>, sc: Scope): V {
    const zone = this.zone;
    if (!e.obj) {
      switch (e.name) {
        case 'if': {
          const [c, a, b] = [this.bool(e.args[0], sc), this.value(e.args[1], sc), this.value(e.args[2], sc)];
          return () => (c() ? a() : b());
        }
        case 'currentMonth':
        case 'currentYear':
        case 'currentDayOfMonth': {
          const w = toWall(this.clock.nowMs, zone);
          const v = e.name === 'currentMonth' ? w.mo : e.name === 'currentYear' ? w.y : w.d;
          return () => v;
        }
        default: {
          const b = this.boolCall(e, sc);
          return b;
        }
      }
    }
    const obj = this.value(e.obj, sc);
    switch (e.name) {
      case 'count':
        return this.count(e.obj, obj, sc);
      case 'sum':
      case 'min':
      case 'max':
      case 'average':
        return this.elementAgg(e.name, e.obj, e.args[0], sc);
      case 'distinct':
        return () => {
          const arr = obj();
          return Array.isArray(arr) ? Array.from(new Set(arr)) : null;
        };
      case 'get': {
        const key = this.value(e.args[0], sc);
        return () => {
          const m = obj();
          const k = key();
          return typeof k === 'string' && m !== null && typeof m === 'object' && !Array.isArray(m) && k !== '__proto__' ? getKey(m, k) : undefined;
        };
      }
      case 'getYear':
      case 'getMonth':
      case 'getDayOfMonth': {
        const part = e.name === 'getYear' ? 'year' : e.name === 'getMonth' ? 'month' : 'day';
        return () => {
          const ts = parseTimestamp(obj(), zone);
          return ts === null ? null : datePart(ts, part, zone);
        };
      }
    }
    return this.boolCall(e, sc);
  }

  /** `.count()`; on a filter it counts without building the filtered array. */
  private count(objExpr: Expr, obj: V, sc: Scope): V {
    if (objExpr.k === 'filter') {
      const src = this.value(objExpr.obj, sc);
      const cond = this.bool(objExpr.cond, { vars: sc.vars, depth: sc.depth + 1 });
      const d = sc.depth + 1;
      const ctx = this.frames.ctx;
      return () => {
        const arr = src();
        if (!Array.isArray(arr)) return 0;
        let n = 0;
        for (let i = 0; i < arr.length; i++) {
          ctx[d] = arr[i];
          if (cond()) n++;
        }
        return n;
      };
    }
    return () => {
      const v = obj();
      return Array.isArray(v) ? v.length : v === undefined || v === null ? 0 : null;
    };
  }

  /** `.sum(e)` & co: `e` read relative to each element (of the filter's source when on a filter). */
  private elementAgg(fn: 'sum' | 'min' | 'max' | 'average', objExpr: Expr, arg: Expr, sc: Scope): V {
    const inner = { vars: sc.vars, depth: sc.depth + 1 };
    const filtered = objExpr.k === 'filter';
    const src = this.value(filtered ? objExpr.obj : objExpr, sc);
    const cond = filtered ? this.bool(objExpr.cond, inner) : () => true;
    const value = this.value(arg, inner);
    const d = sc.depth + 1;
    const ctx = this.frames.ctx;
    return () => {
      const arr = src();
      if (!Array.isArray(arr)) return null;
      const acc = new Acc();
      for (let i = 0; i < arr.length; i++) {
        ctx[d] = arr[i];
        if (!cond()) continue;
        ctx[d] = arr[i];
        acc.add(value());
      }
      return acc.result(fn);
    };
  }

  /** The interval of a calendar word or date(...), fixed from the run's `now`. */
  constInterval(t: TimeRef): Interval {
    const { nowMs, zone } = this.clock;
    switch (t.k) {
      case 'timeWord':
        return calendarWord(t.word, nowMs, zone);
      case 'calUnit':
        return calendarUnit(t.which, t.unit, nowMs, zone);
      case 'date':
        return calendarDate(t.y, t.m, t.d, zone);
      case 'instant':
        throw new Error('not a constant time reference');
    }
  }

  /** An occurs form as a test on an instant; fixed once unless a reference is read from data. */
  occurs(form: OccursForm, sc: Scope): TsTest {
    const zone = this.zone;
    const refs = form.f === 'between' ? [form.a, form.b] : [form.t];
    if (refs.every((r) => r.k !== 'instant')) {
      const iv = refs.map((r) => this.constInterval(r));
      return form.f === 'between' ? occursTest(form, null, iv[0], iv[1], zone) : occursTest(form, iv[0], null, null, zone);
    }
    const getters = refs.map((r): (() => Interval | null) => {
      if (r.k !== 'instant') {
        const iv = this.constInterval(r);
        return () => iv;
      }
      const v = this.value(r.expr, sc);
      return () => {
        const ts = parseTimestamp(v(), zone);
        return ts === null ? null : instant(ts);
      };
    });
    return (ts) => {
      const iv = getters.map((g) => g());
      if (iv.some((i) => i === null)) return false;
      const test = form.f === 'between' ? occursTest(form, null, iv[0], iv[1], zone) : occursTest(form, iv[0], null, null, zone);
      return test(ts);
    };
  }
}

const STRING_TESTS: Record<string, (s: string, t: string) => boolean> = {
  equals: (s, t) => s === t,
  notEqualTo: (s, t) => s !== t,
  contains: (s, t) => s.includes(t),
  doesNotContain: (s, t) => !s.includes(t),
  startsWith: (s, t) => s.startsWith(t),
  doesNotStartWith: (s, t) => !s.startsWith(t),
  endsWith: (s, t) => s.endsWith(t),
  doesNotEndWith: (s, t) => !s.endsWith(t),
};

/** Numeric aggregate: non-numbers are skipped; over no numbers every result but count is null. */
class Acc {
  count = 0;
  private n = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;
  add(v: unknown): void {
    if (typeof v !== 'number') return;
    this.n++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }
  result(fn: 'sum' | 'min' | 'max' | 'average'): number | null {
    if (this.n === 0) return null;
    return fn === 'sum' ? this.sum : fn === 'min' ? this.min : fn === 'max' ? this.max : this.sum / this.n;
  }
}
