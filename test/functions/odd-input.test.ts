/**
 * Whatever reaches a function — null, an array, a string, objects whose fields are objects with a
 * `toString` that is not a function, HTTP access events with odd headers and bodies — it answers a
 * documented refusal `{ error: { code, message, field? } }` (HTTP access: the same body with a 4xx
 * status) or the correct result: never a crash (-504002), and a refusal writes nothing.
 */
import { createHash } from 'node:crypto';
import cloud from 'wx-server-sdk';
import { eventDocId } from '../../shared/ids';
import { isRecord } from '../../shared/input';
import { invokeAs, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';

const OPERATOR = 'o-operator';
const USER = 'o-user';
const TOKEN = 'odd-input-dashboard-token';
const DAY = '2024-05-01';
const AT = Date.UTC(2024, 4, 1, 4);
/** An object whose toString is not a function: String(it) and `${it}` throw. */
const POISON = { toString: 1 };

let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;

type Via = 'wire' | 'user' | 'operator' | 'http' | 'timer';

/**
 * Invokes a function the way each caller reaches it: `wire` is functions.invokeFunction on the
 * SDK's endpoint with the request_data text as given (the only way a bare `null` arrives), `user`
 * and `operator` the client gateway as a Mini Program user, `http` and `timer` the gateway with
 * the SOURCE of HTTP access (no user) and of a timer trigger.
 */
async function invoke(name: string, via: Via, data: unknown): Promise<{ result?: unknown; errCode?: number; errMsg?: string; code?: string }> {
  if (via === 'wire') {
    const response = await fetch(`${emulator.url}/admin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'functions.invokeFunction', function_name: name, request_data: JSON.stringify(data) }),
    });
    const answer = (await response.json()) as { data?: { response_data: string }; code?: string };
    return answer.data ? { result: JSON.parse(answer.data.response_data) } : answer;
  }
  const user = { user: { openid: USER }, operator: { openid: OPERATOR }, http: { openid: '', source: 'wx_http' }, timer: { openid: '', source: 'wx_trigger' } }[via];
  return invokeAs(emulator.url, name, data, user);
}

/**
 * The refusal in an answer, checked for shape: for HTTP access (`http`, whichever function it
 * reaches) the integration response's body, with a 4xx status.
 */
function refusalOf(answer: Awaited<ReturnType<typeof invoke>>, http = false): { code: string; message: string; field?: string } {
  expect(answer).toEqual({ result: expect.anything() });
  let result = answer.result as Record<string, unknown>;
  if (http) {
    expect(result.statusCode).toBeGreaterThanOrEqual(400);
    expect(result.statusCode).toBeLessThan(500);
    result = JSON.parse(String(result.body)) as Record<string, unknown>;
  }
  expect(Object.keys(result)).toEqual(['error']);
  const error = result.error as { code: string; message: string; field?: string };
  expect(Object.keys(error).filter((key) => !['code', 'message', 'field'].includes(key))).toEqual([]);
  expect(error.message).toEqual(expect.any(String));
  expect(error.message.length).toBeGreaterThan(10);
  return error;
}

const COLLECTIONS = ['events', 'users', 'rollups_daily'];
const counts = async (): Promise<number[]> => Promise.all(COLLECTIONS.map(async (name) => ((await db.collection(name).count()) as { total: number }).total));

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, env: { RUKOU_OPERATORS: OPERATOR, RUKOU_ADMIN_TOKEN_SHA256: createHash('sha256').update(TOKEN).digest('hex') } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
  for (const name of COLLECTIONS) await db.createCollection(name).catch(() => undefined);
});

afterAll(async () => {
  await emulator?.stop();
});

const NOT_OBJECTS: [string, unknown][] = [
  ['null', null],
  ['an empty array', []],
  ['an array', [{ action: 'overview' }]],
  ['a string', 'overview'],
  ['a number', 7],
  ['a boolean', true],
];

const page = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ id: 'evt-odd-00001', seq: 1, at: AT, type: 'page', path: 'pages/a/a', ...extra });
const enter = (options: unknown): Record<string, unknown> => ({ id: 'evt-odd-00002', seq: 2, at: AT, type: 'enter', cold: true, options });
const http = (fields: Record<string, unknown>): Record<string, unknown> => ({ path: '/admin', httpMethod: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '', ...fields });

/** [function, caller, event, code, field]: `field` undefined means the refusal names no field. */
const CASES: [string, Via, unknown, string, string | undefined][] = [
  ...(['track', 'rollup', 'admin'] as const).flatMap((name) =>
    NOT_OBJECTS.flatMap(([, value]): [string, Via, unknown, string, string | undefined][] => [
      [name, 'wire', value, 'INVALID_INPUT', undefined],
      // the gateway hands missing data, null among it, to the function as {}
      ...(value === null ? [] : [[name, name === 'track' ? 'user' : 'operator', value, 'INVALID_INPUT', undefined] as [string, Via, unknown, string, undefined]]),
    ]),
  ),
  ['track', 'user', { v: POISON, events: [page()] }, 'INVALID_INPUT', 'v'],
  ['track', 'user', { v: 1, events: POISON }, 'INVALID_INPUT', 'events'],
  ['track', 'user', { v: 1, events: [page()], toString: 1 }, 'INVALID_INPUT', 'toString'],
  ['track', 'wire', { Type: POISON }, 'INVALID_INPUT', 'Type'],
  ['admin', 'operator', POISON, 'INVALID_INPUT', 'action'],
  ['admin', 'operator', { action: POISON }, 'INVALID_INPUT', 'action'],
  ['admin', 'operator', { action: ['overview'] }, 'INVALID_INPUT', 'action'],
  ['admin', 'operator', { action: 5 }, 'INVALID_INPUT', 'action'],
  ['admin', 'operator', { action: 'constructor' }, 'INVALID_INPUT', 'action'],
  ['admin', 'operator', { action: '__proto__' }, 'INVALID_INPUT', 'action'],
  ['admin', 'operator', { action: 'hasOwnProperty' }, 'INVALID_INPUT', 'action'],
  ['admin', 'operator', { action: 'overview', from: POISON, to: DAY }, 'INVALID_INPUT', 'from'],
  ['admin', 'operator', { action: 'topEntries', from: DAY, to: DAY, dimension: POISON }, 'INVALID_INPUT', 'dimension'],
  ['admin', 'operator', { action: 'channels', from: DAY, to: DAY, limit: { valueOf: 1 } }, 'INVALID_INPUT', 'limit'],
  ['admin', 'operator', { action: 'shareTree', rootShareId: POISON }, 'INVALID_INPUT', 'rootShareId'],
  ['admin', 'operator', { action: 'group', groupId: POISON }, 'INVALID_INPUT', 'groupId'],
  ['admin', 'operator', { action: 'today', toString: 1 }, 'INVALID_INPUT', 'toString'],
  ['admin', 'user', { action: POISON }, 'NOT_OPERATOR', undefined],
  ['admin', 'wire', { action: 'overview', from: DAY, to: DAY }, 'NOT_OPERATOR', undefined],
  ['rollup', 'operator', { Type: POISON }, 'INVALID_INPUT', 'action'],
  ['rollup', 'operator', { Type: 'Timer', TriggerName: POISON, Time: POISON }, 'INVALID_INPUT', 'action'],
  ['rollup', 'operator', { action: 'backfill', from: POISON, to: DAY }, 'INVALID_INPUT', 'from'],
  ['rollup', 'user', { Type: POISON }, 'NOT_OPERATOR', undefined],
  ['rollup', 'timer', { Type: POISON }, 'NOT_OPERATOR', undefined],
  ['rollup', 'timer', { Type: 'Timer', TriggerName: 'dailyRollup', Time: POISON }, 'NOT_OPERATOR', undefined],
  ['rollup', 'timer', { Type: 'Timer', TriggerName: 'dailyRollup', Time: 'not a time' }, 'NOT_OPERATOR', undefined],
  // a Time whose day, or the week before it, cannot be written YYYY-MM-DD: the run threw (a function failure)
  ['rollup', 'timer', { Type: 'Timer', TriggerName: 'dailyRollup', Time: '+275760-09-13T00:00:00.000Z' }, 'NOT_OPERATOR', undefined],
  ['rollup', 'timer', { Type: 'Timer', TriggerName: 'dailyRollup', Time: '9999-12-31T16:00:00.000Z' }, 'NOT_OPERATOR', undefined],
  ['rollup', 'timer', { Type: 'Timer', TriggerName: 'dailyRollup', Time: '0000-01-08T15:59:59.999Z' }, 'NOT_OPERATOR', undefined],
  ['rollup', 'timer', { Type: 'Timer', TriggerName: 'dailyRollup', Time: '-271821-04-20T00:00:00.000Z' }, 'NOT_OPERATOR', undefined],
  // HTTP access: headers and bodies of every shape, with and without the operators' token
  ['admin', 'http', http({ headers: { authorization: POISON } }), 'NOT_OPERATOR', undefined],
  ['admin', 'http', http({ headers: { authorization: [`Bearer ${TOKEN}`] } }), 'NOT_OPERATOR', undefined],
  ['admin', 'http', http({ headers: [`authorization: Bearer ${TOKEN}`] }), 'NOT_OPERATOR', undefined],
  ['admin', 'http', http({ headers: 'authorization' }), 'NOT_OPERATOR', undefined],
  ['admin', 'http', http({ httpMethod: POISON }), 'NOT_OPERATOR', undefined],
  ['admin', 'http', http({ body: 5 }), 'INVALID_INPUT', 'body'],
  ['admin', 'http', http({ body: POISON }), 'INVALID_INPUT', 'body'],
  ['admin', 'http', http({ body: 'null' }), 'INVALID_INPUT', 'body'],
  ['admin', 'http', http({ body: '[{"action":"today"}]' }), 'INVALID_INPUT', 'body'],
  ['admin', 'http', http({ body: '{"action":' }), 'INVALID_INPUT', 'body'],
  ['admin', 'http', http({ body: '{"action":{"toString":1}}' }), 'INVALID_INPUT', 'action'],
  ['admin', 'http', http({ body: POISON, isBase64Encoded: true }), 'INVALID_INPUT', 'body'],
  ['admin', 'http', http({ body: '%%%not base64%%%', isBase64Encoded: true }), 'INVALID_INPUT', 'body'],
  ['admin', 'http', http({ queryStringParameters: 'action=today' }), 'INVALID_INPUT', 'action'],
  ['admin', 'http', http({ queryStringParameters: POISON }), 'INVALID_INPUT', 'action'],
  ['rollup', 'http', http({ headers: { authorization: POISON } }), 'NOT_OPERATOR', undefined],
  ['rollup', 'http', http({ body: '{"action":"backfill"}' }), 'INVALID_INPUT', undefined],
  ['rollup', 'http', http({}), 'INVALID_INPUT', 'action'],
  ['track', 'http', http({}), 'INVALID_INPUT', 'v'],
  ['track', 'http', http({ body: JSON.stringify({ v: 1, events: [page()] }) }), 'NO_IDENTITY', undefined],
  ['messages', 'http', http({ headers: {} }), 'NOT_OPERATOR', undefined],
  ['callback', 'http', http({}), 'NOT_WECHAT', undefined],
];

describe('a refusal with a stable code, and nothing written', () => {
  test.each(CASES)('%s called by %s with %j: %s %s', async (name, via, event, code, field) => {
    const before = await counts();
    const error = refusalOf(await invoke(name, via, event), via === 'http' && isRecord(event) && typeof event.httpMethod === 'string' && isRecord(event.headers));
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
    expect(await counts()).toEqual(before);
  });
});

describe('odd events are rejected one by one, each naming its field when one is at fault; the good event beside goes on', () => {
  const eventsCount = async (where: Record<string, unknown> = {}): Promise<number> => ((await db.collection('events').where(where).count()) as { total: number }).total;
  let good = 0;

  test.each([
    ['an object with a toString', POISON, null, 'type'],
    ['null', null, null, undefined],
    ['an array', [page()], null, undefined],
    ['a string', 'evt-odd-00001', null, undefined],
    ['an id that is an object', page({ id: POISON }), null, 'id'],
    ['a type that is an object', page({ type: POISON }), 'evt-odd-00001', 'type'],
    ['a path that is an object', page({ path: POISON }), 'evt-odd-00001', 'path'],
    ['options that are an object with a toString', enter(POISON), 'evt-odd-00002', 'options.scene'],
    ['a scene that is an object', enter({ scene: POISON, path: 'p', query: {} }), 'evt-odd-00002', 'options.scene'],
    ['a query value that is an object', enter({ scene: 1007, path: 'p', query: { rk_ch: POISON } }), 'evt-odd-00002', 'options.query.rk_ch'],
    ['a query that is an object with a toString', enter({ scene: 1007, path: 'p', query: POISON }), 'evt-odd-00002', 'options.query.toString'],
  ])('%s', async (_, odd, id, field) => {
    const before = await eventsCount();
    const goodId = `evt-odd-good-${String((good += 1)).padStart(2, '0')}`;
    const answer = await invoke('track', 'user', { v: 1, events: [odd, page({ id: goodId })] });
    const rejection = { id, code: 'INVALID_INPUT', message: expect.any(String), ...(field ? { field } : {}) };
    expect(answer).toEqual({ result: { accepted: [goodId], duplicates: [], rejected: [rejection], sharePrefix: expect.any(String) } });
    expect(await eventsCount()).toBe(before + 1);
    expect(await eventsCount({ eventId: goodId })).toBe(1);
  });
});

describe('odd but valid input gets the correct result', () => {
  test('extraData whose keys are named like Object\'s own properties (toString, __proto__, constructor) is an entry like any other', async () => {
    const extraData = JSON.parse('{"toString":1,"__proto__":{"toString":1},"constructor":{"toString":1}}') as unknown;
    const event = enter({ scene: 1037, path: 'pages/a/a', query: {}, referrerInfo: { appId: 'wx-other', extraData } });
    expect((await invoke('track', 'user', { v: 1, events: [event] })).result).toEqual({ accepted: ['evt-odd-00002'], duplicates: [], rejected: [], sharePrefix: expect.any(String) });
    const stored = (await db.collection('events').doc(eventDocId(USER, 'evt-odd-00002')).get()) as unknown as { data: Record<string, unknown> };
    expect(stored.data).toMatchObject({ type: 'enter', scene: 1037, referrerAppId: 'wx-other', openid: USER });
  });

  test('a scene sent as a string of digits (some runtimes do) is stored as an integer, classified like the number', async () => {
    const event = { ...enter({ scene: '1047', path: 'pages/a/a', query: { scene: 'poster7' } }), id: 'evt-odd-scene-1' };
    expect((await invoke('track', 'user', { v: 1, events: [event] })).result).toEqual({ accepted: ['evt-odd-scene-1'], duplicates: [], rejected: [], sharePrefix: expect.any(String) });
    const stored = (await db.collection('events').doc(eventDocId(USER, 'evt-odd-scene-1')).get()) as unknown as { data: Record<string, unknown> };
    expect(stored.data).toMatchObject({ scene: 1047, category: 'QR code', bucket: 'offline-qr', channel: 'poster7' });
  });

  test('the timer at the first and last instants whose days can be written rolls them', async () => {
    const first = (await invoke('rollup', 'timer', { Type: 'Timer', TriggerName: 'dailyRollup', Time: '0000-01-08T16:00:00.000Z' })).result;
    expect(first).toMatchObject({ day: '0000-01-08', rolledUp: expect.arrayContaining(['0000-01-01', '0000-01-08']) });
    const last = (await invoke('rollup', 'timer', { Type: 'Timer', TriggerName: 'dailyRollup', Time: '9999-12-31T15:59:59.999Z' })).result;
    expect(last).toMatchObject({ day: '9999-12-30', rolledUp: expect.arrayContaining(['9999-12-23', '9999-12-30']) });
  });

  test('HTTP access with the query string instead of a body', async () => {
    const answer = (await invoke('admin', 'http', http({ body: undefined, queryStringParameters: { action: 'shareFunnel', from: DAY, to: DAY } }))).result as { statusCode: number; body: string };
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ from: DAY, to: DAY, funnel: { intents: 0 } });
  });
});
