import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  AudienceFields,
  BUILT_IN_MERGE_POLICY_ID,
  DefinitionLookup,
  NewSegmentDefinition,
  SegmentDefinition,
  SegmentDefinitionCreation,
  SegmentDefinitionListing,
  SegmentDefinitionPage,
  SegmentDefinitionReplacement,
  SegmentDefinitionUpdate,
  SegmentExpression,
  SegmentSortField,
  TenantScope,
  isUuid,
} from '@sx/domain';
import { Prisma } from './generated/prisma/client';
import type { SegmentDefinition as SegmentDefinitionRow } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import { isUniqueViolation, translateStoreError, withStoreErrors } from './store-errors';
import { tenantSql, tenantWhere } from './tenant-scope';

type Tx = Prisma.TransactionClient;

/** Checks a definition's inSegment references against the stored definitions it is given. */
export type ReferenceCheck = (lookup: DefinitionLookup) => Promise<void>;

const SORT_COLUMNS: Record<SegmentSortField, 'createdAt' | 'updatedAt' | 'name'> = {
  creationTime: 'createdAt',
  updateTime: 'updatedAt',
  updateEpoch: 'updatedAt',
  name: 'name',
};

/**
 * Segment definitions of one tenant. Ids are uuids (a uuid column): a text that is not one cannot
 * name a definition, so it is answered "not found" here instead of reaching Postgres as a cast error.
 */
@Injectable()
export class SegmentDefinitionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores a definition with a merge policy of its sandbox: the one named, or the sandbox default
   * now. The stored policy is held FOR SHARE until commit, so it cannot be deleted in between (see
   * MergePolicyRepository.delete). `check` runs first, under the sandbox's reference lock.
   */
  async create(scope: TenantScope, definition: NewSegmentDefinition, check: ReferenceCheck): Promise<SegmentDefinitionCreation> {
    try {
      return await this.prisma.$transaction(async (tx): Promise<SegmentDefinitionCreation> => {
        await this.lockReferences(tx, scope, check);
        const mergePolicyId = definition.mergePolicyId === undefined ? await this.lockDefaultPolicy(tx, scope) : await this.lockPolicy(tx, scope, definition.mergePolicyId);
        if (!mergePolicyId) return { outcome: 'unknown-merge-policy' };
        const row = await tx.segmentDefinition.create({
          data: {
            id: definition.id?.toLowerCase() ?? randomUUID(),
            ...tenantWhere(scope),
            ...columnsOf(definition),
            mergePolicyId,
          },
        });
        return { outcome: 'created', definition: toSegmentDefinition(row) };
      });
    } catch (e) {
      if (definition.id !== undefined && isUniqueViolation(e)) return { outcome: 'id-taken' };
      return translateStoreError(e);
    }
  }

  /**
   * AEP's PATCH: overwrites everything but the id and creation time. The row is locked, `check`
   * runs under the sandbox's reference lock (two updates cannot close a cycle between them), and
   * an omitted mergePolicyId keeps the stored one.
   */
  async replace(scope: TenantScope, id: string, definition: SegmentDefinitionReplacement, check: ReferenceCheck): Promise<SegmentDefinitionUpdate> {
    if (!isUuid(id)) return { outcome: 'not-found' };
    const key = { orgId_sandboxName_id: { ...tenantWhere(scope), id: id.toLowerCase() } };
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx): Promise<SegmentDefinitionUpdate> => {
        await this.lockReferences(tx, scope, check);
        const locked = await tx.$queryRaw<Array<{ merge_policy_id: string }>>`
          SELECT merge_policy_id FROM segment_definitions
          WHERE id = ${id.toLowerCase()}::uuid AND ${tenantSql(scope)}
          FOR UPDATE`;
        if (!locked.length) return { outcome: 'not-found' };
        const mergePolicyId = definition.mergePolicyId === undefined ? locked[0].merge_policy_id : await this.lockPolicy(tx, scope, definition.mergePolicyId);
        if (!mergePolicyId) return { outcome: 'unknown-merge-policy' };
        const row = await tx.segmentDefinition.update({ where: key, data: { ...columnsOf(definition), mergePolicyId, updatedAt: new Date() } });
        return { outcome: 'updated', definition: toSegmentDefinition(row) };
      }),
    );
  }

  async findById(scope: TenantScope, id: string): Promise<SegmentDefinition | null> {
    if (!isUuid(id)) return null;
    return withStoreErrors(async () => {
      const row = await this.prisma.segmentDefinition.findFirst({ where: { id: id.toLowerCase(), ...tenantWhere(scope) } });
      return row && toSegmentDefinition(row);
    });
  }

  /** Every definition of the sandbox, oldest first (a segment job's "*"). */
  async all(scope: TenantScope): Promise<SegmentDefinition[]> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.segmentDefinition.findMany({ where: tenantWhere(scope), orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      return rows.map(toSegmentDefinition);
    });
  }

  /** The definitions of these ids that exist in the tenant, in the order asked, each once. */
  findMany(scope: TenantScope, ids: string[]): Promise<SegmentDefinition[]> {
    return this.findManyIn(this.prisma, scope, ids);
  }

  private async findManyIn(db: Pick<Tx, 'segmentDefinition'>, scope: TenantScope, ids: string[]): Promise<SegmentDefinition[]> {
    const wanted = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    if (!wanted.length) return [];
    return withStoreErrors(async () => {
      const rows = await db.segmentDefinition.findMany({ where: { id: { in: wanted }, ...tenantWhere(scope) } });
      const byId = new Map(rows.map((row) => [row.id, toSegmentDefinition(row)]));
      return wanted.flatMap((id) => byId.get(id) ?? []);
    });
  }

  /**
   * One page in the order asked (ties broken by id, in the direction of the last sort key, so
   * that the order is total and offsets are stable); count and page from one snapshot.
   */
  async list(scope: TenantScope, listing: SegmentDefinitionListing): Promise<SegmentDefinitionPage> {
    const orderBy: Prisma.SegmentDefinitionOrderByWithRelationInput[] = listing.sort.map((key) => ({ [SORT_COLUMNS[key.field]]: key.direction }));
    orderBy.push({ id: listing.sort[listing.sort.length - 1]?.direction ?? 'desc' });
    return withStoreErrors(() =>
      this.prisma.$transaction(
        async (tx) => {
          const totalCount = await tx.segmentDefinition.count({ where: tenantWhere(scope) });
          // Beyond the end there is nothing to read (and Prisma refuses skips above 32 bits).
          const rows = listing.skip < totalCount ? await tx.segmentDefinition.findMany({ where: tenantWhere(scope), orderBy, skip: listing.skip, take: listing.limit }) : [];
          return { definitions: rows.map(toSegmentDefinition), totalCount };
        },
        { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead },
      ),
    );
  }

  /** True when a definition of the tenant was deleted. */
  async delete(scope: TenantScope, id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return withStoreErrors(async () => {
      const { count } = await this.prisma.segmentDefinition.deleteMany({ where: { id: id.toLowerCase(), ...tenantWhere(scope) } });
      return count > 0;
    });
  }

  /**
   * Serialises the writes of a sandbox's definitions that check inSegment references, then runs
   * the check against this transaction's view of the stored definitions.
   */
  private async lockReferences(tx: Tx, scope: TenantScope, check: ReferenceCheck): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`segment-references:${scope.orgId}:${scope.sandboxName}`}, 0))`;
    await check((ids) => this.findManyIn(tx, scope, ids));
  }

  /** The id when the tenant has this policy (the built-in always), locked until commit; else null. */
  private async lockPolicy(tx: Prisma.TransactionClient, scope: TenantScope, id: string): Promise<string | null> {
    if (id === BUILT_IN_MERGE_POLICY_ID) return id;
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM merge_policies
      WHERE id = ${id} AND ${tenantSql(scope)}
      FOR SHARE`;
    return rows[0]?.id ?? null;
  }

  /** The sandbox default policy's id (the stored default, else the built-in), locked until commit. */
  private async lockDefaultPolicy(tx: Prisma.TransactionClient, scope: TenantScope): Promise<string> {
    // Same order as MergePolicyRepository's default lookup.
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM merge_policies
      WHERE ${tenantSql(scope)} AND is_default
      ORDER BY updated_at DESC, id DESC
      LIMIT 1
      FOR SHARE`;
    return rows[0]?.id ?? BUILT_IN_MERGE_POLICY_ID;
  }
}

/** The columns a create or an overwrite writes (all of them: AEP's PATCH loses what it omits). */
function columnsOf(definition: SegmentDefinitionReplacement) {
  return {
    name: definition.name,
    description: definition.description ?? null,
    namespace: definition.namespace,
    expression: definition.expression as unknown as Prisma.InputJsonValue,
    schemaName: definition.schema.name,
    ttlInDays: definition.ttlInDays ?? null,
    payloadSchema: definition.payloadSchema ?? null,
    audienceFields: definition.audience && Object.keys(definition.audience).length ? (definition.audience as Prisma.InputJsonValue) : Prisma.DbNull,
  };
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
  if (row.ttlInDays !== null) definition.ttlInDays = row.ttlInDays;
  if (row.payloadSchema !== null) definition.payloadSchema = row.payloadSchema;
  if (row.audienceFields !== null) definition.audience = row.audienceFields as AudienceFields;
  return definition;
}
