import { Body, Controller, Delete, Get, Headers, HttpCode, Post, Query, Res, createParamDecorator } from '@nestjs/common';
import { ApiHeader, ApiNoContentResponse, ApiOperation, ApiParam, ApiQuery } from '@nestjs/swagger';
import type { Response } from 'express';
import { Caller, formatCursor, parseCursor, ValidationFailed } from '@sx/domain';
import { CurrentCaller } from '../auth/auth.decorators';
import { effectiveLimit } from '../common/page-limit.query';
import { AepApi } from '../common/aep-api.decorator';
import { requestIdOf } from '../common/problem';
import { dryRunOf } from './dry-run-request';
import { CreateExportJobDto } from './dto/create-export-job.dto';
import { ListExportJobsQuery } from './dto/list-export-jobs.query';
import { presentExportJob } from './export-job.presenter';
import { ExportJobsService } from './export-jobs.service';
import { ApiJson } from '../common/openapi-schema';
import { EXPORT_JOB_LIST_SCHEMA, EXPORT_JOB_SCHEMA } from './export-job.openapi';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The `{id}` path parameter. Ids are positive 32-bit integers (database serials); anything else is
 * a 400 naming the parameter. A custom decorator, not a pipe: the global ValidationPipe would turn
 * "1e3" into 1000 before a pipe saw the text.
 */
const JobId = createParamDecorator((_: unknown, ctx): number => {
  const value = String(ctx.switchToHttp().getRequest<{ params: Record<string, string> }>().params.id);
  const id = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(id >= 1 && id <= 2147483647)) {
    throw new ValidationFailed([{ path: 'id', message: 'must be a whole number from 1 to 2147483647' }]);
  }
  return id;
});

@AepApi('export jobs')
@Controller('export/jobs')
export class ExportJobsController {
  constructor(private readonly service: ExportJobsService) {}

  @Get()
  @ApiOperation({ summary: 'List export jobs, newest first (keyset paging via link.next)' })
  @ApiJson(200, EXPORT_JOB_LIST_SCHEMA, 'A page of jobs: {records, page, link}')
  async list(@CurrentCaller() caller: Caller, @Query() query: ListExportJobsQuery) {
    const after = query.offset ? parseCursor(query.offset) : undefined;
    if (query.offset && !after) throw new ValidationFailed([{ path: 'offset', message: 'must be {creationTimeMs}_{id}, as given in link.next' }]);
    const limit = effectiveLimit(query.limit);
    const page = await this.service.list(caller, { limit, after, status: query.status });
    let next = '';
    if (page.next) {
      // The filter travels with the link, so that clients looping on link.next keep it.
      const params = new URLSearchParams({ limit: String(limit), offset: formatCursor(page.next) });
      if (query.status) params.set('status', query.status);
      next = `/export/jobs/?${params.toString()}`;
    }
    return {
      records: page.jobs.map(presentExportJob),
      page: { sortField: 'createdTime', sort: 'desc', pageOffset: query.offset ?? '', pageSize: page.jobs.length },
      link: { next },
    };
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create an export job (stored, queued, status NEW); with dryRun, a dry run answered when done or after DRY_RUN_WAIT_MS' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'The same key from the same client within 24 h returns the first job.' })
  @ApiQuery({
    name: 'dryRun',
    required: false,
    type: Boolean,
    description: "Not in AEP: count and sample what the job would export, writing no batch (as the body's dryRun; a disagreement is a 400).",
  })
  @ApiJson(200, EXPORT_JOB_SCHEMA, 'The job (status NEW), or the first job of the same Idempotency-Key; a dry run as it stands when it ended or the wait ran out')
  async create(
    @CurrentCaller() caller: Caller,
    @Body() dto: CreateExportJobDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Query('dryRun') dryRunQuery: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new ValidationFailed([{ path: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' }]);
    }
    const dryRun = dryRunOf(dryRunQuery, dto.dryRun);
    const job = await this.service.create(caller, dto, requestIdOf(res), idempotencyKey, dryRun);
    return presentExportJob(job);
  }

  @Get(':id')
  @ApiParam({ name: 'id', type: Number })
  @ApiOperation({ summary: 'One export job' })
  @ApiJson(200, EXPORT_JOB_SCHEMA, 'The job')
  async get(@CurrentCaller() caller: Caller, @JobId() id: number) {
    return presentExportJob(await this.service.get(caller, id));
  }

  @Delete(':id')
  @ApiParam({ name: 'id', type: Number })
  @HttpCode(204)
  @ApiOperation({ summary: 'Cancel (NEW, PROCESSING) or delete (finished) an export job' })
  @ApiNoContentResponse()
  async remove(@CurrentCaller() caller: Caller, @JobId() id: number): Promise<void> {
    await this.service.cancelOrDelete(caller, id);
  }
}
