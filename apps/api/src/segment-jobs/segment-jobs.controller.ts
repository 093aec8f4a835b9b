import { Body, Controller, Delete, Get, HttpCode, Post, Query, Res, createParamDecorator } from '@nestjs/common';
import { ApiBody, ApiNoContentResponse, ApiNotFoundResponse, ApiOperation, ApiParam, ApiResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { AppConfig } from '@sx/config';
import { Caller, ValidationFailed, isUuid } from '@sx/domain';
import { CurrentCaller } from '../auth/auth.decorators';
import { AepApi } from '../common/aep-api.decorator';
import { effectiveLimit } from '../common/page-limit.query';
import { requestIdOf } from '../common/problem';
import { BulkGetSegmentJobsDto } from './dto/bulk-get-segment-jobs.dto';
import { ListSegmentJobsQuery } from './dto/list-segment-jobs.query';
import { presentSegmentJob } from './segment-job.presenter';
import { SegmentJobsService } from './segment-jobs.service';
import { ApiJson } from '../common/openapi-schema';
import { SEGMENT_JOB_BULK_SCHEMA, SEGMENT_JOB_LIST_SCHEMA, SEGMENT_JOB_SCHEMA } from './segment-job.openapi';

/** The `{id}` path parameter: a uuid, else a 400 naming it. */
const SegmentJobId = createParamDecorator((_: unknown, ctx): string => {
  const value = String(ctx.switchToHttp().getRequest<{ params: Record<string, string> }>().params.id);
  if (!isUuid(value)) throw new ValidationFailed([{ path: 'id', message: 'must be a uuid' }]);
  return value.toLowerCase();
});

const CREATE_BODY = {
  oneOf: [
    { type: 'array', maxItems: 1500, items: { type: 'object', required: ['segmentId'], properties: { segmentId: { type: 'string', format: 'uuid' } } } },
    {
      type: 'object',
      required: ['segments'],
      properties: {
        schema: { type: 'object', properties: { name: { type: 'string', example: '_xdm.context.profile' } } },
        segments: { type: 'array', items: { type: 'object', properties: { segmentId: { type: 'string', example: '*' } } } },
      },
    },
  ],
};

@AepApi('segment jobs')
@Controller('segment/jobs')
export class SegmentJobsController {
  constructor(
    private readonly service: SegmentJobsService,
    private readonly config: AppConfig,
  ) {}

  private present = (job: Parameters<typeof presentSegmentJob>[0]) => presentSegmentJob(job, this.config.BASE_PATH);

  @Get()
  @ApiOperation({ summary: 'List segment jobs (start/limit offset paging; sort creationTime:desc by default)' })
  @ApiJson(200, SEGMENT_JOB_LIST_SCHEMA, '{_page: {totalCount, pageSize}, children: [SegmentJob], _links: {next}}')
  async list(@CurrentCaller() caller: Caller, @Query() query: ListSegmentJobsQuery) {
    const limit = effectiveLimit(query.limit);
    const start = query.start ?? 0;
    const [field, direction] = (query.sort ?? 'creationTime:desc').split(':') as ['creationTime' | 'updateTime', 'asc' | 'desc'];
    const page = await this.service.list(caller, { start, limit, status: query.status, sort: { field, direction } });
    let next: Record<string, string> = {};
    if (start + page.jobs.length < page.totalCount) {
      const params = new URLSearchParams({ start: String(start + page.jobs.length), limit: String(limit) });
      if (query.status) params.set('status', query.status);
      if (query.sort) params.set('sort', query.sort);
      next = { href: `${this.config.BASE_PATH}/segment/jobs?${params.toString()}` };
    }
    return { _page: { totalCount: page.totalCount, pageSize: page.jobs.length }, children: page.jobs.map(this.present), _links: { next } };
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a segment job: evaluate the listed definitions (or "*": all of the sandbox)' })
  @ApiBody({ schema: CREATE_BODY })
  @ApiJson(200, SEGMENT_JOB_SCHEMA, 'The job (status NEW or QUEUED)')
  @ApiResponse({ status: 400, description: 'An unknown segment (segments[i].segmentId), an expression that does not parse, an inSegment cycle' })
  @ApiResponse({ status: 429, description: 'Too many segment jobs unfinished in the sandbox (SEGMENT_JOBS_MAX_ACTIVE)' })
  async create(@CurrentCaller() caller: Caller, @Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    return this.present(await this.service.create(caller, body, requestIdOf(res)));
  }

  @Post('bulk-get')
  @HttpCode(207)
  @ApiOperation({ summary: 'Several segment jobs by id; unknown ids are left out' })
  @ApiJson(207, SEGMENT_JOB_BULK_SCHEMA, '{results: {<jobId>: SegmentJob}}')
  async bulkGet(@CurrentCaller() caller: Caller, @Body() dto: BulkGetSegmentJobsDto) {
    const jobs = await this.service.bulkGet(
      caller,
      dto.ids.map((i) => i.id),
    );
    return { results: Object.fromEntries(jobs.map((j) => [j.id, this.present(j)])) };
  }

  @Get(':id')
  @ApiParam({ name: 'id', type: String, format: 'uuid' })
  @ApiOperation({ summary: 'One segment job, with progress (metrics.profilesRead) while it runs' })
  @ApiJson(200, SEGMENT_JOB_SCHEMA, 'The job')
  @ApiNotFoundResponse()
  async get(@CurrentCaller() caller: Caller, @SegmentJobId() id: string) {
    return this.present(await this.service.get(caller, id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiParam({ name: 'id', type: String, format: 'uuid' })
  @ApiOperation({ summary: 'Cancel a segment job: NEW/QUEUED end CANCELLED at once, PROCESSING goes CANCELLING then CANCELLED' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  @ApiResponse({ status: 409, description: 'The job has already ended' })
  async cancel(@CurrentCaller() caller: Caller, @SegmentJobId() id: string): Promise<void> {
    await this.service.cancel(caller, id);
  }
}
