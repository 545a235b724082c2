import { LATE_DAYS } from '../shared/rollup';
import { chinaDayEnd, chinaDayStart, DAY_MS } from '../shared/time';
import { caller } from './cloud';

/** The SOURCE the cloud gives an invocation by a timer trigger (getWXContext docs: 云函数定时触发器调用). */
export const TIMER_SOURCE = 'wx_trigger';

/**
 * The instants whose daily run has days to roll: it rolls the day before its own and the week
 * before that, which must all be days written YYYY-MM-DD (shared/time.ts), years 0000–9999.
 */
const FIRST_RUN = chinaDayStart('0000-01-01').getTime() + (LATE_DAYS + 1) * DAY_MS;
const LAST_RUN = chinaDayEnd('9999-12-31').getTime() - 1;

/**
 * The instant a timer invocation stands for, or null when the invocation is not the timer's.
 * The event alone proves nothing (a client can send `{Type: "Timer"}`): the SOURCE must be the
 * trigger's too. The event's `Time` is UTC ISO; an unreadable one is not a timer event, nor is one
 * whose days cannot be written (a run there threw, a function failure, instead of answering).
 */
export function isTimerEvent(event: Record<string, unknown>): Date | null {
  if (typeof event.Type !== 'string' || event.Type.toLowerCase() !== 'timer') return null;
  const source = (caller().source ?? '').split(',')[0];
  if (source !== TIMER_SOURCE) return null;
  const time = typeof event.Time === 'string' ? new Date(event.Time) : new Date(NaN);
  return time.getTime() >= FIRST_RUN && time.getTime() <= LAST_RUN ? time : null;
}
