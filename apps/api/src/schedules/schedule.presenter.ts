import type { Schedule } from '@sx/domain';
import { S } from '../common/openapi-schema';

/** A schedule as AEP shows it (AEP-API-NOTES section 3), in its key order; epochs are seconds. */
export function presentSchedule(s: Schedule): Record<string, unknown> {
  return {
    id: s.id,
    imsOrgId: s.orgId,
    sandbox: { sandboxName: s.sandboxName },
    name: s.name,
    state: s.state,
    type: s.type,
    schedule: s.schedule,
    properties: s.properties,
    createEpoch: Math.floor(s.createdAt.getTime() / 1000),
    updateEpoch: Math.floor(s.updatedAt.getTime() / 1000),
  };
}

export const SCHEDULE_SCHEMA = S.obj(
  {
    id: S.str({ format: 'uuid' }),
    imsOrgId: S.str(),
    sandbox: S.obj({ sandboxName: S.str() }, ['sandboxName']),
    name: S.str(),
    state: S.oneOf('active', 'inactive'),
    type: S.oneOf('batch_segmentation', 'export'),
    schedule: S.str({ example: '0 0 1 * * ?', description: 'Quartz cron, UTC' }),
    properties: S.obj(
      {
        segments: S.arr(S.str(), { description: 'batch_segmentation: ["*"] or segment ids' }),
        exportJob: S.any('export (not in AEP): the POST /export/jobs body each run creates a job with, defaults made explicit'),
      },
      [],
      { additionalProperties: false },
    ),
    createEpoch: S.int({ description: 'epoch seconds' }),
    updateEpoch: S.int({ description: 'epoch seconds' }),
  },
  ['id', 'imsOrgId', 'sandbox', 'name', 'state', 'type', 'schedule', 'properties', 'createEpoch', 'updateEpoch'],
);

export const SCHEDULE_LIST_SCHEMA = S.obj(
  {
    _page: S.obj({ totalCount: S.int(), pageSize: S.int(), next: S.str({ description: 'the start of the next page, when there is one' }) }, ['totalCount', 'pageSize']),
    children: S.arr(SCHEDULE_SCHEMA),
    _links: S.obj({ next: S.obj({ href: S.str() }) }, [], { description: 'next is {} on the last page' }),
  },
  ['_page', 'children', '_links'],
);
