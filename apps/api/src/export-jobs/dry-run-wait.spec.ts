import type { ExportJob } from '@sx/domain';
import { dryRunIdempotencyKey, waitForDryRun } from './dry-run-wait';

const job = (status: ExportJob['status']) => ({ id: 1, status }) as ExportJob;

describe('waitForDryRun', () => {
  it('answers the job once it ended, looking with a growing interval', async () => {
    const states: ExportJob['status'][] = ['NEW', 'PROCESSING', 'PROCESSING', 'SUCCEEDED'];
    const slept: number[] = [];
    const reload = jest.fn(async () => job(states.shift()!));
    const done = await waitForDryRun(job('NEW'), 10_000, reload, async (ms) => void slept.push(ms));
    expect(done.status).toBe('SUCCEEDED');
    expect(reload).toHaveBeenCalledTimes(4);
    expect(slept).toEqual([25, 37.5, 56.25, 84.375]);
  });

  it('answers the job as it stands when the wait runs out; 0 never waits', async () => {
    const reload = jest.fn(async () => job('PROCESSING'));
    const started = Date.now();
    expect((await waitForDryRun(job('NEW'), 120, reload)).status).toBe('PROCESSING');
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    expect(Date.now() - started).toBeLessThan(1000);
    const none = jest.fn(async () => job('SUCCEEDED'));
    expect((await waitForDryRun(job('NEW'), 0, none)).status).toBe('NEW');
    expect(none).not.toHaveBeenCalled();
  });

  it('a finished job is answered at once', async () => {
    const reload = jest.fn(async () => job('FAILED'));
    expect((await waitForDryRun(job('SUCCEEDED'), 10_000, reload)).status).toBe('SUCCEEDED');
    expect(reload).not.toHaveBeenCalled();
  });

  it('dry-run keys can never equal a real key (real keys have no space)', () => {
    expect(dryRunIdempotencyKey('k-1')).toBe('dryRun k-1');
    expect(/^[\x21-\x7e]{1,255}$/.test(dryRunIdempotencyKey('k-1'))).toBe(false);
  });
});
