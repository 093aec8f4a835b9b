import { daysInMonth, parseTimestamp, parseTimestampByPattern, utc } from './time';

/** A small seeded generator (mulberry32): the cases are the same on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('parseTimestamp: the fast path for canonical UTC strings reads as the ISO pattern does', () => {
  it('agrees with the pattern on valid instants across four centuries and on leap days', () => {
    const next = rng(7);
    for (let i = 0; i < 5000; i++) {
      const ms = Math.floor((next() - 0.3) * 1e13);
      const iso = new Date(ms).toISOString();
      if (iso.length !== 24) continue;
      expect(parseTimestamp(iso, 'UTC')).toBe(ms);
      expect(parseTimestamp(iso, 'Europe/Berlin')).toBe(parseTimestampByPattern(iso, 'Europe/Berlin'));
      const noMs = iso.slice(0, 19) + 'Z';
      const date = iso.slice(0, 10);
      expect(parseTimestamp(date, 'UTC')).toBe(parseTimestampByPattern(date, 'UTC'));
      expect(parseTimestamp(noMs, 'UTC')).toBe(parseTimestampByPattern(noMs, 'UTC'));
    }
    expect(parseTimestamp('2024-02-29T23:59:59.999Z', 'UTC')).toBe(Date.UTC(2024, 1, 29, 23, 59, 59, 999));
    expect(parseTimestamp('2000-02-29T00:00:00Z', 'UTC')).toBe(Date.UTC(2000, 1, 29));
  });

  it('gives the pattern the last word on everything else: corrupted, out of range and small-year strings', () => {
    const next = rng(11);
    const chars = '0123456789-:.TZz+ x';
    const base = [
      '2024-02-29',
      '2023-02-29',
      '0050-01-01',
      '2024-02-29T12:34:56.789Z',
      '1900-02-29T00:00:00Z',
      '0099-12-31T23:59:59.999Z',
      '2023-13-01T00:00:00Z',
      '2023-04-31T00:00:00.000Z',
      '2023-01-01T24:00:00Z',
      '2023-01-01T00:60:00Z',
      '2023-01-01T00:00:60.000Z',
    ];
    const cases = [...base];
    for (let i = 0; i < 4000; i++) {
      const s = base[Math.floor(next() * base.length)].split('');
      s[Math.floor(next() * s.length)] = chars[Math.floor(next() * chars.length)];
      cases.push(s.join(''));
    }
    for (const c of cases) expect([c, parseTimestamp(c, 'UTC')]).toEqual([c, parseTimestampByPattern(c, 'UTC')]);
    expect(parseTimestamp('1900-02-29T00:00:00Z', 'UTC')).toBeNull();
    expect(parseTimestamp('0099-12-31T23:59:59.999Z', 'UTC')).toBe(utc(99, 12, 31, 23, 59, 59, 999));
  });
});

describe('daysInMonth', () => {
  it('is the calendar month length (Gregorian leap rule)', () => {
    for (const y of [1, 4, 100, 400, 1600, 1900, 1999, 2000, 2023, 2024, 2100, 9999]) {
      for (let mo = 1; mo <= 12; mo++) expect([y, mo, daysInMonth(y, mo)]).toEqual([y, mo, new Date(utc(y, mo + 1, 0)).getUTCDate()]);
    }
  });
});
