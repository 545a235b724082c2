/**
 * The functions runtime's routes fuzzed (README, "The emulator"), on the fixture's functions
 * `whoami` and `clock`, which answer what they were given: the client gateway (POST
 * /functions/<name>, any name, headers and body), `functions.invokeFunction` on the wire, timer
 * triggers (POST /triggers/<name>) and GET /__rukou/functions/stats. Each answer is the route's
 * documented refusal or what the function was given, as the README says it is given; none of their
 * invocations fails and no worker is replaced.
 */
import fc from 'fast-check';
import { expectClientRefusal, fuzz, wireVerdict, type Verdict } from './harness';
import { anyBody, bodyOf, clockNow, expectJson, fixtureEmulator, headerValue, isoInstant, json, JSON_TYPE, percent, queryString, triggerTime } from './routes';
import { anyValue, jsonText, notOfType, oddText, received } from './values';

const fixture = fixtureEmulator();

// ————— the runtime's stats: GET only, any query, any body; it reads and writes nothing —————

for (const [route, shape] of [['/__rukou/functions/stats', { functions: expect.any(Object), notFound: expect.any(Number) }]] as const) {
  fuzz(__filename, fixture.emulator, {
    name: `GET ${route}`,
    inputs: fc.record({ query: queryString, body: anyBody, header: headerValue }),
    mayWrite: () => false,
    async send({ query, body, header }): Promise<Verdict> {
      const answer = await fixture.request({ method: 'GET', path: `${route}${query}`, headers: { 'x-fuzz': header, ...(body === undefined ? {} : JSON_TYPE) }, body });
      expect(expectJson(answer)).toMatchObject(shape);
      return 'answered';
    },
  });
}

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

fuzz(__filename, fixture.emulator, {
  name: 'POST /functions/<name>',
  inputs: gatewayCase,
  functions: ['whoami', 'clock'],
  atOnce: 4,
  mayWrite: () => false,
  async send(input): Promise<Verdict> {
    const { body, headers } = input;
    const text = body.kind === 'data' ? jsonText(body.data === undefined ? {} : { data: body.data }) : body.text;
    const type = body.kind === 'text' && body.type !== undefined ? body.type : 'application/json';
    const answer = await fixture.request({ method: 'POST', path: gatewayPath(input), headers: { ...headers, 'content-type': type }, body: text });
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

fuzz(__filename, fixture.emulator, {
  name: 'POST /admin functions.invokeFunction',
  inputs: invokeCase,
  functions: ['whoami', 'clock'],
  atOnce: 4,
  mayWrite: () => false,
  async send({ name, requestData, token }): Promise<Verdict> {
    const answer = await fixture.postJson('/admin', jsonText({ action: 'functions.invokeFunction', function_name: name, request_data: requestData, ...(token === undefined ? {} : { wxCloudApiToken: token }) }));
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

const triggerCase = fc.record({
  name: fc.oneof({ weight: 4, arbitrary: fc.constant('clock') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('whoami', 'tick/x', 'nope', 'toString', '__proto__'), oddText(8)) }),
  body: fc.oneof({ weight: 6, arbitrary: fc.option(triggerTime, { nil: undefined }).map((time) => jsonText(time === undefined ? {} : { time })) }, { weight: 1, arbitrary: fc.oneof(oddText(20), fc.constantFrom('', '[]', 'null', '{"time":')) }),
});

fuzz(__filename, fixture.emulator, {
  name: 'POST /triggers/<name>',
  inputs: triggerCase,
  functions: ['clock'],
  atOnce: 4,
  mayWrite: () => false,
  async send({ name, body }): Promise<Verdict> {
    const before = await clockNow(fixture);
    const answer = await fixture.request({ method: 'POST', path: `/triggers/${percent(name)}`, headers: JSON_TYPE, body });
    const after = await clockNow(fixture);
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

