import { Body, Controller, HttpCode, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiConsumes, ApiOperation, ApiQuery } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Caller } from '@sx/domain';
import { CurrentCaller } from '../auth/auth.decorators';
import { AepApi } from '../common/aep-api.decorator';
import { ApiJson } from '../common/openapi-schema';
import { HEX24, HEX32, PathParam } from '../common/param-decorators';
import { BATCH_ACTIONS, parseAction } from './batch-action';
import { ApiProblem } from '../catalog/catalog.openapi';
import { ACTED_BATCH_SCHEMA, ApiNoBody, CREATED_BATCH_SCHEMA } from './batch-ingestion.openapi';
import { BatchIngestionService } from './batch-ingestion.service';
import { ActionQuery } from './dto/action.query';
import { CreateBatchDto } from './dto/create-batch.dto';
import { presentActedBatch, presentCreatedBatch } from './import-batch.presenter';

export const FILE_NAME = /^(?!\.)[A-Za-z0-9._-]{1,200}$/;
export const FILE_NAME_MESSAGE = 'must be 1 to 200 of A-Z a-z 0-9 . _ - and not start with a dot';
export const BATCH_ID_MESSAGE = 'must be a batch id (32 hex characters)';
export const DATASET_ID_MESSAGE = 'must be a dataset id (24 hex characters)';

/** AEP Batch Ingestion API: create a batch, upload its files, then COMPLETE, ABORT, FAIL or REVERT it. */
@AepApi('batch ingestion')
@Controller('batches')
export class BatchIngestionController {
  constructor(private readonly ingestion: BatchIngestionService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a batch in a dataset (status loading); tags, externalId, replay and inputFormat are echoed' })
  @ApiJson(201, CREATED_BATCH_SCHEMA, 'The batch, status loading')
  async create(@CurrentCaller() caller: Caller, @Body() dto: CreateBatchDto) {
    return presentCreatedBatch(await this.ingestion.create(caller, dto));
  }

  @Put(':batchId/datasets/:datasetId/files/:fileName')
  @ApiConsumes('application/octet-stream', 'application/json', 'application/gzip')
  @ApiOperation({ summary: 'Upload a file of the batch: JSON Lines or a JSON array, gzip accepted; streamed' })
  @ApiNoBody(201, 'Stored, new to the batch; no body')
  @ApiNoBody(200, 'Stored, replacing the file of the same name; no body')
  @ApiProblem(409, 'The batch is not loading (completed, aborted, failed...)')
  async upload(
    @CurrentCaller() caller: Caller,
    @PathParam('batchId', HEX32, BATCH_ID_MESSAGE) batchId: string,
    @PathParam('datasetId', HEX24, DATASET_ID_MESSAGE) datasetId: string,
    @PathParam('fileName', FILE_NAME, FILE_NAME_MESSAGE) fileName: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    // AEP: 201 when the PUT creates the file, 200 when it replaces one.
    res.status((await this.ingestion.upload(caller, batchId, datasetId, fileName, req)) ? 201 : 200);
  }

  @Post(':batchId')
  @HttpCode(200)
  @ApiQuery({ name: 'action', enum: BATCH_ACTIONS, description: 'Matched case-insensitively' })
  @ApiOperation({
    summary:
      'COMPLETE accepts the batch (staging) for a worker to validate and promote, all or nothing (sent again: the batch as it is); ' +
      "ABORT abandons a loading batch; FAIL ends a loading batch as failed; REVERT removes a successful batch's records (inactive)",
  })
  @ApiJson(200, ACTED_BATCH_SCHEMA, 'The batch after the action (COMPLETE sent again: the batch as it is)')
  @ApiProblem(409, 'The batch is not in a state the action applies to (e.g. REVERT of a loading batch), or COMPLETE while a large file is open')
  async act(@CurrentCaller() caller: Caller, @PathParam('batchId', HEX32, BATCH_ID_MESSAGE) batchId: string, @Query() { action }: ActionQuery) {
    const run = { COMPLETE: 'complete', ABORT: 'abort', FAIL: 'fail', REVERT: 'revert' } as const;
    return presentActedBatch(await this.ingestion[run[parseAction(action, BATCH_ACTIONS)]](caller, batchId));
  }
}
