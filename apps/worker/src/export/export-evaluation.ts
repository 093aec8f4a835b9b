import { DEFAULT_SEGMENT_NAMESPACE, type SegmentDefinition } from '@sx/domain';
import { type EvaluationClock, PqlCycleError, PqlError, compile, evaluationOrder, parseDefinition } from '@sx/pql';
import type { EvaluationDefinition } from '../segmentation/evaluation-pass';
import { ERROR_CODES, ExportFailure } from './export-failure';
import type { ExportEvaluation, SegmentRef } from './export-plan';

/** What an export with evaluationInfo.segmentation evaluates, and the memberships it overlays. */
export interface CompiledExportEvaluation {
  evaluation: ExportEvaluation;
  /** The listed segments and the ones their definitions name (read as stored, overlaid). */
  overlay: SegmentRef[];
}

/**
 * Compiles the listed segments' definitions once for the run (`clock`: its one now). The API
 * checked them when the job was created; a definition deleted or broken since fails the job as
 * bad input (retrying cannot fix it). `inSegment` references to segments not listed are read from
 * stored memberships, evaluated rows overlaid.
 */
export function compileExportEvaluation(listed: readonly SegmentRef[], definitions: readonly SegmentDefinition[], clock: EvaluationClock): CompiledExportEvaluation {
  const byId = new Map(definitions.map((d) => [d.id, d]));
  const parsed = new Map<string, { def: SegmentDefinition; parsed: ReturnType<typeof parseDefinition> }>();
  for (const s of listed) {
    if (parsed.has(s.segmentId)) continue;
    const def = byId.get(s.segmentId);
    if (!def)
      throw new ExportFailure(ERROR_CODES.input, `Segment definition ${s.segmentId} does not exist in this sandbox; evaluationInfo.segmentation needs one per listed segment.`);
    try {
      parsed.set(s.segmentId, { def, parsed: parseDefinition(def.expression.format, def.expression.value) });
    } catch (e) {
      if (e instanceof PqlError) throw new ExportFailure(ERROR_CODES.input, `Segment definition ${s.segmentId} cannot be evaluated: ${e.message}`);
      throw e;
    }
  }
  let order: string[];
  try {
    order = evaluationOrder([...parsed].map(([id, p]) => ({ id, refs: p.parsed.segmentRefs })));
  } catch (e) {
    if (e instanceof PqlCycleError || e instanceof PqlError) throw new ExportFailure(ERROR_CODES.input, e.message);
    throw e;
  }
  const compiled: EvaluationDefinition[] = order.map((id) => {
    const { def, parsed: p } = parsed.get(id)!;
    return { segmentId: id, segmentNs: def.namespace, evaluate: compile(p, clock) };
  });
  const overlay: SegmentRef[] = [];
  const add = (r: SegmentRef) => {
    if (!overlay.some((o) => o.segmentNs === r.segmentNs && o.segmentId === r.segmentId)) overlay.push(r);
  };
  for (const d of compiled) add({ segmentNs: d.segmentNs, segmentId: d.segmentId });
  for (const s of listed) add({ segmentNs: s.segmentNs, segmentId: s.segmentId });
  for (const p of parsed.values()) for (const ref of p.parsed.segmentRefs) add({ segmentNs: DEFAULT_SEGMENT_NAMESPACE, segmentId: ref });
  const withEvents = [...parsed.values()].some((p) => p.parsed.usesEvents);
  return { evaluation: { nowMs: clock.nowMs, definitions: compiled, withEvents }, overlay };
}
