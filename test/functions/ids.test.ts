/**
 * Ids nobody else can take (issue 7 §3), through the emulator's client gateway and the real
 * `track`, read back with the real wx-server-sdk: event ids dedupe within the caller's own events,
 * share ids carry the prefix issued to their sharer, and a user's first touch is the earliest entry
 * whatever order batches arrive in, at the same moment or days apart.
 */
import cloud from 'wx-server-sdk';
import { sharePrefix } from '../../shared/ids';
import type { EnterEvent, RevisionEvent, ShareEvent, UserDoc } from '../../shared/model';
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
    await track('o-ace', [enter(1007, { rk_sh: cards[0] })]);
    const [own] = await all<EnterEvent>({ openid: 'o-ace', type: 'enter', shareId: cards[0] });
    expect(own.share).toMatchObject({ sharer: 'o-ace', self: true, isReturn: false });
  });
});

describe('first touch', () => {
  it('a new user\'s first batches arriving at the same moment, 30 times: first is the earliest entry, latest the latest', async () => {
    const now = await emulatorNow(emulator.url);
    for (let trial = 0; trial < 30; trial++) {
      const openid = `o-twin-${trial}`;
      // two devices, each with one entry, delivered together in either order
      const early = enter(1047, {}, now - 20 * 60_000);
      const late = enter(1089, {}, now - 5 * 60_000);
      const batches = trial % 2 === 0 ? [early, late] : [late, early];
      await Promise.all(batches.map((event) => track(openid, [event], now)));
      const [user] = await all<UserDoc>({ _id: openid }, 'users');
      expect([user.first.scene, user.latest.scene, user.firstDay]).toEqual([1047, 1089, chinaDay(now - 20 * 60_000)]);
      expect(new Date(user.first.at).getTime()).toBeLessThan(new Date(user.latest.at).getTime());
    }
  });

  it('an offline phone\'s entries from the day before move the first day: stored events are corrected and the old day is rolled up again', async () => {
    const now = await emulatorNow(emulator.url);
    const today = chinaDay(now);
    const d1 = addDays(today, -1);
    const d2 = addDays(today, -2);
    const noon = (day: string): number => chinaDayStart(day).getTime() + 12 * HOUR;
    // one device delivers yesterday's entry; the day is rolled up with the user as new on it
    await track('o-owl', [enter(1089, {}, noon(d1))], now);
    await invokeAs(emulator.url, 'rollup', { action: 'backfill', from: d1, to: d1 }, { openid: OPERATOR });
    const rollup = async (day: string): Promise<{ totals: { entries: number; newUsers: number } }> => (await all<{ totals: { entries: number; newUsers: number } }>({ _id: day }, 'rollups_daily'))[0];
    expect((await rollup(d1)).totals).toMatchObject({ entries: 1, newUsers: 1 });

    // the other, offline since the day before, delivers an earlier entry
    await track('o-owl', [enter(1047, {}, noon(d2))], await emulatorNow(emulator.url));
    const [user] = await all<UserDoc>({ _id: 'o-owl' }, 'users');
    expect([user.firstDay, user.first.scene, user.latest.scene]).toEqual([d2, 1047, 1089]);
    expect((await all<EnterEvent>({ openid: 'o-owl', type: 'enter' })).map((event) => [event.day, event.firstDay]).sort()).toEqual([
      [d2, d2],
      [d1, d2],
    ]);
    expect(await all<RevisionEvent>({ openid: 'o-owl', type: 'revision' })).toEqual([expect.objectContaining({ day: d1, reason: `first day moved to ${d2}` })]);

    // the next daily run sees the revision on the old day and rolls it again
    const tomorrow = new Date(chinaDayStart(addDays(today, 1)).getTime() + 17 * 60_000).toISOString();
    const response = await fetch(`${emulator.url}/triggers/rollup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ time: tomorrow }) });
    const run = ((await response.json()) as { result: { rolledUp: string[] } }).result;
    expect(run.rolledUp).toEqual(expect.arrayContaining([d2, d1, today]));
    expect((await rollup(d1)).totals).toMatchObject({ entries: 1, newUsers: 0 });
    expect((await rollup(d2)).totals).toMatchObject({ entries: 1, newUsers: 1 });
  });
});
