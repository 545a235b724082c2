import { invalidParam } from '../errors';
import type { Params } from '../http';
import type { ClientAnswer } from '../functions/gateway';
import type { EmulatorClock } from './state';

/** A timer that fired while the clock moved, with what its function answered (as the client gateway answers). */
export type FiredTimer = { function: string; trigger: string; time: string } & ClientAnswer;

/** A timer the clock will fire next. */
export interface UpcomingTimer {
  function: string;
  trigger: string;
  time: string;
}

/**
 * What happens while the clock moves: the scheduler's part. `pass` moves the clock to `until`,
 * stopping at each timer instant on the way to fire it and wait for its run.
 */
export interface Passage {
  pass(until: number): Promise<FiredTimer[]>;
  upcoming(): UpcomingTimer[];
}

export interface ClockReading {
  now: string;
  /** The emulator's time minus the machine's, in ms: 0 for real time. */
  offsetMs: number;
}

export interface ClockMoved extends ClockReading {
  /** The timers that fired on the way, in the order they ran. */
  fired: FiredTimer[];
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(?:\d+(?:ms|s|m|h|d|w))+$/;

/**
 * A forward duration in ms: a whole number of ms, or text such as `"1d"`, `"90m"`, `"1d12h"`,
 * `"500ms"` (units ms, s, m, h, d, w), or its digits alone (ms).
 */
export function parseDuration(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return parseDuration(Number(value));
  if (typeof value === 'string' && DURATION.test(value)) {
    let ms = 0;
    for (const [, amount, unit] of value.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) ms += Number(amount) * UNIT_MS[unit];
    if (Number.isSafeInteger(ms)) return ms;
  }
  throw invalidParam(`advance must be a whole number of milliseconds or a duration such as "1d", "90m", "1d12h" (units ms, s, m, h, d, w), got ${JSON.stringify(value)}`);
}

/** A day, or a time of day with its offset: ISO 8601 as the emulator takes an instant. */
const ISO_INSTANT = /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d))?$/;

/**
 * The instant (epoch ms) of an ISO 8601 text: a day (`2024-06-01`, midnight UTC) or a time of day
 * with its offset (`2024-06-01T08:00:00+08:00`, `…Z`); NaN for anything else. Not Date.parse
 * alone, which also reads `"5"` (2001), `2024-02-30` (March 1st) and a time without an offset in
 * the machine's own time zone: `{"time": 5}` fired the rollup of 2001-04-30.
 *
 * @example
 * parseInstant('2024-03-09T09:00:00+08:00') // 1709946000000
 * parseInstant('2024-03-09T09:00')          // NaN: which time zone?
 */
export function parseInstant(value: unknown): number {
  const match = typeof value === 'string' ? ISO_INSTANT.exec(value) : null;
  // -000000 is no year (ISO 8601 writes year 0 as +000000)
  if (!match || match[1] === '-000000') return NaN;
  const day = new Date(0);
  day.setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (day.getUTCMonth() !== Number(match[2]) - 1 || day.getUTCDate() !== Number(match[3])) return NaN;
  return Date.parse(match[0]);
}

/**
 * The last instant a move may reach: the end of the year 9999, the last whose days are written
 * YYYY-MM-DD. Well short of the last instant a Date holds (+275760-09-13), which a clock that
 * ticks on would pass: an advance of 2^53 − 1 ms went past it, and every reading of the clock then
 * threw (a 500), and so did every function's Date.
 */
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** Where a move asks the clock to go, from its body `{"set": ISO}` or `{"advance": ms | "1d"}`, given the time now. */
export function targetOf(params: Params, now: number): number {
  const asks = ['set', 'advance'].filter((key) => params[key] !== undefined);
  if (asks.length !== 1) throw invalidParam('the body must be {"set": ISO} or {"advance": ms | "1d"}, one of the two');
  const target = params.advance !== undefined ? now + parseDuration(params.advance) : parseInstant(params.set);
  if (Number.isNaN(target)) throw invalidParam(`set must be an ISO 8601 day or time with its offset, such as "2024-06-01T08:00:00+08:00", got ${JSON.stringify(params.set)}`);
  if (target > LAST_INSTANT) throw invalidParam(`the clock cannot go past ${new Date(LAST_INSTANT).toISOString()}, the end of the last year whose days are written YYYY-MM-DD`);
  return target;
}

/**
 * Moves of the emulator's clock, one at a time: a move starts when the one before it (and every
 * timer it fired) has finished, and an `advance` counts from where that one left the clock.
 */
export class ClockMoves {
  private passage?: Passage;
  private last: Promise<unknown> = Promise.resolve();

  constructor(private readonly clock: EmulatorClock) {}

  /** Timers fire as the clock passes them only once a scheduler is attached (not with --no-timers). */
  attach(passage: Passage): void {
    this.passage = passage;
  }

  reading(): ClockReading & { timers: 'on' | 'off'; next: UpcomingTimer[] } {
    return { ...this.readingNow(), timers: this.passage ? 'on' : 'off', next: this.passage?.upcoming() ?? [] };
  }

  /** Moves the clock where `params` asks; answers once every timer on the way has run, with their answers. */
  move(params: Params): Promise<ClockMoved> {
    const moved = this.last.then(async () => {
      // one reading: the move is judged against the time it was asked at
      const now = this.clock.now();
      const target = targetOf(params, now);
      // before any timer fires, so that a refused move changes nothing
      this.clock.checkForward(target, now);
      let fired: FiredTimer[] = [];
      if (this.passage) fired = await this.passage.pass(target);
      else this.clock.moveTo(target);
      return { ...this.readingNow(), fired };
    });
    this.last = moved.catch(() => undefined);
    return moved;
  }

  private readingNow(): ClockReading {
    return { now: new Date(this.clock.now()).toISOString(), offsetMs: this.clock.offset() };
  }
}
