import { CronExpressionParser } from 'cron-parser';

/**
 * A Quartz cron expression as AEP's schedules take it: `sec min hour day-of-month month
 * day-of-week [year]`, always in UTC. `pattern` is the same expression in the 6-field syntax
 * cron-parser (and so BullMQ's job schedulers) reads: day-of-week renumbered (Quartz counts SUN=1
 * … SAT=7, cron-parser SUN=0 … SAT=6) and the year field left out; `years` holds that field's
 * years (undefined: every year), which cron-parser cannot express, so ticks of other years are
 * skipped by whoever fires them.
 */
export interface QuartzCron {
  /** The expression as given (trimmed, single spaces). */
  expression: string;
  pattern: string;
  years?: ReadonlySet<number>;
}

/** A cron expression that is not Quartz, or that we cannot run: the message says why. */
export class CronProblem extends Error {}

const YEAR_MIN = 1970;
const YEAR_MAX = 2099;
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** How far catch-up and interval checks look for a tick (cron-parser gives up past this too). */
const SEARCH_YEARS = 8;

/**
 * Parses a Quartz expression. 5-field (unix) crons are refused: AEP's schedules are Quartz, and a
 * 5-field text read as Quartz would mean something else (its first field is the second).
 */
export function parseQuartzCron(text: string): QuartzCron {
  const fields = text.trim().split(/\s+/);
  if (fields.length === 5) throw new CronProblem('has 5 fields (a unix cron); a Quartz cron has 6 or 7: sec min hour day-of-month month day-of-week [year], e.g. "0 0 1 * * ?"');
  if (fields.length !== 6 && fields.length !== 7)
    throw new CronProblem(`has ${fields.length} fields; a Quartz cron has 6 or 7: sec min hour day-of-month month day-of-week [year]`);
  const [sec, min, hour, dom, month, dow, year] = fields;
  const unsupported = [sec, min, hour, dom, month].find((f) => /[HW]/i.test(f) || /L-/i.test(f));
  const question = [sec, min, hour, month].find((f) => f.includes('?'));
  if (question) throw new CronProblem(`"${question}": "?" belongs only in day-of-month or day-of-week`);
  if (unsupported) throw new CronProblem(`"${unsupported}": W (nearest weekday), L-n and H are not supported`);
  const domOpen = dom === '?' || dom === '*';
  const dowOpen = dow === '?' || dow === '*';
  if (dom === '?' && dow === '?') throw new CronProblem('day-of-month and day-of-week cannot both be "?"');
  if (!domOpen && !dowOpen) throw new CronProblem('set either day-of-month or day-of-week, and "?" in the other (Quartz cannot combine them)');
  const pattern = [sec, min, hour, dom, month, quartzDayOfWeek(dow)].join(' ');
  try {
    CronExpressionParser.parse(pattern, { tz: 'UTC', strict: false });
  } catch (e) {
    throw new CronProblem(`is not a valid Quartz cron: ${(e as Error).message}`);
  }
  const cron: QuartzCron = { expression: fields.join(' '), pattern };
  if (year !== undefined && year !== '*' && year !== '?') cron.years = parseYears(year);
  return cron;
}

/** Quartz day-of-week (1-7 from SUN, names, ranges, steps, nL, n#k, L) as cron-parser's 0-6. */
function quartzDayOfWeek(field: string): string {
  if (field === '?' || field === '*') return field;
  const dayNumber = (token: string): number => {
    const named = DAY_NAMES.indexOf(token.toUpperCase());
    if (named >= 0) return named + 1;
    if (!/^\d+$/.test(token) || Number(token) < 1 || Number(token) > 7) throw new CronProblem(`day-of-week "${field}": days are 1-7 (SUN=1) or SUN-SAT`);
    return Number(token);
  };
  const out: string[] = [];
  for (const part of field.split(',')) {
    let m: RegExpExecArray | null;
    if (part.toUpperCase() === 'L') out.push('6');
    else if ((m = /^(\w+)L$/i.exec(part))) out.push(`${dayNumber(m[1]) - 1}L`);
    else if ((m = /^(\w+)#([1-5])$/.exec(part))) out.push(`${dayNumber(m[1]) - 1}#${m[2]}`);
    else out.push(...expand(part, 1, 7, dayNumber, `day-of-week "${field}"`).map((d) => String(d - 1)));
  }
  return [...new Set(out)].join(',');
}

/** One comma part of a field: `*`, `n`, `a-b`, with an optional `/step`, as the values it stands for. */
function expand(part: string, lo: number, hi: number, value: (token: string) => number, what: string): number[] {
  const m = /^(\*|\w+)(?:-(\w+))?(?:\/(\d+))?$/.exec(part);
  if (!m) throw new CronProblem(`${what}: "${part}" is not a value, range or step`);
  const step = m[3] === undefined ? 1 : Number(m[3]);
  if (step < 1) throw new CronProblem(`${what}: a step must be 1 or more`);
  const from = m[1] === '*' ? lo : value(m[1]);
  // Quartz reads `n/step` as "from n to the end, every step".
  const to = m[2] !== undefined ? value(m[2]) : m[1] === '*' || m[3] !== undefined ? hi : from;
  if (to < from) throw new CronProblem(`${what}: the range ${part} runs backwards`);
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}

function parseYears(field: string): ReadonlySet<number> {
  const what = `year "${field}"`;
  const year = (token: string): number => {
    if (!/^\d{4}$/.test(token) || Number(token) < YEAR_MIN || Number(token) > YEAR_MAX) throw new CronProblem(`${what}: years are ${YEAR_MIN}-${YEAR_MAX}`);
    return Number(token);
  };
  return new Set(field.split(',').flatMap((part) => expand(part, YEAR_MIN, YEAR_MAX, year, what)));
}

const inYears = (cron: QuartzCron, at: Date) => !cron.years || cron.years.has(at.getUTCFullYear());

/** Whether `at` is a tick of the cron (its year included). */
export function isTick(cron: QuartzCron, at: Date): boolean {
  if (!inYears(cron, at)) return false;
  const before = new Date(at.getTime() - 1);
  const next = CronExpressionParser.parse(cron.pattern, { tz: 'UTC', currentDate: before }).next();
  return next.getTime() === at.getTime();
}

/** The first tick after `after`, years honoured; undefined if there is none in the next years. */
export function nextTick(cron: QuartzCron, after: Date): Date | undefined {
  const until = addYears(after, SEARCH_YEARS);
  try {
    const it = CronExpressionParser.parse(cron.pattern, { tz: 'UTC', currentDate: after, endDate: until });
    while (it.hasNext()) {
      const at = it.next().toDate();
      if (inYears(cron, at)) return at;
      // Straight to the next year it may fire in, not tick by tick (a per-second cron of a later year).
      const year = [...cron.years!].filter((y) => y > at.getUTCFullYear()).sort((a, b) => a - b)[0];
      if (year === undefined || Date.UTC(year, 0, 1) > until.getTime()) return undefined;
      it.reset(new Date(Date.UTC(year, 0, 1) - 1));
    }
  } catch {
    // cron-parser gives up on a cron with no tick in its search (30 February): none.
  }
  return undefined;
}

/** The latest tick at or before `at`, years honoured; undefined if there is none in the last years. */
export function latestTick(cron: QuartzCron, at: Date): Date | undefined {
  const since = addYears(at, -SEARCH_YEARS);
  try {
    const it = CronExpressionParser.parse(cron.pattern, { tz: 'UTC', currentDate: new Date(at.getTime() + 1), startDate: since });
    while (it.hasPrev()) {
      const tick = it.prev().toDate();
      if (inYears(cron, tick)) return tick;
      const year = [...cron.years!].filter((y) => y < tick.getUTCFullYear()).sort((a, b) => b - a)[0];
      if (year === undefined || Date.UTC(year + 1, 0, 1) < since.getTime()) return undefined;
      it.reset(new Date(Date.UTC(year + 1, 0, 1)));
    }
  } catch {
    // As in nextTick: no tick in the search.
  }
  return undefined;
}

function addYears(at: Date, years: number): Date {
  const d = new Date(at.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

/**
 * The shortest time between two ticks, in seconds, exactly: ticks of one day are the same times
 * of day (sec × min × hour, all UTC), so the shortest gap is either between two of them or across
 * midnight between two consecutive days on which it fires (looked for over the next years).
 * Undefined when it fires at most once (then no gap is too short).
 */
export function shortestIntervalSeconds(cron: QuartzCron, from: Date): number | undefined {
  const { fields } = CronExpressionParser.parse(cron.pattern, { tz: 'UTC' });
  const times: number[] = [];
  for (const h of fields.hour.values) for (const m of fields.minute.values) for (const s of fields.second.values) times.push(Number(h) * 3600 + Number(m) * 60 + Number(s));
  times.sort((a, b) => a - b);
  let shortest: number | undefined;
  for (let i = 1; i < times.length; i++) shortest = Math.min(shortest ?? Infinity, times[i] - times[i - 1]);
  const acrossMidnight = 86400 - times[times.length - 1] + times[0];
  if (shortest !== undefined && shortest <= acrossMidnight) return shortest;
  const [, , , dom, month, dow] = cron.pattern.split(' ');
  let previous: number | undefined;
  try {
    const days = CronExpressionParser.parse(`0 0 0 ${dom} ${month} ${dow}`, { tz: 'UTC', currentDate: from, endDate: addYears(from, SEARCH_YEARS) });
    while (days.hasNext()) {
      const day = days.next().toDate();
      if (!inYears(cron, day)) continue;
      if (previous !== undefined && day.getTime() - previous === 86400_000) return acrossMidnight;
      previous = day.getTime();
    }
  } catch {
    // No day in the search: no midnight to cross.
  }
  return shortest;
}

/** How long a tick is left to its job scheduler before a catch-up may run it instead. */
export const CATCH_UP_GRACE_MS = 2000;

/**
 * The one run a schedule owes after a time nobody fired it (every worker down, Redis emptied):
 * its latest tick at or before `now`, if that came after it became active (or its cron last
 * changed) and after the last tick it ran. Older missed ticks are not replayed: a schedule that
 * missed three ticks runs once, for the latest. A tick younger than `graceMs` is left to its job
 * scheduler (it is not missed yet); a schedule firing more often than that never needs one.
 */
export function catchUpTick(cron: QuartzCron, now: Date, activatedAt: Date, lastRunTick: Date | undefined, graceMs = CATCH_UP_GRACE_MS): Date | undefined {
  const latest = latestTick(cron, now);
  if (!latest || latest.getTime() <= activatedAt.getTime()) return undefined;
  if (now.getTime() - latest.getTime() < graceMs) return undefined;
  if (lastRunTick && latest.getTime() <= lastRunTick.getTime()) return undefined;
  return latest;
}
