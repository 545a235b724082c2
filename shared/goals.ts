/**
 * Goals: events the operator names (`order_paid`, `signup` …), each one identified by the operator's
 * own key (`goalId`: an order number), reported by the Mini Program (the tracker's `goal()`) or by
 * the operator's own cloud function (verified), for the user WeChat says is calling.
 *
 * - **Verified.** A report is verified when `track` was called by a cloud function: WeChat's SOURCE
 *   for such a call ends in `scf` (`wx_client,scf`: the Mini Program called the operator's function,
 *   which called `track`), and the callee sees the caller's OPENID. A Mini Program calling `track`
 *   itself has SOURCE `wx_client` (`wx_devtools` in DevTools), which it cannot change: a client never
 *   reports a verified goal, and never one for another user (the user is always the caller's OPENID).
 * - **Once.** One user's goal of one name and goalId is one goal whoever reports it and however often
 *   (`goals`, one document each): its time is its earliest report's, its value the verified
 *   report's when a verified report has one (else the earliest report's), and it is verified once
 *   any report is. Goals are each user's own: a goalId reported for two users is two goals, so that
 *   nobody can take or block another user's goal by sending its id first.
 *
 * @example
 * isFunctionCall('wx_client,scf') // true: the report is verified
 * goalOf([{ eventId: 'e1', verified: false, at: t1, value: 990 }, { eventId: 'e2', verified: true, at: t2, value: 1000 }])
 * // → { at: min(t1, t2), value: 1000, verified: true }
 */
import { eventDocId } from './ids';
import type { GoalDimension, GoalModel, GoalReport } from './model';

export const GOAL_MODELS: readonly GoalModel[] = ['first', 'last', 'lastNonDirect'];
export const GOAL_DIMENSIONS: readonly GoalDimension[] = ['bucket', 'category', 'scene', 'channel', 'page', 'share', 'group', 'message', 'card'];

/** A goal's name: letters, digits, `_` and `-`, so that it is a field name as it is (`goals.<name>` in a rollup). */
export const GOAL_NAME_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
/** The operator's key of one goal (an order number), as any clean text. */
export const GOAL_ID_LENGTH = 128;
/** Fen: 21,474,836.47 yuan, so that a day's sum of a million goals stays an exact number. */
export const MAX_GOAL_VALUE = 2 ** 31 - 1;
/**
 * Reports kept per goal: past them (a client sending one goal over and over) a report is kept only
 * when it decides the goal (`decidingReports`), so that a verified report always counts.
 */
export const MAX_REPORTS = 20;

/** The `_id` of a user's goal: over (openid, name, goalId); a name has no `:`, so no two pairs meet. */
export const goalDocId = (openid: string, name: string, goalId: string): string => eventDocId(openid, `goal:${name}:${goalId}`);

/** Whether WeChat's SOURCE says a cloud function called: its last link is `scf` (`wx_client,scf`). */
export const isFunctionCall = (source: string): boolean => source.split(',').pop() === 'scf';

const byTime = (a: GoalReport, b: GoalReport): number => new Date(a.at).getTime() - new Date(b.at).getTime() || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

/**
 * The reports that make a goal: the earliest (its time), the earliest verified one (whether it is
 * verified) and the one whose value it takes (the earliest verified one with a value, else the
 * earliest with a value). The same reports make the same goal, whatever order they came in.
 */
function decidingReports(reports: readonly GoalReport[]): { first: GoalReport; verified?: GoalReport; priced?: GoalReport } {
  const ordered = [...reports].sort(byTime);
  const valued = ordered.filter((report) => report.value !== undefined);
  return { first: ordered[0], verified: ordered.find((report) => report.verified), priced: valued.find((report) => report.verified) ?? valued[0] };
}

/** A goal as its reports make it, whatever order they came in. */
export function goalOf(reports: readonly GoalReport[]): { at: Date; value?: number; verified: boolean } {
  const { first, verified, priced } = decidingReports(reports);
  const goal = { at: new Date(first.at), verified: verified !== undefined };
  return priced ? { ...goal, value: priced.value } : goal;
}

/**
 * At most `MAX_REPORTS` of `reports` (in arrival order), the ones that decide the goal always
 * among them, then the latest others: the goal they make is the goal all of them make.
 */
export function keptReports(reports: readonly GoalReport[]): GoalReport[] {
  if (reports.length <= MAX_REPORTS) return [...reports];
  const deciding = new Set(Object.values(decidingReports(reports)));
  let others = MAX_REPORTS - deciding.size;
  const kept = new Set(deciding);
  for (let i = reports.length - 1; i >= 0 && others > 0; i--) {
    if (kept.has(reports[i])) continue;
    kept.add(reports[i]);
    others--;
  }
  return reports.filter((report) => kept.has(report));
}
