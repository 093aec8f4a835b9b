import { JobName, QueueName } from '@sx/queue';
import { NOT_BUILT, assertEveryJobHandled, consumableQueues } from './job-handlers';

describe('job handler table', () => {
  it('refuses a table that misses a job', () => {
    expect(() => assertEveryJobHandled({})).toThrow(/No processor registered for job\(s\): run-export/);
  });

  it('opens no consumer for a job that is not built', () => {
    const table = { [JobName.RunExport]: NOT_BUILT } as const;
    assertEveryJobHandled(table);
    expect(consumableQueues(table).size).toBe(0);
  });

  it('consumes the queue of a built job', () => {
    const table = { [JobName.RunExport]: async () => undefined };
    expect([...consumableQueues(table).entries()]).toEqual([[QueueName.Export, [JobName.RunExport]]]);
  });
});
