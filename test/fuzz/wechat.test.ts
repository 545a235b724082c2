/**
 * The simulated WeChat and the cloud calls fuzzed (README, "The emulator"): its cloudIDs
 * (POST /__rukou/wechat/cloudid), `wx.openApi` on the wire (getOpenData's svrkit call, the openapi
 * calls, and bytes that are neither), and the record of calls (GET and DELETE
 * /__rukou/openapi/calls). Each answer is the route's documented refusal or the correct result; a
 * refused cloudID leaves the simulated WeChat's state as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { decodeOpenDataResponse, encodeCommApiData, encodeOpenDataRequest } from '../../emulator/openapi/proto';
import { databaseFootprint, expectEmulatorRefusal, fuzz, wireVerdict, type Verdict } from './harness';
import { anyBody, clockNow, envelopeOf, expectJson, fixtureEmulator, hasLoneSurrogate, isJsonText, isoInstant, json, JSON_TYPE, multipart, percent, queryString } from './routes';
import { anyValue, jsonText, notOfType, objectOf, oddKey, oddText, received } from './values';

const fixture = fixtureEmulator();

// ————— the simulated WeChat: POST /__rukou/wechat/cloudid —————

const KINDS = ['shareInfo', 'groupEnterInfo'];
const CHAT_TYPES = [1, 2, 3, 4];
/** Instants a cloudID may be issued at: ISO texts (parseInstant's), epoch ms, and what is neither. */
const issuedAt = fc.oneof(
  fc.constantFrom('2024-05-20T12:00:00+08:00', '2024-05-20', '2024-05-20T04:00:00Z', '2024-05-20T04:00:00.123Z', '+010000-01-01', '2024-02-30', '2024-05-20T12:00:00', '5', 'now', ''),
  fc.integer({ min: -8.64e15, max: 8.64e15 }),
  fc.constantFrom(1e300, -0, 0.5),
  notOfType('number', received),
);

const validCloudIdBody = fc.record(
  {
    openid: fc.constantFrom('o-fuzz-ann', 'o-fuzz-bob'),
    appid: fc.constant('wx-fuzz'),
    kind: fc.constantFrom(...KINDS),
    groupId: fc.constantFrom('G-1', 'G-2'),
    chatType: fc.constantFrom(3, 4),
    needGroupOpenID: fc.boolean(),
    // the past, mostly: cloudIDs issued a day before the clock are forgotten at the next issue, which keeps the state small
    issuedAt: fc.oneof(fc.integer({ min: Date.parse('2020-01-01'), max: Date.parse('2024-01-01') }), fc.constantFrom('2023-05-20T12:00:00+08:00', '2023-05-20')),
  },
  { requiredKeys: ['openid', 'appid', 'kind', 'groupId', 'issuedAt'] },
);
const cloudIdBody = fc.oneof(
  { weight: 40, arbitrary: validCloudIdBody },
  // issued now, by default: rare, since these are kept a day, and the state is rewritten whole at each issue
  { weight: 1, arbitrary: validCloudIdBody.map(({ issuedAt: _, ...body }) => body) },
  {
    weight: 60,
    arbitrary: fc.record(
      { openid: fc.oneof(fc.constantFrom('o-fuzz-ann', 'o-fuzz-bob'), oddText(12), notOfType('string', received)), appid: fc.oneof(fc.constant('wx-fuzz'), oddText(8), notOfType('string', received)), kind: fc.oneof(fc.constantFrom(...KINDS), anyValue), groupId: fc.oneof(fc.constantFrom('G-1', 'G-2'), oddText(12), notOfType('string', received)), chatType: fc.oneof(fc.constantFrom(...CHAT_TYPES), anyValue), needGroupOpenID: fc.oneof(fc.boolean(), anyValue), issuedAt },
      { requiredKeys: [] },
    ),
  },
  { weight: 20, arbitrary: fc.array(fc.tuple(oddKey, anyValue), { maxLength: 3 }).map(objectOf) },
);

/** What the simulated WeChat must answer a body (wechat/operations.ts, parseGroupCloudIdRequest): the record's fields, or null for a refusal. */
function cloudIdVerdict(body: unknown, now: number): { kind: string; issuedAt: number } | null {
  const got = received(body) as Record<string, unknown>;
  const nonEmpty = (value: unknown): boolean => typeof value === 'string' && value !== '';
  const { openid, appid, kind, groupId, chatType = 3, issuedAt: at = now } = got;
  if (!nonEmpty(openid) || !nonEmpty(appid) || !nonEmpty(groupId) || (kind !== 'shareInfo' && kind !== 'groupEnterInfo')) return null;
  if (typeof chatType !== 'number' || !CHAT_TYPES.includes(chatType)) return null;
  if (kind === 'shareInfo' && chatType !== 3 && chatType !== 4) return null;
  const instant = typeof at === 'string' ? isoInstant(at) : at;
  // an instant whose expiry, five minutes later, a Date can hold
  if (typeof instant !== 'number' || !(Math.abs(instant) <= 8.64e15 && instant + 300_000 <= 8.64e15)) return null;
  return { kind, issuedAt: instant };
}

/** When the simulated WeChat's state was last written (every cloudID issued rewrites it, through a rename). */
const wechatState = (): string => {
  const file = path.join(fixture.emulator().dataDir, 'wechat', 'state.json');
  return fs.existsSync(file) ? `${fs.statSync(file).mtimeMs}:${fs.statSync(file).ino}` : 'none';
};


fuzz(__filename, fixture.emulator, {
  name: 'POST /__rukou/wechat/cloudid',
  inputs: cloudIdBody,
  footprint: async () => ({ database: await databaseFootprint(fixture.emulator()), wechat: wechatState() }),
  mayWrite: (body) => cloudIdVerdict(body, 0) !== null,
  async send(body): Promise<Verdict> {
    const before = await clockNow(fixture);
    const answer = await fixture.postJson('/__rukou/wechat/cloudid', jsonText(body));
    const after = await clockNow(fixture);
    const verdict = cloudIdVerdict(body, before);
    if (verdict === null) {
      expectEmulatorRefusal(answer, 400);
      return 'refused';
    }
    const { cloudID, expiresAt } = expectJson(answer) as { cloudID: string; expiresAt: string };
    expect(cloudID).toMatch(verdict.kind === 'shareInfo' ? /^26_[\w-]{40}$/ : /^27_[\w-]{40}$/);
    const expiry = Date.parse(expiresAt);
    // without issuedAt, the clock's time when it was issued
    if ((received(body) as Record<string, unknown>).issuedAt === undefined) expect([expiry >= before + 300_000, expiry <= after + 300_000]).toEqual([true, true]);
    else expect(expiry).toBe(new Date(verdict.issuedAt + 300_000).getTime());
    return 'answered';
  },
});

// ————— wx.openApi (POST /admin, multipart): getOpenData's svrkit call, openapi calls, and bytes that are neither —————


/**
 * A cloudID issued to the suite's user in the last minute: one issued in beforeAll would expire in
 * a long run, and one for each call would grow the simulated WeChat's state, which it rewrites whole
 * at each issue.
 */
let fresh: { cloudID: string; at: number } | undefined;
async function freshCloudId(openid: string): Promise<string> {
  // one a minute: the simulated WeChat rewrites its whole state at each issue, and a long run would grow it
  if (!fresh || Date.now() - fresh.at > 60_000) fresh = { cloudID: json(await fixture.postJson('/__rukou/wechat/cloudid', JSON.stringify({ openid, appid: 'wx-fuzz', kind: 'groupEnterInfo', groupId: 'G-open' }))).cloudID as string, at: Date.now() };
  return fresh.cloudID;
}

type OpenApiCase =
  | { kind: 'getOpenData'; ids: (string | null)[]; token?: string }
  | { kind: 'openapi'; apiName: string; pairs: [string, string][]; token?: string }
  | { kind: 'bytes'; bytes: number[]; apiName: string };

const openApiCase: fc.Arbitrary<OpenApiCase> = fc.oneof(
  // null stands for a cloudID issued just before the call
  fc.record({ kind: fc.constant<'getOpenData'>('getOpenData'), ids: fc.array(fc.oneof(fc.constant(null), oddText(30), fc.stringMatching(/^2[67]_[\w-]{40}$/)), { maxLength: 4 }), token: fc.option(oddText(12), { nil: undefined }) }, { requiredKeys: ['kind', 'ids'] }),
  fc.record(
    { kind: fc.constant<'openapi'>('openapi'), apiName: fc.oneof(fc.constantFrom('cloudbase.getOpenData', 'subscribeMessage.send', 'wxacode.getUnlimited', '', 'toString', '__proto__'), oddText(16)), pairs: fc.array(fc.tuple(oddKey, fc.oneof(anyValue.map(jsonText), oddText(20), fc.constant('{"cloudid_list":["x"]}'))), { maxLength: 3 }), token: fc.option(oddText(12), { nil: undefined }) },
    { requiredKeys: ['kind', 'apiName', 'pairs'] },
  ),
  fc.record({ kind: fc.constant<'bytes'>('bytes'), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }), apiName: oddText(10) }),
);


fuzz(__filename, fixture.emulator, {
  name: 'POST /admin wx.openApi',
  inputs: openApiCase,
  // a cloud call writes nothing but its record (GET /__rukou/openapi/calls), which it always writes
  mayWrite: () => false,
  async send(input): Promise<Verdict> {
    if (input.kind === 'bytes') {
      const { body, type } = multipart({ action: 'wx.openApi', apiName: input.apiName }, Buffer.from(input.bytes));
      const answer = await fixture.request({ method: 'POST', path: '/admin', headers: { 'content-type': type }, body });
      // bytes may happen to decode as an envelope of no call the emulator serves: refused either way
      if (answer.type.startsWith('application/json')) return wireVerdict(answer) === 'refused' ? 'refused' : (() => { throw new Error(`answered bytes that are no envelope: ${answer.text}`); })();
      const { errorCode } = envelopeOf(answer);
      expect([-604101]).toContain(errorCode);
      return 'refused';
    }
    const token: Record<string, string> = input.token === undefined || input.token === '' ? {} : { wxCloudApiToken: input.token };
    if (input.kind === 'getOpenData') {
      const ids = await Promise.all(input.ids.map((id) => (id === null ? freshCloudId('o-fuzz-ann') : id)));
      const envelope = encodeCommApiData({ apiType: 2, svrkitData: { apiName: 'ApiGetOpenDataByCloudId', reqData: encodeOpenDataRequest({ cloudidList: ids }) }, appid: '' });
      const { body, type } = multipart({ action: 'wx.openApi', ...token }, envelope);
      const answer = await fixture.request({ method: 'POST', path: '/admin', headers: { 'content-type': type }, body });
      // a token that names no running invocation is an illegal source, as in the cloud, whatever is asked
      if ('wxCloudApiToken' in token) {
        expect(envelopeOf(answer).errorCode).toBe(-604104);
        return 'refused';
      }
      // protobuf writes a lone surrogate as bytes that are no UTF-8: not the message, refused
      if (ids.some(hasLoneSurrogate)) {
        expect(wireVerdict(answer)).toBe('refused');
        return 'refused';
      }
      const { errorCode, respData } = envelopeOf(answer);
      expect(errorCode).toBe(0);
      const items = decodeOpenDataResponse(respData).dataList.map((item) => ({ cloudId: item.cloudId, ...JSON.parse(item.json) }));
      expect(items.map((item) => item.cloudId)).toEqual(ids);
      items.forEach((item, i) => expect(item).toEqual(input.ids[i] === null ? expect.objectContaining({ data: expect.objectContaining({ opengid: expect.any(String) }) }) : expect.objectContaining({ errCode: -601005 })));
      return 'answered';
    }
    const pairs = input.pairs.map(([key, value]) => ({ key, value: Buffer.from(value), contenttype: '', filename: '' }));
    const envelope = encodeCommApiData({ apiType: 0, openapiData: { pairs }, appid: '' });
    const { body, type } = multipart({ action: 'wx.openApi', apiName: input.apiName, ...token }, envelope);
    const answer = await fixture.request({ method: 'POST', path: '/admin', headers: { 'content-type': type }, body });
    // a value that is not JSON, or a key no UTF-8 can carry, is the caller's mistake, refused before anything is asked
    if (pairs.some((pair) => !isJsonText(pair.value.toString('utf8')) || hasLoneSurrogate(pair.key))) {
      expect(wireVerdict(answer)).toBe('refused');
      return 'refused';
    }
    const { errorCode, respData } = envelopeOf(answer);
    if ('wxCloudApiToken' in token) expect(errorCode).toBe(-604104);
    else if (input.apiName === 'subscribeMessage.send') {
      // served, but no generated request names both a template of the app and a user with a send granted: WeChat's refusal, nothing written
      expect(errorCode).toBe(0);
      expect((JSON.parse(respData.toString('utf8')) as { errcode: number }).errcode).not.toBe(0);
      return 'answered';
    } else if (input.apiName === 'wxacode.getUnlimited') {
      // served; a request with no scene is refused before anything is drawn (40169), and one named scene is answered whatever it holds
      expect(errorCode).toBe(0);
      if (!input.pairs.some(([key]) => key === 'scene')) expect((JSON.parse(respData.toString('utf8')) as { errcode: number }).errcode).toBe(40169);
      return 'answered';
    } else if (input.apiName !== 'cloudbase.getOpenData') expect(errorCode).toBe(-604101);
    else {
      expect(errorCode).toBe(0);
      const reply = JSON.parse(respData.toString('utf8')) as { errcode: number };
      const list = Object.fromEntries(input.pairs.map(([key, value]) => [key, JSON.parse(value)])).cloudid_list;
      expect(reply.errcode).toBe(Array.isArray(list) && list.every((id) => typeof id === 'string') ? 0 : 40097);
      return 'answered';
    }
    return 'refused';
  },
});




// ————— the record of cloud calls: GET and DELETE /__rukou/openapi/calls —————

fuzz(__filename, fixture.emulator, {
  name: 'DELETE /__rukou/openapi/calls',
  inputs: fc.record({ query: queryString, body: anyBody }),
  async send({ query, body }): Promise<Verdict> {
    const before = (json(await fixture.request({ method: 'GET', path: '/__rukou/openapi/calls' })).calls as unknown[]).length;
    const answer = await fixture.request({ method: 'DELETE', path: `/__rukou/openapi/calls${query}`, headers: body === undefined ? {} : JSON_TYPE, body });
    expect(expectJson(answer)).toEqual({ cleared: before });
    expect(json(await fixture.request({ method: 'GET', path: '/__rukou/openapi/calls' }))).toEqual({ calls: [] });
    return 'answered';
  },
});

fuzz(__filename, fixture.emulator, {
  name: 'GET /__rukou/openapi/calls',
  // a call (recorded, whatever it asks) and the record read with filters: the call is there
  // names mostly of their own, so that what a filter answers stays small as the record grows
  inputs: fc.record({ apiName: fc.oneof({ weight: 1, arbitrary: fc.constantFrom('cloudbase.getOpenData', 'nope.nope') }, { weight: 20, arbitrary: fc.tuple(oddText(10), fc.nat()).map(([name, n]) => `${name}.${n}`) }), filter: fc.constantFrom('api', 'both', 'none', 'other'), body: anyBody }),
  mayWrite: () => false,
  async send({ apiName, filter, body }): Promise<Verdict> {
    const envelope = encodeCommApiData({ apiType: 0, openapiData: { pairs: [] }, appid: '' });
    const form = multipart({ action: 'wx.openApi', apiName }, envelope);
    envelopeOf(await fixture.request({ method: 'POST', path: '/admin', headers: { 'content-type': form.type }, body: form.body }));
    // what reaches the route is the text as UTF-8 decodes it (a lone surrogate is U+FFFD)
    const recorded = Buffer.from(apiName, 'utf8').toString('utf8');
    const query = { api: `?api=${percent(apiName)}`, both: `?api=${percent(apiName)}&function=`, none: '?function=nobody', other: `?api=${percent(`${apiName}x`)}` }[filter];
    const answer = await fixture.request({ method: 'GET', path: `/__rukou/openapi/calls${query}`, headers: body === undefined ? {} : JSON_TYPE, body });
    const { calls } = expectJson(answer) as { calls: { api: string; function?: string }[] };
    // an empty filter is none: every call
    if (filter === 'api' || filter === 'both') {
      expect(calls.some((call) => call.api === recorded)).toBe(true);
      if (recorded !== '') for (const call of calls) expect(call.api).toBe(recorded);
    } else expect(calls.filter((call) => call.api === recorded && filter === 'other')).toEqual([]);
    if (filter === 'none') expect(calls).toEqual([]);
    return 'answered';
  },
});

