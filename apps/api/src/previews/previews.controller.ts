import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { AppConfig } from '@sx/config';
import { Caller } from '@sx/domain';
import { CurrentCaller } from '../auth/auth.decorators';
import { AepApi } from '../common/aep-api.decorator';
import { CreatePreviewDto } from './dto/create-preview.dto';
import { PREVIEW_PAGE_DEFAULT, PreviewPageQuery } from './dto/preview-page.query';
import { presentCreatedPreview, presentEstimate, presentPreviewPage } from './preview.presenter';
import { PreviewsService } from './previews.service';
import { ApiJson } from '../common/openapi-schema';
import { CREATED_PREVIEW_SCHEMA, ESTIMATE_SCHEMA, KILLED_PREVIEW_SCHEMA, PREVIEW_PAGE_SCHEMA } from './preview.openapi';

@AepApi('previews and estimates')
@Controller()
export class PreviewsController {
  constructor(
    private readonly config: AppConfig,
    private readonly service: PreviewsService,
  ) {}

  @Post('preview')
  @HttpCode(201)
  @ApiOperation({ summary: "Evaluate a PQL expression over the sandbox's profiles without writing anything (a preview and its estimate, same id)" })
  @ApiJson(201, CREATED_PREVIEW_SCHEMA, '{state, previewQueryId, previewQueryStatus, previewId, previewExecutionId}')
  @ApiBadRequestResponse({ description: 'A field is wrong; an expression that does not parse or names an unknown segment is a problem under predicateExpression' })
  async create(@CurrentCaller() caller: Caller, @Body() dto: CreatePreviewDto) {
    return presentCreatedPreview(await this.service.create(caller, dto));
  }

  @Get('preview/:previewId')
  @ApiParam({ name: 'previewId', type: String })
  @ApiOperation({ summary: 'A page of the matching profiles, in profile key order' })
  @ApiJson(200, PREVIEW_PAGE_SCHEMA, '{results: [{<entityId>: {_href, endCustomerIds}}], state, links: {_self, next, prev}, page: {offset, size}}')
  @ApiNotFoundResponse()
  async page(@CurrentCaller() caller: Caller, @Param('previewId') previewId: string, @Query() query: PreviewPageQuery) {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? PREVIEW_PAGE_DEFAULT;
    const { preview, matches } = await this.service.page(caller, previewId, offset, limit);
    return presentPreviewPage(this.config.BASE_PATH, preview, matches, offset, limit);
  }

  @Delete('preview/:previewId')
  @HttpCode(200)
  @ApiParam({ name: 'previewId', type: String })
  @ApiOperation({ summary: 'Stop and remove a preview (and its estimate)' })
  @ApiJson(200, KILLED_PREVIEW_SCHEMA, '{status: true, message: "KILLED"}')
  @ApiNotFoundResponse()
  async remove(@CurrentCaller() caller: Caller, @Param('previewId') previewId: string) {
    await this.service.delete(caller, previewId);
    return { status: true, message: 'KILLED' };
  }

  @Get('estimate/:previewId')
  @ApiParam({ name: 'previewId', type: String })
  @ApiOperation({ summary: 'The estimate of a preview: counts so far (profilesReadSoFar rises while it runs), then the exact count and its namespace distribution' })
  @ApiJson(200, ESTIMATE_SCHEMA, "AEP's estimate body")
  @ApiNotFoundResponse()
  async estimate(@CurrentCaller() caller: Caller, @Param('previewId') previewId: string) {
    return presentEstimate(this.config.BASE_PATH, await this.service.get(caller, previewId));
  }
}
