/**
 * CloudBase HTTP access as a function sees it: a request becomes the "integration request" event
 * (cloud.tencent.com/document/product/876/41776, Platform sources §H.1), and what the function answers
 * becomes the response: an integration response (`{statusCode, headers, body, isBase64Encoded}`)
 * as it says, anything else as JSON with status 200.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isPlainObject } from '../database/values';
import { EMULATOR_HEADER } from '../signature';

export interface HttpAccessEvent {
  path: string;
  httpMethod: string;
  headers: Record<string, string>;
  queryStringParameters: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
  requestContext: { httpMethod: string; path: string; requestId: string };
}

export interface HttpAccessResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The event for one request: header names lower case, repeated headers and query keys joined or last-wins as the cloud's gateway does not document. */
export function integrationRequest(method: string, path: string, search: string, headers: IncomingHttpHeaders, body: Buffer, requestId: string): HttpAccessEvent {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  const text = body.toString('utf8');
  // bytes that are not UTF-8 travel as base64, as the gateway marks them
  const binary = Buffer.compare(Buffer.from(text, 'utf8'), body) !== 0;
  return {
    path,
    httpMethod: method,
    headers: flat,
    queryStringParameters: Object.fromEntries(new URLSearchParams(search)),
    body: binary ? body.toString('base64') : text,
    isBase64Encoded: binary,
    requestContext: { httpMethod: method, path, requestId },
  };
}

/** An integration response HTTP cannot carry, and what in it: the function's answer fails the call. */
export interface UnsendableResponse {
  problem: string;
}

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };
/** A header's name is a token (RFC 9110 §5.1, §5.6.2). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header's value (RFC 9110 §5.5): tab, space, visible ASCII and the bytes 0x80–0xFF (Latin-1), never a line break. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/**
 * Headers that are the gateway's own, never a function's: the body's framing, by its length (a
 * function's would contradict it: fetch refused both at once), and the emulator's signature,
 * which tells the CLI it speaks to an emulator.
 */
const GATEWAYS = new Set(['content-length', 'transfer-encoding', EMULATOR_HEADER]);

/**
 * The HTTP response for a function's result (its JSON text), or what makes it one HTTP cannot
 * carry: a status that is no final answer's, a header name that is no token, a value with a line
 * break or a character past Latin-1. The cloud's gateway documents no answer to those; it answers
 * a failed function 502, and so does the emulator, saying what is wrong.
 */
export function integrationResponse(responseJson: string): HttpAccessResponse | UnsendableResponse {
  const result: unknown = JSON.parse(responseJson);
  if (!isPlainObject(result) || typeof result.statusCode !== 'number') return { status: 200, headers: JSON_TYPE, body: Buffer.from(responseJson) };
  const status = result.statusCode;
  // 1xx are interim answers, before the final one (RFC 9110 §15.2), and no status has more than three digits
  if (!Number.isInteger(status) || status < 200 || status > 599) return { problem: `statusCode ${status} is no HTTP status of a final answer: a whole number from 200 to 599` };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(isPlainObject(result.headers) ? result.headers : {})) {
    if (typeof value !== 'string') continue;
    if (!TOKEN.test(name)) return { problem: `the header name ${JSON.stringify(name)} is not an HTTP token (letters, digits and !#$%&'*+-.^_\`|~)` };
    if (!FIELD_VALUE.test(value)) return { problem: `the header ${name} has a character HTTP cannot carry in a value: ${JSON.stringify(value)} (tab, space, printable ASCII and Latin-1; no line break)` };
    if (!GATEWAYS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  const body = typeof result.body === 'string' ? result.body : result.body === undefined ? '' : JSON.stringify(result.body);
  return { status, headers, body: result.isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body) };
}
