/**
 * HTTP access and the dashboard's files fuzzed (README, "The emulator"): `GET` and `POST
 * /http/<function>` with any path, query, headers and body reach the fixture's `whoami` as the
 * integration request (the body as text, or as base64 when it is not UTF-8), `boom`'s failure is a
 * 502 and any other name a 404; `GET /dashboard/<any path>` answers one of the built files (or the
 * emulator's own config.json) or a 404, never a file outside the folder.
 */
import path from 'node:path';
import fc from 'fast-check';
import { expectEmulatorRefusal, fuzz, type Verdict } from './harness';
import { expectJson, fixtureEmulator, headerValue, percent, queryString } from './routes';
import { oddText } from './values';

const fixture = fixtureEmulator();
/** The fixture's functions the names are drawn among, besides names of none. */
const NAMES = ['whoami', 'boom'];
const FILES = ['index.html', 'app.js', 'style.css', 'config.json'];

const segment = oddText(10).map(percent);
const body = fc.oneof(fc.constant(undefined), oddText(40), fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)));

fuzz(__filename, fixture.emulator, {
  name: 'GET and POST /http/<function>',
  inputs: fc.record({
    method: fc.constantFrom('GET', 'POST'),
    name: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: segment.filter((name) => name !== '' && !NAMES.includes(decodeURIComponent(name))) }),
    rest: fc.array(segment, { maxLength: 2 }),
    query: queryString,
    headers: fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,12}$/), headerValue, { maxKeys: 3 }),
    body,
  }),
  mayWrite: () => false,
  async send({ method, name, rest, query, headers, body: sent }): Promise<Verdict> {
    const route = ['/http', name, ...rest].join('/');
    const answer = await fixture.request({ method, path: `${route}${query}`, headers, body: sent });
    if (name === 'boom') {
      expectEmulatorRefusal(answer, 502, 'FUNCTIONS_EXECUTE_FAIL');
      return 'refused';
    }
    if (name !== 'whoami') {
      expectEmulatorRefusal(answer, 404, 'FUNCTION_NOT_FOUND');
      return 'refused';
    }
    const { event, wxContext } = expectJson(answer) as { event: Record<string, unknown>; wxContext: Record<string, unknown> };
    const bytes = sent === undefined ? Buffer.alloc(0) : Buffer.from(sent);
    const utf8 = Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
    expect(event).toEqual({
      path: route,
      httpMethod: method,
      headers: expect.objectContaining(Object.fromEntries(Object.entries(headers).map(([header, value]) => [header, value.trim()]))),
      queryStringParameters: Object.fromEntries(new URLSearchParams(query.slice(1))),
      body: utf8 ? bytes.toString('utf8') : bytes.toString('base64'),
      isBase64Encoded: !utf8,
      requestContext: { httpMethod: method, path: route, requestId: expect.any(String) },
    });
    expect(wxContext.SOURCE).toBe('wx_http');
    expect(wxContext.OPENID).toBeFalsy();
    return 'answered';
  },
});

fuzz(__filename, fixture.emulator, {
  name: 'GET /dashboard/…',
  inputs: fc.array(fc.oneof(segment, fc.constantFrom('..', '.', '%2E%2E', 'index.html', 'app.js', 'config.json', '..%2F..%2Fpackage.json')), { maxLength: 3 }).map((segments) => segments.join('/')),
  mayWrite: () => false,
  async send(rest): Promise<Verdict> {
    const answer = await fixture.request({ method: 'GET', path: `/dashboard/${rest}` });
    const file = path.posix.normalize(decodeURIComponent(rest) || 'index.html');
    if (file === 'config.json') {
      expect(expectJson(answer)).toEqual({ adminUrl: '/http/admin' });
      return 'answered';
    }
    if (FILES.includes(file)) {
      expect(answer.status).toBe(200);
      expect(answer.bytes.length).toBeGreaterThan(0);
      return 'answered';
    }
    expectEmulatorRefusal(answer, 404, 'NOT_FOUND');
    return 'refused';
  },
});
