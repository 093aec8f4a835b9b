import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  BUILT_IN_MERGE_POLICY_ID,
  NewSegmentDefinition,
  SegmentDefinition,
  SegmentDefinitionCreation,
  SegmentDefinitionPage,
  SegmentExpression,
  TenantScope,
  isUuid,
} from '@sx/domain';
import { Prisma } from './generated/prisma/client';
import type { SegmentDefinition as SegmentDefinitionRow } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import { isUniqueViolation, translateStoreError } from './store-errors';

/**
 * Segment definitions of one tenant. Ids are uuids (a uuid column): a text that is not one cannot
 * name a definition, so it is answered "not found" here instead of reaching Postgres as a cast error.
 */
@Injectable()
export class SegmentDefinitionRepository {
  constructor(private readonly prisma: PrismaService) {}

  private scoped(scope: TenantScope) {
    return { orgId: scope.orgId, sandboxName: scope.sandboxName };
  }

  /**
   * Stores a definition with a merge policy of its sandbox: the one named, or the sandbox default
   * now. The stored policy is held FOR SHARE until commit, so it cannot be deleted in between (see
   * MergePolicyRepository.delete).
   */
  async create(scope: TenantScope, definition: NewSegmentDefinition): Promise<SegmentDefinitionCreation> {
    try {
      return await this.prisma.$transaction(async (tx): Promise<SegmentDefinitionCreation> => {
        const mergePolicyId =
          definition.mergePolicyId === undefined
            ? await this.lockDefaultPolicy(tx, scope)
            : await this.lockPolicy(tx, scope, definition.mergePolicyId);
        if (!mergePolicyId) return { outcome: 'unknown-merge-policy' };
        const row = await tx.segmentDefinition.create({
          data: {
            id: definition.id?.toLowerCase() ?? randomUUID(),
            ...this.scoped(scope),
            name: definition.name,
            description: definition.description ?? null,
            namespace: definition.namespace,
            mergePolicyId,
            expression: definition.expression as unknown as Prisma.InputJsonValue,
            schemaName: definition.schema.name,
          },
        });
        return { outcome: 'created', definition: toSegmentDefinition(row) };
      });
    } catch (e) {
      if (definition.id !== undefined && isUniqueViolation(e)) return { outcome: 'id-taken' };
      return translateStoreError(e);
    }
  }

  async findById(scope: TenantScope, id: string): Promise<SegmentDefinition | null> {
    if (!isUuid(id)) return null;
    try {
      const row = await this.prisma.segmentDefinition.findFirst({ where: { id: id.toLowerCase(), ...this.scoped(scope) } });
      return row && toSegmentDefinition(row);
    } catch (e) {
      return translateStoreError(e);
    }
  }

  /** The definitions of these ids that exist in the tenant, in the order asked, each once. */
  /** Every definition of the sandbox, oldest first (a segment job's "*"). */
  async all(scope: TenantScope): Promise<SegmentDefinition[]> {
    try {
      const rows = await this.prisma.segmentDefinition.findMany({ where: this.scoped(scope), orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      return rows.map(toSegmentDefinition);
    } catch (e) {
      return translateStoreError(e);
    }
  }

  async findMany(scope: TenantScope, ids: string[]): Promise<SegmentDefinition[]> {
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    if (!wanted.length) return [];
    try {
      const rows = await this.prisma.segmentDefinition.findMany({ where: { id: { in: wanted }, ...this.scoped(scope) } });
      const byId = new Map(rows.map((row) => [row.id, toSegmentDefinition(row)]));
      return wanted.flatMap((id) => byId.get(id) ?? []);
    } catch (e) {
      return translateStoreError(e);
    }
  }

  /** One page, newest first by (creation time, id); count and page from one snapshot. */
  async list(scope: TenantScope, page: { page: number; limit: number }): Promise<SegmentDefinitionPage> {
    const skip = page.page * page.limit;
    try {
      return await this.prisma.$transaction(
        async (tx) => {
          const totalCount = await tx.segmentDefinition.count({ where: this.scoped(scope) });
          // Beyond the end there is nothing to read (and Prisma refuses skips above 32 bits).
          const rows =
            skip < totalCount
              ? await tx.segmentDefinition.findMany({
                  where: this.scoped(scope),
                  orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
                  skip,
                  take: page.limit,
                })
              : [];
          return { definitions: rows.map(toSegmentDefinition), totalCount };
        },
        { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead },
      );
    } catch (e) {
      return translateStoreError(e);
    }
  }

  /** True when a definition of the tenant was deleted. */
  async delete(scope: TenantScope, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    try {
      const { count } = await this.prisma.segmentDefinition.deleteMany({ where: { id: id.toLowerCase(), ...this.scoped(scope) } });
      return count > 0;
    } catch (e) {
      return translateStoreError(e);
    }
  }

  /** The id when the tenant has this policy (the built-in always), locked until commit; else null. */
  private async lockPolicy(tx: Prisma.TransactionClient, scope: TenantScope, id: string): Promise<string | null> {
    if (id === BUILT_IN_MERGE_POLICY_ID) return id;
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM merge_policies
      WHERE id = ${id} AND org_id = ${scope.orgId} AND sandbox_name = ${scope.sandboxName}
      FOR SHARE`;
    return rows[0]?.id ?? null;
  }

  /** The sandbox default policy's id (the stored default, else the built-in), locked until commit. */
  private async lockDefaultPolicy(tx: Prisma.TransactionClient, scope: TenantScope): Promise<string> {
    // Same order as MergePolicyRepository's default lookup.
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM merge_policies
      WHERE org_id = ${scope.orgId} AND sandbox_name = ${scope.sandboxName} AND is_default
      ORDER BY updated_at DESC, id DESC
      LIMIT 1
      FOR SHARE`;
    return rows[0]?.id ?? BUILT_IN_MERGE_POLICY_ID;
  }
}

/** Prisma row → domain type; the only place that knows the column layout of segment_definitions. */
function toSegmentDefinition(row: SegmentDefinitionRow): SegmentDefinition {
  const definition: SegmentDefinition = {
    id: row.id,
    orgId: row.orgId,
    sandboxName: row.sandboxName,
    name: row.name,
    namespace: row.namespace,
    mergePolicyId: row.mergePolicyId,
    expression: row.expression as unknown as SegmentExpression,
    schema: { name: row.schemaName },
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
  if (row.description !== null) definition.description = row.description;
  return definition;
}
