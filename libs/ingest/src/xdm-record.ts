/**
 * Rules for ingested XDM records. A record must be a JSON object with at least one usable
 * identity; these functions say what the store needs from it (identities, times) or why not.
 */

import { topLevelMember } from '@sx/export';

export type RecordVerdict<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface ProfileFacts {
  /** `namespace:id` of the primary identity: the one flagged primary, else the first listed. */
  primaryIdentity: string;
  identities: string[];
  /**
   * The record's `identities` as a merged profile shows them: `[{id, namespace: {code}, primary}]`.
   * Undefined when the record has a top-level `identities` of its own: a merged profile replaces
   * it, so such a record cannot be exported from its stored text with this list appended.
   */
  identitiesJson?: string;
  /** extSourceSystemAudit.lastUpdatedDate when given (orders conflicting attributes), else undefined. */
  lastUpdated?: Date;
  /**
   * The record's segmentMembership entries, as validated (absent when it has none): the store's
   * memberships come from this one parse, not from parsing the stored text again in SQL.
   */
  memberships?: SegmentFact[];
}

/** One segmentMembership.<namespace>.<segmentId> entry of a profile record. */
export interface SegmentFact {
  namespace: string;
  segmentId: string;
  status: string;
  /** The ISO 8601 text as sent (Postgres parses it), absent when the record gives none. */
  lastQualificationTime?: string;
}

export interface EventFacts {
  primaryIdentity: string;
  identities: string[];
  eventId: string;
  timestamp: Date;
}

const SEGMENT_STATUSES = new Set(['realized', 'existing', 'exited']);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isoDate(v: unknown): Date | undefined {
  if (typeof v !== 'string' || !ISO.test(v)) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1) return undefined;
  // JS rolls impossible dates over (Feb 30 → Mar 2); Postgres refuses them. Only real days pass.
  // Every month has 28 days: only later days need the check (most timestamps skip its allocations).
  if ((v.charCodeAt(8) - 48) * 10 + v.charCodeAt(9) - 48 <= 28) return d;
  const [year, month, day] = v.slice(0, 10).split('-').map(Number);
  const calendar = new Date(Date.UTC(2000, month - 1, day));
  calendar.setUTCFullYear(year);
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  return d;
}

function identitiesOf(record: Record<string, unknown>): RecordVerdict<{ primaryIdentity: string; identities: string[]; identitiesJson?: string }> {
  const map = record.identityMap;
  if (!isObject(map)) return { ok: false, reason: 'identityMap is missing or not an object' };
  const identities: string[] = [];
  const derived: Array<{ id: string; namespace: { code: string }; primary: boolean }> = [];
  let primary: string | undefined;
  let repeated = false;
  for (const [ns, entries] of Object.entries(map)) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(ns)) return { ok: false, reason: `identityMap namespace "${ns.slice(0, 80)}" is not valid` };
    if (!Array.isArray(entries)) return { ok: false, reason: `identityMap.${ns} is not an array` };
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as Record<string, unknown>;
      if (!isObject(e) || typeof e.id !== 'string' || !e.id.trim()) {
        return { ok: false, reason: `identityMap.${ns}[${i}].id must be a non-empty string` };
      }
      const key = `${ns}:${e.id}`;
      if (!identities.includes(key)) {
        identities.push(key);
        derived.push({ id: e.id, namespace: { code: ns }, primary: e.primary === true });
      } else repeated = true;
      if (e.primary === true && primary === undefined) primary = key;
    }
  }
  if (!identities.length) return { ok: false, reason: 'the record has no identity in identityMap' };
  // An id listed twice (its primary flag perhaps only on the second): the merge decides what the
  // profile shows of it, so no list is stored and an export merges such a record.
  const primaryIdentity = primary ?? identities[0];
  return { ok: true, value: repeated ? { primaryIdentity, identities } : { primaryIdentity, identities, identitiesJson: JSON.stringify(derived) } };
}

export function profileFacts(record: unknown): RecordVerdict<ProfileFacts> {
  if (!isObject(record)) return { ok: false, reason: 'the record is not a JSON object' };
  const ids = identitiesOf(record);
  if (!ids.ok) return ids;
  if (Object.hasOwn(record, 'identities')) delete (ids.value as Partial<ProfileFacts>).identitiesJson;
  const memberships = segmentFacts(record.segmentMembership);
  if (typeof memberships === 'string') return { ok: false, reason: memberships };
  let lastUpdated: Date | undefined;
  const audit = record.extSourceSystemAudit;
  if (audit !== undefined) {
    if (!isObject(audit)) return { ok: false, reason: 'extSourceSystemAudit is not an object' };
    if (audit.lastUpdatedDate !== undefined) {
      lastUpdated = isoDate(audit.lastUpdatedDate);
      if (!lastUpdated) return { ok: false, reason: 'extSourceSystemAudit.lastUpdatedDate is not an ISO 8601 timestamp' };
    }
  }
  return { ok: true, value: memberships.length ? { ...ids.value, lastUpdated, memberships } : { ...ids.value, lastUpdated } };
}

/** The entries of a record's segmentMembership (none when absent), or why it is refused. */
function segmentFacts(membership: unknown): SegmentFact[] | string {
  const facts: SegmentFact[] = [];
  if (membership === undefined) return facts;
  if (!isObject(membership)) return 'segmentMembership is not an object';
  for (const [namespace, segments] of Object.entries(membership)) {
    if (!isObject(segments)) return `segmentMembership.${namespace} is not an object`;
    for (const [segmentId, entry] of Object.entries(segments)) {
      const where = `segmentMembership.${namespace}.${segmentId}`;
      if (!isObject(entry)) return `${where} is not an object`;
      const { status, lastQualificationTime } = entry;
      if (typeof status !== 'string' || !SEGMENT_STATUSES.has(status)) return `${where}.status must be realized, existing or exited`;
      if (lastQualificationTime === undefined) facts.push({ namespace, segmentId, status });
      else if (!isoDate(lastQualificationTime)) return `${where}.lastQualificationTime is not an ISO 8601 timestamp`;
      else facts.push({ namespace, segmentId, status, lastQualificationTime: lastQualificationTime as string });
    }
  }
  return facts;
}

/**
 * Byte offset, in the UTF-8 of a profile record's text, of its top-level `"segmentMembership"`
 * key (the last, as JSON.parse keeps), or -1 when it has none: stored with the record, so that a
 * segment export finds the membership without scanning the rest. `record`: the text parsed.
 */
export function membershipOffset(text: string, record: Record<string, unknown>): number {
  if (!Object.hasOwn(record, 'segmentMembership')) return -1;
  return topLevelMember(Buffer.from(text, 'utf8'), 'segmentMembership')?.keyStart ?? -1;
}

export function eventFacts(record: unknown): RecordVerdict<EventFacts> {
  if (!isObject(record)) return { ok: false, reason: 'the record is not a JSON object' };
  const ids = identitiesOf(record);
  if (!ids.ok) return ids;
  if (typeof record._id !== 'string' || !record._id) return { ok: false, reason: '_id must be a non-empty string' };
  const timestamp = isoDate(record.timestamp);
  if (!timestamp) return { ok: false, reason: 'timestamp must be an ISO 8601 timestamp' };
  return { ok: true, value: { ...ids.value, eventId: record._id, timestamp } };
}
