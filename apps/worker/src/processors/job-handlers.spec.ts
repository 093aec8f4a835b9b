import { JobName, QueueName } from '@sx/queue';
import { NOT_BUILT, assertEveryJobHandled, consumableQueues, handlerTableProvider } from './job-handlers';

describe('job handler table', () => {
  it('refuses a table that misses a job', () => {
    expect(() => assertEveryJobHandled({})).toThrow(
      /No processor registered for job\(s\): run-export, promote-batch, run-preview, run-segment-job, write-export-partition, commit-export-partitions, deliver-webhook, run-schedule-tick$/,
    );
    expect(() =>
      assertEveryJobHandled({
        [JobName.RunExport]: NOT_BUILT,
        [JobName.RunPreview]: NOT_BUILT,
        [JobName.WriteExportPartition]: NOT_BUILT,
        [JobName.CommitExportPartitions]: NOT_BUILT,
        [JobName.DeliverWebhook]: NOT_BUILT,
        [JobName.RunScheduleTick]: NOT_BUILT,
      }),
    ).toThrow(/: promote-batch, run-segment-job$/);
  });

  it('opens no consumer for a job that is not built', () => {
    const table = {
      [JobName.RunExport]: NOT_BUILT,
      [JobName.PromoteBatch]: async () => undefined,
      [JobName.RunSegmentJob]: NOT_BUILT,
      [JobName.RunPreview]: NOT_BUILT,
      [JobName.WriteExportPartition]: NOT_BUILT,
      [JobName.CommitExportPartitions]: NOT_BUILT,
      [JobName.DeliverWebhook]: NOT_BUILT,
      [JobName.RunScheduleTick]: NOT_BUILT,
    } as const;
    assertEveryJobHandled(table);
    expect([...consumableQueues(table).keys()]).toEqual([QueueName.Ingest]);
  });

  it('consumes the queue of a built job', () => {
    const table = {
      [JobName.RunExport]: async () => undefined,
      [JobName.PromoteBatch]: async () => undefined,
      [JobName.RunSegmentJob]: async () => undefined,
      [JobName.RunPreview]: async () => undefined,
      [JobName.WriteExportPartition]: async () => undefined,
      [JobName.CommitExportPartitions]: async () => undefined,
      [JobName.DeliverWebhook]: async () => undefined,
      [JobName.RunScheduleTick]: async () => undefined,
    };
    expect([...consumableQueues(table).entries()]).toEqual([
      [QueueName.Export, [JobName.RunExport]],
      [QueueName.Ingest, [JobName.PromoteBatch]],
      [QueueName.Preview, [JobName.RunPreview]],
      [QueueName.Segment, [JobName.RunSegmentJob]],
      // A flow's children and its parent share one queue: any worker takes either.
      [QueueName.ExportPartition, [JobName.WriteExportPartition, JobName.CommitExportPartitions]],
      [QueueName.Webhook, [JobName.DeliverWebhook]],
      [QueueName.Schedule, [JobName.RunScheduleTick]],
    ]);
  });
});

describe('the JOB_HANDLERS provider', () => {
  it('injects each built processor and takes its handle; a NOT_BUILT job stays NOT_BUILT', () => {
    class A {
      handle = async () => 'a';
    }
    class B {
      handle = async () => 'b';
    }
    const processors = {
      [JobName.RunExport]: A,
      [JobName.PromoteBatch]: B,
      [JobName.RunSegmentJob]: A,
      [JobName.RunPreview]: NOT_BUILT,
      [JobName.WriteExportPartition]: B,
      [JobName.CommitExportPartitions]: NOT_BUILT,
      [JobName.DeliverWebhook]: NOT_BUILT,
      [JobName.RunScheduleTick]: NOT_BUILT,
    } as never;
    const provider = handlerTableProvider(processors);
    expect(provider.inject).toEqual([A, B]);
    const a = new A();
    const b = new B();
    const table = provider.useFactory(a, b) as Record<string, unknown>;
    expect(table[JobName.RunExport]).toBe(a.handle);
    expect(table[JobName.PromoteBatch]).toBe(b.handle);
    expect(table[JobName.RunSegmentJob]).toBe(a.handle);
    expect(table[JobName.RunPreview]).toBe(NOT_BUILT);
  });
});
