/**
 * Customer-service messages and WeChat's message push on the simulated WeChat: the chat routes,
 * the pushes `callback` receives (and WeChat's retries when it does not answer 'success'),
 * uploadTempMedia and customerServiceMessage.send through the real SDK from the fixture function
 * `messenger`, the window, cards in the inbox and their tap (scene 1073).
 */
import path from 'node:path';
import cloud from 'wx-server-sdk';
import { FIXTURE_PROJECT, invokeAs, moveClock, REPO_ROOT, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../../helpers/emulator';
import { call, inbox, received, settledPushes } from './helpers';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
});

afterAll(async () => {
  await emulator?.stop();
});

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex').toString('base64');

async function messenger(event: Record<string, unknown>): Promise<Record<string, unknown>> {
  return (await invokeAs(emulator.url, 'messenger', event, { openid: 'o-operator' })).result as Record<string, unknown>;
}

const chat = (body: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> => call(emulator.url, 'POST', '/__rukou/wechat/cs', body);

async function thumb(): Promise<string> {
  const uploaded = await messenger({ upload: { contentType: 'image/png', base64: PNG } });
  expect(uploaded).toMatchObject({ errCode: 0, type: 'image', mediaId: expect.any(String), createdAt: expect.any(Number) });
  return uploaded.mediaId as string;
}

const card = (touser: string, mediaId: string, pagepath = 'pages/goods/detail?id=7&rk_card=c-1'): Record<string, unknown> => ({
  api: 'customerServiceMessage.send',
  data: { touser, msgtype: 'miniprogrampage', miniprogrampage: { title: '入口帆布包', pagepath, thumbMediaId: mediaId } },
});

describe('the chat', () => {
  test('a typed message pushes MsgType text to callback with a 64-bit MsgId as a string of digits, as the user', async () => {
    const typed = await chat({ openid: 'o-cs-1', text: '你好' });
    expect(typed).toEqual({ status: 200, body: { push: expect.any(Number), msgId: expect.stringMatching(/^\d+$/) } });
    const [push] = await settledPushes(emulator.url, 'o-cs-1', 1);
    expect(push.status).toBe('delivered');
    const [arrived] = await received('o-cs-1');
    expect(arrived.event).toEqual({ ToUserName: expect.stringMatching(/^gh_/), FromUserName: 'o-cs-1', CreateTime: expect.any(Number), MsgType: 'text', Content: '你好', MsgId: typed.body.msgId });
    expect(arrived.context).toMatchObject({ OPENID: 'o-cs-1', SOURCE: 'wx_unknown' });
  });

  test('entering the chat pushes event user_enter_tempsession with its SessionFrom', async () => {
    expect((await chat({ openid: 'o-cs-2', sessionFrom: 'goods-7' })).status).toBe(200);
    const [push] = await settledPushes(emulator.url, 'o-cs-2', 1);
    expect(push.event).toMatchObject({ FromUserName: 'o-cs-2', MsgType: 'event', Event: 'user_enter_tempsession', SessionFrom: 'goods-7' });
  });

  test('the route refuses a body that is neither a message nor an entry', async () => {
    expect(await chat({ openid: 'o-cs-x' })).toMatchObject({ status: 400, body: { code: 'INVALID_PARAM' } });
    expect(await chat({ openid: 'o-cs-x', text: 'a', sessionFrom: 'b' })).toMatchObject({ status: 400 });
    expect(await chat({ openid: 'o-cs-x', text: '' })).toMatchObject({ status: 400 });
  });
});

describe('message push', () => {
  test('a push that callback does not answer \'success\' is tried again three times, each try recorded, then failed', async () => {
    await chat({ openid: 'o-push-1', text: 'answer:nope' });
    const [push] = await settledPushes(emulator.url, 'o-push-1', 1);
    expect(push.status).toBe('failed');
    expect(push.attempts).toEqual(Array.from({ length: 4 }, () => expect.objectContaining({ outcome: 'ok', answer: 'nope' })));
    expect(await received('o-push-1')).toHaveLength(4);
  });

  test('a callback that throws fails its tries with the error', async () => {
    await chat({ openid: 'o-push-2', text: 'throw' });
    const [push] = await settledPushes(emulator.url, 'o-push-2', 1);
    expect(push.status).toBe('failed');
    expect(push.attempts[0]).toMatchObject({ outcome: 'error', message: expect.stringContaining('callback told to throw') });
  });

  test('POST /push delivers any body as WeChat would: the same push twice arrives twice', async () => {
    const event = { ToUserName: 'gh_000000000000', FromUserName: 'o-push-3', CreateTime: '1716177600', MsgType: 'text', Content: 'hi', MsgId: '23456789012345678901' };
    const first = await call<{ push: number }>(emulator.url, 'POST', '/__rukou/wechat/push', { event });
    const second = await call<{ push: number }>(emulator.url, 'POST', '/__rukou/wechat/push', { event });
    expect(second.body.push).toBeGreaterThan(first.body.push);
    await settledPushes(emulator.url, 'o-push-3', 2);
    expect((await received('o-push-3')).map((r) => r.event)).toEqual([event, event]);
    expect(await call(emulator.url, 'POST', '/__rukou/wechat/push', { event: [1] })).toMatchObject({ status: 400 });
  });

  test('a project without a callback function: the push is recorded as undelivered', async () => {
    // the timers fixture has functions, none of them callback
    const other = await startEmulator({ project: path.join(REPO_ROOT, 'test', 'fixtures', 'timers'), timers: false });
    try {
      await call(other.url, 'POST', '/__rukou/wechat/cs', { openid: 'o-push-4', text: 'hello' });
      const [push] = await settledPushes(other.url, 'o-push-4', 1);
      expect(push).toMatchObject({ status: 'undelivered', attempts: [] });
    } finally {
      await other.stop();
    }
  });
});

describe('customerServiceMessage', () => {
  test('a user chats, gets a card, taps it: scene 1073 with the pagepath\'s path and query', async () => {
    await chat({ openid: 'o-card-1', text: '有优惠吗' });
    const mediaId = await thumb();
    expect(await messenger(card('o-card-1', mediaId))).toMatchObject({ errCode: 0, errMsg: 'openapi.customerServiceMessage.send:ok' });
    const [received_] = await inbox(emulator.url, 'o-card-1');
    expect(received_).toEqual({ id: expect.stringMatching(/^\d+$/), kind: 'card', title: '入口帆布包', page: 'pages/goods/detail?id=7&rk_card=c-1', sentAt: expect.any(String) });
    const tap = await call(emulator.url, 'POST', '/__rukou/wechat/tap', { openid: 'o-card-1', id: received_.id });
    expect(tap).toEqual({ status: 200, body: { scene: 1073, path: 'pages/goods/detail', query: { id: '7', rk_card: 'c-1' } } });
  });

  test('no window without the user\'s message: 45015; after a message, 5 replies, the sixth 45047; the next message opens 5 more', async () => {
    const mediaId = await thumb();
    expect(await messenger(card('o-card-2', mediaId))).toMatchObject({ errCode: 45015 });
    await chat({ openid: 'o-card-2', text: 'hi' });
    for (let i = 0; i < 5; i++) expect(await messenger({ api: 'customerServiceMessage.send', data: { touser: 'o-card-2', msgtype: 'text', text: { content: `reply ${i}` } } })).toMatchObject({ errCode: 0 });
    expect(await messenger(card('o-card-2', mediaId))).toMatchObject({ errCode: 45047 });
    await chat({ openid: 'o-card-2', text: 'again' });
    expect(await messenger(card('o-card-2', mediaId))).toMatchObject({ errCode: 0 });
    expect((await inbox(emulator.url, 'o-card-2')).map((m) => m.kind)).toEqual(['text', 'text', 'text', 'text', 'text', 'card']);
  });

  test('entering the chat allows 2 replies; a link and an image are messages, not tappable', async () => {
    const mediaId = await thumb();
    await chat({ openid: 'o-card-3', sessionFrom: 'home' });
    expect(await messenger({ api: 'customerServiceMessage.send', data: { touser: 'o-card-3', msgtype: 'image', image: { mediaId } } })).toMatchObject({ errCode: 0 });
    expect(await messenger({ api: 'customerServiceMessage.send', data: { touser: 'o-card-3', msgtype: 'link', link: { title: '帮助', description: '', url: 'https://example.invalid/help', thumbUrl: '' } } })).toMatchObject({ errCode: 0 });
    expect(await messenger(card('o-card-3', mediaId))).toMatchObject({ errCode: 45047 });
    const [image] = await inbox(emulator.url, 'o-card-3');
    expect(await call(emulator.url, 'POST', '/__rukou/wechat/tap', { openid: 'o-card-3', id: image.id })).toMatchObject({ status: 400 });
  });

  test('refusals: 40003 touser, 40008 msgtype, 47001 a missing field, 40007 an unknown media_id, 40004 a media type but image', async () => {
    await chat({ openid: 'o-card-4', text: 'hi' });
    const send = (data: Record<string, unknown>): Promise<Record<string, unknown>> => messenger({ api: 'customerServiceMessage.send', data });
    expect(await send({ touser: '', msgtype: 'text', text: { content: 'x' } })).toMatchObject({ errCode: 40003 });
    expect(await send({ touser: 'o-card-4', msgtype: 'video', video: {} })).toMatchObject({ errCode: 40008 });
    expect(await send({ touser: 'o-card-4', msgtype: 'miniprogrampage', miniprogrampage: { title: 't', pagepath: 'pages/index/index' } })).toMatchObject({ errCode: 47001, errMsg: expect.stringContaining('thumb_media_id') });
    expect(await send({ touser: 'o-card-4', msgtype: 'image', image: { mediaId: 'no-such-media' } })).toMatchObject({ errCode: 40007 });
    expect(await messenger({ api: 'customerServiceMessage.uploadTempMedia', data: { type: 'voice' } })).toMatchObject({ errCode: 40004 });
    expect(await inbox(emulator.url, 'o-card-4')).toEqual([]);
  });

  // moves the emulator's clock: last in the file
  test('windows close with time: the entry\'s after a minute, the message\'s after 48 h; a thumbnail expires after 3 days (40007)', async () => {
    const mediaId = await thumb();
    await chat({ openid: 'o-time-1', sessionFrom: 'home' });
    await chat({ openid: 'o-time-2', text: 'hi' });
    await moveClock(emulator.url, { advance: '61s' });
    expect(await messenger(card('o-time-1', mediaId))).toMatchObject({ errCode: 45015 });
    expect(await messenger(card('o-time-2', mediaId))).toMatchObject({ errCode: 0 });
    await moveClock(emulator.url, { advance: '48h' });
    expect(await messenger(card('o-time-2', mediaId))).toMatchObject({ errCode: 45015 });
    await chat({ openid: 'o-time-2', text: 'back' });
    await moveClock(emulator.url, { advance: '1d' });
    expect(await messenger(card('o-time-2', mediaId))).toMatchObject({ errCode: 40007 });
    expect(await messenger(card('o-time-2', await thumb()))).toMatchObject({ errCode: 0 });
  });
});
