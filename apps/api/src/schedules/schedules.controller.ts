import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, createParamDecorator } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiResponse } from '@nestjs/swagger';
import { AppConfig } from '@sx/config';
import { Caller, ValidationFailed, isUuid } from '@sx/domain';
import { CurrentCaller } from '../auth/auth.decorators';
import { AepApi } from '../common/aep-api.decorator';
import { ApiJson, ApiNoBody } from '../common/openapi-schema';
import { MAX_PAGE_SIZE } from '../common/page-limit.query';
import { CreateScheduleDto } from './dto/create-schedule.dto';
import { DEFAULT_SCHEDULE_PAGE, ListSchedulesQuery } from './dto/list-schedules.query';
import { SCHEDULE_LIST_SCHEMA, SCHEDULE_SCHEMA, presentSchedule } from './schedule.presenter';
import { SchedulesService } from './schedules.service';

/** The `{id}` path parameter: a uuid, else a 400 naming it. */
const ScheduleId = createParamDecorator((_: unknown, ctx): string => {
  const value = String(ctx.switchToHttp().getRequest<{ params: Record<string, string> }>().params.id);
  if (!isUuid(value)) throw new ValidationFailed([{ path: 'id', message: 'must be a uuid' }]);
  return value.toLowerCase();
});

const PATCH_BODY = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    required: ['op', 'path', 'value'],
    properties: {
      op: { type: 'string', enum: ['add'] },
      path: { type: 'string', enum: ['/state', '/schedule', '/name', '/properties/segments', '/properties/exportJob'] },
      value: { description: '"active"/"inactive" for /state, a Quartz cron for /schedule, as at POST for the others' },
    },
  },
  example: [{ op: 'add', path: '/state', value: 'active' }],
};

/** AEP's schedules (`/config/schedules`): batch segmentation, and (ours) exports, on a Quartz cron. */
@AepApi('schedules')
@Controller('config/schedules')
export class SchedulesController {
  constructor(
    private readonly service: SchedulesService,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: "The sandbox's schedules, oldest first (start/limit offset paging, default limit 100)" })
  @ApiJson(200, SCHEDULE_LIST_SCHEMA, '{_page: {totalCount, pageSize, next?}, children: [Schedule], _links: {next}}')
  async list(@CurrentCaller() caller: Caller, @Query() query: ListSchedulesQuery) {
    const start = query.start ?? 0;
    const limit = Math.min(query.limit ?? DEFAULT_SCHEDULE_PAGE, MAX_PAGE_SIZE);
    const page = await this.service.list(caller, start, limit);
    const nextStart = start + page.schedules.length;
    const more = page.schedules.length > 0 && nextStart < page.totalCount;
    return {
      _page: { totalCount: page.totalCount, pageSize: page.schedules.length, ...(more ? { next: String(nextStart) } : {}) },
      children: page.schedules.map(presentSchedule),
      _links: more ? { next: { href: `${this.config.BASE_PATH}/config/schedules?start=${nextStart}&limit=${limit}` } } : {},
    };
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a schedule (state inactive unless asked; a missing schedule is daily at 01:00 UTC)' })
  @ApiJson(200, SCHEDULE_SCHEMA, 'The schedule')
  async create(@CurrentCaller() caller: Caller, @Body() dto: CreateScheduleDto) {
    return presentSchedule(await this.service.create(caller, dto));
  }

  @Get(':id')
  @ApiParam({ name: 'id', type: String, format: 'uuid' })
  @ApiOperation({ summary: 'One schedule' })
  @ApiJson(200, SCHEDULE_SCHEMA, 'The schedule')
  async get(@CurrentCaller() caller: Caller, @ScheduleId() id: string) {
    return presentSchedule(await this.service.get(caller, id));
  }

  @Patch(':id')
  @HttpCode(204)
  @ApiParam({ name: 'id', type: String, format: 'uuid' })
  @ApiOperation({ summary: 'Update a schedule: JSON Patch [{"op": "add", "path": "/state" | "/schedule", "value": …}]' })
  @ApiBody({ schema: PATCH_BODY })
  @ApiNoBody(204, 'Updated')
  @ApiResponse({ status: 400, description: 'A bad op, path or value (named `[i].op`, `[i].path`, `[i].value`)' })
  async patch(@CurrentCaller() caller: Caller, @ScheduleId() id: string, @Body() body: unknown): Promise<void> {
    await this.service.patch(caller, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiParam({ name: 'id', type: String, format: 'uuid' })
  @ApiOperation({ summary: 'Delete a schedule (the jobs its runs created stay)' })
  @ApiNoBody(204, 'Deleted')
  async delete(@CurrentCaller() caller: Caller, @ScheduleId() id: string): Promise<void> {
    await this.service.delete(caller, id);
  }
}
