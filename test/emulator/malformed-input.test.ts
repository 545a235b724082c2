/**
 * Every route answers malformed input — a path that is not percent-encoding, a body that is not
 * JSON or not an object, the wrong content type, a body past 64 MiB, a wrong method, a path no
 * route serves — with the shape its callers read (README, "The emulator"), never a server error
 * or a dropped connection: `/admin` as the backend (HTTP 200, `{code, message, requestId}`), the
 * gateway and triggers as callFunction (HTTP 200, `{errCode, errMsg}`), storage URLs as COS (an
 * XML `<Error>`), the emulator's own routes as `{code, message}` with a 4xx status.
 */
import { FIXTURE_PROJECT, startEmulator, type RunningEmulator } from '../helpers/emulator';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false });
});

afterAll(async () => {
  await emulator.stop();
});

type Face = { face: 'wire'; code?: string } | { face: 'client' } | { face: 'emulator'; status: number; code?: string } | { face: 'cos'; status: number; code: string };

interface Request {
  method: string;
  path: string;
  type?: string;
  body?: string | Buffer;
}

const JSON_TYPE = 'application/json';
const HUGE = Buffer.alloc(64 * 1024 * 1024 + 1, 'x');
const FILE = '/__rukou/storage/rukou-fixture/uploads/a.txt';

/** The routes that read a JSON body, and how each refuses. */
const JSON_ROUTES: [string, string, Face][] = [
  ['/admin', '/admin', { face: 'wire' }],
  ['the client gateway', '/functions/whoami', { face: 'client' }],
  ['a trigger', '/triggers/tick', { face: 'client' }],
  ['the simulated WeChat', '/__rukou/wechat/cloudid', { face: 'emulator', status: 400 }],
];

/** The same refusal with another status where the emulator's own routes give one. */
const withStatus = (face: Face, status: number): Face => (face.face === 'emulator' ? { ...face, status } : face);

const CASES: [string, Request, Face][] = [
  ...JSON_ROUTES.flatMap(([name, path, face]): [string, Request, Face][] => [
    [`${name}: a body that is not JSON`, { method: 'POST', path, type: JSON_TYPE, body: '{"data":' }, face],
    [`${name}: a JSON array`, { method: 'POST', path, type: JSON_TYPE, body: '[{"data":{}}]' }, face],
    [`${name}: a JSON string`, { method: 'POST', path, type: JSON_TYPE, body: '"data"' }, face],
    [`${name}: JSON null`, { method: 'POST', path, type: JSON_TYPE, body: 'null' }, face],
    [`${name}: JSON sent as text/plain`, { method: 'POST', path, type: 'text/plain', body: '{"data":{}}' }, withStatus(face, 415)],
    [`${name}: a form`, { method: 'POST', path, type: 'application/x-www-form-urlencoded', body: 'data=1' }, withStatus(face, 415)],
    [`${name}: a body past 64 MiB`, { method: 'POST', path, type: JSON_TYPE, body: HUGE }, withStatus(face, 413)],
    [`${name}: GET`, { method: 'GET', path }, withStatus(face, 405)],
    [`${name}: DELETE`, { method: 'DELETE', path, type: JSON_TYPE, body: '{}' }, withStatus(face, 405)],
  ]),
  ['the clock: a body that is not JSON', { method: 'POST', path: '/__rukou/clock', type: JSON_TYPE, body: '{"advance":' }, { face: 'emulator', status: 400 }],
  ['the clock: JSON sent as text/plain', { method: 'POST', path: '/__rukou/clock', type: 'text/plain', body: '{"advance":"1s"}' }, { face: 'emulator', status: 415 }],
  ['the clock: a body past 64 MiB', { method: 'POST', path: '/__rukou/clock', type: JSON_TYPE, body: HUGE }, { face: 'emulator', status: 413 }],
  ['/admin: multipart without a boundary', { method: 'POST', path: '/admin', type: 'multipart/form-data', body: 'action=x' }, { face: 'wire' }],
  ['/admin: multipart cut short', { method: 'POST', path: '/admin', type: 'multipart/form-data; boundary=b', body: '--b\r\ncontent-disposition: form-data; name="action"\r\n\r\nwx.op' }, { face: 'wire' }],
  ['/admin: an empty body', { method: 'POST', path: '/admin', type: JSON_TYPE, body: '' }, { face: 'wire', code: 'INVALID_ACTION' }],
  ['/admin: an action that is not a string', { method: 'POST', path: '/admin', type: JSON_TYPE, body: '{"action":{"toString":1}}' }, { face: 'wire', code: 'INVALID_ACTION' }],
  ['/admin: a query that is not EJSON', { method: 'POST', path: '/admin', type: JSON_TYPE, body: '{"action":"database.getDocument","collectionName":"todos","query":"{"}' }, { face: 'wire' }],
  ['/admin: a limit that is no number (an object whose toString is not a function)', { method: 'POST', path: '/admin', type: JSON_TYPE, body: '{"action":"database.getDocument","collectionName":"todos","query":"{}","limit":{"toString":false}}' }, { face: 'wire' }],
  ['/admin: a limit in an array', { method: 'POST', path: '/admin', type: JSON_TYPE, body: '{"action":"database.getDocument","collectionName":"todos","query":"{}","limit":[5]}' }, { face: 'wire' }],
  ['/admin: a transactionId that is no string, on a commit', { method: 'POST', path: '/admin', type: JSON_TYPE, body: '{"action":"database.commitTransaction","transactionId":{"toString":false}}' }, { face: 'wire' }],
  ['/admin: a transactionId that is no string, on a write (it ran outside any transaction)', { method: 'POST', path: '/admin', type: JSON_TYPE, body: '{"action":"database.insertDocument","collectionName":"todos","data":["{}"],"transactionId":5}' }, { face: 'wire' }],
  ['/admin: a pipeline stage named toString (it ran Object\'s method)', { method: 'POST', path: '/admin', type: JSON_TYPE, body: '{"action":"database.aggregateDocuments","collectionName":"todos","stages":[{"stageKey":"toString","stageValue":"{}"}]}' }, { face: 'wire', code: 'DATABASE_INVALID_OPERRATOR' }],
  ['/admin: a pipeline stage named hasOwnProperty', { method: 'POST', path: '/admin', type: JSON_TYPE, body: '{"action":"database.aggregateDocuments","collectionName":"todos","stages":[{"stageKey":"$match","stageValue":"{}"},{"stageKey":"hasOwnProperty","stageValue":"{}"}]}' }, { face: 'wire', code: 'DATABASE_INVALID_OPERRATOR' }],
  ['/admin: a $facet whose sub-pipeline is no array', { method: 'POST', path: '/admin', type: JSON_TYPE, body: '{"action":"database.aggregateDocuments","collectionName":"todos","stages":[{"stageKey":"$facet","stageValue":"{\\"a\\":true}"}]}' }, { face: 'wire', code: 'DATABASE_REQUEST_FAILED' }],
  ['/admin: a $facet with a stage named toString', { method: 'POST', path: '/admin', type: JSON_TYPE, body: '{"action":"database.aggregateDocuments","collectionName":"todos","stages":[{"stageKey":"$facet","stageValue":"{\\"a\\":[{\\"toString\\":1}]}"}]}' }, { face: 'wire', code: 'DATABASE_INVALID_OPERRATOR' }],
  ['/admin: a $mod of null', { method: 'POST', path: '/admin', type: JSON_TYPE, body: '{"action":"database.getDocument","collectionName":"todos","query":"{\\"n\\":{\\"$mod\\":null}}"}' }, { face: 'wire', code: 'DATABASE_REQUEST_FAILED' }],
  ['/admin: a $regex that is an object whose toString is not a function', { method: 'POST', path: '/admin', type: JSON_TYPE, body: '{"action":"database.getDocument","collectionName":"todos","query":"{\\"s\\":{\\"$regex\\":{\\"toString\\":1}}}"}' }, { face: 'wire', code: 'DATABASE_REQUEST_FAILED' }],
  ['/admin: a $type list holding such an object, in a $match stage', { method: 'POST', path: '/admin', type: JSON_TYPE, body: '{"action":"database.aggregateDocuments","collectionName":"todos","stages":[{"stageKey":"$match","stageValue":"{\\"$or\\":[{\\"s\\":{\\"$type\\":[{\\"toString\\":1}]}}]}"}]}' }, { face: 'wire', code: 'DATABASE_REQUEST_FAILED' }],
  ['/admin: a document whose $date holds no date', { method: 'POST', path: '/admin', type: JSON_TYPE, body: '{"action":"database.insertDocument","collectionName":"todos","data":["{\\"a\\":{\\"$date\\":\\"garbage\\"}}"]}' }, { face: 'wire' }],
  ['/admin: wx.openApi with bytes that are not its protobuf', { method: 'POST', path: '/admin', type: 'multipart/form-data; boundary=b', body: '--b\r\ncontent-disposition: form-data; name="action"\r\n\r\nwx.openApi\r\n--b\r\ncontent-disposition: form-data; name="requestData"; filename="r"\r\n\r\n\xff\xff\xff\xff\r\n--b--\r\n' }, { face: 'wire' }],
  ['the simulated WeChat: an empty body', { method: 'POST', path: '/__rukou/wechat/cloudid', type: JSON_TYPE, body: '' }, { face: 'emulator', status: 400 }],
  ['the client gateway: a path that is not percent-encoding', { method: 'POST', path: '/functions/%', type: JSON_TYPE, body: '{}' }, { face: 'client' }],
  ['the client gateway: a path cut inside a UTF-8 character', { method: 'POST', path: '/functions/%E4%B8', type: JSON_TYPE, body: '{}' }, { face: 'client' }],
  ['a trigger: a path that is not percent-encoding', { method: 'POST', path: '/triggers/%zz', type: JSON_TYPE, body: '{}' }, { face: 'client' }],
  ['a storage upload: a path that is not percent-encoding', { method: 'PUT', path: '/__rukou/storage/%/a.txt', body: 'x' }, { face: 'cos', status: 400, code: 'InvalidURI' }],
  ['a storage download: a path that is not percent-encoding', { method: 'GET', path: '/__rukou/storage/rukou-fixture/%E4' }, { face: 'cos', status: 400, code: 'InvalidURI' }],
  ['a storage upload past 64 MiB', { method: 'PUT', path: FILE, body: HUGE }, { face: 'cos', status: 400, code: 'EntityTooLarge' }],
  ['a storage URL: POST', { method: 'POST', path: FILE, body: 'x' }, { face: 'cos', status: 405, code: 'MethodNotAllowed' }],
  ['the openapi record: POST', { method: 'POST', path: '/__rukou/openapi/calls', type: JSON_TYPE, body: '{}' }, { face: 'emulator', status: 405 }],
  ['the database stats: PUT', { method: 'PUT', path: '/__rukou/database/stats', type: JSON_TYPE, body: '{}' }, { face: 'emulator', status: 405 }],
  ['the functions stats: POST', { method: 'POST', path: '/__rukou/functions/stats', type: JSON_TYPE, body: '{}' }, { face: 'emulator', status: 405 }],
  ['HTTP access: DELETE', { method: 'DELETE', path: '/http/whoami', type: JSON_TYPE, body: '{}' }, { face: 'emulator', status: 405 }],
  ['HTTP access: a body past 64 MiB', { method: 'POST', path: '/http/whoami', type: JSON_TYPE, body: HUGE }, { face: 'emulator', status: 413 }],
  ['HTTP access: a path that is not percent-encoding', { method: 'POST', path: '/http/%', type: JSON_TYPE, body: '{}' }, { face: 'emulator', status: 400 }],
  ['the dashboard: POST', { method: 'POST', path: '/dashboard/', type: JSON_TYPE, body: '{}' }, { face: 'emulator', status: 405 }],
  ['the dashboard: a path that is not percent-encoding', { method: 'GET', path: '/dashboard/%E4' }, { face: 'emulator', status: 400 }],
  ['the home page: POST', { method: 'POST', path: '/', type: JSON_TYPE, body: '{}' }, { face: 'emulator', status: 405 }],
  ['no route: /nothing', { method: 'GET', path: '/nothing' }, { face: 'emulator', status: 404, code: 'NOT_FOUND' }],
  ['no route: /adminx', { method: 'POST', path: '/adminx', type: JSON_TYPE, body: '{}' }, { face: 'emulator', status: 404, code: 'NOT_FOUND' }],
  ['no route: /functions without a name', { method: 'POST', path: '/functions', type: JSON_TYPE, body: '{}' }, { face: 'emulator', status: 404, code: 'NOT_FOUND' }],
  ['no route: under an exact route', { method: 'GET', path: '/__rukou/database/stats/more' }, { face: 'emulator', status: 404, code: 'NOT_FOUND' }],
  ['no route: a path that is not percent-encoding', { method: 'GET', path: '/%' }, { face: 'emulator', status: 404, code: 'NOT_FOUND' }],
];

async function send(request: Request): Promise<{ status: number; type: string; text: string }> {
  const headers: Record<string, string> = request.type ? { 'content-type': request.type } : {};
  const response = await fetch(`${emulator.url}${request.path}`, { method: request.method, headers, body: request.body });
  return { status: response.status, type: response.headers.get('content-type') ?? '', text: await response.text() };
}

test.each(CASES)('%s', async (_name, request, expected) => {
  const answer = await send(request);
  switch (expected.face) {
    case 'wire':
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toEqual({ code: expected.code ?? 'INVALID_PARAM', message: expect.stringMatching(/\w/), requestId: expect.any(String) });
      // the emulator's words or the database's, never a TypeError of its own passed off as the caller's mistake
      expect(JSON.parse(answer.text).message).not.toMatch(/is not a function|Cannot read propert|Cannot convert/);
      break;
    case 'client':
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toEqual({ errCode: -501007, errMsg: expect.stringMatching(/\w/) });
      break;
    case 'emulator':
      expect(answer.status).toBe(expected.status);
      expect(JSON.parse(answer.text)).toEqual({ code: expected.code ?? 'INVALID_PARAM', message: expect.stringMatching(/\w/) });
      break;
    case 'cos':
      expect(answer.status).toBe(expected.status);
      expect(answer.type).toBe('application/xml');
      expect(answer.text).toMatch(new RegExp(`<Error><Code>${expected.code}</Code><Message>\\S[^<]*</Message>`));
      break;
  }
  if (expected.face !== 'cos') expect(answer.type).toBe('application/json; charset=utf-8');
});

test('an empty body is no data: the gateway runs the function with {}, a trigger fires as if sent no time', async () => {
  const called = JSON.parse((await send({ method: 'POST', path: '/functions/whoami', type: JSON_TYPE, body: '' })).text) as unknown;
  expect(called).toMatchObject({ result: { event: { userInfo: {} } } });
  const fired = JSON.parse((await send({ method: 'POST', path: '/triggers/tick', type: JSON_TYPE, body: '' })).text) as unknown;
  expect(fired).toMatchObject({ result: { event: { Type: 'Timer', TriggerName: 'everySecond', Time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) } } });
});
