import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { MergePolicy, ValidationFailed, applyMergePolicyPatch, builtInMergePolicy } from '@sx/domain';
import { fieldProblems } from '../common/validation';
import { CreateMergePolicyDto } from './dto/create-merge-policy.dto';
import { mergePolicyListRequest, patchOperationsOf } from './merge-policy-request';
import { presentMergePolicy, presentMergePolicyPage } from './merge-policy.presenter';
import { ListMergePoliciesQuery } from './dto/list-merge-policies.query';

const scope = { orgId: 'ORG@AdobeOrg', sandboxName: 'prod' };

function problems(body: object) {
  const dto = plainToInstance(CreateMergePolicyDto, body);
  return fieldProblems(validateSync(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }));
}

const valid = { name: 'p', attributeMerge: { type: 'timestampOrdered' }, identityGraph: { type: 'none' } };

function stored(n: number): MergePolicy {
  return { ...builtInMergePolicy(scope, false), id: `id-${n}`, builtIn: false };
}

describe('merge policy presenter', () => {
  it('shows the built-in in AEP key order with updateEpoch in seconds', () => {
    const body = presentMergePolicy(builtInMergePolicy(scope, true));
    expect(Object.keys(body)).toEqual(['id', 'name', 'imsOrgId', 'sandbox', 'schema', 'version', 'identityGraph', 'attributeMerge', 'isActiveOnEdge', 'default', 'updateEpoch']);
    expect(body).toMatchObject({ id: 'timestampOrdered-none-mp', attributeMerge: { type: 'timestampOrdered' }, isActiveOnEdge: false, default: true, updateEpoch: 1546300800 });
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

  it('repeats the order and the filters in the next href', () => {
    const page = presentMergePolicyPage({ policies: [stored(0)], totalCount: 3 }, 0, 1, { orderBy: '-name', 'schema.name': '_xdm.context.profile' });
    expect(page._links).toEqual({ next: { href: '@/mergePolicies?start=1&limit=1&orderBy=-name&schema.name=_xdm.context.profile' } });
  });
});

describe('CreateMergePolicyDto', () => {
  it('accepts a policy as GET shows it (read-only fields type-checked, then ignored)', () => {
    const read = {
      id: 'p',
      name: 'p',
      imsOrgId: 'O',
      sandbox: { sandboxId: 's', sandboxName: 'prod', type: 'production', default: true },
      schema: { name: '_xdm.context.profile' },
      version: 3,
      identityGraph: { type: 'none' },
      attributeMerge: { type: 'timestampOrdered' },
      isActiveOnEdge: false,
      default: false,
      updateEpoch: 1551898378,
    };
    expect(problems(read)).toEqual([]);
    expect(
      problems({ ...read, version: 'v', updateEpoch: -1, isActiveOnEdge: 'false', sandbox: { sandboxName: 1 } })
        .map((p) => p.path)
        .sort(),
    ).toEqual(['isActiveOnEdge', 'sandbox.sandboxName', 'updateEpoch', 'version']);
  });

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
    ['order under timestampOrdered that is not an array', { type: 'timestampOrdered', order: 'a' }, /array/],
  ])('refuses %s, naming attributeMerge.order', (_, attributeMerge, message) => {
    expect(problems({ ...valid, attributeMerge })).toEqual([{ path: 'attributeMerge.order', message: expect.stringMatching(message) }]);
  });

  it("accepts AEP's example: a list of ids as order under timestampOrdered (ignored by the service)", () => {
    expect(problems({ ...valid, attributeMerge: { type: 'timestampOrdered', order: ['a'] } })).toEqual([]);
  });

  it('names every other offending field', () => {
    const paths = problems({
      name: ' ',
      attributeMerge: { type: 'latest' },
      identityGraph: { type: 'graph' },
      schema: { name: '_xdm.context.experienceevent' },
      default: 'yes',
      extra: 1,
    }).map((p) => p.path);
    expect(paths.sort()).toEqual(['attributeMerge.type', 'default', 'extra', 'identityGraph.type', 'name', 'schema.name']);
    expect(
      problems({})
        .map((p) => `${p.path} ${p.message}`)
        .sort(),
    ).toEqual(['attributeMerge is required', 'identityGraph is required', 'name is required']);
  });
});

describe('mergePolicyListRequest', () => {
  const request = (query: Partial<ListMergePoliciesQuery>) => mergePolicyListRequest(query);

  it('orders by name ascending unless -name, from orderBy or the spec\'s orderby; "+name" arrives as " name"', () => {
    expect(request({}).listing).toEqual({ start: 0, limit: 20, nameOrder: 'asc', filter: {} });
    expect(request({ orderBy: '-name' }).listing.nameOrder).toBe('desc');
    expect(request({ orderby: '-name' }).listing.nameOrder).toBe('desc');
    expect(request({ orderBy: ' name' })).toMatchObject({ listing: { nameOrder: 'asc' }, repeated: { orderBy: 'name' } });
    expect(request({ orderBy: '' }).repeated).toEqual({});
  });

  it('maps every documented filter and repeats it', () => {
    const { listing, repeated } = request({
      default: true,
      isActiveOnEdge: false,
      'schema.name': 's',
      'identityGraph.type': 'pdg',
      'attributeMerge.type': 'timestampOrdered',
      version: 2,
      start: 4,
      limit: 5000,
    });
    expect(listing).toEqual({
      start: 4,
      limit: 1000,
      nameOrder: 'asc',
      filter: { default: true, isActiveOnEdge: false, schemaName: 's', identityGraphType: 'pdg', attributeMergeType: 'timestampOrdered', version: 2 },
    });
    expect(repeated).toEqual({
      default: 'true',
      isActiveOnEdge: 'false',
      'schema.name': 's',
      'identityGraph.type': 'pdg',
      'attributeMerge.type': 'timestampOrdered',
      version: '2',
    });
  });
});

describe('PATCH operations', () => {
  const current = { ...stored(1), attributeMerge: { type: 'timestampOrdered' as const } };
  const patch = (body: unknown) => applyMergePolicyPatch(current, patchOperationsOf(body));
  const problemsOf = (body: unknown) => {
    try {
      patch(body);
      return [];
    } catch (e) {
      if (e instanceof ValidationFailed) return e.problems;
      throw e;
    }
  };

  it("applies AEP's single-object form with string values, and the spec's array form", () => {
    expect(patch({ op: 'add', path: '/default', value: 'true' }).policy.default).toBe(true);
    const many = patch([
      { op: 'add', path: '/name', value: 'renamed' },
      { op: 'ADD', path: '/identityGraph.type', value: 'pdg' },
      { op: 'replace', path: '/identityGraph/type', value: 'none' },
      { op: 'add', path: '/isActiveOnEdge', value: true },
      { op: 'add', path: '/version', value: '7' },
      { op: 'add', path: '/schema.name', value: '_xdm.context.profile' },
    ]);
    expect(many.policy).toMatchObject({ name: 'renamed', identityGraph: { type: 'none' }, isActiveOnEdge: true });
    expect(many.ignored).toEqual(['/version']);
    expect(patch({ op: 'add', path: '/idActiveOnEdge', value: 'TRUE' }).policy.isActiveOnEdge).toBe(true);
  });

  it('leaves the stored policy as it was', () => {
    patch({ op: 'add', path: '/name', value: 'x' });
    expect(current.name).toBe(stored(1).name);
  });

  it('names each bad operation, and applies none', () => {
    expect(
      problemsOf([
        { op: 'remove', path: '/name' },
        { op: 'add', path: '/order', value: 'x' },
        { op: 'add', path: '/default', value: 'yes' },
        { op: 'add', path: '/name' },
      ]),
    ).toEqual([
      { path: '[0].op', message: 'must be "add" or "replace"' },
      { path: '[1].path', message: expect.stringMatching(/^must be one of \/name/) },
      { path: '[2].value', message: 'must be "true" or "false"' },
      { path: '[3].value', message: 'is required' },
    ]);
    expect(problemsOf({ path: '/name', value: 'x' })).toEqual([{ path: 'op', message: 'is required' }]);
    expect(problemsOf({ op: 'add', path: '/name', value: 'x', from: '/a' })).toEqual([{ path: 'from', message: 'is not a known property' }]);
    expect(problemsOf([])).toEqual([{ path: '', message: 'must hold at least one operation' }]);
    expect(problemsOf(['x'])).toEqual([{ path: '[0]', message: 'must be an object {op, path, value}' }]);
    expect(problemsOf({ op: 'add', path: '/attributeMerge.type', value: 'dataSetPrecedence' })).toEqual([{ path: 'value', message: expect.stringMatching(/use PUT/) }]);
    expect(problemsOf({ op: 'add', path: '/schema.name', value: '_xdm.context.experienceevent' })).toEqual([
      { path: 'value', message: expect.stringMatching(/_xdm\.context\.profile/) },
    ]);
  });

  it('switches dataSetPrecedence to timestampOrdered, dropping the order', () => {
    const precedence = { ...current, attributeMerge: { type: 'dataSetPrecedence' as const, order: ['a'] } };
    expect(applyMergePolicyPatch(precedence, patchOperationsOf({ op: 'add', path: '/attributeMerge.type', value: 'timestampOrdered' })).policy.attributeMerge).toEqual({
      type: 'timestampOrdered',
    });
    expect(applyMergePolicyPatch(precedence, patchOperationsOf({ op: 'add', path: '/attributeMerge.type', value: 'dataSetPrecedence' })).policy.attributeMerge).toEqual({
      type: 'dataSetPrecedence',
      order: ['a'],
    });
  });
});
