/**
 * CloudBase HTTP access in the emulator (`/http/<function>`) and the dashboard's static files
 * (`/`, `/dashboard/…`), as README's route table says: a request reaches the function as the
 * integration request with SOURCE wx_http and no user; an integration response is answered as it
 * says, any other result as JSON; a function that fails is 502, one that does not exist 404.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURE_PROJECT, projectOf, REPO_ROOT, startEmulator, type RunningEmulator } from '../helpers/emulator';

const TOKEN = 'http-access-test-token';
let fixture: RunningEmulator;
let project: RunningEmulator;

beforeAll(async () => {
  [fixture, project] = await Promise.all([
    startEmulator({ project: FIXTURE_PROJECT, timers: false }),
    startEmulator({ timers: false, env: { RUKOU_ADMIN_TOKEN_SHA256: createHash('sha256').update(TOKEN).digest('hex') } }),
  ]);
});

afterAll(async () => {
  await Promise.all([fixture?.stop(), project?.stop()]);
});

test('a POST reaches the function as the integration request, with SOURCE wx_http and no user; its plain result is JSON', async () => {
  const response = await fetch(`${fixture.url}/http/whoami/sub/path?a=1&b=%E4%BD%A0`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-custom': 'yes' }, body: '{"hello":"你好"}' });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  const { event, wxContext } = (await response.json()) as { event: Record<string, unknown>; wxContext: Record<string, unknown> };
  expect(event).toMatchObject({ path: '/http/whoami/sub/path', httpMethod: 'POST', queryStringParameters: { a: '1', b: '你' }, body: '{"hello":"你好"}', isBase64Encoded: false });
  expect(event.headers).toMatchObject({ 'content-type': 'application/json', 'x-custom': 'yes' });
  expect(wxContext.SOURCE).toBe('wx_http');
  expect(wxContext.OPENID).toBeFalsy();
});

test('bytes that are not UTF-8 arrive as base64, marked so; a GET has an empty body', async () => {
  const bytes = Buffer.from([0xff, 0x00, 0xfe]);
  const posted = (await (await fetch(`${fixture.url}/http/whoami`, { method: 'POST', body: bytes })).json()) as { event: Record<string, unknown> };
  expect(posted.event).toMatchObject({ body: bytes.toString('base64'), isBase64Encoded: true });
  const got = (await (await fetch(`${fixture.url}/http/whoami`)).json()) as { event: Record<string, unknown> };
  expect(got.event).toMatchObject({ httpMethod: 'GET', body: '', isBase64Encoded: false });
});

test("admin's integration response is the HTTP answer: 200 with its body, 403 for a wrong token", async () => {
  const ok = await fetch(`${project.url}/http/admin`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{"action":"listChannels"}' });
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ channels: [] });
  const refused = await fetch(`${project.url}/http/admin`, { method: 'POST', headers: { authorization: 'Bearer wrong' }, body: '{"action":"listChannels"}' });
  expect(refused.status).toBe(403);
  expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('NOT_OPERATOR');
});

test('a function that fails is 502, one that does not exist 404', async () => {
  const failed = await fetch(`${fixture.url}/http/boom`, { method: 'POST', body: '{}' });
  expect(failed.status).toBe(502);
  expect(await failed.json()).toEqual({ code: 'FUNCTIONS_EXECUTE_FAIL', message: expect.stringContaining('boom') });
  const missing = await fetch(`${fixture.url}/http/nobody`, { method: 'POST', body: '{}' });
  expect(missing.status).toBe(404);
  expect(await missing.json()).toMatchObject({ code: 'FUNCTION_NOT_FOUND' });
});

test('/ sends the browser to the dashboard, whose files are served with their types; config.json names the HTTP access route', async () => {
  for (const path of ['/', '/dashboard']) {
    const home = await fetch(`${project.url}${path}`, { redirect: 'manual' });
    expect({ status: home.status, location: home.headers.get('location') }).toEqual({ status: 302, location: '/dashboard/' });
  }
  const page = await fetch(`${project.url}/dashboard/`);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(await page.text()).toContain('<script src="app.js">');
  expect((await fetch(`${project.url}/dashboard/app.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(await (await fetch(`${project.url}/dashboard/config.json`)).json()).toEqual({ adminUrl: '/http/admin' });
});

test('HEAD asks what GET would answer, without the body', async () => {
  const [got, head] = await Promise.all(['GET', 'HEAD'].map((method) => fetch(`${project.url}/dashboard/`, { method })));
  expect({ status: head.status, type: head.headers.get('content-type'), length: head.headers.get('content-length') }).toEqual({
    status: 200,
    type: 'text/html; charset=utf-8',
    length: got.headers.get('content-length'),
  });
  expect(await head.text()).toBe('');
  expect((await fetch(`${project.url}/dashboard/nothing.js`, { method: 'HEAD' })).status).toBe(404);
});

test('the dashboard serves nothing outside its folder, and says what it does not have', async () => {
  for (const path of ['/dashboard/..%2F..%2Fpackage.json', '/dashboard/%2E%2E/rukou.js', '/dashboard/nothing.js']) {
    const response = await fetch(`${project.url}${path}`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ code: 'NOT_FOUND', message: expect.any(String) });
  }
});

describe('an integration response HTTP cannot carry is a failed function: 502 FUNCTIONS_EXECUTE_FAIL, saying what is wrong (a break-it pass: 500 SYS_ERR with Node\'s TypeError [ERR_INVALID_HTTP_TOKEN])', () => {
  let echo: RunningEmulator;

  /** What `/http/answer` answers when its function answers `response` (the function answers the body it is sent). */
  const answered = (response: unknown): Promise<Response> => fetch(`${echo.url}/http/answer`, { method: 'POST', body: JSON.stringify(response) });

  beforeAll(async () => {
    const root = projectOf({ answer: { code: 'exports.main = async (event) => JSON.parse(event.body);\n' } });
    echo = await startEmulator({ project: root, timers: false });
  });

  afterAll(async () => {
    await echo?.stop();
  });

  test.each<[string, unknown, string]>([
    ['a header name with a space', { statusCode: 200, headers: { 'x-good': 'yes', 'bad name': 'x' }, body: 'hi' }, 'the header name "bad name" is not an HTTP token'],
    ['an empty header name', { statusCode: 200, headers: { '': 'x' }, body: 'hi' }, 'the header name "" is not an HTTP token'],
    ['a header value with a newline', { statusCode: 200, headers: { 'x-good': 'yes', 'x-a': 'a\nb' }, body: 'hi' }, 'the header x-a has a character HTTP cannot carry in a value: "a\\nb"'],
    ['a header value of Chinese', { statusCode: 200, headers: { 'x-a': '你好' }, body: 'hi' }, 'the header x-a has a character HTTP cannot carry in a value: "你好"'],
    ['status 42', { statusCode: 42, body: 'hi' }, 'statusCode 42 is no HTTP status of a final answer: a whole number from 200 to 599'],
    ['status 999', { statusCode: 999, body: 'hi' }, 'statusCode 999 is no HTTP status'],
    ['status 100, an interim answer', { statusCode: 100, body: 'hi' }, 'statusCode 100 is no HTTP status'],
    ['status 200.5', { statusCode: 200.5, body: 'hi' }, 'statusCode 200.5 is no HTTP status'],
  ])('%s', async (_, response, problem) => {
    const refused = await answered(response);
    expect(refused.status).toBe(502);
    expect(refused.headers.get('x-good')).toBeNull();
    const { code, message } = (await refused.json()) as { code: string; message: string };
    expect(code).toBe('FUNCTIONS_EXECUTE_FAIL');
    expect(message).toContain(`the function "answer" answered an integration response HTTP cannot carry: ${problem}`);
    expect(message).not.toMatch(/ERR_|TypeError|RangeError/);
  });

  test('the emulator serves on: a response it can carry is answered as it says, a Latin-1 header value included', async () => {
    const response = await answered({ statusCode: 201, headers: { 'X-Made': 'café' }, body: 'made' });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-made')).toBe('café');
    expect(await response.text()).toBe('made');
  });

  test("the body's framing is the emulator's: a function's transfer-encoding or content-length is not sent on (fetch refused both at once)", async () => {
    for (const headers of [{ 'transfer-encoding': 'chunked' }, { 'content-length': '1' }]) {
      const response = await answered({ statusCode: 200, headers: { 'content-type': 'text/plain', ...headers }, body: 'hello' });
      expect(response.status).toBe(200);
      expect(response.headers.get('transfer-encoding')).toBeNull();
      expect(response.headers.get('content-length')).toBe('5');
      expect(await response.text()).toBe('hello');
    }
  });

  test("the emulator's signature is its own: a function's x-rukou-emulator is not sent on (a break-it pass: it replaced the emulator's)", async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const response = await answered({ statusCode: 200, headers: { 'x-rukou-emulator': 'fake' }, body: 'hi' });
    expect(response.headers.get('x-rukou-emulator')).toBe(version);
  });
});
