/** The simulated WeChat's routes for tests: a user's actions, what WeChat pushed, and the record the fixture `callback` keeps. */
import cloud from 'wx-server-sdk';
import { until } from '../../helpers/until';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export async function call<T = Record<string, unknown>>(url: string, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`${url}${path}`, init);
  return { status: response.status, body: (await response.json()) as T };
}

export interface Template {
  priTmplId: string;
  title: string;
  content: string;
  example: string;
  type: number;
}

export async function templates(url: string): Promise<Template[]> {
  return (await call<{ templates: Template[] }>(url, 'GET', '/__rukou/wechat/templates')).body.templates;
}

/** The user answers the subscription pop-up; what wx.requestSubscribeMessage resolves with. */
export async function subscribe(url: string, openid: string, answers: Record<string, string>): Promise<Record<string, unknown>> {
  const answer = await call(url, 'POST', '/__rukou/wechat/subscribe', { openid, answers });
  if (answer.status !== 200) throw new Error(`subscribe answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

export async function quota(url: string, openid: string, templateId: string): Promise<number> {
  const { grants } = (await call<{ grants: { templateId: string; quota: number }[] }>(url, 'GET', `/__rukou/wechat/grants?openid=${openid}`)).body;
  return grants.find((grant) => grant.templateId === templateId)?.quota ?? 0;
}

export interface InboxItem {
  id: string;
  kind: string;
  templateId?: string;
  title?: string;
  page?: string;
  data?: Record<string, string>;
  content?: string;
  sentAt: string;
}

export async function inbox(url: string, openid: string): Promise<InboxItem[]> {
  return (await call<{ messages: InboxItem[] }>(url, 'GET', `/__rukou/wechat/inbox?openid=${openid}`)).body.messages;
}

export interface PushRecord {
  seq: number;
  openid?: string;
  event: Record<string, unknown>;
  status: string;
  attempts: { outcome: string; answer?: unknown; message?: string }[];
}

/** Waits until `openid` has `count` pushes and none is still being tried; answers them in order. */
export async function settledPushes(url: string, openid: string, count: number): Promise<PushRecord[]> {
  let pushes: PushRecord[] = [];
  await until(async () => {
    pushes = (await call<{ pushes: PushRecord[] }>(url, 'GET', `/__rukou/wechat/pushes?openid=${openid}`)).body.pushes;
    return pushes.length >= count && pushes.every((push) => push.status !== 'pending');
  });
  return pushes;
}

export interface Received {
  event: Record<string, unknown>;
  context: { OPENID?: string; APPID?: string; SOURCE?: string };
}

/** What the fixture `callback` recorded for pushes from `openid`, in arrival order (read with this process's SDK). */
export async function received(openid: string): Promise<Received[]> {
  const db = cloud.database();
  const { data } = (await db.collection('pushes').where({ 'event.FromUserName': openid }).get()) as unknown as { data: Received[] };
  return data;
}
