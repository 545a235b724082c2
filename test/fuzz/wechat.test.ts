/**
 * The simulated WeChat and the cloud calls fuzzed (README, "The emulator"): its cloudIDs
 * (POST /__rukou/wechat/cloudid), `wx.openApi` on the wire (getOpenData's svrkit call, the openapi
 * calls, and bytes that are neither), its codes and links (wxacode.getUnlimited,
 * urlscheme.generate, urllink.generate, and the user's POST /__rukou/wechat/scan and /open), and
 * the record of calls (GET and DELETE /__rukou/openapi/calls). Each answer is the route's or the
 * API's documented refusal or the correct result; a refusal leaves the simulated WeChat's state as
 * it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { toBuffer } from 'qrcode';
import { decodeCommOpenApiResp, decodeOpenDataResponse, encodeCommApiData, encodeOpenDataRequest } from '../../emulator/openapi/proto';
import { databaseFootprint, expectEmulatorRefusal, fuzz, wireVerdict, type Verdict } from './harness';
import { anyBody, clockNow, envelopeOf, expectJson, fixtureEmulator, hasLoneSurrogate, isJsonText, isoInstant, json, JSON_TYPE, multipart, percent, queryString } from './routes';
import { anyValue, jsonText, notOfType, objectOf, oddKey, oddNumber, oddText, received } from './values';

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




// ————— codes and links: wxacode.getUnlimited, urlscheme.generate, urllink.generate (wx.openApi), and the user's scan and open —————

/** The fixture Mini Program (test/fixtures/project): no appid named, and its app.json pages, the first its home. */
const APPID = 'wx0000000000000000';
const PAGES = ['pages/index/index', 'pages/goods/detail', 'shop/pages/cart/cart'];
const HOME = PAGES[0];
const ENV_VERSIONS = ['release', 'trial', 'develop'];
const DAY_S = 86_400;
/** The rules as README states them (§E): a scene's characters, a link's query's, a page's route. */
const SCENE_TEXT = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$/;
const LINK_QUERY = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]{0,1024}$/;
const PAGE_ROUTE = /^[A-Za-z0-9_\-.]+(\/[A-Za-z0-9_\-.]+)*$/;
const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
/** What a URL's query carries of a text sent percent-encoded byte by byte (a lone surrogate is U+FFFD). */
const utf8 = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');

/** A cloud call as the SDK sends it (each value JSON), answered with the envelope's parts. */
async function cloudCall(apiName: string, request: Record<string, unknown>): Promise<{ errorCode: number; contentType: string; respData: Buffer }> {
  const pairs = Object.entries(request).map(([key, value]) => ({ key, value: Buffer.from(jsonText(value)), contenttype: '', filename: '' }));
  const { body, type } = multipart({ action: 'wx.openApi', apiName }, encodeCommApiData({ apiType: 0, openapiData: { pairs }, appid: '' }));
  const answer = await fixture.request({ method: 'POST', path: '/admin', headers: { 'content-type': type }, body });
  expect({ status: answer.status, type: answer.type }).toEqual({ status: 200, type: 'application/octet-stream' });
  const decoded = decodeCommOpenApiResp(answer.bytes);
  return { errorCode: decoded.errorCode ?? 0, contentType: decoded.contentType ?? '', respData: decoded.respData ?? Buffer.alloc(0) };
}

/** A page as the APIs are given one: the app's, shapes WeChat refuses, and what is no page. */
const pageValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PAGES, '') },
  { weight: 3, arbitrary: fc.constantFrom('/pages/index/index', 'pages/index/index?x=1', 'pages/nope/nope', 'pages//index', './pages', 'x'.repeat(1025)) },
  { weight: 2, arbitrary: oddText(12) },
  { weight: 1, arbitrary: notOfType('string', received) },
);
/** Query strings of key=value pairs whose parse is known, and the key/values they give. */
const pairs = fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z0-9_]{1,6}$/), fc.stringMatching(/^[A-Za-z0-9_.~-]{0,6}$/)), { maxLength: 3 });
const queryText = (list: [string, string][]): string => list.map(([key, value]) => `${key}=${value}`).join('&');
const envValue = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...ENV_VERSIONS) }, { weight: 1, arbitrary: fc.oneof(oddText(8), anyValue) });

const sceneValue = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(SCENE_TEXT) },
  { weight: 2, arbitrary: fc.oneof(oddText(40), fc.constantFrom('', 'a'.repeat(33), 'a%20b', '门店')) },
  { weight: 1, arbitrary: notOfType('string', received) },
);
const unlimitedRequest = fc.record(
  {
    scene: sceneValue,
    page: pageValue,
    check_path: fc.oneof(fc.boolean(), anyValue),
    env_version: envValue,
    width: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(280, 300, 430, 280.5, 1280) }, { weight: 2, arbitrary: fc.constantFrom(279, 1281, '430', 0, -0) }, { weight: 1, arbitrary: oddNumber }),
    line_color: fc.oneof(fc.record({ r: fc.integer({ min: 0, max: 255 }), g: fc.constantFrom(0, '7', '255', '256', -1, 1.5), b: fc.integer({ min: 0, max: 300 }) }, { requiredKeys: [] }), anyValue),
    is_hyaline: fc.oneof(fc.boolean(), anyValue),
  },
  { requiredKeys: [] },
);

/** What wxacode.getUnlimited must answer a request (README): the errcode, or the PNG's side in px. */
function unlimitedVerdict(request: Record<string, unknown>): { errcode: number } | { width: number } {
  const got = received(request) as Record<string, unknown>;
  const { scene, check_path: checkPath, env_version: env = 'release', width = 430, line_color: line } = got;
  const page = got.page === undefined ? '' : got.page;
  if (typeof scene !== 'string' || !SCENE_TEXT.test(scene)) return { errcode: 40169 };
  if (typeof page !== 'string' || (page !== '' && (page.length > 1024 || !PAGE_ROUTE.test(page) || (checkPath !== false && !PAGES.includes(page))))) return { errcode: 41030 };
  if (typeof env !== 'string' || !ENV_VERSIONS.includes(env)) return { errcode: 40097 };
  if (typeof width !== 'number' || !(width >= 280 && width <= 1280)) return { errcode: 40097 };
  if (line !== undefined) {
    if (!isRecord(line)) return { errcode: 40097 };
    const parts = [line.r ?? 0, line.g ?? 0, line.b ?? 0].map((part) => (typeof part === 'string' && /^\d{1,3}$/.test(part) ? Number(part) : part));
    if (!parts.every((part) => typeof part === 'number' && Number.isInteger(part) && part >= 0 && part <= 255)) return { errcode: 40097 };
  }
  return { width: Math.floor(width) };
}

/** An expiry as the generators are given one; `expire_time` as seconds from the clock's now, made absolute when sent. */
const expiryFields = fc.record(
  {
    expire_type: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 1) }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom(2, '1', null), anyValue) }),
    // clear of the borders (a minute, a year), which the time between reading the clock and the call could cross
    expire_in: fc.oneof(fc.constantFrom(-3600, 30, 120, DAY_S, 29 * DAY_S, 45 * DAY_S, 364 * DAY_S, 366 * DAY_S), fc.integer({ min: 120, max: 364 * DAY_S })),
    expire_interval: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -1, max: 400 }) }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom(1.5, '7', null), anyValue) }),
  },
  { requiredKeys: [] },
);
const linkTarget = fc.record({ path: pageValue, query: fc.oneof({ weight: 4, arbitrary: pairs.map(queryText) }, { weight: 1, arbitrary: fc.oneof(oddText(20), fc.constant('a'.repeat(1025)), anyValue) }), env_version: envValue }, { requiredKeys: [] });

type GenerateCase = { api: 'urlscheme.generate' | 'urllink.generate'; target: Record<string, unknown>; expiry: Record<string, unknown>; jumpWxa?: unknown };
type CodeApiCase = { api: 'wxacode.getUnlimited'; request: Record<string, unknown> } | GenerateCase;

const codeApiCase: fc.Arbitrary<CodeApiCase> = fc.oneof(
  fc.record({ api: fc.constant<'wxacode.getUnlimited'>('wxacode.getUnlimited'), request: unlimitedRequest }),
  fc.record({ api: fc.constantFrom<'urlscheme.generate' | 'urllink.generate'>('urlscheme.generate', 'urllink.generate'), target: linkTarget, expiry: expiryFields, jumpWxa: fc.option(anyValue, { nil: undefined, freq: 8 }) }, { requiredKeys: ['api', 'target', 'expiry'] }),
);

/** The request a generator is sent: a scheme's target under jump_wxa (or what stands in its place), a link's at the top. */
function generateRequest(input: GenerateCase, nowSeconds: number): Record<string, unknown> {
  const { expire_in: expireIn, ...expiry } = input.expiry;
  const timed = expireIn === undefined ? expiry : { ...expiry, expire_time: nowSeconds + (expireIn as number) };
  if (input.api === 'urllink.generate') return { ...input.target, ...timed };
  return { jump_wxa: input.jumpWxa === undefined ? input.target : input.jumpWxa, ...timed };
}

/** What a generator must answer (README): the errcode, or 0 and the link's lifetime in seconds (undefined: 30 days, but not from a time the oracle knows to the second). */
function generateVerdict(input: GenerateCase, request: Record<string, unknown>, nowSeconds: number): { errcode: number } | { errcode: 0; path: string; query?: Record<string, string>; envVersion: string } {
  const got = received(request) as Record<string, unknown>;
  const target = input.api === 'urlscheme.generate' ? (got.jump_wxa === undefined ? {} : got.jump_wxa) : got;
  if (!isRecord(target)) return { errcode: 40097 };
  const path = target.path === undefined ? '' : target.path;
  const route = typeof path === 'string' ? path.replace(/^\//, '') : undefined;
  if (route === undefined || (route !== '' && (!PAGE_ROUTE.test(route) || !PAGES.includes(route)))) return { errcode: 40165 };
  const query = target.query === undefined ? '' : target.query;
  if (typeof query !== 'string' || !LINK_QUERY.test(query)) return { errcode: 40212 };
  const env = target.env_version === undefined ? 'release' : target.env_version;
  if (typeof env !== 'string' || !ENV_VERSIONS.includes(env)) return { errcode: 40097 };
  const { expire_time: time, expire_interval: interval } = got;
  const type = got.expire_type ?? (time !== undefined ? 0 : interval !== undefined ? 1 : undefined);
  if (type === 0 && !(typeof time === 'number' && time - nowSeconds >= 60 && time - nowSeconds <= 365 * DAY_S)) return { errcode: 85401 };
  if (type === 1 && !(typeof interval === 'number' && Number.isInteger(interval) && interval >= 1 && interval <= 365)) return { errcode: 85401 };
  if (type !== undefined && type !== 0 && type !== 1) return { errcode: 40097 };
  // the key/values of a query made of known pairs; an odd query that passes is checked only for being opened
  const known = /^([A-Za-z0-9_]{1,6}=[A-Za-z0-9_.~-]{0,6}(&|$))*$/.test(query) ? Object.fromEntries(query ? query.split('&').map((pair) => pair.split('=') as [string, string]) : []) : undefined;
  return { errcode: 0, path: route || HOME, query: known, envVersion: env };
}

fuzz(__filename, fixture.emulator, {
  name: 'wx.openApi wxacode.getUnlimited, urlscheme.generate, urllink.generate',
  inputs: codeApiCase,
  footprint: async () => ({ database: await databaseFootprint(fixture.emulator()), wechat: wechatState() }),
  // a generated link is remembered; a code and a refusal write nothing (expire_in is relative, so any now tells)
  mayWrite: (input) => input.api !== 'wxacode.getUnlimited' && generateVerdict(input, generateRequest(input, 0), 0).errcode === 0,
  async send(input): Promise<Verdict> {
    if (input.api === 'wxacode.getUnlimited') {
      const verdict = unlimitedVerdict(input.request);
      const { errorCode, contentType, respData } = await cloudCall(input.api, input.request);
      expect(errorCode).toBe(0);
      if ('errcode' in verdict) {
        expect(JSON.parse(respData.toString('utf8'))).toEqual({ errcode: verdict.errcode, errmsg: expect.any(String) });
        return 'refused';
      }
      expect(contentType).toBe('image/png');
      // the PNG's header (IHDR) holds its size
      expect([respData.subarray(1, 4).toString(), respData.readUInt32BE(16), respData.readUInt32BE(20)]).toEqual(['PNG', verdict.width, verdict.width]);
      return 'answered';
    }
    const nowSeconds = Math.floor((await clockNow(fixture)) / 1000);
    const request = generateRequest(input, nowSeconds);
    const verdict = generateVerdict(input, request, nowSeconds);
    const { errorCode, respData } = await cloudCall(input.api, request);
    expect(errorCode).toBe(0);
    const reply = JSON.parse(respData.toString('utf8')) as Record<string, unknown>;
    if (verdict.errcode !== 0) {
      expect(reply).toEqual({ errcode: verdict.errcode, errmsg: expect.any(String) });
      return 'refused';
    }
    const url = (input.api === 'urlscheme.generate' ? reply.openlink : reply.url_link) as string;
    expect(url).toMatch(input.api === 'urlscheme.generate' ? /^weixin:\/\/dl\/business\/\?t=[A-Za-z0-9]{11}$/ : /^https:\/\/wxaurl\.cn\/[A-Za-z0-9]{11}$/);
    const opened = expectJson(await fixture.postJson('/__rukou/wechat/open', JSON.stringify({ openid: 'o-fuzz-ann', url })));
    if (!('path' in verdict)) throw new Error('unreachable: a verdict of errcode 0 names what opens');
    expect(opened).toEqual({ scene: input.api === 'urlscheme.generate' ? 1065 : 1194, path: verdict.path, query: verdict.query ?? expect.any(Object), envVersion: verdict.envVersion });
    return 'answered';
  },
});

const openidValue = fc.oneof({ weight: 8, arbitrary: fc.constantFrom('o-fuzz-ann', 'o-fuzz-bob') }, { weight: 1, arbitrary: fc.oneof(oddText(12), notOfType('string', received)) });
const isOpenid = (value: unknown): boolean => typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value);
const HOWS = { scan: 1047, longPress: 1048, album: 1049 } as Record<string, number>;

type ImageCase =
  | { kind: 'code'; scene: string; page: string; envVersion: string; dataUrl: boolean }
  | { kind: 'web page' | 'other Mini Program' | 'blank' }
  | { kind: 'bytes'; bytes: number[] }
  | { kind: 'value'; value: unknown };
type ScanCase = { openid: unknown; how?: unknown; image: ImageCase };

const scanCase: fc.Arbitrary<ScanCase> = fc.record(
  {
    openid: openidValue,
    how: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('scan', 'longPress', 'album') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('toString', 'photo', ''), anyValue) }),
    image: fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant<'code'>('code'), scene: fc.stringMatching(SCENE_TEXT), page: fc.constantFrom(...PAGES, '', 'pages/next/next'), envVersion: fc.constantFrom(...ENV_VERSIONS), dataUrl: fc.boolean() }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom<'web page' | 'other Mini Program' | 'blank'>('web page', 'other Mini Program', 'blank') }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant<'bytes'>('bytes'), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant<'value'>('value'), value: fc.oneof(oddText(40), anyValue) }) },
    ),
  },
  { requiredKeys: ['openid', 'image'] },
);

/** Images that are no code of the fixture's Mini Program, drawn once: a QR code of a web page, a code of another appid, white. */
const notCodes = new Map<string, Promise<Buffer>>();
function notCode(kind: 'web page' | 'other Mini Program' | 'blank'): Promise<Buffer> {
  if (!notCodes.has(kind)) {
    const text = kind === 'web page' ? 'https://example.com/' : 'https://wxacode.rukou.invalid/?appid=wx1111111111111111&env_version=release&page=pages/index/index&scene=x';
    notCodes.set(kind, kind === 'blank' ? Promise.resolve(PNG.sync.write(Object.assign(new PNG({ width: 64, height: 64 }), { data: Buffer.alloc(64 * 64 * 4, 255) }))) : toBuffer(text, { type: 'png', width: 120 }));
  }
  return notCodes.get(kind)!;
}

/** The image field a case sends: a code drawn by the simulated WeChat (the smallest, 280 px), another PNG, bytes, or any value. */
async function imageField(image: ImageCase): Promise<unknown> {
  if (image.kind === 'value') return image.value;
  if (image.kind === 'bytes') return Buffer.from(image.bytes).toString('base64');
  if (image.kind !== 'code') return (await notCode(image.kind)).toString('base64');
  const { respData } = await cloudCall('wxacode.getUnlimited', { scene: image.scene, page: image.page, check_path: false, env_version: image.envVersion, width: 280 });
  return `${image.dataUrl ? 'data:image/png;base64,' : ''}${respData.toString('base64')}`;
}

fuzz(__filename, fixture.emulator, {
  name: 'POST /__rukou/wechat/scan',
  inputs: scanCase,
  footprint: async () => ({ database: await databaseFootprint(fixture.emulator()), wechat: wechatState() }),
  mayWrite: () => false,
  shown: (input) => input,
  async send(input): Promise<Verdict> {
    const image = await imageField(input.image);
    const answer = await fixture.postJson('/__rukou/wechat/scan', jsonText({ openid: input.openid, how: input.how, image }));
    const sent = received({ openid: input.openid, how: input.how, image }) as Record<string, unknown>;
    const text = typeof sent.image === 'string' ? sent.image.replace(/^data:image\/png;base64,/, '').replace(/\s+/g, '') : undefined;
    const how = sent.how === undefined ? 'scan' : sent.how;
    if (!isOpenid(sent.openid) || text === undefined || text === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || typeof how !== 'string' || !Object.hasOwn(HOWS, how)) {
      expectEmulatorRefusal(answer, 400);
      return 'refused';
    }
    if (input.image.kind !== 'code') {
      expectEmulatorRefusal(answer, 400, 'NOT_A_CODE');
      return 'refused';
    }
    expect(expectJson(answer)).toEqual({ scene: HOWS[how], path: input.image.page || HOME, query: { scene: encodeURIComponent(input.image.scene) }, envVersion: input.image.envVersion });
    return 'answered';
  },
});

type OpenCase =
  | { kind: 'generated'; api: 'urlscheme.generate' | 'urllink.generate'; path: string; query: [string, string][]; envVersion: string; cq?: [string, string][]; asOther: boolean; openid: unknown }
  | { kind: 'unknown'; form: 'scheme' | 'link'; ticket: string; openid: unknown }
  | { kind: 'plain'; params: Record<string, string>; knownQuery?: [string, string][]; openid: unknown }
  | { kind: 'odd'; url: unknown; openid: unknown };

const openCase: fc.Arbitrary<OpenCase> = fc.oneof(
  fc.record(
    { kind: fc.constant<'generated'>('generated'), api: fc.constantFrom<'urlscheme.generate' | 'urllink.generate'>('urlscheme.generate', 'urllink.generate'), path: fc.constantFrom(...PAGES, '', '/pages/goods/detail'), query: pairs, envVersion: fc.constantFrom(...ENV_VERSIONS), cq: pairs, asOther: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }), openid: fc.constant('o-fuzz-ann') },
    { requiredKeys: ['kind', 'api', 'path', 'query', 'envVersion', 'asOther', 'openid'] },
  ),
  fc.record({ kind: fc.constant<'unknown'>('unknown'), form: fc.constantFrom<'scheme' | 'link'>('scheme', 'link'), ticket: fc.oneof(fc.stringMatching(/^[A-Za-z0-9]{11}$/), oddText(16)), openid: openidValue }),
  fc
    .record({
      params: fc.record(
        { appid: fc.oneof({ weight: 6, arbitrary: fc.constant(APPID) }, { weight: 1, arbitrary: fc.oneof(fc.constant('wx1111111111111111'), oddText(18)) }), path: pageValue.filter((page): page is string => typeof page === 'string'), env_version: fc.oneof(fc.constantFrom(...ENV_VERSIONS), oddText(8)) },
        { requiredKeys: [] },
      ),
      query: fc.option(fc.oneof({ weight: 4, arbitrary: pairs.map((list): [string, [string, string][] | undefined] => [queryText(list), list]) }, { weight: 1, arbitrary: oddText(20).map((text): [string, [string, string][] | undefined] => [text, undefined]) }), { nil: undefined }),
      openid: openidValue,
    })
    .map(({ params, query, openid }) => ({ kind: 'plain' as const, params: query === undefined ? params : { ...params, query: query[0] }, knownQuery: query?.[1], openid })),
  fc.record({ kind: fc.constant<'odd'>('odd'), url: fc.oneof(oddText(40), anyValue, fc.constantFrom('', 'https://example.com/', 'weixin://dl/business/', 'weixin://dl/other/?t=abc', 'http://wxaurl.cn/abc', 'x'.repeat(4097))), openid: openidValue }),
);

/** The URL a case opens (a generated one is made first, through wx.openApi). */
async function urlOf(input: OpenCase): Promise<unknown> {
  switch (input.kind) {
    case 'odd':
      return input.url;
    case 'unknown':
      return input.form === 'scheme' ? `weixin://dl/business/?t=${percent(input.ticket)}` : `https://wxaurl.cn/${percent(input.ticket)}`;
    case 'plain':
      return `weixin://dl/business/?${Object.entries(input.params).map(([key, value]) => `${key}=${percent(value)}`).join('&')}`;
    case 'generated': {
      const target = { path: input.path, query: queryText(input.query), env_version: input.envVersion };
      const request = input.api === 'urlscheme.generate' ? { jump_wxa: target, expire_type: 1, expire_interval: 1 } : { ...target, expire_type: 1, expire_interval: 1 };
      const reply = JSON.parse((await cloudCall(input.api, request)).respData.toString('utf8')) as { openlink?: string; url_link?: string };
      const ticket = /([A-Za-z0-9]{11})$/.exec((reply.openlink ?? reply.url_link)!)![1];
      const asScheme = (input.api === 'urlscheme.generate') !== input.asOther;
      const cq = input.cq === undefined ? '' : `${asScheme ? '&' : '?'}cq=${encodeURIComponent(queryText(input.cq))}`;
      return asScheme ? `weixin://dl/business/?t=${ticket}${cq}` : `https://wxaurl.cn/${ticket}${cq}`;
    }
  }
}

/** What opening a plain scheme must answer (README): its enter options, or the refusal's code. */
function plainVerdict(input: Extract<OpenCase, { kind: 'plain' }>): string | { path: string; query?: Record<string, string>; envVersion: string } {
  const params = Object.fromEntries(Object.entries(input.params).map(([key, value]) => [key, utf8(value)]));
  if (params.appid === undefined) return 'NOT_A_LINK';
  if (params.appid !== APPID) return 'LINK_INVALID';
  const path = (params.path ?? '').replace(/^\//, '');
  if (path !== '' && (!PAGE_ROUTE.test(path) || !PAGES.includes(path))) return 'LINK_INVALID';
  if (!LINK_QUERY.test(params.query ?? '')) return 'LINK_INVALID';
  const envVersion = params.env_version ?? 'release';
  if (!ENV_VERSIONS.includes(envVersion)) return 'LINK_INVALID';
  return { path: path || HOME, query: input.knownQuery === undefined ? (params.query === undefined ? {} : undefined) : Object.fromEntries(input.knownQuery), envVersion };
}

fuzz(__filename, fixture.emulator, {
  name: 'POST /__rukou/wechat/open',
  inputs: openCase,
  footprint: async () => ({ database: await databaseFootprint(fixture.emulator()), wechat: wechatState() }),
  // a generated link is made first; opening writes nothing
  mayWrite: (input) => input.kind === 'generated',
  async send(input): Promise<Verdict> {
    const url = await urlOf(input);
    const answer = await fixture.postJson('/__rukou/wechat/open', jsonText({ openid: input.openid, url }));
    const sent = received({ openid: input.openid, url }) as Record<string, unknown>;
    if (!isOpenid(sent.openid) || typeof sent.url !== 'string' || sent.url === '' || sent.url.length > 4096) {
      expectEmulatorRefusal(answer, 400);
      return input.kind === 'generated' ? 'answered' : 'refused';
    }
    if (input.kind === 'odd') {
      expect({ status: answer.status, code: json(answer).code }).toEqual({ status: 400, code: expect.stringMatching(/^(NOT_A_LINK|LINK_UNKNOWN|LINK_INVALID)$/) });
      return 'refused';
    }
    if (input.kind === 'unknown') {
      expectEmulatorRefusal(answer, 400, 'LINK_UNKNOWN');
      return 'refused';
    }
    if (input.kind === 'plain') {
      const verdict = plainVerdict(input);
      if (typeof verdict === 'string') {
        expectEmulatorRefusal(answer, 400, verdict);
        return 'refused';
      }
      expect(expectJson(answer)).toEqual({ scene: 1286, path: verdict.path, query: verdict.query ?? expect.any(Object), envVersion: verdict.envVersion });
      return 'answered';
    }
    // what it generated was written either way: a scheme's ticket opened as a link (or the other way round) is unknown
    if (input.asOther) expectEmulatorRefusal(answer, 400, 'LINK_UNKNOWN');
    else {
      const query = { ...Object.fromEntries(input.cq ?? []), ...Object.fromEntries(input.query) };
      expect(expectJson(answer)).toEqual({ scene: input.api === 'urlscheme.generate' ? 1065 : 1194, path: input.path.replace(/^\//, '') || HOME, query, envVersion: input.envVersion });
    }
    return 'answered';
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

