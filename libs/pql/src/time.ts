/**
 * Calendar arithmetic in one IANA zone, with the platform's Intl (no library: the only zone work
 * needed is "wall clock of an instant" and its inverse, which Intl.DateTimeFormat gives exactly;
 * the UTC default takes a fast path with no Intl at all).
 */
import { PqlError } from './api';
import type { Unit } from './ast';

/** A time reference: [start, end) in epoch ms. An instant t is [t, t + 1). */
export interface Interval {
  readonly start: number;
  readonly end: number;
}

export interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
}

const FORMATTERS = new Map<string, Intl.DateTimeFormat>();

export const isUtc = (zone: string): boolean => zone === 'UTC' || zone === 'Etc/UTC' || zone === 'GMT';

/** Throws PqlError('invalid') for a zone Intl does not know. */
export function assertZone(zone: string): void {
  if (isUtc(zone)) return;
  try {
    formatter(zone);
  } catch {
    throw new PqlError('invalid', `unknown time zone '${zone}' at 0:0`, 0, 0);
  }
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = FORMATTERS.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    FORMATTERS.set(zone, f);
  }
  return f;
}

/** Epoch ms of a UTC wall clock; any year (Date.UTC maps 0..99 to 19xx), fields may overflow. */
export function utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const dt = new Date(0);
  dt.setUTCFullYear(y, mo - 1, d);
  dt.setUTCHours(h, mi, s, ms);
  return dt.getTime();
}

/** Zone offset at an instant: wall clock minus UTC, in ms. */
export function offsetAt(ms: number, zone: string): number {
  if (isUtc(zone)) return 0;
  const parts = formatter(zone).formatToParts(new Date(ms));
  let y = 0;
  let mo = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  let s = 0;
  let bc = false;
  for (const p of parts) {
    switch (p.type) {
      case 'year':
        y = Number(p.value);
        break;
      case 'month':
        mo = Number(p.value);
        break;
      case 'day':
        d = Number(p.value);
        break;
      case 'hour':
        h = Number(p.value);
        break;
      case 'minute':
        mi = Number(p.value);
        break;
      case 'second':
        s = Number(p.value);
        break;
      case 'era':
        bc = p.value.startsWith('B');
        break;
    }
  }
  if (bc) y = 1 - y;
  const whole = Math.floor(ms / 1000) * 1000;
  return utc(y, mo, d, h, mi, s) - whole;
}

export function toWall(ms: number, zone: string): Wall {
  const dt = new Date(ms + offsetAt(ms, zone));
  return {
    y: dt.getUTCFullYear(),
    mo: dt.getUTCMonth() + 1,
    d: dt.getUTCDate(),
    h: dt.getUTCHours(),
    mi: dt.getUTCMinutes(),
    s: dt.getUTCSeconds(),
    ms: dt.getUTCMilliseconds(),
  };
}

/** The instant a wall clock in `zone` names (fields may overflow; in a DST gap, the later reading). */
export function fromWall(zone: string, y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const local = utc(y, mo, d, h, mi, s, ms);
  if (isUtc(zone)) return local;
  let t = local - offsetAt(local, zone);
  const o2 = offsetAt(t, zone);
  if (local - o2 !== t) t = local - o2;
  return t;
}

const FIXED: Partial<Record<Unit, number>> = { millisecond: 1, second: 1000, minute: 60_000, hour: 3_600_000 };
const MONTHS: Partial<Record<Unit, number>> = { month: 1, year: 12, decade: 120, century: 1200, millennium: 12000 };

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** Days in month `mo` (1-12) of proleptic Gregorian year `y`. */
export const daysInMonth = (y: number, mo: number): number => (mo === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : MONTH_DAYS[mo - 1]);

/** ms + n units: fixed durations below a day, calendar days/weeks and months (day clamped to the month's end). */
export function addUnits(ms: number, n: number, unit: Unit, zone: string): number {
  const fixed = FIXED[unit];
  if (fixed !== undefined) return ms + n * fixed;
  const w = toWall(ms, zone);
  if (unit === 'day' || unit === 'week') return fromWall(zone, w.y, w.mo, w.d + n * (unit === 'week' ? 7 : 1), w.h, w.mi, w.s, w.ms);
  const total = w.y * 12 + (w.mo - 1) + n * (MONTHS[unit] as number);
  const y = Math.floor(total / 12);
  const mo = total - y * 12 + 1;
  return fromWall(zone, y, mo, Math.min(w.d, daysInMonth(y, mo)), w.h, w.mi, w.s, w.ms);
}

/** Start of the calendar unit containing ms (weeks start on Monday, ISO 8601; decades at years ending in 0). */
export function floorUnit(ms: number, unit: Unit, zone: string): number {
  const w = toWall(ms, zone);
  switch (unit) {
    case 'millisecond':
      return ms;
    case 'second':
      return fromWall(zone, w.y, w.mo, w.d, w.h, w.mi, w.s);
    case 'minute':
      return fromWall(zone, w.y, w.mo, w.d, w.h, w.mi);
    case 'hour':
      return fromWall(zone, w.y, w.mo, w.d, w.h);
    case 'day':
      return fromWall(zone, w.y, w.mo, w.d);
    case 'week': {
      const dow = new Date(utc(w.y, w.mo, w.d)).getUTCDay(); // 0 = Sunday
      return fromWall(zone, w.y, w.mo, w.d - ((dow + 6) % 7));
    }
    case 'month':
      return fromWall(zone, w.y, w.mo, 1);
    case 'year':
      return fromWall(zone, w.y, 1, 1);
    case 'decade':
      return fromWall(zone, Math.floor(w.y / 10) * 10, 1, 1);
    case 'century':
      return fromWall(zone, Math.floor(w.y / 100) * 100, 1, 1);
    case 'millennium':
      return fromWall(zone, Math.floor(w.y / 1000) * 1000, 1, 1);
  }
}

export const instant = (ms: number): Interval => ({ start: ms, end: ms + 1 });

export function calendarWord(word: 'now' | 'today' | 'yesterday' | 'tomorrow', nowMs: number, zone: string): Interval {
  if (word === 'now') return instant(nowMs);
  const today = floorUnit(nowMs, 'day', zone);
  const shift = word === 'today' ? 0 : word === 'yesterday' ? -1 : 1;
  const start = addUnits(today, shift, 'day', zone);
  return { start, end: addUnits(start, 1, 'day', zone) };
}

export function calendarUnit(which: 'this' | 'last' | 'next', unit: Unit, nowMs: number, zone: string): Interval {
  const cur = floorUnit(nowMs, unit, zone);
  const start = which === 'this' ? cur : addUnits(cur, which === 'last' ? -1 : 1, unit, zone);
  return { start, end: addUnits(start, 1, unit, zone) };
}

export function calendarDate(y: number, m: number, d: number, zone: string): Interval {
  return { start: fromWall(zone, y, m, d), end: fromWall(zone, y, m, d + 1) };
}

const ISO = /^([+-]?\d{4,6})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * An ISO-8601 string as epoch ms: with `Z` or an offset, that instant; a date or date-time without
 * one is a wall clock in `zone`. Anything else (numbers included: epoch seconds or ms cannot be
 * told apart) is not a timestamp: null.
 */
export function parseTimestamp(v: unknown, zone: string): number | null {
  if (typeof v !== 'string') return null;
  // Events carry the canonical UTC form (what toISOString writes): read without the regex.
  if ((v.length === 24 || v.length === 20) && v.charCodeAt(v.length - 1) === 90 /* Z */) {
    const fast = canonicalUtc(v);
    if (fast !== undefined) return fast;
  }
  // A date (birth dates): midnight UTC when the zone is UTC.
  if (v.length === 10 && isUtc(zone)) {
    const fast = canonicalDate(v);
    if (fast !== undefined) return fast;
  }
  return parseTimestampByPattern(v, zone);
}

const digit = (v: string, i: number): number => {
  const c = v.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};
const digits = (v: string, i: number, n: number): number => {
  let out = 0;
  for (let k = 0; k < n; k++) out = out * 10 + digit(v, i + k);
  return out;
};

/**
 * `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.sssZ` as epoch ms; undefined for anything else
 * (the pattern then decides, so a string this rejects is not thereby invalid).
 */
function canonicalUtc(v: string): number | undefined {
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return undefined;
  if (v.length === 24 && v.charCodeAt(19) !== 46) return undefined;
  const y = digits(v, 0, 4);
  const mo = digits(v, 5, 2);
  const d = digits(v, 8, 2);
  const h = digits(v, 11, 2);
  const mi = digits(v, 14, 2);
  const s = digits(v, 17, 2);
  const ms = v.length === 24 ? digits(v, 20, 3) : 0;
  // NaN (a non-digit) fails every comparison below; years under 100 take the general path (Date.UTC maps them to 19xx).
  if (!(y >= 100 && mo >= 1 && mo <= 12 && d >= 1 && h <= 23 && mi <= 59 && s <= 59 && ms >= 0)) return undefined;
  if (d > daysInMonth(y, mo)) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
}

/** `YYYY-MM-DD` as epoch ms of its midnight UTC; undefined for anything else (the pattern decides). */
function canonicalDate(v: string): number | undefined {
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45) return undefined;
  const y = digits(v, 0, 4);
  const mo = digits(v, 5, 2);
  const d = digits(v, 8, 2);
  if (!(y >= 100 && mo >= 1 && mo <= 12 && d >= 1) || d > daysInMonth(y, mo)) return undefined;
  return Date.UTC(y, mo - 1, d);
}

/** parseTimestamp by the ISO pattern alone (the naive interpreter's reading, and the fast path's reference). */
export function parseTimestampByPattern(v: string, zone: string): number | null {
  const m = ISO.exec(v);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = m[4] === undefined ? 0 : Number(m[4]);
  const mi = m[5] === undefined ? 0 : Number(m[5]);
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return null;
  if (m[8]) return utc(y, mo, d, h, mi, s, ms);
  if (m[9]) {
    const off = (Number(m[10]) * 60 + Number(m[11])) * 60_000;
    return utc(y, mo, d, h, mi, s, ms) - (m[9] === '+' ? off : -off);
  }
  return fromWall(zone, y, mo, d, h, mi, s, ms);
}

/** Year, month (1-12) or day of month of an instant in `zone`. */
export function datePart(ms: number, part: 'year' | 'month' | 'day', zone: string): number {
  const dt = new Date(ms + offsetAt(ms, zone));
  return part === 'year' ? dt.getUTCFullYear() : part === 'month' ? dt.getUTCMonth() + 1 : dt.getUTCDate();
}
