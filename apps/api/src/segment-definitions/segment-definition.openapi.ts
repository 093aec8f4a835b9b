import { S } from '../common/openapi-schema';

const expression = S.obj({ type: S.oneOf('PQL'), format: S.oneOf('pql/text', 'pql/json'), value: S.str() }, ['type', 'format', 'value']);

/** A segment definition as segment-definition.presenter.ts shows it (AEP-API-NOTES section 4). */
export const SEGMENT_DEFINITION_SCHEMA = S.obj(
  {
    id: S.str(),
    name: S.str(),
    description: S.str(),
    namespace: S.str(),
    schema: S.obj({ name: S.str() }),
    expression,
    mergePolicyId: S.str(),
    evaluationInfo: S.any('batch / continuous / synchronous flags, as stored'),
    ttlInDays: S.int(),
    imsOrgId: S.str(),
    sandbox: S.any('sandboxId, sandboxName, type, default'),
    creationTime: S.ms(),
    updateTime: S.ms(),
    updateEpoch: S.int(),
  },
  ['id', 'name', 'expression'],
);

export const SEGMENT_DEFINITION_LIST_SCHEMA = S.obj(
  {
    segments: S.arr(SEGMENT_DEFINITION_SCHEMA),
    page: S.obj({ totalCount: S.int(), totalPages: S.int(), sortField: S.str(), sort: S.str(), pageSize: S.int(), limit: S.int() }, ['totalCount', 'pageSize']),
    link: S.obj({ next: S.str() }),
  },
  ['segments', 'page', 'link'],
);

export const SEGMENT_DEFINITION_BULK_SCHEMA = S.obj({ results: S.map(SEGMENT_DEFINITION_SCHEMA, 'the definitions found, by id') }, ['results']);

export const CONVERSION_SCHEMA = S.obj({ ttlInDays: S.int(), imsOrgId: S.str(), sandbox: S.any('the sandbox'), description: S.str(), name: S.str(), expression }, ['expression']);

export const EMPTY_SCHEMA = S.obj({}, [], { description: 'an empty body' });
