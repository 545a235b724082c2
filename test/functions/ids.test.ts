/**
 * Ids nobody else can take (issue 7 §3), through the emulator's client gateway and the real
 * `track`, read back with the real wx-server-sdk: event ids dedupe within the caller's own events,
 * share ids carry the prefix issued to their sharer, and a user's first touch is the earliest entry
 * whatever order batches arrive in, at the same moment or days apart.
 */
import cloud from 'wx-server-sdk';
import { sharePrefix } from '../../shared/ids';
import type { EnterEvent, RevisionDoc, ShareEvent, UserDayDoc, UserDoc } from '../../shared/model';
import { countEvent, emptyCount, nextUserDay, userDayId } from '../../shared/user-days';
import { addDays, chinaDay, chinaDayStart } from '../../shared/time';
import { emulatorNow, invokeAs, MIDDAY, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';

const APP = 'wx0000000000000000';
const SECRET = 'ids-suite-share-secret-0123456789';
const OPERATOR = 'o-operator';
const HOUR = 3600_000;
let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;
let n = 0;

type Sent = Record<string, unknown> & { id: string };
const enter = (scene: number, query: Record<string, string> = {}, at = Date.parse(MIDDAY)): Sent => ({ id: `id-${String(++n).padStart(6, '0')}`, seq: n, at, type: 'enter', cold: true, options: { scene, path: 'pages/index/index', query } });
const share = (shareId: string): Sent => ({ id: `id-${String(++n).padStart(6, '0')}`, seq: n, at: Date.parse(MIDDAY), type: 'share', shareId, path: 'pages/item/item', to: 'chat' });
const idOf = (openid: string, suffix: string): string => `${sharePrefix(SECRET, openid)}${suffix}`;

interface Answer {
  accepted: string[];
  duplicates: string[];
  rejected: unknown[];
}

async function track(openid: string, events: Sent[], sentAt?: number): Promise<Answer> {
  const answer = await invokeAs(emulator.url, 'track', { v: 1, ...(sentAt === undefined ? {} : { sentAt }), events }, { openid, appid: APP });
  if (!answer.result || 'error' in (answer.result as object)) throw new Error(`track failed: ${JSON.stringify(answer)}`);
  return answer.result as Answer;
}

async function all<T>(where: Record<string, unknown>, collection = 'events'): Promise<T[]> {
  return ((await db.collection(collection).where(where).limit(1000).get()) as unknown as { data: T[] }).data;
}

/** Every share record the ledger holds for an id. */
const recordsOf = async (shareId: string): Promise<ShareEvent['share'][]> => (await all<ShareEvent>({ type: 'share', 'share.shareId': shareId })).map((event) => event.share);

beforeAll(async () => {
  // the first-touch tests reason about today and yesterday: at noon, the day stays the same throughout
  emulator = await startEmulator({ timers: false, clock: MIDDAY, env: { RUKOU_SHARE_SECRET: SECRET, RUKOU_OPERATORS: OPERATOR } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
});

afterAll(async () => {
  await emulator?.stop();
});

describe('event ids', () => {
  it('are the caller\'s own: an id someone else sent first neither hides your event nor tells them yours exists', async () => {
    const theirs = enter(1001);
    const mine: Sent = { ...enter(1089), id: theirs.id };
    expect(await track('o-bea', [theirs])).toMatchObject({ accepted: [theirs.id], duplicates: [] });
    expect(await track('o-ali', [mine])).toMatchObject({ accepted: [mine.id], duplicates: [] });
    // sending it again is a duplicate for each of them, of their own event only
    expect(await track('o-bea', [theirs])).toMatchObject({ accepted: [], duplicates: [theirs.id] });
    expect((await all<EnterEvent>({ eventId: theirs.id })).map((event) => [event.openid, event.scene]).sort()).toEqual([
      ['o-ali', 1089],
      ['o-bea', 1001],
    ]);
  });
});

describe('share ids', () => {
  it('a card\'s id recorded first by someone else is not theirs: the sharer records it later and every open credits the sharer', async () => {
    const card = idOf('o-amy', 'first-card');
    const thief = await track('o-bob', [enter(1089), share(card)]);
    expect(thief.accepted).toHaveLength(2);
    expect(await recordsOf(card)).toEqual([]);
    const [stolen] = await all<ShareEvent>({ openid: 'o-bob', type: 'share' });
    expect(stolen.warnings?.[0]).toContain('not issued to this user');

    await track('o-amy', [enter(1089), share(card)]);
    expect(await recordsOf(card)).toEqual([{ shareId: card, sharer: 'o-amy', depth: 1, rootShareId: card }]);
    await track('o-cid', [enter(1007, { rk_sh: card })]);
    await track('o-amy', [enter(1007, { rk_sh: card })]);
    const [cid] = await all<EnterEvent>({ openid: 'o-cid', type: 'enter' });
    expect(cid.share).toMatchObject({ sharer: 'o-amy', isReturn: true });
    const amy = await all<EnterEvent>({ openid: 'o-amy', type: 'enter', shareId: card });
    expect(amy.map((event) => event.share)).toEqual([expect.objectContaining({ sharer: 'o-amy', self: true, isReturn: false })]);
  });

  it('recorded by its sharer and someone else at the same moment, 40 times: one owner every time, the sharer', async () => {
    await track('o-ace', [enter(1089)]);
    await track('o-bux', [enter(1089)]);
    const cards = Array.from({ length: 40 }, (_, i) => idOf('o-ace', `race-${i}`));
    await Promise.all(cards.flatMap((card) => [track('o-ace', [share(card)]), track('o-bux', [share(card)])]));
    for (const card of cards) expect(await recordsOf(card)).toEqual([{ shareId: card, sharer: 'o-ace', depth: 1, rootShareId: card }]);
    // its sharer recording it from several devices at once may leave several records: the tree shows one share
    const twice = idOf('o-ace', 'two-devices');
    await Promise.all(Array.from({ length: 6 }, () => track('o-ace', [share(twice)])));
    const tree = (await invokeAs(emulator.url, 'admin', { action: 'shareTree', rootShareId: twice }, { openid: OPERATOR })).result as { shares: number };
    expect(tree.shares).toBe(1);
    await track('o-ace', [enter(1007, { rk_sh: cards[0] })]);
    const [own] = await all<EnterEvent>({ openid: 'o-ace', type: 'enter', shareId: cards[0] });
    expect(own.share).toMatchObject({ sharer: 'o-ace', self: true, isReturn: false });
  });
});

describe('first touch', () => {
  it('a new user\'s first batches arriving at the same moment, 30 times: first is the earliest entry, the day\'s latest the latest, each counted once', async () => {
    const now = await emulatorNow(emulator.url);
    for (let trial = 0; trial < 30; trial++) {
      const openid = `o-twin-${trial}`;
      // two devices, each with one entry, delivered together in either order
      const early = enter(1047, {}, now - 20 * 60_000);
      const late = enter(1089, {}, now - 5 * 60_000);
      const batches = trial % 2 === 0 ? [early, late] : [late, early];
      await Promise.all(batches.map((event) => track(openid, [event], now)));
      const [user] = await all<UserDoc>({ _id: openid }, 'users');
      const [day] = await all<UserDayDoc>({ _id: userDayId(openid, chinaDay(now)) }, 'user_days');
      expect([user.first.scene, day.latest?.scene, user.firstDay, day.firstDay, day.entries]).toEqual([1047, 1089, chinaDay(now - 20 * 60_000), chinaDay(now - 20 * 60_000), 2]);
      expect(new Date(user.first.at).getTime()).toBeLessThan(new Date(day.latest?.at ?? 0).getTime());
    }
  });

  it('an existing user\'s two devices deliver older entries at the same moment, 40 times: each user is new on exactly one day, and no answer leaks the database', async () => {
    const now = await emulatorNow(emulator.url);
    const today = chinaDay(now);
    const [d1, d2] = [addDays(today, -1), addDays(today, -2)];
    const noon = (day: string): number => chinaDayStart(day).getTime() + 12 * HOUR;
    const openids = Array.from({ length: 40 }, (_, i) => `o-pair-${i}`);
    // delivered as a tracker would: a refused delivery is sent again
    const deliver = async (openid: string, at: number): Promise<void> => {
      for (let attempt = 0; attempt < 5; attempt++) {
        // the phone's clock is the emulator's: its time now is its sentAt
        const sentAt = await emulatorNow(emulator.url);
        const answer = await invokeAs(emulator.url, 'track', { v: 1, sentAt, events: [enter(1089, { rk_ch: 'pairs' }, at)] }, { openid, appid: APP });
        const refusal = (answer.result as { error?: { code: string; message: string } }).error;
        if (!refusal) return;
        expect(refusal.code).toBe('UPSTREAM');
        expect(refusal.message).not.toMatch(/E11000|duplicate key|-50\d{4}/);
      }
      throw new Error(`${openid}: not stored after 5 deliveries`);
    };
    for (const openid of openids) await deliver(openid, Math.min(now, noon(today)));
    await Promise.all(openids.flatMap((openid) => [deliver(openid, noon(d1)), deliver(openid, noon(d2))]));
    for (const openid of openids) expect((await all<UserDoc>({ _id: openid }, 'users'))[0].firstDay).toBe(d2);
    await invokeAs(emulator.url, 'rollup', { action: 'backfill', from: d2, to: d1 }, { openid: OPERATOR });
    const newUsers = async (day: string): Promise<number> => (await all<{ byChannel: Record<string, { newUsers: number }> }>({ _id: day }, 'rollups_daily'))[0].byChannel.pairs.newUsers;
    // today is not over: no backfill stores it, and today so far counts it with the same code
    const todaySoFar = (await invokeAs(emulator.url, 'admin', { action: 'today' }, { openid: OPERATOR })).result as { rollup: { byChannel: Record<string, { newUsers: number }> } };
    expect([await newUsers(d2), await newUsers(d1), todaySoFar.rollup.byChannel.pairs.newUsers]).toEqual([40, 0, 0]);
  });

  it('an offline phone\'s entries from the day before move the first day: a revision says so, and the old day is rolled up again without the user as new', async () => {
    const now = await emulatorNow(emulator.url);
    const today = chinaDay(now);
    const d1 = addDays(today, -1);
    const d2 = addDays(today, -2);
    const noon = (day: string): number => chinaDayStart(day).getTime() + 12 * HOUR;
    // one device delivers yesterday's entry; the day is rolled up with the user as new on it
    await track('o-owl', [enter(1089, { rk_ch: 'owl' }, noon(d1))], now);
    await invokeAs(emulator.url, 'rollup', { action: 'backfill', from: d1, to: d1 }, { openid: OPERATOR });
    // the owl's own numbers: its entries carry a channel of their own
    const owl = async (day: string): Promise<{ entries: number; newUsers: number }> => (await all<{ byChannel: Record<string, { entries: number; newUsers: number }> }>({ _id: day }, 'rollups_daily'))[0].byChannel.owl;
    expect(await owl(d1)).toMatchObject({ entries: 1, newUsers: 1 });

    // the other, offline since the day before, delivers an earlier entry
    await track('o-owl', [enter(1047, { rk_ch: 'owl' }, noon(d2))], await emulatorNow(emulator.url));
    const [user] = await all<UserDoc>({ _id: 'o-owl' }, 'users');
    expect([user.firstDay, user.first.scene]).toEqual([d2, 1047]);
    // the user-day of d1 keeps the first day it was stored with; the revision corrects what it implies
    expect((await all<UserDayDoc>({ openid: 'o-owl' }, 'user_days')).map((day) => [day.day, day.firstDay]).sort()).toEqual([
      [d2, d2],
      [d1, d1],
    ]);
    expect(await all<RevisionDoc>({ openid: 'o-owl' }, 'revisions')).toEqual([expect.objectContaining({ fromDay: d1, toDay: d2 })]);

    // the next daily run sees the revision on the old day and rolls it again
    const tomorrow = new Date(chinaDayStart(addDays(today, 1)).getTime() + 17 * 60_000).toISOString();
    const response = await fetch(`${emulator.url}/triggers/rollup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ time: tomorrow }) });
    const run = ((await response.json()) as { result: { rolledUp: string[] } }).result;
    expect(run.rolledUp).toEqual(expect.arrayContaining([d2, d1, today]));
    expect(await owl(d1)).toMatchObject({ entries: 1, newUsers: 0 });
    expect(await owl(d2)).toMatchObject({ entries: 1, newUsers: 1 });
  });
});

describe('first-day revisions at scale', () => {
  // days of their own, three weeks before the suite's clock
  const D2 = addDays(chinaDay(Date.parse(MIDDAY)), -21);
  const [D0, D1] = [addDays(D2, -2), addDays(D2, -1)];
  const COUNT = 1005;
  const timer = async (day: string): Promise<{ rolledUp: string[]; unchanged: string[] }> => {
    const time = new Date(chinaDayStart(addDays(day, 1)).getTime() + 17 * 60_000).toISOString();
    const response = await fetch(`${emulator.url}/triggers/rollup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ time }) });
    return ((await response.json()) as { result: { rolledUp: string[]; unchanged: string[] } }).result;
  };
  const bulk = async (day: string): Promise<{ entries: number; newUsers: number }> => (await all<{ byChannel: Record<string, { entries: number; newUsers: number }> }>({ _id: day }, 'rollups_daily'))[0].byChannel.bulk;

  it('more than a thousand users whose first day moved from one day are all not new there, and a revision written after a rollup rolls its day again', async () => {
    const noon = (day: string): Date => new Date(chinaDayStart(day).getTime() + 12 * HOUR);
    const entry = (openid: string, day: string): EnterEvent => ({
      _id: `bulk-${openid}-${day}`,
      eventId: `bulk-${day}`,
      openid,
      appid: APP,
      seq: 0,
      at: noon(day),
      clientAt: noon(day),
      serverAt: noon(day),
      day,
      type: 'enter',
      cold: true,
      scene: 1089,
      category: 'Quick entry',
      bucket: 'in-wechat',
      path: 'pages/index/index',
      query: { rk_ch: 'bulk' },
      channel: 'bulk',
      reopen: false,
    });
    /** The user-day `track` stored with the entry, the user's first day then being `firstDay`. */
    const userDay = (event: EnterEvent, firstDay: string): UserDayDoc => {
      const count = emptyCount(event.day);
      countEvent(count, event);
      return nextUserDay(undefined, count, { firstDay }, event.openid, event.serverAt);
    };
    const openids = Array.from({ length: COUNT }, (_, i) => `o-bulk-${i}`);
    // each first seen on D2, then an offline phone's entry from D1 moved its first day
    const events = openids.flatMap((openid) => [entry(openid, D2), entry(openid, D1)]);
    const late = 'o-bulk-late';
    events.push(entry(late, D2));
    const userDays = events.map((event) => userDay(event, event.day));
    for (let i = 0; i < events.length; i += 500) {
      await db.collection('events').add({ data: events.slice(i, i + 500) });
      await db.collection('user_days').add({ data: userDays.slice(i, i + 500) });
    }
    // written an hour before the rollups that follow
    const before = new Date((await emulatorNow(emulator.url)) - HOUR);
    const revisions = openids.map((openid) => ({ _id: `rev-${openid}`, openid, fromDay: D2, toDay: D1, at: before }));
    for (let i = 0; i < revisions.length; i += 500) await db.collection('revisions').add({ data: revisions.slice(i, i + 500) });

    expect((await timer(D2)).rolledUp).toEqual(expect.arrayContaining([D1, D2]));
    // (no users documents here: the rollup knows no first touch)
    expect([await bulk(D1), await bulk(D2)]).toEqual([
      { entries: COUNT, users: COUNT, newUsers: COUNT, firstTouch: 0 },
      { entries: COUNT + 1, users: COUNT + 1, newUsers: 1, firstTouch: 0 },
    ]);

    // the last one's first day moves too, after the rollup: the next run finds it among the thousand
    await db.collection('revisions').add({ data: { _id: 'rev-late', openid: late, fromDay: D2, toDay: D0, at: new Date(await emulatorNow(emulator.url)) } });
    const next = await timer(addDays(D2, 1));
    expect(next.rolledUp).toContain(D2);
    expect(next.unchanged).toContain(D1);
    expect((await bulk(D2)).newUsers).toBe(0);
  });
});
