/**
 * A body nested 10,000 levels deep, on every route and inside every JSON text the wire protocol
 * carries, gets a refusal in that route's shape and never reaches a worker: a legitimate call
 * sent among sixteen of them (twice the workers a function may have) runs on the same warm worker
 * as before, about as fast as among harmless requests of the same size.
 */
import { encodeCommApiData, ApiType } from '../../emulator/openapi/proto';
import { FIXTURE_PROJECT, startEmulator, type RunningEmulator } from '../helpers/emulator';

const DEPTH = 10_000;
const deepText = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const DEEP = deepText(DEPTH);
/** More callers than MAX_WORKERS_PER_FUNCTION (8): enough to have held every worker of a function. */
const ATTACKERS = 16;

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false });
});

afterAll(async () => {
  await emulator.stop();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function post(path: string, body: string | FormData, type = 'application/json'): Promise<Answer> {
  const headers: Record<string, string> = typeof body === 'string' ? { 'content-type': type, 'x-wx-openid': 'o-deep' } : {};
  const response = await fetch(`${emulator.url}${path}`, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const wire = (params: Record<string, unknown>): Promise<Answer> => post('/admin', JSON.stringify(params));

/** wx.openApi as the SDK sends it (multipart, a protobuf envelope), with one parameter's JSON value given as is. */
function openApiForm(value: string): FormData {
  const envelope = encodeCommApiData({ apiType: ApiType.OPEN_API, openapiData: { pairs: [{ key: 'data', value: Buffer.from(value), contenttype: '', filename: '' }] }, appid: '' });
  const form = new FormData();
  form.set('action', 'wx.openApi');
  form.set('apiName', 'subscribeMessage.send');
  form.set('requestData', new Blob([new Uint8Array(envelope)]), 'requestData');
  return form;
}

/** Each route's refusal of a body too deep, in the shape that route documents. */
const TOO_DEEP = /nested more than 1000 levels deep/;
const clientRefusal = { status: 200, body: { errCode: -501007, errMsg: expect.stringMatching(TOO_DEEP) } };
const wireRefusal = { status: 200, body: { code: 'INVALID_PARAM', message: expect.stringMatching(TOO_DEEP), requestId: expect.any(String) } };

const ROUTES: [string, () => Promise<Answer>, Answer][] = [
  ['the client gateway', () => post('/functions/whoami', `{"data":${DEEP}}`), clientRefusal],
  ['a trigger', () => post('/triggers/tick', `{"time":${DEEP}}`), clientRefusal],
  ['/admin itself', () => post('/admin', `{"action":"database.getDocument","collectionName":"todos","query":${DEEP}}`), wireRefusal],
  ['functions.invokeFunction request_data', () => wire({ action: 'functions.invokeFunction', function_name: 'whoami', request_data: `{"data":${DEEP}}` }), wireRefusal],
  ['a database query', () => wire({ action: 'database.getDocument', collectionName: 'todos', query: DEEP }), wireRefusal],
  ['a document inserted', () => wire({ action: 'database.insertDocument', collectionName: 'todos', data: [`{"_id":"deep",${DEEP.slice(1)}`] }), wireRefusal],
  ['an aggregation stage', () => wire({ action: 'database.aggregateDocuments', collectionName: 'todos', stages: [{ stageKey: '$match', stageValue: DEEP }] }), wireRefusal],
  ['a wx.openApi parameter', () => post('/admin', openApiForm(DEEP)), wireRefusal],
  ['the simulated WeChat', () => post('/__rukou/wechat/cloudid', DEEP), { status: 400, body: { code: 'INVALID_PARAM', message: expect.stringMatching(TOO_DEEP) } }],
];

test.each(ROUTES)('%s refuses a body nested 10,000 levels deep', async (_route, send, expected) => {
  expect(await send()).toEqual(expected);
});

test('nothing nested too deep was stored', async () => {
  const answer = await wire({ action: 'database.getDocument', collectionName: 'todos', query: '{"_id":"deep"}' });
  expect(answer.body.data).toEqual({ list: [] });
});

test('a depth the emulator takes still works: 900 levels reach the function and come back', async () => {
  const answer = await post('/functions/whoami', `{"data":{"nested":${deepText(900)}}}`);
  let value = (answer.body.result as { event: { nested: unknown } }).event.nested;
  let depth = 0;
  while (typeof value === 'object' && value !== null) {
    value = (value as { a: unknown }).a;
    depth++;
  }
  expect(depth).toBe(900);
});

test('brackets inside strings are text, not nesting, escaped quotes and backslashes included', async () => {
  const text = `\\"${'[{'.repeat(2000)}\\\\`;
  const answer = await post('/functions/whoami', JSON.stringify({ data: { text, [text]: 1 } }));
  expect(answer.body.result).toMatchObject({ event: { text, [text]: 1 } });
});

interface WhoAmI {
  pid: number;
}

/** A legitimate call timed while `noise` requests are in flight, with every noise answer. */
async function legitimateAmong(noise: () => Promise<Answer>): Promise<{ ms: number; pid: number; noise: Answer[] }> {
  const flood = Array.from({ length: ATTACKERS }, noise);
  const started = performance.now();
  const answer = await post('/functions/whoami', '{"data":{}}');
  const ms = performance.now() - started;
  return { ms, pid: (answer.body.result as WhoAmI).pid, noise: await Promise.all(flood) };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

test('sixteen deep bodies hold no worker: a legitimate call among them runs warm on the same worker, about as fast as among harmless ones', async () => {
  const warm = (await post('/functions/whoami', '{"data":{}}')).body.result as WhoAmI;
  // The baseline's noise: bodies of the same size, read and parsed, answered without a worker (no such function).
  const harmless = (): Promise<Answer> => post('/functions/no-such-function', JSON.stringify({ data: DEEP }));
  const deep = (): Promise<Answer> => post('/functions/whoami', `{"data":${DEEP}}`);
  const baseline: number[] = [];
  const attacked: number[] = [];
  for (let round = 0; round < 3; round++) {
    const calm = await legitimateAmong(harmless);
    expect(calm.noise.every((answer) => answer.body.errCode === -501000)).toBe(true);
    baseline.push(calm.ms);
    const attack = await legitimateAmong(deep);
    expect(attack.noise).toEqual(Array.from({ length: ATTACKERS }, () => clientRefusal));
    // The one worker that was warm served the call: no deep body took it, or any other.
    expect(attack.pid).toBe(warm.pid);
    attacked.push(attack.ms);
  }
  // Before, the call waited for a deep body's worker to reach the function's 5 s time limit.
  expect(median(attacked)).toBeLessThan(10 * median(baseline));
});
