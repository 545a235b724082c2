/**
 * Codes and links on the simulated WeChat, through the real wx-server-sdk (from this process and
 * from the fixture function `messenger`): wxacode.getUnlimited's PNG and its checks,
 * urlscheme.generate and urllink.generate with their expiry and checks, and faults set on them.
 */
import fs from 'node:fs';
import path from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import cloud from 'wx-server-sdk';
import { emulatorNow, FIXTURE_PROJECT, invokeAs, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../../helpers/emulator';
import { call } from './helpers';

/** The fixture project names no appid: the simulated Mini Program's is the default. */
const APPID = 'wx0000000000000000';
const DAY_MS = 24 * 3600_000;

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
});

afterAll(async () => {
  await emulator?.stop();
});

type Answer = Record<string, unknown> & { errCode: number; errMsg?: string };
type OpenApi = Record<string, Record<string, (data: unknown) => Promise<Answer>>>;

/** A cloud call from this process, as an operator's code makes it (camelCase keys); a refusal answers its errCode instead of throwing. */
async function wx(api: string, data: Record<string, unknown>): Promise<Answer> {
  const [namespace, method] = api.split('.');
  try {
    return await (cloud.openapi as unknown as OpenApi)[namespace][method](data);
  } catch (error) {
    const { errCode, errMsg } = error as Answer;
    return { errCode, errMsg };
  }
}

/** What a QR code in a PNG says, read with a QR library the emulator does not share with the test's expectations. */
function qrText(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data;
}

/** The links the simulated WeChat remembers, from its state file. */
function rememberedLinks(): { ticket: string; kind: string; path: string; query: string; envVersion: string; createdAt: number; expiresAt: number }[] {
  const file = path.join(emulator.dataDir, 'wechat', 'state.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')).links ?? []) : [];
}

const ticketOf = (url: string): string => /(?:\?t=|wxaurl\.cn\/)([A-Za-z0-9]+)$/.exec(url)![1];

describe('wxacode.getUnlimited', () => {
  test('answers {contentType: image/png, buffer}: a real QR code, 430 px by default, of the appid, page, scene and version', async () => {
    const answer = await wx('wxacode.getUnlimited', { scene: 'rk_ch=store-7', page: 'pages/goods/detail' });
    expect(answer).toMatchObject({ errCode: 0, contentType: 'image/png', buffer: expect.any(Buffer) });
    const png = answer.buffer as Buffer;
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(PNG.sync.read(png)).toMatchObject({ width: 430, height: 430 });
    const text = new URL(qrText(png)!);
    expect(`${text.origin}${text.pathname}`).toBe('https://wxacode.rukou.invalid/');
    expect(Object.fromEntries(text.searchParams)).toEqual({ appid: APPID, page: 'pages/goods/detail', scene: 'rk_ch=store-7', env_version: 'release' });
  });

  test('width sets the side in px; a subpackage page, every allowed character of a 32-character scene, and the home page by default', async () => {
    const scene = "!#$&'()*+,/:;=?@-._~0123456789Az";
    expect(scene).toHaveLength(32);
    const answer = await wx('wxacode.getUnlimited', { scene, page: 'shop/pages/cart/cart', width: 280, envVersion: 'trial' });
    expect(PNG.sync.read(answer.buffer as Buffer)).toMatchObject({ width: 280, height: 280 });
    expect(Object.fromEntries(new URL(qrText(answer.buffer as Buffer)!).searchParams)).toMatchObject({ scene, page: 'shop/pages/cart/cart', env_version: 'trial' });
    const home = await wx('wxacode.getUnlimited', { scene: 'x', width: 1280 });
    expect(PNG.sync.read(home.buffer as Buffer)).toMatchObject({ width: 1280 });
    expect(new URL(qrText(home.buffer as Buffer)!).searchParams.get('page')).toBe('');
  });

  test('checkPath false takes a page the Mini Program does not have (yet)', async () => {
    const answer = await wx('wxacode.getUnlimited', { scene: 'x', page: 'pages/next/next', checkPath: false });
    expect(new URL(qrText(answer.buffer as Buffer)!).searchParams.get('page')).toBe('pages/next/next');
  });

  test('lineColor draws the code in that colour; isHyaline leaves its background transparent', async () => {
    const answer = await wx('wxacode.getUnlimited', { scene: 'x', lineColor: { r: '200', g: 0, b: 10 }, isHyaline: true });
    const image = PNG.sync.read(answer.buffer as Buffer);
    const pixels = [...Array(image.width * image.height).keys()].map((i) => [...image.data.subarray(i * 4, i * 4 + 4)].join(','));
    expect(new Set(pixels)).toEqual(new Set(['200,0,10,255', '255,255,255,0']));
  });

  test.each([
    ['no scene', {}],
    ['an empty scene', { scene: '' }],
    ['a scene of 33 characters', { scene: 'a'.repeat(33) }],
    ['a % (no URL-encoding)', { scene: 'a%20b' }],
    ['Chinese', { scene: '门店7' }],
    ['a space', { scene: 'a b' }],
    ['a number', { scene: 7 }],
  ])('40169: %s', async (_, data) => {
    expect(await wx('wxacode.getUnlimited', data)).toEqual({ errCode: 40169, errMsg: expect.stringContaining('invalid length for scene, or the data is not json string') });
  });

  test.each([
    ['a leading slash', { page: '/pages/index/index' }],
    ['a query', { page: 'pages/index/index?x=1' }],
    ['a page the Mini Program does not have', { page: 'pages/nope/nope' }],
    ['a query, even with checkPath false', { page: 'pages/index/index?x=1', checkPath: false }],
    ['a leading slash, even with checkPath false', { page: '/pages/next/next', checkPath: false }],
    ['no page at all but a number', { page: 7 }],
  ])('41030: %s', async (_, data) => {
    expect(await wx('wxacode.getUnlimited', { scene: 'x', ...data })).toEqual({ errCode: 41030, errMsg: expect.stringContaining('invalid page') });
  });

  test.each([
    ['an envVersion of none of release, trial, develop', { envVersion: 'beta' }],
    ['a width under 280', { width: 279 }],
    ['a width over 1280', { width: 1281 }],
    ['a width that is no number', { width: '430' }],
    ['a lineColor component over 255', { lineColor: { r: 256, g: 0, b: 0 } }],
  ])('40097: %s', async (_, data) => {
    expect(await wx('wxacode.getUnlimited', { scene: 'x', ...data })).toEqual({ errCode: 40097, errMsg: expect.stringContaining('invalid args') });
  });

  test('the checks go in order: scene, then page, then the rest', async () => {
    expect((await wx('wxacode.getUnlimited', { scene: '', page: '/x', width: 1 })).errCode).toBe(40169);
    expect((await wx('wxacode.getUnlimited', { scene: 'x', page: '/x', width: 1 })).errCode).toBe(41030);
  });
});

describe('urlscheme.generate and urllink.generate', () => {
  test('a scheme: openlink weixin://dl/business/?t=TICKET, remembered with its page, query, version and expiry', async () => {
    const now = await emulatorNow(emulator.url);
    const answer = await wx('urlscheme.generate', { jumpWxa: { path: 'pages/goods/detail', query: 'id=7&rk_ch=sms-1', envVersion: 'release' }, expireType: 1, expireInterval: 7 });
    expect(answer).toEqual({ errCode: 0, errMsg: 'openapi.urlscheme.generate:ok', openlink: expect.stringMatching(/^weixin:\/\/dl\/business\/\?t=[A-Za-z0-9]{11}$/) });
    const link = rememberedLinks().find((l) => l.ticket === ticketOf(answer.openlink as string))!;
    expect(link).toMatchObject({ kind: 'scheme', path: 'pages/goods/detail', query: 'id=7&rk_ch=sms-1', envVersion: 'release' });
    expect(link.expiresAt - link.createdAt).toBe(7 * DAY_MS);
    expect(link.createdAt).toBeGreaterThanOrEqual(now);
  });

  test('a link: url_link https://wxaurl.cn/TICKET (urlLink through the SDK), expiring at expireTime', async () => {
    const now = await emulatorNow(emulator.url);
    const expireTime = Math.floor(now / 1000) + 3 * 86400;
    const answer = await wx('urllink.generate', { path: '/shop/pages/cart/cart', query: 'rk_ch=mail-2', expireType: 0, expireTime });
    expect(answer).toEqual({ errCode: 0, errMsg: 'openapi.urllink.generate:ok', urlLink: expect.stringMatching(/^https:\/\/wxaurl\.cn\/[A-Za-z0-9]{11}$/) });
    const link = rememberedLinks().find((l) => l.ticket === ticketOf(answer.urlLink as string))!;
    expect(link).toMatchObject({ kind: 'link', path: 'shop/pages/cart/cart', query: 'rk_ch=mail-2', expiresAt: expireTime * 1000 });
  });

  test('past 30 days, WeChat gives 30 days rather than refusing (its announcement of 2022-03-09); no expiry at all is 30 days too', async () => {
    const now = await emulatorNow(emulator.url);
    const byInterval = await wx('urlscheme.generate', { jumpWxa: {}, expireType: 1, expireInterval: 90 });
    const byTime = await wx('urllink.generate', { expireType: 0, expireTime: Math.floor(now / 1000) + 200 * 86400 });
    const unsaid = await wx('urllink.generate', {});
    for (const url of [byInterval.openlink, byTime.urlLink, unsaid.urlLink]) {
      const link = rememberedLinks().find((l) => l.ticket === ticketOf(url as string))!;
      expect(link.expiresAt - link.createdAt).toBe(30 * DAY_MS);
      expect(link.path).toBe('');
    }
  });

  test.each([
    ['40165', 'a page the Mini Program does not have', { path: 'pages/nope/nope' }],
    ['40165', 'a path with a query', { path: 'pages/index/index?x=1' }],
    ['40212', 'a query with a space', { query: 'a=1 2' }],
    ['40212', 'a query with Chinese', { query: 'a=门店' }],
    ['40212', 'a query of 1,025 characters', { query: `a=${'b'.repeat(1023)}` }],
    ['40097', 'an envVersion of none of release, trial, develop', { envVersion: 'prod' }],
  ])('%s: %s', async (errcode, _, target) => {
    const errmsgs: Record<string, string> = { 40165: 'invalid weapp pagepath', 40212: 'invalid query', 40097: 'invalid args' };
    const expected = { errCode: Number(errcode), errMsg: expect.stringContaining(errmsgs[errcode]) };
    expect(await wx('urlscheme.generate', { jumpWxa: target, expireType: 1, expireInterval: 1 })).toEqual(expected);
    expect(await wx('urllink.generate', { ...target, expireType: 1, expireInterval: 1 })).toEqual(expected);
  });

  test('a query of 1,024 characters of the allowed set, % included, is taken', async () => {
    const query = `a=${"!#$&'()*+,/:;=?@-._~%".repeat(60)}`.slice(0, 1024);
    expect(query).toHaveLength(1024);
    expect((await wx('urllink.generate', { query, expireType: 1, expireInterval: 1 })).errCode).toBe(0);
  });

  test('85401: an expiry less than a minute or more than a year away, in the past, or a bad interval', async () => {
    const seconds = Math.floor((await emulatorNow(emulator.url)) / 1000);
    const cases = [
      { expireType: 0, expireTime: seconds - 3600 },
      { expireType: 0, expireTime: seconds + 30 },
      { expireType: 0, expireTime: seconds + 366 * 86400 },
      // milliseconds where seconds belong: the mistake developers report most
      { expireType: 0, expireTime: seconds * 1000 },
      { expireType: 0 },
      { expireType: 1, expireInterval: 0 },
      { expireType: 1, expireInterval: 1.5 },
      { expireType: 1, expireInterval: 366 },
      { expireType: 1 },
    ];
    for (const expiry of cases) {
      expect(await wx('urlscheme.generate', { jumpWxa: {}, ...expiry })).toEqual({ errCode: 85401, errMsg: expect.stringContaining('time limit between 1min and 1year') });
      expect((await wx('urllink.generate', expiry)).errCode).toBe(85401);
    }
  });

  test('40097: an expireType of neither 0 nor 1, or a jumpWxa that is no object', async () => {
    expect((await wx('urlscheme.generate', { expireType: 2, expireInterval: 1 })).errCode).toBe(40097);
    expect((await wx('urlscheme.generate', { jumpWxa: 'pages/index/index' })).errCode).toBe(40097);
  });
});

describe('from a function, with the permissions of its config.json', () => {
  test('a code\'s PNG reaches the function as {contentType, buffer}; a link as urlLink', async () => {
    const code = (await invokeAs(emulator.url, 'messenger', { api: 'wxacode.getUnlimited', data: { scene: 'rk_ch=a', page: 'pages/index/index' } }, { openid: 'o-operator' })).result as Answer;
    expect(code).toMatchObject({ errCode: 0, contentType: 'image/png', buffer: expect.any(String) });
    expect(new URL(qrText(Buffer.from(code.buffer as string, 'base64'))!).searchParams.get('scene')).toBe('rk_ch=a');
    const link = (await invokeAs(emulator.url, 'messenger', { api: 'urllink.generate', data: { path: 'pages/index/index', expireType: 1, expireInterval: 1 } }, { openid: 'o-operator' })).result as Answer;
    expect(link).toMatchObject({ errCode: 0, urlLink: expect.stringMatching(/^https:\/\/wxaurl\.cn\//) });
  });

  test('a function whose config.json does not list the API answers -604101', async () => {
    const answer = await invokeAs(emulator.url, 'opener', { op: 'openapi', api: 'urlscheme.generate', data: {} }, { openid: 'o-operator' });
    expect(answer.result).toMatchObject({ errCode: -604101 });
  });
});

describe('faults', () => {
  test.each([
    ['wxacode.getUnlimited', 45009, { scene: 'x' }],
    ['wxacode.getUnlimited', -1, { scene: 'x' }],
    ['urlscheme.generate', 45009, {}],
    ['urlscheme.generate', -1, {}],
    ['urllink.generate', 45009, {}],
    ['urllink.generate', -1, {}],
  ])('%s answers a fault %i set for it, once, then works again', async (api, errcode, data) => {
    expect(await call(emulator.url, 'POST', '/__rukou/wechat/faults', { api, errcode })).toMatchObject({ status: 200 });
    const before = rememberedLinks().length;
    expect((await wx(api, data)).errCode).toBe(errcode);
    expect(rememberedLinks()).toHaveLength(before);
    expect((await wx(api, data)).errCode).toBe(0);
  });
});
