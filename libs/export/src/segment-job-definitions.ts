import { FieldProblem, SegmentDefinition, SegmentJobDefinition, TenantScope, ValidationFailed } from '@sx/domain';
import { type ParsedDefinition, PqlCycleError, PqlError, evaluationOrder, parseDefinition } from '@sx/pql';

/** Where the definitions come from (SegmentDefinitionRepository). */
export interface DefinitionLookup {
  findMany(scope: TenantScope, ids: string[]): Promise<SegmentDefinition[]>;
  all(scope: TenantScope): Promise<SegmentDefinition[]>;
}

/** How problems name the request's entries: the i-th listed id, and the "*" entry. */
export interface DefinitionPaths {
  listed: (i: number) => string;
  all: string;
}

/**
 * The snapshot a segment job evaluates, for POST /segment/jobs and for a batch_segmentation
 * schedule's run alike: every listed segment exists in the sandbox (or, for "*" = undefined ids,
 * the sandbox has some), every expression parses and no inSegment cycle; else ValidationFailed
 * naming the entries by `paths`.
 */
export async function resolveSegmentJobDefinitions(
  lookup: DefinitionLookup,
  scope: TenantScope,
  segmentIds: string[] | undefined,
  paths: DefinitionPaths,
): Promise<SegmentJobDefinition[]> {
  let found: SegmentDefinition[];
  const problems: FieldProblem[] = [];
  const pathOf = new Map<string, string>();
  if (segmentIds) {
    const byId = new Map((await lookup.findMany(scope, segmentIds)).map((d) => [d.id, d]));
    found = [];
    segmentIds.forEach((id, i) => {
      const path = paths.listed(i);
      pathOf.set(id, path);
      const d = byId.get(id);
      if (d) found.push(d);
      else problems.push({ path, message: `no segment definition "${id}" in this sandbox` });
    });
  } else {
    found = await lookup.all(scope);
    if (!found.length) problems.push({ path: paths.all, message: 'the sandbox has no segment definitions to evaluate' });
    for (const d of found) pathOf.set(d.id, paths.all);
  }
  const parsed = new Map<string, ParsedDefinition>();
  for (const d of found) {
    try {
      parsed.set(d.id, parseDefinition(d.expression.format, d.expression.value));
    } catch (e) {
      if (!(e instanceof PqlError)) throw e;
      problems.push({ path: pathOf.get(d.id)!, message: `segment definition "${d.id}" cannot be evaluated: expression.value: ${e.message}` });
    }
  }
  if (problems.length) throw new ValidationFailed(problems);
  try {
    evaluationOrder(found.map((d) => ({ id: d.id, refs: parsed.get(d.id)!.segmentRefs })));
  } catch (e) {
    if (!(e instanceof PqlCycleError)) throw e;
    throw new ValidationFailed([{ path: pathOf.get(e.ids[0]) ?? paths.all.replace(/\[0\].*$/, ''), message: e.message }]);
  }
  return found.map((d) => ({
    id: d.id,
    namespace: d.namespace,
    expression: { type: 'PQL', format: d.expression.format, value: d.expression.value },
    mergePolicyId: d.mergePolicyId,
    version: d.updatedAt.getTime(),
  }));
}
