import { Body, Controller, Delete, Get, HttpCode, Post, Query, createParamDecorator } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { Caller, ValidationFailed, isUuid } from '@sx/domain';
import { CurrentCaller } from '../auth/auth.decorators';
import { effectiveLimit } from '../common/page-limit.query';
import { AepApi } from '../common/aep-api.decorator';
import { CreateSegmentDefinitionDto } from './dto/create-segment-definition.dto';
import { ListSegmentDefinitionsQuery } from './dto/list-segment-definitions.query';
import { presentSegmentDefinition, presentSegmentDefinitionPage } from './segment-definition.presenter';
import { SegmentDefinitionsService } from './segment-definitions.service';

/**
 * The `{id}` path parameter: a uuid, else a 400 naming the parameter. A custom decorator, not a
 * pipe, as for export job ids: it sees the raw path text, whatever the global ValidationPipe does
 * to parameters. Returned lower-case, as Postgres stores uuids.
 */
const SegmentDefinitionId = createParamDecorator((_: unknown, ctx): string => {
  const value = String(ctx.switchToHttp().getRequest<{ params: Record<string, string> }>().params.id);
  if (!isUuid(value)) throw new ValidationFailed([{ path: 'id', message: 'must be a uuid' }]);
  return value.toLowerCase();
});

@AepApi('segment definitions')
@Controller('segment/definitions')
export class SegmentDefinitionsController {
  constructor(private readonly service: SegmentDefinitionsService) {}

  @Get()
  @ApiOperation({ summary: 'List segment definitions, newest first (page numbers from 0)' })
  @ApiOkResponse({ description: '{segments, page: {totalCount, totalPages, sortField, sort, pageSize, limit}, link: {next}}' })
  async list(@CurrentCaller() caller: Caller, @Query() query: ListSegmentDefinitionsQuery) {
    const limit = effectiveLimit(query.limit);
    const page = query.page ?? 0;
    return presentSegmentDefinitionPage(await this.service.list(caller, { page, limit }), page, limit);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a segment definition (its PQL expression is parsed and checked, inSegment references included)' })
  @ApiOkResponse({ description: 'The segment definition' })
  @ApiBadRequestResponse({ description: 'A field is wrong; an expression that does not parse, is not built, names an unknown segment or closes a cycle is a problem under expression.value' })
  async create(@CurrentCaller() caller: Caller, @Body() dto: CreateSegmentDefinitionDto) {
    return presentSegmentDefinition(await this.service.create(caller, dto));
  }

  @Get(':id')
  @ApiParam({ name: 'id', type: String, format: 'uuid' })
  @ApiOperation({ summary: 'One segment definition' })
  @ApiOkResponse({ description: 'The segment definition' })
  @ApiNotFoundResponse()
  async get(@CurrentCaller() caller: Caller, @SegmentDefinitionId() id: string) {
    return presentSegmentDefinition(await this.service.get(caller, id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiParam({ name: 'id', type: String, format: 'uuid' })
  @ApiOperation({ summary: 'Delete a segment definition' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async remove(@CurrentCaller() caller: Caller, @SegmentDefinitionId() id: string): Promise<void> {
    await this.service.delete(caller, id);
  }
}
