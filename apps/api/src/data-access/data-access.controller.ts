import { Controller, Get, Head, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { BatchFile, Caller, NotFound, ValidationFailed } from '@sx/domain';
import { BatchRepository } from '@sx/persistence';
import { DatasetStorage } from '@sx/storage';
import { CurrentCaller } from '../auth/auth.decorators';
import { AepApi } from '../common/aep-api.decorator';
import { ApiJson } from '../common/openapi-schema';
import { DATA_ACCESS_PATH } from '../common/paths';
import { HEX24, HEX32, PathParam } from '../common/param-decorators';
import {
  ApiFileHead,
  DownloadRoute,
  BATCH_FILES_SCHEMA,
  BATCH_MANIFEST_SCHEMA,
  DATASET_PREVIEW_SCHEMA,
  DIRECTORY_LISTING_SCHEMA,
  FILE_LISTING_SCHEMA,
  ROW_ERRORS_SAMPLE_SCHEMA,
} from './data-access.openapi';
import { DataAccessService, ListedItem, PAGE_SIZE, pageOf } from './data-access.service';
import { headFile, sendFile, sendText } from './file-response';
import { parseQueryBoolean } from '../common/query-boolean';

const FILE_ID = /^[0-9a-f]{32}-[0-9a-f]{12}$/;
const FILE_ID_MESSAGE = 'must be a dataSetFileId as listed by /batches/{batchId}/files';
const BATCH_ID_MESSAGE = 'must be a batch id (32 hex characters)';

const listing = (data: ListedItem[]) => ({ data, _page: { limit: PAGE_SIZE, count: data.length } });
/** A query value as the client sent it: a string as is, an array or object (`?path[]=a`) as JSON. */
const shown = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * AEP Data Access API: the files of a successful batch, listed and downloaded (byte ranges
 * included), a failed batch's files, a batch's meta directory, a dataset's first rows. Files of a
 * batch that is loading, failed, aborted or reverted are not among a batch's files.
 */
@AepApi('data access')
@Controller()
export class DataAccessController {
  constructor(
    private readonly access: DataAccessService,
    private readonly batches: BatchRepository,
    private readonly storage: DatasetStorage,
  ) {}

  @Get('batches/:batchId/files')
  @ApiQuery({ name: 'start', required: false, description: '0-based offset' })
  @ApiQuery({ name: 'limit', required: false, description: `default and maximum ${PAGE_SIZE}` })
  @ApiQuery({
    name: 'withManifest',
    required: false,
    description: "Not in AEP: true lists an export batch's _manifest.json too (left out by default: AEP clients read every listed file as data)",
  })
  @ApiOperation({ summary: 'The files of a successful batch (created, updated, records and size as strings, as AEP)' })
  @ApiJson(200, BATCH_FILES_SCHEMA, '{data: [file], _page: {limit, count}, _links: {next?, page}}')
  async batchFiles(
    @CurrentCaller() caller: Caller,
    @PathParam('batchId', HEX32, BATCH_ID_MESSAGE) batchId: string,
    @Query('start') start: unknown,
    @Query('limit') limit: unknown,
    @Query('withManifest') withManifest: unknown,
  ) {
    const page = pageOf(start, limit);
    const manifest = withManifest === undefined ? false : parseQueryBoolean(withManifest);
    if (manifest === undefined) throw new ValidationFailed([{ path: 'withManifest', message: 'must be true or false' }]);
    const { batch, files, total } = await this.access.batchFiles(caller, batchId, page, manifest);
    const at = (s: number) => `${DATA_ACCESS_PATH}/batches/${batchId}/files?start=${s}&limit=${page.limit}${manifest ? '&withManifest=true' : ''}`;
    const links: Record<string, unknown> = {};
    if (page.start + files.length < total) links.next = { href: at(page.start + page.limit) };
    links.page = { href: at(page.start), templated: true };
    return { data: files.map((f) => fileEntry(f, batch.datasetId)), _page: { limit: page.limit, count: files.length }, _links: links };
  }

  @Get('batches/:batchId/manifest')
  @ApiOperation({
    summary:
      "Not in AEP: the _manifest.json of a successful export batch (files with rows, bytes and sha256; counts; the job's options; its snapshot). " +
      'Registered with the batch but not in its /files listing, which AEP clients read as data files.',
  })
  @ApiJson(200, BATCH_MANIFEST_SCHEMA, 'the manifest (README "Verified output")')
  async manifest(@CurrentCaller() caller: Caller, @PathParam('batchId', HEX32, BATCH_ID_MESSAGE) batchId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const file = await this.access.manifest(caller, batchId);
    await sendFile(req, res, this.storage, { ...file, contentType: 'application/json' });
  }

  @DownloadRoute('batches/:batchId/failed', {
    path: 'A failed file to download; without it, the listing',
    summary:
      'The files of a failed batch (it failed as a whole: none of their records was ingested), or of a partially ingested one ' +
      'the refused rows ({file}.failed.jsonl); with ?path= its bytes',
    json: DIRECTORY_LISTING_SCHEMA,
    description:
      'Without path: {data: [{name, length, _links}], _page, _links}. With path: the file as it was uploaded, or the refused rows as JSON Lines {file, line, code, description, record?}.',
  })
  async failed(
    @CurrentCaller() caller: Caller,
    @PathParam('batchId', HEX32, BATCH_ID_MESSAGE) batchId: string,
    @Query('path') path: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (path !== undefined) return sendFile(req, res, this.storage, await this.access.failedFile(caller, batchId, path));
    const href = (name: string) => `${DATA_ACCESS_PATH}/batches/${batchId}/failed?path=${encodeURIComponent(name)}`;
    const files = await this.access.failedFiles(caller, batchId);
    res.json({ ...listing(files.map((f) => ({ name: f.name, length: String(f.sizeBytes), _links: { self: { href: href(f.name) } } }))), _links: {} });
  }

  @DownloadRoute('batches/:batchId/meta', {
    path: 'row_errors, row_errors/{file}, input_files, input_files/{file} or row_errors_sample.json',
    summary: "The batch's meta directory: input_files, row_errors (JSON Lines per file), row_errors_sample.json",
    json: { oneOf: [DIRECTORY_LISTING_SCHEMA, ROW_ERRORS_SAMPLE_SCHEMA] },
    description:
      'A directory (no path, row_errors, input_files): its listing. row_errors_sample.json: the errors as JSON. row_errors/{file} (JSON Lines) or input_files/{file}: its bytes.',
    jsonParts: true,
  })
  async meta(
    @CurrentCaller() caller: Caller,
    @PathParam('batchId', HEX32, BATCH_ID_MESSAGE) batchId: string,
    @Query('path') path: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const item = await this.access.meta(caller, batchId, path);
    if (item.kind === 'listing') return void res.json({ ...listing(item.items), _links: {} });
    if (item.kind === 'text') return sendText(req, res, item.name, item.text, item.contentType);
    return sendFile(req, res, this.storage, item.file);
  }

  // Declared before the GET: Express lets a GET route answer HEAD requests when it comes first.
  @Head('files/:fileId')
  @ApiQuery({ name: 'path', required: true, description: 'The file name, as listed' })
  @ApiOperation({ summary: "A dataset file's Content-Length, Content-Type and Accept-Ranges, without its bytes" })
  @ApiFileHead()
  async headOfFile(
    @CurrentCaller() caller: Caller,
    @PathParam('fileId', FILE_ID, FILE_ID_MESSAGE) fileId: string,
    @Query('path') path: unknown,
    @Res() res: Response,
  ): Promise<void> {
    if (path === undefined) throw new ValidationFailed([{ path: 'path', message: 'is required: the file name, as listed by GET /files/{id}' }]);
    const file = await this.visibleFile(caller, fileId);
    if (path !== file.name) throw new NotFound(`File ${fileId} has no part named "${shown(path)}".`);
    headFile(res, file);
  }

  @DownloadRoute('files/:fileId', {
    path: 'The file name to download; without it, the listing',
    summary: 'A dataset file: its listing, or with ?path= its bytes (streamed, Accept-Ranges: bytes, one Range served with 206)',
    json: FILE_LISTING_SCHEMA,
    description: 'Without path: {data: [{name, length, _links}], _page}. With path: the whole file.',
  })
  async file(
    @CurrentCaller() caller: Caller,
    @PathParam('fileId', FILE_ID, FILE_ID_MESSAGE) fileId: string,
    @Query('path') path: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const file = await this.visibleFile(caller, fileId);
    if (path === undefined) {
      const href = `${DATA_ACCESS_PATH}/files/${file.id}?path=${encodeURIComponent(file.name)}`;
      res.json(listing([{ name: file.name, length: String(file.sizeBytes), _links: { self: { href } } }]));
      return;
    }
    if (path !== file.name) throw new NotFound(`File ${fileId} has no part named "${shown(path)}".`);
    await sendFile(req, res, this.storage, file);
  }

  @Get('datasets/:datasetId/preview')
  @ApiOperation({ summary: "A dataset's first 100 rows as stored: {data: [...]}" })
  @ApiJson(200, DATASET_PREVIEW_SCHEMA, '{data: [record, ...]}')
  async preview(
    @CurrentCaller() caller: Caller,
    @PathParam('datasetId', HEX24, 'must be a dataset id (24 hex characters)') datasetId: string,
    @Res() res: Response,
  ): Promise<void> {
    const rows = await this.access.preview(caller, datasetId);
    // The stored texts as they are: key order kept, nothing parsed and printed again.
    res
      .status(200)
      .type('application/json')
      .send(`{"data":[${rows.join(',')}]}`);
  }

  private async visibleFile(caller: Caller, fileId: string): Promise<BatchFile> {
    const file = await this.batches.visibleFile(caller, fileId);
    if (!file) throw new NotFound(`File ${fileId} does not exist.`);
    return file;
  }
}

/** A batch file entry as AEP lists it: created, updated, records and size are strings. */
function fileEntry(f: BatchFile, datasetId: string): Record<string, unknown> {
  const at = String(f.createdAt.getTime());
  const entry: Record<string, unknown> = { dataSetFileId: f.id, dataSetViewId: datasetId, version: '1.0.0', created: at, updated: at };
  if (f.records !== undefined) entry.records = String(f.records);
  entry.size = String(f.sizeBytes);
  entry.isValid = true;
  entry._links = { self: { href: `${DATA_ACCESS_PATH}/files/${f.id}` } };
  return entry;
}
