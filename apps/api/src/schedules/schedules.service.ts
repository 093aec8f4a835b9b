import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { Caller, DEFAULT_SCHEDULE_CRON, type FieldProblem, NotFound, Schedule, ValidationFailed } from '@sx/domain';
import { ScheduleChanges, ScheduleRepository } from '@sx/persistence';
import { ScheduleTickers } from '@sx/queue';
import type { CreateScheduleDto } from './dto/create-schedule.dto';
import { ScheduleChecks } from './schedule-checks';
import { parseSchedulePatch } from './schedule-patch';

/**
 * Schedules of the caller's sandbox. Postgres first: the schedule is stored, then its BullMQ job
 * scheduler is made to match (upserted while active, removed otherwise); if Redis is down that
 * step is left to the workers' reconciler and the answer is the same.
 */
@Injectable()
export class SchedulesService {
  private readonly logger = new Logger(SchedulesService.name);

  constructor(
    private readonly schedules: ScheduleRepository,
    private readonly checks: ScheduleChecks,
    private readonly tickers: ScheduleTickers,
  ) {}

  async create(caller: Caller, dto: CreateScheduleDto): Promise<Schedule> {
    const cron = this.checks.cron(dto.schedule ?? DEFAULT_SCHEDULE_CRON, 'schedule');
    const properties = await this.checks.properties(caller, dto.type, dto.properties);
    const problems = [...cron.problems, ...properties.problems];
    if (problems.length) throw new ValidationFailed(problems);
    const schedule = await this.schedules.create(caller, {
      id: randomUUID(),
      name: dto.name,
      type: dto.type,
      state: dto.state ?? 'inactive',
      schedule: cron.cron!.expression,
      properties: properties.properties!,
    });
    if (schedule.state === 'active') await this.tickers.syncSoon(schedule);
    this.logger.log({ msg: 'schedule created', scheduleId: schedule.id, type: schedule.type, state: schedule.state });
    return schedule;
  }

  list(caller: Caller, start: number, limit: number) {
    return this.schedules.list(caller, start, limit);
  }

  async get(caller: Caller, id: string): Promise<Schedule> {
    const found = await this.schedules.find(caller, id);
    if (!found) throw new NotFound(`No schedule ${id} in this sandbox.`);
    return found;
  }

  /** AEP's JSON Patch: each field checked as at POST, then stored, then the job scheduler made to match. */
  async patch(caller: Caller, id: string, body: unknown): Promise<void> {
    const patch = parseSchedulePatch(body);
    const current = await this.get(caller, id);
    const problems: FieldProblem[] = [];
    const changes: ScheduleChanges = { name: patch.name, state: patch.state };
    const at = (field: string) => `[${(body as Array<{ path: string }>).findIndex((e) => e.path === field)}].value`;
    if (patch.schedule !== undefined) {
      const cron = this.checks.cron(patch.schedule, at('/schedule'));
      problems.push(...cron.problems);
      changes.schedule = cron.cron?.expression;
    }
    for (const [field, key] of [
      ['/properties/segments', 'segments'],
      ['/properties/exportJob', 'exportJob'],
    ] as const) {
      if (patch[key] === undefined) continue;
      if ((key === 'exportJob') !== (current.type === 'export')) {
        problems.push({ path: at(field).replace('.value', '.path'), message: `a ${current.type} schedule has no ${field}` });
        continue;
      }
      const checked = key === 'exportJob' ? await this.checks.exportJob(caller, patch[key], at(field)) : await this.checks.segments(caller, patch[key], at(field));
      problems.push(...checked.problems);
      changes.properties = checked.properties;
    }
    if (problems.length) throw new ValidationFailed(problems);
    const updated = await this.schedules.update(caller, id, changes);
    if (!updated) throw new NotFound(`No schedule ${id} in this sandbox.`);
    await this.tickers.syncSoon(updated);
    this.logger.log({ msg: 'schedule updated', scheduleId: id, state: updated.state, schedule: updated.schedule });
  }

  async delete(caller: Caller, id: string): Promise<void> {
    if (!(await this.schedules.delete(caller, id))) throw new NotFound(`No schedule ${id} in this sandbox.`);
    await this.tickers.syncSoon({ id, state: 'deleted' });
    this.logger.log({ msg: 'schedule deleted', scheduleId: id });
  }
}
