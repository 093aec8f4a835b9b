import type { MergePolicy, MergePolicyListing, TenantScope } from '@sx/domain';
import { Prisma } from './generated/prisma/client';
import { tenantSql } from './tenant-scope';

/**
 * The two statements of GET /config/mergePolicies: the count and one page. The built-in policy has
 * no row, so it joins the stored ones as a row of constants (its `default` is true exactly when no
 * stored policy is); filters and order then treat it like any other policy, and an offset names
 * the same position whichever page it came from.
 *
 * Order: by name case-insensitively, then by exact name, then by id, all in byte order (COLLATE
 * "C"), so that the order does not depend on the database's collation and equal names stay stable.
 */
export function mergePolicyListQueries(scope: TenantScope, builtIn: MergePolicy, listing: MergePolicyListing): { count: Prisma.Sql; page: Prisma.Sql } {
  const listed = Prisma.sql`
    WITH listed AS (
      SELECT id, name, version, attribute_merge, identity_graph, schema_name, is_default, is_active_on_edge,
             created_at, updated_at, false AS built_in
      FROM merge_policies
      WHERE ${tenantSql(scope)}
      UNION ALL
      SELECT ${builtIn.id}::text, ${builtIn.name}::text, ${builtIn.version}::int, ${JSON.stringify(builtIn.attributeMerge)}::json,
             ${builtIn.identityGraph.type}::text, ${builtIn.schema.name}::text,
             NOT EXISTS (SELECT 1 FROM merge_policies WHERE ${tenantSql(scope)} AND is_default),
             false, ${builtIn.updatedAt}::timestamptz, ${builtIn.updatedAt}::timestamptz, true
    )`;
  const where = whereOf(listing);
  const dir = Prisma.raw(listing.nameOrder === 'desc' ? 'DESC' : 'ASC');
  return {
    count: Prisma.sql`${listed} SELECT count(*)::int AS n FROM listed WHERE ${where}`,
    page: Prisma.sql`${listed}
      SELECT * FROM listed WHERE ${where}
      ORDER BY lower(name) COLLATE "C" ${dir}, name COLLATE "C" ${dir}, id COLLATE "C" ${dir}
      OFFSET ${listing.start}::bigint LIMIT ${listing.limit}::int`,
  };
}

function whereOf({ filter }: MergePolicyListing): Prisma.Sql {
  const conditions: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (filter.default !== undefined) conditions.push(Prisma.sql`is_default = ${filter.default}`);
  if (filter.isActiveOnEdge !== undefined) conditions.push(Prisma.sql`is_active_on_edge = ${filter.isActiveOnEdge}`);
  if (filter.schemaName !== undefined) conditions.push(Prisma.sql`schema_name = ${filter.schemaName}`);
  if (filter.identityGraphType !== undefined) conditions.push(Prisma.sql`identity_graph = ${filter.identityGraphType}`);
  if (filter.attributeMergeType !== undefined) conditions.push(Prisma.sql`attribute_merge->>'type' = ${filter.attributeMergeType}`);
  if (filter.version !== undefined) conditions.push(Prisma.sql`version = ${filter.version}::int`);
  return Prisma.join(conditions, ' AND ');
}
