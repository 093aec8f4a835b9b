import { ValidationFailed } from '@sx/domain';
import type { CatalogCondition, CatalogOp, CatalogOrder } from '@sx/persistence';

/**
 * The syntax of AEP's Catalog list parameters (AEP-API-NOTES.md section 6), parsed into the
 * conditions the repositories compile to SQL. A malformed value is a 400 naming its parameter;
 * what a field is (number, time, object...) is checked where the SQL is made.
 */

function problem(param: string, message: string): never {
  throw new ValidationFailed([{ path: param, message }]);
}

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Longest operators first: `<=` before `<`.
const EXPRESSION = /^([A-Za-z_][A-Za-z0-9_]*)(~|==|!=|<=|>=|<|>)([\s\S]*)$/;

/** `property=` expression: `f` (exists), `!f` (absent), `f~regex`, `f==v`, `f!=v`, `f<v`, `f<=v`, `f>v`, `f>=v`. */
export function parseProperty(expression: string, param = 'property'): CatalogCondition {
  if (FIELD.test(expression)) return { kind: 'property', param, field: expression, op: 'exists' };
  if (expression.startsWith('!') && FIELD.test(expression.slice(1))) return { kind: 'property', param, field: expression.slice(1), op: 'absent' };
  const m = EXPRESSION.exec(expression);
  if (!m) problem(param, `"${expression}" is not a field name, !field, or field followed by one of ~ == != < <= > >= and a value`);
  const [, field, op, value] = m;
  if (value === '') problem(param, `"${expression}" has no value after ${op}`);
  if (op === '~') checkRegex(value, param);
  return { kind: 'property', param, field, op: op as CatalogOp, value };
}

/** A pattern JavaScript cannot read is refused here; one Postgres cannot read is refused by the repository. */
function checkRegex(pattern: string, param: string): void {
  if (pattern.length > 500) problem(param, 'has a regular expression longer than 500 characters');
  try {
    new RegExp(pattern);
  } catch {
    problem(param, `"${pattern}" is not a valid regular expression`);
  }
}

/** `orderBy=asc:name,desc:updated` (several, comma-separated; the default direction is ascending). */
export function parseOrderBy(value: string, param = 'orderBy'): CatalogOrder[] {
  return value.split(',').map((term) => {
    const m = /^(?:(asc|desc):)?([A-Za-z_][A-Za-z0-9_]*)$/i.exec(term.trim());
    if (!m) problem(param, `"${term}" is not field, asc:field or desc:field`);
    return { field: m[2], direction: (m[1]?.toLowerCase() ?? 'asc') as 'asc' | 'desc' };
  });
}

/** `properties=name,description`: the top-level fields to answer with. */
export function parseProperties(value: string, param = 'properties'): string[] {
  const names = value.split(',').map((n) => n.trim());
  for (const n of names) if (!FIELD.test(n)) problem(param, `"${n}" is not a field name`);
  return names;
}

/** A simple filter: `x`, `a,b` (any of), `!x`, `!a,b` (none of). `check` refuses a bad value. */
export function parseValues(param: string, field: string, value: string, check?: (v: string) => string | undefined): CatalogCondition {
  const negate = value.startsWith('!');
  const values = (negate ? value.slice(1) : value).split(',');
  for (const v of values) {
    if (v === '') problem(param, `"${value}" has an empty value`);
    const bad = check?.(v);
    if (bad) problem(param, bad);
  }
  return { kind: 'values', param, field, negate, values };
}

/** `tags=k:v,k2:*`: every item must hold (AND); the value is what follows the first `:` (`unifiedProfile:enabled:true`). */
export function parseTags(value: string, param = 'tags'): CatalogCondition[] {
  return value.split(',').map((item) => {
    const at = item.indexOf(':');
    const key = at < 0 ? item : item.slice(0, at);
    if (key.trim() === '') problem(param, `"${item}" has no tag name (name:value)`);
    return at < 0 ? { kind: 'tag', param, key } : { kind: 'tag', param, key, value: item.slice(at + 1) || '*' };
  });
}

/** `createdAfter=t` and the like: a time in epoch milliseconds, compared strictly. */
export function parseRange(param: string, field: string, op: '<' | '>', value: string): CatalogCondition {
  if (!/^\d{1,15}$/.test(value)) problem(param, `must be a time in epoch milliseconds, not "${value}"`);
  return { kind: 'property', param, field, op, value };
}
