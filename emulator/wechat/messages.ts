/**
 * The simulated WeChat's messages: subscription templates and grants, subscribeMessage.send,
 * customer-service messages and their window, the user's inbox and what a tap opens. Every
 * platform fact is from README, Platform sources §D, cited where it is used; the errmsg texts
 * are WeChat's where §D quotes one (47003's), the emulator's otherwise.
 */
import { createHash, randomBytes } from 'node:crypto';
import { invalidParam } from '../errors';
import type { MiniProgramSpec } from '../project';
import { ruleOf, templateKeys, valueFits } from './keywords';
import { pushEnvelope, pushList, type Pushes } from './pushes';
import type { CsSession, Grant, InboxItem, Template, WeChatState } from './state';

/** A WeChat API's JSON answer: `{errcode: 0, errmsg: 'ok', …}` or `{errcode, errmsg}`. */
export type Json = Record<string, unknown>;

/** A WeChat API's refusal, `{errcode, errmsg}`. */
export const wxError = (errcode: number, errmsg: string): Json => ({ errcode, errmsg });
const OK = { errcode: 0, errmsg: 'ok' } as const;

/** The answers of the subscription pop-up (§D.2), `acceptWithAudio` when the user also chose a voice reminder. */
export const POPUP_ANSWERS = ['accept', 'acceptWithAudio', 'reject', 'ban', 'filter'] as const;
export type PopupAnswer = (typeof POPUP_ANSWERS)[number];
/** At most this many templates in one wx.requestSubscribeMessage (§D.2, the current documentation). */
export const MAX_TEMPLATES_PER_POPUP = 5;

/** The customer-service window (§D.5): after a user's message 5 replies within 48 h; after entering the chat 2 within 1 minute. */
export const CS_WINDOW = { afterMessage: { ms: 48 * 3600_000, replies: 5 }, afterEnter: { ms: 60_000, replies: 2 } } as const;
/** Temporary media stay valid 3 days (WeChat's 临时素材; §D.5 calls the thumbnail temporary media, issue 10's plan gives the 3 days). */
export const MEDIA_TTL_MS = 3 * 24 * 3600_000;
/** The enter scenes (§D.2: a subscription message opens with 1014; §D.5: a customer-service card with 1073). */
export const SCENE = { subscribe: 1014, card: 1073 } as const;

const MINIPROGRAM_STATES = new Set(['developer', 'trial', 'formal']);
const LANGS = new Set(['zh_CN', 'en_US', 'zh_HK', 'zh_TW']);
const CS_TYPES = new Set(['text', 'image', 'link', 'miniprogrampage']);

/** The emulator's own check of an openid's shape: real ones are 28 base64url characters; tests use shorter ones. */
export const isOpenid = (value: unknown): value is string => typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value);

const demoId = (name: string): string => createHash('sha256').update(`rukou demo template ${name}`).digest('base64url').slice(0, 43);

/** The demo app's one-time templates, there until `PUT /__rukou/wechat/templates` replaces them. */
export const DEMO_TEMPLATES: Template[] = [
  {
    priTmplId: demoId('shipped'),
    title: '订单发货通知',
    content: '商品名称:{{thing1.DATA}}\n快递单号:{{character_string2.DATA}}\n发货时间:{{date3.DATA}}\n',
    example: '商品名称:入口帆布包\n快递单号:SF1234567890\n发货时间:2024年5月20日\n',
    type: 2,
  },
  {
    priTmplId: demoId('price-drop'),
    title: '降价提醒',
    content: '商品名称:{{thing1.DATA}}\n当前价格:{{amount2.DATA}}\n降价幅度:{{phrase3.DATA}}\n',
    example: '商品名称:入口帆布包\n当前价格:¥59.00\n降价幅度:大幅降价\n',
    type: 2,
  },
  {
    priTmplId: demoId('activity'),
    title: '活动开始提醒',
    content: '活动名称:{{thing1.DATA}}\n开始时间:{{time2.DATA}}\n温馨提示:{{thing3.DATA}}\n',
    example: '活动名称:周末特卖\n开始时间:2024年5月25日 10:00\n温馨提示:名额有限，先到先得\n',
    type: 2,
  },
  {
    priTmplId: demoId('booking'),
    title: '预约成功通知',
    content: '预约人:{{name1.DATA}}\n联系电话:{{phone_number2.DATA}}\n车牌号:{{car_number3.DATA}}\n预约时间:{{time4.DATA}}\n',
    example: '预约人:张三\n联系电话:+86-0766-66888866\n车牌号:粤A12345\n预约时间:15:01\n',
    type: 2,
  },
];

/** Reads the body of `PUT /__rukou/wechat/templates`, refusing a template WeChat could not have given. */
export function parseTemplates(body: Record<string, unknown>): Template[] {
  const list = body.templates;
  if (!Array.isArray(list) || list.length === 0 || list.length > 50) throw invalidParam('templates must be an array of 1 to 50 templates {priTmplId, title, content, example?, type?}');
  const seen = new Set<string>();
  return list.map((raw: unknown, i) => {
    const at = `templates[${i}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalidParam(`${at} must be an object`);
    const { priTmplId, title, content, example = '', type = 2 } = raw as Record<string, unknown>;
    if (typeof priTmplId !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(priTmplId)) throw invalidParam(`${at}.priTmplId must be 1 to 128 letters, digits, _ or -`);
    if (seen.has(priTmplId)) throw invalidParam(`${at}.priTmplId ${priTmplId} is given twice`);
    seen.add(priTmplId);
    if (typeof title !== 'string' || !title) throw invalidParam(`${at}.title must be a non-empty string`);
    if (typeof content !== 'string') throw invalidParam(`${at}.content must be a string like "商品名称:{{thing1.DATA}}"`);
    const keys = templateKeys(content);
    if (keys.length === 0) throw invalidParam(`${at}.content names no keyword ({{thing1.DATA}} …)`);
    const unruled = keys.find((key) => !ruleOf(key));
    if (unruled) throw invalidParam(`${at}.content has the keyword ${unruled}, of no rule WeChat knows (thing, number, letter, symbol, character_string, time, date, amount, phone_number, car_number, name, phrase, enum)`);
    if (new Set(keys).size !== keys.length) throw invalidParam(`${at}.content names a keyword twice`);
    if (typeof example !== 'string') throw invalidParam(`${at}.example must be a string`);
    if (type !== 2) throw invalidParam(`${at}.type must be 2 (one-time): long-term subscriptions are for public services only (§D.2) and are not simulated`);
    return { priTmplId, title, content, example, type: 2 };
  });
}

/** The path and query a tap opens from a page (`pages/a/b?x=1`): WeChat launches with them (§C.1 enter options). */
export function enterTarget(page: string): { path: string; query: Record<string, string> } {
  const [pathPart, ...rest] = page.split('?');
  const query: Record<string, string> = {};
  const search = rest.join('?');
  for (const pair of search ? search.split('&') : []) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const [key, value] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    query[decoded(key)] = decoded(value);
  }
  return { path: pathPart.replace(/^\/+/, ''), query };
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A 64-bit unsigned id as decimal digits, as msgid and MsgId are (§D.4: "a 64-bit integer"). */
const digits64 = (): string => (randomBytes(8).readBigUInt64BE() >> 1n).toString();

/** A subscribeMessage.send's data checked against its template (§D.1): the errmsg names the field, or undefined when all fit. */
function dataError(template: Template, data: unknown): string | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return 'argument invalid! data invalid';
  const keys = templateKeys(template.content);
  const extra = Object.keys(data).find((key) => !keys.includes(key));
  if (extra !== undefined) return `argument invalid! data.${extra} is not a keyword of the template`;
  for (const key of keys) {
    const entry = (data as Record<string, unknown>)[key];
    const value = entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>).value : undefined;
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return `argument invalid! data.${key}.value is empty`;
    if ((typeof value !== 'string' && typeof value !== 'number') || !valueFits(ruleOf(key)!, String(value))) return `argument invalid! data.${key}.value invalid`;
  }
  return undefined;
}

/** The user's side of the simulation and the message APIs behind the cloud calls. */
export class Messages {
  constructor(
    private readonly state: WeChatState,
    private readonly now: () => number,
    private readonly app: MiniProgramSpec,
    private readonly pushes: Pushes,
  ) {}

  /** The Mini Program's appid, for pushes that name no other. */
  get appid(): string {
    return this.app.appid;
  }

  private template(id: unknown): Template | undefined {
    return this.state.templates().find((t) => t.priTmplId === id);
  }

  /** `subscribeMessage.getTemplateList` (§D.1's family): the app's templates, `{errcode: 0, errmsg: 'ok', data: [{priTmplId, title, content, example, type}]}`. */
  templateList(): Json {
    return { ...OK, data: this.state.templates() };
  }

  /**
   * `subscribeMessage.send` (§D.1), request keys snake_case as the SDK sends them: `{touser,
   * template_id, page?, data: {<key>: {value}}, miniprogram_state?, lang?}`. Checks in order:
   * 40003 touser, 40037 template_id, 41030 page (its path must be a page of app.json; none = not
   * clickable, allowed), 47003 miniprogram_state, lang and data (the errmsg names the field),
   * 43101 no send granted. Success takes one send, answers `{errcode: 0, errmsg: 'ok', msgid}` (a
   * string of digits), puts the message in the inbox and pushes `subscribe_msg_sent_event`.
   */
  send(request: Json, callerAppid: string | undefined): Json {
    const { touser, template_id: templateId, page, data, miniprogram_state: state, lang } = request;
    if (!isOpenid(touser)) return wxError(40003, 'invalid openid');
    const template = this.template(templateId);
    if (!template) return wxError(40037, 'invalid template id');
    if (page !== undefined && page !== '' && !this.isPage(page)) return wxError(41030, 'invalid page: not a page of the released Mini Program (app.json)');
    if (state !== undefined && !MINIPROGRAM_STATES.has(state as string)) return wxError(47003, 'argument invalid! miniprogram_state invalid');
    if (lang !== undefined && !LANGS.has(lang as string)) return wxError(47003, 'argument invalid! lang invalid');
    const invalid = dataError(template, data);
    if (invalid) return wxError(47003, invalid);
    const grant = this.state.grant(touser, template.priTmplId);
    if (!grant || grant.quota <= 0) return wxError(43101, 'user refuse to accept the msg');

    const now = this.now();
    const msgid = digits64();
    this.state.putGrants([{ ...grant, quota: grant.quota - 1, updatedAt: now }]);
    const values = Object.fromEntries(Object.entries(data as Record<string, { value: unknown }>).map(([key, entry]) => [key, String(entry.value)]));
    const item: InboxItem = { id: msgid, openid: touser, kind: 'subscribe', templateId: template.priTmplId, title: template.title, data: values, sentAt: now };
    if (typeof page === 'string' && page) item.page = page;
    this.state.addToInbox(item);
    const appid = callerAppid ?? this.app.appid;
    this.pushes.push(
      pushEnvelope(appid, touser, now, {
        MsgType: 'event',
        Event: 'subscribe_msg_sent_event',
        List: { TemplateId: template.priTmplId, MsgID: msgid, ErrorCode: 0, ErrorStatus: 'success' },
      }),
      { openid: touser, appid },
    );
    return { ...OK, msgid };
  }

  private isPage(page: unknown): boolean {
    if (typeof page !== 'string') return false;
    return !this.app.pages || this.app.pages.includes(enterTarget(page).path);
  }

  /**
   * The user answers the subscription pop-up: `answers` maps each template id to an answer of
   * POPUP_ANSWERS. Each accept (with audio or not) adds one send (§D.2); WeChat pushes
   * `subscribe_msg_popup_event` with the accepts and rejects (§D.4: SubscribeStatusString is
   * accept or reject, PopupScene "0"; ban and filter showed the user nothing to answer, so are not
   * pushed). Answers what wx.requestSubscribeMessage resolves with, `{errMsg:
   * 'requestSubscribeMessage:ok', <id>: <answer>…}`, or its fail shape `{errMsg, errCode}` (§D.2):
   * 10001 no template, 20003 more than five, 10004 a template id the app does not have; a fail
   * grants and pushes nothing.
   */
  subscribe(openid: string, answers: Record<string, PopupAnswer>, appid = this.app.appid): Json {
    const ids = Object.keys(answers);
    if (ids.length === 0) return { errMsg: 'requestSubscribeMessage:fail TmplIds can\'t be empty', errCode: 10001 };
    if (ids.length > MAX_TEMPLATES_PER_POPUP) return { errMsg: `requestSubscribeMessage:fail TmplIds over limit (at most ${MAX_TEMPLATES_PER_POPUP})`, errCode: 20003 };
    const unknown = ids.find((id) => !this.template(id));
    if (unknown !== undefined) return { errMsg: `requestSubscribeMessage:fail Invalid template id ${unknown}`, errCode: 10004 };

    const now = this.now();
    const grants: Grant[] = [];
    const listed: Record<string, unknown>[] = [];
    for (const id of ids) {
      const answer = answers[id];
      if (answer === 'accept' || answer === 'acceptWithAudio') {
        const grant = this.state.grant(openid, id) ?? { openid, templateId: id, quota: 0, updatedAt: now };
        grants.push({ ...grant, quota: grant.quota + 1, updatedAt: now });
        listed.push({ TemplateId: id, SubscribeStatusString: 'accept', PopupScene: '0' });
      } else if (answer === 'reject') listed.push({ TemplateId: id, SubscribeStatusString: 'reject', PopupScene: '0' });
    }
    if (grants.length) this.state.putGrants(grants);
    if (listed.length) {
      this.pushes.push(pushEnvelope(appid, openid, now, { MsgType: 'event', Event: 'subscribe_msg_popup_event', List: pushList(listed) }), { openid, appid });
    }
    return { errMsg: 'requestSubscribeMessage:ok', ...answers };
  }

  /**
   * The user turns templates off in the Mini Program's settings: their sends left become 0, and
   * WeChat pushes `subscribe_msg_change_event` with SubscribeStatusString "reject" (§D.4: only
   * rejects are pushed). Answers the grants as they are now.
   */
  turnOff(openid: string, templateIds: string[], appid = this.app.appid): Grant[] {
    const unknown = templateIds.find((id) => !this.template(id));
    if (unknown !== undefined) throw invalidParam(`templateIds: the app has no template ${unknown}`);
    const now = this.now();
    const grants = templateIds.map((id) => ({ openid, templateId: id, quota: 0, updatedAt: now }));
    this.state.putGrants(grants);
    const listed = templateIds.map((id) => ({ TemplateId: id, SubscribeStatusString: 'reject' }));
    this.pushes.push(pushEnvelope(appid, openid, now, { MsgType: 'event', Event: 'subscribe_msg_change_event', List: pushList(listed) }), { openid, appid });
    return grants;
  }

  /** What WeChat has granted `openid`: sends left per template. */
  grantsOf(openid: string): Grant[] {
    return this.state.grantsOf(openid);
  }

  /**
   * The user in the customer-service chat (§D.4 payloads): typing `text` opens the 48-hour window
   * and pushes MsgType text with MsgId a string of 64-bit digits; entering with `sessionFrom` (the
   * button's session-from) opens the one-minute window and pushes event user_enter_tempsession.
   * Answers the push's seq and, for a text, its MsgId.
   */
  chat(openid: string, input: { text: string } | { sessionFrom: string }, appid = this.app.appid): { push: number; msgId?: string } {
    const now = this.now();
    const session: CsSession = this.state.session(openid) ?? { openid, sentSinceMessage: 0, sentSinceEnter: 0 };
    if ('text' in input) {
      const msgId = digits64();
      this.state.putSession({ ...session, lastMessageAt: now, sentSinceMessage: 0 });
      const record = this.pushes.push(pushEnvelope(appid, openid, now, { MsgType: 'text', Content: input.text, MsgId: msgId }), { openid, appid });
      return { push: record.seq, msgId };
    }
    this.state.putSession({ ...session, enteredAt: now, sentSinceEnter: 0 });
    const record = this.pushes.push(
      pushEnvelope(appid, openid, now, { MsgType: 'event', Event: 'user_enter_tempsession', SessionFrom: input.sessionFrom }),
      { openid, appid },
    );
    return { push: record.seq };
  }

  /**
   * `customerServiceMessage.uploadTempMedia` (§D.5): `{type: 'image', media: {contentType, value}}`
   * (the SDK sends media as a file part, named, its content type lost on the way: openapi/operations.ts) → `{errcode: 0, errmsg: 'ok', type, media_id, created_at}`,
   * valid MEDIA_TTL_MS. 40004 a type other than image, 41005 no media file.
   */
  uploadTempMedia(request: Json): Json {
    if (request.type !== 'image') return wxError(40004, 'invalid media type');
    const media = request.media as { contentType?: unknown; value?: unknown } | undefined;
    if (!media || !Buffer.isBuffer(media.value) || media.value.length === 0) return wxError(41005, 'media data missing');
    const now = this.now();
    const mediaId = randomBytes(48).toString('base64url');
    this.state.addMedium({ mediaId, type: 'image', contentType: typeof media.contentType === 'string' ? media.contentType : '', size: media.value.length, createdAt: now }, now - MEDIA_TTL_MS - 24 * 3600_000);
    return { ...OK, type: 'image', media_id: mediaId, created_at: Math.floor(now / 1000) };
  }

  /**
   * `customerServiceMessage.send` (§D.5): `{touser, msgtype, text: {content} | image: {media_id} |
   * link: {title, description?, url, thumb_url?} | miniprogrampage: {title, pagepath,
   * thumb_media_id}}`. 40003 touser, 40008 msgtype, 47001 a missing field, 40007 a media_id
   * unknown or past its 3 days, 45015 no window open (no message in 48 h, no entry in the last
   * minute), 45047 the open windows' replies used up. Success uses a reply of each open window and
   * puts the message in the inbox (a miniprogrampage is a card).
   */
  csSend(request: Json): Json {
    const { touser, msgtype } = request;
    if (!isOpenid(touser)) return wxError(40003, 'invalid openid');
    if (typeof msgtype !== 'string' || !CS_TYPES.has(msgtype)) return wxError(40008, 'invalid message type');
    const body = request[msgtype] as Record<string, unknown> | undefined;
    const text = (key: string): string | undefined => (body && typeof body[key] === 'string' && body[key] !== '' ? (body[key] as string) : undefined);
    const needed = { text: ['content'], image: ['media_id'], link: ['title', 'url'], miniprogrampage: ['title', 'pagepath', 'thumb_media_id'] }[msgtype]!;
    const missing = needed.find((key) => !text(key));
    if (missing) return wxError(47001, `data format error: ${msgtype}.${missing} is missing`);
    const mediaId = text('media_id') ?? text('thumb_media_id');
    const now = this.now();
    if (mediaId !== undefined) {
      const medium = this.state.medium(mediaId);
      if (!medium || now - medium.createdAt > MEDIA_TTL_MS) return wxError(40007, 'invalid media_id');
    }
    const session = this.state.session(touser);
    const byMessage = session?.lastMessageAt !== undefined && now - session.lastMessageAt <= CS_WINDOW.afterMessage.ms;
    const byEnter = session?.enteredAt !== undefined && now - session.enteredAt <= CS_WINDOW.afterEnter.ms;
    if (!session || (!byMessage && !byEnter)) return wxError(45015, 'response out of time limit or subscription is canceled');
    const room = (byMessage && session.sentSinceMessage < CS_WINDOW.afterMessage.replies) || (byEnter && session.sentSinceEnter < CS_WINDOW.afterEnter.replies);
    if (!room) return wxError(45047, 'out of response count limit');
    this.state.putSession({
      ...session,
      sentSinceMessage: session.sentSinceMessage + (byMessage ? 1 : 0),
      sentSinceEnter: session.sentSinceEnter + (byEnter ? 1 : 0),
    });
    const item: InboxItem = { id: digits64(), openid: touser, kind: msgtype === 'miniprogrampage' ? 'card' : (msgtype as InboxItem['kind']), sentAt: now };
    if (msgtype === 'miniprogrampage') Object.assign(item, { title: text('title'), page: text('pagepath') });
    else if (msgtype === 'link') Object.assign(item, { title: text('title'), content: text('url') });
    else item.content = text(msgtype === 'text' ? 'content' : 'media_id');
    this.state.addToInbox(item);
    return { ...OK };
  }

  /** What `openid` received, oldest first. */
  inbox(openid: string): InboxItem[] {
    return this.state.inboxOf(openid);
  }

  /**
   * The user taps a received subscription message (scene 1014, §D.2) or card (1073, §D.5): the
   * enter options the Mini Program launches with, `{scene, path, query}`. Refused: an id not in
   * this user's inbox, a message with no page (not clickable, §D.1), a text, image or link.
   */
  tap(openid: string, id: string): { scene: number; path: string; query: Record<string, string> } {
    const item = this.state.inboxItem(id);
    if (!item || item.openid !== openid) throw invalidParam(`${openid} received no message ${id}`);
    if (item.kind !== 'subscribe' && item.kind !== 'card') throw invalidParam(`a ${item.kind} message opens no Mini Program page`);
    if (!item.page) throw invalidParam('the message was sent without a page: it is not clickable');
    return { scene: item.kind === 'subscribe' ? SCENE.subscribe : SCENE.card, ...enterTarget(item.page) };
  }
}
