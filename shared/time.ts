/**
 * China days. Rukou counts by the calendar day in Beijing (UTC+8, no daylight saving), while the
 * cloud function's clock runs in UTC and timer triggers fire in Beijing time. Every day boundary is
 * therefore computed from UTC instants and a fixed +08:00 offset with the `Date` UTC methods, never
 * from the machine's time zone (a developer laptop in Berlin must count the same days as the cloud).
 *
 * A day is written "YYYY-MM-DD", years 0000 to 9999 of the Gregorian calendar. Days are read
 * with `setUTCFullYear`, not `Date.UTC`, which reads the years 0000–0099 as 1900–1999 (that made
 * "0099-12-31" "not a real day"). An instant whose China day falls outside those years is written
 * as ISO 8601 expands the year ("-000001-12-31", "+010000-01-01"), which no day matches.
 *
 * @example
 * chinaDay(Date.parse('2024-05-01T16:30:00Z')) // '2024-05-02' (00:30 in Beijing)
 * chinaDayStart('2024-05-02')                  // 2024-05-01T16:00:00.000Z
 */

/** Beijing is UTC+8 all year round. */
export const CHINA_OFFSET_MINUTES = 8 * 60;
export const CHINA_OFFSET_MS = CHINA_OFFSET_MINUTES * 60_000;
export const DAY_MS = 86_400_000;
/** The first day a day's text can be (days are written with years 0000–9999). */
export const FIRST_DAY = '0000-01-01';

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

/** The year as ISO 8601 writes it: four digits, or a sign and six outside the years 0000–9999. */
const isoYear = (year: number): string => (year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`);

/** "YYYY-MM-DD" of an instant's UTC calendar day. */
const utcDay = (date: Date): string => `${isoYear(date.getUTCFullYear())}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;

/** The instant "YYYY-MM-DD" starts in UTC, its fields taken as they are (02-30 is 03-01, the year 0050 is 0050). */
function utcStart(day: string): Date {
  const date = new Date(0);
  date.setUTCFullYear(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));
  return date;
}

/** The China day ("YYYY-MM-DD") of an instant, or "Invalid Date" (as a Date prints itself) of one no Date can hold. */
export function chinaDay(at: Date | number): string {
  const shifted = new Date(new Date(at).getTime() + CHINA_OFFSET_MS);
  return Number.isNaN(shifted.getTime()) ? 'Invalid Date' : utcDay(shifted);
}

/** Whether a string is a real calendar day written "YYYY-MM-DD" (2024-02-30 is not). */
export function isChinaDay(day: unknown): day is string {
  if (typeof day !== 'string' || !DAY_PATTERN.test(day)) return false;
  // the start rolls 02-30 over to 03-01; a day is real only if it survives the round trip.
  return utcDay(utcStart(day)) === day;
}

/** The UTC instant at which a China day starts (00:00 Beijing = 16:00 UTC the day before). */
export function chinaDayStart(day: string): Date {
  if (!isChinaDay(day)) throw new RangeError(`"${day}" is not a day written YYYY-MM-DD`);
  return new Date(utcStart(day).getTime() - CHINA_OFFSET_MS);
}

/** The UTC instant at which a China day ends (exclusive): the start of the next one. */
export function chinaDayEnd(day: string): Date {
  return new Date(chinaDayStart(day).getTime() + DAY_MS);
}

/**
 * The China day `n` days after `day` (negative: before). Throws RangeError when that day lies
 * beyond what a `Date` holds (about 273,790 years from 1970): as text, "Invalid Date" would sort
 * after every day and read as later than all of them.
 */
export function addDays(day: string, n: number): string {
  const later = chinaDay(chinaDayStart(day).getTime() + n * DAY_MS);
  if (later === 'Invalid Date') throw new RangeError(`${n} days from ${day} is past the days a Date holds`);
  return later;
}

/** The China day before `day`: what the nightly rollup counts. */
export function previousDay(day: string): string {
  return addDays(day, -1);
}

/** How many days from `from` to `to` (0 when equal, negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((chinaDayStart(to).getTime() - chinaDayStart(from).getTime()) / DAY_MS);
}

/** Every day from `from` to `to`, both included, in order (empty when `to` is before `from`). */
export function dayRange(from: string, to: string): string[] {
  const count = daysBetween(from, to);
  return Array.from({ length: Math.max(0, count + 1) }, (_, i) => addDays(from, i));
}

/** The period of the same length just before [from, to]: what a range is compared with. */
export function previousPeriod(from: string, to: string): { from: string; to: string } {
  const length = daysBetween(from, to) + 1;
  return { from: addDays(from, -length), to: addDays(from, -1) };
}

/** How far back an event's time may lie from its arrival: older clock readings are clamped to this. */
export const MAX_EVENT_AGE_MS = 7 * DAY_MS;

/**
 * When an event happened, on the server's clock. The phone stamps each event (`at`) and the
 * batch (`sentAt`) with its own clock, which may be off by minutes or days; the difference
 * between the server's receipt time and `sentAt` is that offset (plus the network time), so
 * `at + (serverNow − sentAt)` is the event on the server's clock (the method analytics pipelines
 * use, Platform sources §G.5). The result is clamped to `[serverNow − 7 days, serverNow]`: nothing
 * happened in the future, and a week is as late as a rollup is re-rolled. Without `sentAt` (older
 * clients) the event time is the server's receipt time. All values are epoch milliseconds.
 */
export function eventTime(at: number, sentAt: number | undefined, serverNow: number): number {
  if (sentAt === undefined) return serverNow;
  const corrected = at + (serverNow - sentAt);
  return Math.min(serverNow, Math.max(serverNow - MAX_EVENT_AGE_MS, corrected));
}
