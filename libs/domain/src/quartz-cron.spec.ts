import { CronProblem, catchUpTick, isTick, latestTick, nextTick, parseQuartzCron, shortestIntervalSeconds } from './quartz-cron';

const at = (iso: string) => new Date(iso);
const NOW = at('2026-12-03T14:10:30Z'); // a Thursday

describe('Quartz cron (AEP schedules)', () => {
  it('reads 6 fields as sec min hour dom month dow, in UTC', () => {
    const cron = parseQuartzCron('0 0 1 * * ?');
    expect(nextTick(cron, NOW)).toEqual(at('2026-12-04T01:00:00Z'));
    expect(latestTick(cron, NOW)).toEqual(at('2026-12-03T01:00:00Z'));
  });

  it('counts day-of-week from SUN=1 as Quartz does, names, ranges, steps, nL and n#k included', () => {
    expect(nextTick(parseQuartzCron('0 0 12 ? * 2'), NOW)).toEqual(at('2026-12-07T12:00:00Z')); // Monday
    expect(nextTick(parseQuartzCron('0 0 12 ? * 1'), NOW)).toEqual(at('2026-12-06T12:00:00Z')); // Sunday
    expect(nextTick(parseQuartzCron('0 0 12 ? * 7'), NOW)).toEqual(at('2026-12-05T12:00:00Z')); // Saturday
    expect(nextTick(parseQuartzCron('0 0 12 ? * MON-FRI'), NOW)).toEqual(at('2026-12-04T12:00:00Z'));
    expect(nextTick(parseQuartzCron('0 0 12 ? * 2-3'), at('2026-12-04T00:00:00Z'))).toEqual(at('2026-12-07T12:00:00Z'));
    expect(parseQuartzCron('0 0 12 ? * 2/2').pattern).toBe('0 0 12 ? * 1,3,5'); // Mon, Wed, Fri; never Sunday
    expect(nextTick(parseQuartzCron('0 0 12 ? * 6L'), NOW)).toEqual(at('2026-12-25T12:00:00Z')); // last Friday
    expect(nextTick(parseQuartzCron('0 0 12 ? * 6#3'), NOW)).toEqual(at('2026-12-18T12:00:00Z')); // third Friday
    expect(nextTick(parseQuartzCron('0 0 12 L * ?'), NOW)).toEqual(at('2026-12-31T12:00:00Z'));
  });

  it('takes a 7th field of years: ticks of other years do not count', () => {
    const cron = parseQuartzCron('0 0 1 * * ? 2028-2029');
    expect([...cron.years!]).toEqual([2028, 2029]);
    expect(nextTick(cron, NOW)).toEqual(at('2028-01-01T01:00:00Z'));
    expect(latestTick(cron, NOW)).toBeUndefined();
    expect(latestTick(cron, at('2030-06-01T00:00:00Z'))).toEqual(at('2029-12-31T01:00:00Z'));
    expect(isTick(cron, at('2027-01-01T01:00:00Z'))).toBe(false);
    expect(isTick(cron, at('2028-01-01T01:00:00Z'))).toBe(true);
    expect(parseQuartzCron('* * * * * ? *').years).toBeUndefined();
    expect([...parseQuartzCron('0 0 0 1 1 ? 2030/5,2027').years!].sort()).toEqual([2027, 2030, 2035, 2040, 2045, 2050, 2055, 2060, 2065, 2070, 2075, 2080, 2085, 2090, 2095]);
    // A per-second cron of a later year finds that year at once.
    expect(nextTick(parseQuartzCron('* * * * * ? 2031'), NOW)).toEqual(at('2031-01-01T00:00:00Z'));
  });

  it.each([
    ['0 0 * * *', /5 fields \(a unix cron\)/],
    ['0 0 1 * * ? 2027 x', /8 fields/],
    ['61 0 1 * * ?', /not a valid Quartz cron/],
    ['0 0 1 * * ? 1900', /years are 1970-2099/],
    ['0 0 1 * * ? 2030-2027', /runs backwards/],
    ['0 0 1 ? * 8', /days are 1-7/],
    ['0 0 1 ? * ?', /cannot both be "\?"/],
    ['0 0 1 5 * 2', /set either day-of-month or day-of-week/],
    ['0 0 1 15W * ?', /not supported/],
    ['? 0 1 * * ?', /belongs only in day-of-month or day-of-week/],
    ['0 0 1 * * ? twenty', /years are/],
  ])('refuses %s', (text, message) => {
    expect(() => parseQuartzCron(text)).toThrow(CronProblem);
    expect(() => parseQuartzCron(text)).toThrow(message);
  });

  it('knows the shortest time between two ticks exactly, across midnight included', () => {
    expect(shortestIntervalSeconds(parseQuartzCron('* * * * * ?'), NOW)).toBe(1);
    expect(shortestIntervalSeconds(parseQuartzCron('0 */5 * * * ?'), NOW)).toBe(300);
    expect(shortestIntervalSeconds(parseQuartzCron('0 0 1 * * ?'), NOW)).toBe(86400);
    expect(shortestIntervalSeconds(parseQuartzCron('0 0 0,12 * * ?'), NOW)).toBe(43200);
    // 23:59 and 00:01 of the next day: two minutes apart, though each day's ticks are 23 h 58 min apart.
    expect(shortestIntervalSeconds(parseQuartzCron('0 1,59 0,23 * * ?'), NOW)).toBe(120);
    // The same across a midnight that only comes on consecutive days it fires: never on Mon then Wed.
    expect(shortestIntervalSeconds(parseQuartzCron('0 1,59 0,23 ? * 2,4'), NOW)).toBe(58 * 60);
    expect(shortestIntervalSeconds(parseQuartzCron('0 0 12 1 1 ? 2030'), NOW)).toBeUndefined();
  });

  describe('the catch-up decision (a fixed clock)', () => {
    const daily = parseQuartzCron('0 0 1 * * ?');
    const activated = at('2026-11-30T10:00:00Z');

    it('runs the latest missed tick once, not the older ones', () => {
      expect(catchUpTick(daily, NOW, activated, at('2026-12-01T01:00:00Z'))).toEqual(at('2026-12-03T01:00:00Z'));
    });
    it('runs nothing when the latest tick has run', () => {
      expect(catchUpTick(daily, NOW, activated, at('2026-12-03T01:00:00Z'))).toBeUndefined();
    });
    it('runs nothing for a tick before the schedule became active', () => {
      expect(catchUpTick(daily, NOW, at('2026-12-03T09:00:00Z'), undefined)).toBeUndefined();
      expect(catchUpTick(daily, NOW, at('2026-12-03T00:59:59Z'), undefined)).toEqual(at('2026-12-03T01:00:00Z'));
    });
    it('leaves a tick younger than the grace to its job scheduler, then runs it', () => {
      expect(catchUpTick(daily, at('2026-12-04T01:00:01Z'), activated, at('2026-12-03T01:00:00Z'))).toBeUndefined();
      expect(catchUpTick(daily, at('2026-12-04T01:00:02Z'), activated, at('2026-12-03T01:00:00Z'))).toEqual(at('2026-12-04T01:00:00Z'));
      expect(catchUpTick(daily, at('2026-12-04T01:00:00Z'), activated, at('2026-12-03T01:00:00Z'), 0)).toEqual(at('2026-12-04T01:00:00Z'));
      // A per-second schedule's latest tick is always younger: its job scheduler alone fires it.
      expect(catchUpTick(parseQuartzCron('* * * * * ?'), at('2026-12-04T01:00:00.999Z'), activated, undefined)).toBeUndefined();
    });
    it('skips years the 7th field leaves out', () => {
      expect(catchUpTick(parseQuartzCron('0 0 1 * * ? 2027'), NOW, activated, undefined)).toBeUndefined();
    });
  });
});
