import { Conflict, type Schedule } from '@sx/domain';
import type { ScheduleRunRepository, SegmentDefinitionRepository } from '@sx/persistence';
import type { ExportDispatcher, SegmentDispatcher } from '@sx/queue';
import { ScheduleRunner } from './schedule-runner';

const TICK = new Date('2026-12-03T01:00:00Z');
const chained: Schedule = {
  id: '0f9b3a52-6b1e-4c7e-9d1a-2b3c4d5e6f70',
  orgId: 'org',
  sandboxName: 'prod',
  name: 'crm daily',
  type: 'export',
  state: 'active',
  schedule: '0 0 1 * * ?',
  properties: { exportJob: { destination: { datasetId: 'd', segmentPerBatch: false }, schema: { name: '_xdm.context.profile' }, filter: { chainId: 'crm' } } },
  clientId: 'client',
  createdAt: TICK,
  updatedAt: TICK,
  activatedAt: TICK,
};

describe('a run of an export schedule', () => {
  function runnerWith(createExportRun: () => Promise<unknown>, clientMayRun = true) {
    const failed: string[] = [];
    const dispatched: unknown[] = [];
    const runs = {
      createExportRun,
      clientMayRun: async () => clientMayRun,
      recordFailedRun: async (_s: Schedule, _t: Date, _id: string, error: string) => (failed.push(error), true),
    } as unknown as ScheduleRunRepository;
    const exports = { dispatchSoon: async (job: unknown) => void dispatched.push(job) } as unknown as ExportDispatcher;
    const runner = new ScheduleRunner(runs, {} as SegmentDefinitionRepository, exports, {} as SegmentDispatcher);
    return { runner, failed, dispatched };
  }

  it('whose chain still runs an export is recorded without a job (the next link covers its changes)', async () => {
    const { runner, failed, dispatched } = runnerWith(() => Promise.reject(new Conflict('chain "crm" still has an unfinished export; its changes go to the next run')));
    expect(await runner.run(chained, TICK, 'tick')).toBe('failed');
    expect(failed).toEqual(['chain "crm" still has an unfinished export; its changes go to the next run']);
    expect(dispatched).toEqual([]);
  });

  it('creates and dispatches the job otherwise, and lets other errors through', async () => {
    const ok = runnerWith(() => Promise.resolve({ id: 7 }));
    expect(await ok.runner.run(chained, TICK, 'tick')).toBe('created');
    expect(ok.dispatched).toEqual([{ id: 7 }]);
    const broken = runnerWith(() => Promise.reject(new Error('database down')));
    await expect(broken.runner.run(chained, TICK, 'tick')).rejects.toThrow('database down');
    expect(broken.failed).toEqual([]);
  });

  it('of a client removed from the sandbox is recorded without a job', async () => {
    let created = 0;
    const { runner, failed } = runnerWith(() => Promise.resolve({ id: ++created }), false);
    expect(await runner.run(chained, TICK, 'tick')).toBe('failed');
    expect(created).toBe(0);
    expect(failed).toEqual(['client client no longer has access to sandbox prod: the run created no job']);
  });
});
