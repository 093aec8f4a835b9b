import { type FieldProblem, SCHEDULE_STATES, type ScheduleState, ValidationFailed } from '@sx/domain';

/** What a PATCH asks for, field by field (the value as sent: checked against the schedule by the service). */
export interface SchedulePatch {
  name?: string;
  state?: ScheduleState;
  schedule?: string;
  segments?: unknown;
  exportJob?: unknown;
}

const PATHS = ['/state', '/schedule', '/name', '/properties/segments', '/properties/exportJob'] as const;
const FIELD: Record<(typeof PATHS)[number], keyof SchedulePatch> = {
  '/state': 'state',
  '/schedule': 'schedule',
  '/name': 'name',
  '/properties/segments': 'segments',
  '/properties/exportJob': 'exportJob',
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * AEP's PATCH body: a JSON Patch array `[{"op": "add", "path": "/state" | "/schedule", "value": …}]`
 * (its only op is `add`). We also take `/name` and, per type, `/properties/segments` and
 * `/properties/exportJob`. Problems name the entry: `[0].op`, `[1].path`, `[2].value`.
 */
export function parseSchedulePatch(body: unknown): SchedulePatch {
  if (!Array.isArray(body)) throw new ValidationFailed([{ path: 'body', message: 'must be a JSON Patch array: [{"op": "add", "path": "/state", "value": "active"}]' }]);
  const problems: FieldProblem[] = [];
  if (!body.length) problems.push({ path: 'body', message: 'must hold at least one operation' });
  if (body.length > PATHS.length) problems.push({ path: 'body', message: `holds ${body.length} operations; at most ${PATHS.length}` });
  const patch: SchedulePatch = {};
  body.forEach((entry, i) => {
    if (!isObject(entry)) return problems.push({ path: `[${i}]`, message: 'must be an object {op, path, value}' });
    const extra = Object.keys(entry).filter((k) => !['op', 'path', 'value'].includes(k));
    for (const k of extra) problems.push({ path: `[${i}].${k}`, message: 'is not a known property' });
    if (entry.op !== 'add') problems.push({ path: `[${i}].op`, message: 'must be "add" (the only operation of AEP\'s schedule PATCH)' });
    if (!PATHS.includes(entry.path as (typeof PATHS)[number])) return problems.push({ path: `[${i}].path`, message: `must be one of ${PATHS.join(', ')}` });
    const field = FIELD[entry.path as (typeof PATHS)[number]];
    if (field in patch) return problems.push({ path: `[${i}].path`, message: `${String(entry.path)} is patched twice` });
    if (!('value' in entry)) return problems.push({ path: `[${i}].value`, message: 'is required' });
    const value = entry.value;
    if (field === 'state' && !SCHEDULE_STATES.includes(value as ScheduleState))
      return problems.push({ path: `[${i}].value`, message: `must be one of ${SCHEDULE_STATES.join(', ')}` });
    if ((field === 'schedule' || field === 'name') && (typeof value !== 'string' || !value.trim() || value.length > 200)) {
      return problems.push({ path: `[${i}].value`, message: 'must be a non-empty string of at most 200 characters' });
    }
    (patch as Record<string, unknown>)[field] = value;
  });
  if (problems.length) throw new ValidationFailed(problems);
  return patch;
}
