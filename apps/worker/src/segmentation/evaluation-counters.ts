import type { EvaluatedProfile } from './evaluation-pass';

/** The counters of AEP's segment job metrics (memberships.md 6). */
export interface SegmentCounters {
  totalProfiles: number;
  segmentedProfileCounter: Record<string, number>;
  segmentedProfileByNamespaceCounter: Record<string, Record<string, number>>;
  segmentedProfileByStatusCounter: Record<string, { realized: number; exited: number }>;
}

const bag = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

/**
 * Counts one pass's profiles: per segment, those qualifying (realized after the run, kept or
 * new), by primary identity namespace, and those exited in this run. Every segment of the job
 * appears, with zeros when nobody qualifies.
 */
export class EvaluationCounters {
  readonly counters: SegmentCounters;

  constructor(segmentIds: readonly string[]) {
    this.counters = { totalProfiles: 0, segmentedProfileCounter: bag(), segmentedProfileByNamespaceCounter: bag(), segmentedProfileByStatusCounter: bag() };
    for (const id of segmentIds) {
      this.counters.segmentedProfileCounter[id] = 0;
      this.counters.segmentedProfileByNamespaceCounter[id] = bag();
      this.counters.segmentedProfileByStatusCounter[id] = { realized: 0, exited: 0 };
    }
  }

  add(p: EvaluatedProfile): void {
    const c = this.counters;
    c.totalProfiles++;
    const ns = p.primaryIdentity.namespace;
    for (const o of p.outcomes) {
      if (o.qualifies) {
        c.segmentedProfileCounter[o.segmentId]++;
        c.segmentedProfileByStatusCounter[o.segmentId].realized++;
        const byNs = c.segmentedProfileByNamespaceCounter[o.segmentId];
        byNs[ns] = (byNs[ns] ?? 0) + 1;
      } else if (o.change === 'exited') {
        c.segmentedProfileByStatusCounter[o.segmentId].exited++;
      }
    }
  }
}
