import { Injectable } from '@nestjs/common';
import { BatchError, TenantScope } from '@sx/domain';
import { Prisma } from './generated/prisma/client';
import { PROMOTION_LOCK_NS } from './bulk-ingest.repository';
import { PrismaService } from './prisma.service';
import { withStoreErrors } from './store-errors';
import { tenantSql, tenantWhere } from './tenant-scope';

export interface QueueableBatch extends TenantScope {
  batchId: string;
}

export type PromotionRequest =
  | { status: 'staged' }
  | { status: 'not-found' }
  | { status: 'not-loading'; current: string }
  /** Large files initialized but not completed: the batch stays loading. */
  | { status: 'open-uploads'; names: string[] };

/**
 * The queue side of batch promotion: COMPLETE's request (batch → staging plus its outbox marker,
 * in one transaction), and the system-wide views the dispatcher and the reconciler need. Answers
 * ids and tenants only, never batch contents.
 */
@Injectable()
export class BatchPromotionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * loading → staging, with the "to enqueue" marker. Only an ingestion batch of the tenant, and
   * only once every large file it initialized is completed.
   */
  async request(scope: TenantScope, batchId: string): Promise<PromotionRequest> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<Array<{ status: string }>>`
          SELECT status::text AS status FROM batches
           WHERE id = ${batchId} AND ${tenantSql(scope)} AND origin = 'ingest' FOR UPDATE`;
        if (!rows.length) return { status: 'not-found' } as const;
        if (rows[0].status !== 'loading') return { status: 'not-loading', current: rows[0].status } as const;
        const open = await tx.largeFileUpload.findMany({ where: { batchId }, select: { name: true }, orderBy: { name: 'asc' }, take: 10 });
        if (open.length) return { status: 'open-uploads', names: open.map((u) => u.name) } as const;
        await tx.batch.update({ where: { id: batchId }, data: { status: 'staging', updatedAt: new Date() } });
        await tx.batchPromotionOutbox.create({ data: { batchId } });
        return { status: 'staged' } as const;
      }),
    );
  }

  /** Batches whose marker is still there and that still wait for promotion, oldest first; stale markers are dropped. */
  async pendingEnqueue(limit: number): Promise<QueueableBatch[]> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.batchPromotionOutbox.findMany({
        take: limit,
        orderBy: { createdAt: 'asc' },
        include: { batch: { select: { orgId: true, sandboxName: true, status: true } } },
      });
      const done = rows.filter((r) => r.batch.status !== 'staging' && r.batch.status !== 'processing').map((r) => r.batchId);
      if (done.length) await this.markEnqueued(done);
      return rows.filter((r) => !done.includes(r.batchId)).map((r) => ({ batchId: r.batchId, orgId: r.batch.orgId, sandboxName: r.batch.sandboxName }));
    });
  }

  /** BullMQ holds these promotions now (or they no longer need it). */
  async markEnqueued(batchIds: string[]): Promise<void> {
    if (!batchIds.length) return;
    await withStoreErrors(() => this.prisma.batchPromotionOutbox.deleteMany({ where: { batchId: { in: batchIds } } }));
  }

  /**
   * Batches waiting for promotion (staging or processing) after `afterId`, ascending, that no live
   * promotion holds: a batch whose attempt still runs (its lock is in pg_locks) is never queued again.
   */
  async unfinished(afterId: string, limit: number): Promise<QueueableBatch[]> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ id: string; org_id: string; sandbox_name: string }>>`
        SELECT b.id, b.org_id, b.sandbox_name FROM batches b
         WHERE b.status IN ('staging', 'processing') AND b.id > ${afterId}
           AND NOT EXISTS (SELECT 1 FROM pg_locks l
                            WHERE l.locktype = 'advisory' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                              AND l.classid = ${PROMOTION_LOCK_NS}::oid AND l.objid = hashtext(b.id)::oid AND l.objsubid = 2)
         ORDER BY b.id LIMIT ${limit}`;
      return rows.map((r) => ({ batchId: r.id, orgId: r.org_id, sandboxName: r.sandbox_name }));
    });
  }

  /** Ends a batch that could not be promoted (its last attempt failed): failed, with why. */
  async fail(scope: TenantScope, batchId: string, errors: BatchError[]): Promise<void> {
    await withStoreErrors(() =>
      this.prisma.batch.updateMany({
        where: { id: batchId, ...tenantWhere(scope), status: { in: ['staging', 'processing'] } },
        data: { status: 'failed', errors: errors as unknown as Prisma.InputJsonValue, updatedAt: new Date(), completedAt: new Date() },
      }),
    );
  }
}
