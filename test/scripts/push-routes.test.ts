/**
 * The message-push rows the deploy tells the operator to add (scripts/deploy/push-routes.js) are
 * exactly the pushes `callback` handles: every push a row carries is read by shared/push.ts as a
 * kind it handles, and every kind it handles arrives through some row.
 */
import { PUSH_ROUTES } from '../../scripts/deploy/push-routes';
import { readPush, type PushKind } from '../../shared/push';

const base = { ToUserName: 'gh_0123456789ab', FromUserName: 'o-ann', CreateTime: 1700000000 };

/** One push of each kind `callback` handles, as WeChat sends it (§D.4); TypeScript keeps the list whole. */
const SAMPLES: Record<Exclude<PushKind, 'other'>, Record<string, unknown>> = {
  text: { ...base, MsgType: 'text', Content: 'hello', MsgId: '1' },
  image: { ...base, MsgType: 'image', PicUrl: 'https://example.com/a.png', MediaId: 'm', MsgId: '2' },
  miniprogrampage: { ...base, MsgType: 'miniprogrampage', Title: 't', AppId: 'wx0123456789abcdef', PagePath: 'pages/index/index', MsgId: '3' },
  'enter-session': { ...base, MsgType: 'event', Event: 'user_enter_tempsession', SessionFrom: 'button' },
  'subscribe-popup': { ...base, MsgType: 'event', Event: 'subscribe_msg_popup_event', List: { TemplateId: 'T1', SubscribeStatusString: 'accept', PopupScene: '0' } },
  'subscribe-change': { ...base, MsgType: 'event', Event: 'subscribe_msg_change_event', List: { TemplateId: 'T1', SubscribeStatusString: 'reject' } },
  'subscribe-sent': { ...base, MsgType: 'event', Event: 'subscribe_msg_sent_event', List: { TemplateId: 'T1', MsgID: '9', ErrorCode: 0, ErrorStatus: 'success' } },
};

const typeOf = (push: { MsgType?: unknown; Event?: unknown }): string => `${String(push.MsgType)}/${push.Event === undefined ? '' : String(push.Event)}`;

test('every push a row carries is one callback handles', () => {
  const samples = new Map(Object.entries(SAMPLES).map(([kind, sample]) => [typeOf(sample), { kind, sample }]));
  for (const carried of PUSH_ROUTES.flatMap((route) => route.carries)) {
    const found = samples.get(typeOf(carried));
    expect({ carried, handled: found !== undefined }).toEqual({ carried, handled: true });
    if (found) expect(readPush(found.sample).kind).toBe(found.kind);
  }
});

test('every kind callback handles arrives through a row, and each row carries its own type', () => {
  const carried = new Set(PUSH_ROUTES.flatMap((route) => route.carries.map(typeOf)));
  for (const [kind, sample] of Object.entries(SAMPLES)) expect({ kind, routed: carried.has(typeOf(sample)) }).toEqual({ kind, routed: true });
  for (const route of PUSH_ROUTES) {
    for (const push of route.carries) expect(push.MsgType).toBe(route.msgType);
    if (route.msgType !== 'event') expect(route.carries).toEqual([{ MsgType: route.msgType }]);
  }
});
