import { segmentCountKey } from '@sx/domain';
import type { SegmentSelector } from './export-plan';

/**
 * Counts an exported profile under the segment filter entries it satisfied (`matched`: their
 * indexes in the plan, as the segment filter step decided them). Keys as
 * metrics.exportedProfileBySegmentCounter has them; a profile is counted once per key, even when
 * two entries name the same segment (with other statuses).
 */
export type SegmentCounter = (bySegment: Record<string, number>, matched: readonly number[]) => void;

export function compileSegmentCounter(segments: readonly SegmentSelector[]): SegmentCounter {
  const keys = segments.map((s) => segmentCountKey(s.segmentNs, s.segmentId));
  const distinct = new Set(keys).size === keys.length;
  if (distinct) {
    return (bySegment, matched) => {
      for (const i of matched) bySegment[keys[i]] = (bySegment[keys[i]] ?? 0) + 1;
    };
  }
  return (bySegment, matched) => {
    for (const key of new Set(matched.map((i) => keys[i]))) bySegment[key] = (bySegment[key] ?? 0) + 1;
  };
}

/** Sums per-segment (or per-namespace) counts into `into`; a prototype-less map (segment ids such as "constructor" are plain keys). */
export function addCounts(into: Record<string, number>, counts: Record<string, number> | undefined): Record<string, number> {
  for (const [k, n] of Object.entries(counts ?? {})) into[k] = (into[k] ?? 0) + n;
  return into;
}

/** An empty count map without a prototype. */
export const emptyCounts = (): Record<string, number> => Object.create(null) as Record<string, number>;
