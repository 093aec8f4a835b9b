import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  AttributeMerge,
  BUILT_IN_MERGE_POLICY_ID,
  IdentityGraphType,
  MergePolicy,
  MergePolicyDeletion,
  MergePolicyListing,
  MergePolicyPage,
  MergePolicyWrite,
  NewMergePolicy,
  TenantScope,
  builtInMergePolicy,
} from '@sx/domain';
import { Prisma } from './generated/prisma/client';
import type { MergePolicy as MergePolicyRow } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import { mergePolicyListQueries } from './merge-policy-list.sql';
import { isUniqueViolation, translateStoreError, withStoreErrors } from './store-errors';
import { tenantSql, tenantWhere } from './tenant-scope';

/** Thrown inside a transaction to roll a delete back when segments still use the policy. */
class PolicyInUse extends Error {
  constructor(readonly segmentCount: number) {
    super('merge policy in use');
  }
}

/** Thrown inside a transaction to roll a delete back: the edge-active policy stays (AEP: set it false first). */
class PolicyActiveOnEdge extends Error {}

type Tx = Prisma.TransactionClient;

/**
 * Merge policies of one tenant, plus the built-in `timestampOrdered-none-mp` that every sandbox has
 * without a row: it is merged in here, so callers see one list and one lookup.
 */
@Injectable()
export class MergePolicyRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores a new policy (version 1, a fresh uuid). Every write of a sandbox's policies holds one
   * advisory lock, so that a default policy takes the place of the previous default without two
   * ever coexisting. A second edge-active policy hits the partial unique index: `edge-taken`.
   */
  async create(scope: TenantScope, policy: NewMergePolicy): Promise<MergePolicyWrite> {
    return this.write(async (tx) => {
      await this.lockSandbox(tx, scope);
      if (policy.default) await this.clearDefault(tx, scope);
      const row = await tx.mergePolicy.create({
        data: { id: randomUUID(), ...tenantWhere(scope), version: 1, ...columnsOf(policy) },
      });
      return { outcome: 'saved', policy: toMergePolicy(row) };
    });
  }

  /**
   * PUT and PATCH: `change` turns the stored policy into its replacement (it may throw a domain
   * error, which rolls back). The row is locked for the read-modify-write; version +1.
   */
  async update(scope: TenantScope, id: string, change: (current: MergePolicy) => NewMergePolicy): Promise<MergePolicyWrite> {
    if (id === BUILT_IN_MERGE_POLICY_ID) return { outcome: 'built-in' };
    return this.write(async (tx) => {
      await this.lockSandbox(tx, scope);
      const locked = await tx.$queryRaw<Array<{ id: string }>>`
        SELECT id FROM merge_policies WHERE id = ${id} AND ${tenantSql(scope)} FOR UPDATE`;
      if (!locked.length) return { outcome: 'not-found' };
      const current = toMergePolicy(await tx.mergePolicy.findFirstOrThrow({ where: { id, ...tenantWhere(scope) } }));
      const next = change(current);
      if (next.default && !current.default) await this.clearDefault(tx, scope);
      const row = await tx.mergePolicy.update({
        where: { id },
        data: { ...columnsOf(next), version: { increment: 1 }, updatedAt: new Date() },
      });
      return { outcome: 'saved', policy: toMergePolicy(row) };
    });
  }

  /** The policies of these ids in the tenant (the built-in included), in the order asked, each once. */
  async findMany(scope: TenantScope, ids: string[]): Promise<MergePolicy[]> {
    const wanted = [...new Set(ids)];
    return withStoreErrors(async () => {
      const rows = await this.prisma.mergePolicy.findMany({ where: { id: { in: wanted }, ...tenantWhere(scope) } });
      const byId = new Map(rows.map((row) => [row.id, toMergePolicy(row)]));
      if (wanted.includes(BUILT_IN_MERGE_POLICY_ID)) {
        byId.set(BUILT_IN_MERGE_POLICY_ID, builtInMergePolicy(scope, !(await this.storedDefault(this.prisma, scope))));
      }
      return wanted.flatMap((id) => byId.get(id) ?? []);
    });
  }

  /** The policy of this id in the tenant (the built-in included), or null. Used by GET and by exports. */
  async resolve(scope: TenantScope, id: string): Promise<MergePolicy | null> {
    return withStoreErrors(async () => {
      if (id === BUILT_IN_MERGE_POLICY_ID) return builtInMergePolicy(scope, !(await this.storedDefault(this.prisma, scope)));
      const row = await this.prisma.mergePolicy.findFirst({ where: { id, ...tenantWhere(scope) } });
      return row && toMergePolicy(row);
    });
  }

  /** The sandbox default: the stored policy marked default, else the built-in. */
  async defaultFor(scope: TenantScope): Promise<MergePolicy> {
    return withStoreErrors(async () => {
      const row = await this.storedDefault(this.prisma, scope);
      return row ? toMergePolicy(row) : builtInMergePolicy(scope, true);
    });
  }

  /**
   * One offset page of the sandbox's policies, the built-in included as if it were a row, filtered
   * and ordered in SQL so that offsets mean the same thing on every page. Count and page come from
   * one repeatable-read snapshot.
   */
  async list(scope: TenantScope, listing: MergePolicyListing): Promise<MergePolicyPage> {
    const builtIn = builtInMergePolicy(scope, false);
    const queries = mergePolicyListQueries(scope, builtIn, listing);
    return withStoreErrors(() =>
      this.prisma.$transaction(
        async (tx) => {
          const [{ n }] = await tx.$queryRaw<Array<{ n: number }>>(queries.count);
          const rows = listing.start < n ? await tx.$queryRaw<ListedRow[]>(queries.page) : [];
          const policies = rows.map((row) => (row.built_in ? builtInMergePolicy(scope, row.is_default) : toMergePolicy(fromListed(row, scope))));
          return { policies, totalCount: n };
        },
        { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead },
      ),
    );
  }

  /**
   * Deletes a stored policy unless a segment definition uses it. The delete runs first and takes
   * the row lock, so a segment being created with this policy (which holds the row FOR SHARE, see
   * SegmentDefinitionRepository.create) either commits before the count below sees it, or waits
   * and then finds the policy gone.
   */
  async delete(scope: TenantScope, id: string): Promise<MergePolicyDeletion> {
    if (id === BUILT_IN_MERGE_POLICY_ID) return { outcome: 'built-in' };
    try {
      return await this.prisma.$transaction(async (tx): Promise<MergePolicyDeletion> => {
        const deleted = await tx.$queryRaw<Array<{ is_active_on_edge: boolean }>>`
          DELETE FROM merge_policies WHERE id = ${id} AND ${tenantSql(scope)}
          RETURNING is_active_on_edge`;
        if (!deleted.length) return { outcome: 'not-found' };
        if (deleted[0].is_active_on_edge) throw new PolicyActiveOnEdge();
        const segmentCount = await tx.segmentDefinition.count({ where: { ...tenantWhere(scope), mergePolicyId: id } });
        if (segmentCount) throw new PolicyInUse(segmentCount);
        return { outcome: 'deleted' };
      });
    } catch (e) {
      if (e instanceof PolicyInUse) return { outcome: 'in-use', segmentCount: e.segmentCount };
      if (e instanceof PolicyActiveOnEdge) return { outcome: 'active-on-edge' };
      return translateStoreError(e);
    }
  }

  /** Runs a write transaction; the edge index's unique violation is an outcome, not an error. */
  private async write(work: (tx: Tx) => Promise<MergePolicyWrite>): Promise<MergePolicyWrite> {
    try {
      return await this.prisma.$transaction(work);
    } catch (e) {
      if (isUniqueViolation(e)) return { outcome: 'edge-taken' };
      return translateStoreError(e);
    }
  }

  private async lockSandbox(tx: Tx, scope: TenantScope): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`merge-policy-default:${scope.orgId}:${scope.sandboxName}`}, 0))`;
  }

  private async clearDefault(tx: Tx, scope: TenantScope): Promise<void> {
    await tx.mergePolicy.updateMany({ where: { ...tenantWhere(scope), isDefault: true }, data: { isDefault: false, updatedAt: new Date() } });
  }

  private storedDefault(db: Pick<Prisma.TransactionClient, 'mergePolicy'>, scope: TenantScope): Promise<MergePolicyRow | null> {
    // At most one row is default (see create); the order only makes a damaged state deterministic.
    return db.mergePolicy.findFirst({
      where: { ...tenantWhere(scope), isDefault: true },
      orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
    });
  }
}

/** Prisma row → domain type; the only place that knows the column layout of merge_policies. */
function toMergePolicy(row: MergePolicyRow): MergePolicy {
  return {
    id: row.id,
    orgId: row.orgId,
    sandboxName: row.sandboxName,
    name: row.name,
    version: row.version,
    attributeMerge: row.attributeMerge as unknown as AttributeMerge,
    identityGraph: { type: row.identityGraph as IdentityGraphType },
    schema: { name: row.schemaName },
    default: row.isDefault,
    isActiveOnEdge: row.isActiveOnEdge,
    builtIn: false,
    updatedAt: row.updatedAt,
  };
}

/** The columns a create or an update writes. */
function columnsOf(policy: NewMergePolicy) {
  return {
    name: policy.name,
    attributeMerge: policy.attributeMerge as unknown as Prisma.InputJsonValue,
    identityGraph: policy.identityGraph.type,
    schemaName: policy.schema.name,
    isDefault: policy.default,
    isActiveOnEdge: policy.isActiveOnEdge,
  };
}

/** A row of the list query (snake_case, the built-in marked). */
interface ListedRow {
  id: string;
  name: string;
  version: number;
  attribute_merge: unknown;
  identity_graph: string;
  schema_name: string;
  is_default: boolean;
  is_active_on_edge: boolean;
  created_at: Date;
  updated_at: Date;
  built_in: boolean;
}

function fromListed(row: ListedRow, scope: TenantScope): MergePolicyRow {
  return {
    id: row.id,
    orgId: scope.orgId,
    sandboxName: scope.sandboxName,
    name: row.name,
    version: row.version,
    attributeMerge: row.attribute_merge as Prisma.JsonValue,
    identityGraph: row.identity_graph,
    schemaName: row.schema_name,
    isDefault: row.is_default,
    isActiveOnEdge: row.is_active_on_edge,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
