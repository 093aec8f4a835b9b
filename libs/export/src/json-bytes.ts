/**
 * Scanning primitives over a stored record's UTF-8 bytes (offsets are byte offsets): skip a
 * string or a value, walk an object's members or an array's elements, match a key. Shared by the
 * membership picker (stored-json.ts) and the field extractor (stored-projection.ts), which run per
 * exported row: no callbacks, no allocation, strings skipped with a native indexOf.
 */

/** Where a top-level member `"key": value` sits, and what to cut to remove it with its comma. */
export interface MemberSpan {
  keyStart: number;
  valueStart: number;
  valueEnd: number;
  cutStart: number;
  cutEnd: number;
}

export const QUOTE = 34;
export const BACKSLASH = 92;
export const COMMA = 44;
export const COLON = 58;
export const OPEN_BRACE = 123;
export const CLOSE_BRACE = 125;
export const OPEN_BRACKET = 91;
export const CLOSE_BRACKET = 93;

export function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

export function skipSpace(b: Buffer, i: number): number {
  while (i < b.length && isSpace(b[i])) i++;
  return i;
}

export function malformed(at: number): never {
  throw new SyntaxError(`stored record is not a JSON object (at byte ${at})`);
}

/** `i` at an opening quote: the index after its closing quote. */
export function skipString(b: Buffer, i: number): number {
  for (let from = i + 1; ;) {
    const q = b.indexOf(QUOTE, from);
    if (q < 0) malformed(i);
    let backslashes = 0;
    while (b[q - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** `i` at the first byte of a value: the index after it. */
export function skipValue(b: Buffer, i: number): number {
  const first = b[i];
  if (first === QUOTE) return skipString(b, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < b.length;) {
      const c = b[j];
      if (c === QUOTE) {
        j = skipString(b, j);
        continue;
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (--depth === 0) return j + 1;
      }
      j++;
    }
    malformed(i);
  }
  let j = i;
  for (; j < b.length; j++) {
    const c = b[j];
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isSpace(c)) break;
  }
  if (j === i) malformed(i);
  return j;
}

// Members of an object are walked with three steps and no callbacks (this runs per exported row):
//   for (let k = firstMember(b, at); k >= 0; k = nextMember(b, valueEnd)) { ... }
// and when the loop ends, ~k is the index after the object's closing brace.

/** `i` at (or before, across whitespace) an object: where its first key starts, or ~end if it is empty. */
export function firstMember(b: Buffer, i: number): number {
  i = skipSpace(b, i);
  if (b[i] !== OPEN_BRACE) malformed(i);
  i = skipSpace(b, i + 1);
  if (b[i] === CLOSE_BRACE) return ~(i + 1);
  if (b[i] !== QUOTE) malformed(i);
  return i;
}

/** `i` after a member's value: where the next key starts, or ~end when the object closes. */
export function nextMember(b: Buffer, i: number): number {
  i = skipSpace(b, i);
  if (b[i] === CLOSE_BRACE) return ~(i + 1);
  if (b[i] !== COMMA) malformed(i);
  i = skipSpace(b, i + 1);
  if (b[i] !== QUOTE) malformed(i);
  return i;
}

/** `keyEnd` after a string: where the value starts if the string is a key, else -1. */
export function valueIfKey(b: Buffer, keyEnd: number): number {
  const i = skipSpace(b, keyEnd);
  return b[i] === COLON ? skipSpace(b, i + 1) : -1;
}

/** `keyEnd` after a key: where its value starts. */
export function valueAfterKey(b: Buffer, keyEnd: number): number {
  const valueStart = valueIfKey(b, keyEnd);
  if (valueStart < 0) malformed(keyEnd);
  return valueStart;
}

/** The span of the member at `keyStart` whose value ends at `valueEnd`, with a comma to cut alongside it. */
export function spanOf(b: Buffer, keyStart: number, valueStart: number, valueEnd: number): MemberSpan {
  const after = skipSpace(b, valueEnd);
  if (b[after] === COMMA) return { keyStart, valueStart, valueEnd, cutStart: keyStart, cutEnd: skipSpace(b, after + 1) };
  let before = keyStart - 1;
  while (before >= 0 && isSpace(b[before])) before--;
  return { keyStart, valueStart, valueEnd, cutStart: b[before] === COMMA ? before : keyStart, cutEnd: valueEnd };
}

// The characters JSON requires escaped in a string: backslash, quote and the control characters.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\\"\u0000-\u001f]/;

/** A key to look for: its text and its UTF-8 bytes. */
export interface WantedKey {
  key: string;
  bytes: Buffer;
  /** Whether it can appear letter for letter (JSON need not escape any of its characters). */
  plain: boolean;
}

/** A lone surrogate has no UTF-8 of its own (Buffer.from writes U+FFFD): only an escape can spell it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const wantedKey = (key: string): WantedKey => ({ key, bytes: Buffer.from(key, 'utf8'), plain: !NEEDS_ESCAPE.test(key) && !LONE_SURROGATE.test(key) });

/** Whether the key token b[keyStart, keyEnd) (quotes included) means `k.key`, escapes and all. */
export function keyIs(b: Buffer, keyStart: number, keyEnd: number, k: WantedKey): boolean {
  const length = keyEnd - keyStart - 2;
  // An escape is longer than the UTF-8 of what it means: a token as long as the key matches only
  // byte for byte, and only if the key has nothing JSON must escape (then the token would hold an escape).
  if (length === k.bytes.length) {
    if (!k.plain) return false;
    for (let j = 0; j < length; j++) if (b[keyStart + 1 + j] !== k.bytes[j]) return false;
    return true;
  }
  if (length < k.bytes.length) return false;
  for (let j = keyStart + 1; j < keyEnd - 1; j++) {
    if (b[j] === BACKSLASH) return JSON.parse(b.toString('utf8', keyStart, keyEnd)) === k.key;
  }
  return false;
}

/** Where the key token `"k"`, written letter for letter, ends if it starts at `at`, else -1. */
export function literalKeyAt(b: Buffer, at: number, k: WantedKey): number {
  const end = at + 1 + k.bytes.length;
  if (!k.plain || b[at] !== QUOTE || b[end] !== QUOTE) return -1;
  for (let j = 0; j < k.bytes.length; j++) if (b[at + 1 + j] !== k.bytes[j]) return -1;
  return end + 1;
}

// Elements of an array are walked like members: `for (let e = firstElement(b, at); e >= 0; e = nextElement(b, valueEnd))`,
// and when the loop ends, ~e is the index after the array's closing bracket.

/** `i` at (or before, across whitespace) an array: where its first element starts, or ~end if it is empty. */
export function firstElement(b: Buffer, i: number): number {
  i = skipSpace(b, i);
  if (b[i] !== OPEN_BRACKET) malformed(i);
  i = skipSpace(b, i + 1);
  if (b[i] === CLOSE_BRACKET) return ~(i + 1);
  if (i >= b.length) malformed(i);
  return i;
}

/** `i` after an element: where the next one starts, or ~end when the array closes. */
export function nextElement(b: Buffer, i: number): number {
  i = skipSpace(b, i);
  if (b[i] === CLOSE_BRACKET) return ~(i + 1);
  if (b[i] !== COMMA) malformed(i);
  i = skipSpace(b, i + 1);
  if (i >= b.length) malformed(i);
  return i;
}
