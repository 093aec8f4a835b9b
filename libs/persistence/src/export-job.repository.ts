import { Injectable } from '@nestjs/common';
import { queueWebhookEvent } from './webhook-outbox';
import {
  CancelOutcome,
  Caller,
  Conflict,
  DiffOf,
  ExportJob,
  ExportJobRequest,
  ExportJobStatus,
  FINISHED_STATUSES,
  JobCursor,
  ScheduleRunRef,
  TenantScope,
  Unprocessable,
  exportEvent,
} from '@sx/domain';
import { Prisma } from './generated/prisma/client';
import { toExportJob } from './export-job.mapper';
import { PrismaService } from './prisma.service';
import { isUniqueViolation, translateStoreError, withStoreErrors } from './store-errors';
import { tenantWhere } from './tenant-scope';

export const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

export interface IdempotencyClaim {
  key: string;
  /** Hash of the request body: the same key with another body is refused, not replayed. */
  requestHash: string;
}

export interface JobListQuery {
  limit: number;
  after?: JobCursor;
  status?: ExportJobStatus;
}

/** What a job row holds besides its request: who made it, and what kind of export it is. */
export interface ExportJobKind {
  /** A schedule's run (its `properties`). */
  properties?: ScheduleRunRef;
  dryRun?: boolean;
  /** A diff's batch. */
  diffOf?: DiffOf;
}

/**
 * Inserts an export job and its "to enqueue" marker with the transaction `tx`: the one way a job
 * row is written, by POST /export/jobs, by a schedule's run and by a diff's batch.
 */
export async function insertExportJob(tx: Prisma.TransactionClient, caller: Caller, request: ExportJobRequest, requestId: string, kind: ExportJobKind = {}) {
  const { properties, dryRun = false, diffOf } = kind;
  return tx.exportJob.create({
    data: {
      orgId: caller.orgId,
      sandboxName: caller.sandboxName,
      clientId: caller.clientId,
      fields: request.fields ?? null,
      schemaName: request.schema.name,
      destination: request.destination as unknown as Prisma.InputJsonValue,
      filter: (request.filter as Prisma.InputJsonValue) ?? Prisma.DbNull,
      additionalFields: (request.additionalFields as Prisma.InputJsonValue) ?? Prisma.DbNull,
      mergePolicy: (request.mergePolicy as unknown as Prisma.InputJsonValue) ?? Prisma.DbNull,
      evaluationInfo: (request.evaluationInfo as Prisma.InputJsonValue) ?? Prisma.DbNull,
      chainId: request.filter?.chainId ?? null,
      requestId,
      ...(properties ? { properties: { ...properties } } : {}),
      dryRun,
      diffBeforeJobId: diffOf?.beforeJobId ?? null,
      diffAfterJobId: diffOf?.afterJobId ?? null,
      outbox: { create: {} },
    },
  });
}

/**
 * Export jobs of one tenant. Every method takes the org and sandbox and never reaches outside
 * them, so a job of another tenant simply does not exist for the caller.
 */
@Injectable()
export class ExportJobRepository {
  constructor(private readonly prisma: PrismaService) {}

  private scoped(scope: TenantScope) {
    return { ...tenantWhere(scope), deletedAt: null };
  }

  /**
   * Stores a job and its "to enqueue" marker in one transaction. With an Idempotency-Key, a
   * second request with the same key (concurrent or later, within 24 h) gets the first job back.
   */
  async create(caller: Caller, request: ExportJobRequest, requestId: string, idempotency?: IdempotencyClaim, dryRun = false): Promise<{ job: ExportJob; replayed: boolean }> {
    const keyWhere = idempotency && {
      clientId_sandboxName_key: { clientId: caller.clientId, sandboxName: caller.sandboxName, key: idempotency.key },
    };
    try {
      return await this.prisma.$transaction(async (tx) => {
        if (idempotency && keyWhere) {
          await tx.idempotencyKey.deleteMany({
            where: { ...keyWhere.clientId_sandboxName_key, createdAt: { lt: new Date(Date.now() - IDEMPOTENCY_WINDOW_MS) } },
          });
          const earlier = await tx.idempotencyKey.findUnique({ where: keyWhere, include: { job: true } });
          if (earlier) return this.replay(earlier, idempotency);
        }
        const row = await insertExportJob(tx, caller, request, requestId, { dryRun });
        if (idempotency) {
          await tx.idempotencyKey.create({
            data: {
              clientId: caller.clientId,
              sandboxName: caller.sandboxName,
              key: idempotency.key,
              requestHash: idempotency.requestHash,
              jobId: row.id,
            },
          });
        }
        return { job: toExportJob(row), replayed: false };
      });
    } catch (e) {
      // A concurrent request with the same key committed first: ours rolled back, theirs wins.
      if (idempotency && keyWhere && isUniqueViolation(e)) {
        const earlier = await this.prisma.idempotencyKey.findUnique({ where: keyWhere, include: { job: true } });
        if (earlier) return this.replay(earlier, idempotency);
      }
      const chainId = request.filter?.chainId;
      if (chainId !== undefined && isUniqueViolation(e)) await this.refuseSecondLink(caller, chainId);
      return translateStoreError(e);
    }
  }

  /** Throws the Conflict naming the chain's unfinished export (export_jobs_chain_unfinished_idx). */
  private async refuseSecondLink(scope: TenantScope, chainId: string): Promise<never> {
    const running = await this.prisma.exportJob.findFirst({
      where: { ...this.scoped(scope), chainId, dryRun: false, status: { in: ['NEW', 'PROCESSING'] } },
      select: { id: true },
    });
    const which = running ? ` (${running.id})` : '';
    throw new Conflict(`filter.chainId: chain "${chainId}" has an unfinished export${which}; a chain runs one export at a time, retry when it has ended.`);
  }

  private replay(earlier: { requestHash: string; job: Parameters<typeof toExportJob>[0] }, claim: IdempotencyClaim): { job: ExportJob; replayed: boolean } {
    if (earlier.requestHash !== claim.requestHash) {
      throw new Unprocessable(`Idempotency-Key "${claim.key}" was already used with a different request body in the last 24 hours.`);
    }
    return { job: toExportJob(earlier.job), replayed: true };
  }

  /**
   * The live job writing the batch of the diff `diffOf` (NEW, PROCESSING or SUCCEEDED), else a new
   * one with its "to enqueue" marker: asking twice, even at once, answers the same job
   * (export_jobs_diff_pair_idx). `created` says whether this call stored it.
   */
  async ensureDiffJob(caller: Caller, diffOf: DiffOf, request: ExportJobRequest, requestId: string): Promise<{ job: ExportJob; created: boolean }> {
    const live = () =>
      this.prisma.exportJob.findFirst({
        where: { ...this.scoped(caller), diffBeforeJobId: diffOf.beforeJobId, diffAfterJobId: diffOf.afterJobId, status: { in: ['NEW', 'PROCESSING', 'SUCCEEDED'] } },
      });
    try {
      const existing = await live();
      const stale = existing && (await this.revertedDiffBatch(existing));
      if (existing && !stale) return { job: toExportJob(existing), created: false };
      const row = await this.prisma.$transaction(async (tx) => {
        // A SUCCEEDED diff job whose batch was reverted since answers nothing: it is set aside
        // (deleted, as DELETE would) so that the pair gets a new one.
        if (existing) await tx.exportJob.updateMany({ where: { id: existing.id, deletedAt: null }, data: { deletedAt: new Date() } });
        return insertExportJob(tx, caller, request, requestId, { diffOf });
      });
      return { job: toExportJob(row), created: true };
    } catch (e) {
      // Another request for the same pair committed first: theirs is the pair's job.
      if (isUniqueViolation(e)) {
        const winner = await live().catch(() => null);
        if (winner) return { job: toExportJob(winner), created: false };
      }
      return translateStoreError(e);
    }
  }

  /** Whether a SUCCEEDED diff job's batch is no longer committed (reverted). */
  private async revertedDiffBatch(row: { status: string; orgId: string; sandboxName: string; destination: unknown }): Promise<boolean> {
    const batchId = (row.destination as { batchId?: string } | null)?.batchId;
    if (row.status !== 'SUCCEEDED' || !batchId) return false;
    const batch = await this.prisma.batch.findFirst({ where: { id: batchId, ...tenantWhere(row) }, select: { status: true } });
    return batch?.status !== 'success';
  }

  async findById(scope: TenantScope, id: number): Promise<ExportJob | null> {
    return withStoreErrors(async () => {
      const row = await this.prisma.exportJob.findFirst({ where: { id, ...this.scoped(scope) } });
      return row && toExportJob(row);
    });
  }

  /** Newest first, keyset-paged on (creationTime, id) so that equal milliseconds never skip a job. */
  async list(scope: TenantScope, query: JobListQuery): Promise<ExportJob[]> {
    const where: Prisma.ExportJobWhereInput = { ...this.scoped(scope) };
    if (query.status) where.status = query.status;
    if (query.after) {
      const t = new Date(query.after.creationTimeMs);
      where.OR = [{ creationTime: { lt: t } }, { creationTime: t, id: { lt: query.after.id } }];
    }
    return withStoreErrors(async () => {
      const rows = await this.prisma.exportJob.findMany({
        where,
        orderBy: [{ creationTime: 'desc' }, { id: 'desc' }],
        take: query.limit,
      });
      return rows.map(toExportJob);
    });
  }

  /**
   * DELETE semantics: a NEW job is cancelled at once (and its enqueue marker dropped), a PROCESSING
   * job gets a persisted cancel request, a finished job is hidden. Each step is one conditional
   * UPDATE, so a job that changes status meanwhile falls through to the next rule.
   */
  async cancelOrDelete(scope: TenantScope, id: number): Promise<CancelOutcome | null> {
    const where = { id, ...this.scoped(scope) };
    const now = new Date();
    return withStoreErrors(async () => {
      const cancelled = await this.prisma.$transaction(async (tx) => {
        const { count } = await tx.exportJob.updateMany({
          where: { ...where, status: 'NEW' },
          data: { status: 'CANCELLED', updateTime: now },
        });
        if (count) await tx.exportJobOutbox.deleteMany({ where: { jobId: id } });
        // Dry runs send no webhooks (they export nothing).
        const dryRun = count > 0 && (await tx.exportJob.findUnique({ where: { id }, select: { dryRun: true } }))?.dryRun;
        if (count && !dryRun) await queueWebhookEvent(tx, scope, exportEvent('CANCELLED'), { id, status: 'CANCELLED' });
        return count > 0;
      });
      if (cancelled) return 'cancelled';
      const requested = await this.prisma.exportJob.updateMany({
        where: { ...where, status: 'PROCESSING' },
        data: { cancelRequestedAt: now, updateTime: now },
      });
      if (requested.count) return 'cancel-requested';
      const deleted = await this.prisma.exportJob.updateMany({
        where: { ...where, status: { in: [...FINISHED_STATUSES] } },
        data: { deletedAt: now },
      });
      return deleted.count ? 'deleted' : null;
    });
  }
}
