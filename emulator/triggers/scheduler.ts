import type { FiredTimer, Passage, Passed, UpcomingTimer } from '../clock/operations';
import { BackendError } from '../errors';
import type { EmulatorClock } from '../clock/state';
import { clientAnswer } from '../functions/gateway';
import type { FunctionRuntime, Outcome } from '../functions/runtime';
import type { Logger } from '../log';
import type { TimerTrigger } from '../function-config';
import type { FunctionSpec } from '../project';

/** The SOURCE the cloud gives a timer invocation (getWXContext docs: wx_trigger, 云函数定时触发器调用). */
export const TIMER_SOURCE = 'wx_trigger';

/**
 * The timer runs one move of the clock may fire. A move fires each instant on the way and waits for
 * its run, and nothing but stopping the emulator ends it: a year of a timer every 10 seconds is
 * three million runs, hours at the least. Ten thousand runs take half a minute or more (a week of
 * a timer every minute, a year of an hourly one); a move that would fire more is refused before
 * any fires.
 */
export const MOST_RUNS_PER_MOVE = 10_000;

/** setTimeout cannot wait longer than this; longer waits are taken in hops. */
const LONGEST_WAIT_MS = 2 ** 31 - 1;

export interface ScheduledTrigger {
  functionName: string;
  trigger: TimerTrigger;
}

/** The event SCF passes a timer-triggered function; Time is the scheduled instant in UTC ISO. */
export function timerEvent(trigger: TimerTrigger, time: Date): { Type: 'Timer'; TriggerName: string; Time: string } {
  return { Type: 'Timer', TriggerName: trigger.name, Time: time.toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

export function fireTrigger(runtime: FunctionRuntime, scheduled: ScheduledTrigger, time: Date): Promise<Outcome> {
  return runtime.invoke({ name: scheduled.functionName, event: timerEvent(scheduled.trigger, time), identity: { source: TIMER_SOURCE }, timer: true });
}

/** Every function's config.json timer trigger (function-config.ts read and checked them with the project). */
export function scheduledTriggers(functions: Iterable<FunctionSpec>): Map<string, ScheduledTrigger> {
  const triggers = new Map<string, ScheduledTrigger>();
  for (const spec of functions) if (spec.trigger) triggers.set(spec.name, { functionName: spec.name, trigger: spec.trigger });
  return triggers;
}

/** Instants of the same time fire in the order of their functions' names, so that every passage is the same. */
const byTimeThenName = (a: [ScheduledTrigger, number], b: [ScheduledTrigger, number]): number =>
  a[1] - b[1] || (a[0].functionName < b[0].functionName ? -1 : a[0].functionName > b[0].functionName ? 1 : 0);

/**
 * Fires each trigger as the emulator's clock passes its instants, each instant once. Each trigger
 * keeps the next instant it has not fired; whoever fires an instant moves it on first.
 *
 * While the clock ticks, an instant fires when it comes, and a run still going does not delay the
 * next one: instants follow the schedule, not the end of earlier runs. When the clock is moved
 * (`pass`), it stops at each instant on the way, in order, and each run ends before the next starts.
 */
export class Scheduler implements Passage {
  private readonly next = new Map<ScheduledTrigger, number>();
  private readonly running = new Set<Promise<Outcome>>();
  private timer?: NodeJS.Timeout;
  private passing = false;
  private stopped = false;

  constructor(
    private readonly runtime: FunctionRuntime,
    private readonly log: Logger,
    private readonly clock: EmulatorClock,
  ) {}

  start(triggers: Iterable<ScheduledTrigger>): void {
    const now = new Date(this.clock.now());
    for (const scheduled of triggers) this.moveOn(scheduled, now);
    this.arm();
  }

  upcoming(): UpcomingTimer[] {
    return [...this.next]
      .sort(byTimeThenName)
      .map(([scheduled, at]) => ({ function: scheduled.functionName, trigger: scheduled.trigger.name, time: timerEvent(scheduled.trigger, new Date(at)).Time }));
  }

  async pass(until: number): Promise<Passed> {
    this.checkRuns(until);
    this.passing = true;
    clearTimeout(this.timer);
    const fired: FiredTimer[] = [];
    try {
      // runs the ticking clock started finish first: no run of an earlier instant overlaps a later one
      await Promise.all(this.running);
      for (let due = this.take(until); due && !this.stopped; due = this.take(until)) {
        const [scheduled, at] = due;
        // a run that took longer than the gap to the next instant leaves the clock past it: never back
        this.clock.moveTo(at);
        const outcome = await this.fire(scheduled, at);
        fired.push({ function: scheduled.functionName, trigger: scheduled.trigger.name, time: timerEvent(scheduled.trigger, new Date(at)).Time, ...clientAnswer(outcome) });
      }
      // stopped on the way: the clock stays at the last instant fired, or the instants after it would never fire
      if (this.stopped) return { fired, reached: false };
      this.clock.moveTo(until);
      return { fired, reached: true };
    } finally {
      this.passing = false;
      this.arm();
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * Refuses a move to `until` that would fire more than MOST_RUNS_PER_MOVE runs.
   *
   * @throws BackendError TOO_MANY_TIMER_RUNS
   */
  private checkRuns(until: number): void {
    let runs = 0;
    for (const [scheduled, at] of this.next) {
      for (let instant: Date | null = new Date(at); instant && instant.getTime() <= until; instant = scheduled.trigger.cron.next(instant)) {
        if (++runs <= MOST_RUNS_PER_MOVE) continue;
        throw new BackendError(
          'TOO_MANY_TIMER_RUNS',
          `moving the clock to ${new Date(until).toISOString()} would fire more than ${MOST_RUNS_PER_MOVE.toLocaleString('en-US')} timer runs, ` +
            'one after the other, and only stopping the emulator would end them: move it in shorter steps, or start the emulator with --no-timers to move without firing',
        );
      }
    }
  }

  /** The trigger's next instant after `after`; a schedule that never fires again (years end at 2099) leaves. */
  private moveOn(scheduled: ScheduledTrigger, after: Date): void {
    const at = scheduled.trigger.cron.next(after);
    if (at) this.next.set(scheduled, at.getTime());
    else this.next.delete(scheduled);
  }

  /** The earliest instant not fired yet if it is due by `until`, taken off the schedule before it runs. */
  private take(until: number): [ScheduledTrigger, number] | undefined {
    const [earliest] = [...this.next].sort(byTimeThenName);
    if (!earliest || earliest[1] > until) return undefined;
    this.moveOn(earliest[0], new Date(earliest[1]));
    return earliest;
  }

  /** One timer, for the earliest instant of all; setTimeout cannot wait longer than LONGEST_WAIT_MS, so longer waits are taken in hops. */
  private arm(): void {
    clearTimeout(this.timer);
    if (this.stopped || this.passing) return;
    const [earliest] = [...this.next].sort(byTimeThenName);
    if (!earliest) return;
    this.timer = setTimeout(() => this.onTime(), Math.min(Math.max(earliest[1] - this.clock.now(), 0), LONGEST_WAIT_MS));
  }

  private onTime(): void {
    if (this.stopped || this.passing) return;
    for (let due = this.take(this.clock.now()); due; due = this.take(this.clock.now())) void this.fire(...due);
    this.arm();
  }

  private fire(scheduled: ScheduledTrigger, at: number): Promise<Outcome> {
    const started = performance.now();
    const run = fireTrigger(this.runtime, scheduled, new Date(at)).then((outcome) => {
      this.log.call('trigger', `${scheduled.functionName}/${scheduled.trigger.name}`, performance.now() - started, outcome.kind);
      this.running.delete(run);
      return outcome;
    });
    this.running.add(run);
    return run;
  }
}
