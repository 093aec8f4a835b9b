import type { CatalogCondition, CatalogListQuery, CatalogOrder } from '@sx/persistence';
import { parseOrderBy, parseProperties, parseProperty, parseRange, parseTags, parseValues } from './catalog-query.parser';
import { BatchListQuery, CatalogPageQuery, DEFAULT_CATALOG_LIMIT, DatasetListQuery, OBSERVABLE_SCHEMA_LIMIT } from './dto/catalog-page.query';

/** A Catalog list as the repositories run it, plus the fields to answer with (`properties`). */
export interface CatalogList {
  query: CatalogListQuery;
  properties?: string[];
}

type Range = [param: string, field: string, op: '<' | '>'];

const COMMON_FILTERS = ['created', 'updated', 'createdClient', 'createdUser', 'updatedUser', 'version'] as const;
const CREATED_RANGES: Range[] = [
  ['createdAfter', 'created', '>'],
  ['createdBefore', 'created', '<'],
];

/** AEP's Catalog batch statuses; D says `active` is `success` and `failure` is `failed`. */
const BATCH_STATUSES = new Set([
  'processing',
  'success',
  'failure',
  'queued',
  'retrying',
  'stalled',
  'aborted',
  'abandoned',
  'inactive',
  'failed',
  'loading',
  'loaded',
  'staged',
  'active',
  'staging',
  'deleted',
  'archived',
  'retained',
]);
const STATUS_ALIASES: Record<string, string> = { active: 'success', success: 'active', failure: 'failed', failed: 'failure' };

const HEX = (n: number, what: string) => (v: string) => (new RegExp(`^[0-9a-f]{${n}}$`).test(v) ? undefined : `"${v}" is not a ${what} id (${n} hex characters)`);

function build(q: CatalogPageQuery, simple: readonly string[], ranges: Range[], extra: CatalogCondition[]): CatalogList {
  const params = q as unknown as Record<string, string[] | undefined>;
  const conditions: CatalogCondition[] = [];
  for (const name of simple) for (const v of params[name] ?? []) conditions.push(parseValues(name, name, v));
  for (const [param, field, op] of ranges) for (const v of params[param] ?? []) conditions.push(parseRange(param, field, op, v));
  for (const v of q.property ?? []) conditions.push(parseProperty(v));
  for (const v of q.tags ?? []) conditions.push(...parseTags(v));
  conditions.push(...extra);
  const orderBy: CatalogOrder[] = [...(q.orderBy ?? []).flatMap((v) => parseOrderBy(v)), ...(q.sort ?? []).flatMap((v) => parseOrderBy(v, 'sort'))];
  const properties = q.properties?.length ? [...new Set(q.properties.flatMap((v) => parseProperties(v)))] : undefined;
  let limit = q.limit ?? DEFAULT_CATALOG_LIMIT;
  if (properties?.includes('observableSchema')) limit = Math.min(limit, OBSERVABLE_SCHEMA_LIMIT);
  return { query: { conditions, orderBy: orderBy.length ? orderBy : undefined, start: q.start ?? 0, limit }, properties };
}

export function datasetList(q: DatasetListQuery): CatalogList {
  return build(q, [...COMMON_FILTERS, 'name', 'description', 'enableErrorDiagnostics'], CREATED_RANGES, []);
}

export function batchList(q: BatchListQuery): CatalogList {
  const extra: CatalogCondition[] = [];
  for (const v of q.dataSet ?? []) extra.push(parseValues('dataSet', 'dataSet', v, HEX(24, 'dataset')));
  for (const v of q.batch ?? []) extra.push(parseValues('batch', 'batch', v, HEX(32, 'batch')));
  for (const v of q.status ?? []) {
    const c = parseValues('status', 'status', v.toLowerCase(), (s) => (BATCH_STATUSES.has(s) ? undefined : `"${s}" is not a Catalog batch status`));
    if (c.kind === 'values') c.values = [...new Set(c.values.flatMap((s) => (STATUS_ALIASES[s] ? [s, STATUS_ALIASES[s]] : [s])))];
    extra.push(c);
  }
  const ranges: Range[] = [...CREATED_RANGES, ['startAfter', 'started', '>'], ['startBefore', 'started', '<'], ['endAfter', 'completed', '>'], ['endBefore', 'completed', '<']];
  return build(q, [...COMMON_FILTERS, 'recordCount', 'failedRecordCount', 'completed', 'started', 'size', 'externalId'], ranges, extra);
}

/** Only the fields asked for (`properties`): an object without any of them answers `{}`. */
export function project(body: Record<string, unknown>, properties: string[] | undefined): Record<string, unknown> {
  if (!properties) return body;
  return Object.fromEntries(properties.filter((p) => Object.prototype.hasOwnProperty.call(body, p)).map((p) => [p, body[p]]));
}
