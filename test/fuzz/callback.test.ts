/**
 * `callback` fuzzed as WeChat's message push delivers it (POST /__rukou/wechat/push with any event
 * body) and as impostors: a Mini Program's call, DevTools', a timer's, HTTP access, with or without
 * the push's FromUserName as their OPENID.
 *
 * The oracle restates the contract (server/callback.ts, shared/push.ts): only WeChat's push may
 * call (a push acts for its FromUserName, so one whose FromUserName is no openid comes with no
 * OPENID): everyone else is NOT_WECHAT (HTTP access: 403), whatever they send, and an event that is
 * no object is INVALID_INPUT. A push is read field by field, the first field at fault named:
 * ToUserName, FromUserName, CreateTime (seconds, or their digits), MsgType, Event (of an event),
 * MsgId (when present), then what its kind needs (Content of a text, MsgId of a message, List of a
 * subscription event: an object or a non-empty array of objects, each item's TemplateId and
 * SubscribeStatusString, a sent event's MsgID, ErrorCode and ErrorStatus), and List nested at most
 * 8 deep in a push of a kind Rukou does not handle. A push it reads is answered 'success' at the
 * first try; a refused one is tried four times, each refused alike, and writes nothing. What a push
 * writes: a settings reject leaves the template no send; a sent event is kept in `deliveries` under
 * its msgid; pop-up answers reach the ledger; the customer-service chat is answered with service
 * cards (test/functions/cards.test.ts checks which).
 */
import fc from 'fast-check';
import { subscriptionDocId } from '../../shared/ids';
import { isRecord } from '../../shared/input';
import { MIDDAY, startEmulator, type RunningEmulator } from '../helpers/emulator';
import { until } from '../helpers/until';
import { findDocuments, fuzz, HTTP_STATUS, once, post, refusalOf, send as request, type Verdict } from './harness';
import { anyValue, deep, eventOfBody, jsonText, notOfType, objectOf, oddKey, oddText, received } from './values';

const NOW_SECONDS = Math.floor(Date.parse(MIDDAY) / 1000);
const USERS = ['o-push-ann', 'o-push-bob', 'o-push-cai', 'oPush_0123456789abcdefghijkl'];
const TEMPLATES = ['T-push-1', 'T-push-2', 'iInUCW35YtofN02g4QAe6pqze-8xSO8FSqTchI4L1xk'];
const OPENID = /^[A-Za-z0-9_-]{1,64}$/;

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, clock: MIDDAY, env: { RUKOU_SHARE_SECRET: 'fuzz-share-secret-0123456789' } });
});

afterAll(async () => {
  await emulator?.stop();
});

// ————— pushes —————

const createTime = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: NOW_SECONDS - 86_400, max: NOW_SECONDS + 600 }) }, { weight: 2, arbitrary: fc.integer({ min: NOW_SECONDS - 600, max: NOW_SECONDS }).map(String) }, { weight: 1, arbitrary: fc.oneof(anyValue, fc.constantFrom(-1, 1.5, '1e9', '', ' 1', '1234567890123456', 2 ** 53, '0')) });
const msgId = fc.oneof({ weight: 6, arbitrary: fc.stringMatching(/^[1-9][0-9]{15,18}$/) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }) }, { weight: 1, arbitrary: fc.oneof(anyValue, fc.constantFrom('', -1, 0.5, 1e21)) });
const text = (values: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.oneof({ weight: 8, arbitrary: values }, { weight: 1, arbitrary: fc.oneof(anyValue, fc.constant('')) });
const templateId = text(fc.constantFrom(...TEMPLATES));
const list = (item: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 5, arbitrary: item }, { weight: 3, arbitrary: fc.array(item, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: fc.oneof(anyValue, fc.constant([]), fc.array(fc.oneof(item, anyValue), { minLength: 1, maxLength: 3 })) });
const popupItem = fc.record({ TemplateId: templateId, SubscribeStatusString: text(fc.constantFrom('accept', 'reject')), PopupScene: fc.oneof(fc.constantFrom('0', '1', 2), anyValue) }, { requiredKeys: [] });
const sentItem = fc.record({ TemplateId: templateId, MsgID: msgId, ErrorCode: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, '0', 10004, '-1') }, { weight: 1, arbitrary: fc.oneof(anyValue, fc.constantFrom('1.5', 2 ** 60)) }), ErrorStatus: text(fc.constantFrom('success', 'fail')) }, { requiredKeys: [] });

/** Each kind's fields, as WeChat writes them (§D.4), each sometimes of another shape or missing. */
const KINDS: fc.Arbitrary<Record<string, unknown>>[] = [
  fc.record({ MsgType: fc.constant('event'), Event: fc.constant('subscribe_msg_popup_event'), List: list(popupItem) }),
  fc.record({ MsgType: fc.constant('event'), Event: fc.constant('subscribe_msg_change_event'), List: list(fc.record({ TemplateId: templateId, SubscribeStatusString: text(fc.constantFrom('reject', 'accept')) }, { requiredKeys: [] })) }),
  fc.record({ MsgType: fc.constant('event'), Event: fc.constant('subscribe_msg_sent_event'), List: list(sentItem) }),
  fc.record({ MsgType: fc.constant('text'), Content: text(oddText(30)), MsgId: msgId }, { requiredKeys: ['MsgType'] }),
  fc.record({ MsgType: fc.constant('image'), PicUrl: text(fc.constant('https://mmbiz.qpic.cn/x')), MediaId: text(oddText(10)), MsgId: msgId }, { requiredKeys: ['MsgType'] }),
  fc.record({ MsgType: fc.constant('miniprogrampage'), Title: text(oddText(10)), AppId: text(fc.constant('wx0000000000000000')), PagePath: text(fc.constant('pages/index/index')), ThumbUrl: anyValue, ThumbMediaId: text(oddText(8)), MsgId: msgId }, { requiredKeys: ['MsgType'] }),
  fc.record({ MsgType: fc.constant('event'), Event: fc.constant('user_enter_tempsession'), SessionFrom: text(oddText(20)) }, { requiredKeys: ['MsgType', 'Event'] }),
  // kinds Rukou leaves alone, with any List, deep ones among them
  fc.record({ MsgType: fc.oneof(fc.constantFrom('event', 'voice', 'wxa_media_check'), oddText(8)), Event: fc.oneof(fc.constantFrom('wxa_media_check', 'unknown_event', ''), anyValue), List: fc.oneof(anyValue, deep(1, 12)), MsgId: msgId }, { requiredKeys: ['MsgType'] }),
];

const pushEvent: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.record({
      ToUserName: text(fc.constant('gh_0123456789ab')),
      FromUserName: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...USERS) }, { weight: 1, arbitrary: fc.oneof(oddText(12), notOfType('string', received), fc.constant('')) }),
      CreateTime: createTime,
    }, { requiredKeys: ['FromUserName'] }),
    fc.oneof(...KINDS),
    fc.option(fc.tuple(fc.oneof(oddKey, fc.constantFrom('userInfo', 'MsgId', 'Event', 'List')), anyValue), { nil: undefined, freq: 4 }),
  )
  .map(([envelope, fields, extra]) => objectOf([...Object.entries({ ...envelope, ...fields }), ...(extra ? [extra] : [])]));

/** The field a push is refused on, or its kind (shared/push.ts, readPush). */
function readVerdict(event: Record<string, unknown>): { field?: string; kind?: string; items?: Record<string, unknown>[] } {
  const nonEmpty = (value: unknown): boolean => typeof value === 'string' && value.length > 0;
  const optional = (value: unknown): boolean => value === undefined || value === null || typeof value === 'string';
  const isId = (value: unknown): boolean => (typeof value === 'number' && Number.isInteger(value) && value >= 0) || nonEmpty(value);
  if (!nonEmpty(event.ToUserName)) return { field: 'ToUserName' };
  if (!nonEmpty(event.FromUserName)) return { field: 'FromUserName' };
  const seconds = typeof event.CreateTime === 'string' && /^\d{1,15}$/.test(event.CreateTime) ? Number(event.CreateTime) : event.CreateTime;
  if (!(typeof seconds === 'number' && Number.isSafeInteger(seconds) && seconds >= 0)) return { field: 'CreateTime' };
  if (!nonEmpty(event.MsgType)) return { field: 'MsgType' };
  if (event.MsgType === 'event' ? !nonEmpty(event.Event) : !optional(event.Event)) return { field: 'Event' };
  const hasMsgId = event.MsgId !== undefined && event.MsgId !== null;
  if (hasMsgId && !isId(event.MsgId)) return { field: 'MsgId' };
  const kind = event.MsgType === 'event' ? `event:${String(event.Event)}` : String(event.MsgType);
  const items = (): { field?: string; items?: Record<string, unknown>[] } => {
    const got = event.List;
    if (isRecord(got)) return { items: [got] };
    if (!Array.isArray(got) || got.length === 0) return { field: 'List' };
    const bad = got.findIndex((item) => !isRecord(item));
    return bad >= 0 ? { field: `List.${bad}` } : { items: got as Record<string, unknown>[] };
  };
  const itemFields = (fields: string[], check: (field: string, value: unknown) => boolean): { field?: string; items?: Record<string, unknown>[] } => {
    const read = items();
    if (!read.items) return read;
    for (const [i, item] of read.items.entries()) {
      const path = isRecord(event.List) ? 'List' : `List.${i}`;
      for (const field of fields) if (!check(field, item[field])) return { field: `${path}.${field}` };
    }
    return read;
  };
  switch (kind) {
    case 'text':
      if (!optional(event.Content) || event.Content === undefined || event.Content === null) return { field: 'Content' };
      return hasMsgId ? { kind } : { field: 'MsgId' };
    case 'image':
    case 'miniprogrampage':
      if (!hasMsgId) return { field: 'MsgId' };
      for (const field of kind === 'image' ? ['PicUrl', 'MediaId'] : ['Title', 'AppId', 'PagePath', 'ThumbUrl', 'ThumbMediaId']) if (!optional(event[field])) return { field };
      return { kind };
    case 'event:user_enter_tempsession':
      return optional(event.SessionFrom) ? { kind } : { field: 'SessionFrom' };
    case 'event:subscribe_msg_popup_event':
    case 'event:subscribe_msg_change_event':
      return { kind, ...itemFields(['TemplateId', 'SubscribeStatusString'], (_, value) => nonEmpty(value)) };
    case 'event:subscribe_msg_sent_event':
      return {
        kind,
        ...itemFields(['TemplateId', 'MsgID', 'ErrorCode', 'ErrorStatus'], (field, value) => {
          if (field === 'MsgID') return isId(value);
          if (field === 'ErrorCode') {
            const code = typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
            return typeof code === 'number' && Number.isSafeInteger(code);
          }
          return nonEmpty(value);
        }),
      };
    default: {
      const depth = (value: unknown): number => (typeof value === 'object' && value !== null ? 1 + Math.max(0, ...Object.values(value).map(depth)) : 0);
      return event.List !== undefined && depth(event.List) > 8 ? { field: 'List' } : { kind: 'other' };
    }
  }
}

interface PushRecord {
  seq: number;
  status: string;
  attempts: { outcome: string; answer?: unknown }[];
}

async function pushes(query: string): Promise<PushRecord[]> {
  return (JSON.parse((await request(emulator, { method: 'GET', path: `/__rukou/wechat/pushes${query}` })).text) as { pushes: PushRecord[] }).pushes;
}

/** What a push must do: refused (the code and field every try answers), or read (and what it writes). */
const pushPlan = once((event: Record<string, unknown>): { text: string; openid?: string; refusal?: { code: string; field?: string }; kind?: string; items?: Record<string, unknown>[] } => {
  const text = JSON.stringify({ event: received(event) });
  const delivered = eventOfBody({ data: JSON.parse(text).event }) as Record<string, unknown>;
  const from = delivered.FromUserName;
  const openid = typeof from === 'string' && OPENID.test(from) ? from : undefined;
  if (!openid) return { text, refusal: { code: 'NOT_WECHAT' } };
  const body = objectOf(Object.entries(delivered).filter(([key]) => key !== 'userInfo'));
  const read = readVerdict(body);
  if (read.field !== undefined) return { text, openid, refusal: { code: 'INVALID_INPUT', field: read.field } };
  return { text, openid, kind: read.kind, items: read.items };
});

/** Pushes that write: the subscription events, and the customer-service chat (its window in `chats`, and a service card in `cards`). */
const WRITES = ['event:subscribe_msg_popup_event', 'event:subscribe_msg_change_event', 'event:subscribe_msg_sent_event', 'text', 'image', 'miniprogrampage', 'event:user_enter_tempsession'];

fuzz(__filename, () => emulator, {
  name: 'POST /__rukou/wechat/push (callback)',
  inputs: pushEvent,
  functions: ['callback'],
  // a push WeChat cannot name a user for runs alone: its record is found among all pushes, which are then cleared
  mayWrite: (event) => {
    const plan = pushPlan(event);
    return !plan.openid || (plan.refusal === undefined && WRITES.includes(plan.kind ?? ''));
  },
  // a user's pop-up answers, settings change and chat touch only their ledgers, window and cards; a sent event's msgid is anyone's
  lane: (event) => {
    const plan = pushPlan(event);
    return plan.openid && plan.kind !== 'event:subscribe_msg_sent_event' ? plan.openid : undefined;
  },
  atOnce: 4,
  async send(event): Promise<Verdict> {
    const plan = pushPlan(event);
    const before = plan.kind === 'event:subscribe_msg_change_event' || plan.kind === 'event:subscribe_msg_popup_event' ? await ledgers(plan.openid as string, plan.items) : new Map<string, number>();
    const answer = await post(emulator, '/__rukou/wechat/push', plan.text);
    expect(answer).toEqual({ status: 200, body: { push: expect.any(Number) } });
    const seq = (answer.body as { push: number }).push;
    let record: PushRecord | undefined;
    await until(async () => {
      record = (await pushes(plan.openid ? `?openid=${plan.openid}` : '?status=failed')).find((push) => push.seq === seq);
      return record !== undefined && record.status !== 'pending';
    });
    if (!plan.openid) await request(emulator, { method: 'DELETE', path: '/__rukou/wechat/pushes' });
    const { status, attempts } = record as PushRecord;
    for (const tried of attempts) expect(tried.outcome).toBe('ok');
    if (plan.refusal) {
      expect(status).toBe('failed');
      expect(attempts).toHaveLength(4);
      for (const tried of attempts) {
        const refusal = refusalOf(tried.answer);
        expect({ code: refusal.code, field: refusal.field }).toEqual({ code: plan.refusal.code, field: plan.refusal.field });
      }
      return 'refused';
    }
    expect({ status, answers: attempts.map((tried) => tried.answer) }).toEqual({ status: 'delivered', answers: ['success'] });
    const items = plan.items ?? [];
    if (plan.kind === 'event:subscribe_msg_sent_event') {
      // the last item of each msgid is what is kept
      // text as the database keeps it: UTF-8, a lone surrogate U+FFFD
      const asKept = (text: unknown): string => Buffer.from(String(text), 'utf8').toString('utf8');
      const byId = new Map(items.map((item) => [typeof item.MsgID === 'number' ? BigInt(item.MsgID).toString() : asKept(item.MsgID), item]));
      const kept = new Map((await findDocuments(emulator, 'deliveries', { _id: { $in: [...byId.keys()] } })).map((doc) => [doc._id as string, doc]));
      for (const [id, item] of byId) {
        const code = Number(item.ErrorCode);
        expect(kept.get(id)).toMatchObject({ openid: plan.openid, templateId: asKept(item.TemplateId), delivered: code === 0, status: asKept(item.ErrorStatus), errorCode: code });
      }
    } else if (plan.kind === 'event:subscribe_msg_change_event') {
      const after = await ledgers(plan.openid as string, items);
      const rejected = new Set(items.filter((item) => item.SubscribeStatusString === 'reject').map((item) => String(item.TemplateId)));
      for (const id of rejected) expect({ id, quota: after.get(id) }).toEqual({ id, quota: 0 });
      for (const [id, quota] of before) if (!rejected.has(id)) expect({ id, quota: after.get(id) }).toEqual({ id, quota });
    } else if (plan.kind === 'event:subscribe_msg_popup_event') {
      // an answer grants at most one send each, and a reject takes none
      const after = await ledgers(plan.openid as string, items);
      for (const item of items) expect(after.has(String(item.TemplateId))).toBe(true);
      for (const [id, quota] of after) {
        const accepts = items.filter((item) => item.TemplateId === id && item.SubscribeStatusString === 'accept').length;
        expect(quota).toBeGreaterThanOrEqual(before.get(id) ?? 0);
        expect(quota).toBeLessThanOrEqual((before.get(id) ?? 0) + accepts);
      }
    }
    return 'answered';
  },
});

/**
 * A user's ledgers of the suite's templates and of these items' (any text a push names): sends
 * left, by template. Found by `_id`: a TemplateId with a lone surrogate is stored with U+FFFD in
 * its place (the database keeps UTF-8), so the stored `templateId` is not the one pushed.
 */
async function ledgers(openid: string, items: Record<string, unknown>[] = []): Promise<Map<string, number>> {
  const ids = [...new Set([...TEMPLATES, ...items.map((item) => String(item.TemplateId))])];
  const byDocId = new Map(ids.map((id) => [subscriptionDocId(openid, id), id]));
  const docs = await findDocuments(emulator, 'subscriptions', { _id: { $in: [...byDocId.keys()] } });
  return new Map(docs.map((doc) => [byDocId.get(doc._id as string) as string, doc.quota as number]));
}

// ————— impostors —————

type Impostor = { source: string; openid: 'from' | 'other' | 'none'; data: unknown };
const impostor: fc.Arbitrary<Impostor> = fc.record({
  source: fc.constantFrom('wx_client', 'wx_devtools', 'wx_http', 'wx_trigger', 'scf', 'wx_client,scf'),
  openid: fc.constantFrom<Impostor['openid']>('from', 'from', 'other', 'none'),
  data: fc.oneof(
    { weight: 6, arbitrary: pushEvent },
    { weight: 2, arbitrary: pushEvent.map((event) => ({ httpMethod: 'POST', headers: { 'content-type': 'application/json' }, body: jsonText(event), path: '/callback', ...event })) },
    { weight: 1, arbitrary: fc.oneof(notOfType('object'), fc.constant(undefined), fc.record({ Type: fc.constant('Timer'), Time: fc.constant(MIDDAY), TriggerName: fc.constant('x') })) },
  ),
});

fuzz(__filename, () => emulator, {
  name: 'callback (not WeChat: clients, HTTP access, timers, functions)',
  inputs: impostor,
  functions: ['callback'],
  mayWrite: () => false,
  atOnce: 4,
  async send({ source, openid, data }): Promise<Verdict> {
    const text = jsonText(data === undefined ? {} : { data });
    const event = eventOfBody(JSON.parse(text));
    const from = isRecord(event) && typeof event.FromUserName === 'string' && OPENID.test(event.FromUserName) ? event.FromUserName : 'o-push-ann';
    const caller = { from, other: 'o-push-impostor', none: undefined }[openid];
    const answer = await post(emulator, '/functions/callback', text, { 'x-wx-source': source, ...(caller ? { 'x-wx-openid': caller } : {}) });
    expect(answer).toEqual({ status: 200, body: { result: expect.anything() } });
    let result = (answer.body as { result: unknown }).result;
    const http = isRecord(event) && typeof event.httpMethod === 'string' && isRecord(event.headers);
    if (http) {
      const response = result as { statusCode: number; body: string };
      expect(response).toEqual({ statusCode: HTTP_STATUS.NOT_WECHAT, headers: { 'content-type': 'application/json; charset=utf-8' }, body: expect.any(String), isBase64Encoded: false });
      result = JSON.parse(response.body);
    }
    const refusal = refusalOf(result);
    expect({ code: refusal.code, field: refusal.field }).toEqual(isRecord(event) ? { code: 'NOT_WECHAT', field: undefined } : { code: 'INVALID_INPUT', field: undefined });
    return 'refused';
  },
});
