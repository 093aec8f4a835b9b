import { type FieldProblem, SEGMENT_JOB_MAX_SEGMENTS, ValidationFailed, isUuid } from '@sx/domain';

/** POST /segment/jobs, after validation. */
export interface SegmentJobRequest {
  /** The listed segment ids, in order; undefined for the object form with "*" (every definition). */
  segmentIds?: string[];
  schemaName: string;
}

export const PROFILE_SCHEMA = '_xdm.context.profile';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * AEP's two bodies: an array `[{segmentId}]` (1 to 1500, no repeats), or the object
 * `{schema: {name}, segments: [{segmentId: "*"}]}` for every definition of the sandbox. Problems
 * name the field as `segments[i].segmentId` in both forms.
 */
export function parseSegmentJobRequest(body: unknown): SegmentJobRequest {
  const problems: FieldProblem[] = [];
  let list: unknown;
  const prefix = 'segments';
  let schemaName = PROFILE_SCHEMA;
  if (Array.isArray(body)) {
    list = body;
  } else if (isObject(body)) {
    list = body.segments;
    if (body.schema !== undefined) {
      if (!isObject(body.schema) || typeof body.schema.name !== 'string') problems.push({ path: 'schema.name', message: 'must be a string' });
      else if (body.schema.name !== PROFILE_SCHEMA) problems.push({ path: 'schema.name', message: `must be "${PROFILE_SCHEMA}"` });
      else schemaName = body.schema.name;
    }
    if (!Array.isArray(list)) throw new ValidationFailed([...problems, { path: 'segments', message: 'must be an array of {segmentId}' }]);
  } else {
    throw new ValidationFailed([{ path: 'body', message: 'must be an array of {segmentId} or {schema, segments: [{segmentId: "*"}]}' }]);
  }
  const entries = list as unknown[];
  const at = (i: number) => `${prefix}[${i}]`;
  if (entries.length === 0) problems.push({ path: prefix, message: 'must list at least one segment' });
  if (entries.length > SEGMENT_JOB_MAX_SEGMENTS) {
    problems.push({ path: prefix, message: `lists ${entries.length} segments; at most ${SEGMENT_JOB_MAX_SEGMENTS} (send {"segments": [{"segmentId": "*"}]} for all)` });
  }
  const ids: string[] = [];
  const seen = new Set<string>();
  let star = false;
  entries.forEach((e, i) => {
    if (!isObject(e)) return problems.push({ path: at(i), message: 'must be an object {segmentId}' });
    const id = e.segmentId;
    if (typeof id !== 'string') return problems.push({ path: `${at(i)}.segmentId`, message: 'is required and must be a string' });
    if (id === '*') {
      star = true;
      return;
    }
    if (!isUuid(id)) return problems.push({ path: `${at(i)}.segmentId`, message: 'must be a segment definition id (a uuid) or "*"' });
    const lower = id.toLowerCase();
    if (seen.has(lower)) return problems.push({ path: `${at(i)}.segmentId`, message: 'is listed twice' });
    seen.add(lower);
    ids.push(lower);
  });
  if (star && entries.length !== 1) problems.push({ path: prefix, message: '"*" must be the only entry' });
  if (problems.length) throw new ValidationFailed(problems);
  return star ? { schemaName } : { segmentIds: ids, schemaName };
}
