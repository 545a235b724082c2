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

/** The openids whose first day moved away from `day`: not new on it, whatever their events there say. */
export function notNewOn(day: string, revisions: readonly Pick<RevisionDoc, 'openid' | 'fromDay'>[]): string[] {
  return [...new Set(revisions.filter((revision) => revision.fromDay === day).map((revision) => revision.openid))].sort();
}
