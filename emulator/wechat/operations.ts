import { createHash, randomBytes } from 'node:crypto';
import { parseInstant } from '../clock/operations';
import { invalidParam } from '../errors';
import type { Codes } from './codes';
import type { Messages } from './messages';
import type { CloudIdKind, CloudIdRecord, Template, WeChatState } from './state';

/** cloudIDs are valid for five minutes (docs.cloudbase.net, "get WeChat open data"). */
export const CLOUD_ID_TTL_MS = 5 * 60 * 1000;
/** Expired cloudIDs are remembered this long, so they answer "expired" rather than "invalid". */
const FORGET_AFTER_MS = 24 * 60 * 60 * 1000;

/** Who makes a cloud call: the invocation behind its WX_API_TOKEN, or nobody (a test or tool). */
export interface Caller {
  functionName?: string;
  openid?: string;
  appid?: string;
}

/** What a WeChat API answers: a JSON body (with `errcode` on failure) or bytes such as a PNG. */
export type WeChatAnswer = { json: Record<string, unknown> } | { contentType: string; body: Buffer };

/** One server API of WeChat, by its cloud-call name (`subscribeMessage.send`, …); drawing a code takes a moment, so an answer may come later. */
export type WeChatApi = (request: Record<string, unknown>, caller: Caller) => WeChatAnswer | Promise<WeChatAnswer>;

/** Open data for one cloudID, as WeChat's getOpenData reports it inside `json`. */
export type OpenDataItem = { cloudID: string; data: Record<string, unknown> } | { cloudID: string; errCode: number; errMsg: string };

export interface GroupCloudIdRequest {
  openid: string;
  appid: string;
  kind: CloudIdKind;
  /** The simulation's own name for the chat; WeChat shows each Mini Program its own id for it. */
  groupId: string;
  /** 1 WeChat single chat, 2 WeCom single chat, 3 WeChat group (default), 4 WeCom interop group. */
  chatType: number;
  /** getGroupEnterInfo's needGroupOpenID: also tell the user's openid inside the group. */
  needGroupOpenID: boolean;
  /** epoch ms; lets tests issue a cloudID "six minutes ago" */
  issuedAt: number;
}

const CHAT_TYPES = new Set([1, 2, 3, 4]);

/** WeChat's per-Mini-Program id of a chat: stable for one app, different for another. */
function appScopedId(prefix: string, appid: string, id: string): string {
  return prefix + createHash('sha256').update(`${appid}\0${id}`).digest('base64url').slice(0, 26);
}

function groupInfo(request: GroupCloudIdRequest): Record<string, unknown> {
  const watermark = { appid: request.appid, timestamp: Math.floor(request.issuedAt / 1000) };
  if (request.kind === 'shareInfo') return { openGId: appScopedId('tG', request.appid, request.groupId), watermark };
  const singleChat = request.chatType === 1 || request.chatType === 2;
  return {
    opengid: singleChat ? '' : appScopedId('tG', request.appid, request.groupId),
    open_single_roomid: singleChat ? appScopedId('sR', request.appid, request.groupId) : '',
    group_openid: request.needGroupOpenID ? appScopedId('gO', request.appid, `${request.groupId}\0${request.openid}`) : '',
    chat_type: request.chatType,
    watermark,
  };
}

/** Reads the body of `POST /__rukou/wechat/cloudid` into a request, refusing what WeChat could not issue. */
export function parseGroupCloudIdRequest(body: Record<string, unknown>, now: number): GroupCloudIdRequest {
  const { openid, appid, kind, groupId, chatType = 3, needGroupOpenID = false, issuedAt = now } = body;
  if (typeof openid !== 'string' || !openid) throw invalidParam('openid (the user who opened the chat) must be a non-empty string');
  if (typeof appid !== 'string' || !appid) throw invalidParam('appid (the Mini Program the chat opened) must be a non-empty string');
  if (kind !== 'shareInfo' && kind !== 'groupEnterInfo') throw invalidParam(`kind must be "shareInfo" or "groupEnterInfo", got ${JSON.stringify(kind)}`);
  if (typeof groupId !== 'string' || !groupId) throw invalidParam('groupId (the chat) must be a non-empty string');
  if (typeof chatType !== 'number' || !CHAT_TYPES.has(chatType)) throw invalidParam('chatType must be 1, 2, 3 or 4');
  if (kind === 'shareInfo' && chatType !== 3 && chatType !== 4) throw invalidParam('getShareInfo only gives group chats (chatType 3 or 4)');
  const at = typeof issuedAt === 'string' ? parseInstant(issuedAt) : issuedAt;
  // an expiry a Date can hold: 1e300 was taken, and the answer's expiresAt threw (a 500)
  if (typeof at !== 'number' || Number.isNaN(new Date(at).getTime()) || Number.isNaN(new Date(at + CLOUD_ID_TTL_MS).getTime())) {
    throw invalidParam('issuedAt must be epoch milliseconds or an ISO 8601 day or time with its offset, whose expiry five minutes later a Date can hold');
  }
  return { openid, appid, kind, groupId, chatType, needGroupOpenID: needGroupOpenID === true, issuedAt: at };
}

/** A fault set for tests: the next `times` calls of an API answer `errcode` and do nothing else. */
export interface Fault {
  api: string;
  errcode: number;
  times: number;
}

/** errmsgs of the faults tests set most (45009 quota, §D.1; -1 system busy); others get a generic text. */
const FAULT_MESSAGES: Record<number, string> = { 45009: 'reach max api daily quota limit', [-1]: 'system error' };

/** Reads the body of `POST /__rukou/wechat/faults`. */
export function parseFault(body: Record<string, unknown>, apis: Record<string, WeChatApi>): Fault {
  const { api, errcode, times = 1 } = body;
  if (typeof api !== 'string' || !Object.hasOwn(apis, api)) throw invalidParam(`api must be one the simulated WeChat serves: ${Object.keys(apis).join(', ')}`);
  if (typeof errcode !== 'number' || !Number.isInteger(errcode) || errcode === 0) throw invalidParam('errcode must be a non-zero integer, e.g. 45009 or -1');
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 1 || times > 1_000_000) throw invalidParam('times must be an integer from 1 to 1,000,000');
  return { api, errcode, times };
}

/**
 * The simulated WeChat: what the platform knows and answers, behind the cloud calls. Each server
 * API is one entry of `apis`, keyed by its cloud-call name; a fault set for an API answers before
 * it runs.
 */
export class WeChat {
  readonly apis: Record<string, WeChatApi>;
  private readonly faults = new Map<string, Fault>();

  constructor(
    private readonly state: WeChatState,
    private readonly now: () => number,
    readonly messages: Messages,
    readonly codes: Codes,
  ) {
    const served: Record<string, WeChatApi> = {
      'cloudbase.getOpenData': (request, caller) => {
        const list = request.cloudid_list;
        if (!Array.isArray(list) || !list.every((id) => typeof id === 'string')) {
          return { json: { errcode: 40097, errmsg: 'invalid args: cloudid_list must be an array of strings' } };
        }
        const items = this.openData(list as string[], caller);
        return {
          json: { errcode: 0, errmsg: 'ok', data_list: items.map((item) => ({ cloud_id: item.cloudID, json: JSON.stringify(item) })) },
        };
      },
      'subscribeMessage.getTemplateList': () => ({ json: messages.templateList() }),
      'subscribeMessage.send': (request, caller) => ({ json: messages.send(request, caller.appid) }),
      'customerServiceMessage.uploadTempMedia': (request) => ({ json: messages.uploadTempMedia(request) }),
      'customerServiceMessage.send': (request) => ({ json: messages.csSend(request) }),
      'wxacode.getUnlimited': (request) => codes.getUnlimited(request),
      'urlscheme.generate': (request) => ({ json: codes.generateScheme(request) }),
      'urllink.generate': (request) => ({ json: codes.generateLink(request) }),
    };
    this.apis = Object.fromEntries(
      Object.entries(served).map(([name, api]): [string, WeChatApi] => [name, (request, caller) => this.faultAnswer(name) ?? api(request, caller)]),
    );
  }

  /** Replaces the app's subscription templates (getTemplateList's answer); grants of removed templates stay but cannot be sent. */
  setTemplates(templates: Template[]): void {
    this.state.setTemplates(templates);
  }

  /** Sets a fault: the next `times` calls of `api` answer `errcode` without effect. */
  setFault(fault: Fault): void {
    this.faults.set(fault.api, { ...fault });
  }

  /** Forgets every fault set and not yet used up; answers how many there were. */
  clearFaults(): number {
    const count = this.faults.size;
    this.faults.clear();
    return count;
  }

  /** The errcode of the fault set for `api`, counting this call against its `times`; undefined when none is set. */
  takeFault(api: string): number | undefined {
    const fault = this.faults.get(api);
    if (!fault) return undefined;
    if (--fault.times <= 0) this.faults.delete(api);
    return fault.errcode;
  }

  private faultAnswer(api: string): WeChatAnswer | undefined {
    const errcode = this.takeFault(api);
    return errcode === undefined ? undefined : { json: { errcode, errmsg: FAULT_MESSAGES[errcode] ?? `simulated fault ${errcode}` } };
  }

  /** What wx.getShareInfo / wx.getGroupEnterInfo give the client: a cloudID for the group info. */
  issueGroupCloudId(request: GroupCloudIdRequest): CloudIdRecord {
    const record: CloudIdRecord = {
      cloudID: `${request.kind === 'shareInfo' ? 26 : 27}_${randomBytes(30).toString('base64url')}`,
      kind: request.kind,
      openid: request.openid,
      appid: request.appid,
      data: groupInfo(request),
      issuedAt: request.issuedAt,
    };
    this.state.addCloudId(record, this.now() - FORGET_AFTER_MS);
    return record;
  }

  /**
   * Resolves cloudIDs in input order. A bad one fails alone (the others still resolve), with the
   * SDK's codes: -601005 invalid, -601006 expired, -601007 issued to another user.
   */
  openData(list: string[], caller: Caller): OpenDataItem[] {
    const now = this.now();
    return list.map((cloudID) => {
      const record = this.state.cloudId(cloudID);
      if (!record) return { cloudID, errCode: -601005, errMsg: 'invalid cloudID' };
      if (now - record.issuedAt > CLOUD_ID_TTL_MS) return { cloudID, errCode: -601006, errMsg: 'cloudID expired' };
      if (caller.openid && caller.openid !== record.openid) return { cloudID, errCode: -601007, errMsg: 'cloudID and calling user does not match' };
      return { cloudID, data: record.data };
    });
  }
}
