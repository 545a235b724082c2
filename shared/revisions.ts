/**
 * First-day revisions (`revisions`, see `RevisionDoc`): how a user who turned out to have an
 * earlier first day stops counting as new on the day their stored events still name.
 */
import { eventDocId } from './ids';
import type { RevisionDoc } from './model';

/** The revision of a user's first day from `fromDay` to the earlier `toDay`, written at `at`. */
export function revisionOf(openid: string, fromDay: string, toDay: string, at: Date): RevisionDoc {
  return { _id: eventDocId(openid, `revision:${fromDay}>${toDay}`), openid, fromDay, toDay, at };
}

/**
 * The corrections a day's revisions make to its events: for each new first day, the openids whose
 * events on the day must say it, at most `chunk` per list (one update each).
 */
export function revisionUpdates(revisions: readonly Pick<RevisionDoc, 'openid' | 'toDay'>[], chunk: number): { toDay: string; openids: string[] }[] {
  const byDay = new Map<string, string[]>();
  for (const { openid, toDay } of revisions) byDay.set(toDay, [...(byDay.get(toDay) ?? []), openid]);
  const updates: { toDay: string; openids: string[] }[] = [];
  for (const [toDay, openids] of [...byDay].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (let i = 0; i < openids.length; i += chunk) updates.push({ toDay, openids: openids.slice(i, i + chunk) });
  }
  return updates;
}
