import { S } from '../../common/openapi-schema';

const side = S.obj({ id: S.int(), rows: S.int({ description: 'rows read from its committed files' }) }, ['id', 'rows']);

/** One bucket's counts: in the diff's answer, and in the manifest of a diff's batch. */
export const BUCKET_COUNTS_SCHEMA = S.obj(
  {
    bucket: S.str({ example: 'ups:52c26d0d-45f2-47a2-ab30-ed06abc981ff', description: '`namespace:segmentId`, or `*` for exports without segment filters' }),
    entered: S.int({ description: 'in the after export, not in the before one' }),
    exited: S.int({ description: 'in the before export, not in the after one' }),
    changed: S.int({ description: 'in both, their written rows differ' }),
    unchanged: S.int({ description: 'in both, byte for byte the same row' }),
  },
  ['bucket', 'entered', 'exited', 'changed', 'unchanged'],
);

/** GET /export/jobs/{id}/diff/{otherId}. */
export const EXPORT_DIFF_SCHEMA = S.obj(
  {
    before: side,
    after: side,
    segments: S.arr(BUCKET_COUNTS_SCHEMA),
    batch: S.obj(
      {
        exportJobId: S.int({ description: 'the export job that writes the batch: GET /export/jobs/{exportJobId} to follow it' }),
        status: S.oneOf('NEW', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLED'),
        batchId: S.str({ description: "the batch's id once the job has SUCCEEDED (Data Access: GET /export/batches/{batchId}/files)" }),
      },
      ['exportJobId', 'status'],
      { description: "With ?batch=true only: the batch of the entered, exited and changed profiles (each row the export's row plus `_diff: {change, bucket}`)" },
    ),
  },
  ['before', 'after', 'segments'],
);
