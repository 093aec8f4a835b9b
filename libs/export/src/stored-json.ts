import { type PlainObject, setKey } from './plain-object';
import type { SegmentRef } from './project';

/**
 * Editing a stored record's JSON text without parsing all of it: the export's fast path for a
 * profile of one fragment. Parsing a whole ~1 KB profile, merging it with itself and serialising it
 * again costs several times what Postgres needs to send it; finding one top-level member costs a
 * scan of the text up to it (strings are skipped with indexOf).
 */

/** Where a top-level member `"key": value` sits, and what to cut to remove it with its comma. */
export interface MemberSpan {
  valueStart: number;
  valueEnd: number;
  cutStart: number;
  cutEnd: number;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}

function malformed(at: number): never {
  throw new SyntaxError(`stored record is not a JSON object (at character ${at})`);
}

/** `i` at an opening quote: the index after its closing quote. */
function skipString(s: string, i: number): number {
  for (let from = i + 1; ; ) {
    const q = s.indexOf('"', from);
    if (q < 0) malformed(i);
    let backslashes = 0;
    while (s.charCodeAt(q - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** `i` at the first character of a value: the index after it. */
function skipValue(s: string, i: number): number {
  const first = s.charCodeAt(i);
  if (first === QUOTE) return skipString(s, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < s.length; ) {
      const c = s.charCodeAt(j);
      if (c === QUOTE) {
        j = skipString(s, j);
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
  for (; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isSpace(c)) break;
  }
  if (j === i) malformed(i);
  return j;
}

/** Whether the key token s[keyStart, keyEnd) (quotes included) means `key`, escapes and all. */
function keyIs(s: string, keyStart: number, keyEnd: number, key: string): boolean {
  const rawLength = keyEnd - keyStart - 2;
  // An escaped key is longer than what it means; only such a key needs decoding.
  if (rawLength === key.length && !/[\\"\u0000-\u001f]/.test(key)) return s.startsWith(key, keyStart + 1);
  if (rawLength < key.length) return false;
  for (let j = keyStart + 1; j < keyEnd - 1; j++) {
    if (s.charCodeAt(j) === BACKSLASH) return JSON.parse(s.slice(keyStart, keyEnd)) === key;
  }
  return false;
}

/**
 * Walks the members of the object starting at `from` (whitespace allowed before it). `visit`
 * sees each key token and where its value starts; it returns where the value ends if it read the
 * value itself, or -1 to have it skipped. Returns the index after the closing brace.
 */
function scanMembers(
  s: string,
  from: number,
  visit: (keyStart: number, keyEnd: number, valueStart: number, memberStart: number, previousComma: number) => number,
): number {
  let i = skipSpace(s, from);
  if (s.charCodeAt(i) !== OPEN_BRACE) malformed(i);
  i = skipSpace(s, i + 1);
  if (s.charCodeAt(i) === CLOSE_BRACE) return i + 1;
  let previousComma = -1;
  for (;;) {
    if (s.charCodeAt(i) !== QUOTE) malformed(i);
    const memberStart = i;
    const keyEnd = skipString(s, i);
    i = skipSpace(s, keyEnd);
    if (s.charCodeAt(i) !== COLON) malformed(i);
    const valueStart = skipSpace(s, i + 1);
    const read = visit(memberStart, keyEnd, valueStart, memberStart, previousComma);
    i = skipSpace(s, read >= 0 ? read : skipValue(s, valueStart));
    const c = s.charCodeAt(i);
    if (c === CLOSE_BRACE) return i + 1;
    if (c !== COMMA) malformed(i);
    previousComma = i;
    i = skipSpace(s, i + 1);
  }
}

/** The span of a member whose value ends at `valueEnd`, with the comma to cut alongside it. */
function spanOf(s: string, memberStart: number, previousComma: number, valueStart: number, valueEnd: number): MemberSpan {
  const after = skipSpace(s, valueEnd);
  return s.charCodeAt(after) === COMMA
    ? { valueStart, valueEnd, cutStart: memberStart, cutEnd: skipSpace(s, after + 1) }
    : { valueStart, valueEnd, cutStart: previousComma >= 0 ? previousComma : memberStart, cutEnd: valueEnd };
}

/**
 * The member `key` of the top-level object in `s` (the last one, as JSON.parse keeps), if any;
 * `from`: where an object nested in `s` starts instead (a value's `valueStart`).
 */
export function topLevelMember(s: string, key: string, from = 0): MemberSpan | undefined {
  let found: MemberSpan | undefined;
  scanMembers(s, from, (keyStart, keyEnd, valueStart, memberStart, previousComma) => {
    if (!keyIs(s, keyStart, keyEnd, key)) return -1;
    const valueEnd = skipValue(s, valueStart);
    found = spanOf(s, memberStart, previousComma, valueStart, valueEnd);
    return valueEnd;
  });
  return found;
}

/**
 * The object `s` without the member at `cut` (if given), with `members` (serialised
 * `"key":value` pairs, joined by commas) appended before its closing brace.
 */
export function spliceMembers(s: string, cut: MemberSpan | undefined, members: string): string {
  const text = cut ? s.slice(0, cut.cutStart) + s.slice(cut.cutEnd) : s;
  const close = text.lastIndexOf('}');
  let last = close - 1;
  while (last >= 0 && isSpace(text.charCodeAt(last))) last--;
  if (!members) return text.slice(0, close + 1);
  const empty = text.charCodeAt(last) === OPEN_BRACE;
  return `${text.slice(0, close)}${empty ? '' : ','}${members}}`;
}

/**
 * spliceMembers for a stored object's UTF-8 bytes, with nothing to cut: the bytes before its
 * closing brace (a view, not a copy) and the text that follows them. Nothing is decoded.
 */
export function appendMembersToBytes(bytes: Uint8Array, members: string): { head: Uint8Array; tail: string } {
  const close = bytes.lastIndexOf(CLOSE_BRACE);
  if (close < 0) malformed(0);
  let last = close - 1;
  while (last >= 0 && isSpace(bytes[last])) last--;
  return { head: bytes.subarray(0, close), tail: `${bytes[last] === OPEN_BRACE ? '' : ','}${members}}` };
}

/**
 * The top-level segmentMembership of a stored record, and the entries of `segments` in it (in the
 * order listed, grouped by namespace), each parsed on its own: the same object
 * `compileMembershipRestriction(segments)` makes of the parsed membership, without parsing the
 * membership's other entries (a profile has dozens; an export asks for one or a few). One pass
 * over the text: the wanted namespaces and entries are picked up on the way.
 */
export function storedMemberships(s: string, segments: readonly SegmentRef[]): { span?: MemberSpan; kept?: PlainObject } {
  const wanted = new Map<string, string[]>();
  for (const { segmentNs, segmentId } of segments) {
    const ids = wanted.get(segmentNs);
    if (!ids) wanted.set(segmentNs, [segmentId]);
    else if (!ids.includes(segmentId)) ids.push(segmentId);
  }
  let span: MemberSpan | undefined;
  let found = new Map<string, Map<string, [number, number]>>();
  scanMembers(s, 0, (keyStart, keyEnd, valueStart, memberStart, previousComma) => {
    if (!keyIs(s, keyStart, keyEnd, 'segmentMembership')) return -1;
    // A later duplicate replaces an earlier one, as in JSON.parse.
    found = new Map();
    let valueEnd: number;
    if (s.charCodeAt(valueStart) !== OPEN_BRACE) {
      valueEnd = skipValue(s, valueStart);
    } else {
      valueEnd = scanMembers(s, valueStart, (nsStart, nsEnd, nsValue) => {
        if (s.charCodeAt(nsValue) !== OPEN_BRACE) return -1;
        for (const [ns, ids] of wanted) {
          if (!keyIs(s, nsStart, nsEnd, ns)) continue;
          const entries = new Map<string, [number, number]>();
          found.set(ns, entries);
          return scanMembers(s, nsValue, (idStart, idEnd, entryValue) => {
            const id = ids.find((x) => keyIs(s, idStart, idEnd, x));
            if (id === undefined) return -1;
            const entryEnd = skipValue(s, entryValue);
            entries.set(id, [entryValue, entryEnd]);
            return entryEnd;
          });
        }
        return -1;
      });
    }
    span = spanOf(s, memberStart, previousComma, valueStart, valueEnd);
    return valueEnd;
  });
  if (!span) return {};
  let kept: PlainObject | undefined;
  for (const { segmentNs, segmentId } of segments) {
    const at = found.get(segmentNs)?.get(segmentId);
    if (!at) continue;
    kept ??= {};
    let group = Object.hasOwn(kept, segmentNs) ? (kept[segmentNs] as PlainObject) : undefined;
    if (!group) {
      group = {};
      setKey(kept, segmentNs, group);
    }
    if (!Object.hasOwn(group, segmentId)) setKey(group, segmentId, JSON.parse(s.slice(at[0], at[1])));
  }
  return { span, kept };
}
