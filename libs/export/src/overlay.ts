/**
 * The membership a profile has (memberships.md 3): per (namespace, segment), the latest by
 * lastQualificationTime of its merged record's `segmentMembership` entry and the evaluated rows
 * of its identities; on a tie the evaluated row wins. Pure: exports, previews and segment jobs
 * all see memberships through this one function.
 */
import { type PlainObject, isPlainObject, ownValue, setKey } from './plain-object';

/** An evaluated row of segment_memberships, as the read path streams it. */
export interface EvaluatedMembership {
  segmentNs: string;
  segmentId: string;
  status: string;
  /** epoch ms */
  lastQualificationTime: number;
}

/** A membership entry's lastQualificationTime in ms; NaN when it has none or it does not parse. */
export function qualificationTimeOf(entry: unknown): number {
  if (!isPlainObject(entry)) return NaN;
  const t = ownValue(entry, 'lastQualificationTime');
  if (typeof t === 'number') return t;
  return typeof t === 'string' ? Date.parse(t) : NaN;
}

/**
 * `recordMembership` (the merged record's segmentMembership, not written to) overlaid with the
 * evaluated rows. Returns the record's own object when there is nothing to overlay; otherwise new
 * objects for the top level and every namespace touched (entries themselves are shared).
 */
export function overlayMemberships(recordMembership: unknown, evaluated: readonly EvaluatedMembership[]): unknown {
  if (!evaluated.length) return recordMembership;
  const out: PlainObject = {};
  if (isPlainObject(recordMembership)) for (const ns of Object.keys(recordMembership)) setKey(out, ns, recordMembership[ns]);
  const copied = new Set<string>();
  for (const e of evaluated) {
    let nsMap = ownValue(out, e.segmentNs);
    if (!copied.has(e.segmentNs)) {
      const fresh: PlainObject = {};
      if (isPlainObject(nsMap)) for (const id of Object.keys(nsMap)) setKey(fresh, id, nsMap[id]);
      setKey(out, e.segmentNs, fresh);
      copied.add(e.segmentNs);
      nsMap = fresh;
    }
    const map = nsMap as PlainObject;
    const current = ownValue(map, e.segmentId);
    const currentTime = qualificationTimeOf(current);
    // Evaluated wins unless the current entry is strictly later (NaN: no usable time, so it loses).
    if (current !== undefined && currentTime > e.lastQualificationTime) continue;
    setKey(map, e.segmentId, { status: e.status, lastQualificationTime: new Date(e.lastQualificationTime).toISOString() });
  }
  return out;
}
