import { S } from '../common/openapi-schema';
import { SANDBOX_SCHEMA } from '../segment-definitions/segment-definition.openapi';

/** A merge policy as merge-policy.presenter.ts shows it (AEP-API-NOTES section 5): a closed object. */
export const MERGE_POLICY_SCHEMA = S.obj(
  {
    id: S.str({ example: 'timestampOrdered-none-mp' }),
    name: S.str(),
    imsOrgId: S.str(),
    sandbox: SANDBOX_SCHEMA,
    schema: S.obj({ name: S.str({ example: '_xdm.context.profile' }) }, ['name'], { additionalProperties: false }),
    version: S.int({ minimum: 1 }),
    identityGraph: S.obj({ type: S.oneOf('none', 'pdg') }, ['type'], { additionalProperties: false }),
    attributeMerge: S.obj(
      { type: S.oneOf('timestampOrdered', 'dataSetPrecedence'), order: S.arr(S.str(), { description: 'dataset ids, with dataSetPrecedence only' }) },
      ['type'],
      { additionalProperties: false },
    ),
    isActiveOnEdge: S.bool(),
    default: S.bool(),
    updateEpoch: S.int({ description: 'epoch seconds' }),
  },
  ['id', 'name', 'imsOrgId', 'sandbox', 'schema', 'version', 'identityGraph', 'attributeMerge', 'isActiveOnEdge', 'default', 'updateEpoch'],
  { additionalProperties: false },
);

export const MERGE_POLICY_LIST_SCHEMA = S.obj(
  {
    _page: S.obj(
      { totalCount: S.int({ minimum: 0 }), pageSize: S.int({ minimum: 0 }), next: S.str({ description: 'the next start, "" on the last page' }) },
      ['totalCount', 'pageSize', 'next'],
      { additionalProperties: false },
    ),
    children: S.arr(MERGE_POLICY_SCHEMA),
    _links: S.obj({ next: S.obj({ href: S.str({ description: '"" on the last page' }) }, ['href'], { additionalProperties: false }) }, ['next'], { additionalProperties: false }),
  },
  ['_page', 'children', '_links'],
  { additionalProperties: false },
);

export const MERGE_POLICY_BULK_SCHEMA = S.obj({ results: S.map(MERGE_POLICY_SCHEMA, 'the policies found, by id') }, ['results'], { additionalProperties: false });
