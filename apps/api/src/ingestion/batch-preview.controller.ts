import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { Caller } from '@sx/domain';
import { CurrentCaller } from '../auth/auth.decorators';
import { AepApi } from '../common/aep-api.decorator';
import { ApiJson } from '../common/openapi-schema';
import { HEX24, HEX32, PathParam } from '../common/param-decorators';
import { ApiProblem } from '../catalog/catalog.openapi';
import { BATCH_PREVIEW_SCHEMA } from './batch-ingestion.openapi';
import { BATCH_ID_MESSAGE, DATASET_ID_MESSAGE } from './batch-ingestion.controller';
import { BatchPreviewService } from './batch-preview.service';
import { BatchPreviewQuery } from './dto/batch-preview.query';

/** AEP's preview of a batch's uploaded files (loading or later), before or after ingestion. */
@AepApi('batch ingestion')
@Controller('batches')
export class BatchPreviewController {
  constructor(private readonly previews: BatchPreviewService) {}

  @Get(':batchId/datasets/:datasetId/preview')
  @ApiOperation({ summary: "The first records of the batch's files as a table: top-level fields as columns, values as strings (json only)" })
  @ApiJson(200, BATCH_PREVIEW_SCHEMA, '{formatParams, preview: {columns: [{cid, name}], rows: [{<cid>: string}]}}')
  @ApiProblem(404, 'No such batch or dataset in this sandbox, or the batch is not of that dataset')
  async preview(
    @CurrentCaller() caller: Caller,
    @PathParam('batchId', HEX32, BATCH_ID_MESSAGE) batchId: string,
    @PathParam('datasetId', HEX24, DATASET_ID_MESSAGE) datasetId: string,
    @Query() query: BatchPreviewQuery,
  ) {
    return this.previews.preview(caller, batchId, datasetId, query);
  }
}
