/**
 * What the route suites share: the fixture's emulator for a suite, requests of every shape, and
 * the rules of the door and the clock as their oracles restate them (README, "The emulator").
 */
import fc from 'fast-check';
import { decodeCommOpenApiResp } from '../../emulator/openapi/proto';
import { FIXTURE_PROJECT, startEmulator, type RunningEmulator, type StartOptions } from '../helpers/emulator';
import { send, type HttpAnswer, type HttpRequest } from './harness';
import { anyValue, jsonText, notOfType, oddText, received } from './values';

/** The fixture project's environment id: the default of storage's envName. */
export const ENV = 'rukou-fixture';
export const JSON_TYPE = { 'content-type': 'application/json' };

export interface Fixture {
  emulator(): RunningEmulator;
  request(request: HttpRequest): Promise<HttpAnswer>;
  postJson(route: string, body: string, headers?: Record<string, string>): Promise<HttpAnswer>;
}

/** The test fixture's project in an emulator of the suite's own (timers off), started before its targets and stopped after. */
export function fixtureEmulator(options: StartOptions = {}): Fixture {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false, ...options });
  });
  afterAll(async () => {
    await emulator?.stop();
  });
  const request = (req: HttpRequest): Promise<HttpAnswer> => send(emulator, req);
  return { emulator: () => emulator, request, postJson: (route, body, headers = {}) => request({ method: 'POST', path: route, headers: { ...JSON_TYPE, ...headers }, body }) };
}

export const json = (answer: HttpAnswer): Record<string, unknown> => JSON.parse(answer.text) as Record<string, unknown>;

/** A JSON answer of this status, read. */
export function expectJson(answer: HttpAnswer, status = 200): Record<string, unknown> {
  expect({ status: answer.status, type: answer.type }).toEqual({ status, type: 'application/json; charset=utf-8' });
  return json(answer);
}

/** Header values node sends as they are: printable ASCII and tabs. */
export const headerValue = fc.oneof(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 40 }), fc.constantFrom('', ' ', '\t', 'x'.repeat(2000)));
/** Text percent-encoded byte by byte, as UTF-8 (a lone surrogate is U+FFFD's bytes): what a URL can carry of any text. */
export const percent = (text: string): string => [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('');
/** Query strings of every shape: percent-encoding cut short, repeated keys, odd names. */
export const queryString = fc.oneof(
  fc.constant(''),
  fc.array(fc.tuple(oddText(8), oddText(12)), { maxLength: 4 }).map((pairs) => `?${pairs.map(([k, v]) => `${percent(k)}=${percent(v)}`).join('&')}`),
  fc.constantFrom('?', '?%', '?a=%E4', '?api=&function=', '?api=cloudbase.getOpenData', '?function=opener', '?api=x&api=y', '?%zz=1', '?a=1&&&b'),
);
/** Bodies a GET may carry (node sends them): nothing, JSON, or not JSON at all. */
export const anyBody = fc.oneof(fc.constant(undefined), anyValue.map(jsonText), oddText(40));

const ISO_INSTANT = /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,3})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d))?$/;
/** The instant the README's rule reads from an ISO text (a real calendar day, a time with its offset), or NaN. */
export function isoInstant(text: string): number {
  const match = ISO_INSTANT.exec(text);
  if (!match || match[1] === '-000000') return NaN;
  const day = new Date(0);
  day.setUTCFullYear(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return day.getUTCMonth() === Number(match[2]) - 1 && day.getUTCDate() === Number(match[3]) ? Date.parse(text) : NaN;
}

/** Times the trigger route is given: ISO instants (parseInstant's), nothing, and what is no instant. */
export const triggerTime = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }).map((ms) => new Date(ms).toISOString()) },
  { weight: 1, arbitrary: fc.constantFrom('2024-05-20', '2024-05-20T12:00:00+08:00', '+010000-01-01T00:00:00Z', '-000001-01-01', '+275760-09-13T00:00:00Z', '2024-05-20T12:00:00', '2024-02-30', '5', 'now', '') },
  { weight: 1, arbitrary: fc.oneof(oddText(20), notOfType('string', received)) },
);

/** The clock's reading: what a default instant (a cloudID's issuedAt, a trigger's time) is. */
export async function clockNow(fixture: Fixture): Promise<number> {
  return Date.parse(json(await fixture.request({ method: 'GET', path: '/__rukou/clock' })).now as string);
}

/** A body as the door reads it: {} when it is empty, undefined when it is not JSON. */
export function bodyOf(text: string): unknown {
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const isJsonText = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

export const hasLoneSurrogate = (text: string): boolean => /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);

/** A multipart body as the SDK sends wx.openApi: text fields, and requestData as a file part. */
export function multipart(fields: Record<string, string>, requestData?: Buffer): { body: Buffer; type: string } {
  const boundary = 'fuzz-boundary-7MA4YWxkTrZu0gW';
  const parts: Uint8Array[] = Object.entries(fields).map(([name, value]) => Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  if (requestData) parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="requestData"; filename="requestData"\r\ncontent-type: application/octet-stream\r\n\r\n`), requestData, Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

/** The answer's envelope: CommOpenApiResp bytes, as the cloud answers every wx.openApi. */
export function envelopeOf(answer: HttpAnswer): { errorCode: number; respData: Buffer } {
  expect({ status: answer.status, type: answer.type }).toEqual({ status: 200, type: 'application/octet-stream' });
  const decoded = decodeCommOpenApiResp(answer.bytes);
  return { errorCode: decoded.errorCode ?? 0, respData: decoded.respData ?? Buffer.alloc(0) };
}
