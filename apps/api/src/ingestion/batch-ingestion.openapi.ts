import { S } from '../common/openapi-schema';
import { BATCH_FIELDS, IMPORT_BATCH_FIELDS, IMPORT_BATCH_REQUIRED } from '../catalog/catalog.openapi';

/** POST /batches: AEP's 201 body (import-batch.presenter.ts presentCreatedBatch). */
export const CREATED_BATCH_SCHEMA = S.obj(IMPORT_BATCH_FIELDS, IMPORT_BATCH_REQUIRED, {
  additionalProperties: false,
  description: 'The new batch (status loading), with what the POST stored: inputFormat as sent (format lower-cased), tags, externalId, replay',
});

/** POST /batches/{id}?action=: the batch as the Catalog shows it (AEP's spec; its docs show an empty 200). */
export const ACTED_BATCH_SCHEMA = S.obj(BATCH_FIELDS, [...IMPORT_BATCH_REQUIRED, 'recordCount', 'failedRecordCount', 'metrics', 'errors'], {
  additionalProperties: false,
  description: 'The batch after the action: staging (COMPLETE), aborted (ABORT), failed (FAIL), inactive (REVERT)',
});

/** A large file's INITIALIZE, chunk PATCH and COMPLETE: AEP's spec `File` body. */
export const LARGE_FILE_SCHEMA = S.obj(
  { name: S.str({ example: 'big.json' }), sizeInBytes: S.int({ minimum: 0, description: 'the bytes received so far (the whole file at COMPLETE)' }) },
  ['name', 'sizeInBytes'],
  { additionalProperties: false },
);

// A bodiless success (the small-file PUT): declared with content {} (common/openapi-schema.ts).
export { ApiNoBody } from '../common/openapi-schema';

/** GET /batches/{b}/datasets/{d}/preview: AEP's import preview (batch-preview.service.ts). */
export const BATCH_PREVIEW_SCHEMA = S.obj(
  {
    formatParams: S.obj(
      {
        format: S.oneOf('json'),
        isMultiLineJson: S.bool(),
        charset: S.oneOf('UTF-8'),
        nrow: S.int({ minimum: 1, maximum: 1000, description: 'the rows asked for, after the default and the cap' }),
      },
      ['format', 'isMultiLineJson', 'charset', 'nrow'],
      { additionalProperties: false, description: 'how the files were read' },
    ),
    preview: S.obj(
      {
        columns: S.arr(
          S.obj({ cid: S.str({ pattern: '^c\\d+$' }), name: S.str({ description: 'a top-level field of the records' }) }, ['cid', 'name'], { additionalProperties: false }),
          {
            description: 'in order of first appearance',
          },
        ),
        rows: S.arr(S.map(S.str(), 'cid to value: a string as sent, anything else as its JSON text; a field the record lacks is absent'), { maxItems: 1000 }),
      },
      ['columns', 'rows'],
      { additionalProperties: false },
    ),
  },
  ['formatParams', 'preview'],
  { additionalProperties: false },
);
