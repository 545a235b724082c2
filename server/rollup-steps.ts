/**
 * A day's rollup in steps, one aggregation each, that a call may leave half done: when the call has
 * no time for the next step, what it computed so far is stored in `rollup_parts` (one document per
 * day) and the next call that rolls the day up starts where this one stopped. At ten million events
 * a day, a day's twenty-odd aggregations take most of a 60 s timeout.
 */
import { mayStartStep, NO_STEPS, paced, type Pace } from '../shared/rollup-pace';
import { ROLLUP_VERSION, type Pipeline } from '../shared/rollup';
import { documentsOf, runPipeline, type Database, type RequestCounter } from './pipeline';

/** What a call computed of a day's rollup before it stopped: each step's rows, by step name. */
export interface DayPart {
  _id: string;
  /** The rollup code that computed them: a part of other code is started again. */
  version: string;
  /** When the day's rollup started: its `computedAt`, from which later writes make it stale. */
  startedAt: Date;
  rows: Record<string, unknown[]>;
}

/** Thrown out of a day's rollup when its call has no time for the next step: the call stores the part and stops. */
export class OutOfTime extends Error {
  constructor() {
    super('the call has no time for the next step of the rollup');
    this.name = 'OutOfTime';
  }
}

/** The time of one call: no step after its first that its slowest step so far says would end after `endBy` (epoch ms). */
export class CallBudget {
  private pace: Pace = NO_STEPS;

  constructor(private readonly endBy = Infinity) {}

  mayStart(): boolean {
    return mayStartStep(this.pace, Date.now(), this.endBy);
  }

  /** Runs `step` if there is time for it, else throws OutOfTime. */
  async spend<T>(step: () => Promise<T>): Promise<T> {
    if (!this.mayStart()) throw new OutOfTime();
    const started = Date.now();
    const answer = await step();
    this.pace = paced(this.pace, Date.now() - started);
    return answer;
  }
}

/** One day's steps in one call: each answered from the stored part when an earlier call ran it. */
export class DaySteps {
  readonly startedAt: Date;
  private readonly rows: Record<string, unknown[]>;
  /** Steps this call computed (not read from the stored part). */
  private computed = 0;

  constructor(
    private readonly db: Database,
    private readonly day: string,
    private readonly counter: RequestCounter,
    private readonly budget: CallBudget,
    part: DayPart | undefined,
    now: Date,
  ) {
    const usable = part?.version === ROLLUP_VERSION;
    this.startedAt = usable ? new Date(part.startedAt) : now;
    this.rows = usable ? { ...part.rows } : {};
  }

  /** The rows of the step `name` (letters, digits and `-`: a field name): stored, or computed now. */
  async run<T>(name: string, pipeline: Pipeline): Promise<T[]> {
    const stored = this.rows[name];
    if (stored) return stored as T[];
    const rows = await this.budget.spend(() => runPipeline<T>(this.db, pipeline, this.counter));
    this.rows[name] = rows;
    this.computed += 1;
    return rows;
  }

  /** Stores what this call computed, for the next: one write, none when it computed nothing. */
  async save(): Promise<void> {
    if (this.computed === 0) return;
    this.counter.count += 1;
    await this.db.collection('rollup_parts').doc(this.day).set({ data: { version: ROLLUP_VERSION, startedAt: this.startedAt, rows: this.rows } });
  }
}

/** The stored parts of these days (usually none): one request. */
export async function storedParts(db: Database, days: readonly string[], counter: RequestCounter): Promise<Map<string, DayPart>> {
  counter.count += 1;
  const parts = documentsOf<DayPart>(await db.collection('rollup_parts').where({ _id: db.command.in([...days]) }).limit(1000).get(), 'rollup_parts');
  return new Map(parts.map((part) => [part._id, part]));
}

/** Deletes a day's part once its rollup is stored: one request. */
export async function removePart(db: Database, day: string, counter: RequestCounter): Promise<void> {
  counter.count += 1;
  await db.collection('rollup_parts').doc(day).remove();
}
