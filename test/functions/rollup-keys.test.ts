/**
 * Keys that are special to JavaScript or to the database, sent by a client as channel keys and page
 * paths, travel through the real functions — track, rollup's backfill, admin — and come back as
 * sent: in the stored `rollups_daily` document escaped, in the admin's answers exactly. A page path
 * with a NUL is refused at the door and blinds no one.
 */
import cloud from 'wx-server-sdk';
import { invokeAs, MIDDAY, moveClock, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';

const OPERATOR = 'o-operator';
const APP = 'wx0000000000000000';
/** The day of the emulator's clock, which starts at MIDDAY: the entries' day for the whole suite, rolled up once it is over. */
const DAY = MIDDAY.slice(0, 10);

/** [what the client puts in rk_ch (query values arrive URL-encoded, and are decoded once), the channel key]. */
const CHANNELS: [string, string][] = [
  ['__proto__', '__proto__'],
  ['constructor', 'constructor'],
  ['toString', 'toString'],
  ['hasOwnProperty', 'hasOwnProperty'],
  ['a.b', 'a.b'],
  ['$x', '$x'],
  ['%252E', '%2E'],
  ['%25', '%'],
  ['%5F_proto__', '__proto__'],
];
const PAGES = ['__proto__', 'constructor', 'toString', 'a.b', '$x', '%2E', '%', '', 'pages/%24x.$y', '%5F_proto__', '首页'];

let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;
let seq = 0;

const admin = async (data: Record<string, unknown>): Promise<Record<string, unknown>> => (await invokeAs(emulator.url, 'admin', data, { openid: OPERATOR, appid: APP })).result as Record<string, unknown>;
const enter = (path: string, query: Record<string, string>): Record<string, unknown> => ({
  id: `evt-keys-${String((seq += 1)).padStart(4, '0')}`,
  seq,
  at: Date.parse(MIDDAY),
  type: 'enter',
  cold: true,
  options: { scene: 1047, path, query },
});

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, clock: MIDDAY, env: { RUKOU_OPERATORS: OPERATOR } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
  for (const name of ['events', 'users', 'rollups_daily']) await db.createCollection(name).catch(() => undefined);
});

afterAll(async () => {
  await emulator?.stop();
});

test('track → rollup backfill → admin: every key comes back as sent; the NUL path is refused and the day stays readable', async () => {
  const channelEvents = CHANNELS.map(([sent]) => enter('pages/index/index', { rk_ch: sent }));
  const pageEvents = PAGES.map((path) => enter(path, {}));
  const nul = enter('pages/a\u0000b', { rk_ch: 'nul' });
  const answer = (await invokeAs(emulator.url, 'track', { v: 1, events: [...channelEvents, nul, ...pageEvents] }, { openid: 'o-keys', appid: APP })).result as Record<string, unknown>;
  expect(answer).toEqual({
    accepted: [...channelEvents, ...pageEvents].map((e) => e.id),
    duplicates: [],
    rejected: [{ id: nul.id, code: 'INVALID_INPUT', message: expect.stringContaining('control character U+0000'), field: 'options.path' }],
    sharePrefix: expect.any(String),
  });
  expect(((await db.collection('events').where({ eventId: nul.id }).count()) as { total: number }).total).toBe(0);

  const expectedChannels = new Map<string, number>();
  for (const [, key] of CHANNELS) expectedChannels.set(key, (expectedChannels.get(key) ?? 0) + 1);
  // today so far answers the keys as sent too
  const today = (await admin({ action: 'today' })).rollup as { _id: string; byChannel: Record<string, { entries: number }> };
  expect(today._id).toBe(DAY);
  expect(new Map(Object.entries(today.byChannel).map(([key, counts]) => [key, counts.entries]))).toEqual(expectedChannels);

  // the day is over: a backfill rolls it up. A path is stored without its leading "/", so "" is the entry path of the events that had none
  await moveClock(emulator.url, { advance: '1d' });
  expect(await admin({ action: 'backfill', from: DAY, to: DAY })).toMatchObject({ rolledUp: [DAY], remaining: null });

  const doc = ((await db.collection('rollups_daily').doc(DAY).get()) as unknown as { data: Record<string, Record<string, unknown>> }).data;
  expect(Object.keys(doc.byChannel).sort()).toEqual(['%5F_proto__', 'constructor', 'toString', 'hasOwnProperty', 'a%2Eb', '%24x', '%252E', '%25'].sort());
  // the batch's first entry, through "__proto__", is the user's first touch
  expect(doc.byChannel['%5F_proto__']).toEqual({ entries: 2, users: 1, newUsers: 1, firstTouch: 1 });
  const storedPages = ['pages/index/index', '%5F_proto__', 'constructor', 'toString', 'a%2Eb', '%24x', '%252E', '%25', '%', 'pages/%2524x%2E%24y', '%255F_proto__', '首页'];
  expect(Object.keys(doc.byPage).sort()).toEqual(storedPages.sort());

  const channels = (await admin({ action: 'channels', from: DAY, to: DAY, limit: 100 })).channels as { key: string; entries: number }[];
  expect(new Map(channels.map((row) => [row.key, row.entries]))).toEqual(expectedChannels);

  const pages = (await admin({ action: 'topEntries', from: DAY, to: DAY, dimension: 'page', limit: 100 })).top as { key: string; entries: number }[];
  expect(new Map(pages.map((row) => [row.key, row.entries]))).toEqual(new Map([['pages/index/index', CHANNELS.length], ...PAGES.map((path): [string, number] => [path, 1])]));

  const totalEntries = channelEvents.length + pageEvents.length;
  expect(await admin({ action: 'overview', from: DAY, to: DAY })).toMatchObject({ totals: { entries: { value: totalEntries } }, missingDays: [] });
  expect(await admin({ action: 'shareFunnel', from: DAY, to: DAY })).toMatchObject({ funnel: { intents: 0 } });
});

test('an entry with a NUL path counted before the door refused them is counted, and the day stays readable', async () => {
  const event = enter('pages/to-be-poisoned', {});
  // the clock is a day past DAY (the suite's first test ended it): an offline phone's entry of DAY, sent now
  const sentAt = Date.parse(MIDDAY) + 86_400_000;
  expect((await invokeAs(emulator.url, 'track', { v: 1, sentAt, events: [event] }, { openid: 'o-before', appid: APP })).result).toMatchObject({ accepted: [event.id] });
  // its user-day holds the path escaped, as counting escapes every key (shared/keys.ts)
  await db.collection('user_days').where({ openid: 'o-before' }).update({ data: { byPage: db.command.set({ 'pages/a%00b': 1 }) } });
  expect(await admin({ action: 'backfill', from: DAY, to: DAY })).toMatchObject({ rolledUp: [DAY] });
  const doc = ((await db.collection('rollups_daily').doc(DAY).get()) as unknown as { data: { byPage: Record<string, unknown> } }).data;
  expect(doc.byPage['pages/a%00b']).toEqual({ entries: 1, users: 1, newUsers: 1 });
  const pages = (await admin({ action: 'topEntries', from: DAY, to: DAY, dimension: 'page', limit: 100 })).top as { key: string; entries: number }[];
  expect(pages.find((row) => row.key === 'pages/a\u0000b')).toMatchObject({ entries: 1 });
  expect(await admin({ action: 'overview', from: DAY, to: DAY })).toMatchObject({ missingDays: [] });
});
