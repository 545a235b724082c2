// @ts-check
// The message-push rows to add by hand in the console (no API of the CLI or the manager sets them):
// 云开发 → 设置 → 其他设置 → 消息推送, mode cloud function, each row to `callback` in the environment
// (Platform sources §D.4). One row per `<MsgType, Event>`; the console names the three
// subscription-message events with one row, `subscribe_msg_event`.

/**
 * @typedef {object} PushRoute
 * @property {string} msgType the row's MsgType
 * @property {string} [event] the row's Event (MsgType `event` only)
 * @property {{ MsgType: string, Event?: string }[]} carries the pushes WeChat then sends `callback`
 */

/** @type {PushRoute[]} every kind of push `callback` handles (shared/push.ts readPush), and no other */
const PUSH_ROUTES = [
  { msgType: 'text', carries: [{ MsgType: 'text' }] },
  { msgType: 'image', carries: [{ MsgType: 'image' }] },
  { msgType: 'miniprogrampage', carries: [{ MsgType: 'miniprogrampage' }] },
  { msgType: 'event', event: 'user_enter_tempsession', carries: [{ MsgType: 'event', Event: 'user_enter_tempsession' }] },
  {
    msgType: 'event',
    event: 'subscribe_msg_event',
    carries: [
      { MsgType: 'event', Event: 'subscribe_msg_popup_event' },
      { MsgType: 'event', Event: 'subscribe_msg_change_event' },
      { MsgType: 'event', Event: 'subscribe_msg_sent_event' },
    ],
  },
];

module.exports = { PUSH_ROUTES, PUSH_FUNCTION: 'callback' };
