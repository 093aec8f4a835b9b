/**
 * Whether a merged profile is in an exported segment (DESIGN.md section 3, step 1): by its
 * segmentMembership entry's status and, optionally, its lastQualificationTime.
 */
import { type PlainObject, isPlainObject, ownValue } from './plain-object';

export interface MembershipFilter {
  segmentNs: string;
  segmentId: string;
  /** Accepted statuses; `realized` and `existing` both mean "in the segment" and accept each other. */
  status: readonly string[];
}

/** `segmentQualificationTime` in ms; both ends inclusive, either optional. */
export interface QualificationWindow {
  startMs?: number;
  endMs?: number;
}

export function qualifies(segmentMembership: unknown, filter: MembershipFilter, window?: QualificationWindow): boolean {
  const entry = entryOf(segmentMembership, filter);
  return entry !== undefined && statusAccepted(filter.status, entry.status) && inWindow(entry, window);
}

/** Indexes (ascending) of the filters the profile qualifies for: the batches of segmentPerBatch it goes into. */
export function qualifiesAny(segmentMembership: unknown, filters: readonly MembershipFilter[], window?: QualificationWindow): number[] {
  const matched: number[] = [];
  if (!isPlainObject(segmentMembership)) return matched;
  for (let i = 0; i < filters.length; i++) {
    if (qualifies(segmentMembership, filters[i], window)) matched.push(i);
  }
  return matched;
}

function entryOf(membership: unknown, filter: MembershipFilter): PlainObject | undefined {
  if (!isPlainObject(membership)) return undefined;
  const segments = ownValue(membership, filter.segmentNs);
  if (!isPlainObject(segments)) return undefined;
  const entry = ownValue(segments, filter.segmentId);
  return isPlainObject(entry) ? entry : undefined;
}

function statusAccepted(accepted: readonly string[], status: unknown): boolean {
  if (typeof status !== 'string') return false;
  if (accepted.includes(status)) return true;
  const inSegment = status === 'realized' || status === 'existing';
  return inSegment && (accepted.includes('realized') || accepted.includes('existing'));
}

/**
 * No window (or one with neither end): any time. With a window, an entry without a readable
 * lastQualificationTime does not qualify: nothing shows it lies in the window.
 */
function inWindow(entry: PlainObject, window: QualificationWindow | undefined): boolean {
  if (window === undefined) return true;
  const { startMs, endMs } = window;
  if (startMs === undefined && endMs === undefined) return true;
  const text = entry.lastQualificationTime;
  if (typeof text !== 'string') return false;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return false;
  return (startMs === undefined || ms >= startMs) && (endMs === undefined || ms <= endMs);
}
