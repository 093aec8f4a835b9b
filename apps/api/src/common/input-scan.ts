import type { FieldProblem } from '@sx/domain';

export const NUL_MESSAGE = 'must not contain a NUL character';
export const SURROGATE_MESSAGE = 'must not contain a lone surrogate (\\ud800-\\udfff without its pair)';
export const UNKNOWN_PROPERTY = 'is not a known property';

/** At most this many problems are listed: a body full of them gets a bounded answer. */
const MAX_PROBLEMS = 100;

/**
 * Property names no request body or query has, refused as unknown wherever they appear. The
 * validation pipe cannot see them: Nest's ValidationPipe deletes `__proto__`, `prototype` and
 * `constructor` before validating, and class-transformer skips any key whose value on a class
 * instance is a function (`toString`, `hasOwnProperty`, ...), so whitelisting never meets them
 * and they were accepted silently. `__proto__` also changes an object's prototype when code copies
 * the body with spread or Object.assign.
 */
const RESERVED_KEYS: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

interface Frame {
  value: unknown;
  path: string;
  depth: number;
}

/**
 * Problems of a parsed request value (JSON or form body, query, path parameters) that must be
 * answered before any of it reaches class-transformer or the database:
 * - nesting deeper than `maxDepth` objects/arrays (the root is level 1): class-transformer and
 *   class-validator recurse per level and overflow the stack far before JSON.parse does;
 * - a NUL character in a string or a property name: PostgreSQL text cannot hold one (22021);
 * - a lone UTF-16 surrogate (JSON allows the escape `\ud800`): not UTF-8, it failed at the database;
 * - a reserved property name (see RESERVED_KEYS).
 * An explicit stack, never recursion, so any depth JSON.parse accepts is walked safely. Paths are
 * written as the validation problems write them: `filter.segments[0].status`.
 */
export function inputProblems(root: unknown, maxDepth: number): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const stack: Frame[] = [{ value: root, path: '', depth: 1 }];
  while (stack.length > 0 && problems.length < MAX_PROBLEMS) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const message = textProblem(value);
      if (message) problems.push({ path, message });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    // One problem says it all: the paths below this depth are neither useful nor short.
    if (depth > maxDepth) return [{ path: '', message: `is nested deeper than ${maxDepth} levels` }];
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    // Own keys only: JSON.parse makes `__proto__` an own property; what is inherited was not sent.
    const keys = Object.keys(value);
    const frames: Frame[] = [];
    for (const key of keys) {
      const keyPath = path ? `${path}.${displayKey(key)}` : displayKey(key);
      const keyProblem = textProblem(key);
      if (keyProblem) problems.push({ path: keyPath, message: `${keyProblem} in its name` });
      else if (RESERVED_KEYS.has(key)) problems.push({ path: keyPath, message: UNKNOWN_PROPERTY });
      frames.push({ value: (value as Record<string, unknown>)[key], path: keyPath, depth: depth + 1 });
    }
    for (let i = frames.length - 1; i >= 0; i--) stack.push(frames[i]);
  }
  return problems.slice(0, MAX_PROBLEMS);
}

// With the u flag a paired surrogate is one code point, so \p{Cs} matches only a lone one.
const LONE_SURROGATE = /\p{Cs}/u;

function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return NUL_MESSAGE;
  if (LONE_SURROGATE.test(text)) return SURROGATE_MESSAGE;
  return undefined;
}

// A NUL or lone surrogate is shown as the escape a client would write, so that a path never
// carries the character that it complains about.
function displayKey(key: string): string {
  return key.replaceAll('\u0000', '\\u0000').replace(/\p{Cs}/gu, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}
