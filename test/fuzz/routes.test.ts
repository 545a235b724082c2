/**
 * The emulator's own routes fuzzed, each a target (README, "The emulator": the route table), on the
 * test fixture's project: the client gateway and `functions.invokeFunction` (its functions `whoami`
 * and `clock`, which answer what they were given), triggers, storage (the wire's three actions and
 * the object store's PUT and GET), `wx.openApi` (getOpenData's svrkit call and the openapi calls)
 * and its record, the simulated WeChat's cloudIDs, the stats routes, the clock, and paths and
 * methods no route serves. The database's wire actions are database.test.ts's.
 *
 * Each answer must be the route's documented refusal, in the shape its callers read, or the
 * correct result, checked against what the suite sent before (a model of the stored files, the
 * cloudIDs issued, the clock's offset); a refused call must leave the database's log, the stored
 * files, the simulated WeChat's state or the clock as they were.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { decodeCommOpenApiResp, decodeOpenDataResponse, encodeCommApiData, encodeOpenDataRequest } from '../../emulator/openapi/proto';
import { FIXTURE_PROJECT, startEmulator, type RunningEmulator } from '../helpers/emulator';
import { databaseFootprint, expectClientRefusal, expectEmulatorRefusal, fuzz, send, wireVerdict, type HttpAnswer, type HttpRequest, type Verdict } from './harness';
import { anyValue, jsonText, notOfType, objectOf, oddKey, oddText, received } from './values';

const ENV = 'rukou-fixture';
const JSON_TYPE = { 'content-type': 'application/json' };

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false });
});

afterAll(async () => {
  await emulator?.stop();
});

const request = (req: HttpRequest): Promise<HttpAnswer> => send(emulator, req);
const postJson = (route: string, body: string, headers: Record<string, string> = {}): Promise<HttpAnswer> => request({ method: 'POST', path: route, headers: { ...JSON_TYPE, ...headers }, body });
const json = (answer: HttpAnswer): Record<string, unknown> => JSON.parse(answer.text) as Record<string, unknown>;
const expectJson = (answer: HttpAnswer, status = 200): Record<string, unknown> => {
  expect({ status: answer.status, type: answer.type }).toEqual({ status, type: 'application/json; charset=utf-8' });
  return json(answer);
};

/** Header values node sends as they are: printable ASCII and tabs. */
const headerValue = fc.oneof(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 40 }), fc.constantFrom('', ' ', '\t', 'x'.repeat(2000)));
/** Text percent-encoded byte by byte, as UTF-8 (a lone surrogate is U+FFFD's bytes): what a URL can carry of any text. */
const percent = (text: string): string => [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('');
/** Query strings of every shape: percent-encoding cut short, repeated keys, odd names. */
const queryString = fc.oneof(
  fc.constant(''),
  fc.array(fc.tuple(oddText(8), oddText(12)), { maxLength: 4 }).map((pairs) => `?${pairs.map(([k, v]) => `${percent(k)}=${percent(v)}`).join('&')}`),
  fc.constantFrom('?', '?%', '?a=%E4', '?api=&function=', '?api=cloudbase.getOpenData', '?function=opener', '?api=x&api=y', '?%zz=1', '?a=1&&&b'),
);
/** Bodies a GET may carry (node sends them): nothing, JSON, or not JSON at all. */
const anyBody = fc.oneof(fc.constant(undefined), anyValue.map(jsonText), oddText(40));

// ————— the stats routes: GET only, any query, any body; they read and write nothing —————

for (const [route, shape] of [
  ['/__rukou/database/stats', { logBytes: expect.any(Number), compactions: expect.any(Number), compacting: expect.any(Boolean), openTransactions: expect.any(Number) }],
  ['/__rukou/functions/stats', { functions: expect.any(Object), notFound: expect.any(Number) }],
] as const) {
  fuzz(__filename, () => emulator, {
    name: `GET ${route}`,
    inputs: fc.record({ query: queryString, body: anyBody, header: headerValue }),
    mayWrite: () => false,
    async send({ query, body, header }): Promise<Verdict> {
      const answer = await request({ method: 'GET', path: `${route}${query}`, headers: { 'x-fuzz': header, ...(body === undefined ? {} : JSON_TYPE) }, body });
      expect(expectJson(answer)).toMatchObject(shape);
      return 'answered';
    },
  });
}

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
const ISO_INSTANT = /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d))?$/;
/** The instant the README's rule reads from an ISO text (a real calendar day, a time with its offset), or NaN. */
function isoInstant(text: string): number {
  const match = ISO_INSTANT.exec(text);
  if (!match || match[1] === '-000000') return NaN;
  const day = new Date(0);
  day.setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return day.getUTCMonth() === Number(match[2]) - 1 && day.getUTCDate() === Number(match[3]) ? Date.parse(text) : NaN;
}

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
  { requiredKeys: ['openid', 'appid', 'kind', 'groupId'] },
);
const cloudIdBody = fc.oneof(
  { weight: 2, arbitrary: validCloudIdBody },
  {
    weight: 3,
    arbitrary: fc.record(
      { openid: fc.oneof(fc.constantFrom('o-fuzz-ann', 'o-fuzz-bob'), oddText(12), notOfType('string', received)), appid: fc.oneof(fc.constant('wx-fuzz'), oddText(8), notOfType('string', received)), kind: fc.oneof(fc.constantFrom(...KINDS), anyValue), groupId: fc.oneof(fc.constantFrom('G-1', 'G-2'), oddText(12), notOfType('string', received)), chatType: fc.oneof(fc.constantFrom(...CHAT_TYPES), anyValue), needGroupOpenID: fc.oneof(fc.boolean(), anyValue), issuedAt },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.array(fc.tuple(oddKey, anyValue), { maxLength: 3 }).map(objectOf) },
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

const wechatState = (): string => {
  const file = path.join(emulator.dataDir, 'wechat', 'state.json');
  return fs.existsSync(file) ? createHash('sha256').update(fs.readFileSync(file)).digest('hex') : 'none';
};

/** The clock's reading: what a cloudID's default issuedAt and expiry are counted from. */
async function clockNow(): Promise<number> {
  return Date.parse(json(await request({ method: 'GET', path: '/__rukou/clock' })).now as string);
}

fuzz(__filename, () => emulator, {
  name: 'POST /__rukou/wechat/cloudid',
  inputs: cloudIdBody,
  footprint: async () => ({ database: await databaseFootprint(emulator), wechat: wechatState() }),
  mayWrite: (body) => cloudIdVerdict(body, 0) !== null,
  async send(body): Promise<Verdict> {
    const before = await clockNow();
    const answer = await postJson('/__rukou/wechat/cloudid', jsonText(body));
    const after = await clockNow();
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

/** A multipart body as the SDK sends wx.openApi: text fields, and requestData as a file part. */
function multipart(fields: Record<string, string>, requestData?: Buffer): { body: Buffer; type: string } {
  const boundary = 'fuzz-boundary-7MA4YWxkTrZu0gW';
  const parts: Uint8Array[] = Object.entries(fields).map(([name, value]) => Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  if (requestData) parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="requestData"; filename="requestData"\r\ncontent-type: application/octet-stream\r\n\r\n`), requestData, Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

/** cloudIDs issued for the suite's users, read at send time (one issued in beforeAll would expire in a long run). */
async function freshCloudId(openid: string): Promise<string> {
  return json(await postJson('/__rukou/wechat/cloudid', JSON.stringify({ openid, appid: 'wx-fuzz', kind: 'groupEnterInfo', groupId: 'G-open' }))).cloudID as string;
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

/** The answer's envelope: CommOpenApiResp bytes, as the cloud answers every wx.openApi. */
function envelopeOf(answer: HttpAnswer): { errorCode: number; respData: Buffer } {
  expect({ status: answer.status, type: answer.type }).toEqual({ status: 200, type: 'application/octet-stream' });
  const decoded = decodeCommOpenApiResp(answer.bytes);
  return { errorCode: decoded.errorCode ?? 0, respData: decoded.respData ?? Buffer.alloc(0) };
}

fuzz(__filename, () => emulator, {
  name: 'POST /admin wx.openApi',
  inputs: openApiCase,
  // a cloud call writes nothing but its record (GET /__rukou/openapi/calls), which it always writes
  mayWrite: () => false,
  async send(input): Promise<Verdict> {
    if (input.kind === 'bytes') {
      const { body, type } = multipart({ action: 'wx.openApi', apiName: input.apiName }, Buffer.from(input.bytes));
      const answer = await request({ method: 'POST', path: '/admin', headers: { 'content-type': type }, body });
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
      const answer = await request({ method: 'POST', path: '/admin', headers: { 'content-type': type }, body });
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
    const answer = await request({ method: 'POST', path: '/admin', headers: { 'content-type': type }, body });
    // a value that is not JSON, or a key no UTF-8 can carry, is the caller's mistake, refused before anything is asked
    if (pairs.some((pair) => !isJsonText(pair.value.toString('utf8')) || hasLoneSurrogate(pair.key))) {
      expect(wireVerdict(answer)).toBe('refused');
      return 'refused';
    }
    const { errorCode, respData } = envelopeOf(answer);
    if ('wxCloudApiToken' in token) expect(errorCode).toBe(-604104);
    else if (input.apiName !== 'cloudbase.getOpenData') expect(errorCode).toBe(-604101);
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

const hasLoneSurrogate = (text: string): boolean => /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);

/** A body as the door reads it: {} when it is empty, undefined when it is not JSON. */
function bodyOf(text: string): unknown {
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isJsonText = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

// ————— the record of cloud calls: GET and DELETE /__rukou/openapi/calls —————

fuzz(__filename, () => emulator, {
  name: 'DELETE /__rukou/openapi/calls',
  inputs: fc.record({ query: queryString, body: anyBody }),
  async send({ query, body }): Promise<Verdict> {
    const before = (json(await request({ method: 'GET', path: '/__rukou/openapi/calls' })).calls as unknown[]).length;
    const answer = await request({ method: 'DELETE', path: `/__rukou/openapi/calls${query}`, headers: body === undefined ? {} : JSON_TYPE, body });
    expect(expectJson(answer)).toEqual({ cleared: before });
    expect(json(await request({ method: 'GET', path: '/__rukou/openapi/calls' }))).toEqual({ calls: [] });
    return 'answered';
  },
});

fuzz(__filename, () => emulator, {
  name: 'GET /__rukou/openapi/calls',
  // a call (recorded, whatever it asks) and the record read with filters: the call is there
  // names mostly of their own, so that what a filter answers stays small as the record grows
  inputs: fc.record({ apiName: fc.oneof({ weight: 1, arbitrary: fc.constantFrom('cloudbase.getOpenData', 'nope.nope') }, { weight: 20, arbitrary: fc.tuple(oddText(10), fc.nat()).map(([name, n]) => `${name}.${n}`) }), filter: fc.constantFrom('api', 'both', 'none', 'other'), body: anyBody }),
  mayWrite: () => false,
  async send({ apiName, filter, body }): Promise<Verdict> {
    const envelope = encodeCommApiData({ apiType: 0, openapiData: { pairs: [] }, appid: '' });
    const form = multipart({ action: 'wx.openApi', apiName }, envelope);
    envelopeOf(await request({ method: 'POST', path: '/admin', headers: { 'content-type': form.type }, body: form.body }));
    // what reaches the route is the text as UTF-8 decodes it (a lone surrogate is U+FFFD)
    const recorded = Buffer.from(apiName, 'utf8').toString('utf8');
    const query = { api: `?api=${percent(apiName)}`, both: `?api=${percent(apiName)}&function=`, none: '?function=nobody', other: `?api=${percent(`${apiName}x`)}` }[filter];
    const answer = await request({ method: 'GET', path: `/__rukou/openapi/calls${query}`, headers: body === undefined ? {} : JSON_TYPE, body });
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

// ————— storage: the wire's actions, and the object store's PUT and GET —————

/** What the bucket holds, by fileID, as the suite put it there. */
const files = new Map<string, Buffer>();
const fileIds: string[] = [];
const bucketOf = (env: string): string => `${Buffer.from(env.slice(0, 2)).toString('hex')}-${env}-1300000000`;

/** The stored files as the disk has them: what a refused call must leave as it was. */
function storageListing(): string {
  const root = path.join(emulator.dataDir, 'storage');
  const walk = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(path.join(dir, entry.name)) : [`${path.join(dir, entry.name)}:${fs.statSync(path.join(dir, entry.name)).size}`])) : []);
  return createHash('sha256').update(walk(emulator.dataDir).filter((file) => !file.startsWith(path.join(emulator.dataDir, 'database'))).sort().join('\n')).digest('hex') + (fs.existsSync(root) ? '' : ' (no storage)');
}

/** A cloud path the README's rule takes: 1–850 characters, relative, no empty, "." or ".." segment, no backslash or NUL. */
const isCloudPath = (value: unknown): value is string =>
  typeof value === 'string' &&
  value.length > 0 &&
  value.length <= 850 &&
  !value.split('/').some((segment) => segment === '' || segment === '.' || segment === '..') &&
  !/[\\\0]/.test(value) &&
  !hasLoneSurrogate(value);
/** An environment a fileID can name (storage/state.ts, parseFileId). */
const isEnv = (value: unknown): value is string => typeof value === 'string' && /^[a-z0-9_-]{1,40}$/i.test(value);

const cloudPath = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.stringMatching(/^[a-z0-9_-]{1,12}$/), { minLength: 1, maxLength: 3 }).chain((segments) => fc.constantFrom('.png', '.txt', '.json', '', '.PNG').map((ext) => segments.join('/') + ext)) },
  { weight: 2, arbitrary: fc.array(oddText(12).filter((segment) => segment !== ''), { minLength: 1, maxLength: 3 }).map((segments) => segments.join('/')) },
  { weight: 1, arbitrary: fc.constantFrom('', '/a.png', 'a//b', './a', 'a/../b', '..', 'a\\b', 'a\u0000b', 'x'.repeat(851), `${'x'.repeat(300)}.txt`, 'a?b.txt', 'a#b', 'a%2Fb', 'a%zz', 'a b.txt', '首/页.png', 'up/a', 'up/a/b') },
  { weight: 1, arbitrary: notOfType('string', received) },
);
const envName = fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constantFrom(ENV, 'other-env', 'ENV_2') }, { weight: 2, arbitrary: fc.oneof(fc.constantFrom('..', '.', 'a/b', '%2E%2E', 'x'.repeat(41), ' ', '首'), oddText(10), notOfType('string', received)) });

type StorageCase =
  | { kind: 'upload'; env: unknown; path: unknown; bytes: string; tamper: 'none' | 'token' | 'authorization' | 'path' }
  | { kind: 'download'; picks: (number | string)[]; maxAge: unknown; tamper: 'none' | 'sign' | 't' }
  | { kind: 'delete'; picks: (number | string)[] }
  | { kind: 'odd'; action: string; params: Record<string, unknown> }
  | { kind: 'raw'; method: 'PUT' | 'GET'; rest: string; query: string; headers: Record<string, string> };

const pick = fc.oneof({ weight: 3, arbitrary: fc.nat() }, { weight: 1, arbitrary: fc.oneof(oddText(20), fc.constantFrom(`cloud://${ENV}.${bucketOf(ENV)}/none.png`, `cloud://${ENV}.wrong-bucket/a.png`, 'cloud://', `cloud://..${bucketOf('..')}/a`)) });
/** A request of a file URL that no grant or signature stands behind: any path under the route, odd query and headers. */
const rawFileRequest = fc.record({
  kind: fc.constant<'raw'>('raw'),
  method: fc.constantFrom<'PUT' | 'GET'>('PUT', 'GET'),
  rest: fc.oneof(fc.constantFrom('', ENV, `${ENV}/`, `${ENV}/a.png`, '%2E%2E/x', `${ENV}/%`, `${ENV}/%E4%B8`, `${ENV}/a/../b`, 'a%2Fb/c', `${ENV}/${'x'.repeat(900)}`), fc.array(oddText(10), { maxLength: 3 }).map((segments) => segments.map(percent).join('/'))),
  query: fc.oneof(queryString, fc.constantFrom('?sign=x&t=1', '?t=99999999999&sign=', '?sign=&t=')),
  headers: fc.record({ 'x-cos-security-token': headerValue, authorization: headerValue }, { requiredKeys: [] }),
});

/** Storage inputs, weighted toward one route's own: its wire actions, its PUT, or its GET. */
const storageCase = (weights: { upload: number; download: number; wire: number; raw: number }): fc.Arbitrary<StorageCase> =>
  fc.oneof(
    { weight: weights.upload, arbitrary: fc.record({ kind: fc.constant<'upload'>('upload'), env: envName, path: cloudPath, bytes: oddText(30), tamper: fc.oneof({ weight: 6, arbitrary: fc.constant<'none'>('none') }, { weight: 1, arbitrary: fc.constantFrom<'token' | 'authorization' | 'path'>('token', 'authorization', 'path') }) }) },
    { weight: weights.download, arbitrary: fc.record({ kind: fc.constant<'download'>('download'), picks: fc.array(pick, { minLength: 1, maxLength: 3 }), maxAge: fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 86_400 }), anyValue), tamper: fc.oneof({ weight: 6, arbitrary: fc.constant<'none'>('none') }, { weight: 1, arbitrary: fc.constantFrom<'sign' | 't'>('sign', 't') }) }) },
    { weight: weights.wire, arbitrary: fc.record({ kind: fc.constant<'delete'>('delete'), picks: fc.array(pick, { minLength: 1, maxLength: 3 }) }) },
    { weight: weights.wire, arbitrary: fc.record({ kind: fc.constant<'odd'>('odd'), action: fc.constantFrom('storage.getUploadMetadata', 'storage.batchGetDownloadUrl', 'storage.batchDeleteFile', 'storage.nope', 'storage.toString'), params: fc.array(fc.tuple(fc.oneof(fc.constantFrom('path', 'envName', 'file_list', 'fileid_list'), oddKey), anyValue), { maxLength: 3 }).map(objectOf) }) },
    { weight: weights.raw, arbitrary: rawFileRequest },
  );

const fileIdOfPick = (choice: number | string): string => (typeof choice === 'number' ? (fileIds.length === 0 ? `cloud://${ENV}.${bucketOf(ENV)}/none` : fileIds[choice % fileIds.length]) : choice);
const CONTENT_TYPES: Record<string, string> = { png: 'image/png', txt: 'text/plain; charset=utf-8', json: 'application/json' };
const wireData = async (params: Record<string, unknown>): Promise<HttpAnswer> => postJson('/admin', jsonText(params));

/** One storage target: its inputs go through every storage route, most through its own. */
const storageTarget = (name: string, inputs: fc.Arbitrary<StorageCase>): void => fuzz(__filename, () => emulator, {
  name,
  inputs,
  // what a download reads and a delete or upload finds depends on what earlier inputs stored
  inOrder: true,
  footprint: async () => ({ database: await databaseFootprint(emulator), files: storageListing() }),
  mayWrite: (input) => input.kind === 'upload' || input.kind === 'delete' || (input.kind === 'odd' && input.action === 'storage.batchDeleteFile'),
  async send(input): Promise<Verdict> {
    switch (input.kind) {
      case 'upload': {
        const answer = await wireData({ action: 'storage.getUploadMetadata', path: input.path, ...(input.env === undefined ? {} : { envName: input.env }) });
        const sentPath = received(input.path);
        const env = input.env === undefined ? ENV : received(input.env);
        // an environment sent as "" or null is none: the default's
        const envUsed = env === '' || env === null ? ENV : env;
        if (!isCloudPath(sentPath) || !isEnv(envUsed)) {
          expect(wireVerdict(answer)).toBe('refused');
          return 'refused';
        }
        expect(wireVerdict(answer)).toBe('answered');
        const { url, token, authorization, fileId } = json(answer).data as Record<string, string>;
        expect(fileId).toBe(`cloud://${envUsed}.${bucketOf(envUsed)}/${sentPath}`);
        const target = new URL(url);
        const put = await request({
          method: 'PUT',
          path: input.tamper === 'path' ? `${target.pathname}x` : target.pathname,
          headers: { 'x-cos-security-token': input.tamper === 'token' ? `${token}x` : token, authorization: input.tamper === 'authorization' ? 'q-sign-algorithm=sha1' : authorization },
          body: Buffer.from(input.bytes),
        });
        if (input.tamper !== 'none') {
          expect({ status: put.status, type: put.type }).toEqual({ status: 403, type: 'application/xml' });
          expect(put.text).toMatch(/<Code>AccessDenied<\/Code>/);
          return 'refused';
        }
        expect({ status: put.status, text: put.text }).toEqual({ status: 200, text: '' });
        if (!files.has(fileId)) fileIds.push(fileId);
        files.set(fileId, Buffer.from(input.bytes));
        return 'answered';
      }
      case 'download': {
        const ids = input.picks.map(fileIdOfPick);
        const answer = await wireData({ action: 'storage.batchGetDownloadUrl', file_list: ids.map((fileid) => ({ fileid, ...(input.maxAge === undefined ? {} : { max_age: input.maxAge }) })) });
        expect(wireVerdict(answer)).toBe('answered');
        const list = (json(answer).data as { download_list: { fileID: string; tempFileURL: string; code: string }[] }).download_list;
        expect(list.map((item) => [item.fileID, item.code])).toEqual(ids.map((id) => [id, files.has(id) ? 'SUCCESS' : 'STORAGE_FILE_NONEXIST']));
        // the SDK's encodeURI leaves "?" and "#" of an unescaped path as they are, as in the cloud: such a file is read by downloadFile's URL, not checked here
        for (const item of list.filter((one) => one.code === 'SUCCESS' && !/[?#%]/.test(one.fileID))) {
          // as the SDK fetches it: encodeURI of the temporary URL
          const url = new URL(encodeURI(item.tempFileURL));
          if (input.tamper === 'sign') url.searchParams.set('sign', 'x');
          if (input.tamper === 't') url.searchParams.set('t', String(Number(url.searchParams.get('t')) + 1));
          const got = await request({ method: 'GET', path: `${url.pathname}${url.search}` });
          if (input.tamper !== 'none') {
            expect({ status: got.status, code: /<Code>(\w+)<\/Code>/.exec(got.text)?.[1] }).toEqual({ status: 403, code: 'AccessDenied' });
            continue;
          }
          const extension = item.fileID.slice(item.fileID.lastIndexOf('.') + 1).toLowerCase();
          expect({ status: got.status, type: got.type, bytes: got.bytes.toString('hex') }).toEqual({ status: 200, type: Object.hasOwn(CONTENT_TYPES, extension) ? CONTENT_TYPES[extension] : 'application/octet-stream', bytes: files.get(item.fileID)?.toString('hex') });
        }
        return 'answered';
      }
      case 'delete': {
        const ids = input.picks.map(fileIdOfPick);
        const answer = await wireData({ action: 'storage.batchDeleteFile', fileid_list: ids });
        expect(wireVerdict(answer)).toBe('answered');
        const deleted = new Set<string>();
        const expected = ids.map((id) => {
          const there = files.has(id) && !deleted.has(id);
          deleted.add(id);
          return [id, there ? 'SUCCESS' : 'STORAGE_FILE_NONEXIST'];
        });
        expect((json(answer).data as { delete_list: { fileID: string; code: string }[] }).delete_list.map((item) => [item.fileID, item.code])).toEqual(expected);
        for (const id of deleted) {
          if (files.delete(id)) fileIds.splice(fileIds.indexOf(id), 1);
        }
        return 'answered';
      }
      case 'raw': {
        const answer = await request({ method: input.method, path: `/__rukou/storage/${input.rest}${input.query}`, headers: input.headers, ...(input.method === 'PUT' ? { body: 'raw' } : {}) });
        // no grant, no signature: COS's refusal, as XML
        expect(answer.type).toBe('application/xml');
        expect([400, 403, 404]).toContain(answer.status);
        expect(/<Code>(\w+)<\/Code>/.exec(answer.text)?.[1]).toEqual(answer.status === 400 ? 'InvalidURI' : answer.status === 403 ? 'AccessDenied' : 'NoSuchKey');
        return 'refused';
      }
      case 'odd': {
        const answer = await wireData({ action: input.action, ...input.params });
        // whatever it is, the backend's shape; a delete of what the model does not hold deletes nothing
        const verdict = wireVerdict(answer);
        if (verdict === 'answered' && input.action === 'storage.batchDeleteFile') {
          for (const item of (json(answer).data as { delete_list: { fileID: string; code: string }[] }).delete_list) {
            expect(item.code === 'SUCCESS').toBe(files.has(item.fileID));
            if (files.delete(item.fileID)) fileIds.splice(fileIds.indexOf(item.fileID), 1);
          }
        }
        return verdict;
      }
    }
  },
});

storageTarget('POST /admin storage.*', storageCase({ upload: 2, download: 2, wire: 3, raw: 0 }));
storageTarget('PUT /__rukou/storage/<env>/<path>', storageCase({ upload: 6, download: 1, wire: 1, raw: 2 }));
storageTarget('GET /__rukou/storage/<env>/<path>', storageCase({ upload: 2, download: 6, wire: 1, raw: 2 }));

// ————— functions: the client gateway POST /functions/<name>, and functions.invokeFunction on the wire —————

/** Functions of the fixture that answer what they were given (`clock` anything; `whoami` an event it can read), and names of none. */
const functionName = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('whoami', 'clock') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('nope', 'toString', '__proto__', 'constructor', 'WHOAMI', 'whoami ', '../whoami', 'tick/..'), oddText(10)) });
/** Data the fixture's whoami acts on (it holds, meets or writes) is left out: what it is given is all it answers. */
const fixtureData = anyValue.filter((value) => !(typeof value === 'object' && value !== null && ['holdMs', 'meet', 'db'].some((key) => Object.hasOwn(value, key))));
const FUNCTIONS = new Set(['whoami', 'clock']);

interface GatewayCase {
  name: string;
  /** How the name is written in the path: as it is, percent-encoded, or cut inside an escape. */
  spelling: 'plain' | 'encoded' | 'broken';
  headers: Record<string, string>;
  body: { kind: 'data'; data: unknown } | { kind: 'text'; text: string; type?: string };
}

const isObjectValue = (value: unknown): boolean => {
  const got = received(value);
  return typeof got === 'object' && got !== null && !Array.isArray(got);
};

const gatewayCase: fc.Arbitrary<GatewayCase> = fc.record({
  name: functionName,
  spelling: fc.oneof({ weight: 6, arbitrary: fc.constant<'encoded'>('encoded') }, { weight: 1, arbitrary: fc.constantFrom<'plain' | 'broken'>('plain', 'broken') }),
  // an openid starts with a letter: wx-server-sdk reads digits as a number ("08" is 8)
  headers: fc.record({ 'x-wx-openid': fc.oneof(fc.constantFrom('o-fuzz-ann', ''), headerValue.map((value) => `o${value}`)), 'x-wx-appid': headerValue, 'x-wx-unionid': headerValue, 'x-wx-source': fc.oneof(fc.constantFrom('wx_client', 'wx_devtools', 'wx_http', 'wx_trigger', 'scf', ''), headerValue) }, { requiredKeys: [] }),
  body: fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant<'data'>('data'), data: fc.option(fixtureData, { nil: undefined }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant<'text'>('text'), text: fc.oneof(oddText(20), fc.constantFrom('', '[]', '"x"', 'null', '{"data":', '{"data":1}x', '{"data":NaN}')), type: fc.option(fc.constantFrom('text/plain', 'application/json; charset=utf-8', 'application/x-www-form-urlencoded'), { nil: undefined }) }, { requiredKeys: ['kind', 'text'] }) },
  ),
})
  // the fixture's whoami reads fields of its event, so it fails on one that arrives as null (-1e400): such data goes to clock, which takes anything
  .map((input) => (input.name === 'whoami' && input.body.kind === 'data' && input.body.data !== undefined && input.body.data !== null && !isObjectValue(input.body.data) ? { ...input, name: 'clock' } : input));

const gatewayPath = ({ name, spelling }: GatewayCase): string => `/functions/${spelling === 'plain' && /^[\w.-]+$/.test(name) ? name : spelling === 'broken' ? `${percent(name)}%E4%B8` : percent(name)}`;

/** A header as the server reads it: HTTP drops the spaces and tabs around a value. */
const headerOf = (headers: Record<string, string>, name: string): string => (headers[name] ?? '').replace(/^[ \t]+|[ \t]+$/g, '');

/** The event a fixture function is given (gateway.ts clientEvent), as the worker receives it (JSON). */
function fixtureEvent(data: unknown, headers: Record<string, string>): unknown {
  const event = data ?? {};
  const source = headerOf(headers, 'x-wx-source') || 'wx_client';
  if (!['wx_client', 'wx_devtools'].includes(source) || typeof event !== 'object' || event === null || Array.isArray(event)) return event;
  const userInfo: Record<string, string> = {};
  if (headerOf(headers, 'x-wx-appid')) userInfo.appId = headerOf(headers, 'x-wx-appid');
  if (headerOf(headers, 'x-wx-openid')) userInfo.openId = headerOf(headers, 'x-wx-openid');
  return { ...(event as Record<string, unknown>), userInfo };
}

fuzz(__filename, () => emulator, {
  name: 'POST /functions/<name>',
  inputs: gatewayCase,
  functions: ['whoami', 'clock'],
  atOnce: 4,
  mayWrite: () => false,
  async send(input): Promise<Verdict> {
    const { body, headers } = input;
    const text = body.kind === 'data' ? jsonText(body.data === undefined ? {} : { data: body.data }) : body.text;
    const type = body.kind === 'text' && body.type !== undefined ? body.type : 'application/json';
    const answer = await request({ method: 'POST', path: gatewayPath(input), headers: { ...headers, 'content-type': type }, body: text });
    if (input.spelling === 'broken') {
      expectClientRefusal(answer, -501007);
      return 'refused';
    }
    // the body the door reads: JSON (any JSON media type), an object, or empty
    const parsed = bodyOf(text);
    if ((text !== '' && !type.startsWith('application/json')) || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      expectClientRefusal(answer, -501007);
      return 'refused';
    }
    if (!FUNCTIONS.has(input.name)) {
      expectClientRefusal(answer, -501000);
      return 'refused';
    }
    const answered = expectJson(answer);
    expect(answered).toEqual({ result: expect.anything() });
    const { result } = answered as { result: { event: unknown; wxContext: Record<string, unknown> } };
    expect(result.event).toEqual(JSON.parse(JSON.stringify(fixtureEvent((parsed as { data?: unknown }).data, headers)) ?? 'null'));
    expect(result.wxContext).toMatchObject({ SOURCE: headerOf(headers, 'x-wx-source') || 'wx_client', ...(headerOf(headers, 'x-wx-openid') ? { OPENID: headerOf(headers, 'x-wx-openid') } : {}) });
    return 'answered';
  },
});

interface InvokeCase {
  name: unknown;
  requestData: unknown;
  token?: string;
}

const invokeCase: fc.Arbitrary<InvokeCase> = fc
  .record(
    {
      name: fc.oneof({ weight: 5, arbitrary: functionName }, { weight: 1, arbitrary: notOfType('string', received) }),
      requestData: fc.oneof({ weight: 4, arbitrary: fixtureData.map(jsonText) }, { weight: 1, arbitrary: fc.oneof(oddText(20), fc.constantFrom('', '{', 'NaN', `${'['.repeat(1001)}${']'.repeat(1001)}`), notOfType('string', received)) }),
      token: oddText(12),
    },
    { requiredKeys: ['name', 'requestData'] },
  )
  // the fixture's whoami reads fields of its event, so it fails on null: such an event goes to clock, which takes anything
  .map((input) => (input.name === 'whoami' && typeof input.requestData === 'string' && !/^\s*\{/.test(input.requestData) ? { ...input, name: 'clock' } : input));

fuzz(__filename, () => emulator, {
  name: 'POST /admin functions.invokeFunction',
  inputs: invokeCase,
  functions: ['whoami', 'clock'],
  atOnce: 4,
  mayWrite: () => false,
  async send({ name, requestData, token }): Promise<Verdict> {
    const answer = await postJson('/admin', jsonText({ action: 'functions.invokeFunction', function_name: name, request_data: requestData, ...(token === undefined ? {} : { wxCloudApiToken: token }) }));
    const sentName = received(name);
    const sentData = received(requestData);
    let event: unknown = {};
    let readable = true;
    if (typeof sentData === 'string' && sentData !== '') {
      try {
        event = JSON.parse(sentData);
      } catch {
        readable = false;
      }
      if (/\[{1001}/.test(sentData)) readable = false;
    }
    const verdict = wireVerdict(answer);
    const body = json(answer);
    if (typeof sentName !== 'string' || sentName === '' || !readable) {
      expect([verdict, body.code]).toEqual(['refused', 'INVALID_PARAM']);
      return 'refused';
    }
    if (!FUNCTIONS.has(sentName)) {
      expect([verdict, body.code]).toEqual(['refused', 'FUNCTION_NOT_FOUND']);
      return 'refused';
    }
    expect(verdict).toBe('answered');
    const result = JSON.parse((body.data as { response_data: string }).response_data) as { event: unknown; wxContext: Record<string, unknown> };
    expect(result.event).toEqual(JSON.parse(JSON.stringify(event) ?? 'null'));
    // called from outside any function: no user, SOURCE scf
    expect(result.wxContext).toMatchObject({ SOURCE: 'scf' });
    return 'answered';
  },
});

// ————— triggers: POST /triggers/<name> —————

/** Times the trigger route is given: ISO instants (parseInstant's), nothing, and what is no instant. */
const triggerTime = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }).map((ms) => new Date(ms).toISOString()) },
  { weight: 1, arbitrary: fc.constantFrom('2024-05-20', '2024-05-20T12:00:00+08:00', '+010000-01-01T00:00:00Z', '-000001-01-01', '+275760-09-13T00:00:00Z', '2024-05-20T12:00:00', '2024-02-30', '5', 'now', '') },
  { weight: 1, arbitrary: fc.oneof(oddText(20), notOfType('string', received)) },
);
const triggerCase = fc.record({
  name: fc.oneof({ weight: 4, arbitrary: fc.constant('clock') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('whoami', 'tick/x', 'nope', 'toString', '__proto__'), oddText(8)) }),
  body: fc.oneof({ weight: 6, arbitrary: fc.option(triggerTime, { nil: undefined }).map((time) => jsonText(time === undefined ? {} : { time })) }, { weight: 1, arbitrary: fc.oneof(oddText(20), fc.constantFrom('', '[]', 'null', '{"time":')) }),
});

fuzz(__filename, () => emulator, {
  name: 'POST /triggers/<name>',
  inputs: triggerCase,
  functions: ['clock'],
  atOnce: 4,
  mayWrite: () => false,
  async send({ name, body }): Promise<Verdict> {
    const before = await clockNow();
    const answer = await request({ method: 'POST', path: `/triggers/${percent(name)}`, headers: JSON_TYPE, body });
    const after = await clockNow();
    // the fixture's timer triggers: clock's (tick's writes, and is not sent)
    if (name !== 'clock') {
      expectClientRefusal(answer, -501000);
      return 'refused';
    }
    const parsed = bodyOf(body);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      expectClientRefusal(answer, -501007);
      return 'refused';
    }
    const time = (parsed as { time?: unknown }).time;
    const instant = time === undefined ? undefined : typeof time === 'string' ? isoInstant(time) : NaN;
    if (Number.isNaN(instant)) {
      expectClientRefusal(answer, -501007);
      return 'refused';
    }
    const answered = expectJson(answer);
    expect(answered).toEqual({ result: expect.objectContaining({ event: expect.objectContaining({ Type: 'Timer', TriggerName: 'sundayHalfPastMidnight' }) }) });
    const fired = Date.parse((answered as { result: { event: { Time: string } } }).result.event.Time);
    // Time is the instant without its milliseconds; without a time, the clock's
    if (instant === undefined) expect([fired >= Math.floor(before / 1000) * 1000, fired <= after]).toEqual([true, true]);
    else expect(fired).toBe(Math.floor((instant as number) / 1000) * 1000);
    return 'answered';
  },
});

// ————— the door: paths no route serves, and routes asked with a method they do not take —————

/** Every route of the emulator (server.ts and each service), as the door matches them: a prefix ends in "/". */
const ROUTES: { method: string; prefix: string; face: 'wire' | 'client' | 'emulator' | 'cos' }[] = [
  { method: 'POST', prefix: '/admin', face: 'wire' },
  { method: 'POST', prefix: '/functions/', face: 'client' },
  { method: 'POST', prefix: '/triggers/', face: 'client' },
  { method: 'GET', prefix: '/__rukou/database/stats', face: 'emulator' },
  { method: 'GET', prefix: '/__rukou/functions/stats', face: 'emulator' },
  { method: 'GET', prefix: '/__rukou/openapi/calls', face: 'emulator' },
  { method: 'DELETE', prefix: '/__rukou/openapi/calls', face: 'emulator' },
  { method: 'POST', prefix: '/__rukou/wechat/cloudid', face: 'emulator' },
  { method: 'GET', prefix: '/__rukou/clock', face: 'emulator' },
  { method: 'POST', prefix: '/__rukou/clock', face: 'emulator' },
  { method: 'PUT', prefix: '/__rukou/storage/', face: 'cos' },
  { method: 'GET', prefix: '/__rukou/storage/', face: 'cos' },
];
const routesOf = (route: string): typeof ROUTES => ROUTES.filter(({ prefix }) => (prefix.endsWith('/') ? route.startsWith(prefix) : route === prefix));

const doorCase = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
    path: fc.oneof(
      fc.constantFrom(...ROUTES.map(({ prefix }) => prefix), '/', '/admin/', '/adminx', '/functions', '/__rukou', '/__rukou/clock/x', '/__rukou/storage', '//admin', '/%', '/%E4', '/functions/%', '/triggers/%zz', '/__rukou/storage/%'),
      fc.array(oddText(8), { maxLength: 3 }).map((segments) => `/${segments.map(percent).join('/')}`),
    ),
    body: fc.option(oddText(20), { nil: undefined }),
  })
  // a route asked with its own method is that route's target
  .filter(({ method, path: route }) => !routesOf(route).some((one) => one.method === method));

fuzz(__filename, () => emulator, {
  name: 'any other method and path',
  inputs: doorCase,
  mayWrite: () => false,
  async send({ method, path: route, body }): Promise<Verdict> {
    const answer = await request({ method, path: route, headers: body === undefined ? {} : JSON_TYPE, body });
    const candidates = routesOf(route);
    if (candidates.length === 0) {
      expectEmulatorRefusal(answer, 404, 'NOT_FOUND');
      return 'refused';
    }
    // the route's own refusal of a method it does not take, in its callers' shape
    switch (candidates[0].face) {
      case 'wire':
        expect(wireVerdict(answer)).toBe('refused');
        break;
      case 'client':
        expectClientRefusal(answer, -501007);
        break;
      case 'emulator':
        expectEmulatorRefusal(answer, 405);
        break;
      case 'cos':
        expect({ status: answer.status, type: answer.type, code: /<Code>(\w+)<\/Code>/.exec(answer.text)?.[1] }).toEqual({ status: 405, type: 'application/xml', code: 'MethodNotAllowed' });
    }
    return 'refused';
  },
});

// ————— the clock: GET and POST /__rukou/clock, on an emulator of its own (its moves would age the others' cloudIDs and URLs) —————

describe('the clock', () => {
  let clocked: RunningEmulator;
  const CLOCK_START = Date.parse('2024-05-20T12:00:00+08:00');

  beforeAll(async () => {
    clocked = await startEmulator({ project: FIXTURE_PROJECT, timers: false, clock: '2024-05-20T12:00:00+08:00' });
  });

  afterAll(async () => {
    await clocked?.stop();
  });

  const reading = async (): Promise<{ now: number; offsetMs: number }> => {
    const body = JSON.parse((await send(clocked, { method: 'GET', path: '/__rukou/clock' })).text) as { now: string; offsetMs: number };
    return { now: Date.parse(body.now), offsetMs: body.offsetMs };
  };

  fuzz(__filename, () => clocked, {
    name: 'GET /__rukou/clock',
    inputs: fc.record({ query: queryString, body: anyBody }),
    mayWrite: () => false,
    async send({ query, body }): Promise<Verdict> {
      const answer = await send(clocked, { method: 'GET', path: `/__rukou/clock${query}`, headers: body === undefined ? {} : JSON_TYPE, body });
      const read = expectJson(answer);
      expect(read).toEqual({ now: expect.any(String), offsetMs: expect.any(Number), timers: 'off', next: [] });
      expect(Date.parse(read.now as string)).toBeGreaterThanOrEqual(CLOCK_START);
      return 'answered';
    },
  });

  const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
  /** How far an `advance` moves the clock (clock/operations.ts, parseDuration), or NaN when it is no duration. */
  function durationOf(value: unknown): number {
    if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : NaN;
    if (typeof value !== 'string') return NaN;
    if (/^\d+$/.test(value)) return durationOf(Number(value));
    // each unit at most once, the largest first
    const amounts = value === '' ? null : /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(value);
    if (!amounts) return NaN;
    return ['w', 'd', 'h', 'm', 's', 'ms'].reduce((total, unit, i) => total + Number(amounts[i + 1] ?? 0) * UNIT_MS[unit], 0);
  }

  /**
   * Moves: mostly a little forward (an advance, or a set a little ahead of the clock as it reads
   * when the move is sent, or behind it), very rarely far (a set to the year 9999 leaves every later
   * move behind or past the end), and bodies that ask for no move at all.
   */
  const move = fc.oneof(
    { weight: 160, arbitrary: fc.oneof(fc.integer({ min: 0, max: 86_400_000 }), fc.constantFrom('1d', '90m', '1d12h', '500ms', '0', '2w', '1s1s')).map((advance) => ({ body: { advance } })) },
    { weight: 40, arbitrary: fc.oneof(fc.constantFrom(1e15, 2 ** 53 - 1, '9007199254740991', '100000000000000000000', '1.5d', '-1d', '1y', '', 'd'), fc.double(), notOfType('string', received)).map((advance) => ({ body: { advance } })) },
    { weight: 80, arbitrary: fc.integer({ min: -86_400_000, max: 7 * 86_400_000 }).map((ahead) => ({ ahead })) },
    { weight: 1, arbitrary: fc.oneof(triggerTime, fc.constantFrom('+275760-09-13T00:00:00Z', '9999-12-31T23:59:59.999Z', '+010000-01-01')).map((set) => ({ body: { set } })) },
    { weight: 40, arbitrary: fc.oneof(fc.constant({}), fc.constant({ set: '2030-01-01', advance: '1d' }), fc.array(fc.tuple(oddKey, anyValue), { maxLength: 2 }).map(objectOf)).map((body) => ({ body })) },
  );
  /** The clock goes no further than the end of the year 9999 (clock/operations.ts). */
  // the clock's years are SCF cron's, 1970 to 2099 (emulator/clock/state.ts)
  const MAX_DATE = Date.parse('2099-12-31T23:59:59.999Z');

  fuzz(__filename, () => clocked, {
    name: 'POST /__rukou/clock',
    inputs: move,
    footprint: async () => (await reading()).offsetMs,
    async send(input): Promise<Verdict> {
      const before = await reading();
      // a set relative to the clock is written out now, to the millisecond, as ISO
      const text = 'ahead' in input ? JSON.stringify({ set: new Date(before.now + input.ahead).toISOString() }) : jsonText(input.body);
      const answer = await send(clocked, { method: 'POST', path: '/__rukou/clock', headers: JSON_TYPE, body: text });
      const after = await reading();
      const params = JSON.parse(text) as Record<string, unknown>;
      const asks = ['set', 'advance'].filter((key) => params[key] !== undefined);
      const target = asks.length !== 1 ? NaN : asks[0] === 'advance' ? before.now + durationOf(params.advance) : typeof params.set === 'string' ? isoInstant(params.set) : NaN;
      if (Number.isNaN(target) || target > MAX_DATE) {
        expectEmulatorRefusal(answer, 400);
        return 'refused';
      }
      // a set is judged against the clock when it arrives, some time after `before` and before `after`: in between, either
      if (target < before.now || (target <= after.now && answer.status === 409)) {
        expectEmulatorRefusal(answer, 409, 'CLOCK_BACKWARDS');
        return 'refused';
      }
      const moved = expectJson(answer) as { now: string; offsetMs: number; fired: unknown[] };
      expect(moved.fired).toEqual([]);
      // the clock ticks on between the readings: at the target, or a little after
      expect([Date.parse(moved.now) >= target, Date.parse(moved.now) <= Math.max(target, after.now)]).toEqual([true, true]);
      return 'answered';
    },
  });
});
