import { Body, Controller, HttpCode, Post, Put, Query, Req } from '@nestjs/common';
import {  ApiConsumes, ApiOperation, ApiQuery } from '@nestjs/swagger';
import type { Request } from 'express';
import { Caller, ValidationFailed } from '@sx/domain';
import { CurrentCaller } from '../auth/auth.decorators';
import { AepApi } from '../common/aep-api.decorator';
import { presentBatch, presentImportBatch } from '../catalog/catalog.presenter';
import { HEX24, HEX32, PathParam } from '../common/param-decorators';
import { BatchIngestionService } from './batch-ingestion.service';
import { CreateBatchDto } from './dto/create-batch.dto';

const FILE_NAME = /^(?!\.)[A-Za-z0-9._-]{1,200}$/;

/** AEP Batch Ingestion API: create a batch, upload its files, complete or abort it. */
@AepApi('batch ingestion')
@Controller('batches')
export class BatchIngestionController {
  constructor(private readonly ingestion: BatchIngestionService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a batch in a dataset (status loading)' })
  async create(@CurrentCaller() caller: Caller, @Body() dto: CreateBatchDto) {
    return presentImportBatch(await this.ingestion.create(caller, dto.datasetId));
  }

  @Put(':batchId/datasets/:datasetId/files/:fileName')
  @HttpCode(200)
  @ApiConsumes('application/octet-stream', 'application/json', 'application/gzip')
  @ApiOperation({ summary: 'Upload a file of the batch: JSON Lines or a JSON array, gzip accepted; streamed' })
  async upload(
    @CurrentCaller() caller: Caller,
    @PathParam('batchId', HEX32, 'must be a batch id (32 hex characters)') batchId: string,
    @PathParam('datasetId', HEX24, 'must be a dataset id (24 hex characters)') datasetId: string,
    @PathParam('fileName', FILE_NAME, 'must be 1 to 200 of A-Z a-z 0-9 . _ - and not start with a dot') fileName: string,
    @Req() req: Request,
  ): Promise<void> {
    await this.ingestion.upload(caller, batchId, datasetId, fileName, req);
  }

  @Post(':batchId')
  @HttpCode(200)
  @ApiQuery({ name: 'action', enum: ['COMPLETE', 'ABORT'] })
  @ApiOperation({ summary: 'COMPLETE accepts the batch (staging) for a worker to validate and promote, all or nothing; ABORT abandons a loading batch' })
  async act(
    @CurrentCaller() caller: Caller,
    @PathParam('batchId', HEX32, 'must be a batch id (32 hex characters)') batchId: string,
    @Query('action') action: unknown,
  ) {
    if (action === 'COMPLETE') return presentBatch(await this.ingestion.complete(caller, batchId));
    if (action === 'ABORT') return presentBatch(await this.ingestion.abort(caller, batchId));
    throw new ValidationFailed([{ path: 'action', message: 'must be COMPLETE or ABORT' }]);
  }
}
