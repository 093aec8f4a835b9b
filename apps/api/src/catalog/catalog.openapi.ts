import { ApiResponse } from '@nestjs/swagger';
import type { BatchStatus } from '@sx/domain';
import { Schema, S } from '../common/openapi-schema';

/** Every status a batch can have here (the compiler checks none is missing). */
const BATCH_STATUSES = ['loading', 'staging', 'processing', 'success', 'failed', 'aborted', 'inactive'] as const satisfies readonly BatchStatus[];
const EVERY_STATUS: [Exclude<BatchStatus, (typeof BATCH_STATUSES)[number]>] extends [never] ? true : never = true;
void EVERY_STATUS;

/**
 * Response schemas of the Catalog operations, as catalog.presenter.ts builds the bodies. The
 * objects are closed (`additionalProperties: false`): the presenter shows these fields and no
 * other. None is required, because `?properties=` answers only the fields asked for (`{}` when an
 * object has none of them).
 */

const tags = S.map(S.arr(S.str()), 'tag name to its values, e.g. {"unifiedProfile": ["enabled:true"]}');
const closed = (properties: Record<string, Schema>, description: string): Schema => S.obj(properties, [], { additionalProperties: false, description });

export const DATASET_SCHEMA = closed(
  {
    name: S.str(),
    description: S.str(),
    imsOrg: S.str(),
    sandboxId: S.str({ description: 'the sandbox name' }),
    tags,
    version: S.str({ example: '1.0.0' }),
    created: S.ms(),
    updated: S.ms(),
    createdClient: S.str(),
    createdUser: S.str(),
    updatedUser: S.str(),
    basePath: S.str(),
    fileDescription: S.ref('FileDescriptionDto'),
    schemaRef: S.obj({ id: S.str({ example: 'https://ns.adobe.com/xdm/context/profile' }), contentType: S.str() }, ['id', 'contentType']),
    schema: S.str({ description: 'the legacy URI form of schemaRef.id', example: '@/xdms/context/profile' }),
    enableErrorDiagnostics: S.bool(),
    observableSchema: S.any('as it was sent'),
    dataSourceId: S.int(),
  },
  "A dataset as AEP's Catalog shows it (only the fields it has)",
);

const HEX24 = '^[0-9a-f]{24}$';
const HEX32 = '^[0-9a-f]{32}$';

/** Catalog answers lists and single reads as a map keyed by object id (no array, no paging envelope). */
const byId = (values: Schema, pattern: string, description: string): Schema => ({ ...S.map(values, description), propertyNames: { pattern } });

export const DATASET_MAP_SCHEMA = byId(DATASET_SCHEMA, HEX24, 'datasets keyed by id');

/** POST/PUT/PATCH/DELETE /dataSets: `["@/dataSets/{id}"]`; DELETE of an unknown id answers `[]`. */
export const DATASET_REFS_SCHEMA = S.arr(S.str({ pattern: '^@/dataSets/[0-9a-f]{24}$' }), { maxItems: 1, example: ['@/dataSets/5c8c3c555033b814b69f947f'] });

/** A batch's `inputFormat`: the import POST's as sent (format lower-cased), or `{format}` of an export's batch. */
export const BATCH_INPUT_FORMAT_SCHEMA = S.obj(
  {
    format: S.str({ example: 'json', description: 'json for imports; parquet, jsonl or csv for the batches an export writes' }),
    isMultiLineJson: S.bool(),
    delimiter: S.str(),
    quote: S.str(),
    escape: S.str(),
    header: S.bool(),
    charset: S.str(),
  },
  ['format'],
  { additionalProperties: false },
);

export const BATCH_REPLAY_SCHEMA = S.obj({ predecessors: S.arr(S.str()), predecessorsByExternalId: S.arr(S.str()), reason: S.str({ example: 'replace' }) }, [], {
  additionalProperties: false,
});

const batchError = S.obj({ code: S.str(), description: S.str(), file: S.str(), line: S.int() }, ['code', 'description']);

/** The fields an import POST answers with (201), a subset of the Catalog batch. */
export const IMPORT_BATCH_FIELDS: Record<string, Schema> = {
  id: S.str({ pattern: HEX32 }),
  imsOrg: S.str(),
  sandboxId: S.str({ description: 'the sandbox name' }),
  status: S.oneOf(...BATCH_STATUSES),
  created: S.ms(),
  updated: S.ms(),
  relatedObjects: S.arr(S.obj({ type: S.oneOf('dataSet'), id: S.str({ pattern: HEX24 }) }, ['type', 'id'])),
  inputFormat: BATCH_INPUT_FORMAT_SCHEMA,
  version: S.str({ example: '1.0.0' }),
  tags: S.map(S.arr(S.str()), 'the POST\'s tags; an export\'s batch is tagged exportJobId: ["<job id>"]'),
  externalId: S.str(),
  replay: BATCH_REPLAY_SCHEMA,
};

export const BATCH_FIELDS: Record<string, Schema> = {
  ...IMPORT_BATCH_FIELDS,
  recordCount: S.int({ minimum: 0, description: "records ingested (a successful batch) or written (an export's batch)" }),
  failedRecordCount: S.int({ minimum: 0, description: 'records refused' }),
  metrics: S.obj(
    { recordsRead: S.int({ minimum: 0 }), recordsWritten: S.int({ minimum: 0 }), recordsFailed: S.int({ minimum: 0 }) },
    ['recordsRead', 'recordsWritten', 'recordsFailed'],
    { additionalProperties: false },
  ),
  errors: S.arr(batchError),
  completed: { ...S.ms(), description: 'epoch milliseconds: when it ended' },
};

/** The fields every import batch body has (externalId, replay and completed only when set). */
export const IMPORT_BATCH_REQUIRED = ['id', 'imsOrg', 'sandboxId', 'status', 'created', 'updated', 'relatedObjects', 'inputFormat', 'version', 'tags'];

export const BATCH_SCHEMA = closed(BATCH_FIELDS, "A batch as AEP's Catalog shows it: status, record counts, times, errors, and what its import POST stored");

export const BATCH_MAP_SCHEMA = byId(BATCH_SCHEMA, HEX32, 'batches keyed by id');

/** An error status an operation answers beyond the ones every operation has (openapi.ts), in the problem shape. */
export const ApiProblem = (status: number, description: string) => ApiResponse({ status, description, content: { 'application/json': { schema: S.ref('Problem') } } });
