import { refused } from '../../../test/support/refused';
import { BATCH_FIELDS, DATASET_FIELDS, conditionSql, hasWildcard, likePattern, listIdsSql, orderSql } from './catalog-filter';

describe('Catalog filters compiled to SQL', () => {
  it('wildcards: * is any text, ** a literal asterisk; LIKE characters escaped', () => {
    expect(likePattern('CRM*')).toBe('CRM%');
    expect(likePattern('a**b')).toBe('a*b');
    expect(likePattern('50%_\\')).toBe('50\\%\\_\\\\');
    expect(hasWildcard('a**b')).toBe(false);
    expect(hasWildcard('a***')).toBe(true);
    expect(hasWildcard('*')).toBe(true);
  });

  it('** without a wildcard is one literal asterisk in an equality', () => {
    const sql = conditionSql(DATASET_FIELDS, { kind: 'values', param: 'name', field: 'name', negate: false, values: ['star**name'] });
    expect(sql.values).toEqual(['star*name']);
    expect(sql.sql).not.toContain('LIKE');
  });

  it('binds values as parameters, never in the SQL text', () => {
    const sql = conditionSql(DATASET_FIELDS, { kind: 'property', param: 'property', field: 'name', op: '~', value: "'; DROP TABLE x --" });
    expect(sql.sql).not.toContain('DROP');
    expect(sql.values).toEqual(["'; DROP TABLE x --"]);
  });

  it('compares times as epoch ms, numbers as numbers, versions as versions', () => {
    expect(conditionSql(DATASET_FIELDS, { kind: 'property', param: 'createdAfter', field: 'created', op: '>', value: '1000' }).sql).toContain(
      `t.created_at) > (TIMESTAMPTZ 'epoch'`,
    );
    expect(conditionSql(BATCH_FIELDS, { kind: 'property', param: 'property', field: 'recordCount', op: '>=', value: '3' }).sql).toContain('::numeric');
    expect(conditionSql(DATASET_FIELDS, { kind: 'property', param: 'property', field: 'version', op: '>', value: '1.0.3' }).sql).toContain('::int[]');
  });

  it('a field nobody has (documented, not kept, or unknown) matches nothing, its negation everything', () => {
    expect(conditionSql(BATCH_FIELDS, { kind: 'property', param: 'property', field: 'started', op: 'exists' }).sql).toBe('FALSE');
    expect(conditionSql(BATCH_FIELDS, { kind: 'property', param: 'property', field: 'nosuch', op: 'absent' }).sql).toBe('TRUE');
    expect(conditionSql(BATCH_FIELDS, { kind: 'values', param: 'size', field: 'size', negate: true, values: ['x'] }).sql).toBe('TRUE');
  });

  it('negations keep objects without the field', () => {
    expect(conditionSql(DATASET_FIELDS, { kind: 'values', param: 'name', field: 'name', negate: true, values: ['a', 'b'] }).sql).toMatch(/IS NULL OR NOT/);
  });

  it.each([
    [{ kind: 'property', param: 'createdAfter', field: 'created', op: '>', value: 'yesterday' }, 'createdAfter'],
    [{ kind: 'property', param: 'property', field: 'version', op: '>', value: 'one' }, 'property'],
    [{ kind: 'property', param: 'property', field: 'tags', op: '==', value: 'x' }, 'property'],
    [{ kind: 'property', param: 'property', field: 'enableErrorDiagnostics', op: '<', value: 'true' }, 'property'],
    [{ kind: 'values', param: 'enableErrorDiagnostics', field: 'enableErrorDiagnostics', negate: false, values: ['yes'] }, 'enableErrorDiagnostics'],
    [{ kind: 'values', param: 'recordCount', field: 'recordCount', negate: false, values: ['many'] }, 'recordCount'],
  ] as const)('refuses %j naming %s', (c, param) => {
    expect(refused(() => conditionSql({ ...DATASET_FIELDS, ...BATCH_FIELDS }, c as never))).toEqual([param]);
  });

  it('orders by known scalar fields, then id; newest first by default; 400 for others', () => {
    expect(orderSql(DATASET_FIELDS, undefined).sql).toBe('t.created_at DESC, t.id DESC');
    expect(
      orderSql(DATASET_FIELDS, [
        { field: 'name', direction: 'asc' },
        { field: 'updated', direction: 'desc' },
      ]).sql,
    ).toBe('t.name ASC, t.updated_at DESC, t.id ASC');
    expect(refused(() => orderSql(DATASET_FIELDS, [{ field: 'tags', direction: 'asc' }]))).toEqual(['orderBy']);
    expect(refused(() => orderSql(DATASET_FIELDS, [{ field: 'bogus', direction: 'asc' }]))).toEqual(['orderBy']);
  });

  it('is scoped to the tenant and pages with OFFSET/LIMIT', () => {
    const sql = listIdsSql('datasets', DATASET_FIELDS, { orgId: 'o', sandboxName: 's' }, { conditions: [], start: 5, limit: 20 });
    expect(sql.text).toMatch(/t\.org_id = \$1 AND t\.sandbox_name = \$2 .*OFFSET \$3 LIMIT \$4/);
    expect(sql.values).toEqual(['o', 's', 5, 20]);
  });
});
