import { Injectable } from '@nestjs/common';
import type { Caller, Schedule, ScheduleProperties, ScheduleState, ScheduleType, TenantScope } from '@sx/domain';
import { Prisma } from './generated/prisma/client';
import type { Schedule as ScheduleRow } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import { withStoreErrors } from './store-errors';
import { tenantWhere } from './tenant-scope';

/** Prisma row → domain type; the only place that knows the column layout of schedules. */
export function toSchedule(r: ScheduleRow): Schedule {
  const schedule: Schedule = {
    id: r.id,
    orgId: r.orgId,
    sandboxName: r.sandboxName,
    name: r.name,
    type: r.type as ScheduleType,
    state: r.state as ScheduleState,
    schedule: r.schedule,
    properties: r.properties as unknown as ScheduleProperties,
    clientId: r.clientId,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
  if (r.activatedAt) schedule.activatedAt = r.activatedAt;
  return schedule;
}

export interface NewSchedule {
  id: string;
  name: string;
  type: ScheduleType;
  state: ScheduleState;
  schedule: string;
  properties: ScheduleProperties;
}

/** What a PATCH changes. */
export interface ScheduleChanges {
  name?: string;
  state?: ScheduleState;
  schedule?: string;
  properties?: ScheduleProperties;
}

/**
 * Schedules of one tenant (the API), plus the system-wide view of the active ones (the workers'
 * reconciler). Every tenant method takes the org and sandbox and never reaches outside them.
 */
@Injectable()
export class ScheduleRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(caller: Caller, s: NewSchedule): Promise<Schedule> {
    const now = new Date();
    return withStoreErrors(async () =>
      toSchedule(
        await this.prisma.schedule.create({
          data: {
            ...tenantWhere(caller),
            ...s,
            properties: s.properties as unknown as Prisma.InputJsonValue,
            clientId: caller.clientId,
            createdAt: now,
            updatedAt: now,
            activatedAt: s.state === 'active' ? now : null,
          },
        }),
      ),
    );
  }

  /** A page by offset (AEP's `start`), oldest first, with the tenant's total. */
  async list(scope: TenantScope, start: number, limit: number): Promise<{ schedules: Schedule[]; totalCount: number }> {
    const where = tenantWhere(scope);
    return withStoreErrors(async () => {
      const [rows, totalCount] = await this.prisma.$transaction([
        this.prisma.schedule.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], skip: start, take: limit }),
        this.prisma.schedule.count({ where }),
      ]);
      return { schedules: rows.map(toSchedule), totalCount };
    });
  }

  async find(scope: TenantScope, id: string): Promise<Schedule | null> {
    return withStoreErrors(async () => {
      const row = await this.prisma.schedule.findFirst({ where: { id, ...tenantWhere(scope) } });
      return row && toSchedule(row);
    });
  }

  /**
   * Applies a PATCH; null when there is no such schedule. `activatedAt` moves to now when it
   * becomes active, or its cron changes while active: catch-up never runs a tick from before.
   */
  async update(scope: TenantScope, id: string, changes: ScheduleChanges): Promise<Schedule | null> {
    return withStoreErrors(() =>
      this.prisma.$transaction(async (tx) => {
        const [current] = await tx.$queryRaw<Array<{ state: string; schedule: string }>>`
          SELECT state, schedule FROM schedules WHERE id = ${id}::uuid AND org_id = ${scope.orgId} AND sandbox_name = ${scope.sandboxName} FOR UPDATE`;
        if (!current) return null;
        const now = new Date();
        const state = changes.state ?? current.state;
        const restarts = state === 'active' && (current.state !== 'active' || (changes.schedule !== undefined && changes.schedule !== current.schedule));
        const row = await tx.schedule.update({
          where: { id },
          data: {
            ...(changes.name !== undefined ? { name: changes.name } : {}),
            ...(changes.state ? { state: changes.state } : {}),
            ...(changes.schedule !== undefined ? { schedule: changes.schedule } : {}),
            ...(changes.properties ? { properties: changes.properties as unknown as Prisma.InputJsonValue } : {}),
            updatedAt: now,
            ...(restarts ? { activatedAt: now } : {}),
          },
        });
        return toSchedule(row);
      }),
    );
  }

  /** Removes the schedule and its runs (the jobs they created stay); false when there was none. */
  async delete(scope: TenantScope, id: string): Promise<boolean> {
    return withStoreErrors(async () => (await this.prisma.schedule.deleteMany({ where: { id, ...tenantWhere(scope) } })).count > 0);
  }

  // ---- system-wide view (the workers' reconciler) ----

  /** Active schedules of every tenant after `afterId` (ascending): those that must have a job scheduler. */
  async active(afterId: string, limit: number): Promise<Schedule[]> {
    return withStoreErrors(async () => {
      const rows = await this.prisma.schedule.findMany({
        where: { state: 'active', ...(afterId ? { id: { gt: afterId } } : {}) },
        orderBy: { id: 'asc' },
        take: limit,
      });
      return rows.map(toSchedule);
    });
  }

  /** The latest tick the schedule ran (any run, failed ones included); undefined before its first. */
  async lastRunTick(scope: TenantScope, scheduleId: string): Promise<Date | undefined> {
    return withStoreErrors(async () => {
      const row = await this.prisma.scheduleRun.findFirst({
        where: { scheduleId, schedule: tenantWhere(scope) },
        orderBy: { tickAt: 'desc' },
        select: { tickAt: true },
      });
      return row?.tickAt;
    });
  }
}
