/**
 * What a batch's goal reports change: each goal's document (`goals`: its reports merged, whatever
 * their order and whoever sent them, `shared/goals.ts`) and the goal as the user-day of its day
 * holds it, credited under every model from the user's first touch and entries (`shared/attribution.ts`).
 * A goal whose time moved to another day (an earlier report arrived) leaves the user-day it was on.
 * A report already merged (the same event sent again) changes no document, but its goal is placed
 * again: a crash between the document and the user-day left the user-day to catch up.
 *
 * @example
 * const { writes, placed } = planGoals(goalEvents, identity, { goals, first, entries }, now);
 * // writes: the goal documents to add or update; placed: each goal's DayGoal, its day and the day it left
 */
import { creditsOf, type EntryTouch } from './attribution';
import { goalDocId, goalOf, keptReports, MAX_REPORTS } from './goals';
import type { DayGoal, GoalDoc, GoalEvent } from './model';
import { chinaDay } from './time';

/** Who the goals are of: the caller WeChat vouched for. */
export interface GoalOwner {
  openid: string;
  appid: string;
  unionid?: string;
}

export interface GoalLookups {
  /** The stored documents of the batch's goals, by `_id`. */
  goals: ReadonlyMap<string, GoalDoc>;
  /** The user's first touch, as this batch leaves `users`. */
  first?: EntryTouch;
  /** The user's entries around the goals: those stored, and the batch's own. */
  entries: readonly EntryTouch[];
}

/** A goal document to add, or to write over the version read. */
export type GoalWrite = { kind: 'create'; doc: GoalDoc } | { kind: 'update'; version: number; doc: GoalDoc };

/** A goal as the user-day of `day` is to hold it, and the day whose user-day it leaves. */
export interface PlacedGoal {
  day: string;
  goal: DayGoal;
  leaves?: string;
}

function merged(doc: GoalDoc | undefined, event: GoalEvent, owner: GoalOwner, now: Date): GoalDoc | undefined {
  if (doc && doc.reports.some((report) => report.eventId === event.eventId)) return undefined;
  const report = { eventId: event.eventId, verified: event.verified, at: event.at, ...(event.value === undefined ? {} : { value: event.value }) };
  const reports = keptReports([...(doc?.reports ?? []), report]);
  const goal = goalOf(reports);
  // past the cap, a report that changes nothing costs no write (a client repeating one goal)
  const unchanged = doc !== undefined && new Date(doc.at).getTime() === goal.at.getTime() && doc.verified === goal.verified && doc.value === goal.value;
  if (unchanged && doc.reports.length >= MAX_REPORTS) return undefined;
  const who = owner.unionid === undefined ? { openid: owner.openid, appid: owner.appid } : { openid: owner.openid, appid: owner.appid, unionid: owner.unionid };
  const next: GoalDoc = { _id: goalDocId(owner.openid, event.name, event.goalId), ...who, name: event.name, goalId: event.goalId, at: goal.at, day: chinaDay(goal.at), verified: goal.verified, reports, v: (doc?.v ?? 0) + 1, updatedAt: now };
  if (goal.value !== undefined) next.value = goal.value;
  return next;
}

/** The goal documents a batch's goal events (in `seq` order) change, and where each goal is to be held. */
export function planGoals(events: readonly GoalEvent[], owner: GoalOwner, lookups: GoalLookups, now: Date): { writes: GoalWrite[]; placed: PlacedGoal[] } {
  const current = new Map<string, GoalDoc>();
  for (const event of events) {
    const id = goalDocId(owner.openid, event.name, event.goalId);
    const known = current.get(id) ?? lookups.goals.get(id);
    const next = merged(known, event, owner, now);
    if (next) current.set(id, next);
    else if (known) current.set(id, known);
  }
  const writes: GoalWrite[] = [];
  const placed: PlacedGoal[] = [];
  for (const [id, doc] of current) {
    const stored = lookups.goals.get(id);
    if (!stored) writes.push({ kind: 'create', doc });
    else if (doc !== stored) writes.push({ kind: 'update', version: stored.v, doc });
    const at = new Date(doc.at);
    const goal: DayGoal = { id, name: doc.name, at, value: doc.value ?? 0, verified: doc.verified, credit: creditsOf(at, lookups.first, lookups.entries) };
    placed.push(stored && stored.day !== doc.day ? { day: doc.day, goal, leaves: stored.day } : { day: doc.day, goal });
  }
  return { writes, placed };
}
