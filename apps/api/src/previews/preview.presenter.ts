import { Preview, PreviewMatch, encodePreviewId } from '@sx/domain';

/** POST /preview's 201 body, in AEP's key order. */
export function presentCreatedPreview(preview: Preview): Record<string, unknown> {
  return { state: preview.state, previewQueryId: preview.id, previewQueryStatus: preview.state, previewId: encodePreviewId(preview.id), previewExecutionId: 0 };
}

/** Where AEP's Profile Access API would show a profile; named as AEP names it (this service does not serve it). */
const profileHref = (basePath: string, id: string) => `${basePath}/models/profile/${encodeURIComponent(id)}`;

/**
 * GET /preview/{id}: AEP's newest documented shape. One object per matching profile in `results`,
 * keyed by its entity id (the profile key, `namespace:id`), with its other identities under
 * `endCustomerIds`; `state`, `links` and `page` at the top level.
 */
export function presentPreviewPage(basePath: string, preview: Preview, matches: PreviewMatch[], offset: number, limit: number): Record<string, unknown> {
  const self = `${basePath}/preview/${encodePreviewId(preview.id)}`;
  const done = preview.state === 'RESULT_READY' || preview.state === 'FAILED';
  const hasNext = matches.length === limit && (!done || offset + limit < preview.profilesMatched);
  return {
    results: matches.map((m) => {
      const endCustomerIds: Record<string, { _href: string }> = {};
      for (const id of m.identities) endCustomerIds[id] = { _href: profileHref(basePath, id) };
      return { [m.entityId]: { _href: profileHref(basePath, m.entityId), endCustomerIds } };
    }),
    state: preview.state,
    links: {
      _self: `${self}?offset=${offset}&limit=${limit}`,
      next: hasNext ? `${self}?offset=${offset + limit}&limit=${limit}` : '',
      prev: offset > 0 ? `${self}?offset=${Math.max(0, offset - limit)}&limit=${limit}` : '',
    },
    page: { offset, size: matches.length },
  };
}

/**
 * GET /estimate/{id}. Every profile is read (no sampling), so a finished estimate is exact
 * (`standardError` 0, `estimatedSize` = matches). While it runs, `estimatedSize` extrapolates the
 * profiles read so far to `numRowsToRead`, with the standard error of that proportion (finite
 * population corrected), as AEP's estimate "begins rough and refines as more records are read".
 */
export function presentEstimate(basePath: string, preview: Preview): Record<string, unknown> {
  const { estimatedSize, standardError } = estimateOf(preview);
  return {
    estimatedSize,
    numRowsToRead: preview.totalRows,
    estimatedNamespaceDistribution: Object.keys(preview.namespaceDistribution)
      .sort()
      .map((namespaceId) => ({ namespaceId, profilesMatchedSoFar: preview.namespaceDistribution[namespaceId] })),
    state: preview.state,
    profilesReadSoFar: preview.profilesRead,
    standardError,
    error: { description: preview.state === 'FAILED' ? (preview.error ?? 'the preview failed') : '', traceback: '' },
    profilesMatchedSoFar: preview.profilesMatched,
    totalRows: preview.totalRows,
    confidenceInterval: '95%',
    _links: { preview: `${basePath}/preview/${encodePreviewId(preview.id)}` },
  };
}

export function estimateOf(preview: Pick<Preview, 'state' | 'totalRows' | 'profilesRead' | 'profilesMatched'>): { estimatedSize: number; standardError: number } {
  const { totalRows: total, profilesRead: read, profilesMatched: matched } = preview;
  if (preview.state === 'RESULT_READY' || read === 0 || read >= total) return { estimatedSize: matched, standardError: 0 };
  const p = matched / read;
  const correction = (total - read) / (total - 1 || 1);
  return { estimatedSize: Math.round(p * total), standardError: Math.round(total * Math.sqrt(((p * (1 - p)) / read) * correction)) };
}
