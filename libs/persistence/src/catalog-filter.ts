import { ValidationFailed } from '@sx/domain';
import { Prisma } from './generated/prisma/client';
import { tenantSql } from './tenant-scope';

/**
 * Catalog list queries (AEP's `GET /dataSets`, `GET /batches` filters) compiled to one SQL query
 * over the tenant's rows: filters, order and paging run in Postgres, never over loaded rows.
 * The API parses the query string into these conditions; this file knows what each field is.
 */

/** `property=` operators; `exists` is `property=f`, `absent` is `property=!f`. */
export type CatalogOp = 'exists' | 'absent' | '~' | '==' | '!=' | '<' | '<=' | '>' | '>=';

export type CatalogCondition =
  /** A `property=` expression, or a range parameter (`createdAfter=t` is `created > t`). */
  | { kind: 'property'; param: string; field: string; op: CatalogOp; value?: string }
  /** A simple filter: `name=a,b` (any of), `name=!a,b` (none of); `*` is a wildcard in strings. */
  | { kind: 'values'; param: string; field: string; negate: boolean; values: string[] }
  /** One `tags=k:v` item: the tag exists (value undefined or `*`) or has a value matching `v`. */
  | { kind: 'tag'; param: string; key: string; value?: string };

export interface CatalogOrder {
  field: string;
  direction: 'asc' | 'desc';
}

export interface CatalogListQuery {
  conditions: CatalogCondition[];
  /** Absent: newest first. */
  orderBy?: CatalogOrder[];
  start: number;
  limit: number;
}

/**
 * What a field of a Catalog object is in SQL (over the table aliased `t`). `object` fields can
 * only be tested for presence; `absent` ones are documented fields this service never has (no
 * object has them: a positive test matches nothing, a negative one everything).
 */
export type CatalogFieldType = 'string' | 'number' | 'time' | 'boolean' | 'version' | 'object' | 'absent';

export interface CatalogField {
  type: CatalogFieldType;
  sql: string;
}

export type CatalogFields = Record<string, CatalogField>;

const f = (type: CatalogFieldType, sql: string): CatalogField => ({ type, sql });
const ABSENT = f('absent', 'NULL');
/** Catalog objects show `version: "1.0.0"`: one constant, compared as a version. */
const VERSION = f('version', `'1.0.0'`);

/** Fields of a dataset, as catalog.presenter.ts shows them. */
export const DATASET_FIELDS: CatalogFields = {
  id: f('string', 't.id'),
  name: f('string', 't.name'),
  description: f('string', 't.description'),
  imsOrg: f('string', 't.org_id'),
  sandboxId: f('string', 't.sandbox_name'),
  version: VERSION,
  created: f('time', 't.created_at'),
  updated: f('time', 't.updated_at'),
  createdClient: f('string', 't.created_client'),
  createdUser: f('string', 't.created_user'),
  updatedUser: f('string', 't.updated_user'),
  basePath: f('string', 't.base_path'),
  dataSourceId: f('number', 't.data_source_id'),
  enableErrorDiagnostics: f('boolean', 't.enable_error_diagnostics'),
  schema: f('string', `'@/xdms/' || replace(t.schema_id, 'https://ns.adobe.com/xdm/', '')`),
  schemaRef: f('object', 't.schema_id'),
  tags: f('object', 't.tags'),
  fileDescription: f('object', 't.file_description'),
  observableSchema: f('object', 't.observable_schema'),
};

/** Fields of a batch, as catalog.presenter.ts shows them, plus the `dataSet` and `batch` filters. */
export const BATCH_FIELDS: CatalogFields = {
  id: f('string', 't.id'),
  batch: f('string', 't.id'),
  dataSet: f('string', 't.dataset_id'),
  status: f('string', 't.status::text'),
  imsOrg: f('string', 't.org_id'),
  sandboxId: f('string', 't.sandbox_name'),
  version: VERSION,
  created: f('time', 't.created_at'),
  updated: f('time', 't.updated_at'),
  completed: f('time', 't.completed_at'),
  recordCount: f('number', 't.record_count'),
  failedRecordCount: f('number', 't.failed_record_count'),
  relatedObjects: f('object', 't.dataset_id'),
  inputFormat: f('object', 't.input_format'),
  metrics: f('object', 't.id'),
  errors: f('object', 't.id'),
  // The presenter's tags: the import POST's, and an export's batch tagged with its job (that tag wins, as in the presenter).
  tags: f(
    'object',
    `(CASE WHEN jsonb_typeof(t.tags::jsonb) = 'object' THEN t.tags::jsonb ELSE '{}'::jsonb END)` +
      ` || (CASE WHEN t.export_job_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('exportJobId', jsonb_build_array(t.export_job_id::text)) END)`,
  ),
  externalId: f('string', 't.external_id'),
  replay: f('object', 't.replay'),
  // Documented for batches, never set here (see the README's Catalog rows).
  started: ABSENT,
  size: ABSENT,
  createdClient: ABSENT,
  createdUser: ABSENT,
  updatedUser: ABSENT,
};

const raw = Prisma.raw;
const TRUE = raw('TRUE');
const FALSE = raw('FALSE');

function problem(param: string, message: string): never {
  throw new ValidationFailed([{ path: param, message }]);
}

/** A `*` wildcard value as a LIKE pattern: `*` is any text, `**` a literal asterisk. */
export function likePattern(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '*' && value[i + 1] === '*') {
      out += '*';
      i++;
    } else if (c === '*') out += '%';
    else if (c === '%' || c === '_' || c === '\\') out += `\\${c}`;
    else out += c;
  }
  return out;
}

/** True when the value has a `*` that is a wildcard (not part of a `**`). */
export function hasWildcard(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '*') continue;
    if (value[i + 1] !== '*') return true;
    i++;
  }
  return false;
}

const MS = /^-?\d{1,15}$/;
const NUMBER = /^-?\d+(\.\d+)?$/;
const VERSION_VALUE = /^\d{1,9}(\.\d{1,9}){0,5}$/;
const ORDER_OPS: Record<string, string> = { '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/** The field's value in SQL, with the client's value bound in the same type (or a 400 naming the parameter). */
function typed(field: CatalogField, value: string, param: string, name: string): { left: Prisma.Sql; right: Prisma.Sql } {
  const left = raw(field.sql);
  switch (field.type) {
    case 'number':
      if (!NUMBER.test(value)) problem(param, `${name} is a number: "${value}" is not one`);
      return { left, right: Prisma.sql`${value}::numeric` };
    case 'time':
      if (!MS.test(value)) problem(param, `${name} is a time in epoch milliseconds: "${value}" is not one`);
      return { left, right: Prisma.sql`(TIMESTAMPTZ 'epoch' + ${value}::bigint * INTERVAL '1 millisecond')` };
    case 'boolean': {
      const v = value.toLowerCase();
      if (v !== 'true' && v !== 'false') problem(param, `${name} is true or false: "${value}" is neither`);
      return { left, right: v === 'true' ? TRUE : FALSE };
    }
    default:
      return { left, right: Prisma.sql`${value}` };
  }
}

/** `field == value`: LIKE for a string value with a wildcard. */
function equals(field: CatalogField, value: string, param: string, name: string): Prisma.Sql {
  if (field.type === 'absent') return FALSE;
  if (field.type === 'object') problem(param, `${name} is an object: only its presence can be tested`);
  if (field.type === 'string' && hasWildcard(value)) return Prisma.sql`(${raw(field.sql)}) LIKE ${likePattern(value)}`;
  // Without a wildcard, `**` still stands for one literal asterisk.
  const { left, right } = typed(field, field.type === 'string' ? value.replace(/\*\*/g, '*') : value, param, name);
  return Prisma.sql`(${left}) = ${right}`;
}

/** Text of a scalar field, for `~`: times as their epoch milliseconds, as the API shows them. */
function asText(field: CatalogField): Prisma.Sql {
  if (field.type === 'time') return raw(`(floor(extract(epoch FROM ${field.sql}) * 1000))::bigint::text`);
  return raw(`(${field.sql})::text`);
}

function compare(field: CatalogField, op: string, value: string, param: string, name: string): Prisma.Sql {
  if (field.type === 'absent') return FALSE;
  if (field.type === 'object' || field.type === 'boolean') problem(param, `${name} cannot be compared with ${op}`);
  const sqlOp = raw(ORDER_OPS[op]);
  if (field.type === 'version') {
    if (!VERSION_VALUE.test(value)) problem(param, `${name} is a version (like 1.0.3): "${value}" is not one`);
    return Prisma.sql`string_to_array(${raw(field.sql)}, '.')::int[] ${sqlOp} string_to_array(${value}, '.')::int[]`;
  }
  const { left, right } = typed(field, value, param, name);
  if (field.type === 'string') return Prisma.sql`(${left}) COLLATE "C" ${sqlOp} ${right} COLLATE "C"`;
  return Prisma.sql`(${left}) ${sqlOp} ${right}`;
}

/** Negations keep the objects that do not have the field at all. */
const not = (field: CatalogField, cond: Prisma.Sql) => Prisma.sql`((${raw(field.sql)}) IS NULL OR NOT (${cond}))`;

function property(fields: CatalogFields, c: Extract<CatalogCondition, { kind: 'property' }>): Prisma.Sql {
  const field = fields[c.field] ?? ABSENT;
  const value = c.value ?? '';
  switch (c.op) {
    case 'exists':
      return field.type === 'absent' ? FALSE : Prisma.sql`(${raw(field.sql)}) IS NOT NULL`;
    case 'absent':
      return field.type === 'absent' ? TRUE : Prisma.sql`(${raw(field.sql)}) IS NULL`;
    case '==':
      return equals(field, value, c.param, c.field);
    case '!=':
      return field.type === 'absent' ? TRUE : not(field, equals(field, value, c.param, c.field));
    case '~':
      if (field.type === 'absent') return FALSE;
      if (field.type === 'object') problem(c.param, `${c.field} is an object: only its presence can be tested`);
      return Prisma.sql`${asText(field)} ~ ${value}`;
    default:
      return compare(field, c.op, value, c.param, c.field);
  }
}

function values(fields: CatalogFields, c: Extract<CatalogCondition, { kind: 'values' }>): Prisma.Sql {
  const field = fields[c.field] ?? ABSENT;
  if (field.type === 'absent') return c.negate ? TRUE : FALSE;
  const any = Prisma.sql`(${Prisma.join(
    c.values.map((v) => equals(field, v, c.param, c.field)),
    ' OR ',
  )})`;
  return c.negate ? not(field, any) : any;
}

function tag(fields: CatalogFields, c: Extract<CatalogCondition, { kind: 'tag' }>): Prisma.Sql {
  const tags = raw(`(${(fields.tags ?? ABSENT).sql})::jsonb`);
  if (c.value === undefined || c.value === '*') return Prisma.sql`jsonb_exists(${tags}, ${c.key})`;
  const elements = Prisma.sql`jsonb_array_elements_text(CASE WHEN jsonb_typeof(${tags} -> ${c.key}) = 'array' THEN ${tags} -> ${c.key} ELSE '[]'::jsonb END)`;
  if (hasWildcard(c.value)) return Prisma.sql`EXISTS (SELECT 1 FROM ${elements} AS e(v) WHERE e.v LIKE ${likePattern(c.value)})`;
  return Prisma.sql`EXISTS (SELECT 1 FROM ${elements} AS e(v) WHERE e.v = ${c.value.replace(/\*\*/g, '*')})`;
}

export function conditionSql(fields: CatalogFields, c: CatalogCondition): Prisma.Sql {
  if (c.kind === 'property') return property(fields, c);
  if (c.kind === 'values') return values(fields, c);
  return tag(fields, c);
}

const SORTABLE = new Set<CatalogFieldType>(['string', 'number', 'time', 'boolean', 'version']);

export function orderSql(fields: CatalogFields, order: CatalogOrder[] | undefined): Prisma.Sql {
  if (!order?.length) return raw('t.created_at DESC, t.id DESC');
  const terms = order.map((o) => {
    const field = fields[o.field];
    if (!field || !SORTABLE.has(field.type))
      problem(
        'orderBy',
        `cannot order by "${o.field}" (one of: ${Object.keys(fields)
          .filter((k) => SORTABLE.has(fields[k].type))
          .join(', ')})`,
      );
    return `${field.sql} ${o.direction === 'desc' ? 'DESC' : 'ASC'}`;
  });
  return raw([...terms, 't.id ASC'].join(', '));
}

/** The ids of one page of the tenant's rows of `table` that match every condition, in order. */
export function listIdsSql(table: 'datasets' | 'batches', fields: CatalogFields, scope: { orgId: string; sandboxName: string }, q: CatalogListQuery): Prisma.Sql {
  const where = [tenantSql(scope, 't'), ...q.conditions.map((c) => conditionSql(fields, c))];
  return Prisma.sql`SELECT t.id FROM ${raw(table)} t WHERE ${Prisma.join(where, ' AND ')} ORDER BY ${orderSql(fields, q.orderBy)} OFFSET ${q.start} LIMIT ${q.limit}`;
}

/** Postgres refused a `~` pattern (SQLSTATE 2201B): the client's regular expression, a 400. */
export function isBadRegex(e: unknown): boolean {
  for (let cur = e as Record<string, unknown> | undefined, depth = 0; cur && depth < 6; depth++) {
    if (cur.code === '2201B' || cur.originalCode === '2201B') return true;
    if (typeof cur.message === 'string' && /invalid regular expression/i.test(cur.message)) return true;
    cur = (cur.cause ?? (cur.meta as Record<string, unknown> | undefined)) as Record<string, unknown> | undefined;
  }
  return false;
}

/** A `~` pattern Postgres refused (see isBadRegex) is the client's mistake: a 400 naming `property`. */
export function refuseBadRegex(e: unknown): void {
  if (isBadRegex(e)) throw new ValidationFailed([{ path: 'property', message: 'has a regular expression that is not valid' }]);
}
