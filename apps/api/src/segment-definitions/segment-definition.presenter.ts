import { PROFILE_INSTANCE_ID, SegmentDefinition, SegmentDefinitionPage } from '@sx/domain';

/**
 * A segment definition as AEP shows it, in AEP's key order. creationTime and updateTime are epoch
 * milliseconds, updateEpoch epoch seconds.
 */
export function presentSegmentDefinition(definition: SegmentDefinition): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: definition.id,
    schema: { name: definition.schema.name },
    profileInstanceId: PROFILE_INSTANCE_ID,
    imsOrgId: definition.orgId,
    sandbox: { sandboxName: definition.sandboxName },
    name: definition.name,
  };
  if (definition.description !== undefined) body.description = definition.description;
  body.namespace = definition.namespace;
  body.mergePolicyId = definition.mergePolicyId;
  body.expression = {
    type: definition.expression.type,
    format: definition.expression.format,
    value: definition.expression.value,
  };
  body.creationTime = definition.createdAt.getTime();
  body.updateEpoch = Math.floor(definition.updatedAt.getTime() / 1000);
  body.updateTime = definition.updatedAt.getTime();
  return body;
}

/**
 * AEP's list envelope: 0-based `page`, newest first. `page.pageSize` is the number of definitions
 * returned, `page.limit` the page size asked for (after the cap); `link.next` is "" on the last page.
 */
export function presentSegmentDefinitionPage(result: SegmentDefinitionPage, page: number, limit: number): Record<string, unknown> {
  const hasNext = (page + 1) * limit < result.totalCount;
  return {
    segments: result.definitions.map(presentSegmentDefinition),
    page: {
      totalCount: result.totalCount,
      totalPages: Math.ceil(result.totalCount / limit),
      sortField: 'creationTime',
      sort: 'desc',
      pageSize: result.definitions.length,
      limit,
    },
    link: { next: hasNext ? `/segment/definitions?page=${page + 1}&limit=${limit}` : '' },
  };
}
