import type { SegmentJobDefinition } from '@sx/domain';
import { type EvaluationClock, type ParsedDefinition, PqlCycleError, PqlError, compile, evaluationOrder, parseDefinition } from '@sx/pql';
import type { EvaluationDefinition } from './evaluation-pass';
import { SEGMENT_ERROR_CODES, SegmentJobFailure } from './segment-job-failure';

/** The definitions of one pass: those of one merge policy, in evaluation order. */
export interface PolicyPass {
  mergePolicyId: string;
  definitions: EvaluationDefinition[];
  usesEvents: boolean;
}

export interface EvaluationPlan {
  /** In the order their first definition comes in the job's evaluation order. */
  passes: PolicyPass[];
  /** Every segment whose evaluated rows the overlay needs: the job's and those they reference. */
  overlaySegments: Array<{ segmentNs: string; segmentId: string }>;
}

/**
 * Parses, orders and compiles a job's definition snapshot once. Definitions are grouped by merge
 * policy (one streaming pass each); within a pass they run in dependency order. A reference to a
 * segment evaluated in another policy's pass, or not in the job, reads the stored membership.
 */
export function planEvaluation(definitions: readonly SegmentJobDefinition[], clock: EvaluationClock): EvaluationPlan {
  const parsed = new Map<string, { def: SegmentJobDefinition; parsed: ParsedDefinition }>();
  for (const def of definitions) {
    try {
      parsed.set(def.id, { def, parsed: parseDefinition(def.expression.format, def.expression.value) });
    } catch (e) {
      if (e instanceof PqlError) throw new SegmentJobFailure(SEGMENT_ERROR_CODES.input, `Segment definition ${def.id}: ${e.message}`);
      throw e;
    }
  }
  let order: string[];
  try {
    order = evaluationOrder([...parsed.values()].map((p) => ({ id: p.def.id, refs: p.parsed.segmentRefs })));
  } catch (e) {
    if (e instanceof PqlCycleError) throw new SegmentJobFailure(SEGMENT_ERROR_CODES.input, e.message);
    throw e;
  }
  const passes = new Map<string, PolicyPass>();
  const overlay = new Map<string, { segmentNs: string; segmentId: string }>();
  for (const id of order) {
    const { def, parsed: p } = parsed.get(id)!;
    let pass = passes.get(def.mergePolicyId);
    if (!pass) passes.set(def.mergePolicyId, (pass = { mergePolicyId: def.mergePolicyId, definitions: [], usesEvents: false }));
    let evaluate;
    try {
      evaluate = compile(p, clock);
    } catch (e) {
      if (e instanceof PqlError) throw new SegmentJobFailure(SEGMENT_ERROR_CODES.input, `Segment definition ${def.id}: ${e.message}`);
      throw e;
    }
    pass.definitions.push({ segmentId: def.id, segmentNs: def.namespace, evaluate });
    pass.usesEvents ||= p.usesEvents;
    overlay.set(`${def.namespace}\u0000${def.id}`, { segmentNs: def.namespace, segmentId: def.id });
    for (const ref of p.segmentRefs) overlay.set(`ups\u0000${ref}`, { segmentNs: 'ups', segmentId: ref });
  }
  return { passes: [...passes.values()], overlaySegments: [...overlay.values()] };
}
