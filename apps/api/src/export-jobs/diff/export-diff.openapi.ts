import { S } from '../../common/openapi-schema';

const side = S.obj({ id: S.int(), rows: S.int({ description: 'rows read from its committed files' }) }, ['id', 'rows']);

/** GET /export/jobs/{id}/diff/{otherId}. */
export const EXPORT_DIFF_SCHEMA = S.obj(
  {
    before: side,
    after: side,
    segments: S.arr(
      S.obj(
        {
          bucket: S.str({ example: 'ups:52c26d0d-45f2-47a2-ab30-ed06abc981ff', description: '`namespace:segmentId`, or `*` for exports without segment filters' }),
          entered: S.int({ description: 'in the after export, not in the before one' }),
          exited: S.int({ description: 'in the before export, not in the after one' }),
          changed: S.int({ description: 'in both, their written rows differ' }),
          unchanged: S.int({ description: 'in both, byte for byte the same row' }),
        },
        ['bucket', 'entered', 'exited', 'changed', 'unchanged'],
      ),
    ),
  },
  ['before', 'after', 'segments'],
);
