/**
 * The rollup and admin functions through the emulator with the real wx-server-sdk: a generated
 * trace with known truth is stored exactly as `track` stores it, the rollup runs through the
 * timer trigger route, and every number of every rollup document and stats answer is checked
 * against the truth counted with loops in test/helpers/rollup-trace.ts.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- answers are JSON read back over the wire; the assertions are what check their shape */
import { createHash } from 'node:crypto';
import cloud from 'wx-server-sdk';
import type { StoredEvent, UserDoc } from '../../shared/model';
import { ROLLUP_VERSION } from '../../shared/rollup';
import { emulatorNow, invokeAs, moveClock, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';
import { addDays, chinaDay, dayRange } from '../../shared/time';
import { generateTrace, truthOf, userDaysOf, type TruthCounts } from '../helpers/rollup-trace';

const DAYS = ['2024-03-09', '2024-03-10', '2024-03-11', '2024-03-12'];
const trace = generateTrace({ days: DAYS, seed: 23 });
const OPERATOR = 'op_in_admins';
const TOKEN = 'dashboard-token-for-tests';
const CHINA = 8 * 3600_000;
/** The emulator's clock at the start: noon, a week after the trace's days, twelve hours from either midnight. */
const START = '2024-03-20T12:00:00+08:00';
/** When the trace's late events arrive: an hour later, after the rollups of their day. */
const ARRIVAL = new Date('2024-03-20T13:00:00+08:00');

/** 00:17 Beijing time on the day after `day`: when the timer fires to roll `day` up. */
const timerTimeFor = (day: string): string => new Date(Date.parse(`${day}T00:17:00Z`) - CHINA + 86_400_000).toISOString();
const unescape = (key: string): string => key.replace(/%2E/g, '.').replace(/%24/g, '$').replace(/%25/g, '%');

let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;

/** Every event stored so far, and the users they belong to: what the user-days are counted from. */
const stored: StoredEvent[] = [];
const users: UserDoc[] = [...trace.users];

/**
 * Stores events as `track` leaves them: the events, and the user-days they fall on as counted from
 * every event stored so far, written at the clock's time (`track` adds to a user-day; the sum is
 * what `shared/user-days.ts` counts, which test/shared/track.test.ts holds `track` to).
 */
async function insert(events: StoredEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 200) await db.collection('events').add({ data: events.slice(i, i + 200) });
  stored.push(...events);
  const touched = new Set(events.map((event) => `${event.openid} ${event.day}`));
  const now = new Date(await emulatorNow(emulator.url));
  for (const doc of userDaysOf(stored, users, now).filter((day) => touched.has(`${day.openid} ${day.day}`))) {
    const { _id, ...fields } = doc;
    await db.collection('user_days').doc(_id).set({ data: fields });
  }
}

async function fire(time: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${emulator.url}/triggers/rollup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ time }) });
  const answer = (await response.json()) as { result?: Record<string, unknown>; errMsg?: string };
  if (!answer.result) throw new Error(`the trigger failed: ${JSON.stringify(answer)}`);
  return answer.result;
}

async function rollupOf(day: string): Promise<Record<string, any>> {
  const answer = (await db.collection('rollups_daily').where({ _id: day }).get()) as { data: Record<string, any>[] };
  expect(answer.data).toHaveLength(1);
  return answer.data[0];
}

const countsOnly = (map: Record<string, TruthCounts>): Record<string, TruthCounts> =>
  Object.fromEntries(Object.entries(map).map(([k, c]) => [unescape(k), { entries: c.entries, users: c.users, newUsers: c.newUsers }]));

function expectRollupEqualsTruth(doc: Record<string, any>, day: string, events: StoredEvent[]): void {
  const truth = truthOf(day, events, trace.users);
  expect(doc.totals).toEqual(truth.totals);
  expect(countsOnly(doc.byBucket)).toEqual(truth.byBucket);
  expect(countsOnly(doc.byCategory)).toEqual(truth.byCategory);
  expect(countsOnly(doc.byScene)).toEqual(truth.byScene);
  expect(countsOnly(doc.byChannel)).toEqual(truth.byChannel);
  expect(countsOnly(doc.byPage)).toEqual(truth.byPage);
  expect(doc.shares).toEqual(truth.shares);
  expect(doc.groups).toEqual(truth.groups);
  expect(doc.lateEvents).toBe(truth.lateEvents);
  expect(doc.version).toBe(ROLLUP_VERSION);
  expect(doc.byScene['1007']).toMatchObject({ zh: expect.stringMatching(/[\u4e00-\u9fff]/), en: expect.stringMatching(/[A-Za-z]/) });
  expect(doc.byScene['4242']).toMatchObject({ en: 'Unknown scene 4242' });
}

/** The trace's late events as this suite writes them: arriving at ARRIVAL, long after their day. */
const late = (): StoredEvent[] => trace.lateEvents.map((event) => ({ ...event, serverAt: ARRIVAL }));

const withoutComputedAt = (doc: Record<string, any>): Record<string, any> => ({ ...doc, computedAt: undefined });

beforeAll(async () => {
  emulator = await startEmulator({
    timers: false,
    clock: START,
    env: { RUKOU_ADMIN_TOKEN_SHA256: createHash('sha256').update(TOKEN).digest('hex'), RUKOU_OPERATORS: 'op_from_env' },
  });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
  for (const name of ['events', 'users', 'rollups_daily', 'admins']) await db.createCollection(name).catch(() => undefined);
  await insert(trace.events);
  await db.collection('users').add({ data: trace.users });
  await db.collection('admins').add({ data: { _id: OPERATOR, note: 'test operator' } });
});

afterAll(async () => {
  await emulator?.stop();
});

describe('the daily timer', () => {
  test('rolls up yesterday (Beijing) and the seven days before that have no rollup yet, every number equal to the truth', async () => {
    const answer = await fire(timerTimeFor(DAYS[1]));
    expect(answer.day).toBe(DAYS[1]);
    expect(answer.rolledUp).toEqual(dayRange('2024-03-03', DAYS[1]));
    expectRollupEqualsTruth(await rollupOf(DAYS[0]), DAYS[0], trace.events);
    expectRollupEqualsTruth(await rollupOf(DAYS[1]), DAYS[1], trace.events);
    expect((await rollupOf('2024-03-08')).totals.entries).toBe(0);
  });

  test('a timer at 23:59 UTC rolls the Beijing day, not the UTC one', async () => {
    // 2024-03-10T16:30Z is 00:30 on 03-11 in Beijing: yesterday is 03-10.
    const answer = await fire('2024-03-10T16:30:00.000Z');
    expect(answer.day).toBe(DAYS[1]);
  });

  test('yesterday and the days before it are computed again only when events arrived for them', async () => {
    const before = await rollupOf(DAYS[0]);
    const yesterday = await rollupOf(DAYS[1]);
    const answer = await fire(timerTimeFor(DAYS[1]));
    expect(answer.rolledUp).toEqual([]);
    expect(answer.unchanged).toEqual(dayRange('2024-03-03', DAYS[1]));
    expect(await rollupOf(DAYS[0])).toEqual(before);
    // yesterday too: the timer fires several times a morning, and a run rolls what changed since the last
    expect(await rollupOf(DAYS[1])).toEqual(yesterday);
  });

  test('late events (arriving after their day was rolled up) are counted when the next run re-rolls it', async () => {
    const before = await rollupOf(DAYS[1]);
    // written after the rollup of their day: what the daily run looks for
    expect((await moveClock(emulator.url, { set: ARRIVAL.toISOString() })).status).toBe(200);
    await insert(late());
    expect((await fire(timerTimeFor(DAYS[3]))).rolledUp).toEqual([DAYS[1], DAYS[2], DAYS[3]]);
    const after = await rollupOf(DAYS[1]);
    const all = [...trace.events, ...late()];
    expectRollupEqualsTruth(after, DAYS[1], all);
    expect(after.lateEvents).toBe(3);
    expect(after.totals.entries).toBe(before.totals.entries + 3);
    expectRollupEqualsTruth(await rollupOf(DAYS[2]), DAYS[2], all);
    expectRollupEqualsTruth(await rollupOf(DAYS[3]), DAYS[3], all);
  });

  test('rolling a day again writes an identical document but computedAt', async () => {
    const first = await rollupOf(DAYS[3]);
    await moveClock(emulator.url, { advance: '1m' });
    expect((await fire(timerTimeFor(DAYS[3]))).unchanged).toContain(DAYS[3]);
    expect(await rollupOf(DAYS[3])).toEqual(first);
    expect((await invokeAs(emulator.url, 'rollup', { action: 'backfill', from: DAYS[3], to: DAYS[3] }, { openid: OPERATOR })).result).toMatchObject({ rolledUp: [DAYS[3]] });
    const second = await rollupOf(DAYS[3]);
    expect(new Date(second.computedAt).getTime()).toBeGreaterThan(new Date(first.computedAt).getTime());
    expect(withoutComputedAt(second)).toEqual(withoutComputedAt(first));
  });
});

describe('operators', () => {
  const all = (): StoredEvent[] => [...trace.events, ...late()];
  const admin = async (data: Record<string, unknown>, openid = OPERATOR): Promise<any> => (await invokeAs(emulator.url, 'admin', data, { openid })).result;

  test('backfill through the rollup function recomputes a range identically', async () => {
    const before = await rollupOf(DAYS[0]);
    const answer = (await invokeAs(emulator.url, 'rollup', { action: 'backfill', from: DAYS[0], to: DAYS[3] }, { openid: OPERATOR })).result as any;
    expect(answer.rolledUp).toEqual(DAYS);
    expect(answer.remaining).toBeNull();
    expect(withoutComputedAt(await rollupOf(DAYS[0]))).toEqual(withoutComputedAt(before));
    const tooLong = (await invokeAs(emulator.url, 'rollup', { action: 'backfill', from: '2024-01-01', to: '2024-04-02' }, { openid: OPERATOR })).result as any;
    expect(tooLong.error.code).toBe('LIMIT_EXCEEDED');
  });

  test('overview: totals with change against the previous period, and the daily trend', async () => {
    const answer = await admin({ action: 'overview', from: DAYS[0], to: DAYS[3] });
    const truths = DAYS.map((day) => truthOf(day, all(), trace.users));
    const sum = (pick: (t: ReturnType<typeof truthOf>) => number): number => truths.reduce((n, t) => n + pick(t), 0);
    expect(answer.totals.entries).toEqual({ value: sum((t) => t.totals.entries), previous: 0, change: null });
    expect(answer.totals.userDays.value).toBe(sum((t) => t.totals.users));
    expect(answer.totals.newUsers.value).toBe(sum((t) => t.totals.newUsers));
    expect(answer.totals.sessions.value).toBe(sum((t) => t.totals.sessions));
    expect(answer.totals.cold.value + answer.totals.hot.value).toBe(sum((t) => t.totals.entries));
    expect(answer.trend.map((row: any) => row.entries)).toEqual(truths.map((t) => t.totals.entries));
    truths.forEach((t, i) => {
      expect(answer.trend[i].byCategory).toEqual(Object.fromEntries(Object.entries(t.byCategory).map(([k, c]) => [k, c.entries])));
      expect(answer.trend[i].byBucket).toEqual(Object.fromEntries(Object.entries(t.byBucket).map(([k, c]) => [k, c.entries])));
    });
    expect(answer.missingDays).toEqual([]);
    const next = await admin({ action: 'overview', from: '2024-03-13', to: '2024-03-16' });
    // no day of the range has a rollup: no change to tell, not a fall to nothing
    expect(next.totals.entries).toEqual({ value: 0, previous: sum((t) => t.totals.entries), change: null });
    expect(next.missingDays).toHaveLength(4);
    expect(next.previous).toEqual({ from: DAYS[0], to: DAYS[3], missingDays: [] });
    // a period before the rollups began: a change against it is against the days it has, and the answer names those it lacks
    const rolled = ((await db.collection('rollups_daily').where({ _id: db.command.gte('2024-02-01').and(db.command.lte('2024-03-16')) }).limit(100).get()) as { data: { _id: string }[] }).data.map((doc) => doc._id);
    const earliest = [...rolled].sort()[0];
    const range = { from: addDays(earliest, 2), to: addDays(earliest, 5) };
    const straddling = await admin({ action: 'overview', ...range });
    const unrolled = [earliest, addDays(earliest, 1)].filter((day) => !rolled.includes(day));
    expect(straddling.previous).toEqual({ from: addDays(earliest, -2), to: addDays(earliest, 1), missingDays: [addDays(earliest, -2), addDays(earliest, -1), ...unrolled] });
    // before the calendar's first day there is no rollup either (the fuzz suite's find)
    const first = await admin({ action: 'overview', from: '0000-01-01', to: '0000-01-02' });
    expect(first.previous).toEqual({ from: '-000001-12-30', to: '-000001-12-31', missingDays: ['-000001-12-30', '-000001-12-31'] });
  });

  test('top entry points and channels, with scene names in Chinese and English', async () => {
    const truths = DAYS.map((day) => truthOf(day, all(), trace.users));
    const summed = (map: 'byScene' | 'byChannel'): Map<string, number> => {
      const totals = new Map<string, number>();
      for (const t of truths) for (const [k, c] of Object.entries(t[map])) totals.set(k, (totals.get(k) ?? 0) + c.entries);
      return totals;
    };
    const scenes = await admin({ action: 'topEntries', from: DAYS[0], to: DAYS[3], limit: 100 });
    expect(new Map(scenes.top.map((row: any) => [row.key, row.entries]))).toEqual(summed('byScene'));
    expect(scenes.top.find((row: any) => row.key === '1089')).toMatchObject({ zh: expect.any(String), en: expect.any(String) });
    // however few it lists, it says how many keys there are (the dashboard's "30 of N")
    expect(await admin({ action: 'topEntries', from: DAYS[0], to: DAYS[3], limit: 2 })).toMatchObject({ keys: summed('byScene').size, top: scenes.top.slice(0, 2) });
    const channels = await admin({ action: 'channels', from: DAYS[0], to: DAYS[3] });
    expect(new Map(channels.channels.map((row: any) => [row.key, row.entries]))).toEqual(summed('byChannel'));
  });

  test('share funnel and the share tree under the root share', async () => {
    const funnel = (await admin({ action: 'shareFunnel', from: DAYS[0], to: DAYS[3] })).funnel;
    const t0 = truthOf(DAYS[0], all(), trace.users);
    expect(funnel).toMatchObject({ intents: 3, returnOpens: 4, newUsers: t0.shares.newUsers, depth: { '1': 1, '2': 1, '3': 2 } });
    const tree = (await admin({ action: 'shareTree', rootShareId: 'sh_root_A' })).tree;
    expect(tree).toMatchObject({ shareId: 'sh_root_A', depth: 1, opens: 1, openers: 1 });
    expect(tree.children[0]).toMatchObject({ shareId: 'sh_b', opens: 1, openers: 1 });
    expect(tree.children[0].children[0]).toMatchObject({ shareId: 'sh_c', opens: 2, openers: 2, children: [] });
  });

  test('a share tree past the records one read holds answers the 1,000 nearest its root, and says it is cut', async () => {
    const model = trace.events.find((e) => e.type === 'share' && e.share?.shareId === 'sh_root_A') as Extract<StoredEvent, { type: 'share' }>;
    const record = (shareId: string, depth: number, parentShareId: string | undefined, at: Date): StoredEvent => ({
      ...model,
      _id: `big_${shareId}`,
      eventId: `big_${shareId}`,
      shareId,
      at,
      share: { shareId, sharer: `o-${shareId}`, depth, rootShareId: 'big_root', ...(parentShareId ? { parentShareId } : {}) },
    });
    const start = model.at.getTime();
    // the deepest record is the oldest: a read in time order alone would keep it and cut a depth-2 card
    const big = [record('big_root', 1, undefined, new Date(start)), record('big_deep', 3, 'big_0', new Date(start - 1000))];
    for (let i = 0; i < 999; i++) big.push(record(`big_${i}`, 2, 'big_root', new Date(start + i)));
    for (let i = 0; i < big.length; i += 200) await db.collection('events').add({ data: big.slice(i, i + 200) });
    try {
      const answer = await admin({ action: 'shareTree', rootShareId: 'big_root' });
      expect(answer).toMatchObject({ shares: 1000, truncated: true, tree: { shareId: 'big_root' } });
      expect(answer.tree.children).toHaveLength(999);
      expect(answer.tree.children.every((child: any) => child.depth === 2 && child.children.length === 0)).toBe(true);
      expect((await admin({ action: 'shareTree', rootShareId: 'sh_root_A' })).truncated).toBe(false);
    } finally {
      await db.collection('events').where({ 'share.rootShareId': 'big_root' }).remove();
    }
  });

  test('answers read from raw events say from which day retention keeps them whole (rawEventsFrom: today − RUKOU_RETENTION_DAYS)', async () => {
    const kept = addDays(chinaDay(new Date(await emulatorNow(emulator.url))), -90);
    expect((await admin({ action: 'topShares', from: DAYS[0], to: DAYS[3] })).rawEventsFrom).toBe(kept);
    expect((await admin({ action: 'topGroups', from: DAYS[0], to: DAYS[3] })).rawEventsFrom).toBe(kept);
    expect((await admin({ action: 'shareTree', rootShareId: 'sh_root_A' })).rawEventsFrom).toBe(kept);
  });

  test('top groups over the range', async () => {
    const groups = (await admin({ action: 'topGroups', from: DAYS[0], to: DAYS[3] })).groups;
    const alpha = all().filter((e) => e.type === 'enter' && e.groupId === 'G_alpha');
    expect(groups[0]).toEqual({ groupId: 'G_alpha', opens: alpha.length, openers: new Set(alpha.map((e) => e.openid)).size });
    expect(groups.map((g: any) => g.groupId)).toEqual(['G_alpha', 'G_beta']);
  });

  test('today so far uses the rollup code on today\'s raw events', async () => {
    const now = await emulatorNow(emulator.url);
    const today = chinaDay(now);
    const fresh = generateTrace({ days: [today], seed: 5, usersCount: 16, entriesPerDay: 8 });
    // the same openids as the trace's: today's users are distinct from theirs
    const events = fresh.events.map((e, i) => ({ ...e, _id: `today_${i}`, openid: `today_${e.openid}`, serverAt: new Date(Math.min(e.serverAt.getTime(), now - 1000)) }));
    users.push(...fresh.users.map((user) => ({ ...user, _id: `today_${user._id}` })));
    await insert(events);
    const answer = await admin({ action: 'today' });
    expect(answer.rollup._id).toBe(today);
    expect(answer.rollup.totals).toMatchObject(truthOf(today, events, users).totals);
  });

  test('the dashboard over HTTP access with the bearer token', async () => {
    const http = (authorization?: string) => ({
      path: '/admin',
      httpMethod: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ action: 'shareFunnel', from: DAYS[0], to: DAYS[0] }),
      isBase64Encoded: false,
    });
    const ok = (await invokeAs(emulator.url, 'admin', http(`Bearer ${TOKEN}`), { openid: '', source: 'wx_http' })).result as any;
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body).funnel.intents).toBe(3);
    const refused = (await invokeAs(emulator.url, 'admin', http('Bearer wrong'), { openid: '', source: 'wx_http' })).result as any;
    expect(refused.statusCode).toBe(403);
    expect(JSON.parse(refused.body).error.code).toBe('NOT_OPERATOR');
  });

  test("rollup's backfill over HTTP access with the same token", async () => {
    const http = (authorization: string) => ({ path: '/rollup', httpMethod: 'POST', headers: { authorization }, body: JSON.stringify({ action: 'backfill', from: DAYS[0], to: DAYS[0] }), isBase64Encoded: false });
    const ok = (await invokeAs(emulator.url, 'rollup', http(`Bearer ${TOKEN}`), { openid: '', source: 'wx_http' })).result as any;
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ rolledUp: [DAYS[0]], remaining: null });
    const refused = (await invokeAs(emulator.url, 'rollup', http('Bearer wrong'), { openid: '', source: 'wx_http' })).result as any;
    expect([refused.statusCode, JSON.parse(refused.body).error.code]).toEqual([403, 'NOT_OPERATOR']);
  });
});

describe('everyone else is refused and nothing is done', () => {
  test('a client calling rollup, even with a timer-shaped event, or admin', async () => {
    const count = async (): Promise<number> => ((await db.collection('rollups_daily').count()) as { total: number }).total;
    const before = await count();
    const asTimer = await invokeAs(emulator.url, 'rollup', { Type: 'Timer', TriggerName: 'dailyRollup', Time: '2024-06-01T16:17:00Z' }, { openid: 'user_001' });
    expect((asTimer.result as any).error.code).toBe('NOT_OPERATOR');
    const backfill = await invokeAs(emulator.url, 'rollup', { action: 'backfill', from: '2024-06-01', to: '2024-06-02' }, { openid: 'user_001' });
    expect((backfill.result as any).error.code).toBe('NOT_OPERATOR');
    const stats = await invokeAs(emulator.url, 'admin', { action: 'overview', from: DAYS[0], to: DAYS[3] }, { openid: 'user_001' });
    expect((stats.result as any).error).toMatchObject({ code: 'NOT_OPERATOR', message: expect.stringContaining('operators') });
    expect(await count()).toBe(before);
  });

  test('an operator listed in RUKOU_OPERATORS is let through', async () => {
    const answer = await invokeAs(emulator.url, 'admin', { action: 'shareFunnel', from: DAYS[0], to: DAYS[0] }, { openid: 'op_from_env' });
    expect((answer.result as any).funnel.intents).toBe(3);
  });
});

describe('retention', () => {
  test('raw events past 90 days are deleted once their day is rolled up; others, and the share ledger, are kept', async () => {
    const unrolled: StoredEvent = { ...trace.events.find((e) => e.type === 'enter')!, _id: 'never_rolled', day: '2024-03-01', serverAt: new Date('2024-02-29T17:00:00Z') };
    await insert([unrolled]);
    // a share event that recorded nothing (a refused prefix) is no part of the ledger: it goes with its day
    const refused: Record<string, unknown> = { ...trace.events.find((e) => e.type === 'share'), _id: 'refused_share', eventId: 'refused_share', warnings: ['not issued to this user'] };
    delete refused.share;
    await db.collection('events').add({ data: refused });
    const answer = (await fire(timerTimeFor('2024-06-14'))) as any;
    expect(answer.retention.cutoff).toBe('2024-03-17');
    expect(answer.retention.purgedDays).toEqual(DAYS);
    expect(answer.retention.keptDays).toEqual(['2024-03-01']);
    const left = (await db.collection('events').where({ day: db.command.in(DAYS) }).limit(1000).get()) as unknown as { data: StoredEvent[] };
    const ledger = trace.events.filter((e) => e.type === 'share');
    expect(left.data.map((e) => e._id).sort()).toEqual(ledger.map((e) => e._id).sort());
    expect(answer.retention.removedEvents).toBe(trace.events.length + late().length - ledger.length + 1);
    const tree = ((await invokeAs(emulator.url, 'admin', { action: 'shareTree', rootShareId: 'sh_root_A' }, { openid: OPERATOR })).result as any).tree;
    expect(tree.children[0].children[0]).toMatchObject({ shareId: 'sh_c', depth: 3 });
    expect(((await db.collection('events').where({ _id: 'never_rolled' }).count()) as { total: number }).total).toBe(1);
    expect((await rollupOf(DAYS[0])).totals.entries).toBe(truthOf(DAYS[0], trace.events, trace.users).totals.entries);
    // user-days have their own retention, 180 days by default: every day is kept, and can be rolled up again
    expect(answer.retention.userDays).toEqual({ cutoff: addDays('2024-06-15', -180), purgedDays: [], removed: 0, keptDays: [] });
  });

  test('user-days past their retention are deleted once their day is rolled up, and their rollups are final', async () => {
    const before = await rollupOf(DAYS[0]);
    // a part of a rollup left by a call that stopped inside the day: it goes with the day's user-days
    await db.collection('rollup_parts').doc(DAYS[0]).set({ data: { version: ROLLUP_VERSION, startedAt: new Date(), rows: {} } });
    const answer = (await fire(timerTimeFor('2024-09-12'))) as any;
    expect(answer.retention.userDays).toMatchObject({ cutoff: addDays('2024-09-13', -180), purgedDays: DAYS, keptDays: ['2024-03-01'] });
    expect(((await db.collection('rollup_parts').count()) as { total: number }).total).toBe(0);
    expect(answer.retention.userDays.removed).toBe(userDaysOf(stored, users).filter((day) => DAYS.includes(day.day)).length);
    expect(((await db.collection('user_days').where({ day: db.command.in(DAYS) }).count()) as { total: number }).total).toBe(0);
    expect(await rollupOf(DAYS[0])).toEqual({ ...before, final: true });
    // a day without its user-days is not rolled up again: that would count nothing
    const backfill = (await invokeAs(emulator.url, 'rollup', { action: 'backfill', from: '2024-03-08', to: DAYS[1] }, { openid: OPERATOR })).result as any;
    expect(backfill).toMatchObject({ rolledUp: ['2024-03-08'], final: [DAYS[0], DAYS[1]], remaining: null });
    expect(await rollupOf(DAYS[0])).toEqual({ ...before, final: true });
    // nor by the timer, whose answer says so, though an event came for it since (a final day was rolled up, and is kept)
    const after = { ...trace.events.find((e) => e.type === 'enter' && e.day === DAYS[1])!, _id: 'after_final', serverAt: new Date(await emulatorNow(emulator.url)) };
    await db.collection('events').add({ data: after });
    const timer = (await fire(timerTimeFor(DAYS[1]))) as any;
    expect(timer).toMatchObject({ day: DAYS[1], final: [DAYS[1]] });
    expect(timer.rolledUp).not.toContain(DAYS[1]);
    expect(await rollupOf(DAYS[0])).toEqual({ ...before, final: true });
  });

  test('a final cohort still takes what later days count of it, and a write to a final day is purged at the next run', async () => {
    const user = trace.users.find((u) => u.firstDay === DAYS[0] && trace.events.some((e) => e.openid === u._id && e.type === 'enter' && e.day === DAYS[0]))!;
    const entry = trace.events.find((e) => e.openid === user._id && e.type === 'enter' && e.day === DAYS[0])!;
    // the cohort's user comes back a week later, a day rolled up after the cohort's user-days were purged
    const weekLater = addDays(DAYS[0], 7);
    const at = new Date(entry.at.getTime() + 7 * 86_400_000);
    await insert([{ ...entry, _id: 'week_later', eventId: 'week_later', day: weekLater, at, serverAt: new Date(await emulatorNow(emulator.url)) }]);
    const backfill = (await invokeAs(emulator.url, 'rollup', { action: 'backfill', from: weekLater, to: weekLater }, { openid: OPERATOR })).result as any;
    expect(backfill).toMatchObject({ rolledUp: [weekLater], final: [] });
    const cohort = await rollupOf(DAYS[0]);
    expect(cohort.final).toBe(true);
    expect(cohort.retention.days['7'].users).toBe(1);
    // the final day's user-day written again (a goal reported again months later, as track would)
    const [again] = userDaysOf([entry], users, new Date(await emulatorNow(emulator.url)));
    const { _id, ...fields } = again;
    await db.collection('user_days').doc(_id).set({ data: fields });
    const answer = (await fire(timerTimeFor('2024-09-13'))) as any;
    expect(answer.retention.userDays.purgedDays).toEqual(expect.arrayContaining([DAYS[0], weekLater]));
    expect(answer.retention.userDays.keptDays).toEqual(['2024-03-01']);
    expect(((await db.collection('user_days').where({ day: db.command.in([DAYS[0], weekLater]) }).count()) as { total: number }).total).toBe(0);
  });
});

describe('a backfill longer than the time budget', () => {
  test('stops between two steps of a day and answers the days left, which the next calls go on with', async () => {
    // a budget of 0 s: every call takes exactly one step (one aggregation), as a call over days of ten million events stops after a dozen
    const budgeted = await startEmulator({ timers: false, clock: START, env: { RUKOU_OPERATORS: 'op_from_env', RUKOU_BACKFILL_SECONDS: '0' } });
    try {
      const backfill = async (from: string, to: string): Promise<any> => (await invokeAs(budgeted.url, 'rollup', { action: 'backfill', from, to }, { openid: 'op_from_env' })).result;
      const calls: any[] = [];
      for (let range = { from: '2024-03-01', to: '2024-03-03' }; calls.length < 100; ) {
        calls.push(await backfill(range.from, range.to));
        const { remaining } = calls[calls.length - 1];
        if (!remaining) break;
        expect(remaining.to).toBe('2024-03-03');
        range = remaining;
      }
      // each day whole, in order, from the call that took its last step: an empty day is 19 aggregations
      expect(calls.flatMap((call) => call.rolledUp)).toEqual(['2024-03-01', '2024-03-02', '2024-03-03']);
      expect(calls).toHaveLength(3 * 19);
      expect(calls[calls.length - 1].remaining).toBeNull();
    } finally {
      await budgeted.stop();
    }
  });
});
