/**
 * The goals of one user's day, as their user-day holds them (`UserDayDoc.goals`), and the two
 * summaries the rollup adds up: one row per (goal name, model, dimension, key) the day's goals are
 * credited to, with how many and their value (`goalKeys`), and one row per goal name (`goalNames`).
 * Each user-day has each row once, so the rollup's `$group` counts converted users exactly and holds
 * one group per key, never a (user, key) pair (the README's **Scale**).
 *
 * @example
 * const goals = withGoal(stored.goals ?? [], dayGoal);
 * dayGoalFields(goals, now) // { goals, goalKeys, goalNames, goalCount, goalsAt }: what the user-day sets
 */
import { GOAL_MODELS } from './goals';
import type { DayGoal, GoalDimension, GoalKeyRow, GoalNameRow, UserDayDoc } from './model';

const byTimeThenId = (a: DayGoal, b: DayGoal): number => new Date(a.at).getTime() - new Date(b.at).getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The list with `goal` in it (in place of the one with its id), in time order. */
export const withGoal = (goals: readonly DayGoal[], goal: DayGoal): DayGoal[] => [...goals.filter((known) => known.id !== goal.id), goal].sort(byTimeThenId);

/** The list without the goal of that id (it moved to another day). */
export const withoutGoal = (goals: readonly DayGoal[], id: string): DayGoal[] => goals.filter((known) => known.id !== id);

/** A value as text with every object's keys in order: the database gives fields back in the order they were written, not built. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item) ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : item,
  );

/** Whether two lists hold the same goals, credited the same way (dates compared as instants). */
export const sameGoals = (a: readonly DayGoal[], b: readonly DayGoal[]): boolean => canonical(a) === canonical(b);

/** The rows of a day's goals: per name, and per (name, model, dimension, key). */
export function goalRows(goals: readonly DayGoal[]): { goalKeys: GoalKeyRow[]; goalNames: GoalNameRow[] } {
  const names = new Map<string, GoalNameRow>();
  const keys = new Map<string, GoalKeyRow>();
  for (const goal of goals) {
    const name = names.get(goal.name) ?? { n: goal.name, goals: 0, value: 0, verified: 0 };
    name.goals += 1;
    name.value += goal.value;
    name.verified += goal.verified ? 1 : 0;
    names.set(goal.name, name);
    for (const m of GOAL_MODELS) {
      for (const [d, k] of Object.entries(goal.credit[m]?.keys ?? {}) as [GoalDimension, string][]) {
        const id = JSON.stringify([goal.name, m, d, k]);
        const row = keys.get(id) ?? { n: goal.name, m, d, k, goals: 0, value: 0 };
        row.goals += 1;
        row.value += goal.value;
        keys.set(id, row);
      }
    }
  }
  return { goalKeys: [...keys.values()], goalNames: [...names.values()] };
}

/** What a user-day sets when its goals change. */
export type DayGoalFields = Required<Pick<UserDayDoc, 'goals' | 'goalKeys' | 'goalNames' | 'goalCount' | 'goalsAt'>>;

export function dayGoalFields(goals: DayGoal[], at: Date): DayGoalFields {
  return { goals, ...goalRows(goals), goalCount: goals.length, goalsAt: at };
}
