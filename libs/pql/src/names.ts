/** The functions and methods the library knows, with their arity. Names match case-insensitively. */

export interface Arity {
  readonly min: number;
  readonly max: number;
}

const a = (min: number, max = min): Arity => ({ min, max });

/** Stand-alone functions that are built (`date(...)` is a literal, parsed by the parser). */
export const FUNCTIONS: Readonly<Record<string, Arity>> = {
  if: a(3),
  inSegment: a(1),
  currentMonth: a(0),
  currentYear: a(0),
  currentDayOfMonth: a(0),
};

/** String methods with an optional case-sensitivity flag. */
export const STRING_METHODS = ['equals', 'notEqualTo', 'contains', 'doesNotContain', 'startsWith', 'doesNotStartWith', 'endsWith', 'doesNotEndWith'] as const;
export type StringMethod = (typeof STRING_METHODS)[number];

/** Methods that are built. */
export const METHODS: Readonly<Record<string, Arity>> = {
  ...Object.fromEntries(STRING_METHODS.map((m) => [m, a(1, 2)])),
  matches: a(1),
  isNull: a(0),
  isNotNull: a(0),
  includes: a(1),
  intersects: a(1),
  count: a(0),
  sum: a(1),
  min: a(1),
  max: a(1),
  average: a(1),
  distinct: a(0),
  get: a(1),
  getYear: a(0),
  getMonth: a(0),
  getDayOfMonth: a(0),
};

/** Documented PQL methods/functions that are not built: refused as unsupported constructs. */
export const REFUSED = ['regexGroup', 'intersection', 'subsetOf', 'supersetOf', 'filter', 'map', 'groupBy', 'topN', 'bottomN', 'head', 'keys', 'values', 'exists'];

const CANON = new Map<string, string>();
for (const n of [...Object.keys(FUNCTIONS), ...Object.keys(METHODS), ...REFUSED]) CANON.set(n.toLowerCase(), n);

/** A function or method name in its documented spelling (`INSEGMENT` -> `inSegment`); unknown names as written. */
export const canonicalName = (name: string): string => CANON.get(name.toLowerCase()) ?? name;
