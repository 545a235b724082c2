/**
 * Subscription messages on the simulated WeChat, through the real wx-server-sdk (from the fixture
 * function `messenger` and from this process) and the simulated user's routes: templates, the
 * pop-up and its push, subscribeMessage.send's errcodes and keyword rules, quota, the inbox, a tap.
 */
import cloud from 'wx-server-sdk';
import { FIXTURE_PROJECT, invokeAs, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../../helpers/emulator';
import { call, inbox, quota, received, settledPushes, subscribe, templates, type Template } from './helpers';

const APPID = 'wxfixture0000001';

let emulator: RunningEmulator;
let shipped: Template;
let priceDrop: Template;

beforeAll(async () => {
  emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false });
  useEmulatorFromThisProcess(emulator.url, { APPID });
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  const list = await templates(emulator.url);
  shipped = list.find((t) => t.title === '订单发货通知')!;
  priceDrop = list.find((t) => t.title === '降价提醒')!;
});

afterAll(async () => {
  await emulator?.stop();
});

const shippedData = { thing1: { value: '入口帆布包' }, character_string2: { value: 'SF1234567890' }, date3: { value: '2024年5月20日' } };

/** subscribeMessage.send from the fixture function `messenger`, as an operator's function would send it. */
async function send(data: Record<string, unknown>): Promise<Record<string, unknown>> {
  const answer = await invokeAs(emulator.url, 'messenger', { api: 'subscribeMessage.send', data }, { openid: 'o-operator', appid: APPID });
  return answer.result as Record<string, unknown>;
}

describe('templates', () => {
  test('getTemplateList answers the demo set of one-time templates, in Chinese, through the SDK', async () => {
    const result = (await invokeAs(emulator.url, 'messenger', { api: 'subscribeMessage.getTemplateList' }, { openid: 'o-operator' })).result as { errCode: number; data: Template[] };
    expect(result.errCode).toBe(0);
    expect(result.data.length).toBeGreaterThanOrEqual(3);
    expect(result.data.length).toBeLessThanOrEqual(5);
    for (const template of result.data) expect(template).toEqual({ priTmplId: expect.stringMatching(/^[\w-]{43}$/), title: expect.any(String), content: expect.stringContaining('.DATA}}'), example: expect.any(String), type: 2 });
    expect(shipped.content).toBe('商品名称:{{thing1.DATA}}\n快递单号:{{character_string2.DATA}}\n发货时间:{{date3.DATA}}\n');
  });

  test('PUT replaces the templates; one of a keyword with no rule, or long-term, is refused', async () => {
    const own = { priTmplId: 'own-template-1', title: '自定义', content: '编号:{{letter1.DATA}}\n符号:{{symbol2.DATA}}', example: '' };
    const before = await templates(emulator.url);
    const refused = await call(emulator.url, 'PUT', '/__rukou/wechat/templates', { templates: [{ ...own, content: '{{colour1.DATA}}' }] });
    expect(refused).toMatchObject({ status: 400, body: { code: 'INVALID_PARAM', message: expect.stringContaining('colour1') } });
    expect(await call(emulator.url, 'PUT', '/__rukou/wechat/templates', { templates: [{ ...own, type: 3 }] })).toMatchObject({ status: 400 });
    const put = await call<{ templates: Template[] }>(emulator.url, 'PUT', '/__rukou/wechat/templates', { templates: [...before, own] });
    expect(put.status).toBe(200);
    expect(put.body.templates.at(-1)).toEqual({ ...own, type: 2 });
    const result = (await cloud.openapi.subscribeMessage.getTemplateList({})) as unknown as { data: Template[] };
    expect(result.data.map((t) => t.priTmplId)).toContain('own-template-1');
  });
});

describe('the pop-up', () => {
  test('an accept adds one send, answers what wx.requestSubscribeMessage resolves with, and pushes subscribe_msg_popup_event to callback as the user', async () => {
    const answer = await subscribe(emulator.url, 'o-pop-1', { [shipped.priTmplId]: 'accept' });
    expect(answer).toEqual({ errMsg: 'requestSubscribeMessage:ok', [shipped.priTmplId]: 'accept' });
    expect(await quota(emulator.url, 'o-pop-1', shipped.priTmplId)).toBe(1);
    const [push] = await settledPushes(emulator.url, 'o-pop-1', 1);
    expect(push.status).toBe('delivered');
    expect(push.attempts).toEqual([expect.objectContaining({ outcome: 'ok', answer: 'success' })]);
    const [arrived] = await received('o-pop-1');
    expect(arrived.event).toEqual({
      ToUserName: expect.stringMatching(/^gh_[0-9a-f]{12}$/),
      FromUserName: 'o-pop-1',
      CreateTime: expect.any(Number),
      MsgType: 'event',
      Event: 'subscribe_msg_popup_event',
      List: { TemplateId: shipped.priTmplId, SubscribeStatusString: 'accept', PopupScene: '0' },
    });
    expect(arrived.context).toEqual({ OPENID: 'o-pop-1', APPID: 'wx0000000000000000', SOURCE: 'wx_unknown' });
  });

  test('several answers push a List array of the accepts and rejects (ban and filter are not pushed); acceptWithAudio is an accept', async () => {
    const all = await templates(emulator.url);
    const answers = { [all[0].priTmplId]: 'acceptWithAudio', [all[1].priTmplId]: 'reject', [all[2].priTmplId]: 'ban', [all[3].priTmplId]: 'filter' };
    expect(await subscribe(emulator.url, 'o-pop-2', answers)).toEqual({ errMsg: 'requestSubscribeMessage:ok', ...answers });
    const [push] = await settledPushes(emulator.url, 'o-pop-2', 1);
    expect(push.event.List).toEqual([
      { TemplateId: all[0].priTmplId, SubscribeStatusString: 'accept', PopupScene: '0' },
      { TemplateId: all[1].priTmplId, SubscribeStatusString: 'reject', PopupScene: '0' },
    ]);
    expect(await quota(emulator.url, 'o-pop-2', all[0].priTmplId)).toBe(1);
    expect(await quota(emulator.url, 'o-pop-2', all[1].priTmplId)).toBe(0);
  });

  test('the fail shapes of wx.requestSubscribeMessage: 10001 none, 20003 more than five, 10004 an unknown template; nothing granted or pushed', async () => {
    const all = await templates(emulator.url);
    expect(await subscribe(emulator.url, 'o-pop-3', {})).toMatchObject({ errCode: 10001, errMsg: expect.stringMatching(/^requestSubscribeMessage:fail/) });
    const six = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((x) => [x, 'accept']));
    expect(await subscribe(emulator.url, 'o-pop-3', six)).toMatchObject({ errCode: 20003 });
    expect(await subscribe(emulator.url, 'o-pop-3', { [all[0].priTmplId]: 'accept', 'no-such-template': 'accept' })).toMatchObject({ errCode: 10004 });
    expect(await quota(emulator.url, 'o-pop-3', all[0].priTmplId)).toBe(0);
    expect((await call<{ pushes: unknown[] }>(emulator.url, 'GET', '/__rukou/wechat/pushes?openid=o-pop-3')).body.pushes).toEqual([]);
  });

  test('the route refuses what no pop-up answers: a bad openid, an answer not of the five', async () => {
    expect(await call(emulator.url, 'POST', '/__rukou/wechat/subscribe', { openid: '', answers: {} })).toMatchObject({ status: 400, body: { code: 'INVALID_PARAM' } });
    expect(await call(emulator.url, 'POST', '/__rukou/wechat/subscribe', { openid: 'o-x', answers: { [shipped.priTmplId]: 'yes' } })).toMatchObject({ status: 400, body: { message: expect.stringContaining('accept') } });
  });

  test('turning a template off in settings sets its sends to 0 and pushes subscribe_msg_change_event (reject)', async () => {
    await subscribe(emulator.url, 'o-pop-4', { [shipped.priTmplId]: 'accept' });
    await subscribe(emulator.url, 'o-pop-4', { [shipped.priTmplId]: 'accept' });
    expect(await quota(emulator.url, 'o-pop-4', shipped.priTmplId)).toBe(2);
    expect((await call(emulator.url, 'POST', '/__rukou/wechat/unsubscribe', { openid: 'o-pop-4', templateIds: [shipped.priTmplId] })).status).toBe(200);
    expect(await quota(emulator.url, 'o-pop-4', shipped.priTmplId)).toBe(0);
    const pushes = await settledPushes(emulator.url, 'o-pop-4', 3);
    expect(pushes[2].event).toMatchObject({ Event: 'subscribe_msg_change_event', List: { TemplateId: shipped.priTmplId, SubscribeStatusString: 'reject' } });
  });
});

describe('subscribeMessage.send', () => {
  test('a user accepts, is sent a message, receives it, taps it: scene 1014 with the page\'s path and query', async () => {
    await subscribe(emulator.url, 'o-send-1', { [shipped.priTmplId]: 'accept' });
    const result = await send({ touser: 'o-send-1', templateId: shipped.priTmplId, page: 'pages/goods/detail?id=42&rk_msg=m-1', data: shippedData, miniprogramState: 'formal', lang: 'zh_CN' });
    expect(result).toEqual({ errCode: 0, errMsg: 'openapi.subscribeMessage.send:ok', msgid: expect.stringMatching(/^\d{1,20}$/) });
    expect(await quota(emulator.url, 'o-send-1', shipped.priTmplId)).toBe(0);
    const [message] = await inbox(emulator.url, 'o-send-1');
    expect(message).toEqual({
      id: result.msgid,
      kind: 'subscribe',
      templateId: shipped.priTmplId,
      title: '订单发货通知',
      page: 'pages/goods/detail?id=42&rk_msg=m-1',
      data: { thing1: '入口帆布包', character_string2: 'SF1234567890', date3: '2024年5月20日' },
      sentAt: expect.any(String),
    });
    const tap = await call(emulator.url, 'POST', '/__rukou/wechat/tap', { openid: 'o-send-1', id: message.id });
    expect(tap).toEqual({ status: 200, body: { scene: 1014, path: 'pages/goods/detail', query: { id: '42', rk_msg: 'm-1' } } });
    // and WeChat tells callback it was sent, under the same msgid
    const pushes = await settledPushes(emulator.url, 'o-send-1', 2);
    expect(pushes[1].event).toMatchObject({ FromUserName: 'o-send-1', Event: 'subscribe_msg_sent_event', List: { TemplateId: shipped.priTmplId, MsgID: result.msgid, ErrorCode: 0, ErrorStatus: 'success' } });
    expect((await received('o-send-1')).map((r) => r.event.Event)).toEqual(['subscribe_msg_popup_event', 'subscribe_msg_sent_event']);
  });

  test('each accept is one send: two accepts, two sends, the third 43101', async () => {
    await subscribe(emulator.url, 'o-send-2', { [shipped.priTmplId]: 'accept' });
    await subscribe(emulator.url, 'o-send-2', { [shipped.priTmplId]: 'accept' });
    const message = { touser: 'o-send-2', templateId: shipped.priTmplId, data: shippedData };
    expect(await send(message)).toMatchObject({ errCode: 0 });
    expect(await send(message)).toMatchObject({ errCode: 0 });
    expect(await send(message)).toMatchObject({ errCode: 43101, errMsg: expect.stringContaining('openapi.subscribeMessage.send:fail') });
    expect(await send({ ...message, touser: 'o-never-asked' })).toMatchObject({ errCode: 43101 });
    expect(await inbox(emulator.url, 'o-send-2')).toHaveLength(2);
  });

  test('40003 a bad touser, 40037 an unknown template, 41030 a page not in app.json; none takes a send', async () => {
    await subscribe(emulator.url, 'o-send-3', { [shipped.priTmplId]: 'accept' });
    const good = { touser: 'o-send-3', templateId: shipped.priTmplId, data: shippedData };
    expect(await send({ ...good, touser: '' })).toMatchObject({ errCode: 40003 });
    expect(await send({ ...good, touser: 'not an openid' })).toMatchObject({ errCode: 40003 });
    expect(await send({ ...good, templateId: 'no-such-template' })).toMatchObject({ errCode: 40037 });
    expect(await send({ ...good, page: 'pages/missing/missing?x=1' })).toMatchObject({ errCode: 41030 });
    expect(await send({ ...good, miniprogramState: 'beta' })).toMatchObject({ errCode: 47003 });
    expect(await quota(emulator.url, 'o-send-3', shipped.priTmplId)).toBe(1);
    // a subpackage's page is a page
    expect(await send({ ...good, page: '/shop/pages/cart/cart' })).toMatchObject({ errCode: 0 });
  });

  test('a message without a page is sent but not clickable: the tap is refused', async () => {
    await subscribe(emulator.url, 'o-send-4', { [shipped.priTmplId]: 'accept' });
    expect(await send({ touser: 'o-send-4', templateId: shipped.priTmplId, data: shippedData })).toMatchObject({ errCode: 0 });
    const [message] = await inbox(emulator.url, 'o-send-4');
    expect(message.page).toBeUndefined();
    expect(await call(emulator.url, 'POST', '/__rukou/wechat/tap', { openid: 'o-send-4', id: message.id })).toMatchObject({ status: 400, body: { message: expect.stringContaining('not clickable') } });
    expect(await call(emulator.url, 'POST', '/__rukou/wechat/tap', { openid: 'o-someone-else', id: message.id })).toMatchObject({ status: 400 });
  });

  test('47003 names the field: a value breaking its rule, an empty or missing value, a key not in the template; nothing is sent', async () => {
    await subscribe(emulator.url, 'o-send-5', { [shipped.priTmplId]: 'accept' });
    const with_ = (data: Record<string, unknown>): Promise<Record<string, unknown>> => send({ touser: 'o-send-5', templateId: shipped.priTmplId, data: { ...shippedData, ...data } });
    expect(await with_({ thing1: { value: '一二三四五六七八九十一二三四五六七八九十一' } })).toMatchObject({ errCode: 47003, errMsg: expect.stringContaining('argument invalid! data.thing1.value invalid') });
    expect(await with_({ thing1: { value: '' } })).toMatchObject({ errCode: 47003, errMsg: expect.stringContaining('data.thing1.value is empty') });
    expect(await with_({ thing1: undefined })).toMatchObject({ errCode: 47003, errMsg: expect.stringContaining('data.thing1.value is empty') });
    expect(await with_({ character_string2: { value: '顺丰12345' } })).toMatchObject({ errCode: 47003, errMsg: expect.stringContaining('data.character_string2.value invalid') });
    expect(await with_({ thing9: { value: 'x' } })).toMatchObject({ errCode: 47003, errMsg: expect.stringContaining('data.thing9') });
    expect(await quota(emulator.url, 'o-send-5', shipped.priTmplId)).toBe(1);
  });

  test('every rule of the table (Platform sources §D.1), through the SDK from this process', async () => {
    const every = {
      priTmplId: 'every-rule',
      title: '全部规则',
      content: ['thing1', 'number2', 'letter3', 'symbol4', 'character_string5', 'time6', 'date7', 'amount8', 'phone_number9', 'car_number10', 'name11', 'phrase12'].map((k) => `${k}:{{${k}.DATA}}`).join('\n'),
      example: '',
    };
    await call(emulator.url, 'PUT', '/__rukou/wechat/templates', { templates: [...(await templates(emulator.url)).filter((t) => t.priTmplId !== 'every-rule'), every] });
    const good: Record<string, string> = {
      thing1: '一二三四五六七八九十abcdefghi!', number2: '3.1415', letter3: 'abcXYZ', symbol4: '!@#%', character_string5: 'SF-1234_abc',
      time6: '2019年10月1日 15:01~16:30', date7: '2019年10月1日', amount8: '¥100.50', phone_number9: '+86-0766-66888866', car_number10: '粤A12345',
      name11: '欧阳娜娜', phrase12: '大幅降价',
    };
    const bad: [string, string][] = [
      ['thing1', 'x'.repeat(21)], ['number2', '12a'], ['number2', '1'.repeat(33)], ['letter3', 'abc1'], ['symbol4', '!!!!!!'], ['symbol4', 'a!'],
      ['character_string5', 'x'.repeat(33)], ['time6', '25:00'], ['time6', '明天'], ['date7', '15:01'], ['amount8', '$12345678901'], ['amount8', '¥¥1'],
      ['phone_number9', '1'.repeat(18)], ['phone_number9', '电话123'], ['car_number10', '粤A12345678'], ['car_number10', 'A粤1234'], ['name11', '一二三四五六七八九十一'],
      ['name11', 'a'.repeat(21)], ['name11', '张三3'], ['phrase12', '降价3'], ['phrase12', '一二三四五六'],
    ];
    const sendWith = async (data: Record<string, string>): Promise<{ errCode?: number; errMsg?: string }> => {
      await subscribe(emulator.url, 'o-rules', { 'every-rule': 'accept' });
      const body = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, { value: v }]));
      return cloud.openapi.subscribeMessage.send({ touser: 'o-rules', templateId: 'every-rule', data: body } as never).then(
        (answer: unknown) => answer as { errCode: number },
        (error: { errCode: number; errMsg: string }) => error,
      );
    };
    expect(await sendWith(good)).toMatchObject({ errCode: 0 });
    const alternatives: Record<string, string>[] = [{ time6: '15:01' }, { date7: '2019-10-01 08:00' }, { amount8: '100元' }, { name11: 'John Smith' }, { car_number10: '粤A1234学' }];
    for (const alt of alternatives) {
      expect({ alt, answer: await sendWith({ ...good, ...alt }) }).toMatchObject({ alt, answer: { errCode: 0 } });
    }
    for (const [key, value] of bad) {
      const answer = await sendWith({ ...good, [key]: value });
      expect({ key, value, answer }).toMatchObject({ key, value, answer: { errCode: 47003, errMsg: expect.stringContaining(`data.${key}.value invalid`) } });
    }
  });

  test('a fault answers its errcode the next times, without effect, then the API works again', async () => {
    await subscribe(emulator.url, 'o-send-6', { [shipped.priTmplId]: 'accept' });
    const set = await call(emulator.url, 'POST', '/__rukou/wechat/faults', { api: 'subscribeMessage.send', errcode: 45009, times: 2 });
    expect(set).toEqual({ status: 200, body: { fault: { api: 'subscribeMessage.send', errcode: 45009, times: 2 } } });
    const message = { touser: 'o-send-6', templateId: shipped.priTmplId, data: shippedData };
    expect(await send(message)).toMatchObject({ errCode: 45009 });
    expect(await send(message)).toMatchObject({ errCode: 45009 });
    expect(await quota(emulator.url, 'o-send-6', shipped.priTmplId)).toBe(1);
    await call(emulator.url, 'POST', '/__rukou/wechat/faults', { api: 'subscribeMessage.send', errcode: -1 });
    expect(await send(message)).toMatchObject({ errCode: -1 });
    expect(await send(message)).toMatchObject({ errCode: 0 });
    expect(await call(emulator.url, 'POST', '/__rukou/wechat/faults', { api: 'no.such', errcode: 1 })).toMatchObject({ status: 400 });
  });

  test('faults not used up are forgotten by DELETE /__rukou/wechat/faults (a break-it pass: they could only be used up)', async () => {
    await subscribe(emulator.url, 'o-send-7', { [shipped.priTmplId]: 'accept' });
    await call(emulator.url, 'POST', '/__rukou/wechat/faults', { api: 'subscribeMessage.send', errcode: -1, times: 5 });
    await call(emulator.url, 'POST', '/__rukou/wechat/faults', { api: 'urllink.generate', errcode: -1 });
    expect(await call(emulator.url, 'DELETE', '/__rukou/wechat/faults')).toEqual({ status: 200, body: { cleared: 2 } });
    expect(await send({ touser: 'o-send-7', templateId: shipped.priTmplId, data: shippedData })).toMatchObject({ errCode: 0 });
    expect(await call(emulator.url, 'DELETE', '/__rukou/wechat/faults')).toEqual({ status: 200, body: { cleared: 0 } });
  });
});

test('grants, templates and inboxes survive a restart (the simulated WeChat keeps them in the data dir)', async () => {
  await subscribe(emulator.url, 'o-kept', { [priceDrop.priTmplId]: 'accept' });
  await subscribe(emulator.url, 'o-kept', { [priceDrop.priTmplId]: 'accept' });
  const sent = await send({ touser: 'o-kept', templateId: priceDrop.priTmplId, page: 'pages/index/index', data: { thing1: { value: '帆布包' }, amount2: { value: '¥59' }, phrase3: { value: '大幅降价' } } });
  expect(sent).toMatchObject({ errCode: 0 });
  const before = { inbox: await inbox(emulator.url, 'o-kept'), templates: await templates(emulator.url) };
  await emulator.stop();
  emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false, dataDir: emulator.dataDir });
  useEmulatorFromThisProcess(emulator.url, { APPID });
  expect(await inbox(emulator.url, 'o-kept')).toEqual(before.inbox);
  expect(await templates(emulator.url)).toEqual(before.templates);
  expect(await quota(emulator.url, 'o-kept', priceDrop.priTmplId)).toBe(1);
});
