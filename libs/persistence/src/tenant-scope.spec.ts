import { tenantSql, tenantWhere } from './tenant-scope';

describe('tenant scope', () => {
  const caller = { orgId: 'o', sandboxName: 's', clientId: 'c' };

  it('filters Prisma rows by org and sandbox only', () => {
    expect(tenantWhere(caller)).toEqual({ orgId: 'o', sandboxName: 's' });
  });

  it('binds the tenant in a SQL condition, with or without an alias', () => {
    expect(tenantSql(caller).text).toBe('org_id = $1 AND sandbox_name = $2');
    expect(tenantSql(caller, 'j').text).toBe('j.org_id = $1 AND j.sandbox_name = $2');
    expect(tenantSql(caller, 'j').values).toEqual(['o', 's']);
  });
});
