import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { SegmentDefinition } from '@sx/domain';
import { fieldProblems } from '../common/validation';
import { CreateSegmentDefinitionDto } from './dto/create-segment-definition.dto';
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
  it('accepts the smallest body and AEP\'s full one', () => {
    expect(problems({ name: 'n', expression })).toEqual([]);
    expect(problems({ name: 'n', expression: { ...expression, format: 'pql/json', value: '{"nodeType":"literal","literalType":"Boolean","value":true}' } })).toEqual([]);
    expect(problems({ name: 'n', description: 'd', namespace: 'ups', mergePolicyId: 'm', expression, schema: { name: '_xdm.context.profile' }, profileInstanceId: 'ups' })).toEqual([]);
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
    expect(problems({}).map((p) => `${p.path} ${p.message}`).sort()).toEqual(['expression is required', 'name is required']);
    const paths = problems({ name: '', description: 3, namespace: '', mergePolicyId: '', expression: 'x', schema: { name: 'other' }, profileInstanceId: 'x' }).map((p) => p.path);
    expect(paths.sort()).toEqual(['description', 'expression', 'mergePolicyId', 'name', 'namespace', 'profileInstanceId', 'schema.name']);
  });
});

describe('segment definition presenter', () => {
  it('shows AEP\'s key order, times in ms and updateEpoch in seconds, description only when set', () => {
    const body = presentSegmentDefinition(definition);
    expect(Object.keys(body)).toEqual(['id', 'schema', 'profileInstanceId', 'imsOrgId', 'sandbox', 'name', 'namespace', 'mergePolicyId', 'expression', 'creationTime', 'updateEpoch', 'updateTime']);
    expect(body).toMatchObject({ profileInstanceId: 'ups', creationTime: 1_700_000_000_123, updateTime: 1_700_000_001_999, updateEpoch: 1_700_000_001 });
    expect(Object.keys(presentSegmentDefinition({ ...definition, description: 'd' }))).toContain('description');
  });

  it('counts pages and links the next one until the last', () => {
    const first = presentSegmentDefinitionPage({ definitions: [definition, definition], totalCount: 5 }, 0, 2);
    expect(first.page).toEqual({ totalCount: 5, totalPages: 3, sortField: 'creationTime', sort: 'desc', pageSize: 2, limit: 2 });
    expect(first.link).toEqual({ next: '/segment/definitions?page=1&limit=2' });
    expect(presentSegmentDefinitionPage({ definitions: [definition], totalCount: 5 }, 2, 2).link).toEqual({ next: '' });
    expect(presentSegmentDefinitionPage({ definitions: [], totalCount: 0 }, 0, 20).page).toMatchObject({ totalPages: 0, pageSize: 0 });
  });
});
