/**
 * A simulated user with the codes and links of the simulated WeChat: PNGs made by
 * wxacode.getUnlimited (through the real SDK) scanned back through POST /__rukou/wechat/scan, and
 * schemes and links opened through POST /__rukou/wechat/open, with the enter options WeChat
 * launches the Mini Program with, expiry on the emulator's clock (moved, never waited for),
 * unknown links, plain schemes, and what is no code or no link.
 */
import { PNG } from 'pngjs';
import { toBuffer } from 'qrcode';
import cloud from 'wx-server-sdk';
import { emulatorNow, FIXTURE_PROJECT, MIDDAY, moveClock, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../../helpers/emulator';
import { call } from './helpers';

/** The fixture project names no appid: the simulated Mini Program's is the default. */
const APPID = 'wx0000000000000000';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false, clock: MIDDAY });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
});

afterAll(async () => {
  await emulator?.stop();
});

type OpenApi = Record<string, Record<string, (data: unknown) => Promise<Record<string, unknown>>>>;
const openapi = (): OpenApi => cloud.openapi as unknown as OpenApi;

async function code(data: Record<string, unknown>): Promise<string> {
  const answer = await openapi().wxacode.getUnlimited(data);
  return (answer.buffer as Buffer).toString('base64');
}

const scheme = async (data: Record<string, unknown>): Promise<string> => (await openapi().urlscheme.generate(data)).openlink as string;
const link = async (data: Record<string, unknown>): Promise<string> => (await openapi().urllink.generate(data)).urlLink as string;

const scan = (body: Record<string, unknown>): ReturnType<typeof call> => call(emulator.url, 'POST', '/__rukou/wechat/scan', { openid: 'o-user', ...body });
const open = (url: unknown): ReturnType<typeof call> => call(emulator.url, 'POST', '/__rukou/wechat/open', { openid: 'o-user', url });

describe('POST /__rukou/wechat/scan', () => {
  test('a code round-trips: scene 1047, the page, and query.scene URL-encoded as WeChat delivers it', async () => {
    const image = await code({ scene: 'rk_ch=store-7', page: 'pages/goods/detail' });
    expect(await scan({ image })).toEqual({ status: 200, body: { scene: 1047, path: 'pages/goods/detail', query: { scene: 'rk_ch%3Dstore-7' }, envVersion: 'release' } });
    expect(decodeURIComponent('rk_ch%3Dstore-7')).toBe('rk_ch=store-7');
  });

  test('a long press on the code is 1048, a picture of it from the album 1049', async () => {
    const image = await code({ scene: 'k1', page: 'pages/index/index' });
    expect((await scan({ image, how: 'longPress' })).body).toMatchObject({ scene: 1048 });
    expect((await scan({ image, how: 'album' })).body).toMatchObject({ scene: 1049 });
    expect((await scan({ image, how: 'scan' })).body).toMatchObject({ scene: 1047 });
  });

  test('a code without a page opens the home page; a trial code, every scene character, colours and transparency all scan', async () => {
    const scene = "!#$&'()*+,/:;=?@-._~0123456789Az";
    const image = await code({ scene, envVersion: 'trial', lineColor: { r: 30, g: 120, b: 60 }, isHyaline: true, width: 280 });
    expect((await scan({ image: `data:image/png;base64,${image}` })).body).toEqual({ scene: 1047, path: 'pages/index/index', query: { scene: encodeURIComponent(scene) }, envVersion: 'trial' });
  });

  test('a code of a page outside app.json (checkPath false) opens that page', async () => {
    const image = await code({ scene: 'soon', page: 'pages/next/next', checkPath: false });
    expect((await scan({ image })).body).toMatchObject({ path: 'pages/next/next', query: { scene: 'soon' } });
  });

  test.each([
    ['bytes that are no PNG', async () => Buffer.from('not a png at all, not at all').toString('base64'), 'not a PNG'],
    ['a PNG cut short', async () => Buffer.from(await code({ scene: 'x' }), 'base64').subarray(0, 200).toString('base64'), 'can be read'],
    ['a PNG of nothing', async () => PNG.sync.write(Object.assign(new PNG({ width: 300, height: 300 }), { data: Buffer.alloc(300 * 300 * 4, 255) })).toString('base64'), 'no QR code'],
    ['a QR code of a web page', async () => (await toBuffer('https://example.com/', { type: 'png', width: 300 })).toString('base64'), 'not a Mini Program code of this Mini Program'],
    [
      'a code of another Mini Program',
      async () => (await toBuffer('https://wxacode.rukou.invalid/?appid=wx1111111111111111&env_version=release&page=pages/index/index&scene=x', { type: 'png', width: 300 })).toString('base64'),
      'not a Mini Program code of this Mini Program',
    ],
    ['a PNG that says it is 5,000 px wide', async () => {
      const png = Buffer.from(await code({ scene: 'x' }), 'base64');
      png.writeUInt32BE(5000, 16);
      return png.toString('base64');
    }, 'up to 4096 px'],
  ])('400 NOT_A_CODE: %s', async (_, image, says) => {
    expect(await scan({ image: await image() })).toEqual({ status: 400, body: { code: 'NOT_A_CODE', message: expect.stringContaining(says) } });
  });

  test('400 INVALID_PARAM: no image, an image that is no base64, a how of none of the three, no openid', async () => {
    const image = await code({ scene: 'x' });
    for (const body of [{}, { image: 7 }, { image: '' }, { image: 'not base64!' }, { image, how: 'photo' }, { image, openid: '' }]) {
      expect(await scan(body)).toMatchObject({ status: 400, body: { code: 'INVALID_PARAM' } });
    }
  });
});

describe('POST /__rukou/wechat/open', () => {
  test('a generated scheme opens with scene 1065, its page and its query parsed into key/values', async () => {
    const url = await scheme({ jumpWxa: { path: '/pages/goods/detail', query: 'id=7&rk_ch=sms-1&note=a%20b', envVersion: 'trial' }, expireType: 1, expireInterval: 7 });
    expect(await open(url)).toEqual({ status: 200, body: { scene: 1065, path: 'pages/goods/detail', query: { id: '7', rk_ch: 'sms-1', note: 'a b' }, envVersion: 'trial' } });
  });

  test('a generated link opens with scene 1194; without a path, on the home page', async () => {
    const url = await link({ path: 'shop/pages/cart/cart', query: 'rk_ch=mail-2', expireType: 1, expireInterval: 7 });
    expect((await open(url)).body).toEqual({ scene: 1194, path: 'shop/pages/cart/cart', query: { rk_ch: 'mail-2' }, envVersion: 'release' });
    expect((await open(await link({}))).body).toEqual({ scene: 1194, path: 'pages/index/index', query: {}, envVersion: 'release' });
  });

  test('a cq appended to a scheme or a link adds its pairs to the query; the generated pairs win a clash', async () => {
    const url = await scheme({ jumpWxa: { path: 'pages/index/index', query: 'rk_ch=sms-1' } });
    expect((await open(`${url}&cq=${encodeURIComponent('from=sms&rk_ch=other')}`)).body).toMatchObject({ scene: 1065, query: { from: 'sms', rk_ch: 'sms-1' } });
    expect((await open(`${await link({ query: 'a=1' })}?cq=b%3D2`)).body).toMatchObject({ scene: 1194, query: { a: '1', b: '2' } });
  });

  test('a plain scheme opens with scene 1286, no API needed: its page, its query decoded, its version', async () => {
    const query = encodeURIComponent('id=7&rk_ch=plain-1');
    expect(await open(`weixin://dl/business/?appid=${APPID}&path=pages/goods/detail&query=${query}&env_version=develop`)).toEqual({
      status: 200,
      body: { scene: 1286, path: 'pages/goods/detail', query: { id: '7', rk_ch: 'plain-1' }, envVersion: 'develop' },
    });
    expect((await open(`weixin://dl/business/?appid=${APPID}`)).body).toEqual({ scene: 1286, path: 'pages/index/index', query: {}, envVersion: 'release' });
  });

  test.each([
    ['another Mini Program\'s appid', `weixin://dl/business/?appid=wx1111111111111111&path=pages/index/index`, 'not this Mini Program'],
    ['a page the Mini Program does not have', `weixin://dl/business/?appid=${APPID}&path=pages/nope/nope`, 'not a page'],
    ['a query with a space', `weixin://dl/business/?appid=${APPID}&path=pages/index/index&query=${encodeURIComponent('a=1 2')}`, 'query'],
    ['a version of none of release, trial, develop', `weixin://dl/business/?appid=${APPID}&env_version=beta`, 'env_version'],
  ])('400 LINK_INVALID: a plain scheme with %s', async (_, url, says) => {
    expect(await open(url)).toEqual({ status: 400, body: { code: 'LINK_INVALID', message: expect.stringContaining(says) } });
  });

  test('400 LINK_UNKNOWN: a ticket WeChat never generated, and a scheme\'s ticket opened as a link', async () => {
    expect(await open('weixin://dl/business/?t=NoSuchTickt')).toMatchObject({ status: 400, body: { code: 'LINK_UNKNOWN', message: expect.stringContaining('generated no scheme NoSuchTickt') } });
    expect(await open('https://wxaurl.cn/NoSuchTickt')).toMatchObject({ status: 400, body: { code: 'LINK_UNKNOWN' } });
    expect(await open('https://wxaurl.cn/%zz')).toMatchObject({ status: 400, body: { code: 'LINK_UNKNOWN' } });
    const ticket = /\?t=(\w+)$/.exec(await scheme({}))![1];
    expect(await open(`https://wxaurl.cn/${ticket}`)).toMatchObject({ status: 400, body: { code: 'LINK_UNKNOWN' } });
  });

  test('400 NOT_A_LINK and INVALID_PARAM: what opens no Mini Program, and a body without a url', async () => {
    for (const url of ['https://example.com/', 'weixin://dl/business/', 'weixin://dl/other/?t=abc', 'not a url', 'http://wxaurl.cn/abc']) {
      expect(await open(url)).toMatchObject({ status: 400, body: { code: 'NOT_A_LINK' } });
    }
    for (const url of [undefined, 7, '', 'x'.repeat(4097)]) expect(await open(url)).toMatchObject({ status: 400, body: { code: 'INVALID_PARAM' } });
  });
});

describe('expiry, on the emulator\'s clock', () => {
  test('a link opens until its expiry and answers LINK_EXPIRED from then on; one asked for 90 days gets 30', async () => {
    const clock = await emulatorNow(emulator.url);
    const day = await link({ path: 'pages/index/index', query: 'rk_ch=day', expireType: 1, expireInterval: 1 });
    const month = await scheme({ jumpWxa: { query: 'rk_ch=month' }, expireType: 1, expireInterval: 90 });
    const atTime = await link({ expireType: 0, expireTime: Math.floor(clock / 1000) + 2 * 86400 });

    await moveClock(emulator.url, { advance: '23h59m' });
    expect((await open(day)).body).toMatchObject({ scene: 1194, query: { rk_ch: 'day' } });
    await moveClock(emulator.url, { advance: '1m' });
    expect(await open(day)).toEqual({ status: 400, body: { code: 'LINK_EXPIRED', message: expect.stringContaining('expired at') } });
    expect((await open(atTime)).status).toBe(200);

    await moveClock(emulator.url, { advance: '1d' });
    expect((await open(atTime)).body).toMatchObject({ code: 'LINK_EXPIRED' });
    await moveClock(emulator.url, { advance: '27d23h' });
    expect((await open(month)).body).toMatchObject({ scene: 1065, query: { rk_ch: 'month' } });
    await moveClock(emulator.url, { advance: '1h' });
    expect((await open(month)).body).toMatchObject({ code: 'LINK_EXPIRED' });
    // a code has no expiry (§E.1: permanent)
    expect((await scan({ image: await code({ scene: 'old-poster' }) })).status).toBe(200);
  });

  test('links outlive a restart of the emulator (kept in its data dir)', async () => {
    const url = await link({ query: 'rk_ch=kept', expireType: 1, expireInterval: 7 });
    await emulator.stop();
    emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false, dataDir: emulator.dataDir });
    useEmulatorFromThisProcess(emulator.url);
    expect((await open(url)).body).toMatchObject({ scene: 1194, query: { rk_ch: 'kept' } });
  });
});
