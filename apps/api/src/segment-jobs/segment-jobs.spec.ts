import { ValidationFailed } from '@sx/domain';
import type { SegmentJob } from '@sx/domain';
import { parseSegmentJobRequest } from './dto/segment-job-request';
import { presentSegmentJob } from './segment-job.presenter';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

const problems = (body: unknown) => {
  try {
    parseSegmentJobRequest(body);
  } catch (e) {
    if (e instanceof ValidationFailed) return e.problems;
    throw e;
  }
  throw new Error('accepted');
};

describe('parseSegmentJobRequest', () => {
  it('takes the array form and the object form with "*"', () => {
    expect(parseSegmentJobRequest([{ segmentId: A }, { segmentId: B.toUpperCase() }])).toEqual({ segmentIds: [A, B], schemaName: '_xdm.context.profile' });
    expect(parseSegmentJobRequest({ schema: { name: '_xdm.context.profile' }, segments: [{ segmentId: '*' }] })).toEqual({ schemaName: '_xdm.context.profile' });
  });

  it('names the field of each problem', () => {
    expect(problems([{ segmentId: A }, { segmentId: 'nope' }, {}, { segmentId: A }])).toEqual([
      { path: 'segments[1].segmentId', message: 'must be a segment definition id (a uuid) or "*"' },
      { path: 'segments[2].segmentId', message: 'is required and must be a string' },
      { path: 'segments[3].segmentId', message: 'is listed twice' },
    ]);
    expect(problems([])).toEqual([{ path: 'segments', message: 'must list at least one segment' }]);
    expect(problems({ schema: { name: 'x' }, segments: [{ segmentId: '*' }] })).toEqual([{ path: 'schema.name', message: 'must be "_xdm.context.profile"' }]);
    expect(problems({ segments: [{ segmentId: '*' }, { segmentId: A }] })).toEqual([{ path: 'segments', message: '"*" must be the only entry' }]);
    expect(problems('x')[0].path).toBe('body');
  });

  it('refuses more than 1500 listed segments', () => {
    const many = Array.from({ length: 1501 }, (_, i) => ({ segmentId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }));
    expect(problems(many)).toEqual([{ path: 'segments', message: 'lists 1501 segments; at most 1500 (send {"segments": [{"segmentId": "*"}]} for all)' }]);
  });
});

describe('presentSegmentJob', () => {
  const job: SegmentJob = {
    id: 'j1',
    orgId: 'org@AdobeOrg',
    sandboxName: 'prod',
    clientId: 'c',
    status: 'NEW',
    requestedSegments: [{ segmentId: A }],
    definitions: [{ id: A, namespace: 'ups', expression: { type: 'PQL', format: 'pql/text', value: 'true' }, mergePolicyId: 'mp', version: 7 }],
    schemaName: '_xdm.context.profile',
    requestId: 'r',
    creationTime: new Date(1000),
    updateTime: new Date(2500),
    attempts: 0,
  };

  it('shows AEP fields, each segment expanded, a fresh job with its clock started', () => {
    expect(presentSegmentJob(job, '/base')).toEqual({
      id: 'j1',
      imsOrgId: 'org@AdobeOrg',
      sandbox: { sandboxName: 'prod' },
      profileInstanceId: 'ups',
      source: 'api',
      status: 'NEW',
      segments: [
        {
          segmentId: A,
          segment: { id: A, version: 7, expression: { type: 'PQL', format: 'pql/text', value: 'true' }, mergePolicyId: 'mp', mergePolicy: { id: 'mp', version: 1 } },
        },
      ],
      metrics: { totalTime: { startTimeInMs: 1000 }, profileSegmentationTime: {} },
      requestId: 'r',
      schema: { name: '_xdm.context.profile' },
      _links: { cancel: { href: '/base/segment/jobs/j1', method: 'DELETE' }, checkStatus: { href: '/base/segment/jobs/j1', method: 'GET' } },
      updateTime: 2500,
      creationTime: 1000,
      updateEpoch: 2,
    });
  });

  it('shows errors of a failed job', () => {
    const failed = { ...job, status: 'FAILED' as const, errors: [{ code: 'c', msg: 'm', callStack: 's' }] };
    expect(presentSegmentJob(failed, '').errors).toEqual([{ code: 'c', msg: 'm', callStack: 's' }]);
  });
});
