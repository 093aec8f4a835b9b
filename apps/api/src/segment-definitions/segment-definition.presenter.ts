import { AUDIENCE_FIELDS, EVALUATION_INFO, PROFILE_INSTANCE_ID, SegmentDefinition, SegmentDefinitionPage, SegmentSortKey } from '@sx/domain';

/**
 * A segment definition as AEP shows it, in AEP's key order. creationTime and updateTime are epoch
 * milliseconds, updateEpoch epoch seconds. `dataGovernancePolicy.excludeOptOut` is false because
 * nothing here excludes opted-out profiles (there is no consent processing): AEP's true would be
 * a claim this service does not keep.
 */
export function presentSegmentDefinition(definition: SegmentDefinition): Record<string, unknown> {
  const body: Record<string, unknown> = { id: definition.id, schema: { name: definition.schema.name } };
  if (definition.ttlInDays !== undefined) body.ttlInDays = definition.ttlInDays;
  body.profileInstanceId = PROFILE_INSTANCE_ID;
  body.imsOrgId = definition.orgId;
  body.sandbox = { sandboxName: definition.sandboxName };
  body.name = definition.name;
  if (definition.description !== undefined) body.description = definition.description;
  body.namespace = definition.namespace;
  body.mergePolicyId = definition.mergePolicyId;
  body.expression = { type: definition.expression.type, format: definition.expression.format, value: definition.expression.value };
  body.evaluationInfo = {
    batch: { ...EVALUATION_INFO.batch },
    continuous: { ...EVALUATION_INFO.continuous },
    synchronous: { ...EVALUATION_INFO.synchronous },
  };
  body.dataGovernancePolicy = { excludeOptOut: false };
  if (definition.payloadSchema !== undefined) body.payloadSchema = definition.payloadSchema;
  for (const field of AUDIENCE_FIELDS) if (definition.audience?.[field] !== undefined) body[field] = definition.audience[field];
  body.creationTime = definition.createdAt.getTime();
  body.updateEpoch = Math.floor(definition.updatedAt.getTime() / 1000);
  body.updateTime = definition.updatedAt.getTime();
  return body;
}

/** Where a page starts and what it was asked with; `query` is repeated in link.next (filters, sort). */
export interface DefinitionPageRequest {
  first: number;
  limit: number;
  sort: SegmentSortKey[];
  query: Record<string, string>;
}

/**
 * AEP's list envelope. `page.pageSize` is the number of definitions returned, `page.limit` the page
 * size used (after default and cap). `link.next` is the path of the page that starts right after
 * this one's last definition (by offset, so a client that follows it sees each definition once
 * whatever limit it used first); on the last page `link` is `{}`, as in AEP's examples.
 */
export function presentSegmentDefinitionPage(result: SegmentDefinitionPage, request: DefinitionPageRequest): Record<string, unknown> {
  const next = request.first + result.definitions.length;
  const link: Record<string, string> = {};
  if (result.definitions.length > 0 && next < result.totalCount) {
    const query = new URLSearchParams({ ...request.query, start: String(next), limit: String(request.limit) });
    link.next = `/segment/definitions?${query.toString()}`;
  }
  return {
    segments: result.definitions.map(presentSegmentDefinition),
    page: {
      totalCount: result.totalCount,
      totalPages: Math.ceil(result.totalCount / request.limit),
      sortField: request.sort[0].field,
      sort: request.sort[0].direction,
      pageSize: result.definitions.length,
      limit: request.limit,
    },
    link,
  };
}
