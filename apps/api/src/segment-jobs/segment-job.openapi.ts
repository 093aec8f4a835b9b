import { SEGMENT_JOB_STATUSES } from '@sx/domain';
import { S } from '../common/openapi-schema';

const span = S.obj({ startTimeInMs: S.ms(), endTimeInMs: S.ms(), totalTimeInMs: S.int() });
const link = S.obj({ href: S.str(), method: S.str() });

/** A segment job as AEP shows it (segment-job.presenter.ts, AEP-API-NOTES section 1). */
export const SEGMENT_JOB_SCHEMA = S.obj(
  {
    id: S.str({ format: 'uuid' }),
    imsOrgId: S.str(),
    sandbox: S.obj({ sandboxName: S.str() }, ['sandboxName']),
    profileInstanceId: S.str({ example: 'ups' }),
    source: S.oneOf('api', 'scheduler'),
    status: S.oneOf(...SEGMENT_JOB_STATUSES),
    segments: S.arr(
      S.obj(
        {
          segmentId: S.str(),
          segment: S.obj({
            id: S.str(),
            version: S.int(),
            expression: S.obj({ type: S.str(), format: S.str(), value: S.str() }),
            mergePolicyId: S.str(),
            mergePolicy: S.obj({ id: S.str(), version: S.int() }),
          }),
        },
        ['segmentId'],
      ),
    ),
    metrics: S.obj({
      totalTime: span,
      profileSegmentationTime: span,
      totalProfiles: S.int(),
      totalProfilesByMergePolicy: S.map(S.int(), 'profiles read per merge policy id'),
      segmentedProfileCounter: S.map(S.int(), 'qualifying profiles per segment id'),
      segmentedProfileByNamespaceCounter: S.map(S.map(S.int()), 'per segment id, qualifying profiles per namespace'),
      segmentedProfileByStatusCounter: S.map(S.obj({ realized: S.int(), exited: S.int() }), 'per segment id, changes by status'),
      profilesRead: S.int({ description: 'while PROCESSING: profiles read so far (not an AEP field)' }),
    }),
    requestId: S.str(),
    schema: S.obj({ name: S.str() }),
    properties: S.obj({ scheduleId: S.str({ format: 'uuid' }), runId: S.str({ format: 'uuid' }) }, ['scheduleId', 'runId'], {
      description: 'jobs a schedule ran (source "scheduler") only',
    }),
    errors: S.arr(S.obj({ code: S.str(), msg: S.str(), callStack: S.str() })),
    _links: S.obj({ cancel: link, checkStatus: link }),
    updateTime: S.ms(),
    creationTime: S.ms(),
    updateEpoch: S.int({ description: 'epoch seconds' }),
  },
  ['id', 'imsOrgId', 'sandbox', 'status', 'segments', 'metrics', 'requestId', '_links', 'updateTime', 'creationTime', 'updateEpoch'],
);

export const SEGMENT_JOB_LIST_SCHEMA = S.obj(
  {
    _page: S.obj({ totalCount: S.int(), pageSize: S.int() }, ['totalCount', 'pageSize']),
    children: S.arr(SEGMENT_JOB_SCHEMA),
    _links: S.obj({ next: S.obj({ href: S.str() }) }, [], { description: 'next is {} on the last page' }),
  },
  ['_page', 'children', '_links'],
);

export const SEGMENT_JOB_BULK_SCHEMA = S.obj({ results: S.map(SEGMENT_JOB_SCHEMA, 'the jobs found, by id') }, ['results']);
