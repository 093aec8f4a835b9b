import type { ExportJobRequest, FieldProblem, SegmentDefinition } from '@sx/domain';
import { PqlCycleError, PqlError, evaluationOrder, parseDefinition } from '@sx/pql';

/**
 * What makes an export with `evaluationInfo.segmentation: true` unable to run, answered at POST
 * (issue #10). The listed segments are the ones evaluated: with none listed there is nothing to
 * evaluate, and the request is refused rather than silently exporting stored memberships. Each
 * listed segment needs a definition of this sandbox, in the namespace the filter names, that
 * parses and is built; they must form no cycle; and they must all merge under the policy the
 * export writes with, so that what is evaluated is exactly what is exported.
 * `definitions`: those found for the listed ids.
 */
export function evaluationProblems(request: ExportJobRequest, definitions: readonly SegmentDefinition[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const segments = request.filter?.segments ?? [];
  if (!segments.length) {
    return [{ path: 'evaluationInfo.segmentation', message: 'needs filter.segments: the segments whose definitions are evaluated (true with no segment evaluates nothing)' }];
  }
  const byId = new Map(definitions.map((d) => [d.id, d]));
  const exportPolicy = request.mergePolicy?.id ?? byId.get(segments[0].segmentId)?.mergePolicyId;
  const parsed: Array<{ id: string; refs: readonly string[] }> = [];
  segments.forEach((s, i) => {
    const def = byId.get(s.segmentId);
    if (!def) {
      problems.push({ path: `filter.segments[${i}].segmentId`, message: 'no segment definition with this id in this sandbox (evaluationInfo.segmentation evaluates definitions)' });
      return;
    }
    if (def.namespace !== s.segmentNs) {
      problems.push({ path: `filter.segments[${i}].segmentNs`, message: `must be "${def.namespace}", the namespace of the definition that is evaluated` });
    }
    if (exportPolicy !== undefined && def.mergePolicyId !== exportPolicy) {
      problems.push({
        path: `filter.segments[${i}].segmentId`,
        message: `its definition merges under policy "${def.mergePolicyId}" but the export under "${exportPolicy}"; evaluation and export must use one merge policy`,
      });
    }
    try {
      const p = parseDefinition(def.expression.format, def.expression.value);
      if (!parsed.some((x) => x.id === def.id)) parsed.push({ id: def.id, refs: p.segmentRefs });
    } catch (e) {
      if (!(e instanceof PqlError)) throw e;
      problems.push({ path: `filter.segments[${i}].segmentId`, message: `its definition cannot be evaluated: ${e.message}` });
    }
  });
  if (!problems.length) {
    try {
      evaluationOrder(parsed);
    } catch (e) {
      if (!(e instanceof PqlCycleError)) throw e;
      problems.push({ path: 'evaluationInfo.segmentation', message: e.message });
    }
  }
  return problems;
}
