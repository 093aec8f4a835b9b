import { S } from '../common/openapi-schema';

const span = S.obj({ startTimeInMs: S.ms(), endTimeInMs: S.ms(), totalTimeInMs: S.int() }, [], { description: 'start, end and length of a phase (ms)' });
const error = S.obj({ code: S.str({ example: '0100-422' }), msg: S.str(), callStack: S.str() }, ['code', 'msg']);

/** GET/POST /export/jobs[/{id}]: the job as the reference shows it (see export-job.presenter.ts). */
export const EXPORT_JOB_SCHEMA = S.obj(
  {
    id: S.int(),
    jobType: S.oneOf('BATCH'),
    destination: S.ref('DestinationDto'),
    fields: S.str(),
    schema: S.ref('SchemaRefDto'),
    imsOrgId: S.str(),
    status: S.oneOf('NEW', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLED'),
    filter: S.ref('ExportFilterDto'),
    additionalFields: S.ref('AdditionalFieldsDto'),
    mergePolicy: S.ref('MergePolicyRefDto'),
    evaluationInfo: S.ref('EvaluationInfoDto'),
    chainLink: S.obj(
      {
        chainId: S.str(),
        previousJobId: S.int({ description: "the chain's previous succeeded export; absent for the first link" }),
        after: S.str({ description: "lower bound: the previous link's upper bound (a PostgreSQL snapshot, xmin:xmax:xip)" }),
        upTo: S.str({ description: 'upper bound: the committed batches when this export was first claimed (a PostgreSQL snapshot)' }),
      },
      ['chainId'],
      { description: 'Not in AEP: with filter.chainId, where this link of the chain starts and ends (bounds fixed at its first claim)' },
    ),
    profileInstanceId: S.str({ example: 'ups' }),
    errors: S.arr(error),
    metrics: S.obj({
      totalTime: span,
      profileExportTime: span,
      totalExportedProfileCounter: S.int(),
      exportedProfileByNamespaceCounter: S.map(S.int(), 'profiles exported per namespace'),
      exportedProfileBySegmentCounter: S.map(
        S.int(),
        'Not in AEP: profiles exported per segment filter entry they satisfied, keyed by segment id (`<ns>:<segmentId>` outside ups); jobs with a segment filter only',
      ),
      partitions: S.obj({ done: S.int(), total: S.int() }, ['done', 'total'], { description: 'Not in AEP: partitions written so far, of how many (partitioned jobs only)' }),
    }),
    computeGatewayJobId: S.obj({ exportJob: S.str() }),
    creationTime: S.ms(),
    updateTime: S.ms(),
    requestId: S.str(),
    properties: S.obj({ scheduleId: S.str({ format: 'uuid' }), runId: S.str({ format: 'uuid' }) }, ['scheduleId', 'runId'], {
      description: 'Not in AEP for exports: the schedule run that created the job (jobs of an export schedule only)',
    }),
    dryRun: S.bool({ description: 'Not in AEP: present (true) on dry runs only' }),
    dryRunResult: S.obj(
      {
        profiles: S.int(),
        byNamespace: S.map(S.int(), 'profiles that would be exported per namespace'),
        bySegment: S.map(S.int(), 'per segment filter entry, keyed as metrics.exportedProfileBySegmentCounter (with a segment filter only)'),
        sample: S.arr(S.any('a row as a reader of the output file gets it: JSON Lines the profile, Parquet {primaryNamespace, primaryId, profile}')),
      },
      ['profiles', 'byNamespace', 'sample'],
      { description: "Not in AEP: a SUCCEEDED dry run's result: what the export would write, and its first 10 rows" },
    ),
    diffOf: S.obj({ beforeJobId: S.int(), afterJobId: S.int() }, ['beforeJobId', 'afterJobId'], {
      description: "Not in AEP: on a diff's batch only (GET /export/jobs/{id}/diff/{otherId}?batch=true), the two exports it compares",
    }),
  },
  ['id', 'jobType', 'destination', 'schema', 'imsOrgId', 'status', 'profileInstanceId', 'metrics', 'computeGatewayJobId', 'creationTime', 'updateTime', 'requestId'],
);

export const EXPORT_JOB_LIST_SCHEMA = S.obj(
  {
    records: S.arr(EXPORT_JOB_SCHEMA),
    page: S.obj({ sortField: S.str(), sort: S.oneOf('desc'), pageOffset: S.str(), pageSize: S.int() }, ['sortField', 'sort', 'pageOffset', 'pageSize']),
    link: S.obj({ next: S.str({ description: 'empty on the last page' }) }, ['next']),
  },
  ['records', 'page', 'link'],
);
