/**
 * Merges a profile's fragments under a merge policy (DESIGN.md section 2). Runs once per exported
 * profile, so it copies only what it must: a nested object that only one fragment has is shared
 * with that fragment's record, and a new object is made only where two fragments' objects meet.
 * The result must therefore be treated as read-only below its top level; the inputs are never
 * written to.
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
  return attributeMerge.type === 'dataSetPrecedence'
    ? { attributeMerge: 'dataSetPrecedence', order: attributeMerge.order }
    : { attributeMerge: 'timestampOrdered' };
}

// Keys with a merge rule of their own; `identities` is derived, whatever a fragment says.
const OWN_RULE_KEYS: ReadonlySet<string> = new Set(['identityMap', 'segmentMembership', 'identities']);

export function mergeProfile(fragments: readonly FragmentInput[], policy: MergeRule): MergedProfile {
  if (fragments.length === 0) {
    throw new Error('mergeProfile needs at least one fragment; an event-only profile is emptyProfile(...)');
  }
  const ranked = byPrecedence(fragments, policy);
  const records: PlainObject[] = new Array<PlainObject>(ranked.length);
  for (let i = 0; i < ranked.length; i++) records[i] = ranked[i].record;

  const record: PlainObject = {};
  mergeInto(record, records, OWN_RULE_KEYS);
  const identityMap = mergeIdentityMap(records);
  record.identityMap = identityMap;
  const membership = mergeMemberships(ranked);
  if (membership !== undefined) record.segmentMembership = membership;
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
  (identityMap[first.namespace] as PlainObject[])[0].primary = true;
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
  // Reversed copy: sort is stable, so fragments tied on every time keep the later one first.
  const ranked = new Array<FragmentInput>(n);
  for (let i = 0; i < n; i++) ranked[i] = fragments[n - 1 - i];
  const order = rule.attributeMerge === 'dataSetPrecedence' ? rule.order : undefined;
  if (order === undefined || order.length === 0) return ranked.sort(newerFirst);
  const rank = (f: FragmentInput): number => {
    const r = order.indexOf(f.datasetId);
    return r < 0 ? order.length : r;
  };
  return ranked.sort((a, b) => rank(a) - rank(b) || newerFirst(a, b));
}

function newerFirst(a: FragmentInput, b: FragmentInput): number {
  return b.recordTime - a.recordTime || b.ingestTime - a.ingestTime;
}

/**
 * Writes into `out` the merge of `sources` (highest precedence first): a key is decided by the
 * highest source that has it. A leaf (scalar, null, array) wins whole; an object is merged with
 * the objects of the lower sources down to the first one that has a leaf there (which it hides,
 * as assigning lowest to highest would). Undefined counts as absent (JSON has no undefined).
 */
function mergeInto(out: PlainObject, sources: readonly PlainObject[], skip?: ReadonlySet<string>): void {
  for (let i = 0; i < sources.length; i++) {
    const src = sources[i];
    for (const key in src) {
      if (!hasOwn(src, key) || hasOwn(out, key)) continue;
      if (skip !== undefined && skip.has(key)) continue;
      const value = src[key];
      if (value === undefined) continue;
      setKey(out, key, isPlainObject(value) ? mergedObject(value, key, sources, i) : value);
    }
  }
}

function mergedObject(top: PlainObject, key: string, sources: readonly PlainObject[], from: number): PlainObject {
  let group: PlainObject[] | undefined;
  for (let j = from + 1; j < sources.length; j++) {
    const lower = ownValue(sources[j], key);
    if (lower === undefined) continue;
    if (!isPlainObject(lower)) break;
    if (group === undefined) group = [top];
    group.push(lower);
  }
  if (group === undefined) return top; // no other object to merge with: share it, it is not written to
  const merged: PlainObject = {};
  mergeInto(merged, group);
  return merged;
}

/**
 * Union of all identityMaps, deduplicated by id per namespace; the kept entry (whole, so its
 * `primary` flag too) is that of the highest-precedence fragment. Entries without a string id are
 * not identities and are left out.
 */
function mergeIdentityMap(records: readonly PlainObject[]): Record<string, PlainObject[]> {
  const out: Record<string, PlainObject[]> = {};
  for (const record of records) {
    const map = ownValue(record, 'identityMap');
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
  let times: Map<PlainObject, number> | undefined;
  for (const fragment of ranked) {
    const membership = ownValue(fragment.record, 'segmentMembership');
    if (!isPlainObject(membership)) continue;
    if (out === undefined) out = {};
    for (const ns in membership) {
      if (!hasOwn(membership, ns)) continue;
      const segments = membership[ns];
      if (!isPlainObject(segments)) continue;
      let outNs = ownValue(out, ns) as PlainObject | undefined;
      if (outNs === undefined) {
        outNs = {};
        setKey(out, ns, outNs);
      }
      for (const segmentId in segments) {
        if (!hasOwn(segments, segmentId)) continue;
        const entry = segments[segmentId];
        if (!isPlainObject(entry)) continue;
        const time = qualificationTime(entry, fragment.ingestTime);
        if (times === undefined) times = new Map();
        const current = ownValue(outNs, segmentId) as PlainObject | undefined;
        // Strictly later only: ranked is highest precedence first, so a tie keeps the earlier one.
        if (current !== undefined && !(time > (times.get(current) ?? -Infinity))) continue;
        setKey(outNs, segmentId, entry);
        times.set(entry, time);
      }
    }
  }
  return out;
}

function qualificationTime(entry: PlainObject, fallback: number): number {
  const text = entry.lastQualificationTime;
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
