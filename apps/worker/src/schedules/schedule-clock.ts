import type { Provider } from '@nestjs/common';

/** Where schedule runs read "now" (the catch-up decision, stale ticks): injectable, so tests can fix it. */
export interface ScheduleClock {
  now(): Date;
}

export const SCHEDULE_CLOCK = Symbol('SCHEDULE_CLOCK');

export const systemScheduleClock: Provider = { provide: SCHEDULE_CLOCK, useValue: { now: () => new Date() } satisfies ScheduleClock };
