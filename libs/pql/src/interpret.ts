/**
 * The reference interpreter: a deliberately naive AST walk written apart from compile.ts (its own
 * value helpers; it shares only the calendar arithmetic of time.ts). Differential tests compare
 * the two. Not used in production: it re-walks the tree and recomputes intervals per profile.
 */
import type { EvaluationClock, ProfileView } from './api';
import type { Binding, CmpOp, Expr, OccursForm, TimeRef } from './ast';
import { translateJavaRegex } from './regex';
import { addUnits, calendarDate, calendarUnit, calendarWord, datePart, parseTimestampByPattern, toWall } from './time';

// The pattern alone, not the compiler's fast path for canonical UTC strings: the two readings stay independent.
const parseTs = (v: unknown, zone: string): number | null => (typeof v === 'string' ? parseTimestampByPattern(v, zone) : null);

interface Span {
  readonly span: true;
  readonly start: number;
  readonly end: number;
}
interface Env {
  readonly clock: EvaluationClock;
  readonly view: ProfileView;
  readonly vars: Readonly<Record<string, unknown>>;
  /** ctx[0] the profile, then one element per enclosing filter. */
  readonly ctx: readonly unknown[];
}

const isSpan = (v: unknown): v is Span => typeof v === 'object' && v !== null && (v as Span).span === true;
const missing = (v: unknown): boolean => v === null || v === undefined;
const scalar = (v: unknown): boolean => ['string', 'number', 'boolean'].includes(typeof v);
const asBool = (v: unknown): boolean => v === true || (Array.isArray(v) && v.length > 0);
const withVar = (env: Env, name: string, v: unknown): Env => ({ ...env, vars: { ...env.vars, [name]: v } });
const withCtx = (env: Env, el: unknown): Env => ({ ...env, ctx: [...env.ctx, el] });

export function interpretTree(root: Expr, clock: EvaluationClock, view: ProfileView): boolean {
  return asBool(ev(root, { clock, view, vars: {}, ctx: [view.profile] }));
}

function field(v: unknown, name: string): unknown {
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const el of v) {
      const x = field(el, name);
      if (Array.isArray(x)) out.push(...(x as unknown[]));
      else if (!missing(x)) out.push(x);
    }
    return out;
  }
  if (typeof v !== 'object' || v === null || name === '__proto__') return undefined;
  if (!Object.prototype.hasOwnProperty.call(v, name)) return undefined;
  return (v as Record<string, unknown>)[name];
}

function cmp(op: CmpOp, a: unknown, b: unknown, zone: string): boolean {
  if (missing(a) || missing(b)) return false;
  if (isSpan(a) && isSpan(b)) return cmp(op, a.start, b.start, zone);
  if (isSpan(a) || isSpan(b)) {
    const span = (isSpan(a) ? a : b) as Span;
    const ts = parseTs(isSpan(a) ? b : a, zone);
    if (ts === null) return false;
    const before = ts < span.start;
    const inside = ts >= span.start && ts < span.end;
    const after = ts >= span.end;
    // Read as "ts op span" when the span is on the right, "span op ts" otherwise.
    const rel = isSpan(b)
      ? { '=': inside, '!=': !inside, '<': before, '<=': before || inside, '>': after, '>=': inside || after }
      : { '=': inside, '!=': !inside, '<': after, '<=': after || inside, '>': before, '>=': inside || before };
    return rel[op];
  }
  if (typeof a !== typeof b) return false;
  if (typeof a === 'boolean') return op === '=' ? a === b : op === '!=' ? a !== b : false;
  if (typeof a !== 'number' && typeof a !== 'string') return false;
  const [x, y] = [a as string, b as string];
  return { '=': x === y, '!=': x !== y, '<': x < y, '<=': x <= y, '>': x > y, '>=': x >= y }[op];
}

/** SQL LIKE by recursion: `%` any run, `_` one character, `\` escapes. */
function like(s: string, p: string): boolean {
  if (p.length === 0) return s.length === 0;
  if (p[0] === '%') return like(s, p.slice(1)) || (s.length > 0 && like(s.slice(1), p));
  if (s.length === 0) return false;
  if (p[0] === '\\' && p.length > 1) return s[0] === p[1] && like(s.slice(1), p.slice(2));
  if (p[0] === '_') return like(s.slice(1), p.slice(1));
  return s[0] === p[0] && like(s.slice(1), p.slice(1));
}

function numbers(vals: unknown[]): number[] {
  return vals.filter((v): v is number => typeof v === 'number');
}

function aggregate(fn: string, vals: unknown[]): number | null {
  const ns = numbers(vals);
  if (fn === 'count') return vals.filter((v) => !missing(v)).length;
  if (ns.length === 0) return null;
  if (fn === 'sum') return ns.reduce((a, b) => a + b, 0);
  if (fn === 'average') return ns.reduce((a, b) => a + b, 0) / ns.length;
  return fn === 'min' ? Math.min(...ns) : Math.max(...ns);
}

function span(t: TimeRef, env: Env): Span | null {
  const { nowMs, zone } = env.clock;
  const mk = (iv: { start: number; end: number }): Span => ({ span: true, start: iv.start, end: iv.end });
  if (t.k === 'timeWord') return mk(calendarWord(t.word, nowMs, zone));
  if (t.k === 'calUnit') return mk(calendarUnit(t.which, t.unit, nowMs, zone));
  if (t.k === 'date') return mk(calendarDate(t.y, t.m, t.d, zone));
  const ts = parseTs(ev(t.expr, env), zone);
  return ts === null ? null : { span: true, start: ts, end: ts + 1 };
}

/** PQL.md 2.2 read literally. */
function occurs(ts: number, f: OccursForm, env: Env): boolean {
  const zone = env.clock.zone;
  if (f.f === 'between') {
    const a = span(f.a, env);
    const b = span(f.b, env);
    return a !== null && b !== null && a.start <= ts && ts < b.end;
  }
  const t = span(f.t, env);
  if (t === null) return false;
  if (f.f === 'on') return t.start <= ts && ts < t.end;
  if (f.f === 'before') return ts < t.start;
  if (f.f !== 'window') return ts >= t.end; // after, from
  const back = f.dir === 'before';
  const base = back ? t.start : t.end;
  if (back ? ts > base : ts < base) return false; // d >= 0
  // "d compared with n units" becomes a comparison of ts with base shifted by n units.
  const sh = (n: number): number => addUnits(base, back ? -n : n, f.unit, zone);
  const within = (n: number): boolean => (back ? ts >= sh(n) : ts <= sh(n)); // d <= n u
  const strictlyWithin = (n: number): boolean => (back ? ts > sh(n) : ts < sh(n)); // d < n u
  const eq = within(f.n) && !within(f.n - 1);
  switch (f.op) {
    case '<=':
      return within(f.n);
    case '<':
      return strictlyWithin(f.n);
    case '>=':
      return !strictlyWithin(f.n);
    case '>':
      return !within(f.n);
    case '=':
      return eq;
    default:
      return !eq; // !=
  }
}

function quantify(kind: 'exists' | 'forall', binds: readonly Binding[], env: Env): boolean {
  if (binds.length === 0) return true;
  const [b, ...rest] = binds;
  const src = ev(b.src, env);
  if (!Array.isArray(src)) return kind === 'forall';
  const ok = (el: unknown): boolean => {
    const inner = withVar(env, b.name, el);
    return (b.cond === null || asBool(ev(b.cond, inner))) && quantify(kind, rest, inner);
  };
  return kind === 'exists' ? src.some(ok) : src.every(ok);
}

function chain(e: Extract<Expr, { k: 'chain' }>, env: Env): boolean {
  const zone = env.clock.zone;
  const stamped = env.view.events
    .map((ev0) => ({
      ev: ev0,
      ts: parseTs(
        e.tsPath.reduce<unknown>((v, k) => field(v, k), ev0),
        zone,
      ),
    }))
    .filter((x): x is typeof x & { ts: number } => x.ts !== null);
  const matches = (stepIdx: number, x: { ev: unknown; ts: number }): boolean => {
    const st = e.steps[stepIdx];
    const inner = withCtx(env, x.ev);
    return asBool(ev(st.what, inner)) && (st.when === null || occurs(x.ts, st.when, inner));
  };
  // Search: step i may end at any candidate c that has >= COUNT candidates at or before it.
  const from = (stepIdx: number, after: number): boolean => {
    if (stepIdx === e.steps.length) return true;
    const need = e.steps[stepIdx].count;
    if (need === 0) return from(stepIdx + 1, after);
    const cands = stamped.filter((x) => x.ts > after && matches(stepIdx, x));
    return cands.some((c) => cands.filter((o) => o.ts <= c.ts).length >= need && from(stepIdx + 1, c.ts));
  };
  return from(0, -Infinity);
}

function method(e: Extract<Expr, { k: 'call' }>, env: Env): unknown {
  const recv = ev(e.obj as Expr, env);
  const arg = (i: number): unknown => ev(e.args[i], env);
  const zone = env.clock.zone;
  switch (e.name) {
    case 'isNull':
      return missing(recv);
    case 'isNotNull':
      return !missing(recv);
    case 'includes': {
      const x = arg(0);
      return Array.isArray(recv) && scalar(x) && recv.some((el) => el === x);
    }
    case 'intersects': {
      const other = arg(0);
      return Array.isArray(recv) && Array.isArray(other) && recv.some((el) => scalar(el) && other.some((o) => o === el));
    }
    case 'matches': {
      const tr = translateJavaRegex(String((e.args[0] as { v: string }).v));
      return tr.ok && typeof recv === 'string' && new RegExp(tr.source, tr.flags).test(recv);
    }
    case 'count':
      return Array.isArray(recv) ? recv.length : missing(recv) ? 0 : null;
    case 'sum':
    case 'min':
    case 'max':
    case 'average': {
      if (!Array.isArray(recv)) return null;
      return aggregate(
        e.name,
        recv.map((el) => ev(e.args[0], withCtx(env, el))),
      );
    }
    case 'distinct': {
      if (!Array.isArray(recv)) return null;
      const out: unknown[] = [];
      for (const el of recv) if (!out.some((o) => o === el)) out.push(el);
      return out;
    }
    case 'get': {
      const k = arg(0);
      if (typeof k !== 'string' || typeof recv !== 'object' || recv === null || Array.isArray(recv)) return undefined;
      const v = field(recv, k);
      return typeof v === 'function' ? undefined : v;
    }
    case 'getYear':
    case 'getMonth':
    case 'getDayOfMonth': {
      const ts = parseTs(recv, zone);
      if (ts === null) return null;
      return datePart(ts, e.name === 'getYear' ? 'year' : e.name === 'getMonth' ? 'month' : 'day', zone);
    }
  }
  // The string methods.
  const t = arg(0);
  if (typeof recv !== 'string' || typeof t !== 'string') return false;
  const sensitive = e.args.length < 2 || (e.args[1] as { v: boolean }).v !== false;
  const s = sensitive ? recv : recv.toLowerCase();
  const u = sensitive ? t : t.toLowerCase();
  const tests: Record<string, boolean> = {
    equals: s === u,
    notEqualTo: s !== u,
    contains: s.indexOf(u) >= 0,
    doesNotContain: s.indexOf(u) < 0,
    startsWith: s.slice(0, u.length) === u,
    doesNotStartWith: s.slice(0, u.length) !== u,
    endsWith: u.length === 0 || s.slice(-u.length) === u,
    doesNotEndWith: !(u.length === 0 || s.slice(-u.length) === u),
  };
  return tests[e.name];
}

function ev(e: Expr, env: Env): unknown {
  const zone = env.clock.zone;
  switch (e.k) {
    case 'str':
    case 'num':
    case 'bool':
      return e.v;
    case 'array':
      return e.items.map((i) => ev(i, env));
    case 'time':
      return span(e.t, env);
    case 'ident':
      if (Object.prototype.hasOwnProperty.call(env.vars, e.name)) return env.vars[e.name];
      if (e.name === 'xEvent') return env.view.events;
      return field(env.ctx[env.ctx.length - 1], e.name);
    case 'up':
      return env.ctx[env.ctx.length - 1 - e.levels];
    case 'param':
      return env.ctx[0];
    case 'field': {
      const v = field(ev(e.obj, env), e.name);
      return typeof v === 'function' ? undefined : v;
    }
    case 'filter': {
      const src = ev(e.obj, env);
      return Array.isArray(src) ? src.filter((el) => asBool(ev(e.cond, withCtx(env, el)))) : [];
    }
    case 'not':
      return !asBool(ev(e.e, env));
    case 'and':
      return asBool(ev(e.l, env)) && asBool(ev(e.r, env));
    case 'or':
      return asBool(ev(e.l, env)) || asBool(ev(e.r, env));
    case 'cmp':
      return cmp(e.op, ev(e.l, env), ev(e.r, env), zone);
    case 'in':
    case 'notIn': {
      const v = ev(e.l, env);
      const arr = ev(e.r, env);
      if (missing(v) || !scalar(v) || !Array.isArray(arr)) return false;
      const found = arr.some((x) => x === v);
      return e.k === 'in' ? found : !found;
    }
    case 'like': {
      const s = ev(e.l, env);
      const p = ev(e.r, env);
      return typeof s === 'string' && typeof p === 'string' && like(s, p);
    }
    case 'arith': {
      const a = ev(e.l, env);
      const b = ev(e.r, env);
      if (typeof a !== 'number' || typeof b !== 'number') return null;
      if ((e.op === '/' || e.op === '%') && b === 0) return null;
      return { '+': a + b, '-': a - b, '*': a * b, '/': a / b, '%': a % b }[e.op];
    }
    case 'neg': {
      const v = ev(e.e, env);
      return typeof v === 'number' ? -v : null;
    }
    case 'occurs': {
      const ts = parseTs(ev(e.subject, env), zone);
      return ts !== null && occurs(ts, e.form, env);
    }
    case 'select': {
      const src = ev(e.bind.src, env);
      if (!Array.isArray(src)) return [];
      return src.filter((el) => e.bind.cond === null || asBool(ev(e.bind.cond, withVar(env, e.bind.name, el))));
    }
    case 'exists':
    case 'forall':
      return quantify(e.k, e.binds, env);
    case 'agg': {
      const src = ev(e.bind.src, env);
      if (!Array.isArray(src)) return e.fn === 'count' ? 0 : null;
      const vals = src
        .map((el) => withVar(env, e.bind.name, el))
        .filter((inner) => e.bind.cond === null || asBool(ev(e.bind.cond, inner)))
        .map((inner) => ev(e.value, inner));
      return aggregate(e.fn, vals);
    }
    case 'chain':
      return chain(e, env);
    case 'let':
      return ev(e.body, withVar(env, e.name, ev(e.value, env)));
    case 'lambda':
      return ev(e.body, withVar(env, e.param, env.ctx[0]));
    case 'call': {
      if (e.obj) return method(e, env);
      const w = toWall(env.clock.nowMs, zone);
      switch (e.name) {
        case 'if':
          return asBool(ev(e.args[0], env)) ? ev(e.args[1], env) : ev(e.args[2], env);
        case 'currentMonth':
          return w.mo;
        case 'currentYear':
          return w.y;
        case 'currentDayOfMonth':
          return w.d;
        case 'inSegment': {
          const id = (e.args[0] as { v: string }).v;
          const status = field(field(field(env.ctx[0], 'segmentMembership'), 'ups'), id);
          const st = field(status, 'status');
          return st === 'realized' || st === 'existing';
        }
      }
      throw new Error(`interpreter: unknown function ${e.name}`);
    }
  }
}
