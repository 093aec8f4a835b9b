import type { MergePolicy, MergePolicyPage } from '@sx/domain';

/** A merge policy as AEP shows it, in AEP's key order. `updateEpoch` is in seconds, as AEP's. */
export function presentMergePolicy(policy: MergePolicy): Record<string, unknown> {
  const { attributeMerge } = policy;
  return {
    id: policy.id,
    name: policy.name,
    imsOrgId: policy.orgId,
    sandbox: { sandboxName: policy.sandboxName },
    schema: { name: policy.schema.name },
    version: policy.version,
    identityGraph: { type: policy.identityGraph.type },
    attributeMerge: attributeMerge.type === 'dataSetPrecedence' ? { type: attributeMerge.type, order: attributeMerge.order } : { type: attributeMerge.type },
    isActiveOnEdge: policy.isActiveOnEdge,
    default: policy.default,
    updateEpoch: Math.floor(policy.updatedAt.getTime() / 1000),
  };
}

/**
 * AEP's list envelope. `start` is an offset; the next page starts where this one ended, and its
 * href repeats the order and filters so that following it walks the same list. On the last page
 * `_page.next` and `_links.next.href` are empty strings (AEP: "If no next page exists, this value
 * is an empty string"), so clients loop while the href is not empty.
 */
export function presentMergePolicyPage(page: MergePolicyPage, start: number, limit: number, repeated: Record<string, string> = {}): Record<string, unknown> {
  const nextStart = start + page.policies.length;
  const hasNext = page.policies.length > 0 && nextStart < page.totalCount;
  const query = new URLSearchParams({ start: String(nextStart), limit: String(limit), ...repeated });
  return {
    _page: { totalCount: page.totalCount, pageSize: page.policies.length, next: hasNext ? String(nextStart) : '' },
    children: page.policies.map(presentMergePolicy),
    _links: { next: { href: hasNext ? `@/mergePolicies?${query.toString()}` : '' } },
  };
}
