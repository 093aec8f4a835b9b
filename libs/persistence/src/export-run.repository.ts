import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  Batch,
  ExportDestination,
  ExportJob,
  ExportJobError,
  ExportMetrics,
  TenantScope,
  newBatchId,
  newDatasetFileId,
} from '@sx/domain';
import { Prisma } from './generated/prisma/client';
import { toExportJob } from './export-job.mapper';
import { PrismaService } from './prisma.service';
import { translateStoreError } from './store-errors';

export interface CommittedFile {
  name: string;
  storageKey: string;
  sizeBytes: number;
  sha256: string;
  records: number;
}

export interface BatchCommit {
  batchId: string;
  records: number;
  files: CommittedFile[];
}

const json = (v: unknown) => v as Prisma.InputJsonValue;

class AttemptSuperseded extends Error {}

/**
 * The worker's side of an export job: claim it, start its output batches, report progress, and
 * end it — SUCCEEDED with its batches committed in the same transaction, or FAILED/CANCELLED with
 * its batches marked so. Every method takes the job's tenant.
 */
@Injectable()
export class ExportRunRepository {
  constructor(private readonly prisma: PrismaService) {}

  private where(scope: TenantScope, id: number) {
    return { id, orgId: scope.orgId, sandboxName: scope.sandboxName, deletedAt: null };
  }

  /** NEW or PROCESSING (a retry) → PROCESSING. Null when the job is finished, deleted or unknown. */
  async claim(scope: TenantScope, id: number): Promise<ExportJob | null> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        const row = await tx.exportJob.findFirst({ where: { ...this.where(scope, id), status: { in: ['NEW', 'PROCESSING'] } } });
        if (!row) return null;
        const now = new Date();
        const metrics = (row.metrics as ExportMetrics | null) ?? { totalTime: { startTimeInMs: now.getTime() } };
        // Conditional: a DELETE that cancelled the job since the read above wins.
        const { count } = await tx.exportJob.updateMany({
          where: { ...this.where(scope, id), status: { in: ['NEW', 'PROCESSING'] } },
          data: {
            status: 'PROCESSING',
            updateTime: now,
            computeGatewayJobId: row.computeGatewayJobId || randomUUID(),
            metrics: json(metrics),
          },
        });
        if (!count) return null;
        return toExportJob((await tx.exportJob.findUniqueOrThrow({ where: { id } })));
      });
    } catch (e) {
      return translateStoreError(e);
    }
  }

  async cancelRequested(scope: TenantScope, id: number): Promise<boolean> {
    try {
      const row = await this.prisma.exportJob.findFirst({ where: this.where(scope, id), select: { cancelRequestedAt: true, status: true } });
      return !row || row.cancelRequestedAt !== null || row.status === 'CANCELLED';
    } catch (e) {
      return translateStoreError(e);
    }
  }

  /**
   * New output batches (loading) for this attempt. Batches of an earlier attempt that never
   * committed are aborted first; their storage prefixes are returned so the caller removes them.
   */
  async startBatches(
    scope: TenantScope,
    jobId: number,
    datasetId: string,
    format: string,
    count: number,
  ): Promise<{ batches: Batch[]; abandoned: Array<{ batchId: string; datasetId: string }> }> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        const stale = await tx.batch.findMany({
          where: { orgId: scope.orgId, sandboxName: scope.sandboxName, exportJobId: jobId, status: 'loading' },
          select: { id: true, datasetId: true },
        });
        if (stale.length) {
          await tx.batch.updateMany({
            where: { id: { in: stale.map((s) => s.id) } },
            data: { status: 'aborted', updatedAt: new Date(), completedAt: new Date() },
          });
        }
        const batches: Batch[] = [];
        for (let i = 0; i < count; i++) {
          const row = await tx.batch.create({
            data: { id: newBatchId(), orgId: scope.orgId, sandboxName: scope.sandboxName, datasetId, inputFormat: format, origin: 'export', exportJobId: jobId },
          });
          batches.push({
            id: row.id,
            orgId: row.orgId,
            sandboxName: row.sandboxName,
            datasetId: row.datasetId,
            status: 'loading',
            inputFormat: row.inputFormat,
            origin: 'export',
            exportJobId: jobId,
            recordCount: 0,
            failedRecordCount: 0,
            errors: [],
            createdAt: row.createdAt,
            updatedAt: row.updatedAt,
          });
        }
        return { batches, abandoned: stale.map((s) => ({ batchId: s.id, datasetId: s.datasetId })) };
      });
    } catch (e) {
      return translateStoreError(e);
    }
  }

  /** Progress while running: metrics (profiles written so far) and the destination's batch ids. */
  async progress(scope: TenantScope, id: number, metrics: ExportMetrics, destination?: ExportDestination): Promise<void> {
    try {
      await this.prisma.exportJob.updateMany({
        where: { ...this.where(scope, id), status: 'PROCESSING' },
        data: { metrics: json(metrics), updateTime: new Date(), ...(destination ? { destination: json(destination) } : {}) },
      });
    } catch (e) {
      translateStoreError(e);
    }
  }

  /**
   * The atomic commit: the batches' files become visible, the batches succeed and the job is
   * SUCCEEDED, in one transaction. If a cancel request arrived first, nothing is committed and
   * the answer is 'cancel-requested'.
   */
  async succeed(
    scope: TenantScope,
    id: number,
    commits: BatchCommit[],
    metrics: ExportMetrics,
    destination: ExportDestination,
  ): Promise<'succeeded' | 'cancel-requested' | 'gone'> {
    try {
      return await this.prisma.$transaction(async (tx) => {
        const locked = await tx.$queryRaw<Array<{ status: string; cancel_requested_at: Date | null }>>`
          SELECT status, cancel_requested_at FROM export_jobs
           WHERE id = ${id} AND org_id = ${scope.orgId} AND sandbox_name = ${scope.sandboxName} AND deleted_at IS NULL FOR UPDATE`;
        if (!locked.length || locked[0].status !== 'PROCESSING') return 'gone';
        if (locked[0].cancel_requested_at) return 'cancel-requested';
        const now = new Date();
        for (const c of commits) {
          if (c.files.length) {
            await tx.batchFile.createMany({
              data: c.files.map((f) => ({ id: newDatasetFileId(c.batchId), batchId: c.batchId, name: f.name, storageKey: f.storageKey, sizeBytes: BigInt(f.sizeBytes), sha256: f.sha256, records: f.records })),
            });
          }
          const { count } = await tx.batch.updateMany({
            where: { id: c.batchId, status: 'loading', origin: 'export', exportJobId: id },
            data: { status: 'success', recordCount: c.records, updatedAt: now, completedAt: now },
          });
          // Another attempt took over (and aborted this one's batches): commit nothing.
          if (count !== 1) throw new AttemptSuperseded();
        }
        await tx.exportJob.update({
          where: { id },
          data: { status: 'SUCCEEDED', metrics: json(metrics), destination: json(destination), errors: Prisma.DbNull, updateTime: now },
        });
        return 'succeeded';
      });
    } catch (e) {
      if (e instanceof AttemptSuperseded) return 'gone';
      return translateStoreError(e);
    }
  }

  /** Ends the job CANCELLED or FAILED; its batches end aborted or failed and show no files. */
  async end(
    scope: TenantScope,
    id: number,
    status: 'CANCELLED' | 'FAILED',
    batchIds: string[],
    metrics?: ExportMetrics,
    errors?: ExportJobError[],
  ): Promise<void> {
    try {
      await this.prisma.$transaction(async (tx) => {
        const now = new Date();
        if (batchIds.length) {
          await tx.batch.updateMany({
            where: { id: { in: batchIds }, status: 'loading' },
            data: { status: status === 'CANCELLED' ? 'aborted' : 'failed', updatedAt: now, completedAt: now },
          });
        }
        await tx.exportJob.updateMany({
          where: { ...this.where(scope, id), status: { in: ['NEW', 'PROCESSING'] } },
          data: { status, updateTime: now, ...(metrics ? { metrics: json(metrics) } : {}), ...(errors ? { errors: json(errors) } : {}) },
        });
      });
    } catch (e) {
      translateStoreError(e);
    }
  }
}
