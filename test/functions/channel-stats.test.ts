/**
 * Channels end to end, through the emulator and the real wx-server-sdk: the operator's registry is
 * written into `channels` as `admin` would keep it; simulated users enter through the real `track`
 * with channel keys in every form WeChat launches with (a query's `rk_ch`, a Mini Program code's
 * packed `scene` and its bare key, URL schemes and links, a plain scheme), keys the registry does
 * not have among them, new users and returning ones, one through two codes of one store; an
 * offline phone's older entry moves a user's first touch to another day and channel. The daily
 * rollup's channels by key, kind and group with their first touches, and `admin` `channels`, equal
 * what loops count from what the test sent.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- answers are JSON read back over the wire; the assertions are what check their shape */
import cloud from 'wx-server-sdk';
import { unescapeKey } from '../../shared/keys';
import type { ChannelDoc } from '../../shared/model';
import { addDays, chinaDayStart, dayRange } from '../../shared/time';
import { emulatorNow, invokeAs, MIDDAY, moveClock, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';

const APP = 'wx0000000000000000';
const OPERATOR = 'o-op';
const HOUR = 3_600_000;
/** The emulator's clock starts at MIDDAY (2024-05-20, noon in Beijing) and stays on that day: the entries are of days before it. */
const TODAY = MIDDAY.slice(0, 10);
const [D1, D2, D3] = ['2024-05-16', '2024-05-17', '2024-05-19'];

const created = (day: string): Date => new Date(`${day}T10:00:00+08:00`);
function channel(key: string, kind: ChannelDoc['kind'], createdOn: string, extra: Partial<ChannelDoc> = {}): ChannelDoc {
  const at = created(createdOn);
  return { _id: key, name: `${key} 的名字`, kind, page: 'pages/index/index', tags: ['spring'], archived: false, envVersion: 'release', createdAt: at, updatedAt: at, v: 1, ...extra };
}

const REGISTRY: ChannelDoc[] = [
  channel('store-nj-01', 'wxacode', '2024-04-01', { group: 'nanjing', fileID: 'cloud://rukou-local.7275/channels/store-nj-01.png' }),
  channel('store-nj-02', 'wxacode', '2024-04-01', { group: 'nanjing', fileID: 'cloud://rukou-local.7275/channels/store-nj-02.png' }),
  channel('spring-link', 'urllink', '2024-05-01', { group: 'campaign-spring', url: 'https://wxaurl.cn/spring', expiresAt: new Date('2024-05-31T10:00:00+08:00') }),
  channel('sms-scheme', 'urlscheme', '2024-05-01', { url: 'weixin://dl/business/?t=sms0001', expiresAt: new Date('2024-05-31T10:00:00+08:00') }),
  channel('plain-1', 'plainscheme', '2024-05-01', { group: 'campaign-spring', url: 'weixin://dl/business/?appid=wx0000000000000000&path=pages/index/index&query=rk_ch%3Dplain-1' }),
  // never scanned: a dead poster
  channel('dead-poster', 'wxacode', '2024-04-01', { group: 'nanjing' }),
  // archived, or created within the last 7 days: not dead, whatever they brought
  channel('archived-poster', 'wxacode', '2024-04-01', { archived: true }),
  channel('new-poster', 'wxacode', '2024-05-15'),
];
const REGISTERED = new Map(REGISTRY.map((doc) => [doc._id, doc]));

/** What the test sent: who, when (the event time it meant), and the channel key it put in the options (none: no channel). */
interface Sent {
  openid: string;
  at: number;
  day: string;
  key?: string;
}
const sent: Sent[] = [];

let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;
let seq = 0;

/**
 * An entry `hours` into `day` (Beijing), sent now by the tracker with its phone's `at` and `sentAt`,
 * which puts its event time there; `key` is the channel key the options carry, as the test means it.
 */
async function enters(openid: string, day: string, hours: number, options: Record<string, unknown>, key?: string): Promise<void> {
  seq += 1;
  const now = await emulatorNow(emulator.url);
  const at = chinaDayStart(day).getTime() + hours * HOUR;
  const answer = (await invokeAs(emulator.url, 'track', { v: 1, sentAt: now, events: [{ id: `channels-${seq}`, seq, at, type: 'enter', cold: true, options: { path: 'pages/index/index', ...options } }] }, { openid, appid: APP })).result as any;
  expect(answer.accepted).toEqual([`channels-${seq}`]);
  sent.push({ openid, at, day, ...(key === undefined ? {} : { key }) });
}

/** Every way an entry carries a channel key. */
const code = (key: string): Record<string, unknown> => ({ scene: 1047, query: { scene: encodeURIComponent(`rk_ch=${key}`) } });
const bareCode = (key: string): Record<string, unknown> => ({ scene: 1047, query: { scene: key } });
const scheme = (key: string): Record<string, unknown> => ({ scene: 1065, query: { rk_ch: key } });
const link = (key: string): Record<string, unknown> => ({ scene: 1194, query: { rk_ch: key } });
const plainScheme = (key: string): Record<string, unknown> => ({ scene: 1286, query: { rk_ch: key } });
const inQuery = (key: string): Record<string, unknown> => ({ scene: 1001, query: { rk_ch: key } });

async function advance(by: string): Promise<void> {
  expect((await moveClock(emulator.url, { advance: by })).status).toBe(200);
}

async function fire(day: string): Promise<any> {
  const time = new Date(chinaDayStart(addDays(day, 1)).getTime() + 17 * 60_000).toISOString();
  const response = await fetch(`${emulator.url}/triggers/rollup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ time }) });
  const answer = (await response.json()) as { result?: any };
  if (!answer.result) throw new Error(`the trigger failed: ${JSON.stringify(answer)}`);
  return answer.result;
}

const admin = async (data: Record<string, unknown>, openid = OPERATOR): Promise<any> => (await invokeAs(emulator.url, 'admin', data, { openid, appid: APP })).result;
const rollupOf = async (day: string): Promise<any> => ((await db.collection('rollups_daily').where({ _id: day }).get()) as unknown as { data: any[] }).data[0];

/** Each user's first touch: their earliest entry by the event time the test gave it. */
function firstTouches(): Map<string, Sent> {
  const firsts = new Map<string, Sent>();
  for (const entry of [...sent].sort((a, b) => a.at - b.at)) if (!firsts.has(entry.openid)) firsts.set(entry.openid, entry);
  return firsts;
}

type Truth = Record<string, { entries: number; users: number; newUsers: number; firstTouch: number }>;

/** A day's channels counted with loops, each entry's key named by `classOf` (undefined: not counted there). */
function truthOf(day: string, classOf: (key: string) => string | undefined): Truth {
  const firsts = firstTouches();
  const isNew = (openid: string): boolean => firsts.get(openid)?.day === day;
  const counts = new Map<string, { entries: number; users: Set<string>; firstTouch: number }>();
  const of = (name: string): { entries: number; users: Set<string>; firstTouch: number } => counts.get(name) ?? counts.set(name, { entries: 0, users: new Set(), firstTouch: 0 }).get(name)!;
  for (const entry of sent) {
    const name = entry.day === day && entry.key !== undefined ? classOf(entry.key) : undefined;
    if (name === undefined) continue;
    of(name).entries += 1;
    of(name).users.add(entry.openid);
  }
  for (const first of firsts.values()) {
    const name = first.day === day && first.key !== undefined ? classOf(first.key) : undefined;
    if (name !== undefined) of(name).firstTouch += 1;
  }
  return Object.fromEntries([...counts].map(([name, c]) => [name, { entries: c.entries, users: c.users.size, newUsers: [...c.users].filter(isNew).length, firstTouch: c.firstTouch }]));
}

const byKey = (key: string): string => key;
const kindOf = (key: string): string => REGISTERED.get(key)?.kind ?? 'unknown';
const groupOf = (key: string): string | undefined => REGISTERED.get(key)?.group;
const readable = (map: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(map).map(([key, counts]) => [unescapeKey(key), counts]));

async function expectDayEqualsTruth(day: string): Promise<void> {
  const doc = await rollupOf(day);
  expect(readable(doc.byChannel)).toEqual(truthOf(day, byKey));
  expect(readable(doc.byChannelKind)).toEqual(truthOf(day, kindOf));
  expect(readable(doc.byChannelGroup)).toEqual(truthOf(day, groupOf));
}

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, clock: MIDDAY, env: { RUKOU_OPERATORS: OPERATOR } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
  await db.collection('channels').add({ data: REGISTRY });
});

afterAll(async () => {
  await emulator?.stop();
});

describe('a week of entries through the operator’s channels', () => {
  test('the daily rollup counts each key, kind and group, with their first touches', async () => {
    // D1: four new users, three through a channel (one printed before the registry existed), one from the pull-down bar
    await enters('o-ann', D1, 9, code('store-nj-01'), 'store-nj-01');
    await enters('o-bob', D1, 10, { scene: 1089, query: {} });
    await enters('o-cai', D1, 11, bareCode('old-print-7'), 'old-print-7');
    await enters('o-dan', D1, 12, link('spring-link'), 'spring-link');
    // D2: ann comes back through the other store code; eve scans both codes of the store; bob comes back by a scheme;
    // fay opens a plain scheme, then a link of the same campaign; gus a key in the query the registry does not have
    await enters('o-ann', D2, 9, bareCode('store-nj-02'), 'store-nj-02');
    await enters('o-eve', D2, 10, code('store-nj-01'), 'store-nj-01');
    await enters('o-eve', D2, 10.5, bareCode('store-nj-02'), 'store-nj-02');
    await enters('o-bob', D2, 11, scheme('sms-scheme'), 'sms-scheme');
    await enters('o-fay', D2, 12, plainScheme('plain-1'), 'plain-1');
    await enters('o-fay', D2, 13, link('spring-link'), 'spring-link');
    await enters('o-gus', D2, 14, inQuery('flyer.2023'), 'flyer.2023');
    // D3: hal new through the link; ivy new through a card, then a code (not her first touch); dan back through the old print
    await enters('o-hal', D3, 9, link('spring-link'), 'spring-link');
    await enters('o-ann', D3, 10, scheme('sms-scheme'), 'sms-scheme');
    await enters('o-ivy', D3, 12, { scene: 1007, query: {} });
    await enters('o-ivy', D3, 12.5, code('store-nj-01'), 'store-nj-01');
    await enters('o-dan', D3, 13, bareCode('old-print-7'), 'old-print-7');

    // the rollup runs a few minutes after the last entry: past the margin it gives writes still on their way (WRITE_MARGIN_MS)
    await advance('5m');
    expect((await fire(D3)).rolledUp).toEqual(dayRange(addDays(D3, -7), D3));
    for (const day of [D1, D2, D3]) await expectDayEqualsTruth(day);
    // what the loops say, written out for the day with the most: eve is one user of the store and of codes
    expect(readable((await rollupOf(D2)).byChannelGroup)).toEqual({
      nanjing: { entries: 3, users: 2, newUsers: 1, firstTouch: 1 },
      'campaign-spring': { entries: 2, users: 1, newUsers: 1, firstTouch: 1 },
    });
    expect((await rollupOf(D2)).byChannelKind.unknown).toEqual({ entries: 1, users: 1, newUsers: 1, firstTouch: 1 });
    expect((await rollupOf('2024-05-18')).byChannelKind).toEqual({});
  });

  test('an offline phone’s older entry moves a first touch: both days are rolled again, and count it where it now is', async () => {
    const before = (await rollupOf(D3)).byChannel['spring-link'];
    expect(before).toMatchObject({ newUsers: 1, firstTouch: 1 });
    // hal's phone was offline on D1 afternoon, when hal scanned the store's code: that was hal's first entry
    await advance('1h');
    await enters('o-hal', D1, 16, code('store-nj-01'), 'store-nj-01');
    await advance('5m');
    const run = await fire(D3);
    expect(run.rolledUp).toEqual([D1, D3]);
    for (const day of [D1, D2, D3]) await expectDayEqualsTruth(day);
    expect((await rollupOf(D3)).byChannel['spring-link']).toEqual({ entries: 1, users: 1, newUsers: 0, firstTouch: 0 });
    expect((await rollupOf(D1)).byChannel['store-nj-01']).toEqual({ entries: 2, users: 2, newUsers: 2, firstTouch: 2 });
  });
});

describe('admin channels', () => {
  const days = dayRange(D1, D3);
  /** Sums over the range's days of what `truthOf` counts each day. */
  const summed = (classOf: (key: string) => string | undefined): Map<string, { entries: number; userDays: number; newUsers: number; firstTouch: number }> => {
    const sums = new Map<string, { entries: number; userDays: number; newUsers: number; firstTouch: number }>();
    for (const day of days) {
      for (const [name, c] of Object.entries(truthOf(day, classOf))) {
        const sum = sums.get(name) ?? { entries: 0, userDays: 0, newUsers: 0, firstTouch: 0 };
        sums.set(name, { entries: sum.entries + c.entries, userDays: sum.userDays + c.users, newUsers: sum.newUsers + c.newUsers, firstTouch: sum.firstTouch + c.firstTouch });
      }
    }
    return sums;
  };
  const ranked = <T extends { entries: number }>(sums: Map<string, T>): [string, T][] => [...sums].sort(([ka, a], [kb, b]) => b.entries - a.entries || (ka < kb ? -1 : 1));
  /** A registry document as an answer shows it: its key and bookkeeping left out, read back as JSON. */
  const view = ({ _id: _key, updatedAt: _updatedAt, v: _v, ...shown }: ChannelDoc): unknown => JSON.parse(JSON.stringify(shown));

  test('each key joined with the registry, unknown keys apart, kinds, groups, first touches day by day and the dead poster', async () => {
    const answer = await admin({ action: 'channels', from: D1, to: D3 });
    const allEntries = sent.filter((entry) => days.includes(entry.day)).length;
    const keys = ranked(summed(byKey));
    expect(answer.channels).toEqual(
      keys.map(([key, sums]) => ({ key, ...sums, share: Math.round((sums.entries / allEntries) * 10_000) / 10_000, channel: REGISTERED.has(key) ? view(REGISTERED.get(key)!) : null })),
    );
    const unknown = keys.filter(([key]) => !REGISTERED.has(key));
    expect(unknown.map(([key]) => key).sort()).toEqual(['flyer.2023', 'old-print-7']);
    expect(answer.unknown).toEqual({ keys: 2, entries: unknown.reduce((n, [, sums]) => n + sums.entries, 0), channels: answer.channels.filter((row: any) => row.channel === null) });

    const registeredBy = (of: (doc: ChannelDoc) => string | undefined): Map<string, number> => {
      const counts = new Map<string, number>();
      for (const doc of REGISTRY) if (of(doc)) counts.set(of(doc)!, (counts.get(of(doc)!) ?? 0) + 1);
      return counts;
    };
    const classes = (classOf: (key: string) => string | undefined, of: (doc: ChannelDoc) => string | undefined): [string, Record<string, number>][] => {
      const sums = summed(classOf);
      const registered = registeredBy(of);
      for (const name of registered.keys()) if (!sums.has(name)) sums.set(name, { entries: 0, userDays: 0, newUsers: 0, firstTouch: 0 });
      return ranked(sums).map(([name, sum]) => [name, { ...sum, channels: registered.get(name) ?? 0 }]);
    };
    expect(answer.byKind).toEqual(classes(kindOf, (doc) => doc.kind).map(([kind, sums]) => ({ kind, ...sums })));
    expect(answer.byKind.map((row: any) => row.kind).sort()).toEqual(['plainscheme', 'unknown', 'urllink', 'urlscheme', 'wxacode']);
    expect(answer.byGroup).toEqual(classes(groupOf, (doc) => doc.group).map(([group, sums]) => ({ group, ...sums })));
    // nothing cut at the default limit: each count is its whole list's length
    expect(answer.keys).toBe(keys.length);
    expect(answer.groups).toBe(answer.byGroup.length);

    const firsts = [...firstTouches().values()].filter((first) => first.key !== undefined && days.includes(first.day));
    const followed = [...summed(byKey)]
      .filter(([, sums]) => sums.firstTouch > 0)
      .sort(([ka, a], [kb, b]) => b.firstTouch - a.firstTouch || (ka < kb ? -1 : 1))
      .slice(0, 5)
      .map(([key, sums]) => ({ key, ...(REGISTERED.has(key) ? { name: REGISTERED.get(key)!.name } : {}), firstTouch: sums.firstTouch, daily: days.map((day) => firsts.filter((first) => first.day === day && first.key === key).length) }));
    expect(answer.firstTouchSeries).toEqual({
      days,
      keys: new Set(firsts.map((first) => first.key)).size,
      channels: followed,
      others: days.map((day, i) => firsts.filter((first) => first.day === day).length - followed.reduce((n, row) => n + row.daily[i], 0)),
    });
    expect(answer.firstTouchSeries.channels[0]).toMatchObject({ key: 'store-nj-01', firstTouch: 3 });

    expect(answer.dead).toEqual({ from: addDays(D3, -6), to: D3, total: 1, channels: [{ key: 'dead-poster', ...(view(REGISTERED.get('dead-poster')!) as object) }], missingDays: [] });
    expect(answer).toMatchObject({ from: D1, to: D3, missingDays: [], daysToBackfill: [] });
  });

  test('today so far has its channels by kind and group too', async () => {
    await enters('o-jay', TODAY, 11, code('store-nj-02'), 'store-nj-02');
    const today = await admin({ action: 'today' });
    expect(today.rollup.byChannelGroup).toEqual({ nanjing: { entries: 1, users: 1, newUsers: 1, firstTouch: 1 } });
    expect(today.rollup.byChannelKind).toEqual({ wxacode: { entries: 1, users: 1, newUsers: 1, firstTouch: 1 } });
  });

  test('input is checked like every range, and only operators are answered', async () => {
    expect(await admin({ action: 'channels', from: D3, to: D1 })).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    expect(await admin({ action: 'channels', from: D1, to: D3, series: 21 })).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'series' } });
    expect(await admin({ action: 'channels', from: D1, to: D3, limit: 0 })).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'limit' } });
    expect(await admin({ action: 'channels', from: D1, to: D3, key: 'store-nj-01' })).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    expect(await admin({ action: 'channels', from: '2023-01-01', to: D3 })).toMatchObject({ error: { code: 'LIMIT_EXCEEDED' } });
    expect(await admin({ action: 'channels', from: D1, to: D3 }, 'o-ann')).toMatchObject({ error: { code: 'NOT_OPERATOR' } });
  });
});
