import { Injectable } from '@nestjs/common';
import { Conflict, type ExportJob, type ExportJobRequest, type Schedule, type ScheduleRunRef, type SegmentJob, type SegmentJobDefinition } from '@sx/domain';
import { Prisma } from './generated/prisma/client';
import { insertExportJob } from './export-job.repository';
import { toExportJob } from './export-job.mapper';
import { PrismaService } from './prisma.service';
import { insertSegmentJob, toSegmentJob } from './segment-job.repository';
import { isUniqueViolation, withStoreErrors } from './store-errors';
import { tenantSql } from './tenant-scope';

/** The segment job a batch_segmentation run creates: as POST /segment/jobs would. */
export interface SegmentRunRequest {
  requested: Array<{ segmentId: string }>;
  definitions: SegmentJobDefinition[];
  schemaName: string;
}

/**
 * Runs of schedules: the run row and the job it creates commit in ONE transaction, and the run
 * row's UNIQUE (schedule, tick) makes a second run of the same tick (another worker, the
 * reconciler's catch-up) a no-op: exactly one run per tick, however many fire it. A run is only
 * written while its schedule is active (checked in the same statement).
 */
@Injectable()
export class ScheduleRunRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The export job of the run of `tickAt`; null when that tick has run already or the schedule is not active. */
  async createExportRun(schedule: Schedule, tickAt: Date, runId: string, request: ExportJobRequest): Promise<ExportJob | null> {
    const chainId = request.filter?.chainId;
    return this.inRun(
      schedule,
      tickAt,
      runId,
      null,
      async (tx, ref) => {
        const row = await insertExportJob(tx, this.caller(schedule), request, runId, { properties: ref });
        await tx.scheduleRun.update({ where: { id: runId }, data: { exportJobId: row.id } });
        return toExportJob(row);
      },
      (e) => {
        // The only other unique index an export insert can hit: one unfinished export per chain.
        if (chainId !== undefined && isUniqueViolation(e)) throw new Conflict(`chain "${chainId}" still has an unfinished export; its changes go to the next run`);
      },
    );
  }

  /** The segment job of the run of `tickAt`; null as for exports. */
  async createSegmentRun(schedule: Schedule, tickAt: Date, runId: string, request: SegmentRunRequest): Promise<SegmentJob | null> {
    return this.inRun(schedule, tickAt, runId, null, async (tx, ref) => {
      const row = await insertSegmentJob(tx, this.caller(schedule), request.requested, request.definitions, request.schemaName, runId, ref);
      await tx.scheduleRun.update({ where: { id: runId }, data: { segmentJobId: row.id } });
      return toSegmentJob(row);
    });
  }

  /** A run that could not create its job (its segments are gone, say): recorded with why, so the tick is not retried. */
  async recordFailedRun(schedule: Schedule, tickAt: Date, runId: string, error: string): Promise<boolean> {
    return (await this.inRun(schedule, tickAt, runId, error, () => Promise.resolve(true))) ?? false;
  }

  /** Whether the client that created the schedule still exists with access to its sandbox: runs act as that client. */
  async clientMayRun(schedule: Schedule): Promise<boolean> {
    return withStoreErrors(async () => {
      const client = await this.prisma.apiClient.findFirst({
        where: { clientId: schedule.clientId, orgId: schedule.orgId, sandboxes: { has: schedule.sandboxName } },
        select: { clientId: true },
      });
      return client !== null;
    });
  }

  private caller(schedule: Schedule) {
    return { orgId: schedule.orgId, sandboxName: schedule.sandboxName, clientId: schedule.clientId };
  }

  private async inRun<T>(
    schedule: Schedule,
    tickAt: Date,
    runId: string,
    error: string | null,
    create: (tx: Prisma.TransactionClient, ref: ScheduleRunRef) => Promise<T>,
    refine?: (e: unknown) => void,
  ): Promise<T | null> {
    return withStoreErrors(
      () =>
        this.prisma.$transaction(async (tx) => {
          const inserted = await tx.$queryRaw<Array<{ id: string }>>`
          INSERT INTO schedule_runs (id, schedule_id, tick_at, error)
          SELECT ${runId}::uuid, id, ${tickAt}, ${error} FROM schedules
           WHERE id = ${schedule.id}::uuid AND ${tenantSql(schedule)} AND state = 'active'
          ON CONFLICT (schedule_id, tick_at) DO NOTHING
          RETURNING id::text`;
          if (!inserted.length) return null;
          return create(tx, { scheduleId: schedule.id, runId });
        }),
      refine,
    );
  }
}
