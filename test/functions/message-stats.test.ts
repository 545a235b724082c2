/**
 * What messages and cards brought back, end to end through the emulator, its simulated WeChat and
 * the real wx-server-sdk: users accept, an operator sends, some recipients tap their message (the
 * tap's enter options delivered to the real `track`), others forge or reuse ids; service cards are
 * written as `callback` records them; the timer rolls the send's day up and counts its sends again
 * as late opens come; `admin` answers `messages` and `cards`. Every number is checked against a
 * count made by hand, written beside it.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- answers are JSON read back over the wire; the assertions are what check their shape */
import cloud from 'wx-server-sdk';
import { messageIdOf } from '../../shared/ids';
import { emulatorNow, invokeAs, MIDDAY, moveClock, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';
import { call, inbox, settledPushes, subscribe, templates, type Template } from '../emulator/wechat/helpers';

const APP = 'wx0000000000000000';
const OPERATOR = { openid: 'o-op', appid: APP };
const DAY = '2024-05-20';
const DATA = { thing1: '入口帆布包', character_string2: 'SF1234567890', date3: '2024年5月20日' };
let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;
let shipped: Template;
let seq = 0;

const as = (openid: string): { openid: string; appid: string } => ({ openid, appid: APP });
const messages = async (data: Record<string, unknown>, who = OPERATOR): Promise<any> => (await invokeAs(emulator.url, 'messages', data, who)).result;
const admin = async (data: Record<string, unknown>): Promise<any> => (await invokeAs(emulator.url, 'admin', data, OPERATOR)).result;
const at = async (iso: string): Promise<void> => {
  expect((await moveClock(emulator.url, { set: new Date(iso).toISOString() })).status).toBe(200);
};

/** An entry delivered to `track` as the tracker sends it, made `agoMs` before it is sent (its event time). */
async function enters(openid: string, options: Record<string, unknown>, agoMs = 0): Promise<void> {
  seq += 1;
  const now = await emulatorNow(emulator.url);
  const answer = (await invokeAs(emulator.url, 'track', { v: 1, sentAt: now, events: [{ id: `stats-entry-${seq}`, seq, at: now - agoMs, type: 'enter', cold: true, options }] }, as(openid))).result as any;
  expect(answer.accepted).toEqual([`stats-entry-${seq}`]);
}

/** The recipient taps the one message in their inbox, and enters with what WeChat launches the Mini Program with. */
async function taps(openid: string): Promise<void> {
  const [message] = await inbox(emulator.url, openid);
  await enters(openid, (await call<Record<string, unknown>>(emulator.url, 'POST', '/__rukou/wechat/tap', { openid, id: message.id })).body);
}

async function accepts(openid: string): Promise<void> {
  const answered = await subscribe(emulator.url, openid, { [shipped.priTmplId]: 'accept' });
  await settledPushes(emulator.url, openid, 1);
  await messages({ action: 'consent', answers: answered }, as(openid));
}

/** A card as `callback` records it. */
async function card(_id: string, openid: string, rule: string, fate: 'sent' | 'refused' | 'failed', createdAt: string): Promise<void> {
  const sent = fate === 'sent' ? { sentAt: new Date(createdAt), day: DAY } : { errcode: 45015 };
  await db.collection('cards').add({ data: { _id, openid, rule, title: '看看新品', page: 'pages/index/index', fate, createdAt: new Date(createdAt), ...sent } });
}

const cardEntry = (cardId: string): Record<string, unknown> => ({ scene: 1073, path: 'pages/index/index', query: { rk_card: cardId } });

async function fire(time: string): Promise<any> {
  const answer = (await call<{ result?: any }>(emulator.url, 'POST', '/triggers/rollup', { time: new Date(time).toISOString() })).body;
  if (!answer.result) throw new Error(`the trigger failed: ${JSON.stringify(answer)}`);
  return answer.result;
}

const rollupOf = async (day: string): Promise<any> => ((await db.collection('rollups_daily').where({ _id: day }).get()) as unknown as { data: any[] }).data[0];

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, clock: MIDDAY, env: { RUKOU_OPERATORS: OPERATOR.openid, RUKOU_SHARE_SECRET: 'message-stats-share-secret-0123' } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
  shipped = (await templates(emulator.url)).find((template) => template.title === '订单发货通知') as Template;
});

afterAll(async () => {
  await emulator?.stop();
});

test('a day of sends: the rollup and admin count what each message and card brought back, and only that', async () => {
  // ann, bob and cai used the Mini Program six days ago (an offline phone's entry); gil and kim never have
  for (const openid of ['o-ann', 'o-bob', 'o-cai']) await enters(openid, { scene: 1001, path: 'pages/index/index', query: {} }, 6 * 86_400_000);
  for (const openid of ['o-ann', 'o-bob', 'o-cai', 'o-gil']) await accepts(openid);
  // fay's tracker says accept, but WeChat has no grant: 43101; dan never accepted: no-quota
  await messages({ action: 'consent', answers: { [shipped.priTmplId]: 'accept' } }, as('o-fay'));
  const sent = await messages({ action: 'send', templateId: shipped.priTmplId, to: ['o-ann', 'o-bob', 'o-cai', 'o-dan', 'o-fay', 'o-gil'], data: DATA, page: 'pages/detail/detail?id=7', idempotencyKey: 'stats-1' });
  expect(sent.results.map((row: any) => row.fate)).toEqual(['sent', 'sent', 'sent', 'no-quota', 'refused', 'sent']);
  await card('card-ann-1', 'o-ann', 'keyword:price', 'sent', '2024-05-20T12:30:00+08:00');
  await card('card-bob-1', 'o-bob', 'default', 'refused', '2024-05-20T12:30:00+08:00');
  await card('card-kim-1', 'o-kim', 'default', 'sent', '2024-05-20T12:40:00+08:00');
  await card('card-dan-1', 'o-dan', 'default', 'sent', '2024-05-20T12:50:00+08:00');

  await at('2024-05-20T13:00:00+08:00');
  await taps('o-ann'); // an open, 1 h after the send: a return within 24 hours
  await taps('o-gil'); // the same, and gil's first entry ever: a new user
  await enters('o-eve', { scene: 1014, path: 'pages/detail/detail', query: { id: '7', rk_msg: messageIdOf('stats-1', 'o-ann') } }); // not the recipient: nothing
  await enters('o-eve', { scene: 1014, path: 'pages/detail/detail', query: { rk_msg: messageIdOf('stats-1', 'o-dan') } }); // never sent: nothing
  await enters('o-eve', { scene: 1014, path: 'pages/detail/detail', query: { rk_msg: 'never-sent-anything' } });
  await enters('o-ann', cardEntry('card-ann-1')); // an open of ann's card, 30 min after it
  await enters('o-kim', cardEntry('card-kim-1')); // kim's first entry ever
  await enters('o-eve', cardEntry('card-dan-1')); // dan's card, someone else: nothing

  // the send's day is rolled up early the next morning
  await at('2024-05-21T00:17:00+08:00');
  expect((await fire('2024-05-21T00:17:00+08:00')).rolledUp).toContain(DAY);
  const template = shipped.priTmplId;
  const first = await rollupOf(DAY);
  // sent: ann bob cai gil; opened: ann gil (1 h after); new: gil
  expect(first.messages).toEqual({ [template]: { sent: 4, fates: { 'no-quota': 1, refused: 1, sent: 4 }, opened: 2, opens: 2, openRate: 0.5, returns24h: 2, newUsers: 1 } });
  // default: kim's (opened 20 min after, new) and dan's (only eve) sent, bob's refused; keyword:price: ann's, opened
  expect(first.cards).toEqual({
    default: { sent: 2, fates: { refused: 1, sent: 2 }, opened: 1, opens: 1, openRate: 0.5, returns24h: 1, newUsers: 1 },
    'keyword:price': { sent: 1, fates: { sent: 1 }, opened: 1, opens: 1, openRate: 1, returns24h: 1, newUsers: 0 },
  });

  // bob opens 30 h after the send: an open of the 20th, not a return within 24 hours; ann opens again
  await at('2024-05-21T18:00:00+08:00');
  await taps('o-bob');
  await taps('o-ann');
  await at('2024-05-22T00:17:00+08:00');
  const next = await fire('2024-05-22T00:17:00+08:00');
  expect(next.rolledUp).not.toContain(DAY);
  expect(next.sendsRecounted).toContain(DAY);
  expect((await rollupOf(DAY)).messages[template]).toEqual({ sent: 4, fates: { 'no-quota': 1, refused: 1, sent: 4 }, opened: 3, opens: 4, openRate: 0.75, returns24h: 2, newUsers: 1 });
  // the 21st sent nothing: bob's and ann's entries of the 21st credit the 20th's message only
  expect((await rollupOf('2024-05-21')).messages).toEqual({});

  // cai taps 7 days and an hour after the send: past the window, no open
  await at('2024-05-27T13:00:00+08:00');
  await taps('o-cai');
  await at('2024-05-28T00:17:00+08:00');
  expect((await fire('2024-05-28T00:17:00+08:00')).sendsRecounted).toContain(DAY);
  expect((await rollupOf(DAY)).messages[template]).toMatchObject({ opened: 3, opens: 4 });

  const byTemplate = await admin({ action: 'messages', from: '2024-05-19', to: '2024-05-21' });
  expect(byTemplate).toEqual({
    from: '2024-05-19',
    to: '2024-05-21',
    total: { sent: 4, fates: { 'no-quota': 1, refused: 1, sent: 4 }, opened: 3, opens: 4, openRate: 0.75, returns24h: 2, newUsers: 1 },
    templates: [{ templateId: template, title: '订单发货通知', sent: 4, fates: { 'no-quota': 1, refused: 1, sent: 4 }, opened: 3, opens: 4, openRate: 0.75, returns24h: 2, newUsers: 1 }],
    missingDays: [],
    // 05-28 today: sends from 05-13 on may still get opens
    settlingDays: ['2024-05-19', '2024-05-20', '2024-05-21'],
  });
  const byRule = await admin({ action: 'cards', from: DAY, to: DAY });
  expect(byRule).toMatchObject({ total: { sent: 3, fates: { refused: 1, sent: 3 }, opened: 2, opens: 2, openRate: 0.6667, returns24h: 2, newUsers: 1 } });
  expect(byRule.rules).toEqual([
    { rule: 'default', sent: 2, fates: { refused: 1, sent: 2 }, opened: 1, opens: 1, openRate: 0.5, returns24h: 1, newUsers: 1 },
    { rule: 'keyword:price', sent: 1, fates: { sent: 1 }, opened: 1, opens: 1, openRate: 1, returns24h: 1, newUsers: 0 },
  ]);

  // 15 days on, the 20th is no longer counted again: its sends are final
  await at('2024-06-05T00:17:00+08:00');
  expect((await fire('2024-06-05T00:17:00+08:00')).sendsRecounted).not.toContain(DAY);
  expect((await admin({ action: 'cards', from: DAY, to: DAY })).settlingDays).toEqual([]);
});

test('messages and cards are for operators; a range is checked like any other', async () => {
  expect((await invokeAs(emulator.url, 'admin', { action: 'messages', from: DAY, to: DAY }, as('o-ann'))).result).toMatchObject({ error: { code: 'NOT_OPERATOR' } });
  expect(await admin({ action: 'cards', from: DAY, to: '2024-05-19' })).toMatchObject({ error: { code: 'INVALID_INPUT' } });
  expect(await admin({ action: 'messages', from: '2023-01-01', to: DAY })).toMatchObject({ error: { code: 'LIMIT_EXCEEDED' } });
});
