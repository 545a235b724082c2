import type { IncomingMessage, ServerResponse } from 'node:http';
import { BackendError, invalidParam } from '../errors';
import { readParams, Refusal, sendJson, type Params } from '../http';
import type { Route } from '../server';
import { CODE_SCENES, type ScanHow } from './codes';
import { isOpenid, parseTemplates, POPUP_ANSWERS, type PopupAnswer } from './messages';
import { CLOUD_ID_TTL_MS, parseFault, parseGroupCloudIdRequest, type WeChat } from './operations';
import type { Pushes } from './pushes';
import type { InboxItem } from './state';

/** Runs a route and answers a refusal as `{code, message}` with 400 (or the door's status) instead of a server error. */
async function answer(res: ServerResponse, work: () => Promise<unknown> | unknown): Promise<void> {
  try {
    sendJson(res, 200, await work());
  } catch (error) {
    if (!(error instanceof BackendError)) throw error;
    sendJson(res, error instanceof Refusal ? error.status : 400, { code: error.code, message: error.message });
  }
}

const query = (req: IncomingMessage): URLSearchParams => new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;

function openidOf(value: unknown, field = 'openid'): string {
  if (!isOpenid(value)) throw invalidParam(`${field} must be an openid: 1 to 64 letters, digits, _ or -`);
  return value;
}

/** The Mini Program a user action is for: the body's `appid`, or the project's. */
function appidOf(params: Params): string | undefined {
  if (params.appid === undefined) return undefined;
  if (typeof params.appid !== 'string' || !params.appid) throw invalidParam('appid, when given, must be a non-empty string');
  return params.appid;
}

function popupAnswers(value: unknown): Record<string, PopupAnswer> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidParam('answers must be an object {<templateId>: "accept" | "acceptWithAudio" | "reject" | "ban" | "filter"}');
  for (const [id, given] of Object.entries(value)) {
    if (!(POPUP_ANSWERS as readonly unknown[]).includes(given)) throw invalidParam(`answers.${id} must be one of ${POPUP_ANSWERS.join(', ')}`);
  }
  return value as Record<string, PopupAnswer>;
}

function chatInput(params: Params): { text: string } | { sessionFrom: string } {
  const { text, sessionFrom } = params;
  if ((text === undefined) === (sessionFrom === undefined)) throw invalidParam('give text (the user types a message) or sessionFrom (the user enters the chat), one of them');
  if (text !== undefined) {
    if (typeof text !== 'string' || !text || text.length > 2048) throw invalidParam('text must be a string of 1 to 2,048 characters');
    return { text };
  }
  if (typeof sessionFrom !== 'string' || sessionFrom.length > 1024) throw invalidParam('sessionFrom must be a string of at most 1,024 characters');
  return { sessionFrom };
}

/** The most a scanned image may be, as base64: 8 MiB of PNG, more than any photo of a code needs. */
const MAX_IMAGE_BASE64 = Math.ceil((8 * 1024 * 1024) / 3) * 4;

/** The PNG of `POST /__rukou/wechat/scan`: base64, or a data URL of it. */
function imageOf(value: unknown): Buffer {
  const text = typeof value === 'string' ? value.replace(/^data:image\/png;base64,/, '').replace(/\s+/g, '') : undefined;
  if (text === undefined || text === '' || text.length > MAX_IMAGE_BASE64 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw invalidParam('image must be the PNG as base64 (or a data:image/png;base64, URL), at most 8 MiB');
  }
  return Buffer.from(text, 'base64');
}

function scanHow(value: unknown): ScanHow {
  if (value === undefined) return 'scan';
  if (typeof value !== 'string' || !Object.hasOwn(CODE_SCENES, value)) throw invalidParam(`how must be one of ${Object.keys(CODE_SCENES).join(', ')}`);
  return value as ScanHow;
}

/** An inbox item as the route shows it: no openid (the caller named it), the time in ISO. */
function shown(item: InboxItem): Record<string, unknown> {
  const rest: Partial<InboxItem> = { ...item };
  delete rest.openid;
  return { ...rest, sentAt: new Date(item.sentAt).toISOString() };
}

/**
 * The simulated WeChat's face for tests and the demo: what a Mini Program client would get from
 * WeChat's client APIs, what a user does in WeChat (answers a pop-up, chats, taps), and what
 * WeChat pushed. Every route and its shapes is in README, "The simulated WeChat".
 *
 * @example
 * // what wx.getGroupEnterInfo gives user o-1 who opened a card in group "family"
 * POST /__rukou/wechat/cloudid
 * {"openid": "o-1", "appid": "wx123", "kind": "groupEnterInfo", "groupId": "family", "chatType": 3}
 * → {"cloudID": "27_…", "expiresAt": "2026-…Z"}
 * // user o-1 accepts a template in the pop-up; WeChat pushes subscribe_msg_popup_event to `callback`
 * POST /__rukou/wechat/subscribe {"openid": "o-1", "answers": {"<templateId>": "accept"}}
 * → {"errMsg": "requestSubscribeMessage:ok", "<templateId>": "accept"}
 * // user o-1 scans a poster's code, then opens a link from a text message
 * POST /__rukou/wechat/scan {"openid": "o-1", "image": "iVBORw0KGgo…"}
 * → {"scene": 1047, "path": "pages/index/index", "query": {"scene": "rk_ch%3Dstore-7"}, "envVersion": "release"}
 * POST /__rukou/wechat/open {"openid": "o-1", "url": "https://wxaurl.cn/AbCdEfGhIjK"}
 * → {"scene": 1194, "path": "pages/goods/detail", "query": {"id": "7", "rk_ch": "sms-1"}, "envVersion": "release"}
 */
export function wechatRoutes(wechat: WeChat, pushes: Pushes, now: () => number): Route[] {
  const { messages, codes } = wechat;
  const post = (prefix: string, work: (params: Params) => unknown): Route => ({
    method: 'POST',
    prefix,
    handle: (req, res) => answer(res, async () => work(await readParams(req))),
  });
  const get = (prefix: string, work: (query: URLSearchParams) => unknown): Route => ({
    method: 'GET',
    prefix,
    handle: (req, res) => answer(res, () => work(query(req))),
  });
  return [
    post('/__rukou/wechat/cloudid', (params) => {
      const record = wechat.issueGroupCloudId(parseGroupCloudIdRequest(params, now()));
      return { cloudID: record.cloudID, expiresAt: new Date(record.issuedAt + CLOUD_ID_TTL_MS).toISOString() };
    }),
    get('/__rukou/wechat/templates', () => ({ templates: messages.templateList().data })),
    {
      method: 'PUT',
      prefix: '/__rukou/wechat/templates',
      handle: (req, res) =>
        answer(res, async () => {
          wechat.setTemplates(parseTemplates(await readParams(req)));
          return { templates: messages.templateList().data };
        }),
    },
    post('/__rukou/wechat/subscribe', (params) => messages.subscribe(openidOf(params.openid), popupAnswers(params.answers), appidOf(params))),
    post('/__rukou/wechat/unsubscribe', (params) => {
      const ids = params.templateIds;
      if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string')) throw invalidParam('templateIds must be a non-empty array of template ids');
      return { grants: messages.turnOff(openidOf(params.openid), ids as string[], appidOf(params)) };
    }),
    get('/__rukou/wechat/grants', (q) => ({ grants: messages.grantsOf(openidOf(q.get('openid'))).map(({ templateId, quota }) => ({ templateId, quota })) })),
    post('/__rukou/wechat/cs', (params) => messages.chat(openidOf(params.openid), chatInput(params), appidOf(params))),
    get('/__rukou/wechat/inbox', (q) => ({ messages: messages.inbox(openidOf(q.get('openid'))).map(shown) })),
    post('/__rukou/wechat/tap', (params) => {
      if (typeof params.id !== 'string' || !params.id) throw invalidParam('id must name a message of the user\'s inbox');
      return messages.tap(openidOf(params.openid), params.id);
    }),
    post('/__rukou/wechat/scan', (params) => {
      openidOf(params.openid);
      return codes.scan(imageOf(params.image), scanHow(params.how));
    }),
    post('/__rukou/wechat/open', (params) => {
      openidOf(params.openid);
      if (typeof params.url !== 'string' || !params.url || params.url.length > 4096) throw invalidParam('url must be the scheme or link the user opens, at most 4,096 characters');
      return codes.open(params.url);
    }),
    post('/__rukou/wechat/push', (params) => {
      const event = params.event;
      if (event === null || typeof event !== 'object' || Array.isArray(event)) throw invalidParam('event must be an object: the push body, as WeChat sends it');
      const from = (event as Record<string, unknown>).FromUserName;
      const record = pushes.push(event as Record<string, unknown>, { openid: isOpenid(from) ? from : undefined, appid: appidOf(params) ?? messages.appid });
      return { push: record.seq };
    }),
    get('/__rukou/wechat/pushes', (q) => ({ pushes: pushes.list({ openid: q.get('openid') ?? undefined, status: q.get('status') ?? undefined }) })),
    {
      method: 'DELETE',
      prefix: '/__rukou/wechat/pushes',
      handle: (_req, res) => answer(res, () => ({ cleared: pushes.clear() })),
    },
    post('/__rukou/wechat/faults', (params) => {
      const fault = parseFault(params, wechat.apis);
      wechat.setFault(fault);
      return { fault };
    }),
    {
      method: 'DELETE',
      prefix: '/__rukou/wechat/faults',
      handle: (_req, res) => answer(res, () => ({ cleared: wechat.clearFaults() })),
    },
  ];
}
