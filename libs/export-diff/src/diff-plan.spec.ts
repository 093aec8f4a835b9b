import { Conflict, type ExportJob } from '@sx/domain';
import { planDiff } from './diff-plan';

const S = (segmentId: string) => ({ segmentId, segmentNs: 'ups', status: ['realized' as const] });

function job(id: number, over: Partial<ExportJob> = {}, destination: Partial<ExportJob['destination']> = {}): ExportJob {
  return {
    id,
    orgId: 'O',
    sandboxName: 'prod',
    clientId: 'c',
    status: 'SUCCEEDED',
    profileInstanceId: 'ups',
    computeGatewayJobId: '',
    requestId: 'r',
    creationTime: new Date(0),
    updateTime: new Date(0),
    destination: { datasetId: 'd', segmentPerBatch: false, outputFormat: 'jsonl', batchId: `b${id}`, ...destination },
    schema: { name: '_xdm.context.profile' },
    ...over,
  };
}

describe('planDiff', () => {
  it('one bucket "*" for exports without segment filters, their one batch each', () => {
    const plan = planDiff(job(1), job(2));
    expect(plan.buckets).toEqual(['*']);
    expect(plan.sources.map((s) => [s.side, s.batches])).toEqual([
      ['before', [{ batchId: 'b1', bucket: '*' }]],
      ['after', [{ batchId: 'b2', bucket: '*' }]],
    ]);
  });

  it('segment buckets in the before export order; a one-batch export qualifies rows by its filters, segmentPerBatch by batch', () => {
    const window = { startTime: '2024-01-01T00:00:00Z' };
    const before = job(1, { filter: { segments: [S('x'), S('y')], segmentQualificationTime: window } });
    const after = job(
      2,
      { filter: { segments: [S('y'), S('x')] } },
      {
        segmentPerBatch: true,
        batchId: undefined,
        batches: [
          { ...S('y'), batchId: 'by' },
          { ...S('x'), batchId: 'bx' },
        ],
      },
    );
    const plan = planDiff(before, after);
    expect(plan.buckets).toEqual(['ups:x', 'ups:y']);
    expect(plan.sources[0].filters).toEqual({ buckets: ['ups:x', 'ups:y'], segments: [S('x'), S('y')], window: { startMs: Date.parse(window.startTime), endMs: undefined } });
    expect(plan.sources[1].batches).toEqual([
      { batchId: 'by', bucket: 'ups:y' },
      { batchId: 'bx', bucket: 'ups:x' },
    ]);
  });

  it.each([
    ['an export not SUCCEEDED', job(1, { status: 'PROCESSING' }), job(2), /job 1 is PROCESSING: only SUCCEEDED/],
    ['different formats', job(1), job(2, {}, { outputFormat: undefined }), /wrote jsonl and export job 2 parquet/],
    ['CSV', job(1, {}, { outputFormat: 'csv' }), job(2, {}, { outputFormat: 'csv' }), /CSV exports cannot be diffed/],
    ['different segments', job(1, { filter: { segments: [S('x')] } }), job(2, { filter: { segments: [S('x'), S('y')] } }), /exports ups:x and export job 2 ups:x, ups:y/],
    ['segments against every profile', job(1), job(2, { filter: { segments: [S('x')] } }), /exports \* and/],
  ])('409 for %s', (_, before, after, message) => {
    expect(() => planDiff(before, after)).toThrow(Conflict);
    expect(() => planDiff(before, after)).toThrow(message);
  });

  it('takes Parquet exports (the default format) as JSON Lines ones', () => {
    expect(planDiff(job(1, {}, { outputFormat: undefined }), job(2, {}, { outputFormat: 'parquet' })).buckets).toEqual(['*']);
  });
});
