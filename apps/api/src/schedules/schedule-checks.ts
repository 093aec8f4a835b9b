import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AppConfig } from '@sx/config';
import {
  Caller,
  CronProblem,
  type FieldProblem,
  type QuartzCron,
  SEGMENT_JOB_MAX_SEGMENTS,
  type ScheduleProperties,
  type ScheduleType,
  ValidationFailed,
  isUuid,
  nextTick,
  parseQuartzCron,
  shortestIntervalSeconds,
} from '@sx/domain';
import { resolveSegmentJobDefinitions } from '@sx/export';
import { SegmentDefinitionRepository } from '@sx/persistence';
import { fieldProblems } from '../common/validation';
import { CreateExportJobDto } from '../export-jobs/dto/create-export-job.dto';
import { ExportJobsService } from '../export-jobs/export-jobs.service';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const prefixed = (prefix: string, problems: FieldProblem[]) => problems.map((p) => ({ path: `${prefix}.${p.path}`, message: p.message }));

/**
 * The checks of a schedule's cron and properties, at POST and PATCH: a Quartz cron that fires
 * again and at most once per SCHEDULE_MIN_INTERVAL_SECONDS; segments that exist and evaluate; an
 * export body exactly as POST /export/jobs checks it. Each returns its problems (paths as sent).
 */
@Injectable()
export class ScheduleChecks {
  constructor(
    private readonly config: AppConfig,
    private readonly definitions: SegmentDefinitionRepository,
    private readonly exportJobs: ExportJobsService,
  ) {}

  cron(text: string, path: string, now = new Date()): { cron?: QuartzCron; problems: FieldProblem[] } {
    let cron: QuartzCron;
    try {
      cron = parseQuartzCron(text);
    } catch (e) {
      if (e instanceof CronProblem) return { problems: [{ path, message: e.message }] };
      throw e;
    }
    if (!nextTick(cron, now)) return { problems: [{ path, message: 'never fires again (no tick in the coming years)' }] };
    const shortest = shortestIntervalSeconds(cron, now);
    const min = this.config.SCHEDULE_MIN_INTERVAL_SECONDS;
    if (shortest !== undefined && shortest < min) {
      return { problems: [{ path, message: `fires ${shortest} s apart; schedules run at most once every ${min} s (SCHEDULE_MIN_INTERVAL_SECONDS)` }] };
    }
    return { cron, problems: [] };
  }

  async properties(caller: Caller, type: ScheduleType, properties: unknown, path = 'properties'): Promise<{ properties?: ScheduleProperties; problems: FieldProblem[] }> {
    if (!isObject(properties)) return { problems: [{ path, message: 'must be an object' }] };
    const key = type === 'export' ? 'exportJob' : 'segments';
    const problems: FieldProblem[] = Object.keys(properties)
      .filter((k) => k !== key)
      .map((k) => ({ path: `${path}.${k}`, message: `is not a known property (a ${type} schedule takes ${path}.${key})` }));
    const checked =
      type === 'export' ? await this.exportJob(caller, properties.exportJob, `${path}.exportJob`) : await this.segments(caller, properties.segments, `${path}.segments`);
    problems.push(...checked.problems);
    return problems.length ? { problems } : { properties: checked.properties, problems };
  }

  /** `["*"]` or distinct segment ids of the sandbox, each evaluable: as POST /segment/jobs checks them. */
  async segments(caller: Caller, value: unknown, path: string): Promise<{ properties?: ScheduleProperties; problems: FieldProblem[] }> {
    if (value === undefined) return { problems: [{ path, message: 'is required: ["*"] (every segment definition) or segment ids' }] };
    if (!Array.isArray(value) || !value.length) return { problems: [{ path, message: 'must be a non-empty array: ["*"] or segment ids' }] };
    if (value.length > SEGMENT_JOB_MAX_SEGMENTS) return { problems: [{ path, message: `lists ${value.length} segments; at most ${SEGMENT_JOB_MAX_SEGMENTS} (or ["*"])` }] };
    const problems: FieldProblem[] = [];
    if (value.includes('*') && value.length > 1) problems.push({ path, message: '"*" must be the only entry' });
    const seen = new Set<string>();
    value.forEach((id, i) => {
      if (id === '*') return;
      if (typeof id !== 'string' || !isUuid(id)) return problems.push({ path: `${path}[${i}]`, message: 'must be a segment definition id (a uuid) or "*"' });
      if (seen.has(id.toLowerCase())) problems.push({ path: `${path}[${i}]`, message: 'is listed twice' });
      seen.add(id.toLowerCase());
    });
    if (problems.length) return { problems };
    const ids = value[0] === '*' ? undefined : (value as string[]).map((id) => id.toLowerCase());
    try {
      await resolveSegmentJobDefinitions(this.definitions, caller, ids, { listed: (i) => `${path}[${i}]`, all: `${path}[0]` });
    } catch (e) {
      if (e instanceof ValidationFailed) return { problems: e.problems };
      throw e;
    }
    return { properties: { segments: ids ?? ['*'] }, problems };
  }

  /** A POST /export/jobs body: the same DTO and the same service checks, problems named under `path`. */
  async exportJob(caller: Caller, value: unknown, path: string): Promise<{ properties?: ScheduleProperties; problems: FieldProblem[] }> {
    if (value === undefined) return { problems: [{ path, message: 'is required: the body of a POST /export/jobs' }] };
    if (!isObject(value)) return { problems: [{ path, message: 'must be an object: the body of a POST /export/jobs' }] };
    const dto = plainToInstance(CreateExportJobDto, value);
    const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true, validationError: { target: false, value: true } });
    if (errors.length) return { problems: prefixed(path, fieldProblems(errors)) };
    // A schedule runs real exports: a dry run each tick would count and write nothing, silently.
    if (dto.dryRun !== undefined)
      return { problems: [{ path: `${path}.dryRun`, message: 'is not allowed in a schedule: its runs are real exports (POST /export/jobs?dryRun=true tries one out)' }] };
    try {
      return { properties: { exportJob: await this.exportJobs.prepare(caller, dto) }, problems: [] };
    } catch (e) {
      if (e instanceof ValidationFailed) return { problems: prefixed(path, e.problems) };
      throw e;
    }
  }
}
