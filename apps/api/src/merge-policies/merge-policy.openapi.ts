import { S } from '../common/openapi-schema';

/** A merge policy as merge-policy.presenter.ts shows it (AEP-API-NOTES section 5). */
export const MERGE_POLICY_SCHEMA = S.obj(
  {
    id: S.str(),
    name: S.str(),
    imsOrgId: S.str(),
    sandbox: S.any('sandboxId, sandboxName, type, default'),
    schema: S.obj({ name: S.str() }),
    version: S.int(),
    identityGraph: S.obj({ type: S.oneOf('none', 'pdg') }, ['type']),
    attributeMerge: S.any('type (timestampOrdered or dataSetPrecedence) and its order'),
    isActiveOnEdge: S.bool(),
    default: S.bool(),
    updateEpoch: S.int({ description: 'epoch seconds' }),
  },
  ['id', 'name', 'identityGraph', 'attributeMerge', 'default'],
);

export const MERGE_POLICY_LIST_SCHEMA = S.obj(
  { _page: S.any('totalCount, pageSize, next'), children: S.arr(MERGE_POLICY_SCHEMA), _links: S.any('next: {href}') },
  ['_page', 'children', '_links'],
);

export const MERGE_POLICY_BULK_SCHEMA = S.obj({ results: S.map(MERGE_POLICY_SCHEMA, 'the policies found, by id') }, ['results']);
