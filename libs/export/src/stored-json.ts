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

const NEEDS_ESCAPE = /[\\"\u0000-\u001f]/;

/**
 * A key to look for. `view`: the key as it appears in the text being scanned: itself, or its
 * UTF-8 bytes read as latin1 when the text is a byte view (see compileMembershipPicker).
 */
interface WantedKey {
  key: string;
  view: string;
}

const textKey = (key: string): WantedKey => ({ key, view: key });
const decodeText = (s: string) => (start: number, end: number) => s.slice(start, end);

/** Whether the key token s[keyStart, keyEnd) (quotes included) means `k.key`, escapes and all. */
function keyIs(s: string, keyStart: number, keyEnd: number, k: WantedKey, decode: (start: number, end: number) => string): boolean {
  const rawLength = keyEnd - keyStart - 2;
  // An escape is longer than what it means: a token as long as the key matches only letter for
  // letter, and only if the key has nothing JSON must escape (then the token would hold an escape).
  if (rawLength === k.view.length) return s.startsWith(k.view, keyStart + 1) && !NEEDS_ESCAPE.test(k.key);
  if (rawLength < k.view.length) return false;
  for (let j = keyStart + 1; j < keyEnd - 1; j++) {
    if (s.charCodeAt(j) === BACKSLASH) return JSON.parse(decode(keyStart, keyEnd)) === k.key;
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
  const wanted = textKey(key);
  const decode = decodeText(s);
  scanMembers(s, from, (keyStart, keyEnd, valueStart, memberStart, previousComma) => {
    if (!keyIs(s, keyStart, keyEnd, wanted, decode)) return -1;
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
 * spliceMembers for a stored object's UTF-8 bytes: the bytes without the member at `cut` and
 * before the closing brace (a view when nothing is cut, else one copy), and the text after them.
 * `cut` is in byte offsets (from a latin1 view of the bytes). Nothing is decoded.
 */
export function spliceMembersInBytes(bytes: Buffer, cut: MemberSpan | undefined, members: string): { head: Uint8Array; tail: string } {
  if (!cut) return appendMembersToBytes(bytes, members);
  const close = bytes.lastIndexOf(CLOSE_BRACE);
  if (close < cut.cutEnd) malformed(close);
  const head = Buffer.concat([bytes.subarray(0, cut.cutStart), bytes.subarray(cut.cutEnd, close)]);
  let last = head.length - 1;
  while (last >= 0 && isSpace(head[last])) last--;
  return { head, tail: `${head[last] === OPEN_BRACE ? '' : ','}${members}}` };
}

/** What a stored record's membership holds of the exported segments (see compileMembershipPicker). */
export interface PickedMemberships {
  /** Where the record's top-level segmentMembership is, to cut it. */
  span?: MemberSpan;
  /** The exported segments' entries, as `compileMembershipRestriction(segments)` keeps them. */
  kept?: PlainObject;
}

/**
 * Compile once per job. The returned function finds a stored record's top-level
 * segmentMembership and the entries of `segments` in it (in the order listed, grouped by
 * namespace), each parsed on its own: the same object `compileMembershipRestriction(segments)`
 * makes of the parsed membership, without parsing the membership's other entries (a profile has
 * dozens; an export asks for one or a few). One pass over the text.
 *
 * `s` is the record's text, or, with `decode` given, its UTF-8 bytes read as latin1 (one char
 * per byte, so offsets are byte offsets and no UTF-8 decoding happens); `decode(start, end)`
 * then gives the real text of a byte range. JSON's structural characters are ASCII, and no byte
 * of a multi-byte UTF-8 sequence is ASCII, so the scan reads both views alike.
 */
export function compileMembershipPicker(segments: readonly SegmentRef[]): (s: string, decode?: (start: number, end: number) => string) => PickedMemberships {
  const namespaces: Array<{ ns: WantedKey; ids: WantedKey[] }> = [];
  for (const { segmentNs, segmentId } of segments) {
    let group = namespaces.find((g) => g.ns.key === segmentNs);
    if (!group) namespaces.push((group = { ns: { key: segmentNs, view: '' }, ids: [] }));
    if (!group.ids.some((x) => x.key === segmentId)) group.ids.push({ key: segmentId, view: '' });
  }
  const asLatin1 = (k: WantedKey) => ({ key: k.key, view: Buffer.from(k.key, 'utf8').toString('latin1') });
  const views = {
    text: namespaces.map((g) => ({ ns: textKey(g.ns.key), ids: g.ids.map((x) => textKey(x.key)) })),
    bytes: namespaces.map((g) => ({ ns: asLatin1(g.ns), ids: g.ids.map(asLatin1) })),
  };
  const membershipKey = textKey('segmentMembership');

  return (s, decode) => {
    const wanted = decode ? views.bytes : views.text;
    const read = decode ?? decodeText(s);
    let span: MemberSpan | undefined;
    let found = new Map<string, Map<string, [number, number]>>();
    scanMembers(s, 0, (keyStart, keyEnd, valueStart, memberStart, previousComma) => {
      if (!keyIs(s, keyStart, keyEnd, membershipKey, read)) return -1;
      // A later duplicate replaces an earlier one, as in JSON.parse.
      found = new Map();
      let valueEnd: number;
      if (s.charCodeAt(valueStart) !== OPEN_BRACE) {
        valueEnd = skipValue(s, valueStart);
      } else {
        valueEnd = scanMembers(s, valueStart, (nsStart, nsEnd, nsValue) => {
          if (s.charCodeAt(nsValue) !== OPEN_BRACE) return -1;
          const group = wanted.find((g) => keyIs(s, nsStart, nsEnd, g.ns, read));
          if (!group) return -1;
          const entries = new Map<string, [number, number]>();
          found.set(group.ns.key, entries);
          return scanMembers(s, nsValue, (idStart, idEnd, entryValue) => {
            const id = group.ids.find((x) => keyIs(s, idStart, idEnd, x, read));
            if (id === undefined) return -1;
            const entryEnd = skipValue(s, entryValue);
            entries.set(id.key, [entryValue, entryEnd]);
            return entryEnd;
          });
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
      if (!Object.hasOwn(group, segmentId)) setKey(group, segmentId, JSON.parse(read(at[0], at[1])));
    }
    return { span, kept };
  };
}

/** compileMembershipPicker(segments) applied once to a record's text. */
export function storedMemberships(s: string, segments: readonly SegmentRef[]): PickedMemberships {
  return compileMembershipPicker(segments)(s);
}
