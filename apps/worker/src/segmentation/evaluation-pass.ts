import type { ProfileReader } from '@sx/persistence';
import { type IdentityRef, type MergedProfile, type MergeRule, type PlainObject, emptyProfile, mergeProfile, overlayMemberships } from '@sx/export';
import type { Evaluator } from '@sx/pql';
import { type ProfileGroup, profileGroups } from './profile-groups';

/** A definition of the run, compiled once; the pass calls it once per profile. */
export interface EvaluationDefinition {
  segmentId: string;
  /** The namespace its memberships are stored under (a definition's `namespace`, `ups` by default). */
  segmentNs: string;
  evaluate: Evaluator;
}

export interface EvaluationOptions {
  /** The run's one `now` (memberships.md 4): lastQualificationTime of every change it finds. */
  nowMs: number;
  rule: MergeRule;
  identityGraph: 'none' | 'pdg';
  /** Parse and hand the profile's events to the evaluators (some definition reads xEvent). */
  withEvents: boolean;
  /** Checked between profiles: an aborted pass stops at the next one. */
  signal?: AbortSignal;
}

export type MembershipChange = 'realized' | 'exited';

export interface SegmentOutcome {
  segmentNs: string;
  segmentId: string;
  qualifies: boolean;
  /** What the run writes for this profile and segment; undefined: nothing changes. */
  change?: MembershipChange;
}

/** One evaluated profile, handed to the caller's callback (valid only during the call). */
export interface EvaluatedProfile {
  key: string;
  /** The identity its evaluated rows are stored under (memberships.md 2). */
  identity: string;
  primaryIdentity: IdentityRef;
  /**
   * The merged profile; its record's segmentMembership is the overlaid membership with every
   * definition's fresh result in it (what an export of the run's outcome would show).
   */
  profile: MergedProfile;
  /** One per definition, in evaluation order. */
  outcomes: SegmentOutcome[];
  /** What the read path sent for this profile (an export with evaluation writes from it too). */
  group: ProfileGroup;
}

const IN_SEGMENT = new Set(['realized', 'existing']);

/** Identities of an event record, for the empty profile it stands for. */
function identitiesOfEvent(record: Record<string, unknown>): IdentityRef[] {
  const out: IdentityRef[] = [];
  const map = record.identityMap as Record<string, Array<{ id?: unknown }>> | undefined;
  for (const [namespace, entries] of Object.entries(map ?? {})) {
    for (const e of Array.isArray(entries) ? entries : []) if (typeof e?.id === 'string') out.push({ namespace, id: e.id });
  }
  return out;
}

function mergedOf(group: ProfileGroup, rule: MergeRule, events: Record<string, unknown>[] | undefined): MergedProfile {
  if (group.fragments.length) {
    return mergeProfile(
      group.fragments.map((f) => ({ record: JSON.parse(f.json) as PlainObject, datasetId: f.datasetId, recordTime: f.recordTime, ingestTime: f.ingestTime })),
      rule,
    );
  }
  // Event-only: its key (an event's primary identity) first, then the other identities its events name.
  const sep = group.key.indexOf(':');
  const identities: IdentityRef[] = [{ namespace: group.key.slice(0, sep), id: group.key.slice(sep + 1) }];
  const seen = new Set([group.key]);
  for (const record of events ?? group.events.map((e) => JSON.parse(e.json) as Record<string, unknown>)) {
    for (const i of identitiesOfEvent(record)) {
      const k = `${i.namespace}:${i.id}`;
      if (!seen.has(k)) {
        seen.add(k);
        identities.push(i);
      }
    }
  }
  return emptyProfile(identities);
}

/** A writable copy of the membership's top level and of the namespaces the run writes. */
function writableMembership(membership: unknown, namespaces: readonly string[]): Record<string, Record<string, unknown>> {
  const out = Object.create(null) as Record<string, Record<string, unknown>>;
  if (membership && typeof membership === 'object' && !Array.isArray(membership)) {
    for (const [ns, map] of Object.entries(membership as Record<string, unknown>)) out[ns] = map as Record<string, unknown>;
  }
  for (const ns of namespaces) out[ns] = Object.assign(Object.create(null) as Record<string, unknown>, out[ns] ?? {});
  return out;
}

/**
 * One evaluation pass (issue #10, memberships.md 3 and 4): streams the reader's profiles in key
 * order, merges each under the run's merge policy, overlays the evaluated memberships on its
 * record's own, then evaluates every definition in `defs` (in dependency order, see
 * evaluationOrder), writing each fresh result into the profile's segmentMembership before its
 * dependents run, and hands the profile with its outcomes to `onProfile`. One profile in memory.
 * Returns the number of profiles read.
 */
export async function runEvaluationPass(
  reader: ProfileReader,
  defs: readonly EvaluationDefinition[],
  options: EvaluationOptions,
  onProfile: (profile: EvaluatedProfile) => void | Promise<void>,
): Promise<number> {
  const nowIso = new Date(options.nowMs).toISOString();
  const namespaces = [...new Set(defs.map((d) => d.segmentNs))];
  let profiles = 0;
  for await (const group of profileGroups(reader)) {
    if (options.signal?.aborted) break;
    const events = options.withEvents ? group.events.map((e) => JSON.parse(e.json) as Record<string, unknown>) : undefined;
    const profile = mergedOf(group, options.rule, events);
    const membership = writableMembership(overlayMemberships(profile.record.segmentMembership, group.evaluated), namespaces);
    profile.record.segmentMembership = membership;
    const view = { profile: profile.record, events: events ?? [] };
    const outcomes: SegmentOutcome[] = [];
    for (const def of defs) {
      const qualifies = def.evaluate(view);
      const nsMap = membership[def.segmentNs];
      const current = nsMap[def.segmentId] as { status?: unknown } | undefined;
      const wasIn = typeof current?.status === 'string' && IN_SEGMENT.has(current.status);
      let change: MembershipChange | undefined;
      if (qualifies && !wasIn) change = 'realized';
      else if (!qualifies && wasIn) change = 'exited';
      // Dependents evaluated after this one see its fresh result.
      if (change) nsMap[def.segmentId] = { status: change, lastQualificationTime: nowIso };
      outcomes.push({ segmentNs: def.segmentNs, segmentId: def.segmentId, qualifies, change });
    }
    const primary = profile.primaryIdentity;
    const identity = options.identityGraph === 'none' && group.fragments.length ? group.key : `${primary.namespace}:${primary.id}`;
    profiles++;
    const done = onProfile({ key: group.key, identity, primaryIdentity: primary, profile, outcomes, group });
    if (done) await done;
  }
  return profiles;
}
