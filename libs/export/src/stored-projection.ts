/**
 * `fields` applied to a stored record's bytes: the export's fast path for a projected profile of
 * one fragment. The same row as `compileProjection(fields, segments)` of the merged profile
 * (selected keys in the order `fields` lists them, the last of duplicated keys, arrays mapped
 * element by element, then identityMap whole, then the kept segmentMembership), made by walking
 * the bytes once and copying the selected values as they are stored: nothing is parsed but the
 * membership entries a segment filter needs. A value is written as stored (`1.0` stays `1.0`,
 * an escape stays an escape): the same JSON value, not always the same characters as
 * JSON.stringify would write.
 */
import { ByteBuilder } from './byte-builder';
import {
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COMMA,
  type MemberSpan,
  OPEN_BRACE,
  OPEN_BRACKET,
  type WantedKey,
  firstElement,
  firstMember,
  isSpace,
  keyIs,
  nextElement,
  nextMember,
  skipSpace,
  skipString,
  skipValue,
  valueAfterKey,
  wantedKey,
} from './json-bytes';
import { type FieldTree, parseFieldPaths, selectValue } from './paths';
import type { PlainObject } from './plain-object';

/** One level of the field tree, compiled: its keys, their output tokens, where each was last seen. */
interface Selector {
  keys: WantedKey[];
  /** `"key":` as written. */
  tokens: Buffer[];
  subs: Array<Selector | null>;
  trees: Array<FieldTree | null>;
  /** Value start and end of each key's last occurrence in the object being walked; -1: absent. */
  starts: Int32Array;
  ends: Int32Array;
  /**
   * Before a merge: a value that is not an object is kept whole where the path goes on (a leaf
   * hides what lower fragments have there), and an object is kept even when nothing is under it.
   */
  beforeMerge: boolean;
}

function compile(tree: FieldTree, beforeMerge = false): Selector {
  return {
    beforeMerge,
    keys: tree.keys.map(wantedKey),
    tokens: tree.keys.map((k) => Buffer.from(`${JSON.stringify(k)}:`, 'utf8')),
    subs: tree.subtrees.map((s) => (s === null ? null : compile(s, beforeMerge))),
    trees: [...tree.subtrees],
    starts: new Int32Array(tree.keys.length),
    ends: new Int32Array(tree.keys.length),
  };
}

/** Records in `sel` where each selected key's value last occurs in the object at `at`; returns the index after the object. */
function walk(sel: Selector, b: Buffer, at: number, skip?: MemberSpan): number {
  sel.starts.fill(-1);
  const { keys, starts, ends } = sel;
  let k = firstMember(b, at);
  while (k >= 0) {
    let valueEnd: number;
    if (skip !== undefined && k === skip.keyStart) {
      valueEnd = skip.valueEnd;
    } else {
      const keyEnd = skipString(b, k);
      const valueStart = valueAfterKey(b, keyEnd);
      valueEnd = skipValue(b, valueStart);
      for (let i = 0; i < keys.length; i++) {
        if (keyIs(b, k, keyEnd, keys[i])) {
          starts[i] = valueStart;
          ends[i] = valueEnd;
          break;
        }
      }
    }
    k = nextMember(b, valueEnd);
  }
  return ~k;
}

/**
 * Writes the selected members (after a comma when `wrote`), in the tree's order; answers whether
 * any was written. `sel` must have just walked the object.
 */
function writeMembers(sel: Selector, b: Buffer, out: ByteBuilder, wrote: boolean): boolean {
  const { starts, ends, subs, tokens } = sel;
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i];
    if (start < 0) continue;
    const mark = out.length;
    if (wrote) out.byte(COMMA);
    out.bytes(tokens[i]);
    const sub = subs[i];
    if (sub === null || (sel.beforeMerge && b[start] !== OPEN_BRACE)) {
      out.bytes(b, start, ends[i]);
      wrote = true;
    } else if (writeValue(sub, b, start, out) || sel.beforeMerge) {
      wrote = true;
    } else {
      out.truncate(mark); // nothing of it is there: the key is absent, not empty
    }
  }
  return wrote;
}

/** The selection of the value at `at` (an object or array; a scalar has nothing under it); false when it selects nothing. */
function writeValue(sel: Selector, b: Buffer, at: number, out: ByteBuilder): boolean {
  if (b[at] === OPEN_BRACE) {
    walk(sel, b, at);
    out.byte(OPEN_BRACE);
    const any = writeMembers(sel, b, out, false);
    out.byte(CLOSE_BRACE);
    return any;
  }
  if (b[at] === OPEN_BRACKET) return writeElements(sel, b, at, out) >= 0;
  return false;
}

/**
 * Maps the selection over an array's elements, as selectFields does: an object element always
 * yields an object (`{}` when it lacks the path), arrays recurse, scalars are dropped. Returns
 * the index after the array, or its bitwise complement when nothing was written (the array is absent).
 */
function writeElements(sel: Selector, b: Buffer, at: number, out: ByteBuilder): number {
  out.byte(OPEN_BRACKET);
  let count = 0;
  let e = firstElement(b, at);
  while (e >= 0) {
    let end: number;
    const mark = out.length;
    if (count > 0) out.byte(COMMA);
    if (b[e] === OPEN_BRACE) {
      end = walk(sel, b, e);
      out.byte(OPEN_BRACE);
      writeMembers(sel, b, out, false);
      out.byte(CLOSE_BRACE);
      count++;
    } else if (b[e] === OPEN_BRACKET) {
      end = writeElements(sel, b, e, out);
      if (end >= 0) count++;
      else {
        end = ~end;
        out.truncate(mark);
      }
    } else {
      end = skipValue(b, e);
      out.truncate(mark);
    }
    e = nextElement(b, end);
  }
  out.byte(CLOSE_BRACKET);
  return count > 0 ? ~e : e;
}

/** What the row takes from outside the stored bytes. */
export interface StoredRowInput {
  /** The merged profile's `identities` (stored at ingest for a record without its own): text, or its UTF-8 bytes. */
  identitiesJson: string | Buffer;
  /**
   * Under a segment filter: the exported segments' entries (from compileMembershipPicker) and the
   * span of the record's membership, not walked again. Undefined: no filter, the membership is kept whole.
   */
  picked?: { span?: MemberSpan; kept?: PlainObject };
  /** Writes one more member last (eventList). */
  append?: (out: ByteBuilder) => void;
}

const IDENTITY_MAP = wantedKey('identityMap');
const SEGMENT_MEMBERSHIP = wantedKey('segmentMembership');
const IDENTITIES = 'identities';

/**
 * Compile once per job (fields not blank). The returned function writes the row of a stored
 * single-fragment record into `out` (reset first) and returns out's view: valid until the next call.
 */
export function compileStoredProjection(fields: string): (b: Buffer, input: StoredRowInput, out: ByteBuilder) => Buffer {
  const tree = parseFieldPaths(fields, ['identityMap', 'segmentMembership']) ?? { keys: [], subtrees: [] };
  // The record's own keys, and identityMap and segmentMembership (taken by their own rule) last.
  const top = compile({ keys: [...tree.keys, IDENTITY_MAP.key, SEGMENT_MEMBERSHIP.key], subtrees: [...tree.subtrees, null, null] });
  const n = tree.keys.length;
  const identitiesAt = tree.keys.indexOf(IDENTITIES);
  const identityMapToken = Buffer.from(`"identityMap":`);
  const membershipToken = Buffer.from(`"segmentMembership":`);

  return (b, input, out) => {
    out.reset();
    walk(top, b, 0, input.picked?.span);
    const { starts, ends } = top;
    const mapStart = starts[n];
    const mapEnd = ends[n];
    const membershipStart = starts[n + 1];
    const membershipEnd = ends[n + 1];
    // Only the selection is written by writeMembers: the two rule keys come after it.
    starts[n] = -1;
    starts[n + 1] = -1;
    out.byte(OPEN_BRACE);
    let wrote: boolean;
    if (identitiesAt < 0) {
      wrote = writeMembers(top, b, out, false);
    } else {
      // `identities` is the merged profile's (not in the record): written at its place in the tree's order.
      wrote = writeMembersAround(top, b, out, identitiesAt, input.identitiesJson, tree.subtrees[identitiesAt]);
    }
    if (mapStart >= 0) {
      if (wrote) out.byte(COMMA);
      out.bytes(identityMapToken);
      out.bytes(b, mapStart, mapEnd);
      wrote = true;
    }
    if (input.picked) {
      if (input.picked.kept !== undefined) {
        if (wrote) out.byte(COMMA);
        out.bytes(membershipToken);
        out.text(JSON.stringify(input.picked.kept));
        wrote = true;
      }
    } else if (membershipStart >= 0) {
      if (wrote) out.byte(COMMA);
      out.bytes(membershipToken);
      out.bytes(b, membershipStart, membershipEnd);
      wrote = true;
    }
    if (input.append) {
      if (wrote) out.byte(COMMA);
      input.append(out);
    }
    out.byte(CLOSE_BRACE);
    return out.view();
  };
}

/** writeMembers with the tree's key `at` taken from `identitiesJson` instead of the record. */
function writeMembersAround(top: Selector, b: Buffer, out: ByteBuilder, at: number, identitiesJson: string | Buffer, tree: FieldTree | null): boolean {
  const { starts } = top;
  const after = Array.from(starts.subarray(at + 1));
  starts.fill(-1, at);
  let wrote = writeMembers(top, b, out, false);
  const value = tree === null ? identitiesJson : JSON.stringify(selectValue(JSON.parse(identitiesJson.toString()), tree));
  if (value !== undefined) {
    if (wrote) out.byte(COMMA);
    out.bytes(top.tokens[at]);
    if (typeof value === 'string') out.text(value);
    else out.bytes(value);
    wrote = true;
  }
  starts.fill(-1, 0, at + 1);
  starts.set(after, at + 1);
  return writeMembers(top, b, out, wrote);
}

/**
 * Compile once per job (fields not blank). Before a profile of several fragments is merged, each
 * fragment is cut down to what the merge and then the projection can need of it: the selected
 * paths (see Selector.beforeMerge), identityMap, and segmentMembership unless `withMembership`
 * is false (a segment filter picks its entries apart). Merging the cut records and projecting
 * the merge gives the row that merging the whole records would: attributes merge key by key, so
 * a key `fields` does not reach never changes one it does. The result is the cut record's JSON text.
 */
export function compileMergeInputProjection(fields: string, withMembership: boolean): (b: Buffer, out: ByteBuilder) => Buffer {
  const tree = parseFieldPaths(fields, ['identityMap', 'segmentMembership', IDENTITIES]) ?? { keys: [], subtrees: [] };
  const keys = [...tree.keys, IDENTITY_MAP.key, ...(withMembership ? [SEGMENT_MEMBERSHIP.key] : [])];
  const top = compile({ keys, subtrees: [...tree.subtrees, null, null].slice(0, keys.length) }, true);
  return (b, out) => {
    out.reset();
    walk(top, b, 0);
    out.byte(OPEN_BRACE);
    writeMembers(top, b, out, false);
    out.byte(CLOSE_BRACE);
    return out.view();
  };
}

/**
 * Compile once per job. `selectFields(record, tree) ?? {}` of the object in `b`, written into
 * `out` (appended: not reset) as stored bytes; blank fields write the object whole.
 */
export function compileObjectSelection(fields: string | undefined): (b: Buffer, out: ByteBuilder) => void {
  const tree = parseFieldPaths(fields);
  if (tree === undefined) {
    return (b, out) => {
      const start = skipSpace(b, 0);
      let end = b.length;
      while (end > start && isSpace(b[end - 1])) end--;
      out.bytes(b, start, end);
    };
  }
  const top = compile(tree);
  return (b, out) => {
    writeValue(top, b, skipSpace(b, 0), out);
  };
}

/** Whether `fields` selects (part of) the top-level key `key`. */
export function selectsTopLevel(fields: string, key: string): boolean {
  return parseFieldPaths(fields)?.keys.includes(key) ?? false;
}
