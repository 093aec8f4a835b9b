import { applyDecorators, Get } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { BUCKET_COUNTS_SCHEMA } from '../export-jobs/diff/export-diff.openapi';
import { Schema, S } from '../common/openapi-schema';
import { FILE_CONTENT_TYPES } from './file-response';

/** Response schemas of the Data Access operations, as data-access.controller.ts builds the bodies. */

const DIGITS = '^\\d+$';
const self = S.obj({ self: S.obj({ href: S.str() }, ['href']) }, ['self']);
const page = S.obj({ limit: S.int({ minimum: 1, maximum: 100 }), count: S.int({ minimum: 0 }) }, ['limit', 'count'], { additionalProperties: false });

/** An entry of a `/failed`, `/meta` or single-file listing: `length` is a string, as AEP sends it. */
const LISTED_ITEM = S.obj({ name: S.str(), length: S.str({ pattern: DIGITS, description: 'bytes, as a string' }), _links: self }, ['name', 'length', '_links'], {
  additionalProperties: false,
});

/** GET /files/{id} without `path`: the file's one part. */
export const FILE_LISTING_SCHEMA = S.obj({ data: S.arr(LISTED_ITEM), _page: page }, ['data', '_page'], { additionalProperties: false });

/** GET /batches/{id}/failed and /meta listings: as the file listing, with an empty `_links`. */
export const DIRECTORY_LISTING_SCHEMA = S.obj({ data: S.arr(LISTED_ITEM), _page: page, _links: S.obj({}, [], { additionalProperties: false }) }, ['data', '_page', '_links'], {
  additionalProperties: false,
});

const counted = (what: string) => S.map(S.int(), what);
/** GET /batches/{id}/manifest (not in AEP): the worker's batch-manifest.ts builds it. */
export const BATCH_MANIFEST_SCHEMA = S.obj(
  {
    manifestVersion: S.int({ enum: [1] }),
    jobId: S.int(),
    batchId: S.str(),
    datasetId: S.str(),
    format: S.str({ enum: ['parquet', 'jsonl', 'csv'] }),
    files: S.arr(S.obj({ name: S.str(), rows: S.int(), bytes: S.int(), sha256: S.str({ pattern: '^[0-9a-f]{64}$' }) }, ['name', 'rows', 'bytes', 'sha256'])),
    totals: S.obj({ files: S.int(), rows: S.int(), bytes: S.int() }, ['files', 'rows', 'bytes']),
    counts: S.obj({ profiles: S.int(), byNamespace: counted('profiles per namespace'), bySegment: counted('profiles per segment filter entry') }, ['profiles', 'byNamespace']),
    options: S.obj({}, [], { additionalProperties: true, description: "the job's request (destination without batchId/batches)" }),
    snapshot: S.obj({ upTo: S.str(), chainId: S.str(), previousJobId: S.int(), after: S.str() }, ['upTo'], {
      description: "what the export read: the committed batches of this PostgreSQL snapshot (and, for a chain link, after the previous link's)",
    }),
    diff: S.obj({ beforeJobId: S.int(), afterJobId: S.int(), segments: S.arr(BUCKET_COUNTS_SCHEMA) }, ['beforeJobId', 'afterJobId', 'segments'], {
      description: "a diff's batch only: the two exports it compares and the counts per bucket",
    }),
  },
  ['manifestVersion', 'jobId', 'batchId', 'datasetId', 'format', 'files', 'totals', 'counts', 'options'],
);

/** GET /batches/{id}/files: AEP's envelope; created, updated, records and size are strings. */
export const BATCH_FILES_SCHEMA = S.obj(
  {
    data: S.arr(
      S.obj(
        {
          dataSetFileId: S.str({ pattern: '^[0-9a-f]{32}-[0-9a-f]{12}$' }),
          dataSetViewId: S.str({ description: 'the dataset id' }),
          version: S.str({ example: '1.0.0' }),
          created: S.str({ pattern: DIGITS, description: 'epoch milliseconds, as a string' }),
          updated: S.str({ pattern: DIGITS, description: 'epoch milliseconds, as a string' }),
          records: S.str({ pattern: DIGITS }),
          size: S.str({ pattern: DIGITS, description: 'bytes, as a string' }),
          isValid: S.bool(),
          _links: self,
        },
        ['dataSetFileId', 'dataSetViewId', 'version', 'created', 'updated', 'size', 'isValid', '_links'],
        { additionalProperties: false },
      ),
    ),
    _page: page,
    _links: S.obj({ next: S.obj({ href: S.str() }, ['href']), page: S.obj({ href: S.str(), templated: S.bool() }, ['href', 'templated']) }, ['page'], {
      additionalProperties: false,
      description: 'next only when there are more files',
    }),
  },
  ['data', '_page', '_links'],
  { additionalProperties: false },
);

/** `/meta?path=row_errors_sample.json`: the errors the batch lists. */
export const ROW_ERRORS_SAMPLE_SCHEMA = S.arr(S.obj({ code: S.str(), description: S.str(), file: S.str(), line: S.int() }, ['code', 'description']));

/** GET /datasets/{id}/preview: the first rows as stored. */
export const DATASET_PREVIEW_SCHEMA = S.obj({ data: S.arr(S.any('a record as it was ingested'), { maxItems: 100 }) }, ['data'], { additionalProperties: false });

const binary = (types: string[]) => Object.fromEntries(types.map((t) => [t, { schema: S.str({ format: 'binary' }) }]));
const rangeHeaders = {
  'Accept-Ranges': { schema: S.str({ enum: ['bytes'] }) },
  'Content-Length': { schema: S.int() },
};

/**
 * A download (`?path=`): 200 with a JSON body (`json`: the listing without a path, or a JSON file
 * such as /meta's row_errors_sample.json) or the file's bytes; 206 with the bytes of one
 * satisfiable Range (of a JSON file too: `jsonParts`); 416 in the problem shape, with
 * `Content-Range: bytes *\/size`.
 */
export function ApiDownload(json: Schema, description: string, jsonParts = false): MethodDecorator {
  const bytes = binary(FILE_CONTENT_TYPES);
  return applyDecorators(
    ApiResponse({ status: 200, description, headers: rangeHeaders, content: { ...bytes, 'application/json': { schema: json } } }),
    ApiResponse({
      status: 206,
      description: 'One satisfiable Range (bytes=a-b, a-, -n): that part of the file',
      headers: { ...rangeHeaders, 'Content-Range': { schema: S.str({ example: 'bytes 0-99/249058' }) } },
      content: { ...bytes, ...(jsonParts ? binary(['application/json']) : {}) },
    }),
    ApiResponse({
      status: 416,
      description: 'The Range cannot be satisfied (Content-Range: bytes */size)',
      headers: { 'Content-Range': { schema: S.str({ example: 'bytes */249058' }) } },
      content: { 'application/json': { schema: S.ref('Problem') } },
    }),
  );
}

const RANGE = { name: 'Range', required: false, description: 'One range (bytes=a-b, a-, -n): 206; unsatisfiable: 416; several: 200 with the whole file' };

/** What a download route documents: its `path` query, its summary and its two answers. */
export interface DownloadDoc {
  path: string;
  summary: string;
  json: Schema;
  description: string;
  jsonParts?: boolean;
}

/** A GET that lists, or with ?path= downloads (Range honoured): the route and its documentation. */
export const DownloadRoute = (route: string, doc: DownloadDoc): MethodDecorator =>
  applyDecorators(
    Get(route),
    ApiQuery({ name: 'path', required: false, description: doc.path }),
    ApiHeader(RANGE),
    ApiOperation({ summary: doc.summary }),
    ApiDownload(doc.json, doc.description, doc.jsonParts),
  );

/** HEAD /files/{id}?path=: the download's headers, no body. */
export const ApiFileHead = () =>
  ApiResponse({ status: 200, description: 'The headers of the download, no body', headers: { ...rangeHeaders, 'Content-Type': { schema: S.str({ enum: FILE_CONTENT_TYPES }) } } });
