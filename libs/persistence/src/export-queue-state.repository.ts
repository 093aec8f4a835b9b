import { Injectable } from '@nestjs/common';
import { TenantScope } from '@sx/domain';
import { PrismaService } from './prisma.service';
import { withStoreErrors } from './store-errors';

export interface QueueableJob extends TenantScope {
  id: number;
  /** Tells this job from an older one with the same id (a database reset under a kept Redis). */
  creationTime: Date;
}

/** A batch an export attempt left `loading` although its job has ended. */
export interface StrandedExportBatch extends TenantScope {
  exportJobId: number;
  datasetId: string;
  batchId: string;
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
    return withStoreErrors(async () => {
      const rows = await this.prisma.exportJobOutbox.findMany({
        take: limit,
        orderBy: { jobId: 'asc' },
        include: { job: { select: { orgId: true, sandboxName: true, status: true, creationTime: true } } },
      });
      return rows.map((r) => ({ id: r.jobId, orgId: r.job.orgId, sandboxName: r.job.sandboxName, status: r.job.status, creationTime: r.job.creationTime }));
    });
  }

  /** BullMQ holds these jobs now (or they no longer need it). */
  async markEnqueued(jobIds: number[]): Promise<void> {
    if (!jobIds.length) return;
    await withStoreErrors(() => this.prisma.exportJobOutbox.deleteMany({ where: { jobId: { in: jobIds } } }));
  }

  /**
   * NEW and PROCESSING jobs (not deleted) after `afterId`, ascending: those the queue must hold,
   * with the attempts they have had. A PROCESSING job whose attempt's lease is live (by the
   * database's clock) is left out: it is running, whatever Redis says, and queueing it again would
   * only start a second run.
   */
  async unfinished(afterId: number, limit: number): Promise<Array<QueueableJob & { attempts: number }>> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ id: number; org_id: string; sandbox_name: string; creation_time: Date; attempts: number }>>`
        SELECT id, org_id, sandbox_name, creation_time, attempts FROM export_jobs
         WHERE id > ${afterId} AND status IN ('NEW', 'PROCESSING') AND deleted_at IS NULL
           AND NOT (status = 'PROCESSING' AND attempt_token IS NOT NULL AND lease_expires_at > now())
         ORDER BY id LIMIT ${limit}`;
      return rows.map((r) => ({ id: r.id, orgId: r.org_id, sandboxName: r.sandbox_name, creationTime: r.creation_time, attempts: r.attempts }));
    });
  }

  /** Export batches still `loading` whose job has ended: no attempt will finish or discard them. */
  async strandedBatches(limit: number): Promise<StrandedExportBatch[]> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ id: string; org_id: string; sandbox_name: string; dataset_id: string; export_job_id: number }>>`
        SELECT b.id, b.org_id, b.sandbox_name, b.dataset_id, b.export_job_id FROM batches b
          JOIN export_jobs j ON j.id = b.export_job_id
         WHERE b.status = 'loading' AND b.origin = 'export' AND j.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED')
         ORDER BY b.export_job_id LIMIT ${limit}`;
      return rows.map((r) => ({ orgId: r.org_id, sandboxName: r.sandbox_name, exportJobId: r.export_job_id, datasetId: r.dataset_id, batchId: r.id }));
    });
  }
}
