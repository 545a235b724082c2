/**
 * Service cards end to end, through the emulator, its simulated WeChat and the real wx-server-sdk:
 * a user chats with customer service (WeChat pushes to the real `callback`), gets the card the
 * operator's rules choose (set through the real `admin`), taps it (scene 1073) and the entry
 * `track` stores carries the card's id. The home card before rules, the thumbnail uploaded once and
 * again after it expires, the window, a push delivered twice, and who may call what.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import cloud from 'wx-server-sdk';
import { HOME_CARD } from '../../shared/cards';
import { cardIdOf, eventDocId } from '../../shared/ids';
import { invokeAs, MIDDAY, moveClock, REPO_ROOT, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';
import { call, inbox, settledPushes, type PushRecord } from '../emulator/wechat/helpers';

const APP = 'wx0000000000000000';
const OPERATOR = { openid: 'o-op', appid: APP };
const DEALS = { title: '本周优惠', page: 'pages/detail/detail?id=deals' };
const GOODS = { title: '入口帆布包', page: 'pages/detail/detail?id=7' };
let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;

const admin = async (data: Record<string, unknown>, who: { openid: string; appid?: string } = OPERATOR): Promise<Record<string, unknown>> =>
  (await invokeAs(emulator.url, 'admin', data, who)).result as Record<string, unknown>;

const cardsOf = async (openid: string): Promise<Record<string, unknown>[]> =>
  ((await db.collection('cards').where({ openid }).get()) as unknown as { data: Record<string, unknown>[] }).data;

const callsOf = async (api: string): Promise<number> => (await call<{ calls: unknown[] }>(emulator.url, 'GET', `/__rukou/openapi/calls?api=${api}`)).body.calls.length;

/** The user types in the chat, or enters it; answers the push once `callback` has answered it. */
async function chat(openid: string, body: { text: string } | { sessionFrom: string }): Promise<PushRecord> {
  const before = (await call<{ pushes: unknown[] }>(emulator.url, 'GET', `/__rukou/wechat/pushes?openid=${openid}`)).body.pushes.length;
  expect((await call(emulator.url, 'POST', '/__rukou/wechat/cs', { openid, ...body })).status).toBe(200);
  const pushes = await settledPushes(emulator.url, openid, before + 1);
  const push = pushes[pushes.length - 1];
  expect(push.status).toBe('delivered');
  return push;
}

/** WeChat delivers a push body as it would (a retry, a late push); answers when `callback` answered it. */
async function deliver(openid: string, event: Record<string, unknown>): Promise<void> {
  const before = (await call<{ pushes: unknown[] }>(emulator.url, 'GET', `/__rukou/wechat/pushes?openid=${openid}`)).body.pushes.length;
  await call(emulator.url, 'POST', '/__rukou/wechat/push', { event });
  const pushes = await settledPushes(emulator.url, openid, before + 1);
  expect(pushes[pushes.length - 1].status).toBe('delivered');
}

const idOf = (push: PushRecord): string => cardIdOf(push.event.FromUserName as string, push.event.MsgId === undefined ? '' : `msg:${push.event.MsgId as string}`);

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, clock: MIDDAY, env: { RUKOU_OPERATORS: OPERATOR.openid } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
});

afterAll(async () => {
  await emulator?.stop();
});

test('no rules yet: a message and an entry each get the home card, recorded before WeChat is asked and sent', async () => {
  expect(await admin({ action: 'cardRules' })).toEqual({ rules: null, homeCard: HOME_CARD });
  const typed = await chat('o-ann', { text: '你好' });
  const cardId = idOf(typed);
  const [received] = await inbox(emulator.url, 'o-ann');
  expect(received).toMatchObject({ kind: 'card', title: HOME_CARD.title, page: `${HOME_CARD.page}?rk_card=${cardId}` });
  expect(await cardsOf('o-ann')).toEqual([
    { _id: cardId, openid: 'o-ann', rule: 'default', title: HOME_CARD.title, page: HOME_CARD.page, fate: 'sent', createdAt: expect.any(Date), sentAt: expect.any(Date), day: '2024-05-20' },
  ]);
  await chat('o-ann', { sessionFrom: 'goods-7' });
  expect((await inbox(emulator.url, 'o-ann')).map((m) => m.title)).toEqual([HOME_CARD.title, HOME_CARD.title]);
});

test('only operators set the rules; bad rules are refused naming the field; cardRules answers what was set', async () => {
  const rules = { keywords: [{ keyword: '优惠', card: DEALS }], sessionFroms: [{ sessionFrom: 'goods-7', card: GOODS }] };
  expect(await admin({ action: 'setCardRules', rules }, { openid: 'o-ann', appid: APP })).toMatchObject({ error: { code: 'NOT_OPERATOR' } });
  expect(await admin({ action: 'cardRules' }, { openid: 'o-ann', appid: APP })).toMatchObject({ error: { code: 'NOT_OPERATOR' } });
  expect(await admin({ action: 'setCardRules', rules: { keywords: [{ keyword: '优惠', card: { ...DEALS, page: 'pages/a/a?rk_card=x' } }] } })).toMatchObject({
    error: { code: 'INVALID_INPUT', field: 'rules.keywords.0.card.page' },
  });
  expect(await admin({ action: 'setCardRules' })).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'rules' } });
  expect(await admin({ action: 'cardRules' })).toEqual({ rules: null, homeCard: HOME_CARD });
  expect(await admin({ action: 'setCardRules', rules })).toEqual({ rules });
  expect(await admin({ action: 'cardRules' })).toEqual({ rules, homeCard: HOME_CARD });
});

test('a user types a keyword, gets its card, taps it (1073), and the entry track stores carries that card', async () => {
  const typed = await chat('o-bob', { text: '有优惠吗？' });
  const cardId = idOf(typed);
  const [card] = await inbox(emulator.url, 'o-bob');
  expect(card).toMatchObject({ kind: 'card', title: DEALS.title, page: `${DEALS.page}&rk_card=${cardId}` });
  expect(await cardsOf('o-bob')).toEqual([expect.objectContaining({ _id: cardId, rule: 'keyword:优惠', title: DEALS.title, page: DEALS.page, fate: 'sent' })]);

  const tap = (await call<{ scene: number; path: string; query: Record<string, string> }>(emulator.url, 'POST', '/__rukou/wechat/tap', { openid: 'o-bob', id: card.id })).body;
  expect(tap).toEqual({ scene: 1073, path: 'pages/detail/detail', query: { id: 'deals', rk_card: cardId } });
  const track = await invokeAs(emulator.url, 'track', { v: 1, events: [{ id: 'bob-tap-0001', seq: 1, at: Date.parse(MIDDAY), type: 'enter', cold: true, options: tap }] }, { openid: 'o-bob', appid: APP });
  expect(track.result).toMatchObject({ accepted: ['bob-tap-0001'] });
  const entry = ((await db.collection('events').where({ _id: eventDocId('o-bob', 'bob-tap-0001') }).get()) as unknown as { data: Record<string, unknown>[] }).data[0];
  expect(entry).toMatchObject({ scene: 1073, cardId });
});

test('entering from a button with a session-from gets that session-from\'s card; a message no rule matches, the home card', async () => {
  await chat('o-cai', { sessionFrom: 'goods-7' });
  await chat('o-cai', { text: '在吗' });
  expect((await inbox(emulator.url, 'o-cai')).map((m) => m.title)).toEqual([GOODS.title, HOME_CARD.title]);
  expect((await cardsOf('o-cai')).map((c) => c.rule).sort()).toEqual(['default', 'sessionFrom:goods-7']);
});

test('one thumbnail, uploaded once, serves every card so far', async () => {
  expect(await callsOf('customerServiceMessage.uploadTempMedia')).toBe(1);
  const kept = ((await db.collection('media').get()) as unknown as { data: Record<string, unknown>[] }).data;
  expect(kept).toEqual([expect.objectContaining({ _id: 'card-thumb', source: 'rukou', mediaId: expect.any(String), expiresAt: expect.any(Date) })]);
});

test('a push WeChat delivers twice sends one card', async () => {
  const typed = await chat('o-dee', { text: '优惠' });
  const sends = await callsOf('customerServiceMessage.send');
  await deliver('o-dee', typed.event);
  await deliver('o-dee', { ...typed.event, CreateTime: String(typed.event.CreateTime) });
  expect(await callsOf('customerServiceMessage.send')).toBe(sends);
  expect(await inbox(emulator.url, 'o-dee')).toHaveLength(1);
  expect(await cardsOf('o-dee')).toEqual([expect.objectContaining({ _id: idOf(typed), fate: 'sent' })]);
});

test('the window: WeChat\'s 45047 is recorded refused; a card Rukou knows has no window is not asked for, and is recorded refused', async () => {
  const typed = await chat('o-eve', { text: 'hi' });
  // someone else (an agent in WeChat's console) used the replies: WeChat refuses Rukou's card
  await call(emulator.url, 'POST', '/__rukou/wechat/faults', { api: 'customerServiceMessage.send', errcode: 45047, times: 1 });
  await chat('o-eve', { text: 'hello?' });
  expect((await cardsOf('o-eve')).map((c) => [c.fate, c.errcode])).toEqual(expect.arrayContaining([['sent', undefined], ['refused', 45047]]));

  // a message WeChat delivers late, after a newer one: the window it knows is used up, so nothing is asked
  const sends = await callsOf('customerServiceMessage.send');
  const late = { ...typed.event, CreateTime: (typed.event.CreateTime as number) - 1, MsgId: '12345678901234567890', Content: '优惠' };
  await deliver('o-eve', late);
  // a message from two days ago: no window is open any more (45015)
  const now = Math.floor(Date.parse((await call<{ now: string }>(emulator.url, 'GET', '/__rukou/clock')).body.now) / 1000);
  await deliver('o-fay', { ...typed.event, FromUserName: 'o-fay', MsgId: '12345678901234567891', CreateTime: now - 49 * 3600 });
  expect(await callsOf('customerServiceMessage.send')).toBe(sends);
  expect(await cardsOf('o-eve')).toContainEqual(expect.objectContaining({ _id: cardIdOf('o-eve', 'msg:12345678901234567890'), rule: 'keyword:优惠', fate: 'refused', errcode: 45047 }));
  expect(await cardsOf('o-fay')).toEqual([expect.objectContaining({ rule: 'default', fate: 'refused', errcode: 45015 })]);
  expect(await inbox(emulator.url, 'o-eve')).toHaveLength(1);
});

test('a client or an operator calling callback is NOT_WECHAT, and nothing is written', async () => {
  const push = { ToUserName: 'gh_000000000000', FromUserName: 'o-gus', CreateTime: Math.floor(Date.parse(MIDDAY) / 1000), MsgType: 'text', Content: '优惠', MsgId: '22345678901234567890' };
  expect((await invokeAs(emulator.url, 'callback', push, { openid: 'o-gus', appid: APP })).result).toMatchObject({ error: { code: 'NOT_WECHAT' } });
  expect((await invokeAs(emulator.url, 'callback', push, OPERATOR)).result).toMatchObject({ error: { code: 'NOT_WECHAT' } });
  expect(await cardsOf('o-gus')).toEqual([]);
  expect(((await db.collection('chats').where({ _id: 'o-gus' }).get()) as unknown as { data: unknown[] }).data).toEqual([]);
});

test('a card with its own cover: the operator\'s cloud file is uploaded as its thumbnail', async () => {
  const cover = readFileSync(path.join(REPO_ROOT, 'cloudfunctions', 'callback', 'card-thumb.png'));
  const { fileID } = await cloud.uploadFile({ cloudPath: 'covers/bag.png', fileContent: cover });
  const uploads = await callsOf('customerServiceMessage.uploadTempMedia');
  expect(await admin({ action: 'setCardRules', rules: { keywords: [{ keyword: '包', card: { ...GOODS, thumb: fileID } }], default: false } })).toMatchObject({ rules: { default: false } });
  await chat('o-hal', { text: '这个包多少钱' });
  await chat('o-hal', { text: '谢谢' });
  expect((await inbox(emulator.url, 'o-hal')).map((m) => m.title)).toEqual([GOODS.title]);
  expect(await callsOf('customerServiceMessage.uploadTempMedia')).toBe(uploads + 1);
  expect(((await db.collection('media').where({ source: fileID }).get()) as unknown as { data: unknown[] }).data).toHaveLength(1);
});

test('WeChat no longer knows the thumbnail (40007): it is uploaded again and the card sent once', async () => {
  const uploads = await callsOf('customerServiceMessage.uploadTempMedia');
  await call(emulator.url, 'POST', '/__rukou/wechat/faults', { api: 'customerServiceMessage.send', errcode: 40007, times: 1 });
  await chat('o-ike', { text: '包' });
  expect(await callsOf('customerServiceMessage.uploadTempMedia')).toBe(uploads + 1);
  expect(await inbox(emulator.url, 'o-ike')).toHaveLength(1);
  expect(await cardsOf('o-ike')).toEqual([expect.objectContaining({ fate: 'sent' })]);
});

// moves the emulator's clock: last in the file
test('the thumbnail is uploaded again once it has expired (3 days)', async () => {
  await admin({ action: 'setCardRules', rules: {} });
  const uploads = await callsOf('customerServiceMessage.uploadTempMedia');
  await chat('o-ivy', { text: 'hi' });
  expect(await callsOf('customerServiceMessage.uploadTempMedia')).toBe(uploads);
  await moveClock(emulator.url, { advance: '3d' });
  await chat('o-ivy', { text: 'hi again' });
  expect(await callsOf('customerServiceMessage.uploadTempMedia')).toBe(uploads + 1);
  expect((await inbox(emulator.url, 'o-ivy')).map((m) => m.title)).toEqual([HOME_CARD.title, HOME_CARD.title]);
  expect((await cardsOf('o-ivy')).map((c) => c.fate)).toEqual(['sent', 'sent']);
});
