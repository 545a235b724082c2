/**
 * Which entry a goal is credited to, under each model:
 * - **first**: the user's first entry ever (`users.first`), when it came at or before the goal;
 * - **last**: the entry of the goal's session (sessions as `shared/session.ts` counts them, one China
 *   day at a time): the latest entry at or before the goal on its day, or, for a goal before its
 *   day's first entry, on the day before (its session began before midnight). A goal with no entry
 *   on either day came with no visit (a report long after one): no last touch;
 * - **lastNonDirect**: the latest entry at or before the goal, less than 30 days before it, whose
 *   category is not Quick entry (pull-down bar, recent list, favourites, home-screen icon …).
 * Each credit names the entry's key in every dimension it has (`GoalDimension`), and the time from
 * it to the goal. Pure: `track` decides the credits when it writes a goal (and again when an older
 * entry of the goal's day arrives), and the rollup only adds them up.
 *
 * @example
 * creditsOf(goalAt, firstTouch, entries) // → { first: { at, s, b, keys: { scene: '1047', channel: 'poster-7', … } }, last: …, lastNonDirect: … }
 */
import { escapeKey } from './keys';
import type { Credit, DayGoal, EnterEvent, GoalDimension, GoalModel, Touch } from './model';
import { timeBucket } from './goal-times';
import { DIRECT_CATEGORY } from './scenes';
import { addDays, chinaDay, DAY_MS } from './time';

/** How far back a last non-direct touch may be. */
export const NON_DIRECT_WINDOW_MS = 30 * DAY_MS;

/** An entry as attribution reads it: when, in which category, its keys (escaped) and its client id, which orders entries of one instant. */
export interface EntryTouch {
  at: Date;
  id: string;
  category: string;
  keys: Partial<Record<GoalDimension, string>>;
}

const keysOf = (fields: Partial<Record<GoalDimension, string | number | undefined>>): EntryTouch['keys'] => {
  const keys: EntryTouch['keys'] = {};
  for (const [dimension, key] of Object.entries(fields)) if (key !== undefined) keys[dimension as GoalDimension] = escapeKey(String(key));
  return keys;
};

type Entered = Pick<EnterEvent, 'eventId' | 'at' | 'bucket' | 'category' | 'scene' | 'path' | 'channel' | 'share' | 'reopen' | 'groupId' | 'messageOpen' | 'cardOpen'>;

/** A stored or planned entry. Its share is its sharer's when it came through someone else's verified card, a re-open from favourites or a Moments snapshot aside. */
export function entryTouch(entry: Entered): EntryTouch {
  const sharer = entry.share?.sharer !== undefined && !entry.share.self && !entry.reopen ? entry.share.sharer : undefined;
  return {
    at: new Date(entry.at),
    id: entry.eventId,
    category: entry.category,
    keys: keysOf({ bucket: entry.bucket, category: entry.category, scene: entry.scene, channel: entry.channel, page: entry.path, share: sharer, group: entry.groupId, message: entry.messageOpen, card: entry.cardOpen }),
  };
}

/** A user's first touch (`users.first`), whose card is there only when verified and not a re-open. */
export function firstTouch(touch: Touch, openid: string): EntryTouch {
  const sharer = touch.card && touch.card.sharer !== openid ? touch.card.sharer : undefined;
  return {
    at: new Date(touch.at),
    id: '',
    category: touch.category,
    keys: keysOf({ bucket: touch.bucket, category: touch.category, scene: touch.scene, channel: touch.channel, page: touch.path, share: sharer, group: touch.groupId, message: touch.messageOpen, card: touch.cardOpen }),
  };
}

const later = (a: EntryTouch, b: EntryTouch): boolean => a.at.getTime() > b.at.getTime() || (a.at.getTime() === b.at.getTime() && a.id > b.id);

function creditOf(goalAt: Date, entry: EntryTouch): Credit {
  const s = Math.max(0, Math.floor((goalAt.getTime() - entry.at.getTime()) / 1000));
  return { at: entry.at, s, b: timeBucket(s), keys: entry.keys };
}

/** Whether an entry may be the goal's touch under a model (the first touch is given, not chosen). */
function eligible(model: Exclude<GoalModel, 'first'>, goalAt: Date, entry: EntryTouch): boolean {
  if (entry.at.getTime() > goalAt.getTime()) return false;
  if (model === 'last') {
    const day = chinaDay(goalAt);
    return [day, addDays(day, -1)].includes(chinaDay(entry.at));
  }
  return entry.category !== DIRECT_CATEGORY && entry.at.getTime() > goalAt.getTime() - NON_DIRECT_WINDOW_MS;
}

/** The latest of `entries` a model may credit, or undefined. */
function latest(model: Exclude<GoalModel, 'first'>, goalAt: Date, entries: readonly EntryTouch[]): EntryTouch | undefined {
  let found: EntryTouch | undefined;
  for (const entry of entries) if (eligible(model, goalAt, entry) && (!found || later(entry, found))) found = entry;
  return found;
}

/** A goal's credits from the user's first touch and their entries around it (any order). */
export function creditsOf(goalAt: Date, first: EntryTouch | undefined, entries: readonly EntryTouch[]): DayGoal['credit'] {
  const credit: DayGoal['credit'] = {};
  if (first && first.at.getTime() <= goalAt.getTime()) credit.first = creditOf(goalAt, first);
  for (const model of ['last', 'lastNonDirect'] as const) {
    const entry = latest(model, goalAt, entries);
    if (entry) credit[model] = creditOf(goalAt, entry);
  }
  return credit;
}

/**
 * A goal credited again with entries that arrived after it was (an offline phone's, or one the
 * tracker had not sent yet when the operator's function reported the goal), and with the user's
 * first touch when it moved: a later eligible entry takes the last and last non-direct touch, the
 * others leave them. Answers the same goal when nothing changes.
 */
export function recredit(goal: DayGoal, entries: readonly EntryTouch[], first?: EntryTouch): DayGoal {
  const at = new Date(goal.at);
  const credit = { ...goal.credit };
  let changed = false;
  if (first && first.at.getTime() <= at.getTime() && (!credit.first || new Date(credit.first.at).getTime() !== first.at.getTime())) {
    credit.first = creditOf(at, first);
    changed = true;
  }
  for (const model of ['last', 'lastNonDirect'] as const) {
    const entry = latest(model, at, entries);
    const current = credit[model];
    if (entry && (!current || entry.at.getTime() > new Date(current.at).getTime())) {
      credit[model] = creditOf(at, entry);
      changed = true;
    }
  }
  return changed ? { ...goal, credit } : goal;
}

/**
 * A goal credited anew (reported again), keeping the touches the user-day held for it at the same
 * time where they are later than those found now: they came from entries since deleted (raw events
 * past `RUKOU_RETENTION_DAYS`, or older than the 30 days `track` reads), and a stored entry never
 * changes, so a touch held is never wrong, only a later one better. A goal whose time moved is
 * credited anew alone.
 */
export function keepHeldTouches(goal: DayGoal, held: DayGoal | undefined): DayGoal {
  if (!held || new Date(held.at).getTime() !== new Date(goal.at).getTime()) return goal;
  const credit = { ...goal.credit };
  for (const model of ['first', 'last', 'lastNonDirect'] as const) {
    const kept = held.credit[model];
    const found = credit[model];
    if (kept && (!found || (model !== 'first' && new Date(kept.at).getTime() > new Date(found.at).getTime()))) credit[model] = kept;
  }
  return { ...goal, credit };
}
