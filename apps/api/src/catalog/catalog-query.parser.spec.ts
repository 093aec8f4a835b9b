import { refused } from '../../../../test/support/refused';
import { batchList, datasetList, project } from './catalog-list';
import { parseOrderBy, parseProperties, parseProperty, parseRange, parseTags, parseValues } from './catalog-query.parser';

describe('property= (AEP Catalog expressions)', () => {
  it.each([
    ['name', 'exists', undefined],
    ['!name', 'absent', undefined],
    ['name~^crm', '~', '^crm'],
    ['name==CRM profiles', '==', 'CRM profiles'],
    ['name!=x', '!=', 'x'],
    ['version>1.0.3', '>', '1.0.3'],
    ['version>=1.0.3', '>=', '1.0.3'],
    ['created<1559779200000', '<', '1559779200000'],
    ['created<=1559779200000', '<=', '1559779200000'],
    ['name==a==b', '==', 'a==b'],
    ['name~a<b', '~', 'a<b'],
  ])('%s is %s %s', (expr, op, value) => {
    const c = parseProperty(expr);
    expect(c).toMatchObject({ kind: 'property', param: 'property', field: expr.replace(/^!/, '').match(/^\w+/)![0], op });
    expect((c as { value?: string }).value).toBe(value);
  });

  it.each(['', '!', 'na me', '1name', 'name=x', 'name==', 'name~', 'name.sub==x', '!name==x', 'name~(unclosed'])('refuses %j naming property', (expr) => {
    expect(refused(() => parseProperty(expr))).toEqual(['property']);
  });
});

describe('orderBy', () => {
  it('reads asc:/desc: terms, ascending by default, several comma-separated', () => {
    expect(parseOrderBy('desc:created')).toEqual([{ field: 'created', direction: 'desc' }]);
    expect(parseOrderBy('name,desc:updated')).toEqual([
      { field: 'name', direction: 'asc' },
      { field: 'updated', direction: 'desc' },
    ]);
    expect(parseOrderBy('ASC:updated')).toEqual([{ field: 'updated', direction: 'asc' }]);
  });

  it.each(['', 'up:created', 'desc:', 'desc:created,', 'desc:cre ated'])('refuses %j naming orderBy', (v) => {
    expect(refused(() => parseOrderBy(v))).toEqual(['orderBy']);
  });
});

describe('properties, simple filters, tags, ranges', () => {
  it('properties: comma-separated field names', () => {
    expect(parseProperties('name,description,files')).toEqual(['name', 'description', 'files']);
    expect(refused(() => parseProperties('name,,x'))).toEqual(['properties']);
  });

  it('simple filters: one value, any of, none of', () => {
    expect(parseValues('name', 'name', 'a')).toEqual({ kind: 'values', param: 'name', field: 'name', negate: false, values: ['a'] });
    expect(parseValues('name', 'name', 'a,b')).toMatchObject({ negate: false, values: ['a', 'b'] });
    expect(parseValues('name', 'name', '!a,b')).toMatchObject({ negate: true, values: ['a', 'b'] });
    expect(refused(() => parseValues('name', 'name', 'a,'))).toEqual(['name']);
  });

  it('tags: AND of items, the value after the first colon, * for any value', () => {
    expect(parseTags('unifiedProfile:enabled:true,k2:*,k3')).toEqual([
      { kind: 'tag', param: 'tags', key: 'unifiedProfile', value: 'enabled:true' },
      { kind: 'tag', param: 'tags', key: 'k2', value: '*' },
      { kind: 'tag', param: 'tags', key: 'k3' },
    ]);
    expect(refused(() => parseTags(':x'))).toEqual(['tags']);
  });

  it('ranges take epoch milliseconds', () => {
    expect(parseRange('createdAfter', 'created', '>', '1559779200000')).toMatchObject({ field: 'created', op: '>', value: '1559779200000' });
    expect(refused(() => parseRange('createdAfter', 'created', '>', '2019-06-06'))).toEqual(['createdAfter']);
  });
});

describe('a whole list query', () => {
  it('datasets: limit 20 by default, 20 at most with observableSchema, filters in order', () => {
    expect(datasetList({}).query).toEqual({ conditions: [], orderBy: undefined, start: 0, limit: 20 });
    expect(datasetList({ limit: 50, properties: ['name,observableSchema'] }).query.limit).toBe(20);
    const list = datasetList({ name: ['CRM*'], createdAfter: ['5'], property: ['name~^C', '!basePath'], orderBy: ['desc:created'], sort: ['name'] });
    expect(list.query.conditions.map((c) => `${c.kind}:${c.param}`)).toEqual(['values:name', 'property:createdAfter', 'property:property', 'property:property']);
    expect(list.query.orderBy).toEqual([
      { field: 'created', direction: 'desc' },
      { field: 'name', direction: 'asc' },
    ]);
  });

  it('batches: dataSet and batch ids checked, statuses lowercased with their D aliases', () => {
    const list = batchList({ dataSet: ['5c8c3c555033b814b69f947f'], status: ['SUCCESS'], endAfter: ['10'] });
    expect(list.query.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'values', field: 'dataSet', values: ['5c8c3c555033b814b69f947f'] }),
        expect.objectContaining({ kind: 'values', field: 'status', values: ['success', 'active'] }),
        expect.objectContaining({ kind: 'property', field: 'completed', op: '>', value: '10' }),
      ]),
    );
    expect(refused(() => batchList({ dataSet: ['nothex'] }))).toEqual(['dataSet']);
    expect(refused(() => batchList({ status: ['done'] }))).toEqual(['status']);
    expect(refused(() => batchList({ batch: ['abc'] }))).toEqual(['batch']);
  });

  it('project keeps only the fields asked for, {} when none is there', () => {
    expect(project({ name: 'a', description: 'b', tags: {} }, ['name', 'files'])).toEqual({ name: 'a' });
    expect(project({ name: 'a' }, ['files'])).toEqual({});
    expect(project({ name: 'a' }, undefined)).toEqual({ name: 'a' });
  });
});
