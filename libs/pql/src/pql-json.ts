/**
 * AEP's `pql/json` (fnApply{fnName, params}, fieldLookup{fieldName, object}, parameterReference
 * {position}, literal{literalType, value}) to and from the internal tree. It covers the profile
 * predicates (fields, literals, operators, functions, methods); event forms, `occurs`, quantifiers
 * and the other binding forms have no documented JSON shape and are refused both ways.
 */
import { PqlError } from './api';
import type { ArithOp, CmpOp, Expr, Pos } from './ast';
import { unsupported } from './lexer';
import { canonicalName, FUNCTIONS } from './names';

type J = Record<string, unknown>;
const NOPOS: Pos = { line: 0, column: 0 };
const CMP = new Set(['=', '!=', '<', '<=', '>', '>=']);
const ARITH = new Set(['+', '-', '*', '/', '%']);

const bad = (message: string): PqlError => new PqlError('invalid', `pql/json: ${message} at 0:0`, 0, 0);
const lit = (literalType: string, value: unknown): J => ({ nodeType: 'literal', literalType, value });
const fn = (fnName: string, params: J[]): J => ({ nodeType: 'fnApply', fnName, params });

export function toPqlJson(e: Expr): J {
  const refuse = (what: string): never => {
    throw unsupported(`${what} in pql/json`, e.pos);
  };
  switch (e.k) {
    case 'str':
      return lit('String', e.v);
    case 'num':
      return lit(e.int ? 'Integer' : 'Double', e.v);
    case 'bool':
      return lit('Boolean', e.v);
    case 'array':
      return lit('List', e.items.map(toPqlJson));
    case 'time':
      if (e.t.k === 'date') return fn('date', [lit('Integer', e.t.y), lit('Integer', e.t.m), lit('Integer', e.t.d)]);
      return refuse(e.t.k === 'timeWord' ? e.t.word : `${e.t.k === 'calUnit' ? e.t.which : 'time'}`);
    case 'ident':
      if (e.name === 'xEvent') return refuse('xEvent');
      return { nodeType: 'fieldLookup', fieldName: e.name };
    case 'param':
      return { nodeType: 'parameterReference', position: e.n };
    case 'field':
      return { nodeType: 'fieldLookup', fieldName: e.name, object: toPqlJson(e.obj) };
    case 'call':
      return fn(e.name, [...(e.obj ? [toPqlJson(e.obj)] : []), ...e.args.map(toPqlJson)]);
    case 'not':
      return fn('not', [toPqlJson(e.e)]);
    case 'neg':
      return fn('-', [toPqlJson(e.e)]);
    case 'and':
    case 'or':
    case 'in':
    case 'notIn':
    case 'like':
      return fn(e.k, [toPqlJson(e.l), toPqlJson(e.r)]);
    case 'cmp':
    case 'arith':
      return fn(e.op, [toPqlJson(e.l), toPqlJson(e.r)]);
    case 'lambda':
      // `(P) => body` is the profile as input 1: P becomes parameterReference 1.
      return toPqlJson(renameToParam(e.body, e.param));
    default:
      return refuse(e.k === 'agg' ? `${e.fn} ... over` : e.k);
  }
}

function renameToParam(e: Expr, name: string): Expr {
  const go = (x: Expr): Expr => renameToParam(x, name);
  switch (e.k) {
    case 'ident':
      return e.name === name ? { k: 'param', n: 1, pos: e.pos } : e;
    case 'field':
      return { ...e, obj: go(e.obj) };
    case 'call':
      return { ...e, obj: e.obj ? go(e.obj) : null, args: e.args.map(go) };
    case 'array':
      return { ...e, items: e.items.map(go) };
    case 'not':
    case 'neg':
      return { ...e, e: go(e.e) };
    case 'and':
    case 'or':
    case 'in':
    case 'notIn':
    case 'like':
    case 'cmp':
    case 'arith':
      return { ...e, l: go(e.l), r: go(e.r) };
    default:
      return e;
  }
}

export function fromPqlJson(text: string): Expr {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw bad(`not JSON (${(err as Error).message})`);
  }
  return node(root, '$');
}

function node(v: unknown, where: string): Expr {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${where} must be an object`);
  const j = v as J;
  switch (j.nodeType) {
    case 'literal':
      return literal(j, where);
    case 'parameterReference': {
      if (j.position !== 1) throw bad(`${where}: only parameterReference position 1 (the profile) exists`);
      return { k: 'param', n: 1, pos: NOPOS };
    }
    case 'fieldLookup': {
      if (typeof j.fieldName !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(j.fieldName)) throw bad(`${where}.fieldName must be a field name`);
      const obj = j.object;
      const isProfile =
        obj === undefined ||
        (typeof obj === 'object' && obj !== null && (obj as J).nodeType === 'literal' && (obj as J).literalType === 'XDMObject' && (obj as J).value === 'profile');
      if (isProfile) return { k: 'ident', name: j.fieldName, pos: NOPOS };
      return { k: 'field', obj: node(obj, `${where}.object`), name: j.fieldName, pos: NOPOS };
    }
    case 'fnApply':
      return apply(j, where);
    default:
      throw new PqlError('unsupported', `unsupported construct '${String(j.nodeType)}' in pql/json at 0:0`, 0, 0);
  }
}

function literal(j: J, where: string): Expr {
  const t = j.literalType;
  const v = j.value;
  if ((t === 'String' || t === undefined) && typeof v === 'string') return { k: 'str', v, pos: NOPOS };
  if ((t === 'Integer' || t === 'Long' || t === undefined) && typeof v === 'number' && Number.isInteger(v)) return { k: 'num', v, int: true, pos: NOPOS };
  if ((t === 'Double' || t === 'Float' || t === undefined) && typeof v === 'number') return { k: 'num', v, int: false, pos: NOPOS };
  if ((t === 'Boolean' || t === undefined) && typeof v === 'boolean') return { k: 'bool', v, pos: NOPOS };
  if ((t === 'List' || t === undefined) && Array.isArray(v)) return { k: 'array', items: v.map((x, i) => node(x, `${where}.value[${i}]`)), pos: NOPOS };
  throw bad(`${where}: literal of type ${String(t)} with value ${JSON.stringify(v)}`);
}

function apply(j: J, where: string): Expr {
  const name = j.fnName;
  if (typeof name !== 'string') throw bad(`${where}.fnName must be a string`);
  if (!Array.isArray(j.params)) throw bad(`${where}.params must be an array`);
  const ps = j.params.map((p, i) => node(p, `${where}.params[${i}]`));
  const two = (): [Expr, Expr] => {
    if (ps.length !== 2) throw bad(`${where}: '${name}' takes 2 params, got ${ps.length}`);
    return [ps[0], ps[1]];
  };
  if (name === 'and' || name === 'or') {
    if (ps.length < 2) throw bad(`${where}: '${name}' takes 2 or more params`);
    return ps.slice(1).reduce((l, r) => ({ k: name, l, r, pos: NOPOS }), ps[0]);
  }
  if (name === 'not') {
    if (ps.length !== 1) throw bad(`${where}: 'not' takes 1 param`);
    return { k: 'not', e: ps[0], pos: NOPOS };
  }
  if (name === '-' && ps.length === 1) return { k: 'neg', e: ps[0], pos: NOPOS };
  if (CMP.has(name)) {
    const [l, r] = two();
    return { k: 'cmp', op: name as CmpOp, l, r, pos: NOPOS };
  }
  if (ARITH.has(name)) {
    const [l, r] = two();
    return { k: 'arith', op: name as ArithOp, l, r, pos: NOPOS };
  }
  if (name === 'in' || name === 'notIn' || name === 'like') {
    const [l, r] = two();
    return { k: name, l, r, pos: NOPOS };
  }
  if (name === 'date') {
    const ints = ps.map((p) => (p.k === 'num' && p.int ? p.v : null));
    if (ints.length !== 3 || ints.some((x) => x === null)) throw bad(`${where}: date needs three Integer literals`);
    const [y, m, d] = ints as number[];
    return { k: 'time', t: { k: 'date', y, m, d, pos: NOPOS }, pos: NOPOS };
  }
  const canon = canonicalName(name);
  if (Object.prototype.hasOwnProperty.call(FUNCTIONS, canon)) return { k: 'call', obj: null, name: canon, args: ps, pos: NOPOS };
  if (ps.length === 0) throw bad(`${where}: method '${name}' needs its receiver as the first param`);
  return { k: 'call', obj: ps[0], name: canon, args: ps.slice(1), pos: NOPOS };
}
