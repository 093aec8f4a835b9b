import { Injectable } from '@nestjs/common';
import { queueWebhookEvent } from './webhook-outbox';
import { Caller, ScheduleRunRef, SegmentJob, SegmentJobDefinition, SegmentJobStatus, TenantScope, isUuid, segmentJobEvent } from '@sx/domain';
import { Prisma } from './generated/prisma/client';
import type { SegmentJob as SegmentJobRow } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import { withStoreErrors } from './store-errors';
import { tenantWhere } from './tenant-scope';

/** Prisma row → domain type; the only place that knows the column layout of segment_jobs. */
export function toSegmentJob(row: SegmentJobRow): SegmentJob {
  const job: SegmentJob = {
    id: row.id,
    orgId: row.orgId,
    sandboxName: row.sandboxName,
    clientId: row.clientId,
    status: row.status,
    requestedSegments: row.requestedSegments as Array<{ segmentId: string }>,
    definitions: row.definitions as unknown as SegmentJobDefinition[],
    schemaName: row.schemaName,
    requestId: row.requestId,
    creationTime: row.creationTime,
    updateTime: row.updateTime,
    attempts: row.attempts,
  };
  if (row.metrics !== null) job.metrics = row.metrics as SegmentJob['metrics'];
  if (row.errors !== null) job.errors = row.errors as unknown as SegmentJob['errors'];
  if (row.cancelRequestedAt) job.cancelRequestedAt = row.cancelRequestedAt;
  if (row.nowMs !== null) job.nowMs = Number(row.nowMs);
  if (row.properties !== null) job.properties = row.properties as unknown as ScheduleRunRef;
  return job;
}

export interface SegmentJobListQuery {
  start: number;
  limit: number;
  status?: SegmentJobStatus;
  sort: { field: 'creationTime' | 'updateTime'; direction: 'asc' | 'desc' };
}

export type SegmentJobCancel = 'cancelled' | 'cancelling' | { finished: SegmentJobStatus } | null;

/** A segment job the queue must hold (for the dispatcher and reconciler: ids and tenants only). */
export interface QueueableSegmentJob extends TenantScope {
  id: string;
  creationTime: Date;
  status: string;
  attempts: number;
}

/**
 * Inserts a segment job with its "to enqueue" marker (one statement: a nested create), with `db`
 * (the client, or a transaction's): the one way a job row is written, by POST /segment/jobs and
 * by a schedule's run (which passes its `properties`).
 */
export async function insertSegmentJob(
  db: Prisma.TransactionClient,
  caller: Caller,
  requested: Array<{ segmentId: string }>,
  definitions: SegmentJobDefinition[],
  schemaName: string,
  requestId: string,
  properties?: ScheduleRunRef,
): Promise<SegmentJobRow> {
  return db.segmentJob.create({
    data: {
      orgId: caller.orgId,
      sandboxName: caller.sandboxName,
      clientId: caller.clientId,
      requestedSegments: requested,
      definitions: definitions as unknown as Prisma.InputJsonValue,
      schemaName,
      requestId,
      ...(properties ? { properties: { ...properties } } : {}),
      outbox: { create: {} },
    },
  });
}

/**
 * Segment jobs of one tenant (API side), plus the system-wide queue view the dispatcher and the
 * reconciler need. Every tenant method takes the org and sandbox and never reaches outside them.
 */
@Injectable()
export class SegmentJobRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The job and its "to enqueue" marker, in one transaction. */
  async create(caller: Caller, requested: Array<{ segmentId: string }>, definitions: SegmentJobDefinition[], schemaName: string, requestId: string): Promise<SegmentJob> {
    return withStoreErrors(async () => toSegmentJob(await insertSegmentJob(this.prisma, caller, requested, definitions, schemaName, requestId)));
  }

  async findById(scope: TenantScope, id: string): Promise<SegmentJob | null> {
    if (!isUuid(id)) return null;
    return withStoreErrors(async () => {
      const row = await this.prisma.segmentJob.findFirst({ where: { id: id.toLowerCase(), ...tenantWhere(scope) } });
      return row && toSegmentJob(row);
    });
  }

  async findMany(scope: TenantScope, ids: string[]): Promise<SegmentJob[]> {
    const wanted = ids.filter(isUuid).map((i) => i.toLowerCase());
    if (!wanted.length) return [];
    return withStoreErrors(async () => {
      const rows = await this.prisma.segmentJob.findMany({ where: { id: { in: wanted }, ...tenantWhere(scope) } });
      return rows.map(toSegmentJob);
    });
  }

  /** A page by offset (AEP's `start`), with the total count of the filter. */
  async list(scope: TenantScope, q: SegmentJobListQuery): Promise<{ jobs: SegmentJob[]; totalCount: number }> {
    const where: Prisma.SegmentJobWhereInput = { ...tenantWhere(scope), ...(q.status ? { status: q.status } : {}) };
    return withStoreErrors(async () => {
      const [rows, totalCount] = await this.prisma.$transaction([
        this.prisma.segmentJob.findMany({ where, orderBy: [{ [q.sort.field]: q.sort.direction }, { id: q.sort.direction }], skip: q.start, take: q.limit }),
        this.prisma.segmentJob.count({ where }),
      ]);
      return { jobs: rows.map(toSegmentJob), totalCount };
    });
  }

  /** Jobs being evaluated now in the sandbox (QUEUED or PROCESSING), for the 429 of POST. */
  async activeCount(scope: TenantScope): Promise<number> {
    return withStoreErrors(() => this.prisma.segmentJob.count({ where: { ...tenantWhere(scope), status: { in: ['NEW', 'QUEUED', 'PROCESSING', 'CANCELLING'] } } }));
  }

  /**
   * DELETE: a NEW or QUEUED job is CANCELLED at once (its marker dropped: no worker will run it;
   * one that already got it sees CANCELLED and skips); a PROCESSING one becomes CANCELLING with a
   * persisted request its worker honours between chunks. Each is one conditional UPDATE, so a job
   * that changes status meanwhile falls through to the next rule.
   */
  async cancel(scope: TenantScope, id: string): Promise<SegmentJobCancel> {
    if (!isUuid(id)) return null;
    const where = { id: id.toLowerCase(), ...tenantWhere(scope) };
    const now = new Date();
    return withStoreErrors(async () => {
      const cancelled = await this.prisma.$transaction(async (tx) => {
        const { count } = await tx.segmentJob.updateMany({
          where: { ...where, status: { in: ['NEW', 'QUEUED'] } },
          data: { status: 'CANCELLED', cancelRequestedAt: now, updateTime: now },
        });
        if (count) await tx.segmentJobOutbox.deleteMany({ where: { jobId: where.id } });
        if (count) await queueWebhookEvent(tx, scope, segmentJobEvent('CANCELLED'), { id: where.id, status: 'CANCELLED' });
        return count > 0;
      });
      if (cancelled) return 'cancelled';
      const requested = await this.prisma.segmentJob.updateMany({
        where: { ...where, status: { in: ['PROCESSING', 'CANCELLING'] } },
        data: { status: 'CANCELLING', cancelRequestedAt: now, updateTime: now },
      });
      if (requested.count) return 'cancelling';
      const row = await this.prisma.segmentJob.findFirst({ where, select: { status: true } });
      return row ? { finished: row.status } : null;
    });
  }

  // ---- queue view (system-wide, ids and tenants only) ----

  /** Jobs whose "to enqueue" marker is still there, oldest first. */
  async pendingEnqueue(limit: number): Promise<QueueableSegmentJob[]> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.segmentJobOutbox.findMany({
        take: limit,
        orderBy: { createdAt: 'asc' },
        include: { job: { select: { orgId: true, sandboxName: true, status: true, creationTime: true, attempts: true } } },
      });
      return rows.map((r) => ({
        id: r.jobId,
        orgId: r.job.orgId,
        sandboxName: r.job.sandboxName,
        status: r.job.status,
        creationTime: r.job.creationTime,
        attempts: r.job.attempts,
      }));
    });
  }

  /** BullMQ holds the job now: marker gone, NEW becomes QUEUED. */
  async markEnqueued(jobId: string): Promise<void> {
    await withStoreErrors(() =>
      this.prisma.$transaction([
        this.prisma.segmentJobOutbox.deleteMany({ where: { jobId } }),
        this.prisma.segmentJob.updateMany({ where: { id: jobId, status: 'NEW' }, data: { status: 'QUEUED', updateTime: new Date() } }),
      ]),
    );
  }

  /**
   * Unfinished jobs after `afterId` (ascending) that no live attempt holds: those the queue must
   * hold. A PROCESSING or CANCELLING job whose lease is live is running, whatever Redis says.
   */
  async unfinished(afterId: string, limit: number): Promise<QueueableSegmentJob[]> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.$queryRaw<Array<{ id: string; org_id: string; sandbox_name: string; creation_time: Date; status: string; attempts: number }>>`
        SELECT id::text, org_id, sandbox_name, creation_time, status::text, attempts FROM segment_jobs
         WHERE id::text > ${afterId} AND status IN ('NEW', 'QUEUED', 'PROCESSING', 'CANCELLING')
           AND NOT (status IN ('PROCESSING', 'CANCELLING') AND attempt_token IS NOT NULL AND lease_expires_at > now())
         ORDER BY id::text LIMIT ${limit}`;
      return rows.map((r) => ({ id: r.id, orgId: r.org_id, sandboxName: r.sandbox_name, creationTime: r.creation_time, status: r.status, attempts: r.attempts }));
    });
  }
}
