/**
 * Value semantics of the compiled evaluator (PQL.md 2.2): missing and null are the same, every
 * atomic predicate touching one (or a type mismatch) is false.
 */
import type { CmpOp } from './ast';
import { parseTimestamp } from './time';

/** A calendar word or date(...) used as a value: the interval [start, end). */
export class TimeVal {
  constructor(
    readonly start: number,
    readonly end: number,
  ) {}
}

export const isScalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** A condition's value: true, or a non-empty array (a selection or filter that found something). */
export const truthy = (v: unknown): boolean => v === true || (Array.isArray(v) && v.length > 0);

/** One field of a value; on an array, the field of every element (flattened, nulls dropped). */
export function getKey(v: unknown, key: string): unknown {
  if (v === null || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) return project(v, key);
  const r = (v as Record<string, unknown>)[key];
  return typeof r === 'function' ? undefined : r;
}

function project(arr: readonly unknown[], key: string): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < arr.length; i++) {
    const x = getKey(arr[i], key);
    if (Array.isArray(x)) for (let j = 0; j < x.length; j++) out.push(x[j]);
    else if (x !== undefined && x !== null) out.push(x);
  }
  return out;
}

/** A getter for a fixed key path, specialised for the short paths that dominate real definitions. */
export function pathGetter(keys: readonly string[]): (v: unknown) => unknown {
  if (keys.some((k) => k === '__proto__')) return () => undefined;
  const [a, b, c] = keys;
  switch (keys.length) {
    case 0:
      return (v) => v;
    case 1:
      return (v) => getKey(v, a);
    case 2:
      return (v) => {
        const x = getKey(v, a);
        return x === undefined || x === null ? undefined : getKey(x, b);
      };
    case 3:
      return (v) => {
        let x = getKey(v, a);
        if (x === undefined || x === null) return undefined;
        x = getKey(x, b);
        return x === undefined || x === null ? undefined : getKey(x, c);
      };
    default:
      return (v) => {
        let x = v;
        for (let i = 0; i < keys.length; i++) {
          if (x === undefined || x === null) return undefined;
          x = getKey(x, keys[i]);
        }
        return x;
      };
  }
}

const FLIP: Record<CmpOp, CmpOp> = { '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** `ts op T` where T is an interval: `=` is "inside", `<` "before the start", `>` "from the end on". */
function cmpToInterval(op: CmpOp, ts: number, t: TimeVal): boolean {
  switch (op) {
    case '=':
      return ts >= t.start && ts < t.end;
    case '!=':
      return !(ts >= t.start && ts < t.end);
    case '<':
      return ts < t.start;
    case '<=':
      return ts < t.end;
    case '>':
      return ts >= t.end;
    case '>=':
      return ts >= t.start;
  }
}

export function compare(op: CmpOp, a: unknown, b: unknown, zone: string): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return false;
  if (a instanceof TimeVal || b instanceof TimeVal) {
    if (a instanceof TimeVal && b instanceof TimeVal) return compare(op, a.start, b.start, zone);
    if (b instanceof TimeVal) {
      const ts = parseTimestamp(a, zone);
      return ts !== null && cmpToInterval(op, ts, b);
    }
    const ts = parseTimestamp(b, zone);
    return ts !== null && cmpToInterval(FLIP[op], ts, a as TimeVal);
  }
  const t = typeof a;
  if (t !== typeof b) return false;
  if (t === 'number' || t === 'string') {
    const x = a as number;
    const y = b as number;
    switch (op) {
      case '=':
        return x === y;
      case '!=':
        return x !== y;
      case '<':
        return x < y;
      case '<=':
        return x <= y;
      case '>':
        return x > y;
      case '>=':
        return x >= y;
    }
  }
  if (t === 'boolean') return op === '=' ? a === b : op === '!=' ? a !== b : false;
  return false;
}

/** Whether the array holds a scalar equal to v (same type, same value). */
export function arrayHas(arr: readonly unknown[], v: string | number | boolean): boolean {
  for (let i = 0; i < arr.length; i++) if (arr[i] === v) return true;
  return false;
}

/** `like`: `%` any run, `_` one character, `\` escapes the next one; anchored, case-sensitive. */
export function likeRegex(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (c === '%') re += '[\\s\\S]*';
    else if (c === '_') re += '[\\s\\S]';
    else re += escapeRe(c);
  }
  return new RegExp(re + '$');
}

const escapeRe = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

export function arith(op: string, a: unknown, b: unknown): number | null {
  if (typeof a !== 'number' || typeof b !== 'number') return null;
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? null : a / b;
    default:
      return b === 0 ? null : a % b;
  }
}
