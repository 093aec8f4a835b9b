import { LIFECYCLE_STATES } from '@sx/domain';
import { S } from '../common/openapi-schema';

const expression = S.obj({ type: S.oneOf('PQL'), format: S.oneOf('pql/text', 'pql/json'), value: S.str() }, ['type', 'format', 'value'], { additionalProperties: false });
const flag = (enabled: boolean) => S.obj({ enabled: S.bool({ enum: [enabled] }) }, ['enabled'], { additionalProperties: false });

/** The sandbox of a definition or merge policy: its name (AEP's object also has sandboxId, type, default). */
export const SANDBOX_SCHEMA = S.obj({ sandboxName: S.str({ example: 'prod' }) }, ['sandboxName'], { additionalProperties: false });

/**
 * A segment definition as segment-definition.presenter.ts shows it (AEP-API-NOTES section 4): a
 * closed object, the /audiences fields only when the client sent them.
 */
export const SEGMENT_DEFINITION_SCHEMA = S.obj(
  {
    id: S.str({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' }),
    schema: S.obj({ name: S.str() }, ['name'], { additionalProperties: false }),
    ttlInDays: S.int(),
    profileInstanceId: S.oneOf('ups'),
    imsOrgId: S.str(),
    sandbox: SANDBOX_SCHEMA,
    name: S.str(),
    description: S.str(),
    namespace: S.str({ example: 'AEPSegments' }),
    mergePolicyId: S.str(),
    expression,
    evaluationInfo: S.obj({ batch: flag(true), continuous: flag(false), synchronous: flag(false) }, ['batch', 'continuous', 'synchronous'], {
      additionalProperties: false,
      description: 'only batch evaluation is built',
    }),
    dataGovernancePolicy: S.obj({ excludeOptOut: S.bool() }, ['excludeOptOut'], { additionalProperties: false }),
    payloadSchema: S.str(),
    audienceId: S.str(),
    type: S.str(),
    labels: S.arr(S.str()),
    lifecycleState: S.oneOf(...LIFECYCLE_STATES),
    originName: S.str(),
    dependents: S.arr(S.str()),
    dependencies: S.arr(S.str()),
    definedOn: S.arr({ type: 'object' }),
    creationTime: S.ms(),
    updateEpoch: S.int({ description: 'epoch seconds' }),
    updateTime: S.ms(),
  },
  [
    'id',
    'schema',
    'profileInstanceId',
    'imsOrgId',
    'sandbox',
    'name',
    'namespace',
    'mergePolicyId',
    'expression',
    'evaluationInfo',
    'dataGovernancePolicy',
    'creationTime',
    'updateEpoch',
    'updateTime',
  ],
  { additionalProperties: false },
);

export const SEGMENT_DEFINITION_LIST_SCHEMA = S.obj(
  {
    segments: S.arr(SEGMENT_DEFINITION_SCHEMA),
    page: S.obj(
      {
        totalCount: S.int({ minimum: 0 }),
        totalPages: S.int({ minimum: 0 }),
        sortField: S.str(),
        sort: S.oneOf('asc', 'desc'),
        pageSize: S.int({ minimum: 0 }),
        limit: S.int({ minimum: 1 }),
      },
      ['totalCount', 'totalPages', 'sortField', 'sort', 'pageSize', 'limit'],
      { additionalProperties: false },
    ),
    link: S.obj({ next: S.str({ description: 'the next page, by start; absent on the last page' }) }, [], { additionalProperties: false }),
  },
  ['segments', 'page', 'link'],
  { additionalProperties: false },
);

export const SEGMENT_DEFINITION_BULK_SCHEMA = S.obj({ results: S.map(SEGMENT_DEFINITION_SCHEMA, 'the definitions found, by id') }, ['results'], { additionalProperties: false });

export const CONVERSION_SCHEMA = S.obj({ ttlInDays: S.int(), imsOrgId: S.str(), sandbox: S.any('the sandbox'), description: S.str(), name: S.str(), expression }, ['expression']);
