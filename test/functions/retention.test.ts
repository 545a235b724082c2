/**
 * Retention by entry point end to end: a generated trace of 45 days with known truth — cohorts
 * from every entry point (codes, channels, share cards at depth 1 and 2, a group, subscription
 * messages, service cards), returns through other entry points than the first, users back after
 * more than 30 days (and one after exactly 30), entries around Beijing midnight, an offline phone's
 * days delivered after the days after them were rolled up, and a user whose first day an offline
 * phone moves earlier — delivered day by day through the real `track` with the emulator's clock on
 * each day, the timer rolling each day. After every timer, every cohort's retention in every
 * rollup equals what loops count here from the entries delivered so far; at the end, so does every
 * `admin` `retention` answer.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- answers are JSON read back over the wire; the assertions are what check their shape */
import cloud from 'wx-server-sdk';
import { emulatorNow, invokeAs, issueGroupCloudId, moveClock, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';
import { prng } from '../helpers/rollup-trace';

const APP = 'wx0000000000000000';
const OPERATOR = 'o-operator';
const CHINA = 8 * 3600_000;
const HOUR = 3600_000;
const DAY_MS = 86_400_000;
const FIRST = '2024-03-01';
const DAYS = 45;
const RETENTION_DAYS = [1, 2, 3, 7, 14, 30];

/** The China day `i` days after FIRST, and the instant of a Beijing time on it. */
const dayOf = (i: number): string => new Date(Date.parse(`${FIRST}T00:00:00Z`) + i * DAY_MS).toISOString().slice(0, 10);
const instant = (i: number, ms: number): number => Date.parse(`${dayOf(i)}T00:00:00Z`) - CHINA + ms;
const chinaDay = (ms: number): string => new Date(ms + CHINA).toISOString().slice(0, 10);
const indexOf = (day: string): number => Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${FIRST}T00:00:00Z`)) / DAY_MS);

/**
 * The entry points of the trace, each with the keys retention counts it under, as the scene
 * catalog classifies its scene (written out here, not read from the code under test).
 */
const KINDS = {
  pull: { scene: 1089, keys: { bucket: 'in-wechat', category: 'Quick entry', scene: '1089', page: 'pages/index/index' } },
  poster: { scene: 1047, channel: 'poster.spring', keys: { bucket: 'offline-qr', category: 'QR code', scene: '1047', channel: 'poster.spring', page: 'pages/index/index' } },
  door: { scene: 1047, channel: 'door', keys: { bucket: 'offline-qr', category: 'QR code', scene: '1047', channel: 'door', page: 'pages/index/index' } },
  app: { scene: 1069, keys: { bucket: 'external', category: 'Other', scene: '1069', page: 'pages/item/item' } },
  search: { scene: 1053, keys: { bucket: 'in-wechat', category: 'Search', scene: '1053', page: 'pages/index/index' } },
  share1: { scene: 1007, keys: { bucket: 'in-wechat', category: 'Share', scene: '1007', page: 'pages/item/item', share: '1' } },
  share2g: { scene: 1008, keys: { bucket: 'in-wechat', category: 'Share', scene: '1008', page: 'pages/item/item', share: '2', group: 'group' } },
  message: { scene: 1107, keys: { bucket: 'in-wechat', category: 'Templated messages', scene: '1107', page: 'pages/index/index', message: 'T-comeback' } },
  card: { scene: 1073, keys: { bucket: 'in-wechat', category: 'Other', scene: '1073', page: 'pages/index/index', card: 'keyword:优惠' } },
  /** A message id nobody sent: an entry like any other, of no message. */
  forged: { scene: 1107, keys: { bucket: 'in-wechat', category: 'Templated messages', scene: '1107', page: 'pages/index/index' } },
} as const;
type Kind = keyof typeof KINDS;
type Keys = Record<string, string>;
const GENERATED_KINDS: Kind[] = ['pull', 'poster', 'door', 'app', 'search', 'share1', 'share2g', 'message', 'card', 'forged'];

/** One entry of the trace: who, when (event time), through what; delivered at `deliverAt` (an instant) with the batch of `batch`. */
interface Visit {
  openid: string;
  at: number;
  kind: Kind;
  deliverAt: number;
  batch: string;
}

/** The steps of a day: after midnight (what phones sent then), the timer, and the evening (the day's visits, offline phones). */
const AFTER_MIDNIGHT = 3_000;
const TIMER = 17 * 60_000;
const EVENING = 20 * HOUR;

/** The trace: scripted journeys for what must be there, and generated users for the mass. */
function planTrace(): Visit[] {
  const visits: Visit[] = [];
  let batches = 0;
  const visit = (openid: string, day: number, ms: number, kind: Kind, deliverAt = instant(day, EVENING), batch = `b${++batches}`): void => {
    visits.push({ openid, at: instant(day, ms), kind, deliverAt, batch });
  };
  // the sharers are scripted apart (their cards must exist first): see `shareCards`
  // back after 38 days through a message, after exactly 30 (not reactivated) through a card, after 32 through a group card
  for (const day of [0, 1, 2]) visit('o-gone-38', day, 9 * HOUR, 'pull');
  visit('o-gone-38', 40, 8 * HOUR, 'message');
  visit('o-gone-30', 3, 10 * HOUR, 'poster');
  visit('o-gone-30', 33, 11 * HOUR, 'card');
  visit('o-gone-32', 2, 10 * HOUR, 'door');
  visit('o-gone-32', 34, 12 * HOUR, 'share2g');
  visit('o-gone-32', 34, 13 * HOUR, 'pull');
  // around midnight: a new user's first entry a second before it and the next after it, sent together after midnight
  const midnight = (day: number): number => instant(day, AFTER_MIDNIGHT);
  visit('o-night-new', 5, DAY_MS - 2_000, 'app', midnight(6), 'night-1');
  visit('o-night-new', 6, 1_000, 'pull', midnight(6), 'night-1');
  // a known user's entry after midnight arrives before the one just before it: the later day is there first
  visit('o-night-old', 2, 12 * HOUR, 'pull');
  visit('o-night-old', 10, 1_000, 'search', instant(10, 2_000), 'night-2');
  visit('o-night-old', 9, DAY_MS - 2_000, 'door', midnight(10), 'night-3');
  // an offline phone: days 13 and 14 arrive on day 16, after day 15 (the first day back) was rolled up
  visit('o-offline', 12, 9 * HOUR, 'pull');
  visit('o-offline', 15, 14 * HOUR, 'poster');
  visit('o-offline', 13, 10 * HOUR, 'app', instant(16, EVENING), 'offline-1');
  visit('o-offline', 14, 11 * HOUR, 'search', instant(16, EVENING), 'offline-1');
  // a first day moved earlier: first seen on day 20, back on day 22; on day 23 an offline phone delivers days 18 and 19
  visit('o-moved', 20, 15 * HOUR, 'door');
  visit('o-moved', 22, 9 * HOUR, 'pull');
  visit('o-moved', 18, 10 * HOUR, 'share1', instant(23, EVENING), 'offline-2');
  visit('o-moved', 19, 9 * HOUR, 'search', instant(23, EVENING), 'offline-2');
  visit('o-moved', 24, 9 * HOUR, 'card');
  // generated users: a first day and entry point each, then days back through any entry point
  const random = prng(12);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  for (let u = 0; u < 24; u++) {
    const openid = `o-gen-${String(u).padStart(2, '0')}`;
    const first = Math.floor(random() * 38) + 1;
    const stay = random() < 0.25 ? 0.05 : 0.3;
    for (let day = first; day < DAYS; day++) {
      if (day > first && random() >= stay) continue;
      visit(openid, day, (7 + Math.floor(random() * 11)) * HOUR + Math.floor(random() * 3600) * 1000, day === first ? pick(GENERATED_KINDS) : pick(GENERATED_KINDS));
      if (random() < 0.15) visit(openid, day, 19 * HOUR + Math.floor(random() * 30) * 60_000, pick(GENERATED_KINDS));
    }
  }
  return visits;
}

let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;
const seqs = new Map<string, number>();
/** The cards of the two sharers: a root card (depth 1) and the card its first opener shared on (depth 2). */
const cards = { root: '', child: '' };
/** Every entry delivered so far, with its keys. */
const delivered: { openid: string; at: number; keys: Keys }[] = [];

const clock = async (at: number): Promise<void> => {
  expect((await moveClock(emulator.url, { set: new Date(at).toISOString() })).status).toBe(200);
};

/** Sends a batch as the tracker does: the phone's times with `sentAt`, the server's clock being the phone's. */
async function track(openid: string, events: Record<string, unknown>[]): Promise<any> {
  const answer = (await invokeAs(emulator.url, 'track', { v: 1, sentAt: await emulatorNow(emulator.url), events }, { openid, appid: APP })).result as any;
  expect(answer.rejected).toEqual([]);
  expect(answer.accepted).toHaveLength(events.length);
  return answer;
}

function nextSeq(openid: string): number {
  const seq = (seqs.get(openid) ?? 0) + 1;
  seqs.set(openid, seq);
  return seq;
}

/** An entry event (and the page view after it), with what its kind needs: a channel, a card, a group's cloudID, a message or card sent before. */
async function entryEvents(visit: Visit): Promise<Record<string, unknown>[]> {
  const kind = KINDS[visit.kind];
  const { openid, at } = visit;
  const path = kind.keys.page;
  const query: Record<string, string> = {};
  if ('channel' in kind) query.rk_ch = kind.channel;
  if (visit.kind === 'share1') query.rk_sh = cards.root;
  if (visit.kind === 'share2g') query.rk_sh = cards.child;
  const extra: Record<string, unknown> = {};
  if (visit.kind === 'share2g') extra.group = (await issueGroupCloudId(emulator.url, { openid, appid: APP, kind: 'groupEnterInfo', groupId: 'G-family' })).cloudID;
  const sent = { openid, fate: 'sent', createdAt: new Date(at - 2 * HOUR), sentAt: new Date(at - 2 * HOUR), day: chinaDay(at - 2 * HOUR) };
  if (visit.kind === 'message') {
    query.rk_msg = `msg-${openid}-${at}`;
    await db.collection('messages').add({ data: { _id: query.rk_msg, templateId: 'T-comeback', idempotencyKey: query.rk_msg, data: {}, attempts: 1, ...sent } });
  }
  if (visit.kind === 'card') {
    query.rk_card = `card-${openid}-${at}`;
    await db.collection('cards').add({ data: { _id: query.rk_card, rule: 'keyword:优惠', title: '本周优惠', page: path, ...sent } });
  }
  if (visit.kind === 'forged') query.rk_msg = 'msg-nobody-sent';
  const id = `${openid}-${nextSeq(openid)}`;
  return [
    { id, seq: seqs.get(openid), at, type: 'enter', cold: true, options: { scene: kind.scene, path, query }, ...extra },
    { id: `${id}-p`, seq: nextSeq(openid), at: at + 5_000, type: 'page', path },
  ];
}

async function deliver(batch: Visit[]): Promise<void> {
  const events = (await Promise.all(batch.map(entryEvents))).flat();
  await track(batch[0].openid, events);
  for (const visit of batch) delivered.push({ openid: visit.openid, at: visit.at, keys: { ...KINDS[visit.kind].keys } });
}

/**
 * The sharers' day 0: one enters from the pull-down bar and shares a card (depth 1); the other
 * enters through it and shares on (depth 2). Both are users of the trace like any other.
 */
async function shareCards(): Promise<void> {
  await clock(instant(0, 10 * HOUR));
  const sharer = (await track('o-sharer', await entryEvents({ openid: 'o-sharer', at: instant(0, 9 * HOUR), kind: 'pull', deliverAt: 0, batch: '' }))).sharePrefix as string;
  delivered.push({ openid: 'o-sharer', at: instant(0, 9 * HOUR), keys: { ...KINDS.pull.keys } });
  cards.root = `${sharer}root`;
  await track('o-sharer', [{ id: 'o-sharer-share', seq: nextSeq('o-sharer'), at: instant(0, 9 * HOUR + 60_000), type: 'share', shareId: cards.root, path: 'pages/item/item', to: 'chat' }]);
  const opener = (await track('o-opener', await entryEvents({ openid: 'o-opener', at: instant(0, 9 * HOUR + 120_000), kind: 'share1', deliverAt: 0, batch: '' }))).sharePrefix as string;
  delivered.push({ openid: 'o-opener', at: instant(0, 9 * HOUR + 120_000), keys: { ...KINDS.share1.keys } });
  cards.child = `${opener}child`;
  await track('o-opener', [{ id: 'o-opener-share', seq: nextSeq('o-opener'), at: instant(0, 9 * HOUR + 180_000), type: 'share', shareId: cards.child, path: 'pages/item/item', to: 'chat' }]);
}

// ---- the truth, counted with loops over what was delivered ----

interface Counts {
  users: number;
  by: Record<string, Record<string, number>>;
}

/** Each user's entries so far, earliest first. */
function journeys(): Map<string, { day: string; at: number; keys: Keys }[]> {
  const byUser = new Map<string, { day: string; at: number; keys: Keys }[]>();
  for (const entry of delivered) byUser.set(entry.openid, [...(byUser.get(entry.openid) ?? []), { day: chinaDay(entry.at), at: entry.at, keys: entry.keys }]);
  for (const list of byUser.values()) list.sort((a, b) => a.at - b.at);
  return byUser;
}

function countsOf(keysOf: Keys[]): Counts {
  const by: Record<string, Record<string, number>> = {};
  for (const keys of keysOf) for (const [dimension, key] of Object.entries(keys)) by[dimension] = { ...by[dimension], [key]: (by[dimension]?.[key] ?? 0) + 1 };
  return { users: keysOf.length, by };
}

/** A cohort's truth: its users by first touch, day-N users, first days back by age, and the day's reactivated users. */
function truthOf(day: string) {
  const users = [...journeys().values()];
  const activeDays = (list: { day: string }[]): string[] => [...new Set(list.map((entry) => entry.day))].sort();
  const cohort = users.filter((list) => list[0].day === day);
  const plus = (n: number): string => dayOf(indexOf(day) + n);
  const days: Record<string, Counts> = {};
  for (const n of RETENTION_DAYS) days[n] = countsOf(cohort.filter((list) => activeDays(list).includes(plus(n))).map((list) => list[0].keys));
  const returns: Record<string, Counts> = {};
  for (let k = 1; k <= 30; k++) returns[k] = countsOf(cohort.filter((list) => activeDays(list)[1] === plus(k)).map((list) => list[0].keys));
  const reactivated = users.flatMap((list) => {
    const active = activeDays(list);
    const i = active.indexOf(day);
    if (i <= 0 || active[i - 1] >= plus(-30)) return [];
    return [list.filter((entry) => entry.day === day)[0].keys];
  });
  return { cohort: countsOf(cohort.map((list) => list[0].keys)), days, returns, reactivated: countsOf(reactivated) };
}

const unescapeKey = (key: string): string => key.replace(/%2E/g, '.').replace(/%24/g, '$').replace(/%25/g, '%');
const readable = (counts: any): Counts => ({
  users: counts.users,
  by: Object.fromEntries(Object.entries(counts.by as Record<string, Record<string, number>>).map(([dimension, keys]) => [dimension, Object.fromEntries(Object.entries(keys).map(([k, n]) => [unescapeKey(k), n]))])),
});

/** Every rolled-up day's retention equals the truth: its cohort, what the days after it (up to `rolled`) counted for it, its reactivated users. */
async function expectRetentionEqualsTruth(rolled: number): Promise<void> {
  const days = Array.from({ length: rolled + 1 }, (_, i) => dayOf(i));
  const docs = ((await db.collection('rollups_daily').where({ _id: db.command.in(days) }).limit(1000).get()) as { data: any[] }).data;
  expect(docs.map((doc) => doc._id).sort()).toEqual(days);
  for (const doc of docs) {
    const truth = truthOf(doc._id);
    const age = rolled - indexOf(doc._id);
    const where = `cohort ${doc._id}, rolled up to ${dayOf(rolled)}`;
    expect({ where, cohort: readable(doc.retention.cohort), reactivated: readable(doc.retention.reactivated) }).toEqual({ where, cohort: truth.cohort, reactivated: truth.reactivated });
    const known = RETENTION_DAYS.filter((n) => n <= age);
    expect({ where, days: Object.fromEntries(Object.entries(doc.retention.days ?? {}).map(([n, counts]) => [n, readable(counts)])) }).toEqual({ where, days: Object.fromEntries(known.map((n) => [String(n), truth.days[n]])) });
    const back = Array.from({ length: Math.min(age, 30) }, (_, k) => k + 1);
    expect({ where, returns: Object.fromEntries(Object.entries(doc.retention.returns ?? {}).map(([k, counts]) => [k, readable(counts)])) }).toEqual({ where, returns: Object.fromEntries(back.map((k) => [String(k), truth.returns[k]])) });
  }
}

async function fire(i: number): Promise<any> {
  const response = await fetch(`${emulator.url}/triggers/rollup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ time: new Date(instant(i, TIMER)).toISOString() }) });
  const answer = (await response.json()) as { result?: any };
  if (!answer.result) throw new Error(`the timer failed: ${JSON.stringify(answer)}`);
  return answer.result;
}

const admin = async (data: Record<string, unknown>): Promise<any> => (await invokeAs(emulator.url, 'admin', data, { openid: OPERATOR, appid: APP })).result;

const rate = (users: number, cohort: number): number => Math.round((users / cohort) * 10_000) / 10_000;

/**
 * What `admin` `retention` must answer, from the truth of each cohort of [from, to] as of `rolled`
 * (the last day rolled up): a value over the cohorts with users whose days after are all rolled up.
 */
function adminTruth(from: number, to: number, by: string | null, days: number[], limit: number, rolled: number) {
  const cohorts = Array.from({ length: to - from + 1 }, (_, i) => ({ index: from + i, day: dayOf(from + i), truth: truthOf(dayOf(from + i)) }));
  const usersOf = (counts: Counts, key: string | undefined): number => (key === undefined || by === null ? counts.users : (counts.by[by]?.[key] ?? 0));
  const value = (list: typeof cohorts, n: number, back: (truth: ReturnType<typeof truthOf>, key: string | undefined) => number, key: string | undefined) => {
    // a cohort knows a value once its day N is rolled up, and only of users it has (of the key)
    const known = list.filter((cohort) => cohort.index + n <= rolled && usersOf(cohort.truth.cohort, key) > 0);
    if (known.length === 0) return null;
    const users = known.reduce((sum, cohort) => sum + back(cohort.truth, key), 0);
    const cohort = known.reduce((sum, c) => sum + usersOf(c.truth.cohort, key), 0);
    return { users, cohort, rate: rate(users, cohort) };
  };
  const row = (list: typeof cohorts, key?: string) => ({
    users: list.reduce((sum, cohort) => sum + usersOf(cohort.truth.cohort, key), 0),
    days: Object.fromEntries(days.map((n) => [String(n), value(list, n, (truth, k) => usersOf(truth.days[n], k), key)])),
    returned: Object.fromEntries([7, 30].map((n) => [String(n), value(list, n, (truth, k) => Array.from({ length: n }, (_, i) => usersOf(truth.returns[i + 1], k)).reduce((a, b) => a + b, 0), key)])),
  });
  const ranked = (pick: (truth: ReturnType<typeof truthOf>) => Counts): { key: string; users: number }[] => {
    if (by === null) return [];
    const sums = new Map<string, number>();
    for (const { truth } of cohorts) for (const [key, n] of Object.entries(pick(truth).by[by] ?? {})) sums.set(key, (sums.get(key) ?? 0) + n);
    return [...sums.entries()].sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : 1)).slice(0, limit).map(([key, users]) => ({ key, users }));
  };
  const keys = ranked((truth) => truth.cohort).map(({ key }) => key);
  const named = by === 'scene' ? { zh: expect.any(String), en: expect.any(String) } : {};
  return {
    from: dayOf(from),
    to: dayOf(to),
    by,
    days,
    returned: [7, 30],
    total: row(cohorts),
    keys: keys.map((key) => ({ key, ...named, ...row(cohorts, key) })),
    cohorts: cohorts.map((cohort) => ({ day: cohort.day, ...row([cohort]), keys: keys.map((key) => ({ key, ...row([cohort], key) })) })),
    reactivated: { users: cohorts.reduce((sum, c) => sum + c.truth.reactivated.users, 0), keys: ranked((truth) => truth.reactivated), daily: cohorts.map((c) => ({ day: c.day, users: c.truth.reactivated.users })) },
    missingDays: [],
    daysToBackfill: [],
  };
}

const visits = planTrace();
const runs: any[] = [];

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, clock: new Date(instant(0, 8 * HOUR)).toISOString(), env: { RUKOU_OPERATORS: OPERATOR } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
  for (const name of ['messages', 'cards']) await db.createCollection(name).catch(() => undefined);
});

afterAll(async () => {
  await emulator?.stop();
});

test('every cohort\'s retention in every rollup equals the truth, day after day, 45 days through track and the timer', async () => {
  await shareCards();
  for (let i = 0; i <= DAYS; i++) {
    const due = (from: number, to: number): Visit[][] => {
      const batches = new Map<string, Visit[]>();
      for (const visit of visits.filter((v) => v.deliverAt > from && v.deliverAt <= to)) batches.set(visit.batch, [...(batches.get(visit.batch) ?? []), visit]);
      return [...batches.values()].sort((a, b) => a[0].deliverAt - b[0].deliverAt);
    };
    for (const batch of due(instant(i, 0), instant(i, AFTER_MIDNIGHT))) {
      await clock(batch[0].deliverAt);
      await deliver(batch);
    }
    if (i > 0) {
      await clock(instant(i, TIMER));
      runs.push(await fire(i));
      await expectRetentionEqualsTruth(i - 1);
    }
    if (i === DAYS) break;
    await clock(instant(i, EVENING));
    for (const batch of due(instant(i, AFTER_MIDNIGHT), instant(i, EVENING))) await deliver(batch);
  }
  // the offline phone's days were rolled again with the day after them, whose first day back moved; so were the moved user's
  expect(runs[16].rolledUp).toEqual(expect.arrayContaining([dayOf(13), dayOf(14), dayOf(15)]));
  expect(runs[23].rolledUp).toEqual(expect.arrayContaining([dayOf(18), dayOf(19), dayOf(20), dayOf(22)]));
  expect(truthOf(dayOf(12)).returns[1].users).toBeGreaterThan(0);
  expect(truthOf(dayOf(18)).cohort.by.share).toEqual({ '1': 1 });
  expect(truthOf(dayOf(40)).reactivated.by.message).toEqual({ 'T-comeback': 1 });
  expect(truthOf(dayOf(34)).reactivated.by.share).toEqual({ '2': 1 });
  expect(truthOf(dayOf(33)).reactivated.by.card).toBeUndefined();
  // the trace's breadth: cohorts from every entry point, and users back through another one than their first
  const firsts = [...journeys().values()].map((list) => list[0].keys);
  for (const dimension of ['channel', 'share', 'group', 'message', 'card']) expect(firsts.some((keys) => dimension in keys)).toBe(true);
  expect([...journeys().values()].some((list) => list.some((entry) => entry.day !== list[0].day && entry.keys.scene !== list[0].keys.scene))).toBe(true);
}, 120_000);

test('admin retention: every dimension over the whole range and a part of it, each number equal to the truth', async () => {
  const last = DAYS - 1;
  for (const by of [null, 'bucket', 'category', 'scene', 'channel', 'page', 'share', 'group', 'message', 'card']) {
    const answer = await admin({ action: 'retention', from: dayOf(0), to: dayOf(last), ...(by ? { by } : {}), limit: 100 });
    expect(answer).toEqual(adminTruth(0, last, by, RETENTION_DAYS, 100, last));
  }
  expect(await admin({ action: 'retention', from: dayOf(10), to: dayOf(20), by: 'channel', days: [7, 1], limit: 1 })).toEqual(adminTruth(10, 20, 'channel', [1, 7], 1, last));
  // a range past the last rollup: those days are missing, and count nothing
  const after = await admin({ action: 'retention', from: dayOf(last - 1), to: dayOf(last + 2), by: null, days: null, limit: null });
  expect(after).toMatchObject({ missingDays: [dayOf(last + 1), dayOf(last + 2)], daysToBackfill: [], total: adminTruth(last - 1, last, null, RETENTION_DAYS, 20, last).total });
});

test('admin retention refuses what is off its contract, naming the field', async () => {
  const range = { action: 'retention', from: dayOf(0), to: dayOf(9) };
  const refusal = async (data: Record<string, unknown>): Promise<any> => (await admin(data)).error;
  expect(await refusal({ ...range, by: 'pages' })).toMatchObject({ code: 'INVALID_INPUT', field: 'by' });
  expect(await refusal({ ...range, days: [4] })).toMatchObject({ code: 'INVALID_INPUT', field: 'days.0' });
  expect(await refusal({ ...range, days: [1, 1] })).toMatchObject({ code: 'INVALID_INPUT', field: 'days' });
  expect(await refusal({ ...range, days: [] })).toMatchObject({ code: 'INVALID_INPUT', field: 'days' });
  expect(await refusal({ ...range, limit: 0 })).toMatchObject({ code: 'INVALID_INPUT', field: 'limit' });
  expect(await refusal({ ...range, goal: 'order_paid' })).toMatchObject({ code: 'INVALID_INPUT' });
  expect(await refusal({ ...range, to: '2024-02-30' })).toMatchObject({ code: 'INVALID_INPUT', field: 'to' });
  expect(await refusal({ ...range, from: dayOf(9), to: dayOf(0) })).toMatchObject({ code: 'INVALID_INPUT' });
  expect(await refusal({ ...range, to: '2025-03-02' })).toMatchObject({ code: 'LIMIT_EXCEEDED' });
  expect((await invokeAs(emulator.url, 'admin', range, { openid: 'o-gen-00', appid: APP })).result).toMatchObject({ error: { code: 'NOT_OPERATOR' } });
});

test('a cohort rolled up after the days after it gets what they counted for it (a backfill of older history after the timer rolled the later days; a break-it pass)', async () => {
  const cohort = 12;
  expect(truthOf(dayOf(cohort)).returns[1].users).toBeGreaterThan(0);
  // the cohort's day as if never rolled up, and the days after it rolled up without it
  await db.collection('rollups_daily').doc(dayOf(cohort)).remove();
  expect(await admin({ action: 'backfill', from: dayOf(cohort + 1), to: dayOf(DAYS - 1) })).toMatchObject({ remaining: null });
  expect(await admin({ action: 'backfill', from: dayOf(cohort), to: dayOf(cohort) })).toMatchObject({ rolledUp: [dayOf(cohort)], remaining: null });
  await expectRetentionEqualsTruth(DAYS - 1);
  expect(await admin({ action: 'retention', from: dayOf(0), to: dayOf(DAYS - 1), limit: 100 })).toEqual(adminTruth(0, DAYS - 1, null, RETENTION_DAYS, 100, DAYS - 1));
});
