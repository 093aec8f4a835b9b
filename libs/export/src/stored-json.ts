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

/**
 * The member `key` of the top-level object in `s` (the last one, as JSON.parse keeps), if any;
 * `from`: where an object nested in `s` starts instead (a value's `valueStart`).
 */
export function topLevelMember(s: string, key: string, from = 0): MemberSpan | undefined {
  let i = skipSpace(s, from);
  if (s.charCodeAt(i) !== OPEN_BRACE) malformed(i);
  i = skipSpace(s, i + 1);
  if (s.charCodeAt(i) === CLOSE_BRACE) return undefined;
  let found: MemberSpan | undefined;
  let previousComma = -1;
  for (;;) {
    if (s.charCodeAt(i) !== QUOTE) malformed(i);
    const memberStart = i;
    const keyEnd = skipString(s, i);
    const raw = s.slice(i + 1, keyEnd - 1);
    const matches = raw.includes('\\') ? JSON.parse(s.slice(i, keyEnd)) === key : raw === key;
    i = skipSpace(s, keyEnd);
    if (s.charCodeAt(i) !== COLON) malformed(i);
    const valueStart = skipSpace(s, i + 1);
    const valueEnd = skipValue(s, valueStart);
    i = skipSpace(s, valueEnd);
    const c = s.charCodeAt(i);
    if (c === COMMA) {
      if (matches) found = { valueStart, valueEnd, cutStart: memberStart, cutEnd: skipSpace(s, i + 1) };
      previousComma = i;
      i = skipSpace(s, i + 1);
      continue;
    }
    if (c !== CLOSE_BRACE) malformed(i);
    // The last member: its comma is the one before it.
    if (matches) found = { valueStart, valueEnd, cutStart: previousComma >= 0 ? previousComma : memberStart, cutEnd: valueEnd };
    return found;
  }
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
 * The top-level segmentMembership of a stored record, and the entries of `segments` in it (in the
 * order listed, grouped by namespace), each parsed on its own: the same object
 * `compileMembershipRestriction(segments)` makes of the parsed membership, without parsing the
 * membership's other entries (a profile has dozens; an export asks for one or a few).
 */
export function storedMemberships(s: string, segments: readonly SegmentRef[]): { span?: MemberSpan; kept?: PlainObject } {
  const span = topLevelMember(s, 'segmentMembership');
  if (!span || s.charCodeAt(span.valueStart) !== OPEN_BRACE) return { span };
  let kept: PlainObject | undefined;
  const namespaces = new Map<string, MemberSpan | undefined>();
  for (const { segmentNs, segmentId } of segments) {
    if (!namespaces.has(segmentNs)) {
      const ns = topLevelMember(s, segmentNs, span.valueStart);
      namespaces.set(segmentNs, ns && s.charCodeAt(ns.valueStart) === OPEN_BRACE ? ns : undefined);
    }
    const ns = namespaces.get(segmentNs);
    if (!ns) continue;
    const entry = topLevelMember(s, segmentId, ns.valueStart);
    if (!entry) continue;
    kept ??= {};
    let group = Object.hasOwn(kept, segmentNs) ? (kept[segmentNs] as PlainObject) : undefined;
    if (!group) {
      group = {};
      setKey(kept, segmentNs, group);
    }
    setKey(group, segmentId, JSON.parse(s.slice(entry.valueStart, entry.valueEnd)));
  }
  return { span, kept };
}
