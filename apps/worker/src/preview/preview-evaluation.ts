import { Injectable } from '@nestjs/common';
import { MergePolicy, TenantScope } from '@sx/domain';
import { mergeRuleOf } from '@sx/export';
import { type EvaluationClock, type ParsedDefinition, compile } from '@sx/pql';
import { ProfileReadRepository } from '@sx/persistence';
import { type EvaluatedProfile, runEvaluationPass } from '../segmentation/evaluation-pass';

/** One profile of the store as a preview sees it. */
export interface PreviewProfile {
  /** The identity the profile is known by (memberships.md 2: its primary identity `ns:id`). */
  key: string;
  /** Every identity of the merged profile as `ns:id`, each once. */
  identities: readonly string[];
  matched: boolean;
}

export interface PreviewEvaluationRequest {
  scope: TenantScope;
  /** The policy whose attribute merge applies, its identity graph already set to the preview's graphType. */
  mergePolicy: MergePolicy;
  definition: ParsedDefinition;
  clock: EvaluationClock;
  /** Checked between profiles: an aborted pass stops at the next one. */
  signal: AbortSignal;
}

// The preview's expression runs as a definition of the pass under a namespace no stored segment
// can have: its result lands only in the in-memory profile, never in a membership.
const PREVIEW_NS = '\u0000preview';

/**
 * The evaluation pass a preview runs: the segment evaluation pass (runEvaluationPass) over every
 * merged profile of the store in key order, with its events (when the expression reads xEvent)
 * and the evaluated memberships of the segments it references overlaid. Writes nothing.
 */
@Injectable()
export class PreviewEvaluation {
  constructor(private readonly reads: ProfileReadRepository) {}

  /** Calls `onProfile` once per profile; the number of profiles read. */
  async evaluate(request: PreviewEvaluationRequest, onProfile: (profile: PreviewProfile) => void | Promise<void>): Promise<number> {
    const { scope, mergePolicy, definition, clock, signal } = request;
    const evaluate = compile(definition, clock);
    const graph = mergePolicy.identityGraph.type;
    const reader = await this.reads.open(scope, {
      identityGraph: graph,
      events: definition.usesEvents ? {} : undefined,
      evaluated: definition.segmentRefs.map((segmentId) => ({ segmentNs: 'ups', segmentId })),
    });
    try {
      return await runEvaluationPass(
        reader,
        [{ segmentId: 'preview', segmentNs: PREVIEW_NS, evaluate }],
        { nowMs: clock.nowMs, rule: mergeRuleOf(mergePolicy.attributeMerge), identityGraph: graph, withEvents: definition.usesEvents, signal },
        (p) => onProfile({ key: p.identity, identities: identitiesOf(p), matched: p.outcomes[0].qualifies }),
      );
    } finally {
      await reader.close();
    }
  }
}

/** `ns:id` of every identity of the merged profile (its derived `identities`, else its identityMap). */
export function identitiesOf(p: Pick<EvaluatedProfile, 'profile' | 'identity'>): string[] {
  const out = new Set<string>([p.identity]);
  const derived = p.profile.record.identities;
  if (Array.isArray(derived)) {
    for (const i of derived as Array<{ id?: unknown; namespace?: { code?: unknown } }>) {
      if (typeof i?.id === 'string' && typeof i.namespace?.code === 'string') out.add(`${i.namespace.code}:${i.id}`);
    }
  }
  const map = p.profile.record.identityMap;
  if (map && typeof map === 'object' && !Array.isArray(map)) {
    for (const [ns, entries] of Object.entries(map as Record<string, unknown>)) {
      for (const e of Array.isArray(entries) ? (entries as Array<{ id?: unknown }>) : []) if (typeof e?.id === 'string') out.add(`${ns}:${e.id}`);
    }
  }
  return [...out];
}
