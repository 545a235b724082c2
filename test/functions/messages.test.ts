/**
 * Subscription messages end to end, through the emulator, its simulated WeChat and the real
 * wx-server-sdk: a user answers the pop-up (WeChat pushes the answer to the real `callback`, the
 * tracker reports it to the real `messages`), an operator sends, the user taps the message and the
 * entry `track` stores is the message's. Quota, errcodes, retries, idempotency and refusals too.
 */
import cloud from 'wx-server-sdk';
import { eventDocId, messageIdOf, subscriptionDocId } from '../../shared/ids';
import { dayRange } from '../../shared/time';
import { until } from '../helpers/until';
import { invokeAs, MIDDAY, moveClock, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';
import { call, inbox, quota, settledPushes, subscribe, templates, type Template } from '../emulator/wechat/helpers';

const APP = 'wx0000000000000000';
const OPERATOR = { openid: 'o-op', appid: APP };
let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;
let shipped: Template;

const messages = async (data: Record<string, unknown>, who: { openid: string; appid?: string; source?: string } = OPERATOR): Promise<Record<string, unknown>> =>
  (await invokeAs(emulator.url, 'messages', data, who)).result as Record<string, unknown>;

const ledger = async (openid: string, templateId: string): Promise<{ quota: number } | undefined> =>
  ((await db.collection('subscriptions').where({ _id: subscriptionDocId(openid, templateId) }).get()) as unknown as { data: { quota: number }[] }).data[0];

const sendCalls = async (): Promise<number> => ((await call<{ calls: unknown[] }>(emulator.url, 'GET', '/__rukou/openapi/calls?api=subscribeMessage.send')).body.calls.length);

/** How many pushes the simulated WeChat has made for this user so far. */
const pushCount = async (openid: string): Promise<number> => (await call<{ pushes: unknown[] }>(emulator.url, 'GET', `/__rukou/wechat/pushes?openid=${openid}`)).body.pushes.length;

/** The user answers the pop-up (WeChat pushes it to callback) and the tracker reports the same answer. */
async function accepts(openid: string, templateId: string): Promise<Record<string, unknown>> {
  const before = await pushCount(openid);
  const answered = await subscribe(emulator.url, openid, { [templateId]: 'accept' });
  await settledPushes(emulator.url, openid, before + 1);
  return messages({ action: 'consent', answers: answered }, { openid, appid: APP });
}

const DATA = { thing1: '入口帆布包', character_string2: 'SF1234567890', date3: '2024年5月20日' };

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, clock: MIDDAY, env: { RUKOU_OPERATORS: OPERATOR.openid, RUKOU_SHARE_SECRET: 'messages-suite-share-secret-0123' } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
  shipped = (await templates(emulator.url)).find((template) => template.title === '订单发货通知') as Template;
});

afterAll(async () => {
  await emulator?.stop();
});

test('operators list the templates, each keyword with its rule and label', async () => {
  const answer = (await messages({ action: 'templates' })) as { templates: { templateId: string; title: string; keywords: unknown[] }[] };
  expect(answer.templates.find((template) => template.templateId === shipped.priTmplId)).toEqual({
    templateId: shipped.priTmplId,
    title: '订单发货通知',
    type: 2,
    keywords: [
      { key: 'thing1', rule: 'thing', label: '商品名称' },
      { key: 'character_string2', rule: 'character_string', label: '快递单号' },
      { key: 'date3', rule: 'date', label: '发货时间' },
    ],
  });
});

test('a user accepts, is sent the message, taps it, and the entry is that message\'s', async () => {
  // the pop-up's push and the tracker's report of the same answer grant one send, not two
  expect(await accepts('o-ann', shipped.priTmplId)).toEqual({ quota: { [shipped.priTmplId]: 1 } });
  expect(await ledger('o-ann', shipped.priTmplId)).toMatchObject({ quota: 1 });

  const sent = await messages({ action: 'send', templateId: shipped.priTmplId, to: ['o-ann', 'o-bob'], data: DATA, page: 'pages/detail/detail?id=7', idempotencyKey: 'launch-1' });
  const messageId = messageIdOf('launch-1', 'o-ann');
  expect(sent).toEqual({ results: [{ openid: 'o-ann', fate: 'sent', messageId }, { openid: 'o-bob', fate: 'no-quota', messageId: messageIdOf('launch-1', 'o-bob') }], remaining: [] });
  expect(await ledger('o-ann', shipped.priTmplId)).toMatchObject({ quota: 0 });
  expect(await quota(emulator.url, 'o-ann', shipped.priTmplId)).toBe(0);

  const [message] = await inbox(emulator.url, 'o-ann');
  expect(message).toMatchObject({ kind: 'subscribe', templateId: shipped.priTmplId, page: `pages/detail/detail?id=7&rk_msg=${messageId}` });
  // WeChat's sent event reached callback, which kept it under the msgid the send was answered
  await settledPushes(emulator.url, 'o-ann', 2);
  const record = ((await db.collection('messages').where({ _id: messageId }).get()) as unknown as { data: Record<string, unknown>[] }).data[0];
  expect(record).toMatchObject({ fate: 'sent', attempts: 1, day: '2024-05-20', msgid: expect.stringMatching(/^\d+$/) });
  const delivery = ((await db.collection('deliveries').where({ _id: record.msgid }).get()) as unknown as { data: Record<string, unknown>[] }).data[0];
  expect(delivery).toMatchObject({ openid: 'o-ann', templateId: shipped.priTmplId, delivered: true, status: 'success' });

  const tap = (await call<{ scene: number; path: string; query: Record<string, string> }>(emulator.url, 'POST', '/__rukou/wechat/tap', { openid: 'o-ann', id: message.id })).body;
  expect(tap).toEqual({ scene: 1014, path: 'pages/detail/detail', query: { id: '7', rk_msg: messageId } });
  const track = await invokeAs(emulator.url, 'track', { v: 1, events: [{ id: 'ann-tap-0001', seq: 1, at: Date.parse(MIDDAY), type: 'enter', cold: true, options: tap }] }, { openid: 'o-ann', appid: APP });
  expect(track.result).toMatchObject({ accepted: ['ann-tap-0001'] });
  const entry = ((await db.collection('events').where({ _id: eventDocId('o-ann', 'ann-tap-0001') }).get()) as unknown as { data: Record<string, unknown>[] }).data[0];
  expect(entry).toMatchObject({ scene: 1014, messageId });
});

test('the same idempotency key sends once, however often it is called', async () => {
  await accepts('o-cai', shipped.priTmplId);
  await accepts('o-cai', shipped.priTmplId);
  const request = { action: 'send', templateId: shipped.priTmplId, to: ['o-cai'], data: DATA, idempotencyKey: 'once-1' };
  const before = await sendCalls();
  const first = await messages(request);
  const again = await messages(request);
  expect(again).toEqual(first);
  expect(first).toMatchObject({ results: [{ openid: 'o-cai', fate: 'sent' }] });
  expect((await sendCalls()) - before).toBe(1);
  expect(await ledger('o-cai', shipped.priTmplId)).toMatchObject({ quota: 1 });
});

test('sends to one user at the same moment, each with its own key, spend the sends the ledger holds and ask WeChat no more (a break-it pass)', async () => {
  // three warm workers, so that the three sends of each user run side by side
  await Promise.all([0, 1, 2].map(() => messages({ action: 'templates' })));
  const users = ['o-race-1', 'o-race-2', 'o-race-3'];
  for (const openid of users) await accepts(openid, shipped.priTmplId);
  const before = await sendCalls();
  for (const openid of users) {
    const answers = await Promise.all(['a', 'b', 'c'].map((key) => messages({ action: 'send', templateId: shipped.priTmplId, to: [openid], data: DATA, idempotencyKey: `${openid}-${key}` })));
    expect(answers.map((answer) => (answer.results as { fate: string }[])[0].fate).sort()).toEqual(['no-quota', 'no-quota', 'sent']);
    expect(await ledger(openid, shipped.priTmplId)).toMatchObject({ quota: 0 });
    expect(await quota(emulator.url, openid, shipped.priTmplId)).toBe(0);
  }
  expect((await sendCalls()) - before).toBe(users.length);
});

test('a report WeChat never backed, then a real pop-up while a send is out: the ledger ends as WeChat does, whichever comes first (a break-it pass: the real one was lost)', async () => {
  for (const openid of ['o-void-1', 'o-void-2', 'o-void-3', 'o-void-4']) {
    // the client says accept, with no pop-up behind it: WeChat holds none
    await messages({ action: 'consent', answers: { [shipped.priTmplId]: 'accept' } }, { openid, appid: APP });
    await moveClock(emulator.url, { advance: '2s' });
    const pushes = await pushCount(openid);
    await Promise.all([messages({ action: 'send', templateId: shipped.priTmplId, to: [openid], data: DATA, idempotencyKey: `${openid}-void` }), subscribe(emulator.url, openid, { [shipped.priTmplId]: 'accept' })]);
    await settledPushes(emulator.url, openid, pushes + 1);
    expect({ openid, rukou: (await ledger(openid, shipped.priTmplId))?.quota }).toEqual({ openid, rukou: await quota(emulator.url, openid, shipped.priTmplId) });
  }
  // the send refused at once, in the report's own second, and the user's next pop-up told by its push alone
  for (const openid of ['o-void-5', 'o-void-6']) {
    await messages({ action: 'consent', answers: { [shipped.priTmplId]: 'accept' } }, { openid, appid: APP });
    expect(await messages({ action: 'send', templateId: shipped.priTmplId, to: [openid], data: DATA, idempotencyKey: `${openid}-void` })).toMatchObject({ results: [{ fate: 'refused' }] });
    await moveClock(emulator.url, { advance: '5s' });
    const pushes = await pushCount(openid);
    await subscribe(emulator.url, openid, { [shipped.priTmplId]: 'accept' });
    await settledPushes(emulator.url, openid, pushes + 1);
    expect({ openid, rukou: (await ledger(openid, shipped.priTmplId))?.quota }).toEqual({ openid, rukou: 1 });
    expect(await quota(emulator.url, openid, shipped.priTmplId)).toBe(1);
  }
});

test('a send stopped between its record and WeChat\'s answer (a crash) is never sent again: at most once', async () => {
  await accepts('o-crash', shipped.priTmplId);
  // what a send that died after writing its record, before or after WeChat took the message, leaves
  const messageId = messageIdOf('crash-1', 'o-crash');
  await db.collection('messages').add({ data: { _id: messageId, openid: 'o-crash', templateId: shipped.priTmplId, idempotencyKey: 'crash-1', data: DATA, fate: 'sending', attempts: 0, createdAt: new Date() } });
  const before = await sendCalls();
  expect(await messages({ action: 'send', templateId: shipped.priTmplId, to: ['o-crash'], data: DATA, idempotencyKey: 'crash-1' })).toEqual({ results: [{ openid: 'o-crash', fate: 'sending', messageId }], remaining: [] });
  expect(await sendCalls()).toBe(before);
});

test('data that breaks a keyword\'s rule is refused naming the field, and nothing is sent or written', async () => {
  await accepts('o-dee', shipped.priTmplId);
  const before = await sendCalls();
  const answer = await messages({ action: 'send', templateId: shipped.priTmplId, to: ['o-dee'], data: { ...DATA, thing1: '这是一个超过二十个字符的商品名称，微信会拒绝它的' }, idempotencyKey: 'bad-1' });
  expect(answer).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'data.thing1' } });
  expect(await sendCalls()).toBe(before);
  expect(((await db.collection('messages').where({ idempotencyKey: 'bad-1' }).get()) as unknown as { data: unknown[] }).data).toEqual([]);
});

test('WeChat busy (45009): the message is retrying, and the timer sends it when it is due', async () => {
  await accepts('o-eve', shipped.priTmplId);
  await call(emulator.url, 'POST', '/__rukou/wechat/faults', { api: 'subscribeMessage.send', errcode: 45009, times: 1 });
  const answer = await messages({ action: 'send', templateId: shipped.priTmplId, to: ['o-eve'], data: DATA, idempotencyKey: 'busy-1' });
  expect(answer).toMatchObject({ results: [{ openid: 'o-eve', fate: 'retrying' }] });
  const now = Date.parse((await call<{ now: string }>(emulator.url, 'GET', '/__rukou/clock')).body.now);
  // not yet due: nothing tried
  expect((await call(emulator.url, 'POST', '/triggers/messages', { time: new Date(now).toISOString() })).body).toMatchObject({ result: { retried: 0 } });
  await call(emulator.url, 'POST', '/__rukou/clock', { advance: '11m' });
  expect((await call(emulator.url, 'POST', '/triggers/messages', { time: new Date(now + 11 * 60_000).toISOString() })).body).toMatchObject({ result: { retried: 1, fates: { sent: 1 } } });
  expect(await inbox(emulator.url, 'o-eve')).toHaveLength(1);
});

test.each([
  [40003, 'invalid'],
  [41030, 'invalid'],
  [47003, 'invalid'],
])('WeChat answers %s: the message is %s, and the send it did not use is still the user\'s', async (errcode, fate) => {
  const openid = `o-err-${String(errcode).replace('-', 'm')}`;
  await accepts(openid, shipped.priTmplId);
  await call(emulator.url, 'POST', '/__rukou/wechat/faults', { api: 'subscribeMessage.send', errcode, times: 1 });
  const answer = await messages({ action: 'send', templateId: shipped.priTmplId, to: [openid], data: DATA, idempotencyKey: `err-${errcode}` });
  expect(answer).toMatchObject({ results: [{ openid, fate, reason: expect.any(String) }] });
  expect(await ledger(openid, shipped.priTmplId)).toMatchObject({ quota: 1 });
});

test('a message WeChat keeps answering -1 (busy) is tried five times, then failed', async () => {
  await accepts('o-tries', shipped.priTmplId);
  await call(emulator.url, 'POST', '/__rukou/wechat/faults', { api: 'subscribeMessage.send', errcode: -1, times: 5 });
  expect(await messages({ action: 'send', templateId: shipped.priTmplId, to: ['o-tries'], data: DATA, idempotencyKey: 'tries-1' })).toMatchObject({ results: [{ fate: 'retrying' }] });
  const record = async (): Promise<unknown> => ((await db.collection('messages').where({ _id: messageIdOf('tries-1', 'o-tries') }).get()) as unknown as { data: { fate: string; attempts: number }[] }).data.map(({ fate, attempts }) => [fate, attempts])[0];
  const seen: unknown[] = [await record()];
  // waits of 10, 20, 40 and 80 minutes: the timer each time the next attempt is due
  for (const wait of ['10m', '20m', '40m', '80m']) {
    const moved = (await call<{ now: string }>(emulator.url, 'POST', '/__rukou/clock', { advance: wait })).body;
    await call(emulator.url, 'POST', '/triggers/messages', { time: moved.now });
    seen.push(await record());
  }
  expect(seen).toEqual([
    ['retrying', 1],
    ['retrying', 2],
    ['retrying', 3],
    ['retrying', 4],
    ['failed', 5],
  ]);
  expect(await inbox(emulator.url, 'o-tries')).toEqual([]);
  expect(await ledger('o-tries', shipped.priTmplId)).toMatchObject({ quota: 1 });
});

test('a report without a real grant: WeChat answers 43101, the message is refused and the ledger has no send left', async () => {
  // the client says accept, but the user never answered WeChat's pop-up: WeChat has no grant
  expect(await messages({ action: 'consent', answers: { [shipped.priTmplId]: 'accept' } }, { openid: 'o-fay', appid: APP })).toEqual({ quota: { [shipped.priTmplId]: 1 } });
  const answer = await messages({ action: 'send', templateId: shipped.priTmplId, to: ['o-fay'], data: DATA, idempotencyKey: 'refused-1' });
  expect(answer).toMatchObject({ results: [{ openid: 'o-fay', fate: 'refused' }] });
  expect(await ledger('o-fay', shipped.priTmplId)).toMatchObject({ quota: 0 });
});

test('only operators send; only WeChat calls callback; a consent for a template the Mini Program lacks is refused', async () => {
  expect(await messages({ action: 'send', templateId: shipped.priTmplId, to: ['o-gus'], data: DATA, idempotencyKey: 'user-1' }, { openid: 'o-gus', appid: APP })).toMatchObject({ error: { code: 'NOT_OPERATOR' } });
  const forged = { ToUserName: 'gh_000000000000', FromUserName: 'o-gus', CreateTime: 1716177600, MsgType: 'event', Event: 'subscribe_msg_popup_event', List: { TemplateId: shipped.priTmplId, SubscribeStatusString: 'accept', PopupScene: '0' } };
  expect((await invokeAs(emulator.url, 'callback', forged, { openid: 'o-gus', appid: APP })).result).toMatchObject({ error: { code: 'NOT_WECHAT' } });
  expect(await ledger('o-gus', shipped.priTmplId)).toBeUndefined();
  expect(await messages({ action: 'consent', answers: { 'no-such-template': 'accept' } }, { openid: 'o-gus', appid: APP })).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'answers.no-such-template' } });
});

test('a push WeChat delivers twice changes the ledger once', async () => {
  const push = { ToUserName: 'gh_000000000000', FromUserName: 'o-hal', CreateTime: '1716177600', MsgType: 'event', Event: 'subscribe_msg_popup_event', List: [{ TemplateId: shipped.priTmplId, SubscribeStatusString: 'accept', PopupScene: '0' }] };
  await call(emulator.url, 'POST', '/__rukou/wechat/push', { event: push });
  await call(emulator.url, 'POST', '/__rukou/wechat/push', { event: { ...push, CreateTime: 1716177600, List: push.List[0] } });
  await settledPushes(emulator.url, 'o-hal', 2);
  expect(await ledger('o-hal', shipped.priTmplId)).toMatchObject({ quota: 1 });
});

test('HTTP access is answered as an integration response: a refusal of messages or callback is a real 403', async () => {
  const http = (body: unknown): Record<string, unknown> => ({ httpMethod: 'POST', path: '/messages', headers: { authorization: 'Bearer not-a-token' }, body: JSON.stringify(body), isBase64Encoded: false });
  const expected = (): unknown => ({ statusCode: 403, headers: { 'content-type': 'application/json; charset=utf-8' }, body: expect.any(String), isBase64Encoded: false });
  const answered = (await invokeAs(emulator.url, 'messages', http({ action: 'templates' }), { openid: '', source: 'wx_http' })).result as { body: string };
  expect(answered).toEqual(expected());
  expect(JSON.parse(answered.body)).toMatchObject({ error: { code: 'NOT_OPERATOR' } });
  // a consent is a user's, and HTTP access carries none
  const consented = (await invokeAs(emulator.url, 'messages', http({ action: 'consent', answers: { [shipped.priTmplId]: 'accept' } }), { openid: '', source: 'wx_http' })).result as { statusCode: number; body: string };
  expect({ status: consented.statusCode, body: JSON.parse(consented.body) as unknown }).toMatchObject({ status: 401, body: { error: { code: 'NO_IDENTITY' } } });
  const pushed = (await invokeAs(emulator.url, 'callback', http({ FromUserName: 'o-ivy' }), { openid: '', source: 'wx_http' })).result as { body: string };
  expect(pushed).toEqual(expected());
  expect(JSON.parse(pushed.body)).toMatchObject({ error: { code: 'NOT_WECHAT' } });
});

describe('sends to a segment', () => {
  /** A user who enters through these enter options (track), then accepts the template. */
  async function member(openid: string, options: Record<string, unknown>): Promise<void> {
    const entered = await invokeAs(emulator.url, 'track', { v: 1, events: [{ id: `${openid}-enter-01`, seq: 1, at: Date.parse(MIDDAY), type: 'enter', cold: true, options }] }, { openid, appid: APP });
    expect(entered.result).toMatchObject({ accepted: [`${openid}-enter-01`] });
    await accepts(openid, shipped.priTmplId);
  }
  const fatesOf = (answer: Record<string, unknown>): [string, string][] => (answer.results as { openid: string; fate: string }[]).map((result) => [result.openid, result.fate]);

  beforeAll(async () => {
    await member('o-seg-1', { scene: 1047, path: 'pages/index/index', query: { rk_ch: 'poster-9' } });
    await member('o-seg-2', { scene: 1047, path: 'pages/index/index', query: { rk_ch: 'poster-9' } });
    await member('o-seg-3', { scene: 1089, path: 'pages/index/index', query: {} });
  });

  test('first touch through a channel: only its users with a send left, and a call again sends nothing more', async () => {
    const request = { action: 'send', templateId: shipped.priTmplId, to: { segment: { firstTouch: { channel: 'poster-9' } } }, data: DATA, idempotencyKey: 'seg-channel' };
    expect(fatesOf(await messages(request))).toEqual([
      ['o-seg-1', 'sent'],
      ['o-seg-2', 'sent'],
    ]);
    expect(await messages(request)).toEqual({ results: [], done: true });
    expect(await messages({ ...request, to: { segment: { firstTouch: { scene: 1047 } } } })).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'idempotencyKey' } });
  });

  test('entered through a category on given days', async () => {
    const answer = await messages({ action: 'send', templateId: shipped.priTmplId, to: { segment: { entered: { category: 'Quick entry', from: '2024-05-20', to: '2024-05-20' } } }, data: DATA, idempotencyKey: 'seg-entered' });
    expect(fatesOf(answer)).toEqual([['o-seg-3', 'sent']]);
    expect(answer.done).toBe(true);
  });

  test('a segment that is not one is refused naming its field', async () => {
    for (const [to, field] of [
      [{ segment: {} }, 'to.segment'],
      [{ segment: { firstTouch: { channel: '' } } }, 'to.segment.firstTouch.channel'],
      [{ segment: { entered: { category: 'Quick entry', from: '2024-05-20', to: '2024-01-01' } } }, 'to.segment.entered.to'],
      [{ segment: { quota: true, firstTouch: { scene: 1 } } }, 'to.segment'],
      // a category no entry carries (a break-it pass: it was taken, and matched nobody)
      [{ segment: { firstTouch: { category: 'No such' } } }, 'to.segment.firstTouch.category'],
      [{ segment: { entered: { category: 'quick entry', from: '2024-05-20', to: '2024-05-20' } } }, 'to.segment.entered.category'],
      // the segment's input is closed, as every action's is (a break-it pass: these were sent to)
      [{ segment: { entered: { category: 'Quick entry', channel: 'p', from: '2024-05-20', to: '2024-05-20' } } }, 'to.segment.entered.channel'],
      [{ segment: { quota: true }, extra: 1 }, 'to.extra'],
      [{ segment: { quota: true, x: 1 } }, 'to.segment.x'],
      [{ segment: { firstTouch: { scene: 1_000_000 } } }, 'to.segment.firstTouch.scene'],
      [{ segment: { firstTouch: { channel: 'poster-7', x: 1 } } }, 'to.segment.firstTouch.x'],
    ] as const) {
      expect(await messages({ action: 'send', templateId: shipped.priTmplId, to, data: DATA, idempotencyKey: 'seg-bad' })).toMatchObject({ error: { code: 'INVALID_INPUT', field } });
    }
    // past its days, a limit, as a range of stats is (92 days is the most: 2024-01-01 … 2024-04-01)
    const entered = (to: string): Record<string, unknown> => ({ segment: { entered: { category: 'Quick entry', from: '2024-01-01', to } } });
    expect(await messages({ action: 'send', templateId: shipped.priTmplId, to: entered('2024-04-02'), data: DATA, idempotencyKey: 'seg-long' })).toMatchObject({ error: { code: 'LIMIT_EXCEEDED', field: 'to.segment.entered.to', message: 'to.segment.entered spans 93 days; at most 92.' } });
    expect(await messages({ action: 'send', templateId: shipped.priTmplId, to: entered('2024-04-01'), data: DATA, idempotencyKey: 'seg-long' })).toMatchObject({ done: true });
  });
});

describe('what a new user found (issue 10 trial)', () => {
  /** Ledgers with a send left, written as `consent` writes them: users the segment tests need many of. */
  async function withSends(openids: string[], templateId: string): Promise<void> {
    for (let i = 0; i < openids.length; i += 100) {
      await db.collection('subscriptions').add({ data: openids.slice(i, i + 100).map((openid) => ({ _id: subscriptionDocId(openid, templateId), openid, templateId, quota: 1, answers: [], v: 1 })) });
    }
  }

  test('an entered segment holds every user active on every day of its range (a read of 1,000 user-days left some out)', async () => {
    const openids = Array.from({ length: 12 }, (_, i) => `o-daily-${String(i).padStart(2, '0')}`);
    const days = dayRange('2024-01-01', '2024-03-31');
    expect(days).toHaveLength(91);
    const userDays = openids.flatMap((openid) => days.map((day) => ({ _id: `${openid}:${day}`, openid, day, entries: 1, byCategory: { 'QR code': 1 } })));
    for (let i = 0; i < userDays.length; i += 100) await db.collection('user_days').add({ data: userDays.slice(i, i + 100) });
    await withSends(openids, shipped.priTmplId);
    const answer = await messages({ action: 'send', templateId: shipped.priTmplId, to: { segment: { entered: { category: 'QR code', from: days[0], to: days[days.length - 1] } } }, data: DATA, idempotencyKey: 'daily-1' });
    expect((answer.results as { openid: string }[]).map((result) => result.openid)).toEqual(openids);
  });

  test('the timer retries every due message, page after page, not only the first 100', async () => {
    const openids = Array.from({ length: 130 }, (_, i) => `o-due-${String(i).padStart(3, '0')}`);
    await withSends(openids, shipped.priTmplId);
    const now = Date.parse((await call<{ now: string }>(emulator.url, 'GET', '/__rukou/clock')).body.now);
    const due = openids.map((openid) => ({ _id: messageIdOf('due-1', openid), openid, templateId: shipped.priTmplId, idempotencyKey: 'due-1', data: DATA, fate: 'retrying', attempts: 1, createdAt: new Date(now - 3_600_000), nextAttemptAt: new Date(now - 60_000) }));
    for (let i = 0; i < due.length; i += 100) await db.collection('messages').add({ data: due.slice(i, i + 100) });
    const run = (await call<{ result: { retried: number } }>(emulator.url, 'POST', '/triggers/messages', { time: new Date(now).toISOString() })).body.result;
    expect(run.retried).toBeGreaterThanOrEqual(openids.length);
    const left = ((await db.collection('messages').where({ idempotencyKey: 'due-1', fate: 'retrying', attempts: 1 }).count()) as { total: number }).total;
    expect(left).toBe(0);
  });

  test('an idempotency key names one send: reused for another template, or a list\'s for a segment, it is refused', async () => {
    const [, other] = await templates(emulator.url);
    await accepts('o-idem', shipped.priTmplId);
    expect(await messages({ action: 'send', templateId: shipped.priTmplId, to: ['o-idem'], data: DATA, idempotencyKey: 'idem-x' })).toMatchObject({ results: [{ fate: 'sent' }] });
    expect(await messages({ action: 'send', templateId: other.priTmplId, to: ['o-idem'], data: { thing1: 'x', amount2: '¥1', phrase3: '大幅降价' }, idempotencyKey: 'idem-x' })).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'idempotencyKey' } });
    expect(await messages({ action: 'send', templateId: shipped.priTmplId, to: { segment: { quota: true } }, data: DATA, idempotencyKey: 'idem-x' })).toMatchObject({ error: { code: 'INVALID_INPUT', field: 'idempotencyKey' } });
  });

  test('a template added in the console since the list was kept is not refused: the list is asked again', async () => {
    const before = await templates(emulator.url);
    const added = { priTmplId: 'T-added-just-now', title: '新品上架', content: '商品名称:{{thing1.DATA}}\n', example: '商品名称:入口帆布包\n', type: 2 };
    await messages({ action: 'templates' });
    await call(emulator.url, 'PUT', '/__rukou/wechat/templates', { templates: [...before, added] });
    expect(await messages({ action: 'consent', answers: { [added.priTmplId]: 'accept', [shipped.priTmplId]: 'reject' } }, { openid: 'o-new-tmpl', appid: APP })).toEqual({ quota: { [added.priTmplId]: 1, [shipped.priTmplId]: 0 } });
    await call(emulator.url, 'PUT', '/__rukou/wechat/templates', { templates: before });
  });
});

describe('a send past its time budget', () => {
  let tight: RunningEmulator;

  beforeAll(async () => {
    tight = await startEmulator({ timers: false, clock: MIDDAY, env: { RUKOU_OPERATORS: OPERATOR.openid, RUKOU_SEND_SECONDS: '0' } });
  });

  afterAll(async () => {
    await tight?.stop();
  });

  test('answers the recipients it left, and a call again with the same key goes on with them', async () => {
    const [template] = await templates(tight.url);
    const to = Array.from({ length: 120 }, (_, i) => `o-many-${String(i).padStart(3, '0')}`);
    const send = async (recipients: string[]): Promise<{ results: { openid: string; fate: string }[]; remaining: string[] }> =>
      (await invokeAs(tight.url, 'messages', { action: 'send', templateId: template.priTmplId, to: recipients, data: { thing1: '入口帆布包', character_string2: 'SF1', date3: '2024年5月20日' }, idempotencyKey: 'many-1' }, OPERATOR)).result as { results: { openid: string; fate: string }[]; remaining: string[] };
    const first = await send(to);
    // a zero budget still does one chunk of 50 before it looks at the time
    expect([first.results.length, first.remaining]).toEqual([50, to.slice(50)]);
    const seen = first.results.map((result) => result.openid);
    let left = first.remaining;
    while (left.length > 0) {
      const next = await send(left);
      seen.push(...next.results.map((result) => result.openid));
      left = next.remaining;
    }
    expect(seen).toEqual(to);
    // none of them had a send left: nothing was asked of WeChat
    expect((await call<{ calls: unknown[] }>(tight.url, 'GET', '/__rukou/openapi/calls?api=subscribeMessage.send')).body.calls).toEqual([]);
  });

  test('a segment of more users than a page goes on from where it stopped, each sent once', async () => {
    const [template] = await templates(tight.url);
    const openids = Array.from({ length: 105 }, (_, i) => `o-wide-${String(i).padStart(3, '0')}`);
    for (const openid of openids) await subscribe(tight.url, openid, { [template.priTmplId]: 'accept' });
    // each grant reaches the ledger through WeChat's push to callback
    const delivered = async (): Promise<number> => (await call<{ pushes: { status: string }[] }>(tight.url, 'GET', '/__rukou/wechat/pushes')).body.pushes.filter((push) => push.status === 'delivered').length;
    await until(async () => (await delivered()) >= openids.length);
    const request = { action: 'send', templateId: template.priTmplId, to: { segment: { quota: true } }, data: { thing1: '入口帆布包', character_string2: 'SF1', date3: '2024年5月20日' }, idempotencyKey: 'wide-1' };
    const calls: { results: { openid: string; fate: string }[]; done: boolean }[] = [];
    do {
      calls.push((await invokeAs(tight.url, 'messages', request, OPERATOR)).result as (typeof calls)[number]);
    } while (!calls[calls.length - 1].done && calls.length < 5);
    // a zero budget: one page of 100 a call, and a last call that finds none left
    expect(calls.map((answer) => [answer.results.length, answer.done])).toEqual([
      [100, false],
      [5, false],
      [0, true],
    ]);
    const sent = calls.flatMap((answer) => answer.results);
    expect(sent.map((result) => result.openid)).toEqual(openids);
    expect(new Set(sent.map((result) => result.fate))).toEqual(new Set(['sent']));
    expect((await call<{ calls: unknown[] }>(tight.url, 'GET', '/__rukou/openapi/calls?api=subscribeMessage.send')).body.calls).toHaveLength(openids.length);
  });
});

test('WeChat failing to give the templates: a consent uses the list kept earlier; a refresh, or a list never kept, answers UPSTREAM', async () => {
  await messages({ action: 'templates' });
  // past the 10 minutes the list is kept for: the next consent asks WeChat again
  await moveClock(emulator.url, { advance: '11m' });
  await call(emulator.url, 'POST', '/__rukou/wechat/faults', { api: 'subscribeMessage.getTemplateList', errcode: -1, times: 3 });
  expect(await messages({ action: 'consent', answers: { [shipped.priTmplId]: 'accept' } }, { openid: 'o-fault', appid: APP })).toEqual({ quota: { [shipped.priTmplId]: 1 } });
  expect(await messages({ action: 'templates', refresh: true })).toEqual({ error: { code: 'UPSTREAM', message: expect.stringContaining('subscribeMessage.getTemplateList') } });
  await db.collection('templates').doc('subscribe').remove();
  expect(await messages({ action: 'consent', answers: { [shipped.priTmplId]: 'accept' } }, { openid: 'o-fault-2', appid: APP })).toEqual({ error: { code: 'UPSTREAM', message: expect.any(String) } });
  expect(await ledger('o-fault-2', shipped.priTmplId)).toBeUndefined();
  // WeChat answers again
  expect(await messages({ action: 'consent', answers: { [shipped.priTmplId]: 'accept' } }, { openid: 'o-fault-2', appid: APP })).toEqual({ quota: { [shipped.priTmplId]: 1 } });
});
