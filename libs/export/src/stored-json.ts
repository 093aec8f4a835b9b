import { type PlainObject, setKey } from './plain-object';
import type { SegmentRef } from './project';

/**
 * Editing a stored record's JSON without parsing all of it: the export's fast path for a profile
 * of one fragment. Parsing a whole ~1.5 KB profile, merging it with itself and serialising it
 * again costs several times what Postgres needs to send it. Everything here works on the
 * record's UTF-8 bytes as Postgres sends them: offsets are byte offsets, nothing is decoded but
 * the few values that are parsed, and strings are skipped with a native indexOf.
 */

/** Where a top-level member `"key": value` sits, and what to cut to remove it with its comma. */
export interface MemberSpan {
  keyStart: number;
  valueStart: number;
  valueEnd: number;
  cutStart: number;
  cutEnd: number;
}

/** A stored record's bytes with members spliced in: `head`, then `middle` (if any), then `tail`. */
export interface SplicedRecord {
  head: Uint8Array;
  middle?: Uint8Array;
  tail: string;
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

function skipSpace(b: Buffer, i: number): number {
  while (i < b.length && isSpace(b[i])) i++;
  return i;
}

function malformed(at: number): never {
  throw new SyntaxError(`stored record is not a JSON object (at byte ${at})`);
}

/** `i` at an opening quote: the index after its closing quote. */
function skipString(b: Buffer, i: number): number {
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
function skipValue(b: Buffer, i: number): number {
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
function firstMember(b: Buffer, i: number): number {
  i = skipSpace(b, i);
  if (b[i] !== OPEN_BRACE) malformed(i);
  i = skipSpace(b, i + 1);
  if (b[i] === CLOSE_BRACE) return ~(i + 1);
  if (b[i] !== QUOTE) malformed(i);
  return i;
}

/** `i` after a member's value: where the next key starts, or ~end when the object closes. */
function nextMember(b: Buffer, i: number): number {
  i = skipSpace(b, i);
  if (b[i] === CLOSE_BRACE) return ~(i + 1);
  if (b[i] !== COMMA) malformed(i);
  i = skipSpace(b, i + 1);
  if (b[i] !== QUOTE) malformed(i);
  return i;
}

/** `keyEnd` after a string: where the value starts if the string is a key, else -1. */
function valueIfKey(b: Buffer, keyEnd: number): number {
  const i = skipSpace(b, keyEnd);
  return b[i] === COLON ? skipSpace(b, i + 1) : -1;
}

/** `keyEnd` after a key: where its value starts. */
function valueAfterKey(b: Buffer, keyEnd: number): number {
  const valueStart = valueIfKey(b, keyEnd);
  if (valueStart < 0) malformed(keyEnd);
  return valueStart;
}

/** The span of the member at `keyStart` whose value ends at `valueEnd`, with a comma to cut alongside it. */
function spanOf(b: Buffer, keyStart: number, valueStart: number, valueEnd: number): MemberSpan {
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
interface WantedKey {
  key: string;
  bytes: Buffer;
  /** Whether it can appear letter for letter (JSON need not escape any of its characters). */
  plain: boolean;
}

/** A lone surrogate has no UTF-8 of its own (Buffer.from writes U+FFFD): only an escape can spell it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const wantedKey = (key: string): WantedKey => ({ key, bytes: Buffer.from(key, 'utf8'), plain: !NEEDS_ESCAPE.test(key) && !LONE_SURROGATE.test(key) });

/** Whether the key token b[keyStart, keyEnd) (quotes included) means `k.key`, escapes and all. */
function keyIs(b: Buffer, keyStart: number, keyEnd: number, k: WantedKey): boolean {
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
function literalKeyAt(b: Buffer, at: number, k: WantedKey): number {
  const end = at + 1 + k.bytes.length;
  if (!k.plain || b[at] !== QUOTE || b[end] !== QUOTE) return -1;
  for (let j = 0; j < k.bytes.length; j++) if (b[at + 1 + j] !== k.bytes[j]) return -1;
  return end + 1;
}

/**
 * The member `key` of the top-level object in `b` (the last one, as JSON.parse keeps), if any.
 * Ingest records where segmentMembership is, so that exports need not look for it.
 */
export function topLevelMember(b: Buffer, key: string): MemberSpan | undefined {
  const wanted = wantedKey(key);
  let found: MemberSpan | undefined;
  let k = firstMember(b, 0);
  for (; k >= 0;) {
    const keyEnd = skipString(b, k);
    const valueStart = valueAfterKey(b, keyEnd);
    const valueEnd = skipValue(b, valueStart);
    if (keyIs(b, k, keyEnd, wanted)) found = spanOf(b, k, valueStart, valueEnd);
    k = nextMember(b, valueEnd);
  }
  return found;
}

/** The bytes before a stored object's closing brace and the text after them, `members` appended. */
export function appendMembersToBytes(b: Buffer, members: string): SplicedRecord {
  return spliceMembersInBytes(b, undefined, members);
}

/**
 * A stored object without the member at `cut` (if given), with `members` (serialised
 * `"key":value` pairs, joined by commas) appended before its closing brace. The bytes are views,
 * not copies: the object before the cut, then after it, then the members' text.
 */
export function spliceMembersInBytes(b: Buffer, cut: MemberSpan | undefined, members: string): SplicedRecord {
  const open = skipSpace(b, 0);
  if (b[open] !== OPEN_BRACE) malformed(open);
  const close = b.lastIndexOf(CLOSE_BRACE);
  if (close < (cut ? cut.cutEnd : 0)) malformed(Math.max(close, 0));
  const head = b.subarray(0, cut ? cut.cutStart : close);
  const middle = cut ? b.subarray(cut.cutEnd, close) : undefined;
  let last = close - 1;
  while (last >= (cut ? cut.cutEnd : 0) && isSpace(b[last])) last--;
  if (cut && last < cut.cutEnd) {
    last = cut.cutStart - 1;
    while (last >= 0 && isSpace(b[last])) last--;
  }
  const comma = members && b[last] !== OPEN_BRACE ? ',' : '';
  return middle?.length ? { head, middle, tail: `${comma}${members}}` } : { head, tail: `${comma}${members}}` };
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
 * dozens; an export asks for one or a few).
 *
 * `keyStart`: where ingest found the segmentMembership key (-1: the record has none), i.e.
 * `topLevelMember` of these same bytes (stored records never change); it is checked to be that
 * key written plainly, not that it is the top-level one (that would need the scan it saves). The
 * record's other members are then not even scanned (a third to a half of a typical record).
 * Without it, or if the bytes there are not that key written plainly, the whole record is scanned.
 */
export function compileMembershipPicker(segments: readonly SegmentRef[]): (b: Buffer, keyStart?: number) => PickedMemberships {
  const groups: Array<{ ns: WantedKey; ids: WantedKey[] }> = [];
  for (const { segmentNs, segmentId } of segments) {
    let group = groups.find((g) => g.ns.key === segmentNs);
    if (!group) groups.push((group = { ns: wantedKey(segmentNs), ids: [] }));
    if (!group.ids.some((x) => x.key === segmentId)) group.ids.push(wantedKey(segmentId));
  }
  const membershipKey = wantedKey('segmentMembership');
  /** Entries found, four numbers each: group, id, value start, value end. */
  const found: number[] = [];

  /** Drops what was found of group `g` (a later duplicate namespace replaces it, as in JSON.parse); -1: everything (a new record). */
  const forget = (g: number) => {
    let kept = 0;
    for (let i = 0; i < found.length; i += 4) {
      if (g >= 0 && found[i] !== g) for (let j = 0; j < 4; j++) found[kept++] = found[i + j];
    }
    found.length = kept;
  };

  /** Scans the membership value at `valueStart` into `found`; returns where the value ends. */
  const scanMembership = (b: Buffer, valueStart: number): number => {
    forget(-1);
    if (b[valueStart] !== OPEN_BRACE) return skipValue(b, valueStart);
    let k = firstMember(b, valueStart);
    for (; k >= 0;) {
      const keyEnd = skipString(b, k);
      const nsValue = valueAfterKey(b, keyEnd);
      let g = -1;
      for (let x = 0; x < groups.length && g < 0; x++) if (keyIs(b, k, keyEnd, groups[x].ns)) g = x;
      let nsEnd: number;
      if (g >= 0) forget(g);
      if (g < 0 || b[nsValue] !== OPEN_BRACE) {
        nsEnd = skipValue(b, nsValue);
      } else {
        const ids = groups[g].ids;
        let e = firstMember(b, nsValue);
        for (; e >= 0;) {
          const idEnd = skipString(b, e);
          const entryStart = valueAfterKey(b, idEnd);
          const entryEnd = skipValue(b, entryStart);
          for (let y = 0; y < ids.length; y++) {
            if (keyIs(b, e, idEnd, ids[y])) {
              found.push(g, y, entryStart, entryEnd);
              break;
            }
          }
          e = nextMember(b, entryEnd);
        }
        nsEnd = ~e;
      }
      k = nextMember(b, nsEnd);
    }
    return ~k;
  };

  /** The last entry found of group `g`'s id `y` (a later duplicate id wins, as in JSON.parse), or -1. */
  const lastFound = (g: number, y: number) => {
    for (let i = found.length - 4; i >= 0; i -= 4) if (found[i] === g && found[i + 1] === y) return i;
    return -1;
  };

  return (b, keyStart) => {
    if (keyStart !== undefined && keyStart < 0) return {};
    const keyEnd = keyStart === undefined ? -1 : literalKeyAt(b, keyStart, membershipKey);
    let valueStart = keyEnd >= 0 ? valueIfKey(b, keyEnd) : -1;
    let at = keyStart ?? -1;
    if (valueStart < 0) {
      // No offset recorded, or not that key there: the whole record is scanned for it.
      const member = topLevelMember(b, membershipKey.key);
      if (!member) return {};
      ({ keyStart: at, valueStart } = member);
    }
    const span = spanOf(b, at, valueStart, scanMembership(b, valueStart));
    // Namespaces in the order first listed, each with its ids in the order listed, as compileMembershipRestriction keeps them.
    let kept: PlainObject | undefined;
    for (let g = 0; g < groups.length; g++) {
      let keptNs: PlainObject | undefined;
      for (let y = 0; y < groups[g].ids.length; y++) {
        const at = lastFound(g, y);
        if (at < 0) continue;
        if (!keptNs) setKey((kept ??= {}), groups[g].ns.key, (keptNs = {}));
        setKey(keptNs, groups[g].ids[y].key, JSON.parse(b.toString('utf8', found[at + 2], found[at + 3])));
      }
    }
    return { span, kept };
  };
}
