import { tickOf } from './schedule-tick.processor';

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
