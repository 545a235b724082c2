/**
 * CloudBase HTTP access as a function sees it: a request becomes the "integration request" event
 * (cloud.tencent.com/document/product/876/41776, Platform sources §H.1), and what the function answers
 * becomes the response: an integration response (`{statusCode, headers, body, isBase64Encoded}`)
 * as it says, anything else as JSON with status 200.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isPlainObject } from '../database/values';

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

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

/** The HTTP response for a function's result (its JSON text). */
export function integrationResponse(responseJson: string): HttpAccessResponse {
  const result: unknown = JSON.parse(responseJson);
  if (!isPlainObject(result) || typeof result.statusCode !== 'number') return { status: 200, headers: JSON_TYPE, body: Buffer.from(responseJson) };
  const headers: Record<string, string> = {};
  if (isPlainObject(result.headers)) for (const [name, value] of Object.entries(result.headers)) if (typeof value === 'string') headers[name.toLowerCase()] = value;
  const body = typeof result.body === 'string' ? result.body : result.body === undefined ? '' : JSON.stringify(result.body);
  return { status: result.statusCode, headers, body: result.isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body) };
}
