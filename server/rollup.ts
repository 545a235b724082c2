import {
  buildRollup,
  catalogSceneNames,
  dayPipelines,
  DIMENSIONS,
  eventDaysBeforePipeline,
  LATE_DAYS,
  purgeableDays,
  revisionsSincePipeline,
  unchangedSince,
  type DayOutputs,
  type Dimension,
  type RollupDoc,
} from '../shared/rollup';
import type { RevisionDoc } from '../shared/model';
import { revisionUpdates } from '../shared/revisions';
import { addDays, chinaDay, dayRange } from '../shared/time';
import { documentsOf, runPipeline, type Database, type RequestCounter } from './pipeline';

/** Revisions read per request, and openids per update (the `in` list of one query). */
const PAGE = 1000;

/**
 * Applies a day's first-day revisions to its user-days (usually there are none): the user-days of
 * users whose first day moved away from `day` say the new one, so that the pipelines count them as
 * not new there. Idempotent; a stale count stored after it (a racing delivery) comes with events
 * written after the rollup, so the daily run rolls the day again and applies it again.
 */
async function applyRevisions(db: Database, day: string, counter: RequestCounter): Promise<void> {
  const _ = db.command;
  for (let skip = 0; ; skip += PAGE) {
    counter.count += 1;
    const answer = await db.collection('revisions').where({ fromDay: day }).orderBy('_id', 'asc').skip(skip).limit(PAGE).field({ openid: true, toDay: true }).get();
    const page = documentsOf<Pick<RevisionDoc, 'openid' | 'toDay'>>(answer, 'revisions');
    for (const { toDay, openids } of revisionUpdates(page, PAGE)) {
      counter.count += 1;
      await db.collection('user_days').where({ day, firstDay: day, openid: _.in(openids) }).update({ data: { firstDay: toDay } });
    }
    if (page.length < PAGE) return;
  }
}

/**
 * Computes one China day's rollup from its raw events, inside the database: a fixed number of
 * aggregation requests (12, after one read of the day's first-day revisions) whatever the number
 * of events. The admin's "today so far" calls this same function without storing the result.
 */
export async function computeDay(db: Database, day: string, counter: RequestCounter, now: Date): Promise<RollupDoc> {
  await applyRevisions(db, day, counter);
  const pipelines = dayPipelines(day);
  const run = <T>(name: Exclude<keyof DayOutputs, 'dimensions'>): Promise<T[]> => runPipeline<T>(db, pipelines[name], counter);
  // Sequential on purpose: the cloud database counts concurrent requests against the environment's quota.
  const dimensions = {} as DayOutputs['dimensions'];
  for (const dimension of DIMENSIONS) dimensions[dimension] = await runPipeline(db, pipelines.dimensions[dimension as Dimension], counter);
  const outputs: DayOutputs = {
    totals: await run('totals'),
    dimensions,
    shareIntents: await run('shareIntents'),
    shareReturns: await run('shareReturns'),
    shareDepths: await run('shareDepths'),
    groupTotals: await run('groupTotals'),
    topGroups: await run('topGroups'),
    late: await run('late'),
  };
  return buildRollup(day, outputs, catalogSceneNames, now);
}

/**
 * Computes and stores the rollups of the given days in order (replacing what was there: idempotent);
 * after `startNoDayAfter` (epoch ms) no further day is started, so a caller can stay within its timeout.
 */
export async function rollupDays(db: Database, days: string[], counter: RequestCounter, now: () => Date, startNoDayAfter = Infinity): Promise<RollupDoc[]> {
  const written: RollupDoc[] = [];
  for (const day of days) {
    // a day of a million events takes ~20 s: past the budget, stop between days, never inside one
    if (written.length > 0 && now().getTime() > startNoDayAfter) break;
    const { _id, ...content } = await computeDay(db, day, counter, now());
    counter.count += 1;
    await db.collection('rollups_daily').doc(_id).set({ data: content });
    written.push({ _id, ...content });
  }
  return written;
}

export interface RetentionResult {
  cutoff: string;
  purgedDays: string[];
  removedEvents: number;
  /** Days past retention that still wait for a rollup computed after their last event. */
  keptDays: string[];
}

/** Deletes raw events (but the share ledger) of days before today − retentionDays whose rollup already counts them. */
export async function purgeEvents(db: Database, today: string, retentionDays: number, counter: RequestCounter): Promise<RetentionResult> {
  const cutoff = addDays(today, -retentionDays);
  const eventDays = await runPipeline<{ _id: unknown; lastWrite: Date }>(db, eventDaysBeforePipeline(cutoff), counter);
  if (eventDays.length === 0) return { cutoff, purgedDays: [], removedEvents: 0, keptDays: [] };
  const _ = db.command;
  counter.count += 1;
  const rolled = documentsOf<{ _id: string; computedAt: Date }>(
    await db
      .collection('rollups_daily')
      .where({ _id: _.in(eventDays.map((row) => String(row._id))) })
      .field({ computedAt: true })
      .limit(1000)
      .get(),
    'rollups_daily',
  );
  const purgedDays = purgeableDays(eventDays, rolled);
  let removedEvents = 0;
  if (purgedDays.length > 0) {
    counter.count += 1;
    const removed = (await db.collection('events').where({ day: _.in(purgedDays), type: _.neq('share') }).remove()) as { stats?: { removed?: number } };
    removedEvents = removed.stats?.removed ?? 0;
    // a purged day is rolled up for good: its user-days and revisions have nothing left to count
    counter.count += 2;
    await db.collection('user_days').where({ day: _.in(purgedDays) }).remove();
    await db.collection('revisions').where({ fromDay: _.in(purgedDays) }).remove();
  }
  const purged = new Set(purgedDays);
  return { cutoff, purgedDays, removedEvents, keptDays: eventDays.map((row) => String(row._id)).filter((day) => !purged.has(day)) };
}

/**
 * The days (of `days`) whose stored rollup still counts all their events: one request for the
 * documents, one for the days' first-day revisions, then for each a count of the day's events
 * written since it was computed (an index on (day, serverAt) answers it without reading the day),
 * where computing a day again is twelve aggregations over all of it.
 */
async function currentDays(db: Database, days: string[], counter: RequestCounter): Promise<Set<string>> {
  const _ = db.command;
  counter.count += 1;
  const stored = documentsOf<Pick<RollupDoc, '_id' | 'version' | 'computedAt'>>(
    await db.collection('rollups_daily').where({ _id: _.in(days) }).field({ version: true, computedAt: true }).get(),
    'rollups_daily',
  );
  const sinces = stored.flatMap((doc) => unchangedSince(doc) ?? []);
  const revised =
    sinces.length === 0 ? [] : await runPipeline<{ _id: string; last: Date }>(db, revisionsSincePipeline(days, new Date(Math.min(...sinces.map((since) => since.getTime())))), counter);
  const current = new Set<string>();
  for (const doc of stored) {
    const since = unchangedSince(doc);
    if (!since || revised.some((row) => row._id === doc._id && new Date(row.last) >= since)) continue;
    counter.count += 1;
    const written = (await db.collection('events').where({ day: doc._id, serverAt: _.gte(since) }).count()) as { total?: number };
    if (written.total === 0) current.add(doc._id);
  }
  return current;
}

export interface DailyRunResult {
  day: string;
  /** The days computed and stored by this run. */
  rolledUp: string[];
  /** The days before `day` whose rollup already counted every event they have: left as they were. */
  unchanged: string[];
  retention: RetentionResult;
  databaseRequests: number;
}

/**
 * The timer's run at `time` (an instant): rolls up yesterday in Beijing time, re-rolls each of the
 * seven days before it that received events since its rollup, then applies retention. At a
 * million events a day, re-rolling unchanged days would multiply the run.
 */
export async function dailyRun(db: Database, time: Date, retentionDays: number, counter: RequestCounter): Promise<DailyRunResult> {
  const today = chinaDay(time);
  const day = addDays(today, -1);
  const late = dayRange(addDays(day, -LATE_DAYS), addDays(day, -1));
  const unchanged = await currentDays(db, late, counter);
  const days = [...late.filter((d) => !unchanged.has(d)), day];
  await rollupDays(db, days, counter, () => new Date());
  const retention = await purgeEvents(db, today, retentionDays, counter);
  return { day, rolledUp: days, unchanged: late.filter((d) => unchanged.has(d)), retention, databaseRequests: counter.count };
}
