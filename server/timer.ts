import { caller } from './cloud';

/** The SOURCE the cloud gives an invocation by a timer trigger (getWXContext docs: 云函数定时触发器调用). */
export const TIMER_SOURCE = 'wx_trigger';

/**
 * The instant a timer invocation stands for, or null when the invocation is not the timer's.
 * The event alone proves nothing (a client can send `{Type: "Timer"}`): the SOURCE must be the
 * trigger's too. The event's `Time` is UTC ISO; an unreadable one is not a timer event.
 */
export function isTimerEvent(event: Record<string, unknown>): Date | null {
  if (typeof event.Type !== 'string' || event.Type.toLowerCase() !== 'timer') return null;
  const source = (caller().source ?? '').split(',')[0];
  if (source !== TIMER_SOURCE) return null;
  const time = typeof event.Time === 'string' ? new Date(event.Time) : new Date(NaN);
  return Number.isNaN(time.getTime()) ? null : time;
}
