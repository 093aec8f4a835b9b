import { Controller, Get, Query, Res } from '@nestjs/common';
import {  ApiOperation, ApiQuery } from '@nestjs/swagger';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { Caller, NotFound } from '@sx/domain';
import { BatchRepository } from '@sx/persistence';
import { DatasetStorage } from '@sx/storage';
import { CurrentCaller } from '../auth/auth.decorators';
import { AepApi } from '../common/aep-api.decorator';
import { DATA_ACCESS_PATH } from '../common/paths';
import { HEX32, PathParam } from '../common/param-decorators';

const FILE_ID = /^[0-9a-f]{32}-[0-9a-f]{12}$/;

const CONTENT_TYPES: Array<[RegExp, string]> = [
  [/\.parquet$/, 'application/vnd.apache.parquet'],
  [/\.(jsonl|ndjson)$/, 'application/x-ndjson'],
  [/\.gz$/, 'application/gzip'],
];

/**
 * AEP Data Access API: the files of a successful batch, listed and downloaded. Files of a batch
 * that is loading, failed or aborted do not exist here (batches commit atomically).
 */
@AepApi('data access')
@Controller()
export class DataAccessController {
  constructor(
    private readonly batches: BatchRepository,
    private readonly storage: DatasetStorage,
  ) {}

  @Get('batches/:batchId/files')
  @ApiOperation({ summary: 'The files of a successful batch' })
  async batchFiles(@CurrentCaller() caller: Caller, @PathParam('batchId', HEX32, 'must be a batch id (32 hex characters)') batchId: string) {
    const batch = await this.batches.findById(caller, batchId);
    if (!batch) throw new NotFound(`Batch ${batchId} does not exist.`);
    const files = batch.status === 'success' ? await this.batches.files(caller, batchId) : [];
    return {
      data: files.map((f) => ({ dataSetFileId: f.id, dataSetViewId: batch.datasetId, version: '1.0.0', created: String(f.createdAt.getTime()), updated: String(f.createdAt.getTime()), isValid: true, _links: { self: { href: `${DATA_ACCESS_PATH}/files/${f.id}` } } })),
      _page: { limit: files.length, count: files.length },
    };
  }

  @Get('files/:fileId')
  @ApiQuery({ name: 'path', required: false, description: 'The file name to download; without it, the listing' })
  @ApiOperation({ summary: 'A dataset file: its listing, or with ?path= its bytes (streamed, with Content-Length)' })
  async file(
    @CurrentCaller() caller: Caller,
    @PathParam('fileId', FILE_ID, 'must be a dataSetFileId as listed by /batches/{batchId}/files') fileId: string,
    @Query('path') path: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const file = await this.batches.visibleFile(caller, fileId);
    if (!file) throw new NotFound(`File ${fileId} does not exist.`);
    if (path === undefined) {
      res.json({
        data: [{ name: file.name, length: String(file.sizeBytes), _links: { self: { href: `${DATA_ACCESS_PATH}/files/${file.id}?path=${encodeURIComponent(file.name)}` } } }],
        _page: { limit: 1, count: 1 },
      });
      return;
    }
    if (path !== file.name) throw new NotFound(`File ${fileId} has no part named "${String(path)}".`);
    const body = await this.storage.read(file.storageKey);
    res.status(200);
    res.setHeader('Content-Type', CONTENT_TYPES.find(([re]) => re.test(file.name))?.[1] ?? 'application/octet-stream');
    res.setHeader('Content-Length', String(file.sizeBytes));
    res.setHeader('Content-Disposition', `attachment; filename="${file.name.replace(/"/g, '')}"`);
    res.setHeader('ETag', `"${file.sha256}"`);
    await pipeline(body, res);
  }
}
