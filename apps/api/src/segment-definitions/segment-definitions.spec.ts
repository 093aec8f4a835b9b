import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { SegmentDefinition } from '@sx/domain';
import { fieldProblems } from '../common/validation';
import { CreateSegmentDefinitionDto } from './dto/create-segment-definition.dto';
import { definitionListRequest } from './definition-listing';
import { ListSegmentDefinitionsQuery } from './dto/list-segment-definitions.query';
import { presentSegmentDefinition, presentSegmentDefinitionPage } from './segment-definition.presenter';

function problems(body: object) {
  const dto = plainToInstance(CreateSegmentDefinitionDto, body);
  return fieldProblems(validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }));
}

const expression = { type: 'PQL', format: 'pql/text', value: 'homeAddress.country = "US"' };

const definition: SegmentDefinition = {
  id: '0b0ea2a5-5b8c-4e16-a3b3-0e2b7c5b5f6e',
  orgId: 'ORG@AdobeOrg',
  sandboxName: 'prod',
  name: 'US',
  namespace: 'ups',
  mergePolicyId: 'timestampOrdered-none-mp',
  expression: { type: 'PQL', format: 'pql/text', value: 'x' },
  schema: { name: '_xdm.context.profile' },
  createdAt: new Date(1_700_000_000_123),
  updatedAt: new Date(1_700_000_001_999),
};

describe('CreateSegmentDefinitionDto', () => {
  it("accepts the smallest body and AEP's full one", () => {
    expect(problems({ name: 'n', expression })).toEqual([]);
    expect(problems({ name: 'n', expression: { ...expression, format: 'pql/json', value: '{"nodeType":"literal","literalType":"Boolean","value":true}' } })).toEqual([]);
    expect(problems({ name: 'n', description: 'd', namespace: 'ups', mergePolicyId: 'm', expression, schema: { name: '_xdm.context.profile' }, profileInstanceId: 'ups' })).toEqual(
      [],
    );
  });

  it('accepts every field AEP documents: evaluationInfo (batch), ttlInDays, payloadSchema, /audiences fields, read-only ones', () => {
    const evaluationInfo = { batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } };
    const audience = {
      audienceId: 'a',
      type: 'SegmentDefinition',
      labels: ['core/C1'],
      lifecycleState: 'published',
      originName: 'REAL_TIME_CUSTOMER_PROFILE',
      dependents: [],
      dependencies: [],
      definedOn: [{ 'meta:resourceType': 'unions', $ref: 'https://ns.adobe.com/xdm/context/profile__union' }],
    };
    const readOnly = {
      imsOrgId: 'O',
      sandbox: { sandboxId: 's', sandboxName: 'prod', type: 'production', default: true },
      dataGovernancePolicy: { excludeOptOut: true },
      creationTime: 0,
      updateTime: 0,
      updateEpoch: 0,
      baselineTime: 1,
    };
    expect(problems({ name: 'n', expression, evaluationInfo, ttlInDays: 60, payloadSchema: 'string', ...audience, ...readOnly })).toEqual([]);
    expect(problems({ name: 'n', expression, schema: { id: 'https://ns.adobe.com/xdm/context/profile' } })).toEqual([]);
  });

  it.each([
    ['continuous enabled', { continuous: { enabled: true } }, 'evaluationInfo.continuous.enabled', /streaming \(continuous\) evaluation is not built/],
    ['synchronous enabled', { synchronous: { enabled: true } }, 'evaluationInfo.synchronous.enabled', /edge \(synchronous\) evaluation is not built/],
    ['batch disabled', { batch: { enabled: false } }, 'evaluationInfo.batch.enabled', /batch is the only evaluation/],
    ['a flag that is not a boolean', { batch: { enabled: 'true' } }, 'evaluationInfo.batch.enabled', /boolean/],
    ['a flag without enabled', { continuous: {} }, 'evaluationInfo.continuous.enabled', /is required/],
    ['an unknown evaluation', { streaming: { enabled: false } }, 'evaluationInfo.streaming', /not a known property/],
  ])('refuses evaluationInfo with %s, naming the flag', (_, evaluationInfo, path, message) => {
    expect(problems({ name: 'n', expression, evaluationInfo })).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  it('type-checks the accepted fields', () => {
    const paths = problems({
      name: 'n',
      expression,
      ttlInDays: 1.5,
      payloadSchema: 1,
      labels: 'x',
      lifecycleState: 'deleted',
      definedOn: ['x'],
      creationTime: 'now',
      sandbox: 'prod',
      dataGovernancePolicy: { excludeOptOut: 'yes' },
      schema: { id: 'x' },
    }).map((p) => p.path);
    expect(paths.sort()).toEqual([
      'creationTime',
      'dataGovernancePolicy.excludeOptOut',
      'definedOn',
      'labels',
      'lifecycleState',
      'payloadSchema',
      'sandbox',
      'schema.id',
      'ttlInDays',
    ]);
  });

  it.each([
    ['another format', { ...expression, format: 'sql' }, 'expression.format', /must be "pql\/text" or "pql\/json"/],
    ['another type', { ...expression, type: 'SQL' }, 'expression.type', /must be "PQL"/],
    ['lower-case type', { ...expression, type: 'pql' }, 'expression.type', /must be "PQL"/],
    ['empty value', { ...expression, value: '' }, 'expression.value', /must not be empty/],
    ['blank value', { ...expression, value: '  ' }, 'expression.value', /must not be empty/],
    ['value not a string', { ...expression, value: 1 }, 'expression.value', /string/],
    ['missing value', { type: 'PQL', format: 'pql/text' }, 'expression.value', /is required/],
    ['unknown property', { ...expression, extra: true }, 'expression.extra', /not a known property/],
  ])('refuses an expression with %s', (_, expr, path, message) => {
    expect(problems({ name: 'n', expression: expr })).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  it('names every other offending field', () => {
    expect(
      problems({})
        .map((p) => `${p.path} ${p.message}`)
        .sort(),
    ).toEqual(['expression is required', 'name is required']);
    const paths = problems({ name: '', description: 3, namespace: '', mergePolicyId: '', expression: 'x', schema: { name: 'other' }, profileInstanceId: 'x' }).map((p) => p.path);
    expect(paths.sort()).toEqual(['description', 'expression', 'mergePolicyId', 'name', 'namespace', 'profileInstanceId', 'schema.name']);
  });
});

describe('segment definition presenter', () => {
  it("shows AEP's key order, times in ms and updateEpoch in seconds, description only when set", () => {
    const body = presentSegmentDefinition(definition);
    expect(Object.keys(body)).toEqual([
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
    ]);
    expect(body.evaluationInfo).toEqual({ batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } });
    expect(body).toMatchObject({ profileInstanceId: 'ups', creationTime: 1_700_000_000_123, updateTime: 1_700_000_001_999, updateEpoch: 1_700_000_001 });
    expect(Object.keys(presentSegmentDefinition({ ...definition, description: 'd' }))).toContain('description');
  });

  it('echoes ttlInDays, payloadSchema and the /audiences fields where AEP puts them', () => {
    const body = presentSegmentDefinition({ ...definition, ttlInDays: 60, payloadSchema: 'string', audience: { labels: ['core/C1'], type: 'SegmentDefinition' } });
    expect(Object.keys(body)).toEqual([
      'id',
      'schema',
      'ttlInDays',
      'profileInstanceId',
      'imsOrgId',
      'sandbox',
      'name',
      'namespace',
      'mergePolicyId',
      'expression',
      'evaluationInfo',
      'dataGovernancePolicy',
      'payloadSchema',
      'type',
      'labels',
      'creationTime',
      'updateEpoch',
      'updateTime',
    ]);
    expect(body).toMatchObject({ ttlInDays: 60, payloadSchema: 'string', labels: ['core/C1'], type: 'SegmentDefinition' });
  });

  it('counts pages and links the page after the last definition returned, until the last', () => {
    const request = { first: 0, limit: 2, sort: [{ field: 'creationTime' as const, direction: 'desc' as const }], query: {} };
    const first = presentSegmentDefinitionPage({ definitions: [definition, definition], totalCount: 5 }, request);
    expect(first.page).toEqual({ totalCount: 5, totalPages: 3, sortField: 'creationTime', sort: 'desc', pageSize: 2, limit: 2 });
    expect(first.link).toEqual({ next: '/segment/definitions?start=2&limit=2' });
    expect(presentSegmentDefinitionPage({ definitions: [definition], totalCount: 5 }, { ...request, first: 4 }).link).toEqual({});
    expect(presentSegmentDefinitionPage({ definitions: [], totalCount: 0 }, { ...request, limit: 100 }).page).toMatchObject({ totalPages: 0, pageSize: 0 });
    const sorted = presentSegmentDefinitionPage({ definitions: [definition], totalCount: 5 }, { ...request, first: 1, limit: 1, query: { sort: 'name:asc' } });
    expect(sorted.link).toEqual({ next: '/segment/definitions?sort=name%3Aasc&start=2&limit=1' });
  });
});

describe('definitionListRequest', () => {
  const request = (query: Partial<ListSegmentDefinitionsQuery>) => definitionListRequest(query);

  it("defaults to AEP's 100 newest first, caps at 1000, and starts at start + page x limit", () => {
    expect(request({})).toEqual({ page: { first: 0, limit: 100, sort: [{ field: 'creationTime', direction: 'desc' }], query: {} }, matchesFlags: true });
    expect(request({ limit: 5000 }).page.limit).toBe(1000);
    expect(request({ page: 1 }).page.first).toBe(100);
    expect(request({ start: 4, page: 2, limit: 10 }).page.first).toBe(24);
    expect(request({ sort: 'name,updateTime:desc' }).page.sort).toEqual([
      { field: 'name', direction: 'asc' },
      { field: 'updateTime', direction: 'desc' },
    ]);
  });

  it('answers the evaluationInfo filters from the batch-only flags', () => {
    expect(request({ 'evaluationInfo.batch.enabled': true }).matchesFlags).toBe(true);
    expect(request({ 'evaluationInfo.continuous.enabled': false }).matchesFlags).toBe(true);
    expect(request({ 'evaluationInfo.continuous.enabled': true }).matchesFlags).toBe(false);
    expect(request({ 'evaluationInfo.synchronous.enabled': true }).matchesFlags).toBe(false);
    expect(request({ 'evaluationInfo.batch.enabled': false }).matchesFlags).toBe(false);
    expect(request({ 'evaluationInfo.continuous.enabled': false }).page.query).toEqual({ 'evaluationInfo.continuous.enabled': 'false' });
  });
});
