import type { TenantScope } from '@sx/domain';
import { Prisma } from './generated/prisma/client';

/**
 * One tenant's rows as a Prisma filter (or the tenant columns of a row to create): its org and
 * sandbox, and nothing else of the scope it is given (a Caller's clientId stays out).
 */
export function tenantWhere(scope: TenantScope): TenantScope {
  return { orgId: scope.orgId, sandboxName: scope.sandboxName };
}

/**
 * One tenant's rows as a condition of a Prisma.sql query, `alias.` before each column when given:
 * `org_id = $n AND sandbox_name = $m`, both values bound as parameters. (profile-read.sql.ts's
 * tenantOf is the same condition for plain SQL text, its values quoted.)
 */
export function tenantSql(scope: TenantScope, alias?: string): Prisma.Sql {
  const column = (name: string) => Prisma.raw(alias ? `${alias}.${name}` : name);
  return Prisma.sql`${column('org_id')} = ${scope.orgId} AND ${column('sandbox_name')} = ${scope.sandboxName}`;
}
