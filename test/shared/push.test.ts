import fc from 'fast-check';
import { ValidationError } from '../../shared/errors';
import { readPush } from '../../shared/push';

const ENVELOPE = { ToUserName: 'gh_0123456789ab', FromUserName: 'o-ann', CreateTime: 1700000000 };
const event = (name: string, fields: Record<string, unknown> = {}): Record<string, unknown> => ({ ...ENVELOPE, MsgType: 'event', Event: name, ...fields });
const popup = (list: unknown, fields: Record<string, unknown> = {}): Record<string, unknown> => event('subscribe_msg_popup_event', { List: list, ...fields });

/** The refusal readPush throws, as a caller sees it. */
function refusal(input: unknown): { code: string; message: string; field?: string } | undefined {
  try {
    readPush(input);
    return undefined;
  } catch (error) {
    if (error instanceof ValidationError) return error.toJSON();
    throw error;
  }
}

describe('customer-service messages (§D.4)', () => {
  it('reads a text, its MsgId kept as the string it came as', () => {
    expect(readPush({ ...ENVELOPE, MsgType: 'text', Content: '你好', MsgId: '23561358923475923745' })).toEqual({
      kind: 'text',
      toUserName: 'gh_0123456789ab',
      openid: 'o-ann',
      createTime: 1700000000,
      msgId: '23561358923475923745',
      content: '你好',
      dedupeKey: 'msg:23561358923475923745',
    });
  });

  it('writes a MsgId that arrives as a number in its full digits, never in exponent form', () => {
    expect(readPush({ ...ENVELOPE, MsgType: 'text', Content: 'x', MsgId: 2 ** 64 })).toMatchObject({ msgId: '18446744073709551616', dedupeKey: 'msg:18446744073709551616' });
    expect(readPush({ ...ENVELOPE, MsgType: 'text', Content: 'x', MsgId: 7 })).toMatchObject({ msgId: '7' });
  });

  it('reads an image and a Mini Program card, leaving absent fields absent', () => {
    expect(readPush({ ...ENVELOPE, MsgType: 'image', PicUrl: 'https://mmbiz.qpic.cn/x', MediaId: 'm1', MsgId: '1' })).toEqual({
      kind: 'image', toUserName: 'gh_0123456789ab', openid: 'o-ann', createTime: 1700000000, msgId: '1', picUrl: 'https://mmbiz.qpic.cn/x', mediaId: 'm1', dedupeKey: 'msg:1',
    });
    const card = readPush({ ...ENVELOPE, MsgType: 'miniprogrampage', MsgId: '2', Title: '首页', AppId: 'wx0123', PagePath: 'pages/index/index?rk_card=c1', ThumbMediaId: 't1' });
    expect(card).toEqual({
      kind: 'miniprogrampage', toUserName: 'gh_0123456789ab', openid: 'o-ann', createTime: 1700000000, msgId: '2', title: '首页', appId: 'wx0123', pagePath: 'pages/index/index?rk_card=c1', thumbMediaId: 't1', dedupeKey: 'msg:2',
    });
    expect('thumbUrl' in card).toBe(false);
  });

  it('reads entering the chat, with and without session-from', () => {
    expect(readPush(event('user_enter_tempsession', { SessionFrom: 'order-42' }))).toMatchObject({ kind: 'enter-session', sessionFrom: 'order-42' });
    const plain = readPush(event('user_enter_tempsession'));
    expect(plain.kind).toBe('enter-session');
    expect('sessionFrom' in plain).toBe(false);
    expect(plain.dedupeKey).toMatch(/^evt:[A-Za-z0-9_-]{32}$/);
  });

  it('tells two entries in the same second through two buttons apart (two pushes, not one delivered twice)', () => {
    const keys = ['btn-1', 'btn-2', undefined].map((from) => readPush(event('user_enter_tempsession', from === undefined ? {} : { SessionFrom: from })).dedupeKey);
    expect(new Set(keys).size).toBe(3);
    expect(readPush(event('user_enter_tempsession', { SessionFrom: 'btn-1' })).dedupeKey).toBe(keys[0]);
  });
});

describe('subscription events (§D.4)', () => {
  it('reads a pop-up answer whose List is one object as a list of one', () => {
    expect(readPush(popup({ TemplateId: 'T1', SubscribeStatusString: 'accept', PopupScene: '0' }))).toMatchObject({
      kind: 'subscribe-popup', openid: 'o-ann', createTime: 1700000000, items: [{ templateId: 'T1', status: 'accept', popupScene: '0' }],
    });
  });

  it('reads a List array of several', () => {
    const push = readPush(popup([{ TemplateId: 'T1', SubscribeStatusString: 'accept', PopupScene: 0 }, { TemplateId: 'T2', SubscribeStatusString: 'reject' }]));
    expect(push).toMatchObject({ kind: 'subscribe-popup', items: [{ templateId: 'T1', status: 'accept', popupScene: '0' }, { templateId: 'T2', status: 'reject' }] });
  });

  it('reads a change in the settings and a delivery, MsgID and ErrorCode normalised', () => {
    expect(readPush(event('subscribe_msg_change_event', { List: { TemplateId: 'T1', SubscribeStatusString: 'reject' } }))).toMatchObject({ kind: 'subscribe-change', items: [{ templateId: 'T1', status: 'reject' }] });
    expect(readPush(event('subscribe_msg_sent_event', { List: { TemplateId: 'T1', MsgID: 1700000000123456, ErrorCode: '0', ErrorStatus: 'success' } }))).toMatchObject({
      kind: 'subscribe-sent', items: [{ templateId: 'T1', msgId: '1700000000123456', errorCode: 0, errorStatus: 'success' }],
    });
  });

  it('reads CreateTime written as a string as seconds', () => {
    expect(readPush(popup({ TemplateId: 'T1', SubscribeStatusString: 'accept' }, { CreateTime: '1700000000' })).createTime).toBe(1700000000);
  });

  it('names the field at fault in a List, as sent', () => {
    expect(refusal(popup([{ TemplateId: 'T1', SubscribeStatusString: 'accept' }, { SubscribeStatusString: 'accept' }]))?.field).toBe('List.1.TemplateId');
    expect(refusal(popup({ TemplateId: 'T1' }))?.field).toBe('List.SubscribeStatusString');
    expect(refusal(popup([]))?.field).toBe('List');
    expect(refusal(popup(['T1']))?.field).toBe('List.0');
    expect(refusal(event('subscribe_msg_popup_event'))?.field).toBe('List');
    expect(refusal(event('subscribe_msg_sent_event', { List: { TemplateId: 'T1', MsgID: '9', ErrorCode: 'none', ErrorStatus: 'x' } }))?.field).toBe('List.ErrorCode');
  });
});

describe('the dedupe key: one per push, whichever way WeChat writes it', () => {
  const item = { TemplateId: 'T1', SubscribeStatusString: 'accept', PopupScene: '0' };

  it('is the same for List as an object or as an array of one, and CreateTime as a number or a string', () => {
    const keys = new Set([readPush(popup(item)), readPush(popup([item])), readPush(popup(item, { CreateTime: '1700000000' })), readPush(popup({ PopupScene: 0, SubscribeStatusString: 'accept', TemplateId: 'T1' }))].map((push) => push.dedupeKey));
    expect(keys.size).toBe(1);
  });

  it('differs when the user, the time, the event or the List differs', () => {
    const keys = [
      readPush(popup(item)),
      readPush(popup(item, { FromUserName: 'o-bob' })),
      readPush(popup(item, { CreateTime: 1700000001 })),
      readPush(popup({ ...item, SubscribeStatusString: 'reject' })),
      readPush(popup([item, { ...item, TemplateId: 'T2' }])),
      readPush(event('subscribe_msg_change_event', { List: { TemplateId: 'T1', SubscribeStatusString: 'accept' } })),
    ].map((push) => push.dedupeKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('holds for any pop-up: List and CreateTime written either way read the same, key included', () => {
    const items = fc.array(fc.record({ TemplateId: fc.string({ minLength: 1, maxLength: 8 }), SubscribeStatusString: fc.constantFrom('accept', 'reject'), PopupScene: fc.constantFrom('0', '1') }), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(items, fc.integer({ min: 0, max: 4_000_000_000 }), fc.boolean(), fc.boolean(), (list, seconds, asObject, asString) => {
        const plain = readPush(popup(list, { CreateTime: seconds }));
        const written = readPush(popup(asObject && list.length === 1 ? list[0] : list, { CreateTime: asString ? String(seconds) : seconds }));
        expect(written).toEqual(plain);
      }),
    );
  });
});

describe('what is not a push is refused', () => {
  it('refuses what is not an object, a client call, a timer', () => {
    for (const input of [undefined, null, 'success', [ENVELOPE], 42]) expect(refusal(input)).toEqual({ code: 'INVALID_INPUT', message: 'Not a WeChat message push: the event must be an object.' });
    expect(refusal({ action: 'send', userInfo: { appId: 'wx1', openId: 'o-ann' } })?.field).toBe('ToUserName');
    expect(refusal({ Type: 'Timer', TriggerName: 'retry', Time: '2024-05-01T00:00:00Z' })?.field).toBe('ToUserName');
  });

  it('refuses an envelope without its parts, naming the part', () => {
    expect(refusal({ ...ENVELOPE, FromUserName: '', MsgType: 'text', Content: 'x', MsgId: '1' })?.field).toBe('FromUserName');
    expect(refusal({ ...ENVELOPE, Content: 'x', MsgId: '1' })?.field).toBe('MsgType');
    expect(refusal({ ...ENVELOPE, MsgType: 'event' })?.field).toBe('Event');
    expect(refusal({ ...ENVELOPE, MsgType: 'text', Content: 'x' })?.field).toBe('MsgId');
    expect(refusal({ ...ENVELOPE, MsgType: 'text', MsgId: '1' })?.field).toBe('Content');
    expect(refusal({ ...ENVELOPE, MsgType: 'text', Content: 'x', MsgId: -1 })?.field).toBe('MsgId');
    expect(refusal({ ...ENVELOPE, MsgType: 'image', MsgId: '1', PicUrl: 5 })?.field).toBe('PicUrl');
  });

  it('refuses a CreateTime that is not whole seconds', () => {
    for (const CreateTime of [undefined, '', '17e8', ' 1700000000', -1, 1.5, '1.5', Number.MAX_SAFE_INTEGER + 2, '9999999999999999']) {
      expect([CreateTime, refusal({ ...ENVELOPE, CreateTime, MsgType: 'text', Content: 'x', MsgId: '1' })?.field]).toEqual([CreateTime, 'CreateTime']);
    }
  });

  it('refuses anything else only with a ValidationError, for any JSON', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ ToUserName: fc.jsonValue(), FromUserName: fc.jsonValue(), CreateTime: fc.jsonValue(), MsgType: fc.constantFrom('text', 'event', 'image'), Event: fc.constantFrom('subscribe_msg_sent_event', 'user_enter_tempsession'), List: fc.jsonValue() })), (input) => {
        refusal(input);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('a push of a type Rukou does not handle', () => {
  it('is read as other, with a dedupe key, rather than refused and delivered again', () => {
    expect(readPush(event('wxa_media_check', { isrisky: 0, trace_id: 't1' }))).toMatchObject({ kind: 'other', msgType: 'event', event: 'wxa_media_check', dedupeKey: expect.stringMatching(/^evt:/) });
    expect(readPush({ ...ENVELOPE, MsgType: 'voice', MsgId: '5' })).toMatchObject({ kind: 'other', msgType: 'voice', dedupeKey: 'msg:5' });
  });

  it('does not take a MsgType named like an event for that event', () => {
    expect(readPush({ ...ENVELOPE, MsgType: 'subscribe_msg_popup_event', List: { TemplateId: 'T1', SubscribeStatusString: 'accept' } }).kind).toBe('other');
  });

  it('refuses a List nested deeper than any of WeChat\'s', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 20; i += 1) deep = [deep];
    expect(refusal(event('express_add_path', { List: deep }))?.field).toBe('List');
  });
});
