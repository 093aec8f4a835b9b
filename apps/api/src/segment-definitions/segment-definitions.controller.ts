import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, createParamDecorator } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { Caller, ValidationFailed, isUuid } from '@sx/domain';
import { CurrentCaller } from '../auth/auth.decorators';
import { AepApi } from '../common/aep-api.decorator';
import { BulkGetDto } from '../common/bulk-get.dto';
import { definitionListRequest } from './definition-listing';
import { CreateSegmentDefinitionDto } from './dto/create-segment-definition.dto';
import { ListSegmentDefinitionsQuery } from './dto/list-segment-definitions.query';
import { presentSegmentDefinition, presentSegmentDefinitionPage } from './segment-definition.presenter';
import { SegmentDefinitionsService } from './segment-definitions.service';
import { ApiJson, ApiNoBody } from '../common/openapi-schema';
import { SEGMENT_DEFINITION_BULK_SCHEMA, SEGMENT_DEFINITION_LIST_SCHEMA, SEGMENT_DEFINITION_SCHEMA } from './segment-definition.openapi';

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

const EXPRESSION_400 = 'A field is wrong; an expression that does not parse, is not built, names an unknown segment or closes a cycle is a problem under expression.value';

@AepApi('segment definitions')
@Controller('segment/definitions')
export class SegmentDefinitionsController {
  constructor(private readonly service: SegmentDefinitionsService) {}

  @Get()
  @ApiOperation({ summary: 'List segment definitions, newest first unless sorted (offset paging: start, or page × limit; default limit 100)' })
  @ApiJson(200, SEGMENT_DEFINITION_LIST_SCHEMA, '{segments, page: {totalCount, totalPages, sortField, sort, pageSize, limit}, link: {next?}}')
  async list(@CurrentCaller() caller: Caller, @Query() query: ListSegmentDefinitionsQuery) {
    const request = definitionListRequest(query);
    const listing = { skip: request.page.first, limit: request.page.limit, sort: request.page.sort };
    return presentSegmentDefinitionPage(await this.service.list(caller, listing, request.matchesFlags), request.page);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a segment definition (its PQL expression is parsed and checked, inSegment references included)' })
  @ApiJson(200, SEGMENT_DEFINITION_SCHEMA, 'The segment definition')
  @ApiBadRequestResponse({ description: EXPRESSION_400 })
  async create(@CurrentCaller() caller: Caller, @Body() dto: CreateSegmentDefinitionDto) {
    return presentSegmentDefinition(await this.service.create(caller, dto));
  }

  // Before ':id' routes only for readability: POST has no ':id' route, so nothing can shadow it.
  @Post('bulk-get')
  @HttpCode(207)
  @ApiOperation({ summary: 'Several segment definitions by id: {ids: [{id}]}; ids that name none are left out of results' })
  @ApiJson(207, SEGMENT_DEFINITION_BULK_SCHEMA, '{results: {<id>: SegmentDefinition}}')
  @ApiBadRequestResponse({ description: 'ids missing, empty, over 1000, or an id that is not a uuid (ids[i].id)' })
  async bulkGet(@CurrentCaller() caller: Caller, @Body() dto: BulkGetDto) {
    const found = await this.service.bulkGet(
      caller,
      dto.ids.map((entry) => entry.id),
    );
    return { results: Object.fromEntries(found.map((definition) => [definition.id, presentSegmentDefinition(definition)])) };
  }

  @Get(':id')
  @ApiParam({ name: 'id', type: String, format: 'uuid' })
  @ApiOperation({ summary: 'One segment definition' })
  @ApiJson(200, SEGMENT_DEFINITION_SCHEMA, 'The segment definition')
  @ApiNotFoundResponse()
  async get(@CurrentCaller() caller: Caller, @SegmentDefinitionId() id: string) {
    return presentSegmentDefinition(await this.service.get(caller, id));
  }

  @Patch(':id')
  @ApiParam({ name: 'id', type: String, format: 'uuid' })
  @ApiOperation({ summary: 'Overwrite a segment definition (AEP: the whole object, not JSON Patch; what is left out is lost, an omitted mergePolicyId keeps the stored one)' })
  @ApiJson(200, SEGMENT_DEFINITION_SCHEMA, 'The updated segment definition')
  @ApiBadRequestResponse({ description: EXPRESSION_400 })
  @ApiNotFoundResponse()
  async replace(@CurrentCaller() caller: Caller, @SegmentDefinitionId() id: string, @Body() dto: CreateSegmentDefinitionDto) {
    return presentSegmentDefinition(await this.service.replace(caller, id, dto));
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiParam({ name: 'id', type: String, format: 'uuid' })
  @ApiOperation({ summary: 'Delete a segment definition (AEP: 200 with no body)' })
  @ApiNoBody(200, 'Deleted; no body')
  @ApiNotFoundResponse()
  async remove(@CurrentCaller() caller: Caller, @SegmentDefinitionId() id: string): Promise<void> {
    await this.service.delete(caller, id);
  }
}
