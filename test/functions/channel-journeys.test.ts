/**
 * Channels end to end, the way an operator and their users meet them: the operator creates a code,
 * a scheme, a link and a plain scheme of each kind through the real `admin`; simulated users scan
 * the PNGs and open the links through the simulated WeChat's routes (`/__rukou/wechat/scan`,
 * `/__rukou/wechat/open`), and the real tracker on their simulated phones sends what WeChat
 * launched them with to the real `track`; the timer rolls the days up, and the rollup and `admin`
 * `channels` are checked against a truth counted here from the journeys alone.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- answers are JSON read back over the wire; the assertions are what check their shape */
import cloud from 'wx-server-sdk';
import type { EnterOptions } from '../../packages/rukou-tracker/src/tracker';
import { gateway, openedFrom, SimulatedPhone } from '../client/simulated-wx';
import { call } from '../emulator/wechat/helpers';
import { invokeAs, moveClock, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';

const APP = 'wx0000000000000000';
const OPERATOR = { openid: 'o-op', appid: APP };
const DAY = '2024-05-20';
const EARLIER = '2024-05-17';
const CREATED = '2024-05-12';
let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;

const admin = async (data: Record<string, unknown>, who: { openid: string; appid: string } = OPERATOR): Promise<any> => (await invokeAs(emulator.url, 'admin', data, who)).result;
const at = async (iso: string): Promise<void> => {
  expect((await moveClock(emulator.url, { set: new Date(iso).toISOString() })).status).toBe(200);
};

/** Each channel the operator makes: its kind and group, and what a user holds to come in through it. */
const CHANNELS = [
  { key: 'sz-luohu', name: '罗湖店海报', kind: 'wxacode', page: 'pages/index/index', group: '深圳' },
  { key: 'sz-nanshan', name: '南山店海报', kind: 'wxacode', page: 'pages/detail/detail', group: '深圳' },
  { key: 'sms-may', name: '五月短信', kind: 'urlscheme', page: 'pages/index/index', group: '短信' },
  { key: 'mail-may', name: '五月邮件', kind: 'urllink', page: 'pages/detail/detail' },
  { key: 'h5-banner', name: '官网横幅', kind: 'plainscheme', page: 'pages/index/index' },
  { key: 'stale-poster', name: '旧海报', kind: 'wxacode', page: 'pages/index/index', group: '深圳' },
] as const;
type Key = (typeof CHANNELS)[number]['key'] | 'old-print';
const created = new Map<string, any>();
/** A code printed before the registry existed: drawn by WeChat, never created through `admin`. */
let oldPrint: Buffer;

/** How a user comes in: scanning a code (and how), or opening a link, or an entry without a channel. */
type Way = { scan: Key; how?: 'scan' | 'longPress' | 'album' } | { open: Key } | { plain: number };
interface Journey {
  openid: string;
  day: string;
  way: Way;
}

async function pngOf(key: Key): Promise<Buffer> {
  if (key === 'old-print') return oldPrint;
  return (await cloud.downloadFile({ fileID: created.get(key).fileID })).fileContent;
}

/** What WeChat launches the Mini Program with for this way in, asked of the simulated WeChat as a phone would. */
async function launchOptions(openid: string, way: Way): Promise<EnterOptions> {
  if ('plain' in way) return { scene: way.plain, path: 'pages/index/index', query: {} };
  const answer =
    'scan' in way
      ? await call<any>(emulator.url, 'POST', '/__rukou/wechat/scan', { openid, image: (await pngOf(way.scan)).toString('base64'), how: way.how })
      : await call<any>(emulator.url, 'POST', '/__rukou/wechat/open', { openid, url: created.get(way.open).url });
  expect(answer.status).toBe(200);
  return answer.body as EnterOptions;
}

/** One visit on the user's phone: launched by WeChat, a page viewed, hidden, everything sent. */
async function visit(phones: Map<string, SimulatedPhone>, journey: Journey): Promise<EnterOptions> {
  const options = await launchOptions(journey.openid, journey.way);
  const phone = phones.get(journey.openid) ?? new SimulatedPhone(journey.openid, gateway(emulator.url, APP));
  phones.set(journey.openid, phone);
  phone.launch(options);
  phone.openPage(options.path ?? 'pages/index/index', {});
  await phone.advance(10_000);
  phone.hide();
  await phone.settle();
  phone.kill();
  return options;
}

const keyOf = (way: Way): Key | undefined => ('scan' in way ? way.scan : 'open' in way ? way.open : undefined);

const JOURNEYS: Journey[] = [
  // three days before: one user's first touch is a code, another's the pull-down bar
  { openid: 'o-ann', day: EARLIER, way: { scan: 'sz-luohu' } },
  { openid: 'o-bob', day: EARLIER, way: { plain: 1089 } },
  // the day: new users and returning ones, through every kind, a user through both Shenzhen codes
  { openid: 'o-ann', day: DAY, way: { scan: 'sz-nanshan', how: 'album' } },
  { openid: 'o-bob', day: DAY, way: { open: 'sms-may' } },
  { openid: 'o-cai', day: DAY, way: { scan: 'sz-luohu', how: 'longPress' } },
  { openid: 'o-cai', day: DAY, way: { scan: 'sz-nanshan' } },
  { openid: 'o-dan', day: DAY, way: { open: 'mail-may' } },
  { openid: 'o-eve', day: DAY, way: { open: 'h5-banner' } },
  { openid: 'o-eve', day: DAY, way: { open: 'sms-may' } },
  { openid: 'o-fay', day: DAY, way: { plain: 1001 } },
  { openid: 'o-fay', day: DAY, way: { scan: 'old-print' } },
  { openid: 'o-gil', day: DAY, way: { scan: 'old-print' } },
];

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, clock: `${CREATED}T12:00:00+08:00`, env: { RUKOU_OPERATORS: OPERATOR.openid, RUKOU_SHARE_SECRET: 'channel-journeys-share-secret-01' } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
});

afterAll(async () => {
  await emulator?.stop();
});

test('a client cannot create, list or change channels', async () => {
  const client = { openid: 'o-ann', appid: APP };
  for (const data of [{ action: 'createChannel', kind: 'plainscheme', key: 'mine', name: 'x', page: 'pages/index/index' }, { action: 'listChannels' }, { action: 'updateChannel', key: 'mine', name: 'y' }, { action: 'channels', from: DAY, to: DAY }]) {
    expect(await admin(data, client)).toMatchObject({ error: { code: 'NOT_OPERATOR' } });
  }
  expect(((await db.collection('channels').count()) as unknown as { total: number }).total).toBe(0);
});

test('codes and links of every kind bring users in, and the rollup and admin count each as the journeys say', async () => {
  for (const channel of CHANNELS) {
    const answer = await admin({ action: 'createChannel', ...channel, expireDays: 30 });
    expect(answer.channel).toMatchObject({ key: channel.key, kind: channel.kind });
    created.set(channel.key, answer.channel);
  }
  oldPrint = (await cloud.openapi.wxacode.getUnlimited({ scene: 'rk_ch=old-print', page: 'pages/index/index' })).buffer as Buffer;

  const phones = new Map<string, SimulatedPhone>();
  const launched: { journey: Journey; options: EnterOptions }[] = [];
  for (const day of [EARLIER, DAY]) {
    // a visit every quarter of an hour from noon: the server's clock moves on as the phones' do
    let next = Date.parse(`${day}T12:00:00+08:00`);
    for (const journey of JOURNEYS.filter((j) => j.day === day)) {
      await at(new Date(next).toISOString());
      next += 15 * 60_000;
      launched.push({ journey, options: await visit(phones, journey) });
    }
  }
  // WeChat's scenes for each way in, as §E says
  expect(launched.map(({ options }) => options.scene)).toEqual([1047, 1089, 1049, 1065, 1048, 1047, 1194, 1286, 1065, 1001, 1047, 1047]);

  await at('2024-05-21T00:17:00+08:00');
  const fired = (await call<any>(emulator.url, 'POST', '/triggers/rollup', { time: new Date('2024-05-21T00:17:00+08:00').toISOString() })).body;
  expect(fired.result.rolledUp).toEqual(expect.arrayContaining([EARLIER, DAY]));

  // the truth, from the journeys alone
  const kindOf = (key: Key): string => CHANNELS.find((c) => c.key === key)?.kind ?? 'unknown';
  const groupOf = (key: Key): string | undefined => (CHANNELS.find((c) => c.key === key) as { group?: string } | undefined)?.group;
  const firstDayOf = (openid: string): string => JOURNEYS.find((j) => j.openid === openid)!.day;
  const firstKeyOf = (openid: string): Key | undefined => keyOf(JOURNEYS.find((j) => j.openid === openid)!.way);
  function truth(day: string, label: (key: Key) => string | undefined): Record<string, { entries: number; users: number; newUsers: number; firstTouch: number }> {
    const out: Record<string, { entries: number; users: number; newUsers: number; firstTouch: number }> = {};
    const users = new Map<string, Set<string>>();
    for (const journey of JOURNEYS.filter((j) => j.day === day)) {
      const key = keyOf(journey.way);
      const name = key === undefined ? undefined : label(key);
      if (name === undefined) continue;
      out[name] ??= { entries: 0, users: 0, newUsers: 0, firstTouch: 0 };
      out[name].entries += 1;
      const seen = users.get(name) ?? new Set<string>();
      users.set(name, seen);
      if (seen.has(journey.openid)) continue;
      seen.add(journey.openid);
      out[name].users += 1;
      if (firstDayOf(journey.openid) === day) out[name].newUsers += 1;
      if (firstDayOf(journey.openid) === day && firstKeyOf(journey.openid) !== undefined && label(firstKeyOf(journey.openid)!) === name) out[name].firstTouch += 1;
    }
    return out;
  }
  const rollupOf = async (day: string): Promise<any> => ((await db.collection('rollups_daily').where({ _id: day }).get()) as unknown as { data: any[] }).data[0];
  for (const day of [EARLIER, DAY]) {
    const rollup = await rollupOf(day);
    expect(rollup.byChannel).toEqual(truth(day, (key) => key));
    expect(rollup.byChannelKind).toEqual(truth(day, kindOf));
    expect(rollup.byChannelGroup).toEqual(truth(day, groupOf));
  }
  // by hand, for the day: cai came through both Shenzhen codes, one user there; gil's and fay's old print is unknown
  expect((await rollupOf(DAY)).byChannelGroup['深圳']).toEqual({ entries: 3, users: 2, newUsers: 1, firstTouch: 1 });
  expect((await rollupOf(DAY)).byChannel['old-print']).toEqual({ entries: 2, users: 2, newUsers: 2, firstTouch: 1 });

  const stats = await admin({ action: 'channels', from: '2024-05-14', to: DAY });
  const rows = Object.fromEntries(stats.channels.map((row: any) => [row.key, [row.entries, row.userDays, row.newUsers, row.firstTouch, row.channel?.kind ?? null]]));
  expect(rows).toEqual({
    'sz-luohu': [2, 2, 2, 2, 'wxacode'],
    'sz-nanshan': [2, 2, 1, 0, 'wxacode'],
    'sms-may': [2, 2, 1, 0, 'urlscheme'],
    'mail-may': [1, 1, 1, 1, 'urllink'],
    'h5-banner': [1, 1, 1, 1, 'plainscheme'],
    'old-print': [2, 2, 2, 1, null],
  });
  expect(stats.unknown).toMatchObject({ keys: 1, entries: 2 });
  expect(stats.unknown.channels.map((row: any) => row.key)).toEqual(['old-print']);
  expect(stats.dead.channels.map((channel: any) => channel.key)).toEqual(['stale-poster']);
});

test('a link past its expiry fails as WeChat fails it; the one the nightly renewal made opens, and counts for the same channel', async () => {
  const sent = created.get('sms-may');
  // the renewal runs on the first night within three days of the 30 days' end; the url already sent stays the old one
  await at('2024-06-09T03:37:00+08:00');
  const renewal = (await call<any>(emulator.url, 'POST', '/triggers/admin', { time: new Date('2024-06-09T03:37:00+08:00').toISOString() })).body;
  expect(renewal.result.renewed).toEqual(expect.arrayContaining(['sms-may', 'mail-may']));
  const [renewed] = (await admin({ action: 'listChannels', kind: 'urlscheme' })).channels;
  expect(renewed).toMatchObject({ key: 'sms-may', expired: false });
  expect(renewed.url).not.toBe(sent.url);

  await at('2024-06-12T12:00:00+08:00');
  const expired = await call<any>(emulator.url, 'POST', '/__rukou/wechat/open', { openid: 'o-hal', url: sent.url });
  expect([expired.status, expired.body.code]).toEqual([400, 'LINK_EXPIRED']);
  const opened = await call<any>(emulator.url, 'POST', '/__rukou/wechat/open', { openid: 'o-hal', url: renewed.url });
  expect(opened.body).toMatchObject({ scene: 1065, path: 'pages/index/index', query: { rk_ch: 'sms-may' } });
  const phone = new SimulatedPhone('o-hal', gateway(emulator.url, APP));
  phone.launch(opened.body as EnterOptions);
  phone.hide();
  await phone.settle();
  const [entry] = ((await db.collection('events').where({ openid: 'o-hal', type: 'enter' }).get()) as unknown as { data: any[] }).data;
  expect(entry).toMatchObject({ scene: 1065, channel: 'sms-may', day: '2024-06-12' });
});

test('a card shared from a page a code opened credits the friend who opens it to the share, not to the poster', async () => {
  await at('2024-06-13T08:00:00+08:00');
  const scanned = await launchOptions('o-kay', { scan: 'sz-nanshan' });
  const sharer = new SimulatedPhone('o-kay', gateway(emulator.url, APP));
  sharer.launch(scanned);
  await sharer.settle();
  // WeChat's default card is the page with its options: the code's packed scene rides along
  const page = sharer.openPage(scanned.path!, scanned.query as Record<string, string>, { onShareAppMessage: () => ({ title: '南山店' }) });
  const sent = sharer.shareCard(page);
  await sharer.advance(3000);
  const card = await sent;
  expect(card.path).toContain(`scene=${encodeURIComponent('rk_ch=sz-nanshan')}`);
  sharer.hide();
  await sharer.settle();

  const friend = new SimulatedPhone('o-lee', gateway(emulator.url, APP));
  friend.launch(openedFrom(card.path, 1007, { chatType: 1 }));
  friend.hide();
  await friend.settle();
  const entries = ((await db.collection('events').where({ type: 'enter', day: '2024-06-13', openid: db.command.in(['o-kay', 'o-lee']) }).get()) as unknown as { data: any[] }).data;
  expect(Object.fromEntries(entries.map((entry) => [entry.openid, [entry.scene, entry.channel ?? null, entry.share?.isReturn ?? null]]))).toEqual({ 'o-kay': [1047, 'sz-nanshan', null], 'o-lee': [1007, null, true] });
});

test('a key named like what every JavaScript object inherits counts in every batch, not only the first of the day', async () => {
  const { channel } = await admin({ action: 'createChannel', kind: 'plainscheme', key: 'toLocaleString', name: '怪名字', page: 'pages/index/index' });
  const phones = new Map<string, SimulatedPhone>();
  await at('2024-06-13T09:00:00+08:00');
  created.set('toLocaleString', channel);
  // jon's day starts without a channel: the key is new to his user-day in a later batch
  const ways: [string, Way][] = [['o-ivy', { open: 'toLocaleString' as Key }], ['o-ivy', { open: 'toLocaleString' as Key }], ['o-jon', { plain: 1001 }], ['o-jon', { open: 'toLocaleString' as Key }]];
  for (const [openid, way] of ways) await visit(phones, { openid, day: '2024-06-13', way });
  const userDays = ((await db.collection('user_days').where({ day: '2024-06-13', openid: db.command.in(['o-ivy', 'o-jon']) }).get()) as unknown as { data: any[] }).data;
  expect(Object.fromEntries(userDays.map((doc) => [doc.openid, doc.byChannel]))).toEqual({ 'o-ivy': { toLocaleString: 2 }, 'o-jon': { toLocaleString: 1 } });
});

test('the registry holds at most 10,000 channels, what the rollup reads: past them a channel is refused, not made unknown', async () => {
  const total = async (): Promise<number> => ((await db.collection('channels').count()) as unknown as { total: number }).total;
  const now = new Date();
  for (let n = await total(); n < 9_999; ) {
    const batch = Array.from({ length: Math.min(1_000, 9_999 - n) }, (_, i) => ({ _id: `filler-${n + i}`, name: 'filler', kind: 'plainscheme', page: 'pages/index/index', tags: [], archived: true, envVersion: 'release', createdAt: now, updatedAt: now, v: 1 }));
    await db.collection('channels').add({ data: batch });
    n += batch.length;
  }
  const row = (key: string): string => `${key},横幅,plainscheme,pages/index/index`;
  const bulk = await admin({ action: 'createChannels', csv: ['key,name,kind,page', row('last-place'), row('one-too-many')].join('\n') });
  expect(bulk.results.map((result: any) => [result.key, result.channel?.key ?? result.error.code])).toEqual([
    ['last-place', 'last-place'],
    ['one-too-many', 'LIMIT_EXCEEDED'],
  ]);
  expect(await admin({ action: 'createChannel', kind: 'plainscheme', key: 'still-too-many', name: 'x', page: 'pages/index/index' })).toMatchObject({ error: { code: 'LIMIT_EXCEEDED' } });
  expect(await total()).toBe(10_000);
});
