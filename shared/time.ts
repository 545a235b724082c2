/**
 * China days. Rukou counts by the calendar day in Beijing (UTC+8, no daylight saving), while the
 * cloud function's clock runs in UTC and timer triggers fire in Beijing time. Every day boundary is
 * therefore computed explicitly from UTC instants here, never from the machine's time zone.
 */

/** Beijing is UTC+8 all year round. */
export const CHINA_OFFSET_MS = 8 * 3600_000;
export const DAY_MS = 86_400_000;

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The China day ("YYYY-MM-DD") of an instant. */
export function chinaDay(at: Date | number): string {
  const ms = typeof at === 'number' ? at : at.getTime();
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** Whether a string is a real calendar day written "YYYY-MM-DD" (2024-02-30 is not). */
export function isChinaDay(day: unknown): day is string {
  if (typeof day !== 'string') return false;
  const match = DAY_PATTERN.exec(day);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === day;
}

/** The UTC instant at which a China day starts (00:00 Beijing = 16:00 UTC the day before). */
export function chinaDayStart(day: string): Date {
  if (!isChinaDay(day)) throw new RangeError(`"${day}" is not a day written YYYY-MM-DD`);
  return new Date(Date.parse(`${day}T00:00:00Z`) - CHINA_OFFSET_MS);
}

/** The UTC instant at which a China day ends (exclusive): the start of the next one. */
export function chinaDayEnd(day: string): Date {
  return new Date(chinaDayStart(day).getTime() + DAY_MS);
}

/** The China day `n` days after `day` (negative: before). */
export function addDays(day: string, n: number): string {
  return chinaDay(chinaDayStart(day).getTime() + n * DAY_MS);
}

/** How many days from `from` to `to` (0 when equal, negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((chinaDayStart(to).getTime() - chinaDayStart(from).getTime()) / DAY_MS);
}

/** Every day from `from` to `to`, both included, in order. */
export function dayRange(from: string, to: string): string[] {
  const count = daysBetween(from, to);
  return Array.from({ length: Math.max(0, count + 1) }, (_, i) => addDays(from, i));
}
