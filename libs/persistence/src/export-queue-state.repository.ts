import { Injectable } from '@nestjs/common';
import { TenantScope } from '@sx/domain';
import { PrismaService } from './prisma.service';
import { translateStoreError } from './store-errors';

export interface QueueableJob extends TenantScope {
  id: number;
  /** Tells this job from an older one with the same id (a database reset under a kept Redis). */
  creationTime: Date;
}

/**
 * System-wide view of which jobs must be in the queue, for the enqueue step and the reconciler.
 * It answers ids and tenants only, never job contents, and is not used to serve API callers.
 */
@Injectable()
export class ExportQueueStateRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Jobs whose "to enqueue" marker is still there, oldest first. */
  async pendingEnqueue(limit: number): Promise<Array<QueueableJob & { status: string }>> {
    try {
      const rows = await this.prisma.exportJobOutbox.findMany({
        take: limit,
        orderBy: { jobId: 'asc' },
        include: { job: { select: { orgId: true, sandboxName: true, status: true, creationTime: true } } },
      });
      return rows.map((r) => ({ id: r.jobId, orgId: r.job.orgId, sandboxName: r.job.sandboxName, status: r.job.status, creationTime: r.job.creationTime }));
    } catch (e) {
      return translateStoreError(e);
    }
  }

  /** BullMQ holds these jobs now (or they no longer need it). */
  async markEnqueued(jobIds: number[]): Promise<void> {
    if (!jobIds.length) return;
    try {
      await this.prisma.exportJobOutbox.deleteMany({ where: { jobId: { in: jobIds } } });
    } catch (e) {
      translateStoreError(e);
    }
  }

  /** NEW and PROCESSING jobs (not deleted) after `afterId`, ascending: those the queue must hold. */
  async unfinished(afterId: number, limit: number): Promise<QueueableJob[]> {
    try {
      return await this.prisma.exportJob.findMany({
        where: { id: { gt: afterId }, status: { in: ['NEW', 'PROCESSING'] }, deletedAt: null },
        orderBy: { id: 'asc' },
        take: limit,
        select: { id: true, orgId: true, sandboxName: true, creationTime: true },
      });
    } catch (e) {
      return translateStoreError(e);
    }
  }
}
