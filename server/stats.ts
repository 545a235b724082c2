import { channelStats, deadWindow } from '../shared/channel-stats';
import type { ShareEvent, ShareRecord } from '../shared/model';
import { RETENTION_DAYS } from '../shared/retention';
import { catalogSceneNames, rollupContent, type RollupDoc } from '../shared/rollup';
import {
  dailyTrend,
  groupActivity,
  groupActivityPipeline,
  groupRecord,
  missingDays,
  readableRollup,
  rankKeys,
  shareFunnel,
  shareSeries,
  shareTree,
  shareTreeOpensPipeline,
  SHARE_TREE_RECORDS,
  sumTotals,
  topGroupsInRangePipeline,
  topSharesInRangePipeline,
  totalsWithChange,
} from '../shared/stats';
import { goalStats, usersMapOf } from '../shared/goal-stats';
import { escapeKey } from '../shared/keys';
import { retentionStats } from '../shared/retention-stats';
import { actionOnly, backfillRange, channelsInput, goalsInput, groupInput, limitInput, rankInput, retentionInput, shareTreeInput, statsRange } from '../shared/stats-input';
import { sumSends, totalOfSends, SEND_SETTLE_DAYS, type RangeSendCounts, type SendKind } from '../shared/sends';
import { addDays, chinaDay, dayRange, previousPeriod } from '../shared/time';
import { documentsOf, runPipeline, type Database, type RequestCounter } from './pipeline';
import { readRegistry } from './registry';
import { computeDay, rollupDays } from './rollup';
import { CallBudget, DaySteps } from './rollup-steps';
import { cachedTitles } from './templates';
import { RukouError } from '../shared/errors';
import { quoted } from '../shared/input';

export interface StatsContext {
  db: Database;
  counter: RequestCounter;
  now: () => Date;
  /** How long a backfill may go on starting new days (the function's timeout minus one busy day). */
  rollupBudgetMs: number;
  /** RUKOU_RETENTION_DAYS: the answers read from raw events say from which day they are whole. */
  retentionDays: number;
}

/**
 * The first day whose raw events retention keeps whole (today − RUKOU_RETENTION_DAYS, as the timer
 * purges): before it, only the share ledger and groups' first entries are left, so an answer read
 * from raw events counts little of those days and says so.
 */
const rawEventsFrom = (ctx: StatsContext): string => addDays(chinaDay(ctx.now()), -ctx.retentionDays);

const DEFAULT_LIMIT = 20;
/** Channels the first-touch series of `channels` follows when the operator does not say. */
const DEFAULT_SERIES = 5;

/**
 * The stored rollups of [from, to], oldest first: one request (a range is at most 732 days with its
 * previous period). Without their goals, which only `goals` reads, one goal at a time (`fields`).
 */
async function rollupsBetween(ctx: StatsContext, from: string, to: string, fields: Record<string, boolean> = { goals: false }): Promise<RollupDoc[]> {
  const _ = ctx.db.command;
  ctx.counter.count += 1;
  return documentsOf<RollupDoc>(
    await ctx.db
      .collection('rollups_daily')
      .where({ _id: _.and(_.gte(from), _.lte(to)) })
      .orderBy('_id', 'asc')
      .field(fields)
      .limit(1000)
      .get(),
    'rollups_daily',
  );
}

const within = (docs: RollupDoc[], from: string, to: string): RollupDoc[] => docs.filter((doc) => doc._id >= from && doc._id <= to);

export type StatsAction = (event: Record<string, unknown>, ctx: StatsContext) => Promise<unknown>;

/**
 * One kind of sends over [from, to], by send day: each key's counts summed over the days' rollups
 * (a send counts on one day, so the sums are exact), most sent first, with the days of the range
 * that have no rollup and those whose counts may still grow (opens of their sends can still come).
 */
async function sendsBetween(ctx: StatsContext, event: Record<string, unknown>, kind: SendKind): Promise<{ from: string; to: string; total: RangeSendCounts; byKey: [string, RangeSendCounts][]; missingDays: string[]; settlingDays: string[] }> {
  const { from, to } = statsRange(event);
  const docs = await rollupsBetween(ctx, from, to);
  const byKey = Object.entries(sumSends(docs.map((doc) => doc[kind] ?? {})));
  const settled = addDays(chinaDay(ctx.now()), -SEND_SETTLE_DAYS - 1);
  const days = dayRange(from, to);
  return { from, to, total: totalOfSends(Object.fromEntries(byKey)), byKey, missingDays: missingDays(days, docs), settlingDays: days.filter((day) => day >= settled) };
}

/** The operators' stats, one entry per action: `admin` routes `{action, …}` here. */
export const STATS_ACTIONS = {
  /**
   * Totals with change against the previous period of the same length, and the daily trend; the
   * days of each period without a rollup (`missingDays`, `previous.missingDays`): a change against
   * a previous period missing some is against part of it.
   */
  async overview(event, ctx) {
    const { from, to } = statsRange(event);
    const previous = previousPeriod(from, to);
    const docs = await rollupsBetween(ctx, previous.from, to);
    const current = within(docs, from, to);
    const days = dayRange(from, to);
    const before = within(docs, previous.from, previous.to);
    return {
      from,
      to,
      // the previous period's days counted back from the range's: a range from year 0's first day has some before it, which no calendar function takes
      previous: { ...previous, missingDays: missingDays(days.map((day) => addDays(day, -days.length)), before) },
      totals: totalsWithChange(current.length > 0 ? sumTotals(current) : null, sumTotals(before)),
      trend: dailyTrend(days, current),
      missingDays: missingDays(days, current),
    };
  },

  async topEntries(event, ctx) {
    const input = rankInput(event);
    const dimension = input.dimension ?? 'scene';
    const docs = await rollupsBetween(ctx, input.from, input.to);
    // every key ranked, so that the answer says how many there are beside the `limit` it lists
    const ranked = rankKeys(docs, dimension, Infinity, catalogSceneNames);
    return { from: input.from, to: input.to, dimension, keys: ranked.length, top: ranked.slice(0, input.limit ?? DEFAULT_LIMIT) };
  },

  /**
   * The channels of a range: each key with its registry channel, the unknown keys, by kind and by
   * group, the first touches day by day, and the dead channels of the range's last 7 days.
   */
  async channels(event, ctx) {
    const input = channelsInput(event);
    const window = deadWindow(input.to);
    const docs = await rollupsBetween(ctx, window.from < input.from ? window.from : input.from, input.to);
    const registry = await readRegistry(ctx.db, ctx.counter);
    return channelStats({ from: input.from, to: input.to, limit: input.limit ?? DEFAULT_LIMIT, series: input.series ?? DEFAULT_SERIES }, docs, registry);
  },

  /**
   * Retention by the first touch's `by` over the cohorts of a range: day-N values, returns within 7
   * and 30 days, and reactivated users, from the cohorts' rollups (their retention sections only).
   */
  async retention(event, ctx) {
    const input = retentionInput(event);
    const _ = ctx.db.command;
    ctx.counter.count += 1;
    const docs = documentsOf<Pick<RollupDoc, '_id' | 'retention'>>(
      await ctx.db.collection('rollups_daily').where({ _id: _.and(_.gte(input.from), _.lte(input.to)) }).field({ retention: true }).limit(1000).get(),
      'rollups_daily',
    );
    const query = { from: input.from, to: input.to, by: input.by ?? null, days: [...(input.days ?? RETENTION_DAYS)].sort((a, b) => a - b), limit: input.limit ?? DEFAULT_LIMIT };
    return retentionStats(query, docs, catalogSceneNames);
  },

  /**
   * One goal over a range, by the keys of one dimension under one model. The name, which the
   * input's pattern keeps to letters, digits, `_` and `-`, is the one caller's text read as a
   * field (`goals.<name>`, escaped as the rollup stores it): so that a range reads that goal of
   * each day, not every goal of it.
   */
  async goals(event, ctx) {
    const input = goalsInput(event);
    const map = usersMapOf(input.by);
    const docs = await rollupsBetween(ctx, input.from, input.to, { _id: true, version: true, [`goals.${escapeKey(input.goal)}`]: true, ...(map ? { [map]: true } : {}) });
    return goalStats({ ...input, limit: input.limit ?? DEFAULT_LIMIT }, docs, catalogSceneNames);
  },

  /** The funnel summed over the range, and each day's (the K-factor over time). */
  async shareFunnel(event, ctx) {
    const { from, to } = statsRange(event);
    const docs = await rollupsBetween(ctx, from, to);
    return { from, to, funnel: shareFunnel(docs), daily: shareSeries(dayRange(from, to), docs) };
  },

  /** The root shares with most share returns in the range (raw events: within retention), for the share tree to draw. */
  async topShares(event, ctx) {
    const input = limitInput(event);
    const rows = await runPipeline<{ _id: unknown; opens: number; openers: number }>(ctx.db, topSharesInRangePipeline(input.from, input.to, input.limit ?? DEFAULT_LIMIT), ctx.counter);
    return { from: input.from, to: input.to, rawEventsFrom: rawEventsFrom(ctx), shares: rows.map((row) => ({ rootShareId: String(row._id), opens: row.opens, openers: row.openers })) };
  },

  async shareTree(event, ctx) {
    const { rootShareId } = shareTreeInput(event);
    ctx.counter.count += 1;
    // the share events that recorded a share are the ledger; `share.rootShareId` is indexed
    // the records nearest the root first: past the 1,000 a read holds, a tree is cut at its far end, not anywhere
    const recorded = await ctx.db
      .collection('events')
      .where({ type: 'share', 'share.rootShareId': rootShareId })
      .orderBy('share.depth', 'asc')
      .orderBy('at', 'asc')
      .field({ share: true, day: true })
      .limit(SHARE_TREE_RECORDS)
      .get();
    // its sharer may record one id from two devices at once: one node per id, the earliest
    const byId = new Map<string, ShareRecord & { _id: string; day: string }>();
    for (const { share, day } of documentsOf<Pick<ShareEvent, 'share' | 'day'>>(recorded, 'events')) {
      const known = share && byId.get(share.shareId);
      if (share && (!known || day < known.day)) byId.set(share.shareId, { ...share, _id: share.shareId, day });
    }
    const shares = [...byId.values()];
    const truncated = documentsOf(recorded, 'events').length >= SHARE_TREE_RECORDS;
    const opens = await runPipeline<{ _id: unknown; opens: number; openers: number }>(ctx.db, shareTreeOpensPipeline(rootShareId, shares.map((share) => share._id)), ctx.counter);
    return { rootShareId, shares: shares.length, truncated, rawEventsFrom: rawEventsFrom(ctx), tree: shareTree(rootShareId, shares, opens) };
  },

  async topGroups(event, ctx) {
    const input = limitInput(event);
    const rows = await runPipeline<{ _id: unknown; opens: number; openers: number }>(ctx.db, topGroupsInRangePipeline(input.from, input.to, input.limit ?? DEFAULT_LIMIT), ctx.counter);
    return { from: input.from, to: input.to, rawEventsFrom: rawEventsFrom(ctx), groups: rows.map((row) => ({ groupId: String(row._id), opens: row.opens, openers: row.openers })) };
  },

  /** One group: its record (first seen, first opener, chat type, first share) and its activity. */
  async group(event, ctx) {
    const { groupId } = groupInput(event);
    ctx.counter.count += 1;
    // the group's earliest first entry: retention keeps them
    const firsts = await ctx.db.collection('events').where({ groupId, groupFirst: true }).orderBy('at', 'asc').limit(1).field({ groupId: true, openid: true, at: true, day: true, chatType: true, share: true }).get();
    const [first] = documentsOf<Parameters<typeof groupRecord>[0]>(firsts, 'events');
    if (!first) throw new RukouError('NOT_FOUND', `No entry has come from group ${quoted(groupId)}.`, 'groupId');
    const rows = await runPipeline<Parameters<typeof groupActivity>[0][number]>(ctx.db, groupActivityPipeline(groupId), ctx.counter);
    return { group: groupRecord(first), activity: groupActivity(rows), rawEventsFrom: rawEventsFrom(ctx) };
  },

  /** Today so far (Beijing time), from today's raw events with the rollup's own code; not stored. */
  async today(event, ctx) {
    actionOnly(event);
    const now = ctx.now();
    const day = chinaDay(now);
    const steps = new DaySteps(ctx.db, day, ctx.counter, new CallBudget(), undefined, now);
    const { doc } = await computeDay(ctx.db, day, await readRegistry(ctx.db, ctx.counter, ['kind', 'group']), ctx.counter, steps);
    return { asOf: now, rollup: readableRollup(doc) };
  },

  /** Subscription messages by template over a range of send days: sent, fates, opened, open rate, returns within 24 hours, new users. */
  async messages(event, ctx) {
    const { byKey, ...range } = await sendsBetween(ctx, event, 'messages');
    const titles = byKey.length > 0 ? await cachedTitles(ctx.db) : new Map<string, string>();
    return { ...range, templates: byKey.map(([templateId, counts]) => ({ templateId, ...(titles.has(templateId) ? { title: titles.get(templateId) } : {}), ...counts })) };
  },

  /** Service cards by rule over a range of send days: sent, fates, opened, open rate, returns within 24 hours, new users. */
  async cards(event, ctx) {
    const { byKey, ...range } = await sendsBetween(ctx, event, 'cards');
    return { ...range, rules: byKey.map(([rule, counts]) => ({ rule, ...counts })) };
  },

  async backfill(event, ctx) {
    const { from, to } = backfillRange(event, chinaDay(ctx.now()));
    const days = dayRange(from, to);
    const { written, final, done } = await rollupDays(ctx.db, days, ctx.counter, ctx.now, ctx.now().getTime() + ctx.rollupBudgetMs);
    const remaining = days.slice(done);
    return {
      rolledUp: written.map((doc) => doc._id),
      entries: Object.fromEntries(written.map((doc) => [doc._id, rollupContent(doc).totals.entries])),
      // days whose user-days are past retention keep the rollup they have
      final,
      // the days left for the next call when the budget ran out: nothing is skipped silently
      remaining: remaining.length > 0 ? { from: remaining[0], to: remaining[remaining.length - 1] } : null,
    };
  },
} satisfies Record<string, StatsAction>;
