import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  AttributeMerge,
  BUILT_IN_MERGE_POLICY_ID,
  IdentityGraphType,
  MergePolicy,
  MergePolicyDeletion,
  MergePolicyPage,
  NewMergePolicy,
  TenantScope,
  builtInMergePolicy,
  mergePolicyWindow,
} from '@sx/domain';
import { Prisma } from './generated/prisma/client';
import type { MergePolicy as MergePolicyRow } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import { translateStoreError } from './store-errors';

/** Thrown inside a transaction to roll a delete back when segments still use the policy. */
class PolicyInUse extends Error {
  constructor(readonly segmentCount: number) {
    super('merge policy in use');
  }
}

/**
 * Merge policies of one tenant, plus the built-in `timestampOrdered-none-mp` that every sandbox has
 * without a row: it is merged in here, so callers see one list and one lookup.
 */
@Injectable()
export class MergePolicyRepository {
  constructor(private readonly prisma: PrismaService) {}

  private scoped(scope: TenantScope) {
    return { orgId: scope.orgId, sandboxName: scope.sandboxName };
  }

  /**
   * Stores a new policy (version 1, a fresh uuid). A default policy takes the place of the previous
   * stored default in the same transaction; concurrent ones are serialised by a per-sandbox advisory
   * lock, so that a sandbox never ends up with two defaults.
   */
  async create(scope: TenantScope, policy: NewMergePolicy): Promise<MergePolicy> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        if (policy.default) {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`merge-policy-default:${scope.orgId}:${scope.sandboxName}`}, 0))`;
          await tx.mergePolicy.updateMany({
            where: { ...this.scoped(scope), isDefault: true },
            data: { isDefault: false, updatedAt: new Date() },
          });
        }
        const row = await tx.mergePolicy.create({
          data: {
            id: randomUUID(),
            ...this.scoped(scope),
            name: policy.name,
            version: 1,
            attributeMerge: policy.attributeMerge as unknown as Prisma.InputJsonValue,
            identityGraph: policy.identityGraph.type,
            schemaName: policy.schema.name,
            isDefault: policy.default,
          },
        });
        return toMergePolicy(row);
      });
    } catch (e) {
      return translateStoreError(e);
    }
  }

  /** The policy of this id in the tenant (the built-in included), or null. Used by GET and by exports. */
  async resolve(scope: TenantScope, id: string): Promise<MergePolicy | null> {
    try {
      if (id === BUILT_IN_MERGE_POLICY_ID) return builtInMergePolicy(scope, !(await this.storedDefault(this.prisma, scope)));
      const row = await this.prisma.mergePolicy.findFirst({ where: { id, ...this.scoped(scope) } });
      return row && toMergePolicy(row);
    } catch (e) {
      return translateStoreError(e);
    }
  }

  /** The sandbox default: the stored policy marked default, else the built-in. */
  async defaultFor(scope: TenantScope): Promise<MergePolicy> {
    try {
      const row = await this.storedDefault(this.prisma, scope);
      return row ? toMergePolicy(row) : builtInMergePolicy(scope, true);
    } catch (e) {
      return translateStoreError(e);
    }
  }

  /**
   * One offset page of `[built-in, ...stored policies oldest first]`. Read in one repeatable-read
   * snapshot so that the count, the page and the default flag agree.
   */
  async list(scope: TenantScope, page: { start: number; limit: number }): Promise<MergePolicyPage> {
    const window = mergePolicyWindow(page.start, page.limit);
    try {
      return await this.prisma.$transaction(
        async (tx) => {
          const stored = await tx.mergePolicy.count({ where: this.scoped(scope) });
          // Beyond the end there is nothing to read (and Prisma refuses skips above 32 bits).
          const rows =
            window.take > 0 && window.skip < stored
              ? await tx.mergePolicy.findMany({
                  where: this.scoped(scope),
                  orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
                  skip: window.skip,
                  take: window.take,
                })
              : [];
          const policies = rows.map(toMergePolicy);
          if (window.builtIn) policies.unshift(builtInMergePolicy(scope, !(await this.storedDefault(tx, scope))));
          return { policies, totalCount: stored + 1 };
        },
        { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead },
      );
    } catch (e) {
      return translateStoreError(e);
    }
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
        const { count } = await tx.mergePolicy.deleteMany({ where: { id, ...this.scoped(scope) } });
        if (!count) return { outcome: 'not-found' };
        const segmentCount = await tx.segmentDefinition.count({ where: { ...this.scoped(scope), mergePolicyId: id } });
        if (segmentCount) throw new PolicyInUse(segmentCount);
        return { outcome: 'deleted' };
      });
    } catch (e) {
      if (e instanceof PolicyInUse) return { outcome: 'in-use', segmentCount: e.segmentCount };
      return translateStoreError(e);
    }
  }

  private storedDefault(db: Pick<Prisma.TransactionClient, 'mergePolicy'>, scope: TenantScope): Promise<MergePolicyRow | null> {
    // At most one row is default (see create); the order only makes a damaged state deterministic.
    return db.mergePolicy.findFirst({
      where: { ...this.scoped(scope), isDefault: true },
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
    builtIn: false,
    updatedAt: row.updatedAt,
  };
}
