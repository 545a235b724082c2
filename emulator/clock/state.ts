import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { BackendError, invalidParam } from '../errors';
import { readKept, writeWhole } from '../files';

/**
 * The clock's years: those SCF's cron schedules (its year field takes 1970 to 2099). Every instant
 * in them, and the few years it can tick on past the last (to 2106), is a valid JavaScript date
 * whose seconds fit the 8 hex digits an `_id` begins with; a move past JavaScript's last date
 * (`{"advance": 8640000000000000}`) was saved, and no date could be read from the clock again.
 */
const FIRST_INSTANT = Date.UTC(1970, 0, 1);
const LAST_INSTANT = Date.UTC(2100, 0, 1) - 1;
export const CLOCK_YEARS = `${new Date(FIRST_INSTANT).toISOString()} to ${new Date(LAST_INSTANT).toISOString()}`;

/** Whether `instant` (epoch ms) is in the clock's years. */
export const inClockYears = (instant: number): boolean => instant >= FIRST_INSTANT && instant <= LAST_INSTANT;

/** An instant for a message: ISO 8601, or what it is when no date can hold it. */
const shown = (instant: number): string =>
  Number.isNaN(new Date(instant).getTime()) ? `${instant} ms after 1970, past the last date JavaScript can hold` : new Date(instant).toISOString();

/** Why `start` (epoch ms) cannot start the clock (`--clock`), or undefined when it can. */
export const startProblem = (start: number): string | undefined => (inClockYears(start) ? undefined : `--clock ${shown(start)} is outside the clock's years, ${CLOCK_YEARS}`);

/**
 * The machine's clock, taken at load: while a database request runs, Date.now() answers the
 * request's time for mingo (atTime in database/fallback.ts), which must not be read back as the
 * machine's.
 */
const machineNow = Date.now;

/** What to do with a clock.json that cannot be read as a time. */
const FIX = "delete it to start the clock at the machine's time (or at --clock), or start with a fresh --data directory";

interface Snapshot {
  /** The emulator's time minus the machine's, in ms. */
  offsetMs: number;
}

/**
 * The emulator's time: the machine's clock plus an offset that only grows. This is the one place
 * in the emulator process that reads the machine's clock; the database (serverDate, `_id`s), the
 * scheduler, the simulated WeChat, storage URLs and the call log all ask it, and each function
 * invocation is sent its offset (the worker shifts its Date by it, see shifted-date.ts).
 *
 * It keeps ticking at the machine's pace between moves. It never goes back: timers that fired and
 * data written at a later time would then be from the future. For the same reason the offset is
 * kept in `<data dir>/clock.json`: a restart resumes the data's time (the machine's time passes
 * meanwhile), it does not fall back to the machine's when the data was written ahead of it.
 *
 * An invocation at its own instant (the gateway's `x-rukou-at`) reads that instant instead, ticking
 * on from its start, and so does everything it asks of the emulator (`offsetAt`, `within`): the
 * kept clock neither moves for it nor bounds it.
 */
export class EmulatorClock {
  private readonly file: string;
  private offsetMs = 0;
  /** The offset of the work running at its own instant, for that work and whatever it starts (`within`). */
  private readonly own = new AsyncLocalStorage<number>();

  /**
   * The clock kept with a data directory (the machine's time for a new one), started at `start`
   * (epoch ms) when one is given: any instant of the clock's years for a new directory, none
   * before the kept time.
   */
  constructor(dataDir: string, start?: number) {
    this.file = path.join(dataDir, 'clock.json');
    const snapshot = readKept<Snapshot>(this.file, FIX);
    const kept = snapshot !== undefined;
    if (kept) this.offsetMs = this.offsetOf(snapshot);
    const problem = start === undefined ? undefined : startProblem(start);
    if (problem) throw invalidParam(problem);
    if (start === undefined) this.save();
    else if (kept) {
      this.checkMove(start);
      this.moveTo(start);
    } else {
      this.offsetMs = start - machineNow();
      this.save();
    }
  }

  /** Epoch ms, as Date.now() would answer in the cloud. */
  now(): number {
    return machineNow() + this.offset();
  }

  /** The emulator's time minus the machine's: what a function's Date is shifted by. */
  offset(): number {
    return this.own.getStore() ?? this.offsetMs;
  }

  /** The offset of the work running at its own instant (`within`), none outside it. */
  ownOffset(): number | undefined {
    return this.own.getStore();
  }

  /**
   * The offset at which the clock reads `instant` (epoch ms) now: an invocation started at the
   * instant a call was made, whatever the kept clock reads (any instant of its years, `inClockYears`).
   */
  offsetAt(instant: number): number {
    return instant - machineNow();
  }

  /** Runs `work` with the clock at `offsetMs` (`offsetAt`) for it and whatever it starts, the kept clock left as it is: a request of an invocation at its own instant. */
  within<T>(offsetMs: number, work: () => T): T {
    return this.own.run(offsetMs, work);
  }

  /**
   * Refuses a move to `instant` (epoch ms): one into the emulator's past (`now`, read once by the
   * caller, by default now), or outside the clock's years.
   *
   * @throws BackendError CLOCK_BACKWARDS, INVALID_PARAM
   */
  checkMove(instant: number, now = this.now()): void {
    if (!(instant <= LAST_INSTANT)) throw invalidParam(`the clock keeps to the years of SCF's cron, ${CLOCK_YEARS}; this move would take it to ${shown(instant)}`);
    if (instant >= now) return;
    throw new BackendError(
      'CLOCK_BACKWARDS',
      `the emulator's clock reads ${new Date(now).toISOString()} and only moves forward, not to ${shown(instant)}: ` +
        'timers that already fired and data already written would be from the future. Start with a fresh --data directory to go back.',
    );
  }

  /**
   * Moves the clock forward to `instant` (epoch ms), which the caller has checked against a reading
   * of the clock (checkMove). The clock may have ticked past it since that reading: it then stays
   * where it is, never back. (Checked again here, against a later reading, an advance of 0 was
   * refused as a move back whenever the millisecond turned between the two.)
   */
  moveTo(instant: number): void {
    this.offsetMs = Math.max(this.offsetMs, instant - machineNow());
    this.save();
  }

  /** The kept offset. One that puts the clock on no date stops the start: an emulator before the check of checkMove saved such moves. */
  private offsetOf({ offsetMs }: Snapshot): number {
    if (typeof offsetMs === 'number' && !Number.isNaN(new Date(machineNow() + offsetMs).getTime())) return offsetMs;
    throw new Error(
      `${this.file} puts the clock on no date (offsetMs ${JSON.stringify(offsetMs)}): ${FIX}`,
    );
  }

  private save(): void {
    writeWhole(this.file, `${JSON.stringify({ offsetMs: this.offsetMs } satisfies Snapshot)}\n`);
  }
}
