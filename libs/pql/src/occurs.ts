/** `occurs` forms as tests on an instant (PQL.md 2.2: time references are [start, end) intervals). */
import type { OccursForm } from './ast';
import { addUnits, type Interval } from './time';

export type TsTest = (ts: number) => boolean;

/**
 * The test for one form, given its resolved intervals (`t`, or `a`/`b` for between). Built once per
 * compile when the references are calendar words; per evaluation when they are read from data.
 */
export function occursTest(form: OccursForm, t: Interval | null, a: Interval | null, b: Interval | null, zone: string): TsTest {
  switch (form.f) {
    case 'on': {
      const { start, end } = t as Interval;
      return (ts) => ts >= start && ts < end;
    }
    case 'before': {
      const start = (t as Interval).start;
      return (ts) => ts < start;
    }
    case 'after':
    case 'from': {
      const end = (t as Interval).end;
      return (ts) => ts >= end;
    }
    case 'between': {
      const lo = (a as Interval).start;
      const hi = (b as Interval).end;
      return (ts) => ts >= lo && ts < hi;
    }
    case 'window':
      return form.dir === 'before' ? windowBefore(form.op, form.n, form, t as Interval, zone) : windowAfter(form.op, form.n, form, t as Interval, zone);
  }
}

/** d = T.start - ts, d >= 0, compared with n units (`=`: (n-1)u < d <= n u). */
function windowBefore(op: string, n: number, form: { unit: Parameters<typeof addUnits>[2] }, t: Interval, zone: string): TsTest {
  const base = t.start;
  const bound = addUnits(base, -n, form.unit, zone);
  const prev = addUnits(base, -(n - 1), form.unit, zone);
  switch (op) {
    case '<=':
      return (ts) => ts >= bound && ts <= base;
    case '<':
      return (ts) => ts > bound && ts <= base;
    case '>=':
      return (ts) => ts <= bound;
    case '>':
      return (ts) => ts < bound;
    case '=':
      return (ts) => ts >= bound && ts < prev && ts <= base;
    default:
      return (ts) => ts <= base && !(ts >= bound && ts < prev);
  }
}

/** d = ts - T.end, d >= 0, compared with n units. */
function windowAfter(op: string, n: number, form: { unit: Parameters<typeof addUnits>[2] }, t: Interval, zone: string): TsTest {
  const base = t.end;
  const bound = addUnits(base, n, form.unit, zone);
  const prev = addUnits(base, n - 1, form.unit, zone);
  switch (op) {
    case '<=':
      return (ts) => ts >= base && ts <= bound;
    case '<':
      return (ts) => ts >= base && ts < bound;
    case '>=':
      return (ts) => ts >= bound;
    case '>':
      return (ts) => ts > bound;
    case '=':
      return (ts) => ts > prev && ts <= bound && ts >= base;
    default:
      return (ts) => ts >= base && !(ts > prev && ts <= bound);
  }
}
