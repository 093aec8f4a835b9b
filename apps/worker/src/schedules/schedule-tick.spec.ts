import type { Schedule } from '@sx/domain';
import type { ScheduleRepository } from '@sx/persistence';
import type { ScheduleTickers } from '@sx/queue';
import { ScheduleReconcilerService } from './schedule-reconciler.service';
import type { ScheduleRunner } from './schedule-runner';
import { ScheduleTickProcessor, tickOf } from './schedule-tick.processor';

const at = (iso: string) => new Date(iso);
const NOW = at('2026-12-03T14:10:30Z');
const clock = { now: () => NOW };

function schedule(overrides: Partial<Schedule> = {}): Schedule {
  return {
    id: '0f9b3a52-6b1e-4c7e-9d1a-2b3c4d5e6f70',
    orgId: 'org',
    sandboxName: 'prod',
    name: 'daily',
    type: 'batch_segmentation',
    state: 'active',
    schedule: '0 0 1 * * ?',
    properties: { segments: ['*'] },
    clientId: 'client',
    createdAt: at('2026-11-01T00:00:00Z'),
    updatedAt: at('2026-11-01T00:00:00Z'),
    activatedAt: at('2026-11-01T00:00:00Z'),
    ...overrides,
  };
}

function runner() {
  const calls: Array<{ tickAt: string; by: string }> = [];
  return { calls, run: async (_: Schedule, tickAt: Date, by: string) => (calls.push({ tickAt: tickAt.toISOString(), by }), 'created' as const) };
}

describe('the tick of a job scheduler job', () => {
  it('is the iteration time BullMQ puts in opts.prevMillis', () => {
    expect(tickOf({ id: 'repeat:schedule:x:1700000000000', opts: { prevMillis: 1700000000000 } })).toEqual(new Date(1700000000000));
  });
  it('falls back to the millis at the end of its id', () => {
    expect(tickOf({ id: 'repeat:schedule:x:1700000001000', opts: {} })).toEqual(new Date(1700000001000));
  });
  it('is undefined for a job that is no iteration', () => {
    expect(tickOf({ id: 'some-job', opts: {} })).toBeUndefined();
  });
});

describe('a tick (fixed clock)', () => {
  const job = (tick: string) =>
    ({ id: `repeat:schedule:x:${at(tick).getTime()}`, opts: { prevMillis: at(tick).getTime() }, data: { scheduleId: 'x', orgId: 'org', sandboxName: 'prod' } }) as never;
  const processor = (s: Schedule | null) => {
    const r = runner();
    const repo = { find: async () => s } as unknown as ScheduleRepository;
    return { r, p: new ScheduleTickProcessor(repo, r as unknown as ScheduleRunner, clock) };
  };

  it('runs its own tick when it is the latest due', async () => {
    const { r, p } = processor(schedule());
    await p.run(job('2026-12-03T01:00:00Z'));
    expect(r.calls).toEqual([{ tickAt: '2026-12-03T01:00:00.000Z', by: 'tick' }]);
  });
  it('taken after its successor was due, runs as that latest tick (one run for the missed stretch)', async () => {
    const { r, p } = processor(schedule());
    await p.run(job('2026-12-01T01:00:00Z'));
    expect(r.calls).toEqual([{ tickAt: '2026-12-03T01:00:00.000Z', by: 'tick' }]);
  });
  it.each([
    ['the schedule is gone', null],
    ['the schedule is inactive', schedule({ state: 'inactive' })],
    ['its year is left out', schedule({ schedule: '0 0 1 * * ? 2027' })],
    ['it is no tick of the current cron', schedule({ schedule: '0 0 2 * * ?' })],
    ['it is from before the schedule became active', schedule({ activatedAt: at('2026-12-03T09:00:00Z') })],
  ])('does nothing when %s', async (_, s) => {
    const { r, p } = processor(s);
    await p.run(job('2026-12-03T01:00:00Z'));
    expect(r.calls).toEqual([]);
  });
});

describe('the schedule reconciler (fixed clock)', () => {
  const config = { RECONCILE_INTERVAL_MS: 1000 } as never;
  function world(active: Schedule[], held: Array<{ scheduleId: string; pattern?: string }>, lastRun?: Date) {
    const upserted: string[] = [];
    const removed: string[] = [];
    const repo = { active: async (afterId: string) => (afterId ? [] : active), lastRunTick: async () => lastRun } as unknown as ScheduleRepository;
    const tickers = {
      list: async () => held,
      upsert: async (s: Schedule) => {
        if (s.id === 'broken') throw new Error('Redis refused it');
        upserted.push(s.id);
      },
      remove: async (id: string) => void removed.push(id),
    } as unknown as ScheduleTickers;
    const r = runner();
    const reconciler = new ScheduleReconcilerService(config, repo, tickers, r as unknown as ScheduleRunner, clock);
    return { upserted, removed, r, pass: () => reconciler.reconcile() };
  }

  it('gives each active schedule its job scheduler, replaces one of another pattern, removes the others', async () => {
    const a = schedule({ id: 'a' });
    const b = schedule({ id: 'b', schedule: '0 0 1 ? * 2' });
    const w = world(
      [a, b],
      [
        { scheduleId: 'b', pattern: '0 0 1 ? * 2' },
        { scheduleId: 'gone', pattern: '* * * * * ?' },
      ],
      at('2026-12-03T01:00:00Z'),
    );
    expect(await w.pass()).toEqual({ upserted: 2, removed: 1, caughtUp: 0, failed: 0 });
    expect(w.upserted).toEqual(['a', 'b']); // b is held with Quartz's Monday (2), which cron-parser reads as Tuesday
    expect(w.removed).toEqual(['gone']);
  });
  it('runs the latest missed tick once, and nothing when it has run', async () => {
    const missed = world([schedule()], [{ scheduleId: schedule().id, pattern: '0 0 1 * * ?' }], at('2026-11-28T01:00:00Z'));
    expect(await missed.pass()).toEqual({ upserted: 0, removed: 0, caughtUp: 1, failed: 0 });
    expect(missed.r.calls).toEqual([{ tickAt: '2026-12-03T01:00:00.000Z', by: 'catch-up' }]);
    const upToDate = world([schedule()], [{ scheduleId: schedule().id, pattern: '0 0 1 * * ?' }], at('2026-12-03T01:00:00Z'));
    expect((await upToDate.pass()).caughtUp).toBe(0);
    expect(upToDate.r.calls).toEqual([]);
  });
  it('goes on past a schedule that fails (counted, tried again next pass)', async () => {
    const w = world([schedule({ id: 'broken' }), schedule({ id: 'after' })], [], at('2026-12-03T01:00:00Z'));
    expect(await w.pass()).toEqual({ upserted: 1, removed: 0, caughtUp: 0, failed: 1 });
    expect(w.upserted).toEqual(['after']);
  });
});
