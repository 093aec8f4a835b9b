import { JobName, QueueName } from '@sx/queue';
import { NOT_BUILT, assertEveryJobHandled, consumableQueues } from './job-handlers';

describe('job handler table', () => {
  it('refuses a table that misses a job', () => {
    expect(() => assertEveryJobHandled({})).toThrow(/No processor registered for job\(s\): run-export, promote-batch, run-segment-job/);
    expect(() => assertEveryJobHandled({ [JobName.RunExport]: NOT_BUILT })).toThrow(/: promote-batch, run-segment-job$/);
  });

  it('opens no consumer for a job that is not built', () => {
    const table = { [JobName.RunExport]: NOT_BUILT, [JobName.PromoteBatch]: async () => undefined, [JobName.RunSegmentJob]: NOT_BUILT } as const;
    assertEveryJobHandled(table);
    expect([...consumableQueues(table).keys()]).toEqual([QueueName.Ingest]);
  });

  it('consumes the queue of a built job', () => {
    const table = { [JobName.RunExport]: async () => undefined, [JobName.PromoteBatch]: async () => undefined, [JobName.RunSegmentJob]: async () => undefined };
    expect([...consumableQueues(table).entries()]).toEqual([
      [QueueName.Export, [JobName.RunExport]],
      [QueueName.Ingest, [JobName.PromoteBatch]],
      [QueueName.Segment, [JobName.RunSegmentJob]],
    ]);
  });
});
