import type { FunctionSpec, TimerTrigger } from '../project';
import type { Logger } from '../log';
import type { FunctionRuntime, Outcome } from '../functions/runtime';
import { parseCron, type Cron } from './cron';

/** The SOURCE the cloud gives a timer invocation (getWXContext docs: wx_trigger, 云函数定时触发器调用). */
export const TIMER_SOURCE = 'wx_trigger';

/** setTimeout cannot wait longer than this; longer waits are taken in hops. */
const LONGEST_WAIT_MS = 2 ** 31 - 1;

export interface ScheduledTrigger {
  functionName: string;
  trigger: TimerTrigger;
  cron: Cron;
}

/** The event SCF passes a timer-triggered function; Time is the scheduled instant in UTC ISO. */
export function timerEvent(trigger: TimerTrigger, time: Date): { Type: 'Timer'; TriggerName: string; Time: string } {
  return { Type: 'Timer', TriggerName: trigger.name, Time: time.toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

export function fireTrigger(runtime: FunctionRuntime, scheduled: ScheduledTrigger, time: Date): Promise<Outcome> {
  return runtime.invoke({ name: scheduled.functionName, event: timerEvent(scheduled.trigger, time), identity: { source: TIMER_SOURCE }, timer: true });
}

/** Every function's config.json timer trigger, parsed. A bad cron stops the emulator at start, like a failed deploy. */
export function scheduledTriggers(functions: Iterable<FunctionSpec>): Map<string, ScheduledTrigger> {
  const triggers = new Map<string, ScheduledTrigger>();
  for (const spec of functions) {
    // WeChat allows one trigger per function (config.json: 目前仅支持一个触发器).
    const trigger = spec.triggers[0];
    if (trigger) triggers.set(spec.name, { functionName: spec.name, trigger, cron: parseCron(trigger.config) });
  }
  return triggers;
}

/**
 * Fires each trigger on the wall clock while the emulator runs. A run that is still going when
 * the next instant comes does not delay it: each instant is armed from the schedule, not from
 * when the previous run ended.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly runtime: FunctionRuntime,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(triggers: Iterable<ScheduledTrigger>): void {
    for (const scheduled of triggers) this.arm(scheduled, new Date(this.now()));
  }

  private arm(scheduled: ScheduledTrigger, after: Date): void {
    const at = scheduled.cron.next(after);
    if (!at || this.stopped) return;
    const wait = (): void => {
      const left = at.getTime() - this.now();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (this.stopped) return;
        if (at.getTime() > this.now()) return wait();
        this.arm(scheduled, at);
        const started = performance.now();
        void fireTrigger(this.runtime, scheduled, at).then((outcome) => {
          this.log.call('trigger', `${scheduled.functionName}/${scheduled.trigger.name}`, performance.now() - started, outcome.kind);
        });
      }, Math.min(Math.max(left, 0), LONGEST_WAIT_MS));
      this.timers.add(timer);
    };
    wait();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
