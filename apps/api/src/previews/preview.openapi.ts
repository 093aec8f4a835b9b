import { PREVIEW_STATES } from '@sx/domain';
import { S } from '../common/openapi-schema';

const STATES = PREVIEW_STATES;

export const CREATED_PREVIEW_SCHEMA = S.obj(
  { state: S.oneOf(...STATES), previewQueryId: S.str(), previewQueryStatus: S.oneOf(...STATES), previewId: S.str(), previewExecutionId: S.int() },
  ['state', 'previewQueryId', 'previewQueryStatus', 'previewId', 'previewExecutionId'],
);

const href = S.obj({ _href: S.str() }, ['_href']);

export const PREVIEW_PAGE_SCHEMA = S.obj(
  {
    results: S.arr(S.map(S.obj({ _href: S.str(), endCustomerIds: S.map(href, "the profile's other identities") }), 'one matching profile, keyed by its entity id')),
    state: S.oneOf(...STATES),
    links: S.obj({ _self: S.str(), next: S.str(), prev: S.str() }, ['_self', 'next', 'prev']),
    page: S.obj({ offset: S.int(), size: S.int() }, ['offset', 'size']),
  },
  ['results', 'state', 'links', 'page'],
);

export const ESTIMATE_SCHEMA = S.obj(
  {
    estimatedSize: S.int(),
    numRowsToRead: S.int(),
    estimatedNamespaceDistribution: S.arr(S.obj({ namespaceId: S.str(), profilesMatchedSoFar: S.int() })),
    state: S.oneOf(...STATES),
    profilesReadSoFar: S.int(),
    standardError: S.num(),
    error: S.obj({ description: S.str(), traceback: S.str() }),
    profilesMatchedSoFar: S.int(),
    totalRows: S.int(),
    confidenceInterval: S.str({ example: '95%' }),
    _links: S.obj({ preview: S.str() }),
  },
  ['estimatedSize', 'numRowsToRead', 'estimatedNamespaceDistribution', 'state', 'profilesReadSoFar', 'standardError', 'profilesMatchedSoFar', 'totalRows'],
);

export const KILLED_PREVIEW_SCHEMA = S.obj({ status: S.bool(), message: S.str({ example: 'KILLED' }) }, ['status', 'message']);
