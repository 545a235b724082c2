/**
 * From the Mini Program to the operator: simulated users send batches to the real `track`
 * (deliveries repeated, as a flaky network does), and the operator's "today so far" — the rollup's
 * own pipelines over today's raw events — must count every entry once and credit every share.
 */
import { sharePrefix } from '../../shared/ids';
import type { RollupDoc } from '../../shared/rollup';
import { invokeAs, MIDDAY, startEmulator, type RunningEmulator } from '../helpers/emulator';

/** The emulator's share secret, set by this suite, so that it can make the share ids track issues. */
const SECRET = 'today-suite-share-secret-0123456789';
const shareIdOf = (openid: string): string => `${sharePrefix(SECRET, openid)}today`;

let emulator: RunningEmulator;
let n = 0;
const APP = 'wx0000000000000000';

type Sent = Record<string, unknown> & { id: string };
const enter = (scene: number, query: Record<string, string>, cold = true, extra: Record<string, unknown> = {}): Sent => ({
  id: `today-${String(++n).padStart(5, '0')}`,
  seq: n,
  // the phone's clock; without sentAt the event time is the server's
  at: Date.parse(MIDDAY),
  type: 'enter',
  cold,
  options: { scene, path: 'pages/index/index', query },
  ...extra,
});
const share = (shareId: string): Sent => ({ id: `today-${String(++n).padStart(5, '0')}`, seq: n, at: Date.parse(MIDDAY), type: 'share', shareId, path: 'pages/item/item', to: 'chat' });

async function deliver(openid: string, events: Sent[]): Promise<void> {
  const answer = (await invokeAs(emulator.url, 'track', { v: 1, events }, { openid, appid: APP })).result as { accepted: string[]; rejected: unknown[] };
  expect(answer.rejected).toEqual([]);
}

async function groupCloudId(openid: string, groupId: string): Promise<string> {
  const response = await fetch(`${emulator.url}/__rukou/wechat/cloudid`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ openid, appid: APP, kind: 'groupEnterInfo', groupId, chatType: 3 }),
  });
  return ((await response.json()) as { cloudID: string }).cloudID;
}

beforeAll(async () => {
  // "today so far" is the day of the emulator's clock: at noon, the same day for the whole suite
  emulator = await startEmulator({ timers: false, clock: MIDDAY, env: { RUKOU_OPERATORS: 'o-op', RUKOU_SHARE_SECRET: SECRET } });
});

afterAll(async () => {
  await emulator?.stop();
});

test('entries delivered twice count once, shares and groups are credited, new users are new', async () => {
  const sent: { openid: string; events: Sent[] }[] = [
    { openid: 'o-a', events: [enter(1047, { rk_ch: 'poster-1' }), enter(1089, {}, false), share(shareIdOf('o-a'))] },
    { openid: 'o-b', events: [enter(1007, { rk_sh: shareIdOf('o-a') }), share(shareIdOf('o-b'))] },
    { openid: 'o-c', events: [enter(1008, { rk_sh: shareIdOf('o-b') }, true, { group: await groupCloudId('o-c', 'G-today') })] },
    { openid: 'o-d', events: [enter(1008, { rk_sh: shareIdOf('o-b') }, true, { group: await groupCloudId('o-d', 'G-today') }), enter(1010, { rk_sh: shareIdOf('o-b') }, false)] },
    { openid: 'o-e', events: [enter(1047, { rk_ch: 'poster-1' }), enter(1047, { scene: 'rk_ch%3Dposter-2' })] },
  ];
  for (const { openid, events } of sent) {
    await deliver(openid, events);
    await deliver(openid, events); // the answer was lost: the tracker sends the batch again
  }

  const answer = (await invokeAs(emulator.url, 'admin', { action: 'today' }, { openid: 'o-op' })).result as { rollup: RollupDoc };
  const { rollup } = answer;
  expect(rollup.totals).toEqual({ entries: 8, users: 5, newUsers: 5, sessions: 5, cold: 6, hot: 2 });
  expect(rollup.byScene['1047']).toMatchObject({ entries: 3, users: 2, newUsers: 2, zh: expect.any(String), en: expect.any(String) });
  expect(rollup.byScene['1008']).toMatchObject({ entries: 2, users: 2 });
  // o-e came through poster-1 first, then poster-2
  expect(rollup.byChannel).toEqual({ 'poster-1': { entries: 2, users: 2, newUsers: 2, firstTouch: 2 }, 'poster-2': { entries: 1, users: 1, newUsers: 1, firstTouch: 0 } });
  expect(rollup.byBucket['offline-qr']).toEqual({ entries: 3, users: 2, newUsers: 2 });
  // o-d's favourites re-open (1010) of the same card is not a return
  expect(rollup.shares).toEqual({ intents: 2, sharers: 2, returnOpens: 3, openers: 3, newUsers: 3, returnRatio: 1.5, kFactor: 1.5, depth: { '1': 1, '2': 2 } });
  expect(rollup.groups).toMatchObject({ reached: 1, opens: 2 });
  expect(rollup.groups.top[0]).toMatchObject({ opens: 2, openers: 2 });
});
