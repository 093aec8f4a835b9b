import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { MergePolicy, builtInMergePolicy, mergePolicyWindow } from '@sx/domain';
import { fieldProblems } from '../common/validation';
import { CreateMergePolicyDto } from './dto/create-merge-policy.dto';
import { presentMergePolicy, presentMergePolicyPage } from './merge-policy.presenter';

const scope = { orgId: 'ORG@AdobeOrg', sandboxName: 'prod' };

function problems(body: object) {
  const dto = plainToInstance(CreateMergePolicyDto, body);
  return fieldProblems(validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }));
}

const valid = { name: 'p', attributeMerge: { type: 'timestampOrdered' }, identityGraph: { type: 'none' } };

function stored(n: number): MergePolicy {
  return { ...builtInMergePolicy(scope, false), id: `id-${n}`, builtIn: false };
}

describe('mergePolicyWindow', () => {
  it('puts the built-in first and shifts the stored policies by one', () => {
    expect(mergePolicyWindow(0, 20)).toEqual({ builtIn: true, skip: 0, take: 19 });
    expect(mergePolicyWindow(0, 1)).toEqual({ builtIn: true, skip: 0, take: 0 });
    expect(mergePolicyWindow(1, 20)).toEqual({ builtIn: false, skip: 0, take: 20 });
    expect(mergePolicyWindow(25, 5)).toEqual({ builtIn: false, skip: 24, take: 5 });
  });
});

describe('merge policy presenter', () => {
  it('shows the built-in in AEP key order with updateEpoch in seconds', () => {
    const body = presentMergePolicy(builtInMergePolicy(scope, true));
    expect(Object.keys(body)).toEqual(['id', 'name', 'imsOrgId', 'sandbox', 'schema', 'version', 'identityGraph', 'attributeMerge', 'default', 'updateEpoch']);
    expect(body).toMatchObject({ id: 'timestampOrdered-none-mp', attributeMerge: { type: 'timestampOrdered' }, default: true, updateEpoch: 1546300800 });
  });

  it('shows order only under dataSetPrecedence', () => {
    const policy: MergePolicy = { ...stored(1), attributeMerge: { type: 'dataSetPrecedence', order: ['a', 'b'] } };
    expect(presentMergePolicy(policy).attributeMerge).toEqual({ type: 'dataSetPrecedence', order: ['a', 'b'] });
  });

  it('links the next offset page and leaves the link empty on the last one', () => {
    const first = presentMergePolicyPage({ policies: [stored(0), stored(1)], totalCount: 5 }, 0, 2);
    expect(first._page).toEqual({ totalCount: 5, pageSize: 2, next: '2' });
    expect(first._links).toEqual({ next: { href: '@/mergePolicies?start=2&limit=2' } });
    const last = presentMergePolicyPage({ policies: [stored(4)], totalCount: 5 }, 4, 2);
    expect(last._page).toEqual({ totalCount: 5, pageSize: 1, next: '' });
    expect(last._links).toEqual({ next: { href: '' } });
    const beyond = presentMergePolicyPage({ policies: [], totalCount: 5 }, 50, 2);
    expect(beyond._links).toEqual({ next: { href: '' } });
  });
});

describe('CreateMergePolicyDto', () => {
  it('accepts both attribute merge types in their AEP shapes', () => {
    expect(problems(valid)).toEqual([]);
    expect(problems({ ...valid, attributeMerge: { type: 'dataSetPrecedence', order: ['a', 'b'] }, schema: { name: '_xdm.context.profile' }, default: true })).toEqual([]);
  });

  it.each([
    ['dataSetPrecedence without order', { type: 'dataSetPrecedence' }, /is required/],
    ['dataSetPrecedence with an empty order', { type: 'dataSetPrecedence', order: [] }, /at least 1/],
    ['order not an array', { type: 'dataSetPrecedence', order: 'a' }, /array/],
    ['order with a non-string', { type: 'dataSetPrecedence', order: ['a', 3] }, /string/],
    ['order with an empty id', { type: 'dataSetPrecedence', order: [''] }, /empty/],
    ['order with a duplicate', { type: 'dataSetPrecedence', order: ['a', 'a'] }, /twice/],
    ['order under timestampOrdered', { type: 'timestampOrdered', order: ['a'] }, /only allowed when type is "dataSetPrecedence"/],
  ])('refuses %s, naming attributeMerge.order', (_, attributeMerge, message) => {
    expect(problems({ ...valid, attributeMerge })).toEqual([{ path: 'attributeMerge.order', message: expect.stringMatching(message) }]);
  });

  it('names every other offending field', () => {
    const paths = problems({ name: ' ', attributeMerge: { type: 'latest' }, identityGraph: { type: 'graph' }, schema: { name: '_xdm.context.experienceevent' }, default: 'yes', extra: 1 }).map((p) => p.path);
    expect(paths.sort()).toEqual(['attributeMerge.type', 'default', 'extra', 'identityGraph.type', 'name', 'schema.name']);
    expect(problems({}).map((p) => `${p.path} ${p.message}`).sort()).toEqual([
      'attributeMerge is required',
      'identityGraph is required',
      'name is required',
    ]);
  });
});
