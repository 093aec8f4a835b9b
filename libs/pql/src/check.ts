import type { Binding, Expr, OccursForm, TimeRef } from './ast';
import { invalid, unsupported } from './lexer';
import { FUNCTIONS, METHODS, REFUSED, STRING_METHODS } from './names';
import { translateJavaRegex } from './regex';

export interface CheckResult {
  readonly segmentRefs: string[];
  readonly usesEvents: boolean;
}

interface Scope {
  readonly vars: ReadonlySet<string>;
  /** Filter levels below the profile: 0 at the top, +1 inside `arr[...]`, a chain step, `.sum(...)`. */
  readonly depth: number;
}

type Kind = 'bool' | 'num' | 'str' | 'array' | 'time' | 'any';

const STRING_METHOD_SET = new Set<string>(STRING_METHODS);

/**
 * Validates a tree: known functions and methods with their arity and literal types, scopes of
 * variables and `^`, and collects the segment ids and whether `xEvent` is read. Throws PqlError.
 */
export function checkTree(root: Expr): CheckResult {
  const refs: string[] = [];
  let usesEvents = false;
  const addRef = (id: string): void => {
    if (!refs.includes(id)) refs.push(id);
  };

  const timeRef = (t: TimeRef, s: Scope): void => {
    if (t.k === 'instant') visit(t.expr, s);
  };
  const occurs = (f: OccursForm, s: Scope): void => {
    if (f.f === 'between') {
      timeRef(f.a, s);
      timeRef(f.b, s);
    } else timeRef(f.t, s);
  };
  const bindings = (binds: readonly Binding[], s: Scope, after?: (inner: Scope) => void): void => {
    let cur = s;
    for (const b of binds) {
      visit(b.src, cur);
      cur = { vars: new Set([...cur.vars, b.name]), depth: cur.depth };
      if (b.cond) visit(b.cond, cur);
    }
    after?.(cur);
  };

  const visit = (e: Expr, s: Scope): void => {
    switch (e.k) {
      case 'str':
      case 'num':
      case 'bool':
      case 'time':
        return;
      case 'array':
        return e.items.forEach((i) => visit(i, s));
      case 'ident':
        if (!s.vars.has(e.name) && e.name === 'xEvent') usesEvents = true;
        return;
      case 'up':
        if (e.levels > s.depth) throw invalid(`'${'^'.repeat(e.levels)}' climbs above the outermost filter`, e.pos);
        return;
      case 'param':
        if (e.n !== 1) throw invalid(`there is no positional input $${e.n} (only $1, the profile)`, e.pos);
        return;
      case 'field':
        return visit(e.obj, s);
      case 'call':
        return call(e, s);
      case 'filter':
        visit(e.obj, s);
        return visit(e.cond, { vars: s.vars, depth: s.depth + 1 });
      case 'not':
      case 'neg':
        return visit(e.e, s);
      case 'and':
      case 'or':
      case 'cmp':
      case 'in':
      case 'notIn':
      case 'like':
      case 'arith':
        visit(e.l, s);
        return visit(e.r, s);
      case 'occurs':
        visit(e.subject, s);
        return occurs(e.form, s);
      case 'select':
        return bindings([e.bind], s);
      case 'exists':
      case 'forall':
        return bindings(e.binds, s);
      case 'agg':
        return bindings([e.bind], s, (inner) => visit(e.value, inner));
      case 'chain':
        if (!(e.events.k === 'ident' && e.events.name === 'xEvent' && !s.vars.has('xEvent'))) {
          throw unsupported('chain over an array other than xEvent', e.events.pos);
        }
        usesEvents = true;
        for (const st of e.steps) {
          const inner = { vars: s.vars, depth: s.depth + 1 };
          visit(st.what, inner);
          if (st.when) occurs(st.when, inner);
        }
        return;
      case 'let':
        visit(e.value, s);
        return visit(e.body, { vars: new Set([...s.vars, e.name]), depth: s.depth });
      case 'lambda':
        return visit(e.body, { vars: new Set([...s.vars, e.param]), depth: s.depth });
    }
  };

  const call = (e: Extract<Expr, { k: 'call' }>, s: Scope): void => {
    const table = e.obj ? METHODS : FUNCTIONS;
    const what = e.obj ? 'method' : 'function';
    const arity = Object.prototype.hasOwnProperty.call(table, e.name) ? table[e.name] : undefined;
    if (!arity) {
      if (REFUSED.includes(e.name)) throw unsupported(e.name, e.pos);
      throw invalid(`unknown ${what} '${e.name}'`, e.pos);
    }
    if (e.args.length < arity.min || e.args.length > arity.max) {
      const n = arity.min === arity.max ? `${arity.min}` : `${arity.min} or ${arity.max}`;
      throw invalid(`${e.name}() takes ${n} argument${arity.max === 1 ? '' : 's'}, got ${e.args.length}`, e.pos);
    }
    if (e.obj) visit(e.obj, s);
    const elementArg = ['sum', 'min', 'max', 'average'].includes(e.name) && e.obj !== null;
    for (const arg of e.args) visit(arg, elementArg ? { vars: s.vars, depth: s.depth + 1 } : s);
    if (!e.obj && e.name === 'inSegment') {
      const id = e.args[0];
      if (id.k !== 'str') throw invalid('inSegment() needs a string literal segment id', id.pos);
      addRef(id.v);
    }
    if (e.obj && STRING_METHOD_SET.has(e.name) && e.args.length === 2 && e.args[1].k !== 'bool') {
      throw invalid(`the case-sensitivity flag of ${e.name}() must be true or false`, e.args[1].pos);
    }
    if (e.obj && e.name === 'matches') {
      const re = e.args[0];
      if (re.k !== 'str') throw invalid('matches() needs a string literal pattern', re.pos);
      const tr = translateJavaRegex(re.v);
      if (!tr.ok) throw unsupported(`regular expression feature: ${tr.reason}`, re.pos);
    }
    if (e.obj && e.name === 'get') {
      // segmentMembership.get("ups").get("<id>") names a segment.
      const inner = e.obj;
      const key = e.args[0];
      if (
        key.k === 'str' &&
        inner.k === 'call' &&
        inner.name === 'get' &&
        inner.obj?.k === 'ident' &&
        inner.obj.name === 'segmentMembership' &&
        !s.vars.has('segmentMembership') &&
        s.depth === 0 &&
        inner.args[0].k === 'str' &&
        inner.args[0].v === 'ups'
      ) {
        addRef(key.v);
      }
    }
  };

  visit(root, { vars: new Set(), depth: 0 });
  const k = kindOf(root);
  if (k === 'num' || k === 'str' || k === 'time') {
    throw invalid(`a segment definition must be a condition, but this expression is a ${k === 'num' ? 'number' : k === 'str' ? 'string' : 'time'}`, root.pos);
  }
  return { segmentRefs: refs, usesEvents };
}

/** What an expression statically yields, where that is known; used to refuse non-conditions. */
function kindOf(e: Expr): Kind {
  switch (e.k) {
    case 'str':
      return 'str';
    case 'num':
    case 'arith':
    case 'neg':
      return 'num';
    case 'bool':
    case 'not':
    case 'and':
    case 'or':
    case 'cmp':
    case 'in':
    case 'notIn':
    case 'like':
    case 'occurs':
    case 'exists':
    case 'forall':
    case 'chain':
      return 'bool';
    case 'time':
      return 'time';
    case 'array':
    case 'select':
    case 'filter':
      return 'array';
    case 'agg':
      return 'num';
    case 'let':
      return kindOf(e.body);
    case 'lambda':
      return kindOf(e.body);
    case 'call': {
      if (!e.obj) {
        if (e.name === 'if') {
          const a = kindOf(e.args[1]);
          return a === kindOf(e.args[2]) ? a : 'any';
        }
        return e.name === 'inSegment' ? 'bool' : 'num';
      }
      if (['count', 'sum', 'min', 'max', 'average', 'getYear', 'getMonth', 'getDayOfMonth'].includes(e.name)) return 'num';
      if (e.name === 'distinct') return 'array';
      if (e.name === 'get') return 'any';
      return 'bool';
    }
    default:
      return 'any';
  }
}
