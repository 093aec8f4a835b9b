import type { MembershipDelta, ProfileReader } from '@sx/persistence';
import { mergeRuleOf } from '@sx/export';
import { runEvaluationPass } from '../segmentation/evaluation-pass';
import type { ExportPlan } from './export-plan';
import { type PipelineCounters, type RowSink, profileEmitter } from './export-pipeline';

/** Where the run's membership changes go (staged, applied with the export's commit). */
export type DeltaSink = (delta: MembershipDelta) => Promise<void>;

/**
 * An export with evaluationInfo.segmentation (issue #10): one read of the store. Each profile is
 * merged under the export's merge policy, its evaluated memberships overlaid, the listed
 * definitions evaluated on it in dependency order (runEvaluationPass), its changes staged, and the
 * same merged profile, with the fresh memberships, goes through the export's filter and projection.
 * Evaluation and export see one merge, so they cannot disagree. Memory: one profile.
 */
export async function runEvaluatingExport(
  reader: ProfileReader,
  plan: ExportPlan,
  sink: RowSink,
  signal: AbortSignal,
  counters: PipelineCounters,
  stage: DeltaSink,
): Promise<number> {
  const evaluation = plan.evaluation;
  if (!evaluation) throw new Error('runEvaluatingExport needs a plan with evaluation');
  const { emit } = profileEmitter(plan, sink, signal, counters);
  const { nowMs } = evaluation;
  return runEvaluationPass(
    reader,
    evaluation.definitions,
    { nowMs, rule: mergeRuleOf(plan.policy.attributeMerge), identityGraph: plan.policy.identityGraph.type, withEvents: evaluation.withEvents, signal },
    async (p) => {
      for (const o of p.outcomes) {
        if (o.change) await stage({ segmentNs: o.segmentNs, segmentId: o.segmentId, identity: p.identity, status: o.change, lastQualificationTimeMs: nowMs });
      }
      const { fragments, events } = p.group;
      // Event-only profiles are evaluated (their memberships are stored) but exported only when asked for.
      if (!fragments.length && !plan.emptyProfiles) return;
      let newest = 0;
      for (const f of fragments.length ? fragments : events) if (f.ingestTime > newest) newest = f.ingestTime;
      await emit(p.profile, newest, events);
    },
  );
}
