/**
 * Channels through the real `admin`, the emulator, its simulated WeChat and the real wx-server-sdk:
 * codes, schemes, links and plain schemes created (the PNG in storage, links with their expiry),
 * keys refused before WeChat is asked, WeChat's refusals explained with nothing stored, many
 * channels from a CSV, listing, updating and archiving, the daily renewal on the emulator's clock,
 * and callers who are not operators refused.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import cloud from 'wx-server-sdk';
import { parseEntry } from '../../shared/entry';
import type { ChannelDoc } from '../../shared/model';
import { emulatorNow, invokeAs, MIDDAY, moveClock, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';
import { call } from '../emulator/wechat/helpers';

const APP = 'wx0000000000000000';
const OPERATOR = { openid: 'o-op', appid: APP };
const STRANGER = { openid: 'o-stranger', appid: APP };
const DAY_MS = 86_400_000;
const TOKEN = 'channels-suite-dashboard-token';
let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;

type Answer = Record<string, unknown> & { error?: { code: string; message: string; field?: string } };
interface Channel {
  key: string;
  kind: string;
  fileID?: string;
  tempFileURL?: string;
  url?: string;
  expiresAt?: string;
  v: number;
  [field: string]: unknown;
}
interface Call {
  api: string;
  request: Record<string, unknown>;
  errCode: number;
}

const admin = async (data: Record<string, unknown>, who: { openid: string; appid?: string; source?: string } = OPERATOR): Promise<Answer> => (await invokeAs(emulator.url, 'admin', data, who)).result as Answer;
const create = async (data: Record<string, unknown>): Promise<Channel> => {
  const answer = await admin({ action: 'createChannel', ...data });
  if (!answer.channel) throw new Error(`not created: ${JSON.stringify(answer)}`);
  return answer.channel as Channel;
};

/** The cloud calls `admin` made to WeChat, oldest first. */
const weChatCalls = async (): Promise<Call[]> => (await call<{ calls: Call[] }>(emulator.url, 'GET', '/__rukou/openapi/calls?function=admin')).body.calls;
const stored = async (key: string): Promise<ChannelDoc | undefined> => ((await db.collection('channels').where({ _id: key }).get()) as unknown as { data: ChannelDoc[] }).data[0];

/** Files in the emulator's storage, every environment. */
function storedFiles(): number {
  const root = path.join(emulator.dataDir, 'storage');
  return fs.existsSync(root) ? fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).length : 0;
}

/** The links the simulated WeChat generated, with their expiry (its state file). */
function weChatLinks(): { ticket: string; kind: string; path: string; query: string; expiresAt: number }[] {
  const file = path.join(emulator.dataDir, 'wechat', 'state.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')).links ?? []) : [];
}
const ticketOf = (url: string): string => /(?:\?t=|wxaurl\.cn\/)([A-Za-z0-9]+)$/.exec(url)![1];

/** What a phone's scanner reads in a code: the simulated code's text (its README), read with a QR library. */
function scanned(png: Buffer): URLSearchParams {
  const image = PNG.sync.read(png);
  return new URL(jsQR(new Uint8ClampedArray(image.data), image.width, image.height)!.data).searchParams;
}

/** Nothing of `key` was stored or uploaded, and WeChat was not asked (or was asked and refused), while `work` ran. */
async function leavesNothing(key: string, work: () => Promise<Answer>): Promise<{ answer: Answer; calls: Call[] }> {
  const [files, before] = [storedFiles(), (await weChatCalls()).length];
  const answer = await work();
  expect(await stored(key)).toBeUndefined();
  expect(storedFiles()).toBe(files);
  return { answer, calls: (await weChatCalls()).slice(before) };
}

beforeAll(async () => {
  // the timers run on the emulator's clock: the renewal is the real daily trigger, fired by moving it
  emulator = await startEmulator({ clock: MIDDAY, env: { RUKOU_OPERATORS: OPERATOR.openid, RUKOU_ADMIN_TOKEN_SHA256: createHash('sha256').update(TOKEN).digest('hex') } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
});

afterAll(async () => {
  await emulator?.stop();
});

describe('creating a channel of each kind', () => {
  test('a code: WeChat draws it with scene rk_ch=<key>, the PNG is in storage, its fileID kept and a temporary URL answered', async () => {
    const channel = await create({ kind: 'wxacode', key: 'store-12', name: '南山店', page: 'pages/detail/detail', group: '深圳', tags: ['spring'] });
    expect(channel).toMatchObject({ key: 'store-12', name: '南山店', kind: 'wxacode', page: 'pages/detail/detail', group: '深圳', tags: ['spring'], archived: false, envVersion: 'release', v: 1 });
    expect(channel.fileID).toMatch(/^cloud:\/\/.+\/rukou\/channels\/store-12\/[0-9a-f]{12}\.png$/);
    const [asked] = (await weChatCalls()).filter((c) => c.api === 'wxacode.getUnlimited');
    expect(asked).toMatchObject({ errCode: 0, request: { scene: 'rk_ch=store-12', page: 'pages/detail/detail', check_path: true, env_version: 'release' } });

    const { fileContent } = await cloud.downloadFile({ fileID: channel.fileID! });
    expect(fileContent.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const downloaded = Buffer.from(await (await fetch(channel.tempFileURL!)).arrayBuffer());
    expect(downloaded).toEqual(fileContent);
    // the code, scanned, opens the page with the scene the tracker reads the channel from
    const code = scanned(fileContent);
    expect([code.get('page'), code.get('scene')]).toEqual(['pages/detail/detail', 'rk_ch=store-12']);
    expect(parseEntry({ scene: 1047, path: code.get('page'), query: { scene: encodeURIComponent(code.get('scene')!) } }, true)).toMatchObject({ channel: 'store-12' });

    expect(await stored('store-12')).toMatchObject({ _id: 'store-12', kind: 'wxacode', fileID: channel.fileID, archived: false, v: 1 });
  });

  test('a URL scheme and a URL link: rk_ch=<key> in their query, their expiry stored and shown', async () => {
    const now = await emulatorNow(emulator.url);
    const scheme = await create({ kind: 'urlscheme', key: 'sms-may', name: '五月短信', page: 'pages/index/index', expireDays: 7 });
    const link = await create({ kind: 'urllink', key: 'web-may', name: '官网', page: '/pages/detail/detail', envVersion: 'trial' });
    expect(scheme.url).toMatch(/^weixin:\/\/dl\/business\/\?t=[A-Za-z0-9]+$/);
    expect(link.url).toMatch(/^https:\/\/wxaurl\.cn\/[A-Za-z0-9]+$/);
    expect([scheme, link].map((c) => [c.expireDays, c.expired])).toEqual([
      [7, false],
      [30, false],
    ]);
    // WeChat's expiry and the one Rukou shows are the same instant, give or take the call
    for (const [channel, days] of [[scheme, 7], [link, 30]] as const) {
      const generated = weChatLinks().find((l) => l.ticket === ticketOf(channel.url!))!;
      expect(generated.query).toBe(`rk_ch=${channel.key}`);
      expect(Math.abs(Date.parse(channel.expiresAt!) - generated.expiresAt)).toBeLessThan(5_000);
      expect(Date.parse(channel.expiresAt!) - now).toBeGreaterThanOrEqual(days * DAY_MS);
      expect(Date.parse(channel.expiresAt!) - now).toBeLessThan(days * DAY_MS + 60_000);
      expect(new Date((await stored(channel.key))!.expiresAt!).toISOString()).toBe(channel.expiresAt);
    }
    const calls = await weChatCalls();
    expect(calls.find((c) => c.api === 'urlscheme.generate')?.request).toEqual({ jump_wxa: { path: 'pages/index/index', query: 'rk_ch=sms-may', env_version: 'release' }, expire_type: 1, expire_interval: 7 });
    expect(calls.find((c) => c.api === 'urllink.generate')?.request).toEqual({ path: 'pages/detail/detail', query: 'rk_ch=web-may', env_version: 'trial', expire_type: 1, expire_interval: 30 });
  });

  test('a plain scheme: built by Rukou for the caller\'s Mini Program, no call to WeChat, no expiry', async () => {
    const before = (await weChatCalls()).length;
    const channel = await create({ kind: 'plainscheme', key: 'qr-ad', name: '公众号文章', page: 'pages/index/index' });
    expect(channel.url).toBe(`weixin://dl/business/?appid=${APP}&path=pages/index/index&query=rk_ch%3Dqr-ad&env_version=release`);
    expect(channel).not.toHaveProperty('expiresAt');
    expect(await weChatCalls()).toHaveLength(before);
    // over HTTP access there is no APPID: the operator is told to set RUKOU_APPID
    const http = { httpMethod: 'POST', path: '/admin', headers: { authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ action: 'createChannel', kind: 'plainscheme', key: 'qr-http', name: 'x', page: 'pages/index/index' }) };
    const answer = (await invokeAs(emulator.url, 'admin', http, { openid: '', source: 'wx_http' })).result as { statusCode: number; body: string };
    expect([answer.statusCode, JSON.parse(answer.body)]).toEqual([400, { error: { code: 'INVALID_INPUT', field: 'kind', message: expect.stringContaining('RUKOU_APPID') } }]);
    expect(await stored('qr-http')).toBeUndefined();
  });
});

describe('keys', () => {
  test.each([
    ['27 characters', 'k'.repeat(27)],
    ['an ampersand', 'a&b'],
    ['Chinese', '南山店'],
    ['a space', 'store 12'],
    ['a percent-encoding', 'a%26b'],
  ])('a key with %s is refused with the rule, nothing written and WeChat never asked', async (_, key) => {
    const { answer, calls } = await leavesNothing(key, () => admin({ action: 'createChannel', kind: 'wxacode', key, name: 'x', page: 'pages/index/index' }));
    expect(answer).toEqual({ error: { code: 'INVALID_INPUT', field: 'key', message: expect.stringContaining('1–26 letters, digits, _ or -') } });
    expect(calls).toEqual([]);
  });

  test('a taken key is refused before WeChat is asked, whatever the kind', async () => {
    const before = await stored('store-12');
    const calls = (await weChatCalls()).length;
    for (const kind of ['wxacode', 'urllink']) {
      expect(await admin({ action: 'createChannel', kind, key: 'store-12', name: 'again', page: 'pages/index/index' })).toEqual({ error: { code: 'CONFLICT', field: 'key', message: expect.stringContaining('"store-12" is taken') } });
    }
    expect(await weChatCalls()).toHaveLength(calls);
    expect(await stored('store-12')).toEqual(before);
  });

  test('two creates of one new key at once make one channel; the other is refused and its PNG deleted', async () => {
    const files = storedFiles();
    const both = await Promise.all([1, 2].map((n) => admin({ action: 'createChannel', kind: 'wxacode', key: 'race-1', name: `racer ${n}`, page: 'pages/index/index' })));
    const made = both.filter((answer) => answer.channel).map((answer) => answer.channel as Channel);
    expect(made).toHaveLength(1);
    expect(both.filter((answer) => answer.error?.code === 'CONFLICT')).toHaveLength(1);
    expect((await stored('race-1'))?.fileID).toBe(made[0].fileID);
    expect(storedFiles()).toBe(files + 1);
  });
});

describe('WeChat\'s refusals, explained, with nothing stored', () => {
  test.each([
    ['wxacode', 'wxacode.getUnlimited', 40169, 'INVALID_INPUT', 'key'],
    ['wxacode', 'wxacode.getUnlimited', 41030, 'INVALID_INPUT', 'page'],
    ['wxacode', 'wxacode.getUnlimited', 45009, 'LIMIT_EXCEEDED', undefined],
    ['wxacode', 'wxacode.getUnlimited', -1, 'UPSTREAM', undefined],
    ['urlscheme', 'urlscheme.generate', 45009, 'LIMIT_EXCEEDED', undefined],
    ['urllink', 'urllink.generate', -1, 'UPSTREAM', undefined],
    ['urllink', 'urllink.generate', 85079, 'UPSTREAM', undefined],
  ])('%s: %s answering %s is %s', async (kind, api, errcode, code, field) => {
    const key = `fault-${kind}-${String(errcode).replace('-', 'm')}`;
    await call(emulator.url, 'POST', '/__rukou/wechat/faults', { api, errcode, times: 1 });
    const { answer, calls } = await leavesNothing(key, () => admin({ action: 'createChannel', kind, key, name: 'x', page: 'pages/index/index' }));
    expect(answer).toEqual({ error: { code, message: expect.stringMatching(new RegExp(`${errcode}.*Nothing was created`)), ...(field ? { field } : {}) } });
    expect(calls.map((c) => [c.api, c.errCode])).toEqual([[api, errcode]]);
  });

  test('a page the Mini Program does not have: WeChat\'s own 41030, explained; with checkPath false the code is made', async () => {
    const { answer } = await leavesNothing('soon-1', () => admin({ action: 'createChannel', kind: 'wxacode', key: 'soon-1', name: 'x', page: 'pages/launch/launch' }));
    expect(answer).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'page', message: expect.stringContaining('checkPath false') } });
    expect(await create({ kind: 'wxacode', key: 'soon-1', name: 'x', page: 'pages/launch/launch', checkPath: false })).toMatchObject({ key: 'soon-1', fileID: expect.any(String) });
  });
});

describe('many channels from a CSV', () => {
  test('one call answers each row: the good ones created, each bad one refused alone, in row order', async () => {
    const csv = [
      'key,name,kind,page,group,tags',
      'csv-code,"罗湖店, 1F",wxacode,pages/index/index,深圳,poster|spring',
      'csv-link,邮件,urllink,pages/detail/detail,,mail',
      'bad key,坏,wxacode,pages/index/index,,',
      'csv-plain,明文,plainscheme,pages/index/index,,',
      'csv-kind,未知,qrcode,pages/index/index,,',
      'store-12,重复,wxacode,pages/index/index,,',
      'csv-quote,"没关,wxacode,pages/index/index,,',
      'csv-page,没有的页,wxacode,pages/nope/nope,,',
      'csv-code,再来,urlscheme,pages/index/index,,',
      'csv-scheme,短信,urlscheme,pages/index/index,广州,',
    ].join('\r\n');
    const before = (await weChatCalls()).length;
    const answer = await admin({ action: 'createChannels', csv, expireDays: 10 });
    expect(answer).toMatchObject({ created: 4, failed: 6 });
    const results = answer.results as { row: number; key?: string; channel?: Channel; error?: { code: string; field?: string } }[];
    expect(results.map((r) => [r.row, r.key, r.channel ? 'created' : `${r.error?.code} ${r.error?.field}`])).toEqual([
      [2, 'csv-code', 'created'],
      [3, 'csv-link', 'created'],
      [4, undefined, 'INVALID_INPUT key'],
      [5, 'csv-plain', 'created'],
      [6, 'csv-kind', 'INVALID_INPUT kind'],
      [7, 'store-12', 'CONFLICT key'],
      [8, undefined, 'INVALID_INPUT csv'],
      [9, 'csv-page', 'INVALID_INPUT page'],
      [10, 'csv-code', 'CONFLICT key'],
      [11, 'csv-scheme', 'created'],
    ]);
    expect(results[0].channel).toMatchObject({ name: '罗湖店, 1F', group: '深圳', tags: ['poster', 'spring'], fileID: expect.any(String), tempFileURL: expect.any(String) });
    expect(results[1].channel).toMatchObject({ expireDays: 10 });
    for (const key of ['csv-code', 'csv-link', 'csv-plain', 'csv-scheme']) expect(await stored(key)).toBeDefined();
    for (const key of ['csv-kind', 'csv-quote', 'csv-page']) expect(await stored(key)).toBeUndefined();
    expect((await stored('store-12'))?.name).toBe('南山店');
    // WeChat was asked only for the rows that could be channels: two codes (one it refused), a link and a scheme
    expect((await weChatCalls()).slice(before).map((c) => c.api).sort()).toEqual(['urllink.generate', 'urlscheme.generate', 'wxacode.getUnlimited', 'wxacode.getUnlimited']);
  });

  test('after WeChat\'s 45009 no row is started: those not tried say so, and nothing of a failed row is stored', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => ({ key: `burst-${i}`, name: `burst ${i}`, kind: 'urllink', page: 'pages/index/index' }));
    await call(emulator.url, 'POST', '/__rukou/wechat/faults', { api: 'urllink.generate', errcode: 45009, times: 1 });
    const answer = await admin({ action: 'createChannels', rows });
    const results = answer.results as { row: number; channel?: Channel; error?: { code: string; message: string } }[];
    expect(results.map((r) => r.row)).toEqual(rows.map((_, i) => i));
    expect(results.filter((r) => r.error?.message.includes('45009'))).toHaveLength(1);
    expect(results.filter((r) => r.error?.message.startsWith('Not tried')).length).toBeGreaterThan(0);
    for (const result of results) {
      if (result.error) expect(result.error.code).toBe('LIMIT_EXCEEDED');
      expect(Boolean(await stored(rows[result.row].key))).toBe(Boolean(result.channel));
    }
  });

  test('more than 100 rows is refused as a whole', async () => {
    const csv = ['key,name,kind,page', ...Array.from({ length: 101 }, (_, i) => `many-${i},n,plainscheme,pages/index/index`)].join('\n');
    expect(await admin({ action: 'createChannels', csv })).toEqual({ error: { code: 'LIMIT_EXCEEDED', field: 'csv', message: expect.stringContaining('at most 100') } });
    expect(await stored('many-0')).toBeUndefined();
  });
});

describe('listing and updating', () => {
  test('listChannels: codes with a fresh temporary URL, links with their expiry; by kind and group; page by page', async () => {
    const all = (await admin({ action: 'listChannels' })).channels as Channel[];
    const keys = all.map((c) => c.key);
    expect(keys).toEqual([...keys].sort());
    expect(keys).toEqual(expect.arrayContaining(['store-12', 'sms-may', 'web-may', 'qr-ad', 'csv-code']));
    for (const channel of all.filter((c) => c.kind === 'wxacode')) expect((await fetch(channel.tempFileURL!)).status).toBe(200);
    for (const channel of all.filter((c) => c.kind === 'urlscheme' || c.kind === 'urllink')) expect(channel).toMatchObject({ expiresAt: expect.any(String), expired: false });

    expect(((await admin({ action: 'listChannels', kind: 'urlscheme' })).channels as Channel[]).every((c) => c.kind === 'urlscheme')).toBe(true);
    expect(((await admin({ action: 'listChannels', group: '深圳' })).channels as Channel[]).map((c) => c.key)).toEqual(['csv-code', 'store-12']);

    const pages: string[][] = [];
    let after: string | undefined;
    do {
      const page: Answer = await admin({ action: 'listChannels', limit: 4, ...(after ? { after } : {}) });
      pages.push((page.channels as Channel[]).map((c) => c.key));
      after = page.next as string | undefined;
    } while (after);
    expect(pages.flat()).toEqual(keys);
    expect(pages.slice(0, -1).every((page) => page.length === 4)).toBe(true);
  });

  test('updateChannel renames, regroups and retags; the key, kind and page never change; a stale version is refused', async () => {
    const { channel } = (await admin({ action: 'updateChannel', key: 'store-12', name: '南山店（新）', group: null, tags: ['summer'], v: 1 })) as { channel: Channel };
    expect(channel).toMatchObject({ key: 'store-12', name: '南山店（新）', tags: ['summer'], v: 2, tempFileURL: expect.any(String) });
    expect(channel).not.toHaveProperty('group');
    expect(await stored('store-12')).not.toHaveProperty('group');
    expect(await admin({ action: 'updateChannel', key: 'store-12', name: 'late', v: 1 })).toEqual({ error: { code: 'CONFLICT', field: 'v', message: expect.stringContaining('at 2') } });
    expect(await admin({ action: 'updateChannel', key: 'store-12', kind: 'urllink' })).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'kind' } });
    expect(await admin({ action: 'updateChannel', key: 'store-12', page: 'pages/index/index' })).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'page' } });
    expect(await admin({ action: 'updateChannel', key: 'no-such', name: 'x' })).toMatchObject({ error: { code: 'NOT_FOUND', field: 'key' } });
    expect(await stored('store-12')).toMatchObject({ name: '南山店（新）', kind: 'wxacode', page: 'pages/detail/detail', v: 2 });
    // sent again as it is now: nothing to write, and the version seen stays the channel's
    const before = await stored('store-12');
    expect(await admin({ action: 'updateChannel', key: 'store-12', name: '南山店（新）', group: null, tags: ['summer'], v: 2 })).toMatchObject({ channel: { name: '南山店（新）', v: 2 } });
    expect(await stored('store-12')).toEqual(before);
  });

  test('archived channels leave the list unless asked for, and come back when unarchived', async () => {
    const listed = async (includeArchived: boolean): Promise<string[]> => ((await admin({ action: 'listChannels', includeArchived })).channels as Channel[]).map((c) => c.key);
    expect(await admin({ action: 'updateChannel', key: 'qr-ad', archived: true })).toMatchObject({ channel: { archived: true } });
    expect(await listed(false)).not.toContain('qr-ad');
    expect(await listed(true)).toContain('qr-ad');
    await admin({ action: 'updateChannel', key: 'qr-ad', archived: false });
    expect(await listed(false)).toContain('qr-ad');
  });
});

describe('the daily renewal', () => {
  test('moving the clock fires it: links that expire within 3 days get a new url and expiry; others, codes and archived ones are left', async () => {
    const short = await create({ kind: 'urlscheme', key: 'renew-5', name: '5 days', page: 'pages/index/index', expireDays: 5 });
    await create({ kind: 'urllink', key: 'renew-arch', name: 'archived', page: 'pages/index/index', expireDays: 5 });
    await admin({ action: 'updateChannel', key: 'renew-arch', archived: true });
    const untouched = await Promise.all(['sms-may', 'web-may', 'renew-arch', 'store-12'].map(stored));

    // three nights' runs at 03:37: renew-5, made at noon for 5 days, is within 3 days of its expiry at the third
    const moved = await moveClock(emulator.url, { advance: '3d1h' });
    const runs = (moved.fired ?? []).filter((fired) => fired.function === 'admin');
    expect(runs.map((run) => [run.trigger, new Date(run.time).toISOString().slice(11, 16)])).toEqual([
      ['renewChannels', '19:37'],
      ['renewChannels', '19:37'],
      ['renewChannels', '19:37'],
    ]);
    expect(runs.map((run) => run.result)).toEqual([
      { renewed: [], failed: [], done: true },
      { renewed: [], failed: [], done: true },
      { renewed: ['renew-5'], failed: [], done: true },
    ]);

    const renewed = (await stored('renew-5'))!;
    expect(renewed.url).not.toBe(short.url);
    expect(renewed.v).toBe(2);
    const generated = weChatLinks().find((l) => l.ticket === ticketOf(renewed.url!))!;
    expect(generated).toMatchObject({ kind: 'scheme', query: 'rk_ch=renew-5' });
    expect(Math.abs(new Date(renewed.expiresAt!).getTime() - generated.expiresAt)).toBeLessThan(5_000);
    expect(new Date(renewed.expiresAt!).getTime() - Date.parse(runs[2].time)).toBeGreaterThanOrEqual(5 * DAY_MS);
    expect(await Promise.all(['sms-may', 'web-may', 'renew-arch', 'store-12'].map(stored))).toEqual(untouched);
  });

  test('a link WeChat refuses to renew is left as it was and tried again the next day', async () => {
    await create({ kind: 'urllink', key: 'renew-busy', name: 'busy', page: 'pages/index/index', expireDays: 3 });
    const before = await stored('renew-busy');
    await call(emulator.url, 'POST', '/__rukou/wechat/faults', { api: 'urllink.generate', errcode: -1, times: 1 });
    const first = (await moveClock(emulator.url, { advance: '1d' })).fired?.find((fired) => fired.function === 'admin');
    expect(first?.result).toMatchObject({ renewed: [], failed: [{ key: 'renew-busy', error: { code: 'UPSTREAM' } }] });
    expect(await stored('renew-busy')).toEqual(before);
    const second = (await moveClock(emulator.url, { advance: '1d' })).fired?.find((fired) => fired.function === 'admin');
    expect(second?.result).toMatchObject({ renewed: expect.arrayContaining(['renew-busy']), failed: [] });
    expect((await stored('renew-busy'))?.v).toBe(2);
  });
});

describe('who may', () => {
  test('a client cannot create, list or update channels, nor run the renewal by sending a timer\'s event', async () => {
    const calls = (await weChatCalls()).length;
    for (const data of [
      { action: 'createChannel', kind: 'urllink', key: 'mine-1', name: 'x', page: 'pages/index/index' },
      { action: 'createChannels', csv: 'key,name,kind,page\nmine-2,x,plainscheme,pages/index/index' },
      { action: 'listChannels' },
      { action: 'updateChannel', key: 'store-12', name: 'hacked' },
      { Type: 'Timer', TriggerName: 'renewChannels', Time: new Date(await emulatorNow(emulator.url)).toISOString() },
    ]) {
      expect(await admin(data, STRANGER)).toMatchObject({ error: { code: 'NOT_OPERATOR' } });
    }
    for (const key of ['mine-1', 'mine-2']) expect(await stored(key)).toBeUndefined();
    expect((await stored('store-12'))?.name).toBe('南山店（新）');
    expect(await weChatCalls()).toHaveLength(calls);
    // an operator's timer-shaped event is no timer either: only the trigger's SOURCE is
    expect(await admin({ Type: 'Timer', TriggerName: 'renewChannels', Time: new Date().toISOString() })).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'action' } });
  });
});
