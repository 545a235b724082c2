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
  pass(until: number): Promise<Passed>;
  upcoming(): UpcomingTimer[];
}

/** What a passage did: the timers it fired, and whether the clock reached its end. */
export interface Passed {
  /** The timers that fired on the way, in the order they ran. */
  fired: FiredTimer[];
  /** false when the emulator stopped on the way: the clock stands at the last instant fired, so that a restart fires the rest. */
  reached: boolean;
}

export interface ClockReading {
  now: string;
  /** The emulator's time minus the machine's, in ms: 0 for real time. */
  offsetMs: number;
}

export type ClockMoved = ClockReading & Passed;

/** Each unit once, the largest first: "1h1h" was read as 2 h, which nobody writes on purpose. */
const DURATION = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [604_800_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/**
 * A forward duration in ms: a whole number of ms, or text such as `"1d"`, `"90m"`, `"1d12h"`,
 * `"500ms"` (units w, d, h, m, s, ms, each once and in that order), or its digits alone (ms).
 */
export function parseDuration(value: unknown): number {
  // one too long for the clock's years is refused by the clock, which says how far it goes
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  const amounts = typeof value === 'string' && value !== '' ? DURATION.exec(value)?.slice(1) : undefined;
  if (amounts) return amounts.reduce((ms, amount, unit) => ms + Number(amount ?? 0) * UNIT_MS[unit], 0);
  // JSON.stringify writes Infinity (JSON's 1e400) as null
  const got = typeof value === 'number' && !Number.isFinite(value) ? `${value}, not a finite number` : JSON.stringify(value);
  throw invalidParam(`advance must be a whole number of milliseconds or a duration such as "1d", "90m", "1d12h" (units w, d, h, m, s, ms, each once and in that order), got ${got}`);
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

/** Where a move asks the clock to go, from its body `{"set": ISO}` or `{"advance": ms | "1d"}`, given the time now. */
export function targetOf(params: Params, now: number): number {
  // a misspelt field ({"advance": "1d", "sett": …}) would move the clock on what the caller did not mean
  const unknown = Object.keys(params).find((key) => key !== 'set' && key !== 'advance');
  if (unknown !== undefined) throw invalidParam(`the body has the field ${JSON.stringify(unknown)}: it must be {"set": ISO} or {"advance": ms | "1d"}, and nothing else`);
  const asks = ['set', 'advance'].filter((key) => params[key] !== undefined);
  if (asks.length !== 1) throw invalidParam('the body must be {"set": ISO} or {"advance": ms | "1d"}, one of the two');
  const target = params.advance !== undefined ? now + parseDuration(params.advance) : parseInstant(params.set);
  if (Number.isNaN(target)) throw invalidParam(`set must be an ISO 8601 day or time with its offset, such as "2024-06-01T08:00:00+08:00", got ${JSON.stringify(params.set)}`);
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
      this.clock.checkMove(target, now);
      let passed: Passed = { fired: [], reached: true };
      if (this.passage) passed = await this.passage.pass(target);
      else this.clock.moveTo(target);
      return { ...this.readingNow(), ...passed };
    });
    this.last = moved.catch(() => undefined);
    return moved;
  }

  /** Once the moves asked for have ended: a move the emulator's stop cut short still answers before the server closes. */
  async settled(): Promise<void> {
    await this.last;
  }

  private readingNow(): ClockReading {
    return { now: new Date(this.clock.now()).toISOString(), offsetMs: this.clock.offset() };
  }
}
