/**
 * WeChat message push ("消息推送", Platform sources §D.4), read into one typed shape. WeChat
 * delivers each push to the cloud function as its `event`, in JSON, with quirks this module
 * irons out once so that no handler meets them:
 * - `List` (subscription events) is an object for one item and an array for several: always an array;
 * - `CreateTime` is seconds, sometimes written as a string: always a number;
 * - `MsgId` is a 64-bit integer, which a JS number cannot hold exactly: always a string, kept as
 *   sent (a number that arrives is written in full digits, never in exponent form);
 * - WeChat retries a push it got no `success` for, so each push has a dedupe key (§D.4): its
 *   `MsgId`, else a hash of `FromUserName`, `CreateTime`, `Event` and the normalised `List`, so a
 *   retry that writes `List` or `CreateTime` the other way still meets its first delivery.
 *
 * What is a push: an object with `ToUserName`, `FromUserName` (the user's openid), `CreateTime` and
 * `MsgType`; anything else (a client's call, a timer's event) is refused with a ValidationError
 * naming the field, so the caller can write nothing. This proves the shape, not who sent it: the
 * handler checks that the invocation came from WeChat. Fields the runtime adds (`userInfo`, §H.1)
 * and fields Rukou has no use for are ignored.
 *
 * A well-formed push of a type Rukou does not handle (`wxa_media_check`, …) is read as kind
 * `other` rather than refused: refusing would make WeChat deliver it three more times for nothing.
 *
 * @example
 * readPush({ ToUserName: 'gh_0123456789ab', FromUserName: 'o-ann', CreateTime: '1700000000', MsgType: 'event',
 *   Event: 'subscribe_msg_popup_event', List: { TemplateId: 'T1', SubscribeStatusString: 'accept', PopupScene: '0' } })
 * // → { kind: 'subscribe-popup', createTime: 1700000000, items: [{ templateId: 'T1', status: 'accept', popupScene: '0' }], dedupeKey: 'evt:…', … }
 */
import { createHash } from 'node:crypto';
import { ValidationError } from './errors';
import { isRecord, nestsWithin } from './input';

export type PushKind = 'text' | 'image' | 'miniprogrampage' | 'enter-session' | 'subscribe-popup' | 'subscribe-change' | 'subscribe-sent' | 'other';

interface PushBase {
  /** The Mini Program's original id (`gh_…`). */
  toUserName: string;
  /** The user's openid. */
  openid: string;
  /** When WeChat made the push, in seconds since the epoch. */
  createTime: number;
  /** Equal for every delivery of one push: `msg:<MsgId>` or `evt:<hash>`. */
  dedupeKey: string;
}

/** A customer-service message the user sent; `msgId` is WeChat's 64-bit id as a string. */
export interface TextPush extends PushBase {
  kind: 'text';
  msgId: string;
  content: string;
}

export interface ImagePush extends PushBase {
  kind: 'image';
  msgId: string;
  picUrl?: string;
  mediaId?: string;
}

/** A Mini Program card the user sent into the chat. */
export interface MiniProgramPagePush extends PushBase {
  kind: 'miniprogrampage';
  msgId: string;
  title?: string;
  appId?: string;
  pagePath?: string;
  thumbUrl?: string;
  thumbMediaId?: string;
}

/** `user_enter_tempsession`: the user entered the chat, from a button's `session-from` when it has one. */
export interface EnterSessionPush extends PushBase {
  kind: 'enter-session';
  sessionFrom?: string;
}

/** One template's answer in a pop-up: `status` is `accept` or `reject` as WeChat writes it; `popupScene` "0" is in-page. */
export interface PopupItem {
  templateId: string;
  status: string;
  popupScene?: string;
}

export interface SubscribePopupPush extends PushBase {
  kind: 'subscribe-popup';
  items: PopupItem[];
}

/** A change in the user's settings; WeChat pushes rejects only (`status` "reject"). */
export interface ChangeItem {
  templateId: string;
  status: string;
}

export interface SubscribeChangePush extends PushBase {
  kind: 'subscribe-change';
  items: ChangeItem[];
}

/** The fate of one sent message: `msgId` as `subscribeMessage.send` answered it, `errorCode` 0 and `errorStatus` "success" when delivered. */
export interface SentItem {
  templateId: string;
  msgId: string;
  errorCode: number;
  errorStatus: string;
}

export interface SubscribeSentPush extends PushBase {
  kind: 'subscribe-sent';
  items: SentItem[];
}

/** A push of a type Rukou does not handle: to be answered `success` and otherwise left alone. */
export interface OtherPush extends PushBase {
  kind: 'other';
  msgType: string;
  event?: string;
}

export type Push = TextPush | ImagePush | MiniProgramPagePush | EnterSessionPush | SubscribePopupPush | SubscribeChangePush | SubscribeSentPush | OtherPush;

/** Deeper than this, a `List` is no push of WeChat's; it stops the canonical form's recursion. */
const MAX_LIST_DEPTH = 8;

const refuse = (field: string, wants: string): never => {
  throw new ValidationError(`Not a WeChat message push: ${field} must be ${wants}.`, field);
};

function text(body: Record<string, unknown>, field: string, path = field): string {
  const value = body[field];
  return typeof value === 'string' && value.length > 0 ? value : refuse(path, 'a non-empty string');
}

function optionalText(body: Record<string, unknown>, field: string, path = field): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : refuse(path, 'a string when present');
}

/** The optional string fields named (our name → WeChat's), those that are present: absent ones stay absent, not undefined. */
function optionalTexts<K extends string>(body: Record<string, unknown>, names: Record<K, string>): Partial<Record<K, string>> {
  const found: Partial<Record<K, string>> = {};
  for (const [ours, theirs] of Object.entries(names) as [K, string][]) {
    const value = optionalText(body, theirs);
    if (value !== undefined) found[ours] = value;
  }
  return found;
}

/** An opaque id that may arrive as a number: as a string of its full digits. */
function id(body: Record<string, unknown>, field: string, path = field): string {
  const value = body[field];
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return BigInt(value).toString();
  return typeof value === 'string' && value.length > 0 ? value : refuse(path, 'a non-empty string or a non-negative integer');
}

function createTime(body: Record<string, unknown>): number {
  const value = body.CreateTime;
  const seconds = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  return typeof seconds === 'number' && Number.isSafeInteger(seconds) && seconds >= 0 ? seconds : refuse('CreateTime', 'seconds since the epoch: a non-negative integer, or its digits as a string');
}

/** `List` as an array of objects, each with its field path as sent (`List.TemplateId` or `List.1.TemplateId`). */
function listItems(body: Record<string, unknown>): { item: Record<string, unknown>; path: string }[] {
  const list = body.List;
  if (isRecord(list)) return [{ item: list, path: 'List' }];
  if (!Array.isArray(list) || list.length === 0) return refuse('List', 'an object, or a non-empty array of objects');
  return list.map((item: unknown, index) => (isRecord(item) ? { item, path: `List.${index}` } : refuse(`List.${index}`, 'an object')));
}

function popupItems(body: Record<string, unknown>): PopupItem[] {
  return listItems(body).map(({ item, path }) => {
    const popupScene = item.PopupScene;
    return {
      templateId: text(item, 'TemplateId', `${path}.TemplateId`),
      status: text(item, 'SubscribeStatusString', `${path}.SubscribeStatusString`),
      ...(typeof popupScene === 'string' || typeof popupScene === 'number' ? { popupScene: String(popupScene) } : {}),
    };
  });
}

function changeItems(body: Record<string, unknown>): ChangeItem[] {
  return listItems(body).map(({ item, path }) => ({ templateId: text(item, 'TemplateId', `${path}.TemplateId`), status: text(item, 'SubscribeStatusString', `${path}.SubscribeStatusString`) }));
}

function sentItems(body: Record<string, unknown>): SentItem[] {
  return listItems(body).map(({ item, path }) => {
    const code = typeof item.ErrorCode === 'string' && /^-?\d{1,15}$/.test(item.ErrorCode) ? Number(item.ErrorCode) : item.ErrorCode;
    return {
      templateId: text(item, 'TemplateId', `${path}.TemplateId`),
      msgId: id(item, 'MsgID', `${path}.MsgID`),
      errorCode: typeof code === 'number' && Number.isSafeInteger(code) ? code : refuse(`${path}.ErrorCode`, 'an integer, or its digits as a string'),
      errorStatus: text(item, 'ErrorStatus', `${path}.ErrorStatus`),
    };
  });
}

/** JSON with every object's keys in order, so that one value is always written the same way. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The key of an event without `MsgId`: the fields §D.4 names, hashed to a bounded id. */
function eventKey(openid: string, seconds: number, event: string | undefined, list: unknown): string {
  const parts = canonical([openid, seconds, event ?? null, list ?? null]);
  return `evt:${createHash('sha256').update(parts).digest('base64url').slice(0, 32)}`;
}

/**
 * Reads a message push (`event` of a cloud function that WeChat pushes to, §D.4) into a `Push`,
 * the union of the kinds above keyed by `kind`. Times are seconds; ids are strings.
 *
 * Throws ValidationError (field: the push field at fault, `List.0.TemplateId` style) for anything
 * that is not a push, or a push of a handled kind that lacks what that kind needs (`MsgId`, `Content`
 * of a text, `List` of a subscription event).
 */
export function readPush(event: unknown): Push {
  if (!isRecord(event)) throw new ValidationError('Not a WeChat message push: the event must be an object.');
  const base = { toUserName: text(event, 'ToUserName'), openid: text(event, 'FromUserName'), createTime: createTime(event) };
  const msgType = text(event, 'MsgType');
  const eventName = msgType === 'event' ? text(event, 'Event') : optionalText(event, 'Event');
  const hasMsgId = event.MsgId !== undefined && event.MsgId !== null;
  const msgId = hasMsgId ? id(event, 'MsgId') : undefined;
  const keyOf = (list: unknown): string => (msgId !== undefined ? `msg:${msgId}` : eventKey(base.openid, base.createTime, eventName, list));
  const needMsgId = (): string => msgId ?? refuse('MsgId', 'a non-empty string or a non-negative integer');

  switch (msgType === 'event' ? `event:${eventName}` : msgType) {
    case 'text': {
      const content = optionalText(event, 'Content') ?? refuse('Content', 'a string');
      return { kind: 'text', ...base, msgId: needMsgId(), content, dedupeKey: keyOf(undefined) };
    }
    case 'image':
      return { kind: 'image', ...base, msgId: needMsgId(), ...optionalTexts(event, { picUrl: 'PicUrl', mediaId: 'MediaId' }), dedupeKey: keyOf(undefined) };
    case 'miniprogrampage':
      return {
        kind: 'miniprogrampage',
        ...base,
        msgId: needMsgId(),
        ...optionalTexts(event, { title: 'Title', appId: 'AppId', pagePath: 'PagePath', thumbUrl: 'ThumbUrl', thumbMediaId: 'ThumbMediaId' }),
        dedupeKey: keyOf(undefined),
      };
    case 'event:user_enter_tempsession':
      // two entries in one second through two buttons are two pushes: the session-from is part of the key
      return { kind: 'enter-session', ...base, ...optionalTexts(event, { sessionFrom: 'SessionFrom' }), dedupeKey: keyOf(optionalText(event, 'SessionFrom')) };
    case 'event:subscribe_msg_popup_event': {
      const items = popupItems(event);
      return { kind: 'subscribe-popup', ...base, items, dedupeKey: keyOf(items) };
    }
    case 'event:subscribe_msg_change_event': {
      const items = changeItems(event);
      return { kind: 'subscribe-change', ...base, items, dedupeKey: keyOf(items) };
    }
    case 'event:subscribe_msg_sent_event': {
      const items = sentItems(event);
      return { kind: 'subscribe-sent', ...base, items, dedupeKey: keyOf(items) };
    }
    default: {
      const list = event.List;
      if (list !== undefined && !nestsWithin(list, MAX_LIST_DEPTH)) refuse('List', `nested at most ${MAX_LIST_DEPTH} deep`);
      return { kind: 'other', ...base, msgType, ...(eventName === undefined ? {} : { event: eventName }), dedupeKey: keyOf(Array.isArray(list) || list === undefined ? list : [list]) };
    }
  }
}
