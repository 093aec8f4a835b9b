/**
 * Merges a profile's fragments under a merge policy (DESIGN.md section 2). Runs once per exported
 * profile, so it copies only what it must: a nested object (or array, or identity/membership
 * entry) that only one fragment has is shared with that fragment's record; new objects are made
 * only at the top level and where two fragments' objects meet. The result must therefore be
 * treated as read-only below its top level; the inputs are never written to.
 */
import type { AttributeMerge, AttributeMergeType } from '@sx/domain';
import { type PlainObject, hasOwn, isPlainObject, ownValue, setKey } from './plain-object';

export interface FragmentInput {
  /** The parsed XDM record. */
  record: PlainObject;
  datasetId: string;
  /** ms: extSourceSystemAudit.lastUpdatedDate when given, else the ingest time. */
  recordTime: number;
  /** ms */
  ingestTime: number;
}

export interface MergeRule {
  attributeMerge: AttributeMergeType;
  /** Dataset ids, first wins; only read for dataSetPrecedence. */
  order?: readonly string[];
}

export interface IdentityRef {
  namespace: string;
  id: string;
}

export interface MergedProfile {
  /** The merged record, with identityMap, identities and (if any fragment had one) segmentMembership. */
  record: PlainObject;
  /** The first primary-flagged identity in merged identityMap order, else the first identity. */
  primaryIdentity: IdentityRef;
}

/** The merge rule of a stored policy's `attributeMerge`. */
export function mergeRuleOf(attributeMerge: AttributeMerge): MergeRule {
  return attributeMerge.type === 'dataSetPrecedence' ? { attributeMerge: 'dataSetPrecedence', order: attributeMerge.order } : { attributeMerge: 'timestampOrdered' };
}

// Keys with a merge rule of their own; `identities` is derived, whatever a fragment says.
const OWN_RULE_KEYS: ReadonlySet<string> = new Set(['identityMap', 'segmentMembership', 'identities']);

export function mergeProfile(fragments: readonly FragmentInput[], policy: MergeRule): MergedProfile {
  if (fragments.length === 0) {
    throw new Error('mergeProfile needs at least one fragment; an event-only profile is emptyProfile(...)');
  }
  const ranked = byPrecedence(fragments, policy);
  const record = mergeAttributes(ranked);
  const identityMap = mergeIdentityMap(ranked);
  record.identityMap = identityMap;
  const membership = mergeMemberships(ranked);
  if (membership !== undefined) record.segmentMembership = membership;
  else if (hasOwn(record, 'segmentMembership')) delete record.segmentMembership; // only a malformed one gets here
  const { identities, primaryIdentity } = deriveIdentities(identityMap);
  record.identities = identities;
  return { record, primaryIdentity };
}

/** An event-only profile: only identities, the first one primary. */
export function emptyProfile(identities: readonly IdentityRef[]): MergedProfile {
  const identityMap: Record<string, PlainObject[]> = {};
  for (const { namespace, id } of identities) {
    const list = ownValue(identityMap, namespace) as PlainObject[] | undefined;
    if (list === undefined) setKey(identityMap, namespace, [{ id, primary: false }]);
    else if (!containsId(list, id)) list.push({ id, primary: false });
  }
  const first = identities[0];
  if (first === undefined) throw new Error('an empty profile needs at least one identity');
  identityMap[first.namespace][0].primary = true;
  const derived = deriveIdentities(identityMap);
  return { record: { identityMap, identities: derived.identities }, primaryIdentity: derived.primaryIdentity };
}

/**
 * Highest precedence first. dataSetPrecedence: position in `order` (unlisted datasets after all
 * listed ones); then the later recordTime, the later ingestTime, the later input position.
 */
function byPrecedence(fragments: readonly FragmentInput[], rule: MergeRule): readonly FragmentInput[] {
  const n = fragments.length;
  if (n === 1) return fragments;
  const order = rule.attributeMerge === 'dataSetPrecedence' && rule.order?.length ? rule.order : undefined;
  // The common pair needs one comparison, not a sort. On a full tie the later input ranks higher.
  if (n === 2) return compare(fragments[0], fragments[1], order) < 0 ? fragments : [fragments[1], fragments[0]];
  // Reversed copy: sort is stable, so fragments tied on every key keep the later one first.
  const ranked = new Array<FragmentInput>(n);
  for (let i = 0; i < n; i++) ranked[i] = fragments[n - 1 - i];
  return ranked.sort((a, b) => compare(a, b, order));
}

/** Negative when `a` has the higher precedence, positive when `b` has, 0 on a tie. */
function compare(a: FragmentInput, b: FragmentInput, order: readonly string[] | undefined): number {
  if (order !== undefined) {
    const byDataset = datasetRank(a, order) - datasetRank(b, order);
    if (byDataset !== 0) return byDataset;
  }
  return b.recordTime - a.recordTime || b.ingestTime - a.ingestTime;
}

function datasetRank(f: FragmentInput, order: readonly string[]): number {
  const r = order.indexOf(f.datasetId);
  return r < 0 ? order.length : r;
}

/**
 * The attributes: a right fold that lays each higher-ranked record over the merge of those below
 * it, exactly as assigning lowest to highest would (so a leaf between two objects hides the lower
 * one). The top level is always a new object; keys with a rule of their own are overwritten after.
 */
function mergeAttributes(ranked: readonly FragmentInput[]): PlainObject {
  let merged: PlainObject = { ...ranked[ranked.length - 1].record };
  for (let i = ranked.length - 2; i >= 0; i--) merged = overlay(ranked[i].record, merged, true);
  return merged;
}

/**
 * A new object: a shallow copy of `base` with `top`'s keys laid over it. A leaf (scalar, null,
 * array) replaces; an object over an object merges into a new object, so no input is written to;
 * everything else is shared. Undefined counts as absent (JSON has no undefined). The spread copy
 * is much cheaper than adding keys one by one.
 */
function overlay(top: PlainObject, base: PlainObject, topLevel: boolean): PlainObject {
  const out: PlainObject = { ...base };
  for (const key in top) {
    const value = top[key];
    if (value === undefined || !hasOwn(top, key)) continue;
    if (isPlainObject(value) && !(topLevel && OWN_RULE_KEYS.has(key))) {
      const below = out[key];
      // `out.__proto__` reads the prototype when there is no own key of that name.
      if (isPlainObject(below) && (key !== '__proto__' || hasOwn(out, key))) {
        setKey(out, key, overlay(value, below, false));
        continue;
      }
    }
    setKey(out, key, value);
  }
  return out;
}

/**
 * Union of all identityMaps, deduplicated by id per namespace; the kept entry (whole, so its
 * `primary` flag too) is that of the highest-precedence fragment. Entries without a string id are
 * not identities and are left out.
 */
function mergeIdentityMap(ranked: readonly FragmentInput[]): Record<string, PlainObject[]> {
  const out: Record<string, PlainObject[]> = {};
  for (const fragment of ranked) {
    const map = ownValue(fragment.record, 'identityMap');
    if (!isPlainObject(map)) continue;
    for (const ns in map) {
      if (!hasOwn(map, ns)) continue;
      const entries = map[ns];
      if (!Array.isArray(entries)) continue;
      let list = ownValue(out, ns) as PlainObject[] | undefined;
      for (const entry of entries) {
        if (!isPlainObject(entry) || typeof entry.id !== 'string') continue;
        if (list === undefined) {
          list = [];
          setKey(out, ns, list);
        } else if (containsId(list, entry.id)) {
          continue;
        }
        list.push(entry);
      }
    }
  }
  return out;
}

// A linear scan: a namespace holds a handful of ids, where a Set would cost more than it saves.
function containsId(list: readonly PlainObject[], id: string): boolean {
  for (let i = 0; i < list.length; i++) if (list[i].id === id) return true;
  return false;
}

/**
 * Per (namespace, segment) the entry with the latest lastQualificationTime (missing or unreadable:
 * its fragment's ingestTime); on a tie the higher-precedence fragment's. Undefined when no
 * fragment has a segmentMembership object.
 */
function mergeMemberships(ranked: readonly FragmentInput[]): PlainObject | undefined {
  if (ranked.length === 1) {
    const only = ownValue(ranked[0].record, 'segmentMembership');
    return isPlainObject(only) ? only : undefined; // nothing to decide: share it
  }
  let out: PlainObject | undefined;
  // The ingest time of each kept entry's fragment, its time if it has none of its own.
  let fallbacks: Map<PlainObject, number> | undefined;
  for (const fragment of ranked) {
    const membership = ownValue(fragment.record, 'segmentMembership');
    if (!isPlainObject(membership)) continue;
    if (out === undefined) out = {};
    for (const ns in membership) {
      const segments = membership[ns];
      if (!isPlainObject(segments) || !hasOwn(membership, ns)) continue;
      let outNs = ownValue(out, ns) as PlainObject | undefined;
      if (outNs === undefined) {
        outNs = {};
        setKey(out, ns, outNs);
      }
      for (const segmentId in segments) {
        const entry = segments[segmentId];
        if (!isPlainObject(entry) || !hasOwn(segments, segmentId)) continue;
        const current = ownValue(outNs, segmentId) as PlainObject | undefined;
        // Strictly later only: ranked is highest precedence first, so a tie keeps the current one.
        if (current !== undefined && !qualifiedLater(entry, fragment.ingestTime, current, fallbacks?.get(current) ?? 0)) {
          continue;
        }
        setKey(outNs, segmentId, entry);
        if (fallbacks === undefined) fallbacks = new Map();
        fallbacks.set(entry, fragment.ingestTime);
      }
    }
  }
  return out;
}

function qualifiedLater(a: PlainObject, aFallback: number, b: PlainObject, bFallback: number): boolean {
  const ta = a.lastQualificationTime;
  const tb = b.lastQualificationTime;
  // Two UTC timestamps of one layout (same length) order as strings; this spares Date.parse,
  // a large part of a merge's cost, in the usual case.
  if (typeof ta === 'string' && typeof tb === 'string' && ta.length === tb.length && isUtcIso(ta) && isUtcIso(tb)) {
    return ta > tb;
  }
  return qualificationTime(ta, aFallback) > qualificationTime(tb, bFallback);
}

/** `YYYY-MM-DDTHH:MM...Z`, the layout ingest stores (checked there to be a real instant). */
function isUtcIso(s: string): boolean {
  return (
    s.length >= 17 &&
    s.charCodeAt(s.length - 1) === 90 && // Z
    s.charCodeAt(4) === 45 && // -
    s.charCodeAt(7) === 45 &&
    s.charCodeAt(10) === 84 && // T
    s.charCodeAt(13) === 58 // :
  );
}

function qualificationTime(text: unknown, fallback: number): number {
  if (typeof text !== 'string') return fallback;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? fallback : ms;
}

function deriveIdentities(identityMap: Record<string, PlainObject[]>): {
  identities: PlainObject[];
  primaryIdentity: IdentityRef;
} {
  const identities: PlainObject[] = [];
  let first: IdentityRef | undefined;
  let primary: IdentityRef | undefined;
  for (const ns in identityMap) {
    if (!hasOwn(identityMap, ns)) continue;
    for (const entry of identityMap[ns]) {
      const id = entry.id as string; // mergeIdentityMap/emptyProfile keep only string ids
      const isPrimary = entry.primary === true;
      identities.push({ id, namespace: { code: ns }, primary: isPrimary });
      if (first === undefined) first = { namespace: ns, id };
      if (isPrimary && primary === undefined) primary = { namespace: ns, id };
    }
  }
  const primaryIdentity = primary ?? first;
  // Profiles are found by identity, so one without any means corrupt input, not a case to export.
  if (primaryIdentity === undefined) throw new Error('a profile needs at least one identity in identityMap');
  return { identities, primaryIdentity };
}
