/**
 * The 7-field cron of SCF timer triggers: `second minute hour day month weekday year`, each a
 * comma list of `*`, `n`, `a-b`, with an optional `/step` (`1/10` = every 10 from 1). Months take
 * JAN–DEC, weekdays SUN–SAT, and weekday 0 is Sunday (the current WeChat and SCF pages; older
 * copies said Monday). `?` is accepted as "any" in day and weekday; SCF's `L W #` are refused.
 *
 * Schedules are evaluated in Beijing time (UTC+8, no DST) computed from the UTC instant, never
 * from the machine's TZ, because the cloud fires triggers on Beijing wall clock while functions
 * run in UTC.
 *
 * @example
 *   const daily = parseCron('0 17 0 * * * *');          // 00:17:00 Beijing time every day
 *   daily.next(new Date('2024-06-01T00:00:00Z'));        // → 2024-06-01T16:17:00.000Z
 */
export interface Cron {
  readonly expression: string;
  /** The first instant strictly after `after` the schedule fires at, or null if it never fires again (years stop at 2099). */
  next(after: Date): Date | null;
  /** Does the schedule fire at this instant (whole seconds)? */
  matches(instant: Date): boolean;
}

const BEIJING_OFFSET_MS = 8 * 3600_000;

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const FIELDS: FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'weekday', min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
  { name: 'year', min: 1970, max: 2099 },
];

export class CronError extends Error {
  constructor(expression: string, problem: string) {
    super(`invalid timer cron "${expression}": ${problem} (7 fields: second minute hour day month weekday year, e.g. "0 0 2 * * * *")`);
    this.name = 'CronError';
  }
}

interface Field {
  allowed: Set<number>;
  /** `*` or `?`: for day and weekday, an unrestricted field does not take part in the day match. */
  any: boolean;
}

function parseValue(text: string, spec: FieldSpec, expression: string): number {
  const upper = text.toUpperCase();
  const named = spec.names?.indexOf(upper) ?? -1;
  if (named >= 0) return named + (spec.name === 'month' ? 1 : 0);
  if (/[LW#]/.test(upper) && !/^\d+$/.test(text)) throw new CronError(expression, `"${text}": SCF's L, W and # are not supported by the emulator`);
  if (!/^\d+$/.test(text)) throw new CronError(expression, `"${text}" is not a ${spec.name}`);
  const value = Number(text);
  if (value < spec.min || value > spec.max) throw new CronError(expression, `${spec.name} ${value} is outside ${spec.min}-${spec.max}`);
  return value;
}

function parseField(text: string, spec: FieldSpec, expression: string): Field {
  const allowed = new Set<number>();
  let any = false;
  for (const item of text.split(',')) {
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined || range === '') throw new CronError(expression, `"${item}" in the ${spec.name} field`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new CronError(expression, `step "${stepText}" in the ${spec.name} field`);
    let from: number;
    let to: number;
    if (range === '*' || range === '?') {
      if (range === '?' && spec.name !== 'day' && spec.name !== 'weekday') throw new CronError(expression, `"?" only fits the day and weekday fields`);
      [from, to] = [spec.min, spec.max];
      if (stepText === undefined) any = true;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      [from, to] = [parseValue(a, spec, expression), parseValue(b, spec, expression)];
      if (from > to) throw new CronError(expression, `range ${range} runs backwards`);
    } else {
      from = parseValue(range, spec, expression);
      to = stepText === undefined ? from : spec.max;
    }
    for (let v = from; v <= to; v += step) allowed.add(v);
  }
  return { allowed, any };
}

/** Beijing wall-clock fields of a UTC instant. */
function wallClock(ms: number): { year: number; month: number; day: number; hour: number; minute: number; second: number; weekday: number } {
  const d = new Date(ms + BEIJING_OFFSET_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

/** The UTC instant of a Beijing wall-clock time; Date.UTC normalises overflowing fields (day 32 → next month). */
const instantOf = (year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number =>
  Date.UTC(year, month - 1, day, hour, minute, second) - BEIJING_OFFSET_MS;

export function parseCron(expression: string): Cron {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 7) throw new CronError(expression, `${parts.length} fields`);
  const [second, minute, hour, day, month, weekday, year] = parts.map((part, i) => parseField(part, FIELDS[i], expression));

  // Like classic cron, when both day and weekday are restricted either one matching is enough.
  const dayMatches = (w: ReturnType<typeof wallClock>): boolean => {
    if (day.any && weekday.any) return true;
    if (day.any) return weekday.allowed.has(w.weekday);
    if (weekday.any) return day.allowed.has(w.day);
    return day.allowed.has(w.day) || weekday.allowed.has(w.weekday);
  };

  const matchesAt = (ms: number): boolean => {
    const w = wallClock(ms);
    return (
      year.allowed.has(w.year) &&
      month.allowed.has(w.month) &&
      dayMatches(w) &&
      hour.allowed.has(w.hour) &&
      minute.allowed.has(w.minute) &&
      second.allowed.has(w.second)
    );
  };

  return {
    expression,
    matches: (instant) => matchesAt(Math.floor(instant.getTime() / 1000) * 1000),
    next(after) {
      let ms = Math.floor(after.getTime() / 1000) * 1000 + 1000;
      // Each step skips to the start of the next unit whose field does not match, so the loop
      // runs a bounded number of times per year searched.
      for (;;) {
        const w = wallClock(ms);
        if (w.year > 2099) return null;
        if (!year.allowed.has(w.year)) ms = instantOf(w.year + 1, 1, 1);
        else if (!month.allowed.has(w.month)) ms = instantOf(w.year, w.month + 1, 1);
        else if (!dayMatches(w)) ms = instantOf(w.year, w.month, w.day + 1);
        else if (!hour.allowed.has(w.hour)) ms = instantOf(w.year, w.month, w.day, w.hour + 1);
        else if (!minute.allowed.has(w.minute)) ms = instantOf(w.year, w.month, w.day, w.hour, w.minute + 1);
        else if (!second.allowed.has(w.second)) ms += 1000;
        else return new Date(ms);
      }
    },
  };
}
