/**
 * Calendar days as the fuzz oracles count them, without the code under test (`shared/time.ts`):
 * a day is "YYYY-MM-DD" of the proleptic Gregorian calendar, years 0000 to 9999, and days are
 * counted as whole UTC days since the epoch, which is the same count as China days.
 */
import fc from 'fast-check';

const DAY_MS = 86_400_000;

/** The day number (days since 1970-01-01) of a day written YYYY-MM-DD; NaN when it is not one. */
export function dayNumber(day: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return NaN;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0 to 99 as 1900 to 1999
  date.setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  const number = date.getTime() / DAY_MS;
  return dayOf(number) === day ? number : NaN;
}

/** The day written YYYY-MM-DD of a day number; outside the years 0000–9999, ISO 8601's expanded year (±YYYYYY). */
export function dayOf(number: number): string {
  const date = new Date(number * DAY_MS);
  const pad = (value: number, width: number): string => String(value).padStart(width, '0');
  const year = date.getUTCFullYear();
  const written = year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`;
  return `${written}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
}

export const isRealDay = (day: unknown): day is string => typeof day === 'string' && !Number.isNaN(dayNumber(day));

/** Every day from `from` to `to`, both included. */
export const daysFrom = (from: string, to: string): string[] => Array.from({ length: dayNumber(to) - dayNumber(from) + 1 }, (_, i) => dayOf(dayNumber(from) + i));

/** The China day (UTC+8) of an instant. */
export const chinaDayOf = (at: number): string => dayOf(Math.floor((at + 8 * 3_600_000) / DAY_MS));

/**
 * Days around `today` (most of them), and the calendar's edges: the first and last years that can
 * be written, leap days, the epoch.
 */
export const day = (today: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: -400, max: 30 }).map((offset) => dayOf(dayNumber(today) + offset)) },
    { weight: 1, arbitrary: fc.constantFrom('0000-01-01', '0001-01-01', '0050-06-15', '0099-12-31', '0100-01-01', '1600-02-29', '1969-12-31', '1970-01-01', '2000-02-29', '9999-12-31') },
    { weight: 1, arbitrary: fc.integer({ min: dayNumber('0000-01-01'), max: dayNumber('9999-12-31') }).map(dayOf) },
  );

/** Text shaped like a day that is not one, or not shaped like one at all. */
export const notADay: fc.Arbitrary<string> = fc.constantFrom('2024-02-30', '2023-02-29', '1900-02-29', '2024-13-01', '2024-00-10', '2024-05-00', '2024-5-01', '24-05-01', '2024/05/01', '2024-05-01T00:00:00Z', ' 2024-05-01', '2024-05-01\n', '', '１９７０-01-01', '+2024-05-01', '-0001-01-01', '10000-01-01');
