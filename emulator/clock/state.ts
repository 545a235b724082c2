import fs from 'node:fs';
import path from 'node:path';
import { BackendError } from '../errors';

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
 */
export class EmulatorClock {
  private readonly file: string;
  private offsetMs = 0;

  /**
   * The clock kept with a data directory (the machine's time for a new one), started at `start`
   * (epoch ms) when one is given: any instant for a new directory, none before the kept time.
   */
  constructor(dataDir: string, start?: number) {
    this.file = path.join(dataDir, 'clock.json');
    const kept = fs.existsSync(this.file);
    if (kept) this.offsetMs = (JSON.parse(fs.readFileSync(this.file, 'utf8')) as Snapshot).offsetMs;
    if (start === undefined) this.save();
    else if (kept) {
      this.checkForward(start);
      this.moveTo(start);
    } else {
      this.offsetMs = start - Date.now();
      this.save();
    }
  }

  /** Epoch ms, as Date.now() would answer in the cloud. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** The emulator's time minus the machine's: what a function's Date is shifted by. */
  offset(): number {
    return this.offsetMs;
  }

  /**
   * Refuses an instant in the emulator's past (`now`, read once by the caller, by default now).
   *
   * @throws BackendError CLOCK_BACKWARDS
   */
  checkForward(instant: number, now = this.now()): void {
    if (instant >= now) return;
    throw new BackendError(
      'CLOCK_BACKWARDS',
      `the emulator's clock reads ${new Date(now).toISOString()} and only moves forward, not to ${new Date(instant).toISOString()}: ` +
        'timers that already fired and data already written would be from the future. Start with a fresh --data directory to go back.',
    );
  }

  /**
   * Moves the clock forward to `instant` (epoch ms), which the caller has checked against a reading
   * of the clock (checkForward). The clock may have ticked past it since that reading: it then
   * stays where it is, never back. (Checked again here, against a later reading, an advance of 0
   * was refused as a move back whenever the millisecond turned between the two.)
   */
  moveTo(instant: number): void {
    this.offsetMs = Math.max(this.offsetMs, instant - Date.now());
    this.save();
  }

  private save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, `${JSON.stringify({ offsetMs: this.offsetMs } satisfies Snapshot)}\n`);
    fs.renameSync(temporary, this.file);
  }
}
