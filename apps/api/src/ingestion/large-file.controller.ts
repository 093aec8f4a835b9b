import { Controller, Head, HttpCode, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiConsumes, ApiHeader, ApiOperation, ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Caller, NotFound } from '@sx/domain';
import { CurrentCaller } from '../auth/auth.decorators';
import { AepApi } from '../common/aep-api.decorator';
import { ApiJson } from '../common/openapi-schema';
import { HEX24, HEX32, PathParams } from '../common/param-decorators';
import { FILE_ACTIONS, parseAction } from './batch-action';
import { BATCH_ID_MESSAGE, DATASET_ID_MESSAGE, FILE_NAME, FILE_NAME_MESSAGE } from './batch-ingestion.controller';
import { ApiProblem } from '../catalog/catalog.openapi';
import { LARGE_FILE_SCHEMA } from './batch-ingestion.openapi';
import { ActionQuery } from './dto/action.query';
import { LargeFileService, LargeFileStatus } from './large-file.service';

const LargeFileParams = () =>
  PathParams({
    batchId: { pattern: HEX32, message: BATCH_ID_MESSAGE },
    datasetId: { pattern: HEX24, message: DATASET_ID_MESSAGE },
    fileName: { pattern: FILE_NAME, message: FILE_NAME_MESSAGE },
  });
type LargeFileRef = { batchId: string; datasetId: string; fileName: string };

/** AEP's large-file upload: INITIALIZE, PATCH chunks with Content-Range, COMPLETE, HEAD. */
@AepApi('batch ingestion')
@Controller('batches/:batchId/datasets/:datasetId/files/:fileName')
export class LargeFileController {
  constructor(private readonly largeFiles: LargeFileService) {}

  @Post()
  @HttpCode(201)
  @ApiQuery({ name: 'action', enum: FILE_ACTIONS, description: 'Matched case-insensitively' })
  @ApiOperation({ summary: 'INITIALIZE a large file, or COMPLETE it once its chunks cover it with no gap or overlap (400 naming the bytes otherwise)' })
  @ApiJson(201, LARGE_FILE_SCHEMA, '{name, sizeInBytes}: 0 after INITIALIZE (or what was received, when sent again), the whole size after COMPLETE')
  @ApiProblem(409, 'The batch stopped loading, or the chunks changed during COMPLETE (send it again)')
  async act(@CurrentCaller() caller: Caller, @LargeFileParams() { batchId, datasetId, fileName: name }: LargeFileRef, @Query() { action }: ActionQuery): Promise<LargeFileStatus> {
    const file = { batchId, datasetId, name };
    return parseAction(action, FILE_ACTIONS) === 'INITIALIZE' ? this.largeFiles.initialize(caller, file) : this.largeFiles.complete(caller, file);
  }

  @Patch()
  @HttpCode(200)
  @ApiConsumes('application/octet-stream')
  @ApiHeader({ name: 'Content-Range', required: true, description: 'bytes {start}-{end} or bytes {start}-{end}/{total} (both ends included)' })
  @ApiOperation({ summary: 'One chunk of a large file, in any order; streamed to storage' })
  @ApiJson(200, LARGE_FILE_SCHEMA, '{name, sizeInBytes}: the bytes received so far')
  @ApiProblem(409, 'The batch stopped loading')
  async chunk(@CurrentCaller() caller: Caller, @LargeFileParams() { batchId, datasetId, fileName: name }: LargeFileRef, @Req() req: Request): Promise<LargeFileStatus> {
    const headers = { contentRange: req.headers['content-range'], contentLength: req.headers['content-length'] };
    return this.largeFiles.chunk(caller, { batchId, datasetId, name }, headers, req);
  }

  @Head()
  @ApiOperation({ summary: 'Content-Length: the bytes received so far of a large file, or the size of an uploaded file; 404 when neither' })
  @ApiResponse({ status: 200, description: 'Content-Length: the bytes received so far, or the size of the uploaded file; no body' })
  async head(@CurrentCaller() caller: Caller, @LargeFileParams() { batchId, datasetId, fileName: name }: LargeFileRef, @Res() res: Response): Promise<void> {
    const size = await this.largeFiles.size(caller, { batchId, datasetId, name });
    if (size === undefined) throw new NotFound(`File ${name} of batch ${batchId} does not exist.`);
    res.status(200).setHeader('Content-Length', String(size));
    res.end();
  }
}
