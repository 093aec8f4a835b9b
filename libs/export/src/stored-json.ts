import type { ByteBuilder } from './byte-builder';
import {
  CLOSE_BRACE,
  COMMA,
  type MemberSpan,
  OPEN_BRACE,
  type WantedKey,
  firstMember,
  isSpace,
  keyIs,
  literalKeyAt,
  malformed,
  nextMember,
  skipSpace,
  skipString,
  skipValue,
  spanOf,
  valueAfterKey,
  valueIfKey,
  wantedKey,
} from './json-bytes';
import { type PlainObject, setKey } from './plain-object';
import type { SegmentRef } from './project';

/**
 * Editing a stored record's JSON without parsing all of it: the export's fast path for a profile
 * of one fragment. Parsing a whole ~1.5 KB profile, merging it with itself and serialising it
 * again costs several times what Postgres needs to send it. Everything here works on the
 * record's UTF-8 bytes as Postgres sends them: offsets are byte offsets, nothing is decoded but
 * the few values that are parsed, and strings are skipped with a native indexOf.
 */

/** A stored record's bytes with members spliced in: `head`, then `middle` (if any), then `tail`. */
export type { MemberSpan, WantedKey } from './json-bytes';
export { wantedKey } from './json-bytes';

export interface SplicedRecord {
  head: Uint8Array;
  middle?: Uint8Array;
  tail: string;
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

/**
 * The values of the top-level members `keys` of the object in `b`, parsed (undefined where absent;
 * the last of a duplicated key, as JSON.parse keeps), without parsing the other members: they are
 * only skipped. Throws a SyntaxError when `b` is not one object (whitespace aside).
 */
export function parseTopLevelMembers(b: Buffer, keys: readonly WantedKey[]): unknown[] {
  const spans: Array<[number, number] | undefined> = keys.map(() => undefined);
  let k = firstMember(b, 0);
  while (k >= 0) {
    const keyEnd = skipString(b, k);
    const valueStart = valueAfterKey(b, keyEnd);
    const valueEnd = skipValue(b, valueStart);
    for (let i = 0; i < keys.length; i++) if (keyIs(b, k, keyEnd, keys[i])) spans[i] = [valueStart, valueEnd];
    k = nextMember(b, valueEnd);
  }
  // ~k is just past the closing brace: nothing but whitespace may follow.
  if (skipSpace(b, ~k) !== b.length) malformed(~k);
  return spans.map((span) => (span ? (JSON.parse(b.toString('utf8', span[0], span[1])) as unknown) : undefined));
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

/**
 * spliceMembersInBytes with the members written by `members` (one or more `"key":value` pairs,
 * joined by commas) as bytes, so that nothing of the row becomes a string: what a row needs when
 * some of its members are bytes too (the stored `identities`). `head` is a view of `b` (the object
 * up to the cut, or up to its closing brace); `middle` is `out` (reset first): the object after the
 * cut, the members and the closing brace. The record's bytes are copied only by the writer, once.
 * Both are valid until `out` is reset and while `b` is.
 */
export function spliceMembersInto(b: Buffer, cut: MemberSpan | undefined, out: ByteBuilder, members: (out: ByteBuilder) => void): { head: Buffer; middle: Buffer; tail: '' } {
  const open = skipSpace(b, 0);
  if (b[open] !== OPEN_BRACE) malformed(open);
  const close = lastCloseBrace(b);
  if (close < (cut ? cut.cutEnd : 0)) malformed(Math.max(close, 0));
  out.reset();
  if (cut) out.bytes(b, cut.cutEnd, close);
  let last = close - 1;
  while (last >= (cut ? cut.cutEnd : 0) && isSpace(b[last])) last--;
  if (cut && last < cut.cutEnd) {
    last = cut.cutStart - 1;
    while (last >= 0 && isSpace(b[last])) last--;
  }
  if (b[last] !== OPEN_BRACE) out.byte(COMMA);
  members(out);
  out.byte(CLOSE_BRACE);
  return { head: b.subarray(0, cut ? cut.cutStart : close), middle: out.view(), tail: '' };
}

/** Where the last `}` is: stored records mostly end with it (checked first), else a search back. */
function lastCloseBrace(b: Buffer): number {
  let i = b.length - 1;
  while (i >= 0 && isSpace(b[i])) i--;
  return i >= 0 && b[i] === CLOSE_BRACE ? i : b.lastIndexOf(CLOSE_BRACE);
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
