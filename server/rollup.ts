import {
  buildRollup,
  ROLLUP_VERSION,
  catalogSceneNames,
  dayPipelines,
  DIMENSIONS,
  eventDaysBeforePipeline,
  LATE_DAYS,
  userDayDaysBeforePipeline,
  goalChangesSincePipeline,
  purgeableDays,
  revisionsSincePipeline,
  unchangedSince,
  type DayOutputs,
  type Dimension,
  type Pipeline,
  type RollupDoc,
} from '../shared/rollup';
import { channelPipelines, withChannels, type RegisteredChannel } from '../shared/channel-rollup';
import { goalKeysPipeline, goalNamesPipeline, goalSection, goalTimesPipeline, goalUsersPipeline, keysByDimension, type GoalOutputs } from '../shared/goal-rollup';
import type { RevisionDoc } from '../shared/model';
import { daysCountingFor, MAX_AGE, retentionOf, retentionPipelines, waitingPartsOf, type CohortPart, type RetentionRow } from '../shared/retention';
import { revisionUpdates } from '../shared/revisions';
import { SEND_KINDS, SEND_SETTLE_DAYS, sendStats, sendsPipeline, type SendRow } from '../shared/sends';
import { addDays, chinaDay, dayRange, daysBetween, FIRST_DAY } from '../shared/time';
import { documentsOf, runPipeline, type Database, type RequestCounter } from './pipeline';
import { readRegistry } from './registry';
import { CallBudget, DaySteps, OutOfTime, removePart, storedParts } from './rollup-steps';

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
      // a new version, so that a delivery planned from the user-day as it was must plan again
      await db.collection('user_days').where({ day, firstDay: day, openid: _.in(openids) }).update({ data: { firstDay: toDay, v: _.inc(1) } });
    }
    if (page.length < PAGE) return;
  }
}

/** A day's rollup, and what it counts for the cohorts of the days before it (`shared/retention.ts`). */
export interface DayRollup {
  doc: RollupDoc;
  cohorts: CohortPart[];
}

/**
 * Computes one China day's rollup from its user-days (its first touches from its users, and its
 * messages and cards from their records), inside the database: a fixed number of aggregation
 * requests (19, up to 22 on a day with goals, after one read of the day's first-day revisions)
 * whatever the number of users, events and sends, each a step of `steps` (which answers those an
 * earlier call ran, and throws OutOfTime when its call has no time for the next). `registry`: the
 * operator's channels, which give the day's channels their kind and group (`readRegistry`, once for
 * all the days a run computes). The admin's "today so far" calls this same function without
 * storing the result.
 */
export async function computeDay(db: Database, day: string, registry: readonly RegisteredChannel[], counter: RequestCounter, steps: DaySteps): Promise<DayRollup> {
  await applyRevisions(db, day, counter);
  const out = await runDayPipelines(dayPipelines(day), (name, pipeline) => steps.run(name, pipeline));
  const channels = channelPipelines(day, registry, out);
  const doc = withChannels(buildRollup(day, out, catalogSceneNames, steps.startedAt), {
    kindsAndGroups: await steps.run('channelKindsAndGroups', channels.kindsAndGroups),
    firstTouches: await steps.run('channelFirstTouches', channels.firstTouches),
  });
  const pipelines = retentionPipelines(day);
  const { section, cohorts } = retentionOf(day, {
    cohorts: await steps.run<RetentionRow>('retentionCohorts', pipelines.cohorts),
    reactivated: await steps.run<RetentionRow>('retentionReactivated', pipelines.reactivated),
  });
  return { doc: { ...doc, retention: section, goals: goalSection(await runGoalPipelines(day, steps)) }, cohorts };
}

/** Runs a day's goal pipelines (`shared/goal-rollup.ts`): only the first on a day without goals. */
async function runGoalPipelines(day: string, steps: DaySteps): Promise<GoalOutputs> {
  const names = await steps.run<GoalOutputs['names'][number]>('goalNames', goalNamesPipeline(day));
  if (names.length === 0) return { names, keys: [], times: [], users: [] };
  const keys = await steps.run<GoalOutputs['keys'][number]>('goalKeys', goalKeysPipeline(day));
  const times = await steps.run<GoalOutputs['times'][number]>('goalTimes', goalTimesPipeline(day));
  const entered = goalUsersPipeline(day, keysByDimension({ keys }));
  return { names, keys, times, users: entered ? await steps.run<GoalOutputs['users'][number]>('goalUsers', entered) : [] };
}

/** Runs one named pipeline and answers its rows. */
export type PipelineRunner = <T>(name: string, pipeline: Pipeline) => Promise<T[]>;

/**
 * Runs a day's pipelines (the rollup's, or the benchmark's baseline of the same shape), one request
 * each, in order, and answers their rows by name.
 */
export async function runDayPipelines(pipelines: ReturnType<typeof dayPipelines>, run: PipelineRunner): Promise<DayOutputs> {
  const named = <T>(name: Exclude<keyof DayOutputs, 'dimensions'>): Promise<T[]> => run<T>(name, pipelines[name]);
  // Sequential on purpose: the cloud database counts concurrent requests against the environment's quota.
  const dimensions = {} as DayOutputs['dimensions'];
  for (const dimension of DIMENSIONS) dimensions[dimension] = await run(`dimension-${dimension}`, pipelines.dimensions[dimension as Dimension]);
  return {
    totals: await named('totals'),
    dimensions,
    shareIntents: await named('shareIntents'),
    shareReturns: await named('shareReturns'),
    shareDepths: await named('shareDepths'),
    groupTotals: await named('groupTotals'),
    topGroups: await named('topGroups'),
    messages: await named('messages'),
    cards: await named('cards'),
    late: await named('late'),
  };
}

/** The days among `days` that have a rollup, each with whether it is final (its user-days are past retention): one request. */
async function storedRollups(db: Database, days: string[], counter: RequestCounter): Promise<Map<string, boolean>> {
  const _ = db.command;
  counter.count += 1;
  const docs = documentsOf<Pick<RollupDoc, '_id' | 'final'>>(await db.collection('rollups_daily').where({ _id: _.in(days) }).field({ _id: true, final: true }).limit(1000).get(), 'rollups_daily');
  return new Map(docs.map((doc) => [doc._id, doc.final === true]));
}

const isPlainValue = (value: unknown): boolean => typeof value !== 'object' || value === null || value instanceof Date;

/**
 * Stores a day's rollup in place of what was there, but its cohort's retention that the days
 * after it wrote (`retention.days`, `retention.returns`, theirs to write): each field of a stored
 * document is set anew, and a new one is set whole. `waiting`: its parts for cohorts without a
 * rollup, kept in it (`waitingParts`) until they have one.
 */
async function storeRollup(db: Database, doc: RollupDoc, waiting: readonly CohortPart[], stored: boolean, counter: RequestCounter): Promise<void> {
  const { _id, retention, ...content } = doc;
  const waitingParts = waiting.length > 0 ? waitingPartsOf(waiting) : undefined;
  counter.count += 1;
  if (!stored) {
    await db.collection('rollups_daily').doc(_id).set({ data: { ...content, ...(retention ? { retention } : {}), ...(waitingParts ? { waitingParts } : {}) } });
    return;
  }
  const _ = db.command;
  // a nested object is merged field by field unless `set`: each field is replaced whole
  const data: Record<string, unknown> = Object.fromEntries(Object.entries(content).map(([key, value]) => [key, isPlainValue(value) ? value : _.set(value)]));
  if (retention) data.retention = { cohort: _.set(retention.cohort), reactivated: _.set(retention.reactivated) };
  data.waitingParts = waitingParts ? _.set(waitingParts) : _.remove();
  await db.collection('rollups_daily').doc(_id).update({ data });
}

/**
 * Writes what a day counted for each earlier cohort into that cohort's document: one update per
 * cohort, of the fields this day owns there.
 */
async function storeCohortParts(db: Database, parts: readonly CohortPart[], counter: RequestCounter): Promise<void> {
  const _ = db.command;
  for (const { cohortDay, age, day, returns } of parts) {
    counter.count += 1;
    const fields = { returns: { [age]: _.set(returns) }, ...(day ? { days: { [age]: _.set(day) } } : {}) };
    await db.collection('rollups_daily').where({ _id: cohortDay }).update({ data: { retention: fields } });
  }
}

/**
 * Stores a day's rollup and what it counted for the cohorts before it: into each cohort's document
 * (a final one too: a cohort's user-days past retention take nothing from what later days count of
 * it), or, for a cohort with no rollup yet, into its own (`waitingParts`). A day rolled
 * up for the first time then takes the parts the days after it keep for it, so that a backfill of
 * older days after the later ones (the timer's first week, then history) loses none. A cohort and a
 * later day rolled up at once each write before they read, so one of them sees the other.
 */
async function storeDay(db: Database, rolled: DayRollup, stored: boolean, counter: RequestCounter): Promise<void> {
  const cohorts = await storedRollups(db, rolled.cohorts.map((part) => part.cohortDay), counter);
  const waiting = rolled.cohorts.filter((part) => !cohorts.has(part.cohortDay));
  await storeRollup(db, rolled.doc, waiting, stored, counter);
  await storeCohortParts(db, rolled.cohorts.filter((part) => cohorts.has(part.cohortDay)), counter);
  if (waiting.length > 0) {
    const since = await storedRollups(db, waiting.map((part) => part.cohortDay), counter);
    await storeCohortParts(db, waiting.filter((part) => since.has(part.cohortDay)), counter);
  }
  if (stored) return;
  const _ = db.command;
  const path = `waitingParts.${rolled.doc._id}`;
  counter.count += 1;
  const keeping = documentsOf<Pick<RollupDoc, 'waitingParts'>>(
    await db.collection('rollups_daily').where({ _id: _.in(daysCountingFor(rolled.doc._id)), [path]: _.exists(true) }).field({ [path]: true }).limit(MAX_AGE).get(),
    'rollups_daily',
  );
  const parts = keeping.flatMap((doc) => {
    const part = doc.waitingParts?.[rolled.doc._id];
    return part ? [{ cohortDay: rolled.doc._id, ...part }] : [];
  });
  await storeCohortParts(db, parts, counter);
}

/**
 * Computes and stores the rollups of the given days in order (replacing what was there: idempotent),
 * but those that are final, which keep theirs. A call that must be done by `endBy` (epoch ms) stops
 * between two steps of a day's rollup (`CallBudget`), storing what it computed of that day for
 * the next call to go on from (`rollup_parts`). Answers the documents written, the final days
 * passed over, and how many of `days` were handled.
 */
export async function rollupDays(db: Database, days: string[], counter: RequestCounter, now: () => Date, endBy = Infinity): Promise<{ written: RollupDoc[]; final: string[]; done: number }> {
  // most of the timer's runs find every day current: nothing to read for them
  if (days.length === 0) return { written: [], final: [], done: 0 };
  const stored = await storedRollups(db, days, counter);
  const parts = await storedParts(db, days, counter);
  const registry = await readRegistry(db, counter, ['kind', 'group']);
  const budget = new CallBudget(endBy);
  const written: RollupDoc[] = [];
  let done = 0;
  for (const day of days) {
    if (!stored.get(day)) {
      if (!budget.mayStart()) break;
      const steps = new DaySteps(db, day, counter, budget, parts.get(day), now());
      let rolled: DayRollup;
      try {
        rolled = await computeDay(db, day, registry, counter, steps);
      } catch (error) {
        if (error instanceof OutOfTime) {
          await steps.save();
          break;
        }
        // a step refused or past the SDK's timeout: the steps before it are the next call's, and the call fails with its own error
        await steps.save().catch(() => undefined);
        throw error;
      }
      await storeDay(db, rolled, stored.has(day), counter);
      if (parts.has(day)) await removePart(db, day, counter);
      written.push(rolled.doc);
    }
    done += 1;
  }
  return { written, final: days.slice(0, done).filter((day) => stored.get(day)), done };
}

/** How long each kind of data is kept, in China days before today. */
export interface Retention {
  /** Raw events (RUKOU_RETENTION_DAYS). */
  eventDays: number;
  /** User-days and the first-day revisions that correct them (RUKOU_USER_DAY_RETENTION_DAYS). */
  userDays: number;
}

/** What one kind of data's retention did. */
export interface PurgeResult {
  cutoff: string;
  purgedDays: string[];
  removed: number;
  /** Days past retention that still wait for a rollup computed after their last write. */
  keptDays: string[];
}

export interface RetentionResult {
  cutoff: string;
  purgedDays: string[];
  removedEvents: number;
  keptDays: string[];
  userDays: PurgeResult;
}

/**
 * Purges the days before `cutoff` that one pipeline lists (each with its last write) and whose
 * rollup was computed after that write, or is final: a day is deleted only once its rollup counts
 * all of it, or never will again.
 */
async function purgeDays(
  db: Database,
  cutoff: string,
  listed: Pipeline,
  remove: (days: string[]) => Promise<number>,
  counter: RequestCounter,
): Promise<PurgeResult> {
  const days = await runPipeline<{ _id: unknown; lastWrite: Date }>(db, listed, counter);
  if (days.length === 0) return { cutoff, purgedDays: [], removed: 0, keptDays: [] };
  const _ = db.command;
  counter.count += 1;
  const rolled = documentsOf<{ _id: string; computedAt: Date; final?: boolean }>(
    await db
      .collection('rollups_daily')
      .where({ _id: _.in(days.map((row) => String(row._id))) })
      .field({ computedAt: true, final: true })
      .limit(1000)
      .get(),
    'rollups_daily',
  );
  const purgedDays = purgeableDays(days, rolled);
  const removed = purgedDays.length > 0 ? await remove(purgedDays) : 0;
  const purged = new Set(purgedDays);
  return { cutoff, purgedDays, removed, keptDays: days.map((row) => String(row._id)).filter((day) => !purged.has(day)) };
}

const removedCount = (answer: unknown): number => Number((answer as { stats?: { removed?: unknown } } | undefined)?.stats?.removed ?? 0);

/**
 * Applies retention: raw events (but the share ledger and each group's first entries) of days
 * before today − `eventDays`, and user-days with their revisions of days before today − `userDays`,
 * each only once their day's rollup counts them.
 */
export async function applyRetention(db: Database, today: string, retention: Retention, counter: RequestCounter): Promise<RetentionResult> {
  const _ = db.command;
  const eventCutoff = addDays(today, -retention.eventDays);
  const events = await purgeDays(
    db,
    eventCutoff,
    eventDaysBeforePipeline(eventCutoff),
    async (days) => {
      counter.count += 1;
      // the ledger is the share events that recorded a share (`share`): one refused or repeated is an event like any other
      const notLedger = _.or([{ type: _.neq('share') }, { share: _.exists(false) }]);
      return removedCount(await db.collection('events').where(_.and([{ day: _.in(days), groupFirst: _.neq(true) }, notLedger])).remove());
    },
    counter,
  );
  const userDayCutoff = addDays(today, -retention.userDays);
  const userDays = await purgeDays(
    db,
    userDayCutoff,
    userDayDaysBeforePipeline(userDayCutoff),
    async (days) => {
      counter.count += 4;
      // final first: a crash before the removal leaves days that simply are not computed again
      await db.collection('rollups_daily').where({ _id: _.in(days) }).update({ data: { final: true } });
      const removed = removedCount(await db.collection('user_days').where({ day: _.in(days) }).remove());
      // a purged day is never rolled up again: its revisions have nothing left to correct, and a part of its rollup nothing to end
      await db.collection('revisions').where({ fromDay: _.in(days) }).remove();
      await db.collection('rollup_parts').where({ _id: _.in(days) }).remove();
      return removed;
    },
    counter,
  );
  return { cutoff: events.cutoff, purgedDays: events.purgedDays, removedEvents: events.removed, keptDays: events.keptDays, userDays };
}

/**
 * The days (of `days`) whose stored rollup still counts all their events: one request for the
 * documents, one for the days' first-day revisions, one for the days' goals changed since (a goal
 * that moved to another day, or took a verified value, changes a day no event of it was written
 * to), then for each a count of the day's events written since it was computed (an index on (day,
 * serverAt) answers it without reading the day) and, when there is none, of its user-days a batch
 * of another day changed since (`movedAt`: a user's first touch or previous day moved; on (day,
 * movedAt)), where computing a day again is nineteen aggregations or more over all of it.
 */
async function currentDays(db: Database, days: string[], counter: RequestCounter): Promise<Set<string>> {
  const _ = db.command;
  counter.count += 1;
  const stored = documentsOf<Pick<RollupDoc, '_id' | 'version' | 'computedAt'>>(
    await db.collection('rollups_daily').where({ _id: _.in(days) }).field({ version: true, computedAt: true }).get(),
    'rollups_daily',
  );
  const sinces = stored.flatMap((doc) => unchangedSince(doc) ?? []);
  const earliest = new Date(Math.min(...sinces.map((since) => since.getTime())));
  const changed =
    sinces.length === 0
      ? []
      : [...(await runPipeline<{ _id: string; last: Date }>(db, revisionsSincePipeline(days, earliest), counter)), ...(await runPipeline<{ _id: string; last: Date }>(db, goalChangesSincePipeline(days, earliest), counter))];
  const current = new Set<string>();
  for (const doc of stored) {
    const since = unchangedSince(doc);
    if (!since || changed.some((row) => row._id === doc._id && new Date(row.last) >= since)) continue;
    counter.count += 1;
    const written = (await db.collection('events').where({ day: doc._id, serverAt: _.gte(since) }).count()) as { total?: number };
    if (written.total !== 0) continue;
    counter.count += 1;
    const moved = (await db.collection('user_days').where({ day: doc._id, movedAt: _.gte(since) }).count()) as { total?: number };
    if (moved.total === 0) current.add(doc._id);
  }
  return current;
}

/**
 * Counts again the messages and cards of days already rolled up, and stores them in those days'
 * rollups (not final ones, nor those of older code), leaving the rest of each document as it is:
 * their opens keep arriving for `SEND_SETTLE_DAYS` after the send's day, long after the day's own
 * events are all in. One read for the days' rollups, then two aggregations (over that day's sends)
 * and one update a day. Answers the days counted again.
 */
async function recountSends(db: Database, days: string[], counter: RequestCounter): Promise<string[]> {
  const _ = db.command;
  counter.count += 1;
  const stored = documentsOf<{ _id: string }>(
    await db.collection('rollups_daily').where({ _id: _.in(days), version: ROLLUP_VERSION, final: _.neq(true) }).field({ _id: true }).limit(1000).get(),
    'rollups_daily',
  );
  const recounted = days.filter((day) => stored.some((doc) => doc._id === day));
  for (const day of recounted) {
    const counts: Record<string, unknown> = {};
    for (const kind of SEND_KINDS) counts[kind] = _.set(sendStats(await runPipeline<SendRow>(db, sendsPipeline(kind, day), counter)));
    counter.count += 1;
    await db.collection('rollups_daily').doc(day).update({ data: counts });
  }
  return recounted;
}

export interface DailyRunResult {
  day: string;
  /** The days computed and stored by this run. */
  rolledUp: string[];
  /** The days of the week that ends with `day` whose rollup already counted everything they have: left as they were. */
  unchanged: string[];
  /** The days that needed a rollup but whose rollup is final (their user-days are past retention): kept as they were. */
  final: string[];
  /** The days that needed a rollup and that this run had no time left for: the timer's next run rolls them. */
  left: string[];
  /** The days not rolled up again whose messages and cards were counted again (their opens may still come); null when the next run does it. */
  sendsRecounted: string[] | null;
  /** What retention did; null when the next run does it. */
  retention: RetentionResult | null;
  databaseRequests: number;
}

/**
 * A run of the timer at `time` (an instant), which fires nine times each morning (cloudbaserc.json):
 * rolls up yesterday in Beijing time and each of the seven days before it, but those whose rollup
 * still counts everything they have; starts no day after its first that it expects to end after
 * `budgetMs`, leaving the rest to the timer's next run; once no day is left and time is (or the
 * run rolled none), counts again the messages and cards of yesterday and the 14 days before it
 * that it did not roll (their opens may still come), then applies retention. At ten million events
 * a day, one day's rollup takes half a timeout: a run that rolled a week of them at once would be
 * cut off and store none.
 */
export async function dailyRun(db: Database, time: Date, retention: Retention, budgetMs: number, counter: RequestCounter): Promise<DailyRunResult> {
  const endBy = Date.now() + budgetMs;
  const today = chinaDay(time);
  const day = addDays(today, -1);
  const week = dayRange(addDays(day, -LATE_DAYS), day);
  const current = await currentDays(db, week, counter);
  const days = week.filter((d) => !current.has(d));
  const { written, final, done } = await rollupDays(db, days, counter, () => new Date(), endBy);
  const rolled = new Set(written.map((doc) => doc._id));
  const ran = { day, rolledUp: [...rolled], unchanged: week.filter((d) => current.has(d)), final, left: days.slice(done) };
  // a run that rolled nothing has the whole of its time for them
  if (ran.left.length > 0 || (written.length > 0 && Date.now() > endBy)) return { ...ran, sendsRecounted: null, retention: null, databaseRequests: counter.count };
  // days are written from 0000-01-01 on: a run in the calendar's first fortnight recounts the days there are
  const settling = daysBetween(FIRST_DAY, day) > SEND_SETTLE_DAYS ? addDays(day, -SEND_SETTLE_DAYS) : FIRST_DAY;
  const sendsRecounted = await recountSends(db, dayRange(settling, day).filter((d) => !rolled.has(d)), counter);
  return { ...ran, sendsRecounted, retention: await applyRetention(db, today, retention, counter), databaseRequests: counter.count };
}
