/**
 * The row an export writes for a merged profile: its `fields` selection, plus identityMap whole
 * and the segmentMembership entries of the exported segments (DESIGN.md section 3, step 3).
 */
import { parseFieldPaths, selectFields } from './paths';
import { type PlainObject, hasOwn, isPlainObject, ownValue, setKey } from './plain-object';

export interface SegmentRef {
  segmentNs: string;
  segmentId: string;
}

/** Builds a new row (top-level object of its own) that shares its nested values with the profile. */
export type Projection = (profile: PlainObject) => PlainObject;

// Keys the row gets by their own rule, whatever `fields` says about them.
const RULE_KEYS = ['identityMap', 'segmentMembership'] as const;

interface KeptNamespace {
  ns: string;
  ids: string[];
}

/**
 * Compile once per job. `fields`: AEP's comma-separated dot paths, blank or undefined for the whole
 * profile. `keepSegments`: the exported segments, whose entries are the only ones of
 * segmentMembership a row keeps (also with blank fields; a path into segmentMembership does not
 * widen it); undefined (no segment filter) keeps all of it. An emptied segmentMembership is omitted.
 */
export function compileProjection(fields: string | undefined, keepSegments?: readonly SegmentRef[]): Projection {
  const tree = parseFieldPaths(fields, RULE_KEYS);
  const keep = keepSegments === undefined ? undefined : groupByNamespace(keepSegments);

  if (tree === undefined && keep === undefined) return (profile) => ({ ...profile });
  return (profile) => {
    let row: PlainObject;
    if (tree === undefined) {
      row = {};
      for (const key in profile) {
        if (hasOwn(profile, key) && key !== 'segmentMembership') setKey(row, key, profile[key]);
      }
    } else {
      row = selectFields(profile, tree) ?? {};
      const identityMap = ownValue(profile, 'identityMap');
      if (identityMap !== undefined) row.identityMap = identityMap;
    }
    const membership = ownValue(profile, 'segmentMembership');
    const kept = keep === undefined ? membership : restrict(membership, keep);
    if (kept !== undefined) row.segmentMembership = kept;
    return row;
  };
}

/** The segmentMembership a row keeps when these segments are exported (undefined when none of them is there). */
export function compileMembershipRestriction(keepSegments: readonly SegmentRef[]): (membership: unknown) => PlainObject | undefined {
  const keep = groupByNamespace(keepSegments);
  return (membership) => restrict(membership, keep);
}

function groupByNamespace(segments: readonly SegmentRef[]): KeptNamespace[] {
  const groups: KeptNamespace[] = [];
  for (const { segmentNs, segmentId } of segments) {
    let group = groups.find((g) => g.ns === segmentNs);
    if (group === undefined) {
      group = { ns: segmentNs, ids: [] };
      groups.push(group);
    }
    if (!group.ids.includes(segmentId)) group.ids.push(segmentId);
  }
  return groups;
}

/** The kept entries (walking the short kept list, not the profile's memberships); undefined if none. */
function restrict(membership: unknown, keep: readonly KeptNamespace[]): PlainObject | undefined {
  if (!isPlainObject(membership)) return undefined;
  let out: PlainObject | undefined;
  for (const { ns, ids } of keep) {
    const segments = ownValue(membership, ns);
    if (!isPlainObject(segments)) continue;
    let outNs: PlainObject | undefined;
    for (const id of ids) {
      const entry = ownValue(segments, id);
      if (entry === undefined) continue;
      if (outNs === undefined) {
        outNs = {};
        if (out === undefined) out = {};
        setKey(out, ns, outNs);
      }
      setKey(outNs, id, entry);
    }
  }
  return out;
}
