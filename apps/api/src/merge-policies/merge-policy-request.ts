import { AttributeMergeType, FieldProblem, IdentityGraphType, MergePolicyListing, MergePolicyPatchOperation, ValidationFailed } from '@sx/domain';
import { effectiveLimit } from '../common/page-limit.query';
import { UNKNOWN_PROPERTY } from '../common/input-scan';
import type { ListMergePoliciesQuery } from './dto/list-merge-policies.query';

/** The filters of the list, as the query spells them, repeated in `_links.next.href`. */
const FILTER_PARAMS = ['default', 'isActiveOnEdge', 'schema.name', 'identityGraph.type', 'attributeMerge.type', 'version'] as const;

export interface MergePolicyListRequest {
  listing: MergePolicyListing;
  /** What the next page's href repeats besides start and limit. */
  repeated: Record<string, string>;
}

export function mergePolicyListRequest(query: ListMergePoliciesQuery): MergePolicyListRequest {
  const orderBy = (query.orderBy ?? query.orderby ?? '').trim();
  const repeated: Record<string, string> = {};
  if (orderBy) repeated.orderBy = orderBy.startsWith('-') ? '-name' : 'name';
  for (const param of FILTER_PARAMS) if (query[param] !== undefined) repeated[param] = String(query[param]);
  return {
    listing: {
      start: query.start ?? 0,
      limit: effectiveLimit(query.limit),
      nameOrder: orderBy.startsWith('-') ? 'desc' : 'asc',
      filter: {
        default: query.default,
        isActiveOnEdge: query.isActiveOnEdge,
        schemaName: query['schema.name'],
        identityGraphType: query['identityGraph.type'] as IdentityGraphType | undefined,
        attributeMergeType: query['attributeMerge.type'] as AttributeMergeType | undefined,
        version: query.version,
      },
    },
    repeated,
  };
}

const OPERATION_KEYS = new Set(['op', 'path', 'value']);

/**
 * The body of PATCH /config/mergePolicies/{id}: AEP's docs send one operation object, its spec an
 * array of them; both are taken. Each operation has exactly op, path and value (anything else is
 * an unknown property, named).
 */
export function patchOperationsOf(body: unknown): MergePolicyPatchOperation[] {
  const items: Array<{ at: string; item: unknown }> = Array.isArray(body) ? (body as unknown[]).map((item, i) => ({ at: `[${i}]`, item })) : [{ at: '', item: body }];
  if (!items.length) throw new ValidationFailed([{ path: '', message: 'must hold at least one operation' }]);
  const problems: FieldProblem[] = [];
  const operations: MergePolicyPatchOperation[] = [];
  for (const { at, item } of items) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      problems.push({ path: at, message: 'must be an object {op, path, value}' });
      continue;
    }
    const record = item as Record<string, unknown>;
    for (const key of Object.keys(record)) if (!OPERATION_KEYS.has(key)) problems.push({ path: at ? `${at}.${key}` : key, message: UNKNOWN_PROPERTY });
    operations.push({ at, op: record.op, path: record.path, value: record.value });
  }
  if (problems.length) throw new ValidationFailed(problems);
  return operations;
}
