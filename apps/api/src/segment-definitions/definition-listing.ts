import { DEFAULT_SEGMENT_SORT, EVALUATION_INFO, EvaluationKind, SegmentSortField, SegmentSortKey } from '@sx/domain';
import { MAX_PAGE_SIZE } from '../common/page-limit.query';
import { DEFAULT_DEFINITION_PAGE_SIZE, ListSegmentDefinitionsQuery } from './dto/list-segment-definitions.query';
import type { DefinitionPageRequest } from './segment-definition.presenter';

const FILTERS: Array<[keyof ListSegmentDefinitionsQuery, EvaluationKind]> = [
  ['evaluationInfo.batch.enabled', 'batch'],
  ['evaluationInfo.continuous.enabled', 'continuous'],
  ['evaluationInfo.synchronous.enabled', 'synchronous'],
];

/** What GET /segment/definitions asks for: the page (offset, size, order) and whether the flag filters can match. */
export interface DefinitionListRequest {
  page: DefinitionPageRequest;
  matchesFlags: boolean;
}

/**
 * AEP's paging parameters as one offset: the first definition is `start + page × limit` (either
 * may be used alone). The default page size is AEP's 100, so that a client which reads the first
 * page without `limit` and then asks for `page=1&limit=100` (aepp does) skips nothing.
 */
export function definitionListRequest(query: ListSegmentDefinitionsQuery): DefinitionListRequest {
  const limit = Math.min(query.limit ?? DEFAULT_DEFINITION_PAGE_SIZE, MAX_PAGE_SIZE);
  const first = (query.start ?? 0) + (query.page ?? 0) * limit;
  const sort = query.sort ? parseSort(query.sort) : DEFAULT_SEGMENT_SORT;
  // link.next repeats what selects and orders the list; start, page and limit it sets itself.
  const repeated: Record<string, string> = {};
  if (query.sort) repeated.sort = query.sort;
  let matchesFlags = true;
  for (const [param, kind] of FILTERS) {
    const wanted = query[param];
    if (wanted === undefined) continue;
    repeated[param] = String(wanted);
    if (wanted !== EVALUATION_INFO[kind].enabled) matchesFlags = false;
  }
  return { page: { first, limit, sort, query: repeated }, matchesFlags };
}

/** `name:asc,updateTime:desc` (already checked by the query DTO); a key without a direction is ascending. */
function parseSort(text: string): SegmentSortKey[] {
  return text.split(',').map((key) => {
    const [field, direction] = key.split(':');
    return { field: field as SegmentSortField, direction: direction === 'desc' ? 'desc' : 'asc' };
  });
}
