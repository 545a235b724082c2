/**
 * The `admin` fuzz targets, which admin-*.test.ts run (two halves, which jest can run side by
 * side). `admin` is fuzzed through every way it is reached: the client gateway as an operator
 * (listed in RUKOU_OPERATORS or in the `admins` collection), as a user who is not one and as a
 * caller without an OPENID, and HTTP access events with every shape of headers, token and body.
 * Each action is a target of its own, with its valid payloads and each of their fields broken; one
 * more target sends payloads that name no action, or are no object at all.
 *
 * The oracle restates the README's contract: a caller who is not an operator gets NOT_OPERATOR
 * (HTTP access: 403), whatever they ask; an operator's input that is not an object, names no known
 * action, has a field of the wrong shape or an unknown field is INVALID_INPUT naming the field (when
 * one field is at fault), a day that is not a real one names it, a range that ends before it starts
 * names none, one past 366 days (92 for a backfill) is LIMIT_EXCEEDED, and a backfill that reaches
 * a day not over (today or later) is INVALID_INPUT naming `to`. Anything else gets the
 * correct result, checked against the rollups read from the database before the call: the range
 * echoed, the previous period of the same length, one trend row per day with `missing` where no
 * rollup is, sums of the days' totals, ranked keys in order, a share tree or group that exists or
 * not, today's rollup, and a backfill that stores each day it says it rolled. HTTP access answers
 * the same body with the status of its code. Only a backfill writes.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { isRecord } from '../../shared/input';
import { escapeKey } from '../../shared/keys';
import { MAX_CHANNEL_ROWS } from '../../shared/stats-input';
import { MIDDAY, startEmulator, type RunningEmulator } from '../helpers/emulator';
import { chinaDayOf, day, dayNumber, dayOf, daysFrom, isRealDay, notADay } from './days';
import { findDocuments, fuzz, HTTP_STATUS, once, post, refusalOf, type Verdict as Outcome } from './harness';
import { seedHistory, type History } from './history';
import { anyValue, eventOfBody, jsonText, notOfType, objectOf, oddKey, oddText } from './values';

const OPERATOR = 'o-fuzz-operator';
const LISTED = 'o-fuzz-listed';
const TOKEN = 'fuzz-dashboard-token';
const NOW = Date.parse(MIDDAY);
const TODAY = chinaDayOf(NOW);

let emulator: RunningEmulator;
let history: History;

/** The history's share roots and groups: known once it is seeded, which is before any input is generated. */
const knownRoot = fc.nat().map((pick) => history.roots[pick % history.roots.length]);
const knownGroup = fc.nat().map((pick) => history.groups[pick % history.groups.length]);

/** A range of real days: mostly a week or less around today, sometimes as long as allowed. */
const range = (maxDays: number): fc.Arbitrary<{ from: string; to: string }> =>
  fc
    .tuple(day(TODAY), fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 6 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: maxDays - 1 }) }))
    .map(([from, extra]) => ({ from, to: dayOf(dayNumber(from) + extra) }))
    .filter(({ to }) => isRealDay(to));
/** A backfill computes a day in about 15 requests: mostly one or two days, rarely many, all of them over. */
const backfillRange = fc.oneof({ weight: 24, arbitrary: range(1) }, { weight: 6, arbitrary: range(2) }, { weight: 1, arbitrary: range(92) }).filter(({ to }) => to < TODAY);
const limit = fc.option(fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(null)), { nil: undefined });
/** `channels` answers up to MAX_CHANNEL_ROWS rows a list. */
const channelsLimit = fc.option(fc.oneof(fc.integer({ min: 1, max: MAX_CHANNEL_ROWS }), fc.constant(null)), { nil: undefined });
const series = fc.option(fc.oneof(fc.integer({ min: 1, max: 20 }), fc.constant(null)), { nil: undefined });
const dimension = fc.option(fc.constantFrom('scene', 'category', 'bucket', 'page', null), { nil: undefined });
const GOAL_MODELS = ['first', 'last', 'lastNonDirect'];
const GOAL_DIMENSIONS = ['bucket', 'category', 'scene', 'channel', 'page', 'share', 'group', 'message', 'card'];
const goalName = fc.oneof(fc.constantFrom('order_paid', 'signup', 'constructor', '__proto__'), fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/));

/** Each action's valid payloads. */
const VALID = {
  overview: range(366).map((r) => ({ action: 'overview', ...r })),
  shareFunnel: range(366).map((r) => ({ action: 'shareFunnel', ...r })),
  topEntries: fc.tuple(range(366), limit, dimension).map(([r, l, d]) => ({ action: 'topEntries', ...r, limit: l, dimension: d })),
  channels: fc.tuple(range(366), channelsLimit, series).map(([r, l, s]) => ({ action: 'channels', ...r, limit: l, series: s })),
  topGroups: fc.tuple(range(366), limit).map(([r, l]) => ({ action: 'topGroups', ...r, limit: l })),
  goals: fc.tuple(range(366), goalName, fc.constantFrom(...GOAL_MODELS), fc.constantFrom(...GOAL_DIMENSIONS), limit).map(([r, goal, model, by, l]) => ({ action: 'goals', ...r, goal, model, by, limit: l })),
  topShares: fc.tuple(range(366), limit).map(([r, l]) => ({ action: 'topShares', ...r, limit: l })),
  shareTree: fc.oneof(knownRoot, fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/)).map((rootShareId) => ({ action: 'shareTree', rootShareId })),
  group: fc.oneof(knownGroup, fc.stringMatching(/^[A-Za-z0-9_-]{1,128}$/)).map((groupId) => ({ action: 'group', groupId })),
  today: fc.constant({ action: 'today' }),
  backfill: backfillRange.map((r) => ({ action: 'backfill', ...r })),
} satisfies Record<string, fc.Arbitrary<Record<string, unknown>>>;

/** What each action takes besides `action`: a check of each field's shape (ajv's part), required ones marked. */
interface Spec {
  fields: Record<string, (value: unknown) => boolean>;
  required: string[];
  /** Ranges: the most days allowed. */
  maxDays?: number;
}
const DAY_SHAPE = (value: unknown): boolean => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value);
const limitShape =
  (most: number) =>
  (value: unknown): boolean =>
    value === null || (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= most);
const LIMIT_SHAPE = limitShape(100);
const RANGE = { fields: { from: DAY_SHAPE, to: DAY_SHAPE }, required: ['from', 'to'] };
const SPECS: Record<string, Spec> = {
  overview: { ...RANGE, maxDays: 366 },
  shareFunnel: { ...RANGE, maxDays: 366 },
  topEntries: { fields: { ...RANGE.fields, limit: LIMIT_SHAPE, dimension: (value) => value === null || ['scene', 'category', 'bucket', 'page'].includes(value as string) }, required: RANGE.required, maxDays: 366 },
  channels: { fields: { ...RANGE.fields, limit: limitShape(MAX_CHANNEL_ROWS), series: (value) => value === null || (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 20) }, required: RANGE.required, maxDays: 366 },
  topGroups: { fields: { ...RANGE.fields, limit: LIMIT_SHAPE }, required: RANGE.required, maxDays: 366 },
  goals: {
    fields: {
      ...RANGE.fields,
      goal: (value) => typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value),
      model: (value) => GOAL_MODELS.includes(value as string),
      by: (value) => GOAL_DIMENSIONS.includes(value as string),
      limit: LIMIT_SHAPE,
    },
    required: [...RANGE.required, 'goal', 'model', 'by'],
    maxDays: 366,
  },
  topShares: { fields: { ...RANGE.fields, limit: LIMIT_SHAPE }, required: RANGE.required, maxDays: 366 },
  shareTree: { fields: { rootShareId: (value) => typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value) }, required: ['rootShareId'] },
  group: { fields: { groupId: (value) => typeof value === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(value) }, required: ['groupId'] },
  today: { fields: {}, required: [] },
  backfill: { ...RANGE, maxDays: 92 },
};

/** A valid payload with one field made wrong: its value, missing, one too many, or a range backwards or too long. */
function broken(valid: fc.Arbitrary<Record<string, unknown>>, maxDays: number | undefined): fc.Arbitrary<Record<string, unknown>> {
  const arbitraries = [
    fc.tuple(valid, fc.nat(), fc.oneof(anyValue, notADay, fc.constantFrom(0, 101, 1.5, -1, '20', 'Scene', '', 'a.b', 'x'.repeat(129)))).map(([payload, pick, value]) => {
      const fields = Object.keys(payload).filter((key) => key !== 'action');
      return fields.length === 0 ? { ...payload, from: value } : { ...payload, [fields[pick % fields.length]]: value };
    }),
    fc.tuple(valid, fc.nat()).map(([payload, pick]) => {
      const fields = Object.keys(payload).filter((key) => key !== 'action');
      // an action that takes no field loses its action
      const dropped = fields.length === 0 ? 'action' : fields[pick % fields.length];
      return objectOf(Object.entries(payload).filter(([key]) => key !== dropped));
    }),
    fc.tuple(valid, fc.oneof(oddKey, fc.constantFrom('userInfo', 'openid', 'range', 'limit', 'dimension')), anyValue).map(([payload, key, value]) => objectOf([...Object.entries(payload), [key, value]])),
  ];
  // a range that ends the day before it starts, or one day or more past the longest allowed
  if (maxDays !== undefined) {
    arbitraries.push(
      fc
        .tuple(valid, fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 400 })))
        .map(([payload, past]) => ({ ...payload, to: dayOf(past < 0 ? dayNumber(String(payload.from)) - 1 : dayNumber(String(payload.from)) + maxDays - 1 + past) }))
        .filter((payload) => isRealDay(payload.to)),
    );
  }
  return fc.oneof(...arbitraries);
}

/** Any payload at all: no object, an action that is none, another action's payload broken. */
const anyPayload: fc.Arbitrary<unknown> = fc.oneof(
  notOfType('object'),
  fc.tuple(fc.oneof(...Object.values(VALID)), fc.oneof(notOfType('string'), oddText(12), fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'Overview', '', 'overview ', 'backfill\u0000'))).map(([payload, action]) => ({ ...payload, action })),
  fc.oneof(...Object.values(VALID)).map((payload) => objectOf(Object.entries(payload).filter(([key]) => key !== 'action'))),
  fc.array(fc.tuple(oddKey, anyValue), { maxLength: 4 }).map(objectOf),
);

/** Authorization headers of every shape: the token right, wrong, mis-cased, in an array, under another name. */
const authorization = fc.oneof(
  fc.constantFrom(`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER  ${TOKEN}`, `Bearer ${TOKEN} `, `Bearer ${TOKEN}x`, 'Bearer wrong-token', `Basic ${TOKEN}`, 'Bearer', `Bearer ${TOKEN} ${TOKEN}`, ''),
  fc.constant([`Bearer ${TOKEN}`]),
  anyValue,
);
const headers = fc
  .tuple(fc.option(fc.tuple(fc.constantFrom('authorization', 'Authorization', 'AUTHORIZATION', 'x-authorization', 'authorisation'), authorization), { nil: undefined }), fc.array(fc.tuple(oddKey, anyValue), { maxLength: 3 }))
  .map(([auth, others]) => objectOf([...(auth ? [auth] : []), ...others]));

/** An HTTP access event carrying a payload: any method, headers, token and body encoding. */
const httpEvent = (payload: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> => {
  // the body carries the payload as JSON text, base64, the query string of an empty body, or is something else entirely
  const body = fc.oneof(
    { weight: 6, arbitrary: payload.map((p) => ({ body: jsonText(p) })) },
    { weight: 2, arbitrary: fc.tuple(payload, fc.constantFrom(true, 'true')).map(([p, flag]) => ({ body: Buffer.from(jsonText(p)).toString('base64'), isBase64Encoded: flag })) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('', '  ', undefined, null), fc.oneof(payload, anyValue)).map(([text, query]) => ({ body: text, queryStringParameters: query })) },
    { weight: 2, arbitrary: fc.oneof(oddText(40), fc.constantFrom('null', '[{"action":"today"}]', '"today"', '5', '{"action":"today"', '{"action":"today","limit":NaN}', '{"action":"today"}\u0000'), notOfType('string')).map((text) => ({ body: text })) },
    { weight: 1, arbitrary: fc.tuple(oddText(40), fc.oneof(anyValue, fc.constant(false))).map(([text, flag]) => ({ body: text, isBase64Encoded: flag })) },
  );
  return fc
    .tuple(fc.oneof({ weight: 9, arbitrary: fc.constantFrom('POST', 'GET') }, { weight: 1, arbitrary: notOfType('string') }), fc.oneof({ weight: 9, arbitrary: headers }, { weight: 1, arbitrary: notOfType('object') }), body, fc.option(anyValue, { nil: undefined }))
    .map(([httpMethod, hdrs, carried, requestContext]) => ({ path: '/admin', httpMethod, headers: hdrs, ...carried, requestContext }));
};

type Via = 'operator' | 'listed' | 'stranger' | 'anonymous' | 'http';
interface AdminCase {
  via: Via;
  data: unknown;
}

/** A payload sent by each kind of caller: operators most, others and HTTP access too. */
const adminCase = (payload: fc.Arbitrary<unknown>): fc.Arbitrary<AdminCase> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ via: fc.oneof({ weight: 5, arbitrary: fc.constant<Via>('operator') }, { weight: 1, arbitrary: fc.constant<Via>('listed') }), data: payload }) },
    { weight: 1, arbitrary: fc.record({ via: fc.constantFrom<Via>('stranger', 'anonymous'), data: payload }) },
    { weight: 3, arbitrary: fc.record({ via: fc.constant<Via>('http'), data: httpEvent(payload) }) },
  );

type Verdict = { code: string; field?: string } | { valid: Record<string, unknown> };

/** What the contract says of a payload an operator sends (README, "admin: operators and stats"). */
function verdict(payload: unknown): Verdict {
  if (!isRecord(payload)) return { code: 'INVALID_INPUT' };
  const action = payload.action;
  if (typeof action !== 'string' || !Object.hasOwn(SPECS, action)) return { code: 'INVALID_INPUT', field: 'action' };
  const spec = SPECS[action];
  const wrong = new Set<string>();
  for (const [key, value] of Object.entries(payload)) {
    if (key === 'action') continue;
    if (!Object.hasOwn(spec.fields, key) || !spec.fields[key](value)) wrong.add(key);
  }
  for (const key of spec.required) if (!Object.hasOwn(payload, key)) wrong.add(key);
  if (wrong.size > 0) return wrong.size === 1 ? { code: 'INVALID_INPUT', field: [...wrong][0] } : { code: 'INVALID_INPUT' };
  if (spec.maxDays !== undefined) {
    for (const field of ['from', 'to']) if (!isRealDay(payload[field])) return { code: 'INVALID_INPUT', field };
    const days = dayNumber(String(payload.to)) - dayNumber(String(payload.from)) + 1;
    if (days < 1) return { code: 'INVALID_INPUT' };
    if (days > spec.maxDays) return { code: 'LIMIT_EXCEEDED' };
  }
  if (action === 'backfill' && String(payload.to) >= TODAY) return { code: 'INVALID_INPUT', field: 'to' };
  return { valid: payload };
}

/** The bearer token of HTTP access headers: the first header named authorization in any case, `Bearer <token>`. */
function tokenOf(headers: Record<string, unknown>): string | undefined {
  const value = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  return typeof value === 'string' ? /^Bearer\s+(\S+)$/i.exec(value)?.[1] : undefined;
}

/** What an HTTP access event asks, or the refusal it gets before the payload is read. */
function httpVerdict(event: Record<string, unknown>): Verdict & { http: boolean } {
  const { httpMethod, headers } = event;
  if (typeof httpMethod !== 'string' || !isRecord(headers)) return { http: false, code: 'NOT_OPERATOR' };
  if (tokenOf(headers) !== TOKEN) return { http: true, code: 'NOT_OPERATOR' };
  const text = event.body ?? '';
  if (typeof text !== 'string') return { http: true, code: 'INVALID_INPUT', field: 'body' };
  const raw = event.isBase64Encoded === true || event.isBase64Encoded === 'true' ? Buffer.from(text, 'base64').toString('utf8') : text;
  if (raw.trim() === '') return { http: true, ...verdict(isRecord(event.queryStringParameters) ? event.queryStringParameters : {}) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { http: true, code: 'INVALID_INPUT', field: 'body' };
  }
  return isRecord(parsed) ? { http: true, ...verdict(parsed) } : { http: true, code: 'INVALID_INPUT', field: 'body' };
}

interface Rollup {
  _id: string;
  version: string;
  goals?: Record<string, { goals: number; value: number; converters: number; verified: number } & Record<string, Record<string, Record<string, { goals: number }>>>>;
  totals: { entries: number; users: number; newUsers: number; sessions: number; cold: number; hot: number };
  shares: { intents: number; sharers: number; newUsers: number; returnOpens: number; kFactor: number };
  byScene: Record<string, unknown>;
  byChannel: Record<string, unknown>;
}

const rollupsBetween = async (from: string, to: string): Promise<Rollup[]> => (await findDocuments(emulator, 'rollups_daily', { _id: { $gte: from, $lte: to } })) as unknown as Rollup[];

const sum = (docs: Rollup[], of: (doc: Rollup) => number): number => docs.reduce((total, doc) => total + of(doc), 0);

/** Checks a valid payload's answer; `before` are the rollups of the range and its previous period, read before the call. */
async function expectResult(payload: Record<string, unknown>, result: Record<string, unknown>, before: Rollup[]): Promise<void> {
  const { action, from, to } = payload as { action: string; from: string; to: string };
  const days = from === undefined ? [] : daysFrom(from, to);
  const inRange = before.filter((doc) => doc._id >= from && doc._id <= to);
  const limitOf = (payload.limit ?? 20) as number;
  switch (action) {
    case 'overview': {
      const previous = { from: dayOf(dayNumber(from) - days.length), to: dayOf(dayNumber(from) - 1) };
      const earlier = before.filter((doc) => doc._id >= previous.from && doc._id <= previous.to);
      expect(result).toMatchObject({ from, to, previous });
      const totals = result.totals as Record<string, { value: number; previous: number; change: number | null }>;
      expect(totals.entries).toMatchObject({ value: sum(inRange, (doc) => doc.totals.entries), previous: sum(earlier, (doc) => doc.totals.entries) });
      expect(totals.userDays).toMatchObject({ value: sum(inRange, (doc) => doc.totals.users), previous: sum(earlier, (doc) => doc.totals.users) });
      expect(totals.entries.change === null).toBe(totals.entries.previous === 0 || inRange.length === 0);
      const trend = result.trend as { day: string; missing: boolean; entries: number }[];
      const byDay = new Map(inRange.map((doc) => [doc._id, doc]));
      expect(trend.map((row) => [row.day, row.missing, row.entries])).toEqual(days.map((d) => [d, !byDay.has(d), byDay.get(d)?.totals.entries ?? 0]));
      expect(result.missingDays).toEqual(days.filter((d) => !byDay.has(d)));
      return;
    }
    case 'shareFunnel': {
      expect(result).toMatchObject({ from, to, funnel: { intents: sum(inRange, (doc) => doc.shares.intents), returnOpens: sum(inRange, (doc) => doc.shares.returnOpens) } });
      const byDay = new Map(inRange.map((doc) => [doc._id, doc]));
      const daily = result.daily as { day: string; missing: boolean; intents: number; kFactor: number }[];
      // a day's K-factor is its stored one, and none on a day without sharers or without a rollup
      expect(daily.map((row) => [row.day, row.missing, row.intents, row.kFactor])).toEqual(days.map((d) => [d, !byDay.has(d), byDay.get(d)?.shares.intents ?? 0, byDay.get(d)?.shares.sharers ? byDay.get(d)?.shares.kFactor : null]));
      return;
    }
    case 'topEntries':
    case 'channels': {
      const key = action === 'channels' ? 'channels' : 'top';
      const map = action === 'channels' ? 'byChannel' : ({ scene: 'byScene', category: 'byCategory', bucket: 'byBucket', page: 'byPage' } as const)[(payload.dimension ?? 'scene') as 'scene'];
      const distinct = new Set(inRange.flatMap((doc) => Object.keys((doc as unknown as Record<string, Record<string, unknown>>)[map] ?? {})));
      expect(result).toMatchObject({ from, to, ...(action === 'topEntries' ? { dimension: payload.dimension ?? 'scene' } : {}) });
      const ranked = result[key] as { key: string; entries: number }[];
      expect(ranked).toHaveLength(Math.min(limitOf, distinct.size));
      expect(ranked.map((row) => row.entries)).toEqual([...ranked.map((row) => row.entries)].sort((a, b) => b - a));
      expect(sum(inRange, (doc) => doc.totals.entries)).toBeGreaterThanOrEqual(ranked.reduce((total, row) => total + row.entries, 0));
      if (action === 'channels') {
        // no registry in the history: every key is unknown, and nothing is dead
        expect(result).toMatchObject({ keys: distinct.size, unknown: { keys: distinct.size }, dead: { to, total: 0, channels: [] }, missingDays: days.filter((d) => !inRange.some((doc) => doc._id === d)) });
        const followed = result.firstTouchSeries as { days: string[]; channels: unknown[] };
        expect(followed.days).toEqual(days);
        expect(followed.channels.length).toBeLessThanOrEqual((payload.series ?? 5) as number);
      }
      return;
    }
    case 'goals': {
      // the day's goal of that name as stored (escaped), its own property only: a goal named `constructor` is a goal like any other
      const name = escapeKey(String(payload.goal));
      const days_ = inRange.flatMap((doc) => (doc.goals && Object.hasOwn(doc.goals, name) ? [doc.goals[name]] : []));
      const keys = new Set(days_.flatMap((goal) => Object.keys(goal[String(payload.model)]?.[String(payload.by)] ?? {})));
      expect(result).toMatchObject({
        from,
        to,
        goal: payload.goal,
        model: payload.model,
        by: payload.by,
        totals: { goals: days_.reduce((n, goal) => n + goal.goals, 0), value: days_.reduce((n, goal) => n + goal.value, 0), converterDays: days_.reduce((n, goal) => n + goal.converters, 0), verified: days_.reduce((n, goal) => n + goal.verified, 0) },
        missingDays: days.filter((d) => !inRange.some((doc) => doc._id === d)),
        daysToBackfill: inRange.filter((doc) => doc.version !== 'rollup-6').map((doc) => doc._id),
      });
      const ranked = result.keys as { goals: number }[];
      expect(ranked).toHaveLength(Math.min(limitOf, keys.size));
      expect(ranked.map((row) => row.goals)).toEqual([...ranked.map((row) => row.goals)].sort((a, b) => b - a));
      return;
    }
    case 'topGroups': {
      const groups = result.groups as { groupId: string; opens: number; openers: number }[];
      expect(result).toMatchObject({ from, to });
      expect(groups.length).toBeLessThanOrEqual(limitOf);
      const seeded = history.days.filter((d) => d >= from && d <= to).length;
      expect(groups.length).toBe(Math.min(limitOf, seeded));
      for (const group of groups) expect(group.opens).toBeGreaterThanOrEqual(group.openers);
      return;
    }
    case 'topShares': {
      // each history day has one root whose card one user opened that day
      const seeded = history.days.map((d, k) => [d, history.roots[k]]).filter(([d]) => d >= from && d <= to);
      expect(result).toMatchObject({ from, to });
      const shares = result.shares as { rootShareId: string; opens: number; openers: number }[];
      expect(shares).toHaveLength(Math.min(limitOf, seeded.length));
      for (const share of shares) expect(share).toEqual({ rootShareId: expect.any(String), opens: 1, openers: 1 });
      expect(shares.every((share) => seeded.some(([, root]) => root === share.rootShareId))).toBe(true);
      return;
    }
    case 'shareTree': {
      const known = history.roots.includes(String(payload.rootShareId));
      expect(result).toMatchObject({ rootShareId: payload.rootShareId, shares: known ? 1 : 0 });
      expect(result.tree === null).toBe(!known);
      if (known) expect(result.tree).toMatchObject({ shareId: payload.rootShareId, sharer: 'o-hist-ann', depth: 1, opens: 1, openers: 1 });
      return;
    }
    case 'today':
      expect(result).toMatchObject({ asOf: expect.any(String), rollup: { _id: TODAY } });
      return;
    case 'backfill': {
      expect(result).toEqual({ rolledUp: days, entries: Object.fromEntries(days.map((d) => [d, history.days.includes(d) ? 3 : 0])), final: [], remaining: null });
      const stored = await rollupsBetween(from, to);
      expect(stored.map((doc) => doc._id).sort()).toEqual(days);
      return;
    }
    default:
      throw new Error(`no oracle for ${action}`);
  }
}

/** `group` is the one action whose valid input may still be refused: NOT_FOUND for a group nobody entered from. */
const expectGroup = (payload: Record<string, unknown>, answer: unknown): void => {
  if (history.groups.includes(String(payload.groupId))) expect(answer).toMatchObject({ group: { groupId: payload.groupId, firstOpener: 'o-hist-cai' }, activity: { opens: 1, openers: 1 } });
  else expect(refusalOf(answer)).toEqual({ code: 'NOT_FOUND', message: expect.any(String), field: 'groupId' });
};

const USERS: Record<Via, { openid: string; source?: string }> = {
  operator: { openid: OPERATOR },
  listed: { openid: LISTED },
  stranger: { openid: 'o-fuzz-stranger' },
  anonymous: { openid: '' },
  http: { openid: '', source: 'wx_http' },
};

/** What the contract says of an input, whoever sends it, and the body it is sent as. */
const expectedOf = once(({ via, data }: AdminCase): { text: string; expected: Verdict & { http?: boolean } } => {
  const text = jsonText(data === undefined ? {} : { data });
  const event = eventOfBody(JSON.parse(text));
  if (!isRecord(event)) return { text, expected: { code: 'INVALID_INPUT' } };
  if (via === 'http') return { text, expected: httpVerdict(event) };
  if (via === 'stranger' || via === 'anonymous') return { text, expected: { code: 'NOT_OPERATOR' } };
  return { text, expected: verdict(objectOf(Object.entries(event).filter(([key]) => key !== 'userInfo'))) };
});

async function check(input: AdminCase): Promise<Outcome> {
  const { text, expected } = expectedOf(input);
  const valid = 'valid' in expected ? expected.valid : undefined;
  const before = valid && typeof valid.from === 'string' ? await rollupsBetween(dayOf(2 * dayNumber(valid.from) - dayNumber(String(valid.to)) - 1), String(valid.to)) : [];
  const user = USERS[input.via];
  const answer = await post(emulator, '/functions/admin', text, { ...(user.openid ? { 'x-wx-openid': user.openid } : {}), ...(user.source ? { 'x-wx-source': user.source } : {}) });
  expect(answer).toEqual({ status: 200, body: { result: expect.anything() } });
  let result = (answer.body as { result: unknown }).result;
  const notFound = valid?.action === 'group' && !history.groups.includes(String(valid.groupId));
  if (expected.http) {
    const response = result as { statusCode: number; body: string };
    expect(response).toEqual({ statusCode: expect.any(Number), headers: { 'content-type': 'application/json; charset=utf-8' }, body: expect.any(String), isBase64Encoded: false });
    result = JSON.parse(response.body);
    const code = 'code' in expected ? expected.code : notFound ? 'NOT_FOUND' : undefined;
    expect(response.statusCode).toBe(code === undefined ? 200 : HTTP_STATUS[code]);
  }
  if ('code' in expected) {
    const refusal = refusalOf(result);
    expect({ code: refusal.code, field: refusal.field }).toEqual({ code: expected.code, field: expected.field });
    return 'refused';
  }
  if (expected.valid.action === 'group') {
    expectGroup(expected.valid, result);
    return notFound ? 'refused' : 'answered';
  }
  await expectResult(expected.valid, result as Record<string, unknown>, before);
  return 'answered';
}

/** Only a backfill an operator may make writes; everything else is a read or a refusal. */
const mayWrite = (input: AdminCase): boolean => {
  const { expected } = expectedOf(input);
  return 'valid' in expected && expected.valid.action === 'backfill';
};

/** How much of each action's inputs is valid, against 10 broken: the costly ones (today's rollup, a backfill) less. */
const VALID_WEIGHT: Record<string, number> = { today: 2, backfill: 1 };

/**
 * The targets of these actions, each with its valid payloads and their fields broken, and (with
 * `anyPayload`) the target of payloads that name no action, on an emulator of the suite's own with
 * its little history.
 */
export function fuzzAdmin(file: string, actions: (keyof typeof VALID)[], anyPayloadToo: boolean): void {
  beforeAll(async () => {
    const env = { RUKOU_OPERATORS: OPERATOR, RUKOU_ADMIN_TOKEN_SHA256: createHash('sha256').update(TOKEN).digest('hex'), RUKOU_SHARE_SECRET: 'fuzz-share-secret-0123456789' };
    emulator = await startEmulator({ timers: false, clock: MIDDAY, env });
    await post(emulator, '/admin', JSON.stringify({ action: 'database.insertDocument', collectionName: 'admins', data: [JSON.stringify({ _id: LISTED })] }));
    history = await seedHistory(emulator, NOW, OPERATOR);
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  for (const action of actions) {
    const payload = fc.oneof({ weight: VALID_WEIGHT[action] ?? 4, arbitrary: VALID[action] }, { weight: 10, arbitrary: broken(VALID[action], SPECS[action].maxDays) });
    fuzz(file, () => emulator, { name: `admin ${action}`, inputs: adminCase(payload), send: check, mayWrite, functions: ['admin'], atOnce: 4 });
  }
  if (anyPayloadToo) fuzz(file, () => emulator, { name: 'admin (any payload)', inputs: adminCase(anyPayload), send: check, mayWrite, functions: ['admin'], atOnce: 4 });
}
