import { Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { AppConfig } from '@sx/config';
import type { ExportJob } from '@sx/domain';
import type { Metrics } from '@sx/observability';
import type { ExportRunRepository } from '@sx/persistence';
import { CancelRequested } from '@sx/queue';
import { endUnsucceededAttempt } from './attempt-end';
import { AttemptSuperseded, ExportFailure } from './export-failure';

describe('endUnsucceededAttempt', () => {
  const scope = { orgId: 'o', sandboxName: 'prod' };
  function setup(attempt: number) {
    const calls: string[] = [];
    const runs = {
      end: jest.fn(async (_s: unknown, _id: number, _lease: string, status: string, batchIds: string[]) => {
        calls.push(`end ${status} ${batchIds.join(',')}`);
        return true;
      }),
      release: jest.fn(async () => void calls.push('release')),
    } as unknown as ExportRunRepository;
    const metrics = { jobEnded: (kind: string, status: string) => void calls.push(`metric ${status}`) } as unknown as Metrics;
    const deps = { runs, config: { EXPORT_ATTEMPTS: 3 } as AppConfig, metrics, logger: new Logger('test') };
    const claim = { job: { id: 7 } as ExportJob, lease: 'l', attempt };
    return { calls, run: (reason: unknown, error = reason) => endUnsucceededAttempt(deps, 'x', scope, claim, Date.now(), { reason, error }, ['b1']) };
  }
  beforeAll(() => Logger.overrideLogger(false));

  it('superseded: writes nothing', async () => {
    const { calls, run } = setup(1);
    await expect(run(new AttemptSuperseded())).resolves.toEqual({ superseded: true });
    expect(calls).toEqual([]);
  });

  it('cancelled: CANCELLED with its batches', async () => {
    const { calls, run } = setup(1);
    await expect(run(new CancelRequested(), new Error('aborted'))).resolves.toEqual({ cancelled: true });
    expect(calls).toEqual(['end CANCELLED b1', 'metric CANCELLED']);
  });

  it('bad input: FAILED at once, not retried by BullMQ', async () => {
    const { calls, run } = setup(1);
    await expect(run(new ExportFailure('c', 'bad'))).rejects.toThrow(UnrecoverableError);
    expect(calls).toEqual(['end FAILED b1', 'metric FAILED']);
  });

  it('any other error: retried (lease released) until the last attempt, which FAILS', async () => {
    const early = setup(2);
    await expect(early.run(new Error('blip'))).rejects.toThrow('blip');
    expect(early.calls).toEqual(['release']);
    const last = setup(3);
    await expect(last.run(new Error('blip'))).rejects.toThrow(UnrecoverableError);
    expect(last.calls).toEqual(['end FAILED b1', 'metric FAILED']);
  });
});
